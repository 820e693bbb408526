"""`load_crawl`: exactly-once storage, near-duplicate stories, validators and bad lines."""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from trustwatch.ingest import IngestReport, SourceReport, load_crawl
from trustwatch.records import Source
from trustwatch.textutil import content_hash
from trustwatch.urls import canonical_url, doc_id_for
from trustwatch.warehouse.db import open_connection

BODY = ("A consumer regulator opened an investigation after the marketplace suspended thousands of "
        "seller accounts without notice, froze their payouts and ignored appeals for several months, "
        "according to documents seen by reporters and interviews with affected merchants. ") * 2
OTHER = ("The court dismissed the lawsuit against the video platform, finding that the claims about "
         "its recommendation system were not supported by the evidence presented during the trial, "
         "and ordered the plaintiffs to pay costs within thirty days of the judgment. ") * 2


def doc(source: str, url: str, title: str, text: str | None, summary: str | None = None) -> dict:
    canonical = canonical_url(url)
    return {"type": "document", "doc_id": doc_id_for(canonical), "source": source, "url": url,
            "canonical_url": canonical, "title": title, "summary": summary, "text": text,
            "published": "2024-05-01T10:00:00", "published_is_fallback": False, "language": "en",
            "content_hash": content_hash(title, text or summary or ""),
            "fetched_at": "2024-05-02T08:00:00"}


def status(name: str, ok: bool = True, **kw) -> dict:
    return {"type": "source", "name": name, "ok": ok, **kw}


def fetch(source: str, url: str, status_code: int | None = 200, **kw) -> dict:
    return {"type": "fetch", "source": source, "url": url, "status": status_code,
            "fetched_at": "2024-05-02T08:00:00", **kw}


def write(path: Path, lines: list) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        for line in lines:
            fh.write(line if isinstance(line, str) else json.dumps(line))
            fh.write("\n")
    return path


@pytest.fixture
def con(tmp_path):
    c = open_connection(tmp_path / "w.duckdb")
    yield c
    c.close()


SOURCES = [Source(name="a", url="https://a.example/feed"), Source(name="b", url="https://b.example/feed")]


def test_exactly_once_by_url_and_by_content(con, tmp_path):
    lines = [
        fetch("a", "https://a.example/feed", etag='"v1"'),
        doc("a", "https://a.example/1?utm_source=x", "Seller accounts suspended", BODY),
        doc("a", "https://a.example/1#comments", "Seller accounts suspended", BODY),   # same URL
        doc("b", "https://b.example/copy-of-1", "Seller accounts suspended", BODY),    # same content
        doc("b", "https://b.example/2", "Lawsuit dismissed", OTHER),
        status("a", etag='"v1"'), status("b"),
    ]
    report = load_crawl(con, write(tmp_path / "c.jsonl", lines), run_id="r1", sources=SOURCES)
    assert isinstance(report, IngestReport) and all(isinstance(s, SourceReport) for s in report.sources)
    a, b = report.source("a"), report.source("b")
    assert (a.new, a.unchanged, a.duplicates) == (1, 1, 0)
    assert (b.new, b.unchanged, b.duplicates) == (1, 0, 1)
    assert con.execute("SELECT count(*) FROM documents").fetchone()[0] == 2
    assert con.execute("SELECT count(*) FROM fetch_log WHERE run_id = 'r1'").fetchone()[0] == 1

    again = load_crawl(con, tmp_path / "c.jsonl", run_id="r2", sources=SOURCES)
    assert again.new == 0
    assert con.execute("SELECT count(*) FROM documents").fetchone()[0] == 2


def test_near_duplicate_gets_the_same_story(con, tmp_path):
    first = doc("a", "https://a.example/story", "Seller accounts suspended", BODY)
    load_crawl(con, write(tmp_path / "1.jsonl", [first, status("a")]), sources=SOURCES)
    syndicated = doc("b", "https://b.example/syndicated", "Seller accounts suspended",
                     BODY + " This article was first published by a partner newsroom.")
    unrelated = doc("b", "https://b.example/other", "Lawsuit dismissed", OTHER)
    report = load_crawl(con, write(tmp_path / "2.jsonl", [syndicated, unrelated, status("b")]), sources=SOURCES)
    assert report.source("b").new == 2
    story = dict(con.execute("SELECT canonical_url, story_id FROM documents").fetchall())
    assert story[syndicated["canonical_url"]] == story[first["canonical_url"]] == first["doc_id"]
    assert story[unrelated["canonical_url"]] == unrelated["doc_id"]


