"""Date resolution against an article's published date."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from trustwatch.nlp.dates import find_dates, resolve_date

PUB = date(2022, 2, 24)  # a Thursday

RESOLVED = [
    # (text, value, precision)
    ("starting March 1", "2022-03-01", "day"),
    ("on February 22", "2022-02-22", "day"),
    ("last year", "2021", "year"),
    ("this month", "2022-02", "month"),
    ("next month", "2022-03", "month"),
    ("in March 2021", "2021-03", "month"),
    ("2019", "2019", "year"),
    ("in 2025", "2025", "year"),
    ("earlier this year", "2022", "year"),
    ("late last year", "2021", "year"),
    ("Tuesday", "2022-02-22", "day"),
    ("Thursday", "2022-02-24", "day"),
    ("last Thursday", "2022-02-17", "day"),
    ("next Monday", "2022-02-28", "day"),
    ("yesterday", "2022-02-23", "day"),
    ("today", "2022-02-24", "day"),
    ("last week", "2022-02", "month"),
    ("3 days ago", "2022-02-21", "day"),
    ("two years ago", "2020", "year"),
    ("Dec. 5", "2021-12-05", "day"),
    ("Dec 5", "2021-12-05", "day"),
    ("5 December 2021", "2021-12-05", "day"),
    ("the 1st of March", "2022-03-01", "day"),
    ("Sept. 30, 2021", "2021-09-30", "day"),
    ("September 30th, 2021", "2021-09-30", "day"),
    ("Tuesday, Feb. 22", "2022-02-22", "day"),
    ("2021-12-05", "2021-12-05", "day"),
    ("12/05/2021", "2021-12-05", "day"),
    ("25/12/2021", "2021-12-25", "day"),
    ("in December", "2021-12", "month"),
    ("in April", "2022-04", "month"),
    ("since May", "2021-05", "month"),
    ("mid-March", "2022-03", "month"),
    ("last March", "2021-03", "month"),
    ("Jan. 2020", "2020-01", "month"),
    ("early 2021", "2021", "year"),
    ("fiscal 2021", "2021", "year"),
]


@pytest.mark.parametrize("text,value,precision", RESOLVED)
def test_resolve_date_against_published(text, value, precision):
    got = resolve_date(text, PUB)
    assert got is not None, text
    assert (got.value, got.precision) == (value, precision)


def test_surface_text_keeps_the_preposition():
    got = resolve_date("links go dark starting March 1", PUB)
    assert got is not None and got.text == "starting March 1"


NOT_DATES = [
    "users may be fined",
    "2 million accounts",
    "the March for open platforms",
    "Theresa May said",
    "The Sunday Times reported",
    "deals on Black Friday",
    "Jan Koum left",
    "the 2020s",
    "COVID-19 rules",
    "March 32",
    "$2021 in fees",
    "",
]


@pytest.mark.parametrize("text", NOT_DATES)
def test_words_that_only_look_like_dates(text):
    assert find_dates(text, PUB) == []


@pytest.mark.parametrize("text", ["starting March 1", "Tuesday", "yesterday", "last year", "this month",
                                  "in December", "3 days ago"])
def test_relative_dates_need_a_published_date(text):
    assert resolve_date(text, None) is None


@pytest.mark.parametrize("text,value", [("in March 2021", "2021-03"), ("5 December 2021", "2021-12-05"),
                                        ("2019", "2019"), ("2021-12-05", "2021-12-05")])
def test_absolute_dates_resolve_without_published(text, value):
    got = resolve_date(text, None)
    assert got is not None and got.value == value


def test_future_context_resolves_on_or_after_published():
    assert resolve_date("Tuesday", PUB, future=True).value == "2022-03-01"
    assert resolve_date("Tuesday", PUB).value == "2022-02-22"
    assert resolve_date("January 10", PUB, future=True).value == "2023-01-10"
    assert resolve_date("January 10", PUB).value == "2022-01-10"
    assert resolve_date("in February", PUB, future=True).value == "2022-02"


def test_nearest_year_for_a_month_without_year_across_new_year():
    assert resolve_date("on December 28", date(2022, 1, 3)).value == "2021-12-28"
    assert resolve_date("on January 4", date(2021, 12, 30)).value == "2022-01-04"


def test_published_may_be_datetime_or_iso_string():
    assert resolve_date("yesterday", datetime(2022, 2, 24, 13, 5)).value == "2022-02-23"
    assert resolve_date("yesterday", "2022-02-24").value == "2022-02-23"
    assert resolve_date("yesterday", "not a date") is None


def test_find_dates_in_a_sentence_in_order_with_offsets():
    text = ("The platform said on Tuesday it will cut links starting March 1, after a fine of "
            "2 million yuan last year; users may be fined in 2023.")
    found = find_dates(text, PUB)
    assert [text[s:e] for s, e, _ in found] == ["on Tuesday", "starting March 1", "last year", "in 2023"]
    assert [d.value for _, _, d in found] == ["2022-02-22", "2022-03-01", "2021", "2023"]


def test_year_ranges_give_both_years():
    assert [d.value for _, _, d in find_dates("between 2019-2021", PUB)] == ["2019", "2021"]


def test_leading_words_belong_to_the_date_only_when_they_qualify_it():
    text = "In the 2019 season, by the end of March and since early 2020, on Tuesday, Feb. 22."
    found = find_dates(text, PUB)
    assert [text[s:e] for s, e, _ in found] == ["2019", "by the end of March", "since early 2020",
                                                "on Tuesday, Feb. 22"]
    assert [d.value for _, _, d in found] == ["2019", "2022-03", "2020", "2022-02-22"]


@pytest.mark.parametrize("text,value,precision", [
    ("快手于2022年3月1日起屏蔽外链", "2022-03-01", "day"),
    ("3月1日起", "2022-03-01", "day"),
    ("2021年12月", "2021-12", "month"),
    ("2019年", "2019", "year"),
    ("去年被罚款", "2021", "year"),
    ("上个月", "2022-01", "month"),
    ("昨天宣布", "2022-02-23", "day"),
])
def test_chinese_dates(text, value, precision):
    got = resolve_date(text, PUB)
    assert got is not None and (got.value, got.precision) == (value, precision)


def test_chinese_relative_dates_need_published():
    assert resolve_date("去年", None) is None
    assert resolve_date("2021年12月", None).value == "2021-12"
    assert find_dates("90年代", PUB) == []
