"""`trustwatch extract`, `trustwatch eval` and `trustwatch eval-casie`."""
from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Optional

import typer

from trustwatch.cli.app import app, fail, state

if TYPE_CHECKING:
    from trustwatch.records import DocInput

log = logging.getLogger("trustwatch.extract")


def shared_dir() -> Path:
    """The shared evaluation material: $TRUSTWATCH_SHARED, else ../shared beside this folder."""
    import os
    return Path(os.environ.get("TRUSTWATCH_SHARED", Path.cwd().parent / "shared"))


def _nlp_settings():
    try:
        return state.config().nlp
    except (typer.Exit, SystemExit):
        raise
    except Exception:  # noqa: BLE001
        from trustwatch.config import NlpSettings
        return NlpSettings()


def iter_inputs(path: Path, published: Optional[str] = None,
                skipped: Optional[list[str]] = None) -> Iterator["DocInput"]:
    """Documents from a JSONL file, a text file, or a folder of both; bad lines are skipped
    (and noted in `skipped`)."""
    skipped = skipped if skipped is not None else []
    from trustwatch.records import DocInput

    if path.is_dir():
        for child in sorted(path.rglob("*")):
            if child.is_file() and child.suffix.lower() in (".jsonl", ".txt"):
                yield from iter_inputs(child, published, skipped)
        return
    if path.suffix.lower() == ".jsonl":
        with path.open(encoding="utf-8", errors="replace") as fh:
            for n, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                    if not isinstance(row, dict):
                        raise ValueError("not an object")
                    if row.get("text") is None and row.get("text_path"):
                        row["text"] = (path.parent / row["text_path"]).read_text(
                            encoding="utf-8", errors="replace")
                    yield DocInput(doc_id=str(row.get("doc_id") or f"{path.stem}:{n}"),
                                   text=row.get("text") or "",
                                   published=row.get("published") or published,
                                   language=row.get("language"))
                except Exception as exc:  # noqa: BLE001 - one bad line never stops the run
                    skipped.append(f"{path} line {n}: {exc}")
                    log.info("%s line %d skipped: %s", path, n, exc)
        return
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        skipped.append(f"{path}: {exc}")
        return
    yield DocInput(doc_id=path.stem, text=text, published=published)


@app.command("extract")
def extract_command(
    input: Path = typer.Option(..., "--input", "-i", exists=True,
                               help="DOCS.jsonl ({doc_id, text, published}), a .txt file or a folder."),
    format: str = typer.Option("jsonl", "--format", "-f", help="jsonl (one event a line) or table."),
    model: Optional[str] = typer.Option(None, "--model", help="spaCy model (default: config nlp.model)."),
    n_process: Optional[int] = typer.Option(None, "--n-process", min=1, help="Worker processes."),
    batch_size: Optional[int] = typer.Option(None, "--batch-size", min=1, help="Documents per batch."),
    published: Optional[str] = typer.Option(None, "--published",
                                            help="Published date (YYYY-MM-DD) for inputs without one."),
) -> None:
    """Extract incident events; only events go to standard output."""
    if format not in ("jsonl", "table"):
        fail(f"unknown format {format!r} (jsonl or table)", code=2)
    settings = _nlp_settings()
    from trustwatch.nlp.extract import extract_docs
    from trustwatch.pipelines import shared_pipeline

    docs_seen = events_seen = 0
    rows = []
    skipped: list[str] = []
    out = sys.stdout
    try:
        for _doc, events in extract_docs(iter_inputs(input, published, skipped),
                                        model=model or settings.model,
                                        nlp=shared_pipeline(model or settings.model),
                                        n_process=n_process or settings.n_process,
                                        batch_size=batch_size or settings.batch_size,
                                        max_chars=getattr(settings, "max_chars", 100_000)):
            docs_seen += 1
            for event in events:
                events_seen += 1
                if format == "jsonl":
                    out.write(json.dumps(event.to_json_dict(), ensure_ascii=False) + "\n")
                else:
                    rows.append(event)
            if format == "jsonl":
                out.flush()
            if docs_seen % 50 == 0:
                typer.echo(f"{docs_seen} documents, {events_seen} events", err=True)
    except OSError as exc:
        fail(f"cannot load the model or read input: {exc}")
    if format == "table":
        _print_table(rows)
    for line in skipped[:20]:
        typer.echo(f"skipped {line}", err=True)
    if len(skipped) > 20:
        typer.echo(f"… and {len(skipped) - 20} more skipped inputs", err=True)
    typer.echo(f"done: {docs_seen} documents, {events_seen} events, {len(skipped)} inputs skipped", err=True)


def _print_table(events) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(show_lines=False)
    for col in ("doc", "type", "status", "actor", "target", "amount", "date", "conf", "sentence"):
        table.add_column(col, overflow="fold")
    for e in events:
        table.add_row(e.doc_id, e.type, e.status, e.actor.text if e.actor else "",
                      e.target.text if e.target else "", e.amount.text if e.amount else "",
                      e.date.value if e.date else "", f"{e.confidence:.2f}", e.sentence[:120])
    Console(file=sys.stdout, width=200).print(table)


