"""Every format carries the same incidents; web text is escaped for each; files are written atomically."""
from __future__ import annotations

import csv
import io
import json
import re
import threading
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from tests.core.report_fixtures import load_fixture
from trustwatch.report import chart as chart_mod
from trustwatch.report import render as render_mod
from trustwatch.report.data import SourceProblem, build_report
from trustwatch.report.render import (CSV_COLUMNS, FORMATS, ReportFormatError, md_escape, md_link,
                                      render_csv, render_html, render_json, render_markdown, render_report)
from trustwatch.warehouse.db import open_connection


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    con = open_connection(tmp_path_factory.mktemp("wh") / "w.duckdb")
    load_fixture(con)
    load_fixture(con, "hostile.json")
    d = build_report(con)
    con.close()
    return d


@pytest.fixture(scope="module")
def empty(tmp_path_factory):
    con = open_connection(tmp_path_factory.mktemp("wh") / "e.duckdb")
    load_fixture(con)
    d = build_report(con, since="2031-01-01", until="2031-01-31")
    con.close()
    return d


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def _parse(html: str) -> _Tags:
    p = _Tags()
    p.feed(html)
    return p


def test_formats_carry_the_same_incidents(data, tmp_path):
    ids = [it.incident_id for it in data.incidents]
    for fmt in ("csv", "json"):
        render_report(data, fmt, tmp_path / f"r.{fmt}")
    rows = list(csv.DictReader(io.StringIO((tmp_path / "r.csv").read_text(encoding="utf-8"))))
    doc = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    csv_ids = [r["incident_id"].lstrip("'") for r in rows]
    assert csv_ids == ids
    assert [i["incident_id"] for i in doc["incidents"]] == ids
    assert list(rows[0].keys()) == list(CSV_COLUMNS)
    # same facts in both
    for row, obj in zip(rows, doc["incidents"]):
        assert row["type"] == obj["type"] and int(row["n_sources"]) == obj["n_sources"]
        assert row["date"] == (obj["date"] or "")
    html_text = " ".join(_parse(render_html(data)).text)
    md = render_markdown(data)
    for it in data.incidents:
        assert it.headline in html_text
        assert md_escape(it.headline) in md


def test_json_report_has_summary_storylines_and_footer(data):
    doc = json.loads(render_json(data))
    assert doc["summary"]["n_incidents"] == len(data.incidents)
    assert {s["storyline_id"] for s in doc["storylines"]} == {s.storyline_id for s in data.storylines}
    assert doc["report"]["extractor_versions"] == ["fixture-1"]
    assert {s["name"] for s in doc["report"]["sources_covered"]} >= {"harbor-tech-news", "civic-ledger"}
    fine = next(i for i in doc["incidents"] if i["incident_id"] == "inc-chirper-fine")
    assert fine["amount_value"] == 4200000 and fine["amount_currency"] == "EUR"
    assert [e["sources"][0]["source"] for e in fine["evidence"]][:1] == ["eastmark-dpb-press"]


def test_html_is_self_contained(data):
    html = render_html(data)
    parsed = _parse(html)
    tags = {t for t, _ in parsed.tags}
    assert "script" not in tags and "iframe" not in tags and "img" not in tags and "object" not in tags
    for tag, attrs in parsed.tags:
        if tag == "link":
            assert attrs.get("href", "").startswith("data:"), attrs
        for name in ("src", "srcset", "poster", "background"):
            assert name not in attrs, (tag, attrs)
        if "href" in attrs and tag == "a":
            assert attrs["href"].startswith(("#", "https://", "http://")), attrs
        if tag in ("use", "image") and ("href" in attrs or "xlink:href" in attrs):
            assert (attrs.get("href") or attrs.get("xlink:href")).startswith("#"), attrs
    assert not re.search(r"@import|url\(\s*['\"]?(?!#)", html)
    assert "<svg" in html and "Content-Security-Policy" in html


def test_html_escapes_web_text(data):
    html = render_html(data)
    assert "<script>" not in html and "<img" not in html and "<b>evil" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "javascript:" not in html.split("<body>", 1)[1].replace("(javascript:alert(3))", "").replace(
        "(javascript:alert(4))", "")
    assert 'href="data:text' not in html
    texts = " ".join(_parse(html).text)
    assert "<script>alert(1)</script>" in texts  # shown to the reader as text


def test_markdown_escapes_web_text(data):
    md = render_markdown(data)
    assert "<script" not in md and "<img" not in md and "<b>" not in md
    assert not re.search(r"(?<!\\)\]\(javascript", md) and "\\[a link\\]" in md
    assert "(data:" not in md
    assert "\\$x\\$" in md and "\\`code\\`" in md
    assert re.search(r"\]\(https://evil\.example/page\?a=1&b=%22quoted%22\)", md)
    assert md_link("x", "javascript:alert(1)") == "x"
    assert md_link("a*b", "https://a.example/(x)") == "[a\\*b](https://a.example/%28x%29)"


def test_csv_neutralises_spreadsheet_formulas(data):
    rows = list(csv.DictReader(io.StringIO(render_csv(data))))
    hostile = next(r for r in rows if r["type"] == "BAN" and "HYPERLINK" in r["actor"])
    assert hostile["actor"].startswith("'=HYPERLINK")
    for row in rows:
        for col, value in row.items():
            if col not in ("amount_value",):
                assert not value.startswith(("=", "+", "-", "@")), (col, value)


