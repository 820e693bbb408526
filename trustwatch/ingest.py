"""Ingestion: crawl sources in a Scrapy subprocess, then bulk-load what it wrote.

`crawl_sources` never opens the warehouse for writing; `load_crawl` is the only writer. Both
halves can run separately (a flow may crawl in one task and load in another) or together
through `ingest`.
"""
from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Optional

from pydantic import ValidationError

from trustwatch.config import Config
from trustwatch.records import Document, FetchLog, Source, utcnow

log = logging.getLogger(__name__)

#: called with each JSONL line's dict as the crawl writes it (e.g. to drive a progress bar)
ProgressCallback = Callable[[dict], None]
#: the folder of per-host lock files shared by every crawl of one run
HOST_LOCKS_ENV = "TRUSTWATCH_HOST_LOCKS"


@dataclass
class SourceReport:
    name: str
    new: int = 0
    unchanged: int = 0
    duplicates: int = 0
    failed: bool = False
    errors: list[str] = field(default_factory=list)
    not_modified: bool = False
    fetches: int = 0


@dataclass
class IngestReport:
    sources: list[SourceReport] = field(default_factory=list)
    run_id: Optional[str] = None
    fetches: int = 0
    new_doc_ids: list[str] = field(default_factory=list)
    #: problems not tied to one source (unreadable JSONL lines, a crawler crash)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def new(self) -> int:
        return sum(s.new for s in self.sources)

    @property
    def unchanged(self) -> int:
        return sum(s.unchanged for s in self.sources)

    @property
    def duplicates(self) -> int:
        return sum(s.duplicates for s in self.sources)

    @property
    def failed(self) -> list[SourceReport]:
        return [s for s in self.sources if s.failed]

    @property
    def exit_code(self) -> int:
        """0 when every source was read, 3 when some failed (the rest were stored)."""
        return 3 if self.failed or self.errors else 0

    def source(self, name: str) -> SourceReport:
        for s in self.sources:
            if s.name == name:
                return s
        raise KeyError(name)




def _page_fetching(sources: list[Source]) -> list[str]:
    """Names of the sources whose entries' pages are fetched (stored pages are not fetched again)."""
    return [s.name for s in sources if s.fetch_pages or s.kind == "sitemap"]


def _crawl_state_from_warehouse(config: Config, sources: list[Source]) -> tuple[dict, list[str]]:
    """Validators and known page URLs, read without waiting: a busy warehouse means a full fetch."""
    from trustwatch.warehouse.db import open_connection
    from trustwatch.warehouse.documents import known_page_urls, stored_validators

    if not config.db_path.exists():
        return {}, []
    try:
        con = open_connection(config.db_path, read_only=True, lock_timeout=0)
    except Exception as exc:  # locked or unreadable: crawl without validators
        log.info("crawling without stored validators: %s", exc)
        return {}, []
    try:
        return stored_validators(con, sources), known_page_urls(con, _page_fetching(sources))
    except Exception as exc:  # an old warehouse without our tables
        log.info("crawling without stored validators: %s", exc)
        return {}, []
    finally:
        con.close()


def crawl_job(config: Config, sources: list[Source], *, validators: Optional[dict[str, dict]] = None,
              known_urls: Optional[Iterable[str]] = None) -> dict:
    """What `python -m trustwatch.spiders.run --job` reads: settings, sources, validators, known URLs.

    Validators and known URLs missing here are read from the warehouse if it can be read at once.
    """
    if validators is None or known_urls is None:
        read_validators, read_known = _crawl_state_from_warehouse(config, sources)
        validators = read_validators if validators is None else validators
        known_urls = read_known if known_urls is None else known_urls
    return {
        "crawl": config.crawl.model_dump(mode="json"),
        "sources": [s.model_dump(mode="json") for s in sources],
        "validators": validators,
        "known_urls": sorted(set(known_urls)),
    }


