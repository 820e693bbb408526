"""`trustwatch serve` with a one-minute schedule against feeds on 127.0.0.1.

    .venv/bin/python bench/serve.py [--limit 120]

Starts a feed server and `trustwatch serve` (which starts its own Prefect server, on the usual
Prefect home unless --fresh-prefect-home), waits for
the first scheduled `monitor` run to finish, prints its state and timings, then stops serve
with SIGTERM and prints how it exited. Exit status 0 when a scheduled run completed within
--limit seconds of serve's start.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.flows.feedserver import FeedServer  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def finished_runs(api: str, since: str, types=("COMPLETED", "FAILED", "CRASHED", "CANCELLED")) -> list[dict]:
    """Runs of the monitor deployment scheduled after `since` (ISO time), in the given states."""
    body = json.dumps({"deployments": {"name": {"any_": ["trustwatch-monitor"]}},
                       "flow_runs": {"state": {"type": {"any_": list(types)}},
                                     "expected_start_time": {"after_": since}},
                       "limit": 10}).encode()
    req = urllib.request.Request(f"{api}/flow_runs/filter", data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return json.loads(resp.read())
    except OSError:
        return []


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=float, default=120.0, help="seconds allowed for a scheduled run")
    parser.add_argument("--stop-during-run", action="store_true",
                        help="send SIGTERM while the scheduled run is running and show how it ended")
    parser.add_argument("--fresh-prefect-home", action="store_true",
                        help="start from an empty Prefect database (slower: it is created first)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="trustwatch-serve-bench-") as tmp, FeedServer() as feeds:
        folder = Path(tmp)
        cfg = folder / "trustwatch.toml"
        cfg.write_text("\n".join([
            "[warehouse]", f'path = "{folder / "tw.duckdb"}"',
            "[crawl]", "download_delay = 0", "autothrottle = false", "retries = 0", "timeout = 10",
            "[schedule]", 'monitor = "* * * * *"', 'report = "0 7 * * *"',
            "[report]", f'output_dir = "{folder / "reports"}"',
            "[[sources]]", 'name = "regulators"', f'url = "{feeds.url("/feeds/regulators.xml")}"',
            "[[sources]]", 'name = "marketplaces"', f'url = "{feeds.url("/feeds/marketplaces.xml")}"',
        ]) + "\n", encoding="utf-8")
        port = free_port()
        api = f"http://127.0.0.1:{port}/api"
        env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API_URL")}
        if args.fresh_prefect_home:
            env["PREFECT_HOME"] = str(folder / "prefect-home")  # a new, empty Prefect database
        env["PREFECT_RUNNER_POLL_FREQUENCY"] = "5"
        log = open(folder / "serve.log", "wb")
        started = time.monotonic()
        since = datetime.now(timezone.utc).isoformat()
        trustwatch = str(Path(sys.executable).with_name("trustwatch"))
        serve = subprocess.Popen([trustwatch, "--config", str(cfg), "serve",
                                  "--port", str(port)], cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT)
        ready = None
        run = None
        try:
            while time.monotonic() - started < args.limit + 60 and serve.poll() is None:
                if ready is None:
                    try:
                        with urllib.request.urlopen(f"{api}/health", timeout=2):
                            ready = time.monotonic() - started
                    except OSError:
                        pass
                if args.stop_during_run and ready is not None:
                    running = finished_runs(api, since, ("RUNNING",))
                    if running:
                        time.sleep(8)  # into the crawl, where a stop must not lose anything
                        run = running[0]
                        break
                runs = finished_runs(api, since) if ready is not None else []
                if runs:
                    run = runs[0]
                    break
                time.sleep(2)
            elapsed = time.monotonic() - started
        finally:
            serve.send_signal(signal.SIGTERM)
            try:
                code = serve.wait(timeout=90)
            except subprocess.TimeoutExpired:
                serve.kill()
                code = "killed after 90s"
            log.close()
        print(f"serve: Prefect API ready after {ready:.1f}s" if ready is not None else "serve: API never ready")
        if args.stop_during_run:
            return report_stop(folder, run, code)
        if run is None:
            print(f"no scheduled monitor run finished within {elapsed:.0f}s")
            print((folder / "serve.log").read_text(errors="replace")[-3000:])
            return 1
        print(f"scheduled run {run['name']} (expected start {run.get('expected_start_time')}, "
              f"started {run.get('start_time')}, ended {run.get('end_time')}, "
              f"{run.get('total_run_time', 0):.1f}s): state {run['state_name']} ({run['state_type']})")
        print(f"finished {elapsed:.1f}s after serve started (limit {args.limit:.0f}s)")
        print(f"serve stopped on SIGTERM with exit status {code}")
        ok = run["state_type"] == "COMPLETED" and elapsed <= args.limit
        print("within the limit: " + ("yes" if ok else "no"))
        return 0 if ok else 1


def report_stop(folder: Path, run, code) -> int:
    """After SIGTERM during a run: how serve exited and what the warehouse says about the run."""
    import duckdb

    from trustwatch.warehouse.writer import WriterLock

    print(f"SIGTERM sent while run {run['name'] if run else '?'} was running; serve exit status {code}")
    db = folder / "tw.duckdb"
    with WriterLock.for_warehouse(db, timeout=5):
        con = duckdb.connect(str(db), read_only=True)
        rows = con.execute("SELECT run_id, state, errors FROM runs ORDER BY started_at").fetchall()
        docs = con.execute("SELECT count(*) FROM documents").fetchall()[0][0]
        con.close()
    print(f"warehouse lock free; documents stored: {docs}")
    left = [p for p in (folder / "tw.duckdb.spool" / "crawl").rglob("*") if p.is_file()]
    print(f"left in the spool for the next run: {sorted(p.name for p in left)}")
    for run_id, state, errors in rows:
        print(f"runs row {run_id}: {state} {errors}")
    return 0 if code == 0 and rows and rows[-1][1] in ("STOPPED", "COMPLETED", "PARTIAL") else 1


if __name__ == "__main__":
    sys.exit(main())
