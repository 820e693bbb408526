"""Crawl processes die with the process that started them, and leave no folders behind.

A crawl runs in a child process (`python -m trustwatch.spiders.run`, and in a monitoring run
`python -m trustwatch.flows.crawl_worker` above it). When its parent is killed outright
(`kill -9`, the OOM killer) no `finally` runs in the parent, so the child must see to it
itself: on Linux it asks the kernel for SIGKILL when its parent ends (PR_SET_PDEATHSIG), and
it exits at once if the parent is already gone by the time it asks. Parents also start each
child in its own session and kill the whole group on the way out.

Temporary folders record their owner (pid and process start time); a later run removes
those whose owner is gone.
"""
from __future__ import annotations

import ctypes
import json
import os
import shutil
import signal
import sys
import time
from pathlib import Path
from typing import Optional

#: the pid a child expects as its parent (set by the parent when it starts the child)
PARENT_ENV = "TRUSTWATCH_PARENT_PID"
OWNER_FILE = "_owner.json"
_PR_SET_PDEATHSIG = 1


def child_env(env: Optional[dict] = None) -> dict:
    """The environment for a child that should die with this process."""
    env = dict(os.environ if env is None else env)
    env[PARENT_ENV] = str(os.getpid())
    return env


def die_with_parent() -> None:
    """In a child: be killed when the parent ends, however it ends (Linux), and exit now if it
    has ended already."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    expected = os.environ.get(PARENT_ENV, "")
    if expected.isdigit() and os.getppid() != int(expected):
        os._exit(70)  # the parent died before we could ask: nobody wants this crawl


def kill_group(pid: int, sig: int = signal.SIGKILL) -> None:
    """Signal the process group led by `pid` (a child started with start_new_session=True)."""
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def process_identity(pid: int) -> Optional[str]:
    """pid plus start time, so a reused pid is not mistaken for the owner; None when gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
        return f"{pid}:{fields[19].decode()}"  # field 22, starttime in clock ticks
    except (OSError, IndexError):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass
        return f"{pid}:?"


def mark_owner(folder: str | Path) -> None:
    """Record this process as the owner of `folder`."""
    folder = Path(folder)
    (folder / OWNER_FILE).write_text(json.dumps({"pid": os.getpid(), "id": process_identity(os.getpid()),
                                                 "since": time.time()}), encoding="utf-8")


def owner_gone(folder: str | Path, unowned_after: float = 86400.0) -> bool:
    """Whether the process that made `folder` has ended (a folder without an owner record
    counts as abandoned once it is `unowned_after` seconds old)."""
    folder = Path(folder)
    try:
        owner = json.loads((folder / OWNER_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        try:
            return time.time() - folder.stat().st_mtime > unowned_after
        except OSError:
            return False
    except (OSError, ValueError):
        return False
    pid = owner.get("pid")
    if not isinstance(pid, int):
        return False
    now = process_identity(pid)
    if now is None:
        return True
    recorded = owner.get("id")
    return bool(recorded) and not recorded.endswith(":?") and not now.endswith(":?") and now != recorded


def sweep(parent: str | Path, pattern: str) -> list[Path]:
    """Remove the folders matching `pattern` under `parent` whose owner has ended."""
    removed = []
    try:
        candidates = list(Path(parent).glob(pattern))
    except OSError:
        return removed
    uid = os.getuid()
    for folder in candidates:
        try:
            if not folder.is_dir() or folder.stat().st_uid != uid:
                continue
        except OSError:
            continue
        if owner_gone(folder):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed
