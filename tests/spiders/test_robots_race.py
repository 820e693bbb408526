"""robots.txt holds for every page request, however many wait for it and however it fails.

Scrapy's own middleware gave the parsed rules to the first waiter only (scrapy/scrapy#6802):
the others saw "no rules" and fetched disallowed pages. The unit test races the decision logic
in every order 100 times; the crawl tests race real requests against a slow robots.txt. No
assertion depends on timing: the slow answer only makes the race likely.
"""
from __future__ import annotations

import asyncio
import random
import time

import duckdb
import pytest
from scrapy.http import Request, Response
from scrapy.robotstxt import ProtegoRobotParser
from twisted.internet.defer import Deferred
from twisted.internet.error import ConnectionRefusedError, TimeoutError

from tests.spiders.conftest import make_config
from tests.spiders.localsite import HANG
from trustwatch.ingest import ingest
from trustwatch.spiders.robots import DISALLOW_ALL, HostRobots, PolitenessRobotsMiddleware, RobotsForbidden

UA = "trustwatch/test"
RULES = b"User-agent: *\nDisallow: /private/\n"

#: (what robots.txt gives, whether /public/ pages are allowed, whether /private/ pages are)
OUTCOMES = [
    ("200 with rules", True, False),
    ("200 disallow all", False, False),
    ("200 empty", True, True),
    ("404", True, True),
    ("429", False, False),
    ("503", False, False),
    ("timeout", False, False),
    ("refused", False, False),
]


def _answer(outcome: str, url: str):
    if outcome == "timeout":
        return TimeoutError("robots.txt took too long")
    if outcome == "refused":
        return ConnectionRefusedError()
    status = int(outcome.split()[0])
    body = {"200 with rules": RULES, "200 disallow all": DISALLOW_ALL}.get(outcome, b"")
    return Response(url, status=status, body=body)


def _fire(d: Deferred, answer) -> None:
    if isinstance(answer, BaseException):
        d.errback(answer)
    else:
        d.callback(answer)


def test_every_waiter_gets_the_same_decision_in_any_order():
    rng = random.Random(6802)
    for iteration in range(100):
        outcome, public_ok, private_ok = OUTCOMES[iteration % len(OUTCOMES)]
        fetches: list[tuple[str, Deferred]] = []

        def fetch(url, _origin):
            d = Deferred()
            fetches.append((url, d))
            return d

        hosts = HostRobots(fetch, lambda body: ProtegoRobotParser(body, None))
        n = rng.randint(2, 40)
        requests = [Request(f"http://127.0.0.1:8123/{rng.choice(['private', 'public'])}/{k}")
                    for k in range(n)]
        answer_after = rng.randint(1, n)  # how many requests ask before robots.txt answers
        decisions: list[tuple[Request, bool]] = []
        for k, request in enumerate(requests):
            if k == answer_after:
                _fire(fetches[0][1], _answer(outcome, fetches[0][0]))
            hosts.rules_for(request).addCallback(
                lambda rules, r=request: decisions.append((r, rules.allowed(r.url, UA))))
        if answer_after == n:
            _fire(fetches[0][1], _answer(outcome, fetches[0][0]))

        assert [url for url, _d in fetches] == ["http://127.0.0.1:8123/robots.txt"], iteration
        assert len(decisions) == n, (iteration, outcome)  # every waiter was answered
        for request, allowed in decisions:
            expected = private_ok if "/private/" in request.url else public_ok
            assert allowed is expected, (iteration, outcome, request.url, answer_after)


def test_each_host_has_its_own_robots_txt():
    fetches: dict[str, Deferred] = {}

    def fetch(url, _origin):
        fetches[url] = Deferred()
        return fetches[url]

    hosts = HostRobots(fetch, lambda body: ProtegoRobotParser(body, None))
    seen = {}
    for url in ("http://a.example/private/1", "http://b.example/private/1", "https://a.example/private/1"):
        hosts.rules_for(Request(url)).addCallback(lambda rules, u=url: seen.__setitem__(u, rules.allowed(u, UA)))
    assert sorted(fetches) == ["http://a.example/robots.txt", "http://b.example/robots.txt",
                               "https://a.example/robots.txt"]
    fetches["http://a.example/robots.txt"].callback(Response("http://a.example/robots.txt", body=RULES))
    fetches["http://b.example/robots.txt"].callback(Response("http://b.example/robots.txt", status=404))
    fetches["https://a.example/robots.txt"].errback(TimeoutError())
    assert seen == {"http://a.example/private/1": False, "http://b.example/private/1": True,
                    "https://a.example/private/1": False}


class _Stats:
    def inc_value(self, *_a, **_k):
        pass


class _Crawler:
    """Just enough of a Scrapy crawler for the middleware: settings, stats, an engine whose
    downloads wait for the test to answer them."""

    def __init__(self):
        from scrapy.settings import Settings

        self.settings = Settings({"ROBOTSTXT_OBEY": True, "USER_AGENT": UA,
                                  "ROBOTSTXT_PARSER": "scrapy.robotstxt.ProtegoRobotParser"})
        self.stats = _Stats()
        self.spider = None
        self.pending: list[asyncio.Future] = []
        self.engine = self

    async def download_async(self, request):
        future = asyncio.get_running_loop().create_future()
        self.pending.append(future)
        return await future


