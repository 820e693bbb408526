"""Main-text extraction on the shared corpus's 37 saved pages: mean token F1 must stay >= 0.85."""
from __future__ import annotations

import pytest

from trustwatch.extraction_eval import evaluate, token_f1, tokens


def test_token_f1_basics():
    assert token_f1("a b c", "a b c") == 1.0
    assert token_f1("", "") == 1.0
    assert token_f1("x y", "a b") == 0.0
    assert 0.0 < token_f1("a b c d", "a b") < 1.0
    assert tokens("平台道歉 Platform") == ["平", "台", "道", "歉", "platform"]


@pytest.mark.corpus
def test_mean_token_f1_over_the_saved_pages(corpus_dir):
    result = evaluate(corpus_dir / "html")
    assert len(result.pages) == 37
    assert not [p for p in result.pages if p.error]
    print(f"mean token F1 over {len(result.pages)} pages: {result.mean_f1:.3f}")
    assert result.mean_f1 >= 0.85
