"""The `ingest` flow: crawl each source in its own task, then load everything as one writer."""
from __future__ import annotations

import logging
from typing import Any, Optional

from prefect import flow, unmapped
from prefect.states import State
from prefect.task_runners import ThreadPoolTaskRunner

from trustwatch.config import Config
from trustwatch.flows import tasks
from trustwatch.flows.crawling import (NetworkError, discard_staging, mark_unloaded, staging_dir,
                                       stop_crawls, write_config_snapshot)
from trustwatch.flows.recording import as_state, flow_config, recorded
from trustwatch.flows.runs import COMPLETED, LOCKED, PARTIAL
from trustwatch.flows.shutdown import writes_complete_first
from trustwatch.warehouse.writer import WriterLockTimeout

log = logging.getLogger(__name__)

#: threads for the crawl tasks: a source waiting for its retry holds a thread, not a crawl slot
#: (at most `crawling.CRAWL_CONCURRENCY` crawl processes run at once)
CRAWL_THREADS = 32


def run_ingest(config: Config, run_id: str, source_names: Optional[list[str]] = None,
               network_retries: int = tasks.DEFAULT_NETWORK_RETRIES,
               retry_backoff: float = tasks.DEFAULT_RETRY_BACKOFF,
               crawl_ref: Optional[str] = None) -> dict[str, Any]:
    """Crawl each source in its own task (concurrently), then load everything as one writer.

    `crawl_ref` ("module:function") replaces the crawler run in each crawl subprocess.
    """
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
                            timeout=unmapped(config.crawl.source_timeout), crawl_ref=unmapped(crawl_ref))
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
        loaded = tasks.load_crawls(db_path, run_id, config.warehouse.lock_timeout, sources)
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
           run_id: Optional[str] = None) -> State:
    """Fetch the sources (one task each, retried on network errors) and store what they hold."""
    config = flow_config(config_path, db)
    return as_state(recorded("ingest", config, run_id, lambda rid: run_ingest(
        config, rid, sources, network_retries, retry_backoff)))
