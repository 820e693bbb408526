"""Helpers of the orchestration tests: configurations for the local feed server, queries."""
from __future__ import annotations

from pathlib import Path
from typing import Iterable, Optional

from tests.flows.feedserver import FeedServer


def write_config(folder: Path, sources: Iterable[tuple[str, str]], *, lock_timeout: float = 30,
                 source_timeout: float = 120, report_format: str = "md", extra: str = "") -> Path:
    """A trustwatch.toml in `folder` for fast, local crawls of `sources` (name, url)."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = [
        "[warehouse]", f'path = "{folder / "tw.duckdb"}"', f"lock_timeout = {lock_timeout}",
        "[crawl]", "download_delay = 0", "autothrottle = false", "retries = 0", "timeout = 10",
        f"source_timeout = {source_timeout}",
        "[report]", f'output_dir = "{folder / "reports"}"', f'format = "{report_format}"', "days = 60",
        extra,
    ]
    for name, url in sources:
        lines += ["[[sources]]", f'name = "{name}"', f'url = "{url}"', 'kind = "feed"', 'language = "en"']
    path = folder / "trustwatch.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def good_sources(server: FeedServer) -> list[tuple[str, str]]:
    return [("regulators", server.url("/feeds/regulators.xml")),
            ("marketplaces", server.url("/feeds/marketplaces.xml"))]


def query(db: Path, sql: str, params: Optional[list] = None) -> list[tuple]:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()

