"""Timeline benchmark: bulk load, incident grouping and a filtered `timeline` query.

Synthetic reports of synthetic incidents (each incident told by one to five documents, parties
drawn from a long-tailed list) at 10k, 100k and 1M events. Prints, per size: load rows per
second, full grouping time and its cost per event (near-constant means near-linear growth), the
incremental update for 1,000 new events on top (target at 1M: under 5 s) with the full rebuild of
the same events beside it, and whether both wrote the same rows; at the largest size, the median
time of a `timeline` query filtered by one actor and one year, after the update (target: under
50 ms).

    .venv/bin/python bench/warehouse.py [--sizes 10000,100000,1000000] [--keep DIR]
"""
from __future__ import annotations

import argparse
import itertools
import random
import resource
import shutil
import statistics
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import pyarrow as pa

from trustwatch.records import Amount, Event, EventDate, Party
from trustwatch.warehouse.db import open_connection
from trustwatch.warehouse.events import load_events
from trustwatch.warehouse.incidents import build_incidents

NEW_EVENTS = 1_000
#: a checksum of every row the grouping writes, to show that update and rebuild agree
CHECKSUM_SQL = """
SELECT (SELECT sum(hash(incident_id, type, status, actor_id, actor_text, target_id, target_text, amount_value,
                        amount_currency, amount_text, event_date, date_precision, date_start, date_end, first_seen,
                        last_seen, n_documents, n_sources, sources, headline, amount_disputed, date_disputed,
                        disagreements, key_party, storyline_id, storyline_seq, sort_date)) FROM incidents),
       (SELECT sum(hash(incident_id, event_id, fingerprint)) FROM incident_events),
       (SELECT sum(hash(storyline_id, title, parties, first_date, last_date, n_incidents, types)) FROM storylines)
"""
from trustwatch.warehouse.queries import timeline

TYPES = ("BLOCK", "BAN", "FINE", "APOLOGY", "ACCUSATION", "COMPENSATION", "LAWSUIT", "INVESTIGATION", "BREACH")
KEY_IS_ACTOR = {"APOLOGY", "COMPENSATION"}
DOCS_PER_LOAD = 50_000
START = date(2019, 1, 1)
DAYS = 6 * 365


def party_names(n: int, prefix: str) -> list[str]:
    return [f"{prefix} {i:05d}" for i in range(n)]


