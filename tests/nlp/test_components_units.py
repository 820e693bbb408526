"""The spaCy components on `spacy.blank("en")`: hand-built parses and inline patterns, so
the rules are tested without the statistical model."""
from __future__ import annotations

import pytest
import spacy
from spacy.tokens import Doc

import trustwatch.nlp.components  # noqa: F401  (registers the factories)
from trustwatch.nlp.components import EventExtractor, lexicon_from_data, load_lexicon, merge_events


def parsed(nlp, rows, ents=()):
    """A Doc from rows of (word, head, dep, pos, tag, lemma[, space]); ents as (start, end, label)."""
    words = [r[0] for r in rows]
    spaces = [r[6] if len(r) > 6 else True for r in rows]
    doc = Doc(nlp.vocab, words=words, spaces=spaces, heads=[r[1] for r in rows],
              deps=[r[2] for r in rows], pos=[r[3] for r in rows], tags=[r[4] for r in rows],
              lemmas=[r[5] for r in rows])
    doc.ents = [doc.char_span(doc[s].idx, doc[e - 1].idx + len(doc[e - 1]), label=l) for s, e, l in ents]
    return doc


@pytest.fixture(scope="module")
def nlp():
    return spacy.blank("en")


@pytest.fixture(scope="module")
def events():
    return EventExtractor(load_lexicon())


def test_actor_ruler_overrides_the_statistical_label(nlp):
    blank = spacy.blank("en")
    blank.add_pipe("trustwatch_actors", config={"patterns": [
        {"label": "ACTOR", "pattern": "Kuaishou", "id": "kuaishou"},
        {"label": "ACTOR", "pattern": [{"LOWER": "weibo"}], "id": "weibo"}]})
    doc = blank.make_doc("Kuaishou and weibo deleted the accounts.")
    doc.ents = [doc.char_span(0, 8, label="PERSON")]  # what the small model says
    doc = blank.get_pipe("trustwatch_actors")(doc)
    assert [(e.text, e.label_, e.ent_id_) for e in doc.ents] == [
        ("Kuaishou", "ACTOR", "kuaishou"), ("weibo", "ACTOR", "weibo")]


def test_actor_ruler_without_patterns_passes_documents_through():
    blank = spacy.blank("en")
    blank.add_pipe("trustwatch_actors", config={"patterns": []})
    assert [e.text for e in blank("Nothing to see here.").ents] == []


def test_paragraph_breaks_start_sentences():
    blank = spacy.blank("en")
    blank.add_pipe("trustwatch_paragraphs")
    doc = blank("Regulator fines marketplace\n\nThe marketplace was fined on Monday.")
    starts = [t.text for t in doc if t.is_sent_start]
    assert "The" in starts


def test_active_voice_with_amount_and_reason(nlp, events):
    doc = parsed(nlp, [
        ("Regulators", 1, "nsubj", "NOUN", "NNS", "regulator"),
        ("fined", 1, "ROOT", "VERB", "VBD", "fin"),           # the model's lemma for "fined"
        ("Acme", 1, "dobj", "PROPN", "NNP", "Acme"),
        ("$", 5, "nmod", "SYM", "$", "$", False),
        ("5", 5, "compound", "NUM", "CD", "5"),
        ("million", 1, "npadvmod", "NUM", "CD", "million"),
        ("for", 1, "prep", "ADP", "IN", "for"),
        ("misleading", 6, "pcomp", "VERB", "VBG", "mislead"),
        ("users", 7, "dobj", "NOUN", "NNS", "user", False),
        (".", 1, "punct", "PUNCT", ".", "."),
    ], ents=[(2, 3, "ORG"), (3, 6, "MONEY")])
    (ev,) = events(doc)._.trustwatch_events
    assert ev["type"] == "FINE" and ev["status"] == "asserted"
    assert ev["target"]["text"] == "Acme" and ev["actor"]["text"] == "Regulators"
    assert ev["amount"]["value"] == 5_000_000 and ev["amount"]["currency"] == "USD"
    assert ev["reason"] == "misleading users"
    assert doc.text[ev["start"]:ev["end"]] == ev["sentence"]


def test_passive_with_by_agent_and_negation(nlp, events):
    doc = parsed(nlp, [
        ("Acme", 3, "nsubjpass", "PROPN", "NNP", "Acme"),
        ("was", 3, "auxpass", "AUX", "VBD", "be"),
        ("not", 3, "neg", "PART", "RB", "not"),
        ("fined", 3, "ROOT", "VERB", "VBN", "fin"),
        ("by", 3, "agent", "ADP", "IN", "by"),
        ("Ofcom", 4, "pobj", "PROPN", "NNP", "Ofcom", False),
        (".", 3, "punct", "PUNCT", ".", "."),
    ], ents=[(0, 1, "ORG"), (5, 6, "ORG")])
    (ev,) = events(doc)._.trustwatch_events
    assert (ev["status"], ev["actor"]["text"], ev["target"]["text"]) == ("negated", "Ofcom", "Acme")


