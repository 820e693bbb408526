"""Typed records passed between stages.

Every stage boundary (Scrapy JSONL -> loader, extractor -> warehouse, warehouse -> report)
speaks these types, so a malformed row is rejected at the boundary instead of deep inside a
stage.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Literal, Optional, Sequence

from pydantic import BaseModel, ConfigDict, Field

SourceKind = Literal["feed", "page", "sitemap"]
EventType = Literal[
    "BLOCK", "BAN", "FINE", "APOLOGY", "ACCUSATION",
    "COMPENSATION", "LAWSUIT", "INVESTIGATION", "BREACH",
]
EVENT_TYPES: tuple[str, ...] = EventType.__args__  # type: ignore[attr-defined]
Status = Literal["asserted", "planned", "negated", "hypothetical"]
#: Only these statuses make an incident (GUIDELINES.md, "Status").
INCIDENT_STATUSES = ("asserted", "planned")
DatePrecision = Literal["day", "month", "year"]
#: The key argument of each type (GUIDELINES.md): the party an event is matched and grouped on;
#: the other party is the actor (or, for APOLOGY and COMPENSATION, the target).
KEY_ROLE: dict[str, str] = {t: "actor" if t in ("APOLOGY", "COMPENSATION") else "target" for t in EVENT_TYPES}
_WORD = re.compile(r"\w+", re.UNICODE)


def words(text: Optional[str]) -> list[str]:
    """Case-folded word tokens of a party name, as party names are compared everywhere."""
    return _WORD.findall((text or "").casefold())


def contains_words(hay: Sequence[str], needle: Sequence[str]) -> bool:
    """Does `needle` occur in `hay` as consecutive words ("tax bureau" in "the Guangzhou tax bureau")?"""
    n = len(needle)
    if n == 0 or n > len(hay):
        return False
    needle = list(needle)
    return any(list(hay[i:i + n]) == needle for i in range(len(hay) - n + 1))


def utcnow() -> datetime:
    """The current time as stored everywhere in trustwatch: UTC, without a time zone."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Record(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=False)


class Source(Record):
    """A configured source to watch."""

    name: str = Field(min_length=1)
    url: str
    kind: SourceKind = "feed"
    language: Optional[str] = None
    #: for feeds: also fetch each entry's linked page for its full text
    fetch_pages: bool = False
    enabled: bool = True
    tags: list[str] = Field(default_factory=list)


class FetchLog(Record):
    """One HTTP request, successful or not (the `fetch_log` table)."""

    source: str
    url: str
    status: Optional[int] = None  # None when no response (timeout, DNS, refused)
    bytes: int = 0
    duration_ms: float = 0.0
    error: Optional[str] = None
    fetched_at: datetime
    not_modified: bool = False
    etag: Optional[str] = None
    last_modified: Optional[str] = None


class Document(Record):
    """A news article, post or feed entry (the `documents` table)."""

    doc_id: str
    source: str
    url: str
    canonical_url: str
    title: Optional[str] = None
    summary: Optional[str] = None
    author: Optional[str] = None
    text: Optional[str] = None
    published: datetime  # UTC, naive
    published_is_fallback: bool = False
    language: Optional[str] = None
    content_hash: str
    fetched_at: datetime  # UTC, naive
    story_id: Optional[str] = None  # near-duplicates (syndicated copies) share one
    #: why the text looks wrongly decoded (mojibake, replacement characters); None when fine
    text_problem: Optional[str] = None


class Party(Record):
    text: str
    id: Optional[str] = None


class Amount(Record):
    value: float
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    text: str


class EventDate(Record):
    value: str  # YYYY-MM-DD | YYYY-MM | YYYY
    precision: DatePrecision
    text: str


class Event(Record):
    """One incident event as reported by one document (schema/event.schema.json)."""

    doc_id: str
    type: EventType
    status: Status
    actor: Optional[Party] = None
    target: Optional[Party] = None
    amount: Optional[Amount] = None
    date: Optional[EventDate] = None
    reason: Optional[str] = None
    trigger: str = ""
    sentence: str
    start: int
    end: int
    confidence: float = Field(default=0.5, ge=0.0, le=1.0)

    def to_json_dict(self) -> dict:
        """The exact shape of one line of `trustwatch extract --format jsonl`."""
        return self.model_dump(mode="json")


class DocInput(Record):
    """Input to the extractor: one line of `trustwatch extract --input DOCS.jsonl`."""

    doc_id: str
    text: str = ""
    published: Optional[str] = None  # YYYY-MM-DD
    language: Optional[str] = None
