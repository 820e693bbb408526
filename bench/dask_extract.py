"""Extraction on a local Dask cluster of two workers vs one process, on the same documents.

    .venv/bin/python bench/dask_extract.py [--docs 120] [--batch 30] [--workers 2]

Documents are the shared corpus's articles (read in place from ../shared, never copied) when
present, else a set of short invented ones. Prints both runs' counts and timings and whether
the stored events are identical.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

INVENTED = [
    "The European Commission fined Meta 150 million euros on Monday for combining user data without consent.",
    "France's data regulator CNIL opened an investigation into TikTok on Wednesday over age checks.",
    "A group of independent sellers sued Amazon on Thursday over fees it never disclosed.",
    "Apple apologised to customers on Friday after a billing error charged some subscribers twice.",
    "A family garden centre opened its second shop this week, selling seeds and winter bulbs.",
]


def documents(n: int):
    from trustwatch.records import Document

    shared = Path(os.environ.get("TRUSTWATCH_SHARED", REPO.parent / "shared")) / "corpus" / "articles"
    files = sorted(shared.glob("*.txt"))[:n] if shared.is_dir() else []
    texts = [(f.stem, f.read_text(encoding="utf-8", errors="replace")) for f in files]
    origin = f"{len(texts)} shared corpus articles" if texts else f"{n} invented documents"
    if not texts:
        texts = [(f"invented-{i}", INVENTED[i % len(INVENTED)] + f" (item {i})") for i in range(n)]
    now = datetime(2026, 11, 20, 12, 0)
    docs = []
    for key, text in texts:
        url = f"http://127.0.0.1/bench/{key}"
        docs.append(Document(doc_id=hashlib.sha1(url.encode()).hexdigest()[:16], source="bench", url=url,
                             canonical_url=url, text=text, published=now, language="en",
                             content_hash=hashlib.sha1(text.encode()).hexdigest(), fetched_at=now))
    return docs, origin


def extractor_fingerprint() -> str:
    """Hash of the extractor's code and data: the comparison is only meaningful if it held still."""
    from importlib import resources

    root = Path(str(resources.files("trustwatch.nlp")))
    digest = hashlib.sha1()
    for f in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(str(f.relative_to(root)).encode())
        digest.update(f.read_bytes())
    return digest.hexdigest()[:12]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=120)
    parser.add_argument("--batch", type=int, default=30)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--in-memory", action="store_true",
                        help="Dask workers return events through Dask instead of Parquet files")
    args = parser.parse_args()

    import trustwatch.flows  # noqa: F401  (Prefect defaults)
    from trustwatch.flows.settings import apply_prefect_defaults

    apply_prefect_defaults(quiet=True)
    from prefect.testing.utilities import prefect_test_harness

    from comparison import compare_runners  # bench/comparison.py, beside this script
    from trustwatch.warehouse.writer import warehouse_writer
    from trustwatch.warehouse.documents import merge_documents

    with tempfile.TemporaryDirectory(prefix="trustwatch-dask-bench-") as tmp:
        folder = Path(tmp)
        cfg = folder / "trustwatch.toml"
        cfg.write_text(f'[warehouse]\npath = "{folder / "tw.duckdb"}"\nlock_timeout = 120\n', encoding="utf-8")
        docs, origin = documents(args.docs)
        with warehouse_writer(folder / "tw.duckdb") as con:
            merge_documents(con, docs)
        print(f"documents: {origin}; batches of {args.batch}; Dask workers: {args.workers}; "
              f"hand-over: {'Dask results' if args.in_memory else 'Parquet files'}")
        before = extractor_fingerprint()
        with prefect_test_harness(server_startup_timeout=300):
            result = compare_runners(str(cfg), folder / "tw.duckdb", workers=args.workers, batch=args.batch,
                                     exchange_dir=None if args.in_memory else str(folder / "exchange"))
        after = extractor_fingerprint()
    if before != after:
        print(f"WARNING: the extractor's code or data changed during the benchmark ({before} -> {after}); "
              "the two runs used different extractors. Run it again.")
    for label in ("single", "dask"):
        r = result[label]
        print(f"{label:>6}: state={r['state']} documents={r['documents']} batches={r['batches']} "
              f"events={r['events']} seconds={r['seconds']}")
    print(f"same events: {result['equal']}")
    if not result["equal"]:
        single, dask = set(result["single"]["rows"]), set(result["dask"]["rows"])
        for label, rows in (("only single", single - dask), ("only dask", dask - single)):
            for row in sorted(rows)[:5]:
                print(f"{label}: {row}")
    return 0 if result["equal"] else 1


if __name__ == "__main__":
    sys.exit(main())
