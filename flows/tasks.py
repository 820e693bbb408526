"""Prefect tasks: thin wrappers over the plain functions of each stage.

Tasks that write take the warehouse lock themselves (`warehouse_writer`) and are called
directly from the flow, so they run in the flow's main thread, where a SIGTERM is held back
until the write is committed. Only crawls and extraction batches, which write nothing, are
submitted concurrently.
"""
from __future__ import annotations

import math
import threading
import time
from pathlib import Path
from typing import Any, Callable, Optional

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.context import TaskRunContext

from trustwatch.flows.crawling import NetworkError, crawl_in_subprocess, load_spooled_crawls
from trustwatch.ingest import load_crawl
from trustwatch.report import build_report
from trustwatch.report import record_report as record_report_in
from trustwatch.report import render_report as render_report_to
from trustwatch.warehouse.writer import warehouse_writer
from trustwatch.warehouse.queries import incident_summaries

#: attempts after the first for a source that gave no response at all (refused, DNS, time-out)
DEFAULT_NETWORK_RETRIES = 2
#: delay before the first retry; each later one waits four times longer (5 s, then 20 s)
DEFAULT_RETRY_BACKOFF = 5.0
RETRY_GROWTH = 4.0
#: a run retries at most this share of its sources (at least MIN_RUN_RETRIES): when the
#: network is down altogether, retrying every source only makes the run late
RUN_RETRY_SHARE = 0.25
MIN_RUN_RETRIES = 2
#: no retry starts once the run's crawling has lasted this long (seconds)
RUN_RETRY_WINDOW = 300.0
#: this many sources without any response, and none with one: the machine looks offline,
#: and retries are not made
OFFLINE_AFTER = 4


def retry_delays(first: float, retries: int) -> list[float]:
    """A short first retry, then longer ones: [first, first*4, first*16, ...]."""
    return [first * RETRY_GROWTH ** i for i in range(max(0, retries))] if first > 0 else [0.0]


class RetryBudget:
    """How many network retries a run may still make, and until when.

    A host name that does not resolve is retried once at most; when several sources gave no
    response and none gave one, the machine looks offline and no retry is made at all.
    """

    def __init__(self, sources: int, window: float = RUN_RETRY_WINDOW):
        self.left = max(MIN_RUN_RETRIES, math.ceil(sources * RUN_RETRY_SHARE))
        self.deadline = time.monotonic() + window
        self.answered = 0
        self.unreachable: dict[str, str] = {}  # source -> its last network error
        self._guard = threading.Lock()

    @property
    def offline(self) -> bool:
        return self.answered == 0 and len(self.unreachable) >= OFFLINE_AFTER

    def note_answer(self) -> None:
        with self._guard:
            self.answered += 1

    def take(self, source: str, exc: NetworkError) -> bool:
        """Whether `source`, which just gave no response, is tried again."""
        with self._guard:
            self.unreachable.setdefault(source, str(exc))
            if self.offline:
                return False
            if exc.unresolved_host and exc.attempt > 1:
                return False  # a host that does not resolve twice will not resolve this run
            if self.left <= 0 or time.monotonic() > self.deadline:
                return False
            self.left -= 1
            return True


_budgets: dict[str, RetryBudget] = {}


def open_retry_budget(run_id: str, sources: int) -> RetryBudget:
    _budgets[run_id] = budget = RetryBudget(sources)
    return budget


def close_retry_budget(run_id: str) -> None:
    _budgets.pop(run_id, None)


def retry_on_network_error(task, task_run, state) -> bool:  # noqa: ARG001
    """Retry only when the source gave no response at all, within the run's retry budget.

    A 500 or a crash is not retried (the crawler already retries HTTP errors).
    """
    try:
        state.result()
    except NetworkError as exc:
        budget = _budgets.get(exc.run_id or "")
        if budget is None:
            return exc.attempt <= DEFAULT_NETWORK_RETRIES
        return budget.take(exc.source or "", exc)
    except BaseException:
        return False
    return False


@task(name="crawl-source", task_run_name="crawl {source}", cache_policy=NO_CACHE,
      retries=DEFAULT_NETWORK_RETRIES,
      retry_delay_seconds=retry_delays(DEFAULT_RETRY_BACKOFF, DEFAULT_NETWORK_RETRIES),
      retry_condition_fn=retry_on_network_error)
