"""Only http and https are ever fetched, and public sources do not lead into the local network.

A remote sitemap listing file:///…/secret.html once made trustwatch read the file and put it
in a report; redirects to file:// or ftp:// and links to private addresses are refused too.
"""
from __future__ import annotations

import asyncio

import duckdb
import pytest
from scrapy.http import Request, Response

from tests.spiders.conftest import make_config
from trustwatch.ingest import ingest
from trustwatch.records import Source
from trustwatch.spiders.urlguard import (RefusedURL, UrlGuardMiddleware, address_is_private,
                                         host_is_private, is_web_url, refusal)

SECRET = "the launch code is 0000 and nobody may know it"
ARTICLE = (b"<html><head><title>Regulator fines platform</title></head><body><article>"
           + b"<p>The regulator fined the platform for blocking links to a rival's shop.</p>" * 20
           + b"</article></body></html>")


@pytest.mark.parametrize("address, private", [
    ("127.0.0.1", True), ("10.1.2.3", True), ("172.16.0.9", True), ("192.168.1.1", True),
    ("169.254.169.254", True), ("0.0.0.0", True), ("::1", True), ("fe80::1", True),
    ("fc00::5", True), ("::ffff:127.0.0.1", True), ("224.0.0.1", True),
    ("93.184.215.14", False), ("2606:2800:21f:cb07:6820:80da:af6b:8b2c", False), ("8.8.8.8", False),
])
def test_private_addresses(address, private):
    assert address_is_private(address) is private


def test_hosts_are_judged_by_what_they_resolve_to():
    resolve = {"intranet.example": ["10.0.0.7"], "news.example": ["93.184.215.14"],
               "mixed.example": ["93.184.215.14", "192.168.0.2"]}.get
    assert host_is_private("intranet.example", lambda h: resolve(h, []))
    assert not host_is_private("news.example", lambda h: resolve(h, []))
    assert host_is_private("mixed.example", lambda h: resolve(h, []))
    assert host_is_private("localhost", lambda h: [])
    assert host_is_private("db.localhost", lambda h: [])
    assert host_is_private("[::1]", lambda h: [])
    assert not host_is_private("does-not-resolve.example", lambda h: [])


@pytest.mark.parametrize("url", ["file:///etc/hostname", "ftp://example.org/x", "data:text/plain,hi",
                                 "s3://bucket/key", "javascript:alert(1)", "gopher://example.org/",
                                 "http:///no-host"])
def test_non_web_urls_are_refused_whatever_the_source(url):
    assert refusal(url, private_ok=True, resolve=lambda h: [])
    assert not is_web_url(url)


def test_public_urls_pass_and_private_ones_only_when_allowed():
    public = lambda h: ["93.184.215.14"]  # noqa: E731
    assert refusal("https://news.example/a", private_ok=False, resolve=public) is None
    why = refusal("http://169.254.169.254/latest/meta-data/", private_ok=False, resolve=public)
    assert why and "local-network" in why
    assert refusal("http://169.254.169.254/latest/meta-data/", private_ok=True, resolve=public) is None


class _Settings(dict):
    def getbool(self, key, default=False):
        return bool(self.get(key, default))


class _Spider:
    crawl_sources = [Source(name="public-feed", url="http://93.184.215.14/feed.xml"),
                     Source(name="intranet-feed", url="http://10.0.0.7/feed.xml")]


class _Crawler:
    def __init__(self, **settings):
        self.settings = _Settings(settings)
        self.spider = _Spider()


async def _decide(mw: UrlGuardMiddleware, url: str, source: str):
    async def fake_is_private(host):  # no DNS in unit tests
        return host_is_private(host, lambda h: [])

    mw._is_private = fake_is_private
    try:
        await mw.process_request(Request(url, meta={"tw_source": source}))
    except RefusedURL as exc:
        return str(exc)
    return None


