"""`monitor` end to end against feeds on 127.0.0.1, with the real stages.

One module-wide pair of runs (the first finds everything new, the second nothing) keeps the
slow parts (Prefect's test server, Scrapy processes, the spaCy model) to a minimum.
"""
from __future__ import annotations

import json

import pytest

from tests.flows.feedserver import closed_port_url
from tests.flows.flowhelpers import good_sources, query, write_config

pytestmark = pytest.mark.timeout(900)


@pytest.fixture(scope="module")
def two_runs(prefect_harness, feed_server, tmp_path_factory):
    from trustwatch.flows.monitor import monitor

    folder = tmp_path_factory.mktemp("e2e")
    sources = good_sources(feed_server) + [("broken", feed_server.url("/error/500")),
                                           ("unreachable", closed_port_url())]
    cfg = write_config(folder, sources)
    db = folder / "tw.duckdb"
    runs = []
    snapshots = []
    for _ in range(2):
        state = monitor(config_path=str(cfg), network_retries=1, retry_backoff=0.2, return_state=True)
        runs.append((state, state.result(raise_on_failure=False)))
        snapshots.append({t: query(db, f"SELECT count(*) FROM {t}")[0][0]
                          for t in ("documents", "events", "incidents", "fetch_log")})
    return {"db": db, "runs": runs, "snapshots": snapshots, "folder": folder}


def _rows(summary):
    return {r["source"]: r for r in summary["ingest"]["sources"]}


def test_first_run_stores_the_feeds_and_finds_new_incidents(two_runs):
    state, summary = two_runs["runs"][0]
    rows = _rows(summary)
    assert rows["regulators"]["ok"] and rows["regulators"]["new"] == 2
    assert rows["marketplaces"]["ok"] and rows["marketplaces"]["new"] == 2
    assert summary["extract"]["documents"] == 4
    new = summary["incidents"]["new_incidents"]
    assert summary["incidents"]["new"] == len(new) > 0
    assert {"FINE", "INVESTIGATION", "LAWSUIT"} <= {i["type"] for i in new}
    fine = next(i for i in new if i["type"] == "FINE")
    assert fine["amount_currency"] == "EUR" and "Meta" in (fine["target"] or "")
    stored = query(two_runs["db"], "SELECT incident_id FROM incidents")
    assert {i["incident_id"] for i in new} == {r[0] for r in stored}
    assert summary["report"]["state"] == "COMPLETED"
    assert "European Commission" in open(summary["report"]["path"], encoding="utf-8").read()


def test_a_source_answering_500_is_recorded_failed_and_the_others_are_stored(two_runs):
    state, summary = two_runs["runs"][0]
    assert state.name == "Partial" and summary["state"] == "PARTIAL"
    rows = _rows(summary)
    assert not rows["broken"]["ok"] and rows["broken"]["attempts"] == 1  # a 500 is not retried here
    db = two_runs["db"]
    assert query(db, "SELECT status FROM fetch_log WHERE source = 'broken' AND run_id = ?",
                 [summary["run_id"]]) == [(500,)]
    assert query(db, "SELECT last_status FROM sources WHERE name = 'broken'") == [(500,)]
    assert query(db, "SELECT count(*) FROM documents WHERE source IN ('regulators', 'marketplaces')") == [(4,)]


def test_a_source_with_no_response_is_retried_then_recorded_failed(two_runs):
    _, summary = two_runs["runs"][0]
    row = _rows(summary)["unreachable"]
    assert not row["ok"] and row["attempts"] == 2
    # both attempts' requests are in the fetch log, neither with a response
    statuses = query(two_runs["db"], "SELECT status FROM fetch_log WHERE source = 'unreachable' AND run_id = ?",
                     [summary["run_id"]])
    assert len(statuses) >= 2 and all(s[0] is None for s in statuses)


def test_each_run_leaves_a_row_in_runs(two_runs):
    db = two_runs["db"]
    ids = [summary["run_id"] for _, summary in two_runs["runs"]]
    rows = {r[0]: r for r in query(db, "SELECT run_id, flow, state, started_at <= ended_at, counts, errors FROM runs")}
    assert set(ids) <= set(rows)
    first = rows[ids[0]]
    assert first[1] == "monitor" and first[2] == "PARTIAL" and first[3]
    counts = json.loads(first[4])
    assert counts["ingest"]["sources_failed"] == 2 and counts["extract"]["documents"] == 4
    assert counts["incidents"]["new"] > 0
    errors = json.loads(first[5])
    assert {e.get("source") for e in errors if e["stage"] == "ingest"} >= {"broken", "unreachable"}


def test_each_run_publishes_incident_and_fetch_artifacts(two_runs):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    state, summary = two_runs["runs"][0]
    with get_client(sync_client=True) as client:
        arts = client.read_artifacts(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[state.state_details.flow_run_id])))
    by_key = {a.key: a for a in arts}
    fetch = json.loads(by_key["trustwatch-fetch-results"].data)
    assert {r["source"]: r["ok"] for r in fetch} == {"regulators": True, "marketplaces": True,
                                                    "broken": False, "unreachable": False}
    incidents = json.loads(by_key["trustwatch-new-incidents"].data)
    assert {i["incident_id"] for i in incidents} == {i["incident_id"] for i in summary["incidents"]["new_incidents"]}


def test_a_second_run_with_nothing_new_stores_nothing(two_runs):
    first, second = two_runs["snapshots"]
    _, summary = two_runs["runs"][1]
    assert summary["ingest"]["new"] == 0
    assert summary["extract"]["documents"] == 0
    assert summary["incidents"]["new"] == 0
    assert {k: second[k] for k in ("documents", "events", "incidents")} == \
        {k: first[k] for k in ("documents", "events", "incidents")}
    assert second["fetch_log"] > first["fetch_log"]  # it did fetch: every request is logged
