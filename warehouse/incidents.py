"""Grouping per-document events into incidents: one real-world event, however many reports.

Events are blocked by (type, key party) and swept in date order, so the work grows with the
number of events, not with its square. Within a block an event joins an open incident when its
date lies within the window, its other party is compatible and its amount is compatible;
status does not split (a planned block and its taking effect are one incident). Incident ids
come from the earliest report's natural key, so a rerun or a re-extraction keeps them.
Where reports disagree on the amount or the date, the incident keeps every version with the
sources that give it.
"""
from __future__ import annotations

import calendar
import hashlib
import json
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Optional, Sequence

import duckdb
import pyarrow as pa

from trustwatch.records import KEY_ROLE, contains_words
from trustwatch.warehouse.actors import GENERIC_WORDS, PROVISIONAL_PREFIX, party_words

log = logging.getLogger(__name__)

#: amounts of one incident differ by at most this factor (beyond: a different penalty)
AMOUNT_RATIO = 2.0
#: amounts within this relative difference are the same figure (no dispute)
AMOUNT_SAME = 0.005
#: words too common in authority names to show that two parties are the same
_WEAK_WORDS = GENERIC_WORDS | frozenset(
    "china chinese us eu european uk british american national local municipal city federal "
    "of and for in on to tax taxation administration commission market regulation general "
    "state public security data protection competition consumer".split()
)

#: country words: not evidence of the same party, but two different countries are evidence against
_COUNTRY_WORDS = {
    w: code for code, words in {
        "CN": "china chinese prc beijing", "NL": "dutch netherlands holland", "FR": "france french",
        "DE": "germany german", "GB": "britain british uk england english", "US": "us usa american america",
        "RU": "russia russian", "TR": "turkey turkish", "IE": "ireland irish", "IT": "italy italian",
        "ES": "spain spanish", "IN": "india indian", "JP": "japan japanese", "KR": "korea korean",
        "EU": "eu european", "BR": "brazil brazilian", "AU": "australia australian",
        "CA": "canada canadian", "KE": "kenya kenyan", "NG": "nigeria nigerian", "VN": "vietnam vietnamese",
        "ID": "indonesia indonesian", "PK": "pakistan pakistani", "IR": "iran iranian",
    }.items() for w in words.split()
}
_WEAK_WORDS = _WEAK_WORDS | frozenset(_COUNTRY_WORDS)


@dataclass
class IncidentReport:
    events: int = 0
    incidents: int = 0
    storylines: int = 0
    disputed: int = 0
    seconds: float = 0.0
    mode: str = "full"           # "full" (every incident regrouped) or "incremental"
    written: int = 0             # incidents (re)written
    removed: int = 0             # incidents deleted and not replaced
    new_ids: list[str] = field(default_factory=list)  # incidents that did not exist before


@dataclass
class Incident:
    """An incident under construction (the `incidents` row plus its supporting events)."""

    incident_id: str
    type: str
    status: str
    key_party: Optional[str]
    actor_id: Optional[str]
    actor_text: Optional[str]
    target_id: Optional[str]
    target_text: Optional[str]
    amount_value: Optional[float]
    amount_currency: Optional[str]
    amount_text: Optional[str]
    event_date: Optional[str]
    date_precision: Optional[str]
    date_start: Optional[date]
    date_end: Optional[date]
    first_seen: Optional[datetime]
    last_seen: Optional[datetime]
    n_documents: int
    n_sources: int
    sources: list[str]
    headline_event: Optional[str]      # the report whose sentence is the headline
    amount_disputed: bool
    date_disputed: bool
    disagreements: Optional[dict]
    event_ids: list[str] = field(default_factory=list)
    storyline_id: Optional[str] = None
    storyline_seq: Optional[int] = None

    @property
    def sort_date(self) -> Optional[date]:
        if self.date_start is not None:
            return self.date_start
        return self.first_seen.date() if self.first_seen else None


# --- dates -------------------------------------------------------------------------------

