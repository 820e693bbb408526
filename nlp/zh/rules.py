"""Chinese incident events: triggers, status, roles, amounts and dates, as a spaCy component.

Runs on the Simplified copy of the document (`doc._.zh_norm`, same length as the text), and
quotes the original text, so a Traditional article yields Traditional evidence with the right
offsets. One event per (type, key argument) per document, like the English side.
"""
from __future__ import annotations

import logging
import re
from datetime import date
from typing import Optional

from spacy.language import Language
from spacy.tokens import Doc

from trustwatch.nlp.attachments import published_of
from trustwatch.nlp.zh.entities import Mention, find_mentions
from trustwatch.nlp.zh.lexicon import Trigger, ZhLexicon, load_lexicon
from trustwatch.nlp.zh.roles import Party, RoleFinder
from trustwatch.nlp.zh.text import split_sentences, to_simplified
from trustwatch.nlp.zh.values import amounts_in, dates_in
from trustwatch.records import KEY_ROLE

log = logging.getLogger(__name__)

AMOUNT_TYPES = ("FINE", "COMPENSATION", "LAWSUIT")
#: a date that starts or ends a period (2019年至2020年期间) dates the conduct, not the event
_PERIOD_AFTER_RX = re.compile(r"^(?:期间|间|以来|至|到|—|-|～|~)")
_PERIOD_BEFORE_RX = re.compile(r"(?:至|到|—|-|～|~)$")
#: a sum right after these is not a penalty (confiscated gains, refunded deposits, sales, losses)
_NOT_PENALTY_RX = re.compile(r"违法所得|保证金|货值|销售额|营业额|市值|营收|收入|损失|退还|返还|涉案金额|交易额")
#: types whose key party is often named only in an earlier sentence (平荣…其后被封禁; 事件发酵后，
#: 快手…进行了赔付). Not ACCUSATION: its triggers (举报, 投诉, 假货) are too often general talk
#: (欢迎网友举报, 投诉平台数据显示) for a party from another sentence to be safe.
TOPIC_FALLBACK_TYPES = frozenset({"COMPENSATION", "BAN"})
STATUS_RANK = {"asserted": 3, "planned": 2, "hypothetical": 1, "negated": 0}
#: 未 in these words is no negation
_NOT_NEGATION = ("未成年", "未经", "未来", "未知", "未能")
_NOT_HYPOTHETICAL = ("若干", "要求其", "如期", "如实")


for _name in ("zh_norm", "zh_mentions", "trustwatch_events", "trustwatch_published"):
    if not Doc.has_extension(_name):
        Doc.set_extension(_name, default=None)


# ------------------------------------------------------------------ status

def status_of(text: str, ss: int, se: int, cs: int, ts: int, te: int, lex: ZhLexicon,
              parties: list[Mention]) -> str:
    st = lex.status
    sentence = text[ss:se]
    if any(c in sentence for c in st.negated_anywhere):
        return "negated"
    if any(c in text[ss:ts] for c in st.hearsay + st.conditional):
        return "hypothetical"

    def window(n: int) -> tuple[str, int]:
        lo = max(cs, ts - n)
        return text[lo:ts], lo

    before, lo = window(st.negated_window)
    for cue in st.negated:
        i = before.find(cue)
        if i >= 0 and not any(text.startswith(w, lo + i) for w in _NOT_NEGATION):
            return "negated"
    before, lo = window(st.hypothetical_window)
    for cue in st.hypothetical:
        i = before.find(cue)
        if i >= 0 and not any(text.startswith(w, lo + i) for w in _NOT_HYPOTHETICAL):
            return "hypothetical"
    before, lo = window(st.planned_window)
    for cue in st.planned:
        i = before.rfind(cue)
        if i < 0:
            continue
        if cue == "将":
            after = lo + i + 1
            if text.startswith("将近", lo + i) or lex.disposal_after.match(text[after:ts]) \
                    or any(m.start == after for m in parties):
                continue  # 将X下架: the disposal marker, not "will"
        return "planned"
    return "asserted"


# ------------------------------------------------------------------ one document

