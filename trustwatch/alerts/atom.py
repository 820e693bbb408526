"""An Atom feed file per watch (`<feed_dir>/<watch>.atom`) that a feed reader can follow.

The file is rewritten whole (atomically) from the outbox's latest alerts of the watch; each
entry's id is the alert's id, so a reader shows an alert once however often the file changes.
"""
from __future__ import annotations

import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
import re
from xml.sax.saxutils import escape as _xml_escape

FEED_SUFFIX = ".atom"
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def escape(text: str, entities: dict | None = None) -> str:
    """XML-escaped, without the control characters XML cannot hold (web text is never trusted)."""
    return _xml_escape(_NOT_XML.sub("", str(text)), entities or {})


def _ts(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _attr(text: str) -> str:
    return escape(text, {'"': "&quot;"})


def render_feed(watch: str, entries: list[dict[str, Any]], now: datetime) -> str:
    updated = _ts(max((e["created_at"] for e in entries), default=now))
    out = ['<?xml version="1.0" encoding="utf-8"?>',
           '<feed xmlns="http://www.w3.org/2005/Atom">',
           f"  <id>urn:trustwatch:watch:{escape(watch)}</id>",
           f"  <title>trustwatch: {escape(watch)}</title>",
           f"  <updated>{updated}</updated>",
           "  <author><name>trustwatch</name></author>",
           '  <generator uri="https://github.com/trustwatch/trustwatch">trustwatch</generator>']
    for e in entries:
        payload = e["payload"]
        incident = payload.get("trustwatch", {}).get("incident", {})
        links = incident.get("links") or []
        out += ["  <entry>",
                f"    <id>urn:trustwatch:alert:{escape(e['alert_id'])}</id>",
                f"    <title>{escape(e['title'])}</title>",
                f"    <updated>{_ts(e['created_at'])}</updated>"]
        if links:  # http(s) only (checked when the alert was composed)
            out.append(f'    <link rel="alternate" href="{_attr(links[0])}"/>')
        out += [f'    <content type="text">{escape(payload.get("text", ""))}</content>', "  </entry>"]
    out.append("</feed>")
    return "\n".join(out) + "\n"


def write_feed(folder: str | Path, watch: str, entries: list[dict[str, Any]], now: datetime) -> Path:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{watch}{FEED_SUFFIX}"
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{watch}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(render_feed(watch, entries, now))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
