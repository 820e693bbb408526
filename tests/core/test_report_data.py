"""build_report reads the right incidents, with their evidence, from the base tables."""
from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime, timedelta

import pytest

from tests.core.report_fixtures import FIXTURES, insert_rows, load_fixture
from trustwatch.report.data import (ReportFilterError, anchor_for, build_report, format_amount,
                                    format_event_date, record_report, safe_url)
from trustwatch.warehouse.db import open_connection

SPEC = json.loads((FIXTURES / "incidents.json").read_text(encoding="utf-8"))


@pytest.fixture()
def con(tmp_path):
    c = open_connection(tmp_path / "w.duckdb")
    load_fixture(c)
    yield c
    c.close()


def _published_in(inc: dict, since: date, until: date) -> bool:
    return any(since <= datetime.fromisoformat(e["published"]).date() <= until for e in inc["evidence"])


def test_all_incidents_with_counts_by_type(con):
    data = build_report(con)
    assert {it.incident_id for it in data.incidents} == {i["incident_id"] for i in SPEC["incidents"]}
    expected = Counter(i["type"] for i in SPEC["incidents"])
    assert {tc.type: tc.count for tc in data.summary.by_type} == dict(expected)
    counts = [tc.count for tc in data.summary.by_type]
    assert counts == sorted(counts, reverse=True)


def test_most_involved_parties_count_actor_and_target(con):
    data = build_report(con)
    involved = Counter()
    for inc in SPEC["incidents"]:
        for key in {inc.get("actor_id") or inc.get("actor_text"), inc.get("target_id") or inc.get("target_text")} - {None}:
            involved[key] += 1
    top = data.summary.top_actors
    assert top[0].count == max(involved.values())
    by_key = {(a.id or a.name): a.count for a in top}
    for key, n in involved.items():
        if key in by_key:
            assert by_key[key] == n
    # ids resolve to gazetteer names
    assert "Chirper" in {a.name for a in top}


def test_period_selects_incidents_reported_in_it(con):
    since, until = date(2026, 11, 10), date(2026, 11, 18)
    data = build_report(con, since=since, until=until)
    expected = {i["incident_id"] for i in SPEC["incidents"] if _published_in(i, since, until)}
    assert expected and {it.incident_id for it in data.incidents} == expected
    assert "10 Nov 2026" in data.period_display and "18 Nov 2026" in data.period_display


def test_until_date_includes_that_whole_day(con):
    # the apology's two articles were published on 5 Nov at 16:40 and 18:10
    data = build_report(con, since="2026-11-05", until="2026-11-05")
    assert "inc-chirper-apology" in {it.incident_id for it in data.incidents}


@pytest.mark.parametrize("actor, expected_id", [
    ("the data board", "eastmark-dpb"),      # alias
    ("SHOPNEST", "shopnest"),                # name, any case
    ("tallybook", "tallybook"),              # id
])
def test_actor_filter_matches_id_name_and_alias(con, actor, expected_id):
    data = build_report(con, actor=actor)
    expected = {i["incident_id"] for i in SPEC["incidents"]
                if expected_id in (i.get("actor_id"), i.get("target_id"))}
    assert expected and {it.incident_id for it in data.incidents} == expected


def test_actor_filter_matches_unlinked_party_text(con):
    data = build_report(con, actor="nightowlplays")
    assert [it.incident_id for it in data.incidents] == ["inc-streamly-ban"]


def test_type_filter_accepts_several_and_rejects_unknown(con):
    data = build_report(con, type=["fine", "BAN,breach"])
    assert {it.type for it in data.incidents} == {"FINE", "BAN", "BREACH"}
    assert data.filters.types == ["FINE", "BAN", "BREACH"]
    with pytest.raises(ReportFilterError, match="unknown incident type"):
        build_report(con, type="FINES")


