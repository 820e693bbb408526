"""Where the crawl writes what it saw: one JSONL file, one line per fetch, document or source.

Lines are flushed as they are written so a watcher (the progress bar) can follow the file
and a crawl that dies half-way still leaves every finished line behind.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Optional

from pydantic import ValidationError

from trustwatch.records import FetchLog
from trustwatch.spiders.items import SourceStatus

log = logging.getLogger(__name__)


@dataclass
class SourceProgress:
    """Running state of one source while it is crawled."""

    name: str
    url: Optional[str] = None
    kind: Optional[str] = None
    language: Optional[str] = None
    pending: int = 0
    started: Optional[float] = None
    ok: Optional[bool] = None
    not_modified: bool = False
    status: Optional[int] = None
    etag: Optional[str] = None
    last_modified: Optional[str] = None
    entries: int = 0
    pages_fetched: int = 0
    pages_failed: int = 0
    dropped: int = 0
    errors: list[str] = field(default_factory=list)
    reported: bool = False

    def to_status(self) -> SourceStatus:
        return SourceStatus(
            name=self.name, url=self.url, kind=self.kind, language=self.language,
            ok=bool(self.ok), not_modified=self.not_modified, status=self.status,
            etag=self.etag, last_modified=self.last_modified, entries=self.entries,
            pages_fetched=self.pages_fetched, pages_failed=self.pages_failed,
            dropped=self.dropped, errors=self.errors)


class CrawlRecorder:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh: IO[str] = self.path.open("a", encoding="utf-8")
        self.sources: dict[str, SourceProgress] = {}

    def _write(self, kind: str, data: dict) -> None:
        self._fh.write(json.dumps({"type": kind, **data}, ensure_ascii=False, default=str) + "\n")
        self._fh.flush()

    def fetch(self, row: dict) -> None:
        try:
            record = FetchLog.model_validate(row)
        except ValidationError as exc:
            log.error("dropping malformed fetch row %r: %s", row, exc)
            return
        self._write("fetch", record.model_dump(mode="json"))

    def document(self, data: dict) -> None:
        self._write("document", data)

    def source(self, name: str) -> SourceProgress:
        if name not in self.sources:
            self.sources[name] = SourceProgress(name)
        return self.sources[name]

    def error(self, name: str, message: str) -> None:
        state = self.source(name)
        if message not in state.errors:
            state.errors.append(message)

    def begin(self, name: str) -> None:
        self.source(name).pending += 1

    def end(self, name: str) -> None:
        """One request of the source finished; report the source when it has none left."""
        state = self.source(name)
        state.pending -= 1
        if state.pending <= 0:
            self.report(name)

    def report(self, name: str, reason: Optional[str] = None) -> None:
        state = self.source(name)
        if state.reported:
            return
        if reason:
            state.errors.append(reason)
            if state.ok is None:
                state.ok = False
        state.reported = True
        self._write("source", state.to_status().model_dump(mode="json"))

    def close(self, reason: str = "finished") -> None:
        for name, state in self.sources.items():
            if not state.reported:
                self.report(name, f"crawl stopped before this source finished ({reason})")
        self._fh.close()