def _nearest(items: list, ss: int, se: int, ts: int, te: int, after_first: bool = False):
    cands = [it for it in items if ss <= it[0] and it[1] <= se]
    if not cands:
        return None

    def dist(it):
        if it[0] >= te:
            return (0 if after_first else 1, it[0] - te)
        return (1 if after_first else 0, ts - it[1])
    return min(cands, key=dist)


def _party_dict(p: Optional[Party], original: str) -> Optional[dict]:
    if p is None:
        return None
    return {"text": original[p.start:p.end], "id": p.id}


def _clause_end(text: str, te: int, se: int) -> int:
    """Where the clause after a trigger ends (the next comma, semicolon or stop)."""
    for i in range(te, se):
        if text[i] in "，,；;。！？!?":
            return i
    return se


def _trigger_ok(trig: Trigger, text: str, ss: int, se: int, ts: int, te: int,
                mentions: list[Mention]) -> bool:
    if trig.context and not trig.context.search(text, ss, se):
        return False
    if trig.not_before and trig.not_before.search(text[max(ss, ts - 6):ts]):
        return False
    if trig.not_after and trig.not_after.search(text[te:min(se, te + 6)]):
        return False
    if trig.not_in_clause and trig.not_in_clause.search(text[te:_clause_end(text, te, se)]):
        return False
    return not any(m.start < te and ts < m.end for m in mentions)


def extract_events(original: str, norm: str, mentions: list[Mention], published: Optional[date],
                   lex: Optional[ZhLexicon] = None) -> list[dict]:
    """The events of one Chinese text (`norm` is its Simplified copy of equal length)."""
    lex = lex or load_lexicon()
    finder = RoleFinder(norm, mentions, lex)
    amounts = amounts_in(norm)
    events: list[dict] = []
    for ss, se in split_sentences(norm):
        for m in lex.trigger_rx.finditer(norm, ss, se):
            ts, te = m.span()
            for trig in lex.by_text[m.group()]:
                if not _trigger_ok(trig, norm, ss, se, ts, te, mentions):
                    continue
                events.extend(_events_at(trig, original, norm, ss, se, ts, te, finder, lex,
                                         amounts, published))
    return merge_events(drop_inconsistent(events))


def _events_at(trig: Trigger, original: str, norm: str, ss: int, se: int, ts: int, te: int,
               finder: RoleFinder, lex: ZhLexicon, amounts: list, published: Optional[date]
               ) -> list[dict]:
    cs, _ce = finder.clause(ss, se, ts, te)
    roles = finder.assign(trig, ss, se, ts, te)
    key = KEY_ROLE.get(trig.type, "target")
    status = status_of(norm, ss, se, cs, ts, te, lex, finder.parties)
    if roles.ordered and status == "asserted":
        status = "planned"
    amount = None
    if trig.type in AMOUNT_TYPES:
        cands = amounts
        if trig.type == "FINE":  # 没收违法所得412.6万元, 退还保证金3.2亿元: not the penalty
            cands = [a for a in amounts if not _NOT_PENALTY_RX.search(norm[max(ss, a[0] - 8):a[0]])]
        hit = _nearest(cands, ss, se, ts, te, after_first=True)
        if hit:
            amount = hit[2].model_dump()
            amount["text"] = original[hit[0]:hit[1]]
    when = None
    dates = dates_in(norm[ss:se], published, future=status == "planned")
    shifted = [(s + ss, e + ss, d) for s, e, d in dates
               if not _PERIOD_AFTER_RX.match(norm[e + ss:e + ss + 3])
               and not _PERIOD_BEFORE_RX.search(norm[max(ss, s + ss - 2):s + ss])]
    hit = _nearest(shifted, ss, se, ts, te)
    if hit:
        when = hit[2].model_dump()
        when["text"] = original[hit[0]:hit[1]]
        if status == "asserted" and published and _after(when["value"], published) \
                and norm[hit[1]:hit[1] + 1] in "起后":
            status = "planned"  # 3月1日起屏蔽 in a February article
    targets = roles.targets or [None]
    out = []
    sentence = original[ss:se]
    pairs = [(a, t) for a in [roles.actor] + roles.extra_actors for t in targets[:4]]
    for actor, target in pairs:
        if actor is not None and target is not None and actor.start == target.start:
            actor = None
        nominal = norm[te:te + 1] == "的"  # 下架的原因: a mention of the act, not a report of it
        if key == "actor":
            actor = _fill(finder, actor, trig.type, ts, target, nominal)
        else:
            target = _fill(finder, target, trig.type, ts, actor, nominal)
        keyparty = actor if key == "actor" else target
        if keyparty is None:
            continue  # an event nobody can be matched on: no incident to record
        if key == "target" and (keyparty.kind == "court" or keyparty.text.endswith("检察院")):
            continue  # 向法院起诉, 检察院…参加诉讼: the forum or the prosecutor, never the defendant
        if not keyparty.named and keyparty.text.endswith(tuple(lex.np_receivers)):
            continue  # 用户, 消费者: receivers, never the party an incident is about
        conf = trig.conf + (0.1 if keyparty.id else 0.0) + (0.05 if keyparty.named else -0.1)
        if status not in ("asserted", "planned"):
            conf -= 0.1
        out.append({
            "type": trig.type, "status": status,
            "actor": _party_dict(actor, original), "target": _party_dict(target, original),
            "amount": amount, "date": when, "reason": roles.reason,
            "trigger": original[ts:te], "sentence": sentence, "start": ss, "end": se,
            "confidence": round(max(0.05, min(0.99, conf)), 3),
        })
    return out


