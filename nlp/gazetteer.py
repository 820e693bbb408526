"""The actor gazetteer: platforms, companies, regulators, courts, governments and people.

The actors are data (`nlp/data/actors/*.yaml`), validated on load, so a typo in an alias or a
duplicate id fails loudly instead of silently mislabelling events. Users add or override
actors with their own YAML file (`TRUSTWATCH_ACTORS`, or `extra_path`): see docs/actors.md.

Three ways to use it: `lookup(text)` turns a surface form ("JD.com's", "the FTC", "京东") into
a canonical actor; `actor_patterns()` feeds a spaCy SpanRuler/EntityRuler (label "ACTOR",
id = canonical id); `find_actors(text)` scans raw text by characters, which also finds
Chinese names inside runs of CJK text that spaCy's English tokenizer keeps as one token.
"""
from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Iterable, Optional, Union

import yaml

_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: ~10x faster

__all__ = [
    "KINDS", "Actor", "Alias", "ActorDataError", "Gazetteer", "load_actors", "lookup",
    "lookup_all", "actor_by_id", "actor_patterns", "find_actors", "get_gazetteer",
    "ENV_VAR", "LABEL", "split_cjk_actors",
]

KINDS = ("platform", "marketplace", "regulator", "court", "government", "company", "person")
LABEL = "ACTOR"
#: Path(s) of user actor files or folders, separated by os.pathsep, merged over the packaged data.
ENV_VAR = "TRUSTWATCH_ACTORS"

_ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_COUNTRY_RE = re.compile(r"^[A-Z]{2}$")
_CJK_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_FIELDS = {"id", "name", "kind", "country", "parent", "aliases", "note", "replace_aliases",
           "disabled"}
_ALIAS_FIELDS = {"text", "case_sensitive", "shared", "pattern"}

# Words that an alias may only be when it is matched with exact case: "Apple" is the company,
# "an apple" is not. The check keeps user files from turning common words into actors.
COMMON_WORDS = frozenset("""
a an the and or of in on at to by for from with as is it its this that these those be been
apple amazon meta snap line discord telegram threads grab visa stripe square block signal ring
target wish kick zoom match epic sea congress senate house tesla kraken rumble alphabet garante
x china india russia us uk eu edge office windows teams word excel live
cash app store play music video pay news one go shop mall red ai open chat star sun times
mail post page link links net web cloud fire free game games money bank court commission
authority board office agency ministry department government state parliament council
""".split())


class ActorDataError(ValueError):
    """The actor data is invalid; the message names the file and the entry."""


@dataclass(frozen=True)
class Alias:
    text: str
    case_sensitive: bool = False
    shared: bool = False
    pattern: bool = True  # False: found by lookup() only, never tagged in running text


@dataclass(frozen=True)
class Actor:
    id: str
    name: str
    kind: str
    country: str
    aliases: tuple[str, ...] = ()
    parent: Optional[str] = None
    alias_specs: tuple[Alias, ...] = field(default=(), repr=False, compare=False)


# ---------------------------------------------------------------- normalisation

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\uff07": "'"})
_CORP_SUFFIX_RE = re.compile(
    r"(?:,?\s+(?:inc|incorporated|ltd|limited|llc|plc|corp|corporation|co|company|s\.?a|ag|gmbh|"
    r"n\.?v|b\.?v|pte|pty|co\.?,?\s*ltd)\.?)+$", re.I)


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).translate(_APOSTROPHES)
    text = re.sub(r"\s+", " ", text).strip()
    return text.strip("\"“”«»()[]{},;:")


def _is_cjk(text: str) -> bool:
    return bool(_CJK_RE.search(text))


def _variants(text: str) -> list[str]:
    """Surface forms to try, most literal first: as written, without "the", "'s", a legal
    suffix ("Inc.", "Ltd") or ".com"."""
    base = _clean(text)
    out: list[str] = []

    def add(s: str) -> None:
        s = s.strip()
        if s and s not in out:
            out.append(s)

    add(base)
    cur = base
    cur = re.sub(r"^the\s+", "", cur, flags=re.I)
    add(cur)
    cur = re.sub(r"(?:'s|s')$", lambda m: "" if m.group(0) == "'s" else "s", cur)
    add(cur)
    cur2 = _CORP_SUFFIX_RE.sub("", cur)
    add(cur2)
    add(re.sub(r"\.$", "", cur2))
    add(re.sub(r"\.com$", "", cur2, flags=re.I))
    add(re.sub(r"\s+(?:group|holdings?)$", "", cur2, flags=re.I))
    return out


