"""Core commands: `init`, `sources list|add|remove`, `ingest`, `eval-pages`."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from trustwatch.cli.app import app, fail, sources_app, state
from trustwatch.config import DEFAULT_CONFIG_NAME, ConfigError


def _config_file(must_exist: bool = True) -> Path:
    from trustwatch.config import config_path

    path = config_path(state.config_path)
    if path is None:
        if must_exist:
            fail("no configuration file: run `trustwatch init` to write ./trustwatch.toml first", 2)
        return Path(DEFAULT_CONFIG_NAME)
    return path


@app.command()
def init(
    force: bool = typer.Option(False, "--force", help="Overwrite an existing configuration file."),
) -> None:
    """Write ./trustwatch.toml from the built-in default and create the warehouse."""
    from trustwatch.sources_file import write_default_config
    from trustwatch.warehouse.writer import warehouse_writer

    path = Path(state.config_path) if state.config_path else Path(DEFAULT_CONFIG_NAME)
    try:
        written = write_default_config(path, force=force)
    except FileExistsError:
        typer.echo(f"{path} exists already (use --force to overwrite); keeping it.")
        written = False
    except ConfigError as exc:  # a folder we cannot write
        fail(str(exc), 4)
    if written:
        typer.echo(f"wrote {path}")
    config = state.config() if path.exists() else None
    db = config.db_path if config else Path(state.db or "trustwatch.duckdb")
    try:
        with warehouse_writer(db, timeout=config.warehouse.lock_timeout if config else 30):
            pass
    except Exception as exc:
        fail(str(exc), 4)
    typer.echo(f"warehouse ready at {db}")


@sources_app.command("list")
def sources_list() -> None:
    """Show the configured sources."""
    from rich.console import Console
    from rich.table import Table

    config = state.config()
    table = Table(title=f"sources ({config.path or 'built-in default'})")
    for col in ("name", "kind", "language", "pages", "enabled", "url"):
        table.add_column(col, overflow="fold")
    for s in config.sources:
        table.add_row(s.name, s.kind, s.language or "", "yes" if s.fetch_pages else "",
                      "yes" if s.enabled else "no", s.url)
    Console().print(table)


@sources_app.command("add")
def sources_add(
    name: str = typer.Argument(..., help="A short unique name, e.g. ftc-press."),
    url: str = typer.Argument(..., help="The feed, page or sitemap URL."),
    kind: str = typer.Option("feed", "--kind", help="feed | page | sitemap"),
    language: Optional[str] = typer.Option(None, "--language", help="Language hint, e.g. en."),
    fetch_pages: bool = typer.Option(False, "--fetch-pages", help="Also fetch each entry's page."),
) -> None:
    """Add a source to the configuration file (comments and layout are kept)."""
    from trustwatch.sources_file import add_source

    path = _config_file()
    try:
        add_source(path, name, url, kind=kind, language=language, fetch_pages=fetch_pages)
    except (ValueError, ConfigError) as exc:
        fail(str(exc), 2)
    typer.echo(f"added {name} ({kind}) to {path}")


@sources_app.command("remove")
def sources_remove(name: str = typer.Argument(..., help="The source's name.")) -> None:
    """Remove a source from the configuration file (stored documents are kept)."""
    from trustwatch.sources_file import remove_source

    path = _config_file()
    try:
        remove_source(path, name)
    except KeyError:
        fail(f"no source named {name!r} in {path}; see `trustwatch sources list`", 2)
    except (ValueError, ConfigError) as exc:
        fail(str(exc), 2)
    typer.echo(f"removed {name} from {path}")


def _summary_table(report):
    from rich.table import Table

    table = Table(title="ingest summary")
    for col, justify in (("source", "left"), ("new", "right"), ("unchanged", "right"),
                         ("duplicates", "right"), ("failed", "center"), ("notes", "left")):
        table.add_column(col, justify=justify, overflow="fold")
    for s in report.sources:
        notes = "; ".join(s.errors) if s.errors else ("not modified (304)" if s.not_modified else "")
        table.add_row(s.name, str(s.new), str(s.unchanged), str(s.duplicates),
                      "[red]yes[/red]" if s.failed else "no", notes)
    return table


@app.command()
def ingest(
    source: Optional[list[str]] = typer.Option(None, "--source", "-s",
                                               help="Only this source (repeatable)."),
) -> None:
    """Crawl the sources and store new documents. Exit 0: all read; 3: some failed."""
    from rich.console import Console

    from trustwatch.ingest import ingest as run_ingest
    from trustwatch.ingest import select_sources
    from trustwatch.warehouse.db import WarehouseError, WarehouseLocked

    config = state.config()
    try:
        sources = select_sources(config, source)
    except KeyError as exc:
        fail(str(exc.args[0]), 2)
    if not sources:
        fail("no enabled sources to read; add one with `trustwatch sources add`", 2)
    console = Console(stderr=True)
    progress_cb = None
    progress = None
    if console.is_terminal:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        progress = Progress(TextColumn("[bold]ingest"), BarColumn(), MofNCompleteColumn(),
                            TextColumn("{task.fields[last]}"), TimeElapsedColumn(), console=console)
        task = progress.add_task("ingest", total=len(sources), last="")

        def progress_cb(line: dict) -> None:
            if line.get("type") == "loading":
                progress.update(task, last="storing in the warehouse")
            elif line.get("type") == "source":
                mark = "ok" if line.get("ok") else "failed"
                progress.update(task, advance=1, last=f"{line.get('name')}: {mark}")
    try:
        if progress is not None:
            with progress:
                report = run_ingest(config, [s.name for s in sources], progress=progress_cb)
        else:
            report = run_ingest(config, [s.name for s in sources])
    except WarehouseLocked as exc:
        fail(str(exc), 4)
    except WarehouseError as exc:
        fail(str(exc), 4)
    Console().print(_summary_table(report))
    for problem in report.errors:
        typer.secho(f"warning: {problem}", err=True, fg=typer.colors.YELLOW)
    failed = report.failed
    typer.echo(f"{report.new} new, {report.unchanged} unchanged, {report.duplicates} duplicates; "
               f"{len(failed)} of {len(report.sources)} sources failed ({report.seconds:.1f}s)")
    raise typer.Exit(report.exit_code)


@app.command("eval-pages")
def eval_pages(
    corpus: Optional[Path] = typer.Option(None, "--corpus",
                                          help="Folder with html_manifest.csv (default: ../shared/corpus/html)."),
    verbose: bool = typer.Option(False, "--per-page", help="Show every page's F1."),
) -> None:
    """Mean token F1 of main-text extraction over saved pages with known expected text."""
    import os

    from trustwatch.extraction_eval import evaluate

    if corpus is None:
        shared = Path(os.environ.get("TRUSTWATCH_SHARED", "../shared"))
        corpus = shared / "corpus" / "html"
    if not (corpus / "html_manifest.csv").exists():
        fail(f"no html_manifest.csv in {corpus} (use --corpus DIR)", 2)
    result = evaluate(corpus)
    if verbose:
        for p in result.pages:
            typer.echo(f"{p.page_id:32s} {p.f1:.3f}" + (f"  ({p.error})" if p.error else ""))
    typer.echo(f"pages: {len(result.pages)}  mean token F1: {result.mean_f1:.3f}")
    if not result.pages:
        sys.exit(1)