def _fill(finder: RoleFinder, party: Optional[Party], type_: str, ts: int, other: Optional[Party],
          nominal: bool = False) -> Optional[Party]:
    """The key party, with a back reference (上述账号) resolved and, where the clause names
    nobody, the document's topic party for the types told across sentences."""
    if party is not None:
        return finder.resolve_reference(party, type_, other) or party
    if type_ in TOPIC_FALLBACK_TYPES and not nominal:
        return finder.topic(ts, type_, other)
    return None


def _after(value: str, published: date) -> bool:
    parts = [int(p) for p in value.split("-")]
    if len(parts) == 3:
        return date(*parts) > published
    if len(parts) == 2:
        return (parts[0], parts[1]) > (published.year, published.month)
    return parts[0] > published.year


# ------------------------------------------------------------------ merging

def _same(a: Optional[dict], b: Optional[dict]) -> bool:
    if not a or not b:
        return False
    if a.get("id") and b.get("id"):
        return a["id"] == b["id"]
    return a["text"] in b["text"] or b["text"] in a["text"]


def _different(a: Optional[dict], b: Optional[dict]) -> bool:
    """Two named counterparts that are not the same party (both with ids, or both plain names)."""
    if not a or not b:
        return False
    if a.get("id") and b.get("id"):
        return a["id"] != b["id"]
    if a.get("id") or b.get("id"):
        return False
    return not _same(a, b)


def _receiver_is_org(ev: dict) -> bool:
    """A payout to a named platform or company (赔偿京东损失) is damages in a lawsuit, not a
    compensation of customers, users or victims."""
    target = ev.get("target") or {}
    if ev["type"] != "COMPENSATION" or not target.get("id"):
        return False
    from trustwatch.nlp.gazetteer import get_gazetteer

    actor = get_gazetteer().by_id.get(target["id"])
    return actor is not None and actor.kind in ("platform", "marketplace", "company")


def drop_inconsistent(events: list[dict]) -> list[dict]:
    """Leave out what another event of the document contradicts: a lawsuit against the party
    that is the plaintiff of another lawsuit (X诉Y…一案作出判决: Y is the defendant, not X),
    and payouts to a named company."""
    plaintiffs = [e["actor"] for e in events if e["type"] == "LAWSUIT" and e.get("actor") and e.get("target")]
    out = []
    for ev in events:
        if ev["type"] == "LAWSUIT" and any(_same(ev.get("target"), p) for p in plaintiffs):
            continue
        if _receiver_is_org(ev):
            continue
        out.append(ev)
    return out


