"""What a report says, read from the warehouse into typed records.

The rows come from `trustwatch.warehouse.report_queries` (base tables only, never views). Every renderer (HTML, PDF, Markdown, CSV,
JSON) formats the same `ReportData`, so the formats cannot disagree about the incidents.
"""
from __future__ import annotations

import json
import logging
import re
import uuid
from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Iterable, Optional, Sequence
from urllib.parse import urlsplit

import duckdb
from pydantic import BaseModel, ConfigDict, Field

from trustwatch.records import EVENT_TYPES
from trustwatch.warehouse import report_queries as queries
from trustwatch.warehouse.report_queries import previous_report_at  # noqa: F401  (re-exported)

log = logging.getLogger(__name__)

#: evidence sentences shown per incident in HTML/PDF/Markdown (JSON and CSV keep all)
EVIDENCE_SHOWN = 8
TOP_ACTORS = 10
_Day = date  # the field `IncidentItem.date` shadows the type inside the class
_MIN_TS = datetime(1900, 1, 1)
_MAX_TS = datetime(9999, 1, 1)
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


class ReportRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PartyRef(ReportRecord):
    name: str
    id: Optional[str] = None


class EvidenceSource(ReportRecord):
    """One document that carries an evidence sentence."""

    source: str
    title: Optional[str] = None
    published: Optional[datetime] = None
    url: Optional[str] = None  # http(s) only; anything else is dropped
    doc_id: str


class Evidence(ReportRecord):
    """A quoted sentence and every document that said it (syndicated copies share one)."""

    sentence: str
    sources: list[EvidenceSource]


class IncidentItem(ReportRecord):
    incident_id: str
    anchor: str
    type: str
    status: str
    headline: str
    date: Optional[str] = None  # YYYY-MM-DD | YYYY-MM | YYYY
    date_precision: Optional[str] = None  # day | month | year
    date_display: str
    actor: Optional[PartyRef] = None
    target: Optional[PartyRef] = None
    amount_value: Optional[float] = None
    amount_currency: Optional[str] = None
    amount_display: Optional[str] = None
    n_sources: int
    n_documents: int
    first_seen: Optional[datetime] = None
    last_seen: Optional[datetime] = None
    storyline_id: Optional[str] = None
    is_new: bool = False
    disagreements: list[str] = Field(default_factory=list)
    evidence: list[Evidence] = Field(default_factory=list)
    #: the day the chart places it on: its own date when precise to the day or month,
    #: otherwise the day it was first seen
    chart_date: Optional[_Day] = None

    @property
    def evidence_shown(self) -> list[Evidence]:
        return self.evidence[:EVIDENCE_SHOWN]

    @property
    def evidence_hidden(self) -> int:
        return max(0, len(self.evidence) - EVIDENCE_SHOWN)

    @property
    def source_names(self) -> list[str]:
        names: list[str] = []
        for ev in self.evidence:
            for s in ev.sources:
                if s.source not in names:
                    names.append(s.source)
        return names

    @property
    def links(self) -> list[str]:
        links: list[str] = []
        for ev in self.evidence:
            for s in ev.sources:
                if s.url and s.url not in links:
                    links.append(s.url)
        return links


class StorylineStep(ReportRecord):
    incident_id: str
    anchor: str
    type: str
    headline: str
    date_display: str
    in_report: bool


class StorylineItem(ReportRecord):
    storyline_id: str
    title: str
    parties: list[str]
    first_date: Optional[str] = None
    last_date: Optional[str] = None
    steps: list[StorylineStep]


class TypeCount(ReportRecord):
    type: str
    count: int


class ActorCount(ReportRecord):
    name: str
    id: Optional[str] = None
    count: int


class SourceCount(ReportRecord):
    name: str
    documents: int


#: what the period of a report counts (`--by`): when trustwatch first fetched an incident's
#: reports, when they were published, or when the incident itself happened
PERIOD_BASES = ("discovered", "published", "event")
_BY_VERB = {"discovered": "discovered", "published": "reported", "event": "dated"}


