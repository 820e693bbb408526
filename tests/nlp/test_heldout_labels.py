"""Integrity of the held-out labelled set (tests/nlp/heldout).

The set measures how the extractor generalizes, so a label that silently drifts from its text
(an edited sentence, a mistyped status, a date that does not fit its precision) would corrupt
every score computed on it. These checks keep each label tied to its text and to the contract
of the labelled files.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from trustwatch.records import EVENT_TYPES, INCIDENT_STATUSES, Amount, EventDate

HELDOUT = Path(__file__).resolve().parent / "heldout"
LABELS = HELDOUT / "labels.jsonl"

STATUSES = ("asserted", "planned", "negated", "hypothetical")
DOC_KEYS = {"doc_id", "text_path", "published", "events"}
OPTIONAL_DOC_KEYS = {"title", "notes"}
EVENT_KEYS = {"type", "status", "actor", "target", "amount", "evidence", "date"}
#: the role an event is matched on (GUIDELINES: "Key argument")
ACTOR_KEYED = {"APOLOGY", "COMPENSATION"}
#: ISO 4217 codes of currencies that realistically appear in incident reporting
ISO_4217 = {
    "AED", "ARS", "AUD", "BDT", "BRL", "CAD", "CHF", "CLP", "CNY", "COP", "CZK", "DKK", "EGP",
    "EUR", "GBP", "HKD", "HUF", "IDR", "ILS", "INR", "JPY", "KES", "KRW", "KZT", "MXN", "MYR",
    "NGN", "NOK", "NZD", "PHP", "PKR", "PLN", "RON", "RUB", "SAR", "SEK", "SGD", "THB", "TRY",
    "TWD", "UAH", "USD", "VND", "ZAR",
}
DATE_PATTERNS = {
    "day": re.compile(r"^\d{4}-\d{2}-\d{2}$"),
    "month": re.compile(r"^\d{4}-\d{2}$"),
    "year": re.compile(r"^\d{4}$"),
}
#: aliases made only of these words match nothing under the scoring rules
EMPTY_WORDS = {"the", "company", "it", "its", "they", "them", "he", "she", "him", "her", "firm",
               "platform", "this", "that", "a", "an"}


def _records() -> list[dict]:
    lines = LABELS.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _text(rec: dict) -> str:
    return (LABELS.parent / rec["text_path"]).read_text(encoding="utf-8")


def _events():
    for rec in _records():
        for i, ev in enumerate(rec["events"]):
            yield rec, i, ev


def test_every_line_is_a_json_object_with_the_labelled_file_keys():
    lines = [l for l in LABELS.read_text(encoding="utf-8").splitlines() if l.strip()]
    assert lines, "labels.jsonl is empty"
    for n, line in enumerate(lines, 1):
        rec = json.loads(line)
        assert isinstance(rec, dict), f"line {n} is not an object"
        keys = set(rec)
        assert DOC_KEYS <= keys, f"line {n}: missing {DOC_KEYS - keys}"
        assert keys <= DOC_KEYS | OPTIONAL_DOC_KEYS, f"line {n}: unknown {keys - DOC_KEYS - OPTIONAL_DOC_KEYS}"
        assert isinstance(rec["events"], list)
        for ev in rec["events"]:
            assert set(ev) == EVENT_KEYS, f"{rec['doc_id']}: event keys {sorted(ev)}"


def test_doc_ids_are_unique_and_text_paths_exist():
    recs = _records()
    ids = Counter(r["doc_id"] for r in recs)
    assert not [d for d, n in ids.items() if n > 1], "duplicate doc_id"
    for rec in recs:
        assert rec["text_path"] == f"texts/{rec['doc_id']}.txt"
        path = LABELS.parent / rec["text_path"]
        assert path.is_file(), f"missing text {path}"
        dt.date.fromisoformat(rec["published"])


def test_no_orphan_texts():
    listed = {r["text_path"] for r in _records()}
    on_disk = {f"texts/{p.name}" for p in (HELDOUT / "texts").glob("*.txt")}
    assert on_disk == listed


def test_texts_are_article_sized():
    for rec in _records():
        title, _, body = _text(rec).partition("\n\n")
        assert title.strip() == rec["title"].strip()
        assert 120 <= len(body.split()) <= 500, rec["doc_id"]


def test_evidence_is_a_verbatim_sentence_of_its_text():
    for rec, i, ev in _events():
        text = _text(rec)
        evidence = ev["evidence"]
        assert evidence and evidence == evidence.strip() and "\n" not in evidence, (rec["doc_id"], i)
        assert evidence in text, f"{rec['doc_id']} event {i}: evidence not in text"


def test_types_and_statuses_are_valid():
    for rec, i, ev in _events():
        assert ev["type"] in EVENT_TYPES, (rec["doc_id"], i, ev["type"])
        assert ev["status"] in STATUSES, (rec["doc_id"], i, ev["status"])


def test_roles_are_alias_lists_and_incidents_have_a_key_argument():
    for rec, i, ev in _events():
        for role in ("actor", "target"):
            aliases = ev[role]
            assert isinstance(aliases, list), (rec["doc_id"], i, role)
            assert all(isinstance(a, str) and a.strip() == a and a for a in aliases), (rec["doc_id"], i, role)
        if ev["status"] in INCIDENT_STATUSES:
            key = ev["actor"] if ev["type"] in ACTOR_KEYED else ev["target"]
            usable = [a for a in key if set(re.findall(r"\w+", a.lower())) - EMPTY_WORDS]
            assert usable, f"{rec['doc_id']} event {i}: no matchable key argument"


def test_dates_are_well_formed_and_fit_their_precision():
    for rec, i, ev in _events():
        date = ev["date"]
        if date is None:
            continue
        where = (rec["doc_id"], i)
        EventDate.model_validate(date)
        assert DATE_PATTERNS[date["precision"]].match(date["value"]), where
        value = date["value"]
        if date["precision"] == "day":
            dt.date.fromisoformat(value)
        elif date["precision"] == "month":
            assert 1 <= int(value[5:]) <= 12, where
        assert date["text"] in _text(rec), where
        published = dt.date.fromisoformat(rec["published"])
        assert abs(int(value[:4]) - published.year) <= 30, where
        if ev["status"] == "asserted" and date["precision"] == "day":
            assert dt.date.fromisoformat(value) <= published, f"{where}: asserted event after publication"


def test_amounts_have_iso_currency_and_quoted_text():
    for rec, i, ev in _events():
        amount = ev["amount"]
        if amount is None:
            continue
        where = (rec["doc_id"], i)
        assert set(amount) == {"value", "currency", "text"}, where
        Amount.model_validate(amount)
        assert amount["currency"] in ISO_4217, where
        assert isinstance(amount["value"], (int, float)) and amount["value"] > 0, where
        assert amount["text"] in _text(rec), where
        digits = re.findall(r"\d+(?:[.,]\d+)*", amount["text"])
        assert digits, where
        first_figure = float(digits[0].replace(",", ""))
        assert amount["value"] >= first_figure, f"{where}: value below the stated figure"


def test_no_event_is_labelled_twice_in_a_document():
    for rec in _records():
        seen = Counter(
            (ev["type"], ev["status"], frozenset(ev["actor"]), frozenset(ev["target"]))
            for ev in rec["events"]
        )
        assert not [k for k, n in seen.items() if n > 1], rec["doc_id"]


def test_set_covers_every_type_status_and_negative_documents():
    recs = _records()
    assert len(recs) >= 40
    incidents = Counter(ev["type"] for _, _, ev in _events() if ev["status"] in INCIDENT_STATUSES)
    assert {t: incidents[t] for t in EVENT_TYPES if incidents[t] < 3} == {}
    statuses = Counter(ev["status"] for _, _, ev in _events())
    assert all(statuses[s] for s in STATUSES)
    assert sum(1 for r in recs if not r["events"]) >= 6
    currencies = {ev["amount"]["currency"] for _, _, ev in _events() if ev["amount"]}
    assert len(currencies) >= 6


@pytest.mark.parametrize("rec", _records(), ids=lambda r: r["doc_id"])
def test_document_notes_explain_the_labels(rec):
    assert rec.get("notes", "").strip(), "every document says why it is labelled as it is"
