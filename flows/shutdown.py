"""Stopping between writes: SIGTERM/SIGINT received during a write is acted on after it.

A served run is stopped with SIGTERM (by `trustwatch serve` on shutdown, by a worker on
cancellation). Prefect turns that signal into an exception in the main thread, which could
land between two statements of a load. Inside `writes_complete_first()` the signal is only
noted; it is re-delivered to the previous handler once the write section has finished and the
warehouse lock is released.
"""
from __future__ import annotations

import logging
import signal
import threading
from contextlib import contextmanager
from typing import Iterator

log = logging.getLogger(__name__)

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


def raise_on_sigterm() -> None:
    """For one-off runs: turn SIGTERM into SystemExit so that `finally` blocks run."""
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
        def stop(signum, frame):  # noqa: ARG001
            raise SystemExit(128 + signum)
        signal.signal(signal.SIGTERM, stop)
