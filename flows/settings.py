"""Prefect defaults for a tool that runs unattended, often without internet or a server.

Each value is only a default: a variable the user has set (in the environment or with
`prefect config set`, which Prefect reads from its profile) is never overridden. They must be
applied before `prefect` is imported, because Prefect reads its logging settings at import.
"""
from __future__ import annotations

import os

#: always sensible for trustwatch
BASE_DEFAULTS = {
    # the analytics ping fails noisily on machines without internet
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    # the temporary server of ephemeral mode can take half a minute on a busy small machine
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
    "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
    # the pipeline keeps its own results in the warehouse
    "PREFECT_RESULTS_PERSIST_BY_DEFAULT": "false",
}

#: for one-off runs from a terminal: trustwatch prints the run's summary, every source's error
#: included, so Prefect's per-task tracebacks (a refused connection is expected) stay quiet
QUIET_DEFAULTS = {
    "PREFECT_LOGGING_LEVEL": "CRITICAL",
}


def _profile_has(name: str) -> bool:
    """Whether the active Prefect profile (`prefect config set`) sets `name`."""
    home = os.environ.get("PREFECT_HOME") or os.path.join(os.path.expanduser("~"), ".prefect")
    path = os.environ.get("PREFECT_PROFILES_PATH") or os.path.join(home, "profiles.toml")
    try:
        import tomllib

        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except (OSError, ValueError):
        return False
    active = os.environ.get("PREFECT_PROFILE") or data.get("active", "ephemeral")
    return name in (data.get("profiles", {}).get(active, {}) or {})


def apply_prefect_defaults(quiet: bool = False) -> dict[str, str]:
    """Set the defaults the user has not chosen; returns the ones that were applied."""
    wanted = dict(BASE_DEFAULTS)
    if quiet:
        wanted.update(QUIET_DEFAULTS)
    applied = {}
    for name, value in wanted.items():
        if name in os.environ or _profile_has(name):
            continue
        os.environ[name] = value
        applied[name] = value
    return applied
