"""The event extractor behind the `trustwatch_events` pipe: every trigger mention of a
document becomes role-filled, status-marked event records (plain dicts), merged per document.

Every step walks a bounded neighbourhood of the trigger, so a document costs time linear in
its length on top of the parse.
"""
from __future__ import annotations

from datetime import date
from typing import Optional

from spacy.tokens import Doc

from trustwatch.nlp.attachments import amount_near, date_near, published_of
from trustwatch.nlp.lexicon import ACTOR_LABEL, AMOUNT_TYPES, KEY_ROLE, Lexicon, words
from trustwatch.nlp.mentions import Mention, find_mention, ip_only, is_sport_doc
from trustwatch.nlp.merging import drop_generic_victims, good_key, merge_events
from trustwatch.nlp.parties import DocContext, actor_kind, norm_key

if not Doc.has_extension("trustwatch_events"):
    Doc.set_extension("trustwatch_events", default=None)


class EventExtractor:
    """Triggers -> role-filled, status-marked events in `doc._.trustwatch_events` (plain dicts)."""

    def __init__(self, lex: Lexicon, *, min_confidence: float = 0.0,
                 max_events_per_doc: int = 200, sport_guard: bool = True):
        self.lex = lex
        self.min_confidence = min_confidence
        self.max_events_per_doc = max_events_per_doc
        self.sport_guard = sport_guard

    def __call__(self, doc: Doc) -> Doc:
        # no try/except here: an exception reaches `extract_docs`, which reruns the batch one
        # document at a time and marks the one that fails `failed` (kept pending), never
        # "no events"
        doc._.trustwatch_events = self.extract(doc)
        return doc

    # -- per document
    def extract(self, doc: Doc) -> list[dict]:
        ctx = DocContext(doc, self.lex)
        published = published_of(doc)
        sporty = self.sport_guard and is_sport_doc(doc, self.lex)
        mentions: list[Mention] = []
        for token in doc:
            entries = self.lex.candidates(token)
            if not entries:
                continue
            done: set[str] = set()
            for entry in entries:
                if entry.type in done:
                    continue
                m = find_mention(token, entry, ctx)
                if m is not None:
                    mentions.append(m)
                    done.add(entry.type)
        events: list[dict] = []
        sent_cache: dict[int, tuple[list, list]] = {}
        for m in mentions:
            for ev in self._events_of(m, ctx, published, sent_cache, sporty):
                if ev["confidence"] >= self.min_confidence:
                    events.append(ev)
        events = drop_generic_victims(events)
        merged = merge_events(events)
        return merged[: self.max_events_per_doc]

    # -- per trigger
    def _events_of(self, m: Mention, ctx: DocContext, published: Optional[date],
                   sent_cache: dict, sporty: bool) -> list[dict]:
        lex = self.lex
        entry = m.entry
        key_role = KEY_ROLE.get(m.type, "target")
        keys = m.actors if key_role == "actor" else m.targets
        others = m.targets if key_role == "actor" else m.actors
        keys = [k for k in keys if good_key(k, entry, lex)]
        if entry.key_exclusions and m.type == entry.type:
            # "suspended sales of a drug", "banned from the case": not a ban of a party
            excluded = lex.words(entry.key_exclusions)
            keys = [k for k in keys if words(k.text)[:1] and not set(words(k.text)) & excluded]
        if not keys:
            return []
        if entry.target_heads and not any(words(t.text)[-1:] and words(t.text)[-1] in entry.target_heads
                                          for t in m.targets):
            return []  # "paid $10m to drivers" is compensation; "paid $10m to settle" is not
        if sporty and entry.athlete_guard:
            # sports coverage: bans of athletes, blocked shots and players' apologies
            if not any(k.label == ACTOR_LABEL and actor_kind(k.id) != "person" for k in keys):
                return []
        sent = m.trigger.sent
        if entry.ip_guard and ip_only(sent, lex):
            return []  # patent or copyright claims alone are not accusations of misconduct
        amount = None
        if m.type in AMOUNT_TYPES:
            amount = amount_near(m, sent, sent_cache)
            if entry.requires_amount and amount is None:
                return []
        elif entry.requires_amount:
            return []
        date_ = date_near(m, sent, published, sent_cache)
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
                if actor is not None and target is not None and norm_key(actor) == norm_key(target):
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

