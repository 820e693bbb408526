"""The SQL reports read and write: incidents of a period, their evidence, storylines, the report log.

Built on the base tables (incidents, incident_events, events, documents, storylines, actors) so
that a report never depends on views. `trustwatch.report.data` turns these rows into records.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Optional, Sequence

import duckdb

#: the columns of `incident_rows`, in order
INCIDENT_COLUMNS = ("incident_id", "type", "status", "actor_id", "actor_text", "actor_name", "target_id",
                    "target_text", "target_name", "amount_value", "amount_currency", "event_date",
                    "date_precision", "first_seen", "last_seen", "n_documents", "n_sources", "headline",
                    "storyline_id", "disagreements")

_INCIDENT_SQL = """
SELECT i.incident_id, i.type, i.status, i.actor_id, i.actor_text, a.name, i.target_id,
       i.target_text, t.name, i.amount_value, i.amount_currency, i.event_date, i.date_precision,
       i.first_seen, i.last_seen, i.n_documents, i.n_sources, i.headline, i.storyline_id,
       CAST(i.disagreements AS VARCHAR)
FROM incidents i
LEFT JOIN actors a ON a.actor_id = i.actor_id
LEFT JOIN actors t ON t.actor_id = i.target_id
WHERE {where}
"""

# By `published` (`discovered`), an incident belongs to a period when one of its source
# documents was published (first fetched by trustwatch) in it; an incident without linked
# events falls back to its first/last seen. By `event`, its own date (else its first report).
_DOC_PERIOD_SQL = """(
  EXISTS (SELECT 1 FROM incident_events ie
          JOIN events e ON e.event_id = ie.event_id
          JOIN documents d ON d.doc_id = e.doc_id
          WHERE ie.incident_id = i.incident_id AND d.{column} >= ? AND d.{column} < ?)
  OR (NOT EXISTS (SELECT 1 FROM incident_events ie2 WHERE ie2.incident_id = i.incident_id)
      AND coalesce(i.last_seen, i.first_seen) >= ? AND coalesce(i.first_seen, i.last_seen) < ?))"""
_PERIOD_SQL = {
    "published": _DOC_PERIOD_SQL.format(column="published"),
    "discovered": _DOC_PERIOD_SQL.format(column="fetched_at"),
    "event": """(CAST(coalesce(i.date_start, CAST(i.first_seen AS DATE)) AS TIMESTAMP) >= ?
  AND CAST(coalesce(i.date_start, CAST(i.first_seen AS DATE)) AS TIMESTAMP) < ?)""",
}

_ACTOR_SQL = """(
  lower(?) IN (lower(i.actor_id), lower(i.target_id), lower(i.actor_text), lower(i.target_text),
               lower(a.name), lower(t.name))
  OR list_contains(list_transform(coalesce(a.aliases, []::VARCHAR[]), lambda x: lower(x)), lower(?))
  OR list_contains(list_transform(coalesce(t.aliases, []::VARCHAR[]), lambda x: lower(x)), lower(?)))"""

_EVIDENCE_SQL = """
SELECT ie.incident_id, e.sentence, e.extractor_version, d.doc_id, d.source, d.title,
       d.url, d.canonical_url, d.published, d.fetched_at
