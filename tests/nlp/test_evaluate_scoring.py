"""The GUIDELINES scoring: alias rule, one-to-one matching, statuses and amount tolerance."""
from __future__ import annotations

import json

import pytest

from trustwatch.nlp.evaluate import (alias_match, amount_correct, format_report, gold_inputs,
                                     read_gold, score, score_document)


def pred(type_, target=None, actor=None, status="asserted", amount=None, target_id=None):
    return {"type": type_, "status": status,
            "actor": {"text": actor, "id": None} if actor else None,
            "target": {"text": target, "id": target_id} if target else None,
            "amount": amount, "sentence": "s", "trigger": "t"}


def gold(type_, target=(), actor=(), status="asserted", amount=None):
    return {"type": type_, "status": status, "actor": list(actor), "target": list(target),
            "amount": amount, "evidence": "e"}


@pytest.mark.parametrize("predicted, aliases, expected", [
    (["JD.com"], ["JD"], True),            # gold words inside the prediction
    (["JD"], ["JD.com"], True),            # and the other way round
    (["Roblox"], ["X"], False),            # words, not substrings
    (["X"], ["Roblox"], False),
    (["the company"], ["the company"], False),   # only "company"-like words: matches nothing
    (["it"], ["it"], False),
    (["Pingrong’s Kuaishou and Weibo accounts"], ["Pingrong"], True),
    (["tax departments of Guangzhou city"], ["tax departments of Guangzhou"], True),
    (["Meta Platforms"], ["Facebook"], False),
    (["META"], ["Meta"], True),            # case-folded
])
def test_alias_rule(predicted, aliases, expected):
    assert alias_match(predicted, aliases) is expected


def test_canonical_id_counts_as_a_surface_form():
    counts, *_ = score_document([pred("BAN", target="the app", target_id="tiktok")],
                                [gold("BAN", target=["TikTok"])])
    assert counts["BAN"].tp == 1


def test_one_to_one_and_second_prediction_ignored():
    golds = [gold("BLOCK", target=["Taobao"]), gold("BLOCK", target=["JD.com", "JD"])]
    preds = [pred("BLOCK", "Taobao"), pred("BLOCK", "Taobao"), pred("BLOCK", "JD"),
             pred("BLOCK", "Pinduoduo")]
    counts, *_ = score_document(preds, golds)
    c = counts["BLOCK"]
    assert (c.tp, c.fp, c.fn) == (2, 1, 0)  # the repeated Taobao is ignored, Pinduoduo is wrong


def test_type_must_agree():
    counts, *_ = score_document([pred("BAN", "Grok")], [gold("BLOCK", target=["Grok"])])
    assert counts["BAN"].fp == 1 and counts["BLOCK"].fn == 1


def test_key_argument_is_actor_for_apology_and_compensation():
    counts, *_ = score_document(
        [pred("APOLOGY", actor="Verizon", target="customers"),
         pred("COMPENSATION", actor="customers", target="Verizon")],
        [gold("APOLOGY", actor=["Verizon"]), gold("COMPENSATION", actor=["Verizon"])])
    assert counts["APOLOGY"].tp == 1
    assert counts["COMPENSATION"].tp == 0 and counts["COMPENSATION"].fp == 1


def test_negated_and_hypothetical_predictions_are_ignored():
    counts, *_ = score_document([pred("FINE", "Acme", status="negated"),
                                 pred("FINE", "Beta", status="hypothetical")], [])
    assert counts["FINE"].fp == 0


def test_asserted_prediction_of_a_negated_gold_event_is_a_false_incident():
    counts, *_ = score_document([pred("FINE", "Acme")], [gold("FINE", target=["Acme"], status="negated")])
    assert counts["FINE"].fp == 1 and counts["FINE"].fn == 0


def test_planned_counts_like_asserted():
    counts, *_ = score_document([pred("BLOCK", "Taobao", status="asserted")],
                                [gold("BLOCK", target=["Taobao"], status="planned")])
    assert counts["BLOCK"].tp == 1


@pytest.mark.parametrize("value, currency, ok", [
    (62030000, "CNY", True), (62_300_000, "CNY", True), (62_400_000, "CNY", False),
    (62030000, "USD", False)])
def test_amount_tolerance(value, currency, ok):
    g = {"value": 62_030_000, "currency": "CNY", "text": "62.03 million yuan"}  # 0.5% = 310,150
    p = {"value": value, "currency": currency, "text": "y"}
    assert amount_correct(p, g) is ok


def test_amount_accuracy_only_on_matched_events_with_gold_amount(tmp_path):
    amount = {"value": 1_000_000, "currency": "EUR", "text": "€1m"}
    rows = [{"doc_id": "d1", "events": [gold("FINE", target=["Acme"], amount=amount),
                                        gold("FINE", target=["Beta"], amount=amount),
                                        gold("BAN", target=["Gamma"])]}]
    report = score({"d1": [pred("FINE", "Acme", amount={"value": 1_002_000, "currency": "EUR", "text": "x"}),
                           pred("BAN", "Gamma")]}, rows)
    assert report.amount_total == 1 and report.amount_correct == 1
    assert report.overall.tp == 2 and report.overall.fn == 1
    text = format_report(report, show_errors=True)
    assert "FN FINE" in text and "OVERALL" in text


