"""The `monitor` flow, which runs `ingest`, `extract`, `build_incidents` and `report` as one
recorded run, and `run_monitor_now`, which runs it in this process for `trustwatch run`."""
from __future__ import annotations

import logging
from typing import Any, Callable, Optional

from prefect import flow
from prefect.states import State

from trustwatch.config import Config
from trustwatch.flows import tasks
from trustwatch.flows.extract_flow import extract
from trustwatch.flows.incidents_flow import build_incidents
from trustwatch.flows.ingest_flow import ingest
from trustwatch.flows.recording import as_state, flow_config, stage_counts
from trustwatch.flows.report_flow import report, without_source_name
from trustwatch.flows.runs import (COMPLETED, FAILED, LOCKED, PARTIAL, STOPPED, RunRecord, begin_run,
                                   end_run, publish_artifacts, spool_run)
from trustwatch.warehouse.writer import WriterLockTimeout

log = logging.getLogger(__name__)


def _stage_result(state: State) -> dict[str, Any]:
    data = state.result(raise_on_failure=False)
    if isinstance(data, dict):
        return data
    return {"state": FAILED, "message": f"{type(data).__name__}: {data}",
            "errors": [{"message": f"{type(data).__name__}: {data}"}]}


@flow(name="monitor")
def monitor(config_path: Optional[str] = None, db: Optional[str] = None, sources: Optional[list[str]] = None,
            with_report: bool = True, dask_workers: int = 0, dask_address: Optional[str] = None,
            exchange_dir: Optional[str] = None,
            network_retries: int = tasks.DEFAULT_NETWORK_RETRIES,
            retry_backoff: float = tasks.DEFAULT_RETRY_BACKOFF) -> State:
    """One monitoring run: ingest -> extract -> incidents -> report, recorded in `runs`.

    `dask_workers` > 0 extracts on a local Dask cluster of that many worker processes;
    `dask_address` uses an existing Dask scheduler instead; `exchange_dir` (storage shared by
    the workers and this machine) makes the workers hand their batches over as Parquet files.
    """
    config = flow_config(config_path, db)
    db_path, timeout = str(config.db_path), config.warehouse.lock_timeout
    record = RunRecord.start("monitor")
    summary: dict[str, Any] = {"run_id": record.run_id, "state": COMPLETED}
    try:
        begin_run(db_path, timeout, record)
    except WriterLockTimeout as exc:
        record.error("run", str(exc))
        spool_run(db_path, record.finish(LOCKED))
        summary.update(state=LOCKED, message=str(exc))
        return as_state(summary)

    common = {"config_path": config_path, "db": db, "run_id": record.run_id}
    extract_flow = extract
    if dask_workers or dask_address:
        from trustwatch.flows.dask_runner import dask_task_runner

        extract_flow = extract.with_options(task_runner=dask_task_runner(dask_workers or 2, dask_address))
    steps: list[tuple[str, Callable[[], State]]] = [
        ("ingest", lambda: ingest(sources=sources, network_retries=network_retries,
                                  retry_backoff=retry_backoff, return_state=True, **common)),
        ("extract", lambda: extract_flow(exchange_dir=exchange_dir, return_state=True, **common)),
        ("incidents", lambda: build_incidents(return_state=True, **common)),
    ]
    if with_report:
        def run_problems() -> dict[str, Any]:
            rows = summary.get("ingest", {}).get("sources", [])
            failed = [{"name": r["source"], "error": without_source_name(r["source"], r.get("error"))}
                      for r in rows if not r.get("ok")]
            return {"failed_sources": failed or None, "notice": summary.get("ingest", {}).get("message")}

        # the run's report covers what this run discovered, and names what it could not read
        steps.append(("report", lambda: report(return_state=True, found_since=record.started_at.isoformat(),
                                               **run_problems(), **common)))
    states = []
    try:
        for name, step in steps:
            result = _stage_result(step())
            summary[name] = result
            record.counts[name] = stage_counts(result)
            for err in result.get("errors", []):
                record.error(name, err.get("message", str(err)), err.get("source"))
            states.append(result.get("state"))
            if result.get("state") == LOCKED:
                summary["message"] = result.get("message")
                break
    except BaseException as exc:
        record.error("run", f"stopped ({type(exc).__name__}{': ' + str(exc) if str(exc) else ''}); "
                            "what was fetched and not loaded is loaded by the next run")
        end_run(db_path, min(timeout, 5.0), record.finish(STOPPED))
        raise
    final = (LOCKED if LOCKED in states else FAILED if FAILED in states
             else PARTIAL if PARTIAL in states else COMPLETED)
    summary["state"] = final
    end_run(db_path, timeout, record.finish(final))
    fetch_rows = summary.get("ingest", {}).get("sources", [])
    new_incidents = summary.get("incidents", {}).get("new_incidents", [])
    try:
        publish_artifacts(record, new_incidents, fetch_rows)
    except Exception as exc:  # an artifact is a courtesy; never fail the run for it
        log.warning("could not publish the run's artifacts: %s", exc)
    return as_state(summary)


#: `trustwatch run` exit status by run state (3, like `trustwatch ingest`, when some sources failed)
EXIT_CODES = {COMPLETED: 0, PARTIAL: 3, LOCKED: 4, FAILED: 1, STOPPED: 130}


def run_monitor_now(config: Config, sources: Optional[list[str]] = None, with_report: bool = True,
                    dask_workers: int = 0, dask_address: Optional[str] = None,
                    exchange_dir: Optional[str] = None) -> dict[str, Any]:
    """One `monitor` run in this process (Prefect's ephemeral mode unless a server is set)."""
    from trustwatch.flows.shutdown import raise_on_sigterm

    from trustwatch.flows.ephemeral import start_detached_ephemeral_server

    for name in sources or []:
        config.source(name)  # KeyError names the unknown source before anything starts
    raise_on_sigterm()
    try:
        start_detached_ephemeral_server()
        state = monitor(config_path=str(config.path) if config.path else None, db=config.db_override,
                        sources=sources or None, with_report=with_report, dask_workers=dask_workers,
                        dask_address=dask_address, exchange_dir=exchange_dir, return_state=True)
    except (KeyboardInterrupt, SystemExit) as exc:
        # the run recorded itself as STOPPED; what it fetched is loaded by the next run
        how = "interrupted" if isinstance(exc, KeyboardInterrupt) else "terminated"
        return {"state": STOPPED, "message": f"run {how}; what was fetched and not loaded is "
                                             "loaded by the next run"}
    result = state.result(raise_on_failure=False)
    if not isinstance(result, dict):
        result = {"state": FAILED, "message": f"{type(result).__name__}: {result}"}
    return result
