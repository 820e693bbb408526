"""Integrity of the Chinese labelled set (tests/nlp/zh_labels).

The set measures the Chinese extractor, so every label must stay tied to its text: evidence
quoted verbatim, parties written as the text writes them (Traditional where the text is
Traditional), amounts whose value is what their quoted Chinese text says (万, 亿, 六千二百万),
dates that fit their precision and the article's date.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from trustwatch.records import EVENT_TYPES, INCIDENT_STATUSES, Amount, EventDate

ZH = Path(__file__).resolve().parent / "zh_labels"
LABELS = ZH / "labels.jsonl"

STATUSES = ("asserted", "planned", "negated", "hypothetical")
DOC_KEYS = {"doc_id", "text_path", "published", "title", "events"}
EVENT_KEYS = {"type", "status", "actor", "target", "amount", "evidence", "date"}
ACTOR_KEYED = {"APOLOGY", "COMPENSATION"}
CURRENCIES = {"CNY", "HKD", "TWD", "USD", "EUR", "KRW", "JPY", "GBP", "SGD"}
DATE_PATTERNS = {
    "day": re.compile(r"^\d{4}-\d{2}-\d{2}$"),
    "month": re.compile(r"^\d{4}-\d{2}$"),
    "year": re.compile(r"^\d{4}$"),
}
#: aliases that alone never identify a party ("the company", "it", "the platform")
EMPTY_ALIASES = {"该公司", "公司", "平台", "该平台", "其", "他", "她", "他们", "对方", "该店铺", "该账号",
                 "該公司", "該平台", "本局", "我司", "站方"}
#: characters found only in Traditional Chinese (a small, sufficient sample)
TRADITIONAL_ONLY = set("們這個說與為對於會來時後過還麼從當應業務處罰導購資訊網頁體機關國際條訴")

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "兩": 2, "三": 3, "四": 4, "五": 5,
           "六": 6, "七": 7, "八": 8, "九": 9}
_SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
_BIG_UNITS = {"万": 10_000, "萬": 10_000, "亿": 100_000_000, "億": 100_000_000}


def _records() -> list[dict]:
    return [json.loads(l) for l in LABELS.read_text(encoding="utf-8").splitlines() if l.strip()]


def _text(rec: dict) -> str:
    return (LABELS.parent / rec["text_path"]).read_text(encoding="utf-8")


def _events():
    for rec in _records():
        for i, ev in enumerate(rec["events"]):
            yield rec, i, ev


def _chinese_number(s: str) -> float:
    """六千二百万 -> 62000000; independent of the extractor's own amount parser on purpose."""
    total = section = digit = 0
    for ch in s:
        if ch in _DIGITS:
            digit = _DIGITS[ch]
        elif ch in _SMALL_UNITS:
            section += (digit or 1) * _SMALL_UNITS[ch]
            digit = 0
        elif ch in _BIG_UNITS:
            total = (total + section + digit) * _BIG_UNITS[ch]
            section = digit = 0
        else:
            raise ValueError(f"not a Chinese numeral: {s!r}")
    return total + section + digit


def parse_amount_text(text: str) -> float:
    """The value a quoted amount states: '人民币6203万元', '13.41亿元', '新臺幣500萬元', '六千二百万元'."""
    m = re.search(r"(\d[\d,]*(?:\.\d+)?)\s*([万萬亿億]*)", text)
    if m:
        value = float(m.group(1).replace(",", ""))
        for unit in m.group(2):
            value *= _BIG_UNITS[unit]
        return value
    m = re.search(r"[零〇一二两兩三四五六七八九十百千万萬亿億]+", text)
    if not m:
        raise ValueError(f"no figure in {text!r}")
    return _chinese_number(m.group())


@pytest.mark.parametrize("text,value", [
    ("人民币6203万元", 62_030_000), ("13.41亿元", 1_341_000_000), ("六千二百万元", 62_000_000),
    ("人民币五万元", 50_000), ("新臺幣1500萬元", 15_000_000), ("1,326元", 1326), ("十二万", 120_000),
])
def test_the_amount_reader_of_this_test_reads_chinese_figures(text, value):
    assert parse_amount_text(text) == value


def test_every_line_has_exactly_the_labelled_file_keys():
    recs = _records()
    assert recs, "labels.jsonl is empty"
    for rec in recs:
        assert set(rec) == DOC_KEYS, rec.get("doc_id")
        for ev in rec["events"]:
            assert set(ev) == EVENT_KEYS, (rec["doc_id"], sorted(ev))


