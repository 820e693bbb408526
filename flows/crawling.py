"""Crawling each source in its own subprocess, and the spool that hands crawls to the loader.

Each source is crawled by `python -m trustwatch.flows.crawl_worker` in a new process group,
so a source that hangs is stopped at its timeout together with the Scrapy process it started,
and one source's crash cannot take others down. The workers (and their crawlers) die with the
process that started them even when it is killed outright, and that run's staging folder is
recovered by the next run. A finished crawl is moved atomically into
`<warehouse>.spool/crawl/<run_id>/`, where the single loader (the one holding the warehouse
lock) picks it up. A run that cannot get the lock leaves its crawls there, marked, and the
next run loads them: nothing fetched is lost.
"""
from __future__ import annotations

import json
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, Optional

from trustwatch.flows.runs import spool_dir_for
from trustwatch.spiders.lifeline import child_env, mark_owner, owner_gone

log = logging.getLogger(__name__)

RESULT_FILE = "_result.json"
STDERR_FILE = "_stderr.log"
ABANDONED_MARKER = "_unloaded"
#: spooled crawls of runs that vanished without marking them are loaded after this long
ORPHAN_AGE_SECONDS = 6 * 3600


class CrawlError(RuntimeError):
    """A source's crawl failed for a reason retrying will not fix."""

    #: which attempt of the source's task failed (1 = the first)
    attempt: int = 1


class NetworkError(CrawlError):
    """No response at all from the source (refused, DNS, timeout): worth retrying later."""

    #: the run whose retry budget a retry of this source draws on, and the source
    run_id: Optional[str] = None
    source: Optional[str] = None

    @property
    def unresolved_host(self) -> bool:
        """The host name did not resolve: a second try soon is the most worth making."""
        text = str(self).lower()
        return any(m in text for m in _DNS_MARKERS)


_DNS_MARKERS = ("dns lookup failed", "cannotresolvehost", "name or service not known",
                "no address associated", "nodename nor servname", "getaddrinfo failed", "no such host")


class SourceTimeout(CrawlError):
    """The source's crawl ran past its time budget and was stopped."""


#: crawl processes running at once in this process (each source is polite on its own; this
#: bounds memory and CPU). A source waiting for its retry holds no slot.
CRAWL_CONCURRENCY = 4
_slots = threading.BoundedSemaphore(CRAWL_CONCURRENCY)

#: crawl processes running, per run (one process may run several flows at once)
_live: dict[int, tuple[str, subprocess.Popen]] = {}
_live_guard = threading.Lock()
#: runs stopped (or done crawling): their sources still waiting for a slot do not start
_stopping: set[str] = set()


def staging_dir(db_path: str | Path, run_id: str) -> Path:
    return spool_dir_for(db_path) / "staging" / run_id


def host_locks_dir(db_path: str | Path, run_id: str) -> Path:
    """The per-host lock files that give all of a run's crawl processes one budget per host."""
    return staging_dir(db_path, run_id) / "hosts"


def ready_dir(db_path: str | Path, run_id: str) -> Path:
    return spool_dir_for(db_path) / "crawl" / run_id


def write_config_snapshot(config, folder: Path) -> Path:
    """The configuration, as the crawl subprocesses will see it, in the run's staging folder
    (which this process now owns; staging folders of runs killed outright are cleared)."""
    folder.mkdir(parents=True, exist_ok=True)
    mark_owner(folder)
    recover_abandoned_staging(folder.parent, keep=folder.name)
    path = folder / "config.json"
    path.write_text(config.model_dump_json(), encoding="utf-8")
    return path


def recover_abandoned_staging(staging_root: Path, keep: Optional[str] = None) -> list[str]:
    """Staging folders of runs whose process ended without cleaning up (killed outright): what
    their crawls wrote is handed to the loader (marked for the next run, like a locked run's
    crawls) and the folders are removed. Returns the run ids recovered."""
    recovered = []
    if not staging_root.is_dir():
        return recovered
    spool = staging_root.parent
    for run_folder in staging_root.iterdir():
        if not run_folder.is_dir() or run_folder.name == keep or not owner_gone(run_folder):
            continue
        ready = spool / "crawl" / run_folder.name
        for work in sorted(p for p in run_folder.iterdir() if p.is_dir() and p.name != "hosts"):
            files = sorted(f for f in work.rglob("*.jsonl") if f.is_file() and f.stat().st_size > 0)
            if not files:
                continue
            target = ready / work.name
            target.mkdir(parents=True, exist_ok=True)
            for n, f in enumerate(files):
                os.replace(f, target / (f.name if len(files) == 1 else f"{n:03d}-{f.name}"))
        if ready.is_dir():
            (ready / ABANDONED_MARKER).write_text(run_folder.name, encoding="utf-8")
        shutil.rmtree(run_folder, ignore_errors=True)
        recovered.append(run_folder.name)
        log.warning("recovered the crawls of run %s, which ended without cleaning up", run_folder.name)
    return recovered


