"""`trustwatch demo`: a first run that always works, offline, on invented sample feeds."""
from __future__ import annotations

from typing import Optional

import typer

from trustwatch.cli.app import app, fail


@app.command("demo")
def demo_command(
    folder: Optional[str] = typer.Argument(None, help="Where to put the demo (default ./trustwatch-demo)."),
) -> None:
    """Serve bundled sample feeds on 127.0.0.1 and run the whole pipeline on them; prints the report's path.

    The sample stories are invented (the companies are fictional), in English and Chinese.
    Needs no internet; the demo's warehouse, configuration, report and alert feed stay in the folder.
    """
    from trustwatch.demo.runner import run_demo
    from trustwatch.warehouse.db import WarehouseError, WarehouseLocked

    target = folder or "trustwatch-demo"
    typer.echo(f"trustwatch demo: sample feeds on 127.0.0.1 -> {target}/ (extraction loads spaCy; "
               "about half a minute)", err=True)
    try:
        result = run_demo(target)
    except (WarehouseError, WarehouseLocked, OSError) as exc:
        fail(f"the demo could not run: {exc}")
    for problem in result.problems:
        typer.echo(f"  problem: {problem}", err=True)
    typer.echo(f"{result.documents} documents, {result.events} events, {result.incidents} incidents, "
               f"{result.alerts} alert(s) in {result.folder / 'alerts'} ({result.seconds:.0f}s)", err=True)
    typer.echo(f"try: trustwatch --config {result.folder / 'trustwatch.toml'} timeline", err=True)
    typer.echo(str(result.report))
