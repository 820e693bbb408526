"""The Kuaishou story told by three outlets collapses into six incidents and one storyline."""
from __future__ import annotations

import hashlib
import importlib.util
from datetime import datetime

import pyarrow as pa
import pytest

from trustwatch.config import Config
from trustwatch.warehouse.process import process
from trustwatch.warehouse.queries import incident_detail, storyline, timeline

from tests.warehouse.wh_helpers import fixture_extractor, fixture_warehouse

HAVE_EXTRACTOR = importlib.util.find_spec("trustwatch.nlp.extract") is not None


def _config(db):
    cfg = Config()
    cfg.db_override = str(db)
    return cfg


def _mentions(row: dict, role: str, word: str) -> bool:
    return word.lower() in (row.get(role) or "").lower() or word.lower() in (row.get(f"{role}_id") or "")


def test_three_reports_collapse_into_the_right_incidents_and_one_ordered_storyline(tmp_path):
    db = tmp_path / "wh.duckdb"
    con = fixture_warehouse(db)
    try:
        process(_config(db), con, extractor=fixture_extractor())
        rows = timeline(con)
        assert len(rows) == 6
        by_kind = {}
        for r in rows:
            key = r["type"] if r["type"] != "BLOCK" else f"BLOCK-{'jd' if _mentions(r, 'target', 'jd') else 'taobao'}"
            assert key not in by_kind, f"{key} split into two incidents"
            by_kind[key] = r
        assert set(by_kind) == {"BLOCK-taobao", "BLOCK-jd", "FINE", "APOLOGY", "BAN", "COMPENSATION"}

        fine = by_kind["FINE"]
        assert _mentions(fine, "target", "pingrong")
        assert (fine["amount_value"], fine["amount_currency"]) == (62030000.0, "CNY")
        assert (fine["event_date"], fine["date_precision"], fine["date_disputed"]) == ("2022-02-22", "day", False)
        assert (fine["n_documents"], fine["n_sources"]) == (3, 3)
        for block in ("BLOCK-taobao", "BLOCK-jd"):
            # announced as planned by two outlets, reported as done by the third: one asserted incident
            assert (by_kind[block]["status"], by_kind[block]["event_date"], by_kind[block]["n_sources"]) == \
                ("asserted", "2022-03-01", 3)
            assert _mentions(by_kind[block], "actor", "kuaishou")
        assert by_kind["BAN"]["n_sources"] == 3 and by_kind["BAN"]["event_date"] == "2022-02-23"
        assert _mentions(by_kind["BAN"], "target", "pingrong")
        assert by_kind["APOLOGY"]["n_sources"] == 2 and _mentions(by_kind["APOLOGY"], "actor", "pingrong")
        assert by_kind["COMPENSATION"]["status"] == "asserted" and by_kind["COMPENSATION"]["n_sources"] == 2

        story_ids = {r["storyline_id"] for r in rows}
        assert len(story_ids) == 1 and None not in story_ids
        story = storyline(con, story_ids.pop())
        order = [i["type"] for i in story["incidents"]]
        assert order == ["FINE", "BAN", "APOLOGY", "COMPENSATION", "BLOCK", "BLOCK"]
        dates = [i["sort_date"] for i in story["incidents"]]
        assert dates == sorted(dates)
        assert [i["storyline_seq"] for i in story["incidents"]] == [1, 2, 3, 4, 5, 6]

        detail = incident_detail(con, fine["incident_id"])
        assert {e["source"] for e in detail["events"]} == {"china-tech-daily", "asia-commerce-wire",
                                                           "streaming-business-review"}
        assert all(e["url"].startswith("https://") and e["sentence"] for e in detail["events"])
        assert detail["storyline"]["storyline_id"] == fine["storyline_id"]
    finally:
        con.close()


def _fine_of_pingrong(con):
    rows = [r for r in timeline(con, type="FINE") if _mentions(r, "target", "pingrong")]
    assert len(rows) == 1, f"the fine of Pingrong is {len(rows)} incidents: {rows}"
    return rows[0]


@pytest.mark.skipif(not HAVE_EXTRACTOR, reason="trustwatch.nlp.extract is not installed: end-to-end run skipped")
def test_end_to_end_with_the_extractor(tmp_path):
    db = tmp_path / "wh.duckdb"
    con = fixture_warehouse(db)
    try:
        report = process(_config(db), con)
        assert report.documents == 3
        fine = _fine_of_pingrong(con)
        assert fine["n_documents"] >= 2
        assert (fine["amount_value"], fine["amount_currency"]) == (62030000.0, "CNY")
        assert fine["storyline_id"] is not None
        story = storyline(con, fine["storyline_id"])
        types = [i["type"] for i in story["incidents"]]
        assert "BAN" in types and "APOLOGY" in types
        dates = [i["sort_date"] for i in story["incidents"]]
        assert dates == sorted(dates)
        # a second run extracts nothing and changes nothing
        again = process(_config(db), con)
        assert again.documents == 0
        assert _fine_of_pingrong(con)["incident_id"] == fine["incident_id"]
    finally:
        con.close()


@pytest.mark.corpus
@pytest.mark.skipif(not HAVE_EXTRACTOR, reason="trustwatch.nlp.extract is not installed: end-to-end run skipped")
def test_the_corpus_article_joins_the_fixture_reports(tmp_path, corpus_dir):
    path = corpus_dir / "articles" / "kuaishou-2022-02-24.txt"
    if not path.exists():
        pytest.skip(f"{path} not in the shared corpus")
    text = path.read_text(encoding="utf-8")
    db = tmp_path / "wh.duckdb"
    con = fixture_warehouse(db)
    try:
        con.register("_article", pa.table({
            "doc_id": ["corpus-kuaishou"], "source": ["corpus"], "url": ["corpus:kuaishou-2022-02-24"],
            "canonical_url": ["corpus:kuaishou-2022-02-24"], "text": [text],
            "published": pa.array([datetime(2022, 2, 24, 12)], pa.timestamp("us")),
            "content_hash": [hashlib.sha1(text.encode()).hexdigest()],
            "fetched_at": pa.array([datetime(2026, 1, 1)], pa.timestamp("us"))}))
        con.execute("INSERT INTO documents (doc_id, source, url, canonical_url, text, published, content_hash, "
                    "fetched_at) SELECT * FROM _article").fetchall()
        con.unregister("_article")
        process(_config(db), con)
        fine = _fine_of_pingrong(con)
        docs = {e["doc_id"] for e in incident_detail(con, fine["incident_id"])["events"]}
        assert "corpus-kuaishou" in docs and len(docs) >= 3
    finally:
        con.close()
