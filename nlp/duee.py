"""An external check of the Chinese extractor on DuEE 1.0 (Baidu, LIC 2020), its platform-trust subset.

DuEE labels single Chinese news sentences with 65 event types and their argument roles. Six of
them are platform-trust incidents under our guidelines, each with the role that plays our key
argument:

| DuEE type | ours | key role(s) |
|---|---|---|
| 司法行为-罚款 | FINE | 罚款对象 |
| 交往-道歉 | APOLOGY | 道歉者 |
| 司法行为-起诉 | LAWSUIT | 被告 |
| 司法行为-约谈 | INVESTIGATION | 约谈对象 |
| 司法行为-立案 | INVESTIGATION | 立案对象 |
| 产品行为-下架 | BAN | 被下架方, 下架产品 (either names what was removed) |

The documents are every DuEE text with at least one of these events, plus as many other DuEE
texts (drawn with a fixed seed) as negatives. Per type, predicted asserted/planned events are
matched one to one with gold events on (type, key argument), where a key matches when, after
width/case folding and without punctuation or spaces, one text contains the other (Chinese has
no spaces, so the word rule of the English scorer would never match 快手 inside 快手平台).
A gold event whose key role is unlabelled cannot be matched: it is left out of recall, and a
prediction of its type in that document is neither a hit nor a false positive.
"""
from __future__ import annotations

import json
import logging
import random
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Optional

from trustwatch.nlp.evaluate import Counts
from trustwatch.records import INCIDENT_STATUSES, KEY_ROLE, DocInput

log = logging.getLogger(__name__)

EVENTS_FILE = "duee_dev_events.jsonl"
#: DuEE event type -> (our type, key roles in order of preference)
MAPPING: dict[str, tuple[str, tuple[str, ...]]] = {
    "司法行为-罚款": ("FINE", ("罚款对象",)),
    "交往-道歉": ("APOLOGY", ("道歉者",)),
    "司法行为-起诉": ("LAWSUIT", ("被告",)),
    "司法行为-约谈": ("INVESTIGATION", ("约谈对象",)),
    "司法行为-立案": ("INVESTIGATION", ("立案对象",)),
    "产品行为-下架": ("BAN", ("被下架方", "下架产品")),
}
SCORED_TYPES: tuple[str, ...] = ("FINE", "APOLOGY", "LAWSUIT", "INVESTIGATION", "BAN")
DEFAULT_SEED = 20200301
#: surfaces that alone never identify a party
NON_NAMES = frozenset("该公司 公司 平台 该平台 其 他 她 他们 它 对方 本公司 我们 该企业 企业 该店铺 "
                      "该账号 the company it they".split())
_STRIP_RX = re.compile(r"[\W_]+", re.UNICODE)


@dataclass(frozen=True)
class GoldEvent:
    type: str  # ours
    duee_type: str
    keys: tuple[str, ...]  # surfaces of the key role(s); empty when DuEE left them unlabelled


@dataclass
class DueeDoc:
    doc_id: str
    text: str
    events: list[GoldEvent] = field(default_factory=list)
    other_types: set[str] = field(default_factory=set)

    @property
    def positive(self) -> bool:
        return bool(self.events)


@dataclass
class DueeReport:
    per_type: dict[str, Counts]
    overall: Counts
    documents: int = 0
    positives: int = 0
    negatives: int = 0
    predictions: int = 0  # asserted/planned predictions of the scored types
    keyless_gold: int = 0  # gold events without a labelled key argument (not scored)
    skipped: int = 0  # documents the extractor skipped (e.g. no pipeline for the language)
    failed: int = 0  # documents the extractor failed on
    errors: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"documents": self.documents, "positives": self.positives, "negatives": self.negatives,
                "predictions": self.predictions, "keyless_gold": self.keyless_gold,
                "skipped": self.skipped, "failed": self.failed,
                "overall": self.overall.as_dict(),
                "per_type": {t: c.as_dict() for t, c in self.per_type.items()}}


def normalize(text: str) -> str:
    """Width- and case-folded text without punctuation or spaces (ＡＢＣ，快手 -> abc快手)."""
    return _STRIP_RX.sub("", unicodedata.normalize("NFKC", text or "").casefold())


