"""prefect.yaml deploys flows that exist, with parameters they accept and valid crons."""
from __future__ import annotations

import inspect
from pathlib import Path

import yaml

import trustwatch.flows  # noqa: F401  (Prefect defaults before prefect is imported)

REPO = Path(__file__).resolve().parents[2]


def test_every_deployment_points_at_a_flow_that_takes_its_parameters(monkeypatch):
    from prefect.flows import load_flow_from_entrypoint
    from prefect.client.schemas.schedules import CronSchedule

    monkeypatch.chdir(REPO)
    spec = yaml.safe_load((REPO / "prefect.yaml").read_text(encoding="utf-8"))
    deployments = spec["deployments"]
    assert {d["name"] for d in deployments} >= {"trustwatch-monitor", "trustwatch-report"}
    for dep in deployments:
        flow = load_flow_from_entrypoint(dep["entrypoint"])
        accepted = set(inspect.signature(flow.fn).parameters)
        unknown = set(dep.get("parameters") or {}) - accepted
        assert not unknown, f"{dep['name']}: {flow.name} does not take {sorted(unknown)}"
        for schedule in dep.get("schedules") or []:
            CronSchedule(cron=schedule["cron"], timezone=schedule.get("timezone", "UTC"))
        assert dep["work_pool"]["name"] == "trustwatch"
