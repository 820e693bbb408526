"""The Chinese pipeline: spacy.blank("zh") with jieba, the actor ruler and the rule components.

Loads offline from PyPI packages only (no pkuseg model download, no zh_core_web_sm stub), once
per process (`get_zh_pipeline`).
"""
from __future__ import annotations

import threading
from typing import Optional

import spacy
from spacy.language import Language

from trustwatch.nlp.zh import rules  # noqa: F401  (registers the factories)
from trustwatch.nlp.zh.entities import ruler_patterns, setup_segmenter

RULER_KEY = "trustwatch_zh_actors"
_cached: Optional[Language] = None
_lock = threading.Lock()


def load_zh_pipeline() -> Language:
    """A fresh Chinese pipeline: normalize -> actor span ruler -> entities -> events."""
    setup_segmenter()
    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
    nlp.add_pipe("trustwatch_zh_normalize")
    ruler = nlp.add_pipe("span_ruler", name="trustwatch_zh_actors",
                         config={"spans_key": RULER_KEY, "overwrite": True})
    ruler.add_patterns(ruler_patterns())
    nlp.add_pipe("trustwatch_zh_entities", config={"ruler_key": RULER_KEY})
    nlp.add_pipe("trustwatch_zh_events")
    return nlp


def get_zh_pipeline() -> Language:
    """The process-wide Chinese pipeline, loaded on first use."""
    global _cached
    with _lock:
        if _cached is None:
            _cached = load_zh_pipeline()
        return _cached


def extract_zh(text: str, published=None, nlp: Optional[Language] = None) -> list[dict]:
    """Event dicts of one Chinese text (offsets into `text`); exceptions propagate."""
    nlp = nlp or get_zh_pipeline()
    doc = nlp.make_doc(text)
    doc._.trustwatch_published = published
    for _name, proc in nlp.pipeline:
        doc = proc(doc)
    return list(doc._.trustwatch_events or [])
