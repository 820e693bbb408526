"""A feed server on 127.0.0.1 for the orchestration tests and benchmarks.

Routes: /feeds/<name>.xml serves tests/flows/fixtures/<name>.xml; /error/500 always answers
500; /hang accepts and never answers; /robots.txt allows everything. Hits are counted per path.
"""
from __future__ import annotations

import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable, Optional

FIXTURES = Path(__file__).parent / "fixtures"


class FeedServer:
    def __init__(self, fixtures: Path = FIXTURES, hang_seconds: float = 120.0):
        self.fixtures = Path(fixtures)
        self.hang_seconds = hang_seconds
        self.hits: Counter[str] = Counter()
        self.extra: dict[str, bytes] = {}
        #: called with the path of every request before it is answered
        self.on_request: Optional[Callable[[str], None]] = None
        self._server: Optional[ThreadingHTTPServer] = None
        self._stop = threading.Event()

    @property
    def port(self) -> int:
        assert self._server is not None
        return self._server.server_address[1]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> "FeedServer":
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _send(self, status: int, body: bytes, ctype: str = "application/rss+xml") -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def do_HEAD(self):
                self.do_GET()

            def do_GET(self):
                path = self.path.split("?", 1)[0]
                site.hits[path] += 1
                if site.on_request is not None:
                    site.on_request(path)
                if path == "/robots.txt":
                    return self._send(200, b"User-agent: *\nAllow: /\n", "text/plain")
                if path == "/error/500":
                    return self._send(500, b"internal error", "text/plain")
                if path == "/hang":
                    site._stop.wait(site.hang_seconds)
                    return
                if path in site.extra:
                    return self._send(200, site.extra[path])
                if path.startswith("/feeds/") and path.endswith(".xml"):
                    f = site.fixtures / path[len("/feeds/"):]
                    if f.is_file() and f.parent == site.fixtures:
                        return self._send(200, f.read_bytes())
                return self._send(404, b"not found", "text/plain")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "FeedServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def closed_port_url() -> str:
    """A 127.0.0.1 URL where nothing listens (connection refused)."""
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    time.sleep(0.05)
    return f"http://127.0.0.1:{port}/feed.xml"
