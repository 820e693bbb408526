"""Exports of events and incidents to Parquet and CSV, written by DuckDB's COPY."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import duckdb

FORMATS = ("parquet", "csv")

#: what each export contains: one row per event (with its document) or per incident
_EVENTS_SQL = """
SELECT e.event_id, e.doc_id, d.source, d.url, d.published, e.type, e.status,
       e.actor_text, e.actor_id, e.target_text, e.target_id,
       e.amount_value, e.amount_currency, e.amount_text,
       e.event_date, e.date_precision, e.date_text, e.reason, e.trigger, e.sentence,
       e.start_char, e.end_char, e.confidence, e.extractor_version, ie.incident_id
FROM events e
LEFT JOIN documents d ON d.doc_id = e.doc_id
LEFT JOIN incident_events ie ON ie.event_id = e.event_id
WHERE (CAST(? AS DATE) IS NULL OR d.published >= CAST(? AS DATE))
  AND (CAST(? AS DATE) IS NULL OR d.published < CAST(? AS DATE) + INTERVAL 1 DAY)
ORDER BY d.published NULLS LAST, e.doc_id, e.start_char, e.event_id
"""

_INCIDENTS_SQL = """
SELECT t.incident_id, t.sort_date, t.event_date, t.date_precision, t.type, t.status,
       t.actor_id, t.actor, t.target_id, t.target, t.amount_value, t.amount_currency, t.amount_text,
       t.amount_disputed, t.date_disputed, t.n_documents, t.n_sources,
       array_to_string(t.sources, ';') AS sources, t.first_seen, t.last_seen, t.headline,
       t.storyline_id, t.storyline_seq, CAST(i.disagreements AS VARCHAR) AS disagreements
FROM timeline t JOIN incidents i ON i.incident_id = t.incident_id
WHERE (CAST(? AS DATE) IS NULL OR t.sort_date >= CAST(? AS DATE))
  AND (CAST(? AS DATE) IS NULL OR t.sort_date <= CAST(? AS DATE))
ORDER BY t.sort_date, t.incident_id
"""


def export(con: duckdb.DuckDBPyConnection, what: str, path: str | Path, format: str = "parquet",
           since: Optional[Any] = None, until: Optional[Any] = None) -> int:
    """Write `events` or `incidents` to `path`; returns the number of rows written."""
    if what not in ("events", "incidents"):
        raise ValueError(f"can export events or incidents, not {what!r}")
    format = format.lower()
    if format not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {format!r}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    query = _EVENTS_SQL if what == "events" else _INCIDENTS_SQL
    options = "(FORMAT parquet, COMPRESSION zstd)" if format == "parquet" else "(FORMAT csv, HEADER true)"
    from trustwatch.warehouse.queries import as_date

    since_s = as_date(since).isoformat() if since else None
    until_s = as_date(until, end=True).isoformat() if until else None
    params = [since_s, since_s, until_s, until_s]
    count_rows = con.execute(f"SELECT count(*) FROM ({query})", params).fetchall()
    con.execute(f"COPY ({query}) TO ? {options}", params + [str(path)]).fetchall()
    return int(count_rows[0][0])
