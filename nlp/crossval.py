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


def choose_thresholds(items: list[Scored], echo: Callable[[str], None] = print) -> Thresholds:
    """The event threshold and rule floor with the best pooled F1 among those that keep the
    rules' precision (the detector may add what the rules miss, not trade precision for it)."""
    floor_p = _report(items, Thresholds(), True, False).overall.precision - 0.01
    best: tuple[float, Thresholds] = (-1.0, Thresholds(event=1.01, rule_floor=0.0))
    for linked in (False, True):
        for ev in GRID_EVENT:
            for floor in GRID_FLOOR:
                th = Thresholds(event=ev, rule_floor=floor, linked_only=linked)
                o = _report(items, th, True, True).overall
                echo(f"  linked {linked!s:<5} event {ev:.2f} floor {floor:.2f}: "
                     f"P {o.precision:.3f} R {o.recall:.3f} F1 {o.f1:.3f}")
                if o.precision >= floor_p and o.f1 > best[0] + 1e-9:
                    best = (o.f1, th)
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
        pooled: list[Scored] = []
        if cross_validate and k > 1:
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
        if not write and not pooled:
            return figures
        all_train = [ex for exs in ex_train for ex in exs] + ex_own
        dev_ex = [ex for d, g in zip(parsed_dev, dev_docs) for ex in pair_examples(d, g.events)]
        final = train_classifier(all_train, dev_ex or all_train[:200], work / "final", nlp.vocab)
        echo(f"final model trained ({time.time() - t0:.0f}s)")
        load_classifier.cache_clear()
        clf = load_classifier(str(final))
        dev_items = [Scored(g, d, list(d._.trustwatch_events or []), score_pairs(d, clf))
                     for d, g in zip(parsed_dev, dev_docs)]
        # thresholds: chosen on the held-out folds and dev together (dev only as a check when
        # there is no cross-validation)
        th = choose_thresholds(pooled + dev_items, echo) if pooled else Thresholds()
        echo(f"thresholds: event {th.event}, rule floor {th.rule_floor}, linked only {th.linked_only}")
        for prefix, items in (("cv", pooled), ("dev", dev_items)):
            if not items:
                continue
            for name, r, m in (("rules only", True, False), ("model only", False, True),
                               ("rules + model", True, True)):
                rep = _report(items, th, r, m)
                figures[f"{prefix} {name}"] = rep.overall.as_dict()
                echo(_fmt(f"{prefix} {name}", rep))
        if not write:
            return figures
        if output.exists():
            shutil.rmtree(output)
        shutil.copytree(final, output)
        (output / "thresholds.json").write_text(json.dumps(asdict(th), indent=2) + "\n")
        (output / "training-figures.json").write_text(json.dumps(figures, indent=2) + "\n")
        echo(f"weights written to {output} ({time.time() - t0:.0f}s)")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return figures