def test_text_fetched_later_fills_in_a_stored_entry(con, tmp_path):
    bare = doc("a", "https://a.example/3", "Refunds promised", None, summary="Short feed summary.")
    load_crawl(con, write(tmp_path / "1.jsonl", [bare, status("a")]), sources=SOURCES)
    con.execute("UPDATE documents SET extractor_version = 'v1'")
    full = doc("a", "https://a.example/3", "Refunds promised", BODY, summary="Short feed summary.")
    report = load_crawl(con, write(tmp_path / "2.jsonl", [full, status("a")]), sources=SOURCES)
    assert report.source("a").new == 0 and report.source("a").unchanged == 1
    text, version = con.execute("SELECT text, extractor_version FROM documents").fetchone()
    assert text == BODY and version is None  # re-extracted with its full text


def test_validators_follow_the_outcome(con, tmp_path):
    def stored():
        return con.execute("SELECT etag, last_modified, last_status FROM sources WHERE name = 'a'").fetchall()[0]

    load_crawl(con, write(tmp_path / "1.jsonl", [status("a", status=200, etag='"v1"', last_modified="Mon")]),
               sources=SOURCES)
    assert stored() == ('"v1"', "Mon", 200)
    load_crawl(con, write(tmp_path / "2.jsonl", [status("a", not_modified=True, status=304)]), sources=SOURCES)
    assert stored()[:2] == ('"v1"', "Mon")
    load_crawl(con, write(tmp_path / "3.jsonl", [status("a", ok=False, status=500, errors=["HTTP 500"])]),
               sources=SOURCES)
    assert stored() == ('"v1"', "Mon", 500)
    # pages failed: keep the old validators so the next run reads the feed again
    load_crawl(con, write(tmp_path / "4.jsonl", [status("a", status=200, etag='"v2"', pages_failed=1)]),
               sources=SOURCES)
    assert stored()[0] == '"v1"'
    load_crawl(con, write(tmp_path / "5.jsonl", [status("a", status=200, etag='"v3"')]), sources=SOURCES)
    assert stored()[0] == '"v3"'
    moved = [Source(name="a", url="https://a.example/new-feed")]
    load_crawl(con, write(tmp_path / "6.jsonl", [status("a", ok=False, errors=["timeout"])]), sources=moved)
    assert stored()[0] is None  # another URL: old validators no longer apply


def test_bad_lines_are_reported_not_fatal(con, tmp_path):
    lines = [
        "{not json",
        {"type": "document", "doc_id": "x"},  # missing fields
        {"type": "mystery"},
        doc("a", "https://a.example/4", "Platform apologises", BODY),
        status("a"),
    ]
    report = load_crawl(con, write(tmp_path / "bad.jsonl", lines), sources=SOURCES)
    assert report.source("a").new == 1
    assert len(report.errors) == 3
    assert report.exit_code == 3


def test_a_source_the_crawl_never_mentions_is_failed(con, tmp_path):
    report = load_crawl(con, write(tmp_path / "x.jsonl", [status("a")]), sources=SOURCES)
    assert not report.source("a").failed
    assert report.source("b").failed
    assert report.exit_code == 3


def test_published_is_stored_as_naive_utc(con, tmp_path):
    d = doc("a", "https://a.example/5", "Fine announced", OTHER)
    load_crawl(con, write(tmp_path / "t.jsonl", [d, status("a")]), sources=SOURCES)
    (published,) = con.execute("SELECT published FROM documents").fetchone()
    assert published == datetime(2024, 5, 1, 10, 0)


def test_near_duplicate_lookup_reads_only_fingerprints_sharing_a_band(con):
    from trustwatch.textutil import bands
    from trustwatch.warehouse.documents import _load_fingerprints
    near = 0b1011 << 40 | 0x1F3
    far = ~near & (2**64 - 1)  # differs in every bit: shares no band with `near`
    close = near ^ 0b111  # three bits away: shares all but one band
    con.executemany("INSERT INTO document_fingerprints VALUES (?, ?, ?)",
                    [("d-far", "s-far", far), ("d-close", "s-close", close)])
    index = _load_fingerprints(con, [near])
    found = {story for entries in index.values() for _, story in entries}
    assert found == {"s-close"}
    assert all(band in index for band in bands(close))
    assert _load_fingerprints(con, [None]) == {}
