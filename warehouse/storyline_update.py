"""Relinking storylines after an incremental incident update, with the rows a full relink gives.

Only chains of the parties of changed incidents can gain or lose links, so the incidents to
relink are those with such a party plus every member of their old storylines: a set closed
under links (a chain restricted to it links no pair the whole chain would not). The chains
are cut and ordered in SQL, the components found by a union-find over the links, and ids,
order and storyline rows follow `storylines.link_storylines` exactly.
"""
from __future__ import annotations

import hashlib
from typing import Optional

import duckdb
import pyarrow as pa

from trustwatch.warehouse.incidents import Incident
from trustwatch.warehouse.storylines import (
    ACTOR_LINK_TYPES,
    AUTHORITY_KINDS,
    TYPE_ORDER,
    _UnionFind,
    linking_parties,
)

_TYPE_ORDER = [t for t, _ in sorted(TYPE_ORDER.items(), key=lambda kv: kv[1])]
_STORY_ORDER = "sort_date NULLS LAST, coalesce(list_position($type_order, type), 99), incident_id"
_COLUMNS = "incident_id, type, key_party, actor_id, actor_text, target_id, target_text, sort_date"
_PARTIES_SQL = """
    SELECT s.*, s.key_party AS party FROM {src} s WHERE s.key_party IS NOT NULL
    UNION ALL
    SELECT s.*, s.actor_id FROM {src} s LEFT JOIN actors a ON a.actor_id = s.actor_id
    WHERE list_contains($link_types, s.type) AND s.actor_id IS NOT NULL
      AND s.actor_id IS DISTINCT FROM s.key_party
      AND NOT list_contains($authority, lower(coalesce(a.kind, '')))
"""


def relink(con: duckdb.DuckDBPyConnection, deleted: set[str], new: list[Incident], window_days: int,
           kinds: dict[str, str]) -> tuple[Optional[pa.Table], list[dict], set[str]]:
    """Storyline moves of stored incidents (incident_id, storyline_id, storyline_seq), new storyline
    rows, and the old storyline ids to drop.

    The new incidents get their `storyline_id`/`storyline_seq` set in place. Reads only.
    """
    parties = {p for inc in new for p in linking_parties(inc, kinds)}
    if deleted:
        parties |= {p for row in con.execute(
            "SELECT key_party, CASE WHEN list_contains(?::VARCHAR[], type) THEN actor_id END FROM incidents "
            "WHERE incident_id IN (SELECT unnest(?::VARCHAR[]))", [sorted(ACTOR_LINK_TYPES), sorted(deleted)]
        ).fetchall() for p in row if p is not None}
    for inc in new:
        inc.storyline_id, inc.storyline_seq = None, None
    if not parties:
        return None, [], set()
    params = {"link_types": sorted(ACTOR_LINK_TYPES), "authority": sorted(AUTHORITY_KINDS),
              "type_order": _TYPE_ORDER, "window": window_days}
    tables = {
        "_sl_parties": pa.table({"party": pa.array(sorted(parties), pa.string())}),
        "_sl_gone": pa.table({"incident_id": pa.array(sorted(deleted), pa.string())}),
        "_sl_new": pa.table({
            "incident_id": [i.incident_id for i in new], "type": [i.type for i in new],
            "key_party": [i.key_party for i in new], "actor_id": [i.actor_id for i in new],
            "actor_text": [i.actor_text for i in new], "target_id": [i.target_id for i in new],
            "target_text": [i.target_text for i in new],
            "sort_date": pa.array([i.sort_date for i in new], pa.date32())}),
    }
    con.complete()
    for name, table in tables.items():
        con.register(name, table)
    try:
        old_storylines = {r[0] for r in con.execute(
            "SELECT DISTINCT storyline_id FROM incidents WHERE storyline_id IS NOT NULL AND ("
            "key_party IN (SELECT party FROM _sl_parties) OR incident_id IN (SELECT incident_id FROM _sl_gone) "
            "OR (list_contains($link_types, type) AND actor_id IN (SELECT party FROM _sl_parties)))",
            {"link_types": params["link_types"]}).fetchall()}
        con.register("_sl_old", pa.table({"storyline_id": pa.array(sorted(old_storylines), pa.string())}))
        tables["_sl_old"] = None
        # the incidents to relink, as they will be after the update, numbered
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE _sl_set AS
            WITH cur AS (
                SELECT {_COLUMNS}, storyline_id, storyline_seq, FALSE AS is_new FROM incidents
                WHERE incident_id NOT IN (SELECT incident_id FROM _sl_gone)
                  AND (key_party IN (SELECT party FROM _sl_parties)
                       OR storyline_id IN (SELECT storyline_id FROM _sl_old)
                       OR (list_contains($link_types, type) AND actor_id IN (SELECT party FROM _sl_parties)))
                UNION ALL
                SELECT {_COLUMNS}, NULL, NULL, TRUE FROM _sl_new)
            SELECT row_number() OVER () - 1 AS idx, * FROM cur""", {"link_types": params["link_types"]}).fetchall()
        size = con.execute("SELECT count(*) FROM _sl_set").fetchall()[0][0]
        links = con.sql(f"""
            WITH p AS ({_PARTIES_SQL.format(src="_sl_set")}),
            chain AS (SELECT idx, sort_date, lag(idx) OVER w AS prev, lag(sort_date) OVER w AS prev_date
                      FROM p WHERE sort_date IS NOT NULL
                      WINDOW w AS (PARTITION BY party ORDER BY {_STORY_ORDER}))
            SELECT prev, idx FROM chain WHERE prev IS NOT NULL AND sort_date - prev_date <= $window""",
            params={k: params[k] for k in ("link_types", "authority", "type_order", "window")}).to_arrow_table()
        uf = _UnionFind(size)
        for a, b in zip(links.column("prev").to_pylist(), links.column("idx").to_pylist()):
            uf.union(a, b)
        roots = [uf.find(n) for n in range(size)]
        sizes: dict[int, int] = {}
        for r in roots:
            sizes[r] = sizes.get(r, 0) + 1
        linked = [n for n in range(size) if sizes[roots[n]] > 1]
        con.register("_sl_labels", pa.table({"idx": pa.array(linked, pa.int64()),
                                             "comp": pa.array([roots[n] for n in linked], pa.int64())}))
        tables["_sl_labels"] = None
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE _sl_ordered AS
            SELECT s.*, l.comp, row_number() OVER (PARTITION BY l.comp ORDER BY {_STORY_ORDER}) AS seq
            FROM _sl_set s JOIN _sl_labels l USING (idx)""", {"type_order": _TYPE_ORDER}).fetchall()
        firsts = con.execute("SELECT comp, incident_id FROM _sl_ordered WHERE seq = 1").fetchall()
        story_ids = {comp: "sl_" + hashlib.sha1(first.encode("utf-8")).hexdigest()[:16] for comp, first in firsts}
        con.register("_sl_ids", pa.table({"comp": pa.array(list(story_ids), pa.int64()),
                                          "storyline_id": pa.array(list(story_ids.values()), pa.string())}))
        tables["_sl_ids"] = None
        changed = ("SELECT s.incident_id, i.storyline_id, CAST(o.seq AS INTEGER) AS storyline_seq FROM _sl_set s "
                   "LEFT JOIN _sl_ordered o USING (idx) LEFT JOIN _sl_ids i ON i.comp = o.comp WHERE s.is_new = {new} "
                   "AND (i.storyline_id IS DISTINCT FROM s.storyline_id OR o.seq IS DISTINCT FROM s.storyline_seq)")
        moves = con.sql(changed.format(new="FALSE")).to_arrow_table()
        assigned = {r[0]: (r[1], r[2]) for r in con.execute(changed.format(new="TRUE")).fetchall()}
        rows = _storyline_rows(con, params)
    finally:
        for name in tables:
            con.unregister(name)
        con.execute("DROP TABLE IF EXISTS _sl_set").fetchall()
        con.execute("DROP TABLE IF EXISTS _sl_ordered").fetchall()

    for inc in new:
        inc.storyline_id, inc.storyline_seq = assigned.get(inc.incident_id, (None, None))
    return moves, rows, old_storylines


