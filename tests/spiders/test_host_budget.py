"""One politeness budget per host across a whole run: every crawl process and crawler of the
run shares the host's concurrency (and delay). Checked from the server's own log of request
starts and ends, in one sequence: no timing thresholds."""
from __future__ import annotations

import threading
import time

import pytest

from tests.spiders.conftest import make_config
from trustwatch.flows.crawling import crawl_in_subprocess, discard_staging, staging_dir, write_config_snapshot
from trustwatch.ingest import ingest
from trustwatch.spiders.hostbudget import HostSlots

ARTICLE = (b"<html><head><title>Platform apologises</title></head><body><article>"
           + b"<p>The delivery platform apologised to riders after cutting their pay without notice.</p>" * 20
           + b"</article></body></html>")


def test_slots_are_shared_by_every_holder_of_the_folder(tmp_path):
    one, two = HostSlots(tmp_path, per_host=1, delay=0), HostSlots(tmp_path, per_host=1, delay=0)
    fd = one.try_acquire("news.example")
    assert fd is not None
    assert two.try_acquire("news.example") is None  # another process's view: busy
    other = two.try_acquire("other.example")
    assert other is not None  # hosts are independent
    one.release(fd)
    again = two.try_acquire("NEWS.example.")
    assert again is not None
    two.release(again)
    two.release(other)
    pair = HostSlots(tmp_path, per_host=2, delay=0)
    a, b = pair.try_acquire("h.example"), pair.try_acquire("h.example")
    assert a is not None and b is not None and pair.try_acquire("h.example") is None
    pair.release(a)
    pair.release(b)


def test_delay_is_booked_across_holders(tmp_path):
    one, two = HostSlots(tmp_path, per_host=1, delay=2.0), HostSlots(tmp_path, per_host=1, delay=2.0)
    assert one.reserve_start("h.example", now=100.0) == 0.0
    assert two.reserve_start("h.example", now=100.5) == pytest.approx(1.5)  # waits for 102.0
    assert one.reserve_start("h.example", now=110.0) == 0.0
    assert one.reserve_start("other.example", now=110.0) == 0.0


def _serve(site, sources: int, pages: int) -> None:
    def feed(k):
        items = "".join(f"<item><title>Rider pay {k}-{n}</title><link>{site.url(f'/story/{k}/{n}')}</link>"
                        f"<description>Story {k}-{n}.</description></item>" for n in range(pages))
        body = (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>f{k}</title>'
                f"{items}</channel></rss>").encode()
        return lambda _h: (200, {"Content-Type": "application/rss+xml"}, body)

    for k in range(sources):
        site.extra_routes[f"/feed-{k}.xml"] = feed(k)

    def story(_path, _headers):
        time.sleep(0.02)  # a little work, so overlapping requests would show
        return 200, {"Content-Type": "text/html"}, ARTICLE

    site.prefix_routes["/story/"] = story


def _most_at_once(intervals) -> int:
    events = sorted([(s, 1) for s, _e, _p in intervals] + [(e, -1) for _s, e, _p in intervals])
    now = most = 0
    for _seq, step in events:
        now += step
        most = max(most, now)
    return most


def _crawl_like_a_run(config, names, run_id):
    config_json = write_config_snapshot(config, staging_dir(config.db_path, run_id))
    results, errors = {}, []

    def one(name):
        try:
            results[name] = crawl_in_subprocess(config_json, name, config.db_path, run_id, 1, 180)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(n,)) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    discard_staging(config.db_path, run_id)
    assert not errors, errors
    return results


@pytest.mark.parametrize("per_host", [1, 2])
def test_four_sources_on_one_host_share_its_budget_across_processes(bare_site, tmp_path, per_host):
    _serve(bare_site, sources=4, pages=5)
    names = [f"feed-{k}" for k in range(4)]
    config = make_config(tmp_path, [{"name": n, "url": bare_site.url(f"/{n}.xml"), "fetch_pages": True}
                                    for n in names],
                         crawl={"concurrent_requests_per_host": per_host, "max_entries_per_feed": 5})
    results = _crawl_like_a_run(config, names, "politeness")
    assert sorted(results) == names
    intervals = bare_site.intervals()
    assert len([p for *_x, p in intervals if p.startswith("/story/")]) == 20
    assert _most_at_once(intervals) <= per_host, intervals
    if per_host == 1:  # strictly one after the other: each ends before the next starts
        for (_s1, end, _p1), (start, _e2, _p2) in zip(intervals, intervals[1:]):
            assert end < start


def test_feeds_and_sitemaps_of_one_host_share_its_budget_in_one_crawl(bare_site, tmp_path):
    _serve(bare_site, sources=2, pages=4)
    sitemap = ('<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
               + "".join(f"<url><loc>{bare_site.url(f'/story/map/{n}')}</loc></url>" for n in range(4))
               + "</urlset>").encode()
    bare_site.extra_routes["/sitemap.xml"] = lambda _h: (200, {"Content-Type": "application/xml"}, sitemap)
    config = make_config(tmp_path, [
        {"name": "feed-0", "url": bare_site.url("/feed-0.xml"), "fetch_pages": True},
        {"name": "feed-1", "url": bare_site.url("/feed-1.xml"), "fetch_pages": True},
        {"name": "map", "kind": "sitemap", "url": bare_site.url("/sitemap.xml")},
    ], crawl={"concurrent_requests_per_host": 1})
    report = ingest(config, run_id="one-process")
    assert not any(s.failed for s in report.sources), [(s.name, s.errors) for s in report.sources]
    intervals = bare_site.intervals()
    assert len([p for *_x, p in intervals if p.startswith("/story/")]) == 12
    assert _most_at_once(intervals) == 1, intervals