def synthetic(n_events: int, seed: int = 7, prefix: str = "doc", parties_for: int = 0):
    """Yield (documents, events) chunks adding up to about `n_events` events."""
    rng = random.Random(seed)
    parties_for = parties_for or n_events  # the party lists of the warehouse being added to
    targets = party_names(max(50, parties_for // 40), "Platform")
    actors = party_names(max(20, parties_for // 400), "Authority")
    sources = [f"outlet-{i:02d}" for i in range(40)]
    cum_weights = list(itertools.accumulate(1.0 / (i + 1) ** 0.8 for i in range(len(targets))))
    made = 0
    doc_seq = 0
    docs, events = [], []
    while made < n_events:
        type_ = rng.choice(TYPES)
        target = rng.choices(targets, cum_weights=cum_weights)[0]
        actor = rng.choice(actors) if type_ not in KEY_IS_ACTOR else target
        other = rng.choice(actors) if type_ in KEY_IS_ACTOR else target
        day = START + timedelta(days=rng.randrange(DAYS))
        amount = round(rng.uniform(1e5, 1e9), -3) if type_ in ("FINE", "COMPENSATION", "LAWSUIT") else None
        for _ in range(rng.randint(1, 5)):
            doc_id = f"{prefix}{doc_seq:08d}"
            doc_seq += 1
            published = datetime.combine(day + timedelta(days=rng.randint(0, 3)), datetime.min.time()) \
                + timedelta(minutes=rng.randrange(1440))
            docs.append((doc_id, rng.choice(sources), published))
            dated = rng.random() < 0.7
            # model_construct: the records the extractor would hand over, without re-validating
            # a million synthetic values (that cost belongs to the extractor, not the warehouse)
            events.append(Event.model_construct(
                doc_id=doc_id, type=type_, status="planned" if rng.random() < 0.05 else "asserted",
                actor=Party.model_construct(text=actor, id=None),
                target=Party.model_construct(text=other if type_ in KEY_IS_ACTOR else target, id=None),
                amount=Amount.model_construct(value=amount, currency="USD", text=f"${amount:,.0f}") if amount else None,
                date=EventDate.model_construct(value=day.isoformat(), precision="day", text="on that day")
                if dated else None,
                reason=None, trigger="", sentence=f"{actor} {type_.lower()} {target} on {day.isoformat()}.",
                start=rng.randrange(2000), end=2100, confidence=0.7,
            ))
            made += 1
            if len(docs) >= DOCS_PER_LOAD:
                yield docs, events
                docs, events = [], []
    if docs:
        yield docs, events


def insert_documents(con, docs) -> None:
    now = datetime(2026, 1, 1)
    table = pa.table({
        "doc_id": [d[0] for d in docs], "source": [d[1] for d in docs],
        "url": [f"https://{d[1]}.example/{d[0]}" for d in docs],
        "canonical_url": [f"https://{d[1]}.example/{d[0]}" for d in docs],
        "published": pa.array([d[2] for d in docs], pa.timestamp("us")),
        "content_hash": [d[0] for d in docs],
        "fetched_at": pa.array([now] * len(docs), pa.timestamp("us")),
    })
    con.register("_bench_docs", table)
    con.execute("INSERT INTO documents (doc_id, source, url, canonical_url, published, content_hash, fetched_at) "
                "SELECT * FROM _bench_docs").fetchall()
    con.unregister("_bench_docs")


def run_size(folder: Path, n_events: int, query_runs: int) -> dict:
    con = open_connection(folder / f"bench-{n_events}.duckdb")
    con.execute("SET threads = 2").fetchall()
    load_seconds, load_cpu, loaded = 0.0, 0.0, 0
    for docs, events in synthetic(n_events):
        insert_documents(con, docs)
        started, cpu = time.perf_counter(), time.process_time()
        report = load_events(con, [d[0] for d in docs], events, "bench")
        load_seconds += time.perf_counter() - started
        load_cpu += time.process_time() - cpu
        loaded += report.events
    started, cpu = time.perf_counter(), time.process_time()
    inc = build_incidents(con)
    group_seconds, group_cpu = time.perf_counter() - started, time.process_time() - cpu
    result = {"events": loaded, "load_rows_per_s": loaded / load_seconds, "load_s": load_seconds,
              "load_cpu_s": load_cpu, "group_s": group_seconds, "group_cpu_s": group_cpu,
              "incidents": inc.incidents, "storylines": inc.storylines}
    # 1,000 new reports on the same parties and dates, then the update and a full rebuild of the same
    for docs, events in synthetic(NEW_EVENTS, seed=8, prefix="new", parties_for=n_events):
        insert_documents(con, docs)
        load_events(con, [d[0] for d in docs], events, "bench")
    started, cpu = time.perf_counter(), time.process_time()
    update = build_incidents(con)
    result["update_s"], result["update_cpu_s"] = time.perf_counter() - started, time.process_time() - cpu
    result["update_written"] = update.written
    updated = con.execute(CHECKSUM_SQL).fetchall()[0]
    if query_runs:
        result.update(_query_times(con, query_runs))
    started, cpu = time.perf_counter(), time.process_time()
    build_incidents(con, full=True)
    result["rebuild_s"], result["rebuild_cpu_s"] = time.perf_counter() - started, time.process_time() - cpu
    result["same_rows"] = con.execute(CHECKSUM_SQL).fetchall()[0] == updated
    con.close()
    return result


def _query_times(con, query_runs: int) -> dict:
    result = {}
    if query_runs:
        top = [r[0] for r in con.execute(
            "SELECT target_id FROM incidents GROUP BY target_id ORDER BY count(*) DESC LIMIT 20").fetchall()]
        names = [r[0] for r in con.execute(
            "SELECT name FROM actors WHERE actor_id IN (SELECT unnest(?::VARCHAR[]))", [top]).fetchall()]
        timings, sizes = [], []
        timeline(con, actor=names[0], since="2019-01-01", until="2019-12-31")  # warm the caches
        for n in range(query_runs):
            actor = names[n % len(names)]
            year = 2019 + n % 6
            started = time.perf_counter()
            rows = timeline(con, actor=actor, since=f"{year}-01-01", until=f"{year}-12-31")
            timings.append(time.perf_counter() - started)
            sizes.append(len(rows))
        result["query_median_ms"] = statistics.median(timings) * 1000
        result["query_p90_ms"] = sorted(timings)[int(0.9 * len(timings))] * 1000
        result["query_rows_median"] = statistics.median(sizes)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--query-runs", type=int, default=40)
    parser.add_argument("--keep", help="keep the benchmark warehouses in this folder")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="trustwatch-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    print("wall-clock seconds, with CPU seconds of this process in brackets (the difference is time spent")
    print("waiting for a core on a shared machine)")
    print(f"{'events':>9} {'load rows/s':>12} {'load s':>15} {'group s':>15} {'us/event':>9} {'incidents':>10} "
          f"{'storylines':>10}")
    try:
        for size in sizes:
            r = run_size(folder, size, args.query_runs if size == max(sizes) else 0)
            load = f"{r['load_s']:.1f} [{r['load_cpu_s']:.1f}]"
            group = f"{r['group_s']:.1f} [{r['group_cpu_s']:.1f}]"
            print(f"{r['events']:>9} {r['load_rows_per_s']:>12,.0f} {load:>15} {group:>15} "
                  f"{r['group_s'] / r['events'] * 1e6:>9.1f} {r['incidents']:>10} {r['storylines']:>10}", flush=True)
            verdict = "OK" if r["update_s"] < 5 else "OVER TARGET"
            print(f"{'':>9} update for {NEW_EVENTS:,} new events: {r['update_s']:.2f} [{r['update_cpu_s']:.2f}] s, "
                  f"{r['update_written']} incidents written; full rebuild of the same: {r['rebuild_s']:.1f} "
                  f"[{r['rebuild_cpu_s']:.1f}] s; same rows: {r['same_rows']} (target < 5 s: {verdict})", flush=True)
            if "query_median_ms" in r:
                verdict = "OK" if r["query_median_ms"] < 50 else "OVER TARGET"
                print(f"timeline(actor=..., one year) at {r['events']} events: median {r['query_median_ms']:.1f} ms, "
                      f"p90 {r['query_p90_ms']:.1f} ms, median {r['query_rows_median']:.0f} rows "
                      f"after the update (target < 50 ms: {verdict})")
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: {peak_mb:,.0f} MB")


if __name__ == "__main__":
    main()
