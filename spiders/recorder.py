"""Where the crawl writes what it saw: one JSONL file, one line per fetch, document or source.

Lines are written whole with unbuffered writes, so a watcher (the progress bar) can follow the
file and a crawl that dies half-way still leaves every finished line behind. A write that fails
(a full disk, a file size limit) is cut back to the last whole line, and the source whose line
was lost is reported as not completely stored: the loader then marks it failed and forgets its
validators, so the next run fetches it in full instead of getting a 304 for what was lost.
"""
from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

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
    #: document lines written for this source, and lines (of any kind) that could not be
    documents: int = 0
    lost: int = 0
    #: the text looked wrongly decoded: keep it, but read the source again next run
    suspect_text: bool = False
    errors: list[str] = field(default_factory=list)
    reported: bool = False

    def to_status(self) -> SourceStatus:
        return SourceStatus(
            name=self.name, url=self.url, kind=self.kind, language=self.language,
            ok=bool(self.ok) and not self.lost, not_modified=self.not_modified, status=self.status,
            etag=self.etag, last_modified=self.last_modified, entries=self.entries,
            pages_fetched=self.pages_fetched, pages_failed=self.pages_failed,
            dropped=self.dropped, documents=self.documents, incomplete=self.lost > 0,
            suspect_text=self.suspect_text, errors=self.errors)


class CrawlRecorder:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd: Optional[int] = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self._size = os.fstat(self._fd).st_size  # the end of the last whole line
        self.sources: dict[str, SourceProgress] = {}
        #: the last write error (e.g. "No space left on device"), None while all went well
        self.write_error: Optional[OSError] = None

    def _write(self, kind: str, data: dict) -> bool:
        """Append one whole line; False (and nothing of it left in the file) when it failed."""
        line = (json.dumps({"type": kind, **data}, ensure_ascii=False, default=str) + "\n").encode("utf-8")
        if self._fd is None:
            return False
        view = memoryview(line)
        try:
            while view:
                written = os.write(self._fd, view)
                view = view[written:]
        except OSError as exc:
            self.write_error = exc
            log.error("could not write to %s: %s", self.path, exc)
            try:  # no half line for the loader to trip over
                os.ftruncate(self._fd, self._size)
            except OSError as cut:
                log.error("could not cut %s back to its last whole line: %s", self.path, cut)
            return False
        self._size += len(line)
        return True

    def _lost(self, name: Optional[str], what: str) -> None:
        if not name:
            return
        state = self.source(name)
        state.lost += 1
        reason = self.write_error.strerror if self.write_error and self.write_error.strerror else self.write_error
        message = f"the crawl output could not be written ({reason}): this source was not completely stored"
        if message not in state.errors:
            state.errors.append(message)
        log.error("lost a %s line of %s", what, name)

    def fetch(self, row: dict) -> None:
        try:
            record = FetchLog.model_validate(row)
        except ValidationError as exc:
            log.error("dropping malformed fetch row %r: %s", row, exc)
            return
        if not self._write("fetch", record.model_dump(mode="json")):
            self._lost(row.get("source"), "fetch")

    def document(self, data: dict) -> None:
        name = data.get("source")
        if self._write("document", data):
            if name:
                self.source(name).documents += 1
        else:
            self._lost(name, "document")

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
        if not self._write("source", state.to_status().model_dump(mode="json")):
            # without its status line the loader counts the source as failed, as it should
            log.error("could not record the outcome of %s", name)

    def close(self, reason: str = "finished") -> None:
        for name, state in self.sources.items():
            if not state.reported:
                self.report(name, f"crawl stopped before this source finished ({reason})")
        if self._fd is not None:
            fd, self._fd = self._fd, None
            try:
                os.fsync(fd)
            except OSError as exc:
                log.error("could not flush %s to disk: %s", self.path, exc)
            os.close(fd)
