"""Writing incidents: the full rebuild, and the incremental update that gives the same rows.

Grouping is local to a block, the events of one type sharing one canonical key party: an
event can join only incidents of its own block, and incident ids collide only within it. An
update therefore finds, among the documents whose events were loaded since the last update
(`incident_pending_docs`, written by `events.load_events`), the events that are new, changed
(their fingerprint, a hash of every input of grouping, differs from the one stored when they
were grouped) or gone, regroups just their blocks, and rewrites only the incidents whose events differ. Storylines are relinked
over the incidents that share a party with a changed incident, together with the whole old
storylines of those, which is a closed set, so the result equals a full rebuild. When the
grouping settings (windows, rules, actor kinds) changed, the update is a full rebuild.
"""
from __future__ import annotations

import hashlib
import json
import logging
import time
from collections import defaultdict
from datetime import datetime
from typing import Iterable, Optional, Sequence

import duckdb
import pyarrow as pa

from trustwatch.records import INCIDENT_STATUSES, KEY_ROLE
from trustwatch.warehouse.actors import merge_provisional
from trustwatch.warehouse.storyline_update import relink
from trustwatch.warehouse.incidents import (
    Incident,
    IncidentReport,
    _INCIDENT_SCHEMA,
    _incidents_table,
    _natural_id,
    _unique_ids,
    compose_incident,
    group_events,
)

log = logging.getLogger(__name__)

#: raise when a change to grouping or storyline rules makes stored incidents stale
RULES_VERSION = "1"

#: every input of grouping and of the incident row an event contributes (a change regroups it)
FINGERPRINT_SQL = ("hash(e.doc_id, e.type, e.status, e.actor_id, e.actor_text, e.target_id, e.target_text, "
                   "e.amount_value, e.amount_currency, e.amount_text, e.event_date, e.date_precision, "
                   "e.start_char, e.confidence, e.sentence, d.published, d.source)")

_ACTOR_KEYED = sorted(t for t, role in KEY_ROLE.items() if role == "actor")
_KEY_SQL = "CASE WHEN list_contains(?::VARCHAR[], e.type) THEN e.actor_id ELSE e.target_id END"

EVENT_COLUMNS_SQL = (
    "e.event_id, e.doc_id, e.type, e.status, e.actor_id, e.actor_text, e.target_id, e.target_text, "
    "e.amount_value, e.amount_currency, e.amount_text, e.event_date, e.date_precision, e.start_char, "
    f"e.confidence, d.published, d.source, {FINGERPRINT_SQL} AS fingerprint")


def _columns(table: pa.Table) -> dict[str, list]:
    return {name: table.column(name).to_pylist() for name in table.column_names}


def _canonical(cols: dict[str, list], mapping: dict[str, str]) -> None:
    if mapping:
        for name in ("actor_id", "target_id"):
            cols[name] = [mapping.get(v, v) for v in cols[name]]


def _settings(con: duckdb.DuckDBPyConnection, window_days: int, storyline_window_days: int) -> str:
    kinds = con.execute("SELECT actor_id, kind FROM actors WHERE kind IS NOT NULL ORDER BY actor_id").fetchall()
    digest = hashlib.sha1(json.dumps(kinds).encode("utf-8")).hexdigest()
    return json.dumps({"rules": RULES_VERSION, "window_days": window_days,
                       "storyline_window_days": storyline_window_days, "actor_kinds": digest}, sort_keys=True)


def _stored_settings(con: duckdb.DuckDBPyConnection) -> Optional[str]:
    rows = con.execute("SELECT value FROM incident_build WHERE name = 'settings'").fetchall()
    return rows[0][0] if rows else None


# --- the full rebuild ------------------------------------------------------------------------

