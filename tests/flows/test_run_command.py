"""`trustwatch run`: one monitoring run from the command line, its summary and exit status."""
from __future__ import annotations

import pytest
from typer.testing import CliRunner

from tests.flows.flowhelpers import good_sources, query, write_config

pytestmark = pytest.mark.timeout(900)


def test_run_reports_sources_incidents_and_exit_status(prefect_harness, feed_server, tmp_path):
    from trustwatch.cli import app

    cfg = write_config(tmp_path, good_sources(feed_server) + [("broken", feed_server.url("/error/500"))])
    runner = CliRunner()
    first = runner.invoke(app, ["--config", str(cfg), "run"])
    assert first.exit_code == 3, first.output  # a source failed, the others were stored
    out = first.output
    assert "broken" in out and "failed" in out and "500" in out
    assert "new FINE" in out and "report:" in out and "PARTIAL" in out
    reports = list((tmp_path / "reports").iterdir())
    assert len(reports) == 1

    second = runner.invoke(app, ["--config", str(cfg), "run", "--source", "regulators", "--no-report"])
    assert second.exit_code == 0, second.output
    assert "broken" not in second.output and "COMPLETED" in second.output
    total = query(tmp_path / "tw.duckdb", "SELECT count(*) FROM incidents")[0][0]
    assert total > 0 and f"incidents: {total} in all, 0 new" in second.output
    assert list((tmp_path / "reports").iterdir()) == reports
    states = [r[0] for r in query(tmp_path / "tw.duckdb", "SELECT state FROM runs ORDER BY started_at")]
    assert states == ["PARTIAL", "COMPLETED"]
