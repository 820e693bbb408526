"""`trustwatch demo`: fetch the bundled sample feeds from 127.0.0.1, extract, group, report.

Everything lands in one folder (default `./trustwatch-demo/`): its own trustwatch.toml,
warehouse, report and an Atom feed of the demo watch's alerts. No network beyond 127.0.0.1 is
used, so it works on a machine without internet. Run again, it starts from a fresh warehouse.
"""
from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from trustwatch.demo.server import FEEDS, DemoServer

log = logging.getLogger(__name__)


@dataclass
class DemoResult:
    folder: Path
    report: Path
    documents: int = 0
    events: int = 0
    incidents: int = 0
    alerts: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)


def demo_config_text(folder: Path, server: DemoServer) -> str:
    """A configuration of the demo's feeds; paths are absolute so it reads from anywhere."""
    q = json.dumps  # TOML basic strings accept JSON string escapes
    lines = [
        "# trustwatch demo: invented sample feeds served on 127.0.0.1 by `trustwatch demo`.",
        "[warehouse]", f"path = {q(str(folder / 'trustwatch.duckdb'))}", "",
        "[crawl]", "download_delay = 0.0", "autothrottle = false", "retries = 0", "timeout = 10",
        "source_timeout = 120", "",
        "[report]", f"output_dir = {q(str(folder / 'reports'))}", "",
        "[alerts]", f"feed_dir = {q(str(folder / 'alerts'))}", "",
        "[[watches]]", 'name = "shopnest"', 'actors = ["ShopNest"]', "feed = true", "",
    ]
    for name, (_, language) in FEEDS.items():
        lines += ["[[sources]]", f"name = {q(name)}", f"url = {q(server.feed_url(name))}", 'kind = "feed"',
                  f"language = {q(language)}", ""]
    return "\n".join(lines)


def run_demo(folder: str | Path = "trustwatch-demo") -> DemoResult:
    """Serve the sample feeds, run ingest -> process -> alerts -> report into `folder`."""
    from trustwatch.alerts.deliver import deliver_for_config
    from trustwatch.config import parse_config
    from trustwatch.ingest import ingest
    from trustwatch.report.generate import generate_report
    from trustwatch.warehouse.process import process

    started = time.monotonic()
    folder = Path(folder).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    for stale in (folder / "trustwatch.duckdb", folder / "trustwatch.duckdb.wal"):
        stale.unlink(missing_ok=True)  # a fresh start each time: the demo shows a first run
    with DemoServer() as server:
        text = demo_config_text(folder, server)
        config_path = folder / "trustwatch.toml"
        config_path.write_text(text, encoding="utf-8")
        config = parse_config(text, config_path)
        fetched = ingest(config)
    result = DemoResult(folder=folder, report=folder / "reports" / "trustwatch-demo-report.html")
    result.documents = fetched.new
    result.problems += [f"{s.name}: {'; '.join(s.errors)}" for s in fetched.sources if s.failed]
    processed = process(config)
    result.events = processed.events
    result.incidents = processed.incidents.incidents if processed.incidents else 0
    result.problems += processed.errors
    result.alerts = deliver_for_config(config).delivered
    generate_report(config, result.report, "html", all_time=True)
    result.seconds = time.monotonic() - started
    return result
