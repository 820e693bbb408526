"""Reading the timeline: filtered incident lists, one incident with its evidence, ad-hoc SQL."""
from __future__ import annotations

import json
import re
from datetime import date
from typing import Any, Optional

import duckdb
import pyarrow as pa

from trustwatch.records import EVENT_TYPES
from trustwatch.warehouse.actors import provisional_id

#: PRAGMAs that only read (table_info and friends); every other PRAGMA is refused
_READ_PRAGMAS = frozenset({"table_info", "show", "show_tables", "show_tables_expanded", "database_size",
                           "database_list", "storage_info", "metadata_info", "version", "platform",
                           "user_agent", "functions", "collations"})
_EXPLAIN = re.compile(r"^\s*explain(\s+analy[sz]e)?\b", re.I)
_PRAGMA_NAME = re.compile(r"^\s*pragma\s+(\w+)", re.I)
#: what `trustwatch query` says when a statement is refused
ALLOWED = "SELECT, WITH, FROM, VALUES, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN or PRAGMA table_info"

#: the query connection: the warehouse read-only, no other file, no network, no extension,
#: and no SET that could undo any of it
QUERY_CONFIG = {"enable_external_access": False, "lock_configuration": True,
                "autoinstall_known_extensions": False, "autoload_known_extensions": False,
                "allow_community_extensions": False}


class QueryError(ValueError):
    """A query that cannot be run (not read-only, or invalid SQL)."""


class AmbiguousIncident(QueryError):
    """An incident-id prefix that more than one incident starts with."""

    def __init__(self, prefix: str, matches: list[dict]):
        self.prefix = prefix
        self.matches = matches
        more = " (and more)" if len(matches) > 20 else ""
        super().__init__(f"{prefix!r} is ambiguous: {len(matches[:20])} incidents start with it{more}")


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> list[dict]:
    cur = con.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def resolve_actor(con: duckdb.DuckDBPyConnection, actor: str) -> list[str]:
    """Actor ids a user's word may mean: an id, a name or an alias (case-insensitive)."""
    from trustwatch.warehouse.actors import resolve_party_id

    ids = [r[0] for r in con.execute(
        "SELECT actor_id FROM actors WHERE actor_id = ? OR lower(name) = lower(?) OR list_contains(aliases, ?) "
        "ORDER BY actor_id", [actor, actor, actor]).fetchall()]
    for candidate in (resolve_party_id(actor), provisional_id(actor), actor):
        if candidate and candidate not in ids:
            ids.append(candidate)
    return ids


def _filters(con, actor, type, since, until) -> tuple[str, list]:
    where, params = [], []
    if actor:
        ids = resolve_actor(con, actor)
        # ids only (no name columns), so the filter runs on `incidents` before any join;
        # one placeholder per id keeps it a constant IN list that DuckDB pushes into the scan
        marks = ", ".join("?" for _ in ids)
        where.append(f"(actor_id IN ({marks}) OR target_id IN ({marks}))")
        params += ids + ids
    if type:
        types = [t.strip().upper() for t in (type if isinstance(type, (list, tuple)) else type.split(","))]
        unknown = [t for t in types if t not in EVENT_TYPES]
        if unknown:
            raise QueryError(f"unknown event type {', '.join(unknown)}; one of {', '.join(EVENT_TYPES)}")
        where.append("type IN (SELECT unnest(?::VARCHAR[]))")
        params.append(types)
    if since:
        where.append("sort_date >= ?")
        params.append(as_date(since))
    if until:
        where.append("sort_date <= ?")
        params.append(as_date(until, end=True))
    return (" WHERE " + " AND ".join(where)) if where else "", params


def as_date(value: Any, end: bool = False) -> date:
    """A day from `YYYY`, `YYYY-MM` or `YYYY-MM-DD`: the first day of the period, or its last if `end`."""
    from trustwatch.warehouse.incidents import date_range

    if isinstance(value, date):
        return value
    text = str(value).strip()
    period = date_range(text) if re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", text) else None
    if period is None:
        try:
            return date.fromisoformat(text[:10])
        except ValueError as exc:
            raise QueryError(f"not a date: {text!r} (use YYYY, YYYY-MM or YYYY-MM-DD)") from exc
    return period[1] if end else period[0]