def test_planned_block_splits_conjoined_targets(nlp, events):
    doc = parsed(nlp, [
        ("Acme", 2, "nsubj", "PROPN", "NNP", "Acme"),
        ("will", 2, "aux", "AUX", "MD", "will"),
        ("block", 2, "ROOT", "VERB", "VB", "block"),
        ("links", 2, "dobj", "NOUN", "NNS", "link"),
        ("to", 3, "prep", "ADP", "IN", "to"),
        ("Foo", 4, "pobj", "PROPN", "NNP", "Foo"),
        ("and", 5, "cc", "CCONJ", "CC", "and"),
        ("Bar", 5, "conj", "PROPN", "NNP", "Bar", False),
        (".", 2, "punct", "PUNCT", ".", "."),
    ], ents=[(0, 1, "ORG"), (5, 6, "ORG"), (7, 8, "ORG")])
    evs = events(doc)._.trustwatch_events
    assert sorted((e["type"], e["status"], e["actor"]["text"], e["target"]["text"]) for e in evs) == [
        ("BLOCK", "planned", "Acme", "Bar"), ("BLOCK", "planned", "Acme", "Foo")]


def test_modal_makes_a_ban_hypothetical(nlp, events):
    doc = parsed(nlp, [
        ("Acme", 2, "nsubj", "PROPN", "NNP", "Acme"),
        ("may", 2, "aux", "AUX", "MD", "may"),
        ("ban", 2, "ROOT", "VERB", "VB", "ban"),
        ("Foo", 2, "dobj", "PROPN", "NNP", "Foo", False),
        (".", 2, "punct", "PUNCT", ".", "."),
    ], ents=[(0, 1, "ORG"), (3, 4, "ORG")])
    (ev,) = events(doc)._.trustwatch_events
    assert ev["status"] == "hypothetical" and ev["target"]["text"] == "Foo"


def test_the_company_resolves_to_the_preceding_actor(nlp, events):
    doc = parsed(nlp, [
        ("Acme", 1, "nsubj", "PROPN", "NNP", "Acme"),
        ("lost", 1, "ROOT", "VERB", "VBD", "lose"),
        ("data", 1, "dobj", "NOUN", "NNS", "data", False),
        (".", 1, "punct", "PUNCT", ".", "."),
        ("The", 5, "det", "DET", "DT", "the"),
        ("company", 6, "nsubj", "NOUN", "NN", "company"),
        ("apologized", 6, "ROOT", "VERB", "VBD", "apologize", False),
        (".", 6, "punct", "PUNCT", ".", "."),
    ], ents=[(0, 1, "ORG")])
    (ev,) = events(doc)._.trustwatch_events
    assert ev["type"] == "APOLOGY" and ev["actor"]["text"] == "Acme"


def test_pronoun_without_antecedent_yields_no_event(nlp, events):
    doc = parsed(nlp, [
        ("It", 1, "nsubj", "PRON", "PRP", "it"),
        ("apologized", 1, "ROOT", "VERB", "VBD", "apologize", False),
        (".", 1, "punct", "PUNCT", ".", "."),
    ])
    assert events(doc)._.trustwatch_events == []


def test_denial_governor_negates(nlp, events):
    doc = parsed(nlp, [
        ("Acme", 1, "nsubj", "PROPN", "NNP", "Acme"),
        ("denied", 1, "ROOT", "VERB", "VBD", "deny"),
        ("hacking", 1, "xcomp", "VERB", "VBG", "hack"),
        ("Foo", 2, "dobj", "PROPN", "NNP", "Foo", False),
        (".", 1, "punct", "PUNCT", ".", "."),
    ], ents=[(0, 1, "ORG"), (3, 4, "ORG")])
    (ev,) = events(doc)._.trustwatch_events
    assert ev["type"] == "BREACH" and ev["status"] == "negated"


def test_inline_trigger_lexicon(nlp):
    lex = lexicon_from_data([{"type": "BAN", "pos": "VERB", "forms": ["zap", "zapped"],
                              "roles": {"nsubj": "actor", "dobj": "target"}}])
    doc = parsed(nlp, [
        ("Acme", 1, "nsubj", "PROPN", "NNP", "Acme"),
        ("zapped", 1, "ROOT", "VERB", "VBD", "zap"),
        ("Foo", 1, "dobj", "PROPN", "NNP", "Foo", False),
        (".", 1, "punct", "PUNCT", ".", "."),
    ], ents=[(0, 1, "ORG"), (2, 3, "ORG")])
    (ev,) = EventExtractor(lex)(doc)._.trustwatch_events
    assert (ev["type"], ev["actor"]["text"], ev["target"]["text"]) == ("BAN", "Acme", "Foo")