# ---------------------------------------------------------------- loading and validation

def _packaged_files() -> list[tuple[str, str]]:
    folder = resources.files("trustwatch.nlp") / "data" / "actors"
    files = sorted((p for p in folder.iterdir() if p.name.endswith((".yaml", ".yml"))),
                   key=lambda p: p.name)
    return [(f"nlp/data/actors/{p.name}", p.read_text(encoding="utf-8")) for p in files]


def _user_files(path: Union[str, Path]) -> list[tuple[str, str]]:
    p = Path(path).expanduser()
    if p.is_dir():
        files = sorted(q for q in p.iterdir() if q.suffix in (".yaml", ".yml"))
    elif p.is_file():
        files = [p]
    else:
        raise ActorDataError(f"actor file not found: {p}")
    return [(str(q), q.read_text(encoding="utf-8")) for q in files]


def _parse_alias(raw: Any, where: str) -> Alias:
    if isinstance(raw, (str, int, float)) and not isinstance(raw, bool):
        text = _clean(str(raw))
        spec = {}
    elif isinstance(raw, dict):
        unknown = set(raw) - _ALIAS_FIELDS
        if unknown:
            raise ActorDataError(f"{where}: unknown alias field(s) {sorted(unknown)}")
        if "text" not in raw:
            raise ActorDataError(f"{where}: alias without 'text': {raw!r}")
        text = _clean(str(raw["text"]))
        spec = raw
    else:
        raise ActorDataError(f"{where}: an alias must be a string or a mapping, got {raw!r}")
    if not text:
        raise ActorDataError(f"{where}: empty alias")
    letters = [c for c in text if c.isalpha()]
    # Acronyms ("SEC", "JD", "QQ") are matched with exact case unless told otherwise:
    # lowercase "sec" or "jd" in running text is something else.
    acronym = text.isascii() and 0 < len(letters) <= 5 and not any(c.islower() for c in text)
    case_sensitive = bool(spec.get("case_sensitive", acronym))
    return Alias(text=text, case_sensitive=case_sensitive, shared=bool(spec.get("shared", False)),
                 pattern=bool(spec.get("pattern", True)))


def _entries(source: str, content: str) -> list[dict]:
    try:
        data = yaml.load(content, Loader=_YAML_LOADER)
    except yaml.YAMLError as exc:
        raise ActorDataError(f"{source}: not valid YAML: {exc}") from exc
    if data is None:
        return []
    if isinstance(data, dict) and "actors" in data:
        data = data["actors"]
    if not isinstance(data, list):
        raise ActorDataError(f"{source}: expected a list of actors (or a mapping with 'actors:')")
    out = []
    for i, entry in enumerate(data):
        if not isinstance(entry, dict):
            raise ActorDataError(f"{source}: entry #{i + 1} is not a mapping: {entry!r}")
        unknown = set(entry) - _FIELDS
        if unknown:
            raise ActorDataError(f"{source}: entry #{i + 1} ({entry.get('id')!r}): "
                                 f"unknown field(s) {sorted(unknown)}")
        out.append({**entry, "_where": f"{source}: actor {entry.get('id', '#' + str(i + 1))!r}"})
    return out


def _merge(base: dict[str, dict], entries: list[dict], *, user: bool) -> None:
    for entry in entries:
        where = entry["_where"]
        actor_id = entry.get("id")
        if not isinstance(actor_id, str) or not _ID_RE.match(actor_id):
            raise ActorDataError(f"{where}: id must be a lowercase slug like 'jd' or "
                                 f"'eu-commission', got {actor_id!r}")
        if actor_id in base:
            if not user:
                raise ActorDataError(f"{where}: duplicate id {actor_id!r} "
                                     f"(first defined in {base[actor_id]['_where']})")
            if entry.get("disabled"):
                del base[actor_id]
                continue
            merged = dict(base[actor_id])
            for key, value in entry.items():
                if key == "aliases" and not entry.get("replace_aliases"):
                    merged["aliases"] = list(merged.get("aliases") or []) + list(value or [])
                elif key not in ("replace_aliases",):
                    merged[key] = value
            base[actor_id] = merged
        elif not entry.get("disabled"):
            base[actor_id] = dict(entry)


