"""Answers that look fine but are not: an empty 200, a body without a length that never stops
growing, a server that never answers. Each is a failed source with a plain reason."""
from __future__ import annotations

import duckdb
import pytest

from tests.spiders.conftest import make_config
from tests.spiders.localsite import HANG, Chunked
from trustwatch.ingest import ingest

ARTICLE = (b"<html><head><title>Shop closes seller accounts</title></head><body><article>"
           + b"<p>The shop closed the seller accounts after buyers reported counterfeit watches.</p>" * 20
           + b"</article></body></html>")


def _feed(site, paths) -> bytes:
    items = "".join(f"<item><title>Story {n}</title><link>{site.url(p)}</link><description>Summary {n}."
                    f"</description></item>" for n, p in enumerate(paths))
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>{items}'
            f"</channel></rss>").encode()


def _rows(config, source):
    with duckdb.connect(str(config.db_path), read_only=True) as con:
        fetches = con.execute("SELECT url, status, error FROM fetch_log WHERE source = ?", [source]).fetchall()
        stored = con.execute("SELECT last_error, etag FROM sources WHERE name = ?", [source]).fetchone()
        docs = con.execute("SELECT count(*) FROM documents WHERE source = ?", [source]).fetchone()[0]
    return fetches, stored, docs


@pytest.mark.parametrize("kind", ["feed", "page", "sitemap"])
def test_an_empty_200_is_a_failed_source(bare_site, tmp_path, kind):
    bare_site.extra_routes["/empty"] = lambda _h: (200, {"Content-Type": "application/xml"}, b"  \n")
    config = make_config(tmp_path, [{"name": "empty", "kind": kind, "url": bare_site.url("/empty")}])
    report = ingest(config, run_id="r1")
    source = report.source("empty")
    assert source.failed and any("empty response" in e for e in source.errors), source.errors
    assert report.exit_code == 3
    fetches, (last_error, etag), docs = _rows(config, "empty")
    assert [(s, "empty response" in (e or "")) for _u, s, e in fetches] == [(200, True)]
    assert "empty response" in last_error and etag is None and docs == 0


def test_an_empty_page_keeps_its_entry_and_is_tried_again(bare_site, tmp_path):
    feed = _feed(bare_site, ["/story/full", "/story/empty"])
    bare_site.extra_routes["/feed.xml"] = lambda h: bare_site.cacheable(h, feed, "application/rss+xml")
    bare_site.extra_routes["/story/full"] = lambda _h: (200, {"Content-Type": "text/html"}, ARTICLE)
    bare_site.extra_routes["/story/empty"] = lambda _h: (200, {"Content-Type": "text/html"}, b"")
    config = make_config(tmp_path, [{"name": "feed", "url": bare_site.url("/feed.xml"), "fetch_pages": True}])
    report = ingest(config, run_id="r1")
    source = report.source("feed")
    assert source.new == 2 and any("/story/empty: empty response" in e for e in source.errors), source.errors
    fetches, (_err, etag), _docs = _rows(config, "feed")
    assert any(u.endswith("/story/empty") and s == 200 and "empty response" in e for u, s, e in fetches if e)
    assert etag is None  # the feed is read again next run, and the page with it


@pytest.mark.parametrize("kind, path", [("feed", "/endless-feed"), ("page", "/endless-page")])
def test_a_body_without_length_past_the_limit_is_too_large(bare_site, tmp_path, kind, path):
    chunk = b"<!-- " + b"x" * 65_000 + b" -->"
    bare_site.extra_routes[path] = lambda _h: Chunked(chunks=(chunk for _ in range(60)),
                                                      headers={"Content-Type": "text/html"})
    config = make_config(tmp_path, [{"name": "big", "kind": kind, "url": bare_site.url(path)}],
                         crawl={"max_response_bytes": 1_000_000, "retries": 0})
    report = ingest(config, run_id="r1")
    source = report.source("big")
    assert source.failed
    assert any("response too large" in e for e in source.errors), source.errors
    assert not any("Cancelled" in e for e in source.errors)
    fetches, (last_error, _etag), _docs = _rows(config, "big")
    assert fetches and all(s is None and "response too large" in e for _u, s, e in fetches), fetches
    assert "response too large" in last_error


def test_a_page_that_never_answers_times_out_and_the_crawl_ends(bare_site, tmp_path):
    feed = _feed(bare_site, ["/story/full", "/story/hangs"])
    bare_site.extra_routes["/feed.xml"] = lambda _h: (200, {"Content-Type": "application/rss+xml"}, feed)
    bare_site.extra_routes["/story/full"] = lambda _h: (200, {"Content-Type": "text/html"}, ARTICLE)
    bare_site.extra_routes["/story/hangs"] = lambda _h: HANG
    config = make_config(tmp_path, [{"name": "feed", "url": bare_site.url("/feed.xml"), "fetch_pages": True}],
                         crawl={"timeout": 1, "retries": 0})
    report = ingest(config, run_id="r1")
    source = report.source("feed")
    assert not source.failed and source.new == 2
    assert any("/story/hangs" in e and "timeout" in e for e in source.errors), source.errors
