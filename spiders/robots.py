"""robots.txt for pages: one fetch per host, and every request that waited gets the rules.

Scrapy's RobotsTxtMiddleware keeps one Deferred per host and lets every waiting request await
it; the first waiter's callback swallows the parsed rules, so the others see `None` and are
let through (scrapy/scrapy#6802). Here each waiter gets a Deferred of its own, fired with the
same decision, and the decision is kept for the rest of the crawl.

The decision follows RFC 9309, strictly where the RFC leaves room:

- 2xx: the file's rules (an empty file allows everything);
- 4xx other than 429: no usable robots.txt, everything is allowed;
- 429, 5xx, a timeout, a refused connection, a redirect loop, an oversized file, anything
  that leaves us without an answer: everything is disallowed for this crawl, because a polite
  crawler does not take a site's outage as consent.
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Callable, Optional

from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Request
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import load_object
from twisted.internet.defer import Deferred, succeed
from twisted.python.failure import Failure

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Response

log = logging.getLogger(__name__)

ALLOW_ALL = b""
DISALLOW_ALL = b"User-agent: *\nDisallow: /\n"


class RobotsForbidden(IgnoreRequest):
    """A page that robots.txt (or its absence through an outage) does not let us fetch.

    `temporary` is true when the refusal comes from a robots.txt we could not read: the page
    is worth trying again on a later run.
    """

    def __init__(self, message: str, temporary: bool = False):
        super().__init__(message)
        self.temporary = temporary


def robots_body_for(result: Any) -> tuple[bytes, str]:
    """(robots.txt text to obey, why) for a robots.txt download's outcome.

    `result` is the final Response (redirects already followed) or a Failure/exception.
    """
    if isinstance(result, Failure):
        result = result.value
    if isinstance(result, BaseException):
        return DISALLOW_ALL, f"robots.txt could not be read ({type(result).__name__}: {result})".strip()
    status = getattr(result, "status", None)
    if status is None:
        return DISALLOW_ALL, "robots.txt could not be read (no answer)"
    if 200 <= status < 300:
        return bytes(result.body or b""), f"robots.txt answered {status}"
    if status == 429 or status >= 500:
        return DISALLOW_ALL, f"robots.txt answered {status}: not now"
    if 400 <= status < 500:
        return ALLOW_ALL, f"robots.txt answered {status}: none"
    # a 1xx or a 3xx left unfollowed: no usable answer
    return DISALLOW_ALL, f"robots.txt answered {status}: not understood"


class HostRobots:
    """Per-host robots.txt decisions shared by every request of a crawl.

    `fetch(url, origin)` starts the robots.txt download and returns a Deferred firing with the
    final Response (or failing); `parse(body)` builds a rules object with `allowed(url, ua)`.
    The fetch is made once per scheme://host:port; every caller of `rules_for` gets a
    Deferred of its own that fires with the same rules object, whether it asked before the
    answer came, while it was coming, or after.
    """

    def __init__(self, fetch: Callable[[str, Request], Deferred], parse: Callable[[bytes], Any]):
        self._fetch = fetch
        self._parse = parse
        self._rules: dict[str, Any] = {}
        self._reasons: dict[str, str] = {}
        self._waiting: dict[str, list[Deferred]] = {}

    @staticmethod
    def key(request: Request) -> str:
        url = urlparse_cached(request)
        return f"{url.scheme}://{url.netloc}".lower()

    def decided(self, key: str) -> bool:
        return key in self._rules

    def reason(self, key: str) -> Optional[str]:
        return self._reasons.get(key)

    def rules_for(self, request: Request) -> Deferred:
        key = self.key(request)
        if key in self._rules:
            return succeed(self._rules[key])
        mine: Deferred = Deferred()
        waiters = self._waiting.get(key)
        if waiters is not None:
            waiters.append(mine)
            return mine
        self._waiting[key] = [mine]  # before fetching: the fetch may answer at once
        try:
            fetched = self._fetch(f"{key}/robots.txt", request)
        except Exception as exc:  # noqa: BLE001 - any failure to start is "could not be read"
            self._settle(Failure(exc), key)
        else:
            fetched.addBoth(self._settle, key)
        return mine

    def _settle(self, result: Any, key: str) -> None:
        body, why = robots_body_for(result)
        try:
            rules = self._parse(body)
        except Exception as exc:  # noqa: BLE001 - a file we cannot parse is not consent
            log.warning("robots.txt of %s could not be parsed: %s", key, exc)
            rules, why = self._parse(DISALLOW_ALL), f"robots.txt could not be parsed ({exc})"
        self._rules[key] = rules
        self._reasons[key] = why
        for waiter in self._waiting.pop(key, []):
            waiter.callback(rules)
        return None  # the download's result is consumed here, not passed on


class PolitenessRobotsMiddleware:
    """Downloader middleware obeying robots.txt for every request without `dont_obey_robotstxt`."""

    DOWNLOAD_PRIORITY = 1000

    def __init__(self, crawler: "Crawler"):
        if not crawler.settings.getbool("ROBOTSTXT_OBEY"):
            raise NotConfigured
        self.crawler = crawler
        self._useragent = crawler.settings.get("ROBOTSTXT_USER_AGENT") or None
        self._default_useragent = crawler.settings.get("USER_AGENT")
        self._parserimpl = load_object(crawler.settings.get("ROBOTSTXT_PARSER"))
        self.hosts = HostRobots(self._download, self._build_parser)
        self._build_parser(b"")  # fails now if the parser's dependencies are missing

    @classmethod
    def from_crawler(cls, crawler: "Crawler") -> "PolitenessRobotsMiddleware":
        return cls(crawler)

    def _build_parser(self, body: bytes):
        return self._parserimpl.from_crawler(self.crawler, body)

    def _download(self, url: str, origin: Request) -> Deferred:
        meta = {"dont_obey_robotstxt": True, "tw_robots": True}
        if "tw_private_ok" in origin.meta:  # a redirect of robots.txt is held to the same rule
            meta["tw_private_ok"] = origin.meta["tw_private_ok"]
        request = Request(url, priority=self.DOWNLOAD_PRIORITY, meta=meta, callback=NO_CALLBACK)
        self.crawler.stats.inc_value("robotstxt/request_count")
        d = deferred_from_coro(self.crawler.engine.download_async(request))
        d.addBoth(self._count, url)
        return d

    def _count(self, result: Any, url: str) -> Any:
        stats = self.crawler.stats
        if isinstance(result, Failure):
            stats.inc_value(f"robotstxt/exception_count/{result.type}")
            log.info("robots.txt %s could not be read: %s", url, result.getErrorMessage())
        else:
            stats.inc_value("robotstxt/response_count")
            stats.inc_value(f"robotstxt/response_status_count/{result.status}")
        return result

    def check(self, rules: Any, request: Request) -> None:
        """Raise RobotsForbidden when `rules` do not allow `request`."""
        useragent = self._useragent or request.headers.get(b"User-Agent") or self._default_useragent
        if not rules.allowed(request.url, useragent):
            self.crawler.stats.inc_value("robotstxt/forbidden")
            why = self.hosts.reason(HostRobots.key(request)) or ""
            temporary = "not now" in why or "could not" in why or "not understood" in why
            raise RobotsForbidden(f"Forbidden by robots.txt ({why})" if temporary else "Forbidden by robots.txt",
                                  temporary=temporary)

    async def process_request(self, request: Request, spider=None) -> None:
        if request.meta.get("dont_obey_robotstxt"):
            return None
        if urlparse_cached(request).scheme not in ("http", "https"):
            return None  # refused elsewhere; robots.txt only exists for web URLs
        rules = await maybe_deferred_to_future(self.hosts.rules_for(request))
        self.check(rules, request)
        return None
