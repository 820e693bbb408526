"""Deployments of the flows on the configuration's `[schedule]`, and `trustwatch serve`.

`trustwatch serve` needs a Prefect API that schedules runs. Prefect's temporary (ephemeral)
server does not run the scheduler, so when no `PREFECT_API_URL` is set, serve starts a local
Prefect server on 127.0.0.1 for as long as it runs (its UI shows the runs). Users with their own
server set `PREFECT_API_URL`, or deploy with `prefect deploy --all` (prefect.yaml).
"""
from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

log = logging.getLogger(__name__)

MONITOR_DEPLOYMENT = "trustwatch-monitor"
REPORT_DEPLOYMENT = "trustwatch-report"
DEFAULT_SERVER_PORT = 4200


def flow_parameters(config) -> dict:
    """Absolute paths, so that runs started from anywhere read the same files."""
    return {"config_path": str(Path(config.path).resolve()) if config.path else None,
            "db": str(Path(config.db_path).resolve())}


def build_deployments(config, with_report: bool = True) -> list:
    """The `monitor` and `report` deployments, scheduled by `[schedule]` of `config`."""
    from prefect.deployments.runner import EntrypointType
    from prefect.schedules import Cron

    from trustwatch.flows.monitor_flow import monitor
    from trustwatch.flows.report_flow import report

    params = flow_parameters(config)
    tz = config.schedule.timezone
    deployments = [monitor.to_deployment(
        name=MONITOR_DEPLOYMENT, schedules=[Cron(config.schedule.monitor, timezone=tz)],
        parameters={**params, "with_report": False}, tags=["trustwatch"],
        description="Crawl the sources, extract incidents, update the timeline.",
        entrypoint_type=EntrypointType.MODULE_PATH)]
    if with_report:
        deployments.append(report.to_deployment(
            name=REPORT_DEPLOYMENT, schedules=[Cron(config.schedule.report, timezone=tz)],
            parameters=params, tags=["trustwatch"],
            description="Write the report of the last [report] days days.",
            entrypoint_type=EntrypointType.MODULE_PATH))
    return deployments


def _free_port(preferred: int) -> int:
    for port in (preferred, 0):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise RuntimeError("no free port on 127.0.0.1")


def _healthy(api_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=2) as resp:
            return resp.status == 200 and json.loads(resp.read() or b"true") is not False
    except (urllib.error.URLError, OSError, ValueError):
        return False


@contextmanager
def local_prefect_server(port: int = DEFAULT_SERVER_PORT, startup_timeout: float = 240.0) -> Iterator[str]:
    """A Prefect server (with its scheduler) on 127.0.0.1 for the duration; yields its API URL.

    Must be entered before `prefect` is imported in this process: Prefect reads
    PREFECT_API_URL once, at import.
    """
    port = _free_port(port)
    api_url = f"http://127.0.0.1:{port}/api"
    env = dict(os.environ, PREFECT_SERVER_ANALYTICS_ENABLED=os.environ.get("PREFECT_SERVER_ANALYTICS_ENABLED", "false"))
    env.pop("PREFECT_API_URL", None)
    cmd = [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)]
    errlog = tempfile.TemporaryFile()
    from trustwatch.flows.ephemeral import die_with_parent

    # its own session (a Ctrl-C reaches serve, which stops it in order), but it dies with serve
    # even when serve is killed outright, so no server is ever left behind
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=errlog, env=env, start_new_session=True,
                            preexec_fn=die_with_parent)
    try:
        deadline = time.monotonic() + startup_timeout
        while not _healthy(api_url):
            if proc.poll() is not None:
                errlog.seek(0)
                err = errlog.read().decode(errors="replace")[-1500:]
                raise RuntimeError(f"the local Prefect server exited with {proc.returncode}: {err}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the local Prefect server did not answer within {startup_timeout:.0f}s")
            time.sleep(0.5)
        yield api_url
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        errlog.close()


def serve(config, with_report: bool = True, server_port: int = DEFAULT_SERVER_PORT,
          on_ready: Optional[callable] = None) -> None:
    """Serve the deployments until SIGTERM or Ctrl-C; starts a local server when none is set."""
    from trustwatch.flows.settings import apply_prefect_defaults

    apply_prefect_defaults(quiet=False)
    if os.environ.get("PREFECT_API_URL"):
        _serve(config, with_report, on_ready)
        return
    if "prefect" in sys.modules:
        raise RuntimeError("serve must start the local Prefect server before prefect is imported")
    with local_prefect_server(server_port) as api_url:
        os.environ["PREFECT_API_URL"] = api_url
        log.warning("Prefect server for trustwatch at %s (UI: %s)", api_url, api_url[:-len("/api")])
        try:
            _serve(config, with_report, on_ready)
        finally:
            os.environ.pop("PREFECT_API_URL", None)


def _serve(config, with_report: bool, on_ready) -> None:
    from prefect import serve as prefect_serve

    deployments = build_deployments(config, with_report)
    if on_ready:
        on_ready(deployments)
    prefect_serve(*deployments, print_starting_message=True)
