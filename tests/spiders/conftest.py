"""Fixtures for crawl tests: the local web site and configurations that point at it."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import pytest

from tests.spiders.localsite import LocalSite
from trustwatch.config import Config, parse_config

#: fast settings for a local server; real runs keep the polite defaults of default_config.toml
FAST_CRAWL_SETTINGS = {
    "download_delay": 0, "autothrottle": False, "timeout": 5, "retries": 1,
    "concurrent_requests_per_host": 4, "concurrent_requests": 16, "max_response_bytes": 2000000,
    "max_redirects": 3, "max_entries_per_feed": 4,
}


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


FAST_CRAWL = "[crawl]\n" + "".join(f"{k} = {_toml_value(v)}\n" for k, v in FAST_CRAWL_SETTINGS.items())


@pytest.fixture(scope="session")
def local_site(corpus_dir: Path):
    site = LocalSite(corpus_dir, slow_seconds=12.0).start()
    yield site
    site.stop()


@pytest.fixture()
def bare_site():
    """A scriptable local server without the corpus (routes added by the test)."""
    site = LocalSite(None).start()
    yield site
    site.stop()


def make_config(tmp: Path, sources: list[dict], extra: str = "", crawl: Optional[dict] = None) -> Config:
    """A configuration with FAST_CRAWL settings (updated by `crawl`), a warehouse in `tmp` and these sources."""
    settings = {**FAST_CRAWL_SETTINGS, **(crawl or {})}
    lines = [f'[warehouse]\npath = "{(tmp / "warehouse.duckdb").as_posix()}"\nlock_timeout = 10\n',
             "[crawl]", *(f"{k} = {_toml_value(v)}" for k, v in settings.items()), "", extra]
    for s in sources:
        lines.append("[[sources]]")
        for key, value in s.items():
            lines.append(f"{key} = {_toml_value(value)}")
    text = "\n".join(lines) + "\n"
    path = tmp / "trustwatch.toml"
    path.write_text(text, encoding="utf-8")
    return parse_config(text, path)