def rebuild_incidents(con: duckdb.DuckDBPyConnection, window_days: int = 14,
                      storyline_window_days: int = 60, hooks: Sequence = ()) -> IncidentReport:
    """Delete and regroup every incident and storyline (after grouping rules changed)."""
    from trustwatch.warehouse.storylines import link_storylines

    started = time.perf_counter()
    before = {r[0] for r in con.execute("SELECT incident_id FROM incidents").fetchall()}
    table = con.sql(f"SELECT {EVENT_COLUMNS_SQL} FROM events e LEFT JOIN documents d ON d.doc_id = e.doc_id "
                    "WHERE e.status IN (SELECT unnest(?::VARCHAR[]))",
                    params=[list(INCIDENT_STATUSES)]).to_arrow_table()
    cols = _columns(table)
    mapping = merge_provisional(set(cols["actor_id"]) | set(cols["target_id"]))
    _canonical(cols, mapping)
    groups = group_events(cols, window_days)
    incidents = [compose_incident(cols, g) for g in groups]
    _unique_ids(incidents, cols, groups)
    kinds = _actor_kinds(con)
    storylines = link_storylines(incidents, storyline_window_days, actor_kinds=kinds)
    settings = _settings(con, window_days, storyline_window_days)
    _write(con, hooks, None, incidents, cols, groups, updates=None, storylines=storylines,
           delete_storylines=None, mapping=mapping, settings=settings)
    report = IncidentReport(events=table.num_rows, incidents=len(incidents), storylines=len(storylines),
                            disputed=sum(1 for i in incidents if i.amount_disputed or i.date_disputed),
                            seconds=time.perf_counter() - started, mode="full", written=len(incidents),
                            removed=len(before - {i.incident_id for i in incidents}),
                            new_ids=sorted({i.incident_id for i in incidents} - before))
    log.info("rebuilt %d incidents and %d storylines from %d events in %.2fs",
             report.incidents, report.storylines, report.events, report.seconds)
    return report


# --- the incremental update ----------------------------------------------------------------