FROM (SELECT DISTINCT unnest(?::VARCHAR[]) AS incident_id) sel
JOIN incident_events ie ON ie.incident_id = sel.incident_id
JOIN events e ON e.event_id = ie.event_id
JOIN documents d ON d.doc_id = e.doc_id
ORDER BY ie.incident_id, d.published, d.source, d.doc_id, e.start_char
"""


def incident_rows(con: duckdb.DuckDBPyConnection, *, lo: Optional[datetime] = None, hi: Optional[datetime] = None,
                  by: str = "discovered", actor: Optional[str] = None, types: Sequence[str] = (),
                  storyline: Optional[str] = None) -> list[tuple]:
    """Incidents of the period [lo, hi) counted `by` discovered, published or event, with optional filters
    (an actor by id, text, name or alias, case-insensitive). Columns: `INCIDENT_COLUMNS`."""
    where, params = ["TRUE"], []
    if lo is not None or hi is not None:
        lo, hi = lo or datetime(1900, 1, 1), hi or datetime(9999, 1, 1)
        where.append(_PERIOD_SQL[by])
        params += [lo, hi] if by == "event" else [lo, hi, lo, hi]
    if actor:
        where.append(_ACTOR_SQL)
        params += [actor] * 3
    if types:
        where.append("list_contains(?::VARCHAR[], i.type)")
        params.append(list(types))
    if storyline:
        where.append("i.storyline_id = ?")
        params.append(storyline)
    return con.execute(_INCIDENT_SQL.format(where=" AND ".join(where)), params).fetchall()


def evidence_rows(con: duckdb.DuckDBPyConnection, incident_ids: list[str]) -> list[tuple]:
    """(incident_id, sentence, extractor_version, doc_id, source, title, url, canonical_url,
    published, fetched_at) of every event behind the incidents, in reading order."""
    return con.execute(_EVIDENCE_SQL, [incident_ids]).fetchall() if incident_ids else []


def previous_report_at(con: duckdb.DuckDBPyConnection, scope: str, before: datetime) -> Optional[datetime]:
    """When the last report of this scope was delivered (None: never, or a warehouse without a log)."""
    try:
        row = con.execute("SELECT max(generated_at) FROM report_log WHERE scope = ? AND generated_at < ?",
                          [scope, before]).fetchone()
    except duckdb.CatalogException:
        return None  # a warehouse from before the report log existed
    return row[0] if row else None


def log_report(con: duckdb.DuckDBPyConnection, *, report_id: str, generated_at: datetime, scope: str,
               since: Optional[datetime], until: Optional[datetime], format: str, path: Optional[str],
               n_incidents: int, n_new: Optional[int]) -> None:
    """Remember a delivered report (once per report id)."""
    con.execute(
        "INSERT INTO report_log (report_id, generated_at, scope, period_since, period_until, format,"
        " path, n_incidents, n_new) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (report_id) DO NOTHING",
        [report_id, generated_at, scope, since, until, format, path, n_incidents, n_new])


def sources_watched(con: duckdb.DuckDBPyConnection) -> int:
    """How many sources the warehouse knows (0 when it has no sources table yet)."""
    try:
        return int(con.execute("SELECT count(*) FROM sources").fetchone()[0])
    except duckdb.Error:
        return 0


def latest_extractor_versions(con: duckdb.DuckDBPyConnection, limit: int = 3) -> set[str]:
    return {r[0] for r in con.execute(
        "SELECT DISTINCT extractor_version FROM events WHERE extractor_version IS NOT NULL"
        " ORDER BY 1 DESC LIMIT ?", [limit]).fetchall()}


def storyline_heads(con: duckdb.DuckDBPyConnection, storyline_ids: list[str]) -> dict[str, tuple]:
    """(storyline_id, title, parties, first_date, last_date) by id."""
    return {r[0]: r for r in con.execute(
        "SELECT storyline_id, title, parties, first_date, last_date FROM storylines"
        " WHERE storyline_id IN (SELECT unnest(?::VARCHAR[]))", [storyline_ids]).fetchall()}


def storyline_steps(con: duckdb.DuckDBPyConnection, storyline_ids: list[str]) -> list[tuple[Any, ...]]:
    """(storyline_id, incident_id, type, headline, event_date, date_precision, first_seen,
    actor_text, actor name, target_text, target name) of every incident of the storylines."""
    return con.execute(
        "SELECT i.storyline_id, i.incident_id, i.type, i.headline, i.event_date, i.date_precision,"
        " i.first_seen, i.actor_text, a.name, i.target_text, t.name FROM incidents i"
        " LEFT JOIN actors a ON a.actor_id = i.actor_id LEFT JOIN actors t ON t.actor_id = i.target_id"
        " JOIN (SELECT DISTINCT unnest(?::VARCHAR[]) AS sid) sel ON sel.sid = i.storyline_id",
        [storyline_ids]).fetchall()
