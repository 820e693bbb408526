"""Documents, the fetch log and source validators in the warehouse; every load is one bulk statement.

Exactly once: a document whose canonical URL is stored already is *unchanged* (its missing
text is filled in when a later crawl fetched the page, and text stored with a decoding
problem is replaced by a copy without one); one whose content hash is stored under another
URL is a *duplicate* and not stored; anything else is *new*. New documents
get a story: that of a stored (or same-batch) near-duplicate by simhash, else their own id.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Optional, Sequence

import duckdb
import pyarrow as pa

from trustwatch.records import Document, FetchLog, Source
from trustwatch.textutil import NEAR_DUPLICATE_BITS, bands, hamming, simhash

DOCUMENT_COLUMNS = (
    "doc_id", "source", "url", "canonical_url", "title", "summary", "author", "text",
    "published", "published_is_fallback", "language", "content_hash", "story_id", "fetched_at",
    "text_problem",
)
_DOC_TYPES = {
    "published": pa.timestamp("us"), "fetched_at": pa.timestamp("us"),
    "published_is_fallback": pa.bool_(),
}


@dataclass
class SourceCounts:
    new: int = 0
    unchanged: int = 0
    duplicates: int = 0
    updated: int = 0  # stored before without text (or with garbled text); text filled in now


@dataclass
class MergeResult:
    by_source: dict[str, SourceCounts] = field(default_factory=lambda: defaultdict(SourceCounts))
    new_doc_ids: list[str] = field(default_factory=list)

    @property
    def new(self) -> int:
        return sum(c.new for c in self.by_source.values())


@dataclass
class SourceOutcome:
    """What one crawl learned about a source, for the `sources` table."""

    source: Source
    ok: bool
    not_modified: bool = False
    status: Optional[int] = None
    etag: Optional[str] = None
    last_modified: Optional[str] = None
    error: Optional[str] = None
    #: keep the old validators so the next run fetches the feed again (some pages failed)
    keep_validators: bool = False
    #: forget the validators: what was fetched was not (completely, or correctly) stored, so
    #: the next run must fetch it unconditionally
    clear_validators: bool = False


def _register(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table) -> None:
    """Register an Arrow table for one bulk statement.

    DuckDB 2 refuses `register` while an earlier result on the connection is half-read (as
    `fetchone()` leaves it), so that result is completed first.
    """
    con.complete()
    con.register(name, table)


def _table(rows: list[dict], columns: Sequence[str], types: dict[str, pa.DataType]) -> pa.Table:
    arrays = []
    for col in columns:
        values = [r.get(col) for r in rows]
        arrays.append(pa.array(values, type=types.get(col, pa.string())))
    return pa.Table.from_arrays(arrays, names=list(columns))


def _fingerprint_text(doc: Document) -> str:
    return " ".join(p for p in (doc.title, doc.text or doc.summary) if p)


def _load_fingerprints(con: duckdb.DuckDBPyConnection, values: Iterable[Optional[int]]):
    """The stored fingerprints that share a band with one of `values` (the only ones that can be
    near-duplicates of them), looked up in SQL instead of reading every fingerprint."""
    index: dict[tuple[int, int], list[tuple[int, str]]] = defaultdict(list)
    wanted = sorted({b for v in values if v is not None for b in bands(v)})
    if not wanted:
        return index
    n = NEAR_DUPLICATE_BITS + 1
    width = 64 // n
    _register(con, "wanted_bands", pa.table({"band": pa.array([b for b, _ in wanted], pa.int32()),
                                             "value": pa.array([v for _, v in wanted], pa.uint64())}))
    try:
        parts = " UNION ".join(
            f"SELECT f.doc_id, f.story_id, f.simhash FROM document_fingerprints f "
            f"JOIN (SELECT value FROM wanted_bands WHERE band = {i}) w "
            f"ON ((f.simhash >> {i * width}) & {(1 << width) - 1}) = w.value"
            for i in range(n))
        rows = con.execute(parts).fetchall()
    finally:
        con.unregister("wanted_bands")
    for _doc_id, story_id, value in rows:
        for band in bands(int(value)):
            index[band].append((int(value), story_id))
    return index


def _story_for(value: Optional[int], doc_id: str, index) -> str:
    if value is None:
        return doc_id
    best: Optional[tuple[int, str]] = None
    for band in bands(value):
        for other, story in index.get(band, ()):
            d = hamming(value, other)
            if d <= NEAR_DUPLICATE_BITS and (best is None or d < best[0]):
                best = (d, story)
    return best[1] if best else doc_id


def merge_documents(con: duckdb.DuckDBPyConnection, docs: Iterable[Document],
                    transaction: bool = True) -> MergeResult:
    """Store what is new, fill in missing text, count the rest; one transaction (or, with
    `transaction=False`, inside the caller's)."""
    result = MergeResult()
    by_url: dict[str, Document] = {}
    for doc in docs:
        kept = by_url.get(doc.canonical_url)
        if kept is None:
            by_url[doc.canonical_url] = doc
        else:
            result.by_source[doc.source].unchanged += 1
            if (kept.text is None and doc.text is not None) or (kept.text_problem and not doc.text_problem):
                by_url[doc.canonical_url] = doc  # prefer the copy with the full, readable text
    batch: list[Document] = []
    seen_hashes: set[str] = set()
    for doc in by_url.values():
        if doc.content_hash in seen_hashes:
            result.by_source[doc.source].duplicates += 1
            continue
        seen_hashes.add(doc.content_hash)
        batch.append(doc)
    if not batch:
        return result

    rows = [d.model_dump() for d in batch]
    incoming = _table(rows, DOCUMENT_COLUMNS, _DOC_TYPES)
    if transaction:
        con.execute("BEGIN TRANSACTION")
    try:
        _register(con, "incoming_docs", incoming)
        known = con.execute(
            """
            SELECT i.canonical_url,
                   d.doc_id IS NOT NULL AS url_known,
                   (d.text IS NULL AND i.text IS NOT NULL)
                     OR (d.text_problem IS NOT NULL AND i.text_problem IS NULL) AS fills_text,
                   h.content_hash IS NOT NULL AS hash_known
            FROM incoming_docs i
            LEFT JOIN documents d ON d.canonical_url = i.canonical_url
            LEFT JOIN (SELECT DISTINCT content_hash FROM documents) h ON h.content_hash = i.content_hash
            """).fetchall()
        state = {url: (url_known, fills, hash_known) for url, url_known, fills, hash_known in known}
        fresh: list[dict] = []
        fills: list[str] = []
        for doc, row in zip(batch, rows):
            url_known, fills_text, hash_known = state[doc.canonical_url]
            counts = result.by_source[doc.source]
            if url_known:
                counts.unchanged += 1
                if fills_text:
                    counts.updated += 1
                    fills.append(doc.canonical_url)
            elif hash_known:
                counts.duplicates += 1
            else:
                counts.new += 1
                fresh.append(row)
        if fills:
            _register(con, "filled_urls", pa.table({"canonical_url": pa.array(fills, pa.string())}))
            con.execute(
                """
                UPDATE documents AS d SET
                       text = CASE WHEN d.text_problem IS NOT NULL THEN coalesce(i.text, d.text) ELSE i.text END,
                       title = CASE WHEN d.text_problem IS NOT NULL THEN coalesce(i.title, d.title) ELSE d.title END,
                       summary = CASE WHEN d.text_problem IS NOT NULL THEN coalesce(i.summary, d.summary)
                                      ELSE coalesce(d.summary, i.summary) END,
                       author = coalesce(d.author, i.author),
                       language = CASE WHEN d.text_problem IS NOT NULL THEN coalesce(i.language, d.language)
                                       ELSE d.language END,
                       text_problem = CASE WHEN d.text_problem IS NOT NULL THEN i.text_problem
                                           ELSE d.text_problem END,
                       extractor_version = NULL
                FROM incoming_docs i
                WHERE i.canonical_url = d.canonical_url
                  AND i.canonical_url IN (SELECT canonical_url FROM filled_urls)
                """)
            con.unregister("filled_urls")
        if fresh:
            docs = [(r, Document.model_validate(r)) for r in fresh]
            values = [simhash(_fingerprint_text(doc)) for _, doc in docs]
            index = _load_fingerprints(con, values)
            prints: list[dict] = []
            for (row, doc), value in zip(docs, values):
                row["story_id"] = _story_for(value, doc.doc_id, index)
                if value is not None:
                    prints.append({"doc_id": doc.doc_id, "story_id": row["story_id"], "simhash": value})
                    for band in bands(value):
                        index[band].append((value, row["story_id"]))
            new_table = _table(fresh, DOCUMENT_COLUMNS, _DOC_TYPES)
            _register(con, "new_docs", new_table)
            cols = ", ".join(DOCUMENT_COLUMNS)
            con.execute(f"INSERT INTO documents ({cols}) SELECT {cols} FROM new_docs")
            con.unregister("new_docs")
            if prints:
                _register(con, "new_prints", _table(prints, ("doc_id", "story_id", "simhash"),
                                                  {"simhash": pa.uint64()}))
                con.execute("INSERT INTO document_fingerprints SELECT doc_id, story_id, simhash FROM new_prints")
                con.unregister("new_prints")
            result.new_doc_ids = [r["doc_id"] for r in fresh]
        con.unregister("incoming_docs")
        if transaction:
            con.execute("COMMIT")
    except Exception:
        if transaction:
            con.execute("ROLLBACK")
        raise
    return result


FETCH_COLUMNS = ("run_id", "source", "url", "status", "bytes", "duration_ms", "error",
                 "not_modified", "fetched_at")


def insert_fetch_log(con: duckdb.DuckDBPyConnection, rows: Iterable[FetchLog],
                     run_id: Optional[str] = None) -> int:
    data = [{**r.model_dump(), "run_id": run_id} for r in rows]
    if not data:
        return 0
    table = _table(data, FETCH_COLUMNS, {
        "status": pa.int32(), "bytes": pa.int64(), "duration_ms": pa.float64(),
        "not_modified": pa.bool_(), "fetched_at": pa.timestamp("us")})
    _register(con, "new_fetches", table)
    try:
        cols = ", ".join(FETCH_COLUMNS)
        con.execute(f"INSERT INTO fetch_log ({cols}) SELECT {cols} FROM new_fetches")
    finally:
        con.unregister("new_fetches")
    return len(data)


def upsert_sources(con: duckdb.DuckDBPyConnection, outcomes: Iterable[SourceOutcome],
                   fetched_at) -> None:
    """Record each source and, when its fetch succeeded, the validators for the next one.

    Validators change only on a full 200 answer; a 304 keeps them (unless the server sent
    new ones), a failure keeps them, a source whose URL changed starts afresh, and a source
    whose crawl was not completely or correctly stored (`clear_validators`) loses them.
    """
    rows = []
    for o in outcomes:
        rows.append({"name": o.source.name, "url": o.source.url, "kind": o.source.kind,
                     "language": o.source.language, "etag": o.etag, "last_modified": o.last_modified,
                     "ok": o.ok, "not_modified": o.not_modified, "keep": o.keep_validators,
                     "clear": o.clear_validators,
                     "status": o.status, "error": o.error, "fetched_at": fetched_at})
    if not rows:
        return
    cols = ("name", "url", "kind", "language", "etag", "last_modified", "ok", "not_modified",
            "keep", "clear", "status", "error", "fetched_at")
    table = _table(rows, cols, {"ok": pa.bool_(), "not_modified": pa.bool_(), "keep": pa.bool_(),
                                "clear": pa.bool_(), "status": pa.int32(), "fetched_at": pa.timestamp("us")})
    _register(con, "source_outcomes", table)
    try:
        con.execute(
            """
            INSERT OR REPLACE INTO sources
                (name, url, kind, language, etag, last_modified, last_fetched_at, last_status, last_error)
            SELECT i.name, i.url, i.kind, i.language,
                   CASE WHEN i.clear THEN NULL
                        WHEN s.url IS DISTINCT FROM i.url THEN CASE WHEN i.ok AND NOT i.keep THEN i.etag END
                        WHEN i.ok AND NOT i.not_modified AND NOT i.keep THEN i.etag
                        ELSE coalesce(CASE WHEN i.ok AND NOT i.keep THEN i.etag END, s.etag) END,
                   CASE WHEN i.clear THEN NULL
                        WHEN s.url IS DISTINCT FROM i.url THEN CASE WHEN i.ok AND NOT i.keep THEN i.last_modified END
                        WHEN i.ok AND NOT i.not_modified AND NOT i.keep THEN i.last_modified
                        ELSE coalesce(CASE WHEN i.ok AND NOT i.keep THEN i.last_modified END, s.last_modified) END,
                   i.fetched_at, i.status, i.error
            FROM source_outcomes i LEFT JOIN sources s ON s.name = i.name
            """)
    finally:
        con.unregister("source_outcomes")


def stored_source(con: duckdb.DuckDBPyConnection, name: str) -> Optional[Source]:
    """The source of that name as the warehouse last recorded it, or None."""
    rows = con.execute("SELECT url, kind, language FROM sources WHERE name = ?", [name]).fetchall()
    if not rows:
        return None
    return Source(name=name, url=rows[0][0], kind=rows[0][1], language=rows[0][2])


def stored_validators(con: duckdb.DuckDBPyConnection, sources: Iterable[Source]) -> dict[str, dict]:
    """{name: {etag, last_modified}} for sources whose stored URL is still the configured one."""
    wanted = {s.name: s.url for s in sources}
    out = {}
    for name, url, etag, last_modified in con.execute(
            "SELECT name, url, etag, last_modified FROM sources").fetchall():
        if wanted.get(name) == url and (etag or last_modified):
            out[name] = {"etag": etag, "last_modified": last_modified}
    return out


def known_page_urls(con: duckdb.DuckDBPyConnection, source_names: Iterable[str]) -> list[str]:
    """Canonical URLs already stored with their full, readable text (their pages need no new fetch)."""
    names = list(source_names)
    if not names:
        return []
    return [r[0] for r in con.execute(
        "SELECT canonical_url FROM documents WHERE text IS NOT NULL AND text_problem IS NULL "
        "AND source IN (SELECT unnest(?))", [names]).fetchall()]