def test_doc_ids_are_unique_and_every_text_is_listed_once():
    recs = _records()
    assert not [d for d, n in Counter(r["doc_id"] for r in recs).items() if n > 1]
    for rec in recs:
        assert rec["text_path"] == f"texts/{rec['doc_id']}.txt"
        assert (ZH / rec["text_path"]).is_file(), rec["doc_id"]
        dt.date.fromisoformat(rec["published"])
    assert {f"texts/{p.name}" for p in (ZH / "texts").glob("*.txt")} == {r["text_path"] for r in recs}


def test_texts_are_chinese_news_sized_with_their_title_first():
    for rec in _records():
        text = _text(rec)
        title, _, body = text.partition("\n\n")
        assert title.strip() == rec["title"].strip(), rec["doc_id"]
        assert 80 <= len(text) <= 600, (rec["doc_id"], len(text))
        cjk = sum(1 for ch in body if "\u4e00" <= ch <= "\u9fff")
        assert cjk >= 0.6 * len(body.replace("\n", "").replace(" ", "")), rec["doc_id"]


def test_some_texts_are_traditional_chinese():
    traditional = [r["doc_id"] for r in _records() if len(TRADITIONAL_ONLY & set(_text(r))) >= 3]
    assert len(traditional) >= 5, traditional


def test_evidence_is_a_verbatim_sentence_of_its_text():
    for rec, i, ev in _events():
        evidence = ev["evidence"]
        assert evidence and evidence == evidence.strip() and "\n" not in evidence, (rec["doc_id"], i)
        assert evidence in _text(rec), f"{rec['doc_id']} event {i}: evidence not in text"


def test_types_and_statuses_are_valid():
    for rec, i, ev in _events():
        assert ev["type"] in EVENT_TYPES, (rec["doc_id"], i, ev["type"])
        assert ev["status"] in STATUSES, (rec["doc_id"], i, ev["status"])


def test_every_alias_is_written_in_the_text_and_incidents_have_a_usable_key():
    for rec, i, ev in _events():
        text = _text(rec)
        for role in ("actor", "target"):
            assert isinstance(ev[role], list), (rec["doc_id"], i, role)
            for alias in ev[role]:
                assert isinstance(alias, str) and alias == alias.strip() and alias, (rec["doc_id"], i)
                assert alias in text, f"{rec['doc_id']} event {i}: {role} {alias!r} not in the text"
        if ev["status"] in INCIDENT_STATUSES:
            key = ev["actor"] if ev["type"] in ACTOR_KEYED else ev["target"]
            assert [a for a in key if a not in EMPTY_ALIASES], f"{rec['doc_id']} event {i}: no usable key"


def test_amounts_parse_to_their_labelled_value():
    for rec, i, ev in _events():
        amount = ev["amount"]
        if amount is None:
            continue
        where = (rec["doc_id"], i)
        Amount.model_validate(amount)
        assert set(amount) == {"value", "currency", "text"}, where
        assert amount["currency"] in CURRENCIES, where
        assert amount["text"] in _text(rec), where
        stated = parse_amount_text(amount["text"])
        assert abs(stated - amount["value"]) <= 0.005 * amount["value"], (where, stated, amount)


def test_dates_are_well_formed_and_resolved_against_publication():
    for rec, i, ev in _events():
        date = ev["date"]
        if date is None:
            continue
        where = (rec["doc_id"], i)
        EventDate.model_validate(date)
        assert DATE_PATTERNS[date["precision"]].match(date["value"]), where
        if date["precision"] == "day":
            dt.date.fromisoformat(date["value"])
        assert date["text"] in _text(rec), where
        published = dt.date.fromisoformat(rec["published"])
        assert abs(int(date["value"][:4]) - published.year) <= 15, where
        if ev["status"] == "asserted" and date["precision"] == "day":
            assert dt.date.fromisoformat(date["value"]) <= published, f"{where}: asserted event after publication"


def test_no_event_is_labelled_twice_in_a_document():
    for rec in _records():
        seen = Counter((ev["type"], ev["status"], frozenset(ev["actor"]), frozenset(ev["target"]))
                       for ev in rec["events"])
        assert not [k for k, n in seen.items() if n > 1], rec["doc_id"]


def test_set_covers_every_type_status_currency_and_negative_documents():
    recs = _records()
    assert len(recs) >= 48
    incidents = Counter(ev["type"] for _, _, ev in _events() if ev["status"] in INCIDENT_STATUSES)
    assert {t: incidents[t] for t in EVENT_TYPES if incidents[t] < 4} == {}
    statuses = Counter(ev["status"] for _, _, ev in _events())
    assert all(statuses[s] >= 5 for s in STATUSES), statuses
    assert sum(1 for r in recs if not r["events"]) >= 6
    assert sum(1 for r in recs if len(r["events"]) >= 3) >= 15
    currencies = {ev["amount"]["currency"] for _, _, ev in _events() if ev["amount"]}
    assert {"CNY", "USD", "HKD", "EUR"} <= currencies