def _stop_group(proc: subprocess.Popen, grace: float = 5.0) -> None:
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def stop_crawls(run_id: str) -> None:
    """Stop the crawl subprocesses still running for `run_id` (when the run is stopped)."""
    with _live_guard:
        _stopping.add(run_id)
        procs = [proc for rid, proc in _live.values() if rid == run_id]
    for proc in procs:
        _stop_group(proc, grace=2.0)


def _take_slot(run_id: str) -> bool:
    """Wait for a crawl slot; False when the run is stopped meanwhile."""
    while not _slots.acquire(timeout=0.5):
        if run_id in _stopping:
            return False
    if run_id in _stopping:
        _slots.release()
        return False
    return True


def crawl_in_subprocess(config_json: Path, source: str, db_path: str | Path, run_id: str,
                        attempt: int, timeout: float, crawl_ref: Optional[str] = None) -> dict[str, Any]:
    """Crawl one source; return what was written. Raises NetworkError, SourceTimeout, CrawlError.

    `crawl_ref` ("module:function") names another crawler for the subprocess to run.
    """
    if not _take_slot(run_id):
        raise CrawlError(f"{source}: not crawled, the run was stopped")
    try:
        work = staging_dir(db_path, run_id) / f"{source}.{attempt}"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        return _crawl(config_json, source, db_path, run_id, attempt, timeout, crawl_ref, work)
    except CrawlError as exc:
        exc.attempt = attempt
        if isinstance(exc, NetworkError):
            exc.run_id, exc.source = run_id, source
        raise
    finally:
        _slots.release()


def _crawl(config_json, source, db_path, run_id, attempt, timeout, crawl_ref, work) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "trustwatch.flows.crawl_worker", "--config-json", str(config_json),
           "--source", source, "--out", str(work)]
    if crawl_ref:
        cmd += ["--crawl", crawl_ref]
    env = child_env()  # the worker (and its crawler) die with this process, however it ends
    # a stand-in crawler named by `crawl_ref` must be importable from the child as from us
    env["PYTHONPATH"] = os.pathsep.join([os.getcwd(), *filter(None, [env.get("PYTHONPATH")])])
    # every source of the run shares one politeness budget per host (lock files in this folder)
    env["TRUSTWATCH_HOST_LOCKS"] = str(host_locks_dir(db_path, run_id))
    started = time.monotonic()
    with open(work / STDERR_FILE, "wb") as err:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=err, stderr=err, env=env,
                                start_new_session=True)
        with _live_guard:
            _live[proc.pid] = (run_id, proc)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _stop_group(proc)
            _publish(work, db_path, run_id)  # what it fetched before the timeout is still loaded
            raise SourceTimeout(f"{source}: crawl stopped after its {timeout:.0f}s budget") from None
        finally:
            with _live_guard:
                _live.pop(proc.pid, None)
    elapsed = time.monotonic() - started
    result = _read_result(work)
    if proc.returncode != 0 or result is None:
        tail = _tail(work / STDERR_FILE)
        _publish(work, db_path, run_id)
        if run_id in _stopping:
            raise CrawlError(f"{source}: crawl stopped with the run")
        raise CrawlError(f"{source}: crawl process exited with {proc.returncode}: {tail}")
    published = _publish(work, db_path, run_id)
    if result.get("network_error"):
        raise NetworkError(f"{source}: {describe_network_error(result['network_error'])}")
    return {"source": source, "attempt": attempt, "files": [str(p) for p in published],
            "records": result.get("records", 0), "seconds": round(elapsed, 2)}


def describe_network_error(text: str) -> str:
    """The crawler's network error, said plainly when the host name does not resolve."""
    if not any(m in text.lower() for m in _DNS_MARKERS):
        return text
    found = re.search(r"lookup:\s*(\S+?)\.?\s*$", text) or re.search(r"https?://([^/:\s]+)", text)
    host = found.group(1) if found else None
    return f"DNS lookup failed: host {host} not found" if host else "DNS lookup failed: host not found"


