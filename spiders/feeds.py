"""Feed entries from raw feed bytes, through feedparser.

feedparser gets the bytes and the HTTP headers, never text decoded by someone else, so it
can honour the XML declaration or the HTTP charset (GB2312, ISO-8859-1, …) itself.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Optional
from urllib.parse import urljoin


@dataclass
class FeedEntry:
    link: str
    title: Optional[str] = None
    summary: Optional[str] = None  # HTML or text as published
    content: Optional[str] = None  # full content (content:encoded, atom:content), HTML
    author: Optional[str] = None
    published: Optional[datetime] = None  # UTC, naive; None when missing or unparseable


@dataclass
class ParsedFeed:
    entries: list[FeedEntry] = field(default_factory=list)
    language: Optional[str] = None
    title: Optional[str] = None
    #: why the feed is not well-formed (feedparser's "bozo"), None when it is
    problem: Optional[str] = None
    encoding: Optional[str] = None
    skipped: int = 0  # entries without a usable link


def _utc(struct) -> Optional[datetime]:
    if not struct:
        return None
    try:
        return datetime.utcfromtimestamp(calendar.timegm(struct))
    except (OverflowError, ValueError, TypeError):
        return None


def _is_web_url(value: Optional[str]) -> bool:
    return bool(value) and value.split(":", 1)[0].lower() in ("http", "https")


def parse_feed(body: bytes, url: str, headers: Optional[dict[str, str]] = None,
               max_entries: Optional[int] = None) -> ParsedFeed:
    """Entries of an RSS 0.9x/1.0/2.0, Atom or RDF feed, newest first as published."""
    import feedparser

    hdrs = {k.lower(): v for k, v in (headers or {}).items()}
    hdrs.setdefault("content-location", url)
    parsed = feedparser.parse(body, response_headers=hdrs, sanitize_html=True,
                              resolve_relative_uris=True)
    feed = parsed.get("feed", {}) or {}
    problem = None
    if parsed.get("bozo"):
        exc = parsed.get("bozo_exception")
        problem = f"{type(exc).__name__}: {exc}" if exc else "not well-formed"
    out = ParsedFeed(language=feed.get("language") or None, title=feed.get("title") or None,
                     problem=problem, encoding=parsed.get("encoding"))
    for entry in parsed.get("entries", []):
        link = entry.get("link")
        if not _is_web_url(link):
            guid = entry.get("id")
            link = guid if _is_web_url(guid) else (urljoin(url, link) if link else None)
        if not _is_web_url(link):
            out.skipped += 1
            continue
        content = None
        if entry.get("content"):
            content = "\n".join(c.get("value", "") for c in entry["content"] if c.get("value")) or None
        out.entries.append(FeedEntry(
            link=link,
            title=entry.get("title") or None,
            summary=entry.get("summary") or None,
            content=content,
            author=entry.get("author") or None,
            published=_utc(entry.get("published_parsed") or entry.get("updated_parsed")
                           or entry.get("created_parsed")),
        ))
        if max_entries and len(out.entries) >= max_entries:
            break
    return out
