"""Timeline commands: `process`, `rebuild-incidents`, `query`, `timeline`, `incident`, `export`, `eval-grouping`."""
from __future__ import annotations

import json
import sys
from datetime import date, datetime
from pathlib import Path
from typing import List, Optional

import typer

from trustwatch.cli.app import app, fail, state

TABLE_FORMATS = ("table", "csv", "json", "parquet")


def _json_default(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def _write_table(table, format_: str, output: Optional[str]) -> None:
    """Print or write an Arrow table as a table, CSV, JSON lines or Parquet."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    if format_ not in TABLE_FORMATS:
        fail(f"--format must be one of {', '.join(TABLE_FORMATS)}", code=2)
    if format_ == "parquet":
        if not output:
            fail("--format parquet needs -o PATH", code=2)
        pq.write_table(table, output)
        typer.echo(f"{output}: {table.num_rows} rows", err=True)
        return
    if format_ == "csv":
        if output:
            pacsv.write_csv(_flat(table), output)
        else:
            buf = __import__("io").BytesIO()
            pacsv.write_csv(_flat(table), buf)
            sys.stdout.write(buf.getvalue().decode("utf-8"))
        return
    if format_ == "json":
        lines = "".join(json.dumps(row, default=_json_default, ensure_ascii=False) + "\n" for row in table.to_pylist())
        if output:
            Path(output).write_text(lines, encoding="utf-8")
        else:
            sys.stdout.write(lines)
        return
    from rich.console import Console
    from rich.table import Table

    view = Table(show_lines=False)
    for name in table.column_names:
        short = name.endswith("_id") or name.endswith("date") or name in ("type", "status")
        view.add_column(name, overflow="fold", no_wrap=short)
    for row in table.to_pylist():
        view.add_row(*("" if v is None else str(v) for v in row.values()))
    out = open(output, "w", encoding="utf-8") if output else None
    console = Console(file=out, width=200 if (output or not sys.stdout.isatty()) else None)
    console.print(view)
    if out:
        out.close()
    typer.echo(f"{table.num_rows} row{'s' if table.num_rows != 1 else ''}", err=True)


def _flat(table):
    """CSV cannot hold lists or structs: write those columns as JSON text."""
    import pyarrow as pa

    columns = []
    for name in table.column_names:
        col = table.column(name)
        if pa.types.is_nested(col.type):
            col = pa.array([None if v is None else json.dumps(v, default=_json_default, ensure_ascii=False)
                            for v in col.to_pylist()], pa.string())
        columns.append(col)
    return pa.table(columns, names=table.column_names)


def _period(since: Optional[str], until: Optional[str]) -> tuple[Optional[str], Optional[str]]:
    """--since/--until read as every command reads them (`trustwatch.periods`), as ISO days."""
    from trustwatch.periods import PeriodError, bound_text

    try:
        return bound_text(since), bound_text(until, end=True)
    except PeriodError as exc:
        fail(str(exc), code=2)


@app.command("rebuild-incidents")
def rebuild_incidents_command() -> None:
    """Regroup every event into incidents and storylines (after changing grouping settings or rules)."""
    from trustwatch.warehouse.db import WarehouseError, WarehouseLocked
    from trustwatch.warehouse.process import update_incidents
    from trustwatch.warehouse.writer import warehouse_writer

    config = state.config()
    try:
        with warehouse_writer(config.db_path, timeout=config.warehouse.lock_timeout) as con:
            report, alerts = update_incidents(config, con, full=True)
    except (WarehouseError, WarehouseLocked) as exc:
        fail(str(exc))
    typer.echo(f"{report.incidents} incidents from {report.events} events, {report.storylines} storylines, "
               f"{report.disputed} with disputed facts, {alerts} new alerts ({report.seconds:.1f}s)")


def _read_only():
    from trustwatch.warehouse.db import WarehouseError, WarehouseLocked, open_connection

    config = state.config()
    try:
        return open_connection(config.db_path, read_only=True, lock_timeout=config.warehouse.lock_timeout)
    except (WarehouseError, WarehouseLocked) as exc:
        fail(str(exc))


@app.command()
def process(
    limit: Optional[int] = typer.Option(None, "--limit", min=1, help="Extract at most this many documents."),
    json_out: bool = typer.Option(False, "--json", help="Print the run's counts as JSON."),
) -> None:
    """Extract events from documents not yet extracted by this version, then rebuild incidents and storylines."""
    from dataclasses import asdict

    from trustwatch.warehouse.db import WarehouseError, WarehouseLocked
    from trustwatch.warehouse.process import process as run_process

    config = state.config()
    try:
        report = run_process(config, limit=limit)
    except (WarehouseError, WarehouseLocked) as exc:
        fail(str(exc))
    sent = _deliver_alerts(config)
    if json_out:
        typer.echo(json.dumps({**asdict(report), "alerts_delivered": sent.delivered,
                               "alerts_pending": sent.pending}, default=_json_default, indent=2))
        return
    inc = report.incidents
    typer.echo(f"extracted {report.documents} documents ({report.events} events, extractor "
               f"{report.extractor_version}); {inc.incidents} incidents from {inc.events} events, "
               f"{inc.storylines} storylines, {inc.disputed} with disputed facts ({report.seconds:.1f}s)")
    if sent.delivered or sent.pending:
        typer.echo(f"alerts: {sent.delivered} delivered, {sent.pending} waiting for the next run")


def _deliver_alerts(config):
    """Deliver the outbox; what cannot be delivered now waits for the next run."""
    from trustwatch.alerts.deliver import deliver_for_config
    from trustwatch.warehouse.db import WarehouseError, WarehouseLocked

    try:
        return deliver_for_config(config)
    except (WarehouseError, WarehouseLocked) as exc:
        typer.echo(f"alerts not delivered this time: {exc}", err=True)
        from trustwatch.alerts.deliver import DeliveryReport
        return DeliveryReport()


@app.command()
def query(
    sql: str = typer.Argument(..., help="One read-only SQL statement, e.g. \"SELECT * FROM timeline LIMIT 5\"."),
    format_: str = typer.Option("table", "--format", "-f", help="table, csv, json (one object a line) or parquet."),
    output: Optional[str] = typer.Option(None, "--output", "-o", help="Write to this file instead of the screen."),
    allow_files: bool = typer.Option(False, "--allow-files",
                                     help="Let the query read local files (read_csv, read_parquet, ...)."),
) -> None:
    """Run one read-only SQL statement against the warehouse (see docs/sql.md for the schema).

    The query sees the warehouse only: no other files (unless --allow-files), no network, no
    extensions, and no statement that writes; results are written by --format/-o.
    """
    from trustwatch.warehouse.db import WarehouseError, WarehouseLocked
    from trustwatch.warehouse.queries import QueryError, check_query, open_query_connection, run_query

    if format_ not in TABLE_FORMATS:
        fail(f"--format must be one of {', '.join(TABLE_FORMATS)}", code=2)
    config = state.config()
    if output and _same_file(output, config.db_path):
        fail(f"-o {output} is the warehouse itself; choose another file", code=2)
    try:
        check_query(sql)
    except QueryError as exc:
        fail(str(exc), code=2)
    try:
        con = open_query_connection(config.db_path, allow_files=allow_files,
                                    lock_timeout=config.warehouse.lock_timeout)
    except (WarehouseError, WarehouseLocked) as exc:
        fail(str(exc))
    try:
        table = run_query(con, sql)
    except QueryError as exc:
        fail(str(exc), code=2)
    finally:
        con.close()
    _write_table(table, format_, output)


def _same_file(a, b) -> bool:
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return False


@app.command()
def timeline(
    actor: Optional[str] = typer.Option(None, "--actor", help="Only incidents involving this party (id, name or alias)."),
    type_: Optional[List[str]] = typer.Option(None, "--type", help="Only these types (repeat or comma-separate), e.g. FINE,BAN."),
    since: Optional[str] = typer.Option(None, "--since", help="First event date: YYYY, YYYY-MM, YYYY-MM-DD, today, or a span back such as 7d."),
    until: Optional[str] = typer.Option(None, "--until", help="Last event date, included (same forms)."),
    format_: str = typer.Option("table", "--format", "-f", help="table, csv, json or parquet."),
    output: Optional[str] = typer.Option(None, "--output", "-o", help="Write to this file."),
) -> None:
    """List incidents in event-date order with their parties, amount, status and sources."""
    from trustwatch.warehouse.queries import QueryError, timeline_table

    types = ",".join(type_) if type_ else None
    since, until = _period(since, until)
    con = _read_only()
    try:
        table = timeline_table(con, actor=actor, type=types, since=since, until=until)
    except QueryError as exc:
        fail(str(exc), code=2)
    finally:
        con.close()
    if format_ == "table":
        keep = ["incident_id", "sort_date", "type", "status", "actor", "target", "amount_value",
                "amount_currency", "n_sources", "storyline_id"]
        table = table.select(keep)
    _write_table(table, format_, output)


@app.command()
def incident(
    incident_id: str = typer.Argument(..., help="An incident id (or a unique prefix of one)."),
    format_: str = typer.Option("text", "--format", "-f", help="text or json."),
) -> None:
    """Show one incident with every report that supports it, disagreements and its storyline."""
    from trustwatch.warehouse.queries import AmbiguousIncident, incident_detail

    con = _read_only()
    try:
        detail = incident_detail(con, incident_id)
    except AmbiguousIncident as exc:
        lines = [f"  {m['incident_id']}  {m.get('sort_date') or '-'}  {m['type']:<13} "
                 f"{m.get('actor') or '-'} -> {m.get('target') or '-'}" for m in exc.matches[:20]]
        fail(f"{exc}; give more of the id:\n" + "\n".join(lines), code=2)
    finally:
        con.close()
    if detail is None:
        fail(f"no incident {incident_id!r}; list them with `trustwatch timeline`")
    if format_ == "json":
        typer.echo(json.dumps(detail, default=_json_default, indent=2, ensure_ascii=False))
        return
    amount = (f"{detail['amount_value']:,.0f} {detail['amount_currency']}"
              if detail.get("amount_value") is not None else "-")
    typer.echo(f"{detail['incident_id']}  {detail['type']} ({detail['status']})")
    typer.echo(f"  date:    {detail['event_date'] or '-'} ({detail['date_precision'] or 'not stated'})"
               f"{'  DISPUTED' if detail['date_disputed'] else ''}")
    typer.echo(f"  actor:   {detail['actor'] or '-'}   target: {detail['target'] or '-'}")
    typer.echo(f"  amount:  {amount}{'  DISPUTED' if detail['amount_disputed'] else ''}")
    typer.echo(f"  reports: {detail['n_documents']} documents from {detail['n_sources']} sources, "
               f"first seen {detail['first_seen']}, last seen {detail['last_seen']}")
    for field, versions in (detail.get("disagreements") or {}).items():
        typer.echo(f"  sources disagree on {field}:")
        for v in versions:
            said = v.get("text") or v.get("value")
            typer.echo(f"    {said} ({v.get('currency') or v.get('precision')}): {', '.join(v['sources'] or v['doc_ids'])}")
    typer.echo("  evidence:")
    for e in detail["events"]:
        typer.echo(f"    [{e['source']}] {e['published']} {e['url']}\n      \"{e['sentence']}\"")
    story = detail.get("storyline")
    if story:
        typer.echo(f"  storyline {story['storyline_id']}: {story['title']}")
        for inc in story["incidents"]:
            mark = "*" if inc["incident_id"] == detail["incident_id"] else " "
            typer.echo(f"   {mark}{inc['storyline_seq']:>2}. {inc['sort_date']} {inc['type']:<12} "
                       f"{inc['actor'] or '-'} -> {inc['target'] or '-'}  ({inc['incident_id']})")


@app.command()
def export(
    what: str = typer.Argument(..., help="events or incidents."),
    format_: str = typer.Option("parquet", "--format", "-f", help="parquet or csv."),
    output: str = typer.Option(..., "--output", "-o", help="File to write."),
    since: Optional[str] = typer.Option(None, "--since", help="First day: YYYY, YYYY-MM, YYYY-MM-DD, today, or a span back such as 7d."),
    until: Optional[str] = typer.Option(None, "--until", help="Last day, included (same forms)."),
) -> None:
    """Export events (one row per report) or incidents to Parquet or CSV."""
    from trustwatch.warehouse.export import export as run_export

    since, until = _period(since, until)
    con = _read_only()
    try:
        n = run_export(con, what, output, format_, since=since, until=until)
    except ValueError as exc:
        fail(str(exc), code=2)
    finally:
        con.close()
    typer.echo(f"{output}: {n} {what}")


@app.command("eval-grouping")
def eval_grouping(
    labelled: Optional[str] = typer.Option(None, "--labelled", help="Folder of labelled *.jsonl document groups."),
    mode: str = typer.Option("gold", "--mode", help="gold (labelled events), extract (run the extractor) or both."),
    shared: Optional[str] = typer.Option(None, "--shared", envvar="TRUSTWATCH_SHARED",
                                         help="Shared corpus folder; its duplicate articles are added in extract mode."),
    minimum: float = typer.Option(0.0, "--min", help="Exit with status 1 when precision or recall is below this."),
) -> None:
    """Print pairwise precision and recall of incident grouping over a labelled set of document groups."""
    from trustwatch.warehouse.grouping_eval import DEFAULT_LABELLED, evaluate

    folder = Path(labelled) if labelled else DEFAULT_LABELLED
    if not folder.is_dir():
        fail(f"no labelled set at {folder}", code=2)
    corpus = None
    shared_dir = Path(shared) if shared else Path(__file__).resolve().parents[2].parent / "shared"
    if (shared_dir / "corpus").is_dir():
        corpus = shared_dir / "corpus"
    modes = ("gold", "extract") if mode == "both" else (mode,)
    config = state.config()
    worst = 1.0
    for m in modes:
        try:
            score = evaluate(folder, mode=m, corpus_dir=corpus, window_days=config.incidents.window_days)
        except ValueError as exc:
            fail(str(exc), code=2)
        typer.echo(f"{m:8s} precision {score.precision:.3f}  recall {score.recall:.3f}  F1 {score.f1:.3f}  "
                   f"({score.items} items, {score.correct_pairs}/{score.predicted_pairs} predicted pairs right, "
                   f"{score.correct_pairs}/{score.true_pairs} true pairs found; {score.documents} documents, "
                   f"{score.incidents} incidents, {score.missed} labelled events not extracted, "
                   f"{score.duplicate_groups} corpus duplicate groups)")
        worst = min(worst, score.precision, score.recall)
    if worst < minimum:
        raise typer.Exit(1)
