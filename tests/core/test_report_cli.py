"""`trustwatch report`: options, defaults, errors and the 'new since the last report' memory."""
from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timedelta

import pytest
from typer.testing import CliRunner

from tests.core.report_fixtures import FIXTURES, load_fixture
from trustwatch.cli import app
from trustwatch.report.generate import parse_when
from trustwatch.report.data import ReportFilterError
from trustwatch.warehouse.db import open_connection

SPEC = json.loads((FIXTURES / "incidents.json").read_text(encoding="utf-8"))
LAST_PUBLISHED = max(datetime.fromisoformat(e["published"]) for i in SPEC["incidents"] for e in i["evidence"])


@pytest.fixture()
def warehouse(tmp_path, monkeypatch):
    """A warehouse whose newest article is from yesterday (the fixture dates shifted to today)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TRUSTWATCH_DB", raising=False)
    monkeypatch.delenv("TRUSTWATCH_CONFIG", raising=False)
    shift = (date.today() - timedelta(days=1) - LAST_PUBLISHED.date()).days
    db = tmp_path / "w.duckdb"
    con = open_connection(db)
    load_fixture(con, shift_days=shift)
    con.close()
    return db, shift


def _run(*args):
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def _reported_in(days_back: int, shift: int) -> set[str]:
    start = date.today() - timedelta(days=days_back)
    return {i["incident_id"] for i in SPEC["incidents"]
            if any((datetime.fromisoformat(e["published"]) + timedelta(days=shift)).date() >= start
                   for e in i["evidence"])}


def test_report_all_time_json(warehouse, tmp_path):
    db, _ = warehouse
    out = tmp_path / "out" / "r.json"
    result = _run("--db", str(db), "report", "--all-time", "-o", str(out))
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert {i["incident_id"] for i in doc["incidents"]} == {i["incident_id"] for i in SPEC["incidents"]}
    assert str(out) in result.output and f"{len(SPEC['incidents'])} incidents" in result.output


def test_default_period_is_the_configured_last_days(warehouse, tmp_path):
    db, shift = warehouse
    out = tmp_path / "week.csv"
    assert _run("--db", str(db), "report", "-o", str(out)).exit_code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    expected = _reported_in(7, shift)
    assert expected and {r["incident_id"] for r in rows} == expected
    assert len(expected) < len(SPEC["incidents"])


def test_filters_and_format_option(warehouse, tmp_path):
    db, _ = warehouse
    out = tmp_path / "fines.txt"
    result = _run("--db", str(db), "report", "--all-time", "--type", "fine", "--actor", "Chirper",
                  "--format", "md", "-o", str(out))
    assert result.exit_code == 0, result.output
    md = out.read_text(encoding="utf-8")
    assert md.startswith("# ") and "Eastmark data board fines Chirper" in md
    assert "Parcelo sues" not in md


def test_storyline_option_needs_no_period(warehouse, tmp_path):
    db, _ = warehouse
    out = tmp_path / "story.json"
    assert _run("--db", str(db), "report", "--storyline", "story-shopnest-parcelo", "-o", str(out)).exit_code == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert {i["incident_id"] for i in doc["incidents"]} == {"inc-shopnest-block", "inc-parcelo-lawsuit"}


def test_second_report_counts_what_is_new(warehouse, tmp_path):
    db, _ = warehouse
    first = _run("--db", str(db), "report", "--all-time", "-o", str(tmp_path / "a.html"))
    assert "new since" not in first.output
    second = _run("--db", str(db), "report", "--all-time", "-o", str(tmp_path / "b.html"))
    assert "0 new since the last report" in second.output
    html = (tmp_path / "b.html").read_text(encoding="utf-8")
    assert "new since the last report (" in html
    con = open_connection(db)
    assert con.execute("SELECT count(*) FROM report_log").fetchone()[0] == 2
    con.close()
    _run("--db", str(db), "report", "--all-time", "--no-record", "-o", str(tmp_path / "c.html"))
    con = open_connection(db)
    assert con.execute("SELECT count(*) FROM report_log").fetchone()[0] == 2
    con.close()


def test_empty_period_is_not_an_error(warehouse, tmp_path):
    db, _ = warehouse
    out = tmp_path / "empty.html"
    result = _run("--db", str(db), "report", "--since", "2001-01-01", "--until", "2001-01-31", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "0 incidents" in result.output and "No incidents were discovered" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize("args, code, message", [
    (["--type", "FINES"], 2, "unknown incident type"),
    (["--since", "someday"], 2, "not a date"),
    (["--format", "docx"], 2, "unknown report format"),
])
def test_bad_options_fail_clearly(warehouse, tmp_path, args, code, message):
    db, _ = warehouse
    result = CliRunner().invoke(app, ["--db", str(db), "report", *args, "-o", str(tmp_path / "x.html")])
    assert result.exit_code == code
    assert message in result.output
    assert not (tmp_path / "x.html").exists()


def test_missing_warehouse_fails_clearly(tmp_path):
    result = CliRunner().invoke(app, ["--db", str(tmp_path / "none.duckdb"), "report", "-o", str(tmp_path / "r.html")])
    assert result.exit_code == 1 and "no warehouse" in result.output
    assert not (tmp_path / "none.duckdb").exists()


def test_parse_when():
    today = date(2026, 11, 26)
    assert parse_when("7d", today=today) == date(2026, 11, 19)
    assert parse_when("2w", today=today) == date(2026, 11, 12)
    assert parse_when("yesterday", today=today) == date(2026, 11, 25)
    assert parse_when("2026-01-02", today=today) == date(2026, 1, 2)
    assert parse_when("2026-01-02T10:00", today=today) == datetime(2026, 1, 2, 10)
    with pytest.raises(ReportFilterError):
        parse_when("next week", today=today)