def _read_result(work: Path) -> Optional[dict]:
    try:
        return json.loads((work / RESULT_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _tail(path: Path, limit: int = 600) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return ""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    return " | ".join(lines[-4:])[-limit:]


def _publish(work: Path, db_path: str | Path, run_id: str) -> list[Path]:
    """Move the finished crawl's JSONL files where the loader looks; atomic per file."""
    target = ready_dir(db_path, run_id) / work.name
    files = sorted(p for p in work.rglob("*.jsonl") if p.is_file() and p.stat().st_size > 0)
    if not files:
        return []
    target.mkdir(parents=True, exist_ok=True)
    moved = []
    for n, f in enumerate(files):
        dest = target / (f.name if len(files) == 1 else f"{n:03d}-{f.name}")
        os.replace(f, dest)
        moved.append(dest)
    return moved


def mark_unloaded(db_path: str | Path, run_id: str) -> None:
    """Leave this run's crawls for the next run (it could not get the warehouse)."""
    folder = ready_dir(db_path, run_id)
    folder.mkdir(parents=True, exist_ok=True)  # a crawl being stopped may still publish into it
    (folder / ABANDONED_MARKER).write_text(run_id, encoding="utf-8")


def discard_staging(db_path: str | Path, run_id: str) -> None:
    shutil.rmtree(staging_dir(db_path, run_id), ignore_errors=True)


def crawls_to_load(db_path: str | Path, run_id: str) -> list[tuple[str, str, Path]]:
    """(run_id, source, file) of this run's crawls and of crawls earlier runs left behind."""
    root = spool_dir_for(db_path) / "crawl"
    if not root.is_dir():
        return []
    found = []
    now = time.time()
    for run_folder in sorted(root.iterdir(), key=lambda p: p.stat().st_mtime):
        if not run_folder.is_dir():
            continue
        mine = run_folder.name == run_id
        left = (run_folder / ABANDONED_MARKER).exists() or now - run_folder.stat().st_mtime > ORPHAN_AGE_SECONDS
        if not (mine or left):
            continue  # another run is still crawling; it loads its own
        for source_folder in sorted(p for p in run_folder.iterdir() if p.is_dir()):
            source = source_folder.name.rsplit(".", 1)[0]
            for f in sorted(source_folder.glob("*.jsonl")):
                found.append((run_folder.name, source, f))
    return found


def load_spooled_crawls(con, db_path: str | Path, run_id: str,
                        load_crawl: Callable[..., Any]) -> list[dict[str, Any]]:
    """Load every crawl ready for this run (the caller holds the warehouse lock).

    `load_crawl(con, path, run_id=..., source=...)` loads one file, which holds one source.

    A file is deleted only after it is loaded; a file the loader rejects is moved to
    `<spool>/rejected/` and reported, never silently dropped.
    """
    results = []
    rejected = spool_dir_for(db_path) / "rejected"
    for crawl_run, source, path in crawls_to_load(db_path, run_id):
        try:
            report = load_crawl(con, path, run_id=crawl_run, source=source)
        except Exception as exc:  # one bad file must not stop the others
            rejected.mkdir(parents=True, exist_ok=True)
            dest = rejected / f"{crawl_run}-{path.parent.name}-{path.name}"
            os.replace(path, dest)
            log.error("could not load %s (kept as %s): %s", path, dest, exc)
            results.append({"run_id": crawl_run, "source": source, "file": str(dest), "report": None,
                            "error": f"{type(exc).__name__}: {exc}"})
            continue
        path.unlink(missing_ok=True)
        results.append({"run_id": crawl_run, "source": source, "file": str(path), "report": report,
                        "error": None})
    _prune(spool_dir_for(db_path) / "crawl")
    return results


def _prune(root: Path) -> None:
    if not root.is_dir():
        return
    for run_folder in root.iterdir():
        if not run_folder.is_dir():
            continue
        for source_folder in run_folder.iterdir():
            if source_folder.is_dir() and not any(source_folder.iterdir()):
                source_folder.rmdir()
        remaining = [p for p in run_folder.iterdir() if p.name != ABANDONED_MARKER]
        if not remaining:
            shutil.rmtree(run_folder, ignore_errors=True)
