"""Training runs: cross-validation, threshold choice, the ablation table and the final weights.

`run_training` is what `scripts/train` (and `trustwatch train`) calls:
1. parse the labelled training documents and the project's own sentences once (full pipeline,
   so rule events are there too);
2. k-fold cross-validation over the labelled documents: train on k-1 folds plus the own
   sentences, score the held-out fold's pairs;
3. choose the decision thresholds on the pooled held-out scores (document-level F1 under the
   GUIDELINES scorer);
4. print the ablation (rules only, model only, both) on the cross-validation and on dev;
5. train on everything and write the weights and thresholds to `nlp/models/event_pairs/`.
"""
from __future__ import annotations

import json
import logging
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Optional

from spacy.tokens import Doc

from trustwatch.nlp.event_model import (DEFAULT_MODEL_DIR, PairScore, Thresholds, combine,
                                        load_classifier, score_pairs)
from trustwatch.nlp.evaluate import EvalReport, score
from trustwatch.nlp.training import (LabelledDoc, folds, pair_examples, parse_labelled,
                                     read_labelled, read_own_sentences, train_classifier)

log = logging.getLogger(__name__)
GRID_EVENT = (0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
GRID_FLOOR = (0.0, 0.02, 0.05, 0.1, 0.2)


@dataclass
class Scored:
    """One labelled document with its parse, rule events and the model's pair scores."""

    gold: LabelledDoc
    doc: Doc
    rules: list[dict]
    scores: list[PairScore]


def _report(items: list[Scored], th: Thresholds, use_rules: bool, use_model: bool) -> EvalReport:
    predicted = {s.gold.doc_id: combine(s.rules, s.scores, s.doc, th, use_rules, use_model)
                 for s in items}
    rows = [{"doc_id": s.gold.doc_id, "events": s.gold.events} for s in items]
    return score(predicted, rows)


def choose_thresholds(items: list[Scored]) -> Thresholds:
    """The event threshold and rule floor with the best pooled F1 (ties: the higher threshold)."""
    best: tuple[float, Thresholds] = (-1.0, Thresholds())
    for ev in GRID_EVENT:
        for floor in GRID_FLOOR:
            th = Thresholds(event=ev, rule_floor=floor)
            f1 = _report(items, th, True, True).overall.f1
            if f1 > best[0] + 1e-9:
                best = (f1, th)
    return best[1]


def _fmt(name: str, rep: EvalReport) -> str:
    o = rep.overall
    return f"{name:<28} P {o.precision:.3f}  R {o.recall:.3f}  F1 {o.f1:.3f}  (tp {o.tp}, fp {o.fp}, fn {o.fn})"


def run_training(train_path: str | Path, dev_path: Optional[str | Path] = None, *,
                 own_path: Optional[str | Path] = None, k: int = 5,
                 output: Path = DEFAULT_MODEL_DIR, cross_validate: bool = True,
                 write: bool = True, echo: Callable[[str], None] = print) -> dict:
    """Rebuild the detector's weights; returns the figures it printed."""
    from trustwatch.nlp.extract import load_pipeline
    t0 = time.time()
    nlp = load_pipeline(model_mode="rules")
    train_docs = read_labelled(train_path)
    own = read_own_sentences(own_path) if own_path else read_own_sentences()
    dev_docs = read_labelled(dev_path) if dev_path else []
    echo(f"parsing {len(train_docs)} labelled documents, {len(own)} own sentences, "
         f"{len(dev_docs)} dev documents")
    parsed_train = parse_labelled(nlp, train_docs)
    parsed_own = parse_labelled(nlp, own, batch_size=64)
    parsed_dev = parse_labelled(nlp, dev_docs)
    ex_train = [pair_examples(d, g.events) for d, g in zip(parsed_train, train_docs)]
    ex_own = [ex for d, g in zip(parsed_own, own) for ex in pair_examples(d, g.events)]
    echo(f"pairs: {sum(len(x) for x in ex_train)} from labelled documents, {len(ex_own)} from own "
         f"sentences ({time.time() - t0:.0f}s)")
    figures: dict = {}
    work = Path(tempfile.mkdtemp(prefix="trustwatch-train-"))
    try:
        th = Thresholds()
        if cross_validate and k > 1:
            pooled: list[Scored] = []
            for n, held in enumerate(folds(len(train_docs), k)):
                held_set = set(held)
                tr = [ex for i, exs in enumerate(ex_train) if i not in held_set for ex in exs] + ex_own
                dv = [ex for i in held for ex in ex_train[i]]
                model_dir = train_classifier(tr, dv, work / f"fold{n}", nlp.vocab)
                clf = load_classifier(str(model_dir))
                for i in held:
                    doc = parsed_train[i]
                    pooled.append(Scored(train_docs[i], doc, list(doc._.trustwatch_events or []),
                                         score_pairs(doc, clf)))
                echo(f"fold {n + 1}/{k} trained ({time.time() - t0:.0f}s)")
            th = choose_thresholds(pooled)
            echo(f"thresholds: event {th.event}, rule floor {th.rule_floor}")
            for name, r, m in (("cv rules only", True, False), ("cv model only", False, True),
                               ("cv rules + model", True, True)):
                rep = _report(pooled, th, r, m)
                figures[name] = asdict(rep.overall) if hasattr(rep.overall, "__dataclass_fields__") else str(rep.overall)
                echo(_fmt(name, rep))
        if not write:
            return figures
        all_train = [ex for exs in ex_train for ex in exs] + ex_own
        dev_ex = [ex for d, g in zip(parsed_dev, dev_docs) for ex in pair_examples(d, g.events)]
        final = train_classifier(all_train, dev_ex or all_train[:200], work / "final", nlp.vocab)
        if output.exists():
            shutil.rmtree(output)
        shutil.copytree(final, output)
        (output / "thresholds.json").write_text(json.dumps(asdict(th), indent=2) + "\n")
        echo(f"weights written to {output} ({time.time() - t0:.0f}s)")
        if dev_docs:
            load_classifier.cache_clear()
            clf = load_classifier(str(output))
            items = [Scored(g, d, list(d._.trustwatch_events or []), score_pairs(d, clf))
                     for d, g in zip(parsed_dev, dev_docs)]
            for name, r, m in (("dev rules only", True, False), ("dev model only", False, True),
                               ("dev rules + model", True, True)):
                rep = _report(items, th, r, m)
                echo(_fmt(name, rep))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return figures
