"""Storylines: which parties link incidents, the window, and the order of a story."""
from __future__ import annotations

from trustwatch.warehouse.events import load_events
from trustwatch.warehouse.incidents import build_incidents

from tests.warehouse.wh_helpers import add_documents, event, new_warehouse

DOCS = [(f"d{n}", f"outlet-{n % 3}", f"2023-0{1 + n // 4}-{10 + n % 4:02d}T08:00:00") for n in range(12)]


def _build(tmp_path, events, window=60):
    con = new_warehouse(tmp_path)
    add_documents(con, DOCS)
    load_events(con, [d for d, _, _ in DOCS], events, "v1")
    build_incidents(con, storyline_window_days=window)
    return con


def _stories(con):
    rows = con.execute("SELECT storyline_id, storyline_seq, type, key_party FROM incidents "
                       "WHERE storyline_id IS NOT NULL ORDER BY storyline_id, storyline_seq").fetchall()
    out: dict[str, list] = {}
    for sid, _, type_, party in rows:
        out.setdefault(sid, []).append((type_, party))
    return list(out.values())


def test_a_platform_blocking_and_banning_links_its_incidents_in_time_order(tmp_path):
    con = _build(tmp_path, [
        event("d0", "BAN", "Zorblax Video", "Quillfeather", date="2023-01-20"),
        event("d1", "FINE", "Tax Office of Zorblax", "Quillfeather", date="2023-01-05", amount=(5e6, "CNY")),
        event("d2", "APOLOGY", "Quillfeather", "her fans", date="2023-01-07"),
        event("d3", "BLOCK", "Zorblax Video", "Brightbasket", date="2023-02-01"),
        event("d4", "COMPENSATION", "Zorblax Video", "buyers", date="2023-01-25"),
    ])
    stories = _stories(con)
    assert len(stories) == 1
    assert [t for t, _ in stories[0]] == ["FINE", "APOLOGY", "BAN", "COMPENSATION", "BLOCK"]
    row = con.execute("SELECT n_incidents, first_date, last_date, types FROM storylines").fetchall()[0]
    assert row == (5, "2023-01-05", "2023-02-01", ["FINE", "APOLOGY", "BAN", "COMPENSATION", "BLOCK"])


def test_one_regulator_or_one_kind_of_receiver_does_not_link_unrelated_stories(tmp_path):
    con = _build(tmp_path, [
        event("d0", "FINE", "Market Regulator of Zorblax", "Quillmart", date="2023-01-10"),
        event("d1", "FINE", "Market Regulator of Zorblax", "Brightbasket", date="2023-01-12"),
        event("d2", "APOLOGY", "Quillmart", "parents", date="2023-01-15"),
        event("d3", "APOLOGY", "Brightbasket", "parents", date="2023-01-16"),
        event("d4", "ACCUSATION", "Fair Shop Alliance", "Quillmart", date="2023-01-03"),
        event("d5", "ACCUSATION", "Fair Shop Alliance", "Brightbasket", date="2023-01-04"),
    ])
    stories = sorted(sorted(t for t, _ in s) for s in _stories(con))
    assert stories == [["ACCUSATION", "APOLOGY", "FINE"], ["ACCUSATION", "APOLOGY", "FINE"]]
    parties = [set(p for _, p in s) for s in _stories(con)]
    assert all(len(p) == 1 for p in parties)


def test_incidents_further_apart_than_the_window_are_separate_stories(tmp_path):
    con = _build(tmp_path, [
        event("d0", "FINE", "Tax Office of Zorblax", "Quillfeather", date="2023-01-05"),
        event("d1", "APOLOGY", "Quillfeather", None, date="2023-01-07"),
        event("d2", "BAN", "Zorblax Video", "Quillfeather", date="2023-03-20"),
        event("d3", "BAN", "Zorblax Video", "Quillfeather", date="2023-03-21"),
    ], window=30)
    assert [[t for t, _ in s] for s in _stories(con)] == [["FINE", "APOLOGY"]]
    lonely = con.execute("SELECT type, storyline_id FROM incidents WHERE type = 'BAN'").fetchall()
    assert lonely == [("BAN", None)]