def test_gold_texts_are_read_relative_to_the_gold_file(tmp_path):
    (tmp_path / "texts").mkdir()
    (tmp_path / "texts" / "a.txt").write_text("Some text.", encoding="utf-8")
    gold_file = tmp_path / "gold.jsonl"
    gold_file.write_text(json.dumps({"doc_id": "a", "text_path": "texts/a.txt", "published": "2024-01-02",
                                     "events": []}) + "\n", encoding="utf-8")
    docs = gold_inputs(gold_file, read_gold(gold_file))
    assert docs[0].text == "Some text." and docs[0].published == "2024-01-02"


@pytest.mark.parametrize("predicted, aliases, ok", [
    ("快手", ["快手科技"], True),        # Han characters are words: 快手 occurs in 快手科技
    ("北京快手科技有限公司", ["快手"], True),
    ("快手", ["手机"], False),            # one shared character is not the name
    ("淘宝", ["京东"], False),
    ("该公司", ["该公司"], False),        # a pronoun-like phrase names nobody
    ("JD.com", ["京东", "JD"], True),
])
def test_chinese_aliases_match_character_by_character(predicted, aliases, ok):
    assert alias_match([predicted], aliases) is ok


# --------------------------------------------------------------------------- diagnosis

def _sent_pred(type_, target, sentence, status="asserted", actor=None):
    p = pred(type_, target=target, actor=actor, status=status)
    p["sentence"] = sentence
    return p


def _ev_gold(type_, target, evidence, actor=()):
    g = gold(type_, target=[target], actor=actor)
    g["evidence"] = evidence
    return g


def test_diagnosis_counts_matches_on_the_diagonal_and_spurious_events_in_the_none_row():
    s = "Regulators fined Acme Corp five million dollars on Monday."
    report = score({"d": [_sent_pred("FINE", "Acme Corp", s), _sent_pred("BAN", "Zeta", s)]},
                   [{"doc_id": "d", "events": [_ev_gold("FINE", "Acme", s)]}])
    assert report.diagnosis.confusion == {"FINE": {"FINE": 1}, "none": {"BAN": 1}}
    assert sum(report.diagnosis.misses.values()) == 0


def test_a_key_predicted_with_another_type_in_the_evidence_sentence_is_a_wrong_type():
    s = "Acme was accused of selling counterfeit phones by its rivals."
    report = score({"d": [_sent_pred("LAWSUIT", "Acme", s)]},
                   [{"doc_id": "d", "events": [_ev_gold("ACCUSATION", "Acme", s)]}])
    d = report.diagnosis
    assert d.confusion["ACCUSATION"] == {"LAWSUIT": 1}
    assert d.misses["wrong_type"] == 1
    assert report.errors[0].miss_causes == ["wrong_type"]


def test_another_type_elsewhere_in_the_document_is_confusion_but_the_miss_is_no_trigger():
    report = score({"d": [_sent_pred("LAWSUIT", "Acme", "Rivals sued Acme in March.")]},
                   [{"doc_id": "d", "events": [_ev_gold("ACCUSATION", "Acme",
                                                         "Critics say Acme deceived buyers.")]}])
    d = report.diagnosis
    assert d.confusion["ACCUSATION"] == {"LAWSUIT": 1}
    assert d.misses["no_trigger"] == 1 and d.misses["wrong_type"] == 0


def test_the_right_type_in_the_evidence_sentence_with_another_key_is_a_wrong_key():
    s = "Shopline banned the seller Bob's Gadgets after complaints from buyers."
    report = score({"d": [_sent_pred("BAN", "buyers", s)]},
                   [{"doc_id": "d", "events": [_ev_gold("BAN", "Bob's Gadgets", s)]}])
    assert report.diagnosis.misses["wrong_key"] == 1
    assert report.diagnosis.misses_by_type == {"BAN": {"wrong_key": 1}}


def test_a_match_predicted_as_hypothetical_is_a_wrong_status():
    s = "Acme may be fined by the regulator."
    report = score({"d": [_sent_pred("FINE", "Acme", s, status="hypothetical")]},
                   [{"doc_id": "d", "events": [_ev_gold("FINE", "Acme", s)]}])
    assert report.diagnosis.misses["wrong_status"] == 1
    assert report.diagnosis.confusion == {"FINE": {"none": 1}}


def test_no_prediction_in_the_evidence_sentence_is_no_trigger_and_other_sentences_do_not_count():
    report = score({"d": [_sent_pred("BAN", "Zeta", "Zeta was banned from the store.")]},
                   [{"doc_id": "d", "events": [_ev_gold("BREACH", "Acme",
                                                         "Hackers stole data from Acme's servers.")]}])
    assert report.diagnosis.misses["no_trigger"] == 1


def test_diagnosis_is_printed_and_in_the_json():
    s = "Acme was accused of fraud."
    report = score({"d": [_sent_pred("LAWSUIT", "Acme", s)]},
                   [{"doc_id": "d", "events": [_ev_gold("ACCUSATION", "Acme", s)]}])
    text = format_report(report, show_errors=True)
    assert "confusion" in text and "misses by cause (1)" in text and "[wrong_type]" in text
    d = json.loads(json.dumps(report.as_dict()))
    assert d["diagnosis"]["misses"]["wrong_type"] == 1
    assert d["diagnosis"]["confusion"]["ACCUSATION"]["LAWSUIT"] == 1
