"""Subprocess entry point: crawl one source into a folder, then say whether the network failed.

`python -m trustwatch.flows.crawl_worker --config-json CFG --source NAME --out DIR`
writes the crawl's JSONL under DIR and DIR/_result.json ({"records", "network_error"}).
It never touches the warehouse.

`--crawl module:function` runs another crawler than `trustwatch.ingest.crawl_sources` (tests
use misbehaving stand-ins). A subprocess only receives strings, so this is the one place where
a function is named by its dotted path; everywhere else a replacement is passed as a parameter.
"""
from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
from pathlib import Path
from typing import Any, Callable, Iterable, Optional


def _fetch_records(obj: Any) -> Iterable[dict]:
    """Dicts in one JSONL line that look like a fetch log entry (a request and its outcome)."""
    if isinstance(obj, dict):
        if "url" in obj and "status" in obj and ("error" in obj or "duration_ms" in obj):
            yield obj
        for value in obj.values():
            if isinstance(value, (dict, list)):
                yield from _fetch_records(value)
    elif isinstance(obj, list):
        for item in obj:
            yield from _fetch_records(item)


def network_failure(jsonl: Path) -> tuple[int, Optional[str]]:
    """(lines, error) where error says why no request of the crawl got any HTTP response.

    A source that answered, even with 404 or 500, is not a network failure: retrying a server
    error is the crawler's job (with Retry-After), not the orchestrator's.
    """
    lines = 0
    fetches: list[dict] = []
    try:
        with open(jsonl, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                line = line.strip()
                if not line:
                    continue
                lines += 1
                try:
                    fetches.extend(_fetch_records(json.loads(line)))
                except ValueError:
                    continue
    except OSError:
        return lines, None
    if not fetches or any(f.get("status") is not None for f in fetches):
        return lines, None
    errors = [str(f.get("error")) for f in fetches if f.get("error")]
    return lines, (errors[-1] if errors else "no response")


def import_crawler(ref: Optional[str]) -> Callable:
    """The function named by `ref` ("module:function"), or the real crawler when None."""
    if not ref:
        from trustwatch.ingest import crawl_sources

        return crawl_sources
    module_name, sep, attr = ref.partition(":")
    if not sep or not module_name or not attr:
        raise ValueError(f"--crawl {ref!r}: expected module:function")
    import importlib

    crawl = getattr(importlib.import_module(module_name), attr, None)
    if not callable(crawl):
        raise ValueError(f"--crawl {ref!r}: {module_name} has no function {attr!r}")
    return crawl


def main(argv: Optional[list[str]] = None) -> int:
    from trustwatch.spiders.lifeline import die_with_parent

    die_with_parent()  # a run killed outright takes its crawls with it
    # stopped by the run: unwind, so the crawler this worker started is stopped with it
    signal.signal(signal.SIGTERM, lambda *_a: sys.exit(128 + signal.SIGTERM))
    parser = argparse.ArgumentParser(prog="python -m trustwatch.flows.crawl_worker")
    parser.add_argument("--config-json", required=True)
    parser.add_argument("--source", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--crawl", default=None,
                        help="module:function doing the crawl (default: trustwatch.ingest:crawl_sources)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)

    from trustwatch.config import Config
    config = Config.model_validate_json(Path(args.config_json).read_text(encoding="utf-8"))
    source = config.source(args.source)
    out = Path(args.out)
    crawl = import_crawler(args.crawl)
    written = crawl(config, [source], out)
    if written and Path(written).is_file() and out.resolve() not in Path(written).resolve().parents:
        import shutil

        written = shutil.move(str(written), str(out / Path(written).name))
    files = [Path(written)] if written and Path(written).is_file() else sorted(out.rglob("*.jsonl"))
    records, network_error = 0, None
    for f in files:
        n, err = network_failure(f)
        records += n
        network_error = network_error or err
    (out / "_result.json").write_text(
        json.dumps({"records": records, "network_error": network_error,
                    "files": [str(f) for f in files]}), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
