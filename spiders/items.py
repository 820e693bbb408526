"""The typed lines of the crawl's JSONL output, read back by `trustwatch.ingest.load_crawl`.

Every line is `{"type": "fetch" | "document" | "source", ...fields}`: a `FetchLog`, a
`Document`, or a `SourceStatus` (how one source went, and the validators for its next
conditional GET).
"""
from __future__ import annotations

from typing import Optional

from pydantic import Field

from trustwatch.records import Record

LINE_TYPES = ("fetch", "document", "source")


class SourceStatus(Record):
    """The outcome of reading one source in one crawl."""

    name: str
    ok: bool
    #: the source as configured for this crawl, so a loader without the configuration can record it
    url: Optional[str] = None
    kind: Optional[str] = None
    language: Optional[str] = None
    not_modified: bool = False
    status: Optional[int] = None
    etag: Optional[str] = None
    last_modified: Optional[str] = None
    entries: int = 0
    pages_fetched: int = 0
    pages_failed: int = 0
    dropped: int = 0
    #: document lines the crawler wrote for this source (the loader checks it read as many)
    documents: Optional[int] = None
    #: some of the source's lines could not be written: it was not completely stored
    incomplete: bool = False
    #: some text looked wrongly decoded (replacement characters, mojibake): read it again
    suspect_text: bool = False
    errors: list[str] = Field(default_factory=list)
