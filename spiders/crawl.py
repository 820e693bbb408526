"""The spiders: feeds and single pages (`SourcesSpider`) and news sitemaps (`NewsSitemapSpider`).

Both share `RecordingMixin`: every source request carries the source's name and stored
validators in `meta`; callbacks turn answers into `Document` items; errbacks turn failures
into a line of the source's status. A source is reported as soon as its last request ends.
"""
from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import Any, AsyncIterator, Iterable, Optional

import scrapy
from scrapy.http import Request, Response
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.spiders import SitemapSpider
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.response import response_status_message

from trustwatch.records import Source, utcnow
from trustwatch.spiders.encoding import text_problem
from trustwatch.spiders.feeds import FeedEntry, parse_feed
from trustwatch.spiders.middlewares import describe_exception
from trustwatch.spiders.recorder import CrawlRecorder
from trustwatch.textutil import content_hash, detect_language, html_to_text, strip_html
from trustwatch.urls import canonical_url, doc_id_for

log = logging.getLogger(__name__)


EMPTY = "empty response (the server answered with no content)"


def _empty(response: Response) -> bool:
    return not (response.body or b"").strip()


def _final_refusal(exc: BaseException) -> bool:
    """A page we will not fetch for good (robots.txt rules, a non-web or local-network URL),
    not one that failed now and is worth trying again."""
    from trustwatch.spiders.robots import RobotsForbidden
    from trustwatch.spiders.urlguard import RefusedURL

    return isinstance(exc, RefusedURL) or (isinstance(exc, RobotsForbidden) and not exc.temporary)


def _header(response: Response, name: bytes) -> Optional[str]:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


