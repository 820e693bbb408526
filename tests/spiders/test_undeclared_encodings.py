"""Feeds and pages that declare no encoding are decoded from their bytes, CJK included; text
that still looks wrongly decoded is flagged, kept, and read again (not frozen).

The Chinese sentences below are the project's own; the corpus test reuses the shared corpus's
real GB2312 feed, served without its declaration (and turned traditional for Big5)."""
from __future__ import annotations

import html
import re

import duckdb
import pytest

from tests.spiders.conftest import make_config
from trustwatch.ingest import ingest
from trustwatch.spiders.encoding import detect_encoding, text_problem
from trustwatch.spiders.feeds import parse_feed
from trustwatch.spiders.pages import decode_html

SIMPLIFIED = ["监管部门对直播平台罚款五十万元", "电商平台封禁涉嫌售假的商家账号", "外卖平台就配送延误向用户道歉",
              "社交平台屏蔽竞争对手的链接", "市场监管总局对网约车平台立案调查"]
TRADITIONAL = ["監管部門對直播平台罰款五十萬元", "電商平台封禁涉嫌售假的商家帳號", "外賣平台就配送延誤向用戶道歉",
               "社交平台屏蔽競爭對手的連結", "市場監管總局對網約車平台立案調查"]


def _feed_text(titles: list[str], link: str) -> str:
    traditional = titles is TRADITIONAL
    note = "消息人士稱此事仍在處理中。" if traditional else "消息人士称此事仍在处理中。"
    items = "".join(f"<item><title>{t}</title><link>{link}/{n}</link><description>{t}。{note}"
                    f"</description></item>" for n, t in enumerate(titles))
    return (f"<rss version=\"2.0\"><channel><title>{'平台新聞' if traditional else '平台新闻'}</title>"
            f"{items}</channel></rss>")


@pytest.mark.parametrize("titles, encoding", [(SIMPLIFIED, "gb2312"), (SIMPLIFIED, "gbk"),
                                              (TRADITIONAL, "big5")])
def test_undeclared_chinese_feed_bytes_decode(titles, encoding):
    body = _feed_text(titles, "https://news.example/a").encode(encoding)
    for headers in ({}, {"Content-Type": "application/rss+xml"}, {"Content-Type": "text/xml"}):
        feed = parse_feed(body, "https://news.example/feed.xml", headers)
        assert [e.title for e in feed.entries] == titles, (encoding, headers, feed.encoding)
        assert feed.problem is None or not headers  # feedparser minds a missing Content-Type only
        assert not any(text_problem(e.title, e.summary) for e in feed.entries)


def test_undeclared_pages_in_cjk_encodings_decode():
    for text, encoding in (("".join(SIMPLIFIED), "gb18030"), ("".join(TRADITIONAL), "big5"),
                           ("プラットフォームが出品者を停止し、規制当局がライブ配信サービスに罰金を科した。", "shift_jis"),
                           ("규제 당국이 라이브 방송 서비스에 벌금을 부과했다.", "euc_kr")):
        page = f"<html><head><title>x</title></head><body><p>{text}</p></body></html>".encode(encoding)
        decoded, used = decode_html(page, "text/html")
        assert text in decoded, (encoding, used)


def test_declarations_still_win_and_latin_stays_latin():
    body = '<?xml version="1.0" encoding="iso-8859-1"?><rss><channel><item><title>Größe</title>' \
           '<link>https://x.example/1</link></item></channel></rss>'.encode("latin-1")
    assert parse_feed(body, "https://x.example/f").entries[0].title == "Größe"
    assert detect_encoding("Le régulateur inflige une amende très lourde à la plateforme".encode("cp1252")) == "cp1252"


@pytest.mark.parametrize("text, flagged", [
    ("习近平为何如此强调崇尚英雄？", False), ("Ï°½üÆ½ÎªºÎÈç´ËÇ¿µ÷³çÉÐÓ¢ÐÛ£¿", True),
    ("Le régulateur a infligé une amende", False), ("Le rÃ©gulateur a infligÃ© une amende", True),
    ("Größe, São Paulo, naïve café „Zitat“ – 10 €", False), ("a \ufffd b", True),
])
def test_mojibake_and_replacement_characters_are_flagged(text, flagged):
    assert bool(text_problem(text)) is flagged


def _serve_feed(site, path: str, body: bytes, ctype: str = "application/xml"):
    site.extra_routes[path] = lambda headers: site.cacheable(headers, body, ctype)


