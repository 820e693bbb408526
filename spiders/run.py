"""Subprocess entry: `python -m trustwatch.spiders.run --job JOB.json --out CRAWL.jsonl`.

JOB.json holds the `[crawl]` settings, the sources, their stored validators and the canonical
URLs whose pages are already stored. The crawl never touches the warehouse: it only writes
JSONL, which `trustwatch.ingest.load_crawl` loads.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def run(job: dict, out: Path) -> int:
    from scrapy.crawler import CrawlerProcess

    from trustwatch.config import CrawlSettings
    from trustwatch.spiders.crawl import NewsSitemapSpider, SourcesSpider
    from trustwatch.spiders.recorder import CrawlRecorder
    from trustwatch.spiders.settings import scrapy_settings

    crawl = CrawlSettings.model_validate(job.get("crawl") or {})
    settings = scrapy_settings(crawl, str(out), host_locks=job.get("host_locks"))
    if job.get("log_level"):
        settings["LOG_LEVEL"] = job["log_level"]
    recorder = CrawlRecorder(out)
    kinds = {s.get("kind", "feed") for s in job.get("sources", [])}
    process = CrawlerProcess(settings, install_root_handler=True)
    if kinds & {"feed", "page"}:
        process.crawl(SourcesSpider, job=job, recorder=recorder)
    if "sitemap" in kinds:
        process.crawl(NewsSitemapSpider, job=job, recorder=recorder)
    try:
        process.start()
    finally:
        recorder.close("crawler stopped")
    return 0


def main(argv: list[str] | None = None) -> int:
    from trustwatch.spiders.lifeline import die_with_parent

    die_with_parent()
    parser = argparse.ArgumentParser(prog="python -m trustwatch.spiders.run", description=__doc__)
    parser.add_argument("--job", required=True, type=Path)
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args(argv)
    job = json.loads(args.job.read_text(encoding="utf-8"))
    return run(job, args.out)


if __name__ == "__main__":
    sys.exit(main())