def crawl_sources(config: Config, sources: Iterable[Source], out_dir: str | Path, *,
                  validators: Optional[dict[str, dict]] = None,
                  known_urls: Optional[Iterable[str]] = None,
                  progress: Optional[ProgressCallback] = None,
                  timeout: Optional[float] = None,
                  host_locks: Optional[str | Path] = None) -> Path:
    """Run one Scrapy subprocess over `sources`; returns the JSONL file it wrote.

    Without `validators`/`known_urls`, they are read from the warehouse if it can be read
    at once. The subprocess is stopped after `timeout` seconds (default: the per-source
    timeout times the number of sources, at most a day); whatever it wrote is kept.
    """
    sources = list(sources)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"
    out = out_dir / f"crawl-{stamp}.jsonl"
    job_path = out_dir / f"crawl-{stamp}.job.json"
    log_path = out_dir / f"crawl-{stamp}.log"
    job = crawl_job(config, sources, validators=validators, known_urls=known_urls)
    # one budget per host for everything crawled in this run (a run crawling sources in several
    # processes names one folder for all of them in TRUSTWATCH_HOST_LOCKS)
    job["host_locks"] = host_locks or os.environ.get(HOST_LOCKS_ENV) or str(out_dir / f"crawl-{stamp}.hosts")
    job_path.write_text(json.dumps(job), encoding="utf-8")
    out.touch()
    if not sources:
        return out
    limit = timeout or min(86400.0, config.crawl.source_timeout * max(1, len(sources)) + 60)
    from trustwatch.spiders.lifeline import child_env, kill_group

    cmd = [sys.executable, "-m", "trustwatch.spiders.run", "--job", str(job_path), "--out", str(out)]
    # the crawler dies with us (it asks the kernel to), and in its own group we can kill whole
    env = child_env(dict(os.environ, PYTHONUNBUFFERED="1"))
    with log_path.open("wb") as log_fh:
        proc = subprocess.Popen(cmd, stdout=log_fh, stderr=subprocess.STDOUT, env=env,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + limit
        offset = 0
        buffer = b""
        try:
            while True:
                done = proc.poll() is not None
                if progress is not None:
                    with out.open("rb") as fh:
                        fh.seek(offset)
                        chunk = fh.read()
                    offset += len(chunk)
                    buffer += chunk
                    *lines, buffer = buffer.split(b"\n")
                    for line in lines:
                        try:
                            progress(json.loads(line))
                        except (ValueError, TypeError):
                            continue
                if done:
                    break
                if time.monotonic() > deadline:
                    kill_group(proc.pid, signal.SIGTERM)
                    try:
                        proc.wait(timeout=15)
                    except subprocess.TimeoutExpired:
                        kill_group(proc.pid)  # not reaped yet: the group is still ours
                        proc.wait()
                    _append_crash(out, sources, f"crawl stopped after {limit:.0f}s (time limit)")
                    break
                time.sleep(0.2)
        except BaseException:
            if proc.returncode is None:
                kill_group(proc.pid)
                proc.wait()
            raise
        finally:
            if proc.poll() is None:  # nothing of the crawl outlives this call
                kill_group(proc.pid)
                proc.wait()
    if proc.returncode not in (0, None) and proc.returncode != -15:
        tail = log_path.read_text(encoding="utf-8", errors="replace")[-2000:]
        log.error("crawler exited with %s; last output:\n%s", proc.returncode, tail)
        last = next((line for line in reversed(tail.splitlines()) if line.strip()), "no output")
        _append_crash(out, sources, f"crawler exited with status {proc.returncode}: {last.strip()[:300]}")
    return out


def _append_crash(out: Path, sources: list[Source], message: str) -> None:
    """Mark every source the crawler did not report on as failed, keeping what it wrote.

    When even that cannot be written (a full disk) the loader finds no status for them,
    which fails them just the same.
    """
    try:
        _append_crash_lines(out, sources, message)
    except OSError as exc:
        log.error("could not record the crawl's end in %s: %s", out, exc)


def _append_crash_lines(out: Path, sources: list[Source], message: str) -> None:
    reported = set()
    ends_whole = True
    with out.open("r", encoding="utf-8", errors="replace") as fh:
        for line in fh:
            ends_whole = line.endswith("\n")
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if rec.get("type") == "source":
                reported.add(rec.get("name"))
    with out.open("a", encoding="utf-8") as fh:
        if not ends_whole:
            fh.write("\n")  # a line cut short by the crawler's death stays one bad line
        for s in sources:
            if s.name not in reported:
                fh.write(json.dumps({"type": "source", "name": s.name, "ok": False,
                                     "errors": [message]}) + "\n")


def read_crawl(jsonl_path: str | Path):
    """(fetch rows, documents, source statuses, problems) from a crawl's JSONL, skipping bad lines."""
    from trustwatch.spiders.items import SourceStatus

    fetches: list[FetchLog] = []
    docs: list[Document] = []
    statuses: dict[str, SourceStatus] = {}
    problems: list[str] = []
    with Path(jsonl_path).open("r", encoding="utf-8", errors="replace") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
                kind = rec.pop("type", None)
                if kind == "fetch":
                    fetches.append(FetchLog.model_validate(rec))
                elif kind == "document":
                    docs.append(Document.model_validate(rec))
                elif kind == "source":
                    status = SourceStatus.model_validate(rec)
                    statuses[status.name] = status
                else:
                    problems.append(f"{jsonl_path}:{n}: unknown line type {kind!r}")
            except (ValueError, ValidationError) as exc:
                problems.append(f"{jsonl_path}:{n}: unreadable line ({str(exc).splitlines()[0]})")
    return fetches, docs, statuses, problems


class CrawlNotStored(RuntimeError):
    """A crawl that could not be stored (a full disk, an unreadable file): nothing of it was kept,
    and its sources were marked failed with their validators cleared (when the warehouse could
    still be written), so the next run fetches them in full. `report` says so per source."""

    def __init__(self, message: str, report: "IngestReport"):
        super().__init__(message)
        self.report = report


def _unstored_report(names: Iterable[str], message: str, run_id: Optional[str]) -> IngestReport:
    report = IngestReport(run_id=run_id)
    for name in names:
        report.sources.append(SourceReport(name=name, failed=True, errors=[message]))
    return report


def _describe_os_error(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror}" + (f": {exc.filename}" if exc.filename else "")
    return f"{type(exc).__name__}: {exc}"


def load_crawl(con, jsonl_path: str | Path, run_id: Optional[str] = None,
               sources: Optional[Iterable[Source]] = None) -> IngestReport:
    """Bulk-load one crawl's documents, fetch log and source validators, in one transaction.

    `sources` (the configured ones) fill in the `sources` table's url/kind/language; without
    them those come from what is stored, and unknown sources are recorded from the crawl.

    Nothing is recorded as fetched before the documents are stored: documents, fetch log and
    the sources' statuses and validators commit together. A source whose crawl was not
    completely written (its status says so, fewer documents could be read back than were
    written, or no status at all) is failed and its validators are cleared, so the next run
    fetches it unconditionally. When storing fails (e.g. the disk is full) everything is rolled
    back, the sources are marked failed with cleared validators if the warehouse still takes
    that, and `CrawlNotStored` is raised.
    """
    from trustwatch.warehouse.documents import (SourceOutcome, insert_fetch_log, merge_documents,
                                                upsert_sources)

    started = time.monotonic()
    configured = {s.name: s for s in (sources or ())}
    try:
        fetches, docs, statuses, problems = read_crawl(jsonl_path)
    except OSError as exc:
        message = f"the crawl output could not be read ({_describe_os_error(exc)}): nothing was stored"
        _mark_unstored(con, list(configured), configured, {}, message)
        raise CrawlNotStored(message, _unstored_report(configured, message, run_id)) from exc
    report = IngestReport(run_id=run_id, errors=problems)
    read_back: dict[str, int] = {}
    for d in docs:
        read_back[d.source] = read_back.get(d.source, 0) + 1
    fetch_counts: dict[str, int] = {}
    for f in fetches:
        fetch_counts[f.source] = fetch_counts.get(f.source, 0) + 1
    names = list(dict.fromkeys([*configured, *statuses, *read_back]))

    con.execute("BEGIN TRANSACTION")
    try:
        merged = merge_documents(con, docs, transaction=False)
        report.new_doc_ids = merged.new_doc_ids
        report.fetches = insert_fetch_log(con, fetches, run_id)
        outcomes = []
        now = utcnow()
        for name in names:
            status = statuses.get(name)
            counts = merged.by_source.get(name)
            sr = SourceReport(name=name, fetches=fetch_counts.get(name, 0))
            if counts:
                sr.new, sr.unchanged, sr.duplicates = counts.new, counts.unchanged, counts.duplicates
            clear = False
            if status is None:
                sr.failed, clear = True, True
                sr.errors.append("the crawl wrote nothing about this source")
            else:
                sr.failed = not status.ok
                sr.not_modified = status.not_modified
                sr.errors.extend(status.errors)
                if status.incomplete:
                    sr.failed, clear = True, True
                if status.documents is not None and read_back.get(name, 0) < status.documents:
                    sr.failed, clear = True, True
                    sr.errors.append(f"only {read_back.get(name, 0)} of the {status.documents} entries "
                                     "written by the crawl could be read back: not completely stored")
                if status.suspect_text:
                    clear = True  # stored as read, but read again next run
            report.sources.append(sr)
            source = configured.get(name) or _stored_source(con, name, status)
            if source is not None:
                outcomes.append(SourceOutcome(
                    source=source, ok=not sr.failed, not_modified=sr.not_modified,
                    status=status.status if status else None,
                    etag=status.etag if status else None,
                    last_modified=status.last_modified if status else None,
                    error="; ".join(sr.errors)[:2000] if sr.errors else None,
                    keep_validators=bool(status and status.pages_failed),
                    clear_validators=clear))
        upsert_sources(con, outcomes, now)
        con.execute("COMMIT")
    except Exception as exc:
        try:
            con.execute("ROLLBACK")
        except Exception:  # noqa: BLE001 - the transaction may be gone with the failure
            pass
        message = f"not stored ({_describe_os_error(exc)}): nothing of this crawl was kept"
        log.error("could not store crawl %s: %s", jsonl_path, exc)
        _mark_unstored(con, names, configured, statuses, message)
        raise CrawlNotStored(message, _unstored_report(names, message, run_id)) from exc
    report.seconds = time.monotonic() - started
    return report


def _mark_unstored(con, names: list[str], configured: dict, statuses: dict, message: str) -> None:
    """Best effort after a failed load: the sources failed, their validators cleared."""
    from trustwatch.warehouse.documents import SourceOutcome, upsert_sources

    try:
        outcomes = []
        for name in names:
            status = statuses.get(name)
            source = configured.get(name) or _stored_source(con, name, status)
            if source is not None:
                outcomes.append(SourceOutcome(source=source, ok=False, error=message[:2000],
                                              clear_validators=True))
        con.execute("BEGIN TRANSACTION")
        upsert_sources(con, outcomes, utcnow())
        con.execute("COMMIT")
    except Exception as exc:  # noqa: BLE001 - the warehouse itself may be what failed
        try:
            con.execute("ROLLBACK")
        except Exception:  # noqa: BLE001
            pass
        log.error("could not mark the unstored sources as failed either: %s", exc)


def _stored_source(con, name: str, status) -> Optional[Source]:
    if status is not None and status.url and status.kind in ("feed", "page", "sitemap"):
        return Source(name=name, url=status.url, kind=status.kind, language=status.language)
    from trustwatch.warehouse.documents import stored_source

    return stored_source(con, name)


def select_sources(config: Config, source_names: Optional[Iterable[str]] = None) -> list[Source]:
    """The named sources (enabled or not), or every enabled source; unknown names raise KeyError."""
    if source_names:
        return [config.source(n) for n in source_names]
    return config.enabled_sources()


def ingest(config: Config, source_names: Optional[Iterable[str]] = None,
           run_id: Optional[str] = None, *, progress: Optional[ProgressCallback] = None,
           keep_dir: Optional[str | Path] = None) -> IngestReport:
    """Crawl the sources and load what was read: the whole first stage of a monitoring run."""
    from trustwatch.warehouse.db import open_connection
    from trustwatch.warehouse.documents import known_page_urls, stored_validators

    started = time.monotonic()
    sources = select_sources(config, source_names)
    run_id = run_id or f"ingest-{uuid.uuid4().hex[:12]}"
    con = open_connection(config.db_path, lock_timeout=config.warehouse.lock_timeout)
    try:
        validators = stored_validators(con, sources)
        known = known_page_urls(con, _page_fetching(sources))
    finally:
        con.close()  # the crawl may take minutes: do not hold the writer's lock meanwhile
    from trustwatch.spiders.lifeline import mark_owner, sweep

    sweep(tempfile.gettempdir(), "trustwatch-crawl-*")  # left by runs killed outright
    try:
        with tempfile.TemporaryDirectory(prefix="trustwatch-crawl-") as tmp:
            mark_owner(tmp)
            out_dir = Path(keep_dir) if keep_dir else Path(tmp)
            jsonl = crawl_sources(config, sources, out_dir, validators=validators,
                                  known_urls=known, progress=progress)
            if progress is not None:
                progress({"type": "loading"})
            con = open_connection(config.db_path, lock_timeout=config.warehouse.lock_timeout)
            try:
                report = load_crawl(con, jsonl, run_id=run_id, sources=sources)
            finally:
                con.close()
    except CrawlNotStored as exc:
        report = exc.report
    except OSError as exc:  # the crawl's own files could not be written (a full or read-only disk)
        message = f"the crawl could not be written ({_describe_os_error(exc)}): nothing was stored"
        log.error("%s", message)
        report = _unstored_report([s.name for s in sources], message, run_id)
    report.seconds = time.monotonic() - started
    return report
