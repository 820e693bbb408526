"""The two halves used separately, as a scheduled flow does: crawl to JSONL, then load it."""
from __future__ import annotations

import json

import pytest

from tests.spiders.conftest import make_config
from trustwatch.ingest import crawl_sources, load_crawl
from trustwatch.warehouse.db import open_connection

pytestmark = pytest.mark.corpus


def test_crawl_writes_typed_jsonl_and_load_records_validators(local_site, tmp_path):
    config = make_config(tmp_path, [
        {"name": "heise", "url": local_site.url("/feeds/heise_developer.atom.xml"), "language": "de"},
        {"name": "gone", "url": local_site.url("/status/410")},
    ])
    seen = []
    path = crawl_sources(config, config.sources, tmp_path / "crawl", progress=seen.append)
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert {line["type"] for line in lines} == {"fetch", "document", "source"}
    assert sorted(line["name"] for line in seen if line["type"] == "source") == ["gone", "heise"]

    con = open_connection(config.db_path)
    try:
        report = load_crawl(con, path, run_id="flow-1")  # no configuration passed
        assert report.source("heise").new > 0 and not report.source("heise").failed
        assert report.source("gone").failed and any("410" in e for e in report.source("gone").errors)
        rows = dict(con.execute("SELECT name, etag FROM sources").fetchall())
        assert rows["heise"] and rows["gone"] is None
        languages = {r[0] for r in con.execute("SELECT language FROM documents").fetchall()}
        assert languages == {"de"}
    finally:
        con.close()

    # validators are read from the warehouse when not given: the second crawl gets a 304
    again = crawl_sources(config, config.sources[:1], tmp_path / "crawl")
    statuses = [json.loads(line) for line in again.read_text(encoding="utf-8").splitlines()]
    assert [(s["status"], s["not_modified"]) for s in statuses if s["type"] == "fetch"] == [(304, True)]
