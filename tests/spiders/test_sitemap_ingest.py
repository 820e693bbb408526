"""News sitemaps through Scrapy's sitemap support: index -> sitemap -> pages, robots.txt for pages."""
from __future__ import annotations

import duckdb
import pytest

from tests.spiders.conftest import make_config
from trustwatch.ingest import ingest

pytestmark = pytest.mark.corpus


def test_sitemap_index_pages_are_stored_and_robots_forbidden_pages_reported(local_site, tmp_path):
    config = make_config(tmp_path, [{"name": "news-sitemap", "kind": "sitemap", "language": "en",
                                     "url": local_site.url("/fixtures/news_sitemap_index.xml")}])
    report = ingest(config, run_id="s1")
    source = report.source("news-sitemap")
    assert not source.failed, source.errors
    assert source.new == 2
    assert any("robots.txt" in e and "/private/" in e for e in source.errors)
    with duckdb.connect(str(config.db_path), read_only=True) as con:
        urls = sorted(r[0] for r in con.execute("SELECT canonical_url FROM documents").fetchall())
        texts = [r[0] for r in con.execute("SELECT text FROM documents").fetchall()]
        robots_rows = con.execute("SELECT count(*) FROM fetch_log WHERE error LIKE '%robots.txt%'").fetchall()
    assert all("utm_" not in u for u in urls)
    assert all(t and len(t) > 200 for t in texts)
    assert robots_rows[0][0] == 1

    again = ingest(config, run_id="s2")
    assert again.new == 0 and again.source("news-sitemap").not_modified