@lru_cache(maxsize=100_000)
def date_range(value: Optional[str]) -> Optional[tuple[date, date]]:
    """First and last day a `YYYY-MM-DD` / `YYYY-MM` / `YYYY` value can mean (None if invalid)."""
    if not value:
        return None
    try:
        parts = [int(p) for p in value.split("-")]
        if len(parts) == 3:
            d = date(*parts)
            return d, d
        if len(parts) == 2:
            y, m = parts
            return date(y, m, 1), date(y, m, calendar.monthrange(y, m)[1])
        if len(parts) == 1:
            return date(parts[0], 1, 1), date(parts[0], 12, 31)
    except ValueError:
        return None
    return None


# --- compatibility -----------------------------------------------------------------------

@lru_cache(maxsize=200_000)
def _salient(text: Optional[str]) -> frozenset:
    return frozenset(w for w in party_words(text) if w not in _WEAK_WORDS and len(w) > 1)


@lru_cache(maxsize=200_000)
def _countries(text: Optional[str]) -> frozenset:
    return frozenset(_COUNTRY_WORDS[w] for w in party_words(text) if w in _COUNTRY_WORDS)


def parties_compatible(a_id: Optional[str], a_text: Optional[str],
                       b_id: Optional[str], b_text: Optional[str]) -> bool:
    """Could these two mentions name the same party? Unstated parties are compatible."""
    if a_id is None or b_id is None or a_id == b_id:
        return True
    if not a_id.startswith(PROVISIONAL_PREFIX) and not b_id.startswith(PROVISIONAL_PREFIX):
        return False  # two different known actors
    wa, wb = party_words(a_text), party_words(b_text)
    if contains_words(wa, wb) or contains_words(wb, wa):
        return True
    ca, cb = _countries(a_text), _countries(b_text)
    if ca and cb and not ca & cb:
        return False  # a Dutch and a French regulator
    sa, sb = _salient(a_text), _salient(b_text)
    if not sa or not sb:
        return True  # "the tax bureau" names no one in particular: it may be either
    return bool(sa & sb)


def amounts_compatible(a: Optional[tuple[float, str]], b: Optional[tuple[float, str]]) -> bool:
    """Same penalty as far as we can tell: unstated, another currency, or within a factor 2."""
    if a is None or b is None or a[1] != b[1]:
        return True
    lo, hi = sorted((abs(a[0]), abs(b[0])))
    return lo == hi or (lo > 0 and hi / lo <= AMOUNT_RATIO)


# --- grouping ----------------------------------------------------------------------------

class _Cluster:
    __slots__ = ("members", "lo", "hi", "others", "amounts")

    def __init__(self) -> None:
        self.members: list[int] = []
        self.lo: Optional[int] = None
        self.hi: Optional[int] = None
        self.others: list[tuple[Optional[str], Optional[str]]] = []
        self.amounts: list[tuple[float, str]] = []


