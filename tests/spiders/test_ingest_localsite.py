"""End-to-end ingestion against a local web site serving the shared corpus's real feeds and pages.

One module-scoped pair of runs: the first reads everything (including every kind of bad
input), the second finds nothing new and gets 304s. Each test checks one promise.
"""
from __future__ import annotations

import html
import re
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from tests.spiders.conftest import make_config
from trustwatch.ingest import ingest
from trustwatch.urls import canonical_url

pytestmark = pytest.mark.corpus

BAD_SOURCES = {
    "server-error": "/status/500",
    "always-429": "/status/429",
    "retry-after-an-hour": "/closed-for-an-hour",
    "slow": "/slow/heraldsun.rss.xml",
    "redirect-loop": "/loop/a",
    "oversized": "/big",
    "robots-forbidden": "/private/rd-cnn",
    "malformed": "/feeds/reuters_most_read_MALFORMED.rss.xml",
}


def _sources(site) -> list[dict]:
    u = site.url
    return [
        {"name": "qq-gb2312", "url": u("/feeds/qq_news_china_GB2312.rss.xml"), "language": "zh"},
        {"name": "golem-latin1", "url": u("/feeds/golem_de_ISO-8859-1.rdf.xml")},
        {"name": "guardian", "url": u("/feeds/guardian_us.rss.xml"), "fetch_pages": True},
        {"name": "mastodon", "url": u("/feeds/mastodon_m.cmx.im_nova_zh.rss.xml")},
        {"name": "youtube", "url": u("/feeds/youtube_pbs_spacetime.atom.xml")},
        {"name": "flaky", "url": u("/feeds/debian_security.rdf.xml")},
        {"name": "rate-limited", "url": u("/ratelimited/nbc_newyork.rss.xml")},
        {"name": "truncated", "url": u("/truncated/hnrss_newest.rss.xml")},
        {"name": "tracking", "url": u("/fixtures/tracking_feed.xml"), "fetch_pages": True},
        {"name": "undeclared-fr", "url": u("/undeclared/rd-lemonde-1/cp1252"), "kind": "page"},
        {"name": "undeclared-zh", "url": u("/undeclared/np-chinese/gb18030"), "kind": "page"},
        {"name": "original", "url": u("/pages/rd-guardian-1"), "kind": "page"},
        {"name": "syndicated", "url": u("/syndicated/rd-guardian-1"), "kind": "page"},
        {"name": "mirror", "url": u("/mirror/rd-guardian-1"), "kind": "page"},
        *({"name": name, "url": u(path), **({"kind": "page"} if "private" in path else {})}
          for name, path in BAD_SOURCES.items()),
    ]


