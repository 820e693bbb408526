"""Language routing in extract_docs: Chinese documents go to the Chinese pipeline, in input
order, with the same DocEvents meaning (failed / skipped) as English ones."""
import spacy
from spacy.language import Language
from spacy.tokens import Doc

from trustwatch.nlp.extract import extract_docs
from trustwatch.records import DocInput

if not Doc.has_extension("trustwatch_events"):
    Doc.set_extension("trustwatch_events", default=None)


@Language.component("test_zh_routing_marker")
def _marker(doc):
    """Stands in for the English pipeline: one fake BLOCK per document it sees."""
    doc._.trustwatch_events = [{
        "type": "BLOCK", "status": "asserted", "actor": None, "target": {"text": "english", "id": None},
        "amount": None, "date": None, "reason": None, "trigger": "x", "sentence": doc.text,
        "start": 0, "end": len(doc.text), "confidence": 0.5}]
    return doc


@Language.component("test_zh_routing_boom")
def _boom(doc):
    raise RuntimeError("segmenter exploded")


def english_stub():
    nlp = spacy.blank("en")
    nlp.add_pipe("test_zh_routing_marker")
    return nlp


def docs():
    return [
        DocInput(doc_id="en1", text="Kuaishou blocks links to Taobao.", published="2022-02-24"),
        DocInput(doc_id="zh1", text="快手宣布，将于3月1日起屏蔽淘宝链接。", published="2022-02-24"),
        DocInput(doc_id="tw1", text="網絡主播平榮被廣州市稅務局罰款6203萬元。", published="2022-02-24",
                 language="zh-TW"),
        DocInput(doc_id="en2", text="JD.com was fined.", published="2022-02-24", language="en"),
        DocInput(doc_id="ru1", text="Привет мир, это обычный текст.", published="2022-02-24"),
        DocInput(doc_id="zh2", text="", language="zh"),
    ]


def test_mixed_batch_keeps_order_and_routes_by_language():
    out = list(extract_docs(docs(), nlp=english_stub(), batch_size=2))
    assert [d.doc_id for d, _ in out] == ["en1", "zh1", "tw1", "en2", "ru1", "zh2"]
    by = {d.doc_id: ev for d, ev in out}
    assert [e.target.text for e in by["en1"]] == ["english"]
    assert [e.target.text for e in by["en2"]] == ["english"]
    zh1 = by["zh1"]
    assert [(e.type, e.status, e.actor.id, e.target.id) for e in zh1] == \
        [("BLOCK", "planned", "kuaishou", "taobao")]
    assert [(e.type, e.target.text, e.amount.value) for e in by["tw1"]] == [("FINE", "平榮", 62_030_000)]
    assert by["ru1"] == [] and by["ru1"].skipped and not by["ru1"].failed
    assert by["zh2"] == [] and by["zh2"].skipped == "empty text"


def test_a_stated_language_beats_the_script():
    """Only zh* (or no language and a mostly-Han text) goes to the Chinese pipeline: a text
    stated to be English stays with the English side, which skips a non-Latin script."""
    doc = DocInput(doc_id="x", text="快手宣布屏蔽淘宝链接。", language="en")
    [(_, events)] = list(extract_docs([doc], nlp=english_stub()))
    assert events == [] and events.skipped and events.skipped.startswith("not English")


def test_exception_in_the_chinese_pipeline_marks_the_document_failed():
    bad = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
    bad.add_pipe("test_zh_routing_boom")
    out = list(extract_docs(docs()[:3], nlp=english_stub(), zh_nlp=bad))
    by = {d.doc_id: ev for d, ev in out}
    assert by["zh1"].failed and "segmenter exploded" in by["zh1"].error and by["zh1"] == []
    assert by["tw1"].failed
    assert not by["en1"].failed and len(by["en1"]) == 1  # the rest of the batch goes on


def test_chinese_pipeline_is_loaded_once():
    from trustwatch.nlp.zh.pipeline import get_zh_pipeline

    assert get_zh_pipeline() is get_zh_pipeline()
    assert get_zh_pipeline().tokenizer.segmenter == "jieba"
