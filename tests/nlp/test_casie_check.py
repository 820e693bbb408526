"""CASIE as an external check: document-level BREACH against its Databreach labels."""
from __future__ import annotations

import pytest

from trustwatch.nlp.casie import evaluate_casie, read_casie

pytestmark = pytest.mark.corpus


def test_casie_documents_are_read_with_their_event_types(corpus_dir):
    docs = list(read_casie(corpus_dir / "annotated" / "casie", limit=40))
    assert len(docs) == 40
    assert any(d.positive for d in docs) and any(not d.positive for d in docs)
    assert all(d.text.strip() for d in docs)


def test_breach_detection_on_casie_is_better_than_chance(corpus_dir):
    report = evaluate_casie(corpus_dir / "annotated" / "casie", limit=60)
    assert report.tp + report.fp + report.fn + report.tn == 60
    base_rate = (report.tp + report.fn) / 60
    # documents we call breaches are breaches far more often than a random pick would be
    assert report.tp > 0 and report.precision > base_rate
