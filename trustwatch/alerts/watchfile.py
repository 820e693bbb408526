"""Editing the `[[watches]]` list of a configuration file, keeping comments and layout.

Like `sources_file`, every edit is validated as a whole configuration before it is written.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence

import tomlkit

from trustwatch.alerts.watches import Watch
from trustwatch.sources_file import _load, _save, remove_entry


def add_watch(path: str | Path, name: str, *, actors: Sequence[str] = (), types: Sequence[str] = (),
              min_sources: int = 1, webhook: Optional[str] = None, email: Optional[str] = None,
              feed: bool = False) -> Watch:
    """Append a watch; ValueError when the name is taken or a value is invalid."""
    path = Path(path)
    watch = Watch(name=name, actors=[a.strip() for a in actors if a.strip()], types=list(types),
                  min_sources=min_sources, webhook=webhook, email=email, feed=feed)
    if not watch.channels:
        raise ValueError("a watch needs somewhere to send its alerts: --webhook URL, --email ADDR or --feed")
    doc = _load(path)
    watches = doc.get("watches")
    if watches is not None and any(w.get("name") == name for w in watches):
        raise ValueError(f"a watch named {name!r} exists already in {path}")
    table = tomlkit.table()
    table.add("name", watch.name)
    if watch.actors:
        table.add("actors", watch.actors)
    if watch.types:
        table.add("types", watch.types)
    if watch.min_sources > 1:
        table.add("min_sources", watch.min_sources)
    if watch.webhook is not None:
        table.add("webhook", watch.webhook.get_secret_value())
    if watch.email:
        table.add("email", watch.email)
    if watch.feed:
        table.add("feed", True)
    if watches is None:
        aot = tomlkit.aot()
        aot.append(table)
        doc.add("watches", aot)
    else:
        watches.append(table)
    _save(path, doc)
    return watch


def remove_watch(path: str | Path, name: str) -> None:
    """Remove a watch; KeyError when there is none of that name."""
    remove_entry(path, "watches", name)
