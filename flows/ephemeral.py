"""Prefect's temporary API server for one `trustwatch run`, out of reach of terminal signals.

Without `PREFECT_API_URL`, Prefect starts a temporary server in a subprocess of the run, in the
run's process group. Ctrl-C, or `timeout`/a supervisor signalling the group, then stops the
server at the same moment as the run: the run can no longer record how it ended, and every
Prefect background worker prints tracebacks about a refused connection. Here the server starts
in its own session, so only the run decides when it stops (at exit, after the run has recorded
itself and Prefect has flushed its events); on Linux it is also told to stop if the run dies
without cleaning up (SIGKILL), so no server is left behind.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import signal
import subprocess
import sys
from typing import Any, Optional

log = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def _server_class():
    import prefect
    from prefect.server.api.server import SubprocessASGIServer
    from prefect.settings import get_current_settings

    class DetachedServer(SubprocessASGIServer):
        """Prefect's temporary server, started in a session of its own."""

        def _run_uvicorn_command(self) -> subprocess.Popen[Any]:
            env = {
                **os.environ,
                "PREFECT_UI_ENABLED": "0",
                "PREFECT__SERVER_EPHEMERAL": "1",
                "PREFECT__SERVER_FINAL": "1",
                **get_current_settings().to_environment_variables(exclude_unset=True),
            }
            args = [sys.executable, "-m", "uvicorn", "--app-dir", str(prefect.__module_path__.parent),
                    "--factory", "prefect.server.api.server:create_app", "--host", "127.0.0.1",
                    "--port", str(self.port), "--log-level", "error", "--lifespan", "on"]
            linux = sys.platform.startswith("linux")
            return subprocess.Popen(args, env=env, stdin=subprocess.DEVNULL, start_new_session=True,
                                    preexec_fn=die_with_parent if linux else None)

    return DetachedServer


def start_detached_ephemeral_server() -> Optional[str]:
    """Start the temporary server for this process unless a Prefect API is configured.

    Returns its API URL, or None when `PREFECT_API_URL` names a server (nothing to start).
    Prefect's own clients find this server: it is the instance Prefect's ephemeral mode uses
    (one per process), and it stops when the process exits.
    """
    from prefect.server.api.server import SubprocessASGIServer
    from prefect.settings import PREFECT_API_URL

    if PREFECT_API_URL.value():
        return None
    existing = SubprocessASGIServer._instances.get(None)
    if existing is not None and existing.running:
        return existing.api_url  # already started (by Prefect or an earlier run in this process)
    server = _server_class()()  # registers itself as the process's temporary server
    server.start()
    return server.api_url


class EarlyServer:
    """The temporary server started before `prefect` is imported by this process.

    Importing Prefect's server module costs as much as the server's own start-up; starting the
    server's process first lets the two overlap with this process importing the flows, so a
    `trustwatch run` pays Prefect's start-up once. The server runs in a session of its own (as
    above) and is stopped when this process exits.
    """

    def __init__(self) -> None:
        import importlib.util
        import socket

        spec = importlib.util.find_spec("prefect")
        if spec is None or not spec.submodule_search_locations:
            raise RuntimeError("prefect is not installed")
        app_dir = os.path.dirname(list(spec.submodule_search_locations)[0])
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        env = {**os.environ, "PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1",
               "PREFECT__SERVER_FINAL": "1"}
        env.pop("PREFECT_API_URL", None)
        args = [sys.executable, "-m", "uvicorn", "--app-dir", app_dir, "--factory",
                "prefect.server.api.server:create_app", "--host", "127.0.0.1", "--port", str(self.port),
                "--log-level", "error", "--lifespan", "on"]
        linux = sys.platform.startswith("linux")
        self.process = subprocess.Popen(args, env=env, stdin=subprocess.DEVNULL, start_new_session=True,
                                        preexec_fn=die_with_parent if linux else None)
        self.api_url = f"http://127.0.0.1:{self.port}/api"
        import atexit

        atexit.register(self.stop)  # registered before Prefect's own exit hooks: runs after them

    def wait_ready(self, timeout: float) -> None:
        """Return once the server answers; RuntimeError if it died or stayed silent `timeout` s."""
        import time
        import urllib.request

        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Prefect's temporary server exited with status {self.process.returncode}")
            try:
                with opener.open(f"{self.api_url}/health", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"Prefect's temporary server did not start within {timeout:.0f}s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def start_early_server() -> Optional[EarlyServer]:
    """Start the temporary server now, unless a server is configured or Prefect is imported
    already (its settings were read then, and its own ephemeral mode takes over)."""
    from trustwatch.flows.settings import _profile_has

    if "prefect" in sys.modules or os.environ.get("PREFECT_API_URL") or _profile_has("PREFECT_API_URL"):
        return None
    server = EarlyServer()
    os.environ["PREFECT_API_URL"] = server.api_url  # read when Prefect is imported, next
    return server
