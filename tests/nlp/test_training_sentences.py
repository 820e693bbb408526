"""Integrity of the hand-written training sentences (nlp/training/sentences.jsonl).

The learned event detector trains on these lines, so a label that drifts from its text (a party
that is not in the sentence, a mistyped type or status, a duplicated line that doubles its weight)
would teach it something false. These checks keep every label tied to its own text.
"""
from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path

import pytest

from trustwatch.records import EVENT_TYPES

REPO = Path(__file__).resolve().parents[2]
SENTENCES = REPO / "nlp" / "training" / "sentences.jsonl"
HELDOUT_TEXTS = Path(__file__).resolve().parent / "heldout" / "texts"

STATUSES = {"asserted", "planned", "negated", "hypothetical"}
LINE_KEYS = {"text", "published", "events"}
EVENT_KEYS = {"type", "status", "actor", "target"}
#: the role an event is matched on (GUIDELINES: "Key argument")
ACTOR_KEYED = {"APOLOGY", "COMPENSATION"}


def _rows() -> list[tuple[int, dict]]:
    rows = []
    with SENTENCES.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            assert line.strip(), f"line {number} is blank"
            try:
                rows.append((number, json.loads(line)))
            except json.JSONDecodeError as exc:
                pytest.fail(f"line {number} is not JSON: {exc}")
    return rows


@pytest.fixture(scope="module")
def rows() -> list[tuple[int, dict]]:
    return _rows()


def test_file_is_large_enough_to_train_on(rows):
    assert len(rows) >= 900


def test_line_shape(rows):
    for number, row in rows:
        assert set(row) == LINE_KEYS, f"line {number}: keys {sorted(row)}"
        assert isinstance(row["text"], str) and row["text"].strip(), f"line {number}: empty text"
        assert row["text"] == row["text"].strip(), f"line {number}: text has outer whitespace"
        assert isinstance(row["events"], list), f"line {number}: events is not a list"


def test_published_is_a_calendar_date(rows):
    for number, row in rows:
        published = row["published"]
        assert isinstance(published, str) and len(published) == 10, f"line {number}: {published!r}"
        dt.date.fromisoformat(published)  # raises on 2023-02-30 and the like


def test_event_types_and_statuses(rows):
    for number, row in rows:
        for event in row["events"]:
            assert set(event) == EVENT_KEYS, f"line {number}: event keys {sorted(event)}"
            assert event["type"] in EVENT_TYPES, f"line {number}: type {event['type']!r}"
            assert event["status"] in STATUSES, f"line {number}: status {event['status']!r}"


def test_parties_are_exact_substrings(rows):
    for number, row in rows:
        for event in row["events"]:
            for role in ("actor", "target"):
                party = event[role]
                if party is None:
                    continue
                assert isinstance(party, str) and party.strip() == party and party, (
                    f"line {number}: {role} {party!r} is empty or padded")
                assert party in row["text"], f"line {number}: {role} {party!r} not in text"


def test_key_argument_is_present_in_most_events(rows):
    """An event without its key argument cannot be matched; a few unnamed parties are realistic."""
    events = [e for _, row in rows for e in row["events"]]
    missing = [e for e in events
               if e["actor" if e["type"] in ACTOR_KEYED else "target"] is None]
    assert len(missing) <= 0.1 * max(len(events), 1)


def test_no_duplicate_lines_or_events(rows):
    texts = Counter(row["text"].casefold() for _, row in rows)
    duplicates = [text for text, count in texts.items() if count > 1]
    assert not duplicates, f"duplicated texts: {duplicates[:3]}"
    for number, row in rows:
        keys = Counter(json.dumps(e, sort_keys=True) for e in row["events"])
        assert all(n == 1 for n in keys.values()), f"line {number}: an event is listed twice"


def test_no_sentence_is_taken_from_the_heldout_set(rows):
    """Training on held-out text would inflate every score measured on it."""
    if not HELDOUT_TEXTS.is_dir():
        pytest.skip(f"held-out texts not found at {HELDOUT_TEXTS}")
    heldout = " ".join(p.read_text(encoding="utf-8") for p in sorted(HELDOUT_TEXTS.glob("*.txt")))
    leaked = [n for n, row in rows if row["text"] in heldout]
    assert not leaked, f"lines also in the held-out texts: {leaked[:5]}"