def group_events(cols: dict[str, list], window_days: int) -> list[list[int]]:
    """Indices of the events of each incident. `cols` holds the event columns
    of `incident_update.EVENT_COLUMNS_SQL`, by name."""
    n = len(cols["event_id"])
    types, statuses = cols["type"], cols["status"]
    lo_day: list[Optional[int]] = [None] * n
    hi_day: list[Optional[int]] = [None] * n
    for i in range(n):
        rng = date_range(cols["event_date"][i])
        if rng is not None:
            lo_day[i], hi_day[i] = rng[0].toordinal(), rng[1].toordinal()
        elif cols["published"][i] is not None:
            pub = cols["published"][i].date().toordinal()
            # reported without a date: it happened by the day of the report (or, if planned, from it)
            if statuses[i] == "planned":
                lo_day[i], hi_day[i] = pub, pub + window_days
            else:
                lo_day[i], hi_day[i] = pub - window_days, pub

    blocks: dict[tuple[str, str], list[int]] = defaultdict(list)
    groups: list[list[int]] = []
    for i in range(n):
        key_is_actor = KEY_ROLE.get(types[i]) == "actor"
        key = cols["actor_id"][i] if key_is_actor else cols["target_id"][i]
        if key is None:
            groups.append([i])  # nothing to match on: an incident of its own
        else:
            blocks[(types[i], key)].append(i)

    far = date.max.toordinal() + 1
    for (type_, _key), members in blocks.items():
        key_is_actor = KEY_ROLE.get(type_) == "actor"
        other_id = cols["target_id"] if key_is_actor else cols["actor_id"]
        other_text = cols["target_text"] if key_is_actor else cols["actor_text"]
        members.sort(key=lambda i: (lo_day[i] if lo_day[i] is not None else far,
                                    cols["published"][i] or datetime.max, cols["doc_id"][i],
                                    cols["start_char"][i]))
        open_clusters: list[_Cluster] = []
        for i in members:
            lo, hi = lo_day[i], hi_day[i]
            if lo is not None:
                # a cluster that ended more than a window before this event can take no more
                done = [c for c in open_clusters if c.hi is not None and c.hi + window_days < lo]
                if done:
                    groups.extend(c.members for c in done)
                    open_clusters = [c for c in open_clusters
                                     if not (c.hi is not None and c.hi + window_days < lo)]
            amount = (None if cols["amount_value"][i] is None or cols["amount_currency"][i] is None
                      else (cols["amount_value"][i], cols["amount_currency"][i]))
            oid, otext = other_id[i], other_text[i]
            target = None
            for c in reversed(open_clusters):
                if lo is not None and c.lo is not None and (lo - c.hi > window_days or c.lo - hi > window_days):
                    continue
                if oid is not None and c.others and not any(
                        parties_compatible(oid, otext, cid, ctext) for cid, ctext in c.others):
                    continue
                if amount is not None and c.amounts and not any(
                        amounts_compatible(amount, a) for a in c.amounts):
                    continue
                target = c
                break
            if target is None:
                target = _Cluster()
                open_clusters.append(target)
            target.members.append(i)
            if lo is not None:
                target.lo = lo if target.lo is None else min(target.lo, lo)
                target.hi = hi if target.hi is None else max(target.hi, hi)
            if oid is not None and (oid, otext) not in target.others:
                target.others.append((oid, otext))
            if amount is not None and amount not in target.amounts:
                target.amounts.append(amount)
        groups.extend(c.members for c in open_clusters)
    return groups


# --- one incident from its events --------------------------------------------------------

def _mode(values: list) -> Optional[object]:
    """The most frequent non-null value; ties go to the one reported first."""
    counts: dict = {}
    for v in values:
        if v is not None:
            counts[v] = counts.get(v, 0) + 1
    best, best_count = None, 0
    for v in values:
        if v is not None and counts[v] > best_count:
            best, best_count = v, counts[v]
    return best


def _natural_id(type_: str, key: Optional[str], doc_id: str, extra: str = "") -> str:
    raw = "\x1f".join((type_, key or "", doc_id, extra))
    return "inc_" + hashlib.sha1(raw.encode("utf-8")).hexdigest()[:16]


