"""Page extraction runs one page at a time: trafilatura shares lxml parsers, and concurrent
calls from the crawler's threads crashed the crawl now and then (double free, SIGSEGV)."""
from __future__ import annotations

import threading

import trafilatura

from trustwatch.spiders import pages


def test_extractions_never_overlap(monkeypatch):
    active = []
    overlaps = []
    guard = threading.Lock()

    def fake_bare_extraction(html, **_kw):
        with guard:
            active.append(1)
            if len(active) > 1:
                overlaps.append(len(active))
        for _ in range(2000):  # give another thread every chance to enter
            threading.Event().wait(0)
        with guard:
            active.pop()
        return None

    monkeypatch.setattr(trafilatura, "bare_extraction", fake_bare_extraction)
    threads = [threading.Thread(target=pages.extract_page, args=(b"<html><body><p>x</p></body></html>",))
               for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert overlaps == []