class ReportFilters(ReportRecord):
    since: Optional[datetime] = None  # inclusive
    until: Optional[datetime] = None  # exclusive
    by: str = "discovered"  # one of PERIOD_BASES
    actor: Optional[str] = None
    types: list[str] = Field(default_factory=list)
    storyline: Optional[str] = None

    def scope_key(self) -> str:
        """Reports of the same scope (filters other than the period) compare with each other."""
        return json.dumps({"actor": (self.actor or "").lower() or None, "types": sorted(self.types),
                           "storyline": self.storyline}, sort_keys=True)

    @property
    def by_label(self) -> str:
        return {"discovered": "by date discovered", "published": "by date published",
                "event": "by date of the incident"}.get(self.by, self.by)

    def describe(self) -> list[str]:
        parts = []
        if self.actor:
            parts.append(f"actor: {self.actor}")
        if self.types:
            parts.append("type: " + ", ".join(self.types))
        if self.storyline:
            parts.append(f"storyline: {self.storyline}")
        return parts


class Summary(ReportRecord):
    n_incidents: int
    by_type: list[TypeCount]
    top_actors: list[ActorCount]
    n_new: Optional[int] = None  # None: no earlier report of this scope to compare with
    previous_report_at: Optional[datetime] = None


class SourceProblem(ReportRecord):
    """A source the run that wrote this report could not read."""

    name: str
    error: str


class ReportData(ReportRecord):
    title: str = "Platform-trust incident report"
    report_id: str
    generated_at: datetime  # UTC, naive
    filters: ReportFilters
    period_display: str
    summary: Summary
    incidents: list[IncidentItem]
    storylines: list[StorylineItem]
    sources: list[SourceCount]
    n_sources_watched: int
    extractor_versions: list[str]
    trustwatch_version: str
    #: set by a monitoring run: the sources it could not read, and why nothing may show
    failed_sources: list[SourceProblem] = Field(default_factory=list)
    notice: Optional[str] = None
    #: the period as a phrase that ends a sentence ("between 1 Nov 2026 and 7 Nov 2026")
    period_phrase: str = ""

    @property
    def is_empty(self) -> bool:
        return not self.incidents

    @property
    def empty_message(self) -> str:
        scope = self.filters.describe()
        verb = _BY_VERB.get(self.filters.by, "found")
        text = f"No incidents were {verb} {self.period_phrase or 'in this period'}"
        if scope:
            text += f" with these filters ({'; '.join(scope)})"
        if self.failed_sources:
            text += (f"; {len(self.failed_sources)} source{'s' if len(self.failed_sources) != 1 else ''}"
                     " could not be read, so this is not a sign of a quiet period")
        return text + "."


class ReportFilterError(ValueError):
    """A filter value that cannot be used (unknown type, bad date)."""


# --------------------------------------------------------------------------- helpers

def safe_url(url: Optional[str]) -> Optional[str]:
    """The URL when it is an absolute http(s) URL without control characters, else None."""
    if not url or not isinstance(url, str):
        return None
    url = url.strip()
    if any(ord(c) < 33 or ord(c) == 127 for c in url) or len(url) > 4000:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url


def anchor_for(incident_id: str) -> str:
    """An HTML id made only of safe characters, stable for one incident id."""
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", incident_id).strip("-")[:60]
    if slug != incident_id:
        slug = f"{slug}-{uuid.uuid5(uuid.NAMESPACE_URL, incident_id).hex[:8]}"
    return f"incident-{slug}"


def _clean_text(text: Optional[str], limit: int = 2000) -> str:
    """Collapse whitespace and drop control characters; web text is never trusted."""
    if not text:
        return ""
    text = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u2028\u2029]", "", str(text))
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def parse_event_date(value: Optional[str]) -> Optional[tuple[date, str]]:
    """(first day, precision) of a YYYY-MM-DD | YYYY-MM | YYYY string, or None."""
    if not value:
        return None
    m = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", value.strip())
    if not m:
        return None
    try:
        if m.group(3):
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3))), "day"
        if m.group(2):
            return date(int(m.group(1)), int(m.group(2)), 1), "month"
        return date(int(m.group(1)), 1, 1), "year"
    except ValueError:
        return None


