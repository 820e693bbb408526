"""Pairwise scoring of incident grouping, the labelled set, and duplicates found in the corpus."""
from __future__ import annotations

import importlib.util

import pytest

from trustwatch.warehouse.grouping_eval import (
    corpus_duplicates, evaluate, gold_events, key_matches, load_labelled, pairwise,
)

HAVE_EXTRACTOR = importlib.util.find_spec("trustwatch.nlp.extract") is not None


def test_pairwise_counts():
    # gold: a a b ; predicted: x x x  -> 3 predicted pairs, 1 true pair, 1 correct
    items = [("a", "x"), ("a", "x"), ("b", "x")]
    assert pairwise(items) == (1, 3, 1)
    # a split: gold a a a ; predicted x x y -> 3 true pairs, 1 predicted, 1 correct
    assert pairwise([("a", "x"), ("a", "x"), ("a", "y")]) == (3, 1, 1)
    assert pairwise([]) == (0, 0, 0)


def test_key_matching_follows_the_guidelines_rule():
    assert key_matches(["JD.com", "JD"], ["JD", None])
    assert key_matches(["Pingrong"], [None, "prov:pingrong"])
    assert key_matches(["Taobao"], ["Taobao and JD.com links", "prov:taobao-and-jd-com-links"])
    assert not key_matches(["X"], ["Roblox", "roblox"])
    assert not key_matches(["Taobao"], [None, None])
    assert key_matches([], [None, None])


def test_the_labelled_set_is_well_formed():
    docs = load_labelled()
    assert len(docs) >= 15
    assert len({d.doc_id for d in docs}) == len(docs)
    labels = {}
    for d in docs:
        events = gold_events(d)  # raises when an evidence sentence is not in the text
        assert len(events) == len(d.events)
        for e in d.events:
            labels.setdefault(e["incident"], set()).add(d.source)
    # most incidents are told by more than one outlet, or the set would test nothing
    assert sum(1 for sources in labels.values() if len(sources) > 1) >= 10


def test_grouping_of_the_labelled_events_reaches_the_target():
    score = evaluate(mode="gold")
    assert score.missed == 0 and score.items >= 40
    assert score.precision >= 0.9 and score.recall >= 0.9, score


@pytest.mark.corpus
def test_exact_duplicates_are_found_in_the_corpus(corpus_dir):
    groups = corpus_duplicates(corpus_dir)
    ids = [{article_id for article_id, _ in g} for g in groups]
    assert any({"bbc-tech-132", "bbc-tech-176"} <= g for g in ids)
    assert all(len(g) >= 2 for g in ids)


@pytest.mark.corpus
@pytest.mark.timeout(900)
@pytest.mark.skipif(not HAVE_EXTRACTOR, reason="trustwatch.nlp.extract is not installed: extract mode skipped")
def test_grouping_after_extraction_with_corpus_duplicates(corpus_dir):
    score = evaluate(mode="extract", corpus_dir=corpus_dir)
    assert score.duplicate_groups > 0 and score.items > 0
    assert score.precision >= 0.9 and score.recall >= 0.9, score