class RecordingMixin:
    """Request bookkeeping and document building shared by both spiders."""

    recorder: CrawlRecorder
    crawl_sources: list[Source]
    validators: dict[str, dict]
    known_urls: set[str]

    def _setup(self, job: dict, recorder: CrawlRecorder, kinds: tuple[str, ...]) -> None:
        self.recorder = recorder
        self.crawl_sources = [s for s in (Source.model_validate(d) for d in job.get("sources", []))
                              if s.kind in kinds]
        self.validators = job.get("validators") or {}
        self.known_urls = set(job.get("known_urls") or ())
        self._scheduled_pages: set[str] = set()

    # -- settings --------------------------------------------------------------------
    @property
    def source_timeout(self) -> float:
        return self.settings.getfloat("TRUSTWATCH_SOURCE_TIMEOUT", 600.0)

    @property
    def max_entries(self) -> int:
        return self.settings.getint("TRUSTWATCH_MAX_ENTRIES", 200)

    # -- requests --------------------------------------------------------------------
    def source_request(self, source: Source, callback) -> Request:
        v = self.validators.get(source.name) or {}
        state = self.recorder.source(source.name)
        state.url, state.kind, state.language = source.url, source.kind, source.language
        state.started = time.monotonic()
        self.recorder.begin(source.name)
        return Request(
            source.url, callback=callback, errback=self.source_failed, dont_filter=True,
            meta={"tw_source": source.name, "tw_role": "source", "tw_etag": v.get("etag"),
                  "tw_last_modified": v.get("last_modified"),
                  "handle_httpstatus_list": [304],
                  # feeds and sitemaps are published for machines; robots.txt governs pages
                  "dont_obey_robotstxt": source.kind != "page"},
            cb_kwargs={"source": source})

    def page_request(self, source: Source, url: str, entry: Optional[FeedEntry],
                     feed_language: Optional[str]) -> Optional[Request]:
        """A request for an entry's page, or None when it is known, a repeat, or too late."""
        canonical = canonical_url(url)
        if canonical in self.known_urls or canonical in self._scheduled_pages:
            return None
        state = self.recorder.source(source.name)
        if state.started and time.monotonic() - state.started > self.source_timeout:
            self.recorder.error(source.name, "source_timeout reached: some pages were not fetched")
            return None
        self._scheduled_pages.add(canonical)
        self.recorder.begin(source.name)
        return Request(url, callback=self.parse_article, errback=self.page_failed, dont_filter=True,
                       meta={"tw_source": source.name, "tw_role": "page"},
                       cb_kwargs={"source": source, "entry": entry, "feed_language": feed_language})

    def _take_fetch_row(self, response: Response, error: Optional[str] = None) -> None:
        row = response.meta.pop("tw_fetch_row", None)
        if row is not None:
            if error:
                row["error"] = error
            self.recorder.fetch(row)

    def _source_unreadable(self, source: Source, response: Response, exc: Exception, what: str) -> None:
        """A feed or sitemap whose body could not be parsed: the source failed, the crawl goes on."""
        log.exception("%s %s failed", what, response.url)
        self.recorder.source(source.name).ok = False
        self._take_fetch_row(response, error=describe_exception(exc))
        self.recorder.error(source.name, f"{response.url}: {describe_exception(exc)}")

    def _source_empty(self, source: Source, response: Response) -> None:
        """A 2xx answer with nothing in it: the source failed this time (and keeps its
        validators), whatever the status said."""
        state = self.recorder.source(source.name)
        state.ok = False
        state.etag = state.last_modified = None
        self._take_fetch_row(response, error=EMPTY)
        self.recorder.error(source.name, f"{response.url}: {EMPTY}")

    def _record_validators(self, source: Source, response: Response) -> None:
        state = self.recorder.source(source.name)
        state.status = response.status
        state.etag = _header(response, b"ETag")
        state.last_modified = _header(response, b"Last-Modified")

    def _failure_message(self, failure) -> tuple[str, Optional[int]]:
        exc = failure.value
        if isinstance(exc, HttpError):
            response = exc.response
            msg = response_status_message(response.status)
            retry_after = response.headers.get(b"Retry-After")
            if retry_after:
                msg += f", Retry-After {retry_after.decode('latin-1')}"
            gave_up = response.meta.get("tw_gave_up")
            tries = response.meta.get("retry_times", 0) + 1
            msg += f" ({gave_up})" if gave_up else (f" after {tries} attempts" if tries > 1 else "")
            return msg, response.status
        return describe_exception(exc, failure.request if hasattr(failure, "request") else None), None

    def _log_unsent(self, failure, name: str, message: str) -> None:
        """Requests refused before reaching the wire (robots.txt, redirect cap) get a row too."""
        from scrapy.exceptions import IgnoreRequest

        if isinstance(failure.value, IgnoreRequest) and not isinstance(failure.value, HttpError):
            request = failure.request
            self.recorder.fetch({"source": name, "url": request.url, "status": None,
                                 "fetched_at": utcnow().isoformat(), "error": message})

    def source_failed(self, failure):
        source: Source = failure.request.cb_kwargs["source"]
        message, status = self._failure_message(failure)
        self._log_unsent(failure, source.name, message)
        state = self.recorder.source(source.name)
        if failure.request.meta.get("tw_role") != "source" and _final_refusal(failure.value):
            # a sitemap index listing a non-web or local-network sitemap: said, not followed
            self.recorder.error(source.name, f"{failure.request.url}: {message}")
            self.recorder.end(source.name)
            return
        state.ok = False
        state.status = status
        self.recorder.error(source.name, f"{failure.request.url}: {message}")
        self.recorder.end(source.name)

    def page_failed(self, failure):
        kw = failure.request.cb_kwargs
        source: Source = kw["source"]
        entry: Optional[FeedEntry] = kw.get("entry")
        message, _ = self._failure_message(failure)
        self._log_unsent(failure, source.name, message)
        state = self.recorder.source(source.name)
        if not _final_refusal(failure.value):  # a refusal is final; retrying would not help
            state.pages_failed += 1
        self.recorder.error(source.name, f"page {failure.request.url}: {message}")
        try:
            if entry is not None:  # the entry is still worth keeping without its page
                doc = self.build_document(source, entry.link, entry=entry,
                                          feed_language=kw.get("feed_language"))
                if doc:
                    yield self._item(source, doc)
        finally:
            self.recorder.end(source.name)

    # -- documents -------------------------------------------------------------------
    def _item(self, source: Source, doc: dict) -> dict:
        """A document on its way to the pipelines: the source stays open until it is written
        (or dropped), so its status line comes after its documents and can count them."""
        self.recorder.begin(source.name)
        return doc

    def build_document(self, source: Source, url: str, entry: Optional[FeedEntry] = None,
                       page=None, feed_language: Optional[str] = None) -> Optional[dict]:
        fetched = utcnow()
        canonical = canonical_url(url)
        title = strip_html(entry.title) if entry and entry.title else None
        summary = strip_html(entry.summary) if entry and entry.summary else None
        feed_text = html_to_text(entry.content) if entry and entry.content else None  # keeps paragraphs
        author = entry.author if entry else None
        published: Optional[datetime] = entry.published if entry else None
        text = feed_text
        page_lang = None
        if page is not None:
            title = title or page.title
            summary = summary or page.description
            author = author or page.author
            published = published or page.published
            text = page.text or feed_text
            page_lang = page.language
        if summary and title and summary == title:
            summary = None
        body = text or summary or ""
        language = detect_language(" ".join(p for p in (title, body) if p),
                                   hint=feed_language or page_lang or source.language)
        problem = text_problem(title, summary, text)
        if problem:  # kept, but not frozen: the source is read again and a good copy replaces it
            self.recorder.source(source.name).suspect_text = True
            self.recorder.error(source.name, f"{url}: text looks wrongly decoded ({problem}); "
                                             "kept, and read again next run")
        return {
            "doc_id": doc_id_for(canonical), "source": source.name, "url": url,
            "canonical_url": canonical, "title": title, "summary": summary, "author": author,
            "text": text, "published": (published or fetched).isoformat(),
            "published_is_fallback": published is None, "language": language,
            "content_hash": content_hash(title, body), "fetched_at": fetched.isoformat(),
            "text_problem": problem,
        }

    async def parse_article(self, response: Response, source: Source, entry: Optional[FeedEntry] = None,
                            feed_language: Optional[str] = None):
        from twisted.internet.threads import deferToThread

        from trustwatch.spiders.pages import extract_page

        state = self.recorder.source(source.name)
        try:
            if response.status != 304 and _empty(response):
                # nothing to read now: tried again next run; the entry is kept without its page
                self._take_fetch_row(response, error=EMPTY)
                state.pages_failed += 1
                self.recorder.error(source.name, f"page {response.url}: {EMPTY}")
                if entry is not None:
                    doc = self.build_document(source, entry.link, entry=entry, feed_language=feed_language)
                    if doc:
                        yield self._item(source, doc)
                return
            self._take_fetch_row(response)
            if response.status == 304:
                return
            # extraction is CPU work: off the reactor thread, so downloads keep their timeouts
            page = await maybe_deferred_to_future(deferToThread(
                extract_page, response.body, url=response.url,
                content_type=_header(response, b"Content-Type")))
            state.pages_fetched += 1
            if page.text is None:
                self.recorder.error(source.name, f"page {response.url}: no main text found")
            # the URL as listed, not where redirects ended, so a rerun recognises it
            link = entry.link if entry else (response.meta.get("redirect_urls") or [response.url])[0]
            doc = self.build_document(source, link, entry=entry, page=page, feed_language=feed_language)
            if doc:
                yield self._item(source, doc)
        except Exception as exc:  # one bad page never stops the source
            log.exception("page %s failed", response.url)
            state.pages_failed += 1
            self.recorder.error(source.name, f"page {response.url}: {describe_exception(exc)}")
        finally:
            self.recorder.end(source.name)

    async def parse_page_source(self, response: Response, source: Source):
        """A `page` source: the page itself is the document, fetched conditionally."""
        state = self.recorder.source(source.name)
        self._record_validators(source, response)
        if response.status != 304 and _empty(response):
            self._source_empty(source, response)
            self.recorder.end(source.name)
            return
        state.ok = True
        if response.status == 304:
            state.not_modified = True
            self._take_fetch_row(response)
            self.recorder.end(source.name)
            return
        state.entries = 1
        state.pending += 1  # parse_article ends it
        try:
            async for item in self.parse_article(response, source):
                yield item
        finally:
            self.recorder.end(source.name)