def key_match(predicted: Iterable[str], gold_keys: Iterable[str]) -> bool:
    """Does a predicted surface contain a gold key, or the other way round (after `normalize`)?"""
    preds = [normalize(p) for p in predicted if p and p.strip() not in NON_NAMES]
    preds = [p for p in preds if len(p) >= 2]  # one character (其, X) is inside too many names
    for key in gold_keys:
        g = normalize(key)
        if not g:
            continue
        for p in preds:
            if p in g or g in p:
                return True
    return False


def read_duee(duee_dir: Path) -> list[DueeDoc]:
    """DuEE documents from `<duee_dir>/duee_dev_events.jsonl` (one line per event:
    `{id, text, event_type, arguments: [{role, start, text}]}`), grouped by text id."""
    path = Path(duee_dir) / EVENTS_FILE
    if not path.is_file():
        raise FileNotFoundError(f"no {EVENTS_FILE} in {duee_dir}")
    docs: dict[str, DueeDoc] = {}
    seen: set[tuple] = set()
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                doc_id, text, duee_type = str(row["id"]), str(row["text"]), str(row["event_type"])
                args = row.get("arguments") or []
            except (ValueError, KeyError, TypeError) as exc:
                log.warning("%s line %d skipped: %s", path.name, n, exc)
                continue
            doc = docs.setdefault(doc_id, DueeDoc(doc_id=doc_id, text=text))
            if duee_type not in MAPPING:
                doc.other_types.add(duee_type)
                continue
            ours, roles = MAPPING[duee_type]
            keys = tuple(dict.fromkeys(str(a.get("text") or "").strip() for a in args
                                       if isinstance(a, dict) and a.get("role") in roles
                                       and str(a.get("text") or "").strip()))
            ident = (doc_id, ours, frozenset(normalize(k) for k in keys)) if keys else (doc_id, ours, n)
            if ident in seen:  # the same event labelled twice in one text is one event
                continue
            seen.add(ident)
            doc.events.append(GoldEvent(type=ours, duee_type=duee_type, keys=keys))
    return list(docs.values())


def select_documents(docs: list[DueeDoc], *, seed: int = DEFAULT_SEED, limit: Optional[int] = None
                     ) -> list[DueeDoc]:
    """Every positive (or `limit` of them, drawn with `seed`) and as many negatives, drawn with
    `seed`; the same arguments always give the same documents in the same order."""
    rng = random.Random(seed)
    positives = sorted((d for d in docs if d.positive), key=lambda d: d.doc_id)
    negatives = sorted((d for d in docs if not d.positive), key=lambda d: d.doc_id)
    if limit is not None and limit < len(positives):
        positives = sorted(rng.sample(positives, limit), key=lambda d: d.doc_id)
    n_neg = min(len(negatives), len(positives))
    if n_neg < len(positives):
        log.warning("only %d negative documents for %d positives", n_neg, len(positives))
    chosen = positives + sorted(rng.sample(negatives, n_neg), key=lambda d: d.doc_id)
    return sorted(chosen, key=lambda d: d.doc_id)


def _surfaces(event: Any) -> list[str]:
    party = getattr(event, KEY_ROLE.get(event.type, "target"), None)
    if party is None:
        return []
    out = [party.text] if getattr(party, "text", None) else []
    if getattr(party, "id", None):
        out.append(str(party.id))
    return out


def score_document(predicted: list[Any], gold: list[GoldEvent]) -> tuple[dict[str, Counts], list[dict]]:
    """Counts per scored type for one document, and its unmatched events (for --show-errors)."""
    counts = {t: Counts() for t in SCORED_TYPES}
    errors: list[dict] = []
    preds = [p for p in predicted if p.type in SCORED_TYPES and p.status in INCIDENT_STATUSES]
    scorable = [g for g in gold if g.keys]
    keyless_types = {g.type for g in gold if not g.keys}
    used: set[int] = set()
    matched: list[GoldEvent] = []
    for g in scorable:
        hit = next((i for i, p in enumerate(preds)
                    if i not in used and p.type == g.type and key_match(_surfaces(p), g.keys)), None)
        if hit is None:
            counts[g.type].fn += 1
            errors.append({"kind": "fn", "type": g.type, "duee_type": g.duee_type, "key": list(g.keys)})
        else:
            used.add(hit)
            matched.append(g)
            counts[g.type].tp += 1
    for i, p in enumerate(preds):
        if i in used:
            continue
        if any(g.type == p.type and key_match(_surfaces(p), g.keys) for g in matched):
            continue  # a second prediction of an already matched event
        if p.type in keyless_types:
            continue  # cannot be judged against an event whose key DuEE did not label
        counts[p.type].fp += 1
        errors.append({"kind": "fp", "type": p.type, "status": p.status, "key": _surfaces(p),
                       "sentence": getattr(p, "sentence", "")})
    return counts, errors


