"""The `trustwatch` Typer application and its global options.

Each command module registers its commands on `app`; every command is a thin shell over one
library call, and keeps heavy imports (spaCy, Prefect, WeasyPrint) inside the command body so
that `trustwatch --help` stays fast.
"""
from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from typing import Optional

import typer

from trustwatch.config import Config, ConfigError, load_config

app = typer.Typer(
    name="trustwatch",
    help="Watch news and social feeds and keep a queryable timeline of platform-trust incidents.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
sources_app = typer.Typer(help="List, add and remove the sources in the configuration file.",
                          no_args_is_help=True)
app.add_typer(sources_app, name="sources")


@dataclass
class State:
    config_path: Optional[str] = None
    db: Optional[str] = None
    verbose: int = 0
    _config: Optional[Config] = None

    def config(self) -> Config:
        if self._config is None:
            try:
                self._config = load_config(self.config_path, self.db)
            except ConfigError as exc:
                fail(str(exc), code=2)
        return self._config


state = State()


def fail(message: str, code: int = 1) -> None:
    """Print one clear error line to standard error and exit."""
    typer.secho(f"Error: {message}", err=True, fg=typer.colors.RED)
    raise typer.Exit(code)


@app.callback()
def main_options(
    config: Optional[str] = typer.Option(None, "--config", "-c", envvar="TRUSTWATCH_CONFIG",
                                         help="Configuration file (default ./trustwatch.toml)."),
    db: Optional[str] = typer.Option(None, "--db", envvar="TRUSTWATCH_DB",
                                     help="DuckDB warehouse file (default ./trustwatch.duckdb)."),
    verbose: int = typer.Option(0, "--verbose", "-v", count=True, help="More logging on stderr."),
) -> None:
    state.config_path = config
    state.db = db
    state.verbose = verbose
    state._config = None
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
