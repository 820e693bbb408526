"""`trustwatch run` (one monitoring run now) and `trustwatch serve` (scheduled runs)."""
from __future__ import annotations

import os
from typing import Optional

import typer

from trustwatch.cli.app import app, fail, state


@app.command("run")
def run_command(
    source: Optional[list[str]] = typer.Option(None, "--source", "-s",
                                               help="Only this source (repeatable); default: every enabled one."),
    no_report: bool = typer.Option(False, "--no-report", help="Do not write a report at the end."),
    dask_workers: int = typer.Option(0, "--dask-workers", min=0,
                                     help="Extract on a local Dask cluster of this many processes."),
    dask_address: Optional[str] = typer.Option(None, "--dask-address",
                                               help="Extract on an existing Dask scheduler (tcp://host:8786)."),
    exchange_dir: Optional[str] = typer.Option(None, "--exchange-dir",
                                               help="Folder shared with the Dask workers: they hand "
                                                    "extracted batches over as Parquet files there."),
) -> None:
    """One monitoring run now: crawl, extract, group incidents, write the report.

    Exit status: 0 done, 3 some sources failed (the rest were stored), 4 the warehouse
    stayed busy (nothing lost; run again later), 1 the run failed.
    """
    config = state.config()
    from trustwatch.flows.settings import apply_prefect_defaults

    apply_prefect_defaults(quiet=state.verbose == 0)
    names = source or [s.name for s in config.enabled_sources()]
    typer.echo(f"trustwatch run: {len(names)} source(s) into {config.db_path} "
               "(Prefect's temporary server starts first; this can take half a minute)", err=True)
    from trustwatch.flows.ephemeral import start_early_server

    server = start_early_server()  # starts while this process imports Prefect and the flows
    from trustwatch.flows.monitor import EXIT_CODES, run_monitor_now

    if server is not None:
        try:
            server.wait_ready(float(os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", 180)))
        except RuntimeError as exc:
            fail(str(exc), code=1)
    try:
        summary = run_monitor_now(config, source, with_report=not no_report,
                                  dask_workers=dask_workers, dask_address=dask_address,
                                  exchange_dir=exchange_dir)
    except KeyError as exc:
        fail(str(exc.args[0] if exc.args else exc), code=2)
    _print_summary(summary)
    raise typer.Exit(EXIT_CODES.get(summary.get("state"), 1))


def _problem(source: str, error: str | None, limit: int = 160) -> str:
    """A source's error on one line, without repeating the source's name."""
    text = " ".join((error or "").split())
    if text.startswith(f"{source}: "):
        text = text[len(source) + 2:]
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _print_summary(summary: dict) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console(stderr=False)
    ingest = summary.get("ingest") or {}
    rows = ingest.get("sources") or []
    offline = bool(rows) and ingest.get("unreachable") == len(rows)
    if rows and not offline:  # offline, one line says it all; the report lists every source
        table = Table(title="Sources", show_lines=False)
        for col in ("source", "result", "new", "unchanged", "problem"):
            table.add_column(col, justify="right" if col in ("new", "unchanged") else "left")
        for r in rows:
            table.add_row(r["source"], "ok" if r["ok"] else "[red]failed[/red]", str(r["new"]),
                          str(r["unchanged"]), escape(_problem(r["source"], r.get("error"))))
        console.print(table)
    extract = summary.get("extract") or {}
    incidents = summary.get("incidents") or {}
    report = summary.get("report") or {}
    lines = []
    if offline and ingest.get("message"):
        console.print(str(ingest["message"]), highlight=False, markup=False, style="bold red")
    if extract:
        lines.append(f"extracted {extract.get('documents', 0)} document(s): {extract.get('events', 0)} event(s)")
    if incidents:
        lines.append(f"incidents: {incidents.get('incidents', 0)} in all, {incidents.get('new', 0)} new")
        for inc in (incidents.get("new_incidents") or [])[:10]:
            lines.append(f"  new {inc.get('type')}: {inc.get('headline') or inc.get('incident_id')}")
    if ingest.get("message") and not offline:
        lines.append(str(ingest["message"]))
    if report.get("path"):
        lines.append(f"report: {report['path']}")
    if summary.get("message") and summary.get("state") != "COMPLETED":
        lines.append(str(summary["message"]))
    run_id = summary.get("run_id")
    lines.append(f"run {run_id}: {summary.get('state')}" if run_id else f"run {summary.get('state')}")
    for line in lines:
        console.print(line, highlight=False, markup=False)


@app.command("serve")
def serve_command(
    no_report: bool = typer.Option(False, "--no-report", help="Serve only the monitoring schedule."),
    port: int = typer.Option(4200, "--port", help="Port of the local Prefect server started when "
                                                   "PREFECT_API_URL is not set."),
) -> None:
    """Run `monitor` and `report` on the schedule of the configuration until stopped.

    Without PREFECT_API_URL a local Prefect server (and its UI) runs on 127.0.0.1 meanwhile.
    SIGTERM or Ctrl-C stops it; a run in progress finishes its current write first.
    """
    config = state.config()
    from trustwatch.flows.deployments import serve

    try:
        serve(config, with_report=not no_report, server_port=port)
    except RuntimeError as exc:
        fail(str(exc), code=1)
