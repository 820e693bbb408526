"""Who an event is about: parties from gazetteer actors, named entities, noun phrases and
resolved anaphora ("the company", "it", "he", "the regulator", "we" in a quote).

`DocContext` indexes a document's named mentions once; `resolve_parties` turns the token that
fills a role into the parties it stands for (one per conjunct, the owner of a container).
"""
from __future__ import annotations

import bisect
import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Optional

from spacy.tokens import Doc, Span, Token

from trustwatch.nlp.lexicon import ACTOR_LABEL, Lexicon, words
from trustwatch.nlp.syntax import dominates, governing_verb, is_dateline, subject_of

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- gazetteer lookups

@lru_cache(maxsize=1)
def actor_index() -> dict[str, Any]:
    """Canonical id -> Actor (for kinds: regulators, courts, governments)."""
    try:
        from trustwatch.nlp.gazetteer import load_actors
        return {a.id: a for a in load_actors()}
    except Exception:  # noqa: BLE001 - the gazetteer is optional at this level
        return {}


def lookup_id(text: str) -> Optional[str]:
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
    actor = actor_index().get(actor_id)
    return getattr(actor, "kind", None) if actor else None



@dataclass
class Party:
    text: str
    id: Optional[str] = None
    label: str = ""
    start: int = -1  # token index of the head
    named: bool = False  # a named entity (gazetteer or NER), not a common noun phrase

    def as_dict(self) -> dict:
        return {"text": self.text, "id": self.id}


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
            if label not in labels or ent.text.lower() in not_parties or is_dateline(ent.root):
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
            if token.ent_type_ in lex.sets["non_party_labels"] or _MONEY_TOKEN_RX.search(token.text) \
                    or is_dateline(token):
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
                    for word in lex.description_synonyms.get(t.lower_, (t.lower_,)):
                        self.described.setdefault(word, set()).add(key)
        _ENT_TOKENS.clear()
        _ENT_TOKENS[id(doc)] = self.ent_of

    def party_from_ent(self, ent: Span) -> Party:
        text = ent.text.strip()
        pid = ent.ent_id_ or None
        if ent.label_ != ACTOR_LABEL and pid is None:
            pid = lookup_id(text)
        # "Pingrong's" -> "Pingrong"
        text = re.sub(r"[’']s?$", "", text).strip() or text
        return Party(text=text, id=pid, label=ent.label_, start=ent.root.i, named=True)

    def antecedent(self, token: Token, kind: str) -> Optional[Party]:
        """The preceding named party of the fitting kind (person, org, authority, place):
        the nearest, unless a clearly more salient one is mentioned close by."""
        idx = bisect.bisect_left(self._starts, token.i) - 1
        floor = token.i - (400 if kind == "person" else 150)
        best = None
        best_score = -1.0
        first = None
        while idx >= 0:
            m = self.mentions[idx]
            if m.start < floor:
                break
            if m.end <= token.i and self._fits(m, kind) and not self.lex.is_outlet(m.text):
                if kind != "org_any" and kind != "person" and m.root.dep_ in ("nsubj", "nsubjpass") \
                        and m.sent.start == token.sent.start and dominates(m.root.head, token):
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
            if len(ent) > 1 or actor_kind(lookup_id(ent.text)) in ("government", "regulator", "court"):
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


def _np_span(head: Token, lex: Lexicon) -> Span:
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
        elif child.dep_ == "prep" and child.lower_ in lex.sets["np_extension_preps"] and child.i == end \
                and child.right_edge.i - start < 10 \
                and any(t.pos_ == "PROPN" for t in child.subtree):
            # "the tax departments of Guangzhou city", "the developer behind Crimson Desert"
            end = child.right_edge.i + 1
    return head.doc[start:end]


def is_anaphor(head: Token, lex: Lexicon) -> Optional[str]:
    """None when not an anaphor; else the kind of antecedent it needs."""
    low = head.lower_
    if head.pos_ == "PRON" or head.tag_ in ("PRP", "PRP$"):
        if low in lex.person_anaphors:
            return "person"
        if low in lex.org_anaphors:
            return "org_any"  # "it" may be a company or an authority
        return None
    if head.pos_ == "NOUN" and any(c.lower_ in lex.sets["anaphor_determiners"]
                                   for c in head.lefts if c.dep_ in ("det", "poss")):
        ents = _ENT_TOKENS.get(id(head.doc), {})
        if any(c.dep_ in ("compound", "poss", "amod") and c.pos_ == "PROPN" and c.i in ents
               and ents[c.i].label_ in ("ACTOR", "ORG", "PERSON", "PRODUCT") for c in head.lefts):
            return None
        if any(c.dep_ in ("prep", "acl", "relcl", "appos") for c in head.rights
               if not (c.lower_ == "of" and head.head.lemma_.lower() in lex.sets["of_charge_verbs"])):
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


