"""Reports name a CJK font family before the generic fallback, so Chinese evidence renders as
text in browsers and in the PDF (scripts/test installs fonts-noto-cjk) instead of as boxes."""
from __future__ import annotations

import re

from tests.core.report_fixtures import load_fixture
from trustwatch.report.data import build_report
from trustwatch.report.render import render_html
from trustwatch.warehouse.db import open_connection

CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Micro Hei",
                "Microsoft YaHei", "PingFang SC")


def test_every_font_stack_of_the_html_report_falls_back_to_cjk_fonts(tmp_path):
    con = open_connection(tmp_path / "w.duckdb")
    try:
        load_fixture(con)
        html = render_html(build_report(con))
    finally:
        con.close()
    stacks = re.findall(r"font-family:\s*([^;]+);", html)
    assert stacks
    for stack in stacks:
        families = [f.strip().strip('"') for f in stack.split(",")]
        assert families[-1] == "sans-serif", stack
        assert [f for f in families if f in CJK_FAMILIES] == list(CJK_FAMILIES), stack