def crawl_source(config_json: str, source: str, db_path: str, run_id: str, timeout: float,
                 crawl_ref: Optional[str] = None) -> dict[str, Any]:
    """Crawl one source in a subprocess; `crawl_ref` ("module:function") replaces the crawler there."""
    ctx = TaskRunContext.get()
    attempt = ctx.task_run.run_count if ctx else 1
    budget = _budgets.get(run_id)
    if attempt > 1 and budget is not None and budget.offline:
        # decided to retry before the run looked offline: not worth a crawl now
        exc = NetworkError(f"{budget.unreachable.get(source, source + ': no response')} "
                           "(not retried: no source answered; is this machine offline?)")
        exc.attempt, exc.run_id, exc.source = attempt - 1, run_id, source
        raise exc
    result = crawl_in_subprocess(Path(config_json), source, db_path, run_id, attempt, timeout,
                                 crawl_ref=crawl_ref)
    if budget is not None:
        budget.note_answer()
    return result


@task(name="load-crawls", cache_policy=NO_CACHE)
def load_crawls(db_path: str, run_id: str, lock_timeout: float, sources: list,
                load: Callable = load_crawl) -> list[dict[str, Any]]:
    """The single loader: every ready crawl into the warehouse, under the lock."""
    configured = {s.name: s for s in sources}

    def load_one(con, path, run_id=None, source=None):
        # each file holds one source: naming only it keeps the others from looking unreported
        known = [configured[source]] if source in configured else None
        return load(con, path, run_id=run_id, sources=known)

    with warehouse_writer(db_path, timeout=lock_timeout, run_id=run_id) as con:
        return load_spooled_crawls(con, db_path, run_id, load_one)


@task(name="read-pending-documents", cache_policy=NO_CACHE)
def read_pending_documents(db_path: str, run_id: str, lock_timeout: float, max_chars: int,
                           limit: Optional[int] = None,
                           version: Optional[str] = None) -> tuple[str, list]:
    """(extractor version, its pending documents); `version` defaults to the installed extractor's."""
    from trustwatch.flows.extraction import extractor_version, read_pending

    version = version or extractor_version()
    with warehouse_writer(db_path, timeout=lock_timeout, run_id=run_id) as con:
        return version, read_pending(con, version, max_chars, limit)


@task(name="extract-batch", task_run_name="extract batch {index}", cache_policy=NO_CACHE)
def extract_batch(index: int, docs: list, model: str, batch_size: int,
                  exchange_dir: Optional[str] = None) -> Any:
    """The batch's events, or with `exchange_dir` the Parquet file holding them."""
    from trustwatch.flows.extraction import extract_batch as run
    from trustwatch.flows.extraction import write_batch

    results = run(docs, model, batch_size)
    if exchange_dir:
        first = docs[0].doc_id if docs else "empty"
        return {"parquet": write_batch(results, exchange_dir, f"batch-{index:05d}-{first}")}
    return results


@task(name="load-events", task_run_name="load batch {index}", cache_policy=NO_CACHE)
def load_event_batch(index: int, db_path: str, run_id: str, lock_timeout: float, results: Any,
                     version: str) -> dict[str, int]:
    from trustwatch.flows.extraction import load_batch, read_batch

    if isinstance(results, dict) and "parquet" in results:
        results = read_batch(results["parquet"])
    with warehouse_writer(db_path, timeout=lock_timeout, run_id=run_id) as con:
        return load_batch(con, results, version)


@task(name="build-incidents", cache_policy=NO_CACHE)
def rebuild_incidents(config, run_id: str) -> dict[str, Any]:
    """`warehouse.process.update_incidents`, the function `trustwatch process` calls, under the lock."""
    from trustwatch.warehouse.process import update_incidents

    with warehouse_writer(config.db_path, timeout=config.warehouse.lock_timeout, run_id=run_id) as con:
        report, alerts = update_incidents(config, con)
        return {"incidents": report.incidents, "new": len(report.new_ids), "gone": report.removed,
                "alerts": alerts, "events": report.events, "storylines": report.storylines,
                "new_incidents": incident_summaries(con, report.new_ids)}


@task(name="read-report-data", cache_policy=NO_CACHE)
def read_report_data(db_path: str, run_id: str, lock_timeout: float, since, until=None,
                     build: Callable = build_report):
    with warehouse_writer(db_path, timeout=lock_timeout, run_id=run_id) as con:
        return build(con, since=since, until=until)


@task(name="render-report", cache_policy=NO_CACHE)
def render_report(data, fmt: str, path: str, render: Callable = render_report_to) -> str:
    render(data, fmt, path)
    return path


@task(name="record-report", cache_policy=NO_CACHE)
def record_report(db_path: str, run_id: str, lock_timeout: float, data, fmt: str, path: str,
                  record: Callable = record_report_in) -> None:
    with warehouse_writer(db_path, timeout=lock_timeout, run_id=run_id) as con:
        record(con, data, fmt, path)
