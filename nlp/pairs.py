"""Candidate parties and how the learned event detector sees them.

The detector classifies (sentence, candidate party) pairs: "is this party the key argument (or
the counterpart) of an event of type T told in this sentence?". A pair is shown to the model as
the sentence's words with the candidate replaced by `ENT`, other named parties replaced by their
label, numbers by `NUM`, followed by a few syntactic feature words (the candidate's dependency
relation, its head's lemma, the path to the clause's verb). Replacing names by placeholders is
what lets the model learn how news words an event ("ENT was fined", "a probe into ENT",
"ENT apologised") instead of which companies appeared in the training articles.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator, Optional

from spacy.tokens import Doc, Span, Token

#: entity labels that can be parties (the actor ruler's ACTOR beats the NER where they overlap)
PARTY_LABELS = frozenset({"ACTOR", "ORG", "PERSON", "GPE", "NORP", "PRODUCT", "FAC"})
#: one label per event type and role: "FINE" = the key argument, "FINE_other" = the counterpart
EVENT_TYPES = ("BLOCK", "BAN", "FINE", "APOLOGY", "ACCUSATION", "COMPENSATION", "LAWSUIT",
               "INVESTIGATION", "BREACH")
LABELS = tuple(t for t in EVENT_TYPES) + tuple(f"{t}_other" for t in EVENT_TYPES)
#: the most candidates read per sentence (long lists of names are rarely event parties)
MAX_CANDIDATES = 8
_NUM_RX = re.compile(r"^\d[\d.,]*$")


def party_nouns() -> frozenset[str]:
    """Common nouns that name a party ("users", "sellers", "the streamer"), from data."""
    from trustwatch.nlp.lexicon import load_lexicon
    return load_lexicon().sets["party_nouns"]


def _is_outlet(span: Span) -> bool:
    from trustwatch.nlp.lexicon import outlet_names, words
    return " ".join(words(span.text)) in outlet_names()


@dataclass
class Candidate:
    """A possible party of an event: a named entity or a noun phrase headed by a party noun."""

    span: Span
    label: str  # entity label, or "NP" for a party noun phrase
    actor_id: Optional[str] = None

    @property
    def text(self) -> str:
        return self.span.text

    @property
    def root(self) -> Token:
        return self.span.root


def _strip_det(span: Span) -> Span:
    start = span.start
    while start < span.end - 1 and span.doc[start].dep_ in ("det", "poss", "predet") \
            and span.doc[start].lower_ in ("the", "a", "an", "its", "their", "his", "her", "some",
                                           "many", "all", "several", "our", "your", "this", "these"):
        start += 1
    return span.doc[start:span.end]


def sentence_candidates(sent: Span) -> list[Candidate]:
    """Named parties and party noun phrases of a sentence, in order, without overlaps."""
    out: list[Candidate] = []
    taken: set[int] = set()
    for ent in sent.ents:
        if ent.label_ not in PARTY_LABELS:
            continue
        if not any(t.is_alpha for t in ent) or _is_outlet(ent):
            continue  # a sum or a number; a publication named as the source of the report
        actor_id = ent.id_ or None if ent.label_ == "ACTOR" else None
        out.append(Candidate(ent, ent.label_, actor_id))
        taken.update(range(ent.start, ent.end))
    nouns = party_nouns()
    for tok in sent:
        if tok.i in taken or tok.pos_ not in ("NOUN", "PROPN"):
            continue
        # a party noun ("sellers"), or a name the statistical NER did not tag ("Perplexity")
        if tok.ent_type_ and tok.ent_type_ not in PARTY_LABELS:
            continue  # a date, a sum, a law
        if tok.lower_ not in nouns and tok.lemma_.lower() not in nouns and not (tok.pos_ == "PROPN"
                                                    and (tok.is_title or tok.is_upper)):
            continue
        if tok.dep_ == "compound":
            continue
        left = tok.left_edge.i
        # the phrase up to its head noun: "Ticketmaster customers", "the app's users"
        start = max(left, sent.start)
        while start < tok.i and (start in taken or sent.doc[start].dep_ in ("prep", "punct", "cc")):
            start += 1
        span = _strip_det(sent.doc[start:tok.i + 1])
        if any(i in taken for i in range(span.start, span.end)):
            span = sent.doc[tok.i:tok.i + 1]
        if _is_outlet(span):
            continue
        out.append(Candidate(span, "NP"))
        taken.update(range(span.start, span.end))
    out.sort(key=lambda c: c.span.start)
    return out[:MAX_CANDIDATES]


def _clause_path(tok: Token, limit: int = 3) -> list[str]:
    """The candidate's way up to its clause: dependency relations and head lemmas."""
    feats = []
    cur = tok
    for step in range(limit):
        head = cur.head
        if head.i == cur.i:
            break
        feats.append(f"p{step}_{cur.dep_}_{head.lemma_.lower()}")
        cur = head
        if cur.pos_ in ("VERB", "AUX") and step > 0:
            break
    return feats