def compose_incident(cols: dict[str, list], members: list[int]) -> Incident:
    """Summarize the events of one incident, keeping every disputed amount and date."""
    pub = cols["published"]
    members = sorted(members, key=lambda i: (pub[i] or datetime.max, cols["doc_id"][i], cols["start_char"][i]))
    first = members[0]
    type_ = cols["type"][first]
    key_is_actor = KEY_ROLE.get(type_) == "actor"
    if len(members) == 1:
        return _single_report(cols, first, key_is_actor)

    def pick(id_col: str, text_col: str) -> tuple[Optional[str], Optional[str]]:
        ids, texts = cols[id_col], cols[text_col]
        chosen = _mode([ids[i] for i in members])
        return chosen, _mode([texts[i] for i in members if ids[i] == chosen])

    actor_id, actor_text = pick("actor_id", "actor_text")
    target_id, target_text = pick("target_id", "target_text")
    key = actor_id if key_is_actor else target_id

    docs = {cols["doc_id"][i] for i in members}
    sources = sorted({cols["source"][i] for i in members if cols["source"][i] is not None})
    seen = [pub[i] for i in members if pub[i] is not None]

    # amounts: one version per distinct figure, with who reports it
    versions: list[dict] = []
    for i in members:
        value, currency = cols["amount_value"][i], cols["amount_currency"][i]
        if value is None or currency is None:
            continue
        for v in versions:
            if v["currency"] == currency and abs(v["value"] - value) <= AMOUNT_SAME * max(abs(v["value"]), abs(value)):
                break
        else:
            v = {"value": value, "currency": currency, "text": cols["amount_text"][i], "docs": [], "sources": []}
            versions.append(v)
        _add_witness(v, cols, i)
    amount = max(versions, key=lambda v: (len(v["docs"]), -versions.index(v))) if versions else None

    # dates: the most precise reading; a dispute only when two readings cannot both be true
    rank = {"day": 0, "month": 1, "year": 2}
    dated: list[dict] = []
    for i in members:
        value = cols["event_date"][i]
        rng = date_range(value)
        if rng is None:
            continue
        for v in dated:
            if v["value"] == value:
                break
        else:
            v = {"value": value, "precision": cols["date_precision"][i] or _precision(value),
                 "range": rng, "docs": [], "sources": []}
            dated.append(v)
        _add_witness(v, cols, i)
    chosen_date = (min(dated, key=lambda v: (rank.get(v["precision"], 3), -len(v["docs"]), dated.index(v)))
                   if dated else None)
    date_disputed = any(a["range"][1] < b["range"][0] or b["range"][1] < a["range"][0]
                        for n, a in enumerate(dated) for b in dated[n + 1:])
    amount_disputed = len(versions) > 1

    disagreements = {}
    if amount_disputed:
        disagreements["amount"] = [
            {"value": v["value"], "currency": v["currency"], "text": v["text"],
             "sources": v["sources"], "doc_ids": v["docs"]} for v in versions]
    if date_disputed:
        disagreements["event_date"] = [
            {"value": v["value"], "precision": v["precision"], "sources": v["sources"], "doc_ids": v["docs"]}
            for v in dated]

    best = min(members, key=lambda i: (-(cols["confidence"][i] or 0.0), pub[i] or datetime.max,
                                       cols["doc_id"][i], cols["start_char"][i]))
    status = "asserted" if any(cols["status"][i] == "asserted" for i in members) else "planned"
    return Incident(
        incident_id=_natural_id(type_, key, cols["doc_id"][first]),
        type=type_, status=status, key_party=key,
        actor_id=actor_id, actor_text=actor_text, target_id=target_id, target_text=target_text,
        amount_value=amount["value"] if amount else None,
        amount_currency=amount["currency"] if amount else None,
        amount_text=amount["text"] if amount else None,
        event_date=chosen_date["value"] if chosen_date else None,
        date_precision=chosen_date["precision"] if chosen_date else None,
        date_start=chosen_date["range"][0] if chosen_date else None,
        date_end=chosen_date["range"][1] if chosen_date else None,
        first_seen=min(seen) if seen else None, last_seen=max(seen) if seen else None,
        n_documents=len(docs), n_sources=len(sources), sources=sources,
        headline_event=cols["event_id"][best],
        amount_disputed=amount_disputed, date_disputed=date_disputed,
        disagreements=disagreements or None,
        event_ids=[cols["event_id"][i] for i in members],
    )


def _single_report(cols: dict[str, list], i: int, key_is_actor: bool) -> Incident:
    """The common case of an incident told by one report: no vote, no dispute."""
    rng = date_range(cols["event_date"][i])
    value = cols["amount_value"][i] if cols["amount_currency"][i] is not None else None
    pub, source = cols["published"][i], cols["source"][i]
    key = cols["actor_id"][i] if key_is_actor else cols["target_id"][i]
    return Incident(
        incident_id=_natural_id(cols["type"][i], key, cols["doc_id"][i]),
        type=cols["type"][i], status=cols["status"][i], key_party=key,
        actor_id=cols["actor_id"][i], actor_text=cols["actor_text"][i],
        target_id=cols["target_id"][i], target_text=cols["target_text"][i],
        amount_value=value, amount_currency=cols["amount_currency"][i] if value is not None else None,
        amount_text=cols["amount_text"][i] if value is not None else None,
        event_date=cols["event_date"][i] if rng else None,
        date_precision=(cols["date_precision"][i] or _precision(cols["event_date"][i])) if rng else None,
        date_start=rng[0] if rng else None, date_end=rng[1] if rng else None,
        first_seen=pub, last_seen=pub, n_documents=1, n_sources=1 if source is not None else 0,
        sources=[source] if source is not None else [], headline_event=cols["event_id"][i],
        amount_disputed=False, date_disputed=False, disagreements=None, event_ids=[cols["event_id"][i]],
    )