def _build_actor(entry: dict) -> Actor:
    where = entry["_where"]
    for key in ("name", "kind", "country"):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            raise ActorDataError(f"{where}: missing or empty {key!r} (country: write \"NO\" "
                                 "in quotes, YAML reads a bare NO as false)")
    if entry["kind"] not in KINDS:
        raise ActorDataError(f"{where}: kind {entry['kind']!r} is not one of {', '.join(KINDS)}")
    if not _COUNTRY_RE.match(entry["country"]):
        raise ActorDataError(f"{where}: country must be an ISO 3166 alpha-2 code like 'CN', "
                             f"got {entry['country']!r}")
    raw_aliases = entry.get("aliases") or []
    if not isinstance(raw_aliases, list):
        raise ActorDataError(f"{where}: aliases must be a list")
    specs: dict[tuple[str, bool], Alias] = {}
    for raw in raw_aliases:
        alias = _parse_alias(raw, where)
        key = (alias.text if alias.case_sensitive else alias.text.casefold(), alias.case_sensitive)
        specs.setdefault(key, alias)  # the same alias twice in one actor is harmless
    if not specs:
        raise ActorDataError(f"{where}: at least one alias is required")
    for alias in specs.values():
        if alias.pattern and not alias.case_sensitive and alias.text.casefold() in COMMON_WORDS:
            raise ActorDataError(
                f"{where}: alias {alias.text!r} is a common word; mark it "
                "{text: ..., case_sensitive: true} (or pattern: false) or drop it")
        if len(alias.text) < 2 and alias.pattern and not alias.case_sensitive:
            raise ActorDataError(f"{where}: one-character alias {alias.text!r} must be "
                                 "case_sensitive")
        if _is_cjk(alias.text) and len(alias.text) < 2:
            raise ActorDataError(f"{where}: one-character Chinese alias {alias.text!r} "
                                 "would match inside other words")
    parent = entry.get("parent")
    if parent is not None and not isinstance(parent, str):
        raise ActorDataError(f"{where}: parent must be an actor id")
    spec_tuple = tuple(specs.values())
    return Actor(id=entry["id"], name=entry["name"].strip(), kind=entry["kind"],
                 country=entry["country"], parent=parent,
                 aliases=tuple(a.text for a in spec_tuple), alias_specs=spec_tuple)