#: token indexes inside named parties, per document being processed (for anaphor checks)
_ENT_TOKENS: dict[int, Any] = {}

_MONEY_TOKEN_RX = re.compile(r"[$€£¥₩]\s*\d|\d[\d,.]*\s*[$€£¥₩]")



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
            if not is_party(p, ctx):
                continue
            key = p.start
            if key not in seen:
                seen.add(key)
                out.append(p)
    return out


def _quoted_speaker(token: Token, lex: Lexicon) -> Optional[Token]:
    """'"We apologise," Acme's chief executive said': the subject of the sentence's speech verb
    when the first-person word stands inside quotation marks."""
    sent = token.sent
    quotes = [t.i for t in sent if t.text in ('"', "“", "”", "«", "»")]
    if len(quotes) < 2 or not quotes[0] < token.i < quotes[-1]:
        return None
    for verb in sent:
        if verb.lemma_.lower() not in lex.sets["speech_verbs"] or verb.pos_ not in ("VERB", "AUX"):
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
    if head.lower_ in lex.sets["relative_pronouns"]:
        # relative pronoun: the noun its clause modifies
        anc = next((a for a in head.ancestors if a.dep_ == "relcl"), None)
        if anc is not None and anc.head.pos_ in ("NOUN", "PROPN"):
            return resolve_parties(anc.head, ctx, depth + 1, with_conj=False)
        return []
    if head.lower_ in lex.plural_anaphors and any(
            c.lower_ in lex.sets["plural_determiners"] for c in head.lefts):
        group = ctx.antecedents(head)
        if group:
            return group
    if head.lower_ in lex.sets["first_person"] and depth < 3:
        speaker = _quoted_speaker(head, lex)
        if speaker is not None:
            found = resolve_parties(speaker, ctx, depth + 1, with_conj=False)
            if found and all(doc_tok.pos_ != "PRON" for doc_tok in (head.doc[p.start] for p in found)):
                return found
    anaphor = is_anaphor(head, lex)
    if anaphor is not None and head.dep_ == "poss" and head.tag_ == "PRP$":
        # "the DOJ has started its probe": a possessive binds to its clause's subject
        verb = governing_verb(head.head) if head.head.pos_ != "VERB" else head.head
        subj = subject_of(verb)[0] if verb is not None else None
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
        if child.dep_ == "prep" and child.lower_ in lex.sets["example_preps"]:
            examples = [g for g in child.children if g.dep_ == "pobj"]
            named = [p for g in examples for p in resolve_parties(g, ctx, depth + 1) if p.named]
            if named:
                return named
    low = head.lower_
    if low in lex.sets["containers"] or head.lemma_.lower() in lex.sets["containers"]:
        # whose container: possessor, proper-noun compound, or of/to/on/from/belonging to
        for child in head.children:
            if child.dep_ == "poss":
                if child.pos_ == "NOUN" and is_anaphor(child, lex) is not None:
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
            if child.dep_ == "prep" and child.lower_ in lex.sets["container_preps"]:
                for pobj in child.children:
                    if pobj.dep_ == "pobj":
                        found = resolve_parties(pobj, ctx, depth + 1)
                        if found:
                            return found
            if child.dep_ == "acl" and child.lemma_ in lex.sets["ownership_verbs"]:
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
    if head.ent_type_ in lex.sets["non_party_labels"] or head.like_num or _MONEY_TOKEN_RX.search(head.text):
        return []
    # "Netflix's proposed purchase", "Perplexity's crawling": the named possessor
    if head.lower_ not in lex.sets["party_nouns"]:
        for child in head.children:
            if child.dep_ == "poss" and (child.i in ctx.ent_of or child.pos_ == "PROPN"):
                found = resolve_parties(child, ctx, depth + 1, with_conj=False)
                if found:
                    return found
    if head.pos_ in ("NOUN", "PROPN"):
        span = _np_span(head, lex)
        text = span.text.strip()
        if text and len(text) <= 120:
            named = head.pos_ == "PROPN" or any(t.i in ctx.ent_of or t.pos_ == "PROPN" for t in span)
            if head.pos_ == "NOUN" and not _party_noun(head, lex):
                # "Shein 1 million euros", "the FTC investigation": not a party itself; the name
                # it carries is
                owner = next((t for t in span if t.i in ctx.ent_of and t.i != head.i), None)
                if owner is None:
                    return []
                p = ctx.party_from_ent(ctx.ent_of[owner.i])
                kept = [t for t in ctx.ent_of[owner.i] if not (t.like_num or t.ent_type_ == "MONEY"
                                                              or t.lower_ in lex.sets["sum_words"])]
                if kept and len(kept) < len(ctx.ent_of[owner.i]):
                    text = " ".join(t.text for t in kept)
                    p = Party(text=text, id=p.id or lookup_id(text), label=p.label, start=p.start,
                              named=True)
                return [p]
            return [Party(text=text, id=lookup_id(text) if named else None, label="",
                          start=head.i, named=named)]
    return []




