"""Grouping events into incidents: the matching rules, disagreements and stable ids."""
from __future__ import annotations

import json

from trustwatch.warehouse.events import load_events
from trustwatch.warehouse.incidents import amounts_compatible, build_incidents, date_range, parties_compatible

from tests.warehouse.wh_helpers import add_documents, event, new_warehouse

DOCS = [("a1", "outlet-a", "2022-02-24T09:00:00"), ("b1", "outlet-b", "2022-02-25T09:00:00"),
        ("c1", "outlet-c", "2022-03-02T09:00:00"), ("d1", "outlet-d", "2022-06-10T09:00:00"),
        ("e1", "outlet-a", "2022-02-26T09:00:00")]


def _warehouse(tmp_path, events, version="v1"):
    con = new_warehouse(tmp_path)
    add_documents(con, DOCS)
    load_events(con, [d for d, _, _ in DOCS], events, version)
    build_incidents(con, window_days=14)
    return con


def _incidents(con):
    return con.execute("SELECT type, status, target_id, n_documents, n_sources, event_date FROM incidents "
                       "ORDER BY type, target_id, event_date").fetchall()


def test_reports_of_one_event_from_several_outlets_are_one_incident(tmp_path):
    con = _warehouse(tmp_path, [
        event("a1", "FINE", "Zorblax Tax Office", "Quillfeather", amount=(62.03e6, "CNY"), date="2022-02-22"),
        event("b1", "FINE", "the tax office of Zorblax", "Quillfeather", amount=(62.03e6, "CNY"), date="2022-02-22"),
        event("c1", "FINE", None, "Quillfeather", amount=(62.03e6, "CNY"), date="2022-02"),
    ])
    assert _incidents(con) == [("FINE", "asserted", "prov:quillfeather", 3, 3, "2022-02-22")]
    row = con.execute("SELECT amount_value, amount_currency, first_seen, last_seen, amount_disputed, "
                      "date_disputed, sources FROM incidents").fetchall()[0]
    assert row[0] == 62.03e6 and row[1] == "CNY"
    assert (str(row[2]), str(row[3])) == ("2022-02-24 09:00:00", "2022-03-02 09:00:00")
    assert row[4] is False and row[5] is False
    assert row[6] == ["outlet-a", "outlet-b", "outlet-c"]
    assert con.execute("SELECT count(*) FROM incident_events").fetchall()[0][0] == 3
    headline = con.execute("SELECT headline FROM incidents").fetchall()[0][0]
    assert headline in {r[0] for r in con.execute("SELECT sentence FROM events").fetchall()}


def test_a_planned_block_and_its_taking_effect_are_one_incident(tmp_path):
    con = _warehouse(tmp_path, [
        event("a1", "BLOCK", "Zorblax Video", "Quillmart", status="planned", date="2022-03-01"),
        event("c1", "BLOCK", "Zorblax Video", "Quillmart", status="asserted", date="2022-03-01"),
        event("d1", "BLOCK", "Zorblax Video", "Quillmart", status="asserted", date="2022-06-09"),
    ])
    assert _incidents(con) == [("BLOCK", "asserted", "prov:quillmart", 2, 2, "2022-03-01"),
                               ("BLOCK", "asserted", "prov:quillmart", 1, 1, "2022-06-09")]


def test_only_a_plan_stays_planned_and_negated_or_hypothetical_make_no_incident(tmp_path):
    con = _warehouse(tmp_path, [
        event("a1", "BLOCK", "Zorblax Video", "Quillmart", status="planned", date="2022-03-01"),
        event("b1", "FINE", "Zorblax Tax Office", "Quillmart", status="negated"),
        event("c1", "BAN", "Zorblax Video", "Quillmart", status="hypothetical"),
    ])
    assert _incidents(con) == [("BLOCK", "planned", "prov:quillmart", 1, 1, "2022-03-01")]
    assert con.execute("SELECT count(*) FROM events").fetchall()[0][0] == 3


def test_different_targets_types_windows_and_actors_stay_apart(tmp_path):
    con = _warehouse(tmp_path, [
        event("a1", "BLOCK", "Zorblax Video", "Quillmart", date="2022-03-01"),
        event("a1", "BLOCK", "Zorblax Video", "Brightbasket", date="2022-03-01", start=100),
        event("b1", "BAN", "Zorblax Video", "Quillmart", date="2022-03-01"),
        # the same target blocked months later: another incident
        event("d1", "BLOCK", "Zorblax Video", "Quillmart", date="2022-06-09"),
        # the same target, same days, but a different known blocker
        event("e1", "BLOCK", "Tencent", "Quillmart", actor_id="tencent", date="2022-03-01"),
        event("c1", "BLOCK", "Alibaba", "Quillmart", actor_id="alibaba", date="2022-03-01"),
    ])
    counts = con.execute("SELECT type, target_id, count(*) FROM incidents GROUP BY ALL ORDER BY ALL").fetchall()
    assert counts == [("BAN", "prov:quillmart", 1), ("BLOCK", "prov:brightbasket", 1), ("BLOCK", "prov:quillmart", 4)]
    blockers = sorted(r[0] or "" for r in con.execute(
        "SELECT actor_id FROM incidents WHERE type = 'BLOCK' AND target_id = 'prov:quillmart' "
        "AND event_date = '2022-03-01'").fetchall())
    assert blockers == ["alibaba", "prov:zorblax-video", "tencent"]


