"""Command-line interface: `trustwatch …`."""
from __future__ import annotations

import importlib
import logging

from trustwatch.cli.app import app

#: command modules; each registers its commands on `app` when imported
COMMAND_MODULES = ("core", "extract", "warehouse", "flows", "report", "alerts", "demo")


def _register() -> None:
    for name in COMMAND_MODULES:
        try:
            importlib.import_module(f"trustwatch.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"trustwatch.cli.{name}":
                raise
            logging.getLogger(__name__).debug("command module %s not present", name)


_register()


def main() -> None:
    app()