def update_incidents(con: duckdb.DuckDBPyConnection, window_days: int = 14,
                     storyline_window_days: int = 60, hooks: Sequence = ()) -> IncidentReport:
    """Bring incidents and storylines up to date with `events`, regrouping only what changed."""
    started = time.perf_counter()
    settings = _settings(con, window_days, storyline_window_days)
    if _stored_settings(con) != settings:
        return rebuild_incidents(con, window_days, storyline_window_days, hooks)
    statuses = list(INCIDENT_STATUSES)
    phases = [("start", time.perf_counter())]
    # the documents whose events were loaded since the last update: their events new or changed
    # since they were grouped, and their grouped events now changed or gone
    pending = [r[0] for r in con.execute("SELECT doc_id FROM incident_pending_docs").fetchall()]
    con.complete()
    con.register("_update_docs", pa.table({"doc_id": pa.array(pending, pa.string())}))
    try:
        diff = con.execute(
            f"WITH cur AS (SELECT e.event_id, e.type, e.actor_id, e.target_id, e.doc_id, {FINGERPRINT_SQL} AS fp "
            "  FROM events e LEFT JOIN documents d ON d.doc_id = e.doc_id "
            "  WHERE e.status IN (SELECT unnest(?::VARCHAR[])) AND e.doc_id IN (SELECT doc_id FROM _update_docs)), "
            "old AS (SELECT * FROM incident_events WHERE doc_id IN (SELECT doc_id FROM _update_docs)) "
            "SELECT cur.event_id, cur.type, cur.actor_id, cur.target_id, cur.doc_id, old.incident_id "
            "FROM cur FULL OUTER JOIN old ON old.event_id = cur.event_id "
            "WHERE old.fingerprint IS DISTINCT FROM cur.fp", [statuses]).fetchall()
    finally:
        con.unregister("_update_docs")
    phases.append(("diff", time.perf_counter()))
    raw_ids = {r[0] for r in con.execute(
        "SELECT DISTINCT id FROM (SELECT actor_id AS id, status FROM events UNION ALL "
        "SELECT target_id, status FROM events) WHERE id IS NOT NULL "
        "AND status IN (SELECT unnest(?::VARCHAR[]))", [statuses]).fetchall()}
    phases.append(("ids", time.perf_counter()))
    mapping = merge_provisional(raw_ids)
    old_mapping = dict(con.execute("SELECT raw_id, canonical_id FROM incident_party_map").fetchall())
    remapped = sorted(r for r in set(mapping) | set(old_mapping) if mapping.get(r, r) != old_mapping.get(r, r))
    if remapped:  # a shorter provisional id appeared or went: its events change block or partner
        diff += con.execute(
            "SELECT e.event_id, e.type, e.actor_id, e.target_id, e.doc_id, ie.incident_id FROM events e "
            "LEFT JOIN incident_events ie ON ie.event_id = e.event_id "
            "WHERE e.status IN (SELECT unnest(?::VARCHAR[])) AND (list_contains(?::VARCHAR[], e.actor_id) "
            "OR list_contains(?::VARCHAR[], e.target_id))", [statuses, remapped, remapped]).fetchall()
    if not diff:
        if pending:
            con.execute("DELETE FROM incident_pending_docs WHERE doc_id IN (SELECT unnest(?::VARCHAR[]))",
                        [pending]).fetchall()
        return _report(con, started, written=0)

    canon = lambda r: mapping.get(r, r)  # noqa: E731
    dirty: set[str] = set()
    touched: set[str] = set()           # old incidents holding a changed or gone event
    blocks: set[tuple[str, str]] = set()
    families: set[tuple[str, str]] = set()  # (type, doc) of events without a key party
    for event_id, type_, actor_id, target_id, doc_id, incident_id in diff:
        if incident_id is not None:
            touched.add(incident_id)
        if event_id is None:
            continue  # gone: its old incident says where it was
        dirty.add(event_id)
        key = actor_id if KEY_ROLE.get(type_) == "actor" else target_id
        if key is None:
            families.add((type_, doc_id))
        else:
            blocks.add((type_, canon(key)))
    if touched:
        for type_, key, doc_id in con.execute(
                "SELECT i.type, i.key_party, ie.doc_id FROM incidents i "
                "JOIN incident_events ie ON ie.incident_id = i.incident_id "
                "WHERE i.incident_id IN (SELECT unnest(?::VARCHAR[]))", [sorted(touched)]).fetchall():
            if key is None:
                families.add((type_, doc_id))
            else:  # an old key party may since have merged into a shorter one
                blocks.add((type_, canon(key)))

    phases.append(("blocks", time.perf_counter()))
    cols = _block_events(con, blocks, families, raw_ids, mapping, statuses)
    _canonical(cols, mapping)
    phases.append(("load", time.perf_counter()))
    groups = group_events(cols, window_days)
    ids = _group_ids(cols, groups)

    phases.append(("group", time.perf_counter()))
    old_of = cols["old_incident"]
    old_ids = {i for i in old_of if i is not None} | touched
    members_now: dict[str, int] = defaultdict(int)
    for i in old_of:
        if i is not None:
            members_now[i] += 1
    size_before = dict(con.execute(
        "SELECT incident_id, count(*) FROM incident_events WHERE incident_id IN (SELECT unnest(?::VARCHAR[])) "
        "GROUP BY incident_id", [sorted(old_ids)]).fetchall()) if old_ids else {}
    keep: set[str] = set()
    new_groups: list[list[int]] = []
    new_ids: list[str] = []
    for group, gid in zip(groups, ids):
        same = (gid in old_ids and gid not in touched and members_now[gid] == len(group) == size_before.get(gid)
                and all(old_of[i] == gid and cols["event_id"][i] not in dirty for i in group))
        if same:
            keep.add(gid)
        else:
            new_groups.append(group)
            new_ids.append(gid)
    deleted = old_ids - keep
    incidents = [compose_incident(cols, g) for g in new_groups]
    for inc, gid in zip(incidents, new_ids):
        inc.incident_id = gid

    phases.append(("compose", time.perf_counter()))
    updates, storylines, old_storylines = relink(con, deleted, incidents, storyline_window_days, _actor_kinds(con))
    phases.append(("storylines", time.perf_counter()))
    _write(con, hooks, deleted, incidents, cols, new_groups, updates=updates, storylines=storylines,
           delete_storylines=old_storylines, mapping=mapping, settings=settings, pending=pending,
           scope=sorted(deleted | {i.incident_id for i in incidents}
                        | set(updates.column("incident_id").to_pylist() if updates is not None else ())))
    phases.append(("write", time.perf_counter()))
    written_ids = {i.incident_id for i in incidents}
    report = _report(con, started, written=len(incidents), removed=len(deleted - written_ids))
    report.new_ids = sorted(written_ids - old_ids)
    log.debug("incident update phases: %s", ", ".join(
        f"{name} {end - prev:.2f}s" for (_, prev), (name, end) in zip(phases, phases[1:])))
    log.info("updated incidents from %d changed events: %d written, %d removed, %d storyline moves in %.2fs",
             len(dirty), report.written, report.removed, updates.num_rows if updates is not None else 0,
             report.seconds)
    return report


