"""`trustwatch process`: extract what has not been extracted, load it, rebuild the timeline.

Documents whose `extractor_version` is missing or older than the running extractor are read
in batches; each batch's events replace the old ones in one transaction. Incidents and
storylines are then brought up to date with every event not grouped yet (or changed since),
so a run interrupted between a load and the update is put right by the next run, and two runs
in a row leave identical tables.
"""
from __future__ import annotations

import logging
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator, Optional

import duckdb

from trustwatch.config import Config
from trustwatch.records import DocInput, Event
from trustwatch.warehouse.actors import sync_gazetteer
from trustwatch.warehouse.events import load_events
from trustwatch.warehouse.incidents import IncidentReport, build_incidents

log = logging.getLogger(__name__)

#: documents per load transaction (each is extracted in spaCy batches of `nlp.batch_size`)
DEFAULT_LOAD_BATCH = 200

Extractor = Callable[[Iterable[DocInput]], Iterator[tuple[DocInput, list[Event]]]]


@dataclass
class ProcessReport:
    extractor_version: str = ""
    documents: int = 0           # documents extracted in this run
    events: int = 0              # events loaded in this run
    replaced: int = 0            # events of older versions replaced
    batches: int = 0
    incidents: Optional[IncidentReport] = None
    alerts: int = 0              # alerts written to the outbox
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)


def pending_documents(con: duckdb.DuckDBPyConnection, version: str, limit: Optional[int] = None) -> list[str]:
    """Ids of documents not extracted by `version`, oldest first."""
    sql = ("SELECT doc_id FROM documents WHERE extractor_version IS NULL OR extractor_version <> ? "
           "ORDER BY published, doc_id")
    params: list = [version]
    if limit is not None:
        sql += " LIMIT ?"
        params.append(int(limit))
    return [r[0] for r in con.execute(sql, params).fetchall()]


def still_pending(con: duckdb.DuckDBPyConnection, doc_ids: list[str], version: str) -> set[str]:
    """Which of `doc_ids` are still not extracted by `version` (another run may have done them)."""
    return {row[0] for row in con.execute(
        "SELECT doc_id FROM documents WHERE doc_id IN (SELECT unnest(?::VARCHAR[])) "
        "AND (extractor_version IS NULL OR extractor_version <> ?)", [doc_ids, version]).fetchall()}


def document_inputs(con: duckdb.DuckDBPyConnection, doc_ids: list[str], max_chars: int) -> list[DocInput]:
    """What the extractor reads: the text, else the summary, else the title."""
    rows = con.execute(
        """
        SELECT doc_id, coalesce(nullif(text, ''), nullif(summary, ''), title, ''),
               strftime(published, '%Y-%m-%d'), language
        FROM documents WHERE doc_id IN (SELECT unnest(?::VARCHAR[])) ORDER BY published, doc_id
        """, [doc_ids]).fetchall()
    return [DocInput(doc_id=d, text=(t or "")[:max_chars], published=p, language=lang) for d, t, p, lang in rows]


def _default_extractor(config: Config) -> tuple[str, Extractor]:
    from trustwatch.nlp.extract import EXTRACTOR_VERSION, extract_docs
    from trustwatch.pipelines import shared_pipeline

    nlp = shared_pipeline(config.nlp.model)

    def run(docs: Iterable[DocInput]) -> Iterator[tuple[DocInput, list[Event]]]:
        return extract_docs(docs, nlp=nlp, n_process=config.nlp.n_process, batch_size=config.nlp.batch_size,
                            max_chars=config.nlp.max_chars)

    return EXTRACTOR_VERSION, run


def update_incidents(config: Config, con: duckdb.DuckDBPyConnection, *,
                     full: bool = False) -> tuple[IncidentReport, int]:
    """Group new and changed events into incidents (all of them when `full`), writing the alerts
    of the configured watches in the same transaction. Returns the report and the alerts written."""
    hooks = []
    if config.watches:
        from trustwatch.alerts.outbox import AlertOutbox
        hooks.append(AlertOutbox(config.watches))
    report = build_incidents(con, window_days=config.incidents.window_days,
                             storyline_window_days=config.incidents.storyline_window_days, hooks=hooks, full=full)
    return report, sum(h.written for h in hooks)


def process(config: Config, con: Optional[duckdb.DuckDBPyConnection] = None, limit: Optional[int] = None,
            *, load_batch: int = DEFAULT_LOAD_BATCH, extractor: Optional[tuple[str, Extractor]] = None,
            progress: Optional[Callable[[ProcessReport], None]] = None) -> ProcessReport:
    """Extract pending documents in batches, load their events, rebuild incidents and storylines.

    `extractor` is (version, function) and defaults to trustwatch's spaCy extractor; the
    pipeline is loaded only when there is something to extract.
    """
    from trustwatch.warehouse.writer import warehouse_writer

    started = time.perf_counter()
    with ExitStack() as stack:
        if con is None:  # every writer holds the one writer lock
            con = stack.enter_context(warehouse_writer(config.db_path, timeout=config.warehouse.lock_timeout))
        return _process(config, con, limit, load_batch, extractor, progress, started)


def _process(config: Config, con: duckdb.DuckDBPyConnection, limit: Optional[int], load_batch: int,
             extractor: Optional[tuple[str, Extractor]], progress: Optional[Callable[[ProcessReport], None]],
             started: float) -> ProcessReport:
    """`process` on an open writer connection."""
    if extractor is None:
        from trustwatch.nlp.extract import EXTRACTOR_VERSION
        version, run = EXTRACTOR_VERSION, None
    else:
        version, run = extractor
    report = ProcessReport(extractor_version=version)
    sync_gazetteer(con)
    pending = pending_documents(con, version, limit)
    if pending and run is None:
        version, run = _default_extractor(config)
    for start in range(0, len(pending), max(1, load_batch)):
        batch = pending[start:start + load_batch]
        inputs = document_inputs(con, batch, config.nlp.max_chars)
        events: list[Event] = []
        failed: set[str] = set()
        try:
            for doc, doc_events in run(inputs):
                if getattr(doc_events, "failed", False):
                    # left pending, so the next run tries it again
                    failed.add(doc.doc_id)
                    report.errors.append(f"extraction failed for {doc.doc_id}: "
                                         f"{getattr(doc_events, 'error', '')}")
                    continue
                events.extend(e for e in doc_events if e.doc_id == doc.doc_id)
        except Exception as exc:  # noqa: BLE001  the batch stays pending for the next run
            log.exception("extraction failed for a batch of %d documents", len(batch))
            report.errors.append(f"extraction failed for {len(batch)} documents "
                                 f"({batch[0]} ...): {exc}")
            continue
        loaded = load_events(con, [d for d in batch if d not in failed], events, version)
        report.documents += loaded.documents
        report.events += loaded.events
        report.replaced += loaded.replaced
        report.batches += 1
        if progress:
            progress(report)
    report.incidents, report.alerts = update_incidents(config, con)
    report.seconds = time.perf_counter() - started
    log.info("processed %d documents, %d events; %d incidents", report.documents, report.events,
             report.incidents.incidents)
    return report
