"""The record of each run: a row of the warehouse's `runs` table and Prefect artifacts.

A run writes its row when it holds the warehouse; when it cannot (the warehouse stayed busy),
the row waits as a JSON file in the spool folder beside the warehouse and the next run that
gets the lock merges it, so no run goes unrecorded.
"""
from __future__ import annotations

import json
import logging
import os
import socket
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Optional

from trustwatch.records import utcnow

log = logging.getLogger(__name__)

RUNNING, COMPLETED, PARTIAL, FAILED, LOCKED, STOPPED = (
    "RUNNING", "COMPLETED", "PARTIAL", "FAILED", "LOCKED", "STOPPED")




def spool_dir_for(db_path: str | Path) -> Path:
    """Where runs leave what they could not write yet: `<warehouse>.spool/`."""
    db_path = Path(db_path)
    return db_path.with_name(db_path.name + ".spool")


@dataclass
class RunRecord:
    run_id: str
    flow: str
    started_at: datetime = field(default_factory=utcnow)
    ended_at: Optional[datetime] = None
    state: str = RUNNING
    counts: dict[str, Any] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def start(cls, flow: str, run_id: Optional[str] = None) -> "RunRecord":
        rec = cls(run_id=run_id or current_flow_run_id() or uuid.uuid4().hex, flow=flow)
        rec.counts["process"] = {"host": socket.gethostname(), "pid": os.getpid()}
        return rec

    def error(self, stage: str, message: str, source: Optional[str] = None) -> None:
        item = {"stage": stage, "message": message}
        if source:
            item["source"] = source
        self.errors.append(item)

    def finish(self, state: str) -> "RunRecord":
        self.state = state
        self.ended_at = utcnow()
        return self

    def to_json(self) -> str:
        d = asdict(self)
        d["started_at"] = self.started_at.isoformat()
        d["ended_at"] = self.ended_at.isoformat() if self.ended_at else None
        return json.dumps(d, default=str)

    @classmethod
    def from_json(cls, text: str) -> "RunRecord":
        d = json.loads(text)
        d["started_at"] = datetime.fromisoformat(d["started_at"])
        d["ended_at"] = datetime.fromisoformat(d["ended_at"]) if d.get("ended_at") else None
        return cls(**d)


def current_flow_run_id() -> Optional[str]:
    try:
        from prefect.context import FlowRunContext
    except ImportError:  # pragma: no cover
        return None
    ctx = FlowRunContext.get()
    return str(ctx.flow_run.id) if ctx and ctx.flow_run else None


def write_runs(con, records: list[RunRecord]) -> None:
    """Insert or replace the rows of `records` in one statement."""
    if not records:
        return
    import pyarrow as pa

    table = pa.table({
        "run_id": [r.run_id for r in records],
        "flow": [r.flow for r in records],
        "started_at": pa.array([r.started_at for r in records], pa.timestamp("us")),
        "ended_at": pa.array([r.ended_at for r in records], pa.timestamp("us")),
        "state": [r.state for r in records],
        "counts": [json.dumps(r.counts, default=str) for r in records],
        "errors": [json.dumps(r.errors, default=str) for r in records],
    })
    from trustwatch.warehouse.run_log import upsert_runs

    upsert_runs(con, table)


def spool_run(db_path: str | Path, record: RunRecord) -> Path:
    """Keep `record` beside the warehouse until a run that holds the lock merges it."""
    folder = spool_dir_for(db_path) / "runs"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{record.run_id}.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(record.to_json(), encoding="utf-8")
    os.replace(tmp, path)
    return path


def merge_spooled_runs(con, db_path: str | Path) -> int:
    """Write the spooled run rows (the caller holds the lock); returns how many."""
    folder = spool_dir_for(db_path) / "runs"
    if not folder.is_dir():
        return 0
    files = sorted(folder.glob("*.json"))
    records = []
    for f in files:
        try:
            records.append(RunRecord.from_json(f.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError) as exc:
            log.warning("unreadable spooled run record %s: %s", f, exc)
    write_runs(con, records)
    for f in files:
        f.unlink(missing_ok=True)
    return len(records)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def close_interrupted_runs(con) -> int:
    """Mark RUNNING rows of runs whose process is gone (killed, machine restarted) as FAILED."""
    host = socket.gethostname()
    from trustwatch.warehouse.run_log import close_run, runs_in_state

    rows = runs_in_state(con, RUNNING)
    dead = []
    for run_id, counts in rows:
        try:
            proc = (json.loads(counts) if isinstance(counts, str) else (counts or {})).get("process", {})
        except ValueError:
            continue
        if proc.get("host") == host and isinstance(proc.get("pid"), int) and not _pid_alive(proc["pid"]):
            dead.append(run_id)
    for run_id in dead:
        close_run(con, run_id, FAILED, utcnow(),
                  json.dumps([{"stage": "run", "message": "interrupted: its process ended"}]))
    return len(dead)


def publish_artifacts(record: RunRecord, new_incidents: list[dict], fetch_results: list[dict]) -> None:
    """Two table artifacts on the Prefect run: new incidents and per-source fetch results."""
    from prefect.artifacts import create_markdown_artifact, create_table_artifact

    if current_flow_run_id() is None:
        return
    summary = (f"**trustwatch {record.flow}** run `{record.run_id}`: {record.state}, "
               f"{len(new_incidents)} new incident(s), "
               f"{sum(1 for r in fetch_results if r.get('failed'))} failed source(s)")
    create_table_artifact(
        new_incidents or [{"incident": "(none)"}], key="trustwatch-new-incidents",
        description=f"New incidents of run {record.run_id}")
    create_table_artifact(
        fetch_results or [{"source": "(none)"}], key="trustwatch-fetch-results",
        description=f"Per-source fetch results of run {record.run_id}")
    create_markdown_artifact(summary, key="trustwatch-run-summary", description="Run summary")


def begin_run(db_path: str | Path, lock_timeout: float, record: RunRecord) -> None:
    """Write the RUNNING row, merging rows that earlier runs could not write.

    Raises WriterLockTimeout when the warehouse stays busy; nothing is written then.
    """
    from trustwatch.warehouse.writer import warehouse_writer

    with warehouse_writer(db_path, timeout=lock_timeout, run_id=record.run_id) as con:
        merge_spooled_runs(con, db_path)
        close_interrupted_runs(con)
        write_runs(con, [record])


def end_run(db_path: str | Path, lock_timeout: float, record: RunRecord) -> bool:
    """Write the final row; when the warehouse stays busy, spool it for the next run."""
    from trustwatch.warehouse.writer import WriterLockTimeout, warehouse_writer

    try:
        with warehouse_writer(db_path, timeout=lock_timeout, run_id=record.run_id) as con:
            merge_spooled_runs(con, db_path)
            write_runs(con, [record])
        return True
    except WriterLockTimeout:
        spool_run(db_path, record)
        return False