def test_events_factory_accepts_inline_triggers():
    blank = spacy.blank("en")
    pipe = blank.add_pipe("trustwatch_events", config={"triggers": [
        {"type": "FINE", "pos": "VERB", "forms": ["zonk"], "roles": {"dobj": "target"}}]})
    assert set(pipe.lex.by_form) == {"zonk"}


def test_sports_coverage_is_not_an_incident(nlp):
    rows = [("Jones", 2, "nsubjpass", "PROPN", "NNP", "Jones"),
            ("was", 2, "auxpass", "AUX", "VBD", "be"), ("banned", 2, "ROOT", "VERB", "VBN", "ban"),
            ("after", 2, "prep", "ADP", "IN", "after"), ("the", 6, "det", "DET", "DT", "the"),
            ("league", 6, "compound", "NOUN", "NN", "league"), ("match", 3, "pobj", "NOUN", "NN", "match"),
            ("and", 2, "cc", "CCONJ", "CC", "and"), ("missed", 2, "conj", "VERB", "VBD", "miss"),
            ("the", 10, "det", "DET", "DT", "the"), ("season", 8, "dobj", "NOUN", "NN", "season"),
            ("and", 10, "cc", "CCONJ", "CC", "and"), ("the", 13, "det", "DET", "DT", "the"),
            ("cup", 10, "conj", "NOUN", "NN", "cup", False), (".", 2, "punct", "PUNCT", ".", ".")]
    lex = load_lexicon()
    unguarded = EventExtractor(lex, sport_guard=False)(parsed(nlp, rows, ents=[(0, 1, "PERSON")]))
    assert [e["target"]["text"] for e in unguarded._.trustwatch_events] == ["Jones"]
    guarded = EventExtractor(lex)(parsed(nlp, rows, ents=[(0, 1, "PERSON")]))
    assert guarded._.trustwatch_events == []


def _ev(target, status="asserted", amount=None, actor=None, date=None):
    return {"type": "FINE", "status": status, "actor": actor, "target": {"text": target, "id": None},
            "amount": amount, "date": date, "reason": None, "trigger": "fined", "sentence": target,
            "start": 0, "end": 1, "confidence": 0.5}


def test_merge_keeps_one_event_per_key_with_the_best_roles():
    amount = {"value": 1.0, "currency": "EUR", "text": "€1"}
    merged = merge_events([_ev("Acme"), _ev("Acme Corp", amount=amount),
                           _ev("Acme", actor={"text": "Ofcom", "id": None}), _ev("Beta")])
    assert len(merged) == 2
    acme = next(e for e in merged if "Acme" in e["target"]["text"])
    assert acme["amount"] == amount and acme["actor"]["text"] == "Ofcom"


def test_merge_prefers_asserted_over_hypothetical_and_keeps_the_first_amount():
    first = {"value": 2.0, "currency": "USD", "text": "$2"}
    merged = merge_events([_ev("Acme", status="hypothetical", amount=first),
                           _ev("Acme", amount={"value": 3.0, "currency": "USD", "text": "$3"})])
    assert len(merged) == 1 and merged[0]["status"] == "asserted" and merged[0]["amount"] == first


def test_merge_keeps_different_actors_apart():
    merged = merge_events([_ev("Grok", actor={"text": "Malaysia", "id": None}),
                           _ev("Grok", actor={"text": "Indonesia", "id": None})])
    assert len(merged) == 2


def test_would_in_reported_speech_is_planned(nlp, events):
    doc = parsed(nlp, [
        ("Acme", 1, "nsubj", "PROPN", "NNP", "Acme"),
        ("said", 1, "ROOT", "VERB", "VBD", "say"),
        ("it", 4, "nsubj", "PRON", "PRP", "it"),
        ("would", 4, "aux", "AUX", "MD", "would"),
        ("refund", 1, "ccomp", "VERB", "VB", "refund"),
        ("buyers", 4, "dobj", "NOUN", "NNS", "buyer", False),
        (".", 1, "punct", "PUNCT", ".", "."),
    ], ents=[(0, 1, "ORG")])
    (ev,) = events(doc)._.trustwatch_events
    assert (ev["type"], ev["status"], ev["actor"]["text"]) == ("COMPENSATION", "planned", "Acme")


