"""Script detection, Traditional-to-Simplified conversion and sentence splitting for Chinese.

Matching runs on a Simplified copy of the text that has exactly the original's length, so an
offset found in the copy is an offset in the original; where conversion would change the
length, the original is matched as it is.
"""
from __future__ import annotations

import logging
import re
import threading
from functools import lru_cache
from typing import Optional

log = logging.getLogger(__name__)

_HAN_RX = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_KANA_RX = re.compile(r"[\u3040-\u30ff]")
_HANGUL_RX = re.compile(r"[\uac00-\ud7af]")
#: a sentence ends at these (closing quotes and brackets right after stay with it)
_SENT_END_RX = re.compile(r"[。！？；!?;]+[”’」』）)]*|\n+")
_lock = threading.Lock()


def is_mostly_cjk(text: str, sample: int = 20_000) -> bool:
    """True when Han characters make up most of the letters (and the text is not Japanese or
    Korean): decided per document, for input that carries no language."""
    head = text[:sample]
    letters = sum(1 for ch in head if ch.isalpha())
    if not letters:
        return False
    han = len(_HAN_RX.findall(head))
    kana = len(_KANA_RX.findall(head))
    hangul = len(_HANGUL_RX.findall(head))
    return han >= 0.4 * letters and kana <= 0.1 * han and hangul <= 0.1 * han


def is_chinese(text: str, language: Optional[str]) -> bool:
    """The routing rule: a stated language decides (zh, zh-CN, zh-Hant …); without one, the
    script of the text does."""
    if language:
        return language.strip().lower().replace("_", "-").split("-")[0] in ("zh", "cmn", "yue")
    return is_mostly_cjk(text or "")


@lru_cache(maxsize=1)
def _converter():
    import opencc  # opencc-python-reimplemented: pure Python, dictionaries shipped in the wheel

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """`text` in Simplified characters, of the same length; the original when conversion
    would change the length (a phrase mapped to a shorter one) or fails."""
    if not text or not _HAN_RX.search(text):
        return text
    try:
        with _lock:  # the converter keeps state between calls
            out = _converter().convert(text)
    except Exception:  # noqa: BLE001 - conversion is a refinement; the original still works
        log.warning("Traditional-to-Simplified conversion failed; matching the original text",
                    exc_info=True)
        return text
    if len(out) == len(text):
        return out
    # phrase conversions can change the length: convert line by line, keep lines that differ
    pieces = []
    for line in text.splitlines(keepends=True):
        with _lock:
            conv = _converter().convert(line)
        pieces.append(conv if len(conv) == len(line) else line)
    out = "".join(pieces)
    return out if len(out) == len(text) else text


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence: cut after 。！？； (and their ASCII forms) and at line
    breaks; surrounding white space is left out; empty pieces are dropped."""
    spans = []
    pos = 0
    for m in _SENT_END_RX.finditer(text):
        end = m.end() if m.group().strip() else m.start()
        spans.append((pos, end))
        pos = m.end()
    spans.append((pos, len(text)))
    out = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append((s, e))
    return out