_PERCENT_RX = re.compile(r"\d\s*(%|percent\b|per cent\b)", re.I)


def is_party(p: Party, ctx: DocContext) -> bool:
    """A party is a gazetteer actor, a named entity or a noun phrase headed by a party noun
    ("users", "the seller"); never a sum, a date, a percentage, a law or an event, nor an
    abstract noun ("methods", "a report"). Other entity labels stay parties: the small model
    often calls an unknown company a product, a place or a work."""
    if p.id:
        return True
    lex = ctx.lex
    if _MONEY_TOKEN_RX.search(p.text) or _PERCENT_RX.search(p.text) or _is_sum(p.text):
        return False
    if p.label:
        return p.label not in lex.sets["non_party_entity_labels"]
    head = ctx.doc[p.start] if 0 <= p.start < len(ctx.doc) else None
    if head is None or head.pos_ == "PROPN":
        return True
    if head.ent_type_ in lex.sets["non_party_entity_labels"]:
        return False
    return _party_noun(head, lex)


def _party_noun(head: Token, lex: Lexicon) -> bool:
    """A noun that names a party ("users", "seller") or what a party owns ("accounts")."""
    low, lemma = head.lower_, head.lemma_.lower()
    return any(w in lex.sets["party_nouns"] or w in lex.sets["containers"] for w in (low, lemma))


def _is_sum(text: str) -> bool:
    """"11m euros", "$2.5m": nothing but a sum of money (and determiners)."""
    if not any(ch.isdigit() for ch in text):
        return False
    from trustwatch.nlp.amounts import find_amounts

    rest = text
    for a in find_amounts(text):
        rest = rest.replace(a[2].text, " ")
    return not any(w not in ("the", "a", "an", "of", "some", "about", "over") for w in words(rest))


def reporting_source(tok: Token, lex: Lexicon) -> bool:
    """Whether `tok` stands where the source of a report stands: "according to X", "X reports",
    "told X", "in an interview with X", "a report by X", "seen by X", "X's report"."""
    head = tok.head
    reporting = lex.sets["reporting_verbs"]
    if tok.dep_ in ("nsubj", "nsubjpass") and head.lemma_.lower() in reporting:
        return True
    if tok.dep_ in ("dobj", "dative") and head.lemma_.lower() in ("tell", "contact", "ask"):
        return True
    if tok.dep_ == "poss" and head.lemma_.lower() in lex.sets["reporting_nouns"]:
        return True
    if tok.dep_ == "pobj":
        gov = head.head
        if head.lower_ == "to" and gov.lower_ == "according":
            return True
        if head.lower_ in ("to", "with") and gov.lemma_.lower() in ("tell", "speak", "talk", "interview"):
            return True
        if head.lower_ in ("by", "in", "with", "to") and gov.lemma_.lower() in (reporting | lex.sets["reporting_nouns"]):
            return True
    return False


def is_state(party: Party, lex: Lexicon) -> bool:
    """A country, a government body or a court: who turns a ban into a block."""
    if party.label in lex.sets["place_labels"]:
        return True
    if set(words(party.text)) & lex.sets["court_words"]:
        return True  # "a Supreme Court justice ordered the suspension of Rumble"
    kind = actor_kind(party.id)
    return kind in lex.sets["state_kinds"] if kind else False


def norm_key(p: Party) -> str:
    """What makes two parties one: the canonical id, else the words of the text."""
    return p.id or " ".join(words(p.text))
