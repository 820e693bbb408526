"""Runs that overlap: writes are serialized, nothing is stored twice, and a run that cannot get
the warehouse ends Locked without losing what it fetched."""
from __future__ import annotations

import json
import threading

import pytest

from tests.flows.flowhelpers import good_sources, query, write_config
from trustwatch.warehouse.writer import WriterLock

pytestmark = pytest.mark.timeout(900)


def _integrity(db):
    """Duplicates or dangling rows anywhere in what the runs wrote."""
    return {
        "documents": query(db, "SELECT count(*), count(DISTINCT canonical_url) FROM documents")[0],
        "events": query(db, "SELECT count(*), count(DISTINCT (doc_id, type, start_char, end_char)) FROM events")[0],
        "dangling_events": query(db, "SELECT count(*) FROM events WHERE doc_id NOT IN (SELECT doc_id FROM documents)")[0][0],
        "dangling_links": query(db, "SELECT count(*) FROM incident_events WHERE event_id NOT IN "
                                    "(SELECT event_id FROM events) OR incident_id NOT IN (SELECT incident_id FROM incidents)")[0][0],
        "pending": query(db, "SELECT count(*) FROM documents WHERE extractor_version IS NULL")[0][0],
    }


def test_two_overlapping_runs_store_everything_once(prefect_harness, feed_server, tmp_path):
    from trustwatch.flows.monitor import monitor

    cfg = write_config(tmp_path, good_sources(feed_server), lock_timeout=300)
    results = {}

    def run(name):
        state = monitor(config_path=str(cfg), with_report=False, return_state=True)
        results[name] = (state, state.result(raise_on_failure=False))

    threads = [threading.Thread(target=run, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(800)
    assert set(results) == {"a", "b"}
    summaries = [s for _, s in results.values()]
    assert all(s["state"] == "COMPLETED" for s in summaries), [s.get("message") for s in summaries]
    db = tmp_path / "tw.duckdb"
    check = _integrity(db)
    assert check["documents"] == (4, 4)
    assert check["events"][0] == check["events"][1] > 0
    assert check["dangling_events"] == 0 and check["dangling_links"] == 0 and check["pending"] == 0
    # each document was new to exactly one of the runs, and extracted by exactly one
    assert sum(s["ingest"]["new"] for s in summaries) == 4
    assert sum(s["extract"]["documents"] for s in summaries) == 4
    states = dict(query(db, "SELECT run_id, state FROM runs"))
    assert {s["run_id"] for s in summaries} <= set(states)
    assert all(states[s["run_id"]] == "COMPLETED" for s in summaries)


def test_a_run_that_cannot_get_the_warehouse_ends_locked_and_loses_nothing(prefect_harness, feed_server, tmp_path):
    from trustwatch.flows.monitor import monitor

    cfg = write_config(tmp_path, good_sources(feed_server), lock_timeout=2)
    db = tmp_path / "tw.duckdb"
    other_writer = WriterLock.for_warehouse(db, timeout=30, run_id="another-run")

    def busy_warehouse(path):
        # another writer takes the warehouse while this run is crawling
        if path == "/feeds/regulators.xml" and not other_writer.held:
            other_writer.acquire()

    feed_server.on_request = busy_warehouse
    try:
        state = monitor(config_path=str(cfg), with_report=False, return_state=True)
    finally:
        feed_server.on_request = None
        held_during_run = other_writer.held
        other_writer.release()
    first = state.result(raise_on_failure=False)
    assert held_during_run
    assert state.name == "Locked" and first["state"] == "LOCKED"
    assert "busy" in first["message"] and "another-run" in first["message"]
    spooled = list((tmp_path / "tw.duckdb.spool" / "crawl" / first["run_id"]).rglob("*.jsonl"))
    assert len(spooled) == 2  # both sources' crawls wait for the next run
    assert query(db, "SELECT count(*) FROM documents")[0][0] == 0

    state = monitor(config_path=str(cfg), with_report=False, return_state=True)
    second = state.result(raise_on_failure=False)
    assert second["state"] == "COMPLETED"
    assert _integrity(db)["documents"] == (4, 4)
    # what the locked run fetched was loaded under its own run id
    assert query(db, "SELECT count(*) FROM fetch_log WHERE run_id = ?", [first["run_id"]])[0][0] == 2
    assert not any((tmp_path / "tw.duckdb.spool" / "crawl").rglob("*.jsonl"))
    rows = dict(query(db, "SELECT run_id, state FROM runs"))
    assert rows[first["run_id"]] == "LOCKED" and rows[second["run_id"]] == "COMPLETED"
    errors = json.loads(query(db, "SELECT errors FROM runs WHERE run_id = ?", [first["run_id"]])[0][0])
    assert any("busy" in e["message"] for e in errors)
