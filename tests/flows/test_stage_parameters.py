"""Stage functions are parameters with the real functions as defaults: stand-ins are passed in."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from trustwatch.records import DocInput


@dataclass
class StandInEvent:
    doc_id: str
    nlp: str

    def to_json_dict(self) -> dict:
        return {"doc_id": self.doc_id, "nlp": self.nlp}


def test_a_batch_is_extracted_by_the_given_extractor_with_one_pipeline_per_model():
    from trustwatch.flows.extraction import extract_batch

    loads = []

    def load(model):
        loads.append(model)
        return f"pipeline of {model}"

    def extract(docs, *, model, batch_size, nlp):
        for doc in docs:  # an event of another document must not be attached to this one
            yield doc, [StandInEvent(doc.doc_id, nlp), StandInEvent("elsewhere", nlp)]

    docs = [DocInput(doc_id="a", text="x"), DocInput(doc_id="b", text="y")]
    first = extract_batch(docs, "stand-in-model", 2, extract=extract, load=load)
    again = extract_batch(docs[:1], "stand-in-model", 2, extract=extract, load=load)
    assert first == [{"doc_id": "a", "events": [{"doc_id": "a", "nlp": "pipeline of stand-in-model"}]},
                     {"doc_id": "b", "events": [{"doc_id": "b", "nlp": "pipeline of stand-in-model"}]}]
    assert [r["doc_id"] for r in again] == ["a"]
    assert loads == ["stand-in-model"]


def test_pending_documents_are_read_through_the_given_functions():
    from trustwatch.flows.extraction import read_pending

    calls = []

    def pending(con, version, limit):
        calls.append(("pending", con, version, limit))
        return ["d2", "d1"]

    def inputs(con, ids, max_chars):
        calls.append(("inputs", ids, max_chars))
        return [DocInput(doc_id=i) for i in ids]

    docs = read_pending("con", "v1", 500, 10, sync_actors=lambda con: calls.append(("sync", con)),
                        pending=pending, inputs=inputs)
    assert [d.doc_id for d in docs] == ["d2", "d1"]
    assert calls == [("sync", "con"), ("pending", "con", "v1", 10), ("inputs", ["d2", "d1"], 500)]
    nothing = read_pending("con", "v1", 500, sync_actors=lambda con: None,
                           pending=lambda con, version, limit: [], inputs=lambda *a: pytest.fail("read"))
    assert nothing == []


def test_the_crawl_worker_runs_the_real_crawler_unless_told_otherwise():
    from trustwatch.flows.crawl_worker import import_crawler
    from trustwatch.ingest import crawl_sources
    from tests.flows.standins import crawl_that_crashes

    assert import_crawler(None) is crawl_sources
    assert import_crawler("tests.flows.standins:crawl_that_crashes") is crawl_that_crashes
    with pytest.raises(ValueError, match="module:function"):
        import_crawler("tests.flows.standins.crawl_that_crashes")
    with pytest.raises(ValueError, match="no function 'nope'"):
        import_crawler("tests.flows.standins:nope")
