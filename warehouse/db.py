"""Opening the DuckDB warehouse: migrations, the single writer, and bounded waits on its lock.

DuckDB lets one process hold a database file for writing. A second process that opens it
gets an IOException at once; we retry for a bounded time and then say clearly who holds it.
"""
from __future__ import annotations

import logging
import re
import time
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Iterator, Optional

import duckdb

log = logging.getLogger(__name__)

DEFAULT_LOCK_TIMEOUT = 30.0


class WarehouseLocked(RuntimeError):
    """Another process holds the warehouse file for writing."""


class WarehouseError(RuntimeError):
    """The warehouse file cannot be opened or migrated."""


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) of every migration shipped with the package, in order."""
    found = []
    folder = resources.files("trustwatch.warehouse").joinpath("migrations")
    for entry in folder.iterdir():
        m = re.match(r"^(\d{4})_(\w+)\.sql$", entry.name)
        if m:
            found.append((int(m.group(1)), m.group(2), entry.read_text(encoding="utf-8")))
    found.sort()
    versions = [v for v, _, _ in found]
    if len(set(versions)) != len(versions):
        raise WarehouseError(f"two migrations share a version number: {versions}")
    return found


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migrations'"
    ).fetchall()[0][0]
    if not exists:
        return 0
    rows = con.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchall()
    return int(rows[0][0])


def migrate(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Apply pending migrations, each in its own transaction. Returns the versions applied."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
        " applied_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'))"
    )
    current = schema_version(con)
    applied = []
    for version, name, sql in migrations():
        if version <= current:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(sql)
            con.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [version, name])
            con.execute("COMMIT")
        except Exception as exc:
            con.execute("ROLLBACK")
            raise WarehouseError(f"migration {version:04d}_{name} failed: {exc}") from exc
        log.info("applied migration %04d_%s", version, name)
        applied.append(version)
    return applied


def _holder(message: str) -> str:
    """Who holds the DuckDB file, from the lock error: trustwatch or some other program."""
    found = re.search(r"PID (\d+)", message)
    if not found:
        return "another process"
    pid = int(found.group(1))
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            argv = [a.decode("utf-8", "replace") for a in fh.read().split(b"\0") if a]
    except OSError:
        argv = []
    if not argv:
        return f"another process (PID {pid})"
    command = " ".join(argv)
    names = [Path(a).name for a in argv[:3]]
    if any(n == "trustwatch" or n.startswith("trustwatch.") for n in names):
        return f"another trustwatch process (PID {pid})"
    shown = command if len(command) <= 80 else command[:77] + "..."
    return f"another program (PID {pid}: {shown})"


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc).lower()
    return "lock" in text and ("could not set lock" in text or "conflicting lock" in text or "lock on file" in text)


def open_connection(
    path: str | Path,
    *,
    read_only: bool = False,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    apply_migrations: bool = True,
    config: Optional[dict] = None,
) -> duckdb.DuckDBPyConnection:
    """Open the warehouse, waiting at most `lock_timeout` seconds for another writer to finish.

    `config` is passed to DuckDB (e.g. `enable_external_access`) for this connection.
    """
    path = Path(path)
    if read_only and not path.exists():
        raise WarehouseError(f"no warehouse at {path}: run `trustwatch init` or `trustwatch ingest` first")
    if not read_only:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise WarehouseError(f"cannot create the folder of warehouse {path}: {exc.strerror or exc}") from exc
    deadline = time.monotonic() + lock_timeout
    delay = 0.05
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only, config=dict(config or {}))
            break
        except duckdb.IOException as exc:
            if not _is_lock_error(exc):
                raise WarehouseError(f"cannot open warehouse {path}: {exc}") from exc
            if time.monotonic() >= deadline:
                raise WarehouseLocked(
                    f"warehouse {path} is in use by {_holder(str(exc))}; gave up after "
                    f"{lock_timeout:.0f}s. Try again when it has finished (or close it)."
                ) from exc
            time.sleep(delay)
            delay = min(delay * 2, 1.0)
    if apply_migrations and not read_only:
        migrate(con)
    return con


@contextmanager
def connect(path: str | Path, *, read_only: bool = False,
            lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> Iterator[duckdb.DuckDBPyConnection]:
    """Context-managed `open_connection`; the file lock is released on exit."""
    con = open_connection(path, read_only=read_only, lock_timeout=lock_timeout)
    try:
        yield con
    finally:
        con.close()
