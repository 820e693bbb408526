"""SQL of the alert outbox: incident states to compare, alerts to insert, deliveries to record.

The outbox rows are inserted by the caller inside the transaction that rebuilds the incidents
(see `trustwatch.alerts.outbox`), so an alert exists exactly when the change that caused it was
committed. Deliveries are updated afterwards, one row per alert and channel.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable, Optional

import duckdb

#: the incident columns an alert compares and carries
_STATE_SQL = """
SELECT i.incident_id, i.type, i.status, i.actor_id, coalesce(a.name, i.actor_text) AS actor,
       i.target_id, coalesce(t.name, i.target_text) AS target, i.amount_value, i.amount_currency,
       i.event_date, i.n_documents, i.n_sources, i.sources, i.first_seen, i.last_seen,
       i.headline, i.storyline_id, i.storyline_seq
FROM incidents i
LEFT JOIN actors a ON a.actor_id = i.actor_id
LEFT JOIN actors t ON t.actor_id = i.target_id
"""


@dataclass
class Delivery:
    alert_id: str
    channel: str
    watch: str
    attempts: int
    title: str
    payload: dict[str, Any]
    created_at: datetime


def incident_states(con: duckdb.DuckDBPyConnection,
                    incident_ids: Optional[list[str]] = None) -> dict[str, dict[str, Any]]:
    """Every incident (or those of `incident_ids`) as a dict of the columns an alert compares and carries."""
    if incident_ids is None:
        cur = con.execute(_STATE_SQL)
    else:
        cur = con.execute(_STATE_SQL + "WHERE i.incident_id IN (SELECT unnest(?::VARCHAR[]))", [incident_ids])
    names = [d[0] for d in cur.description]
    return {row[0]: dict(zip(names, row)) for row in cur.fetchall()}


def storyline_sizes(con: duckdb.DuckDBPyConnection, storyline_ids: list[str]) -> dict[str, int]:
    """How many incidents each storyline holds."""
    if not storyline_ids:
        return {}
    return dict(con.execute(
        "SELECT storyline_id, count(*) FROM incidents WHERE storyline_id IN (SELECT unnest(?::VARCHAR[])) "
        "GROUP BY storyline_id", [storyline_ids]).fetchall())


def incident_links(con: duckdb.DuckDBPyConnection, incident_ids: list[str]) -> dict[str, list[str]]:
    """The document URLs behind each incident, earliest first."""
    if not incident_ids:
        return {}
    rows = con.execute(
        "SELECT ie.incident_id, coalesce(d.canonical_url, d.url) FROM incident_events ie "
        "JOIN events e ON e.event_id = ie.event_id JOIN documents d ON d.doc_id = e.doc_id "
        "WHERE ie.incident_id IN (SELECT unnest(?::VARCHAR[])) "
        "ORDER BY ie.incident_id, d.published NULLS LAST, d.doc_id", [incident_ids]).fetchall()
    out: dict[str, list[str]] = {}
    for incident_id, url in rows:
        links = out.setdefault(incident_id, [])
        if url and url not in links:
            links.append(url)
    return out


def insert_alerts(con: duckdb.DuckDBPyConnection, alerts: Iterable[dict[str, Any]]) -> int:
    """Insert alerts and their pending deliveries; an alert already present is left alone.

    Runs inside the caller's transaction. Returns how many alerts were new.
    """
    new = 0
    for a in alerts:
        exists = con.execute("SELECT 1 FROM alerts WHERE alert_id = ?", [a["alert_id"]]).fetchall()
        if exists:
            continue
        con.execute("INSERT INTO alerts (alert_id, watch, incident_id, reasons, created_at, title, payload) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [a["alert_id"], a["watch"], a["incident_id"], a["reasons"], a["created_at"], a["title"],
                     json.dumps(a["payload"], ensure_ascii=False, default=str)])
        for channel in a["channels"]:
            con.execute("INSERT INTO alert_deliveries (alert_id, channel, state) VALUES (?, ?, 'pending')",
                        [a["alert_id"], channel])
        new += 1
    return new


def pending_deliveries(con: duckdb.DuckDBPyConnection) -> list[Delivery]:
    """Deliveries not made yet, oldest alert first."""
    rows = con.execute(
        "SELECT d.alert_id, d.channel, a.watch, d.attempts, a.title, CAST(a.payload AS VARCHAR), a.created_at "
        "FROM alert_deliveries d JOIN alerts a ON a.alert_id = d.alert_id "
        "WHERE d.state = 'pending' ORDER BY a.created_at, d.alert_id, d.channel").fetchall()
    return [Delivery(alert_id=r[0], channel=r[1], watch=r[2], attempts=r[3], title=r[4],
                     payload=json.loads(r[5]), created_at=r[6]) for r in rows]


def record_delivery(con: duckdb.DuckDBPyConnection, alert_id: str, channel: str, *, attempts: int,
                    delivered: bool, error: Optional[str], at: datetime, state: Optional[str] = None) -> None:
    """The outcome of this run's attempts at one delivery."""
    new_state = state or ("delivered" if delivered else "pending")
    con.execute(
        "UPDATE alert_deliveries SET state = ?, attempts = attempts + ?, last_error = ?, last_attempt = ?, "
        "delivered_at = CASE WHEN ? THEN ? ELSE delivered_at END "
        "WHERE alert_id = ? AND channel = ? AND state = 'pending'",
        [new_state, attempts, error, at, delivered, at, alert_id, channel])


def feed_entries(con: duckdb.DuckDBPyConnection, watch: str, limit: int = 100) -> list[dict[str, Any]]:
    """The latest alerts of a watch that go to its feed (those delivered there, and `pending` ones)."""
    rows = con.execute(
        "SELECT a.alert_id, a.title, CAST(a.payload AS VARCHAR), a.created_at FROM alerts a "
        "JOIN alert_deliveries d ON d.alert_id = a.alert_id AND d.channel = 'feed' "
        "WHERE a.watch = ? AND d.state IN ('pending', 'delivered') "
        "ORDER BY a.created_at DESC, a.alert_id LIMIT ?", [watch, limit]).fetchall()
    return [{"alert_id": r[0], "title": r[1], "payload": json.loads(r[2]), "created_at": r[3]} for r in rows]


def recent_alerts(con: duckdb.DuckDBPyConnection, limit: int = 50, watch: Optional[str] = None) -> list[dict[str, Any]]:
    """The latest alerts with the state of each channel's delivery."""
    where, params = "", []
    if watch:
        where, params = "WHERE a.watch = ?", [watch]
    rows = con.execute(
        f"SELECT a.alert_id, a.created_at, a.watch, a.incident_id, a.reasons, a.title, "
        f"list(struct_pack(channel := d.channel, state := d.state, attempts := d.attempts, "
        f"last_error := d.last_error) ORDER BY d.channel) FILTER (WHERE d.channel IS NOT NULL) "
        f"FROM alerts a LEFT JOIN alert_deliveries d ON d.alert_id = a.alert_id {where} "
        f"GROUP BY ALL ORDER BY a.created_at DESC, a.alert_id LIMIT ?", params + [limit]).fetchall()
    names = ("alert_id", "created_at", "watch", "incident_id", "reasons", "title", "deliveries")
    return [dict(zip(names, r)) for r in rows]
