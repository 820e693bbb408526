"""Parties: canonical actors from the gazetteer, and provisional ids for everyone else.

Every party an event names gets an `actor_id` so that incidents and storylines can be grouped
and joined on one column: the gazetteer's canonical id when the party is known, otherwise a
provisional `prov:<slug>` made from the normalized text. An unknown party is never an error.
"""
from __future__ import annotations

import logging
import re
import unicodedata
from functools import lru_cache
from typing import Iterable, Optional

import duckdb
import pyarrow as pa

log = logging.getLogger(__name__)

PROVISIONAL_PREFIX = "prov:"

#: words that name no one in particular: a party made only of these is treated as unstated
GENERIC_WORDS = frozenset(
    """
    the a an it its they them their he she him her his this that these those who which
    company companies firm firms group platform platforms app apps site sites service services
    business businesses operator operators owner owners official officials authority authorities
    government governments regulator regulators agency agencies court courts state states
    ministry department departments bureau office police users user people customers customer
    consumers consumer someone somebody others other one buyers buyer shoppers shopper
    victims investors subscribers viewers fans followers members clients residents citizens
    """.split()
)

#: legal-form suffixes dropped when comparing names ("Meta Platforms Inc." == "Meta Platforms")
_LEGAL_SUFFIXES = frozenset(
    "inc incorporated ltd limited llc plc corp corporation co gmbh ag sa nv bv spa holdings".split()
)

#: trailing words that say which part of a party is meant ("Pingrong's account", "JD.com")
_DESCRIPTOR_SUFFIXES = frozenset(
    "com account accounts channel channels page pages profile profiles handle store shop "
    "livestream livestreams stream streams room".split()
)

_WORD = re.compile(r"[^\W_]+", re.UNICODE)


@lru_cache(maxsize=200_000)
def party_words(text: Optional[str]) -> tuple[str, ...]:
    """Case-folded words of a party name, possessives and legal suffixes removed."""
    if not text:
        return ()
    text = unicodedata.normalize("NFKC", text).casefold()
    text = re.sub(r"['’]s\b", "", text)
    words = _WORD.findall(text)
    while words and words[0] in ("the", "a", "an"):
        words = words[1:]
    while len(words) > 1 and (words[-1] in _LEGAL_SUFFIXES or words[-1] in _DESCRIPTOR_SUFFIXES):
        words = words[:-1]
    return tuple(words)


@lru_cache(maxsize=200_000)
def normalize_party(text: Optional[str]) -> Optional[str]:
    """The comparable form of a party name, or None when it names no one in particular."""
    words = party_words(text)
    if not words or all(w in GENERIC_WORDS for w in words):
        return None
    return " ".join(words)


def merge_provisional(ids: Iterable[str]) -> dict[str, str]:
    """Map provisional ids to a shorter provisional id they start or end with.

    "prov:live-streamer-pingrong" and "prov:pingrong-kuaishou" both become "prov:pingrong"
    when that id is also in use; ids without such a shorter form are left out of the map.
    """
    present = {i for i in ids if i and i.startswith(PROVISIONAL_PREFIX)}
    mapping: dict[str, str] = {}
    for pid in present:
        words = pid[len(PROVISIONAL_PREFIX):].split("-")
        if len(words) < 2 or len(words) > 12:
            continue
        best = None
        for n in range(len(words) - 1, 0, -1):
            for part in (words[:n], words[-n:]):
                if all(w in GENERIC_WORDS for w in part):
                    continue
                candidate = PROVISIONAL_PREFIX + "-".join(part)
                if candidate in present:
                    best = candidate
                    break
            if best:
                break
        if best:
            mapping[pid] = best
    # follow chains (a-b-c -> a-b -> a) to their end
    for pid in list(mapping):
        target, hops = mapping[pid], 0
        while target in mapping and hops < 12:
            target, hops = mapping[target], hops + 1
        mapping[pid] = target
    return mapping


def slug(text: str) -> str:
    return re.sub(r"\s+", "-", text.strip())


@lru_cache(maxsize=200_000)
def provisional_id(text: Optional[str]) -> Optional[str]:
    """`prov:<slug>` for a party the gazetteer does not know; None for a generic mention."""
    norm = normalize_party(text)
    return f"{PROVISIONAL_PREFIX}{slug(norm)}" if norm else None


