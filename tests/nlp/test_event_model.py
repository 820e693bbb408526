"""The learned event detector: candidates, pair words, training labels, combination with rules."""
from __future__ import annotations

import spacy
from spacy.tokens import Doc

from trustwatch.nlp import components  # noqa: F401  (registers extensions)
from trustwatch.nlp.event_model import PairScore, Thresholds, combine, model_events, rule_support
from trustwatch.nlp.pairs import LABELS, doc_pairs, sentence_candidates
from trustwatch.nlp.training import evidence_span, pair_examples


def _doc(words, heads, deps, pos, ents, lemmas=None):
    nlp = spacy.blank("en")
    doc = Doc(nlp.vocab, words=words, heads=heads, deps=deps, pos=pos, ents=ents,
              lemmas=lemmas or [w.lower() for w in words], sent_starts=[True] + [False] * (len(words) - 1))
    doc._.trustwatch_events = []
    return doc


def _fine_doc():
    # "Regulators fined Acme Corp , Reuters reported ."
    words = ["Regulators", "fined", "Acme", "Corp", ",", "Reuters", "reported", "."]
    heads = [1, 6, 3, 1, 6, 6, 6, 6]
    deps = ["nsubj", "ccomp", "compound", "dobj", "punct", "nsubj", "ROOT", "punct"]
    pos = ["NOUN", "VERB", "PROPN", "PROPN", "PUNCT", "PROPN", "VERB", "PUNCT"]
    ents = ["O", "O", "B-ORG", "I-ORG", "O", "B-ORG", "O", "O"]
    return _doc(words, heads, deps, pos, ents)


def test_candidates_are_names_and_party_nouns_but_not_outlets():
    doc = _fine_doc()
    texts = [c.text for c in sentence_candidates(next(doc.sents))]
    assert "Acme Corp" in texts
    assert "Regulators" in texts  # a party noun
    assert "Reuters" not in texts  # a news agency reporting is not a party


def test_pair_words_hide_the_candidate_and_other_names():
    doc = _fine_doc()
    pairs = {c.text: w for _, c, w in doc_pairs(doc)}
    words = pairs["Acme Corp"]
    assert "ENT" in words and "acme" not in words
    assert words[words.index("ENT") - 1] == "fined"
    assert "dep_dobj" in words
    assert "anc_FINE" in words  # a FINE trigger governs the candidate
    assert "NP" in pairs["Acme Corp"][:3]  # "Regulators", another party, is a placeholder


def test_training_labels_positive_in_the_evidence_sentence_missing_elsewhere():
    doc = _fine_doc()
    gold = [{"type": "FINE", "status": "asserted", "actor": ["regulators"], "target": ["Acme"],
             "evidence": "Regulators fined Acme Corp"}]
    by_text = {}
    for (_, c, _), (_, cats) in zip(doc_pairs(doc), pair_examples(doc, gold)):
        by_text[c.text] = cats
    assert by_text["Acme Corp"]["FINE"] == 1.0
    assert by_text["Acme Corp"]["BAN"] == 0.0
    assert by_text["Regulators"]["FINE_other"] == 1.0
    assert set(by_text["Acme Corp"]) == set(LABELS)
    # the same party under a hypothetical label: neither taught as positive nor as negative
    gold[0]["status"] = "hypothetical"
    cats = dict(zip([c.text for _, c, _ in doc_pairs(doc)],
                    [c for _, c in pair_examples(doc, gold)]))["Acme Corp"]
    assert "FINE" not in cats


def test_evidence_found_despite_different_spacing():
    text = "Title\n\nRegulators fined\nAcme Corp on Monday."
    assert evidence_span(text, "Regulators fined Acme Corp on Monday.") == (7, len(text))
    assert evidence_span(text, "Something else entirely") is None


def _scores(doc, probs_by_text):
    return [PairScore(s, c, {**{l: 0.0 for l in LABELS}, **probs_by_text.get(c.text, {})})
            for s, c, _ in doc_pairs(doc)]


def test_rule_events_the_model_contradicts_are_dropped_and_confident_model_events_added():
    doc = _fine_doc()
    sent = next(doc.sents)
    rule = {"type": "BAN", "status": "asserted", "actor": None,
            "target": {"text": "Acme Corp", "id": None}, "amount": None, "date": None,
            "reason": None, "trigger": "fined", "sentence": sent.text, "start": sent.start_char,
            "end": sent.end_char, "confidence": 0.7}
    scores = _scores(doc, {"Acme Corp": {"FINE": 0.9, "BAN": 0.01}, "Regulators": {"FINE_other": 0.8}})
    th = Thresholds(event=0.5, counterpart=0.3, rule_floor=0.05)
    assert rule_support(rule, scores) == 0.01
    out = combine([rule], scores, doc, th)
    assert [e["type"] for e in out] == ["FINE"]
    assert out[0]["target"]["text"] == "Acme Corp" and out[0]["actor"]["text"] == "Regulators"
    # rules alone keep the rule event; a well-supported rule event is kept by both
    assert [e["type"] for e in combine([rule], scores, doc, th, use_model=False)] == ["BAN"]
    scores = _scores(doc, {"Acme Corp": {"BAN": 0.4}})
    assert [e["type"] for e in combine([rule], scores, doc, th)] == ["BAN"]


def test_model_events_one_per_type_and_key():
    doc = _fine_doc()
    scores = _scores(doc, {"Acme Corp": {"FINE": 0.7, "LAWSUIT": 0.2}})
    evs = model_events(doc, scores, Thresholds(event=0.5))
    assert [(e["type"], e["target"]["text"]) for e in evs] == [("FINE", "Acme Corp")]
    assert evs[0]["start"] == 0 and evs[0]["sentence"].startswith("Regulators fined")
    assert doc.text[evs[0]["start"]:evs[0]["end"]] == evs[0]["sentence"]  # no trailing space