@pytest.mark.parametrize("titles, encoding", [(SIMPLIFIED, "gb2312"), (TRADITIONAL, "big5")])
def test_undeclared_feeds_served_locally_are_stored_as_chinese(bare_site, tmp_path, titles, encoding):
    _serve_feed(bare_site, "/feed.xml", _feed_text(titles, bare_site.url("/story")).encode(encoding))
    config = make_config(tmp_path, [{"name": "zh-feed", "url": bare_site.url("/feed.xml")}],
                         crawl={"max_entries_per_feed": 10})
    report = ingest(config, run_id="r1")
    source = report.source("zh-feed")
    assert not source.failed and source.new == len(titles), source.errors
    with duckdb.connect(str(config.db_path), read_only=True) as con:
        rows = con.execute("SELECT title, language, text_problem FROM documents").fetchall()
        etag = con.execute("SELECT etag FROM sources WHERE name = 'zh-feed'").fetchone()[0]
    assert sorted(t for t, _l, _p in rows) == sorted(titles)
    assert {lang for _t, lang, _p in rows} == {"zh"} and {p for *_x, p in rows} == {None}
    assert etag  # read right: frozen as usual


def test_garbled_text_is_kept_flagged_and_replaced_on_the_next_read(bare_site, tmp_path):
    feed = ('<?xml version="1.0" encoding="{enc}"?><rss version="2.0"><channel><title>平台新闻</title>'
            f"<item><title>{SIMPLIFIED[0]}</title><link>{bare_site.url('/story/1')}</link>"
            f"<description>{SIMPLIFIED[1]}。</description></item></channel></rss>")
    # GB2312 bytes that the feed says are ISO-8859-1: read as declared, they are mojibake
    _serve_feed(bare_site, "/feed.xml", feed.format(enc="iso-8859-1").encode("gb2312"))
    config = make_config(tmp_path, [{"name": "zh-feed", "url": bare_site.url("/feed.xml")}])
    first = ingest(config, run_id="r1").source("zh-feed")
    assert not first.failed and first.new == 1
    assert any("wrongly decoded" in e for e in first.errors), first.errors
    with duckdb.connect(str(config.db_path), read_only=True) as con:
        title, problem = con.execute("SELECT title, text_problem FROM documents").fetchone()
        etag = con.execute("SELECT etag FROM sources WHERE name = 'zh-feed'").fetchone()[0]
    assert title != SIMPLIFIED[0] and "mojibake" in problem
    assert etag is None  # not frozen: the next run reads the feed in full

    _serve_feed(bare_site, "/feed.xml", feed.format(enc="gb2312").encode("gb2312"))  # the site fixed it
    bare_site.requests.clear()
    second = ingest(config, run_id="r2").source("zh-feed")
    assert not second.failed and second.new == 0, second
    (request,) = [h for p, h in bare_site.requests if p == "/feed.xml"]
    assert "If-None-Match" not in request
    with duckdb.connect(str(config.db_path), read_only=True) as con:
        rows = con.execute("SELECT title, summary, language, text_problem, extractor_version FROM documents").fetchall()
        etag = con.execute("SELECT etag FROM sources WHERE name = 'zh-feed'").fetchone()[0]
    assert rows == [(SIMPLIFIED[0], SIMPLIFIED[1] + "。", "zh", None, None)]
    assert etag  # now it is frozen


def _titles(raw: str) -> list[str]:
    return [html.unescape(t).strip() for t in re.findall(
        r"<item>.*?<title>(?:<!\[CDATA\[)?(.*?)(?:\]\]>)?</title>", raw, re.S)]


@pytest.mark.corpus
@pytest.mark.parametrize("encoding", ["gb2312", "big5"])
def test_real_gb2312_feed_served_undeclared_decodes(local_site, tmp_path, corpus_dir, encoding):
    name = "qq_news_china_GB2312.rss.xml"
    expected = _titles(local_site.undeclared_feed(name, encoding).decode(encoding))
    config = make_config(tmp_path, [{"name": "qq", "url": local_site.url(f"/undeclared-feed/{name}/{encoding}")}],
                         crawl={"max_entries_per_feed": 50})
    report = ingest(config, run_id="r1")
    assert not report.source("qq").failed, report.source("qq").errors
    with duckdb.connect(str(config.db_path), read_only=True) as con:
        rows = con.execute("SELECT title, text_problem FROM documents").fetchall()
    assert rows and all(problem is None for _t, problem in rows)
    assert {t for t, _p in rows} <= set(expected)
    assert all(re.search(r"[\u4e00-\u9fff]", t) for t, _p in rows)
