"""Which incident changes each watch hears about, written as alerts in the rebuild's transaction.

`AlertOutbox` is handed to `build_incidents`: it reads the incidents before the old rows are
deleted and again after the new ones are inserted, both inside the rebuild's transaction, and
inserts one alert per watch for every matching incident that is new to the watch or changed
in a way a reader cares about (a new source, another amount, another status). The alert id is
a hash of the watch, the incident and its new state, so the same change can never be alerted
twice, and a rebuild that changes nothing writes nothing.
"""
from __future__ import annotations

import hashlib
import json
import logging
from datetime import date, datetime
from typing import Any, Optional, Sequence

import duckdb

from trustwatch.alerts.watches import Watch
from trustwatch.records import utcnow
from trustwatch.warehouse.alerts import incident_links, incident_states, insert_alerts, storyline_sizes

log = logging.getLogger(__name__)

#: payload schema version (docs/alerts.md)
SCHEMA_VERSION = 1
_REASON_TEXT = {"new": "new incident", "sources": "new source", "amount": "amount changed",
                "status": "status changed"}


def _plain(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def watch_ids(con: duckdb.DuckDBPyConnection, watch: Watch) -> set[str]:
    """Canonical ids of a watch's parties: 'Kuaishou' and '快手' resolve to the same id."""
    from trustwatch.warehouse.queries import resolve_actor

    ids: set[str] = set()
    for name in watch.actors:
        ids.update(resolve_actor(con, name))
    return ids


def matches(watch: Watch, ids: set[str], inc: dict[str, Any]) -> bool:
    if watch.actors and inc.get("actor_id") not in ids and inc.get("target_id") not in ids:
        return False
    if watch.types and inc.get("type") not in watch.types:
        return False
    return (inc.get("n_sources") or 0) >= watch.min_sources


def changes(old: Optional[dict[str, Any]], new: dict[str, Any]) -> list[str]:
    """What a reader would want to hear about between two states of one incident."""
    if old is None:
        return ["new"]
    reasons = []
    if set(new.get("sources") or []) - set(old.get("sources") or []):
        reasons.append("sources")
    if new.get("amount_value") is not None and (
            (old.get("amount_value"), old.get("amount_currency")) != (new["amount_value"], new.get("amount_currency"))):
        reasons.append("amount")
    if old.get("status") != new.get("status"):
        reasons.append("status")
    return reasons


def _state_key(inc: dict[str, Any]) -> str:
    return json.dumps([inc.get("status"), inc.get("amount_value"), inc.get("amount_currency"),
                       sorted(inc.get("sources") or [])], default=str)


def alert_id(watch: str, incident_id: str, inc: dict[str, Any]) -> str:
    raw = "\x1f".join((watch, incident_id, _state_key(inc)))
    return "alt_" + hashlib.sha1(raw.encode("utf-8")).hexdigest()[:20]


def _amount(inc: dict[str, Any]) -> Optional[str]:
    if inc.get("amount_value") is None:
        return None
    from trustwatch.report.data import format_amount

    return format_amount(inc["amount_value"], inc.get("amount_currency"))


def compose(watch: Watch, inc: dict[str, Any], reasons: list[str], links: list[str],
            storyline_size: int, now: datetime) -> dict[str, Any]:
    """The alert row: its title and the JSON payload every channel sends (docs/alerts.md)."""
    from trustwatch.report.data import safe_url

    parties = " → ".join(p for p in (inc.get("actor"), inc.get("target")) if p) or "unknown parties"
    amount = _amount(inc)
    title = f"[{watch.name}] {inc['type']}: {parties}" + (f" ({amount})" if amount else "")
    why = ", ".join(_REASON_TEXT[r] for r in reasons)
    safe_links = [u for u in (safe_url(x) for x in links) if u][:10]
    lines = [f"*{title}* ({why})", inc.get("headline") or ""]
    facts = [f"status: {inc.get('status')}", f"date: {inc.get('event_date') or 'not stated'}",
             f"{inc.get('n_sources') or 0} source(s)"]
    if storyline_size > 1:
        facts.append(f"storyline {inc.get('storyline_id')}: {storyline_size} incidents")
    lines.append(" · ".join(facts))
    lines += safe_links[:3]
    incident = {k: _plain(inc.get(k)) for k in (
        "incident_id", "type", "status", "headline", "event_date", "actor", "actor_id", "target",
        "target_id", "amount_value", "amount_currency", "n_sources", "n_documents", "sources",
        "first_seen", "last_seen", "storyline_id", "storyline_seq")}
    incident["amount"] = amount
    incident["links"] = safe_links
    incident["storyline_size"] = storyline_size
    payload = {
        "text": "\n".join(line for line in lines if line),
        "trustwatch": {"schema": SCHEMA_VERSION, "alert_id": alert_id(watch.name, inc["incident_id"], inc),
                       "watch": watch.name, "reasons": reasons, "created_at": now.isoformat(),
                       "incident": incident},
    }
    return {"alert_id": payload["trustwatch"]["alert_id"], "watch": watch.name,
            "incident_id": inc["incident_id"], "reasons": reasons, "created_at": now, "title": title,
            "payload": payload, "channels": watch.channels}


class AlertOutbox:
    """A rebuild hook: compares the incidents before and after, inserts the alerts."""

    def __init__(self, watches: Sequence[Watch]):
        self.watches = [w for w in watches if w.channels]
        self.before: dict[str, dict[str, Any]] = {}
        self.written = 0

    #: `build_incidents` names the incidents that may change (`incident_ids`, None: all of them)
    scoped = True

    def before_rebuild(self, con: duckdb.DuckDBPyConnection, incident_ids: Optional[list[str]] = None) -> None:
        self.before = incident_states(con, incident_ids) if self.watches else {}

    def after_rebuild(self, con: duckdb.DuckDBPyConnection, incident_ids: Optional[list[str]] = None) -> None:
        if not self.watches:
            return
        after = incident_states(con, incident_ids)
        story_sizes = storyline_sizes(con, sorted({inc["storyline_id"] for inc in after.values()
                                                   if inc.get("storyline_id")}))
        now = utcnow()
        pending: list[tuple[Watch, dict, list[str]]] = []
        for watch in self.watches:
            ids = watch_ids(con, watch)
            for incident_id, inc in after.items():
                if not matches(watch, ids, inc):
                    continue
                old = self.before.get(incident_id)
                # an incident that only now passes the watch's filters is new to the watch
                reasons = changes(old if old is not None and matches(watch, ids, old) else None, inc)
                if reasons:
                    pending.append((watch, inc, reasons))
        links = incident_links(con, sorted({inc["incident_id"] for _, inc, _ in pending}))
        rows = [compose(w, inc, reasons, links.get(inc["incident_id"], []),
                        story_sizes.get(inc.get("storyline_id") or "", 0), now)
                for w, inc, reasons in pending]
        self.written = insert_alerts(con, rows)
        if self.written:
            log.info("%d new alert(s) in the outbox", self.written)