def _add_witness(version: dict, cols: dict[str, list], i: int) -> None:
    doc, source = cols["doc_id"][i], cols["source"][i]
    if doc not in version["docs"]:
        version["docs"].append(doc)
    if source is not None and source not in version["sources"]:
        version["sources"].append(source)


def _precision(value: str) -> str:
    return {3: "day", 2: "month", 1: "year"}.get(len(value.split("-")), "day")


def _unique_ids(incidents: list[Incident], cols: dict[str, list], groups: list[list[int]]) -> None:
    """Two incidents first reported in one document under one key get a longer natural key."""
    seen: set[str] = set()
    order = sorted(range(len(incidents)), key=lambda n: (incidents[n].incident_id, incidents[n].sort_date or date.min,
                                                        min(cols["start_char"][i] for i in groups[n])))
    for n in order:
        inc = incidents[n]
        if inc.incident_id in seen:
            first = min(groups[n], key=lambda i: (cols["published"][i] or datetime.max, cols["doc_id"][i],
                                                  cols["start_char"][i]))
            inc.incident_id = _natural_id(inc.type, inc.key_party, cols["doc_id"][first],
                                          f"{inc.event_date}|{cols['start_char'][first]}|{cols['event_id'][first]}")
        seen.add(inc.incident_id)


# --- rows ----------------------------------------------------------------------------------

_INCIDENT_SCHEMA = pa.schema([
    ("incident_id", pa.string()), ("type", pa.string()), ("status", pa.string()),
    ("actor_id", pa.string()), ("actor_text", pa.string()), ("target_id", pa.string()),
    ("target_text", pa.string()), ("amount_value", pa.float64()), ("amount_currency", pa.string()),
    ("amount_text", pa.string()), ("event_date", pa.string()), ("date_precision", pa.string()),
    ("date_start", pa.date32()), ("date_end", pa.date32()), ("first_seen", pa.timestamp("us")),
    ("last_seen", pa.timestamp("us")), ("n_documents", pa.int32()), ("n_sources", pa.int32()),
    ("sources", pa.list_(pa.string())), ("headline_event", pa.string()), ("amount_disputed", pa.bool_()),
    ("date_disputed", pa.bool_()), ("disagreements", pa.string()), ("key_party", pa.string()),
    ("storyline_id", pa.string()), ("storyline_seq", pa.int32()), ("sort_date", pa.date32()),
])


def _incidents_table(incidents: list[Incident]) -> pa.Table:
    arrays = []
    for f in _INCIDENT_SCHEMA:
        values = [getattr(inc, f.name) for inc in incidents]
        if f.name == "disagreements":
            values = [None if v is None else json.dumps(v, sort_keys=True, ensure_ascii=False) for v in values]
        arrays.append(pa.array(values, type=f.type))
    return pa.Table.from_arrays(arrays, schema=_INCIDENT_SCHEMA)


def build_incidents(con: duckdb.DuckDBPyConnection, window_days: int = 14,
                    storyline_window_days: int = 60, hooks: Sequence = (), *, full: bool = False) -> IncidentReport:
    """Bring `incidents`, `incident_events` and `storylines` up to date with `events`, in one transaction.

    Only the blocks of new, changed or removed events are regrouped (the rows equal a full
    rebuild's); `full=True` regroups everything, as after a change of grouping rules. Each
    hook's `before_rebuild(con)` and `after_rebuild(con)` run inside that transaction, before
    the old rows are deleted and after the new ones are written (the alert outbox); a hook with
    `scoped = True` is given `incident_ids=`, the incidents that may change (None: all).
    """
    from trustwatch.warehouse.incident_update import rebuild_incidents, update_incidents

    build = rebuild_incidents if full else update_incidents
    return build(con, window_days, storyline_window_days, hooks)
