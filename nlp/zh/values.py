"""Amounts and dates in Chinese text, normalised like the English side's.

Arabic-numeral sums (6203万元, 13.41亿元, 人民币100万元, 500万美元) and dates (2022年3月1日,
3月1日起, 去年, 上周) are read by `trustwatch.nlp.amounts` / `trustwatch.nlp.dates`; this module
adds what those leave out: sums in Chinese numerals (六千二百万元), ￥-prefixed sums with 万/亿,
and the written forms 昨日/今日/前日.
"""
from __future__ import annotations

import re
from typing import Optional

from trustwatch.nlp.amounts import find_amounts
from trustwatch.nlp.dates import find_dates
from trustwatch.records import Amount, EventDate

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
           "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}
_BIG = {"万": 10_000, "亿": 100_000_000}
_CURRENCY = [("人民币", "CNY"), ("美元", "USD"), ("欧元", "EUR"), ("港元", "HKD"), ("港币", "HKD"),
             ("英镑", "GBP"), ("日元", "JPY"), ("韩元", "KRW"), ("卢比", "INR"), ("澳元", "AUD"),
             ("加元", "CAD"), ("新台币", "TWD"), ("卢布", "RUB"), ("元", "CNY"), ("块", "CNY")]
_CUR_ALT = "|".join(re.escape(c) for c, _ in _CURRENCY)
_CUR_CODE = dict(_CURRENCY)
_CN_NUM = "零〇一二两三四五六七八九十百千万亿"
_CN_AMOUNT_RX = re.compile(
    rf"(?:人民币)?(?P<num>[{_CN_NUM}]{{1,12}}(?:点[零〇一二三四五六七八九]{{1,4}})?)(?P<big>[万亿]*)余?(?P<cur>{_CUR_ALT})")
_YEN_RX = re.compile(r"[￥¥]\s*(?P<num>\d+(?:,\d{3})*(?:\.\d+)?)\s*(?P<big>[万亿]*)(?:元)?")
_ABOUT_RX = re.compile(rf"(?P<num>\d+(?:\.\d+)?)(?P<big>[万亿]+)余(?P<cur>{_CUR_ALT})")
_DAY_WORDS = (("昨日", "昨天"), ("今日", "今天"), ("前日", "前天"), ("明日", "明天"))


def chinese_number(text: str) -> Optional[float]:
    """六千二百万 -> 62000000, 十三点四一 -> 13.41, 两 -> 2; None when it is not a number."""
    if not text:
        return None
    frac = 0.0
    if "点" in text:
        text, _, dec = text.partition("点")
        try:
            frac = float("0." + "".join(str(_DIGITS[c]) for c in dec))
        except KeyError:
            return None
    total = 0
    section = 0  # below 万
    digit = 0
    seen = False
    for ch in text:
        if ch in _DIGITS:
            digit = _DIGITS[ch]
            seen = True
        elif ch in _UNITS:
            section += (digit or 1) * _UNITS[ch]
            digit = 0
            seen = True
        elif ch in _BIG:
            section += digit
            digit = 0
            if section == 0 and total:
                total *= _BIG[ch]  # 万亿
            else:
                total += section * _BIG[ch]
            section = 0
            seen = True
        else:
            return None
    if not seen:
        return None
    value = total + section + digit + frac
    return float(value) if value else None


def _cn_amounts(text: str) -> list[tuple[int, int, Amount]]:
    out = []
    for m in _CN_AMOUNT_RX.finditer(text):
        value = chinese_number(m.group("num"))
        if not value:
            continue
        for ch in m.group("big"):
            value *= _BIG[ch]
        if m.group("cur") == "块" or (m.group("num") in ("一", "两") and not m.group("big")):
            continue  # 一元 in "一元化", 两块: too ambiguous
        cur = "CNY" if m.group().startswith("人民币") else _CUR_CODE[m.group("cur")]
        out.append((m.start(), m.end(), Amount(value=value, currency=cur, text=m.group())))
    for m in _ABOUT_RX.finditer(text):  # 6203万余元: "more than", the stated sum
        value = float(m.group("num"))
        for ch in m.group("big"):
            value *= _BIG[ch]
        out.append((m.start(), m.end(), Amount(value=value, currency=_CUR_CODE[m.group("cur")],
                                               text=m.group())))
    for m in _YEN_RX.finditer(text):
        value = float(m.group("num").replace(",", ""))
        for ch in m.group("big"):
            value *= _BIG[ch]
        out.append((m.start(), m.end(), Amount(value=value, currency="CNY", text=m.group())))
    return out


_PREFIX_CURRENCY_RX = re.compile(r"(?P<cur>新台币|台币|港币|港元|美元|欧元|英镑|日元|韩元|人民币)\s*$")
_PREFIX_CODES = {"新台币": "TWD", "台币": "TWD", "港币": "HKD", "港元": "HKD", "美元": "USD",
                 "欧元": "EUR", "英镑": "GBP", "日元": "JPY", "韩元": "KRW", "人民币": "CNY"}


def _prefixed(text: str, s: int, e: int, a: Amount) -> tuple[int, int, Amount]:
    """新台币200万元 is TWD, not yuan: a currency written before the number wins."""
    m = _PREFIX_CURRENCY_RX.search(text[max(0, s - 4):s])
    if m:
        cur = _PREFIX_CODES[m.group("cur")]
        start = s - (len(text[max(0, s - 4):s]) - m.start())
        return start, e, a.model_copy(update={"currency": cur, "text": text[start:e]})
    return s, e, a


def amounts_in(text: str) -> list[tuple[int, int, Amount]]:
    """Every money amount in `text`, by position; where two readings overlap, the longer."""
    found = _cn_amounts(text) + [_prefixed(text, s, e, a) for s, e, a in find_amounts(text)]
    found.sort(key=lambda f: (f[0], -(f[1] - f[0])))
    out: list[tuple[int, int, Amount]] = []
    for f in found:
        if out and f[0] < out[-1][1]:
            continue
        out.append(f)
    return out


def dates_in(text: str, published=None, *, future: bool = False) -> list[tuple[int, int, EventDate]]:
    """Every date in `text` resolved against `published` (relative ones need it)."""
    norm = text
    for written, spoken in _DAY_WORDS:
        norm = norm.replace(written, spoken)  # same length: offsets hold
    found = find_dates(norm, published, future=future)
    return [(s, e, d.model_copy(update={"text": text[s:e]})) for s, e, d in found]
