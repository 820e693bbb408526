"""Trigger mentions: a lexicon entry matched on a token, checked against the entry's
constraints and guards, with its roles, status and reason read off the parse.

Guards are switched on per entry by flags in `data/triggers.jsonl` (see `TriggerEntry`), so
adding a trigger never needs a code change for its type.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from spacy.tokens import Doc, Span, Token

from trustwatch.nlp.attachments import reason_of
from trustwatch.nlp.lexicon import Lexicon, TriggerEntry, words
from trustwatch.nlp.parties import DocContext, Party, actor_kind, is_state
from trustwatch.nlp.roles import read_roles
from trustwatch.nlp.status import event_status, light_status
from trustwatch.nlp.syntax import children_with, governing_verb, prep_objects, subject_of


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


def find_mention(token: Token, entry: TriggerEntry, ctx: DocContext) -> Optional[Mention]:
    """The mention this entry makes of an event at `token`, or None when a constraint fails."""
    lex = ctx.lex
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
        subj, _ = subject_of(token)
        if subj is None or not (
                any(t.lower_ in entry.subject_words for t in subj.subtree)
                or (subj.i in ctx.ent_of and actor_kind(ctx.ent_of[subj.i].ent_id_ or None)
                    in entry.subject_words)):
            return None
    if entry.breach_context and not breach_context(token, lex):
        return None
    if entry.misconduct_only and not misconduct_context(token, lex):
        return None
    clause = token if token.pos_ in ("VERB", "AUX") else governing_verb(token)
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
            objs = children_with(token, ("dobj", "nsubjpass"))
            if not any(o.lower_ in entry.target_nouns for o in objs):
                return None
    elif entry.target_nouns:
        objs = children_with(token, ("dobj", "nsubjpass"))
        objs += [c for o in objs for c in o.conjuncts]
        if not any(o.lower_ in entry.target_nouns or o.lemma_.lower() in entry.target_nouns
                   for o in objs):
            return None
    if entry.object_exclusions and token.pos_ == "VERB" and any(
            o.lemma_.lower() in lex.words(entry.object_exclusions)
            for o in children_with(token, ("dobj",))):
        return None  # "breached content rules": a violation, not a data breach
    if entry.market_guard and token.pos_ == "VERB" and any(
            p.lower_ == "from" and any(g.tag_ == "VBG" and g.lemma_.lower() in lex.sets["market_verbs"]
                                       for g in p.children) for p in token.children):
        return None  # "blocked TikTok Shop from gaining ground": market talk
    if token.pos_ == "VERB":
        if entry.delisting_guard and token.lower_.startswith("delist") and any(
                t.lower_ in lex.sets["listing_words"] for t in token.sent):
            return None  # a stock delisting
        if entry.from_exclusions and any(
                o.lemma_.lower() in lex.words(entry.from_exclusions) and o.i not in ctx.ent_of
                for o in prep_objects(token, "from")):
            return None  # "removed from office", "banned from the country"
    actors, targets = read_roles(token, entry, clause, ctx)
    status, future = event_status(token, clause, lex)
    status = light_status(token, entry, clause, status, lex)
    reason = reason_of(token, clause, entry, lex)
    type_ = entry.type
    banned_from = any(c.dep_ == "prep" and (c.lower_ == "from" or (c.lower_ == "on" and token.pos_ == "VERB"))
                      for c in token.children)
    account_ban = any(words(t.text)[-1:] and words(t.text)[-1] in lex.sets["platform_containers"]
                      for t in targets)
    if entry.state_type and actors and not banned_from and not account_ban \
            and all(is_state(a, lex) for a in actors):
        type_ = entry.state_type
    elif entry.state_type and not actors and not banned_from and targets and all(
            actor_kind(t.id) in ("platform", "marketplace") for t in targets):
        type_ = entry.state_type  # "the ban on Rumble": a platform is banned by a state
    conf = entry.conf
    return Mention(type_, token, entry, actors, targets, status, future, clause, reason, conf)


# --------------------------------------------------------------------------- context checks

def is_sport_doc(doc: Doc, lex: Lexicon) -> bool:
    cue_words = lex.sets["sport_words"]
    hits = set()
    for token in doc:
        low = token.lower_
        if low in cue_words:
            hits.add(low)
            if len(hits) >= 4:
                return True
    return False


def breach_context(token: Token, lex: Lexicon) -> bool:
    """A "breach" about data or systems, not a breach of a law or contract."""
    cue_words = lex.sets["breach_words"]
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
        if child.lower_ in cue_words:
            return True
    if token.head.lower_ in cue_words:
        return True
    window = token.sent
    return sum(1 for t in window if t.lower_ in cue_words) >= 2


def ip_only(sent: Span, lex: Lexicon) -> bool:
    ip = lex.sets["ip_words"]
    strong = lex.sets["strong_misconduct_words"]
    cue_words = {t.lower_ for t in sent}
    return bool(cue_words & ip) and not (cue_words & strong)


def misconduct_context(token: Token, lex: Lexicon) -> bool:
    """An allegation of fraud, deception, fakes or other misconduct, not any claim."""
    cue_words = lex.sets["misconduct_words"]
    if token.pos_ in ("VERB", "NOUN"):
        scope = [t for c in token.children if c.dep_ in ("ccomp", "acl", "relcl") for t in c.subtree]
    else:
        scope = list(token.head.subtree)
    return any(t.lower_ in cue_words or t.lemma_.lower() in cue_words for t in scope)


