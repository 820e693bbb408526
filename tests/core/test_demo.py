"""`trustwatch demo`: invented sample feeds served on 127.0.0.1, the whole pipeline, a report."""
from __future__ import annotations

from pathlib import Path

import duckdb
from typer.testing import CliRunner

from trustwatch.cli import app
from trustwatch.demo.server import DemoServer, render_feed

runner = CliRunner()


def test_demo_feeds_are_dated_relative_to_today_and_name_the_local_server():
    from datetime import date

    text = render_feed("<a href='{base}/x'>{day:2} {zhday:2} {date:0}</a>", "http://127.0.0.1:1", date(2026, 3, 5))
    assert text == "<a href='http://127.0.0.1:1/x'>March 3 3月3日 Thu, 05 Mar 2026 08:30:00 +0000</a>"
    with DemoServer(today=date(2026, 3, 5)) as server:
        assert server.base.startswith("http://127.0.0.1:")
        import urllib.request
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        body = opener.open(server.feed_url("demo-zh-news"), timeout=10).read().decode("utf-8")
    assert "市场监管总局" in body and "{" not in body


def test_demo_runs_the_whole_pipeline_into_its_folder_and_prints_the_report(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TRUSTWATCH_CONFIG", raising=False)
    monkeypatch.delenv("TRUSTWATCH_DB", raising=False)
    result = runner.invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    report = Path(result.stdout.strip().splitlines()[-1])
    assert report.is_file() and report.is_relative_to(tmp_path / "trustwatch-demo")
    html = report.read_text(encoding="utf-8")
    assert "ShopNest" in html and "No incidents were found" not in html
    with duckdb.connect(str(tmp_path / "trustwatch-demo" / "trustwatch.duckdb"), read_only=True) as con:
        n_incidents = con.execute("SELECT count(*) FROM incidents").fetchone()[0]
        languages = {r[0] for r in con.execute("SELECT DISTINCT language FROM documents").fetchall()}
        types = {r[0] for r in con.execute("SELECT DISTINCT type FROM incidents").fetchall()}
        title, text = con.execute("SELECT title, text FROM documents WHERE url LIKE '%shopnest-apology'").fetchone()
    # content:encoded keeps its two paragraphs, and the headline is not glued to the first one
    assert text.count("\n\n") == 1 and not text.startswith(title)
    assert n_incidents >= 5 and {"en", "zh"} <= languages and {"LAWSUIT", "BREACH"} <= types
    feed = (tmp_path / "trustwatch-demo" / "alerts" / "shopnest.atom").read_text(encoding="utf-8")
    assert "<entry>" in feed and "ShopNest" in feed
    assert not (tmp_path / "trustwatch.duckdb").exists()  # nothing outside the demo's folder