def test_a_conjoined_verb_is_not_a_governor(nlp, events):
    # "dismissed" negates what it governs ("dismissed the claims that …"), not its sibling verb
    doc = parsed(nlp, [
        ("Acme", 1, "nsubj", "PROPN", "NNP", "Acme"),
        ("dismissed", 1, "ROOT", "VERB", "VBD", "dismiss"),
        ("staff", 1, "dobj", "NOUN", "NNS", "staff"),
        ("and", 1, "cc", "CCONJ", "CC", "and"),
        ("banned", 1, "conj", "VERB", "VBD", "ban"),
        ("Foo", 4, "dobj", "PROPN", "NNP", "Foo", False),
        (".", 1, "punct", "PUNCT", ".", "."),
    ], ents=[(0, 1, "ORG"), (5, 6, "ORG")])
    (ev,) = events(doc)._.trustwatch_events
    assert (ev["type"], ev["status"], ev["target"]["text"]) == ("BAN", "asserted", "Foo")


def test_looking_into_is_an_investigation(nlp, events):
    doc = parsed(nlp, [
        ("Ofcom", 2, "nsubj", "PROPN", "NNP", "Ofcom"),
        ("is", 2, "aux", "AUX", "VBZ", "be"),
        ("looking", 2, "ROOT", "VERB", "VBG", "look"),
        ("into", 2, "prep", "ADP", "IN", "into"),
        ("Acme", 3, "pobj", "PROPN", "NNP", "Acme", False),
        (".", 2, "punct", "PUNCT", ".", "."),
    ], ents=[(0, 1, "ORG"), (4, 5, "ORG")])
    (ev,) = events(doc)._.trustwatch_events
    assert (ev["type"], ev["actor"]["text"], ev["target"]["text"]) == ("INVESTIGATION", "Ofcom", "Acme")


def test_our_account_is_not_the_platform_itself(nlp, events):
    doc = parsed(nlp, [
        ("Acme", 1, "nsubj", "PROPN", "NNP", "Acme"),
        ("suspended", 1, "ROOT", "VERB", "VBD", "suspend"),
        ("our", 4, "poss", "PRON", "PRP$", "our"),
        ("seller", 4, "compound", "NOUN", "NN", "seller"),
        ("account", 1, "dobj", "NOUN", "NN", "account", False),
        (".", 1, "punct", "PUNCT", ".", "."),
    ], ents=[(0, 1, "ORG")])
    assert events(doc)._.trustwatch_events == []


def test_first_person_in_a_quote_is_the_named_speaker(nlp, events):
    doc = parsed(nlp, [
        ('"', 2, "punct", "PUNCT", "``", '"', False),
        ("We", 2, "nsubj", "PRON", "PRP", "we"),
        ("apologise", 6, "ccomp", "VERB", "VBP", "apologise", False),
        (",", 6, "punct", "PUNCT", ",", ",", False),
        ('"', 6, "punct", "PUNCT", "''", '"'),
        ("Acme", 6, "nsubj", "PROPN", "NNP", "Acme"),
        ("said", 6, "ROOT", "VERB", "VBD", "say", False),
        (".", 6, "punct", "PUNCT", ".", "."),
    ], ents=[(5, 6, "ORG")])
    (ev,) = events(doc)._.trustwatch_events
    assert (ev["type"], ev["actor"]["text"]) == ("APOLOGY", "Acme")


def test_a_dateline_is_not_the_subject(nlp, events):
    doc = parsed(nlp, [
        ("BERLIN", 5, "nsubj", "PROPN", "NNP", "Berlin"),
        ("—", 0, "punct", "PUNCT", ":", "—"),
        ("Federal", 4, "compound", "PROPN", "NNP", "Federal"),
        ("Cartel", 4, "compound", "PROPN", "NNP", "Cartel"),
        ("Office", 5, "nsubj", "PROPN", "NNP", "Office"),
        ("imposed", 5, "ROOT", "VERB", "VBD", "impose"),
        ("a", 7, "det", "DET", "DT", "a"),
        ("fine", 5, "dobj", "NOUN", "NN", "fine"),
        ("on", 5, "prep", "ADP", "IN", "on"),
        ("Acme", 8, "pobj", "PROPN", "NNP", "Acme", False),
        (".", 5, "punct", "PUNCT", ".", "."),
    ], ents=[(0, 1, "GPE"), (2, 5, "ORG"), (9, 10, "ORG")])
    (ev,) = events(doc)._.trustwatch_events
    assert (ev["type"], ev["actor"]["text"], ev["target"]["text"]) == ("FINE", "Federal Cartel Office", "Acme")
