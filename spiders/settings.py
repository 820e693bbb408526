"""Scrapy settings built from `[crawl]` of the configuration.

Politeness is the default: robots.txt (for pages), one request at a time per host with
AutoThrottle, a delay between requests, timeouts, a response size cap and a redirect cap.
Only http and https URLs are fetched, and links to local-network hosts only from sources on one.
Per-host concurrency and delay hold across every crawler and crawl process of a run.
Our own settings (`TRUSTWATCH_*`) reach the middlewares through `from_crawler`.
"""
from __future__ import annotations

from typing import Any, Optional

from trustwatch.config import CrawlSettings

#: never wait longer than this for a Retry-After; a server asking for more is given up on
MAX_RETRY_AFTER = 300.0


def scrapy_settings(crawl: CrawlSettings, output: str, host_locks: Optional[str] = None) -> dict[str, Any]:
    """Scrapy's settings for one crawl; `host_locks` is the folder whose lock files give every
    crawl of the run one budget per host (see `trustwatch.spiders.hostbudget`)."""
    per_host = crawl.concurrent_requests_per_host
    return {
        "BOT_NAME": "trustwatch",
        "USER_AGENT": crawl.resolved_user_agent(),
        "ROBOTSTXT_OBEY": crawl.obey_robots,
        "CONCURRENT_REQUESTS": crawl.concurrent_requests,
        "CONCURRENT_REQUESTS_PER_DOMAIN": per_host,
        "DOWNLOAD_DELAY": crawl.download_delay,
        "DOWNLOAD_DELAY_JITTER": 0.5 if crawl.download_delay > 0 else 0,
        "AUTOTHROTTLE_ENABLED": crawl.autothrottle,
        "AUTOTHROTTLE_START_DELAY": max(crawl.download_delay, 1.0),
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(per_host),
        "DOWNLOAD_TIMEOUT": crawl.timeout,
        "DOWNLOAD_MAXSIZE": crawl.max_response_bytes,
        "DOWNLOAD_WARNSIZE": 0,
        "REDIRECT_MAX_TIMES": crawl.max_redirects,
        "METAREFRESH_ENABLED": False,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "REMOTE_CONTROL_ENABLED": False,  # a crawl must not open listening ports
        "HTTPCACHE_ENABLED": False,
        "LOG_LEVEL": "INFO",
        "RETRY_ENABLED": crawl.retries > 0,
        "RETRY_TIMES": crawl.retries,
        "RETRY_HTTP_CODES": [429, 500, 502, 503, 504, 522, 524],
        # only the open web: no local files, FTP, S3 or data: URLs, whoever lists them
        "DOWNLOAD_HANDLERS": {"file": None, "ftp": None, "s3": None, "data": None},
        "DOWNLOADER_MIDDLEWARES": {
            "trustwatch.spiders.urlguard.UrlGuardMiddleware": 50,
            "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
            "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
            "trustwatch.spiders.robots.PolitenessRobotsMiddleware": 100,
            "trustwatch.spiders.middlewares.RetryAfterMiddleware": 550,
            "trustwatch.spiders.middlewares.ConditionalGetMiddleware": 560,
            "trustwatch.spiders.hostbudget.HostBudgetMiddleware": 870,
            "trustwatch.spiders.middlewares.FetchLogMiddleware": 880,
        },
        "ITEM_PIPELINES": {
            "trustwatch.spiders.pipelines.ValidateDocumentPipeline": 100,
            "trustwatch.spiders.pipelines.JsonlWriterPipeline": 900,
        },
        "TRUSTWATCH_OUTPUT": output,
        "TRUSTWATCH_BACKOFF_BASE": max(crawl.download_delay, 0.25),
        "TRUSTWATCH_MAX_RETRY_AFTER": MAX_RETRY_AFTER,
        "TRUSTWATCH_SOURCE_TIMEOUT": crawl.source_timeout,
        "TRUSTWATCH_MAX_ENTRIES": crawl.max_entries_per_feed,
        "TRUSTWATCH_ALLOW_PRIVATE_LINKS": crawl.allow_private_links,
        "TRUSTWATCH_HOST_LOCKS": host_locks,
    }
