"""Storylines: incidents that share a party within a window, linked and ordered in time.

A block, a fine, an apology, a refund and an account ban involving the same platform or
person within weeks are one story. Parties link incidents only where they are what the story
is about: the key party of each incident (who is fined, blocked, banned; who apologizes or
pays) and the platform that blocks or bans. Left out are the authority that fines, probes or
sues, any actor the gazetteer classes as a regulator, court or government, accusers and
attackers (one busy regulator or consumer group would otherwise tie every story of a season
together), and the receivers of apologies and refunds ("buyers", "parents").
"""
from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import date
from typing import Optional

import pyarrow as pa

from trustwatch.warehouse.incidents import Incident

#: types whose actor (beside the key party) is a party to the story: the platform acting
ACTOR_LINK_TYPES = frozenset({"BLOCK", "BAN"})
AUTHORITY_KINDS = frozenset({"regulator", "court", "government", "authority", "state", "agency",
                             "legislature", "police", "tax"})
#: the usual order of a story, used only between incidents of the same day
TYPE_ORDER = {t: n for n, t in enumerate(
    ("BREACH", "ACCUSATION", "INVESTIGATION", "BLOCK", "FINE", "LAWSUIT", "APOLOGY", "COMPENSATION", "BAN"))}


def linking_parties(inc: Incident, actor_kinds: dict[str, str]) -> list[str]:
    """The parties through which this incident joins a storyline."""
    parties = [inc.key_party] if inc.key_party else []
    if inc.type in ACTOR_LINK_TYPES and inc.actor_id and inc.actor_id not in parties and \
            (actor_kinds.get(inc.actor_id) or "").lower() not in AUTHORITY_KINDS:
        parties.append(inc.actor_id)
    return parties


def story_order(inc: Incident) -> tuple:
    return (inc.sort_date or date.max, TYPE_ORDER.get(inc.type, 99), inc.incident_id)


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, x: int) -> int:
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def link_storylines(incidents: list[Incident], window_days: int = 60,
                    actor_kinds: Optional[dict[str, str]] = None) -> list[dict]:
    """Set `storyline_id`/`storyline_seq` on linked incidents; return the storyline rows.

    Per party, incidents are sorted by date and each is linked to the next when they are at
    most `window_days` apart, so the cost is a sort per party, never all pairs.
    """
    actor_kinds = actor_kinds or {}
    by_party: dict[str, list[int]] = defaultdict(list)
    for n, inc in enumerate(incidents):
        inc.storyline_id = None
        inc.storyline_seq = None
        for party in linking_parties(inc, actor_kinds):
            by_party[party].append(n)
    uf = _UnionFind(len(incidents))
    for members in by_party.values():
        dated = sorted((m for m in members if incidents[m].sort_date is not None),
                       key=lambda m: story_order(incidents[m]))
        for a, b in zip(dated, dated[1:]):
            if (incidents[b].sort_date - incidents[a].sort_date).days <= window_days:
                uf.union(a, b)
    components: dict[int, list[int]] = defaultdict(list)
    for n in range(len(incidents)):
        components[uf.find(n)].append(n)

    rows = []
    for members in components.values():
        if len(members) < 2:
            continue
        members.sort(key=lambda m: story_order(incidents[m]))
        story = [incidents[m] for m in members]
        storyline_id = "sl_" + hashlib.sha1(story[0].incident_id.encode("utf-8")).hexdigest()[:16]
        for seq, inc in enumerate(story, 1):
            inc.storyline_id, inc.storyline_seq = storyline_id, seq
        rows.append(_storyline_row(storyline_id, story, actor_kinds))
    rows.sort(key=lambda r: (r["first_date"] or "", r["storyline_id"]))
    return rows


def _storyline_row(storyline_id: str, story: list[Incident], actor_kinds: dict[str, str]) -> dict:
    counts: dict[str, int] = defaultdict(int)
    names: dict[str, str] = {}
    for inc in story:
        for party in linking_parties(inc, actor_kinds):
            counts[party] += 1
            text = inc.target_text if party == inc.target_id else inc.actor_text
            names.setdefault(party, text or party)
    shared = sorted(counts, key=lambda p: (-counts[p], p))
    types = [inc.type for inc in story]
    dates = [inc.sort_date for inc in story if inc.sort_date is not None]
    title_parties = ", ".join(names[p] for p in shared[:3])
    title_types = " → ".join(dict.fromkeys(t.lower() for t in types))
    return {
        "storyline_id": storyline_id,
        "title": f"{title_parties}: {title_types}",
        "parties": sorted(counts),
        "first_date": dates[0].isoformat() if dates else None,
        "last_date": dates[-1].isoformat() if dates else None,
        "n_incidents": len(story),
        "types": types,
    }


_SCHEMA = pa.schema([
    ("storyline_id", pa.string()), ("title", pa.string()), ("parties", pa.list_(pa.string())),
    ("first_date", pa.string()), ("last_date", pa.string()), ("n_incidents", pa.int32()),
    ("types", pa.list_(pa.string())),
])


def storylines_table(rows: list[dict]) -> pa.Table:
    return pa.table({name: [r[name] for r in rows] for name in _SCHEMA.names}, schema=_SCHEMA)
