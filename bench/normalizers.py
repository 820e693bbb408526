"""Throughput of the amount, date and actor normalizers over the shared article corpus.

    .venv/bin/python bench/normalizers.py [ARTICLES_DIR]

Prints characters per second for each; no thresholds (a plain report, not a test).
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path


def main() -> int:
    repo = Path(__file__).resolve().parents[1]
    shared = Path(os.environ.get("TRUSTWATCH_SHARED", repo.parent / "shared"))
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else shared / "corpus" / "articles"
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in sorted(folder.glob("*.txt"))]
    if not texts:
        print(f"no *.txt files in {folder}", file=sys.stderr)
        return 2
    chars = sum(len(t) for t in texts)

    from trustwatch.nlp.amounts import find_amounts
    from trustwatch.nlp.dates import find_dates
    from trustwatch.nlp.gazetteer import actor_patterns, find_actors, load_actors

    t0 = time.perf_counter()
    actors = load_actors()
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    patterns = actor_patterns()
    patterns_s = time.perf_counter() - t0
    print(f"{len(texts)} texts, {chars:,} characters; {len(actors)} actors loaded in {load_s:.2f}s, "
          f"{len(patterns)} patterns built in {patterns_s:.2f}s")

    runs = [
        ("find_amounts", lambda t: find_amounts(t)),
        ("find_dates", lambda t: find_dates(t, "2022-06-15")),
        ("find_actors", lambda t: find_actors(t)),
    ]
    for name, fn in runs:
        fn("warm up")
        t0 = time.perf_counter()
        found = sum(len(fn(t)) for t in texts)
        secs = time.perf_counter() - t0
        print(f"{name:13s} {found:6d} found  {secs:6.2f}s  {chars / secs / 1e6:6.2f} M chars/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
