"""Loading extracted events: one bulk, all-or-nothing replacement per batch of documents.

A batch's old events (of any extractor version) are deleted, the new ones inserted from an
Arrow table, new parties registered and the documents marked as extracted, all in one
transaction: a process killed half-way leaves the warehouse exactly as before the batch.
"""
from __future__ import annotations

import hashlib
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional

import duckdb
import pyarrow as pa

from trustwatch.records import KEY_ROLE, Event
from trustwatch.warehouse.actors import ensure_actors, normalize_party, resolve_party_id

log = logging.getLogger(__name__)

#: Fault injection for tests: when set to a file path, the load writes that file from inside
#: its transaction and then waits, so that a test can kill the process mid-load.
#: `<PAUSE_ENV>_AT=N` pauses in the N-th load of the process instead of the first.
PAUSE_ENV = "TRUSTWATCH_PAUSE_INSIDE_LOAD"
_loads_seen = [0]

EVENT_SCHEMA = pa.schema([
    ("event_id", pa.string()), ("doc_id", pa.string()), ("type", pa.string()),
    ("status", pa.string()), ("actor_text", pa.string()), ("actor_id", pa.string()),
    ("target_text", pa.string()), ("target_id", pa.string()), ("amount_value", pa.float64()),
    ("amount_currency", pa.string()), ("amount_text", pa.string()), ("event_date", pa.string()),
    ("date_precision", pa.string()), ("date_text", pa.string()), ("reason", pa.string()),
    ("trigger", pa.string()), ("sentence", pa.string()), ("start_char", pa.int32()),
    ("end_char", pa.int32()), ("confidence", pa.float64()), ("extractor_version", pa.string()),
])
EVENT_COLUMNS = ", ".join(EVENT_SCHEMA.names)


@dataclass
class LoadReport:
    documents: int = 0
    events: int = 0
    replaced: int = 0            # events of these documents deleted (older versions or reruns)
    duplicates: int = 0          # identical events reported twice by the extractor, dropped
    new_actors: int = 0


def key_party(event: Event):
    """The Party an event is matched on (target, or actor for APOLOGY/COMPENSATION)."""
    return event.actor if KEY_ROLE.get(event.type) == "actor" else event.target


def other_party(event: Event):
    return event.target if KEY_ROLE.get(event.type) == "actor" else event.actor


def _party_key(party, party_id: Optional[str]) -> str:
    if party is None:
        return ""
    return party_id or normalize_party(party.text) or ""


def event_id(doc_id: str, type_: str, key: str, other: str, start: int) -> str:
    """Deterministic id: the same event of the same document always gets the same id."""
    raw = "\x1f".join((doc_id, type_, key, other, str(start)))
    return "ev_" + hashlib.sha1(raw.encode("utf-8")).hexdigest()[:20]


def events_table(events: Iterable[Event], extractor_version: str) -> tuple[pa.Table, int]:
    """Arrow table of event rows (ids assigned, parties resolved) and the duplicates dropped."""
    rows: list[tuple] = []
    seen: dict[str, int] = {}
    duplicates = 0
    for ev in events:
        actor, target, amount, when = ev.actor, ev.target, ev.amount, ev.date
        actor_id = resolve_party_id(actor.text, actor.id) if actor else None
        target_id = resolve_party_id(target.text, target.id) if target else None
        if KEY_ROLE.get(ev.type) == "actor":
            key, other = _party_key(actor, actor_id), _party_key(target, target_id)
        else:
            key, other = _party_key(target, target_id), _party_key(actor, actor_id)
        eid = event_id(ev.doc_id, ev.type, key, other, ev.start)
        row = (
            eid, ev.doc_id, ev.type, ev.status,
            actor.text if actor else None, actor_id, target.text if target else None, target_id,
            amount.value if amount else None, amount.currency if amount else None,
            amount.text if amount else None,
            when.value if when else None, when.precision if when else None, when.text if when else None,
            ev.reason, ev.trigger, ev.sentence, ev.start, ev.end, ev.confidence, extractor_version,
        )
        if eid in seen:
            duplicates += 1
            if ev.confidence > rows[seen[eid]][19]:  # keep the more confident reading
                rows[seen[eid]] = row
            continue
        seen[eid] = len(rows)
        rows.append(row)
    columns = list(zip(*rows)) if rows else [[] for _ in EVENT_SCHEMA.names]
    arrays = [pa.array(list(col), type=f.type) for col, f in zip(columns, EVENT_SCHEMA)]
    return pa.Table.from_arrays(arrays, schema=EVENT_SCHEMA), duplicates


def load_events(
    con: duckdb.DuckDBPyConnection,
    doc_ids: Iterable[str],
    events: Iterable[Event],
    extractor_version: str,
) -> LoadReport:
    """Replace the events of `doc_ids` with `events` and mark the documents extracted.

    `doc_ids` lists every document of the batch, including those that yielded no event, so
    that they are not extracted again. All of it happens in one transaction.
    """
    events = list(events)
    ids = sorted(set(doc_ids) | {e.doc_id for e in events})
    table, duplicates = events_table(events, extractor_version)
    report = LoadReport(documents=len(ids), events=table.num_rows, duplicates=duplicates)
    if not ids:
        return report
    parties = list(zip(table.column("actor_id").to_pylist(), table.column("actor_text").to_pylist()))
    parties += zip(table.column("target_id").to_pylist(), table.column("target_text").to_pylist())
    doc_table = pa.table({"doc_id": pa.array(ids, pa.string())})
    con.complete()  # a caller's unread result would block register()
    con.register("_load_doc_ids", doc_table)
    con.register("_load_events", table)
    try:
        con.execute("BEGIN TRANSACTION").fetchall()
        try:
            report.replaced = con.execute(
                "SELECT count(*) FROM events WHERE doc_id IN (SELECT doc_id FROM _load_doc_ids)"
            ).fetchall()[0][0]
            con.execute("DELETE FROM events WHERE doc_id IN (SELECT doc_id FROM _load_doc_ids)").fetchall()
            con.execute(f"INSERT INTO events ({EVENT_COLUMNS}) SELECT {EVENT_COLUMNS} FROM _load_events").fetchall()
            # the next incident update looks at these documents' events
            con.execute("INSERT OR IGNORE INTO incident_pending_docs SELECT doc_id FROM _load_doc_ids").fetchall()
            report.new_actors = ensure_actors(con, parties)
            con.execute(
                "UPDATE documents SET extractor_version = ? "
                "WHERE doc_id IN (SELECT doc_id FROM _load_doc_ids)",
                [extractor_version],
            ).fetchall()
            _pause_if_asked()
            con.execute("COMMIT").fetchall()
        except BaseException:
            con.execute("ROLLBACK").fetchall()
            raise
    finally:
        con.unregister("_load_events")
        con.unregister("_load_doc_ids")
    log.info("loaded %d events for %d documents (%d replaced, %d duplicates dropped)",
             report.events, report.documents, report.replaced, report.duplicates)
    return report


def _pause_if_asked() -> None:
    flag = os.environ.get(PAUSE_ENV)
    if not flag:
        return
    _loads_seen[0] += 1
    if _loads_seen[0] != int(os.environ.get(PAUSE_ENV + "_AT", "1")):
        return
    Path(flag).write_text(str(os.getpid()), encoding="utf-8")
    time.sleep(float(os.environ.get(PAUSE_ENV + "_SECONDS", "120")))
