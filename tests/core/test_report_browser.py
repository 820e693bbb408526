"""The HTML report in Debian's headless chromium; the PDF read back with poppler.

Skipped, loudly, when chromium or poppler-utils are not installed (scripts/test installs them).
"""
from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.core.report_fixtures import load_fixture
from trustwatch.report.chart import TYPE_COLOURS
from trustwatch.report.data import build_report
from trustwatch.report.render import render_report
from trustwatch.warehouse.db import open_connection

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="CHROMIUM NOT INSTALLED (apt-get install chromium): browser test skipped")
needs_poppler = pytest.mark.skipif(
    not (shutil.which("pdftoppm") and shutil.which("pdftotext") and shutil.which("pdfinfo")),
    reason="POPPLER-UTILS NOT INSTALLED (apt-get install poppler-utils): PDF test skipped")


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    con = open_connection(out / "w.duckdb")
    load_fixture(con)
    load_fixture(con, "hostile.json")
    data = build_report(con)
    empty = build_report(con, since="2031-01-01", until="2031-01-02")
    con.close()
    render_report(data, "html", out / "report.html")
    return {"dir": out, "data": data, "empty": empty, "html": out / "report.html"}


@pytest.fixture()
def browser_page(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True,
            viewport={"width": 1200, "height": 900})
        events = {"console_errors": [], "page_errors": [], "dialogs": [], "requests": [], "outside": []}

        def on_route(route):
            url = route.request.url
            events["requests"].append(url)
            if url.startswith(("file://", "data:", "about:")):
                route.continue_()
            else:
                events["outside"].append(url)
                route.abort()

        context.route("**/*", on_route)
        page = context.new_page()
        page.on("console", lambda m: events["console_errors"].append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: events["page_errors"].append(str(e)))
        page.on("request", lambda r: events["requests"].append(r.url))

        def on_dialog(dialog):
            events["dialogs"].append(dialog.message)
            dialog.dismiss()

        page.on("dialog", on_dialog)
        try:
            yield page, events
        finally:
            context.close()


def _png(data: bytes):
    from PIL import Image

    return Image.open(io.BytesIO(data)).convert("RGB")


def _pixels(img):
    import numpy as np

    return np.asarray(img, dtype=np.int16).reshape(-1, 3)


def _palette_pixels(img, colour: str, tol: int = 12) -> int:
    target = [int(colour[i:i + 2], 16) for i in (1, 3, 5)]
    return int((abs(_pixels(img) - target).max(axis=1) <= tol).sum())


@needs_chromium
def test_report_loads_with_no_error_no_request_and_no_script(reports, browser_page):
    page, events = browser_page
    page.goto(reports["html"].as_uri(), wait_until="load")
    page.wait_for_timeout(300)
    assert events["console_errors"] == [] and events["page_errors"] == []
    assert events["outside"] == [], f"requests left the file: {events['outside']}"
    assert all(u.startswith(("file://", "data:", "about:")) for u in events["requests"])
    # the hostile page title is shown as text, and nothing it carried ran
    assert events["dialogs"] == []
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.evaluate("document.scripts.length") == 0
    headlines = page.locator("article.incident h3").all_text_contents()
    assert "<script>alert(1)</script>" in headlines
    assert page.locator("article.incident img").count() == 0
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    assert hrefs and all(h.startswith(("#", "http://", "https://")) for h in hrefs)
    # every incident of the report is on the page
    assert len(headlines) == len(reports["data"].incidents)


@needs_chromium
def test_chart_is_visible(reports, browser_page, tmp_path):
    page, _ = browser_page
    page.goto(reports["html"].as_uri(), wait_until="load")
    svg = page.locator("figure.chart svg")
    svg.scroll_into_view_if_needed()
    box = svg.bounding_box()
    assert box and box["width"] > 300 and box["height"] > 100
    shot = svg.screenshot()
    (tmp_path / "chart.png").write_bytes(shot)
    img = _png(shot)
    assert len({tuple(p) for p in _pixels(img)}) > 20  # not a blank area
    present = {it.type for it in reports["data"].incidents}
    for t in present:
        assert _palette_pixels(img, TYPE_COLOURS[t]) > 30, f"no {t} bar drawn"


@needs_chromium
def test_report_fits_a_phone_screen(reports, browser_page):
    page, events = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(reports["html"].as_uri(), wait_until="load")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.locator("figure.chart svg").bounding_box()["height"] > 100
    font_px = page.evaluate("parseFloat(getComputedStyle(document.querySelector('blockquote p')).fontSize)")
    assert font_px >= 14
    assert events["outside"] == []


def _pdf_tools(pdf: Path) -> tuple[int, str]:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    return pages, text


@needs_poppler
def test_pdf_pages_text_and_chart(reports, tmp_path):
    data = reports["data"]
    pdf = tmp_path / "report.pdf"
    render_report(data, "pdf", pdf)
    pages, text = _pdf_tools(pdf)
    assert pages >= 2
    flat = re.sub(r"\s+", " ", text)
    for it in data.incidents:
        assert it.headline in flat, it.headline
    assert "Eastmark Data Protection Board" in flat and "fixture-1" in flat
    assert f"page 1 of {pages}" in flat

    # the chart lies between the "Timeline" heading and its caption, on whichever page it fell
    bbox = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    word = r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>'
    for number, page_xml in enumerate(bbox.split("<page ")[1:], 1):
        words = re.findall(word, page_xml)
        tops = [float(w[3]) for w in words if w[4] == "Timeline"]
        if tops:
            break
    else:
        raise AssertionError("no Timeline heading in the PDF")
    top = tops[0]
    bottom = min(float(w[1]) for w in words if w[4] == "Incidents" and float(w[1]) > top)
    subprocess.run(["pdftoppm", "-f", str(number), "-l", str(number), "-r", "72", "-png", str(pdf),
                    str(tmp_path / "page")], check=True)
    (page_png,) = sorted(tmp_path.glob("page*.png"))
    from PIL import Image

    page = Image.open(page_png).convert("RGB")
    chart = page.crop((0, int(top) + 2, page.width, int(bottom) - 2))
    assert chart.height > 80
    px = _pixels(chart)
    coloured = int(((px.max(axis=1) - px.min(axis=1)) > 60).sum())
    assert coloured > 500, "no coloured bars in the chart area of the PDF"


@needs_poppler
def test_empty_pdf_is_one_page_that_says_so(reports, tmp_path):
    pdf = tmp_path / "empty.pdf"
    render_report(reports["empty"], "pdf", pdf)
    pages, text = _pdf_tools(pdf)
    assert pages == 1
    assert "No incidents were discovered" in re.sub(r"\s+", " ", text)  # the default period: by discovery
