"""A robots.txt that answers 503 means "not now" for pages: nothing is fetched or stored."""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import duckdb

from tests.spiders.conftest import make_config
from trustwatch.ingest import ingest

PAGE = (b"<html><head><title>Marketplace delists seller</title></head><body><article>"
        + b"<p>The marketplace removed the seller after buyers complained about fake goods.</p>" * 20
        + b"</article></body></html>")


class _Handler(BaseHTTPRequestHandler):
    hits: dict[str, int] = {}

    def do_GET(self):  # noqa: N802
        self.hits[self.path] = self.hits.get(self.path, 0) + 1
        if self.path == "/robots.txt":
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, *args):
        pass


def test_pages_are_not_fetched_while_robots_txt_is_unavailable(tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/news/delisting.html"
        config = make_config(tmp_path, [{"name": "one-page", "kind": "page", "url": url}])
        report = ingest(config, run_id="r1")
    finally:
        server.shutdown()
    source = report.source("one-page")
    assert source.new == 0
    assert any("robots.txt" in e for e in source.errors), source.errors
    assert _Handler.hits.get("/robots.txt", 0) >= 1
    assert "/news/delisting.html" not in _Handler.hits
    with duckdb.connect(str(config.db_path), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM documents").fetchall()[0][0] == 0
