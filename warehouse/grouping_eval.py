"""How well events are grouped into incidents: pairwise precision and recall on labelled groups.

A labelled set is JSONL, one document a line: `doc_id, source, url, published, title, text`
and `events`, each event in the GUIDELINES.md shape (`type, status, actor: [aliases],
target: [aliases], amount, date, evidence`) plus `incident`, a label shared by every report of
the same real-world event. Each labelled event found in the warehouse is an item; two items
are a true pair when they carry the same label, a predicted pair when their events landed in
the same incident. Two modes:

* `gold`: the labelled events themselves are loaded, so the score is the grouping's alone;
* `extract`: the extractor reads the texts, so the score includes what extraction misses.

With the shared corpus present, exact duplicate articles (the BBC set has some) are added at
run time in `extract` mode: every event extracted from one copy must share an incident with
its twin.
"""
from __future__ import annotations

import csv
import hashlib
import json
import logging
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Iterable, Optional

import duckdb
import pyarrow as pa

from trustwatch.records import KEY_ROLE, Amount, Event, EventDate, Party, contains_words, words
from trustwatch.warehouse.events import load_events

log = logging.getLogger(__name__)

#: the labelled set shipped with trustwatch: invented articles in which several outlets report the same events
DEFAULT_LABELLED = Path(__file__).resolve().parent / "data" / "grouping"


@dataclass
class LabelledDoc:
    doc_id: str
    source: str
    url: str
    published: datetime
    title: str
    text: str
    events: list[dict] = field(default_factory=list)


@dataclass
class GroupingScore:
    mode: str
    documents: int = 0
    items: int = 0               # labelled events found in the warehouse
    missed: int = 0              # labelled events with no matching extracted event
    incidents: int = 0
    precision: float = 1.0
    recall: float = 1.0
    true_pairs: int = 0
    predicted_pairs: int = 0
    correct_pairs: int = 0
    duplicate_groups: int = 0    # exact-duplicate groups added from the shared corpus
    errors: list[str] = field(default_factory=list)

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 0.0 if p + r == 0 else 2 * p * r / (p + r)