def test_incompatible_amounts_split_and_close_amounts_are_kept_as_a_dispute(tmp_path):
    con = _warehouse(tmp_path, [
        event("a1", "FINE", "Zorblax Tax Office", "Quillfeather", amount=(62.03e6, "CNY"), date="2022-02-22"),
        event("b1", "FINE", "Zorblax Tax Office", "Quillfeather", amount=(60e6, "CNY"), date="2022-02-22"),
        event("e1", "FINE", "Zorblax Tax Office", "Quillfeather", amount=(62.03e6, "CNY"), date="2022-02-23"),
        event("c1", "FINE", "Zorblax Tax Office", "Quillfeather", amount=(900e6, "CNY"), date="2022-02-22"),
    ])
    rows = con.execute("SELECT amount_value, n_documents, amount_disputed, date_disputed, disagreements "
                       "FROM incidents ORDER BY amount_value").fetchall()
    assert [(r[0], r[1], r[2], r[3]) for r in rows] == [(62.03e6, 3, True, True), (900e6, 1, False, False)]
    disputes = json.loads(rows[0][4])
    amounts = {(v["value"], tuple(v["sources"])) for v in disputes["amount"]}
    assert amounts == {(62.03e6, ("outlet-a",)), (60e6, ("outlet-b",))}
    dates = {v["value"]: v["doc_ids"] for v in disputes["event_date"]}
    assert dates == {"2022-02-22": ["a1", "b1"], "2022-02-23": ["e1"]}


def test_incident_ids_survive_rerun_reextraction_and_new_reports(tmp_path):
    evs = [event("a1", "FINE", "Zorblax Tax Office", "Quillfeather", date="2022-02-22"),
           event("b1", "FINE", "Zorblax Tax Office", "Quillfeather", date="2022-02-22"),
           event("a1", "BAN", "Zorblax Video", "Quillfeather", start=60)]
    con = _warehouse(tmp_path, evs)
    before = con.execute("SELECT incident_id, type FROM incidents ORDER BY type").fetchall()
    build_incidents(con)
    assert con.execute("SELECT incident_id, type FROM incidents ORDER BY type").fetchall() == before
    # re-extraction by a new version with slightly moved offsets and a new later report
    moved = [e.model_copy(update={"start": e.start + 3}) for e in evs]
    load_events(con, ["a1", "b1"], moved, "v2")
    load_events(con, ["c1"], [event("c1", "FINE", None, "Quillfeather", date="2022-02")], "v2")
    build_incidents(con)
    after = con.execute("SELECT incident_id, type, n_documents FROM incidents ORDER BY type").fetchall()
    assert [(i, t) for i, t, _ in after] == before
    assert dict((t, n) for _, t, n in after) == {"BAN": 1, "FINE": 3}


def test_events_without_a_key_party_are_incidents_of_their_own(tmp_path):
    con = _warehouse(tmp_path, [event("a1", "BREACH", None, None), event("b1", "BREACH", None, None)])
    assert con.execute("SELECT count(*) FROM incidents").fetchall()[0][0] == 2
    ids = con.execute("SELECT incident_id FROM incidents").fetchall()
    assert len(set(ids)) == 2


def test_compatibility_rules():
    assert parties_compatible("prov:tax-officials-in-guangzhou", "tax officials in Guangzhou",
                              "prov:guangzhou-tax-authorities", "Guangzhou tax authorities")
    assert not parties_compatible("tencent", "Tencent", "alibaba", "Alibaba")
    assert not parties_compatible("prov:brightbasket", "Brightbasket", "prov:quillmart", "Quillmart")
    assert parties_compatible(None, None, "alibaba", "Alibaba")
    assert amounts_compatible((62e6, "CNY"), (60e6, "CNY"))
    assert not amounts_compatible((62e6, "CNY"), (900e6, "CNY"))
    assert amounts_compatible((62e6, "CNY"), (9e6, "USD"))
    assert date_range("2022-02")[1].isoformat() == "2022-02-28"
    assert date_range("2022")[0].isoformat() == "2022-01-01"
    assert date_range("2022-13-40") is None


def test_an_unspecific_authority_is_compatible_with_a_named_one():
    assert parties_compatible("prov:tax-bureau", "The tax bureau", "guangzhou-tax", "Guangzhou tax authorities")
    assert not parties_compatible("prov:shenzhen-tax-office", "Shenzhen tax office",
                                  "prov:guangzhou-tax-office", "Guangzhou tax office")


def test_country_words_do_not_identify_a_party_but_two_countries_differ():
    assert parties_compatible("prov:regulators-in-the-netherlands", "Regulators in the Netherlands",
                              "dutch-ap", "Dutch Data Protection Authority")
    assert not parties_compatible("prov:french-regulator", "the French regulator",
                                  "prov:dutch-regulator", "the Dutch regulator")
    assert not parties_compatible("prov:turkish-regulator-btk", "Turkish regulator BTK",
                                  "prov:roskomnadzor", "Roskomnadzor")
