"""A crawl dies with the process that started it, even one killed with SIGKILL, and the
folders it leaves behind are cleared (or, for a monitoring run's crawls, recovered) by the
next run."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.spiders.conftest import make_config
from tests.spiders.localsite import HANG
from trustwatch.flows.crawling import ABANDONED_MARKER, staging_dir, write_config_snapshot
from trustwatch.flows.runs import spool_dir_for
from trustwatch.ingest import ingest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

REPO = Path(__file__).resolve().parents[2]


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(b")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def _descendants(pid: int) -> list[int]:
    tree, found, todo = _children(), [], [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_bytes().rsplit(b")", 1)[1].split()[0]
    except OSError:
        return False
    return state != b"Z"


def _wait_for(predicate, what: str, limit: float = 120.0):
    """Poll until `predicate()` is truthy; the limit only keeps a broken build from hanging."""
    end = time.monotonic() + limit
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"gave up waiting for {what}")


def _kill_parent_and_check_crawlers_die(parent: subprocess.Popen, crawler_marker: str, site) -> list[int]:
    crawlers = _wait_for(lambda: [p for p in _descendants(parent.pid) if crawler_marker in _cmdline(p)],
                         f"a {crawler_marker} process")
    _wait_for(lambda: site.hits["/feed.xml"] >= 1, "the crawler's request")  # well under way
    family = _descendants(parent.pid)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    _wait_for(lambda: not any(_alive(p) for p in family), "the crawl processes to end")
    return crawlers


def test_crawler_dies_with_a_killed_ingest_and_its_folder_is_cleared(bare_site, tmp_path, monkeypatch):
    bare_site.extra_routes["/feed.xml"] = lambda _h: HANG
    config = make_config(tmp_path, [{"name": "hangs", "url": bare_site.url("/feed.xml")}],
                         crawl={"timeout": 600, "retries": 0})
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = dict(os.environ, TMPDIR=str(temp), PYTHONPATH=str(REPO))
    script = ("import sys; from trustwatch.config import load_config; from trustwatch.ingest import ingest; "
              "ingest(load_config(sys.argv[1]))")
    parent = subprocess.Popen([sys.executable, "-c", script, str(config.path)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        _kill_parent_and_check_crawlers_die(parent, "trustwatch.spiders.run", bare_site)
    finally:
        if parent.poll() is None:
            parent.kill()
    left = list(temp.glob("trustwatch-crawl-*"))
    assert len(left) == 1  # SIGKILL runs no cleanup...

    bare_site.extra_routes["/feed.xml"] = lambda _h: (404, {"Content-Type": "text/plain"}, b"gone")
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    ingest(config, run_id="next")
    assert list(temp.glob("trustwatch-crawl-*")) == []  # ...the next run clears it


def test_crawl_workers_die_with_a_killed_run_and_its_staging_is_recovered(bare_site, tmp_path):
    bare_site.extra_routes["/feed.xml"] = lambda _h: HANG
    config = make_config(tmp_path, [{"name": "hangs", "url": bare_site.url("/feed.xml")}],
                         crawl={"timeout": 600, "retries": 0})
    env = dict(os.environ, PYTHONPATH=str(REPO))
    script = ("import sys; from pathlib import Path; from trustwatch.config import load_config; "
              "from trustwatch.flows.crawling import crawl_in_subprocess, staging_dir, write_config_snapshot; "
              "c = load_config(sys.argv[1]); "
              "j = write_config_snapshot(c, staging_dir(c.db_path, 'killed-run')); "
              "crawl_in_subprocess(j, 'hangs', c.db_path, 'killed-run', 1, 600)")
    parent = subprocess.Popen([sys.executable, "-c", script, str(config.path)], env=env, cwd=str(tmp_path),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        crawlers = _kill_parent_and_check_crawlers_die(parent, "trustwatch.spiders.run", bare_site)
    finally:
        if parent.poll() is None:
            parent.kill()
    assert crawlers
    killed = staging_dir(config.db_path, "killed-run")
    assert killed.is_dir()

    write_config_snapshot(config, staging_dir(config.db_path, "next-run"))  # the next run starts
    assert not killed.exists()
    ready = spool_dir_for(config.db_path) / "crawl" / "killed-run"
    if ready.exists():  # what the killed crawl had written waits for the loader
        assert (ready / ABANDONED_MARKER).exists()
