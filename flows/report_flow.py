"""The `report` flow: the report of the last days, or of what a monitoring run discovered."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Optional

from prefect import flow
from prefect.states import State

from trustwatch.config import Config
from trustwatch.flows import tasks
from trustwatch.flows.recording import as_state, flow_config, recorded
from trustwatch.flows.runs import COMPLETED, FAILED, LOCKED
from trustwatch.warehouse.writer import WriterLockTimeout

REPORT_SUFFIXES = {"html": ".html", "pdf": ".pdf", "md": ".md", "csv": ".csv", "json": ".json"}


def run_report(config: Config, run_id: str, format: Optional[str] = None, output: Optional[str] = None,
               days: Optional[int] = None,
               found_since: Optional[str] = None, failed_sources: Optional[list[dict]] = None,
               notice: Optional[str] = None) -> dict[str, Any]:
    """The report of the last `days` days, or with `found_since` (a monitoring run's start) of
    what was discovered since then, naming the sources the run could not read."""
    fmt = (format or config.report.format).lower()
    if fmt not in REPORT_SUFFIXES:
        return {"state": FAILED, "message": f"unknown report format {fmt!r}",
                "errors": [{"message": f"unknown report format {fmt!r}"}]}
    now = datetime.now(timezone.utc)
    since = (datetime.fromisoformat(found_since) if found_since
             else now.date() - timedelta(days=days or config.report.days))
    from trustwatch.report.generate import default_output

    path = Path(output) if output else default_output(config, fmt, now)
    db_path, timeout = str(config.db_path), config.warehouse.lock_timeout
    try:
        data = tasks.read_report_data(db_path, run_id, timeout, since)
        _note_run_problems(data, failed_sources, notice)
        tasks.render_report(data, fmt, str(path))  # no lock while a PDF is laid out
        tasks.record_report(db_path, run_id, timeout, data, fmt, str(path))
    except WriterLockTimeout as exc:
        return {"state": LOCKED, "message": str(exc), "errors": [{"message": str(exc)}]}
    summary = getattr(data, "summary", None)
    return {"state": COMPLETED, "path": str(path), "format": fmt, "since": since.isoformat(),
            "incidents": getattr(summary, "n_incidents", None), "new": getattr(summary, "n_new", None)}


def without_source_name(source: str, error: Optional[str]) -> Optional[str]:
    if error and error.startswith(f"{source}: "):
        return error[len(source) + 2:]
    return error


def _note_run_problems(data: Any, failed_sources: Optional[list[dict]], notice: Optional[str]) -> None:
    """A report written by a run says which sources it could not read (not a quiet period)."""
    if not failed_sources and not notice:
        return
    from trustwatch.report.data import SourceProblem

    if hasattr(data, "failed_sources"):
        data.failed_sources = [SourceProblem(name=str(f.get("name")), error=str(f.get("error") or "failed"))
                               for f in failed_sources or []]
        data.notice = notice


@flow(name="report")
def report(config_path: Optional[str] = None, db: Optional[str] = None, format: Optional[str] = None,
           output: Optional[str] = None, days: Optional[int] = None, run_id: Optional[str] = None,
           found_since: Optional[str] = None,
           failed_sources: Optional[list[dict]] = None, notice: Optional[str] = None) -> State:
    """Write the report of the last `[report] days` days (by date discovered) to `[report] output_dir`."""
    config = flow_config(config_path, db)
    return as_state(recorded("report", config, run_id, lambda rid: run_report(
        config, rid, format, output, days, found_since, failed_sources, notice)))
