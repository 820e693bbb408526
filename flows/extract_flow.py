"""The `extract` flow: documents not yet extracted by this extractor, in batches that fan out
(threads, or a Dask cluster), loaded by one writer."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Optional

from prefect import flow, unmapped
from prefect.states import State

from trustwatch.config import Config
from trustwatch.flows import tasks
from trustwatch.flows.recording import as_state, flow_config, given_path, recorded
from trustwatch.flows.runs import COMPLETED, LOCKED, PARTIAL
from trustwatch.warehouse.writer import WriterLockTimeout

#: documents per extraction batch (one task, one load transaction)
EXTRACT_BATCH = 200


def run_extract(config: Config, run_id: str, limit: Optional[int] = None, batch: int = EXTRACT_BATCH,
                exchange_dir: Optional[str] = None) -> dict[str, Any]:
    """Extract documents not yet extracted by this extractor: batches fan out, one writer loads.

    With `exchange_dir` (storage every worker and the loader see), batches travel as Parquet
    files under `<exchange_dir>/<run_id>/` instead of through the task runner.
    """
    from trustwatch.flows.extraction import batches

    db_path, timeout = str(config.db_path), config.warehouse.lock_timeout
    try:
        version, docs = tasks.read_pending_documents(db_path, run_id, timeout, config.nlp.max_chars,
                                                     limit)
    except WriterLockTimeout as exc:
        return {"state": LOCKED, "message": str(exc), "documents": 0, "events": 0,
                "errors": [{"message": str(exc)}]}
    result: dict[str, Any] = {"state": COMPLETED, "extractor_version": version, "pending": len(docs),
                              "documents": 0, "events": 0, "skipped": 0, "batches": 0, "errors": []}
    if not docs:
        return result
    parts = batches(docs, batch)
    exchange = str(Path(exchange_dir) / run_id) if exchange_dir else None
    futures = tasks.extract_batch.map(index=range(len(parts)), docs=parts, model=unmapped(config.nlp.model),
                                      batch_size=unmapped(config.nlp.batch_size),
                                      exchange_dir=unmapped(exchange))
    try:
        return _load_extracted(futures, result, db_path, run_id, timeout, version)
    finally:
        if exchange:
            shutil.rmtree(exchange, ignore_errors=True)


def _load_extracted(futures, result, db_path, run_id, timeout, version) -> dict[str, Any]:
    for i, future in enumerate(futures):
        future.wait()
        if not future.state.is_completed():
            exc = future.state.result(raise_on_failure=False)
            result["errors"].append({"message": f"batch {i}: {type(exc).__name__}: {exc}"})
            continue
        try:
            loaded = tasks.load_event_batch(i, db_path, run_id, timeout, future.result(), version)
        except WriterLockTimeout as exc:
            # the documents stay pending: the next run extracts them again
            result.update(state=LOCKED, message=str(exc))
            result["errors"].append({"message": str(exc)})
            return result
        result["documents"] += loaded["documents"]
        result["events"] += loaded["events"]
        result["skipped"] += loaded["skipped"]
        result["batches"] += 1
    if result["errors"]:
        result["state"] = PARTIAL
    return result


@flow(name="extract")
def extract(config_path: Optional[str] = None, db: Optional[str] = None, limit: Optional[int] = None,
            batch: int = EXTRACT_BATCH, exchange_dir: Optional[str] = None, run_id: Optional[str] = None) -> State:
    """Extract incident events from new documents, in batches (a Dask runner spreads them)."""
    config = flow_config(config_path, db)
    return as_state(recorded("extract", config, run_id,
                              lambda rid: run_extract(config, rid, limit, batch, given_path(exchange_dir))))