def load_labelled(folder: Path | str = DEFAULT_LABELLED) -> list[LabelledDoc]:
    """Every labelled document of `folder/*.jsonl`, in file and line order."""
    docs = []
    for path in sorted(Path(folder).glob("*.jsonl")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
                docs.append(LabelledDoc(
                    doc_id=raw["doc_id"], source=raw["source"], url=raw["url"],
                    published=datetime.fromisoformat(raw["published"]), title=raw.get("title") or "",
                    text=raw["text"], events=raw.get("events") or []))
            except (KeyError, ValueError) as exc:
                raise ValueError(f"{path}:{n}: not a labelled document ({exc})") from exc
    return docs


def gold_events(doc: LabelledDoc) -> list[Event]:
    """The labelled events as an extractor would report them (first alias as the text)."""
    events = []
    for e in doc.events:
        start = doc.text.find(e["evidence"])
        if start < 0:
            raise ValueError(f"{doc.doc_id}: evidence not found in text: {e['evidence'][:60]!r}")
        events.append(Event(
            doc_id=doc.doc_id, type=e["type"], status=e["status"],
            actor=Party(text=e["actor"][0]) if e.get("actor") else None,
            target=Party(text=e["target"][0]) if e.get("target") else None,
            amount=Amount(**e["amount"]) if e.get("amount") else None,
            date=EventDate(**e["date"]) if e.get("date") else None,
            sentence=e["evidence"], start=start, end=start + len(e["evidence"]), confidence=0.9,
        ))
    return events


def documents_table(docs: Iterable[LabelledDoc]) -> pa.Table:
    rows = list(docs)
    now = datetime(2000, 1, 1)
    return pa.table({
        "doc_id": [d.doc_id for d in rows], "source": [d.source for d in rows],
        "url": [d.url for d in rows], "canonical_url": [d.url for d in rows],
        "title": [d.title for d in rows], "text": [d.text for d in rows],
        "published": pa.array([d.published for d in rows], pa.timestamp("us")),
        "content_hash": [hashlib.sha1(d.text.encode("utf-8")).hexdigest() for d in rows],
        "fetched_at": pa.array([now for _ in rows], pa.timestamp("us")),
    })


def insert_documents(con: duckdb.DuckDBPyConnection, docs: Iterable[LabelledDoc]) -> int:
    """Bulk-insert labelled documents (existing doc_ids are left alone)."""
    table = documents_table(docs)
    con.complete()  # a caller's unread result would block register()
    con.register("_labelled_docs", table)
    try:
        cols = ", ".join(table.column_names)
        con.execute(f"INSERT INTO documents ({cols}) SELECT {cols} FROM _labelled_docs ON CONFLICT DO NOTHING").fetchall()
    finally:
        con.unregister("_labelled_docs")
    return table.num_rows


# --- matching extracted events to labels (the GUIDELINES.md key-argument rule) -------------

def key_matches(aliases: list[str], predicted: list[Optional[str]]) -> bool:
    """A predicted key (text or id) matches one of the aliases, word-consecutively either way."""
    if not aliases:
        return not any(predicted)
    for p in predicted:
        pw = words(p.split(":", 1)[-1].replace("-", " ") if p and p.startswith("prov:") else p)
        if not pw:
            continue
        for alias in aliases:
            aw = words(alias)
            if contains_words(pw, aw) or contains_words(aw, pw):
                return True
    return False


def _match_items(con: duckdb.DuckDBPyConnection, docs: list[LabelledDoc]) -> tuple[list[tuple[str, str]], int]:
    """(gold label, predicted incident) for every labelled event found; and the count missed."""
    rows = con.execute(
        """
        SELECT e.doc_id, e.type, e.actor_text, e.actor_id, e.target_text, e.target_id,
               ie.incident_id, e.start_char
        FROM events e JOIN incident_events ie ON ie.event_id = e.event_id
        ORDER BY e.doc_id, e.start_char, e.event_id
        """
    ).fetchall()
    by_doc: dict[str, list[tuple]] = defaultdict(list)
    for r in rows:
        by_doc[r[0]].append(r)
    items, missed = [], 0
    for doc in docs:
        used: set[int] = set()
        for gold in doc.events:
            if gold["status"] not in ("asserted", "planned"):
                continue
            aliases = gold.get("actor" if KEY_ROLE[gold["type"]] == "actor" else "target") or []
            found = None
            for n, r in enumerate(by_doc.get(doc.doc_id, [])):
                if n in used or r[1] != gold["type"]:
                    continue
                keys = [r[2], r[3]] if KEY_ROLE[gold["type"]] == "actor" else [r[4], r[5]]
                if key_matches(aliases, keys):
                    found = n
                    break
            if found is None:
                missed += 1
                continue
            used.add(found)
            items.append((f"{gold['incident']}", by_doc[doc.doc_id][found][6]))
    return items, missed


def pairwise(items: list[tuple[str, str]]) -> tuple[int, int, int]:
    """(true pairs, predicted pairs, correct pairs) of (gold label, predicted cluster) items."""
    def pairs(counter: Counter) -> int:
        return sum(n * (n - 1) // 2 for n in counter.values())
    return (pairs(Counter(g for g, _ in items)), pairs(Counter(p for _, p in items)),
            pairs(Counter(items)))


# --- duplicates in the shared corpus --------------------------------------------------------

def corpus_duplicates(corpus_dir: Path) -> list[list[tuple[str, str]]]:
    """Groups of (article id, text) whose texts are identical, found in `articles/manifest.csv`."""
    manifest = corpus_dir / "articles" / "manifest.csv"
    if not manifest.exists():
        return []
    by_hash: dict[str, list[tuple[str, str]]] = defaultdict(list)
    with manifest.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            path = corpus_dir / "articles" / f"{row['id']}.txt"
            if not path.exists():
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            digest = hashlib.sha1(" ".join(text.split()).encode("utf-8")).hexdigest()
            by_hash[digest].append((row["id"], text))
    return [group for group in by_hash.values() if len(group) > 1]


def _duplicate_docs(groups: list[list[tuple[str, str]]]) -> list[LabelledDoc]:
    docs = []
    for members in groups:
        for n, (article_id, text) in enumerate(members):
            docs.append(LabelledDoc(
                doc_id=f"corpus-{article_id}", source=f"corpus-copy-{n}", url=f"corpus:{article_id}",
                published=datetime(2005, 1, 1), title="", text=text))
    return docs


# --- the evaluation ------------------------------------------------------------------------

def evaluate(labelled: Path | str = DEFAULT_LABELLED, mode: str = "gold", corpus_dir: Optional[Path] = None,
             window_days: int = 14, nlp=None) -> GroupingScore:
    """Load the labelled set into a scratch warehouse, group it, and score the grouping."""
    from trustwatch.warehouse.db import open_connection
    from trustwatch.warehouse.incidents import build_incidents

    if mode not in ("gold", "extract"):
        raise ValueError(f"mode must be gold or extract, not {mode!r}")
    docs = load_labelled(labelled)
    score = GroupingScore(mode=mode, documents=len(docs))
    dup_groups = corpus_duplicates(corpus_dir) if (corpus_dir and mode == "extract") else []
    dup_docs = _duplicate_docs(dup_groups)
    score.duplicate_groups = len(dup_groups)
    with tempfile.TemporaryDirectory() as tmp:
        con = open_connection(Path(tmp) / "grouping.duckdb")
        try:
            insert_documents(con, docs + dup_docs)
            if mode == "gold":
                load_events(con, [d.doc_id for d in docs], [e for d in docs for e in gold_events(d)], "gold")
            else:
                _extract_into(con, docs + dup_docs, nlp)
            build_incidents(con, window_days=window_days)
            items, score.missed = _match_items(con, docs)
            items += _duplicate_items(con, dup_groups)
            score.incidents = con.execute("SELECT count(*) FROM incidents").fetchall()[0][0]
        finally:
            con.close()
    score.items = len(items)
    score.true_pairs, score.predicted_pairs, score.correct_pairs = pairwise(items)
    score.precision = score.correct_pairs / score.predicted_pairs if score.predicted_pairs else 1.0
    score.recall = score.correct_pairs / score.true_pairs if score.true_pairs else 1.0
    return score


def _extract_into(con: duckdb.DuckDBPyConnection, docs: list[LabelledDoc], nlp) -> None:
    from trustwatch.nlp.extract import EXTRACTOR_VERSION, extract_docs
    from trustwatch.records import DocInput

    inputs = [DocInput(doc_id=d.doc_id, text=d.text, published=d.published.date().isoformat(), language="en")
              for d in docs]
    events = [e for _, evs in extract_docs(inputs, nlp=nlp) for e in evs]
    load_events(con, [d.doc_id for d in docs], events, EXTRACTOR_VERSION)


def _duplicate_items(con: duckdb.DuckDBPyConnection, groups: list[list[tuple[str, str]]]) -> list[tuple[str, str]]:
    """Each event of a duplicated article, labelled by its position, must group with its twins."""
    items = []
    for g, members in enumerate(groups):
        for article_id, _ in members:
            rows = con.execute(
                """
                SELECT e.type, coalesce(e.target_id, e.actor_id, ''), e.start_char, ie.incident_id
                FROM events e JOIN incident_events ie ON ie.event_id = e.event_id
                WHERE e.doc_id = ? ORDER BY e.start_char, e.type, 2
                """, [f"corpus-{article_id}"]).fetchall()
            seen: Counter = Counter()
            for type_, key, _start, incident in rows:
                seen[(type_, key)] += 1
                items.append((f"dup{g}:{type_}:{key}:{seen[(type_, key)]}", incident))
    return items