@pytest.mark.parametrize("url, source, allow, refused", [
    ("http://93.184.215.14/story", "public-feed", False, False),
    ("http://127.0.0.1:8080/admin", "public-feed", False, True),
    ("http://169.254.169.254/latest/meta-data/", "public-feed", False, True),
    ("http://[::1]/x", "public-feed", False, True),
    ("http://localhost/x", "public-feed", False, True),
    ("http://127.0.0.1:8080/admin", "public-feed", True, False),  # allow_private_links
    ("http://10.0.0.8/story", "intranet-feed", False, False),  # the source is on the intranet
    ("file:///etc/hostname", "intranet-feed", True, True),  # never, whatever the settings
    ("ftp://10.0.0.8/x", "intranet-feed", True, True),
])
def test_guard_middleware_decisions(url, source, allow, refused):
    mw = UrlGuardMiddleware(_Crawler(TRUSTWATCH_ALLOW_PRIVATE_LINKS=allow))
    why = asyncio.run(_decide(mw, url, source))
    assert bool(why) is refused, why


@pytest.mark.parametrize("location", [b"file:///etc/hostname", b"ftp://example.org/pub/x"])
def test_redirect_to_a_non_web_url_is_refused(location):
    mw = UrlGuardMiddleware(_Crawler())
    request = Request("http://93.184.215.14/story")
    response = Response(request.url, status=302, headers={"Location": location})
    with pytest.raises(RefusedURL, match="redirect to"):
        mw.process_response(request, response)
    ok = Response(request.url, status=302, headers={"Location": b"/elsewhere"})
    assert mw.process_response(request, ok) is ok


def test_sitemap_and_redirects_to_local_files_are_never_read(bare_site, tmp_path):
    secret = tmp_path / "secret.html"
    secret.write_text(f"<html><head><title>Secret</title></head><body><article><p>{SECRET}</p>"
                      f"</article></body></html>", encoding="utf-8")
    locs = [secret.as_uri(), "file:///etc/hostname", "ftp://127.0.0.1/pub/notes.html",
            bare_site.url("/news/fine"), bare_site.url("/moved/to-file"), bare_site.url("/moved/to-ftp")]
    sitemap = ('<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
               + "".join(f"<url><loc>{u}</loc><lastmod>2024-05-0{n + 1}</lastmod></url>" for n, u in enumerate(locs))
               + "</urlset>").encode()
    bare_site.extra_routes["/sitemap.xml"] = lambda _h: (200, {"Content-Type": "application/xml"}, sitemap)
    bare_site.extra_routes["/news/fine"] = lambda _h: (200, {"Content-Type": "text/html"}, ARTICLE)
    bare_site.extra_routes["/moved/to-file"] = lambda _h: (302, {"Location": secret.as_uri()}, b"")
    bare_site.extra_routes["/moved/to-ftp"] = lambda _h: (301, {"Location": "ftp://127.0.0.1/pub/x"}, b"")
    config = make_config(tmp_path, [{"name": "map", "kind": "sitemap", "url": bare_site.url("/sitemap.xml")}],
                         crawl={"max_entries_per_feed": 20})
    report = ingest(config, run_id="r1")
    source = report.source("map")
    assert not source.failed, source.errors
    assert source.new == 1
    with duckdb.connect(str(config.db_path), read_only=True) as con:
        texts = " ".join(t or "" for (t,) in con.execute("SELECT coalesce(title, '') || ' ' || coalesce(text, '') "
                                                         "FROM documents").fetchall())
        rows = con.execute("SELECT url, status, error FROM fetch_log").fetchall()
    assert SECRET not in texts and "Secret" not in texts
    by_url = {}
    for url, status, error in rows:
        by_url.setdefault(url, []).append((status, error))
    for url in (secret.as_uri(), "file:///etc/hostname", "ftp://127.0.0.1/pub/notes.html"):
        assert by_url[url] == [(None, by_url[url][0][1])], (url, by_url.get(url))
        assert "only http and https" in by_url[url][0][1]
    for path in ("/moved/to-file", "/moved/to-ftp"):
        outcomes = by_url[bare_site.url(path)]
        assert any(e and "refused: redirect to" in e for _s, e in outcomes), outcomes
        assert not any(s == 200 for s, _e in outcomes)
    assert any("only http and https" in e for e in source.errors)
