"""Loading events: deterministic ids, replacement of older versions, parties and actors."""
from __future__ import annotations

from trustwatch.warehouse.actors import merge_provisional, normalize_party, provisional_id
from trustwatch.warehouse.events import load_events

from tests.warehouse.wh_helpers import add_documents, event, new_warehouse


def _events(con):
    return con.execute("SELECT event_id, doc_id, type, target_id, extractor_version FROM events "
                       "ORDER BY event_id").fetchall()


def test_event_ids_are_deterministic_and_versions_replace_each_other(tmp_path):
    con = new_warehouse(tmp_path)
    add_documents(con, [("d1", "outlet-a", "2022-02-24T10:00:00"), ("d2", "outlet-b", "2022-02-25T10:00:00")])
    evs = [event("d1", "FINE", "Zorblax Tax Office", "Quillfeather Live", amount=(5e6, "CNY"), start=10),
           event("d1", "BAN", "Zorblax Video", "Quillfeather Live", start=80),
           event("d2", "FINE", "Zorblax Tax Office", "Quillfeather Live", start=5)]
    first = load_events(con, ["d1", "d2"], evs, "v1")
    assert first.events == 3 and first.replaced == 0
    rows_v1 = _events(con)
    assert {r[4] for r in rows_v1} == {"v1"}
    assert con.execute("SELECT count(*) FROM documents WHERE extractor_version = 'v1'").fetchall()[0][0] == 2

    # the same events again under a new version: same ids, nothing duplicated, version updated
    again = load_events(con, ["d1", "d2"], evs, "v2")
    assert again.replaced == 3
    rows_v2 = _events(con)
    assert [r[:4] for r in rows_v2] == [r[:4] for r in rows_v1]
    assert {r[4] for r in rows_v2} == {"v2"}

    # a re-extraction that finds fewer events in d1 removes the one it no longer finds
    load_events(con, ["d1"], evs[:1], "v3")
    assert con.execute("SELECT count(*) FROM events WHERE doc_id = 'd1'").fetchall()[0][0] == 1
    assert con.execute("SELECT count(*) FROM events WHERE doc_id = 'd2'").fetchall()[0][0] == 1


def test_a_document_without_events_is_marked_extracted_and_loses_old_events(tmp_path):
    con = new_warehouse(tmp_path)
    add_documents(con, [("d1", "outlet-a", "2022-02-24T10:00:00")])
    load_events(con, ["d1"], [event("d1", "BAN", "Zorblax Video", "Quillfeather Live")], "v1")
    load_events(con, ["d1"], [], "v2")
    assert con.execute("SELECT count(*) FROM events").fetchall()[0][0] == 0
    assert con.execute("SELECT extractor_version FROM documents").fetchall() == [("v2",)]


def test_repeated_event_in_one_document_is_loaded_once_keeping_the_surer_reading(tmp_path):
    con = new_warehouse(tmp_path)
    add_documents(con, [("d1", "outlet-a", "2022-02-24T10:00:00")])
    report = load_events(con, ["d1"], [
        event("d1", "BAN", "Zorblax Video", "Quillfeather Live", start=7, confidence=0.4),
        event("d1", "BAN", "Zorblax Video", "Quillfeather Live", start=7, confidence=0.9, sentence="surer"),
    ], "v1")
    assert report.duplicates == 1
    assert con.execute("SELECT sentence, confidence FROM events").fetchall() == [("surer", 0.9)]


def test_unknown_parties_get_provisional_ids_and_actor_rows(tmp_path):
    con = new_warehouse(tmp_path)
    add_documents(con, [("d1", "outlet-a", "2022-02-24T10:00:00")])
    load_events(con, ["d1"], [
        event("d1", "BAN", "Zorblax Video Ltd.", "Quillfeather's account"),
        event("d1", "APOLOGY", "the company", None, start=50),
    ], "v1")
    rows = con.execute("SELECT type, actor_id, target_id FROM events ORDER BY type").fetchall()
    assert rows == [("APOLOGY", None, None), ("BAN", "prov:zorblax-video", "prov:quillfeather")]
    actors = con.execute("SELECT actor_id, name, provisional FROM actors ORDER BY actor_id").fetchall()
    assert actors == [("prov:quillfeather", "Quillfeather's account", True),
                      ("prov:zorblax-video", "Zorblax Video Ltd.", True)]


def test_given_canonical_ids_are_kept(tmp_path):
    con = new_warehouse(tmp_path)
    add_documents(con, [("d1", "outlet-a", "2022-02-24T10:00:00")])
    load_events(con, ["d1"], [event("d1", "BLOCK", "Kuaishou", "JD", actor_id="kuaishou", target_id="jd")], "v1")
    assert con.execute("SELECT actor_id, target_id FROM events").fetchall() == [("kuaishou", "jd")]
    assert con.execute("SELECT provisional FROM actors WHERE actor_id = 'jd'").fetchall() == [(False,)]


def test_party_normalization():
    assert normalize_party("The Quillfeather Group Inc.") == "quillfeather group"
    assert normalize_party("JD.com") == "jd"
    assert normalize_party("Pingrong’s account") == "pingrong"
    assert normalize_party("the company") is None
    assert normalize_party("  ") is None
    assert provisional_id("Zorblax Video") == "prov:zorblax-video"
    mapping = merge_provisional(["prov:pingrong", "prov:live-streamer-pingrong", "prov:pingrong-kuaishou",
                                 "prov:taobao", "prov:the-users-x"])
    assert mapping == {"prov:live-streamer-pingrong": "prov:pingrong", "prov:pingrong-kuaishou": "prov:pingrong"}