def _storyline_rows(con: duckdb.DuckDBPyConnection, params: dict) -> list[dict]:
    """The `storylines` rows of the relinked components, as `storylines._storyline_row` makes them."""
    result = con.execute(f"""
        WITH m AS (SELECT o.*, i.storyline_id AS sl FROM _sl_ordered o JOIN _sl_ids i USING (comp)),
        p AS ({_PARTIES_SQL.format(src="m")}),
        named AS (SELECT sl, party, count(*) AS n,
                         first(coalesce(nullif(CASE WHEN party = target_id THEN target_text ELSE actor_text END, ''),
                                        party) ORDER BY seq) AS name
                  FROM p GROUP BY sl, party),
        titles AS (SELECT sl, array_to_string(list(name ORDER BY n DESC, party)[1:3], ', ') AS who,
                          list(party ORDER BY party) AS parties FROM named GROUP BY sl),
        kinds AS (SELECT sl, lower(type) AS t, min(seq) AS first_seq FROM m GROUP BY sl, lower(type)),
        acts AS (SELECT sl, string_agg(t, ' → ' ORDER BY first_seq) AS acts FROM kinds GROUP BY sl),
        stories AS (SELECT sl, strftime(min(sort_date), '%Y-%m-%d') AS first_date,
                           strftime(max(sort_date), '%Y-%m-%d') AS last_date, count(*) AS n_incidents,
                           list(type ORDER BY seq) AS types FROM m GROUP BY sl)
        SELECT s.sl, t.who || ': ' || w.acts, t.parties, s.first_date, s.last_date, s.n_incidents, s.types
        FROM stories s JOIN titles t USING (sl) JOIN acts w USING (sl)""",
        {k: params[k] for k in ("link_types", "authority")}).fetchall()
    names = ("storyline_id", "title", "parties", "first_date", "last_date", "n_incidents", "types")
    return [dict(zip(names, r)) for r in result]