def format_day(d: date | datetime) -> str:
    return f"{d.day} {_MONTHS[d.month - 1][:3]} {d.year}"


def format_event_date(value: Optional[str], precision: Optional[str]) -> str:
    parsed = parse_event_date(value)
    if parsed is None:
        return _clean_text(value, 40) or "date unknown"
    d, found = parsed
    precision = precision if precision in ("day", "month", "year") else found
    if precision == "day" and found == "day":
        return format_day(d)
    if precision in ("day", "month") and found in ("day", "month"):
        return f"{_MONTHS[d.month - 1]} {d.year}"
    return str(d.year)


def format_amount(value: Optional[float], currency: Optional[str]) -> Optional[str]:
    if value is None:
        return None
    cur = (currency or "").upper()
    if not re.fullmatch(r"[A-Z]{3}", cur):
        cur = ""
    v = float(value)
    if abs(v) >= 1e9:
        num = f"{v / 1e9:,.2f}".rstrip("0").rstrip(".") + " billion"
    elif abs(v) >= 1e6:
        num = f"{v / 1e6:,.2f}".rstrip("0").rstrip(".") + " million"
    elif v == int(v):
        num = f"{int(v):,}"
    else:
        num = f"{v:,.2f}"
    return f"{cur} {num}".strip()


_DISPUTE_LABELS = {"amount": "amount", "event_date": "date", "date": "date"}


def _parse_disagreements(raw: Any) -> list[str]:
    """Plain sentences from incidents.disagreements: {"amount"|"event_date": [{value, …, sources}]}."""
    if raw in (None, "", "null"):
        return []
    try:
        data = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        return [_clean_text(str(raw), 300)]

    def reading(field: str, v: Any) -> str:
        if not isinstance(v, dict):
            return _clean_text(str(v), 120)
        value = v.get("value")
        if field == "amount" and isinstance(value, (int, float)):
            shown = format_amount(value, v.get("currency")) or str(value)
        elif field in ("event_date", "date") and isinstance(value, str):
            shown = format_event_date(value, v.get("precision"))
        else:
            shown = _clean_text(str(value if value is not None else v.get("text", "")), 120)
        who = v.get("sources") or v.get("source")
        if isinstance(who, list):
            who = ", ".join(_clean_text(str(w), 80) for w in who[:6])
        return f"{shown} ({_clean_text(str(who), 300)})" if who else shown

    out: list[str] = []
    if isinstance(data, dict):
        for field, values in data.items():
            values = values if isinstance(values, list) else [values]
            label = _DISPUTE_LABELS.get(field, _clean_text(str(field), 40))
            out.append(_clean_text(f"{label}: " + " vs ".join(reading(field, v) for v in values[:6]), 600))
    elif isinstance(data, list):
        out.extend(_clean_text(reading("", v), 400) for v in data[:10])
    else:
        out.append(_clean_text(str(data), 400))
    return [o for o in out if o]


def normalise_types(type: Optional[str | Sequence[str]]) -> list[str]:
    if type is None:
        return []
    values = [type] if isinstance(type, str) else list(type)
    out = []
    for v in values:
        for part in str(v).split(","):
            t = part.strip().upper()
            if not t:
                continue
            if t not in EVENT_TYPES:
                raise ReportFilterError(f"unknown incident type {part.strip()!r}; "
                                        f"choose from {', '.join(EVENT_TYPES)}")
            if t not in out:
                out.append(t)
    return out


