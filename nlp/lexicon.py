"""The trigger lexicon and cue lists: what the event rules read from `data/` instead of code.

`data/triggers.jsonl` holds one `TriggerEntry` a line (surface forms of one event type, how to
read its roles, and flags for the checks that apply to it); `data/cues.json` holds the word
lists the rules consult (light verbs, modals, containers, party nouns, sport words, …).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any, Iterable, Optional

from spacy.tokens import Token

from trustwatch.records import KEY_ROLE

ACTOR_LABEL = "ACTOR"
AMOUNT_TYPES = ("FINE", "COMPENSATION", "LAWSUIT")
STATUS_RANK = {"asserted": 3, "planned": 2, "hypothetical": 1, "negated": 0}
_WORD_RX = re.compile(r"\w+", re.UNICODE)


def words(text: str) -> list[str]:
    """Case-folded word tokens, as the scorer splits party names."""
    return _WORD_RX.findall(text.casefold())


@dataclass(frozen=True)
class TriggerEntry:
    """One line of `data/triggers.jsonl`: surface forms of one event type and how to read roles.

    Besides role mapping and constraints, flags switch on checks that only make sense for some
    triggers: `object_exclusions`/`from_exclusions`/`key_exclusions` name a cue list of objects,
    "from" objects or key words that make the mention no event ("breached content rules",
    "banned from the country", "suspended sales"); `market_guard` drops "blocked X from gaining
    ground"; `delisting_guard` drops stock delistings; `ip_guard` drops allegations only about
    patents or copyright; `speaker_is_target` lets the speaker of "X said hackers stole data"
    be the victim; `athlete_guard` (on by default) drops athletes' bans in sports coverage.
    """

    type: str
    pos: str
    forms: frozenset[str]
    roles: dict[str, str]
    conf: float = 0.7
    particle: tuple[str, ...] = ()
    strict: bool = False
    target_nouns: frozenset[str] = frozenset()
    requires_prep: tuple[str, ...] = ()
    requires_amount: bool = False
    reason_preps: tuple[str, ...] = ()
    gov_lemmas: tuple[str, ...] = ()
    state_type: Optional[str] = None
    breach_context: bool = False
    misconduct_only: bool = False
    subject_words: tuple[str, ...] = ()
    no_pronoun_target: bool = False
    target_heads: frozenset[str] = frozenset()
    left_words: frozenset[str] = frozenset()  # a modifier the noun needs ("class action")
    object_exclusions: Optional[str] = None
    from_exclusions: Optional[str] = None
    key_exclusions: Optional[str] = None
    market_guard: bool = False
    delisting_guard: bool = False
    ip_guard: bool = False
    speaker_is_target: bool = False
    athlete_guard: bool = True

    @classmethod
    def from_dict(cls, d: dict) -> "TriggerEntry":
        return cls(
            type=d["type"], pos=d["pos"], forms=frozenset(f.lower() for f in d["forms"]),
            roles=dict(d.get("roles", {})), conf=float(d.get("conf", 0.7)),
            particle=tuple(d.get("particle", ())), strict=bool(d.get("strict", False)),
            target_nouns=frozenset(d.get("target_nouns", ())),
            requires_prep=tuple(d.get("requires_prep", ())),
            requires_amount=bool(d.get("requires_amount", False)),
            reason_preps=tuple(d.get("reason_preps", ())),
            gov_lemmas=tuple(d.get("gov_lemmas", ())), state_type=d.get("state_type"),
            breach_context=bool(d.get("breach_context", False)),
            misconduct_only=bool(d.get("misconduct_only", False)),
            subject_words=tuple(d.get("subject_words", ())),
            no_pronoun_target=bool(d.get("no_pronoun_target", False)),
            target_heads=frozenset(d.get("target_heads", ())),
            left_words=frozenset(w.lower() for w in d.get("left_words", ())),
            object_exclusions=d.get("object_exclusions"),
            from_exclusions=d.get("from_exclusions"),
            key_exclusions=d.get("key_exclusions"),
            market_guard=bool(d.get("market_guard", False)),
            delisting_guard=bool(d.get("delisting_guard", False)),
            ip_guard=bool(d.get("ip_guard", False)),
            speaker_is_target=bool(d.get("speaker_is_target", False)),
            athlete_guard=bool(d.get("athlete_guard", True)),
        )


_NOMINAL_DEPS = frozenset({"pobj", "dobj", "nsubj", "nsubjpass", "attr", "conj"})
_POS_GROUPS = {"VERB": ("VERB", "AUX"), "NOUN": ("NOUN", "PROPN"), "ADJ": ("ADJ",), "ADV": ("ADV",)}


@dataclass
class Lexicon:
    """Trigger entries indexed by form, and the cue lists as frozensets (`sets[name]`)."""

    entries: list[TriggerEntry]
    cues: dict[str, Any]
    by_form: dict[str, list[TriggerEntry]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for entry in self.entries:
            for form in entry.forms:
                self.by_form.setdefault(form, []).append(entry)
        c = self.cues
        self.sets = {k: frozenset(v) for k, v in c.items()
                     if isinstance(v, list) and all(isinstance(w, str) for w in v)}
        self.light = c.get("light_verbs", {})
        self.org_anaphors = frozenset(c["anaphors"]["org"])
        self.person_anaphors = frozenset(c["anaphors"]["person"])
        self.authority_anaphors = frozenset(c["anaphors"].get("authority", ()))
        self.place_anaphors = frozenset(c["anaphors"].get("place", ()))
        self.plural_anaphors = frozenset(c["anaphors"].get("plural_org", ()))
        # "the chatbot" also refers back to what the text called a bot or an assistant
        self.outlets = outlet_names()
        self.description_synonyms: dict[str, tuple[str, ...]] = {}
        for group in c.get("description_synonyms", ()):
            for word in group:
                self.description_synonyms[word] = tuple(group)

    def is_outlet(self, text: str) -> bool:
        """Whether a party's text names a news outlet or agency ("Reuters", "the Wired report",
        "404 Media's"): a leading "the", a trailing "'s" and words such as "report" or "news
        agency" are ignored."""
        ws = words(text)
        if ws[:1] in (["the"], ["a"], ["an"]):
            ws = ws[1:]
        if ws[-1:] == ["s"]:
            ws = ws[:-1]
        suffixes = self.sets.get("outlet_suffixes", frozenset())
        while ws:
            if " ".join(ws) in self.outlets:
                return True
            if ws[-1] not in suffixes:
                return False
            ws = ws[:-1]
        return False

    def words(self, name: str) -> frozenset[str]:
        """A cue list by name (empty when the cue file lacks it)."""
        return self.sets.get(name, frozenset())

    def candidates(self, token: Token) -> list[TriggerEntry]:
        """Entries whose form matches the token (lower-cased text or lemma) and part of speech."""
        found = self.by_form.get(token.lower_) or self.by_form.get(token.lemma_.lower()) or []
        pos = token.pos_
        if pos == "ADJ" and token.dep_ in _NOMINAL_DEPS:
            pos = "NOUN"  # "hit with a €1.8 billion fine": the tagger's ADJ used as a noun
        return [e for e in found if pos in _POS_GROUPS.get(e.pos, (e.pos,))]


def data_text(name: str) -> str:
    """The text of a file under `nlp/data/`."""
    return (resources.files("trustwatch.nlp") / "data" / name).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def outlet_names() -> frozenset[str]:
    """`data/outlets.txt` as word-joined names ("404 media", "new york times")."""
    out = set()
    for line in data_text("outlets.txt").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            out.add(" ".join(words(line)))
    return frozenset(out)


@lru_cache(maxsize=4)
def load_lexicon(triggers_file: str = "triggers.jsonl", cues_file: str = "cues.json") -> Lexicon:
    """The packaged trigger lexicon and cue lists."""
    entries = [TriggerEntry.from_dict(json.loads(line))
               for line in data_text(triggers_file).splitlines() if line.strip()]
    return Lexicon(entries, json.loads(data_text(cues_file)))


def lexicon_from_data(entries: Iterable[dict], cues: Optional[dict] = None) -> Lexicon:
    """A lexicon from inline data (tests, experiments); cues default to the packaged ones."""
    base = cues if cues is not None else load_lexicon().cues
    return Lexicon([TriggerEntry.from_dict(e) for e in entries], base)
