"""Default report file names: one per report, never overwriting an earlier one of the same minute."""
from __future__ import annotations

from datetime import datetime

from trustwatch.config import Config
from trustwatch.report.generate import default_output


def test_a_second_report_in_the_same_minute_gets_its_own_file(tmp_path):
    cfg = Config()
    cfg.report.output_dir = str(tmp_path)
    now = datetime(2026, 11, 30, 8, 33, 5)
    first = default_output(cfg, "md", now)
    assert first.name == "trustwatch-report-2026-11-30-0833.md"
    first.write_text("first", encoding="utf-8")
    second = default_output(cfg, "md", now)
    assert second.name == "trustwatch-report-2026-11-30-0833-2.md"
    assert first.read_text(encoding="utf-8") == "first"
