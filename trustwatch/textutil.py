"""Text fingerprints and language guesses shared by the crawler and the loader.

* `content_hash` is exact identity of what a reader sees (whitespace and case folded), so a
  republished copy under another URL is recognised as the same content.
* `simhash` is a 64-bit locality-sensitive fingerprint over word (or CJK character) 3-gram
  shingles; syndicated copies that differ by a byline or a footer land within a few bits.
* `detect_language` trusts script first (a CJK ratio settles Chinese, Japanese, Korean
  without a statistical model) and then langdetect, using the feed's language as a hint
  for text too short to judge.
"""
from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from typing import Iterable, Optional

_WS = re.compile(r"\s+")
_TAG = re.compile(r"<[^>]+>")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_HANGUL = re.compile(r"[\uac00-\ud7af]")
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)
_SHINGLE_TOKEN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]|[^\W_]+",
                            re.UNICODE)

#: fewer shingles than this and a simhash says nothing useful (two headlines would collide)
MIN_SHINGLES = 24
#: fingerprints this many bits apart or fewer are near-duplicates
NEAR_DUPLICATE_BITS = 6


def strip_html(text: Optional[str]) -> str:
    """Plain text of an HTML fragment (feed summaries are often HTML)."""
    if not text:
        return ""
    if "<" in text:
        import lxml.html

        try:
            root = lxml.html.fromstring(f"<div>{text}</div>")
            for bad in root.xpath("//script|//style"):
                bad.drop_tree()
            text = " ".join(root.itertext())
        except Exception:
            text = _TAG.sub(" ", text)
    return _WS.sub(" ", html.unescape(text)).strip()


_BLOCK_TAGS = frozenset("p div section article header footer aside blockquote pre ul ol li dl dt dd "
                        "table tr h1 h2 h3 h4 h5 h6 figure figcaption hr".split())
_PARAGRAPHS = re.compile(r"\n\s*\n")


def html_to_text(text: Optional[str]) -> str:
    """Plain text of an HTML body (a feed's `content:encoded`) that keeps its paragraphs.

    Blocks (paragraphs, headings, list items) are separated by a blank line and `<br>` by a
    line break, so a heading is not glued to the sentence after it; other whitespace is
    collapsed as in `strip_html`.
    """
    if not text:
        return ""
    br, para = "\ue000", "\ue001"  # private-use marks: survive the whitespace collapse
    if "<" not in text:
        flat = _PARAGRAPHS.sub(para, html.unescape(text))
    else:
        import lxml.html

        try:
            root = lxml.html.fromstring(f"<div>{text}</div>")
        except Exception:
            return strip_html(text)
        for bad in root.xpath("//script|//style"):
            bad.drop_tree()
        for el in root.iter():
            tag = el.tag if isinstance(el.tag, str) else ""
            if tag == "br":
                el.tail = br + (el.tail or "")
            elif tag in _BLOCK_TAGS:
                el.text = para + (el.text or "")
                el.tail = para + (el.tail or "")
        flat = "".join(root.itertext())
    paragraphs = []
    for chunk in flat.split(para):
        lines = [_WS.sub(" ", line).strip() for line in chunk.split(br)]
        joined = "\n".join(line for line in lines if line)
        if joined:
            paragraphs.append(joined)
    return "\n\n".join(paragraphs)


def normalize(text: Optional[str]) -> str:
    text = unicodedata.normalize("NFKC", text or "")
    return _WS.sub(" ", text).strip().casefold()


def content_hash(*parts: Optional[str]) -> str:
    """SHA-256 of the normalised parts (title, then main text or summary)."""
    joined = "\n".join(normalize(p) for p in parts if p)
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()


def shingles(text: str, size: int = 3) -> list[str]:
    toks = _SHINGLE_TOKEN.findall(normalize(text))
    if len(toks) < size:
        return [" ".join(toks)] if toks else []
    return [" ".join(toks[i:i + size]) for i in range(len(toks) - size + 1)]


def simhash(text: str) -> Optional[int]:
    """64-bit simhash (unsigned) or None when the text is too short to fingerprint."""
    import numpy as np

    feats = shingles(text)
    if len(feats) < MIN_SHINGLES:
        return None
    digests = b"".join(hashlib.blake2b(f.encode("utf-8"), digest_size=8).digest() for f in feats)
    hashes = np.frombuffer(digests, dtype=">u8").astype(np.uint64)
    bits = np.unpackbits(hashes.view(np.uint8).reshape(-1, 8), axis=1, bitorder="little")
    # little-endian bytes + little bit order: column i is bit i of the integer
    votes = bits.sum(axis=0, dtype=np.int64) * 2 - len(feats)
    value = 0
    for bit in np.nonzero(votes > 0)[0]:
        value |= 1 << int(bit)
    return value


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def bands(value: int, n: int = NEAR_DUPLICATE_BITS + 1) -> Iterable[tuple[int, int]]:
    """(band index, band value) pieces: two fingerprints within `n - 1` bits share at least one."""
    width = 64 // n
    for i in range(n):
        yield i, (value >> (i * width)) & ((1 << width) - 1)


def _script_language(text: str) -> Optional[str]:
    letters = len(_LETTER.findall(text))
    if letters == 0:
        return None
    kana, hangul, han = len(_KANA.findall(text)), len(_HANGUL.findall(text)), len(_HAN.findall(text))
    if (kana + hangul + han) / letters < 0.3:
        return None
    if kana >= 0.05 * (kana + han):
        return "ja"
    if hangul > han:
        return "ko"
    return "zh"


def _base(lang: Optional[str]) -> Optional[str]:
    if not lang:
        return None
    return lang.strip().lower().replace("_", "-").split("-")[0] or None


def detect_language(text: Optional[str], hint: Optional[str] = None) -> Optional[str]:
    """ISO 639-1 code of `text`; the hint (feed or source language) decides for short text."""
    text = strip_html(text) if text and "<" in text else (text or "")
    hint = _base(hint)
    script = _script_language(text)
    if script:
        return script
    if len(_LETTER.findall(text)) < 40:
        return hint
    try:
        from langdetect import DetectorFactory, detect_langs

        DetectorFactory.seed = 0
        best = detect_langs(text[:5000])[0]
    except Exception:
        return hint
    lang = _base(best.lang)
    if hint and lang != hint and best.prob < 0.9:
        return hint
    return lang
