"""Fixtures for crawl tests: the local web site and configurations that point at it."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.spiders.localsite import LocalSite
from trustwatch.config import Config, parse_config

#: fast settings for a local server; real runs keep the polite defaults of default_config.toml
FAST_CRAWL = """
[crawl]
download_delay = 0
autothrottle = false
timeout = 5
retries = 1
concurrent_requests_per_host = 4
concurrent_requests = 16
max_response_bytes = 2000000
max_redirects = 3
max_entries_per_feed = 4
"""


@pytest.fixture(scope="session")
def local_site(corpus_dir: Path):
    site = LocalSite(corpus_dir, slow_seconds=12.0).start()
    yield site
    site.stop()


def make_config(tmp: Path, sources: list[dict], extra: str = "") -> Config:
    """A configuration with FAST_CRAWL settings, a warehouse in `tmp` and these sources."""
    lines = [f'[warehouse]\npath = "{(tmp / "warehouse.duckdb").as_posix()}"\nlock_timeout = 10\n',
             FAST_CRAWL, extra]
    for s in sources:
        lines.append("[[sources]]")
        for key, value in s.items():
            if isinstance(value, bool):
                lines.append(f"{key} = {'true' if value else 'false'}")
            else:
                lines.append(f'{key} = "{value}"')
    text = "\n".join(lines) + "\n"
    path = tmp / "trustwatch.toml"
    path.write_text(text, encoding="utf-8")
    return parse_config(text, path)
