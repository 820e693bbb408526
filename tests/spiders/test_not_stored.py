"""Nothing is recorded as fetched until it is durably stored.

A full disk once lost entries for good: 20 of 55 stored, the summary said no source failed,
the ETag was saved and the next run got a 304. Now a crawl that could not be written (or
loaded) completely fails its source and clears its validators, so the next run reads it all.
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys

import duckdb
import pytest

from tests.spiders.conftest import make_config
from trustwatch.ingest import CrawlNotStored, crawl_job, ingest, load_crawl, read_crawl
from trustwatch.spiders import recorder as recorder_module
from trustwatch.spiders.recorder import CrawlRecorder
from trustwatch.warehouse.db import open_connection


def _feed(site, n: int, version: str) -> bytes:
    items = "".join(
        f"<item><title>Platform {version} notice {k}</title><link>{site.url(f'/story/{version}-{k}')}</link>"
        f"<description>The platform suspended seller number {k} ({version}) after complaints about "
        f"counterfeit goods and delayed refunds.</description></item>" for k in range(n))
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>notices</title>'
            f"{items}</channel></rss>").encode()


def _serve(site, body: bytes) -> None:
    site.extra_routes["/feed.xml"] = lambda headers: site.cacheable(headers, body, "application/rss+xml")


def _stored(config) -> tuple[int, tuple]:
    with duckdb.connect(str(config.db_path), read_only=True) as con:
        docs = con.execute("SELECT count(*) FROM documents").fetchone()[0]
        validators = con.execute("SELECT etag, last_modified FROM sources WHERE name = 'notices'").fetchone()
    return docs, validators


def test_recorder_keeps_whole_lines_and_says_what_it_lost(tmp_path, monkeypatch):
    out = tmp_path / "crawl.jsonl"
    rec = CrawlRecorder(out)
    real_write = os.write
    budget = {"left": 2500}

    def small_disk(fd, data):
        if fd != rec._fd:
            return real_write(fd, data)
        if budget["left"] <= 0:
            raise OSError(28, "No space left on device")
        part = bytes(data[: budget["left"]])  # a short write, as at the end of a disk
        budget["left"] -= len(part)
        return real_write(fd, part)

    monkeypatch.setattr(recorder_module.os, "write", small_disk)
    state = rec.source("notices")
    state.ok, state.status, state.etag = True, 200, '"v2"'
    for k in range(20):
        rec.document({"source": "notices", "url": f"https://n.example/{k}", "title": "x" * 200})
    budget["left"] = 10_000  # space again (another process freed some)
    rec.report("notices")
    rec.close()
    lines = out.read_bytes().split(b"\n")
    assert lines[-1] == b""
    parsed = [json.loads(line) for line in lines[:-1]]  # every line whole
    docs = [p for p in parsed if p["type"] == "document"]
    (status,) = [p for p in parsed if p["type"] == "source"]
    assert 0 < len(docs) < 20
    assert status["ok"] is False and status["incomplete"] is True and status["documents"] == len(docs)
    assert any("No space left on device" in e for e in status["errors"])


def _source_line(**fields) -> str:
    base = {"type": "source", "name": "notices", "url": "https://n.example/feed.xml", "kind": "feed",
            "ok": True, "status": 200, "etag": '"v2"', "last_modified": "Tue, 03 Jan 2023 10:00:00 GMT"}
    return json.dumps({**base, **fields})


def _doc_line(k: int) -> str:
    from trustwatch.urls import canonical_url, doc_id_for

    url = f"https://n.example/{k}"
    return json.dumps({"type": "document", "doc_id": doc_id_for(canonical_url(url)), "source": "notices",
                       "url": url, "canonical_url": canonical_url(url), "title": f"Notice {k}",
                       "published": "2024-01-01T00:00:00", "content_hash": f"h{k}",
                       "fetched_at": "2024-01-02T00:00:00"})


def _with_validators(tmp_path):
    con = open_connection(tmp_path / "wh.duckdb")
    con.execute("INSERT INTO sources (name, url, kind, etag, last_modified) VALUES "
                "('notices', 'https://n.example/feed.xml', 'feed', '\"v1\"', 'Mon, 02 Jan 2023 10:00:00 GMT')")
    return con


@pytest.mark.parametrize("lines, why", [
    ([_doc_line(1), _doc_line(2), _source_line(documents=5)], "only 2 of the 5"),
    ([_doc_line(1), _source_line(ok=False, incomplete=True, documents=1,
                                 errors=["the crawl output could not be written (No space left on device)"])],
     "No space left"),
    ([_doc_line(1), _doc_line(2)], "wrote nothing about this source"),
])
def test_a_crawl_not_completely_written_fails_and_forgets_validators(tmp_path, lines, why):
    con = _with_validators(tmp_path)
    path = tmp_path / "crawl.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = load_crawl(con, path, run_id="r1")
    source = report.source("notices")
    assert source.failed and any(why in e for e in source.errors), source.errors
    etag, last_modified, error = con.execute(
        "SELECT etag, last_modified, last_error FROM sources WHERE name = 'notices'").fetchone()
    assert etag is None and last_modified is None and why in error
    # what was written is still stored
    assert con.execute("SELECT count(*) FROM documents").fetchone()[0] == sum('"document"' in x for x in lines)
    con.close()


def test_a_failed_load_keeps_nothing_and_forgets_validators(tmp_path, monkeypatch):
    from trustwatch.warehouse import documents

    con = _with_validators(tmp_path)
    path = tmp_path / "crawl.jsonl"
    path.write_text("\n".join([_doc_line(1), _doc_line(2), _source_line(documents=2)]) + "\n", encoding="utf-8")

    def full_disk(*_a, **_k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(documents, "insert_fetch_log", full_disk)
    with pytest.raises(CrawlNotStored) as info:
        load_crawl(con, path, run_id="r1")
    assert info.value.report.source("notices").failed
    assert con.execute("SELECT count(*) FROM documents").fetchone()[0] == 0  # rolled back together
    etag, error = con.execute("SELECT etag, last_error FROM sources WHERE name = 'notices'").fetchone()
    assert etag is None and "No space left on device" in error
    con.close()


def test_full_disk_while_loading_then_next_run_reads_everything(bare_site, tmp_path, monkeypatch):
    from trustwatch.warehouse import documents

    config = make_config(tmp_path, [{"name": "notices", "url": bare_site.url("/feed.xml")}],
                         crawl={"max_entries_per_feed": 100})
    _serve(bare_site, _feed(bare_site, 10, "v1"))
    assert ingest(config, run_id="a").source("notices").new == 10
    _serve(bare_site, _feed(bare_site, 30, "v2"))
    real = documents.insert_fetch_log

    def full_disk(*_a, **_k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(documents, "insert_fetch_log", full_disk)
    report = ingest(config, run_id="b")
    assert report.source("notices").failed and report.exit_code == 3
    assert any("No space left on device" in e for e in report.source("notices").errors)
    assert _stored(config) == (10, (None, None))
    monkeypatch.setattr(documents, "insert_fetch_log", real)
    bare_site.requests.clear()
    again = ingest(config, run_id="c")
    assert not again.source("notices").failed
    assert again.source("notices").new == 30
    (feed_request,) = [h for p, h in bare_site.requests if p == "/feed.xml"]
    assert "If-None-Match" not in feed_request and "If-Modified-Since" not in feed_request


def _limited_crawl(config, out, max_bytes: int) -> int:
    """The real crawler subprocess, with files it writes capped at `max_bytes` (a full disk)."""
    job = out.with_suffix(".job.json")
    job.write_text(json.dumps(crawl_job(config, config.enabled_sources())), encoding="utf-8")

    def cap():
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, max_bytes))

    proc = subprocess.run([sys.executable, "-m", "trustwatch.spiders.run", "--job", str(job), "--out", str(out)],
                          preexec_fn=cap, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
    return proc.returncode


def test_full_disk_while_crawling_fails_the_source_and_next_run_reads_everything(bare_site, tmp_path):
    config = make_config(tmp_path, [{"name": "notices", "url": bare_site.url("/feed.xml")}],
                         crawl={"max_entries_per_feed": 100})
    _serve(bare_site, _feed(bare_site, 10, "v1"))
    assert ingest(config, run_id="a").source("notices").new == 10
    assert _stored(config)[1][0]  # an ETag, sent next time

    _serve(bare_site, _feed(bare_site, 40, "v2"))
    out = tmp_path / "limited.jsonl"
    _limited_crawl(config, out, max_bytes=9000)
    assert out.stat().st_size <= 9000
    _fetches, written, _statuses, problems = read_crawl(out)
    assert 0 < len(written) < 40 and not problems  # a part, in whole lines
    con = open_connection(config.db_path)
    try:
        report = load_crawl(con, out, run_id="b", sources=config.enabled_sources())
    finally:
        con.close()
    source = report.source("notices")
    assert source.failed, source
    stored, validators = _stored(config)
    assert stored == 10 + len(written) and validators == (None, None)

    bare_site.requests.clear()
    again = ingest(config, run_id="c")
    assert not again.source("notices").failed
    assert _stored(config)[0] == 50  # nothing lost: v1's 10 and all 40 of v2
    (feed_request,) = [h for p, h in bare_site.requests if p == "/feed.xml"]
    assert "If-None-Match" not in feed_request
