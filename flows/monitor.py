"""The flows: `ingest`, `extract`, `build_incidents`, `report`, and `monitor`, which runs all four.

Every flow takes the configuration file and warehouse as paths (so that it can be a deployment
parameter), and an optional `stages` mapping naming the plain functions that do the work (see
`stages.py`). Each returns a State whose data is a JSON-able summary; its name says the outcome:
Completed, Partial (some sources failed, the rest were stored), Locked (the warehouse stayed
busy; nothing was lost) or Failed. A flow run on its own records itself in the `runs` table;
inside `monitor` the stages are recorded as part of the monitor's row.
"""
from __future__ import annotations

import logging
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Mapping, Optional

from prefect import flow, unmapped
from prefect.states import Cancelled, Completed, Failed, State
from prefect.task_runners import ThreadPoolTaskRunner

from trustwatch.config import Config, load_config
from trustwatch.flows import tasks
from trustwatch.flows.crawling import (NetworkError, discard_staging, mark_unloaded, staging_dir,
                                       stop_crawls, write_config_snapshot)
from trustwatch.warehouse.writer import WriterLockTimeout
from trustwatch.flows.runs import (COMPLETED, FAILED, LOCKED, PARTIAL, STOPPED, RunRecord, begin_run,
                                   end_run, publish_artifacts, spool_run)
from trustwatch.flows.shutdown import writes_complete_first

log = logging.getLogger(__name__)

#: threads for the crawl tasks: a source waiting for its retry holds a thread, not a crawl slot
#: (at most `crawling.CRAWL_CONCURRENCY` crawl processes run at once)
CRAWL_THREADS = 32
#: documents per extraction batch (one task, one load transaction)
EXTRACT_BATCH = 200
REPORT_SUFFIXES = {"html": ".html", "pdf": ".pdf", "md": ".md", "csv": ".csv", "json": ".json"}


def _given(value: Optional[str]) -> Optional[str]:
    """A path parameter, or None when empty or an unfilled `{{ $VAR }}` of prefect.yaml."""
    if value is None or not value.strip() or value.strip().startswith("{{"):
        return None
    return value


def _config(config_path: Optional[str], db: Optional[str]) -> Config:
    return load_config(_given(config_path), _given(db))


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


