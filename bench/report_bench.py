#!/usr/bin/env python
"""How long a report takes for a large period: build_report and each format.

Fills a temporary warehouse with N synthetic incidents (3 articles each, invented text) and
prints the seconds taken by each step and the size of each file.

    .venv/bin/python bench/report_bench.py [--incidents 2000] [--pdf-incidents 200]
"""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from trustwatch.records import EVENT_TYPES  # noqa: E402
from trustwatch.report.data import build_report  # noqa: E402
from trustwatch.report.render import render_report  # noqa: E402
from trustwatch.warehouse.db import open_connection  # noqa: E402


def _load(con, table: str, rows: list[dict]) -> None:
    con.register("_rows", pa.Table.from_pylist(rows))
    cols = ", ".join(rows[0].keys())
    con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _rows")
    con.unregister("_rows")


def fill(con, n: int, seed: int = 7) -> None:
    rnd = random.Random(seed)
    start = datetime(2026, 1, 1)
    parties = [f"Platform {i}" for i in range(40)]
    docs, events, incidents, links = [], [], [], []
    for i in range(n):
        when = start + timedelta(minutes=rnd.randrange(0, 300 * 24 * 60))
        t = rnd.choice(EVENT_TYPES)
        actor, target = rnd.sample(parties, 2)
        for k in range(3):
            doc_id = f"d{i}-{k}"
            published = when + timedelta(hours=k * 5)
            sentence = f"{actor} took a {t.lower()} action against {target} on day {i} (copy {k})."
            docs.append(dict(doc_id=doc_id, source=f"source-{(i + k) % 12}", url=f"https://news.example/{doc_id}",
                             canonical_url=f"https://news.example/{doc_id}", title=f"Story {i}",
                             published=published, content_hash=doc_id, fetched_at=published + timedelta(minutes=9)))
            events.append(dict(event_id=f"e{i}-{k}", doc_id=doc_id, type=t, status="asserted", actor_text=actor,
                               target_text=target, sentence=sentence, start_char=0, end_char=len(sentence),
                               extractor_version="bench"))
            links.append(dict(incident_id=f"i{i}", event_id=f"e{i}-{k}"))
        incidents.append(dict(incident_id=f"i{i}", type=t, status="asserted", actor_text=actor, target_text=target,
                              event_date=when.date().isoformat(), date_precision="day", first_seen=when,
                              last_seen=when + timedelta(hours=10), n_documents=3, n_sources=3,
                              headline=f"{actor}: {t.lower()} against {target}"))
    for table, rows in (("documents", docs), ("events", events), ("incidents", incidents),
                        ("incident_events", links)):
        _load(con, table, rows)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--incidents", type=int, default=2000)
    parser.add_argument("--pdf-incidents", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        con = open_connection(tmp / "bench.duckdb")
        fill(con, args.incidents)
        t0 = time.perf_counter()
        data = build_report(con)
        print(f"build_report: {len(data.incidents)} incidents in {time.perf_counter() - t0:.2f} s")
        for fmt in ("json", "csv", "md", "html"):
            t0 = time.perf_counter()
            path = render_report(data, fmt, tmp / f"r.{fmt}")
            print(f"{fmt:5s}: {time.perf_counter() - t0:.2f} s, {path.stat().st_size / 1e6:.2f} MB")
        small = data.model_copy(update={"incidents": data.incidents[: args.pdf_incidents]})
        t0 = time.perf_counter()
        path = render_report(small, "pdf", tmp / "r.pdf")
        print(f"pdf  : {time.perf_counter() - t0:.2f} s for {len(small.incidents)} incidents, "
              f"{path.stat().st_size / 1e6:.2f} MB")
        con.close()


if __name__ == "__main__":
    main()
