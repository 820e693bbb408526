"""A small web site on 127.0.0.1 for crawl tests and the ingest benchmark.

It serves the shared corpus's real feeds (their article links rewritten, at serve time, to
the corpus's real saved pages on this server) and the misbehaviours a crawler meets: errors,
rate limits, slowness, redirect loops, oversized and truncated bodies, undeclared encodings,
robots.txt exclusions. Nothing from the corpus is copied: files are read when requested.

Without a corpus (`LocalSite(None)`) it is a scriptable server: tests add routes
(`extra_routes` for exact paths, `prefix_routes` for path prefixes) answering a tuple
`(status, headers, body)`, a `Chunked` body sent without Content-Length, or `HANG` (never
answer). Every request's start and end is logged in `events` with one sequence number shared
by all threads, so tests can check ordering and overlap without timing anything.
"""
from __future__ import annotations

import csv
import hashlib
import itertools
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable, Iterable, Optional

LAST_MODIFIED = "Mon, 02 Jan 2023 10:00:00 GMT"
ROBOTS = b"User-agent: *\nDisallow: /private/\n"
FIXTURES = Path(__file__).parent / "fixtures"
_LINK_TEXT = re.compile(rb"(<link[^>]*>\s*(?:<!\[CDATA\[)?\s*)(https?://[^<\]\s]+)")
_LINK_HREF = re.compile(rb"(<link[^>]*\shref=[\"'])(https?://[^\"']+)")
_META_CHARSET = re.compile(rb"<meta[^>]*charset[^>]*>", re.IGNORECASE)


@dataclass
class Chunked:
    """A body sent with `Transfer-Encoding: chunked` (no Content-Length), one chunk at a time."""

    chunks: Iterable[bytes]
    status: int = 200
    headers: dict = field(default_factory=lambda: {"Content-Type": "application/xml"})


#: a reply that never comes: the handler waits until the client hangs up or the server stops
HANG = object()


@dataclass
class Event:
    seq: int
    kind: str  # "start" or "end"
    request_id: int
    path: str
    headers: dict