class SourcesSpider(RecordingMixin, scrapy.Spider):
    """Feeds (RSS/Atom/RDF through feedparser) and single pages."""

    name = "trustwatch-sources"

    def __init__(self, job: dict, recorder: CrawlRecorder, **kw: Any):
        super().__init__(**kw)
        self._setup(job, recorder, ("feed", "page"))

    async def start(self) -> AsyncIterator[Any]:
        for source in self.crawl_sources:
            callback = self.parse_feed if source.kind == "feed" else self.parse_page_source
            yield self.source_request(source, callback)

    def parse_feed(self, response: Response, source: Source):
        state = self.recorder.source(source.name)
        try:
            self._record_validators(source, response)
            if response.status == 304:
                state.ok, state.not_modified = True, True
                self._take_fetch_row(response)
                return
            if _empty(response):
                self._source_empty(source, response)
                return
            headers = {k.decode("latin-1"): v[0].decode("latin-1")
                       for k, v in response.headers.items() if v}
            feed = parse_feed(response.body, response.url, headers, max_entries=self.max_entries)
            if feed.problem and not feed.entries:
                state.ok = False
                message = f"not a readable feed ({feed.problem})"
                self._take_fetch_row(response, error=message)
                self.recorder.error(source.name, f"{response.url}: {message}")
                return
            state.ok = True
            if feed.problem:
                message = f"malformed feed, {len(feed.entries)} entries recovered ({feed.problem})"
                self._take_fetch_row(response, error=message)
                self.recorder.error(source.name, f"{response.url}: {message}")
            else:
                self._take_fetch_row(response)
            if feed.skipped:
                self.recorder.error(source.name, f"{feed.skipped} entries without a link were skipped")
            state.entries = len(feed.entries)
            language = feed.language or source.language
            for entry in feed.entries:
                canonical = canonical_url(entry.link)
                if canonical in self._scheduled_pages:
                    continue  # the same article under another spelling, fetched already
                request = self.page_request(source, entry.link, entry, language) if source.fetch_pages else None
                if request is not None:
                    yield request
                else:
                    doc = self.build_document(source, entry.link, entry=entry, feed_language=language)
                    if doc:
                        yield self._item(source, doc)
        except Exception as exc:
            self._source_unreadable(source, response, exc, "feed")
        finally:
            self.recorder.end(source.name)


