"""Roles respect types: a party is an actor, a named entity or a noun phrase headed by a party
noun; never a sum, an abstract noun or a news outlet named as the source of the report."""
from __future__ import annotations

import pytest
import spacy

from trustwatch.nlp.events import EventExtractor
from trustwatch.nlp.lexicon import load_lexicon

from tests.nlp.test_components_units import parsed


@pytest.fixture(scope="module")
def nlp():
    return spacy.blank("en")


@pytest.fixture(scope="module")
def events():
    return EventExtractor(load_lexicon())


@pytest.mark.parametrize("text, expected", [
    ("Reuters", True), ("the Reuters news agency", True), ("a PC Gamer report", True),
    ("404 Media", True), ("Engadget's", True), ("新华社", True),
    ("Acme Corp", False), ("Meta", False), ("JD.com", False), ("the seller", False),
])
def test_outlets_are_data(text, expected):
    assert load_lexicon().is_outlet(text) is expected


def test_an_outlet_after_according_to_is_not_the_actor(nlp, events):
    doc = parsed(nlp, [
        ("Zeta", 2, "nsubjpass", "PROPN", "NNP", "Zeta"),
        ("was", 2, "auxpass", "AUX", "VBD", "be"),
        ("banned", 2, "ROOT", "VERB", "VBN", "ban"),
        (",", 2, "punct", "PUNCT", ",", ","),
        ("according", 2, "prep", "VERB", "VBG", "accord"),
        ("to", 4, "prep", "ADP", "IN", "to"),
        ("Wired", 5, "pobj", "PROPN", "NNP", "Wired", False),
        (".", 2, "punct", "PUNCT", ".", "."),
    ], ents=[(0, 1, "ORG"), (6, 7, "ORG")])
    evs = events(doc)._.trustwatch_events
    assert [e["target"]["text"] for e in evs] == ["Zeta"]
    assert all(e["actor"] is None for e in evs)


def test_an_outlet_that_sues_is_a_party(nlp, events):
    doc = parsed(nlp, [
        ("Wired", 1, "nsubj", "PROPN", "NNP", "Wired"),
        ("sued", 1, "ROOT", "VERB", "VBD", "sue"),
        ("Zeta", 1, "dobj", "PROPN", "NNP", "Zeta", False),
        (".", 1, "punct", "PUNCT", ".", "."),
    ], ents=[(0, 1, "ORG"), (2, 3, "ORG")])
    (ev,) = events(doc)._.trustwatch_events
    assert ev["type"] == "LAWSUIT" and ev["actor"]["text"] == "Wired" and ev["target"]["text"] == "Zeta"


def test_a_sum_is_never_the_fined_party(nlp, events):
    doc = parsed(nlp, [
        ("Regulators", 1, "nsubj", "NOUN", "NNS", "regulator"),
        ("fined", 1, "ROOT", "VERB", "VBD", "fine"),
        ("11m", 3, "nummod", "NUM", "CD", "11m"),
        ("euros", 1, "dobj", "NOUN", "NNS", "euro", False),
        (".", 1, "punct", "PUNCT", ".", "."),
    ])
    assert events(doc)._.trustwatch_events == []


def test_a_name_inside_a_sum_phrase_is_the_party(nlp, events):
    # the small model's parse of "fined Shein 1 million euros": the name hangs on "euros"
    doc = parsed(nlp, [
        ("Regulators", 1, "nsubj", "NOUN", "NNS", "regulator"),
        ("fined", 1, "ROOT", "VERB", "VBD", "fine"),
        ("Shein", 5, "nmod", "PROPN", "NNP", "Shein"),
        ("1", 4, "compound", "NUM", "CD", "1"),
        ("million", 5, "nummod", "NUM", "CD", "million"),
        ("euros", 1, "dobj", "NOUN", "NNS", "euro", False),
        (".", 1, "punct", "PUNCT", ".", "."),
    ], ents=[(2, 5, "ORG")])
    (ev,) = events(doc)._.trustwatch_events
    assert ev["type"] == "FINE" and ev["target"]["text"] == "Shein"


def test_an_abstract_noun_is_not_a_party(nlp, events):
    doc = parsed(nlp, [
        ("Critics", 1, "nsubj", "NOUN", "NNS", "critic"),
        ("accused", 1, "ROOT", "VERB", "VBD", "accuse"),
        ("the", 3, "det", "DET", "DT", "the"),
        ("methods", 1, "dobj", "NOUN", "NNS", "method"),
        ("of", 1, "prep", "ADP", "IN", "of"),
        ("fraud", 4, "pobj", "NOUN", "NN", "fraud", False),
        (".", 1, "punct", "PUNCT", ".", "."),
    ])
    assert events(doc)._.trustwatch_events == []


def test_a_law_is_not_a_party(nlp, events):
    doc = parsed(nlp, [
        ("Acme", 1, "nsubj", "PROPN", "NNP", "Acme"),
        ("sued", 1, "ROOT", "VERB", "VBD", "sue"),
        ("Local", 4, "compound", "PROPN", "NNP", "Local"),
        ("Law", 4, "compound", "PROPN", "NNP", "Law"),
        ("124", 1, "dobj", "NUM", "CD", "124", False),
        (".", 1, "punct", "PUNCT", ".", "."),
    ], ents=[(0, 1, "ORG"), (2, 5, "LAW")])
    assert events(doc)._.trustwatch_events == []
