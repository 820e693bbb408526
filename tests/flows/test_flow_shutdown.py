"""SIGTERM during a write is acted on after the write; Prefect defaults never override the user."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

from trustwatch.flows.settings import apply_prefect_defaults

SCRIPT = textwrap.dedent("""
    import os, signal, sys, time
    from trustwatch.flows.shutdown import writes_complete_first
    from trustwatch.warehouse.writer import warehouse_writer
    db = sys.argv[1]
    def stop(signum, frame):
        print("stopping", flush=True)
        raise SystemExit(3)
    signal.signal(signal.SIGTERM, stop)
    with warehouse_writer(db) as con:
        con.execute("CREATE TABLE IF NOT EXISTS t (step INTEGER)")
        con.execute("INSERT INTO t VALUES (1)")
        os.kill(os.getpid(), signal.SIGTERM)   # arrives in the middle of the write
        time.sleep(0.2)
        con.execute("INSERT INTO t VALUES (2)")
        print("write finished", flush=True)
    print("never reached", flush=True)
""")


def test_sigterm_during_a_write_stops_the_process_after_the_write(tmp_path):
    db = tmp_path / "w.duckdb"
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(db)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 3, proc.stderr
    assert proc.stdout.split() == ["write", "finished", "stopping"]
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT step FROM t ORDER BY step").fetchall() == [(1,), (2,)]
    con.close()
    # the lock was released on the way out
    from trustwatch.warehouse.writer import WriterLock

    with WriterLock.for_warehouse(db, timeout=1):
        pass


def test_sigterm_outside_writes_is_handled_at_once(tmp_path):
    code = ("import os, signal, time\n"
            "from trustwatch.flows.shutdown import raise_on_sigterm\n"
            "raise_on_sigterm()\n"
            "try:\n"
            "    os.kill(os.getpid(), signal.SIGTERM); time.sleep(5); print('not stopped')\n"
            "finally:\n"
            "    print('cleanup ran', flush=True)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip() == "cleanup ran"
    assert proc.returncode == 128 + signal.SIGTERM


def test_prefect_defaults_apply_only_where_the_user_chose_nothing(monkeypatch, tmp_path):
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path))
    monkeypatch.delenv("PREFECT_SERVER_ANALYTICS_ENABLED", raising=False)
    monkeypatch.setenv("PREFECT_LOGGING_LEVEL", "DEBUG")
    applied = apply_prefect_defaults(quiet=True)
    assert os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] == "false"
    assert os.environ["PREFECT_LOGGING_LEVEL"] == "DEBUG" and "PREFECT_LOGGING_LEVEL" not in applied


def test_a_setting_in_the_prefect_profile_is_respected(monkeypatch, tmp_path):
    (tmp_path / "profiles.toml").write_text(
        'active = "mine"\n[profiles.mine]\nPREFECT_SERVER_ANALYTICS_ENABLED = "true"\n')
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path))
    monkeypatch.delenv("PREFECT_PROFILES_PATH", raising=False)
    monkeypatch.delenv("PREFECT_PROFILE", raising=False)
    monkeypatch.delenv("PREFECT_SERVER_ANALYTICS_ENABLED", raising=False)
    applied = apply_prefect_defaults()
    assert "PREFECT_SERVER_ANALYTICS_ENABLED" not in applied
    assert "PREFECT_SERVER_ANALYTICS_ENABLED" not in os.environ
