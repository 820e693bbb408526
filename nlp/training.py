"""Training data and training runs for the learned event detector.

Examples are (sentence, candidate party) pairs from labelled documents (`eval/train.jsonl`, the
GUIDELINES format) and from the project's own sentences (`nlp/training/sentences.jsonl`). A pair
is positive for type T when the sentence is the evidence of a labelled asserted or planned T
event and the candidate matches its key argument (label T) or its counterpart (T_other), under
the scorer's word rule. An event is labelled once per document, so a party of a T event named
in another sentence may or may not be a restatement of it: that label is left missing for the
pair, not taught as a negative. Training itself is `spacy train` with `configs/event_pairs.cfg`.
"""
from __future__ import annotations

import json
import logging
import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional

from spacy.language import Language
from spacy.tokens import Doc, DocBin

from trustwatch.nlp.evaluate import alias_match, key_role
from trustwatch.nlp.pairs import LABELS, doc_pairs
from trustwatch.records import INCIDENT_STATUSES

log = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).parent
CONFIG_PATH = PACKAGE_DIR / "configs" / "event_pairs.cfg"
OWN_SENTENCES = PACKAGE_DIR / "training" / "sentences.jsonl"
SEED = 0


@dataclass
class LabelledDoc:
    doc_id: str
    text: str
    published: Optional[str]
    events: list[dict] = field(default_factory=list)


def read_labelled(path: str | Path) -> list[LabelledDoc]:
    """Documents of a GUIDELINES labelled file, texts read relative to the file."""
    path = Path(path)
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        text = (path.parent / row["text_path"]).read_text(encoding="utf-8", errors="replace")
        out.append(LabelledDoc(row["doc_id"], text, row.get("published"), row.get("events", [])))
    return out


def read_own_sentences(path: str | Path = OWN_SENTENCES) -> list[LabelledDoc]:
    """The project's own training sentences as one-sentence labelled documents."""
    path = Path(path)
    if not path.exists():
        return []
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        events = []
        for e in row.get("events", []):
            events.append({
                "type": e["type"], "status": e.get("status", "asserted"),
                "actor": [e["actor"]] if e.get("actor") else [],
                "target": [e["target"]] if e.get("target") else [],
                "evidence": row["text"],
            })
        out.append(LabelledDoc(f"own-{n}", row["text"], row.get("published"), events))
    return out


def _norm_ws(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


def evidence_span(text: str, evidence: str) -> Optional[tuple[int, int]]:
    """Where the evidence sentence stands in the text (whitespace-insensitive)."""
    if not evidence:
        return None
    i = text.find(evidence)
    if i >= 0:
        return i, i + len(evidence)
    parts = [re.escape(p) for p in _norm_ws(evidence).split(" ")]
    m = re.search(r"\s+".join(parts), text)
    if m:
        return m.start(), m.end()
    head = _norm_ws(evidence)[:60]
    m = re.search(r"\s+".join(re.escape(p) for p in head.split(" ")), text)
    if m:
        return m.start(), m.start() + len(evidence)
    return None


def _other_role(type_: str) -> str:
    return "target" if key_role(type_) == "actor" else "actor"


def pair_examples(doc: Doc, events: list[dict]) -> list[tuple[list[str], dict[str, float]]]:
    """Labelled (words, cats) pairs of one parsed labelled document."""
    spans = [(e, evidence_span(doc.text, e.get("evidence", ""))) for e in events]
    out = []
    for sent, cand, wds in doc_pairs(doc):
        surfaces = [cand.text] + ([cand.actor_id.replace("-", " ")] if cand.actor_id else [])
        cats: dict[str, float] = {label: 0.0 for label in LABELS}
        positive: set[str] = set()
        missing: set[str] = set()
        for ev, span in spans:
            t = ev["type"]
            is_key = alias_match(surfaces, ev.get(key_role(t)) or [])
            is_other = alias_match(surfaces, ev.get(_other_role(t)) or [])
            if not (is_key or is_other):
                continue
            here = span is not None and span[0] < sent.end_char and sent.start_char < span[1]
            counted = ev.get("status") in INCIDENT_STATUSES
            for flag, label in ((is_key, t), (is_other, f"{t}_other")):
                if not flag:
                    continue
                if here and counted:
                    positive.add(label)
                else:
                    missing.add(label)
        for label in positive:
            cats[label] = 1.0
        for label in missing - positive:
            cats.pop(label, None)
        out.append((wds, cats))
    return out


def parse_labelled(nlp: Language, docs: list[LabelledDoc], batch_size: int = 16) -> list[Doc]:
    """Run the full extraction pipeline (parse, actors, rule events) over labelled documents."""
    from trustwatch.nlp.extract import clean_text
    texts = ((clean_text(d.text), {"published": d.published}) for d in docs)
    out = []
    for doc, ctx in nlp.pipe(texts, as_tuples=True, batch_size=batch_size):
        doc._.trustwatch_published = ctx["published"]
        out.append(doc)
    return out


def to_docbin(vocab, examples: Iterable[tuple[list[str], dict[str, float]]]) -> DocBin:
    db = DocBin(store_user_data=False)
    for wds, cats in examples:
        d = Doc(vocab, words=wds)
        d.cats = cats
        db.add(d)
    return db


def train_classifier(train: list, dev: list, output: Path, vocab, *,
                     overrides: Optional[dict] = None, quiet: bool = True) -> Path:
    """`spacy train` with the repository's config; returns the trained pipeline's folder."""
    from spacy.cli.train import train as spacy_train
    from spacy.util import fix_random_seed
    output.mkdir(parents=True, exist_ok=True)
    to_docbin(vocab, train).to_disk(output / "train.spacy")
    to_docbin(vocab, dev).to_disk(output / "dev.spacy")
    fix_random_seed(SEED)
    opts = {"paths.train": str(output / "train.spacy"), "paths.dev": str(output / "dev.spacy"),
            "system.seed": SEED}
    opts.update(overrides or {})
    if quiet:
        logging.getLogger("spacy").setLevel(logging.WARNING)
    spacy_train(CONFIG_PATH, output, overrides=opts, use_gpu=-1)
    return output / "model-last"


def folds(n: int, k: int = 5, seed: int = SEED) -> list[list[int]]:
    idx = list(range(n))
    random.Random(seed).shuffle(idx)
    return [sorted(idx[i::k]) for i in range(k)]
