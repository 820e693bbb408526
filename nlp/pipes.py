"""The spaCy components trustwatch adds to a model: `trustwatch_actors` (the actor gazetteer as
a span ruler ahead of the statistical NER, which alone calls Kuaishou a person and Weibo a
place), `trustwatch_paragraphs` (headlines and paragraphs start sentences) and
`trustwatch_events` (trigger lexicon -> incident events). Importing this module registers them.
"""
from __future__ import annotations

import logging
from typing import Optional

from spacy.language import Language
from spacy.pipeline import SpanRuler
from spacy.tokens import Doc

from trustwatch.nlp.events import EventExtractor
from trustwatch.nlp.lexicon import lexicon_from_data, load_lexicon
from trustwatch.nlp.parties import actor_index, lookup_id

log = logging.getLogger(__name__)


@Language.factory(
    "trustwatch_actors",
    default_config={"patterns": None, "overwrite": True, "phrase_matcher_attr": None},
)
def make_actor_ruler(nlp: Language, name: str, patterns: Optional[list[dict]],
                     overwrite: bool, phrase_matcher_attr: Optional[str]) -> SpanRuler:
    """A span ruler labelling gazetteer actors as ACTOR entities with their canonical id.

    `patterns` given inline replace the gazetteer (used by tests); with `overwrite` the
    gazetteer wins where it overlaps the statistical NER.
    """
    from spacy.pipeline.span_ruler import (prioritize_existing_ents_filter,
                                           prioritize_new_ents_filter)
    ruler = _ActorRuler(
        nlp, name, spans_key=None, annotate_ents=True, overwrite=False,
        ents_filter=prioritize_new_ents_filter if overwrite else prioritize_existing_ents_filter,
        phrase_matcher_attr=phrase_matcher_attr,
    )
    if patterns is None:
        patterns = gazetteer_patterns()
    if patterns:
        ruler.add_patterns(patterns)
    return ruler


class _ActorRuler(SpanRuler):
    """A span ruler that passes documents through untouched while it has no patterns."""

    def __call__(self, doc: Doc) -> Doc:
        if not self._patterns:
            return doc
        return super().__call__(doc)


@Language.component("trustwatch_paragraphs")
def mark_paragraphs(doc: Doc) -> Doc:
    """Start a sentence after a line break that ends a title or a paragraph, so that a headline
    is never parsed as one sentence with the article's first line."""
    n = len(doc)
    for i, token in enumerate(doc):
        if "\n" not in token.text_with_ws or i + 1 >= n:
            continue
        j = i + 1
        while j < n and doc[j].is_space:
            j += 1
        if j >= n:
            continue
        prev = token if not token.is_space else (doc[i - 1] if i > 0 else None)
        blank_line = token.text_with_ws.count("\n") >= 2 or (token.is_space and token.text.count("\n") >= 2)
        ends = prev is not None and prev.text[-1:] in ".!?:\"”’)"
        nxt = doc[j]
        if blank_line or ends or nxt.is_title or nxt.is_upper:
            nxt.is_sent_start = True
    return doc


def gazetteer_patterns() -> list[dict]:
    """The gazetteer's span-ruler patterns; none (and a log line) when it cannot be read."""
    try:
        from trustwatch.nlp.gazetteer import actor_patterns
    except ImportError:
        log.warning("actor gazetteer not available: actors come from the statistical NER only")
        return []
    try:
        return list(actor_patterns())
    except Exception as exc:  # noqa: BLE001 - a broken data file must not stop extraction
        log.error("actor gazetteer could not be loaded (%s): actors come from the NER only", exc)
        return []


@Language.factory(
    "trustwatch_events",
    default_config={"triggers_file": "triggers.jsonl", "cues_file": "cues.json",
                    "min_confidence": 0.0, "max_events_per_doc": 200, "sport_guard": True,
                    "triggers": None},
)
def make_event_extractor(nlp: Language, name: str, triggers_file: str, cues_file: str,
                         min_confidence: float, max_events_per_doc: int, sport_guard: bool,
                         triggers: Optional[list[dict]]) -> "EventExtractor":
    lex = lexicon_from_data(triggers, None) if triggers is not None else load_lexicon(triggers_file, cues_file)
    # warm the gazetteer caches here, so that forked worker processes inherit them
    actor_index()
    lookup_id("Kuaishou")
    return EventExtractor(lex, min_confidence=min_confidence,
                          max_events_per_doc=max_events_per_doc, sport_guard=sport_guard)