def timeline(con: duckdb.DuckDBPyConnection, actor: Optional[str] = None, type: Optional[str] = None,
             since: Any = None, until: Any = None, limit: Optional[int] = None) -> list[dict]:
    """Incidents in event-date order, filtered by a party (either role), type(s) and dates."""
    where, params = _filters(con, actor, type, since, until)
    sql = f"SELECT * FROM timeline{where} ORDER BY sort_date, incident_id"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(int(limit))
    return _rows(con, sql, params)


def timeline_table(con: duckdb.DuckDBPyConnection, actor: Optional[str] = None, type: Optional[str] = None,
                   since: Any = None, until: Any = None) -> pa.Table:
    """The same as `timeline`, as an Arrow table (for exports and large results)."""
    where, params = _filters(con, actor, type, since, until)
    return con.sql(f"SELECT * FROM timeline{where} ORDER BY sort_date, incident_id", params=params).to_arrow_table()


def incident_detail(con: duckdb.DuckDBPyConnection, incident_id: str) -> Optional[dict]:
    """One incident, its disagreements, every supporting report and its storyline; None if unknown."""
    found = _rows(con, "SELECT * FROM timeline WHERE incident_id = ?", [incident_id])
    if not found:
        found = _rows(con, "SELECT * FROM timeline WHERE starts_with(incident_id, ?) ORDER BY incident_id LIMIT 21",
                      [incident_id])
        if len(found) > 1:
            raise AmbiguousIncident(incident_id, found)
        if not found:
            return None
    incident = found[0]
    raw = con.execute("SELECT disagreements FROM incidents WHERE incident_id = ?",
                      [incident["incident_id"]]).fetchall()
    incident["disagreements"] = json.loads(raw[0][0]) if raw and raw[0][0] else None
    incident["events"] = _rows(con, """
        SELECT e.event_id, e.doc_id, d.source, d.url, d.title, d.published, e.status, e.actor_text,
               e.target_text, e.amount_value, e.amount_currency, e.amount_text, e.event_date,
               e.date_precision, e.sentence, e.start_char, e.end_char, e.confidence, e.extractor_version
        FROM incident_events ie
        JOIN events e ON e.event_id = ie.event_id
        LEFT JOIN documents d ON d.doc_id = e.doc_id
        WHERE ie.incident_id = ?
        ORDER BY d.published NULLS LAST, e.doc_id, e.start_char
        """, [incident["incident_id"]])
    incident["storyline"] = storyline(con, incident["storyline_id"]) if incident.get("storyline_id") else None
    return incident


def storyline(con: duckdb.DuckDBPyConnection, storyline_id: str) -> Optional[dict]:
    """A storyline and its incidents in story order."""
    rows = _rows(con, "SELECT * FROM storylines WHERE storyline_id = ?", [storyline_id])
    if not rows:
        return None
    story = rows[0]
    story["incidents"] = _rows(con, "SELECT * FROM timeline WHERE storyline_id = ? ORDER BY storyline_seq",
                               [storyline_id])
    return story