class Gazetteer:
    """A validated set of actors with its lookup indexes."""

    def __init__(self, actors: Iterable[Actor], sources: Optional[dict[str, str]] = None):
        self.actors: tuple[Actor, ...] = tuple(actors)
        self._sources = sources or {}
        self.by_id: dict[str, Actor] = {}
        for actor in self.actors:
            if actor.id in self.by_id:
                raise ActorDataError(f"duplicate actor id {actor.id!r}")
            self.by_id[actor.id] = actor
        self._check_parents()
        # key -> [(actor, alias)], in load order; shared aliases may list several actors
        self._exact: dict[str, list[tuple[Actor, Alias]]] = {}
        self._folded: dict[str, list[tuple[Actor, Alias]]] = {}
        for actor in self.actors:
            for alias in actor.alias_specs:
                if alias.case_sensitive:
                    self._exact.setdefault(alias.text, []).append((actor, alias))
                else:
                    self._folded.setdefault(alias.text.casefold(), []).append((actor, alias))
        self._check_collisions()
        self._index: Optional[_FindIndex] = None
        self._patterns: Optional[list[dict]] = None

    def _check_parents(self) -> None:
        for actor in self.actors:
            if actor.parent is None:
                continue
            where = self._sources.get(actor.id, f"actor {actor.id!r}")
            if actor.parent not in self.by_id:
                raise ActorDataError(f"{where}: unknown parent {actor.parent!r}")
            seen = {actor.id}
            cur = self.by_id[actor.parent]
            while cur is not None:
                if cur.id in seen:
                    raise ActorDataError(f"{where}: parent chain loops back")
                seen.add(cur.id)
                cur = self.by_id.get(cur.parent) if cur.parent else None

    def _check_collisions(self) -> None:
        def owners(ids: set[str]) -> str:
            return ", ".join(f"{i} ({self._sources[i]})" if i in self._sources else i
                             for i in sorted(ids))

        problems = []
        for index in (self._exact, self._folded):
            for key, rows in index.items():
                ids = {a.id for a, _ in rows}
                if len(ids) > 1 and not all(al.shared for _, al in rows):
                    problems.append(f"alias {rows[0][1].text!r} is used by {owners(ids)}; "
                                    "mark it shared: true on each if that is intended")
        # a case-sensitive alias must not shadow another actor's case-insensitive one
        for key, rows in self._exact.items():
            other = self._folded.get(key.casefold(), [])
            ids = {a.id for a, _ in rows + other}
            if other and len(ids) > 1 and not all(al.shared for _, al in rows + other):
                problems.append(f"alias {key!r} is used by {owners(ids)}")
        if problems:
            raise ActorDataError("conflicting actor aliases:\n  " + "\n  ".join(sorted(set(problems))))

    # ------------------------------------------------------------ lookups

    def lookup_all(self, text: str) -> list[Actor]:
        """Every actor a surface form may name (several only for shared aliases)."""
        if not text or not text.strip():
            return []
        for variant in _variants(text):
            rows = self._exact.get(variant) or self._folded.get(variant.casefold())
            if rows:
                seen: dict[str, Actor] = {}
                for actor, _ in rows:
                    seen.setdefault(actor.id, actor)
                return list(seen.values())
        return []

    def lookup(self, text: str) -> Optional[Actor]:
        """The actor a surface form names; for a shared alias, the first one defined."""
        found = self.lookup_all(text)
        return found[0] if found else None

    def _pattern_aliases(self) -> list[tuple[Actor, Alias]]:
        """(actor, alias) to tag in running text: one actor per alias (the first for shared)."""
        out: list[tuple[Actor, Alias]] = []
        seen: set[tuple[str, bool]] = set()
        for actor in self.actors:
            for alias in actor.alias_specs:
                if not alias.pattern:
                    continue
                key = (alias.text if alias.case_sensitive else alias.text.casefold(),
                       alias.case_sensitive)
                if key in seen:
                    continue
                seen.add(key)
                out.append((actor, alias))
        return out

    def patterns(self) -> list[dict]:
        """Token patterns for spaCy's SpanRuler/EntityRuler: label ACTOR, id = actor id."""
        if self._patterns is None:
            self._patterns = self._build_patterns()
        return [dict(p) for p in self._patterns]

    def _build_patterns(self) -> list[dict]:
        # Phrase patterns are matched by hash, so thousands of them cost almost nothing (a
        # Matcher over a hundred token patterns costs more than the tagger). They compare ORTH:
        # case-sensitive aliases as written, the others in their usual casings.
        patterns: list[dict] = []
        for actor, alias in self._pattern_aliases():
            forms = [alias.text] if alias.case_sensitive else _casings(alias.text)
            if alias.case_sensitive and len(alias.text) == 1:
                forms.append(alias.text + ".")  # "X." ends a sentence as one token
            if "'" in alias.text:
                forms += [f.replace("'", "\u2019") for f in forms]
            for form in dict.fromkeys(forms):
                patterns.append({"label": LABEL, "id": actor.id, "pattern": form})
        return patterns

    def token_patterns(self) -> list[dict]:
        """Every alias as a token pattern (LOWER or ORTH): exact, but slow with a spaCy
        Matcher over a thousand patterns; `patterns()` is the fast form."""
        tokenizer = _tokenizer()
        out: list[dict] = []
        for actor, alias in self._pattern_aliases():
            tokens = [t.text for t in tokenizer(alias.text)]
            out.append({"label": LABEL, "id": actor.id,
                        "pattern": [_token_spec(t, alias.case_sensitive) for t in tokens]})
        return out

    def cjk_aliases(self) -> list[str]:
        return sorted({a.text for _, a in self._pattern_aliases() if _is_cjk(a.text)},
                      key=lambda t: (-len(t), t))

    def find(self, text: str) -> list[tuple[int, int, Actor]]:
        """Actor mentions in raw text as (start, end, Actor), the longest alias at each place.

        Text is cut into words and punctuation marks; an alias matches a run of them with the
        same spacing (so "X" never matches inside "Roblox"). Runs of CJK characters, which
        have no spaces, are searched for Chinese aliases character by character.
        """
        if not text:
            return []
        if self._index is None:
            self._index = _FindIndex(self._pattern_aliases())
        return self._index.find(text)