def _recorded(flow_name: str, config: Config, run_id: Optional[str],
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
    record.counts[flow_name] = _counts(result)
    for err in result.get("errors", []):
        record.error(flow_name, err.get("message", str(err)) if isinstance(err, dict) else str(err),
                     err.get("source") if isinstance(err, dict) else None)
    end_run(db_path, timeout, record.finish(result.get("state", COMPLETED)))
    result["run_id"] = record.run_id
    return result


def _counts(result: dict[str, Any]) -> dict[str, Any]:
    """The numbers of a stage summary (without its bulky lists)."""
    return {k: v for k, v in result.items()
            if k not in ("errors", "sources", "new_incidents", "message") and not isinstance(v, (list, dict))}


# --- ingest -------------------------------------------------------------------------------

def run_ingest(config: Config, run_id: str, source_names: Optional[list[str]] = None,
               network_retries: int = tasks.DEFAULT_NETWORK_RETRIES,
               retry_backoff: float = tasks.DEFAULT_RETRY_BACKOFF,
               stages: Optional[Mapping[str, str]] = None) -> dict[str, Any]:
    """Crawl each source in its own task (concurrently), then load everything as one writer."""
    sources = [config.source(n) for n in source_names] if source_names else config.enabled_sources()
    db_path = str(config.db_path)
    outcomes: dict[str, dict[str, Any]] = {}
    stopped = True
    crawl = tasks.crawl_source.with_options(
        retries=max(0, network_retries),
        retry_delay_seconds=tasks.retry_delays(retry_backoff, network_retries))
    tasks.open_retry_budget(run_id, len(sources))
    try:
        unreachable = _offline(sources)
        if unreachable is not None:  # nothing answers: crawling would only wait for time-outs
            outcomes = {s.name: {"crawl_ok": False, "crawl_error": unreachable[s.name], "no_response": True}
                        for s in sources}
            sources = []
        config_json = write_config_snapshot(config, staging_dir(db_path, run_id))
        futures = crawl.map(config_json=unmapped(str(config_json)), source=[s.name for s in sources],
                            db_path=unmapped(db_path), run_id=unmapped(run_id),
                            timeout=unmapped(config.crawl.source_timeout), stages=unmapped(stages))
        for source, future in zip(sources, futures):
            future.wait()
            state = future.state
            if state.is_completed():
                outcomes[source.name] = {"crawl_ok": True, **future.result()}
            else:
                exc = state.result(raise_on_failure=False)
                outcomes[source.name] = {"crawl_ok": False, "crawl_error": str(exc) or type(exc).__name__,
                                         "attempts": getattr(exc, "attempt", None),
                                         "no_response": isinstance(exc, NetworkError)}
        stopped = False
    finally:
        # a second signal (`timeout` signals the process and its group) must not cut this short
        with writes_complete_first():
            if stopped:  # what was already fetched is loaded by the next run
                mark_unloaded(db_path, run_id)
            stop_crawls(run_id)
            tasks.close_retry_budget(run_id)
            discard_staging(db_path, run_id)
    try:
        loaded = tasks.load_crawls(db_path, run_id, config.warehouse.lock_timeout, sources, stages)
    except BaseException as exc:
        mark_unloaded(db_path, run_id)  # the files not loaded yet wait for the next run
        if not isinstance(exc, WriterLockTimeout):
            raise
        rows = [_fetch_row(name, o, []) for name, o in outcomes.items()]
        return {"state": LOCKED, "message": str(exc), "sources": rows,
                "errors": [{"message": str(exc)}], "sources_failed": sum(1 for r in rows if not r["ok"])}
    return _ingest_summary(outcomes, loaded, run_id)


def _offline(sources: list) -> Optional[dict[str, str]]:
    """Every source's reason when none of their hosts accepts a connection, else None."""
    from trustwatch.flows.reachability import probe

    if not sources:
        return None
    reasons = probe([(s.name, s.url) for s in sources])
    if any(r is None for r in reasons.values()):
        return None
    log.warning("no source's host answered; not crawling this run")
    return {name: f"{name}: {r}" for name, r in reasons.items()}  # worded as the crawler words them


def _fetch_row(name: str, outcome: dict[str, Any], reports: list) -> dict[str, Any]:
    row = {"source": name, "ok": bool(outcome.get("crawl_ok")), "new": 0, "unchanged": 0,
           "duplicates": 0, "fetches": 0, "attempts": outcome.get("attempt") or outcome.get("attempts"),
           "seconds": outcome.get("seconds"), "error": outcome.get("crawl_error")}
    errors = []
    for sr in reports:
        row["new"] += sr.new
        row["unchanged"] += sr.unchanged
        row["duplicates"] += sr.duplicates
        row["fetches"] += getattr(sr, "fetches", 0)
    if reports and reports[-1].failed:  # the last attempt decides
        row["ok"] = False
        if not row["error"]:  # a failed crawl's own message already says why, once
            errors.extend(reports[-1].errors)
    if errors:
        row["error"] = "; ".join(filter(None, [row["error"], *errors]))[:1000]
    if not reports and row["ok"]:
        row["ok"] = False
        row["error"] = "the crawl wrote nothing about this source"
    return row


def _ingest_summary(outcomes: dict[str, dict], loaded: list[dict], run_id: str) -> dict[str, Any]:
    per_source: dict[str, list] = {name: [] for name in outcomes}
    carried, errors = 0, []
    for item in loaded:
        if item["error"]:
            errors.append({"source": item["source"], "message": f"rejected crawl file: {item['error']}"})
            continue
        report = item["report"]
        if item["run_id"] != run_id:
            carried += getattr(report, "new", 0)
        for sr in getattr(report, "sources", []):
            if item["run_id"] == run_id and sr.name in per_source:
                per_source[sr.name].append(sr)
        errors.extend({"message": e} for e in getattr(report, "errors", []))
    rows = [_fetch_row(name, outcomes[name], per_source[name]) for name in outcomes]
    errors = [{"source": r["source"], "message": r["error"]} for r in rows if not r["ok"]] + errors
    failed = sum(1 for r in rows if not r["ok"])
    silent = sum(1 for name in outcomes if outcomes[name].get("no_response"))
    message = None
    if rows and silent == len(rows):
        from trustwatch.flows.reachability import OFFLINE_MESSAGE

        message = f"{OFFLINE_MESSAGE} (none of the {len(rows)} source(s) gave any response)"
    return {"state": PARTIAL if failed or errors else COMPLETED, "message": message,
            "unreachable": silent,
            "sources_total": len(rows), "sources_failed": failed,
            "new": sum(r["new"] for r in rows) + carried, "carried_over": carried,
            "unchanged": sum(r["unchanged"] for r in rows),
            "duplicates": sum(r["duplicates"] for r in rows),
            "fetches": sum(r["fetches"] for r in rows), "sources": rows, "errors": errors}


@flow(name="ingest", task_runner=ThreadPoolTaskRunner(max_workers=CRAWL_THREADS))
def ingest(config_path: Optional[str] = None, db: Optional[str] = None,
           sources: Optional[list[str]] = None,
           network_retries: int = tasks.DEFAULT_NETWORK_RETRIES,
           retry_backoff: float = tasks.DEFAULT_RETRY_BACKOFF,
           run_id: Optional[str] = None, stages: Optional[dict[str, str]] = None) -> State:
    """Fetch the sources (one task each, retried on network errors) and store what they hold."""
    config = _config(config_path, db)
    return as_state(_recorded("ingest", config, run_id, lambda rid: run_ingest(
        config, rid, sources, network_retries, retry_backoff, stages)))


# --- extract ------------------------------------------------------------------------------

def run_extract(config: Config, run_id: str, limit: Optional[int] = None, batch: int = EXTRACT_BATCH,
                stages: Optional[Mapping[str, str]] = None,
                exchange_dir: Optional[str] = None) -> dict[str, Any]:
    """Extract documents not yet extracted by this extractor: batches fan out, one writer loads.

    With `exchange_dir` (storage every worker and the loader see), batches travel as Parquet
    files under `<exchange_dir>/<run_id>/` instead of through the task runner.
    """
    from trustwatch.flows.extraction import batches

    db_path, timeout = str(config.db_path), config.warehouse.lock_timeout
    try:
        version, docs = tasks.read_pending_documents(db_path, run_id, timeout, config.nlp.max_chars,
                                                     limit, stages)
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
                                      batch_size=unmapped(config.nlp.batch_size), stages=unmapped(stages),
                                      exchange_dir=unmapped(exchange))
    try:
        return _load_extracted(futures, result, db_path, run_id, timeout, version, stages)
    finally:
        if exchange:
            shutil.rmtree(exchange, ignore_errors=True)


