"""The timeline commands and library readers: filters, evidence, read-only SQL, exports."""
from __future__ import annotations

import csv
import json

import duckdb
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from trustwatch.cli import app
from trustwatch.config import Config
from trustwatch.warehouse.db import open_connection
from trustwatch.warehouse.export import export
from trustwatch.warehouse.process import process
from trustwatch.warehouse.queries import QueryError, incident_detail, run_query, timeline

from tests.warehouse.wh_helpers import fixture_extractor, fixture_warehouse


@pytest.fixture()
def db(tmp_path):
    path = tmp_path / "wh.duckdb"
    con = fixture_warehouse(path, "*.jsonl")
    cfg = Config()
    cfg.db_override = str(path)
    process(cfg, con, extractor=fixture_extractor())
    con.close()
    return path


def test_timeline_filters_by_party_type_and_dates(db):
    con = open_connection(db, read_only=True)
    try:
        everything = timeline(con)
        assert [r["sort_date"] for r in everything] == sorted(r["sort_date"] for r in everything)
        streamora = timeline(con, actor="Streamora")
        assert {r["type"] for r in streamora} == {"FINE", "APOLOGY", "COMPENSATION"}
        fines = timeline(con, actor="streamora", type="FINE")
        assert [r["event_date"] for r in fines] == ["2023-05-10", "2023-11-20"]
        may = timeline(con, actor="Streamora", type="FINE", since="2023-05-01", until="2023-05-31")
        assert len(may) == 1 and may[0]["amount_disputed"] is True
        assert len(timeline(con, actor="Streamora", type="FINE", since="2023", until="2023")) == 2
        assert len(timeline(con, actor="Streamora", type="FINE", until="2023-05")) == 1
        with pytest.raises(QueryError):
            timeline(con, since="last tuesday")
        assert timeline(con, type="BLOCK,BAN", since="2022", until="2022-12-31")
        assert all(r["type"] in ("BLOCK", "BAN") for r in timeline(con, type="BLOCK,BAN"))
        with pytest.raises(QueryError):
            timeline(con, type="PARKING_TICKET")
    finally:
        con.close()


def test_incident_detail_keeps_both_amounts_with_their_sources(db):
    con = open_connection(db, read_only=True)
    try:
        fine = timeline(con, actor="Streamora", type="FINE", until="2023-06-30")[0]
        detail = incident_detail(con, fine["incident_id"])
        versions = {v["value"]: v["sources"] for v in detail["disagreements"]["amount"]}
        assert versions == {12e6: ["euro-tech-ledger", "screen-business-weekly"], 12.5e6: ["privacy-brief"]}
        assert len(detail["events"]) == 3 and all(e["url"] for e in detail["events"])
        assert incident_detail(con, fine["incident_id"][:12])["incident_id"] == fine["incident_id"]
        assert incident_detail(con, "inc_does_not_exist") is None
    finally:
        con.close()


def test_run_query_refuses_writes_and_reports_bad_sql(db):
    con = open_connection(db, read_only=True)
    try:
        assert run_query(con, "SELECT count(*) AS n FROM incidents").to_pylist()[0]["n"] > 0
        with pytest.raises(QueryError):
            run_query(con, "DELETE FROM incidents")
        with pytest.raises(QueryError):
            run_query(con, "SELECT * FROM no_such_table")
    finally:
        con.close()


def test_exports_round_trip_through_parquet_and_csv(db, tmp_path):
    con = open_connection(db, read_only=True)
    try:
        n_events = con.execute("SELECT count(*) FROM events").fetchall()[0][0]
        n_incidents = con.execute("SELECT count(*) FROM incidents").fetchall()[0][0]
        assert export(con, "events", tmp_path / "ev.parquet", "parquet") == n_events
        assert export(con, "incidents", tmp_path / "inc.csv", "csv") == n_incidents
        assert export(con, "incidents", tmp_path / "inc 2023's.parquet", "parquet", since="2023-01-01",
                      until="2023-12-31") == 4
        with pytest.raises(ValueError):
            export(con, "documents", tmp_path / "x.csv", "csv")
    finally:
        con.close()
    events = pq.read_table(tmp_path / "ev.parquet")
    assert events.num_rows == n_events and "incident_id" in events.column_names
    with open(tmp_path / "inc.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == n_incidents and {"incident_id", "sources", "disagreements"} <= set(rows[0])
    assert pq.read_table(tmp_path / "inc 2023's.parquet").num_rows == 4


def test_commands(db, tmp_path):
    runner = CliRunner()
    base = ["--db", str(db)]
    res = runner.invoke(app, base + ["timeline", "--actor", "Streamora", "--format", "json"])
    assert res.exit_code == 0, res.output
    rows = [json.loads(line) for line in res.stdout.splitlines() if line.strip()]
    assert {r["type"] for r in rows} == {"FINE", "APOLOGY", "COMPENSATION"}

    res = runner.invoke(app, base + ["timeline", "--type", "FINE", "--since", "2023", "--until", "2023"])
    assert res.exit_code == 0 and "FINE" in res.stdout

    res = runner.invoke(app, base + ["incident", rows[0]["incident_id"]])
    assert res.exit_code == 0 and "evidence:" in res.stdout and "https://" in res.stdout

    res = runner.invoke(app, base + ["query", "SELECT type, count(*) AS n FROM incidents GROUP BY type ORDER BY type",
                                     "--format", "csv"])
    assert res.exit_code == 0 and res.stdout.splitlines()[0] == '"type","n"'

    res = runner.invoke(app, base + ["query", "DROP TABLE incidents"])
    assert res.exit_code == 2
    res = runner.invoke(app, base + ["query", "SELECT * FROM timeline", "--format", "parquet",
                                     "-o", str(tmp_path / "t.parquet")])
    assert res.exit_code == 0 and pq.read_table(tmp_path / "t.parquet").num_rows > 0

    res = runner.invoke(app, base + ["export", "incidents", "--format", "csv", "-o", str(tmp_path / "i.csv")])
    assert res.exit_code == 0 and (tmp_path / "i.csv").exists()

    res = runner.invoke(app, base + ["incident", "inc_nothing_like_it"])
    assert res.exit_code == 1
    # the warehouse was never changed by these commands
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM incidents").fetchall()[0][0] > 0
    con.close()


def test_eval_grouping_command_prints_precision_and_recall():
    res = CliRunner().invoke(app, ["eval-grouping", "--mode", "gold", "--min", "0.9"])
    assert res.exit_code == 0, res.output
    assert "precision" in res.stdout and "recall" in res.stdout
