"""The `build_incidents` flow: update incidents and storylines, then deliver pending alerts."""
from __future__ import annotations

from typing import Any, Optional

from prefect import flow
from prefect.states import State

from trustwatch.config import Config
from trustwatch.flows import tasks
from trustwatch.flows.recording import as_state, flow_config, recorded
from trustwatch.flows.runs import COMPLETED, LOCKED
from trustwatch.warehouse.writer import WriterLockTimeout


def run_incidents(config: Config, run_id: str) -> dict[str, Any]:
    """Update incidents (writing the alerts of watched changes), then deliver pending alerts."""
    try:
        out = tasks.rebuild_incidents(config, run_id)
    except WriterLockTimeout as exc:
        return {"state": LOCKED, "message": str(exc), "errors": [{"message": str(exc)}]}
    result = {"state": COMPLETED, **out}
    if config.watches:
        result.update(_deliver_alerts(config, run_id))
    return result


def _deliver_alerts(config: Config, run_id: str) -> dict[str, Any]:
    """Alerts that cannot be delivered now stay in the outbox for the next run; the run goes on."""
    from trustwatch.alerts.deliver import deliver_pending
    from trustwatch.warehouse.writer import warehouse_writer

    timeout = config.warehouse.lock_timeout
    try:
        sent = deliver_pending(config.watches, config.alerts,
                               lambda: warehouse_writer(str(config.db_path), timeout=timeout, run_id=run_id))
    except WriterLockTimeout as exc:
        return {"alerts_pending": None, "alert_errors": [f"alerts not delivered this run: {exc}"]}
    return {"alerts_delivered": sent.delivered, "alerts_pending": sent.pending, "alert_errors": sent.errors}


@flow(name="build_incidents")
def build_incidents(config_path: Optional[str] = None, db: Optional[str] = None, run_id: Optional[str] = None) -> State:
    """Group new and changed events into incidents and storylines; reports which incidents are new."""
    config = flow_config(config_path, db)
    return as_state(recorded("build_incidents", config, run_id, lambda rid: run_incidents(config, rid)))