def merge_events(events: list[dict]) -> list[dict]:
    """One event per (type, key argument): the best status wins and brings its sentence;
    roles, amount and date missing from it are filled from the other mentions."""
    merged: list[dict] = []
    for ev in events:
        key = KEY_ROLE.get(ev["type"], "target")
        other = "target" if key == "actor" else "actor"
        home = next((m for m in merged if m["type"] == ev["type"] and _same(m.get(key), ev.get(key))
                     and not _different(m.get(other), ev.get(other))), None)
        if home is None:
            merged.append(dict(ev))
            continue
        first_amount = home.get("amount")
        if STATUS_RANK[ev["status"]] > STATUS_RANK[home["status"]]:
            for k in ("actor", "target", "amount", "date", "reason"):
                if not ev.get(k) and home.get(k):
                    ev = dict(ev, **{k: home[k]})
            conf = max(home["confidence"], ev["confidence"])
            home.clear()
            home.update(ev)
            home["confidence"] = conf
            if first_amount:
                home["amount"] = first_amount
        else:
            for k in ("actor", "target", "amount", "date", "reason"):
                if not home.get(k) and ev.get(k):
                    home[k] = ev[k]
            if home.get("actor") and not home["actor"].get("id") and (ev.get("actor") or {}).get("id") \
                    and _same(home["actor"], ev["actor"]):
                home["actor"] = ev["actor"]
        home["confidence"] = round(min(0.99, home["confidence"] + 0.02), 3)
    return merged


# ------------------------------------------------------------------ spaCy components

@Language.factory("trustwatch_zh_normalize", default_config={})
def make_normalizer(nlp: Language, name: str) -> "Normalizer":
    return Normalizer()


class Normalizer:
    """Sets `doc._.zh_norm`: the text in Simplified characters, of the same length."""

    def __call__(self, doc: Doc) -> Doc:
        doc._.zh_norm = to_simplified(doc.text)
        return doc


@Language.factory("trustwatch_zh_entities", default_config={"ruler_key": "trustwatch_zh_actors"})
def make_entity_finder(nlp: Language, name: str, ruler_key: str) -> "EntityFinder":
    return EntityFinder(ruler_key)


class EntityFinder:
    """Sets `doc._.zh_mentions`: the span ruler's gazetteer hits plus the char-level finder's
    gazetteer names, authority forms, role-introduced people and company names."""

    def __init__(self, ruler_key: str):
        self.ruler_key = ruler_key

    def __call__(self, doc: Doc) -> Doc:
        norm = doc._.zh_norm or to_simplified(doc.text)
        ruled = []
        for span in doc.spans.get(self.ruler_key, []):
            ruled.append(Mention(span.start_char, span.end_char, norm[span.start_char:span.end_char],
                                 span.id_ or None, "org"))
        doc._.zh_mentions = find_mentions(norm, ruler_spans=_with_kinds(ruled))
        return doc


def _with_kinds(ruled: list[Mention]) -> list[Mention]:
    from dataclasses import replace

    from trustwatch.nlp.gazetteer import get_gazetteer

    gaz = get_gazetteer()
    out = []
    for m in ruled:
        actor = gaz.by_id.get(m.id) if m.id else None
        out.append(replace(m, kind=actor.kind) if actor else m)
    return out


@Language.factory("trustwatch_zh_events", default_config={"max_events_per_doc": 200})
def make_event_finder(nlp: Language, name: str, max_events_per_doc: int) -> "EventFinder":
    load_lexicon()  # fail at load time on a bad data file, not on the first document
    return EventFinder(max_events_per_doc)


class EventFinder:
    """Sets `doc._.trustwatch_events` (plain dicts, like the English `trustwatch_events`).
    Exceptions propagate: the caller marks the document failed, never "no events"."""

    def __init__(self, max_events_per_doc: int = 200):
        self.max_events_per_doc = max_events_per_doc

    def __call__(self, doc: Doc) -> Doc:
        norm = doc._.zh_norm or to_simplified(doc.text)
        mentions = doc._.zh_mentions
        if mentions is None:
            mentions = find_mentions(norm)
        events = extract_events(doc.text, norm, mentions, published_of(doc))
        doc._.trustwatch_events = events[: self.max_events_per_doc]
        return doc
