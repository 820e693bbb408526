"""Feed entries from raw feed bytes, through feedparser.

feedparser gets the bytes and the HTTP headers, never text decoded by someone else, so it
can honour the XML declaration or the HTTP charset (GB2312, ISO-8859-1, …) itself.
"""
from __future__ import annotations

import calendar
import re
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


_XML_DECL = re.compile(r"^\s*<\?xml\b[^>]*?\?>")
_DECL_ENCODING = re.compile(rb"""^\s*<\?xml\b[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9_.:-]+)["']""")
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([^\s;\"']+)", re.IGNORECASE)


def decode_feed(body: bytes, headers: Optional[dict[str, str]] = None) -> tuple[str, str]:
    """(text, encoding used) of a feed's bytes; see the module's note for the order."""
    from trustwatch.spiders.encoding import BOMS, decode_undeclared, usable

    hdrs = {k.lower(): v for k, v in (headers or {}).items()}
    candidates = []
    http = _CHARSET.search(hdrs.get("content-type") or "")
    if http:
        candidates.append(usable(http.group(1)))
    for bom, enc in BOMS:
        if body.startswith(bom):
            candidates.append(enc)
            body = body[len(bom):]
            break
    declared = _DECL_ENCODING.match(body[:1024])
    if declared:
        candidates.append(usable(declared.group(1).decode("ascii", "ignore")))
    nearly: Optional[tuple[str, str]] = None
    for enc in candidates:
        if not enc:
            continue
        try:
            return body.decode(enc), enc
        except LookupError:
            continue
        except UnicodeDecodeError:
            # a few stray bytes in an otherwise right declaration: keep it (the replacement
            # characters flag the text); a wrong declaration: detect instead
            text = body.decode(enc, errors="replace")
            if nearly is None and text.count("\ufffd") <= max(3, len(text) // 200):
                nearly = (text, enc)
    return nearly or decode_undeclared(body)


def as_utf8_feed(text: str, headers: Optional[dict[str, str]] = None) -> tuple[bytes, dict[str, str]]:
    """The decoded feed as UTF-8 bytes declaring UTF-8, and headers saying the same."""
    text = text.lstrip("\ufeff")
    decl = _XML_DECL.match(text)
    head = '<?xml version="1.0" encoding="utf-8"?>'
    text = head + (text[decl.end():] if decl else "\n" + text)
    hdrs = {k.lower(): v for k, v in (headers or {}).items()}
    ctype = hdrs.get("content-type")
    if ctype:
        media = ctype.split(";", 1)[0].strip()
        hdrs["content-type"] = f"{media}; charset=utf-8"
    return text.encode("utf-8"), hdrs


def parse_feed(body: bytes, url: str, headers: Optional[dict[str, str]] = None,
               max_entries: Optional[int] = None) -> ParsedFeed:
    """Entries of an RSS 0.9x/1.0/2.0, Atom or RDF feed, newest first as published."""
    import feedparser

    text, encoding = decode_feed(body, headers)
    utf8, hdrs = as_utf8_feed(text, headers)
    hdrs.setdefault("content-location", url)
    parsed = feedparser.parse(utf8, response_headers=hdrs, sanitize_html=True,
                              resolve_relative_uris=True)
    feed = parsed.get("feed", {}) or {}
    problem = None
    if parsed.get("bozo"):
        exc = parsed.get("bozo_exception")
        problem = f"{type(exc).__name__}: {exc}" if exc else "not well-formed"
    out = ParsedFeed(language=feed.get("language") or None, title=feed.get("title") or None,
                     problem=problem, encoding=encoding)
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
