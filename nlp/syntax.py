"""Small walks over the dependency parse that the event rules share (subjects, governing
verbs, preposition objects, datelines). Each walk is bounded, so a document stays linear."""
from __future__ import annotations

from typing import Iterable, Optional

from spacy.tokens import Token


def children_with(token: Token, deps: Iterable[str]) -> list[Token]:
    """The children attached with one of `deps`."""
    deps = tuple(deps)
    return [c for c in token.children if c.dep_ in deps]


def prep_objects(token: Token, prep: str) -> list[Token]:
    """Objects of a preposition under `token` ("against X"; "according to X"; "due to X")."""
    out = []
    for child in token.children:
        if child.dep_ in ("prep", "agent", "dative") and child.lower_ == prep:
            for gc in child.children:
                if gc.dep_ in ("pobj", "pcomp"):
                    out.append(gc)
    return out


def governing_verb(token: Token) -> Optional[Token]:
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


def is_dateline(token: Token) -> bool:
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


def subject_of(verb: Token) -> tuple[Optional[Token], bool]:
    """The verb's subject, following xcomp/conj/relative-clause links; (token, passive)."""
    cur = verb
    for _ in range(4):
        for child in cur.children:
            if child.dep_ in ("nsubj", "csubj") and is_dateline(child):
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


def according_to(token: Token) -> list[Token]:
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




def dominates(head: Token, token: Token) -> bool:
    """Whether `head` is `token` or one of its ancestors."""
    cur = token
    for _ in range(30):
        if cur.i == head.i:
            return True
        if cur.head.i == cur.i:
            return False
        cur = cur.head
    return False