def check_query(sql: str) -> None:
    """Refuse anything but exactly one read-only statement, before it reaches the database."""
    try:
        statements = duckdb.extract_statements(sql or "")
    except duckdb.Error as exc:
        raise QueryError(str(exc).strip()) from exc
    if len(statements) != 1:
        raise QueryError(f"exactly one statement can be run, not {len(statements)} "
                         f"(one {ALLOWED} statement, without a second one after ';')")
    statement = statements[0]
    kind = statement.type
    text = statement.query
    if kind == duckdb.StatementType.EXPLAIN:
        inner = _EXPLAIN.sub("", text, count=1)
        try:
            inside = duckdb.extract_statements(inner)
        except duckdb.Error as exc:
            raise QueryError(str(exc).strip()) from exc
        if len(inside) != 1 or inside[0].type != duckdb.StatementType.SELECT:
            raise QueryError(f"only a read-only statement can be explained ({ALLOWED})")
        return
    if kind == duckdb.StatementType.PRAGMA:
        name = _PRAGMA_NAME.match(text)
        if name and name.group(1).lower() in _READ_PRAGMAS:
            return
        raise QueryError(f"only read-only statements can be run ({ALLOWED}); "
                         "this PRAGMA is not one of them")
    if kind != duckdb.StatementType.SELECT:
        words = text.split(None, 1)
        verb = words[0].upper() if words and words[0].isalpha() else kind.name.replace("_STATEMENT", "")
        hint = ""
        if verb in ("COPY", "EXPORT"):
            hint = "; write results with --format csv|json|parquet -o FILE instead"
        raise QueryError(f"only read-only statements can be run ({ALLOWED}); {verb} is not one of them{hint}")


def open_query_connection(path, *, allow_files: bool = False, lock_timeout: float = 30.0) -> duckdb.DuckDBPyConnection:
    """A read-only connection for user SQL: the warehouse and nothing else.

    External access (other files, ATTACH, extensions, COPY/EXPORT to files) is off and the
    configuration locked, so a query cannot switch it back on. `allow_files` lets queries read
    local files (read_csv, read_parquet, ...); the network and extensions stay off, and writing
    statements are still refused by `check_query`.
    """
    from trustwatch.warehouse.db import open_connection

    from trustwatch.warehouse.db import WarehouseError

    config = dict(QUERY_CONFIG)
    if allow_files:
        config["enable_external_access"] = True
    try:
        return open_connection(path, read_only=True, lock_timeout=lock_timeout, apply_migrations=False,
                               config=config)
    except duckdb.ConnectionException as exc:  # this process has it open with other settings
        raise WarehouseError(f"cannot open warehouse {path} for a query: {exc}") from exc


def _explain_refusal(exc: duckdb.Error) -> str:
    text = str(exc).strip()
    if isinstance(exc, duckdb.PermissionException) or "disabled by configuration" in text \
            or "configuration has been locked" in text:
        return (f"{text}\n`trustwatch query` reads the warehouse only: no other files, network or "
                "extensions (--allow-files lets it read local files)")
    return text


def run_query(con: duckdb.DuckDBPyConnection, sql: str, params: Optional[list] = None) -> pa.Table:
    """Run one read-only statement and return its rows as Arrow.

    Meant for a connection from `open_query_connection`; the statement is also checked here
    (`check_query`) so that anything else is refused with a clear message rather than run.
    """
    check_query(sql)
    try:
        rel = con.sql(sql, params=params)
    except duckdb.Error as exc:
        raise QueryError(_explain_refusal(exc)) from exc
    if rel is None:
        return pa.table({})
    try:
        return rel.to_arrow_table()
    except duckdb.Error as exc:
        raise QueryError(_explain_refusal(exc)) from exc


def incident_ids(con: duckdb.DuckDBPyConnection) -> set[str]:
    """The id of every incident."""
    return {r[0] for r in con.execute("SELECT incident_id FROM incidents").fetchall()}


def incident_summaries(con: duckdb.DuckDBPyConnection, ids: list[str]) -> list[dict[str, Any]]:
    """One plain dict per incident (type, parties as written, amount, date, counts, headline), latest first."""
    if not ids:
        return []
    cur = con.execute(
        "SELECT incident_id, type, status, coalesce(actor_text, actor_id) AS actor, "
        "coalesce(target_text, target_id) AS target, amount_value, amount_currency, event_date, "
        "n_documents, n_sources, headline FROM incidents "
        "WHERE incident_id IN (SELECT unnest(?::VARCHAR[])) ORDER BY event_date DESC NULLS LAST, incident_id",
        [ids])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]
