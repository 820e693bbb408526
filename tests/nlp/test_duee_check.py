"""DuEE as an external check of the Chinese extractor: reading, selection, CJK key matching,
per-type scoring, the command, and (with the shared corpus) the real platform-trust subset."""
from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from typer.testing import CliRunner

from trustwatch.cli import app
from trustwatch.nlp import duee
from trustwatch.nlp.duee import (SCORED_TYPES, evaluate_duee, key_match, normalize, read_duee,
                                 select_documents)
from trustwatch.nlp.extract import DocEvents
from trustwatch.records import Event, Party

FIXTURE = Path(__file__).parent / "fixtures" / "duee"


def _event(doc_id: str, type_: str, key: str, status: str = "asserted") -> Event:
    role = "actor" if type_ in ("APOLOGY", "COMPENSATION") else "target"
    return Event(doc_id=doc_id, type=type_, status=status, sentence="s", start=0, end=1,
                 **{role: Party(text=key)})


def _extractor(predict):
    """An extractor that yields `predict(doc)` for each document, in input order."""
    seen = []

    def run(inputs):
        for doc in inputs:
            seen.append(doc)
            yield doc, DocEvents(predict(doc))
    run.seen = seen
    return run


def _oracle(doc):
    gold = {d.doc_id: d for d in read_duee(FIXTURE)}[doc.doc_id]
    return [_event(doc.doc_id, g.type, g.keys[0]) for g in gold.events if g.keys]


def test_documents_are_grouped_mapped_and_deduplicated_and_a_bad_line_is_logged(caplog):
    with caplog.at_level(logging.WARNING, logger="trustwatch.nlp.duee"):
        docs = {d.doc_id: d for d in read_duee(FIXTURE)}
    assert "line 9 skipped" in caplog.text
    assert len(docs) == 13
    assert [(g.type, g.keys) for g in docs["fx-d3"].events] == [
        ("LAWSUIT", ("短视频博主阿远",)), ("INVESTIGATION", ("蓝鲸视频",))]
    assert [(g.type, g.keys) for g in docs["fx-d4"].events] == [("BAN", ("飞鸟科技", "闪借App"))]
    assert [g.keys for g in docs["fx-d5"].events] == [()]  # a 下架 without its key roles
    assert len(docs["fx-d6"].events) == 1  # the same 立案 labelled twice is one event
    assert docs["fx-d2"].events[0].keys == ("云帆旅行",)  # APOLOGY keyed on the apologiser
    assert not docs["fx-n1"].positive and docs["fx-n1"].other_types == {"竞赛行为-禁赛"}


def test_missing_events_file_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="duee_dev_events.jsonl"):
        read_duee(tmp_path)


def test_selection_takes_every_positive_and_as_many_seeded_negatives():
    docs = read_duee(FIXTURE)
    chosen = select_documents(docs, seed=7)
    positives = [d for d in chosen if d.positive]
    assert len(positives) == 6 and len(chosen) == 12
    assert [d.doc_id for d in chosen] == [d.doc_id for d in select_documents(docs, seed=7)]
    negative_sets = {tuple(d.doc_id for d in select_documents(docs, seed=s) if not d.positive)
                     for s in range(20)}
    assert len(negative_sets) > 1  # the seed, not the file order, picks the negatives
    limited = select_documents(docs, seed=7, limit=2)
    assert sum(d.positive for d in limited) == 2 and len(limited) == 4


@pytest.mark.parametrize("pred,gold,expected", [
    ("快手", "快手平台", True), ("快手平台", "快手", True), ("阿远", "短视频博主阿远", True),
    ("ＡｐｐＳｔｏｒｅ", "App Store", True), ("金石传媒。", "金石传媒", True),
    ("京东", "淘宝", False), ("其", "其公司", False), ("该公司", "某公司", False), ("", "快手", False),
])
def test_keys_match_by_containment_of_chinese_text(pred, gold, expected):
    assert key_match([pred], [gold]) is expected


def test_normalize_folds_width_case_and_punctuation():
    assert normalize("ＡＢＣ，快手 App！") == "abc快手app"


def test_a_perfect_extractor_scores_one_on_every_type_it_is_tested_on():
    report = evaluate_duee(FIXTURE, seed=7, extract=_extractor(_oracle))
    assert (report.documents, report.positives, report.negatives) == (12, 6, 6)
    assert report.keyless_gold == 1
    assert report.overall.tp == 6 and report.overall.fp == 0 and report.overall.fn == 0
    assert {t: report.per_type[t].tp for t in SCORED_TYPES} == \
        {"FINE": 1, "APOLOGY": 1, "LAWSUIT": 1, "INVESTIGATION": 2, "BAN": 1}


def test_every_document_is_sent_in_chinese():
    run = _extractor(lambda doc: [])
    evaluate_duee(FIXTURE, seed=7, extract=run)
    assert run.seen and all(d.language == "zh" and d.text for d in run.seen)


