"""Each source's crawl in its own process group: stopped at its time budget with every
process it started, a crash reported with its cause, no response classified as a network
error (the only failure worth retrying)."""
from __future__ import annotations

import json
import os
import time

import pytest

from trustwatch.config import Config
from trustwatch.flows.crawl_worker import network_failure
from trustwatch.flows.crawling import (CrawlError, SourceTimeout, crawl_in_subprocess, ready_dir,
                                       write_config_snapshot)
from trustwatch.records import Source


def _config(tmp_path):
    cfg = Config(sources=[Source(name="slow", url="http://127.0.0.1:9/feed.xml")])
    return write_config_snapshot(cfg, tmp_path / "staging")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is dead for our purpose
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split()[2] != "Z"
    except OSError:
        return False


def test_a_hanging_crawl_is_stopped_with_its_children_and_keeps_what_it_wrote(tmp_path):
    db = tmp_path / "w.duckdb"
    started = time.monotonic()
    with pytest.raises(SourceTimeout, match="slow"):
        crawl_in_subprocess(_config(tmp_path), "slow", db, "run-t", 1, timeout=4,
                            crawl_ref="tests.flows.standins:crawl_that_hangs")
    assert time.monotonic() - started < 60
    pid_file = next((tmp_path / "w.duckdb.spool" / "staging").glob("grandchild-slow.pid"))
    grandchild = int(pid_file.read_text())
    for _ in range(50):
        if not _alive(grandchild):
            break
        time.sleep(0.1)
    assert not _alive(grandchild)
    kept = list(ready_dir(db, "run-t").rglob("*.jsonl"))
    assert [p.name for p in kept] == ["partial.jsonl"]


def test_a_crashing_crawl_reports_its_cause(tmp_path):
    with pytest.raises(CrawlError, match="simulated crash") as info:
        crawl_in_subprocess(_config(tmp_path), "slow", tmp_path / "w.duckdb", "run-c", 1, timeout=60,
                            crawl_ref="tests.flows.standins:crawl_that_crashes")
    assert not isinstance(info.value, SourceTimeout)


def _jsonl(tmp_path, *records):
    path = tmp_path / "c.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_no_response_at_all_is_a_network_failure(tmp_path):
    path = _jsonl(tmp_path,
                  {"type": "fetch", "source": "a", "url": "http://x/feed", "status": None,
                   "error": "Connection refused", "duration_ms": 3.0},
                  {"type": "source", "name": "a", "ok": False, "errors": ["Connection refused"]})
    assert network_failure(path) == (2, "Connection refused")


@pytest.mark.parametrize("status", [500, 404, 200, 304])
def test_any_http_answer_is_not_a_network_failure(tmp_path, status):
    path = _jsonl(tmp_path,
                  {"type": "fetch", "source": "a", "url": "http://x/feed", "status": None,
                   "error": "timeout", "duration_ms": 3.0},
                  {"type": "fetch", "source": "a", "url": "http://x/feed", "status": status,
                   "error": None, "duration_ms": 3.0})
    assert network_failure(path)[1] is None


def test_a_crawl_without_fetch_records_is_not_called_a_network_failure(tmp_path):
    assert network_failure(_jsonl(tmp_path, {"type": "source", "name": "a", "ok": True}))[1] is None


def test_only_network_errors_are_retried():
    from prefect.states import Failed

    from trustwatch.flows.crawling import NetworkError
    from trustwatch.flows.tasks import retry_on_network_error

    def decide(exc):
        return retry_on_network_error(None, None, Failed(data=exc))

    assert decide(NetworkError("a: connection refused")) is True
    assert decide(SourceTimeout("a: crawl stopped after its 600s budget")) is False
    assert decide(CrawlError("a: crawl process exited with 1")) is False
    assert decide(ValueError("a bug")) is False