@pytest.fixture(scope="module")
def runs(local_site, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ingest")
    config = make_config(tmp, _sources(local_site))
    first = ingest(config, run_id="run-1")
    with duckdb.connect(str(config.db_path), read_only=True) as con:
        docs_after_first = con.execute("SELECT doc_id, source, text FROM documents ORDER BY doc_id").fetchall()
    # between runs a source that worked starts failing: what it stored must stay
    flaky_path = "/feeds/debian_security.rdf.xml"
    local_site.extra_routes[flaky_path] = lambda _headers: (500, {"Content-Type": "text/plain"}, b"down")
    try:
        second = ingest(config, run_id="run-2")
    finally:
        local_site.extra_routes.pop(flaky_path, None)
    con = duckdb.connect(str(config.db_path), read_only=True)
    yield {"config": config, "first": first, "second": second, "con": con,
           "docs_after_first": docs_after_first, "site": local_site}
    con.close()


def _docs(con, source):
    return con.execute(
        "SELECT title, summary, text, language, published, published_is_fallback, canonical_url, story_id, doc_id "
        "FROM documents WHERE source = ? ORDER BY canonical_url", [source]).fetchall()


def test_every_bad_input_is_a_failed_source_with_a_fetch_log_row_and_a_reason(runs):
    first, con = runs["first"], runs["con"]
    expected = {
        "server-error": "500", "always-429": "429", "slow": "timeout", "redirect-loop": "redirect",
        "oversized": "too large", "robots-forbidden": "robots.txt", "malformed": "not a readable feed",
    }
    for name, word in expected.items():
        report = first.source(name)
        assert report.failed, name
        assert any(word in e for e in report.errors), (name, report.errors)
        rows = con.execute("SELECT status, error FROM fetch_log WHERE source = ? AND run_id = 'run-1'",
                           [name]).fetchall()
        assert rows, name
        assert any(word in (err or "") or str(status) == word for status, err in rows), (name, rows)
        stored = con.execute("SELECT last_error FROM sources WHERE name = ?", [name]).fetchone()
        assert stored and word in stored[0], (name, stored)
    assert first.exit_code == 3


def test_retries_with_backoff_and_retry_after(runs):
    con = runs["con"]
    # a 500 is retried once (retries = 1), then given up
    statuses = [r[0] for r in con.execute(
        "SELECT status FROM fetch_log WHERE source = 'server-error' AND run_id = 'run-1'").fetchall()]
    assert statuses == [500, 500]
    # a Retry-After longer than we wait is not hammered: one request, and the reason
    rows = con.execute("SELECT status FROM fetch_log WHERE source = 'retry-after-an-hour'").fetchall()
    assert rows == [(429,)] * len(rows) and len(rows) == 2  # one per run
    assert any("retry after 3600s" in e for e in runs["first"].source("retry-after-an-hour").errors)
    # a 429 with Retry-After: 1 is retried after the wait and then read
    rows = con.execute("SELECT status, fetched_at FROM fetch_log WHERE source = 'rate-limited' "
                       "AND run_id = 'run-1' ORDER BY fetched_at").fetchall()
    assert [r[0] for r in rows] == [429, 200]
    assert (rows[1][1] - rows[0][1]).total_seconds() >= 0.9
    assert not runs["first"].source("rate-limited").failed
    assert runs["first"].source("rate-limited").new > 0


def test_good_sources_are_read_despite_the_bad_ones(runs):
    first = runs["first"]
    for name in ("qq-gb2312", "golem-latin1", "guardian", "mastodon", "youtube", "flaky",
                 "undeclared-fr", "undeclared-zh", "syndicated"):
        report = first.source(name)
        assert not report.failed, (name, report.errors)
        assert report.new > 0, name


def test_truncated_feed_keeps_recoverable_entries_and_says_so(runs):
    report = runs["first"].source("truncated")
    assert any("malformed feed" in e for e in report.errors)
    row = runs["con"].execute("SELECT error FROM fetch_log WHERE source = 'truncated' AND run_id = 'run-1'").fetchone()
    assert "malformed feed" in row[0]
    assert report.failed == (report.new == 0)


def test_gb2312_feed_is_stored_as_correct_chinese(runs, corpus_dir):
    raw = (corpus_dir / "feeds" / "qq_news_china_GB2312.rss.xml").read_bytes().decode("gb18030")
    titles = [html.unescape(t).strip() for t in re.findall(
        r"<item>.*?<title>(?:<!\[CDATA\[)?(.*?)(?:\]\]>)?</title>", raw, re.S)]
    docs = _docs(runs["con"], "qq-gb2312")
    assert docs
    for title, _summary, _text, language, *_ in docs:
        assert title in titles
        assert re.search(r"[\u4e00-\u9fff]", title)
        assert language == "zh"


def test_latin1_feed_keeps_its_accents(runs, corpus_dir):
    raw = (corpus_dir / "feeds" / "golem_de_ISO-8859-1.rdf.xml").read_bytes().decode("iso-8859-1")
    docs = _docs(runs["con"], "golem-latin1")
    assert docs
    for title, *_ in docs:
        assert title and "\ufffd" not in title and "Ã" not in title
        assert html.escape(title, quote=False) in raw or title in raw
    assert any(re.search(r"[äöüßÄÖÜ]", (t or "") + (s or "")) for t, s, *_ in docs)


def _expected_tokens(corpus_dir: Path, folder: str, name: str) -> set[str]:
    base = corpus_dir / "html" / folder / name
    expected = base / ("expected.html" if folder == "readability" else "expected.txt")
    text = re.sub(r"<[^>]+>", " ", html.unescape(expected.read_text(encoding="utf-8")))
    return set(re.findall(r"\w*[^\x00-\x7f]\w*", text))


@pytest.mark.parametrize("source, folder, name", [
    ("undeclared-fr", "readability", "lemonde-1"), ("undeclared-zh", "newspaper", "chinese")])
def test_pages_in_an_undeclared_encoding_are_decoded(runs, corpus_dir, source, folder, name):
    (_t, _s, text, *_rest), = _docs(runs["con"], source)
    assert text and "\ufffd" not in text
    non_ascii = _expected_tokens(corpus_dir, folder, name)
    found = {tok for tok in non_ascii if tok in text}
    assert len(found) >= 0.8 * len(non_ascii)


def test_feed_pages_get_main_text_and_feed_metadata(runs):
    docs = _docs(runs["con"], "guardian")
    assert len(docs) == 4  # max_entries_per_feed
    for title, summary, text, language, published, fallback, url, *_ in docs:
        assert title and text and len(text) > 200
        assert url.startswith(runs["site"].url("/pages/"))
        assert not fallback
        assert language  # the page's language (the local site links feeds to pages in several)


def test_tracking_parameters_and_fragments_make_one_document(runs):
    docs = _docs(runs["con"], "tracking")
    assert len(docs) == 1
    url = docs[0][6]
    assert "utm_" not in url and "fbclid" not in url and "#" not in url
    assert url == canonical_url(runs["site"].url("/pages/rd-aclu/tracked"))
    assert docs[0][2]  # the page's text was fetched once
    assert runs["first"].source("tracking").new == 1


def test_missing_dates_fall_back_to_fetch_time_and_are_flagged(runs):
    con = runs["con"]
    rows = con.execute("SELECT published, fetched_at, published_is_fallback FROM documents "
                       "WHERE source = 'youtube' OR source = 'qq-gb2312'").fetchall()
    assert rows and all(not fb for *_x, fb in rows)
    # pages saved without any date fall back to the fetch time, and say so
    for published, fetched, fallback in con.execute(
            "SELECT published, fetched_at, published_is_fallback FROM documents WHERE published_is_fallback"
    ).fetchall():
        assert published == fetched and fallback


def test_published_times_are_utc(runs):
    # the fixture feed's first item is 09:30 at +01:00 = 08:30 UTC
    con = runs["con"]
    (published,) = con.execute("SELECT published FROM documents WHERE source = 'tracking'").fetchone()
    assert (published.hour, published.minute) == (8, 30)


def test_exact_copy_under_another_url_is_stored_once(runs):
    first = runs["first"]
    stored = [n for n in ("original", "mirror") if first.source(n).new == 1]
    duplicate = [n for n in ("original", "mirror") if first.source(n).duplicates == 1]
    assert len(stored) == 1 and len(duplicate) == 1
    count = runs["con"].execute(
        "SELECT count(*) FROM documents WHERE source IN ('original', 'mirror')").fetchone()[0]
    assert count == 1


def test_syndicated_near_duplicate_is_stored_and_linked_to_the_same_story(runs):
    con = runs["con"]
    (syn,) = _docs(con, "syndicated")
    (orig,) = _docs(con, "original") or _docs(con, "mirror")
    assert syn[8] != orig[8]  # two documents
    assert syn[7] == orig[7]  # one story
    others = con.execute("SELECT count(DISTINCT story_id) FROM documents WHERE source IN ('qq-gb2312')").fetchone()[0]
    assert others == len(_docs(con, "qq-gb2312"))  # unrelated entries are separate stories


def test_second_run_stores_nothing_new_and_gets_304s(runs):
    first, second, con = runs["first"], runs["second"], runs["con"]
    assert second.new == 0
    assert second.duplicates <= first.duplicates
    for name in ("qq-gb2312", "golem-latin1", "guardian", "mastodon", "youtube", "rate-limited"):
        report = second.source(name)
        assert report.not_modified and not report.failed, (name, report)
        row = con.execute("SELECT status, not_modified FROM fetch_log WHERE source = ? AND run_id = 'run-2'",
                          [name]).fetchall()
        assert row == [(304, True)], name
    # pages already stored are not fetched again
    assert con.execute("SELECT count(*) FROM fetch_log WHERE run_id = 'run-2' AND url LIKE '%/pages/%/guardian_us-%'"
                       ).fetchone()[0] == 0


def test_a_source_failing_later_loses_nothing(runs):
    con, second = runs["con"], runs["second"]
    assert second.source("flaky").failed
    before = Counter(src for _id, src, _t in runs["docs_after_first"])
    after = Counter(src for (src,) in con.execute("SELECT source FROM documents").fetchall())
    assert after == before
    assert con.execute("SELECT count(*) FROM fetch_log WHERE source = 'flaky' AND run_id = 'run-2' "
                       "AND status = 500").fetchone()[0] >= 1
    # its validators survive the failure, so the next good run can still get a 304
    etag = con.execute("SELECT etag FROM sources WHERE name = 'flaky'").fetchone()[0]
    assert etag


def test_doc_id_is_a_stable_hash_of_the_canonical_url(runs):
    from trustwatch.urls import doc_id_for

    for doc_id, url in runs["con"].execute("SELECT doc_id, canonical_url FROM documents").fetchall():
        assert doc_id == doc_id_for(url)


def test_polite_request_headers(runs):
    site, config = runs["site"], runs["config"]
    ours = [(path, headers) for path, headers in site.requests
            if "trustwatch" in headers.get("User-Agent", "")]
    assert ours and all(config.crawl.contact_url in h["User-Agent"] for _p, h in ours)
    # conditional GET: the stored validators were sent for the feeds on the second run
    qq = [h for p, h in ours if p == "/feeds/qq_news_china_GB2312.rss.xml"]
    assert len(qq) == 2 and "If-None-Match" not in qq[0] and qq[1].get("If-None-Match")
    assert site.hits["/robots.txt"] >= 1
    # robots.txt held for every page request in both runs, however many waited for it
    assert not [p for p in site.hits if p.startswith("/private/")]