def _as_bound(value: Optional[date | datetime | str], *, end: bool) -> Optional[datetime]:
    """A period bound as a naive UTC datetime; a plain date `until` includes that whole day."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value) if "T" in value or " " in value \
                else date.fromisoformat(value)
        except ValueError as exc:
            raise ReportFilterError(f"not a date: {value!r} (use YYYY-MM-DD)") from exc
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return value
    start = datetime.combine(value, time())
    return start + timedelta(days=1) if end else start


def _period_bounds(since: Optional[datetime], until: Optional[datetime], seen: Iterable[datetime],
                   now: Optional[datetime] = None) -> tuple[Optional[datetime], Optional[datetime]]:
    seen = [s for s in seen if s is not None]
    first = since or (min(seen) if seen else None)
    last = (until - timedelta(microseconds=1)) if until else (
        now if since is not None and now is not None else (max(seen) if seen else None))
    return first, last


def _period_display(since: Optional[datetime], until: Optional[datetime],
                    seen: Iterable[datetime], now: Optional[datetime] = None) -> str:
    """The period as a heading: `1 Nov 2026 – 7 Nov 2026`, `1 Nov 2026`, `until …`, `all time`."""
    first, last = _period_bounds(since, until, seen, now)
    if first is None and last is None:
        return "all time"
    if first is None:
        return f"until {format_day(last)}"
    if last is None:
        return f"since {format_day(first)}"
    if first.date() == last.date():
        return format_day(first)
    return f"{format_day(first)} – {format_day(last)}"


def period_phrase(since: Optional[datetime], until: Optional[datetime], seen: Iterable[datetime],
                  now: Optional[datetime] = None) -> str:
    """The period as the end of a sentence: `between 1 Nov 2026 and 7 Nov 2026`, `on …`, `since …`."""
    first, last = _period_bounds(since, until, seen, now)
    if first is None and last is None:
        return "at any time"
    if first is None:
        return f"until {format_day(last)}"
    if last is None:
        return f"since {format_day(first)}"
    if first.date() == last.date():
        return f"on {format_day(first)}"
    return f"between {format_day(first)} and {format_day(last)}"


def _trustwatch_version() -> str:
    try:
        from trustwatch import __version__
        return str(__version__)
    except ImportError:  # pragma: no cover - the package always defines it
        return "unknown"


def record_report(con: duckdb.DuckDBPyConnection, data: ReportData, format: str,
                  path: Optional[str] = None) -> None:
    """Remember that this report was delivered, for the next report's "new since" count."""
    queries.log_report(con, report_id=data.report_id, generated_at=data.generated_at,
                       scope=data.filters.scope_key(), since=data.filters.since, until=data.filters.until,
                       format=format, path=path, n_incidents=data.summary.n_incidents, n_new=data.summary.n_new)