def test_empty_report_says_so_in_every_format(empty, tmp_path):
    for fmt in ("html", "md", "csv", "json"):
        render_report(empty, fmt, tmp_path / f"e.{fmt}")
    html_text = " ".join(_parse((tmp_path / "e.html").read_text(encoding="utf-8")).text)
    assert "No incidents were discovered between 1 Jan 2031 and 31 Jan 2031." in re.sub(r"\s+", " ", html_text)
    assert "<svg" not in (tmp_path / "e.html").read_text(encoding="utf-8")
    assert "No incidents were discovered between" in (tmp_path / "e.md").read_text(encoding="utf-8")
    assert (tmp_path / "e.csv").read_text(encoding="utf-8").strip() == ",".join(CSV_COLUMNS)
    assert json.loads((tmp_path / "e.json").read_text(encoding="utf-8"))["incidents"] == []


def test_an_open_ended_empty_period_reads_as_a_sentence_and_failed_sources_are_listed(tmp_path):
    from datetime import datetime

    con = open_connection(tmp_path / "e.duckdb")
    load_fixture(con)
    d = build_report(con, since="2031-01-01", now=datetime(2031, 1, 8, 9, 0))
    con.close()
    assert d.period_display == "1 Jan 2031 – 8 Jan 2031"
    assert d.empty_message == "No incidents were discovered between 1 Jan 2031 and 8 Jan 2031."
    d.failed_sources = [SourceProblem(name="wire <b>", error="DNS lookup failed: host x not found")]
    d.notice = "no source could be reached: is this machine offline?"
    render_report(d, "html", tmp_path / "e.html")
    html_text = re.sub(r"\s+", " ", " ".join(_parse((tmp_path / "e.html").read_text(encoding="utf-8")).text))
    assert "for from" not in html_text and "is this machine offline?" in html_text
    assert "wire <b>" in html_text and "DNS lookup failed" in html_text
    assert "wire &lt;b&gt;" in (tmp_path / "e.html").read_text(encoding="utf-8")  # text, not markup
    assert "not a sign of a quiet period" in html_text
    render_report(d, "md", tmp_path / "e.md")
    md = (tmp_path / "e.md").read_text(encoding="utf-8")
    assert "DNS lookup failed" in md and "<b>" not in md


def test_write_is_atomic(data, tmp_path, monkeypatch):
    target = tmp_path / "out" / "report.html"
    render_report(data, "html", target)
    before = target.read_bytes()

    def broken(_data, **_kw):
        raise RuntimeError("renderer failed half way")

    monkeypatch.setattr(render_mod, "render_html", broken)
    with pytest.raises(RuntimeError):
        render_report(data, "html", target)
    assert target.read_bytes() == before
    assert sorted(p.name for p in target.parent.iterdir()) == ["report.html"]
    with pytest.raises(ReportFormatError):
        render_report(data, "docx", target)
    assert set(FORMATS) == {"html", "pdf", "md", "csv", "json"}


def test_chart_svg_has_no_text_fonts_or_links(data):
    svg = chart_mod.timeline_svg((it.chart_date, it.type) for it in data.incidents)
    assert svg.startswith("<svg") and "viewBox" in svg
    assert "<text" not in svg and "font-family" not in svg  # text drawn as paths
    assert "<image" not in svg and not re.search(r'href="(?!#)', svg)
    for t in {it.type for it in data.incidents}:
        assert chart_mod.colour_of(t).lower() in svg.lower()
    assert chart_mod.timeline_svg([]) is None


def test_chart_unit_follows_the_span():
    from datetime import date
    assert chart_mod.choose_unit(date(2026, 1, 1), date(2026, 1, 20)) == "day"
    assert chart_mod.choose_unit(date(2026, 1, 1), date(2026, 4, 1)) == "week"
    assert chart_mod.choose_unit(date(2025, 1, 1), date(2026, 4, 1)) == "month"


def test_a_broken_chart_does_not_cost_the_report(data, monkeypatch):
    def boom(_points):
        raise ValueError("no chart today")

    monkeypatch.setattr(render_mod, "timeline_svg", boom)
    html = render_html(data)
    assert "<svg" not in html and "Incidents" in html


def test_pdf_renderer_fetches_nothing(tmp_path):
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/css")
            self.end_headers()
            self.wfile.write(b"body{color:red}")

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        import weasyprint

        base = f"http://127.0.0.1:{server.server_port}"
        fetcher = render_mod._refusing_fetcher()
        html = (f'<link rel="stylesheet" href="{base}/a.css"><img src="{base}/b.png">'
                f'<p style="background: url({base}/c.png)">x</p>')
        pdf = weasyprint.HTML(string=html, base_url="about:blank", url_fetcher=fetcher).write_pdf()
    finally:
        server.shutdown()
    assert pdf.startswith(b"%PDF")
    assert hits == []
    assert len(fetcher.refused) >= 2


def test_a_short_period_is_charted_on_whole_days_over_at_least_a_week():
    from datetime import date

    from matplotlib import dates as mdates

    xs = [mdates.date2num(date(2026, 11, 30))]
    lo, hi = chart_mod.x_limits(xs, 0.8)
    assert hi - lo >= chart_mod.MIN_SPAN_DAYS
    locator, _ = chart_mod.date_axis("day", lo, hi)
    ticks = locator.tick_values(mdates.num2date(lo), mdates.num2date(hi))
    assert 3 <= len(ticks) <= 9 and all(float(t).is_integer() for t in ticks)  # days, never hours
    assert chart_mod.timeline_svg([(date(2026, 11, 30), "FINE")]).startswith("<svg")
