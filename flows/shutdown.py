"""Stopping between writes: SIGTERM/SIGINT received during a write is acted on after it.

A served run is stopped with SIGTERM (by `trustwatch serve` on shutdown, by a worker on
cancellation). Prefect turns that signal into an exception in the main thread, which could
land between two statements of a load. Inside `writes_complete_first()` the signal is only
noted; it is re-delivered to the previous handler once the write section has finished and the
warehouse lock is released.
"""
from __future__ import annotations

import signal
import threading

from trustwatch.warehouse.writer import writes_complete_first  # noqa: F401  (used by the flows)


def raise_on_sigterm() -> None:
    """For one-off runs: turn SIGTERM into SystemExit so that `finally` blocks run."""
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
        def stop(signum, frame):  # noqa: ARG001
            raise SystemExit(128 + signum)
        signal.signal(signal.SIGTERM, stop)