def _block_events(con, blocks, families, raw_ids, mapping, statuses) -> dict[str, list]:
    """Every current event of the given blocks and key-less families, with its old incident."""
    raws_of: dict[str, list[str]] = defaultdict(list)
    for raw in raw_ids:
        raws_of[mapping.get(raw, raw)].append(raw)
    block_rows = sorted({(t, raw) for t, key in blocks for raw in (raws_of.get(key) or [key])})
    block_table = pa.table({"type": pa.array([b[0] for b in block_rows], pa.string()),
                            "raw": pa.array([b[1] for b in block_rows], pa.string())})
    family_table = pa.table({"type": pa.array([f[0] for f in families], pa.string()),
                             "doc_id": pa.array([f[1] for f in families], pa.string())})
    con.complete()
    con.register("_update_blocks", block_table)
    con.register("_update_families", family_table)
    try:
        select = (f"SELECT {EVENT_COLUMNS_SQL}, ie.incident_id AS old_incident FROM events e "
                  "LEFT JOIN documents d ON d.doc_id = e.doc_id "
                  "LEFT JOIN incident_events ie ON ie.event_id = e.event_id ")
        table = con.sql(
            select + f"JOIN _update_blocks b ON b.type = e.type AND b.raw = {_KEY_SQL} "
            "WHERE e.status IN (SELECT unnest(?::VARCHAR[])) UNION ALL "
            + select + "JOIN _update_families f ON f.type = e.type AND f.doc_id = e.doc_id "
            f"WHERE {_KEY_SQL} IS NULL AND e.status IN (SELECT unnest(?::VARCHAR[]))",
            params=[_ACTOR_KEYED, statuses, _ACTOR_KEYED, statuses]).to_arrow_table()
    finally:
        con.unregister("_update_blocks")
        con.unregister("_update_families")
    return _columns(table)


def _group_ids(cols: dict[str, list], groups: list[list[int]]) -> list[str]:
    """The id each group gets in a full rebuild: its natural key, longer where two share one."""
    pub, docs, starts = cols["published"], cols["doc_id"], cols["start_char"]
    ids = []
    for g in groups:
        first = min(g, key=lambda i: (pub[i] or datetime.max, docs[i], starts[i]))
        type_ = cols["type"][first]
        # every member of a group shares the block's key party (none: a group of one)
        key = cols["actor_id"][first] if KEY_ROLE.get(type_) == "actor" else cols["target_id"][first]
        ids.append(_natural_id(type_, key, docs[first]))
    shared: dict[str, list[int]] = defaultdict(list)
    for n, gid in enumerate(ids):
        shared[gid].append(n)
    clashes = [n for members in shared.values() if len(members) > 1 for n in members]
    if clashes:
        composed = [compose_incident(cols, groups[n]) for n in clashes]
        _unique_ids(composed, cols, [groups[n] for n in clashes])
        for n, inc in zip(clashes, composed):
            ids[n] = inc.incident_id
    return ids


