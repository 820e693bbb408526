"""The learned event detector: a spaCy `textcat_multilabel` over (sentence, party) pairs.

The rule component finds events where a trigger word and the parse say so; this component
reads every candidate party of every sentence (see `trustwatch.nlp.pairs`) and asks a trained
classifier whether the party is the key argument, or the counterpart, of an event of each type.
The two are combined per document: a rule event whose key party the model scores very low is
dropped (the rules' false alarms: market talk, a trigger word in another sense), and a party the
model is confident about becomes an event even when no trigger word was listed for it. Roles
the model cannot give (status, amount, date) come from the same rule helpers as rule events.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Optional

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span, Token

from trustwatch.nlp.attachments import published_of
from trustwatch.nlp.evaluate import NON_NAME_WORDS, alias_match, key_role, words
from trustwatch.nlp.pairs import EVENT_TYPES, Candidate, doc_pairs

log = logging.getLogger(__name__)

#: where the committed weights live (rebuilt by `scripts/train`)
DEFAULT_MODEL_DIR = Path(__file__).parent / "models" / "event_pairs"
STATUS_RANK = {"asserted": 3, "planned": 2, "hypothetical": 1, "negated": 0}
AMOUNT_TYPES = ("FINE", "COMPENSATION", "LAWSUIT")


@dataclass
class Thresholds:
    """Decision thresholds, chosen by cross-validation on the training set (see training.py)."""

    #: a model event is made when the key-argument probability reaches this
    event: float = 0.5
    #: a counterpart (actor of a FINE, target of an APOLOGY) is named when it reaches this
    counterpart: float = 0.3
    #: a rule event whose key party the model scores below this is dropped
    rule_floor: float = 0.05
    #: model events only where a trigger word of the type is tied to the party in the parse
    linked_only: bool = False
    #: per type overrides of `event`
    per_type: dict[str, float] = field(default_factory=dict)

    def for_type(self, type_: str) -> float:
        return self.per_type.get(type_, self.event)


@lru_cache(maxsize=4)
def load_classifier(model_dir: str) -> Language:
    """The trained pair classifier (a one-pipe spaCy pipeline), loaded once per process."""
    return spacy.load(model_dir)


def load_thresholds(model_dir: str) -> Thresholds:
    import json
    path = Path(model_dir) / "thresholds.json"
    if not path.exists():
        return Thresholds()
    data = json.loads(path.read_text(encoding="utf-8"))
    return Thresholds(**data)


@dataclass
class PairScore:
    sent: Span
    cand: Candidate
    probs: dict[str, float]


def score_pairs(doc: Doc, classifier: Language, batch_size: int = 256) -> list[PairScore]:
    """The classifier's probabilities for every (sentence, candidate) pair of a parsed doc."""
    pairs = list(doc_pairs(doc))
    if not pairs:
        return []
    docs = [classifier.make_doc(" ".join(w)) for _, _, w in pairs]
    name = classifier.pipe_names[-1]
    pipe = classifier.get_pipe(name)
    scored = pipe.pipe(docs, batch_size=batch_size)
    return [PairScore(s, c, dict(d.cats)) for (s, c, _), d in zip(pairs, scored)]


def _surfaces(party: Optional[dict]) -> list[str]:
    if not party:
        return []
    out = [party.get("text") or ""]
    if party.get("id"):
        out.append(str(party["id"]).replace("_", " ").replace("-", " "))
    return [s for s in out if s]


def _cand_surfaces(c: Candidate) -> list[str]:
    out = [c.text]
    if c.actor_id:
        out.append(c.actor_id.replace("_", " ").replace("-", " "))
    return out


def _is_name_like(c: Candidate) -> bool:
    w = words(c.text)
    return bool(w) and not all(x in NON_NAME_WORDS for x in w)


def _trigger_of(c: Candidate) -> Token:
    """The word the party hangs on: "fined" for "Meta was fined", "probe" in "a probe into X"."""
    tok = c.root
    for _ in range(4):
        head = tok.head
        if head.i == tok.i:
            return tok
        if head.pos_ in ("ADP", "PART") or tok.dep_ in ("compound", "poss", "appos", "conj"):
            tok = head
            continue
        return head
    return tok.head


