"""The reachability check before a run crawls: who answers, and why the others did not."""
from __future__ import annotations

import socket

from tests.flows.feedserver import closed_port_url
from trustwatch.flows.reachability import probe


def test_a_listening_host_answers_and_a_closed_port_or_unknown_host_says_why(monkeypatch):
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    listening.listen(4)
    try:
        port = listening.getsockname()[1]
        found = probe([("up", f"http://127.0.0.1:{port}/feed.xml"), ("refused", closed_port_url()),
                       ("nowhere", "https://feeds.nonexistent.invalid/rss.xml"), ("odd", "ftp://x/y")],
                      connect_timeout=5, budget=20)
    finally:
        listening.close()
    assert found["up"] is None
    assert found["refused"] == "connection refused"
    assert found["nowhere"] == "DNS lookup failed: host feeds.nonexistent.invalid not found"
    assert found["odd"] == "not an http(s) URL"
