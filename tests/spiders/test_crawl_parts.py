"""Parts of the crawler that need no network: Retry-After, page decoding, feed parsing, settings."""
from __future__ import annotations

import time
from email.utils import formatdate

import pytest

from trustwatch.config import CrawlSettings
from trustwatch.spiders.feeds import parse_feed
from trustwatch.spiders.middlewares import describe_exception, retry_after_seconds
from trustwatch.spiders.pages import charset_from_content_type, decode_html
from trustwatch.spiders.settings import scrapy_settings


def test_retry_after_seconds_and_http_date():
    assert retry_after_seconds(b"120") == 120.0
    now = time.time()
    assert 55 <= retry_after_seconds(formatdate(now + 60, usegmt=True), now=now) <= 60
    assert retry_after_seconds(formatdate(now - 60, usegmt=True), now=now) == 0.0
    assert retry_after_seconds(b"soon") is None
    assert retry_after_seconds(None) is None


def test_decode_html_prefers_http_charset_then_meta_then_detection():
    text = "<html><body><p>Économie : la société a été condamnée à une amende.</p></body></html>"
    latin = text.encode("cp1252")
    assert decode_html(latin, "text/html; charset=windows-1252")[0] == text
    with_meta = text.replace("<html>", '<html><meta charset="iso-8859-1">').encode("cp1252")
    assert "société" in decode_html(with_meta, "text/html")[0]
    decoded, encoding = decode_html(latin, "text/html")
    assert decoded == text and encoding == "cp1252"
    chinese = "<html><body><p>监管部门对该平台处以罚款，平台随后公开道歉并承诺整改。</p></body></html>"
    assert decode_html(chinese.encode("gb18030"), "text/html")[0] == chinese
    assert decode_html(chinese.encode("utf-8"), None)[0] == chinese


def test_a_wrong_declared_charset_falls_back_to_detection():
    text = "<p>监管部门对该平台处以罚款，平台随后公开道歉并承诺整改。</p>"
    decoded, _ = decode_html(text.encode("gb18030"), "text/html; charset=utf-8")
    assert decoded == text


def test_charset_labels_map_to_supersets():
    assert charset_from_content_type("text/xml; charset=GB2312") == "gb18030"
    assert charset_from_content_type("text/html; charset=\"ISO-8859-1\"") == "cp1252"
    assert charset_from_content_type("text/html") is None
    assert charset_from_content_type("text/html; charset=nonsense-enc") is None


FEED = """<?xml version="1.0" encoding="iso-8859-1"?>
<rss version="2.0"><channel><title>Fixture</title><language>de</language>
<item><title>Bußgeld für Plattform</title><link>/artikel/1?utm_source=rss</link>
<description>&lt;p&gt;Die Behörde verhängte ein Bußgeld.&lt;/p&gt;</description>
<pubDate>Tue, 03 Jan 2023 23:30:00 -0500</pubDate></item>
<item><title>Ohne Link</title><description>Kein Verweis.</description></item>
<item><title>Ohne Datum</title><link>https://example.org/artikel/3</link></item>
</channel></rss>""".encode("iso-8859-1")


def test_parse_feed_decodes_resolves_links_and_dates_in_utc():
    feed = parse_feed(FEED, "https://example.org/feed.xml", {"Content-Type": "application/rss+xml"})
    assert feed.problem is None and feed.language == "de"
    assert [e.title for e in feed.entries] == ["Bußgeld für Plattform", "Ohne Datum"]
    assert feed.skipped == 1
    first = feed.entries[0]
    assert first.link.startswith("https://example.org/artikel/1")
    assert (first.published.day, first.published.hour, first.published.minute) == (4, 4, 30)
    assert feed.entries[1].published is None


def test_parse_feed_reports_garbage():
    feed = parse_feed(b"<html><body>this is not a feed", "https://example.org/x")
    assert feed.entries == [] and feed.problem


def test_max_entries():
    assert len(parse_feed(FEED, "https://example.org/feed.xml", max_entries=1).entries) == 1


def test_polite_defaults_reach_scrapy():
    s = scrapy_settings(CrawlSettings(), "/tmp/out.jsonl")
    assert s["ROBOTSTXT_OBEY"] is True
    assert s["CONCURRENT_REQUESTS_PER_DOMAIN"] <= 2
    assert s["AUTOTHROTTLE_ENABLED"] is True
    assert "trustwatch" in s["USER_AGENT"] and "+http" in s["USER_AGENT"]
    assert s["DOWNLOAD_MAXSIZE"] == CrawlSettings().max_response_bytes
    assert s["REDIRECT_MAX_TIMES"] == CrawlSettings().max_redirects
    assert 429 in s["RETRY_HTTP_CODES"] and 503 in s["RETRY_HTTP_CODES"]
    custom = scrapy_settings(CrawlSettings(contact_url="https://example.org/contact"), "/tmp/o.jsonl")
    assert "https://example.org/contact" in custom["USER_AGENT"]


@pytest.mark.parametrize("exc, words", [
    (Exception("Forbidden by robots.txt"), "robots.txt"),
    (Exception("max redirections reached"), "redirect"),
    (TimeoutError("took longer than 3 seconds"), "timeout"),
])
def test_describe_exception(exc, words):
    assert words in describe_exception(exc)