@dataclass
class SentenceCues:
    """What the rule side knows about a sentence: its trigger words and its rule events."""

    triggers: list[tuple[Token, str]]  # (token, event type) from the trigger lexicon
    rule_keys: list[tuple[str, list[str]]]  # (label, party surfaces) of rule events here


def sentence_cues(sent: Span, rule_events: list[dict]) -> SentenceCues:
    from trustwatch.nlp.lexicon import load_lexicon
    lex = load_lexicon()
    triggers = []
    for tok in sent:
        for entry in lex.candidates(tok):
            triggers.append((tok, entry.type))
    keys = []
    for ev in rule_events:
        if ev["start"] >= sent.end_char or ev["end"] <= sent.start_char:
            continue
        if ev.get("status") not in ("asserted", "planned"):
            continue
        t = ev["type"]
        key_role = "actor" if t in ("APOLOGY", "COMPENSATION") else "target"
        for role, label in ((key_role, t), ("target" if key_role == "actor" else "actor", f"{t}_other")):
            party = ev.get(role) or {}
            surf = [x for x in (party.get("text"), (party.get("id") or "").replace("-", " ")) if x]
            if surf:
                keys.append((label, surf))
    return SentenceCues(triggers, keys)


def _cue_words(cand: Candidate, cues: SentenceCues) -> list[str]:
    from trustwatch.nlp.evaluate import alias_match
    out = set()
    root = cand.root
    ancestors = {a.i: n for n, a in enumerate(root.ancestors) if n < 5}
    for tok, t in cues.triggers:
        out.add(f"trig_{t}")
        if tok.i in ancestors:
            out.add(f"anc_{t}")
        if root.i in {a.i for a in tok.ancestors}:
            out.add(f"desc_{t}")
    surf = [cand.text] + ([cand.actor_id.replace("-", " ")] if cand.actor_id else [])
    for label, keys in cues.rule_keys:
        if alias_match(surf, keys):
            out.add(f"rule_{label}")
    return sorted(out)


def pair_words(sent: Span, cand: Candidate, others: list[Candidate],
               cues: Optional[SentenceCues] = None) -> list[str]:
    """The words the model reads for one (sentence, candidate) pair."""
    doc = sent.doc
    other_at: dict[int, Candidate] = {}
    for o in others:
        if o is not cand:
            for i in range(o.span.start, o.span.end):
                other_at[i] = o
    words: list[str] = []
    i = sent.start
    while i < sent.end:
        if i == cand.span.start:
            words.append("ENT")
            i = cand.span.end
            continue
        o = other_at.get(i)
        if o is not None:
            words.append("NP" if o.label == "NP" else "NAME")
            i = o.span.end
            continue
        tok = doc[i]
        if tok.is_space:
            i += 1
            continue
        words.append("NUM" if _NUM_RX.match(tok.text) else tok.lower_)
        i += 1
    root = cand.root
    words.append("|")
    words.append(f"lab_{cand.label.lower()}")
    if cand.actor_id:
        from trustwatch.nlp.parties import actor_kind
        words.append(f"kind_{actor_kind(cand.actor_id) or 'other'}")
    words.append(f"dep_{root.dep_}")
    words.extend(_clause_path(root))
    if cues is not None:
        words.extend(_cue_words(cand, cues))
    return words


def doc_pairs(doc: Doc, rule_events: Optional[list[dict]] = None, with_cues: bool = True
              ) -> Iterator[tuple[Span, Candidate, list[str]]]:
    """Every (sentence, candidate, words) of a parsed document; `rule_events` default to the
    rule component's (`doc._.trustwatch_events`)."""
    if rule_events is None and Doc.has_extension("trustwatch_events"):
        rule_events = doc._.trustwatch_events or []
    for sent in doc.sents:
        cands = sentence_candidates(sent)
        if not cands:
            continue
        cues = sentence_cues(sent, rule_events or []) if with_cues else None
        for cand in cands:
            yield sent, cand, pair_words(sent, cand, cands, cues)
