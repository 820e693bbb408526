"""`trustwatch run` / `serve` as commands: fast checks that need no Prefect server."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.flows.flowhelpers import write_config

TRUSTWATCH = str(Path(sys.executable).with_name("trustwatch"))


def test_run_with_an_unknown_source_says_so_before_starting_anything(tmp_path):
    cfg = write_config(tmp_path, [("regulators", "http://127.0.0.1:9/feed.xml")])
    proc = subprocess.run([TRUSTWATCH, "--config", str(cfg), "run", "--source", "nope"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "nope" in proc.stderr and "trustwatch sources list" in proc.stderr
    assert not (tmp_path / "tw.duckdb").exists()


def test_deployments_follow_the_configured_schedule(tmp_path):
    from trustwatch.config import load_config
    from trustwatch.flows.deployments import build_deployments

    cfg = write_config(tmp_path, [], extra='[schedule]\nmonitor = "*/5 * * * *"\nreport = "30 6 * * 1"\n'
                                           'timezone = "Europe/Paris"')
    config = load_config(cfg)
    deps = {d.name: d for d in build_deployments(config)}
    monitor, report = deps["trustwatch-monitor"], deps["trustwatch-report"]
    assert monitor.schedules[0].schedule.cron == "*/5 * * * *"
    assert report.schedules[0].schedule.cron == "30 6 * * 1"
    assert monitor.schedules[0].schedule.timezone == "Europe/Paris"
    assert monitor.parameters["config_path"] == str(cfg.resolve())
    assert monitor.parameters["db"] == str((tmp_path / "tw.duckdb").resolve())
    assert monitor.parameters["with_report"] is False
    assert monitor.entrypoint == "trustwatch.flows.monitor_flow.monitor"
    assert [d.name for d in build_deployments(config, with_report=False)] == ["trustwatch-monitor"]