_PIECE_RE = re.compile(r"[^\W_]+|[^\w\s]|_")


def _pieces(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _PIECE_RE.finditer(text)]


def _piece_key(text: str, spans: list[tuple[int, int]], i: int, j: int) -> str:
    """Pieces i..j-1 joined with one space where the text has any whitespace, none otherwise."""
    out = [text[spans[i][0]:spans[i][1]]]
    for k in range(i + 1, j):
        if spans[k][0] > spans[k - 1][1]:
            out.append(" ")
        out.append(text[spans[k][0]:spans[k][1]])
    return "".join(out).translate(_APOSTROPHES)


class _FindIndex:
    """Word-piece n-gram index over the aliases, for `Gazetteer.find`."""

    def __init__(self, rows: list[tuple[Actor, Alias]]):
        self.exact: dict[str, Actor] = {}
        self.folded: dict[str, Actor] = {}
        self.cjk: dict[str, Actor] = {}
        self.first: dict[str, int] = {}  # first piece (casefolded) -> longest alias in pieces
        self.first_exact: dict[str, int] = {}  # the same for case-sensitive aliases, as written
        for actor, alias in rows:
            text = alias.text.translate(_APOSTROPHES)
            if _is_cjk(text) and _PIECE_RE.fullmatch(text):
                self.cjk.setdefault(text, actor)
                continue
            spans = _pieces(text)
            if not spans:
                continue
            key = _piece_key(text, spans, 0, len(spans))
            if alias.case_sensitive:
                self.exact.setdefault(key, actor)
            else:
                self.folded.setdefault(key.casefold(), actor)
            first = text[spans[0][0]:spans[0][1]]
            table, first = ((self.first_exact, first) if alias.case_sensitive
                            else (self.first, first.casefold()))
            table[first] = max(table.get(first, 0), len(spans))
        self.cjk_lengths = sorted({len(k) for k in self.cjk}, reverse=True)

    def find(self, text: str) -> list[tuple[int, int, Actor]]:
        spans = _pieces(text)
        found: list[tuple[int, int, Actor]] = []
        i, n = 0, len(spans)
        while i < n:
            start, end = spans[i]
            piece = text[start:end]
            if self.cjk and piece[0] >= "\u3040" and _is_cjk(piece):
                found.extend(self._find_cjk(piece, start))
            longest = max(self.first.get(piece.casefold(), 0), self.first_exact.get(piece, 0))
            if not longest:
                i += 1
                continue
            hit = None
            for j in range(min(n, i + longest), i, -1):
                key = _piece_key(text, spans, i, j)
                actor = self.exact.get(key) or self.folded.get(key.casefold())
                if actor is not None:
                    hit = (spans[i][0], spans[j - 1][1], actor, j)
                    break
            if hit and hit[1] - hit[0] == 1 and (text[hit[1]:hit[1] + 1] == "-"
                                                 or text[hit[0] - 1:hit[0]] == "-"):
                hit = None  # "X-ray", "Gen-X": a letter, not the platform
            if hit:
                found.append(hit[:3])
                i = hit[3]
            else:
                i += 1
        found.sort(key=lambda f: f[0])
        return found

    def _find_cjk(self, run: str, offset: int) -> list[tuple[int, int, Actor]]:
        out = []
        p = 0
        while p < len(run):
            for length in self.cjk_lengths:
                if p + length > len(run):
                    continue
                actor = self.cjk.get(run[p:p + length])
                if actor is not None:
                    out.append((offset + p, offset + p + length, actor))
                    p += length
                    break
            else:
                p += 1
        return out


def _casings(text: str) -> list[str]:
    """As written, lower, UPPER (headlines), Title Case and Sentence case."""
    forms = [text, text.lower(), text.upper(),
             " ".join(w[:1].upper() + w[1:] for w in text.split(" ")),
             text[:1].upper() + text[1:].lower()]
    return list(dict.fromkeys(forms))


def _token_spec(token: str, case_sensitive: bool) -> dict:
    if token in ("'s", "'"):
        return {"LOWER": {"IN": [token, token.replace("'", "\u2019")]}}
    if case_sensitive:
        if len(token) == 1 and token.isupper():  # "X." at the end of a sentence is one token
            return {"ORTH": {"IN": [token, token + "."]}}
        return {"ORTH": token}
    return {"LOWER": token.lower()}


