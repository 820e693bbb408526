"""How a flow's outcome is told: a Prefect State named for it, and a row of the `runs` table.

Shared by every flow module (`ingest_flow`, `extract_flow`, `incidents_flow`, `report_flow`,
`monitor_flow`): a flow run on its own records itself in `runs`; inside `monitor` the stages
are recorded as part of the monitor's row.
"""
from __future__ import annotations

from typing import Any, Callable, Optional

from prefect.states import Cancelled, Completed, Failed, State

from trustwatch.config import Config, load_config
from trustwatch.flows.runs import (COMPLETED, FAILED, LOCKED, PARTIAL, STOPPED, RunRecord, begin_run,
                                   end_run, spool_run)
from trustwatch.warehouse.writer import WriterLockTimeout


def given_path(value: Optional[str]) -> Optional[str]:
    """A path parameter, or None when empty or an unfilled `{{ $VAR }}` of prefect.yaml."""
    if value is None or not value.strip() or value.strip().startswith("{{"):
        return None
    return value


def flow_config(config_path: Optional[str], db: Optional[str]) -> Config:
    return load_config(given_path(config_path), given_path(db))


def as_state(result: dict[str, Any]) -> State:
    """The Prefect state that says how a stage or run ended; its data is `result`."""
    st = result.get("state", COMPLETED)
    msg = result.get("message") or st.lower()
    if st == COMPLETED:
        return Completed(data=result, message=msg)
    if st == PARTIAL:
        return Completed(data=result, message=msg, name="Partial")
    if st == LOCKED:
        return Failed(data=result, message=msg, name="Locked")
    if st == STOPPED:
        return Cancelled(data=result, message=msg, name="Stopped")
    return Failed(data=result, message=msg)


def recorded(flow_name: str, config: Config, run_id: Optional[str],
              body: Callable[[str], dict[str, Any]]) -> dict[str, Any]:
    """Run `body`; when this flow is not part of a larger run, record it in `runs`."""
    if run_id is not None:
        return body(run_id)
    db_path, timeout = str(config.db_path), config.warehouse.lock_timeout
    record = RunRecord.start(flow_name)
    try:
        begin_run(db_path, timeout, record)
    except WriterLockTimeout as exc:
        record.error("run", str(exc))
        spool_run(db_path, record.finish(LOCKED))
        return {"state": LOCKED, "message": str(exc), "run_id": record.run_id}
    try:
        result = body(record.run_id)
    except BaseException as exc:
        stopped = not isinstance(exc, Exception)
        record.error(flow_name, f"{type(exc).__name__}: {exc}")
        end_run(db_path, min(timeout, 5.0), record.finish(STOPPED if stopped else FAILED))
        raise
    record.counts[flow_name] = stage_counts(result)
    for err in result.get("errors", []):
        record.error(flow_name, err.get("message", str(err)) if isinstance(err, dict) else str(err),
                     err.get("source") if isinstance(err, dict) else None)
    end_run(db_path, timeout, record.finish(result.get("state", COMPLETED)))
    result["run_id"] = record.run_id
    return result


def stage_counts(result: dict[str, Any]) -> dict[str, Any]:
    """The numbers of a stage summary (without its bulky lists)."""
    return {k: v for k, v in result.items()
            if k not in ("errors", "sources", "new_incidents", "message") and not isinstance(v, (list, dict))}
