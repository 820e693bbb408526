"""The demo's feed server: the bundled sample feeds on 127.0.0.1, dated relative to today.

Every story in `data/` is invented for the demo (the companies are fictional). Dates are filled
in when the server starts, so the sample always reads as last week's news.
"""
from __future__ import annotations

import re
import threading
from datetime import date, datetime, time, timedelta, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Optional

#: name -> (file, language) of each bundled feed
FEEDS = {"demo-tech-ledger": ("technews.xml", "en"), "demo-wire": ("wire.xml", "en"),
         "demo-zh-news": ("zh-news.xml", "zh")}
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")
_PLACEHOLDER = re.compile(r"\{(base|date|iso|day|zhday)(?::(\d+))?\}")


def render_feed(template: str, base: str, today: date) -> str:
    """The feed with `{base}` and `{date|iso|day|zhday:N}` (N days before today) filled in."""
    def fill(m: re.Match) -> str:
        kind, back = m.group(1), int(m.group(2) or 0)
        if kind == "base":
            return base
        day = today - timedelta(days=back)
        moment = datetime.combine(day, time(8, 30), tzinfo=timezone.utc)
        if kind == "date":
            return format_datetime(moment)
        if kind == "iso":
            return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        if kind == "day":
            return f"{_MONTHS[day.month - 1]} {day.day}"
        return f"{day.month}月{day.day}日"

    return _PLACEHOLDER.sub(fill, template)


class DemoServer:
    """A ThreadingHTTPServer on 127.0.0.1 (a free port) serving /feeds/<name>.xml and robots.txt."""

    def __init__(self, today: Optional[date] = None):
        self.today = today or datetime.now(timezone.utc).date()
        self._server: Optional[ThreadingHTTPServer] = None
        self._pages: dict[str, bytes] = {}

    @property
    def base(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def feed_url(self, name: str) -> str:
        return f"{self.base}/feeds/{name}.xml"

    def start(self) -> "DemoServer":
        pages = self._pages

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):  # noqa: N802
                path = self.path.split("?", 1)[0]
                if path == "/robots.txt":
                    body, ctype, status = b"User-agent: *\nAllow: /\n", "text/plain", 200
                elif path in pages:
                    body, ctype, status = pages[path], "application/xml; charset=utf-8", 200
                else:
                    body, ctype, status = b"not part of the demo", "text/plain", 404
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_HEAD(self):  # noqa: N802
                self.send_response(200 if self.path.split("?", 1)[0] in pages else 404)
                self.end_headers()

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        data = resources.files("trustwatch.demo").joinpath("data")
        for name, (file, _) in FEEDS.items():
            text = render_feed(data.joinpath(file).read_text(encoding="utf-8"), self.base, self.today)
            pages[f"/feeds/{name}.xml"] = text.encode("utf-8")
        threading.Thread(target=self._server.serve_forever, name="trustwatch-demo-feeds", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "DemoServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
