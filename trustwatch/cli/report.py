"""`trustwatch report`: write an incident report (HTML, PDF, Markdown, CSV or JSON)."""
from __future__ import annotations

from typing import List, Optional

import typer

from trustwatch.cli.app import app, fail, state


@app.command()
def report(
    since: Optional[str] = typer.Option(None, "--since", help="First day: YYYY, YYYY-MM, YYYY-MM-DD, today, or a span back such as 7d, 2w, 1y."),
    until: Optional[str] = typer.Option(None, "--until", help="Last day, included (same forms as --since; 2022 means to 31 Dec 2022)."),
    by: str = typer.Option("discovered", "--by", help="What the period counts: discovered (first fetched by trustwatch), published, or event (the incident's own date)."),
    actor: Optional[str] = typer.Option(None, "--actor", help="Only incidents involving this party (id, name or alias)."),
    type_: Optional[List[str]] = typer.Option(None, "--type", help="Only these incident types (repeat or comma-separate), e.g. FINE,BAN."),
    storyline: Optional[str] = typer.Option(None, "--storyline", help="Only the incidents of this storyline ID."),
    all_time: bool = typer.Option(False, "--all-time", help="No period: every incident in the warehouse."),
    format_: Optional[str] = typer.Option(None, "--format", "-f", help="html, pdf, md, csv or json (default: from -o's suffix, else report.format in the configuration)."),
    output: Optional[str] = typer.Option(None, "--output", "-o", help="File to write (default: report.output_dir/trustwatch-report-DATE.EXT)."),
    no_record: bool = typer.Option(False, "--no-record", help="Do not remember this report for the next report's 'new since' count."),
) -> None:
    """Write an incident report for a period: summary, timeline chart, storylines and evidence.

    Without --since/--until it covers the last report.days days of the configuration (7 by default).
    """
    from trustwatch.report.data import ReportFilterError
    from trustwatch.report.generate import generate_report
    from trustwatch.warehouse.db import WarehouseError, WarehouseLocked

    config = state.config()
    try:
        result = generate_report(config, output, format_, since=since, until=until, actor=actor,
                                 type=type_, storyline=storyline, all_time=all_time, record=not no_record,
                                 by=by)
    except ReportFilterError as exc:
        fail(str(exc), code=2)
    except (WarehouseLocked, WarehouseError) as exc:
        fail(str(exc), code=1)
    except OSError as exc:
        fail(f"cannot write the report: {exc}", code=1)
    data = result.data
    summary = data.summary
    new = f", {summary.n_new} new since the last report" if summary.n_new is not None else ""
    typer.echo(f"{result.path}: {summary.n_incidents} incident{'s' if summary.n_incidents != 1 else ''}"
               f" ({data.period_display}){new}")
