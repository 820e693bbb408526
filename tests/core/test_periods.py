"""One period parser for every command; reports by date discovered, published or of the event."""
from __future__ import annotations

import json
from datetime import date

import pytest
from typer.testing import CliRunner

from tests.warehouse.wh_helpers import add_documents, event
from trustwatch.cli import app
from trustwatch.periods import PeriodError, parse_bound
from trustwatch.textutil import html_to_text
from trustwatch.warehouse.db import open_connection
from trustwatch.warehouse.events import load_events
from trustwatch.warehouse.incidents import build_incidents

TODAY = date(2026, 11, 30)


@pytest.mark.parametrize("text, end, expected", [
    ("7d", False, date(2026, 11, 23)), ("2w", False, date(2026, 11, 16)), ("1y", False, date(2025, 11, 30)),
    ("2022", False, date(2022, 1, 1)), ("2022", True, date(2022, 12, 31)),
    ("2024-02", False, date(2024, 2, 1)), ("2024-02", True, date(2024, 2, 29)),
    ("2022-03-04", True, date(2022, 3, 4)), ("today", False, TODAY), ("Yesterday", False, date(2026, 11, 29)),
])
def test_one_parser_reads_spans_years_months_and_days(text, end, expected):
    assert parse_bound(text, end=end, today=TODAY) == expected


@pytest.mark.parametrize("bad", ["last week", "2022-13", "7x", "20222"])
def test_an_unreadable_bound_names_the_accepted_forms(bad):
    with pytest.raises(PeriodError, match="7d"):
        parse_bound(bad, today=TODAY)


def test_content_encoded_keeps_paragraphs_and_the_heading_apart_from_the_body():
    text = html_to_text("<h2>Regulator fines ShopNest</h2><p>The regulator fined\n ShopNest.</p>"
                        "<p>It will appeal.<br>Shares fell.</p>")
    assert text == "Regulator fines ShopNest\n\nThe regulator fined ShopNest.\n\nIt will appeal.\nShares fell."


@pytest.fixture()
def archive(tmp_path, monkeypatch):
    """Articles published in 2022, first fetched (discovered) on 1 Jan 2026."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TRUSTWATCH_CONFIG", raising=False)
    monkeypatch.delenv("TRUSTWATCH_DB", raising=False)
    db = tmp_path / "wh.duckdb"
    con = open_connection(db)
    docs = [("a1", "wire", "2022-03-02T08:00:00"), ("a2", "wire", "2022-05-02T08:00:00"),
            ("a3", "paper", "2022-05-03T08:00:00")]
    add_documents(con, docs)
    load_events(con, [d for d, _, _ in docs], [
        event("a1", "FINE", "SAMR", "ShopNest", date="2022-03-01", amount=(1e6, "CNY")),
        event("a2", "BAN", "StreamHive", "NovaPlays", date="2022-05-01"),
        event("a3", "FINE", "FTC", "PixelChat", date="2021-12-30", amount=(2e6, "USD"))], "test-1")
    build_incidents(con)
    con.close()
    return db


def _ids(db, *args):
    result = CliRunner().invoke(app, ["--db", str(db), "report", "-o", "r.json", "--no-record", *args])
    assert result.exit_code == 0, result.output
    doc = json.loads(open("r.json", encoding="utf-8").read())
    return sorted(i["actor"]["name"] for i in doc["incidents"])


def test_reports_count_discovered_by_default_and_published_or_event_on_request(archive):
    assert _ids(archive, "--since", "2026-01-01") == ["FTC", "SAMR", "StreamHive"]  # a first run's finds
    assert _ids(archive, "--since", "2026-01-01", "--by", "published") == []
    assert _ids(archive, "--since", "2022", "--until", "2022", "--by", "published") == ["FTC", "SAMR", "StreamHive"]
    assert _ids(archive, "--since", "2022", "--by", "event") == ["SAMR", "StreamHive"]
    assert _ids(archive, "--since", "2022-05", "--until", "2022-05", "--by", "published") == ["FTC", "StreamHive"]
    bad = CliRunner().invoke(app, ["--db", str(archive), "report", "--by", "fetched"])
    assert bad.exit_code == 2 and "--by must be one of" in bad.output


def test_every_command_with_a_period_reads_the_same_forms(archive):
    for args in (["timeline", "--since", "2022", "--until", "2022-04", "-f", "json"],
                 ["export", "incidents", "-f", "csv", "-o", "x.csv", "--since", "2022"],
                 ["report", "--since", "2022", "-o", "r.md", "--no-record"],
                 ["timeline", "--since", "1000d", "-f", "json"]):
        result = CliRunner().invoke(app, ["--db", str(archive), *args])
        assert result.exit_code == 0, (args, result.output)
    result = CliRunner().invoke(app, ["--db", str(archive), "timeline", "--since", "2022", "--until", "2022-04",
                                      "-f", "json"])
    assert [json.loads(line)["actor"] for line in result.stdout.splitlines()] == ["SAMR"]
    for cmd in (["timeline"], ["export", "incidents", "-o", "x.csv"], ["report"]):
        bad = CliRunner().invoke(app, ["--db", str(archive), *cmd, "--since", "last week"])
        assert bad.exit_code == 2 and "not a date" in bad.output, (cmd, bad.output)


def test_a_report_file_with_an_unknown_suffix_is_refused(archive, tmp_path):
    result = CliRunner().invoke(app, ["--db", str(archive), "report", "--all-time", "-o", "x.docx"])
    assert result.exit_code == 2 and "x.docx" in result.output and ".html" in result.output
    assert not (tmp_path / "x.docx").exists()


def test_an_ambiguous_incident_prefix_lists_the_matches(archive):
    result = CliRunner().invoke(app, ["--db", str(archive), "incident", "inc_"])
    assert result.exit_code == 2 and "ambiguous" in result.output
    assert result.output.count("inc_") >= 4  # the prefix and the three matches
    con = open_connection(archive)
    first = con.execute("SELECT incident_id FROM incidents ORDER BY 1 LIMIT 1").fetchone()[0]
    con.close()
    shown = CliRunner().invoke(app, ["--db", str(archive), "incident", first[:14]])
    assert shown.exit_code == 0 and first in shown.output