def build_report(
    con: duckdb.DuckDBPyConnection,
    since: Optional[date | datetime | str] = None,
    until: Optional[date | datetime | str] = None,
    actor: Optional[str] = None,
    type: Optional[str | Sequence[str]] = None,
    storyline: Optional[str] = None,
    *,
    by: str = "discovered",
    now: Optional[datetime] = None,
) -> ReportData:
    """Read the incidents of a period (and optional actor/type/storyline) into a `ReportData`.

    `by` says what the period counts: `discovered` (first fetched by trustwatch, the default),
    `published` or `event` (the incident's own date). `until` given as a date includes that
    day. Raises `ReportFilterError` on a bad filter.
    """
    generated_at = now or datetime.now(timezone.utc).replace(tzinfo=None)
    by = (by or "discovered").strip().lower()
    if by not in PERIOD_BASES:
        raise ReportFilterError(f"--by must be one of {', '.join(PERIOD_BASES)}, not {by!r}")
    filters = ReportFilters(since=_as_bound(since, end=False), until=_as_bound(until, end=True), by=by,
                            actor=(actor or "").strip() or None, types=normalise_types(type),
                            storyline=(storyline or "").strip() or None)
    if filters.since and filters.until and filters.since >= filters.until:
        raise ReportFilterError("the period is empty: --since must be before --until")

    rows = queries.incident_rows(con, lo=filters.since, hi=filters.until, by=by, actor=filters.actor,
                                 types=filters.types, storyline=filters.storyline)
    ids = [r[0] for r in rows]
    evidence_rows = queries.evidence_rows(con, ids)
    by_incident: dict[str, list[tuple]] = defaultdict(list)
    for er in evidence_rows:
        by_incident[er[0]].append(er)

    previous = queries.previous_report_at(con, filters.scope_key(), generated_at)
    incidents: list[IncidentItem] = []
    source_docs: dict[str, set[str]] = defaultdict(set)
    versions: set[str] = set()
    seen_times: list[datetime] = []
    for r in rows:
        (incident_id, itype, status, actor_id, actor_text, actor_name, target_id, target_text,
         target_name, amount_value, amount_currency, event_date, precision, first_seen, last_seen,
         n_documents, n_sources, headline, storyline_id, disagreements) = r
        evidence: dict[str, Evidence] = {}
        first_fetched: Optional[datetime] = None
        for (_, sentence, version, doc_id, source, title, url, canonical, published,
             fetched_at) in by_incident.get(incident_id, []):
            if version:
                versions.add(version)
            source = _clean_text(source, 120) or "unknown source"
            source_docs[source].add(doc_id)
            if fetched_at and (first_fetched is None or fetched_at < first_fetched):
                first_fetched = fetched_at
            if published:
                seen_times.append(published)
            text = _clean_text(sentence)
            if not text:
                continue
            ev = evidence.setdefault(text.casefold(), Evidence(sentence=text, sources=[]))
            if all(s.doc_id != doc_id for s in ev.sources):
                ev.sources.append(EvidenceSource(
                    source=source, title=_clean_text(title, 300) or None, published=published,
                    url=safe_url(canonical) or safe_url(url), doc_id=doc_id))
        actor_party = _party(actor_name, actor_text, actor_id)
        target_party = _party(target_name, target_text, target_id)
        itype = _clean_text(itype, 40).upper() or "UNKNOWN"
        parsed = parse_event_date(event_date)
        if parsed and (precision or parsed[1]) in ("day", "month") and parsed[1] != "year":
            chart_date = parsed[0]
        elif first_seen:
            chart_date = first_seen.date()
        else:
            chart_date = parsed[0] if parsed else None
        n_docs_found = len({s.doc_id for ev in evidence.values() for s in ev.sources})
        n_src_found = len({s.source for ev in evidence.values() for s in ev.sources})
        discovered = first_fetched or first_seen
        incidents.append(IncidentItem(
            incident_id=str(incident_id), anchor=anchor_for(str(incident_id)), type=itype,
            status=_clean_text(status, 40) or "asserted",
            headline=_clean_text(headline, 300) or _default_headline(itype, actor_party, target_party),
            date=_clean_text(event_date, 20) or None, date_precision=precision or (parsed[1] if parsed else None),
            date_display=format_event_date(event_date, precision) if event_date else
            (f"first reported {format_day(first_seen)}" if first_seen else "date unknown"),
            actor=actor_party, target=target_party, amount_value=amount_value,
            amount_currency=_clean_text(amount_currency, 3) or None,
            amount_display=format_amount(amount_value, amount_currency),
            n_sources=n_sources if n_sources is not None else n_src_found,
            n_documents=n_documents if n_documents is not None else n_docs_found,
            first_seen=first_seen, last_seen=last_seen, storyline_id=storyline_id,
            is_new=bool(previous and discovered and discovered > previous),
            disagreements=_parse_disagreements(disagreements),
            evidence=list(evidence.values()), chart_date=chart_date))
        seen_times += [t for t in (first_seen, last_seen) if t]

    incidents.sort(key=lambda it: (it.chart_date or date.min, it.last_seen or _MIN_TS, it.incident_id),
                   reverse=True)
    storylines = _storylines(con, incidents)
    type_counts = Counter(it.type for it in incidents)
    by_type = [TypeCount(type=t, count=type_counts[t]) for t in EVENT_TYPES if type_counts[t]]
    by_type += [TypeCount(type=t, count=c) for t, c in sorted(type_counts.items()) if t not in EVENT_TYPES]
    by_type.sort(key=lambda tc: -tc.count)
    n_watched = queries.sources_watched(con)
    if not versions:  # an empty report still says which extractor built the warehouse
        versions = queries.latest_extractor_versions(con)
    return ReportData(
        report_id=uuid.uuid4().hex, generated_at=generated_at, filters=filters,
        period_display=_period_display(filters.since, filters.until, seen_times, generated_at),
        period_phrase=period_phrase(filters.since, filters.until, seen_times, generated_at),
        summary=Summary(n_incidents=len(incidents), by_type=by_type,
                        top_actors=_top_actors(incidents),
                        n_new=sum(it.is_new for it in incidents) if previous else None,
                        previous_report_at=previous),
        incidents=incidents, storylines=storylines,
        sources=sorted((SourceCount(name=s, documents=len(d)) for s, d in source_docs.items()),
                       key=lambda sc: (-sc.documents, sc.name)),
        n_sources_watched=int(n_watched), extractor_versions=sorted(versions),
        trustwatch_version=_trustwatch_version())