@lru_cache(maxsize=1)
def _tokenizer():
    import spacy  # heavy: only when patterns are asked for

    return spacy.blank("en").tokenizer


# ---------------------------------------------------------------- module API

def _sources(extra_path: Union[str, Path, None]) -> tuple[str, ...]:
    paths: list[str] = []
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        paths.extend(p for p in env.split(os.pathsep) if p.strip())
    if extra_path:
        paths.append(str(extra_path))
    return tuple(paths)


@lru_cache(maxsize=8)
def _gazetteer_for(user_paths: tuple[str, ...]) -> Gazetteer:
    merged: dict[str, dict] = {}
    for source, content in _packaged_files():
        _merge(merged, _entries(source, content), user=False)
    for path in user_paths:
        for source, content in _user_files(path):
            _merge(merged, _entries(source, content), user=True)
    return Gazetteer((_build_actor(entry) for entry in merged.values()),
                     sources={k: v["_where"] for k, v in merged.items()})


def get_gazetteer(extra_path: Union[str, Path, None] = None) -> Gazetteer:
    """The packaged actors merged with the user's ($TRUSTWATCH_ACTORS, then extra_path)."""
    return _gazetteer_for(_sources(extra_path))


def load_actors(extra_path: Union[str, Path, None] = None) -> list[Actor]:
    """All actors, validated; raises ActorDataError with the file and entry at fault."""
    return list(get_gazetteer(extra_path).actors)


def lookup(text: str, extra_path: Union[str, Path, None] = None) -> Optional[Actor]:
    """The actor a surface form names ("JD.com's", "the FTC", "京东"), or None."""
    return get_gazetteer(extra_path).lookup(text)


def lookup_all(text: str, extra_path: Union[str, Path, None] = None) -> list[Actor]:
    return get_gazetteer(extra_path).lookup_all(text)


def actor_by_id(actor_id: str, extra_path: Union[str, Path, None] = None) -> Optional[Actor]:
    return get_gazetteer(extra_path).by_id.get(actor_id)


def actor_patterns(extra_path: Union[str, Path, None] = None, *, style: str = "phrase") -> list[dict]:
    """Patterns for `nlp.add_pipe("span_ruler")`/`"entity_ruler"`: label ACTOR, id = actor id.

    style "phrase" (default): phrase patterns for a ruler comparing ORTH (spaCy's default
    phrase_matcher_attr; do not set it to LOWER, or "Apple" would match "apple"):
    case-sensitive aliases as written, the others in their usual casings. style "token": one
    token pattern per alias (LOWER or ORTH), exact in every casing but slow with spaCy's
    Matcher.
    """
    gaz = get_gazetteer(extra_path)
    if style == "token":
        return gaz.token_patterns()
    if style != "phrase":
        raise ValueError(f"unknown pattern style {style!r} (phrase or token)")
    return gaz.patterns()


def split_cjk_actors(nlp: Any, extra_path: Union[str, Path, None] = None) -> None:
    """Make `nlp`'s tokenizer cut known Chinese actor names out of longer CJK runs.

    spaCy's English tokenizer keeps a run like 快手宣布屏蔽淘宝 as one token, so no pattern can
    match the names inside it. This adds the names to the tokenizer's prefix and infix rules;
    other text tokenizes exactly as before.
    """
    names = get_gazetteer(extra_path).cjk_aliases()
    if not names:
        return
    alt = "|".join(re.escape(n) for n in names)
    tok = nlp.tokenizer
    prefix = getattr(tok.prefix_search, "__self__", None)
    infix = getattr(tok.infix_finditer, "__self__", None)
    prefix_pat = f"^(?:{alt})" + (f"|{prefix.pattern}" if prefix is not None else "")
    infix_pat = f"(?:{alt})" + (f"|{infix.pattern}" if infix is not None else "")
    tok.prefix_search = re.compile(prefix_pat).search
    tok.infix_finditer = re.compile(infix_pat).finditer


def find_actors(text: str, extra_path: Union[str, Path, None] = None) -> list[tuple[int, int, Actor]]:
    """Actor mentions in raw text by character offsets (also inside runs of Chinese text)."""
    return get_gazetteer(extra_path).find(text)
