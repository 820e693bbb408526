#!/usr/bin/env python
"""Build docs/example-report.html and docs/example-report.png from invented incidents.

The incidents (tests/core/fixtures/report/incidents.json) are made up for trustwatch; no
article text is used. A temporary warehouse is filled with them, an earlier report is
recorded (so the example shows what is "new"), and the report is rendered, then
photographed in headless chromium when it is installed.

    .venv/bin/python scripts/example_report.py [--out docs]
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.core.report_fixtures import load_fixture  # noqa: E402
from trustwatch.report.data import build_report, record_report  # noqa: E402
from trustwatch.report.render import render_report  # noqa: E402
from trustwatch.warehouse.db import open_connection  # noqa: E402

EARLIER_REPORT = datetime(2026, 11, 12, 7, 0)
NOW = datetime(2026, 11, 26, 7, 0)
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def build(out: Path) -> Path:
    with tempfile.TemporaryDirectory() as tmp:
        con = open_connection(Path(tmp) / "example.duckdb")
        load_fixture(con)
        record_report(con, build_report(con, now=EARLIER_REPORT), "html", "earlier.html")
        data = build_report(con, now=NOW)
        con.close()
    data.report_id = "example"
    return render_report(data, "html", out / "example-report.html")


def photograph(html: Path, png: Path) -> bool:
    chromium = shutil.which("chromium")
    if not chromium:
        print("chromium is not installed: the PNG was not updated", file=sys.stderr)
        return False
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as profile, sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            profile, executable_path=chromium, args=CHROMIUM_ARGS, headless=True,
            viewport={"width": 1000, "height": 2300}, device_scale_factor=1)
        context.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:"))
                      else r.abort())
        page = context.new_page()
        page.goto(html.resolve().as_uri(), wait_until="load")
        page.screenshot(path=str(png), full_page=False)
        context.close()
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    html = build(args.out)
    print(html)
    if photograph(html, args.out / "example-report.png"):
        print(args.out / "example-report.png")


if __name__ == "__main__":
    main()
