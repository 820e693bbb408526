"""Editing the `[[sources]]` list of a configuration file with tomlkit, keeping comments and layout.

Every edit is validated by parsing the edited text as a configuration before it is written,
so a command can never leave a file that `trustwatch` cannot read.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Optional

import tomlkit

from trustwatch.config import (ConfigError, default_config_text, parse_config, source_name_problem,
                               source_url_problem)
from trustwatch.records import Source

KINDS = ("feed", "page", "sitemap")


def write_default_config(path: str | Path, force: bool = False) -> bool:
    path = Path(path)
    if path.exists() and not force:
        raise FileExistsError(path)
    _write_atomically(path, default_config_text())
    return True


def _write_atomically(path: Path, text: str) -> None:
    """Write `text` to `path` whole or not at all; a folder we cannot write is a ConfigError."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise ConfigError(f"cannot write {path}: {exc.strerror or exc}; it was left as it was") from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _load(path: Path) -> tomlkit.TOMLDocument:
    text = path.read_text(encoding="utf-8")
    parse_config(text, path)  # a broken file gets the usual clear error before we touch it
    return tomlkit.parse(text)


def _save(path: Path, doc: tomlkit.TOMLDocument) -> None:
    text = tomlkit.dumps(doc)
    parse_config(text, path)
    _write_atomically(path, text)


def add_source(path: str | Path, name: str, url: str, kind: str = "feed",
               language: Optional[str] = None, fetch_pages: bool = False) -> Source:
    path = Path(path)
    if kind not in KINDS:
        raise ValueError(f"--kind must be one of {', '.join(KINDS)}, not {kind!r}")
    problem = source_name_problem(name) or source_url_problem(url)
    if problem:
        raise ValueError(problem)
    source = Source(name=name, url=url, kind=kind, language=language, fetch_pages=fetch_pages)
    doc = _load(path)
    sources = doc.get("sources")
    if sources is not None and any(s.get("name") == name for s in sources):
        raise ValueError(f"a source named {name!r} exists already in {path}")
    table = tomlkit.table()
    table.add("name", name)
    table.add("url", url)
    table.add("kind", kind)
    if language:
        table.add("language", language)
    if fetch_pages:
        table.add("fetch_pages", True)
    if sources is None:
        aot = tomlkit.aot()
        aot.append(table)
        doc.add("sources", aot)
    else:
        last = sources[-1]
        if not tomlkit.dumps(doc).endswith("\n\n"):
            last.add(tomlkit.nl())  # a blank line between entries, as in the shipped file
        sources.append(table)
    _save(path, doc)
    return source


def remove_entry(path: str | Path, table: str, name: str) -> None:
    """Remove the `[[table]]` entry called `name` (sources, watches); KeyError when there is none."""
    path = Path(path)
    doc = _load(path)
    entries = doc.get(table)
    if entries is None:
        raise KeyError(name)
    for i, entry in enumerate(entries):
        if entry.get("name") == name:
            del entries[i]
            break
    else:
        raise KeyError(name)
    if len(entries) == 0:
        del doc[table]
    _save(path, doc)


def remove_source(path: str | Path, name: str) -> None:
    remove_entry(path, "sources", name)