ExtractFn = Callable[[Iterable[DocInput]], Iterator[tuple[DocInput, list[Any]]]]


def evaluate_duee(duee_dir: Path, *, model: Optional[str] = None, nlp: Any = None,
                  n_process: int = 1, batch_size: int = 32, seed: int = DEFAULT_SEED,
                  limit: Optional[int] = None, extract: Optional[ExtractFn] = None) -> DueeReport:
    """Per-type precision and recall of the extractor (run with language="zh") on the subset."""
    docs = select_documents(read_duee(Path(duee_dir)), seed=seed, limit=limit)
    if extract is None:
        from trustwatch.nlp.extract import DEFAULT_MODEL, extract_docs

        def extract(inputs):
            return extract_docs(inputs, model=model or DEFAULT_MODEL, nlp=nlp, n_process=n_process,
                                batch_size=batch_size)

    by_id = {d.doc_id: d for d in docs}
    inputs = (DocInput(doc_id=d.doc_id, text=d.text, published=None, language="zh") for d in docs)
    totals: dict[str, Counts] = defaultdict(Counts)
    report = DueeReport(per_type={}, overall=Counts(), documents=len(docs),
                        positives=sum(d.positive for d in docs),
                        negatives=sum(not d.positive for d in docs),
                        keyless_gold=sum(1 for d in docs for g in d.events if not g.keys))
    seen: set[str] = set()
    for doc, events in extract(inputs):
        gold = by_id[doc.doc_id]
        seen.add(doc.doc_id)
        if getattr(events, "failed", False):
            report.failed += 1
        elif getattr(events, "skipped", None):
            report.skipped += 1
        report.predictions += sum(1 for e in events if e.type in SCORED_TYPES
                                  and e.status in INCIDENT_STATUSES)
        counts, errors = score_document(list(events), gold.events)
        for t, c in counts.items():
            totals[t].tp += c.tp
            totals[t].fp += c.fp
            totals[t].fn += c.fn
        report.errors += [{"doc_id": doc.doc_id, **e} for e in errors]
    missing = set(by_id) - seen
    if missing:
        raise RuntimeError(f"the extractor returned no result for {len(missing)} documents")
    report.per_type = {t: totals[t] for t in SCORED_TYPES}
    report.overall = Counts(tp=sum(c.tp for c in totals.values()), fp=sum(c.fp for c in totals.values()),
                            fn=sum(c.fn for c in totals.values()))
    return report


def format_report(report: DueeReport, show_errors: bool = False) -> str:
    lines = [f"DuEE platform-trust subset: {report.documents} documents "
             f"({report.positives} with a mapped event, {report.negatives} without), "
             f"{report.predictions} asserted/planned predictions",
             f"{'type':<14}{'gold':>6}{'pred':>6}{'tp':>5}{'precision':>11}{'recall':>8}{'F1':>7}"]
    rows = list(report.per_type.items()) + [("overall", report.overall)]
    for name, c in rows:
        lines.append(f"{name:<14}{c.tp + c.fn:>6}{c.tp + c.fp:>6}{c.tp:>5}"
                     f"{c.precision:>11.3f}{c.recall:>8.3f}{c.f1:>7.3f}")
    if report.keyless_gold:
        lines.append(f"{report.keyless_gold} gold events without a labelled key argument were not scored")
    if report.skipped or report.failed:
        lines.append(f"WARNING: the extractor skipped {report.skipped} and failed on {report.failed} "
                     "documents (no Chinese pipeline?): their events count as missed")
    if show_errors:
        for e in report.errors:
            key = "/".join(e.get("key") or [])
            lines.append(f"  {e['kind']} {e['doc_id']} {e['type']} {key} {e.get('sentence', '')[:80]}")
    return "\n".join(lines)