@lru_cache(maxsize=1)
def _gazetteer():
    """The gazetteer module, or None when it is not installed (ids then stay provisional)."""
    try:
        from trustwatch.nlp import gazetteer
    except ImportError:
        log.info("no gazetteer available: every party gets a provisional id")
        return None
    return gazetteer


_gazetteer_broken: list[str] = []


@lru_cache(maxsize=50_000)
def _lookup(text: str) -> Optional[str]:
    gaz = _gazetteer()
    if gaz is None or _gazetteer_broken:
        return None
    try:
        actor = gaz.lookup(text)
    except Exception as exc:  # a broken gazetteer must not stop a load: parties stay provisional
        _gazetteer_broken.append(str(exc))
        log.warning("gazetteer unusable, parties get provisional ids: %s", exc)
        return None
    return getattr(actor, "id", None) if actor is not None else None


def resolve_party_id(text: Optional[str], given_id: Optional[str] = None) -> Optional[str]:
    """The party's canonical id (as given, else from the gazetteer), else a provisional id."""
    if given_id:
        return given_id
    if not text or normalize_party(text) is None:
        return None
    norm = normalize_party(text)
    # "Pingrong's account" is Pingrong: try the name without its descriptor words too
    return _lookup(text) or (_lookup(norm) if norm != text.casefold() else None) \
        or provisional_id(text)


def sync_gazetteer(con: duckdb.DuckDBPyConnection) -> int:
    """Upsert every gazetteer actor into `actors` (canonical rows replace provisional ones)."""
    gaz = _gazetteer()
    if gaz is None:
        return 0
    try:
        known = list(gaz.load_actors())
    except Exception as exc:
        log.warning("cannot load the gazetteer: %s", exc)
        return 0
    if not known:
        return 0
    table = pa.table({
        "actor_id": pa.array([a.id for a in known], pa.string()),
        "name": pa.array([a.name for a in known], pa.string()),
        "kind": pa.array([getattr(a, "kind", None) for a in known], pa.string()),
        "country": pa.array([getattr(a, "country", None) for a in known], pa.string()),
        "aliases": pa.array([list(getattr(a, "aliases", None) or []) for a in known], pa.list_(pa.string())),
    })
    con.complete()  # a caller's unread result would block register()
    con.register("_gazetteer_actors", table)
    try:
        con.execute(
            """
            INSERT INTO actors (actor_id, name, kind, country, aliases, provisional)
            SELECT DISTINCT ON (actor_id) actor_id, name, kind, country, aliases, FALSE
            FROM _gazetteer_actors
            ON CONFLICT (actor_id) DO UPDATE SET
                name = excluded.name, kind = excluded.kind, country = excluded.country,
                aliases = excluded.aliases, provisional = FALSE
            """
        ).fetchall()
    finally:
        con.unregister("_gazetteer_actors")
    return len(known)


def ensure_actors(con: duckdb.DuckDBPyConnection, parties: Iterable[tuple[str, str]]) -> int:
    """Add an `actors` row for each (id, surface text) not yet known; returns rows added.

    Ids the gazetteer knows but `actors` lacks (gazetteer not synced yet) are added as
    non-provisional with the surface text as name; a later `sync_gazetteer` fills them in.
    """
    first_text: dict[str, str] = {}
    for pid, text in parties:
        if pid and pid not in first_text:
            first_text[pid] = text or pid
    if not first_text:
        return 0
    ids = sorted(first_text)
    names = [_provisional_name(i, first_text[i]) for i in ids]
    provisional = [i.startswith(PROVISIONAL_PREFIX) for i in ids]
    table = pa.table({
        "actor_id": pa.array(ids, pa.string()),
        "name": pa.array(names, pa.string()),
        "provisional": pa.array(provisional, pa.bool_()),
    })
    con.complete()  # a caller's unread result would block register()
    con.register("_new_actors", table)
    try:
        before = con.execute("SELECT count(*) FROM actors").fetchall()[0][0]
        con.execute(
            """
            INSERT INTO actors (actor_id, name, aliases, provisional)
            SELECT n.actor_id, n.name, [n.name], n.provisional FROM _new_actors n
            WHERE NOT EXISTS (SELECT 1 FROM actors a WHERE a.actor_id = n.actor_id)
            """
        ).fetchall()
        after = con.execute("SELECT count(*) FROM actors").fetchall()[0][0]
    finally:
        con.unregister("_new_actors")
    return after - before


def _provisional_name(pid: str, text: str) -> str:
    text = " ".join(text.split())
    return text[:200] if text else pid
