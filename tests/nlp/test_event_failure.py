"""An exception inside the event component marks that document failed (kept pending by the
warehouse), never "no events"; the other documents of the batch keep theirs."""
from __future__ import annotations

import pytest
import spacy

from trustwatch.config import Config
from trustwatch.nlp.events import EventExtractor
from trustwatch.nlp.extract import DocEvents, extract_docs
from trustwatch.records import DocInput
from trustwatch.warehouse.process import process

from tests.warehouse.wh_helpers import add_documents, new_warehouse

BOMB = "detonator"


@pytest.fixture
def exploding(monkeypatch):
    """The event component raises on any text that contains BOMB."""
    real = EventExtractor.extract

    def extract(self, doc):
        if BOMB in doc.text:
            raise RuntimeError("rule crashed")
        return real(self, doc)

    monkeypatch.setattr(EventExtractor, "extract", extract)


def _nlp():
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("trustwatch_events")
    return nlp


def test_an_exception_in_the_component_marks_the_document_failed(exploding):
    docs = [DocInput(doc_id="a", text="Nothing happened here today.", published="2024-01-01"),
            DocInput(doc_id="b", text=f"The {BOMB} sentence.", published="2024-01-01"),
            DocInput(doc_id="c", text="Another calm day in the newsroom.", published="2024-01-01")]
    out = list(extract_docs(docs, nlp=_nlp(), batch_size=8))
    assert [d.doc_id for d, _ in out] == ["a", "b", "c"]
    by_id = {d.doc_id: ev for d, ev in out}
    assert isinstance(by_id["b"], DocEvents)
    assert by_id["b"].failed is True
    assert "rule crashed" in (by_id["b"].error or "")
    assert by_id["a"].failed is False and by_id["c"].failed is False


def test_the_warehouse_keeps_the_failed_document_pending(tmp_path, exploding):
    db = tmp_path / "wh.duckdb"
    con = new_warehouse(tmp_path)
    add_documents(con, [("calm", "src", "2024-01-02")], text="A calm day in the newsroom.")
    add_documents(con, [("boom", "src", "2024-01-03")], text=f"The {BOMB} sentence.")
    nlp = _nlp()

    def run(docs):
        return extract_docs(docs, nlp=nlp)

    cfg = Config()
    cfg.db_override = str(db)
    try:
        report = process(cfg, con, extractor=("test-1", run))
        assert any("boom" in e for e in report.errors)
        pending = con.execute(
            "SELECT doc_id FROM documents WHERE extractor_version IS NULL").fetchall()
        assert pending == [("boom",)]
    finally:
        con.close()
