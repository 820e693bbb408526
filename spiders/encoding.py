"""Text encodings from the bytes, when the HTTP header and the document itself say nothing.

Feeds and pages that declare no charset are decoded by statistics (charset_normalizer) over
the encodings the web actually uses, CJK ones included (GB18030 for GB2312/GBK, Big5-HKSCS for
Big5, Shift_JIS, EUC-JP, EUC-KR) so an undeclared Chinese feed is not read as windows-1252.

Whatever the decoding, text that still carries replacement characters or obvious mojibake
(UTF-8 or GB/Big5 bytes shown as Latin-1 letters) is flagged by `text_problem`: it is kept,
but not frozen, so the source is read again and a correct copy replaces it.
"""
from __future__ import annotations

import re
from typing import Optional

#: the encodings detection chooses among (WHATWG's common legacy encodings), most likely first
CANDIDATES = ("utf_8", "gb18030", "big5hkscs", "cp932", "euc_jp", "cp949", "cp1252", "cp1250",
              "cp1251", "koi8_r", "cp1253", "cp1254", "cp1255", "cp1256", "cp1257", "iso8859_2",
              "iso8859_15", "tis_620")
#: labels that browsers treat as a wider superset (WHATWG encoding standard)
SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030",
             "iso-8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252", "iso8859-1": "cp1252",
             "us-ascii": "cp1252", "ascii": "cp1252", "big5": "big5hkscs", "big5-hkscs": "big5hkscs",
             "shift_jis": "cp932", "shift-jis": "cp932", "sjis": "cp932", "x-sjis": "cp932",
             "euc-kr": "cp949", "ks_c_5601-1987": "cp949"}
#: single-byte Latin code pages that statistics cannot tell from windows-1252 on short text
_LATIN_LOOKALIKES = re.compile(r"^(cp125[02478]|iso8859_([1-49]|1[03-6])|cp77\d|cp85\d|mac_latin2|mac_roman|latin_1)$")
BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))


def usable(label: Optional[str]) -> Optional[str]:
    """A Python codec name for a declared label (widened to its superset), or None."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    label = SUPERSETS.get(label, label)
    try:
        "".encode(label)
    except LookupError:
        return None
    return label


def detect_encoding(body: bytes) -> str:
    """Encoding of bytes that declare none: charset_normalizer over `CANDIDATES`, with the
    browsers' windows-1252 default winning among the Latin code pages it cannot separate."""
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(body, cp_isolation=list(CANDIDATES)).best()
    except Exception:  # noqa: BLE001 - detection is best effort
        best = None
    if best is None:
        return "cp1252"
    if _LATIN_LOOKALIKES.match(best.encoding):
        try:
            body.decode("cp1252")
            return "cp1252"
        except UnicodeDecodeError:
            pass
    return usable(best.encoding) or best.encoding


def decode_undeclared(body: bytes) -> tuple[str, str]:
    """(text, encoding) for bytes without any declaration: UTF-8 when they are, else detected."""
    for bom, enc in BOMS:
        if body.startswith(bom):
            return body[len(bom):].decode(enc, errors="replace"), enc
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    enc = detect_encoding(body)
    return body.decode(enc, errors="replace"), enc


# -- mojibake ---------------------------------------------------------------------------
#: characters windows-1252 / Latin-1 show for the bytes 0x80-0xFF
_HIGH = "\u00a0-\u00ff\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013\u2014" \
        "\u2018-\u201a\u201c-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122"
_RUN = re.compile(f"[{_HIGH}]{{2,}}")
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")


def _as_bytes(run: str) -> Optional[bytes]:
    try:
        return run.encode("cp1252")
    except UnicodeEncodeError:
        try:
            return run.encode("latin-1")
        except UnicodeEncodeError:
            return None


def _mojibake(run: str) -> bool:
    """Whether a run of Latin-1-looking characters is really UTF-8 bytes (any length), or GB or
    Big5 bytes (two Chinese characters or more)."""
    raw = _as_bytes(run)
    if raw is None:
        return False
    try:
        fixed = raw.decode("utf-8")
        if len(fixed) < len(run):
            return True
    except UnicodeDecodeError:
        pass
    if len(run) >= 4:
        for enc in ("gb18030", "big5hkscs"):
            try:
                fixed = raw.decode(enc)
            except UnicodeDecodeError:
                continue
            if len(_CJK.findall(fixed)) >= max(2, len(fixed) * 0.8):
                return True
    return False


def text_problem(*texts: Optional[str]) -> Optional[str]:
    """Why these texts look wrongly decoded, or None: replacement characters, or mojibake."""
    joined = "\n".join(t for t in texts if t)
    if not joined:
        return None
    bad = joined.count("\ufffd")
    if bad:
        return f"{bad} replacement character{'s' if bad != 1 else ''} (bytes that did not decode)"
    garbled = [m.group(0) for m in _RUN.finditer(joined) if _mojibake(m.group(0))]
    if garbled:
        sample = max(garbled, key=len)[:16]
        return f"mojibake such as {sample!r} (text decoded with the wrong encoding)"
    return None