async def _race(outcome: str, rng: random.Random) -> list[tuple[str, object]]:
    """Page requests through the real `process_request`, some before robots.txt answers and
    some after; returns (url, None or the exception) for each."""
    crawler = _Crawler()
    mw = PolitenessRobotsMiddleware(crawler)
    urls = [f"http://127.0.0.1:8123/{rng.choice(['private', 'public'])}/{k}" for k in range(rng.randint(2, 20))]
    early = rng.randint(1, len(urls))
    tasks = [asyncio.ensure_future(mw.process_request(Request(u))) for u in urls[:early]]
    for _ in range(5):
        await asyncio.sleep(0)
    assert len(crawler.pending) == 1
    answer = _answer(outcome, "http://127.0.0.1:8123/robots.txt")
    if isinstance(answer, BaseException):
        crawler.pending[0].set_exception(answer)
    else:
        crawler.pending[0].set_result(answer)
    tasks += [asyncio.ensure_future(mw.process_request(Request(u))) for u in urls[early:]]
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert len(crawler.pending) == 1  # one robots.txt request for all of them
    return list(zip(urls, results))


def test_middleware_gives_every_waiting_request_the_decision():
    rng = random.Random(9309)
    for iteration in range(40):
        outcome, public_ok, private_ok = OUTCOMES[iteration % len(OUTCOMES)]
        for url, result in asyncio.run(_race(outcome, rng)):
            allowed = private_ok if "/private/" in url else public_ok
            if allowed:
                assert result is None, (outcome, url, result)
            else:
                assert isinstance(result, RobotsForbidden), (outcome, url, result)
                # an outage is "not now" (tried again next run); rules are final
                assert result.temporary == (outcome not in ("200 with rules", "200 disallow all")), outcome


# -- real crawls --------------------------------------------------------------------------

ARTICLE = (b"<html><head><title>Marketplace delists seller</title></head><body><article>"
           + b"<p>The marketplace removed the seller after buyers complained about fake goods.</p>" * 20
           + b"</article></body></html>")


def _feed(site, paths: list[str]) -> bytes:
    items = "".join(f"<item><title>Story {n}</title><link>{site.url(p)}</link>"
                    f"<description>Summary of story {n}.</description></item>" for n, p in enumerate(paths))
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
            f"{items}</channel></rss>").encode()


def _serve(site, robots, private: int = 12, public: int = 6) -> list[str]:
    paths = [f"/private/story-{n}" for n in range(private)] + [f"/public/story-{n}" for n in range(public)]
    random.Random(len(paths)).shuffle(paths)
    feed = _feed(site, paths)
    site.extra_routes["/feed.xml"] = lambda headers: site.cacheable(headers, feed, "application/rss+xml")
    site.extra_routes["/robots.txt"] = robots
    for head in ("/private/", "/public/"):
        site.prefix_routes[head] = lambda _p, _h: (200, {"Content-Type": "text/html"}, ARTICLE)
    return paths


def _slow_robots(body: bytes, status: int = 200, seconds: float = 0.5):
    def answer(_headers):
        time.sleep(seconds)
        return status, {"Content-Type": "text/plain"}, body
    return answer


def _crawl(tmp_path, site, name: str, **crawl):
    folder = tmp_path / name
    folder.mkdir()
    config = make_config(folder, [{"name": "feed", "url": site.url("/feed.xml"), "fetch_pages": True}],
                         crawl={"max_entries_per_feed": 50, **crawl})
    return config, ingest(config, run_id=name)


@pytest.mark.parametrize("attempt", range(3))
def test_slow_robots_txt_is_obeyed_by_every_waiting_page(bare_site, tmp_path, attempt):
    paths = _serve(bare_site, _slow_robots(RULES))
    config, report = _crawl(tmp_path, bare_site, f"run{attempt}")
    fetched = {p for p, _h in bare_site.requests}
    assert not {p for p in fetched if p.startswith("/private/")}, sorted(fetched)
    assert {p for p in paths if p.startswith("/public/")} <= fetched
    assert bare_site.hits["/robots.txt"] == 1
    source = report.source("feed")
    assert not source.failed, source.errors
    with duckdb.connect(str(config.db_path), read_only=True) as con:
        refused = con.execute("SELECT count(*) FROM fetch_log WHERE error LIKE 'forbidden by robots.txt%' "
                              "AND url LIKE '%/private/%'").fetchone()[0]
    assert refused == sum(1 for p in paths if p.startswith("/private/"))


@pytest.mark.parametrize("robots", ["503", "hang"])
def test_unreadable_robots_txt_lets_no_page_through(bare_site, tmp_path, robots):
    answer = _slow_robots(b"down", status=503) if robots == "503" else (lambda _h: HANG)
    paths = _serve(bare_site, answer, private=4, public=8)
    config, report = _crawl(tmp_path, bare_site, robots, timeout=1, retries=0)
    fetched = {p for p, _h in bare_site.requests}
    assert not {p for p in paths} & fetched, sorted(fetched)
    source = report.source("feed")
    assert any("robots.txt" in e for e in source.errors), source.errors
    with duckdb.connect(str(config.db_path), read_only=True) as con:
        # the entries are kept without their pages, and the feed is read again next run
        assert con.execute("SELECT count(*) FROM documents WHERE text IS NULL").fetchone()[0] == len(paths)
        assert con.execute("SELECT etag FROM sources WHERE name = 'feed'").fetchone()[0] is None
