"""One writer at a time, for every writer (commands and flows): a lock file beside the DuckDB
file, taken with a bounded wait.

DuckDB already refuses a second *process* that opens the file for writing, but two runs in
one process (threads of `trustwatch serve`) share the database instance, and a run should give
up cleanly instead of failing half way. So every write phase of a run holds
`<warehouse>.lock` (an `fcntl.flock` on its own open file, which also excludes other threads).

The kernel drops a flock when its holder exits, however it exits, so a lock file left behind by
a crashed run is stale by construction and is simply taken over; its content (who held it,
since when) is only there to make the "busy" message useful.
"""
from __future__ import annotations

import fcntl
import json
import logging
import os
import signal
import socket
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Optional

from trustwatch.warehouse.db import WarehouseLocked, open_connection

if TYPE_CHECKING:
    import duckdb

log = logging.getLogger(__name__)


class WriterLockTimeout(WarehouseLocked):
    """Another run held the warehouse for longer than we were willing to wait."""

    def __init__(self, lock_path: Path, waited: float, holder: Optional[dict]):
        self.lock_path = lock_path
        self.waited = waited
        self.holder = holder or {}
        who = ""
        if self.holder:
            who = (f" by run {self.holder.get('run_id') or '?'} (process {self.holder.get('pid')}"
                   f" on {self.holder.get('host')}, since {self.holder.get('since')})")
        super().__init__(
            f"the warehouse is busy: {lock_path} is held{who}; gave up after {waited:.0f}s. "
            "Nothing was lost: this run's crawl is kept and loaded by the next run.")


_SIGNALS = (signal.SIGTERM, signal.SIGINT)


@contextmanager
def writes_complete_first() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        # handlers can only be set from the main thread; writes run there (see flows/tasks.py)
        yield
        return
    pending: list[int] = []
    previous = {}

    def note(signum, frame):  # noqa: ARG001
        log.warning("signal %s received during a write; stopping once it is committed", signum)
        pending.append(signum)

    for sig in _SIGNALS:
        previous[sig] = signal.getsignal(sig)
        signal.signal(sig, note)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if pending:
            _redeliver(pending[0], previous[pending[0]])


def _redeliver(signum: int, handler) -> None:
    if callable(handler):
        handler(signum, None)
    elif handler == signal.SIG_DFL:
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        signal.raise_signal(signum)


def lock_path_for(db_path: str | Path) -> Path:
    db_path = Path(db_path)
    return db_path.with_name(db_path.name + ".lock")


@dataclass
class WriterLock:
    """An exclusive, non-reentrant lock on `path`, waiting at most `timeout` seconds."""

    path: Path
    timeout: float = 30.0
    run_id: Optional[str] = None
    _fd: Optional[int] = None

    @classmethod
    def for_warehouse(cls, db_path: str | Path, timeout: float = 30.0,
                      run_id: Optional[str] = None) -> "WriterLock":
        return cls(lock_path_for(db_path), timeout=timeout, run_id=run_id)

    @property
    def held(self) -> bool:
        return self._fd is not None

    def holder(self) -> Optional[dict]:
        """What the current (or last) holder wrote into the lock file."""
        try:
            text = self.path.read_text(encoding="utf-8").strip()
            return json.loads(text) if text else None
        except (OSError, ValueError):
            return None

    def acquire(self) -> "WriterLock":
        if self._fd is not None:
            raise RuntimeError(f"{self.path} is already held by this lock object")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        start = time.monotonic()
        delay = 0.02
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    waited = time.monotonic() - start
                    if waited >= self.timeout:
                        raise WriterLockTimeout(self.path, waited, self.holder()) from None
                    time.sleep(min(delay, max(self.timeout - waited, 0.001)))
                    delay = min(delay * 2, 0.5)
        except BaseException:
            os.close(fd)
            raise
        # taken: replace whatever a previous (possibly crashed) holder left in the file
        info = {"pid": os.getpid(), "host": socket.gethostname(), "run_id": self.run_id,
                "since": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            os.ftruncate(fd, 0)  # no holder any more
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def __enter__(self) -> "WriterLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


@contextmanager
def warehouse_writer(db_path: str | Path, timeout: float = 30.0,
                     run_id: Optional[str] = None) -> Iterator["duckdb.DuckDBPyConnection"]:
    """Hold the writer lock, open the warehouse (migrated), and finish writes before stopping.

    Raises WriterLockTimeout (a WarehouseLocked) when another writer holds the lock longer
    than `timeout`.
    """

    with WriterLock.for_warehouse(db_path, timeout=timeout, run_id=run_id):
        with writes_complete_first():
            # we are the only trustwatch writer now; DuckDB's own wait only covers other tools
            con = open_connection(db_path, lock_timeout=timeout)
            # the migration check can leave a half-read result behind, which makes DuckDB 2
            # refuse the next register(); drop it
            con.abort()
            try:
                yield con
            finally:
                con.close()
