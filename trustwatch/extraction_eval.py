"""How well page extraction finds an article's main text: mean token F1 over saved pages.

The corpus layout is `html_manifest.csv` beside `readability/<name>/{source.html,
expected.html}` and `newspaper/<name>/{source.html, expected.txt}`. Tokens are lower-cased
words, and single characters for scripts written without spaces (Chinese, Japanese), so one
page in such a script weighs like any other.
"""
from __future__ import annotations

import csv
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_TOKEN = re.compile(rf"[{_CJK}]|[^\W{_CJK}]+", re.UNICODE)


def tokens(text: str) -> list[str]:
    return _TOKEN.findall((text or "").lower())


def token_f1(predicted: str, expected: str) -> float:
    """Bag-of-tokens F1; 1.0 when both are empty."""
    p, e = Counter(tokens(predicted)), Counter(tokens(expected))
    if not p and not e:
        return 1.0
    overlap = sum((p & e).values())
    if overlap == 0:
        return 0.0
    precision = overlap / sum(p.values())
    recall = overlap / sum(e.values())
    return 2 * precision * recall / (precision + recall)


@dataclass
class PageScore:
    page_id: str
    f1: float
    error: Optional[str] = None


@dataclass
class ExtractionEval:
    pages: list[PageScore] = field(default_factory=list)

    @property
    def mean_f1(self) -> float:
        return sum(p.f1 for p in self.pages) / len(self.pages) if self.pages else 0.0


def _html_text(html: str) -> str:
    import lxml.html

    root = lxml.html.fromstring(html)
    for bad in root.xpath("//script|//style"):
        bad.drop_tree()
    return " ".join(root.itertext())


def page_pairs(corpus: Path) -> list[tuple[str, Path, Path]]:
    """(id, source page, expected text or HTML) for each page of the manifest."""
    corpus = Path(corpus)
    pairs = []
    with (corpus / "html_manifest.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            page_id = row["id"]
            kind, _, name = page_id.partition("-")
            if kind == "rd":
                folder = corpus / "readability" / name
                pairs.append((page_id, folder / "source.html", folder / "expected.html"))
            elif kind == "np":
                folder = corpus / "newspaper" / name
                pairs.append((page_id, folder / "source.html", folder / "expected.txt"))
    return pairs


def expected_text(path: Path) -> str:
    raw = path.read_text(encoding="utf-8", errors="replace")
    return _html_text(raw) if path.suffix == ".html" else raw


def evaluate(corpus: Path) -> ExtractionEval:
    """Extract every page with the crawler's own extractor and score it against its expected text."""
    from trustwatch.spiders.pages import extract_page

    result = ExtractionEval()
    for page_id, source, expected in page_pairs(corpus):
        try:
            content = extract_page(source.read_bytes(), url=None)
            result.pages.append(PageScore(page_id, token_f1(content.text or "", expected_text(expected))))
        except Exception as exc:  # one unreadable page scores 0 and is named, the rest still count
            result.pages.append(PageScore(page_id, 0.0, error=f"{type(exc).__name__}: {exc}"))
    return result
