"""The writer lock: one holder at a time across threads and processes, bounded waits,
stale lock files taken over."""
from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

import pytest

from trustwatch.warehouse.writer import WriterLock, WriterLockTimeout, lock_path_for, warehouse_writer


def test_lock_file_sits_beside_the_warehouse(tmp_path):
    assert lock_path_for(tmp_path / "w.duckdb") == tmp_path / "w.duckdb.lock"


def test_second_holder_in_another_thread_waits_then_gives_up_naming_the_holder(tmp_path):
    lock = WriterLock.for_warehouse(tmp_path / "w.duckdb", timeout=0.3, run_id="run-a").acquire()
    outcome = {}

    def other():
        try:
            WriterLock.for_warehouse(tmp_path / "w.duckdb", timeout=0.3, run_id="run-b").acquire()
            outcome["got"] = True
        except WriterLockTimeout as exc:
            outcome["exc"] = exc

    t = threading.Thread(target=other)
    t.start()
    t.join(10)
    lock.release()
    assert "got" not in outcome
    exc = outcome["exc"]
    assert exc.holder["run_id"] == "run-a"
    assert "run-a" in str(exc) and "Nothing was lost" in str(exc)


def test_waiter_gets_the_lock_once_released(tmp_path):
    first = WriterLock.for_warehouse(tmp_path / "w.duckdb", timeout=1).acquire()
    got = threading.Event()

    def waiter():
        with WriterLock.for_warehouse(tmp_path / "w.duckdb", timeout=30):
            got.set()

    t = threading.Thread(target=waiter)
    t.start()
    time.sleep(0.3)
    assert not got.is_set()
    first.release()
    t.join(30)
    assert got.is_set()


def test_lock_held_by_another_process_and_released_when_it_dies(tmp_path):
    db = tmp_path / "w.duckdb"
    code = (
        "import sys, time\n"
        "from trustwatch.warehouse.writer import WriterLock\n"
        f"WriterLock.for_warehouse({str(db)!r}, run_id='child').acquire()\n"
        "print('held', flush=True)\n"
        "time.sleep(600)\n")
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "held"
        with pytest.raises(WriterLockTimeout) as info:
            WriterLock.for_warehouse(db, timeout=0.2).acquire()
        assert info.value.holder["pid"] == child.pid
    finally:
        child.kill()
        child.wait()
    # the kernel dropped the dead holder's lock: its leftover file is stale and taken over
    assert json.loads(lock_path_for(db).read_text())["pid"] == child.pid
    with WriterLock.for_warehouse(db, timeout=2, run_id="after") as lock:
        assert lock.holder()["run_id"] == "after"


def test_writers_in_threads_are_serialized(tmp_path):
    db = tmp_path / "w.duckdb"
    with warehouse_writer(db) as con:
        con.execute("CREATE TABLE IF NOT EXISTS probe (n INTEGER, phase VARCHAR)")
    inside = []
    overlaps = []
    guard = threading.Lock()

    def writer(n):
        with warehouse_writer(db, timeout=60) as con:
            with guard:
                if inside:
                    overlaps.append(n)
                inside.append(n)
            con.execute("INSERT INTO probe VALUES (?, 'start')", [n])
            time.sleep(0.05)
            con.execute("INSERT INTO probe VALUES (?, 'end')", [n])
            with guard:
                inside.remove(n)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert overlaps == []
    with warehouse_writer(db) as con:
        rows = con.execute("SELECT n, phase FROM probe ORDER BY rowid").fetchall()
    # each writer's two rows are adjacent: no interleaving
    assert [rows[i][0] for i in range(0, 8, 2)] == [rows[i][0] for i in range(1, 8, 2)]