def _actor_kinds(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return dict(con.execute("SELECT actor_id, kind FROM actors WHERE kind IS NOT NULL").fetchall())


def _report(con, started: float, written: int, removed: int = 0) -> IncidentReport:
    n_events, n_incidents, disputed = con.execute(
        "SELECT (SELECT count(*) FROM incident_events), count(*), "
        "count(*) FILTER (WHERE amount_disputed OR date_disputed) FROM incidents").fetchall()[0]
    n_storylines = con.execute("SELECT count(*) FROM storylines").fetchall()[0][0]
    return IncidentReport(events=n_events, incidents=n_incidents, storylines=n_storylines, disputed=disputed,
                          seconds=time.perf_counter() - started, mode="incremental", written=written,
                          removed=removed)


# --- writing -------------------------------------------------------------------------------

def _call(hook, name: str, con, scope: Optional[list[str]]) -> None:
    method = getattr(hook, name)
    if getattr(hook, "scoped", False):
        method(con, incident_ids=scope)
    else:
        method(con)


def _write(con, hooks: Sequence, deleted: Optional[Iterable[str]], incidents: list[Incident],
           cols: dict[str, list], groups: list[list[int]], *, updates: Optional[pa.Table], storylines: list[dict],
           delete_storylines: Optional[set[str]], mapping: dict[str, str], settings: str,
           pending: Optional[list[str]] = None, scope: Optional[list[str]] = None) -> None:
    """One transaction: hooks before, old rows out (all when `deleted` is None), new rows in, hooks after."""
    from trustwatch.warehouse.storylines import storylines_table

    inc_table = _incidents_table(incidents)
    links = pa.table({
        "incident_id": pa.array([inc.incident_id for inc, g in zip(incidents, groups) for _ in g], pa.string()),
        "event_id": pa.array([cols["event_id"][i] for g in groups for i in g], pa.string()),
        "fingerprint": pa.array([cols["fingerprint"][i] for g in groups for i in g], pa.uint64()),
        "doc_id": pa.array([cols["doc_id"][i] for g in groups for i in g], pa.string()),
    })
    story_table = storylines_table(storylines)
    moves = updates if updates is not None else pa.table({
        "incident_id": pa.array([], pa.string()), "storyline_id": pa.array([], pa.string()),
        "storyline_seq": pa.array([], pa.int32())})
    party_map = pa.table({"raw_id": pa.array(list(mapping), pa.string()),
                          "canonical_id": pa.array(list(mapping.values()), pa.string())})
    gone = pa.table({"incident_id": pa.array(sorted(deleted or ()), pa.string())})
    done = pa.table({"doc_id": pa.array(pending or [], pa.string())})
    old_stories = pa.table({"storyline_id": pa.array(sorted(delete_storylines or ()), pa.string())})
    columns = [n for n in _INCIDENT_SCHEMA.names if n != "headline_event"]
    names = ", ".join(columns)
    selected = ", ".join(f"n.{c}" for c in columns)
    tables = {"_new_incidents": inc_table, "_new_incident_events": links, "_new_storylines": story_table,
              "_storyline_moves": moves, "_party_map": party_map, "_gone_incidents": gone,
              "_gone_storylines": old_stories, "_done_docs": done}
    con.complete()  # a caller's unread result would block register()
    for name, table in tables.items():
        con.register(name, table)
    try:
        con.execute("BEGIN TRANSACTION").fetchall()
        try:
            for hook in hooks:
                _call(hook, "before_rebuild", con, scope)
            if deleted is None:
                for table in ("incident_events", "incidents", "storylines", "incident_party_map",
                              "incident_pending_docs"):
                    con.execute(f"DELETE FROM {table}").fetchall()
            else:
                con.execute("DELETE FROM incident_events WHERE incident_id IN "
                            "(SELECT incident_id FROM _gone_incidents)").fetchall()
                con.execute("DELETE FROM incidents WHERE incident_id IN "
                            "(SELECT incident_id FROM _gone_incidents)").fetchall()
                con.execute("DELETE FROM storylines WHERE storyline_id IN "
                            "(SELECT storyline_id FROM _gone_storylines)").fetchall()
                con.execute("DELETE FROM incident_party_map").fetchall()
                con.execute("DELETE FROM incident_pending_docs WHERE doc_id IN "
                            "(SELECT doc_id FROM _done_docs)").fetchall()
            # the headline sentence joined here (not carried through Python), and rows written
            # in timeline order, so that date filters skip whole row groups
            con.execute(f"INSERT INTO incidents ({names}, headline) SELECT {selected}, e.sentence "
                        "FROM _new_incidents n LEFT JOIN events e ON e.event_id = n.headline_event "
                        "ORDER BY n.sort_date NULLS LAST, n.incident_id").fetchall()
            con.execute("INSERT INTO incident_events (incident_id, event_id, fingerprint, doc_id) "
                        "SELECT incident_id, event_id, fingerprint, doc_id FROM _new_incident_events").fetchall()
            if moves.num_rows:
                con.execute("UPDATE incidents SET storyline_id = m.storyline_id, storyline_seq = m.storyline_seq "
                            "FROM _storyline_moves m WHERE incidents.incident_id = m.incident_id").fetchall()
            story_cols = ", ".join(story_table.column_names)
            con.execute(f"INSERT INTO storylines ({story_cols}) SELECT {story_cols} FROM _new_storylines").fetchall()
            con.execute("INSERT INTO incident_party_map SELECT raw_id, canonical_id FROM _party_map").fetchall()
            con.execute("INSERT OR REPLACE INTO incident_build (name, value) VALUES ('settings', ?)",
                        [settings]).fetchall()
            for hook in hooks:
                _call(hook, "after_rebuild", con, scope)
            con.execute("COMMIT").fetchall()
        except BaseException:
            con.execute("ROLLBACK").fetchall()
            raise
    finally:
        for name in tables:
            con.unregister(name)
