"""Whether a mentioned event happened: asserted, planned, hypothetical or negated, read from
negation, modals, conditionals, tense and the verbs that govern the trigger."""
from __future__ import annotations

from typing import Optional

from spacy.tokens import Token

from trustwatch.nlp.lexicon import Lexicon, TriggerEntry

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
            or (trigger.dep_ == "pobj" and trigger.head.lower_ in s["background_preps"])):
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
            if cur.dep_ == "ccomp" and nxt.lemma_ in s["speech_governors"]:
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
            if cur.head.lower_ in s["negating_preps"]:
                return "negated", False  # "ruled against reinstating a ban"
            cur = cur.head.head
            continue
        break
    future = False
    planned = False
    # "it said it would refund buyers": reported future, not a hypothetical
    reported = len(chain) > 1 and chain[-1].tag_ == "VBD" and chain[-1].lemma_ in s["reported_future_verbs"]
    for pos, verb in enumerate(chain):
        lemma = verb.lemma_.lower()
        if verb.i in own_tense:
            continue
        for child in verb.children:
            low = child.lower_
            if child.dep_ == "neg" or (child.dep_ == "advmod" and low in s["negation_adverbs"]):
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
            if lemma in s["done_when_past"] and verb.tag_ in ("VBD", "VBN"):
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




def light_status(token: Token, entry: TriggerEntry, clause: Optional[Token], status: str,
                 lex: Lexicon) -> str:
    """A noun trigger under a present-tense threatening light verb ("faces a fine") is
    hypothetical."""
    if status != "asserted" or token.pos_ not in ("NOUN", "PROPN") or clause is None:
        return status
    hyp = lex.light.get(entry.type, {}).get("hypothetical", [])
    if clause.lemma_.lower() in hyp and clause.tag_ in ("VBZ", "VBP", "VBG"):
        return "hypothetical"
    return status
