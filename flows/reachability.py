"""Is any source reachable at all? A few seconds of TCP connects before a run starts crawling.

On a machine without a network every crawl fails only after its own DNS and connect time-outs
and retries, which made an offline run last minutes. Here every source's host (or the proxy a
crawl would go through) is resolved and connected to in parallel, within one overall budget;
when none answers the run does not crawl, and says so in one line.
"""
from __future__ import annotations

import socket
import threading
import time
import urllib.request
from dataclasses import dataclass
from typing import Iterable, Optional
from urllib.parse import urlsplit

#: seconds for each TCP connect, and for the whole probe (DNS included)
CONNECT_TIMEOUT = 5.0
PROBE_BUDGET = 10.0
OFFLINE_MESSAGE = "no source could be reached: is this machine offline?"


@dataclass
class Target:
    host: str
    port: int
    via_proxy: bool = False


def target_for(url: str) -> Optional[Target]:
    """Where a crawl of `url` first connects: its host, or the proxy the environment names."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return None
    if not host or parts.scheme not in ("http", "https"):
        return None
    proxies = urllib.request.getproxies()
    proxy = proxies.get(parts.scheme) or proxies.get("all")
    if proxy and not urllib.request.proxy_bypass(host):
        p = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        if p.hostname:
            return Target(p.hostname, p.port or 80, via_proxy=True)
    return Target(host, port)


def _connect(target: Target, timeout: float) -> Optional[str]:
    """None when the host accepted a connection, else why not (in the crawler's words)."""
    try:
        infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        what = "proxy" if target.via_proxy else "host"
        return f"DNS lookup failed: {what} {target.host} not found"
    last = "no address"
    for family, kind, proto, _, addr in infos[:4]:
        try:
            with socket.socket(family, kind, proto) as s:
                s.settimeout(timeout)
                s.connect(addr)
            return None
        except ConnectionRefusedError:
            last = "connection refused"
        except (socket.timeout, TimeoutError):
            last = f"no answer within {timeout:.0f}s"
        except OSError as exc:
            last = exc.strerror or type(exc).__name__
    return last


def probe(urls: Iterable[tuple[str, str]], *, connect_timeout: float = CONNECT_TIMEOUT,
          budget: float = PROBE_BUDGET) -> dict[str, Optional[str]]:
    """source name -> None (its host answered) or the reason it did not, within `budget` seconds.

    Each distinct host is tried once, in a daemon thread, so a resolver that never answers
    cannot hold the run (or its exit) beyond the budget.
    """
    targets: dict[tuple[str, int, bool], list[str]] = {}
    results: dict[str, Optional[str]] = {}
    for name, url in urls:
        t = target_for(url)
        if t is None:
            results[name] = "not an http(s) URL"
            continue
        targets.setdefault((t.host, t.port, t.via_proxy), []).append(name)
    outcome: dict[tuple[str, int, bool], Optional[str]] = {}
    threads = []
    for key in targets:
        def work(key=key):
            outcome[key] = _connect(Target(*key), connect_timeout)
        th = threading.Thread(target=work, name=f"probe-{key[0]}", daemon=True)
        th.start()
        threads.append(th)
    deadline = time.monotonic() + budget
    for th in threads:
        th.join(max(0.0, deadline - time.monotonic()))
    for key, names in targets.items():
        reason = outcome.get(key, f"no answer from {key[0]} within {budget:.0f}s")
        for name in names:
            results[name] = reason
    return results