@app.command("eval")
def eval_command(
    gold: Path = typer.Argument(..., exists=True, dir_okay=False, help="Labelled JSONL file."),
    show_errors: bool = typer.Option(False, "--show-errors", help="List false positives/negatives per document."),
    model: Optional[str] = typer.Option(None, "--model", help="spaCy model (default: config nlp.model)."),
    as_json: bool = typer.Option(False, "--json", help="Print the scores as JSON."),
    mode: str = typer.Option("both", "--mode",
                             help="Event finders: both (rules and the learned detector), rules, model."),
) -> None:
    """Score the extractor on a labelled file (precision, recall, F1 per type; amount accuracy)."""
    settings = _nlp_settings()
    from trustwatch.nlp.evaluate import evaluate_file, format_report
    from trustwatch.pipelines import shared_pipeline

    if mode not in ("both", "rules", "model"):
        fail(f"--mode must be both, rules or model, not {mode!r}", code=2)
    nlp = shared_pipeline(model or settings.model, model_mode=mode)
    report = evaluate_file(gold, model=model or settings.model, nlp=nlp)
    if as_json:
        typer.echo(json.dumps(report.as_dict(), indent=2))
    else:
        typer.echo(format_report(report, show_errors=show_errors))


@app.command("eval-casie")
def eval_casie_command(
    casie_dir: Optional[Path] = typer.Option(None, "--casie-dir",
                                             help="CASIE folder (default: ../shared/corpus/annotated/casie)."),
    limit: Optional[int] = typer.Option(None, "--limit", min=1, help="Only the first N documents."),
    model: Optional[str] = typer.Option(None, "--model", help="spaCy model (default: config nlp.model)."),
    show_errors: bool = typer.Option(False, "--show-errors", help="List the misclassified documents."),
) -> None:
    """Document-level precision/recall of BREACH on CASIE (Databreach vs its other event types)."""
    settings = _nlp_settings()
    from trustwatch.nlp.casie import evaluate_casie

    if casie_dir is None:
        casie_dir = shared_dir() / "corpus" / "annotated" / "casie"
    if not casie_dir.is_dir():
        fail(f"{casie_dir}: no CASIE folder (use --casie-dir)", code=2)
    report = evaluate_casie(casie_dir, model=model or settings.model, limit=limit)
    d = report.as_dict()
    typer.echo(f"CASIE BREACH (document level): precision {d['precision']:.3f}  recall {d['recall']:.3f}  "
               f"F1 {d['f1']:.3f}  (tp {d['tp']}, fp {d['fp']}, fn {d['fn']}, tn {d['tn']}; "
               f"{d['documents']} documents, {d['positives']} with a Databreach)")
    if show_errors:
        typer.echo("false positives: " + " ".join(report.false_positives))
        typer.echo("false negatives: " + " ".join(report.false_negatives))


@app.command("eval-duee")
def eval_duee_command(
    duee_dir: Optional[Path] = typer.Option(None, "--duee-dir",
                                            help="DuEE folder (default: ../shared/corpus/annotated/duee)."),
    limit: Optional[int] = typer.Option(None, "--limit", min=1,
                                        help="Only N documents with a mapped event (and N without)."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Seed drawing the negative documents."),
    model: Optional[str] = typer.Option(None, "--model", help="spaCy model (default: config nlp.model)."),
    show_errors: bool = typer.Option(False, "--show-errors", help="List the missed and false events."),
    as_json: bool = typer.Option(False, "--json", help="Print the scores as JSON."),
) -> None:
    """Per-type precision/recall of FINE, APOLOGY, LAWSUIT, INVESTIGATION and BAN on DuEE (Chinese)."""
    settings = _nlp_settings()
    from trustwatch.nlp.duee import DEFAULT_SEED, evaluate_duee, format_report

    if duee_dir is None:
        duee_dir = shared_dir() / "corpus" / "annotated" / "duee"
    if not duee_dir.is_dir():
        fail(f"{duee_dir}: no DuEE folder (use --duee-dir)", code=2)
    try:
        report = evaluate_duee(duee_dir, model=model or settings.model, limit=limit,
                               seed=DEFAULT_SEED if seed is None else seed)
    except FileNotFoundError as exc:
        fail(str(exc), code=2)
    if as_json:
        typer.echo(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
    else:
        typer.echo(format_report(report, show_errors=show_errors))


@app.command("train")
def train_command(
    train: Optional[Path] = typer.Option(None, "--train", help="Labelled training file (default: ../shared/eval/train.jsonl)."),
    dev: Optional[Path] = typer.Option(None, "--dev", help="Labelled dev file scored after training (default: ../shared/eval/dev.jsonl)."),
    folds: int = typer.Option(5, "--folds", min=0, help="Cross-validation folds (0: none)."),
    cv_only: bool = typer.Option(False, "--cv-only", help="Print the cross-validation figures; keep the current weights."),
    output: Optional[Path] = typer.Option(None, "--output", help="Where the weights go (default: inside the package)."),
) -> None:
    """Rebuild the learned event detector: cross-validation, thresholds, ablation, final weights."""
    from trustwatch.nlp.crossval import run_training
    from trustwatch.nlp.event_model import DEFAULT_MODEL_DIR

    train = train or shared_dir() / "eval" / "train.jsonl"
    dev = dev or shared_dir() / "eval" / "dev.jsonl"
    if not train.is_file():
        fail(f"{train}: no labelled training file (use --train or TRUSTWATCH_SHARED)", code=2)
    run_training(train, dev if dev.is_file() else None, k=folds, cross_validate=folds > 1,
                 output=output or DEFAULT_MODEL_DIR, write=not cv_only, echo=typer.echo)
