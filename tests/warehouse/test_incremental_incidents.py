"""Incremental incidents: after every kind of change, the update leaves exactly the rows of a full rebuild."""
from __future__ import annotations

import random
from datetime import date, timedelta

from tests.warehouse.wh_helpers import add_documents, event, new_warehouse, snapshot
from trustwatch.warehouse.events import load_events
from trustwatch.warehouse.incidents import build_incidents

TARGETS = ["Quillmart", "Quillmart Live", "Brightbasket", "Zorblax Video", "the Zorblax Video app", None]
AUTHORITIES = ["Zorblax Tax Office", "Harbor Market Regulator", "Harbor Court", None]
TYPES = ["FINE", "BAN", "BLOCK", "APOLOGY", "LAWSUIT"]


def _random_events(rng: random.Random, doc: str, published: date, allow_quillmart: bool) -> list:
    targets = [t for t in TARGETS if allow_quillmart or t != "Quillmart"]
    out = []
    for n in range(rng.randint(0, 3)):
        type_ = rng.choice(TYPES)
        day = published - timedelta(days=rng.choice([0, 1, 3, 20, 400]))
        when = rng.choice([day.isoformat(), day.isoformat()[:7], None])
        amount = (rng.choice([1e6, 1.2e6, 5e6, 9e6]), "CNY") if type_ in ("FINE", "LAWSUIT") and rng.random() < .7 else None
        out.append(event(doc, type_, rng.choice(AUTHORITIES), rng.choice(targets), date=when, amount=amount,
                         status=rng.choice(["asserted", "asserted", "planned", "negated"]), start=40 * n,
                         confidence=rng.choice([0.6, 0.8])))
    return out


def _assert_same_as_full_rebuild(con) -> None:
    incremental = snapshot(con)
    report = build_incidents(con, full=True)
    assert report.mode == "full"
    assert incremental == snapshot(con)


def test_updates_equal_a_full_rebuild_through_new_reports_reextraction_and_removal(tmp_path):
    rng = random.Random(13)
    con = new_warehouse(tmp_path)
    docs: dict[str, date] = {}
    start = date(2023, 1, 1)
    for round_ in range(6):
        # new reports, with the shorter "Quillmart" appearing only later (its long form then merges into it)
        fresh = []
        for n in range(25):
            doc = f"r{round_}d{n}"
            published = start + timedelta(days=rng.randrange(300))
            docs[doc] = published
            fresh.append((doc, rng.choice(["wire-a", "wire-b", "wire-c"]), f"{published.isoformat()}T08:00:00"))
        add_documents(con, fresh)
        events = [e for doc, _, _ in fresh for e in _random_events(rng, doc, docs[doc], round_ >= 3)]
        load_events(con, [d for d, _, _ in fresh], events, "v1")
        # re-extraction of older reports: events change, vanish, or a document loses all of them
        if round_:
            again = rng.sample(sorted(d for d in docs if not d.startswith(f"r{round_}d")), 12)
            redone = []
            for doc in again:
                redone += [] if rng.random() < 0.3 else _random_events(rng, doc, docs[doc], round_ >= 3)
            load_events(con, again, redone, f"v{round_ + 1}")
        report = build_incidents(con)
        assert report.mode == ("full" if round_ == 0 else "incremental")
        _assert_same_as_full_rebuild(con)
    assert con.execute("SELECT count(*) FROM incidents").fetchall()[0][0] > 50
    assert con.execute("SELECT count(*) FROM storylines").fetchall()[0][0] > 0


def test_an_update_with_nothing_new_writes_nothing_and_rewrites_only_what_changed(tmp_path):
    con = new_warehouse(tmp_path)
    add_documents(con, [("a1", "wire-a", "2024-03-02T08:00:00"), ("b1", "wire-b", "2024-03-03T08:00:00"),
                        ("c1", "wire-c", "2024-09-01T08:00:00")])
    load_events(con, ["a1", "b1", "c1"], [
        event("a1", "FINE", "Zorblax Tax Office", "Quillmart", date="2024-03-01", amount=(5e6, "CNY")),
        event("b1", "FINE", "Zorblax Tax Office", "Quillmart", date="2024-03-01", amount=(5e6, "CNY")),
        event("c1", "BAN", "Zorblax Video", "Brightbasket", date="2024-09-01")], "v1")
    build_incidents(con)
    again = build_incidents(con)
    assert (again.mode, again.written, again.removed) == ("incremental", 0, 0)
    # a report of the fine changes its amount: only the fine's incident is rewritten, under the same id
    fine_id = con.execute("SELECT incident_id FROM incidents WHERE type = 'FINE'").fetchall()[0][0]
    load_events(con, ["b1"], [event("b1", "FINE", "Zorblax Tax Office", "Quillmart", date="2024-03-01",
                                    amount=(6e6, "CNY"))], "v2")
    changed = build_incidents(con)
    assert (changed.written, changed.removed) == (1, 0)
    row = con.execute("SELECT incident_id, amount_disputed FROM incidents WHERE type = 'FINE'").fetchall()
    assert row == [(fine_id, True)]
    # the only report of the ban loses it: the incident goes
    load_events(con, ["c1"], [], "v2")
    gone = build_incidents(con)
    assert (gone.written, gone.removed) == (0, 1)
    assert con.execute("SELECT type FROM incidents").fetchall() == [("FINE",)]
    _assert_same_as_full_rebuild(con)


def test_changed_grouping_settings_rebuild_everything(tmp_path):
    con = new_warehouse(tmp_path)
    add_documents(con, [("a1", "wire-a", "2024-03-02T08:00:00"), ("b1", "wire-b", "2024-03-12T08:00:00")])
    load_events(con, ["a1", "b1"], [event("a1", "BAN", "Zorblax Video", "Quillmart", date="2024-03-01"),
                                    event("b1", "BAN", "Zorblax Video", "Quillmart", date="2024-03-11")], "v1")
    assert build_incidents(con, window_days=14).incidents == 1
    narrow = build_incidents(con, window_days=3)
    assert (narrow.mode, narrow.incidents) == ("full", 2)


def test_rebuild_incidents_command_regroups_everything(tmp_path):
    from typer.testing import CliRunner

    from trustwatch.cli import app

    db = tmp_path / "wh.duckdb"
    con = new_warehouse(tmp_path)
    add_documents(con, [("a1", "wire-a", "2024-03-02T08:00:00")])
    load_events(con, ["a1"], [event("a1", "BAN", "Zorblax Video", "Quillmart", date="2024-03-01")], "v1")
    build_incidents(con)
    before = snapshot(con)
    con.close()
    result = CliRunner().invoke(app, ["--db", str(db), "rebuild-incidents"])
    assert result.exit_code == 0, result.output
    assert "1 incidents from 1 events" in result.output
    con = new_warehouse(tmp_path)
    assert snapshot(con) == before
