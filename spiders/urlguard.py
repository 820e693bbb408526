"""Only the open web is fetched: http and https, and no private addresses found in content.

Feeds, sitemaps and redirects are written by others. A sitemap listing `file:///etc/hostname`
or a redirect to `ftp://…` must not make the crawler read local files or other protocols, and
a link (or redirect) to `http://127.0.0.1/…`, `http://10.0.0.5/…` or the cloud metadata
address `169.254.169.254` must not turn the crawler into a way into the local network.

So every request passes `UrlGuardMiddleware` first (and again after each redirect):

- a scheme other than http/https is refused;
- a host that is (or resolves to) a loopback, private, link-local, multicast, reserved or
  unspecified address is refused, unless the request's source itself is on such a host
  (an intranet feed may link to its intranet) or `[crawl] allow_private_links` is set.

Scrapy's handlers for file, ftp, s3 and data URLs are switched off as well (settings), so a
request that got past this middleware some other way could still not read them.
"""
from __future__ import annotations

import ipaddress
import logging
import socket
from typing import TYPE_CHECKING, Callable, Iterable, Optional
from urllib.parse import urljoin, urlsplit

from scrapy.exceptions import IgnoreRequest

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Request, Response

log = logging.getLogger(__name__)

WEB_SCHEMES = ("http", "https")
#: host names that mean this machine without asking DNS
_LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")


class RefusedURL(IgnoreRequest):
    """A URL we do not fetch, whoever listed it: the refusal is final."""


def is_web_url(url: Optional[str]) -> bool:
    """An http(s) URL with a host."""
    if not url:
        return False
    try:
        parts = urlsplit(url.strip())
        return parts.scheme.lower() in WEB_SCHEMES and bool(parts.hostname)
    except ValueError:
        return False


def address_is_private(address: str) -> bool:
    """True for loopback, private, link-local, multicast, reserved and unspecified addresses."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    if mapped is not None:
        ip = mapped
    return (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast
            or ip.is_reserved or ip.is_unspecified)


def resolve_host(host: str) -> list[str]:
    """The addresses `host` resolves to (empty when it does not resolve)."""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, OSError):
        return []
    return sorted({info[4][0] for info in infos})


def host_is_private(host: Optional[str], resolve: Callable[[str], Iterable[str]] = resolve_host) -> bool:
    """Whether `host` is a local-network host: a private literal address, a name for this
    machine, or a name that resolves to any private address."""
    if not host:
        return False
    host = host.strip("[]").lower().rstrip(".")
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        pass
    else:
        return address_is_private(host)
    if host in _LOCAL_NAMES or host.endswith(".localhost"):
        return True
    return any(address_is_private(a) for a in resolve(host))


def refusal(url: str, *, private_ok: bool, resolve: Callable[[str], Iterable[str]] = resolve_host) -> Optional[str]:
    """Why `url` must not be fetched, or None when it may be."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return f"refused: not a valid URL ({url[:200]})"
    scheme = parts.scheme.lower()
    if scheme not in WEB_SCHEMES:
        return f"refused: {scheme or 'no'}:// URL {url[:200]} (only http and https are fetched)"
    if not host:
        return f"refused: no host in {url[:200]}"
    if not private_ok and host_is_private(host, resolve):
        return private_refusal(host)
    return None


def private_refusal(host: str) -> str:
    return (f"refused: {host} is a local-network address (links from public sources to "
            "private, loopback or link-local hosts are not followed; see allow_private_links)")


class UrlGuardMiddleware:
    """Downloader middleware refusing non-web URLs and local-network hosts (see the module)."""

    def __init__(self, crawler: "Crawler"):
        self.crawler = crawler
        self.allow_private = crawler.settings.getbool("TRUSTWATCH_ALLOW_PRIVATE_LINKS", False)
        self._private_hosts: dict[str, bool] = {}

    @classmethod
    def from_crawler(cls, crawler: "Crawler") -> "UrlGuardMiddleware":
        return cls(crawler)

    # -- host lookups, cached for the crawl and made off the reactor thread -------------
    async def _is_private(self, host: Optional[str]) -> bool:
        if not host:
            return False
        key = host.lower()
        if key not in self._private_hosts:
            from twisted.internet.threads import deferToThread
            from scrapy.utils.defer import maybe_deferred_to_future

            self._private_hosts[key] = await maybe_deferred_to_future(deferToThread(host_is_private, key))
        return self._private_hosts[key]

    def _source_url(self, request: "Request") -> Optional[str]:
        name = request.meta.get("tw_source")
        spider = getattr(self.crawler, "spider", None)
        for source in getattr(spider, "crawl_sources", ()) or ():
            if source.name == name:
                return source.url
        return None

    async def private_ok(self, request: "Request") -> bool:
        """Whether this request may go to a local-network host."""
        if self.allow_private:
            return True
        if "tw_private_ok" in request.meta:
            return bool(request.meta["tw_private_ok"])
        source_url = self._source_url(request)
        ok = False
        if source_url:
            try:
                ok = await self._is_private(urlsplit(source_url).hostname)
            except ValueError:
                ok = False
        request.meta["tw_private_ok"] = ok  # kept through redirects and by robots.txt requests
        return ok

    async def process_request(self, request: "Request", spider=None) -> None:
        try:
            parts = urlsplit(request.url)
            host = parts.hostname
        except ValueError:
            raise RefusedURL(f"refused: not a valid URL ({request.url[:200]})") from None
        why = refusal(request.url, private_ok=True)  # the scheme and host, without DNS
        if why:
            raise RefusedURL(why)
        if await self.private_ok(request):
            return None
        if await self._is_private(host):
            raise RefusedURL(private_refusal(host))
        return None

    def process_response(self, request: "Request", response: "Response", spider=None):
        """A redirect to a non-web URL is refused, and said so, instead of a bare 3xx."""
        if 300 <= response.status < 400 and response.headers.get(b"Location"):
            location = response.headers[b"Location"].decode("latin-1", "replace").strip()
            target = urljoin(request.url, location)
            try:
                scheme = urlsplit(target).scheme.lower()
            except ValueError:
                scheme = ""
            if scheme not in WEB_SCHEMES and not request.meta.get("handle_httpstatus_all"):
                raise RefusedURL(f"refused: redirect to {target[:200]} (only http and https are fetched)")
        return response
