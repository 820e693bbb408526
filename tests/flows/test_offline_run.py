"""`trustwatch run` as a user starts it, with Prefect's temporary server, when nothing answers.

Sources point at a closed 127.0.0.1 port and at a `.invalid` host name (which never resolves
and sends nothing outside). The run must end by itself with every source failed for a plain
reason, its summary printed and its `runs` row written; Ctrl-C must leave a clean state.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.flows.feedserver import closed_port_url
from tests.flows.flowhelpers import query

pytestmark = pytest.mark.timeout(900)

TRUSTWATCH = [sys.executable, "-c", "from trustwatch.cli import app; app()"]


def _config(folder: Path, sources: list[tuple[str, str]], request_timeout: float = 10) -> Path:
    lines = ["[warehouse]", 'path = "tw.duckdb"',
             "[crawl]", "download_delay = 0", "autothrottle = false", "retries = 0",
             f"timeout = {request_timeout}", "source_timeout = 300",
             "[report]", 'output_dir = "reports"', 'format = "md"']
    for name, url in sources:
        lines += ["[[sources]]", f'name = "{name}"', f'url = "{url}"', 'kind = "feed"']
    path = folder / "trustwatch.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _env(folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env["PREFECT_HOME"] = str(folder / "prefect-home")  # a temporary server of its own
    env["COLUMNS"] = "240"  # the summary table on one line per source
    return env


def _processes_in(folder: Path) -> list[int]:
    """Processes working in `folder` (the run's temporary server and crawls start there)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if Path(os.readlink(entry / "cwd")) == folder:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def test_an_offline_run_ends_with_every_source_failed_and_says_why(tmp_path):
    _config(tmp_path, [("refused", closed_port_url()),
                       ("nowhere", "https://feeds.nonexistent.invalid/rss.xml")])
    done = subprocess.run(TRUSTWATCH + ["run"], cwd=tmp_path, env=_env(tmp_path), capture_output=True,
                          text=True, timeout=800)
    assert done.returncode == 3, done.stdout + done.stderr
    out = done.stdout
    assert "no source could be reached: is this machine offline?" in out
    assert "report:" in out and "PARTIAL" in out
    # the report names every source that failed, and why, instead of suggesting a quiet week
    report = next((tmp_path / "reports").glob("*.md")).read_text(encoding="utf-8")
    assert "refused: connection refused" in report
    assert "nowhere: DNS lookup failed: host feeds.nonexistent.invalid not found" in report
    assert "not a sign of a quiet period" in report
    assert "Traceback" not in done.stderr and "EventsWorker" not in done.stderr
    db = tmp_path / "tw.duckdb"
    [(state, errors)] = query(db, "SELECT state, errors FROM runs")
    assert state == "PARTIAL"
    assert "refused: connection refused" in errors and "nowhere: DNS lookup failed" in errors
    spool = tmp_path / "tw.duckdb.spool"
    assert not list((spool / "crawl").glob("*/*")) and not list((spool / "staging").glob("*"))


def test_ctrl_c_stops_the_run_cleanly(tmp_path):
    # a server that takes connections and never answers: the crawl is still running when stopped
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    port = silent.getsockname()[1]
    try:
        _config(tmp_path, [("silent", f"http://127.0.0.1:{port}/feed.xml")], request_timeout=240)
        proc = subprocess.Popen(TRUSTWATCH + ["run"], cwd=tmp_path, env=_env(tmp_path),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                start_new_session=True)
        staging = tmp_path / "tw.duckdb.spool" / "staging"
        for _ in range(1200):  # wait until the source's crawl has started
            if list(staging.glob("*/silent.1")) or proc.poll() is not None:
                break
            time.sleep(0.5)
        assert proc.poll() is None, proc.communicate()
        time.sleep(3)
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        out, err = proc.communicate(timeout=300)
    finally:
        silent.close()
    assert proc.returncode == 130, out + err
    assert "STOPPED" in out and "Traceback" not in err and "EventsWorker" not in err
    assert query(tmp_path / "tw.duckdb", "SELECT state FROM runs") == [("STOPPED",)]
    for _ in range(60):  # the temporary server and crawl processes are gone
        if not _processes_in(tmp_path.resolve()):
            break
        time.sleep(0.5)
    assert _processes_in(tmp_path.resolve()) == []
