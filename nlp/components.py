"""spaCy components that turn a parsed article into platform-trust incident events.

`trustwatch_actors` puts the actor gazetteer ahead of the statistical NER (the small English
model alone calls Kuaishou a person and Weibo a place). `trustwatch_events` finds trigger words
from a lexicon kept as data (`data/triggers.jsonl`, `data/cues.json`), reads each trigger's
roles off the dependency parse, decides the status from negation, modality and tense, attaches
amounts, dates and a stated reason, and merges repeated mentions of one event per document.

Every step walks a bounded neighbourhood of the trigger, so a document costs time linear in
its length on top of the parse.
"""
from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from importlib import resources
from typing import Any, Iterable, Optional

from spacy.language import Language
from spacy.pipeline import SpanRuler
from spacy.tokens import Doc, Span, Token

log = logging.getLogger(__name__)

ACTOR_LABEL = "ACTOR"
KEY_ROLE = {"APOLOGY": "actor", "COMPENSATION": "actor"}  # the target for every other type
AMOUNT_TYPES = ("FINE", "COMPENSATION", "LAWSUIT")
STATUS_RANK = {"asserted": 3, "planned": 2, "hypothetical": 1, "negated": 0}
_WORD_RX = re.compile(r"\w+", re.UNICODE)

if not Doc.has_extension("trustwatch_events"):
    Doc.set_extension("trustwatch_events", default=None)
if not Doc.has_extension("trustwatch_published"):
    Doc.set_extension("trustwatch_published", default=None)


# --------------------------------------------------------------------------- lexicon data

@dataclass(frozen=True)
class TriggerEntry:
    """One line of `data/triggers.jsonl`: surface forms of one event type and how to read roles."""

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
        )


_NOMINAL_DEPS = frozenset({"pobj", "dobj", "nsubj", "nsubjpass", "attr", "conj"})
_POS_GROUPS = {"VERB": ("VERB", "AUX"), "NOUN": ("NOUN", "PROPN"), "ADJ": ("ADJ",), "ADV": ("ADV",)}


