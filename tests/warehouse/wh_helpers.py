"""Building small warehouses for the timeline tests: documents and events made in code."""
from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path
from typing import Optional

import pyarrow as pa

from trustwatch.records import Amount, Event, EventDate, Party
from trustwatch.warehouse.db import open_connection

FIXTURES = Path(__file__).parent / "fixtures"
#: the labelled document groups (shipped with the package, for `trustwatch eval-grouping`)
GROUPING = Path(__file__).resolve().parents[2] / "warehouse" / "data" / "grouping"
TABLES = ("documents", "events", "actors", "incidents", "incident_events", "storylines")


def new_warehouse(tmp_path: Path, name: str = "wh.duckdb"):
    return open_connection(tmp_path / name)


def add_documents(con, docs: list[tuple[str, str, str]], text: str = "") -> None:
    """Insert (doc_id, source, published ISO) documents in one bulk statement."""
    now = datetime(2026, 1, 1)
    table = pa.table({
        "doc_id": [d for d, _, _ in docs],
        "source": [s for _, s, _ in docs],
        "url": [f"https://{s}.example/{d}" for d, s, _ in docs],
        "canonical_url": [f"https://{s}.example/{d}" for d, s, _ in docs],
        "text": [text or f"text of {d}" for d, _, _ in docs],
        "published": pa.array([datetime.fromisoformat(p) for _, _, p in docs], pa.timestamp("us")),
        "content_hash": [hashlib.sha1(d.encode()).hexdigest() for d, _, _ in docs],
        "fetched_at": pa.array([now] * len(docs), pa.timestamp("us")),
    })
    con.complete()  # a caller's unread result would block register()
    con.register("_test_docs", table)
    con.execute("INSERT INTO documents (doc_id, source, url, canonical_url, text, published, content_hash, fetched_at) "
                "SELECT * FROM _test_docs").fetchall()
    con.unregister("_test_docs")


def event(doc_id: str, type_: str, actor: Optional[str], target: Optional[str], *, status: str = "asserted",
          amount: Optional[tuple[float, str]] = None, date: Optional[str] = None, start: int = 0,
          sentence: Optional[str] = None, actor_id: Optional[str] = None, target_id: Optional[str] = None,
          confidence: float = 0.8) -> Event:
    precision = {3: "day", 2: "month", 1: "year"}[len(date.split("-"))] if date else None
    return Event(
        doc_id=doc_id, type=type_, status=status,
        actor=Party(text=actor, id=actor_id) if actor else None,
        target=Party(text=target, id=target_id) if target else None,
        amount=Amount(value=amount[0], currency=amount[1], text=f"{amount[0]:g} {amount[1]}") if amount else None,
        date=EventDate(value=date, precision=precision, text=date) if date else None,
        sentence=sentence or f"{actor} {type_.lower()} {target} ({doc_id})",
        start=start, end=start + 40, confidence=confidence,
    )


def snapshot(con) -> dict[str, list]:
    """Every row of the timeline tables, sorted, for before/after comparisons."""
    out = {}
    for table in TABLES:
        cols = [r[0] for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
            [table]).fetchall()]
        rows = con.execute(f"SELECT {', '.join(cols)} FROM {table}").fetchall()
        out[table] = sorted(rows, key=repr)
    return out


def fixture_extractor(version: str = "fixture-1", folder: Path = GROUPING):
    """(version, extract function) returning the labelled events of fixture documents."""
    from trustwatch.warehouse.grouping_eval import gold_events, load_labelled

    by_id = {d.doc_id: d for d in load_labelled(folder)}

    def run(docs):
        for doc in docs:
            labelled = by_id.get(doc.doc_id)
            yield doc, (gold_events(labelled) if labelled else [])

    return version, run


def fixture_warehouse(path: Path, pattern: str = "kuaishou*.jsonl"):
    """A warehouse file holding the labelled fixture documents, not yet processed."""
    from trustwatch.warehouse.grouping_eval import insert_documents, load_labelled

    docs = []
    for file in sorted(GROUPING.glob(pattern)):
        docs += [d for d in load_labelled(file.parent) if d.doc_id in _ids_in(file)]
    con = open_connection(path)
    insert_documents(con, docs)
    return con


def _ids_in(file: Path) -> set[str]:
    import json
    return {json.loads(line)["doc_id"] for line in file.read_text(encoding="utf-8").splitlines() if line.strip()}