class NewsSitemapSpider(RecordingMixin, SitemapSpider):
    """News sitemaps through Scrapy's sitemap support; each listed page becomes a document."""

    name = "trustwatch-sitemaps"

    def __init__(self, job: dict, recorder: CrawlRecorder, **kw: Any):
        super().__init__(**kw)
        self._setup(job, recorder, ("sitemap",))

    async def start(self) -> AsyncIterator[Any]:
        for source in self.crawl_sources:
            yield self.source_request(source, self.parse_sitemap_source)

    def sitemap_filter(self, entries: Iterable[dict[str, Any]]) -> Iterable[dict[str, Any]]:
        """The newest entries first (by lastmod), at most `max_entries_per_feed` of them."""
        listed = list(entries)
        listed.sort(key=lambda d: d.get("lastmod") or "", reverse=True)
        return listed[: self.max_entries]

    def parse_sitemap_source(self, response: Response, source: Source):
        state = self.recorder.source(source.name)
        try:
            if response.meta.get("tw_role") == "source":
                self._record_validators(source, response)
            if response.status == 304:
                state.ok, state.not_modified = True, True
                self._take_fetch_row(response)
                return
            if _empty(response):
                if response.meta.get("tw_role") == "source":
                    self._source_empty(source, response)
                else:  # an empty sitemap listed by the index: said, the others still read
                    self._take_fetch_row(response, error=EMPTY)
                    self.recorder.error(source.name, f"{response.url}: {EMPTY}")
                return
            requests = list(self._parse_sitemap(response))
            if not requests:
                state.ok = bool(state.ok)
                message = "not a readable sitemap (or an empty one)"
                self._take_fetch_row(response, error=message)
                self.recorder.error(source.name, f"{response.url}: {message}")
                return
            state.ok = True
            self._take_fetch_row(response)
            for req in requests:
                if req.callback == self._parse_sitemap:  # a sitemap index: follow, with our bookkeeping
                    self.recorder.begin(source.name)
                    yield req.replace(callback=self.parse_sitemap_source, errback=self.source_failed,
                                      dont_filter=True, cb_kwargs={"source": source},
                                      meta={"tw_source": source.name, "tw_role": "sitemap",
                                            "dont_obey_robotstxt": True})
                    continue
                state.entries += 1
                page = self.page_request(source, req.url, None, source.language)
                if page is not None:
                    yield page
        except Exception as exc:
            self._source_unreadable(source, response, exc, "sitemap")
        finally:
            self.recorder.end(source.name)
