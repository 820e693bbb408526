"""Populate a warehouse with invented incidents (tests/core/fixtures/report/*.json).

The fixture files describe incidents with their evidence; this module expands them into rows
of the base tables (sources, actors, documents, events, incidents, incident_events,
storylines), loaded in bulk through Arrow like the pipeline does.
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "report"


def insert_rows(con, table: str, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    arrow = pa.Table.from_pylist(rows)
    name = f"_fixture_{table}"
    con.register(name, arrow)
    try:
        cols = ", ".join(arrow.column_names)
        con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {name}")
    finally:
        con.unregister(name)


def _id(*parts: str) -> str:
    return hashlib.sha1("\x1f".join(parts).encode()).hexdigest()[:16]


def load_fixture(con, name: str = "incidents.json", *, shift_days: int = 0) -> dict:
    """Load one fixture file; `shift_days` moves every date (to place it relative to today)."""
    spec = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    shift = timedelta(days=shift_days)
    version = spec["extractor_version"]

    def ts(text: str) -> datetime:
        return datetime.fromisoformat(text) + shift

    def day(text: str | None) -> str | None:
        if not text or len(text) != 10 or not shift_days:
            return text
        return (datetime.fromisoformat(text) + shift).date().isoformat()

    insert_rows(con, "sources", [dict(name=s["name"], url=s["url"], kind=s["kind"]) for s in spec["sources"]])
    insert_rows(con, "actors", [dict(actor_id=a["actor_id"], name=a["name"], kind=a.get("kind"),
                                     aliases=a.get("aliases", [])) for a in spec["actors"]])
    insert_rows(con, "storylines", [dict(storyline_id=s["storyline_id"], title=s.get("title"),
                                         parties=s.get("parties", []), first_date=day(s.get("first_date")),
                                         last_date=day(s.get("last_date")),
                                         n_incidents=sum(1 for i in spec["incidents"]
                                                         if i.get("storyline_id") == s["storyline_id"]))
                                    for s in spec["storylines"]])
    documents: dict[str, dict] = {}
    events, links, incidents = [], [], []
    for inc in spec["incidents"]:
        published = []
        for n, ev in enumerate(inc["evidence"]):
            doc_id = _id(ev["url"])
            if doc_id not in documents:
                documents[doc_id] = dict(
                    doc_id=doc_id, source=ev["source"], url=ev["url"], canonical_url=ev["url"],
                    title=ev.get("title"), text=ev["sentence"], published=ts(ev["published"]),
                    content_hash=_id("text", ev["url"], ev["sentence"]), fetched_at=ts(ev["fetched"]),
                    language="en", extractor_version=version)
            event_id = _id(inc["incident_id"], doc_id, str(n))
            events.append(dict(
                event_id=event_id, doc_id=doc_id, type=inc["type"], status=inc["status"],
                actor_text=inc.get("actor_text"), actor_id=inc.get("actor_id"),
                target_text=inc.get("target_text"), target_id=inc.get("target_id"),
                amount_value=inc.get("amount_value"), amount_currency=inc.get("amount_currency"),
                event_date=day(inc.get("event_date")), date_precision=inc.get("date_precision"),
                sentence=ev["sentence"], start_char=0, end_char=len(ev["sentence"]),
                confidence=0.9, extractor_version=version))
            links.append(dict(incident_id=inc["incident_id"], event_id=event_id))
            published.append(ts(ev["published"]))
        incidents.append(dict(
            incident_id=inc["incident_id"], type=inc["type"], status=inc["status"],
            actor_id=inc.get("actor_id"), actor_text=inc.get("actor_text"),
            target_id=inc.get("target_id"), target_text=inc.get("target_text"),
            amount_value=float(inc["amount_value"]) if inc.get("amount_value") is not None else None,
            amount_currency=inc.get("amount_currency"), event_date=day(inc.get("event_date")),
            date_precision=inc.get("date_precision"), first_seen=min(published), last_seen=max(published),
            n_documents=len({_id(e["url"]) for e in inc["evidence"]}),
            n_sources=len({e["source"] for e in inc["evidence"]}), headline=inc.get("headline"),
            storyline_id=inc.get("storyline_id"),
            disagreements=json.dumps(inc["disagreements"]) if inc.get("disagreements") else None))
    insert_rows(con, "documents", list(documents.values()))
    insert_rows(con, "events", events)
    insert_rows(con, "incidents", incidents)
    insert_rows(con, "incident_events", links)
    return spec


def fixture_events(name: str = "incidents.json"):
    """The fixture as documents (rows) and extracted events (records), for the real grouping."""
    from trustwatch.records import Amount, Event, EventDate, Party

    spec = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    documents: dict[str, dict] = {}
    events = []
    for inc in spec["incidents"]:
        for ev in inc["evidence"]:
            doc_id = _id(ev["url"])
            documents.setdefault(doc_id, dict(
                doc_id=doc_id, source=ev["source"], url=ev["url"], canonical_url=ev["url"],
                title=ev.get("title"), text=ev["sentence"], published=datetime.fromisoformat(ev["published"]),
                content_hash=_id("text", ev["url"], ev["sentence"]),
                fetched_at=datetime.fromisoformat(ev["fetched"]), language="en"))
            amount = (Amount(value=inc["amount_value"], currency=inc["amount_currency"],
                             text=f"{inc['amount_currency']} {inc['amount_value']}")
                      if inc.get("amount_value") is not None else None)
            when = (EventDate(value=inc["event_date"], precision=inc["date_precision"], text=inc["event_date"])
                    if inc.get("event_date") else None)
            events.append(Event(
                doc_id=doc_id, type=inc["type"], status=inc["status"],
                actor=Party(text=inc["actor_text"], id=inc.get("actor_id")) if inc.get("actor_text") else None,
                target=Party(text=inc["target_text"], id=inc.get("target_id")) if inc.get("target_text") else None,
                amount=amount, date=when, trigger=inc["type"].lower(), sentence=ev["sentence"],
                start=0, end=len(ev["sentence"]), confidence=0.9))
    return spec, list(documents.values()), events
