"""Ingest benchmark: N entries over F local feeds, each entry's page fetched and extracted.

    .venv/bin/python bench/ingest.py [--feeds 20] [--entries 2000]

A local server on 127.0.0.1 serves generated feeds whose entries link to the shared corpus's
real saved pages (../shared/corpus/html, or $TRUSTWATCH_SHARED/corpus). Prints entries per
second of the first run and the second, unchanged run's time as a fraction of the first
(target: at most 0.10; the second run gets 304s and fetches no page again).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from email.utils import formatdate
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.spiders.conftest import make_config  # noqa: E402
from tests.spiders.localsite import LocalSite  # noqa: E402


def feed_xml(site: LocalSite, feed: int, entries: int) -> bytes:
    ids = site.page_ids
    items = []
    for n in range(entries):
        page = ids[(feed * entries + n) % len(ids)]
        when = formatdate(1_700_000_000 + feed * 100_000 + n * 60, usegmt=True)
        items.append(
            f"<item><title>Benchmark entry {n} of feed {feed}</title>"
            f"<link>{site.url(f'/pages/{page}/bench-{feed}-{n}')}</link>"
            f"<description>Generated entry {n} for the ingest benchmark.</description>"
            f"<pubDate>{when}</pubDate></item>")
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Benchmark feed {feed}</title><link>{site.url('/')}</link><language>en</language>"
            + "".join(items) + "</channel></rss>").encode("utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--feeds", type=int, default=20)
    parser.add_argument("--entries", type=int, default=2000, help="total entries over all feeds")
    parser.add_argument("--keep", type=Path, default=None, help="keep the crawl JSONL and logs here")
    args = parser.parse_args()
    shared = Path(os.environ.get("TRUSTWATCH_SHARED", REPO.parent / "shared"))
    if not (shared / "corpus" / "html").is_dir():
        print(f"shared corpus not found at {shared} (set TRUSTWATCH_SHARED)", file=sys.stderr)
        return 2
    from trustwatch.ingest import ingest

    site = LocalSite(shared / "corpus").start()
    per_feed = max(1, args.entries // args.feeds)
    sources = []
    for f in range(args.feeds):
        path = f"/bench/feed-{f}.xml"
        body = feed_xml(site, f, per_feed)
        site.extra_routes[path] = lambda headers, b=body: site.cacheable(headers, b, "application/xml")
        sources.append({"name": f"bench-{f}", "url": site.url(path), "fetch_pages": True})

    with tempfile.TemporaryDirectory(prefix="trustwatch-bench-") as tmp:
        config = make_config(Path(tmp), sources)
        config.crawl.max_entries_per_feed = per_feed
        config.crawl.timeout = 30
        config.crawl.concurrent_requests = 16
        config.crawl.concurrent_requests_per_host = 4

        t0 = time.perf_counter()
        first = ingest(config, run_id="bench-1", keep_dir=args.keep)
        t1 = time.perf_counter() - t0
        t0 = time.perf_counter()
        second = ingest(config, run_id="bench-2", keep_dir=args.keep)
        t2 = time.perf_counter() - t0
    site.stop()
    entries = per_feed * args.feeds
    print(f"feeds: {args.feeds}  entries: {entries}  stored: {first.new}  failed sources: {len(first.failed)}")
    print(f"first run: {t1:.1f}s  ({entries / t1:.1f} entries/s, pages fetched and extracted)")
    print(f"second run: {t2:.1f}s  new: {second.new}  not modified: "
          f"{sum(s.not_modified for s in second.sources)}/{len(second.sources)}")
    print(f"second/first: {t2 / t1:.3f}  (target <= 0.10)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