def test_storyline_filter_and_ordered_sequence(con):
    data = build_report(con, storyline="story-chirper-dpb")
    assert {it.storyline_id for it in data.incidents} == {"story-chirper-dpb"}
    (story,) = data.storylines
    assert story.title == "Chirper and the Eastmark data board"
    assert [s.incident_id for s in story.steps] == ["inc-chirper-probe", "inc-chirper-fine", "inc-chirper-apology"]


def test_storyline_shows_incidents_outside_the_period_as_context(con):
    data = build_report(con, since="2026-11-01", until="2026-11-30")
    story = next(s for s in data.storylines if s.storyline_id == "story-chirper-dpb")
    steps = {s.incident_id: s.in_report for s in story.steps}
    assert steps == {"inc-chirper-probe": False, "inc-chirper-fine": True, "inc-chirper-apology": True}


def test_incident_fields_and_evidence(con):
    data = build_report(con)
    fine = next(it for it in data.incidents if it.incident_id == "inc-chirper-fine")
    assert fine.amount_display == "EUR 4.2 million"
    assert fine.date_display == "3 Nov 2026" and fine.date_precision == "day"
    assert fine.actor.name == "Eastmark Data Protection Board" and fine.target.name == "Chirper"
    assert fine.n_sources == 3 and fine.n_documents == 3
    assert fine.first_seen == datetime(2026, 11, 3, 8, 30) and fine.last_seen == datetime(2026, 11, 6, 7)
    assert fine.disagreements == ["amount: EUR 4.2 million (eastmark-dpb-press, harbor-tech-news)"
                                  " vs EUR 4 million (byteline-weekly)"]
    # evidence in publication order, each with its source, date and link
    assert [e.sources[0].source for e in fine.evidence] == ["eastmark-dpb-press", "harbor-tech-news", "byteline-weekly"]
    assert all(e.sources[0].url.startswith("https://") and e.sources[0].published for e in fine.evidence)


def test_identical_sentences_are_one_quote_with_every_source(con):
    data = build_report(con)
    apology = next(it for it in data.incidents if it.incident_id == "inc-chirper-apology")
    assert len(apology.evidence) == 1
    assert [s.source for s in apology.evidence[0].sources] == ["harbor-tech-news", "civic-ledger"]


def test_month_precision_dates(con):
    data = build_report(con)
    probe = next(it for it in data.incidents if it.incident_id == "inc-chirper-probe")
    assert probe.date_display == "September 2026" and probe.date_precision == "month"
    assert probe.chart_date == date(2026, 9, 1)


def test_unsafe_links_are_dropped(tmp_path):
    c = open_connection(tmp_path / "h.duckdb")
    load_fixture(c, "hostile.json")
    (it,) = build_report(c).incidents
    urls = [s.url for e in it.evidence for s in e.sources]
    assert urls == [None, None, 'https://evil.example/page?a=1&b="quoted"']
    assert it.anchor.startswith("incident-") and set(it.anchor) <= set("abcdefghijklmnopqrstuvwxyz0123456789-_")
    c.close()


def test_new_since_last_report_of_the_same_scope(con):
    first = build_report(con, now=datetime(2026, 11, 26, 7))
    assert first.summary.n_new is None and not any(it.is_new for it in first.incidents)
    record_report(con, first, "html", "r.html")
    # a new incident whose article was fetched after the first report
    insert_rows(con, "documents", [dict(doc_id="d-new", source="civic-ledger", url="https://civic-ledger.example/n",
                                        canonical_url="https://civic-ledger.example/n", published=datetime(2026, 11, 26, 8),
                                        content_hash="h-new", fetched_at=datetime(2026, 11, 26, 8, 5))])
    insert_rows(con, "events", [dict(event_id="e-new", doc_id="d-new", type="FINE", status="asserted",
                                     sentence="A new fine was announced.", start_char=0, end_char=25,
                                     extractor_version="fixture-1")])
    insert_rows(con, "incidents", [dict(incident_id="inc-new", type="FINE", status="asserted",
                                        first_seen=datetime(2026, 11, 26, 8), last_seen=datetime(2026, 11, 26, 8),
                                        n_documents=1, n_sources=1)])
    insert_rows(con, "incident_events", [dict(incident_id="inc-new", event_id="e-new")])
    second = build_report(con, now=datetime(2026, 11, 27, 7))
    assert second.summary.previous_report_at == datetime(2026, 11, 26, 7)
    assert second.summary.n_new == 1
    assert [it.incident_id for it in second.incidents if it.is_new] == ["inc-new"]
    # another scope has no earlier report
    assert build_report(con, type="FINE", now=datetime(2026, 11, 27, 7)).summary.n_new is None


