"""Every CLI command is documented (README.md or docs/*.md), and its --help works."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from trustwatch.cli import app

REPO = Path(__file__).resolve().parents[2]


def _command_paths(group, prefix=()):
    click_group = group if not isinstance(group, typer.Typer) else typer.main.get_command(group)
    for name, cmd in getattr(click_group, "commands", {}).items():
        path = prefix + (name,)
        if getattr(cmd, "commands", None):
            yield from _command_paths(cmd, path)
        else:
            yield path


COMMANDS = sorted(_command_paths(app))


def _docs_text() -> str:
    parts = [(REPO / "README.md").read_text(encoding="utf-8")]
    parts += [p.read_text(encoding="utf-8") for p in sorted((REPO / "docs").glob("*.md"))]
    return "\n".join(parts)


def test_commands_exist():
    names = {" ".join(c) for c in COMMANDS}
    assert {"sources list", "sources add", "sources remove"} <= names


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c))
def test_command_is_documented(command):
    pattern = r"trustwatch\s+" + r"\s+".join(re.escape(c) for c in command) + r"\b"
    assert re.search(pattern, _docs_text()), f"`trustwatch {' '.join(command)}` is not documented"


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c))
def test_command_help(command):
    result = CliRunner().invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output