def _load_extracted(futures, result, db_path, run_id, timeout, version, stages) -> dict[str, Any]:
    for i, future in enumerate(futures):
        future.wait()
        if not future.state.is_completed():
            exc = future.state.result(raise_on_failure=False)
            result["errors"].append({"message": f"batch {i}: {type(exc).__name__}: {exc}"})
            continue
        try:
            loaded = tasks.load_event_batch(i, db_path, run_id, timeout, future.result(), version, stages)
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
            batch: int = EXTRACT_BATCH, exchange_dir: Optional[str] = None, run_id: Optional[str] = None,
            stages: Optional[dict[str, str]] = None) -> State:
    """Extract incident events from new documents, in batches (a Dask runner spreads them)."""
    config = _config(config_path, db)
    return as_state(_recorded("extract", config, run_id,
                              lambda rid: run_extract(config, rid, limit, batch, stages, _given(exchange_dir))))


# --- incidents ----------------------------------------------------------------------------

def run_incidents(config: Config, run_id: str, stages: Optional[Mapping[str, str]] = None) -> dict[str, Any]:
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
def build_incidents(config_path: Optional[str] = None, db: Optional[str] = None, run_id: Optional[str] = None,
                    stages: Optional[dict[str, str]] = None) -> State:
    """Group new and changed events into incidents and storylines; reports which incidents are new."""
    config = _config(config_path, db)
    return as_state(_recorded("build_incidents", config, run_id, lambda rid: run_incidents(config, rid, stages)))


# --- report -------------------------------------------------------------------------------

def run_report(config: Config, run_id: str, format: Optional[str] = None, output: Optional[str] = None,
               days: Optional[int] = None, stages: Optional[Mapping[str, str]] = None,
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
        data = tasks.read_report_data(db_path, run_id, timeout, since, None, stages)
        _note_run_problems(data, failed_sources, notice)
        tasks.render_report(data, fmt, str(path), stages)  # no lock while a PDF is laid out
        tasks.record_report(db_path, run_id, timeout, data, fmt, str(path), stages)
    except WriterLockTimeout as exc:
        return {"state": LOCKED, "message": str(exc), "errors": [{"message": str(exc)}]}
    summary = getattr(data, "summary", None)
    return {"state": COMPLETED, "path": str(path), "format": fmt, "since": since.isoformat(),
            "incidents": getattr(summary, "n_incidents", None), "new": getattr(summary, "n_new", None)}


def _without_name(source: str, error: Optional[str]) -> Optional[str]:
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
           stages: Optional[dict[str, str]] = None, found_since: Optional[str] = None,
           failed_sources: Optional[list[dict]] = None, notice: Optional[str] = None) -> State:
    """Write the report of the last `[report] days` days (by date discovered) to `[report] output_dir`."""
    config = _config(config_path, db)
    return as_state(_recorded("report", config, run_id, lambda rid: run_report(
        config, rid, format, output, days, stages, found_since, failed_sources, notice)))


# --- monitor ------------------------------------------------------------------------------

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
            retry_backoff: float = tasks.DEFAULT_RETRY_BACKOFF,
            stages: Optional[dict[str, str]] = None) -> State:
    """One monitoring run: ingest -> extract -> incidents -> report, recorded in `runs`.

    `dask_workers` > 0 extracts on a local Dask cluster of that many worker processes;
    `dask_address` uses an existing Dask scheduler instead; `exchange_dir` (storage shared by
    the workers and this machine) makes the workers hand their batches over as Parquet files.
    """
    config = _config(config_path, db)
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

    common = {"config_path": config_path, "db": db, "run_id": record.run_id, "stages": stages}
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
            failed = [{"name": r["source"], "error": _without_name(r["source"], r.get("error"))}
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
            record.counts[name] = _counts(result)
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