def test_incident_without_linked_events_uses_first_and_last_seen(con):
    insert_rows(con, "incidents", [dict(incident_id="inc-bare", type="BAN", status="asserted",
                                        actor_text="Somebody", first_seen=datetime(2026, 12, 2, 9),
                                        last_seen=datetime(2026, 12, 3, 9), n_documents=0, n_sources=0)])
    data = build_report(con, since="2026-12-01", until="2026-12-31")
    assert [it.incident_id for it in data.incidents] == ["inc-bare"]
    assert data.incidents[0].headline == "Ban: Somebody" and data.incidents[0].evidence == []


def test_empty_period_is_an_empty_report(con):
    data = build_report(con, since="2031-01-01", until="2031-01-31")
    assert data.is_empty and data.summary.n_incidents == 0 and data.storylines == []
    assert data.period_display == "1 Jan 2031 – 31 Jan 2031"


def test_period_must_not_be_reversed(con):
    with pytest.raises(ReportFilterError):
        build_report(con, since="2026-11-10", until="2026-11-01")
    with pytest.raises(ReportFilterError):
        build_report(con, since="last tuesday")


@pytest.mark.parametrize("url, ok", [
    ("https://a.example/x?y=1", True), ("http://a.example", True), ("HTTPS://A.EXAMPLE/", True),
    ("javascript:alert(1)", False), ("JaVaScRiPt:alert(1)", False), ("data:text/html,x", False),
    ("file:///etc/passwd", False), ("//a.example/x", False), ("https://a.example/\nx", False),
    ("https:///nohost", False), ("vbscript:x", False), ("", False), (None, False),
])
def test_safe_url(url, ok):
    assert (safe_url(url) is not None) is ok


def test_formatting_helpers():
    assert format_event_date("2026-03", "month") == "March 2026"
    assert format_event_date("2026", "year") == "2026"
    assert format_event_date("2026-03-04", "day") == "4 Mar 2026"
    assert format_event_date("not a date", None) == "not a date"
    assert format_amount(25, "USD") == "USD 25"
    assert format_amount(1_250_000_000, "eur") == "EUR 1.25 billion"
    assert format_amount(12.5, None) == "12.50"
    assert anchor_for("abc-123") == "incident-abc-123"
    assert anchor_for("a b") != anchor_for("a-b")


def test_footer_facts(con):
    data = build_report(con)
    assert data.extractor_versions == [SPEC["extractor_version"]]
    assert data.n_sources_watched == len(SPEC["sources"])
    names = {s.name for s in data.sources}
    assert names == {e["source"] for i in SPEC["incidents"] for e in i["evidence"]}
    assert "quiet-source" not in names  # watched, but no evidence
    empty = build_report(con, since="2031-01-01")
    assert empty.sources == [] and empty.extractor_versions == [SPEC["extractor_version"]]


def test_date_disagreements_read_as_dates():
    from trustwatch.report.data import _parse_disagreements

    raw = json.dumps({"event_date": [{"value": "2026-03-04", "precision": "day", "sources": ["a"]},
                                     {"value": "2026-05", "precision": "month", "sources": ["b", "c"]}]})
    assert _parse_disagreements(raw) == ["date: 4 Mar 2026 (a) vs May 2026 (b, c)"]
    assert _parse_disagreements(None) == [] and _parse_disagreements("not json") == ["not json"]