def _party(name: Optional[str], text: Optional[str], pid: Optional[str]) -> Optional[PartyRef]:
    shown = _clean_text(name, 200) or _clean_text(text, 200)
    if not shown and not pid:
        return None
    return PartyRef(name=shown or _clean_text(pid, 200), id=_clean_text(pid, 200) or None)


def _default_headline(itype: str, actor: Optional[PartyRef], target: Optional[PartyRef]) -> str:
    who = actor.name if actor else "unknown party"
    whom = f" → {target.name}" if target else ""
    return f"{itype.capitalize()}: {who}{whom}"


def _top_actors(incidents: list[IncidentItem]) -> list[ActorCount]:
    counts: Counter[str] = Counter()
    names: dict[str, ActorCount] = {}
    for it in incidents:
        keys = set()
        for p in (it.actor, it.target):
            if p is None:
                continue
            key = (p.id or p.name).casefold()
            if key in keys:
                continue
            keys.add(key)
            counts[key] += 1
            names.setdefault(key, ActorCount(name=p.name, id=p.id, count=0))
    out = []
    for key, n in sorted(counts.items(), key=lambda kv: (-kv[1], names[kv[0]].name.casefold()))[:TOP_ACTORS]:
        item = names[key]
        item.count = n
        out.append(item)
    return out


def _storylines(con: duckdb.DuckDBPyConnection, incidents: list[IncidentItem]) -> list[StorylineItem]:
    """Storylines touched by the report, each as the ordered sequence of all its incidents."""
    ids = sorted({it.storyline_id for it in incidents if it.storyline_id})
    if not ids:
        return []
    in_report = {it.incident_id for it in incidents}
    heads = queries.storyline_heads(con, ids)
    steps: dict[str, list[tuple]] = defaultdict(list)
    for r in queries.storyline_steps(con, ids):
        steps[r[0]].append(r)
    out = []
    for sid in ids:
        rows = steps.get(sid, [])

        def when(r: tuple) -> tuple:
            parsed = parse_event_date(r[4])
            d = parsed[0] if parsed else (r[6].date() if r[6] else date.max)
            return (d, r[6] or _MAX_TS, r[1])

        rows.sort(key=when)
        seq = []
        for r in rows:
            itype = _clean_text(r[2], 40).upper() or "UNKNOWN"
            actor = _party(r[8], r[7], None)
            target = _party(r[10], r[9], None)
            seq.append(StorylineStep(
                incident_id=str(r[1]), anchor=anchor_for(str(r[1])), type=itype,
                headline=_clean_text(r[3], 300) or _default_headline(itype, actor, target),
                date_display=format_event_date(r[4], r[5]) if r[4] else
                (f"first reported {format_day(r[6])}" if r[6] else "date unknown"),
                in_report=str(r[1]) in in_report))
        head = heads.get(sid)
        parties = [_clean_text(p, 200) for p in (head[2] or [])] if head else []
        title = (_clean_text(head[1], 300) if head else "") or (
            " · ".join(p for p in parties if p) or f"Storyline {_clean_text(sid, 60)}")
        out.append(StorylineItem(
            storyline_id=str(sid), title=title, parties=[p for p in parties if p],
            first_date=format_event_date(head[3], None) if head and head[3] else None,
            last_date=format_event_date(head[4], None) if head and head[4] else None,
            steps=seq))
    return out
