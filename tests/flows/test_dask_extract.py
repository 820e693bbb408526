"""Extraction fanned out on a local Dask cluster of two worker processes, handing batches to
the single loader as Parquet files, stores the same events as the single-process run on the
same documents."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from tests.flows.flowhelpers import write_config

pytestmark = pytest.mark.timeout(900)

TEXTS = [
    "The European Commission fined Meta 150 million euros on Monday for combining user data without consent.",
    "France's data regulator CNIL opened an investigation into TikTok on Wednesday over age checks.",
    "A group of independent sellers sued Amazon on Thursday over fees it never disclosed.",
    "A family garden centre opened its second shop this week, selling seeds and winter bulbs.",
    "Apple apologised to customers on Friday after a billing error charged some subscribers twice.",
    "Ofcom said it was investigating Telegram over its handling of illegal content reports.",
    "The Bundeskartellamt fined a ticket marketplace 2 million euros for misleading prices.",
    "The city council approved a new cycle lane along the river on Tuesday evening.",
]


def _warehouse_with_documents(folder):
    from trustwatch.warehouse.writer import warehouse_writer
    from trustwatch.records import Document
    from trustwatch.warehouse.documents import merge_documents

    cfg = write_config(folder, [])
    now = datetime(2026, 11, 20, 12, 0)
    docs = [Document(doc_id=f"doc-{n}", source="desk", url=f"http://127.0.0.1/desk/{n}",
                     canonical_url=f"http://127.0.0.1/desk/{n}", title=None, text=text,
                     published=now, language="en", content_hash=f"h{n}", fetched_at=now)
            for n, text in enumerate(TEXTS)]
    with warehouse_writer(folder / "tw.duckdb") as con:
        merge_documents(con, docs)
    return cfg, folder / "tw.duckdb"


def _bench_comparison():
    """bench/comparison.py (benchmark code, not shipped in the package)."""
    import importlib.util

    path = Path(__file__).resolve().parents[2] / "bench" / "comparison.py"
    spec = importlib.util.spec_from_file_location("trustwatch_bench_comparison", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_dask_extraction_stores_the_same_events_as_one_process(prefect_harness, tmp_path):
    pytest.importorskip("prefect_dask")
    compare_runners = _bench_comparison().compare_runners

    cfg, db = _warehouse_with_documents(tmp_path)
    exchange = tmp_path / "exchange"
    result = compare_runners(str(cfg), db, workers=2, batch=2, exchange_dir=str(exchange))
    single, dask = result["single"], result["dask"]
    assert single["state"] == dask["state"] == "COMPLETED"
    assert single["documents"] == dask["documents"] == len(TEXTS)
    assert single["batches"] == dask["batches"] == 4
    assert single["events"] > 0
    assert result["equal"], (single["rows"], dask["rows"])
    # the workers' Parquet batches were merged by the loader, then cleared away
    assert exchange.is_dir() and not any(exchange.rglob("*.parquet"))