def test_wrong_keys_negated_events_duplicates_and_keyless_documents_are_counted_as_the_contract_says():
    def predict(doc):
        if doc.doc_id == "fx-d1":  # right type, wrong party: a miss and a false positive
            return [_event("fx-d1", "FINE", "江城市市场监督管理局")]
        if doc.doc_id == "fx-d2":  # negated: ignored, so the apology is missed
            return [_event("fx-d2", "APOLOGY", "云帆旅行", status="negated")]
        if doc.doc_id == "fx-d4":  # a second prediction of a matched event is ignored
            return [_event("fx-d4", "BAN", "闪借App"), _event("fx-d4", "BAN", "飞鸟科技")]
        if doc.doc_id == "fx-d5":  # cannot be judged: DuEE did not label what was removed
            return [_event("fx-d5", "BAN", "违规应用")]
        if doc.doc_id.startswith("fx-n"):  # a fine in a document without one; BREACH is not scored
            return [_event(doc.doc_id, "FINE", "某互联网大厂"), _event(doc.doc_id, "BREACH", "某互联网大厂")]
        return []
    report = evaluate_duee(FIXTURE, seed=7, extract=_extractor(predict))
    fine, apology, ban = (report.per_type[t] for t in ("FINE", "APOLOGY", "BAN"))
    assert (fine.tp, fine.fp, fine.fn) == (0, 7, 1)
    assert (apology.tp, apology.fp, apology.fn) == (0, 0, 1)
    assert (ban.tp, ban.fp, ban.fn) == (1, 0, 0)
    assert report.predictions == 1 + 2 + 1 + 6 * 1
    assert {e["doc_id"] for e in report.errors if e["kind"] == "fn"} == {"fx-d1", "fx-d2", "fx-d3", "fx-d6"}


def test_documents_the_extractor_skips_are_reported_not_hidden():
    def run(inputs):
        for doc in inputs:
            yield doc, DocEvents(skipped="language zh")
    report = evaluate_duee(FIXTURE, seed=7, extract=run)
    assert report.skipped == 12 and report.overall.fn == 6
    assert "skipped 12" in duee.format_report(report)


def test_a_document_without_a_result_is_an_error_not_a_silent_gap():
    def run(inputs):
        for n, doc in enumerate(inputs):
            if n:
                yield doc, DocEvents()
    with pytest.raises(RuntimeError, match="no result for 1 documents"):
        evaluate_duee(FIXTURE, seed=7, extract=run)


def test_the_command_prints_a_table_per_type_and_overall(monkeypatch):
    real = duee.evaluate_duee
    monkeypatch.setattr(duee, "evaluate_duee",
                        lambda d, **kw: real(d, seed=kw["seed"], limit=kw["limit"], extract=_extractor(_oracle)))
    result = CliRunner().invoke(app, ["eval-duee", "--duee-dir", str(FIXTURE)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    for name in (*SCORED_TYPES, "overall"):
        assert any(line.startswith(name) for line in lines), name
    overall = next(line for line in lines if line.startswith("overall")).split()
    assert overall[1:4] == ["6", "6", "6"] and overall[4:6] == ["1.000", "1.000"]
    as_json = CliRunner().invoke(app, ["eval-duee", "--duee-dir", str(FIXTURE), "--json"])
    assert json.loads(as_json.output)["overall"]["recall"] == 1.0


def test_the_command_rejects_a_missing_folder(tmp_path):
    result = CliRunner().invoke(app, ["eval-duee", "--duee-dir", str(tmp_path / "nope")])
    assert result.exit_code == 2


def test_the_real_extractor_returns_a_result_for_every_chinese_document():
    report = evaluate_duee(FIXTURE, seed=7)
    assert report.documents == 12 and report.failed == 0
    assert report.overall.tp + report.overall.fn == 6


@pytest.mark.corpus
def test_the_shared_duee_subset_is_read_and_scorable(corpus_dir):
    folder = corpus_dir / "annotated" / "duee"
    if not (folder / duee.EVENTS_FILE).is_file():
        pytest.skip(f"{folder / duee.EVENTS_FILE} not in the shared corpus")
    docs = read_duee(folder)
    chosen = select_documents(docs)
    positives = [d for d in chosen if d.positive]
    assert len(positives) >= 100 and len(chosen) == 2 * len(positives)
    types = {g.type for d in positives for g in d.events}
    assert types == set(SCORED_TYPES)
    for d in positives:
        for g in d.events:
            assert all(k in d.text for k in g.keys), d.doc_id
    by_id = {d.doc_id: d for d in chosen}
    report = evaluate_duee(folder, extract=_extractor(
        lambda doc: [_event(doc.doc_id, g.type, g.keys[-1]) for g in by_id[doc.doc_id].events if g.keys]))
    assert report.overall.precision == 1.0 and report.overall.recall == 1.0
    assert report.overall.tp == sum(1 for d in positives for g in d.events if g.keys)
