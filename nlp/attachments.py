"""What hangs on a mention besides its parties: the sum (FINE, COMPENSATION, LAWSUIT), the date
(resolved against the article's date) and the stated reason, each taken from the trigger's own
clause and nearest to the trigger."""
from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Optional

from spacy.tokens import Doc, Span, Token

from trustwatch.nlp.lexicon import Lexicon, TriggerEntry

if TYPE_CHECKING:
    from trustwatch.nlp.mentions import Mention


if not Doc.has_extension("trustwatch_published"):
    Doc.set_extension("trustwatch_published", default=None)


def published_of(doc: Doc) -> Optional[date]:
    """The article's date set by the caller (extension or `nlp.pipe` context)."""
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


def reason_of(token: Token, clause: Optional[Token], entry: TriggerEntry, lex: Lexicon) -> Optional[str]:
    """"due to tax evasion", "for selling fake phones", "of fraud", "over claims that …"."""
    cands: list[Token] = [token] + ([clause] if clause is not None and clause.i != token.i else [])
    for head in cands:
        for child in head.children:
            low = child.lower_
            if child.dep_ != "prep":
                continue
            if low in lex.sets["cause_preps"]:
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
                        if g.lemma_.lower() in lex.sets["time_nouns"]:
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
    from trustwatch.nlp.amounts import find_amounts
    from trustwatch.nlp.dates import find_dates

    amounts = find_amounts(sent.text)
    dates = find_dates(sent.text, published)
    cache[sent.start] = (amounts, dates)
    return amounts, dates


def amount_near(m: Mention, sent: Span, cache: dict) -> Optional[dict]:
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


def date_near(m: Mention, sent: Span, published: Optional[date], cache: dict) -> Optional[dict]:
    key = ("d", sent.start, m.future)
    if key in cache:
        dates = cache[key]
    else:
        from trustwatch.nlp.dates import find_dates

        dates = find_dates(sent.text, published, future=m.future)
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


