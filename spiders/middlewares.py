"""Downloader middlewares: conditional GET, Retry-After-aware retries, and the fetch log.

Order (lower is nearer the engine): retries (550) and conditional headers (560) sit where
Scrapy's RetryMiddleware would; the fetch log (880) sits next to the downloader so that it
sees every attempt, including each retry and each redirect hop.
"""
from __future__ import annotations

import email.utils
import time
from datetime import timezone
from typing import TYPE_CHECKING, Optional

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.response import response_status_message

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Request, Response

from trustwatch.records import utcnow


def retry_after_seconds(value: Optional[bytes | str], now: Optional[float] = None) -> Optional[float]:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    if isinstance(value, bytes):
        value = value.decode("latin-1", "replace")
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))


class ConditionalGetMiddleware:
    """Adds If-None-Match / If-Modified-Since from the validators stored for a source."""

    def process_request(self, request: "Request"):
        etag = request.meta.get("tw_etag")
        last_modified = request.meta.get("tw_last_modified")
        if etag and b"If-None-Match" not in request.headers:
            request.headers[b"If-None-Match"] = etag
        if last_modified and b"If-Modified-Since" not in request.headers:
            request.headers[b"If-Modified-Since"] = last_modified
        return None


class RetryAfterMiddleware(RetryMiddleware):
    """Scrapy's retries on 429/5xx and network errors, waiting before each new attempt.

    The wait is the server's Retry-After when it sends one, else exponential backoff
    (base × 2^attempt). A Retry-After longer than TRUSTWATCH_MAX_RETRY_AFTER is not
    honoured by hammering sooner: we give up on that request and say why.
    """

    @classmethod
    def from_crawler(cls, crawler: "Crawler"):
        mw = super().from_crawler(crawler)
        mw.backoff_base = crawler.settings.getfloat("TRUSTWATCH_BACKOFF_BASE", 1.0)
        mw.max_retry_after = crawler.settings.getfloat("TRUSTWATCH_MAX_RETRY_AFTER", 300.0)
        return mw

    async def _sleep(self, seconds: float) -> None:
        if seconds <= 0:
            return
        from twisted.internet import reactor
        from twisted.internet.task import deferLater

        await maybe_deferred_to_future(deferLater(reactor, seconds, lambda: None))

    def _backoff(self, request: "Request") -> float:
        return self.backoff_base * (2 ** request.meta.get("retry_times", 0))

    async def process_response(self, request: "Request", response: "Response"):
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        wait = retry_after_seconds(response.headers.get(b"Retry-After"))
        if wait is not None and wait > self.max_retry_after:
            request.meta["tw_gave_up"] = f"server asked to retry after {wait:.0f}s"
            return response
        new = self._retry(request, response_status_message(response.status))
        if new is None:
            return response
        await self._sleep(wait if wait is not None else self._backoff(request))
        return new

    async def process_exception(self, request: "Request", exception: Exception):
        if not isinstance(exception, self.exceptions_to_retry) or request.meta.get("dont_retry", False):
            return None
        new = self._retry(request, exception)
        if new is not None:
            await self._sleep(self._backoff(request))
        return new


def describe_exception(exc: BaseException, request: Optional["Request"] = None) -> str:
    """A short, human sentence for a failed request."""
    name = type(exc).__name__
    text = str(exc).strip()
    if name == "RefusedURL":
        return text
    if request is not None and "cancel" in name.lower():
        limit = request.meta.get("tw_maxsize") or 0
        if limit and request.meta.get("tw_bytes_received", 0) > limit:
            return f"response too large (more than {limit} bytes, sent without a declared length)"
    low = f"{name} {text}".lower()
    if "robots.txt" in low:
        detail = text.split("(", 1)[1].rstrip(")") if "(" in text else ""
        return f"forbidden by robots.txt ({detail})" if detail else "forbidden by robots.txt"
    if "max redirections" in low:
        return "too many redirects (redirect loop?)"
    if "larger than download max size" in low or "max size" in low or "maxsize" in low:
        return f"response too large ({text})" if text else "response too large"
    if "timeout" in low or "timed out" in low:
        return f"timeout ({text})" if text else "timeout"
    if "refused" in low:
        return "connection refused"
    if "dnslookup" in low:
        return f"DNS lookup failed ({text})"
    return f"{name}: {text}" if text else name


class FetchLogMiddleware:
    """One fetch_log row for every request that went on the wire.

    Rows for 2xx/304 answers are handed to the spider callback through `request.meta` so it
    can add a parse problem (a malformed feed) to the same row; every other row is written
    at once.
    """

    def __init__(self, crawler: "Crawler"):
        from scrapy import signals

        self.crawler = crawler
        self.maxsize = crawler.settings.getint("DOWNLOAD_MAXSIZE", 0)
        # count what arrives, so a body sent without a length and cut off at the size limit is
        # reported as too large, not as a bare "download cancelled"
        crawler.signals.connect(self._bytes_received, signal=signals.bytes_received)

    @classmethod
    def from_crawler(cls, crawler: "Crawler"):
        return cls(crawler)

    @staticmethod
    def _bytes_received(data: bytes, request: "Request", **_kw) -> None:
        request.meta["tw_bytes_received"] = request.meta.get("tw_bytes_received", 0) + len(data)

    def _recorder(self):
        return getattr(self.crawler.spider, "recorder", None)

    def process_request(self, request: "Request"):
        request.meta["tw_started"] = time.monotonic()
        request.meta["tw_bytes_received"] = 0
        request.meta.setdefault("tw_maxsize", request.meta.get("download_maxsize", self.maxsize))
        return None

    def _row(self, request: "Request", **fields) -> dict:
        started = request.meta.get("tw_started")
        duration = (time.monotonic() - started) * 1000 if started else 0.0
        row = {"source": request.meta["tw_source"], "url": request.url,
               "fetched_at": utcnow().isoformat(), "duration_ms": round(duration, 2)}
        row.update(fields)
        return row

    def process_response(self, request: "Request", response: "Response"):
        recorder = self._recorder()
        if recorder is None or "tw_source" not in request.meta:
            return response
        latency = request.meta.get("download_latency")
        headers = response.headers
        row = self._row(
            request, status=response.status, bytes=len(response.body),
            not_modified=response.status == 304,
            etag=(headers.get(b"ETag") or b"").decode("latin-1") or None,
            last_modified=(headers.get(b"Last-Modified") or b"").decode("latin-1") or None,
        )
        if latency is not None:
            row["duration_ms"] = round(latency * 1000, 2)
        if response.status >= 400:
            row["error"] = response_status_message(response.status)
            retry_after = headers.get(b"Retry-After")
            if retry_after:
                row["error"] += f" (Retry-After: {retry_after.decode('latin-1')})"
        if 200 <= response.status < 300 or response.status == 304:
            request.meta["tw_fetch_row"] = row
        else:
            recorder.fetch(row)
        return response

    def process_exception(self, request: "Request", exception: Exception):
        from scrapy.exceptions import IgnoreRequest

        if isinstance(exception, IgnoreRequest):
            return None  # refused before the wire (robots.txt); the spider's errback logs it
        recorder = self._recorder()
        if recorder is not None and "tw_source" in request.meta:
            recorder.fetch(self._row(request, status=None, error=describe_exception(exception, request)))
        return None
