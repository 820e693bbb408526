"""The spool beside the warehouse: crawls wait there for the single loader, run rows wait for
the lock, and nothing is dropped when a file is bad or a run is cut short."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from trustwatch.flows.crawling import (ABANDONED_MARKER, crawls_to_load, load_spooled_crawls, mark_unloaded,
                                       ready_dir)
from trustwatch.warehouse.writer import warehouse_writer
from trustwatch.flows.runs import (FAILED, LOCKED, RUNNING, RunRecord, close_interrupted_runs,
                                   merge_spooled_runs, spool_dir_for, spool_run, write_runs)


def _spool_crawl(db, run_id, source, text='{"type": "x"}\n'):
    folder = ready_dir(db, run_id) / f"{source}.1"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "crawl.jsonl"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_run_loads_its_own_crawls_and_those_left_behind_but_not_a_live_runs(tmp_path):
    db = tmp_path / "w.duckdb"
    mine = _spool_crawl(db, "run-now", "alpha")
    live = _spool_crawl(db, "run-live", "beta")
    left = _spool_crawl(db, "run-locked", "gamma")
    mark_unloaded(db, "run-locked")
    found = {(r, s): p for r, s, p in crawls_to_load(db, "run-now")}
    assert found == {("run-now", "alpha"): mine, ("run-locked", "gamma"): left}
    assert live.exists()


def test_rejected_file_is_kept_aside_and_the_others_still_load(tmp_path):
    db = tmp_path / "w.duckdb"
    good = _spool_crawl(db, "r1", "good", '{"ok": true}\n')
    bad = _spool_crawl(db, "r1", "bad", "not json at all\n")
    loaded = []

    def load(con, path, run_id=None, source=None):
        rows = [json.loads(line) for line in path.read_text().splitlines()]
        loaded.append((source, run_id, rows))
        return {"rows": len(rows)}

    with warehouse_writer(db) as con:
        results = load_spooled_crawls(con, db, "r1", load)
    by_source = {r["source"]: r for r in results}
    assert by_source["good"]["error"] is None and loaded == [("good", "r1", [{"ok": True}])]
    assert "JSONDecodeError" in by_source["bad"]["error"]
    rejected = spool_dir_for(db) / "rejected"
    assert [p.read_text() for p in rejected.iterdir()] == ["not json at all\n"]
    assert not good.exists() and not bad.exists()
    assert not (spool_dir_for(db) / "crawl" / "r1").exists()


def test_crawls_stay_spooled_when_the_loader_fails_before_deleting(tmp_path):
    db = tmp_path / "w.duckdb"
    path = _spool_crawl(db, "r2", "alpha")
    mark_unloaded(db, "r2")

    def load(con, path, run_id=None, source=None):
        raise KeyboardInterrupt  # the run is stopped mid-load

    with pytest.raises(KeyboardInterrupt):
        with warehouse_writer(db) as con:
            load_spooled_crawls(con, db, "r3", load)
    assert path.exists() and (ready_dir(db, "r2") / ABANDONED_MARKER).exists()


def test_spooled_run_rows_are_merged_by_the_next_writer(tmp_path):
    db = tmp_path / "w.duckdb"
    rec = RunRecord.start("monitor", run_id="busy-run")
    rec.error("run", "the warehouse is busy")
    spool_run(db, rec.finish(LOCKED))
    with warehouse_writer(db) as con:
        assert merge_spooled_runs(con, db) == 1
        row = con.execute("SELECT state, ended_at IS NOT NULL, errors FROM runs WHERE run_id = 'busy-run'").fetchall()
        assert merge_spooled_runs(con, db) == 0
    assert row[0][0] == LOCKED and row[0][1]
    assert json.loads(row[0][2])[0]["message"] == "the warehouse is busy"


def test_rewriting_a_run_row_replaces_it(tmp_path):
    db = tmp_path / "w.duckdb"
    rec = RunRecord.start("monitor", run_id="r")
    with warehouse_writer(db) as con:
        write_runs(con, [rec])
        rec.counts["ingest"] = {"new": 4}
        write_runs(con, [rec.finish("COMPLETED")])
        rows = con.execute("SELECT state, counts FROM runs").fetchall()
    assert len(rows) == 1 and rows[0][0] == "COMPLETED" and json.loads(rows[0][1])["ingest"] == {"new": 4}


def test_running_rows_of_dead_processes_are_closed_as_failed(tmp_path):
    db = tmp_path / "w.duckdb"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    gone = RunRecord.start("monitor", run_id="gone")
    gone.counts["process"]["pid"] = dead.pid
    alive = RunRecord.start("monitor", run_id="alive")  # this very process
    with warehouse_writer(db) as con:
        write_runs(con, [gone, alive])
        assert close_interrupted_runs(con) == 1
        states = dict(con.execute("SELECT run_id, state FROM runs").fetchall())
    assert states == {"gone": FAILED, "alive": RUNNING}
