"""`process`: idempotent runs, re-extraction by a new version, and a loader killed mid-load."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from trustwatch.config import Config
from trustwatch.warehouse.actors import sync_gazetteer
from trustwatch.warehouse.db import open_connection
from trustwatch.warehouse.events import PAUSE_ENV
from trustwatch.warehouse.process import process

from tests.warehouse.wh_helpers import fixture_extractor, fixture_warehouse, snapshot

REPO = Path(__file__).resolve().parents[2]


def _config(db: Path) -> Config:
    cfg = Config()
    cfg.db_override = str(db)
    return cfg


def test_processing_twice_leaves_identical_tables(tmp_path):
    db = tmp_path / "wh.duckdb"
    con = fixture_warehouse(db, "*.jsonl")
    try:
        first = process(_config(db), con, extractor=fixture_extractor(), load_batch=2)
        assert first.documents >= 3 and first.events > 0 and first.batches >= 2
        once = snapshot(con)
        second = process(_config(db), con, extractor=fixture_extractor(), load_batch=2)
        assert second.documents == 0 and second.events == 0
        assert snapshot(con) == once
        # a forced full rebuild changes nothing either
        from trustwatch.warehouse.incidents import build_incidents
        build_incidents(con)
        assert snapshot(con) == once
    finally:
        con.close()


def test_a_new_extractor_version_reextracts_and_replaces(tmp_path):
    db = tmp_path / "wh.duckdb"
    con = fixture_warehouse(db)
    try:
        process(_config(db), con, extractor=fixture_extractor("fixture-1"))
        ids_v1 = con.execute("SELECT incident_id FROM incidents ORDER BY 1").fetchall()
        n_events = con.execute("SELECT count(*) FROM events").fetchall()[0][0]
        report = process(_config(db), con, extractor=fixture_extractor("fixture-2"))
        assert report.documents == 3 and report.replaced == n_events
        assert con.execute("SELECT DISTINCT extractor_version FROM events").fetchall() == [("fixture-2",)]
        assert con.execute("SELECT count(*) FROM events").fetchall()[0][0] == n_events
        assert con.execute("SELECT incident_id FROM incidents ORDER BY 1").fetchall() == ids_v1
    finally:
        con.close()


def test_limit_processes_only_that_many_documents(tmp_path):
    db = tmp_path / "wh.duckdb"
    con = fixture_warehouse(db)
    try:
        report = process(_config(db), con, limit=1, extractor=fixture_extractor())
        assert report.documents == 1
        assert con.execute("SELECT count(*) FROM documents WHERE extractor_version IS NULL").fetchall()[0][0] == 2
    finally:
        con.close()


_CHILD = """
import sys
sys.path.insert(0, {repo!r})
from trustwatch.config import Config
from trustwatch.warehouse.process import process
from tests.warehouse.wh_helpers import fixture_extractor
cfg = Config()
cfg.db_override = {db!r}
process(cfg, extractor=fixture_extractor(), load_batch=1)
"""


@pytest.mark.timeout(300)
@pytest.mark.parametrize("kill_at_load", [1, 2])
def test_a_loader_killed_mid_load_leaves_the_warehouse_as_before_that_load(tmp_path, kill_at_load):
    db = tmp_path / "wh.duckdb"
    con = fixture_warehouse(db)
    sync_gazetteer(con)  # a committed step of its own, before any load
    con.close()
    # what the warehouse holds just before the load that will be killed
    if kill_at_load == 1:
        con = open_connection(db)
        before = snapshot(con)
        con.close()
    else:
        ref = tmp_path / "ref.duckdb"
        con = fixture_warehouse(ref)
        process(_config(ref), con, limit=kill_at_load - 1, extractor=fixture_extractor())
        before = {t: rows for t, rows in snapshot(con).items()
                  if t in ("documents", "events", "actors")}
        con.close()

    flag = tmp_path / "inside-load"
    env = dict(os.environ, **{PAUSE_ENV: str(flag), PAUSE_ENV + "_AT": str(kill_at_load)})
    child = subprocess.Popen([sys.executable, "-c", _CHILD.format(repo=str(REPO), db=str(db))],
                             env=env, cwd=str(REPO), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 240
    while not flag.exists():
        if child.poll() is not None:
            out, err = child.communicate()
            pytest.fail(f"loader exited before pausing: {err.decode()[-2000:]}")
        if time.monotonic() > deadline:
            child.kill()
            pytest.fail("loader never reached the pause inside its load transaction")
        time.sleep(0.1)
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL

    con = open_connection(db)
    try:
        after_kill = snapshot(con)
        if kill_at_load == 1:
            assert after_kill == before
        else:
            assert {t: after_kill[t] for t in before} == before
        # the next run completes the work: the same tables as an uninterrupted run
        report = process(_config(db), con, extractor=fixture_extractor(), load_batch=1)
        assert report.documents == 3 - (kill_at_load - 1)
        completed = snapshot(con)
    finally:
        con.close()
    clean_db = tmp_path / "clean.duckdb"
    con = fixture_warehouse(clean_db)
    try:
        process(_config(clean_db), con, extractor=fixture_extractor(), load_batch=1)
        assert completed == snapshot(con)
    finally:
        con.close()
    assert len(completed["events"]) == len({r[0] for r in completed["events"]})  # no event twice


def test_a_failing_batch_is_reported_and_left_for_the_next_run(tmp_path):
    db = tmp_path / "wh.duckdb"
    con = fixture_warehouse(db)
    version, good = fixture_extractor()

    def flaky(docs):
        docs = list(docs)
        if any(d.doc_id == "fx-kuaishou-b" for d in docs):
            raise RuntimeError("model crashed")
        return good(docs)

    try:
        report = process(_config(db), con, extractor=(version, flaky), load_batch=1)
        assert report.documents == 2 and len(report.errors) == 1 and "model crashed" in report.errors[0]
        pending = con.execute("SELECT doc_id FROM documents WHERE extractor_version IS NULL").fetchall()
        assert pending == [("fx-kuaishou-b",)]
        again = process(_config(db), con, extractor=(version, good), load_batch=1)
        assert again.documents == 1 and not again.errors
    finally:
        con.close()


def test_a_document_whose_extraction_failed_stays_pending(tmp_path):
    from trustwatch.nlp.extract import DocEvents

    db = tmp_path / "wh.duckdb"
    con = fixture_warehouse(db)
    version, good = fixture_extractor()
    victim = con.execute("SELECT min(doc_id) FROM documents").fetchall()[0][0]

    def flaky(docs):
        for doc, events in good(docs):
            if doc.doc_id == victim:
                yield doc, DocEvents(failed=True, error="parser crashed")
            else:
                yield doc, events

    try:
        first = process(_config(db), con, extractor=(version, flaky))
        assert any(victim in e for e in first.errors)
        pending = con.execute("SELECT doc_id FROM documents WHERE extractor_version IS NULL").fetchall()
        assert pending == [(victim,)]
        second = process(_config(db), con, extractor=(version, good))
        assert second.documents == 1
        assert con.execute("SELECT count(*) FROM documents WHERE extractor_version IS NULL").fetchall()[0][0] == 0
    finally:
        con.close()