def _clause_of(tok: Token) -> Optional[Token]:
    cur = tok
    for _ in range(6):
        if cur.pos_ in ("VERB", "AUX"):
            return cur
        if cur.head.i == cur.i:
            return None
        cur = cur.head
    return None


def _status(c: Candidate) -> str:
    from trustwatch.nlp.components import event_status, load_lexicon
    trig = _trigger_of(c)
    try:
        status, _ = event_status(trig, _clause_of(trig), load_lexicon())
    except Exception:  # noqa: BLE001 - status is a refinement: a parse oddity means "asserted"
        log.debug("status of a model event could not be read", exc_info=True)
        status = "asserted"
    return status


def _amount_in(sent: Span, near: int) -> Optional[dict]:
    from trustwatch.nlp.amounts import find_amounts, is_rate
    found = [a for a in find_amounts(sent.text) if not is_rate(a[2])]
    if not found:
        return None
    base = sent.start_char
    best = min(found, key=lambda a: abs(a[0] + base - near))
    amt = best[2]
    return {"value": float(amt.value), "currency": amt.currency, "text": amt.text}


def _date_in(sent: Span, near: int, published, future: bool) -> Optional[dict]:
    from trustwatch.nlp.dates import find_dates
    found = find_dates(sent.text, published, future=future)
    if not found:
        return None
    base = sent.start_char
    best = min(found, key=lambda d: abs(d[0] + base - near))
    ev = best[2]
    return {"value": ev.value, "precision": ev.precision, "text": ev.text}


_CLAUSE_EDGES = frozenset({"conj", "parataxis"})


def linked_types(cand: Candidate) -> set[str]:
    """Event types whose trigger word is syntactically tied to the candidate: it governs the
    candidate within its clause ("fined" → "Meta was fined", "probe into X"), the candidate
    governs it ("X, which was fined"), or both hang on one light verb ("X faces a fine")."""
    from trustwatch.nlp.lexicon import load_lexicon
    lex = load_lexicon()
    out: set[str] = set()

    def types_of(tok: Token) -> set[str]:
        return {e.type for e in lex.candidates(tok)}

    root = cand.root
    cur = root
    for _ in range(5):  # up the clause, not across coordinated clauses
        if cur.dep_ in _CLAUSE_EDGES or cur.head.i == cur.i:
            break
        cur = cur.head
        out |= types_of(cur)
        for sib in cur.children:  # light verbs: "faces a probe", "hit with a fine"
            if sib.i != root.i and sib.dep_ in ("dobj", "attr", "prep", "xcomp", "acomp"):
                out |= types_of(sib)
                for grand in sib.children:
                    if grand.dep_ == "pobj":
                        out |= types_of(grand)
    for tok in cand.span.subtree if hasattr(cand.span, "subtree") else root.subtree:
        if tok.i != root.i and abs(tok.i - root.i) < 25:
            out |= types_of(tok)
    return out


def model_events(doc: Doc, scores: list[PairScore], th: Thresholds) -> list[dict]:
    """Events the classifier is confident about, one per (type, key party) per document."""
    best: dict[tuple[str, str], tuple[float, PairScore]] = {}
    for ps in scores:
        if not _is_name_like(ps.cand):
            continue
        ident = ps.cand.actor_id or " ".join(words(ps.cand.text))
        linked = linked_types(ps.cand) if th.linked_only else None
        for t in EVENT_TYPES:
            p = ps.probs.get(t, 0.0)
            if linked is not None and t not in linked:
                continue
            if p >= th.for_type(t) and p > best.get((t, ident), (-1.0, None))[0]:
                best[(t, ident)] = (p, ps)
    published = published_of(doc)
    out = []
    for (t, _), (p, ps) in best.items():
        status = _status(ps.cand)
        key = {"text": ps.cand.text, "id": ps.cand.actor_id}
        other = None
        others = [o for o in scores if o.sent.start == ps.sent.start and o.cand is not ps.cand
                  and _is_name_like(o.cand)]
        if others:
            o = max(others, key=lambda o: o.probs.get(f"{t}_other", 0.0))
            if o.probs.get(f"{t}_other", 0.0) >= th.counterpart:
                other = {"text": o.cand.text, "id": o.cand.actor_id}
        role = key_role(t)
        trig = _trigger_of(ps.cand)
        raw = ps.sent.text
        sentence = raw.strip()
        start = ps.sent.start_char + (len(raw) - len(raw.lstrip()))
        ev = {
            "type": t, "status": status,
            "actor": key if role == "actor" else other,
            "target": key if role == "target" else other,
            "amount": _amount_in(ps.sent, trig.idx) if t in AMOUNT_TYPES else None,
            "date": _date_in(ps.sent, trig.idx, published, status == "planned"),
            "reason": None, "trigger": trig.text,
            "sentence": sentence, "start": start, "end": start + len(sentence),
            "confidence": round(min(0.99, max(0.01, p)), 3), "source": "model",
        }
        out.append(ev)
    return _dedupe(out)


