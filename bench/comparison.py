"""Running the `extract` flow on two copies of one warehouse, on two task runners, and comparing.

Used by `bench/dask_extract.py` and `tests/flows/test_dask_extract.py`: extraction spread over
Dask workers must store exactly the events the single-process run stores. Not part of the
package: it is loaded from this folder.
"""
from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any, Optional

EVENT_COLUMNS = ("event_id, doc_id, type, status, actor_text, actor_id, target_text, target_id, "
                 "amount_value, amount_currency, event_date, date_precision, reason, trigger, "
                 "sentence, start_char, end_char, confidence, extractor_version")


def stored_events(db: str | Path) -> list[tuple]:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(f"SELECT {EVENT_COLUMNS} FROM events ORDER BY event_id").fetchall()
    finally:
        con.close()


def compare_runners(config_path: str, db: str | Path, workers: int = 2, batch: int = 50,
                    dask_address: Optional[str] = None, exchange_dir: Optional[str] = None) -> dict[str, Any]:
    """Extract the pending documents of `db` on threads and (on a copy) on Dask; compare.

    With `exchange_dir` the Dask workers hand their batches over as Parquet files there.
    """
    from trustwatch.flows.dask_runner import dask_task_runner
    from trustwatch.flows.monitor import extract

    db = Path(db)
    twin = db.with_name(db.stem + "-dask" + db.suffix)
    shutil.copyfile(db, twin)
    out: dict[str, Any] = {}
    for label, path, flow_, exchange in (
        ("single", db, extract, None),
        ("dask", twin, extract.with_options(task_runner=dask_task_runner(workers, dask_address)), exchange_dir),
    ):
        started = time.perf_counter()
        state = flow_(config_path=config_path, db=str(path), batch=batch, exchange_dir=exchange,
                      return_state=True)
        seconds = time.perf_counter() - started
        summary = state.result(raise_on_failure=False)
        events = stored_events(path)
        out[label] = {"state": summary.get("state") if isinstance(summary, dict) else str(summary),
                      "documents": summary.get("documents") if isinstance(summary, dict) else None,
                      "events": len(events), "batches": summary.get("batches") if isinstance(summary, dict) else None,
                      "seconds": round(seconds, 2), "rows": events}
    out["equal"] = out["single"]["rows"] == out["dask"]["rows"]
    return out