class LocalSite:
    def __init__(self, corpus: Optional[Path] = None, slow_seconds: float = 3.0, big_bytes: int = 3_000_000):
        self.corpus = Path(corpus) if corpus else None
        self.slow_seconds = slow_seconds
        self.big_bytes = big_bytes
        self.hits: Counter[str] = Counter()
        self.log: list[tuple[str, int]] = []
        #: (path, request headers) of every request, for politeness checks
        self.requests: list[tuple[str, dict[str, str]]] = []
        #: start and end of every request, numbered in one sequence across threads
        self.events: list[Event] = []
        #: path -> handler(request headers) -> reply; checked first
        self.extra_routes: dict[str, Callable[..., object]] = {}
        #: path prefix -> handler(path, request headers) -> reply; checked next
        self.prefix_routes: dict[str, Callable[..., object]] = {}
        self.pages = self._page_index() if self.corpus else {}
        self._server: Optional[ThreadingHTTPServer] = None
        self._lock = threading.Lock()
        self._seq = itertools.count()
        self._ids = itertools.count()
        self._stopping = threading.Event()

    def _event(self, kind: str, request_id: int, path: str, headers: dict) -> None:
        with self._lock:
            self.events.append(Event(next(self._seq), kind, request_id, path, headers))

    def intervals(self, predicate: Callable[[str], bool] = lambda _p: True) -> list[tuple[int, int, str]]:
        """(start seq, end seq, path) of each finished request whose path matches, in start order."""
        with self._lock:
            events = list(self.events)
        starts = {e.request_id: e for e in events if e.kind == "start"}
        return sorted((starts[e.request_id].seq, e.seq, e.path) for e in events
                      if e.kind == "end" and predicate(e.path))

    # -- corpus -----------------------------------------------------------------------
    def _page_index(self) -> dict[str, tuple[Path, Path]]:
        pages = {}
        html = self.corpus / "html"
        with (html / "html_manifest.csv").open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                kind, _, name = row["id"].partition("-")
                folder = html / ("readability" if kind == "rd" else "newspaper") / name
                expected = folder / ("expected.html" if kind == "rd" else "expected.txt")
                pages[row["id"]] = (folder / "source.html", expected)
        return pages

    @property
    def page_ids(self) -> list[str]:
        return sorted(self.pages)

    def feed_files(self) -> list[str]:
        return sorted(p.name for p in (self.corpus / "feeds").glob("*.xml"))

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def rewrite_links(self, body: bytes, feed_name: str) -> bytes:
        """Point every item link at a real saved page on this server (one distinct URL per item)."""
        ids = self.page_ids
        seen: dict[bytes, bytes] = {}
        start = int(hashlib.sha1(feed_name.encode()).hexdigest(), 16) % len(ids)

        def local(url: bytes) -> bytes:
            if url not in seen:
                n = len(seen)
                page = ids[(start + n) % len(ids)]
                seen[url] = self.url(f"/pages/{page}/{Path(feed_name).stem}-{n}").encode()
            return seen[url]

        body = _LINK_TEXT.sub(lambda m: m.group(1) + local(m.group(2)), body)
        return _LINK_HREF.sub(lambda m: m.group(1) + local(m.group(2)), body)

    def undeclared_feed(self, feed_name: str, encoding: str) -> bytes:
        from trustwatch.spiders.feeds import decode_feed

        raw = self.rewrite_links((self.corpus / "feeds" / feed_name).read_bytes(), feed_name)
        text, _enc = decode_feed(raw, {})
        text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text, count=1)
        if encoding.replace("-", "").lower().startswith("big5"):
            import opencc

            text = opencc.OpenCC("s2t").convert(text)
        return text.encode(encoding, errors="xmlcharrefreplace")

    def page_bytes(self, page_id: str) -> bytes:
        return self.pages[page_id][0].read_bytes()

    # -- serving ----------------------------------------------------------------------
    def route(self, path: str, headers) -> tuple[int, dict, bytes]:
        parts = [p for p in path.split("?")[0].split("/") if p]
        head = parts[0] if parts else ""
        if path in self.extra_routes:
            return self.extra_routes[path](headers)
        for prefix, handler in self.prefix_routes.items():
            if path.startswith(prefix):
                return handler(path, headers)
        if path == "/robots.txt":
            return 200, {"Content-Type": "text/plain"}, ROBOTS
        if head == "feeds" and len(parts) == 2:
            body = self.rewrite_links((self.corpus / "feeds" / parts[1]).read_bytes(), parts[1])
            return self.cacheable(headers, body, "application/xml")
        if head == "fixtures" and len(parts) == 2:
            body = (FIXTURES / parts[1]).read_bytes().replace(b"{{BASE}}", self.url("").encode())
            ctype = "text/html" if parts[1].endswith(".html") else "application/xml"
            return self.cacheable(headers, body, ctype)
        if head in ("pages", "private", "mirror") and len(parts) >= 2:
            return self.cacheable(headers, self.page_bytes(parts[1]), "text/html")
        if head == "syndicated" and len(parts) >= 2:
            expected = self.pages[parts[1]][1].read_text(encoding="utf-8", errors="replace")
            return self.cacheable(headers, syndicated_copy(self.page_bytes(parts[1]), expected), "text/html")
        if head == "undeclared-feed" and len(parts) == 3:
            # a corpus feed re-encoded (GB2312 feeds turned traditional for Big5) without any
            # declaration: no XML encoding, no HTTP charset
            return 200, {"Content-Type": "application/xml"}, self.undeclared_feed(parts[1], parts[2])
        if head == "undeclared" and len(parts) >= 3:
            encoding = parts[2]
            html = self.page_bytes(parts[1]).decode("utf-8")
            body = _META_CHARSET.sub(b"", html.encode(encoding, errors="xmlcharrefreplace"))
            return 200, {"Content-Type": "text/html"}, body
        if head == "status" and len(parts) == 2:
            code = int(parts[1])
            extra = {"Retry-After": "1"} if code in (429, 503) else {}
            return code, {"Content-Type": "text/plain", **extra}, b"status page"
        if head == "closed-for-an-hour":
            return 429, {"Retry-After": "3600", "Content-Type": "text/plain"}, b"come back later"
        if head == "ratelimited" and len(parts) == 2:  # 429 on the first request, the feed after
            if self.hits[path] <= 1:
                return 429, {"Retry-After": "1", "Content-Type": "text/plain"}, b"slow down"
            return self.route(f"/feeds/{parts[1]}", headers)
        if head == "slow" and len(parts) == 2:
            time.sleep(self.slow_seconds)
            return self.route(f"/feeds/{parts[1]}", headers)
        if head == "loop" and len(parts) == 2:
            other = "b" if parts[1] == "a" else "a"
            return 302, {"Location": self.url(f"/loop/{other}")}, b""
        if head == "big":
            filler = b"<!-- " + b"x" * (self.big_bytes) + b" -->"
            return 200, {"Content-Type": "application/xml"}, b"<?xml version='1.0'?><rss><channel>" + filler
        if head == "truncated" and len(parts) == 2:
            body = self.rewrite_links((self.corpus / "feeds" / parts[1]).read_bytes(), parts[1])
            return self.cacheable(headers, body[: len(body) * 2 // 5], "application/xml")
        return 404, {"Content-Type": "text/plain"}, b"not found"

    def cacheable(self, headers, body: bytes, ctype: str) -> tuple[int, dict, bytes]:
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        common = {"ETag": etag, "Last-Modified": LAST_MODIFIED}
        if headers.get("If-None-Match") == etag or (
                headers.get("If-None-Match") is None and headers.get("If-Modified-Since") == LAST_MODIFIED):
            return 304, common, b""
        return 200, {"Content-Type": ctype, **common}, body

    def start(self) -> "LocalSite":
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):  # noqa: N802
                headers = dict(self.headers.items())
                with site._lock:
                    site.hits[self.path] += 1
                    site.requests.append((self.path, headers))
                    self._request_id = next(site._ids)
                self._ended = False
                site._event("start", self._request_id, self.path, headers)
                try:
                    self._answer()
                finally:
                    self._end()

            def _end(self):
                """Logged just before the last bytes go out, so the client cannot have seen the
                whole answer (and sent its next request) before the end is in the log."""
                if not self._ended:
                    self._ended = True
                    site._event("end", self._request_id, self.path, dict(self.headers.items()))

            def _answer(self):
                try:
                    reply = site.route(self.path, self.headers)
                except (FileNotFoundError, KeyError, IndexError):
                    reply = 404, {"Content-Type": "text/plain"}, b"not found"
                try:
                    if reply is HANG:
                        site.log.append((self.path, 0))
                        self._hang()
                        return
                    if isinstance(reply, Chunked):
                        site.log.append((self.path, reply.status))
                        self._chunked(reply)
                        return
                    status, headers, body = reply
                    site.log.append((self.path, status))
                    self.send_response(status)
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(body)))
                    if not body or status == 304:
                        self._end()
                    self.end_headers()
                    if body and status != 304:
                        self.wfile.write(body[:-1])
                        self._end()
                        self.wfile.write(body[-1:])
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _hang(self):
                import select

                # wait for the client to hang up (readable with no data) or the server to stop
                while not site._stopping.is_set():
                    ready, _, _ = select.select([self.connection], [], [], 0.2)
                    if ready and not self.connection.recv(1, 2):  # MSG_PEEK: b"" = closed
                        break
                self.close_connection = True

            def _chunked(self, reply: "Chunked"):
                self.send_response(reply.status)
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for chunk in reply.chunks:
                    if chunk:
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self._end()
                self.wfile.write(b"0\r\n\r\n")

            def log_message(self, *args):
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):
                pass  # clients that hang up (timeouts, size limits) are part of the tests

        self._server = Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server:
            self._server.shutdown()
            self._server.server_close()


def syndicated_copy(html: bytes, expected_text: str = "") -> bytes:
    """The same page with a republication note added to one paragraph of its main text."""
    import html as html_lib

    def plain(fragment: bytes) -> str:
        text = re.sub(r"<[^>]+>", " ", fragment.decode("utf-8", "replace"))
        return re.sub(r"\s+", " ", html_lib.unescape(text)).strip()

    expected = re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"<[^>]+>", " ", expected_text)))
    paragraphs = [m for m in re.finditer(rb"<p[^>]*>(.*?)</p>", html, re.S)
                  if len(plain(m.group(1))) > 60 and plain(m.group(1))[:50] in expected]
    note = b" This story was republished with permission from its original publisher."
    if not paragraphs:
        return html.replace(b"</body>", b"<p>" + note + b"</p></body>")
    best = paragraphs[len(paragraphs) // 2]
    end = best.end() - len(b"</p>")
    return html[:end] + note + html[end:]