@dataclass
class Lexicon:
    entries: list[TriggerEntry]
    cues: dict[str, Any]
    by_form: dict[str, list[TriggerEntry]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for entry in self.entries:
            for form in entry.forms:
                self.by_form.setdefault(form, []).append(entry)
        c = self.cues
        self.sets = {k: frozenset(v) for k, v in c.items() if isinstance(v, list)}
        self.light = c.get("light_verbs", {})
        self.org_anaphors = frozenset(c["anaphors"]["org"])
        self.person_anaphors = frozenset(c["anaphors"]["person"])
        self.authority_anaphors = frozenset(c["anaphors"].get("authority", ()))
        self.place_anaphors = frozenset(c["anaphors"].get("place", ()))
        self.plural_anaphors = frozenset(c["anaphors"].get("plural_org", ()))

    def candidates(self, token: Token) -> list[TriggerEntry]:
        """Entries whose form matches the token (lower-cased text or lemma) and part of speech."""
        found = self.by_form.get(token.lower_) or self.by_form.get(token.lemma_.lower()) or []
        pos = token.pos_
        if pos == "ADJ" and token.dep_ in _NOMINAL_DEPS:
            pos = "NOUN"  # "hit with a €1.8 billion fine": the tagger's ADJ used as a noun
        return [e for e in found if pos in _POS_GROUPS.get(e.pos, (e.pos,))]


def _data_text(name: str) -> str:
    return (resources.files("trustwatch.nlp") / "data" / name).read_text(encoding="utf-8")


@lru_cache(maxsize=4)
def load_lexicon(triggers_file: str = "triggers.jsonl", cues_file: str = "cues.json") -> Lexicon:
    """The packaged trigger lexicon and cue lists."""
    entries = [TriggerEntry.from_dict(json.loads(line))
               for line in _data_text(triggers_file).splitlines() if line.strip()]
    return Lexicon(entries, json.loads(_data_text(cues_file)))


def lexicon_from_data(entries: Iterable[dict], cues: Optional[dict] = None) -> Lexicon:
    """A lexicon from inline data (tests, experiments); cues default to the packaged ones."""
    base = cues if cues is not None else load_lexicon().cues
    return Lexicon([TriggerEntry.from_dict(e) for e in entries], base)


# --------------------------------------------------------------------------- actors component

@Language.factory(
    "trustwatch_actors",
    default_config={"patterns": None, "overwrite": True, "phrase_matcher_attr": None},
)
def make_actor_ruler(nlp: Language, name: str, patterns: Optional[list[dict]],
                     overwrite: bool, phrase_matcher_attr: Optional[str]) -> SpanRuler:
    """A span ruler labelling gazetteer actors as ACTOR entities with their canonical id.

    `patterns` given inline replace the gazetteer (used by tests); with `overwrite` the
    gazetteer wins where it overlaps the statistical NER.
    """
    from spacy.pipeline.span_ruler import (prioritize_existing_ents_filter,
                                           prioritize_new_ents_filter)
    ruler = _ActorRuler(
        nlp, name, spans_key=None, annotate_ents=True, overwrite=False,
        ents_filter=prioritize_new_ents_filter if overwrite else prioritize_existing_ents_filter,
        phrase_matcher_attr=phrase_matcher_attr,
    )
    if patterns is None:
        patterns = gazetteer_patterns()
    if patterns:
        ruler.add_patterns(patterns)
    return ruler


class _ActorRuler(SpanRuler):
    """A span ruler that passes documents through untouched while it has no patterns."""

    def __call__(self, doc: Doc) -> Doc:
        if not self._patterns:
            return doc
        return super().__call__(doc)


@Language.component("trustwatch_paragraphs")
def mark_paragraphs(doc: Doc) -> Doc:
    """Start a sentence after a line break that ends a title or a paragraph, so that a headline
    is never parsed as one sentence with the article's first line."""
    n = len(doc)
    for i, token in enumerate(doc):
        if "\n" not in token.text_with_ws or i + 1 >= n:
            continue
        j = i + 1
        while j < n and doc[j].is_space:
            j += 1
        if j >= n:
            continue
        prev = token if not token.is_space else (doc[i - 1] if i > 0 else None)
        blank_line = token.text_with_ws.count("\n") >= 2 or (token.is_space and token.text.count("\n") >= 2)
        ends = prev is not None and prev.text[-1:] in ".!?:\"”’)"
        nxt = doc[j]
        if blank_line or ends or nxt.is_title or nxt.is_upper:
            nxt.is_sent_start = True
    return doc


def gazetteer_patterns() -> list[dict]:
    try:
        from trustwatch.nlp.gazetteer import actor_patterns
    except ImportError:
        log.warning("actor gazetteer not available: actors come from the statistical NER only")
        return []
    try:
        return list(actor_patterns())
    except Exception as exc:  # noqa: BLE001 - a broken data file must not stop extraction
        log.error("actor gazetteer could not be loaded (%s): actors come from the NER only", exc)
        return []


@lru_cache(maxsize=1)
def _actor_index() -> dict[str, Any]:
    """Canonical id -> Actor (for kinds: regulators, courts, governments)."""
    try:
        from trustwatch.nlp.gazetteer import load_actors
        return {a.id: a for a in load_actors()}
    except Exception:  # noqa: BLE001 - the gazetteer is optional at this level
        return {}


def _lookup_id(text: str) -> Optional[str]:
    try:
        from trustwatch.nlp.gazetteer import lookup
    except ImportError:
        return None
    try:
        actor = lookup(text)
    except Exception:  # noqa: BLE001
        return None
    return getattr(actor, "id", None) if actor else None


def actor_kind(actor_id: Optional[str]) -> Optional[str]:
    if not actor_id:
        return None
    actor = _actor_index().get(actor_id)
    return getattr(actor, "kind", None) if actor else None


# --------------------------------------------------------------------------- parties

@dataclass
class Party:
    text: str
    id: Optional[str] = None
    label: str = ""
    start: int = -1  # token index of the head
    named: bool = False  # a named entity (gazetteer or NER), not a common noun phrase

    def as_dict(self) -> dict:
        return {"text": self.text, "id": self.id}


_AI_WORDS = ("chatbot", "bot", "assistant", "model")
_DESCRIPTION_SYNONYMS = {w: _AI_WORDS for w in _AI_WORDS}
_DESCRIPTION_SYNONYMS.update({"app": ("app", "application"), "application": ("app", "application")})


class DocContext:
    """Per-document state: entity lookup by token and the mentions available for anaphora."""

    def __init__(self, doc: Doc, lex: Lexicon):
        self.doc = doc
        self.lex = lex
        self.ent_of: dict[int, Span] = {}
        labels = lex.sets["party_labels"]
        not_parties = lex.sets.get("not_parties", frozenset())
        date_words = lex.sets.get("date_words", frozenset())
        self.mentions: list[Span] = []
        self.count: dict[str, int] = {}
        for ent in doc.ents:
            label = ent.label_
            if label in ("DATE", "TIME") and all(t.pos_ == "PROPN" and t.lower_ not in date_words
                                                 and not any(ch.isdigit() for ch in t.text)
                                                 for t in ent):
                # a company name the NER took for a date ("Workday")
                ent = Span(doc, ent.start, ent.end, label="ORG")
                label = "ORG"
            if label not in labels or ent.text.lower() in not_parties or _is_dateline(ent.root):
                continue
            self.mentions.append(ent)
            key = ent.ent_id_ or ent.text.lower()
            self.count[key] = self.count.get(key, 0) + 1
            for i in range(ent.start, ent.end):
                self.ent_of[i] = ent
        # proper nouns the NER missed ("Staylane", "Shopline"): organisation-like mentions
        for token in doc:
            if token.pos_ != "PROPN" or token.i in self.ent_of or token.dep_ == "compound":
                continue
            if token.lower_ in date_words or token.lower_ in not_parties or not token.text[:1].isupper():
                continue
            if token.ent_type_ in _NON_PARTY_LABELS or _MONEY_TOKEN_RX.search(token.text) \
                    or _is_dateline(token):
                continue  # "S$58,000", "SAO PAULO (AP) —"
            start = token.i
            for child in token.lefts:
                if child.dep_ == "compound" and child.pos_ == "PROPN" and child.i not in self.ent_of:
                    start = min(start, child.i)
            if any(doc[i].is_punct or doc[i].is_space for i in range(start, token.i)):
                start = token.i
            span = Span(doc, start, token.i + 1, label="ORG")
            self.mentions.append(span)
            key = span.text.lower()
            self.count[key] = self.count.get(key, 0) + 1
            for i in range(span.start, span.end):
                self.ent_of[i] = span
        self.mentions.sort(key=lambda m: m.start)
        self._starts = [m.start for m in self.mentions]
        # "the Grok chatbot", "the chatbot Grok", "Upbit, the exchange": which parties the text
        # itself calls a chatbot, an exchange, an app (for "the chatbot" later on)
        self.described: dict[str, set[str]] = {}
        for m in self.mentions:
            key = m.text.lower()  # the surface name: "Grok", not its owner xAI
            near = []
            if m.end < len(doc):
                near.append(doc[m.end])
            if m.start > 0:
                near.append(doc[m.start - 1])
            near += [c for c in m.root.children if c.dep_ == "appos"]
            if m.root.dep_ == "appos":
                near.append(m.root.head)
            for t in near:
                if t.pos_ == "NOUN":
                    for word in _DESCRIPTION_SYNONYMS.get(t.lower_, (t.lower_,)):
                        self.described.setdefault(word, set()).add(key)
        _ENT_TOKENS.clear()
        _ENT_TOKENS[id(doc)] = self.ent_of

    def party_from_ent(self, ent: Span) -> Party:
        text = ent.text.strip()
        pid = ent.ent_id_ or None
        if ent.label_ != ACTOR_LABEL and pid is None:
            pid = _lookup_id(text)
        # "Pingrong's" -> "Pingrong"
        text = re.sub(r"[’']s?$", "", text).strip() or text
        return Party(text=text, id=pid, label=ent.label_, start=ent.root.i, named=True)

    def antecedent(self, token: Token, kind: str) -> Optional[Party]:
        """The preceding named party of the fitting kind (person, org, authority, place):
        the nearest, unless a clearly more salient one is mentioned close by."""
        import bisect
        idx = bisect.bisect_left(self._starts, token.i) - 1
        floor = token.i - (400 if kind == "person" else 150)
        best = None
        best_score = -1.0
        first = None
        while idx >= 0:
            m = self.mentions[idx]
            if m.start < floor:
                break
            if m.end <= token.i and self._fits(m, kind):
                if kind != "org_any" and kind != "person" and m.root.dep_ in ("nsubj", "nsubjpass") \
                        and m.sent.start == token.sent.start and _dominates(m.root.head, token):
                    # "Cloudflare claims that … the startup will …": a description in the
                    # subject's own complement names someone else
                    idx -= 1
                    continue
                key = m.ent_id_ or m.text.lower()
                if first is None:
                    first = m
                # nearness weighed against how often the document names the party
                score = self.count.get(key, 1) ** 0.5 / (1.0 + (token.i - m.end) / 25.0)
                if m.label_ == "GPE":
                    score *= 0.5
                if m.text.lower() in self.described.get(token.lower_, ()):
                    score *= 3.0  # "the chatbot" after "the Grok chatbot"
                if m.root.dep_ in ("nsubj", "nsubjpass"):
                    score *= 2.0  # subjects are what the next sentence usually talks about
                elif m.root.dep_ == "pobj" and m.root.head.head.dep_ not in ("nsubj", "nsubjpass"):
                    score *= 0.5  # "posted to Weibo", "in Malaysia": scenery, seldom the topic
                if score > best_score:
                    best, best_score = m, score
            idx -= 1
        if best is None:
            return None
        return self.party_from_ent(best)

    def antecedents(self, token: Token) -> list[Party]:
        """For a plural anaphor ("the companies"): the nearest preceding coordinated group."""
        import bisect
        idx = bisect.bisect_left(self._starts, token.i) - 1
        floor = token.i - 150
        while idx >= 0:
            m = self.mentions[idx]
            if m.start < floor:
                break
            group = [m.root] + list(m.root.conjuncts)
            if len(group) >= 2 and m.end <= token.i:
                parts = [self.ent_of[g.i] for g in group if g.i in self.ent_of]
                if len(parts) >= 2:
                    return [self.party_from_ent(p) for p in parts]
            idx -= 1
        return []

    def _fits(self, ent: Span, kind: str) -> bool:
        label = ent.label_
        akind = actor_kind(ent.ent_id_ or None) if label == "ACTOR" else None
        if kind == "person":
            return label == "PERSON" or akind == "person"
        if kind == "place":
            return label == "GPE" or akind in ("government", "country", "state")
        if label not in ("ACTOR", "ORG", "PRODUCT", "GPE") or (label == "GPE" and kind == "org"):
            return False
        if label == "GPE" and kind == "org_noun":
            # a GPE may be a company the NER mistook ("Staylane"), never a known state or a place
            if len(ent) > 1 or actor_kind(_lookup_id(ent.text)) in ("government", "regulator", "court"):
                return False
            if ent.root.dep_ == "pobj" or any(c.dep_ in ("conj", "cc") for c in ent.root.children) \
                    or ent.root.dep_ == "conj":
                return False
        if akind == "person":
            return False
        words = {w.lower() for w in ent.text.split()}
        authority = (akind in ("regulator", "court", "government")
                     or bool(words & self.lex.sets.get("authority_words", frozenset())))
        if kind == "authority":
            return authority or label == "GPE"
        if kind == "org_any":
            return label != "GPE" or authority
        return not authority and not (label == "GPE" and kind != "org_noun")


def _dominates(head: Token, token: Token) -> bool:
    cur = token
    for _ in range(30):
        if cur.i == head.i:
            return True
        if cur.head.i == cur.i:
            return False
        cur = cur.head
    return False


def _np_span(head: Token) -> Span:
    """The head noun with its pre-modifiers (determiners, adjectives, compounds, possessives)."""
    start = head.i
    for child in head.lefts:
        if child.dep_ in ("det", "amod", "compound", "nummod", "poss", "nmod", "quantmod",
                          "advmod", "case", "punct") or child.dep_ == "prep":
            start = min(start, child.left_edge.i)
    end = head.i + 1
    for child in head.rights:
        if child.dep_ in ("compound", "case") and child.i == end:
            end = child.i + 1
        elif child.dep_ == "prep" and child.lower_ in ("of", "behind", "for") and child.i == end \
                and child.right_edge.i - start < 10 \
                and any(t.pos_ == "PROPN" for t in child.subtree):
            # "the tax departments of Guangzhou city", "the developer behind Crimson Desert"
            end = child.right_edge.i + 1
    return head.doc[start:end]


def _is_anaphor(head: Token, lex: Lexicon) -> Optional[str]:
    """None when not an anaphor; else the kind of antecedent it needs."""
    low = head.lower_
    if head.pos_ == "PRON" or head.tag_ in ("PRP", "PRP$"):
        if low in lex.person_anaphors:
            return "person"
        if low in lex.org_anaphors:
            return "org_any"  # "it" may be a company or an authority
        return None
    if head.pos_ == "NOUN" and any(c.lower_ in ("the", "this", "that", "its", "their")
                                   for c in head.lefts if c.dep_ in ("det", "poss")):
        ents = _ENT_TOKENS.get(id(head.doc), {})
        if any(c.dep_ in ("compound", "poss", "amod") and c.pos_ == "PROPN" and c.i in ents
               and ents[c.i].label_ in ("ACTOR", "ORG", "PERSON", "PRODUCT") for c in head.lefts):
            return None
        if any(c.dep_ in ("prep", "acl", "relcl", "appos") for c in head.rights
               if not (c.lower_ == "of" and head.head.lemma_.lower() in _OF_VERBS)):
            return None
        if low in lex.authority_anaphors:
            return "authority"
        if low in lex.place_anaphors:
            return "place"
        if low in lex.person_anaphors:
            return "person"
        if low in lex.org_anaphors:
            return "org_noun"
    return None


#: gerunds after "blocked X from …" that tell of competition, not of cutting off a service
_MARKET_VERBS = frozenset({"gain", "win", "enter", "grow", "expand", "dominate", "compete", "reach",
                           "become", "take", "acquire", "buy", "merge", "capture", "overtake"})

#: verbs whose "of" phrase is the charge ("accused the company of …"), often parsed onto the noun
_OF_VERBS = frozenset({"accuse", "suspect", "convict", "acquit", "warn", "notify", "inform"})

#: token indexes inside named parties, per document being processed (for anaphor checks)
_ENT_TOKENS: dict[int, Any] = {}

_MONEY_TOKEN_RX = re.compile(r"[$€£¥₩]\s*\d|\d[\d,.]*\s*[$€£¥₩]")

_NON_PARTY_LABELS = frozenset({"DATE", "TIME", "MONEY", "PERCENT", "QUANTITY", "ORDINAL",
                               "CARDINAL", "LAW", "LANGUAGE"})


def resolve_parties(token: Token, ctx: DocContext, depth: int = 0, with_conj: bool = True
                    ) -> list[Party]:
    """The parties a role-filling token stands for: entities, resolved anaphors, or the
    container's owner ("links to Taobao", "Pingrong's accounts", "the likes of Apple")."""
    if depth > 3:
        return []
    # "Pingrong's Kuaishou and Weibo accounts": the accounts' owner, not the platforms
    conj_all = [token] + list(token.conjuncts)
    if any(t.lower_ in ctx.lex.sets["platform_containers"] for t in conj_all):
        for child in token.children:
            if child.dep_ == "poss" and (child.i in ctx.ent_of or child.pos_ == "PROPN"):
                found = resolve_parties(child, ctx, depth + 1, with_conj=False)
                if found:
                    return found
    heads = [token]
    if with_conj:
        heads += [c for c in token.conjuncts if c.i != token.i]
        # "Indonesia, along with Malaysia and the Philippines, …"
        for child in token.children:
            if child.dep_ == "prep" and child.lower_ in ("along", "together") or \
                    (child.dep_ == "prep" and child.lower_ == "with" and child.head.lower_ in ("along", "together")):
                for w in child.subtree:
                    if w.dep_ == "pobj":
                        heads.append(w)
                        heads += list(w.conjuncts)
                        break
    out: list[Party] = []
    seen: set[int] = set()
    for head in heads:
        for p in _resolve_one(head, ctx, depth):
            key = p.start
            if key not in seen:
                seen.add(key)
                out.append(p)
    return out


_FIRST_PERSON = frozenset({"we", "us", "our", "ours", "i", "me", "my"})
_SPEECH_LEMMAS = frozenset({"say", "tell", "write", "add", "state", "post", "announce", "explain"})


def _quoted_speaker(token: Token) -> Optional[Token]:
    """'"We apologise," Acme's chief executive said': the subject of the sentence's speech verb
    when the first-person word stands inside quotation marks."""
    sent = token.sent
    quotes = [t.i for t in sent if t.text in ('"', "“", "”", "«", "»")]
    if len(quotes) < 2 or not quotes[0] < token.i < quotes[-1]:
        return None
    for verb in sent:
        if verb.lemma_.lower() not in _SPEECH_LEMMAS or verb.pos_ not in ("VERB", "AUX"):
            continue
        if quotes[0] < verb.i < quotes[-1]:
            continue  # a speech verb inside the quote
        subj = next((c for c in verb.children if c.dep_ == "nsubj"), None)
        if subj is not None and subj.pos_ != "PRON" and not quotes[0] < subj.i < quotes[-1]:
            return subj
    return None


def _resolve_one(head: Token, ctx: DocContext, depth: int) -> list[Party]:
    lex = ctx.lex
    ent = ctx.ent_of.get(head.i)
    if ent is not None:
        if ent.label_ == "PRODUCT":
            # "Workday's CRM": the product's named owner
            owner = [c for c in ent.root.children if c.dep_ == "poss" and c.i in ctx.ent_of]
            if owner:
                return [ctx.party_from_ent(ctx.ent_of[owner[0].i])]
        return [ctx.party_from_ent(ent)]
    if head.lower_ in ("who", "whose", "which", "that", "whom"):
        # relative pronoun: the noun its clause modifies
        anc = next((a for a in head.ancestors if a.dep_ == "relcl"), None)
        if anc is not None and anc.head.pos_ in ("NOUN", "PROPN"):
            return resolve_parties(anc.head, ctx, depth + 1, with_conj=False)
        return []
    if head.lower_ in lex.plural_anaphors and any(
            c.lower_ in ("the", "these", "those", "both", "all") for c in head.lefts):
        group = ctx.antecedents(head)
        if group:
            return group
    if head.lower_ in _FIRST_PERSON and depth < 3:
        speaker = _quoted_speaker(head)
        if speaker is not None:
            found = resolve_parties(speaker, ctx, depth + 1, with_conj=False)
            if found and all(doc_tok.pos_ != "PRON" for doc_tok in (head.doc[p.start] for p in found)):
                return found
    anaphor = _is_anaphor(head, lex)
    if anaphor is not None and head.dep_ == "poss" and head.tag_ == "PRP$":
        # "the DOJ has started its probe": a possessive binds to its clause's subject
        verb = _governing_verb(head.head) if head.head.pos_ != "VERB" else head.head
        subj = _subject(verb)[0] if verb is not None else None
        if subj is not None and subj.i < head.i and subj.i in ctx.ent_of:
            ent = ctx.ent_of[subj.i]
            if ctx._fits(ent, anaphor):
                p = ctx.party_from_ent(ent)
                return [Party(text=p.text, id=p.id, label=p.label, start=head.i, named=True)]
    if anaphor is not None:
        p = ctx.antecedent(head, anaphor)
        if p is not None:
            if head.i >= 0:
                p = Party(text=p.text, id=p.id, label=p.label, start=head.i, named=True)
            return [p]
        return []
    # appositions name the thing: "platforms Taobao and JD.com", "a streamer, Pingrong"
    for child in head.children:
        if child.dep_ in ("appos", "npadvmod") and (child.i in ctx.ent_of or child.pos_ == "PROPN"):
            return resolve_parties(child, ctx, depth + 1)
    # "59 Chinese apps including TikTok and WeChat": the named examples
    for child in head.children:
        if child.dep_ == "prep" and child.lower_ in ("including", "like", "notably"):
            examples = [g for g in child.children if g.dep_ == "pobj"]
            named = [p for g in examples for p in resolve_parties(g, ctx, depth + 1) if p.named]
            if named:
                return named
    low = head.lower_
    if low in lex.sets["containers"] or head.lemma_.lower() in lex.sets["containers"]:
        # whose container: possessor, proper-noun compound, or of/to/on/from/belonging to
        for child in head.children:
            if child.dep_ == "poss":
                if child.pos_ == "NOUN" and _is_anaphor(child, lex) is not None:
                    break  # "the developer's account": the phrase says more than a guess
                found = resolve_parties(child, ctx, depth + 1)
                if found:
                    return found
        named_compounds = [c for c in head.lefts if c.dep_ == "compound"
                           and (c.i in ctx.ent_of or c.pos_ == "PROPN")]
        if named_compounds and low not in lex.sets["platform_containers"]:
            # "JD links", "Lycos Europe site": the named owner; but "YouTube accounts" name a platform
            owner = named_compounds[-1]
            if owner.i in ctx.ent_of:
                return [ctx.party_from_ent(ctx.ent_of[owner.i])]
        for child in head.children:
            if child.dep_ == "prep" and child.lower_ in ("to", "of", "on", "from", "at", "for"):
                for pobj in child.children:
                    if pobj.dep_ == "pobj":
                        found = resolve_parties(pobj, ctx, depth + 1)
                        if found:
                            return found
            if child.dep_ == "acl" and child.lemma_ in ("belong", "own", "run", "operate", "use"):
                for gc in child.children:
                    targets = [gc] if gc.dep_ in ("dobj", "agent") else []
                    if gc.dep_ == "prep":
                        targets = [x for x in gc.children if x.dep_ == "pobj"]
                    for t in targets:
                        if t.dep_ == "agent":
                            t = next((x for x in t.children if x.dep_ == "pobj"), t)
                        found = resolve_parties(t, ctx, depth + 1)
                        if found:
                            return found
    if head.ent_type_ in _NON_PARTY_LABELS or head.like_num or _MONEY_TOKEN_RX.search(head.text):
        return []
    # "Netflix's proposed purchase", "Perplexity's crawling": the named possessor
    if head.lower_ not in lex.sets["party_nouns"]:
        for child in head.children:
            if child.dep_ == "poss" and (child.i in ctx.ent_of or child.pos_ == "PROPN"):
                found = resolve_parties(child, ctx, depth + 1, with_conj=False)
                if found:
                    return found
    if head.pos_ in ("NOUN", "PROPN"):
        span = _np_span(head)
        text = span.text.strip()
        if text and len(text) <= 120:
            named = head.pos_ == "PROPN" or any(t.i in ctx.ent_of or t.pos_ == "PROPN" for t in span)
            return [Party(text=text, id=_lookup_id(text) if named else None, label="",
                          start=head.i, named=named)]
    return []


# --------------------------------------------------------------------------- helpers on the parse

def _children(token: Token, deps: Iterable[str]) -> list[Token]:
    deps = tuple(deps)
    return [c for c in token.children if c.dep_ in deps]


def _prep_objects(token: Token, prep: str) -> list[Token]:
    """Objects of a preposition under `token` ("against X"; "according to X"; "due to X")."""
    out = []
    for child in token.children:
        if child.dep_ in ("prep", "agent", "dative") and child.lower_ == prep:
            for gc in child.children:
                if gc.dep_ in ("pobj", "pcomp"):
                    out.append(gc)
    return out


def _governing_verb(token: Token) -> Optional[Token]:
    """The verb whose clause a noun/adjective trigger belongs to."""
    cur = token
    for _ in range(6):
        if cur.dep_ == "ROOT" and cur.pos_ not in ("VERB", "AUX"):
            return None
        head = cur.head
        if head.i == cur.i:
            return None
        if head.pos_ in ("VERB", "AUX"):
            return head
        if cur.dep_ in ("pobj", "prep", "compound", "amod", "conj", "appos", "dobj", "attr",
                        "nsubj", "nsubjpass", "acomp", "npadvmod", "nmod", "advmod", "poss"):
            cur = head
            continue
        return None
    return None


def _is_dateline(token: Token) -> bool:
    """"SAO PAULO (AP) —", "BEIJING, March 18 (Reuters) -": the place a story was filed from
    and the agency, which the parser often takes for the first sentence's subject."""
    sent = token.sent
    first = sent[0]
    if token.i - sent.start > 8 or not first.text.isupper() or len(first.text) < 2:
        return False
    doc = token.doc
    end = min(sent.start + 12, sent.end)
    for j in range(sent.start + 1, end):
        if doc[j].text in ("—", "–", "-", "--") and doc[j - 1].whitespace_ and doc[j].whitespace_:
            return token.i < j
    return False


def _subject(verb: Token) -> tuple[Optional[Token], bool]:
    """The verb's subject, following xcomp/conj/relative-clause links; (token, passive)."""
    cur = verb
    for _ in range(4):
        for child in cur.children:
            if child.dep_ in ("nsubj", "csubj") and _is_dateline(child):
                continue
            if child.dep_ in ("nsubj", "csubj"):
                return child, False
            if child.dep_ == "nsubjpass":
                return child, True
        if cur.dep_ in ("xcomp", "conj", "advcl") and cur.head.pos_ in ("VERB", "AUX"):
            cur = cur.head
            continue
        if cur.dep_ in ("relcl", "acl") and cur.head.pos_ in ("NOUN", "PROPN", "PRON"):
            return cur.head, cur.tag_ == "VBN" and cur.dep_ == "acl"
        break
    return None, False


def _according_to(token: Token) -> list[Token]:
    """The source of an "according to X" attached anywhere on the path to the root."""
    cur = token
    for _ in range(8):
        for child in cur.children:
            if child.dep_ == "prep" and child.lower_ == "according":
                return [gc for p in child.children if p.lower_ == "to"
                        for gc in p.children if gc.dep_ == "pobj"]
        if cur.head.i == cur.i:
            break
        cur = cur.head
    return []


# --------------------------------------------------------------------------- status

_DISCLOSURE_VERBS = frozenset({"say", "confirm", "disclose", "announce", "report", "admit", "reveal",
                               "notify", "warn", "acknowledge", "tell", "inform", "state"})

_BACKGROUND_PREPS = frozenset({"from", "over", "after", "following", "since", "before",
                               "despite", "amid", "about", "behind", "because", "at", "during"})


def event_status(trigger: Token, clause: Optional[Token], lex: Lexicon
                 ) -> tuple[str, bool]:
    """(status, future) from negation, modality, tense and governing verbs."""
    s = lex.sets
    # negation or hypothetical modifiers on a nominal trigger
    for child in trigger.children:
        if child.dep_ == "neg" or (child.dep_ == "det" and child.lower_ in s["negation_determiners"]):
            return "negated", False
        if child.dep_ == "amod" and child.lower_ in s["hypothetical_modifiers"]:
            return "hypothetical", False
    if trigger.pos_ in ("NOUN", "PROPN") and (
            trigger.dep_ in ("compound", "poss")
            or (trigger.dep_ == "pobj" and trigger.head.lower_ in _BACKGROUND_PREPS)):
        # "from AT&T's breach payouts", "over his suspension": the event is presupposed
        return "asserted", False
    chain: list[Token] = []
    siblings: set[int] = set()  # conjoined verbs: "dismissed staff and banned accounts"
    own_tense: set[int] = set()
    cur = clause if clause is not None else trigger
    if trigger.pos_ in ("VERB", "AUX"):
        cur = trigger
    for _ in range(5):
        chain.append(cur)
        if cur.dep_ in ("xcomp", "ccomp", "pcomp", "advcl", "conj", "acomp") and cur.head.i != cur.i:
            # "denied hacking", "plans to block", "said it will ban"; stop at a speech verb
            nxt = cur.head
            if cur.dep_ == "ccomp" and nxt.lemma_ in ("say", "tell", "report", "announce",
                                                      "confirm", "write", "state", "add", "note"):
                chain.append(nxt)
                break
            if cur.dep_ == "conj":
                siblings.add(nxt.i)
                if cur.tag_ == "VBD" or any(c.dep_ in ("aux", "auxpass") for c in cur.children):
                    own_tense.add(nxt.i)  # "would refund … and had closed": its own tense
            cur = nxt
            continue
        if cur.dep_ == "pobj" and cur.head.dep_ == "prep":
            cur = cur.head.head
            continue
        if cur.dep_ == "pcomp" and cur.head.dep_ == "prep":
            if cur.head.lower_ in ("against", "without", "instead"):
                return "negated", False  # "ruled against reinstating a ban"
            cur = cur.head.head
            continue
        break
    future = False
    planned = False
    # "it said it would refund buyers": reported future, not a hypothetical
    reported = len(chain) > 1 and chain[-1].tag_ == "VBD" and chain[-1].lemma_ in (
        "say", "tell", "announce", "confirm", "write", "state", "add", "note")
    for pos, verb in enumerate(chain):
        lemma = verb.lemma_.lower()
        if verb.i in own_tense:
            continue
        for child in verb.children:
            low = child.lower_
            if child.dep_ == "neg" or (child.dep_ == "advmod" and low in ("never",)):
                return "negated", False
            if child.dep_ in ("aux", "auxpass"):
                if reported and low == "would":
                    planned = True
                elif low in s["modal_hypothetical"] or child.lemma_ in s["modal_hypothetical"]:
                    if not (low == "can" and pos > 0):
                        return "hypothetical", False
                if low in s["modal_planned"] or child.lemma_ == "will":
                    planned = True
            if child.dep_ == "advcl":
                if any(m.dep_ == "mark" and m.lower_ in s["conditional_marks"] for m in child.children):
                    return "hypothetical", False
            if child.dep_ == "mark" and low in s["conditional_marks"] and pos == len(chain) - 1:
                return "hypothetical", False
        if pos == 0 and verb is trigger:
            continue
        if verb.i in siblings:
            continue
        if lemma in s["negating_governors"] and verb is not trigger:
            return "negated", False
        if lemma in s["hypothetical_governors"] and verb is not trigger:
            if lemma == "call" and not any(c.lower_ == "for" for c in verb.children):
                pass
            elif lemma == "have" and (verb.tag_ == "VBD" or not any(c.dep_ == "xcomp" for c in verb.children)):
                pass
            else:
                return "hypothetical", False
        if lemma in s["planned_governors"] and verb is not trigger:
            if lemma in ("begin", "start", "agree", "decide", "order", "move") and verb.tag_ in ("VBD", "VBN"):
                pass
            else:
                planned = True
        if verb.dep_ == "mark" and verb.lower_ in s["conditional_marks"]:
            return "hypothetical", False
    # "if X happens, it could be fined": conditional clause of the trigger's own clause
    head = chain[0]
    for child in head.children:
        if child.dep_ == "mark" and child.lower_ in s["conditional_marks"]:
            return "hypothetical", False
    # headline future: "Kuaishou to block Taobao links"
    if trigger.pos_ in ("VERB", "AUX") and trigger.dep_ in ("ROOT", "relcl", "acl") and any(
            c.dep_ == "aux" and c.tag_ == "TO" for c in trigger.children):
        planned = True
    if planned:
        future = True
        return "planned", future
    return "asserted", future


# --------------------------------------------------------------------------- the events component

@dataclass
class Mention:
    type: str
    trigger: Token
    entry: TriggerEntry
    actors: list[Party]
    targets: list[Party]
    status: str
    future: bool
    clause: Optional[Token]
    reason: Optional[str]
    conf: float


@Language.factory(
    "trustwatch_events",
    default_config={"triggers_file": "triggers.jsonl", "cues_file": "cues.json",
                    "min_confidence": 0.0, "max_events_per_doc": 200, "sport_guard": True,
                    "triggers": None},
)
def make_event_extractor(nlp: Language, name: str, triggers_file: str, cues_file: str,
                         min_confidence: float, max_events_per_doc: int, sport_guard: bool,
                         triggers: Optional[list[dict]]) -> "EventExtractor":
    lex = lexicon_from_data(triggers, None) if triggers is not None else load_lexicon(triggers_file, cues_file)
    # warm the gazetteer caches here, so that forked worker processes inherit them
    _actor_index()
    _lookup_id("Kuaishou")
    return EventExtractor(lex, min_confidence=min_confidence,
                          max_events_per_doc=max_events_per_doc, sport_guard=sport_guard)


class EventExtractor:
    """Triggers -> role-filled, status-marked events in `doc._.trustwatch_events` (plain dicts)."""

    def __init__(self, lex: Lexicon, *, min_confidence: float = 0.0,
                 max_events_per_doc: int = 200, sport_guard: bool = True):
        self.lex = lex
        self.min_confidence = min_confidence
        self.max_events_per_doc = max_events_per_doc
        self.sport_guard = sport_guard

    def __call__(self, doc: Doc) -> Doc:
        try:
            doc._.trustwatch_events = self.extract(doc)
        except Exception:  # noqa: BLE001 - one odd parse must not sink the batch
            log.exception("event extraction failed on a document of %d tokens", len(doc))
            doc._.trustwatch_events = []
        return doc

    # -- per document
    def extract(self, doc: Doc) -> list[dict]:
        ctx = DocContext(doc, self.lex)
        published = _published_of(doc)
        sporty = self.sport_guard and _is_sport_doc(doc, self.lex)
        mentions: list[Mention] = []
        for token in doc:
            entries = self.lex.candidates(token)
            if not entries:
                continue
            done: set[str] = set()
            for entry in entries:
                if entry.type in done:
                    continue
                m = self._mention(token, entry, ctx)
                if m is not None:
                    mentions.append(m)
                    done.add(entry.type)
        events: list[dict] = []
        sent_cache: dict[int, tuple[list, list]] = {}
        for m in mentions:
            for ev in self._events_of(m, ctx, published, sent_cache, sporty):
                if ev["confidence"] >= self.min_confidence:
                    events.append(ev)
        events = _drop_generic_victims(events)
        merged = merge_events(events)
        return merged[: self.max_events_per_doc]

    # -- per trigger
    def _mention(self, token: Token, entry: TriggerEntry, ctx: DocContext) -> Optional[Mention]:
        lex = self.lex
        doc = token.doc
        if token.i > 0 and doc[token.i - 1].text in ("-", "/") and not doc[token.i - 1].whitespace_:
            return None  # part of a hyphenated name ("Ray-Ban")
        if token.pos_ == "PROPN" and token.i in ctx.ent_of and token.text[:1].isupper() \
                and ctx.ent_of[token.i].label_ in ("ACTOR", "ORG", "PRODUCT", "PERSON"):
            return None  # a name: the streaming site Kick, the payments firm Block
        if any(c.dep_ in ("amod", "compound") and c.lower_ in lex.sets["idiom_modifiers"]
               for c in token.lefts):
            return None  # "stumbling block", "building block"
        if entry.particle:
            prts = [c.lower_ for c in token.children if c.dep_ in ("prt", "advmod", "prep")]
            if "*" not in entry.particle and not any(p in entry.particle for p in prts):
                return None
        if entry.gov_lemmas:
            gov = token.head
            if gov.lemma_.lower() not in entry.gov_lemmas or gov.i == token.i:
                return None
        if entry.left_words and not any(c.lower_ in entry.left_words for c in token.lefts
                                         if c.dep_ in ("amod", "compound", "nmod")):
            return None
        if entry.subject_words:
            subj, _ = _subject(token)
            if subj is None or not (
                    any(t.lower_ in entry.subject_words for t in subj.subtree)
                    or (subj.i in ctx.ent_of and actor_kind(ctx.ent_of[subj.i].ent_id_ or None)
                        in entry.subject_words)):
                return None
        if entry.breach_context and not _breach_context(token, lex):
            return None
        if entry.misconduct_only and not _misconduct_context(token, lex):
            return None
        clause = token if token.pos_ in ("VERB", "AUX") else _governing_verb(token)
        if token.pos_ in ("ADJ",) and token.head.pos_ in ("VERB", "AUX"):
            clause = token.head
        if token.pos_ == "ADV":
            clause = token.head
        if entry.requires_prep:
            preps = {c.lower_ for c in token.children if c.dep_ in ("prep", "agent", "prt")}
            ok = bool(preps & set(entry.requires_prep))
            if not ok and not entry.target_nouns:
                return None
            if not ok:
                objs = _children(token, ("dobj", "nsubjpass"))
                if not any(o.lower_ in entry.target_nouns for o in objs):
                    return None
        elif entry.target_nouns:
            objs = _children(token, ("dobj", "nsubjpass"))
            objs += [c for o in objs for c in o.conjuncts]
            if not any(o.lower_ in entry.target_nouns or o.lemma_.lower() in entry.target_nouns
                       for o in objs):
                return None
        if entry.type == "BREACH" and token.pos_ == "VERB" and any(
                o.lemma_.lower() in lex.sets["breach_exclusions"] for o in _children(token, ("dobj",))):
            return None  # "breached content rules": a violation, not a data breach
        if entry.type == "BLOCK" and token.pos_ == "VERB" and any(
                p.lower_ == "from" and any(g.tag_ == "VBG" and g.lemma_.lower() in _MARKET_VERBS
                                           for g in p.children) for p in token.children):
            return None  # "blocked TikTok Shop from gaining ground": market talk
        if entry.type == "BAN" and token.pos_ == "VERB":
            if token.lower_.startswith("delist") and any(
                    t.lower_ in lex.sets["listing_words"] for t in token.sent):
                return None  # a stock delisting
            if any(o.lemma_.lower() in lex.sets["ban_from_non_platforms"] and o.i not in ctx.ent_of
                   for o in _prep_objects(token, "from")):
                return None  # "removed from office", "banned from the country"
        actors, targets = self._roles(token, entry, clause, ctx)
        status, future = event_status(token, clause, lex)
        status = self._light_status(token, entry, clause, status)
        reason = _reason(token, clause, entry)
        type_ = entry.type
        banned_from = any(c.dep_ == "prep" and (c.lower_ == "from" or (c.lower_ == "on" and token.pos_ == "VERB"))
                          for c in token.children)
        account_ban = any(_words(t.text)[-1:] and _words(t.text)[-1] in lex.sets["platform_containers"]
                          for t in targets)
        if entry.state_type and actors and not banned_from and not account_ban \
                and all(self._is_state(a) for a in actors):
            type_ = entry.state_type
        elif entry.state_type and not actors and not banned_from and targets and all(
                actor_kind(t.id) in ("platform", "marketplace") for t in targets):
            type_ = entry.state_type  # "the ban on Rumble": a platform is banned by a state
        conf = entry.conf
        return Mention(type_, token, entry, actors, targets, status, future, clause, reason, conf)

    def _is_state(self, party: Party) -> bool:
        if party.label in self.lex.sets["place_labels"]:
            return True
        if set(_words(party.text)) & self.lex.sets["court_words"]:
            return True  # "a Supreme Court justice ordered the suspension of Rumble"
        kind = actor_kind(party.id)
        return kind in self.lex.sets["state_kinds"] if kind else False

    def _light_status(self, token: Token, entry: TriggerEntry, clause: Optional[Token],
                      status: str) -> str:
        if status != "asserted" or token.pos_ not in ("NOUN", "PROPN") or clause is None:
            return status
        hyp = self.lex.light.get(entry.type, {}).get("hypothetical", [])
        if clause.lemma_.lower() in hyp and clause.tag_ in ("VBZ", "VBP", "VBG"):
            return "hypothetical"
        return status

    def _roles(self, token: Token, entry: TriggerEntry, clause: Optional[Token],
               ctx: DocContext) -> tuple[list[Party], list[Party]]:
        roles = entry.roles
        actors: list[Party] = []
        targets: list[Party] = []
        place_actors: list[Party] = []

        def put(role: Optional[str], tokens: Iterable[Token]) -> None:
            for tok in tokens:
                if role == "target" and tok.pos_ == "PRON" and (
                        entry.no_pronoun_target or tok.lower_ in ("we", "us", "our", "i", "me", "my", "you", "your")):
                    continue
                parties = resolve_parties(tok, ctx)
                if role == "actor":
                    actors.extend(parties)
                elif role == "target":
                    targets.extend(parties)
                elif role == "actor_place":
                    place_actors.extend(p for p in parties if p.label in ctx.lex.sets["place_labels"]
                                        or actor_kind(p.id) in ("government", "regulator"))
                elif role == "actor_named":
                    actors.extend(p for p in parties if p.named)
                elif role == "target_or_actor":
                    # "Pingrong's suspension" names the target, "Brazil's ban" the actor
                    for p in parties:
                        (actors if self._is_state(p) and p.named else targets).append(p)
                elif role == "actor_or_target":
                    for p in parties:
                        kind = actor_kind(p.id)
                        if kind in ("regulator", "court", "government") or p.label == "GPE":
                            actors.append(p)
                        else:
                            targets.append(p)

        is_verb = token.pos_ in ("VERB", "AUX")
        if is_verb:
            subj, passive = None, False
            for child in token.children:
                if child.dep_ in ("nsubj", "nsubjpass") and not _is_dateline(child):
                    subj, passive = child, child.dep_ == "nsubjpass"
            if subj is None:
                subj, passive = _subject(token)
                if token.dep_ == "acl" and token.tag_ == "VBN":
                    passive = True
            if subj is not None:
                put(roles.get("nsubjpass" if passive else "nsubj"), [subj])
                # "Indonesia, along with Malaysia and the Philippines, banned …"
                for prep in _children(token, ("prep",)):
                    if prep.lower_ in ("along", "together"):
                        objs = [w for w in prep.subtree if w.dep_ == "pobj"][:1]
                        put(roles.get("nsubjpass" if passive else "nsubj"), objs)
            dobjs = _children(token, ("dobj",))
            before = len(targets)
            put(roles.get("dobj"), dobjs)
            if roles.get("dobj") == "target" and not any(t.named for t in targets[before:]) and any(
                    (d.lower_ in ctx.lex.sets["containers"] or d.lemma_.lower() in ctx.lex.sets["containers"])
                    and d.lower_ not in ctx.lex.sets["platform_containers"] for d in dobjs):
                # "blocking links to Taobao": the owner hangs on the verb, not on "links"
                owners: list[Token] = []
                for prep in ("to", "on", "for", "of"):
                    owners += _prep_objects(token, prep)
                if owners:
                    del targets[before:]
                    put("target", owners)
            put(roles.get("dative"), _children(token, ("dative",)))
            if passive or token.tag_ == "VBN":
                for agent in _children(token, ("agent",)):
                    put(roles.get("agent"), _children(agent, ("pobj",)))
            if "ccomp_subj" in roles:
                for cc in _children(token, ("ccomp",)):
                    put(roles["ccomp_subj"], _children(cc, ("nsubj", "nsubjpass")))
        elif token.pos_ == "ADV":
            if "head_subj" in roles:
                subj, _ = _subject(token.head)
                if subj is not None:
                    put(roles["head_subj"], [subj])
        else:
            for child in token.children:
                if child.dep_ == "poss":
                    put(roles.get("poss"), [child])
                elif child.dep_ == "compound" and child.i in ctx.ent_of:
                    put(roles.get("compound"), [child])
                elif child.dep_ == "acl" and "acl_obj" in roles and child.lemma_ in (
                        "target", "affect", "involve", "hit", "impact", "expose"):
                    put(roles["acl_obj"], _children(child, ("dobj",)))
                elif child.dep_ == "acl" and child.tag_ == "VBN":
                    # "a lawsuit brought by X against Y"
                    for agent in _children(child, ("agent",)):
                        put("actor", _children(agent, ("pobj",)))
                    for prep, role in roles.items():
                        if prep.startswith("prep:"):
                            put(role, _prep_objects(child, prep[5:]))
            if "ccomp_subj" in roles:
                for cc in token.children:
                    if cc.dep_ in ("ccomp", "acl"):
                        put(roles["ccomp_subj"], _children(cc, ("nsubj", "nsubjpass")))
            # compound of a noun: "data breach payouts" -> the head noun's possessor
            if token.dep_ == "compound" and token.head.pos_ in ("NOUN", "PROPN"):
                for child in token.head.children:
                    if child.dep_ == "poss":
                        put(roles.get("poss"), [child])
            # light verb: "X imposed a fine", "X suffered a breach", "Y faces a probe"
            rel = token.head if token.dep_ == "compound" else token
            direct = rel.dep_ in ("dobj", "nsubj", "nsubjpass", "attr", "oprd", "dative", "acomp") or (
                rel.dep_ == "pobj" and rel.head.head == clause
                and token.head.lower_ in ("in", "with", "to", "into", "under", "by", "for"))
            if clause is not None and clause.i != token.i and direct:
                lv = self.lex.light.get(entry.type, {})
                lemma = clause.lemma_.lower()
                subj, passive = _subject(clause)
                relation = rel.dep_
                if subj is not None and subj.i != token.i and not (relation in ("nsubj", "nsubjpass")):
                    if lemma in lv.get("actor", ()) and not passive:
                        put("actor", [subj])
                    elif lemma in lv.get("target", ()) or (lemma in lv.get("actor", ()) and passive):
                        put("target", [subj])
                    elif entry.type == "BREACH" and lemma in ("be",):
                        pass
                if relation in ("nsubj", "nsubjpass"):
                    # "the fine was imposed on X by Y"; "a breach hit X"
                    put("target", _children(clause, ("dobj",)) if lemma in ("hit", "affect", "expose", "target", "impact") else [])
                if lemma in lv.get("actor", ()):
                    put("target", _children(clause, ("dative",)))
                for prep, role in roles.items():
                    if prep.startswith("prep:") and role in ("target", "actor"):
                        if prep[5:] in ("against", "on", "into", "at", "to", "from", "with"):
                            put(role, _prep_objects(clause, prep[5:]))
                for agent in _children(clause, ("agent",)):
                    # "the fine was imposed by X"; "Apple was hit with a fine by the EU"
                    if relation == "nsubjpass" or (relation == "pobj" and passive
                                                   and rel.head.dep_ != "agent"):
                        put("actor", _children(agent, ("pobj",)))
                # "was hit by a data breach": trigger under the agent of a passive verb
                if relation == "pobj" and token.head.dep_ == "agent" and subj is not None and passive:
                    put("target", [subj])
        for prep, role in roles.items():
            if prep.startswith("prep:"):
                put(role, _prep_objects(token, prep[5:]))
                if not is_verb:
                    # "a fine of 10 million euros on TikTok": the role hangs on the sum
                    for of in _prep_objects(token, "of"):
                        if of.ent_type_ in ("MONEY", "CARDINAL", "QUANTITY") or of.like_num \
                                or of.lemma_.lower() in ("euro", "dollar", "pound", "yuan", "million", "billion"):
                            put(role, _prep_objects(of, prep[5:]))
        if entry.type == "BREACH" and not any(t.named for t in targets):
            # "Staylane said hackers stole guests' data in a breach": the speaker is the victim
            cur = token
            for _ in range(6):
                if cur.head.i == cur.i:
                    break
                parent = cur.head
                if cur.dep_ in ("ccomp", "xcomp") and parent.lemma_.lower() in _DISCLOSURE_VERBS:
                    subj, _ = _subject(parent)
                    if subj is not None:
                        put("target", [subj])
                    break
                cur = parent
        if not actors:
            put("actor", _according_to(token))
        if not actors and place_actors:
            actors = place_actors
        trig_i = token.i
        actors = [a for a in actors if a.start != trig_i]
        targets = [t for t in targets if t.start != trig_i]
        # a party cannot be its own counterpart: the key argument wins
        if KEY_ROLE.get(entry.type, "target") == "target":
            # "Amazon suspended our account": a pronoun resolved to the actor itself names
            # nobody (the writer, not the platform)
            actor_keys = {_norm_key(a) for a in actors}
            targets = [t for t in targets if not (
                _norm_key(t) in actor_keys and (token.doc[t.start].pos_ == "PRON"
                                                or _is_anaphor(token.doc[t.start], self.lex)))]
            target_keys = {_norm_key(t) for t in targets}
            actors = [a for a in actors if _norm_key(a) not in target_keys]
        else:
            actor_keys = {_norm_key(a) for a in actors}
            targets = [t for t in targets if _norm_key(t) not in actor_keys]
        return actors, targets

    def _events_of(self, m: Mention, ctx: DocContext, published: Optional[date],
                   sent_cache: dict, sporty: bool) -> list[dict]:
        lex = self.lex
        entry = m.entry
        key_role = KEY_ROLE.get(m.type, "target")
        keys = m.actors if key_role == "actor" else m.targets
        others = m.targets if key_role == "actor" else m.actors
        keys = [k for k in keys if _good_key(k, entry, lex)]
        if m.type == "BAN":
            # "suspended sales of a drug", "banned from the case": not a ban of a party
            keys = [k for k in keys if _words(k.text)[:1] and not set(_words(k.text)) & lex.sets["ban_non_targets"]]
        if not keys:
            return []
        if entry.target_heads and not any(_words(t.text)[-1:] and _words(t.text)[-1] in entry.target_heads
                                          for t in m.targets):
            return []  # "paid $10m to drivers" is compensation; "paid $10m to settle" is not
        if sporty and m.type != "BREACH":
            # sports coverage: bans of athletes, blocked shots and players' apologies
            if not any(k.label == ACTOR_LABEL and actor_kind(k.id) != "person" for k in keys):
                return []
        sent = m.trigger.sent
        if m.type == "ACCUSATION" and _ip_only(sent, lex):
            return []  # patent or copyright claims alone are not accusations of misconduct
        amount = None
        if m.type in AMOUNT_TYPES:
            amount = _amount_near(m, sent, sent_cache)
            if entry.requires_amount and amount is None:
                return []
        elif entry.requires_amount:
            return []
        date_ = _date_near(m, sent, published, sent_cache)
        conf = m.conf
        conf += 0.05 if others else -0.05
        conf += 0.05 if any(k.label == ACTOR_LABEL or k.id for k in keys) else 0.0
        if m.status not in ("asserted", "planned"):
            conf -= 0.1
        conf = round(max(0.05, min(0.99, conf)), 3)
        raw = sent.text
        sentence = raw.strip()
        start = sent.start_char + (len(raw) - len(raw.lstrip()))
        end = start + len(sentence)
        out = []
        other_list = others or [None]
        for key in keys:
            for other in other_list[:4]:
                actor = other if key_role == "target" else key
                target = key if key_role == "target" else other
                if actor is not None and target is not None and _norm_key(actor) == _norm_key(target):
                    actor = None
                out.append({
                    "type": m.type, "status": m.status,
                    "actor": actor.as_dict() if actor else None,
                    "target": dict(target.as_dict(), named=target.named) if target else None,
                    "amount": amount, "date": date_, "reason": m.reason,
                    "trigger": m.trigger.text, "sentence": sentence,
                    "start": start, "end": end, "confidence": conf,
                })
        return out


# --------------------------------------------------------------------------- attachments

def _published_of(doc: Doc) -> Optional[date]:
    value = doc._.trustwatch_published
    if value is None:
        context = getattr(doc, "_context", None)
        if isinstance(context, dict):
            value = context.get("published")
    if value is None:
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _is_sport_doc(doc: Doc, lex: Lexicon) -> bool:
    words = lex.sets["sport_words"]
    hits = set()
    for token in doc:
        low = token.lower_
        if low in words:
            hits.add(low)
            if len(hits) >= 4:
                return True
    return False


def _breach_context(token: Token, lex: Lexicon) -> bool:
    """A "breach" about data or systems, not a breach of a law or contract."""
    words = lex.sets["breach_words"]
    for child in token.children:
        if child.dep_ == "prep" and child.lower_ == "of":
            for pobj in child.children:
                if pobj.dep_ == "pobj" and pobj.lemma_.lower() in lex.sets["breach_exclusions"]:
                    return False
    if token.dep_ == "pobj" and token.head.lower_ == "in" and token.lower_.startswith("breach") \
            and any(c.lower_ == "of" for c in token.children):
        return False  # "in breach of its obligations"
    if token.lower_.startswith(("hack", "cyber")):
        return True
    for child in token.children:
        if child.lower_ in words:
            return True
    if token.head.lower_ in words:
        return True
    window = token.sent
    return sum(1 for t in window if t.lower_ in words) >= 2


def _ip_only(sent: Span, lex: Lexicon) -> bool:
    ip = lex.sets["ip_words"]
    strong = lex.sets["strong_misconduct_words"]
    words = {t.lower_ for t in sent}
    return bool(words & ip) and not (words & strong)


def _misconduct_context(token: Token, lex: Lexicon) -> bool:
    """An allegation of fraud, deception, fakes or other misconduct, not any claim."""
    words = lex.sets["misconduct_words"]
    if token.pos_ in ("VERB", "NOUN"):
        scope = [t for c in token.children if c.dep_ in ("ccomp", "acl", "relcl") for t in c.subtree]
    else:
        scope = list(token.head.subtree)
    return any(t.lower_ in words or t.lemma_.lower() in words for t in scope)


def _reason(token: Token, clause: Optional[Token], entry: TriggerEntry) -> Optional[str]:
    """"due to tax evasion", "for selling fake phones", "of fraud", "over claims that …"."""
    cands: list[Token] = [token] + ([clause] if clause is not None and clause.i != token.i else [])
    for head in cands:
        for child in head.children:
            low = child.lower_
            if child.dep_ != "prep":
                continue
            if low in ("due", "because", "owing"):
                objs = [g for to in child.children for g in to.children if g.dep_ == "pobj"]
                objs += [g for g in child.children if g.dep_ == "pobj"]
                if objs:
                    return _span_text(objs[0])
            if low in entry.reason_preps or low in ("for", "over"):
                for g in child.children:
                    if g.dep_ == "pcomp" and g.tag_ == "VBG":
                        return _span_text(g)
                    if g.dep_ == "pobj" and g.pos_ == "NOUN" and g.ent_type_ in ("", "ORG") and \
                            low in entry.reason_preps:
                        if g.lemma_.lower() in ("year", "month", "day", "week", "time", "hour"):
                            continue
                        return _span_text(g)
    return None


def _span_text(token: Token, limit: int = 160) -> str:
    sub = token.doc[token.left_edge.i: token.right_edge.i + 1]
    text = sub.text.strip().rstrip(",;")
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"


def _sentence_finds(sent: Span, published: Optional[date], cache: dict) -> tuple[list, list]:
    hit = cache.get(sent.start)
    if hit is not None:
        return hit
    amounts: list = []
    dates: list = []
    try:
        from trustwatch.nlp.amounts import find_amounts
        amounts = find_amounts(sent.text)
    except Exception:  # noqa: BLE001
        log.debug("amount finder failed", exc_info=True)
    try:
        from trustwatch.nlp.dates import find_dates
        dates = find_dates(sent.text, published)
    except Exception:  # noqa: BLE001
        log.debug("date finder failed", exc_info=True)
    cache[sent.start] = (amounts, dates)
    return amounts, dates


def _amount_near(m: Mention, sent: Span, cache: dict) -> Optional[dict]:
    amounts, _ = _sentence_finds(sent, None, cache)
    if not amounts:
        return None
    base = sent.start_char
    trig = m.trigger.idx - base
    scope = m.clause if m.clause is not None else m.trigger
    lo = scope.left_edge.idx - base
    hi = scope.right_edge.idx + len(scope.right_edge.text) - base
    in_scope = [a for a in amounts if lo <= a[0] < hi] or amounts
    best = min(in_scope, key=lambda a: abs(a[0] - trig) + (0 if a[0] >= trig else 3))
    amt = best[2]
    return {"value": float(amt.value), "currency": amt.currency, "text": amt.text}


def _date_near(m: Mention, sent: Span, published: Optional[date], cache: dict) -> Optional[dict]:
    key = ("d", sent.start, m.future)
    if key in cache:
        dates = cache[key]
    else:
        dates = []
        try:
            from trustwatch.nlp.dates import find_dates
            dates = find_dates(sent.text, published, future=m.future)
        except Exception:  # noqa: BLE001
            log.debug("date finder failed", exc_info=True)
        cache[key] = dates
    if not dates:
        return None
    base = sent.start_char
    trig = m.trigger.idx - base
    scope = m.clause if m.clause is not None else m.trigger
    for _ in range(3):  # "will begin blocking … starting March 1": the date hangs on "begin"
        if scope.dep_ == "xcomp" and scope.head.i != scope.i:
            scope = scope.head
        else:
            break
    # the date must sit in the trigger's own clause (or open the sentence: "Last year, …")
    lo = scope.left_edge.idx - base
    hi = scope.right_edge.idx + len(scope.right_edge.text) - base
    fitting = [d for d in dates if lo <= d[0] < hi]
    if not fitting:
        return None
    best = min(fitting, key=lambda d: abs(d[0] - trig))
    ev = best[2]
    return {"value": ev.value, "precision": ev.precision, "text": ev.text}


# --------------------------------------------------------------------------- keys and merging

_EMPTY_KEY_WORDS = frozenset(
    "the a an this that these those it its they them their he she him his her company firm "
    "platform app service group business site giant one some others other".split())


def _words(text: str) -> list[str]:
    return _WORD_RX.findall(text.casefold())


def _norm_key(p: Party) -> str:
    return p.id or " ".join(_words(p.text))


def _good_key(p: Party, entry: TriggerEntry, lex: Lexicon) -> bool:
    words = _words(p.text)
    if not words or all(w in _EMPTY_KEY_WORDS for w in words):
        return False
    if not p.id and len(words) == 1 and words[0] in lex.sets["platform_containers"]:
        return False  # "Account suspended", "remove accounts": whose, the text does not say
    if not p.id and len(words) > 1 and words[-1] in lex.sets["platform_containers"]:
        rest = [w for w in words[:-1] if w not in ("the", "a", "an", "this", "that")]
        host = _lookup_id(" ".join(rest)) if rest else None
        if host and actor_kind(host) in ("platform", "marketplace"):
            return False  # "the Twitter profile", "YouTube channels": whose, the text does not say
    if p.named or p.id:
        return True
    if entry.strict or words[0] in ("its", "their", "his", "her", "our", "your", "my", "whose"):
        return False
    head = words[-1]
    return head in lex.sets["party_nouns"]


def _party_words(party: Optional[dict]) -> list[str]:
    if not party:
        return []
    return _words(party.get("text") or "")


def _compatible(a: Optional[dict], b: Optional[dict]) -> bool:
    """Same party: same id, or one's words occur consecutively in the other's."""
    if not a or not b:
        return True
    if a.get("id") and b.get("id"):
        return a["id"] == b["id"]
    wa, wb = _party_words(a), _party_words(b)
    return _contains(wa, wb) or _contains(wb, wa)


def _contains(hay: list[str], needle: list[str]) -> bool:
    if not needle or len(needle) > len(hay):
        return False
    n = len(needle)
    return any(hay[i:i + n] == needle for i in range(len(hay) - n + 1))


def _filled(ev: dict) -> int:
    return sum(1 for k in ("actor", "target", "amount", "date", "reason") if ev.get(k))


def _drop_generic_victims(events: list[dict]) -> list[dict]:
    """A breach sentence that names the breached company ("ABTA was hacked by X, who exposed
    the details of 43,000 people") tells one breach: the people are its victims, not another."""
    named_sents = {ev["start"] for ev in events
                   if ev["type"] == "BREACH" and ev.get("target") and ev["target"].get("named")}
    out = []
    for ev in events:
        tgt = ev.get("target") or {}
        if ev["type"] == "BREACH" and not tgt.get("named") and ev["start"] in named_sents:
            continue
        out.append(ev)
    for ev in out:
        for role in ("actor", "target"):
            if ev.get(role):
                ev[role].pop("named", None)
    return out


def merge_events(events: list[dict]) -> list[dict]:
    """One event per (type, key argument, compatible counterpart): the best-filled mention
    stays, missing roles are filled from the others, asserted beats planned beats the rest."""
    merged: list[dict] = []
    for ev in events:
        key_role = KEY_ROLE.get(ev["type"], "target")
        other_role = "target" if key_role == "actor" else "actor"
        home = None
        for cand in merged:
            if cand["type"] != ev["type"]:
                continue
            if not (cand.get(key_role) and ev.get(key_role)):
                continue
            if not _compatible(cand[key_role], ev[key_role]):
                continue
            if cand.get(other_role) and ev.get(other_role) and not _compatible(cand[other_role], ev[other_role]):
                continue
            home = cand
            break
        if home is None:
            merged.append(dict(ev))
            continue
        _absorb(home, ev)
    return merged


def _absorb(home: dict, ev: dict) -> None:
    better_status = STATUS_RANK[ev["status"]] > STATUS_RANK[home["status"]]
    first_amount = home.get("amount")  # the first stated sum is the event's amount
    conf = max(home["confidence"], ev["confidence"])
    if better_status or (_filled(ev) > _filled(home) and ev["status"] == home["status"]):
        # the better mention supplies the sentence; keep the union of roles
        for k in ("actor", "target", "amount", "date", "reason"):
            if not ev.get(k) and home.get(k):
                ev[k] = home[k]
        home.clear()
        home.update(ev)
        if first_amount:
            home["amount"] = first_amount
    else:
        for k in ("actor", "target", "amount", "date", "reason"):
            if not home.get(k) and ev.get(k):
                home[k] = ev[k]
    # a fact told more than once is a little more certain
    home["confidence"] = round(min(0.99, conf + 0.02), 3)
