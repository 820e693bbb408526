"""One politeness budget per host for a whole run, across crawlers and crawl processes.

Scrapy keeps its per-host concurrency and delay inside one downloader. A monitoring run crawls
each source in its own process (and `trustwatch ingest` runs feeds and sitemaps as two
crawlers), so four sources on one host used to get four budgets: requests 9 ms apart over four
connections. Here every request first takes one of the host's `concurrent_requests_per_host`
slots, which are `flock`ed files in a folder shared by the whole run, waits until the host's
next allowed start (`download_delay` after the previous request's start, kept in a file beside
the slots), and holds the slot until its answer (or failure) comes back.

A slot is released when its holder ends, however it ends: the kernel drops a process's flocks
when it exits, so a crashed crawler never blocks the others. The folder lives in the run's
temporary folder and goes away with it.
"""
from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.httpobj import urlparse_cached

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Request, Response

log = logging.getLogger(__name__)

#: how often a request waiting for a busy host looks again (seconds)
POLL = 0.05


def host_key(host: str) -> str:
    """A file-name-safe key for a host name (readable part + hash)."""
    host = (host or "").lower().rstrip(".")
    readable = re.sub(r"[^a-z0-9.-]", "_", host)[:60]
    return f"{readable}-{hashlib.sha1(host.encode('utf-8')).hexdigest()[:10]}"


class HostSlots:
    """The slot files and next-start file of each host under `folder` (no Scrapy needed)."""

    def __init__(self, folder: str | Path, per_host: int, delay: float):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.per_host = max(1, int(per_host))
        self.delay = max(0.0, float(delay))

    def try_acquire(self, host: str) -> Optional[int]:
        """The fd of a free slot of `host`, now locked by us; None when all are taken."""
        key = host_key(host)
        for n in range(self.per_host):
            fd = os.open(self.folder / f"{key}.{n}.slot", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            return fd
        return None

    def reserve_start(self, host: str, now: Optional[float] = None) -> float:
        """Seconds to wait before starting, with the next start after it booked."""
        if self.delay <= 0:
            return 0.0
        now = time.time() if now is None else now
        fd = os.open(self.folder / f"{host_key(host)}.next", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # held for microseconds by whoever has it
            raw = os.pread(fd, 64, 0).decode("ascii", "ignore").strip()
            try:
                allowed = float(raw) if raw else 0.0
            except ValueError:
                allowed = 0.0
            start = max(now, allowed)
            data = repr(start + self.delay).encode("ascii")
            os.ftruncate(fd, 0)
            os.pwrite(fd, data, 0)
            return start - now
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    @staticmethod
    def release(fd: Optional[int]) -> None:
        if fd is None:
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


class HostBudgetMiddleware:
    """Downloader middleware: take the host's slot (and its delay) before the download,
    give it back with the answer. Sits right before the fetch log, so waiting is not timed
    as download time."""

    def __init__(self, crawler: "Crawler"):
        folder = crawler.settings.get("TRUSTWATCH_HOST_LOCKS")
        if not folder:
            raise NotConfigured
        self.slots = HostSlots(folder, crawler.settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN", 1),
                               crawler.settings.getfloat("DOWNLOAD_DELAY", 0.0))
        self._held: dict[int, int] = {}  # id(request) -> fd
        crawler.signals.connect(self._release_all, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: "Crawler") -> "HostBudgetMiddleware":
        return cls(crawler)

    async def _sleep(self, seconds: float) -> None:
        from twisted.internet import reactor
        from twisted.internet.task import deferLater
        from scrapy.utils.defer import maybe_deferred_to_future

        await maybe_deferred_to_future(deferLater(reactor, seconds, lambda: None))

    async def process_request(self, request: "Request", spider=None) -> None:
        host = urlparse_cached(request).hostname
        if not host or id(request) in self._held:
            return None
        while True:
            fd = self.slots.try_acquire(host)
            if fd is not None:
                break
            await self._sleep(POLL)
        self._held[id(request)] = fd
        try:
            wait = self.slots.reserve_start(host)
            if wait > 0:
                await self._sleep(wait)
        except BaseException:
            self._release(request)
            raise
        return None

    def _release(self, request: "Request") -> None:
        self.slots.release(self._held.pop(id(request), None))

    def process_response(self, request: "Request", response: "Response", spider=None):
        self._release(request)
        return response

    def process_exception(self, request: "Request", exception: Exception, spider=None):
        self._release(request)
        return None

    def _release_all(self, *args, **kwargs) -> None:
        for fd in list(self._held.values()):
            self.slots.release(fd)
        self._held.clear()