def _dedupe(events: list[dict]) -> list[dict]:
    """One event per (type, key party): "Meta" and "Meta Platforms" are one key."""
    events = sorted(events, key=lambda e: (-STATUS_RANK.get(e["status"], 0), -e["confidence"]))
    kept: list[dict] = []
    for ev in events:
        keys = _surfaces(ev.get(key_role(ev["type"])))
        if any(k["type"] == ev["type"] and alias_match(keys, _surfaces(k.get(key_role(k["type"]))))
               for k in kept):
            continue
        kept.append(ev)
    return kept


def rule_support(ev: dict, scores: list[PairScore]) -> Optional[float]:
    """The model's probability for a rule event's key party in the rule event's sentence, or
    None when that party is not a candidate the model reads (a pronoun resolved by the rules)."""
    keys = _surfaces(ev.get(key_role(ev["type"])))
    best = None
    for ps in scores:
        if ps.sent.start_char > ev["start"] or ps.sent.end_char < ev["end"] - 1:
            continue
        if alias_match(_cand_surfaces(ps.cand), keys) or alias_match(keys, _cand_surfaces(ps.cand)):
            p = ps.probs.get(ev["type"], 0.0)
            best = p if best is None else max(best, p)
    return best


def combine(rule_evs: list[dict], scores: list[PairScore], doc: Doc, th: Thresholds,
            use_rules: bool = True, use_model: bool = True) -> list[dict]:
    """Rule events the model does not contradict, plus model events the rules missed."""
    kept: list[dict] = []
    if use_rules:
        for ev in rule_evs:
            if use_model:
                s = rule_support(ev, scores)
                if s is not None and s < th.rule_floor:
                    continue
            kept.append(ev)
    if not use_model:
        return kept
    for ev in model_events(doc, scores, th):
        keys = _surfaces(ev.get(key_role(ev["type"])))
        if any(k["type"] == ev["type"] and alias_match(keys, _surfaces(k.get(key_role(k["type"]))))
               for k in kept):
            continue
        ev = {k: v for k, v in ev.items() if k != "source"}
        kept.append(ev)
    return kept


class EventModel:
    """The `trustwatch_event_model` pipe: runs after `trustwatch_events` and rewrites its list."""

    def __init__(self, model_dir: str, thresholds: Thresholds, mode: str):
        self.model_dir = model_dir
        self.thresholds = thresholds
        self.mode = mode
        self._classifier: Optional[Language] = None

    @property
    def classifier(self) -> Language:
        if self._classifier is None:
            self._classifier = load_classifier(self.model_dir)
        return self._classifier

    def __call__(self, doc: Doc) -> Doc:
        if self.mode == "rules":
            return doc
        rule_evs = list(doc._.trustwatch_events or [])
        scores = score_pairs(doc, self.classifier)
        doc._.trustwatch_events = combine(rule_evs, scores, doc, self.thresholds,
                                          use_rules=self.mode != "model")
        return doc


@Language.factory(
    "trustwatch_event_model",
    default_config={"model_dir": None, "mode": "both", "thresholds": None},
)
def make_event_model(nlp: Language, name: str, model_dir: Optional[str], mode: str,
                     thresholds: Optional[dict]) -> EventModel:
    """`mode`: "both" (rules filtered and completed by the model), "model" or "rules" alone."""
    if mode not in ("both", "model", "rules"):
        raise ValueError(f"trustwatch_event_model: mode must be both, model or rules, not {mode!r}")
    path = str(model_dir or DEFAULT_MODEL_DIR)
    th = Thresholds(**thresholds) if thresholds else load_thresholds(path)
    return EventModel(path, th, mode)
