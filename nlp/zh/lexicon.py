"""The Chinese rule data (`nlp/data/zh/*.yaml`), loaded and validated once.

Triggers, status cues, role markers and entity forms are data so that a phrasing missed in
the news is fixed by adding a line, not code. A bad file fails loudly with its name.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Optional

import yaml

from trustwatch.records import EVENT_TYPES

DATA_PACKAGE = "trustwatch.nlp"
DATA_DIR = ("data", "zh")


class ZhDataError(ValueError):
    """A Chinese rule file is invalid; the message names the file and the entry."""


@dataclass(frozen=True)
class Trigger:
    text: str
    type: str
    context: Optional[re.Pattern] = None
    not_before: Optional[re.Pattern] = None
    not_after: Optional[re.Pattern] = None
    not_in_clause: Optional[re.Pattern] = None
    passive_target: bool = False
    to_marker: str = "target"
    plain: bool = False
    from_marker: bool = False
    conf: float = 0.7


@dataclass(frozen=True)
class StatusCues:
    negated: tuple[str, ...]
    negated_window: int
    negated_anywhere: tuple[str, ...]
    hypothetical: tuple[str, ...]
    hypothetical_window: int
    planned: tuple[str, ...]
    planned_window: int
    hearsay: tuple[str, ...] = ()
    conditional: tuple[str, ...] = ()


@dataclass(frozen=True)
class Body:
    text: str
    kind: str


@dataclass(frozen=True)
class ZhLexicon:
    triggers: tuple[Trigger, ...]
    trigger_rx: re.Pattern
    by_text: dict[str, list[Trigger]]
    status: StatusCues
    disposal_after: re.Pattern
    passive: tuple[str, ...]
    object_markers: tuple[str, ...]
    to_markers: tuple[str, ...]
    source_before: tuple[str, ...]
    source_after: tuple[re.Pattern, ...]
    pronouns: frozenset[str]
    non_names: frozenset[str]
    np_lead: re.Pattern
    np_stop: re.Pattern
    np_max: int
    bodies: tuple[Body, ...]
    body_rx: re.Pattern
    place_suffix: re.Pattern
    place_prefix: tuple[str, ...]
    places: frozenset[str]
    person_roles: tuple[str, ...]
    person_rx: re.Pattern
    person_not_names: re.Pattern
    np_heads: tuple[str, ...] = ()
    np_receivers: frozenset[str] = frozenset()
    venue_before: Optional[re.Pattern] = None
    order_markers: tuple[str, ...] = ()
    modifier_after: Optional[re.Pattern] = None
    anon_rx: Optional[re.Pattern] = None
    latin_not_names: frozenset[str] = frozenset()
    notice_party_words: tuple[str, ...] = ()
    first_person: tuple[str, ...] = ()
    issuer_words: tuple[str, ...] = ()
    back_reference: Optional[re.Pattern] = None
    owner_after: Optional[re.Pattern] = None
    held_pronouns: frozenset[str] = frozenset()


def _read(name: str) -> Any:
    path = resources.files(DATA_PACKAGE).joinpath(*DATA_DIR, name)
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ZhDataError(f"nlp/data/zh/{name}: {exc}") from exc


def _rx(value: Optional[str], where: str) -> Optional[re.Pattern]:
    if not value:
        return None
    try:
        return re.compile(value)
    except re.error as exc:
        raise ZhDataError(f"{where}: bad regex {value!r}: {exc}") from exc


def _alt(words) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


def _triggers(rows: Any) -> tuple[Trigger, ...]:
    if not isinstance(rows, list):
        raise ZhDataError("nlp/data/zh/triggers.yaml: expected a list of triggers")
    out = []
    for i, row in enumerate(rows):
        where = f"nlp/data/zh/triggers.yaml: entry #{i + 1}"
        if not isinstance(row, dict) or not row.get("text") or row.get("type") not in EVENT_TYPES:
            raise ZhDataError(f"{where}: needs text and a type among {', '.join(EVENT_TYPES)}: {row!r}")
        unknown = set(row) - {"text", "type", "context", "not_before", "not_after", "not_in_clause",
                              "passive_target", "to_marker", "plain", "from_marker", "conf"}
        if unknown:
            raise ZhDataError(f"{where}: unknown field(s) {sorted(unknown)}")
        if row.get("to_marker", "target") not in ("target", "none"):
            raise ZhDataError(f"{where}: to_marker is target or none")
        out.append(Trigger(text=str(row["text"]), type=row["type"],
                           context=_rx(row.get("context"), where),
                           not_before=_rx(row.get("not_before"), where),
                           not_after=_rx(row.get("not_after"), where),
                           not_in_clause=_rx(row.get("not_in_clause"), where),
                           passive_target=bool(row.get("passive_target", False)),
                           to_marker=row.get("to_marker", "target"),
                           plain=bool(row.get("plain", False)),
                           from_marker=bool(row.get("from_marker", False)),
                           conf=float(row.get("conf", 0.7))))
    return tuple(out)


@lru_cache(maxsize=1)
def load_lexicon() -> ZhLexicon:
    triggers = _triggers(_read("triggers.yaml"))
    cues = _read("cues.yaml") or {}
    ents = _read("entities.yaml") or {}
    try:
        st = cues["status"]
        status = StatusCues(
            negated=tuple(st["negated"]["cues"]), negated_window=int(st["negated"]["window"]),
            negated_anywhere=tuple(st["negated_anywhere"]["cues"]),
            hypothetical=tuple(st["hypothetical"]["cues"]),
            hypothetical_window=int(st["hypothetical"]["window"]),
            planned=tuple(st["planned"]["cues"]), planned_window=int(st["planned"]["window"]),
            hearsay=tuple(st.get("hearsay", {}).get("cues", ())),
            conditional=tuple(st.get("conditional", {}).get("cues", ())))
        bodies = tuple(Body(b["text"], b["kind"]) for b in ents["bodies"]["anchors"])
        people = ents["people"]
        by_text: dict[str, list[Trigger]] = {}
        for t in triggers:
            by_text.setdefault(t.text, []).append(t)
        roles = tuple(people["roles"])
        return ZhLexicon(
            triggers=triggers,
            trigger_rx=re.compile(_alt(by_text)),
            by_text=by_text,
            status=status,
            disposal_after=re.compile(cues["disposal_after"]),
            passive=tuple(cues["passive"]),
            object_markers=tuple(cues["object_markers"]),
            to_markers=tuple(cues["to_markers"]),
            source_before=tuple(cues["source_before"]),
            source_after=tuple(re.compile(p) for p in cues["source_after"]),
            pronouns=frozenset(cues["pronouns"]) | frozenset(cues.get("notice_party_words", ()))
            | frozenset(cues.get("issuer_words", ())) | frozenset(cues.get("first_person", ())),
            non_names=frozenset(cues["non_names"]),
            np_lead=re.compile(cues["np_lead"]),
            np_stop=re.compile(cues["np_stop"]),
            np_max=int(cues["np_max"]),
            bodies=bodies,
            body_rx=re.compile(_alt(b.text for b in bodies)),
            place_suffix=re.compile(ents["bodies"]["place_suffix"]),
            place_prefix=tuple(ents["bodies"]["place_prefix"]),
            places=frozenset(ents["bodies"]["places"]),
            person_roles=roles,
            person_rx=re.compile(f"(?:{_alt(roles)})"),
            person_not_names=re.compile(people["not_names"]),
            np_heads=tuple(sorted(cues["np_heads"], key=len, reverse=True)),
            np_receivers=frozenset(cues["np_receivers"]),
            venue_before=re.compile(cues["venue_before"]),
            order_markers=tuple(cues["order_markers"]),
            modifier_after=re.compile(cues["modifier_after"]),
            anon_rx=re.compile(f"(?<!某)(?:{_alt(ents['surnames'])})某{{1,2}}"),
            latin_not_names=frozenset(ents["latin_not_names"]),
            notice_party_words=tuple(cues.get("notice_party_words", ())),
            first_person=tuple(cues.get("first_person", ())),
            issuer_words=tuple(cues.get("issuer_words", ())),
            owner_after=_rx(cues.get("owner_after"), "nlp/data/zh/cues.yaml: owner_after"),
            held_pronouns=frozenset(cues.get("held_pronouns", ())),
            back_reference=_rx(cues.get("back_reference"), "nlp/data/zh/cues.yaml: back_reference"),
        )
    except (KeyError, TypeError, re.error) as exc:
        raise ZhDataError(f"nlp/data/zh/cues.yaml or entities.yaml: missing or bad entry: {exc!r}") from exc
