"""`trustwatch query` is read-only in every way: one statement, the warehouse only, results
written by the command itself (csv/json/parquet), never by DuckDB."""
from __future__ import annotations

import json
import subprocess
import sys

import duckdb
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from trustwatch.cli import app
from trustwatch.warehouse.db import WarehouseLocked, open_connection
from trustwatch.warehouse.queries import QueryError, check_query, open_query_connection, run_query

runner = CliRunner()


@pytest.fixture()
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TRUSTWATCH_CONFIG", raising=False)
    monkeypatch.delenv("TRUSTWATCH_DB", raising=False)
    (tmp_path / "trustwatch.toml").write_text('[warehouse]\npath = "wh.duckdb"\n', encoding="utf-8")
    con = open_connection(tmp_path / "wh.duckdb")
    con.execute("INSERT INTO sources (name, url, kind) VALUES ('a', 'https://a.example/f', 'feed'), "
                "('b', 'https://b.example/f', 'feed')")
    con.close()
    return tmp_path


def _query(*args):
    return runner.invoke(app, ["query", *args])


@pytest.mark.parametrize("sql, words", [
    ("SELECT 1; COPY (SELECT 1) TO 'trustwatch.toml'", "exactly one statement"),
    ("COPY sources TO 'trustwatch.toml'", "COPY"),
    ("COPY (SELECT * FROM sources) TO 'out.csv' (HEADER)", "--format"),
    ("EXPORT DATABASE 'dump'", "EXPORT"),
    ("ATTACH 'other.duckdb' AS other", "ATTACH"),
    ("INSTALL httpfs", "INSTALL"),
    ("LOAD httpfs", "LOAD"),
    ("SET enable_external_access = true", "SET"),
    ("PRAGMA enable_profiling", "PRAGMA"),
    ("EXPLAIN ANALYZE COPY sources TO 'x.csv'", "explained"),
    ("CREATE TABLE x AS SELECT 1", "CREATE"),
    ("DELETE FROM sources", "DELETE"),
    ("SELECT * FROM read_csv('/etc/hostname')", "--allow-files"),
    ("SELECT * FROM read_text('trustwatch.toml')", "--allow-files"),
    ("SELECT * FROM 'https://example.org/data.csv'", "--allow-files"),
])
def test_anything_but_one_read_only_statement_is_refused(workdir, sql, words):
    config = (workdir / "trustwatch.toml").read_text()
    before = sorted(p.name for p in workdir.iterdir())
    result = _query(sql)
    assert result.exit_code == 2, result.output
    assert words in result.output and "Traceback" not in result.output
    assert (workdir / "trustwatch.toml").read_text() == config
    assert sorted(p.name for p in workdir.iterdir()) == before  # nothing written, nothing attached
    with duckdb.connect(str(workdir / "wh.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM sources").fetchone()[0] == 2


@pytest.mark.parametrize("sql", ["SELECT name FROM sources ORDER BY name", "FROM sources SELECT name ORDER BY name",
                                 "WITH s AS (SELECT name FROM sources) SELECT * FROM s ORDER BY name",
                                 "DESCRIBE sources", "SHOW TABLES", "SUMMARIZE sources",
                                 "PRAGMA table_info('sources')", "EXPLAIN SELECT * FROM sources",
                                 "SELECT 1 AS x;"])
def test_read_only_statements_run(workdir, sql):
    result = _query(sql, "--format", "json")
    assert result.exit_code == 0, result.output
    check_query(sql)


def test_results_are_written_by_the_command(workdir):
    sql = "SELECT name, url FROM sources ORDER BY name"
    assert _query(sql, "--format", "csv", "-o", "out.csv").exit_code == 0
    assert (workdir / "out.csv").read_text().splitlines()[0] == '"name","url"'
    assert _query(sql, "--format", "json", "-o", "out.json").exit_code == 0
    assert [json.loads(x)["name"] for x in (workdir / "out.json").read_text().splitlines()] == ["a", "b"]
    assert _query(sql, "--format", "parquet", "-o", "out.parquet").exit_code == 0
    assert pq.read_table(workdir / "out.parquet").num_rows == 2
    result = _query(sql, "--format", "csv", "-o", "wh.duckdb")
    assert result.exit_code == 2 and "warehouse itself" in result.output


def test_allow_files_opens_local_reads_only(workdir):
    (workdir / "extra.csv").write_text("n\n1\n2\n", encoding="utf-8")
    assert _query("SELECT sum(n) AS s FROM read_csv('extra.csv')").exit_code == 2
    result = _query("SELECT sum(n)::INTEGER AS s FROM read_csv('extra.csv')", "--allow-files", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout.splitlines()[0]) == {"s": 3}
    # still one read-only statement, no network, no extensions
    for sql in ("COPY sources TO 'copy.csv'", "SELECT * FROM 'https://example.org/data.csv'", "LOAD httpfs",
                "SELECT 1; SELECT 2"):
        assert _query(sql, "--allow-files").exit_code == 2, sql
    assert not (workdir / "copy.csv").exists()


def test_the_connection_itself_refuses_files_even_past_the_check(workdir):
    con = open_query_connection(workdir / "wh.duckdb")
    try:
        for sql in ("COPY sources TO 'bypass.csv'", "EXPORT DATABASE 'dump'", "ATTACH 'x.duckdb'",
                    "SELECT * FROM read_csv('/etc/hostname')", "SET enable_external_access = true",
                    "LOAD httpfs"):
            with pytest.raises(duckdb.Error):
                con.execute(sql)
        with pytest.raises(QueryError):
            run_query(con, "SELECT * FROM read_text('trustwatch.toml')")
    finally:
        con.close()
    assert not (workdir / "bypass.csv").exists() and not (workdir / "dump").exists()


def test_a_database_held_by_another_program_is_named_plainly(tmp_path):
    db = tmp_path / "wh.duckdb"
    open_connection(db).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('held', flush=True); "
         "sys.stdin.read()", str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(WarehouseLocked) as info:
            open_connection(db, lock_timeout=0.2)
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    message = str(info.value)
    assert f"PID {holder.pid}" in message and "another program" in message
    assert "trustwatch process" not in message
