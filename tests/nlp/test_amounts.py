"""Money normalisation: value, ISO 4217 currency and surface text."""
from __future__ import annotations

import pytest

from trustwatch.nlp.amounts import find_amounts, is_rate, parse_amount

MONEY = [
    # (text, value, currency, surface)
    ("the regulator imposed 62.03 million yuan in penalties", 62_030_000, "CNY", "62.03 million yuan"),
    ("a penalty of RMB 5 billion", 5_000_000_000, "CNY", "RMB 5 billion"),
    ("it paid 5bn yuan", 5_000_000_000, "CNY", "5bn yuan"),
    ("a deposit of ¥1,000", 1_000, "CNY", "¥1,000"),
    ("a 1.8亿元 penalty", 180_000_000, "CNY", "1.8亿元"),
    ("处罚6203万元", 62_030_000, "CNY", "6203万元"),
    ("settled for $1.5m", 1_500_000, "USD", "$1.5m"),
    ("settled for $1.5 million", 1_500_000, "USD", "$1.5 million"),
    ("a $177M payout", 177_000_000, "USD", "$177M"),
    ("raised US$2 billion", 2_000_000_000, "USD", "US$2 billion"),
    ("worth $7.8bn", 7_800_000_000, "USD", "$7.8bn"),
    ("fined £799,000", 799_000, "GBP", "£799,000"),
    ("a £1.2bn claim", 1_200_000_000, "GBP", "£1.2bn"),
    ("EUR 1.2 billion in fines", 1_200_000_000, "EUR", "EUR 1.2 billion"),
    ("1.2 billion euros in fines", 1_200_000_000, "EUR", "1.2 billion euros"),
    ("HK$3m was frozen", 3_000_000, "HKD", "HK$3m"),
    ("a A$50 million penalty", 50_000_000, "AUD", "A$50 million"),
    ("C$10,000 in damages", 10_000, "CAD", "C$10,000"),
    ("NT$1 billion", 1_000_000_000, "TWD", "NT$1 billion"),
    ("S$500,000 was ordered", 500_000, "SGD", "S$500,000"),
    ("₹500 crore penalty", 5_000_000_000, "INR", "₹500 crore"),
    ("Rs 200 crore", 2_000_000_000, "INR", "Rs 200 crore"),
    ("Rs. 50 lakh", 5_000_000, "INR", "Rs. 50 lakh"),
    ("200,000 rupees were refunded", 200_000, "INR", "200,000 rupees"),
    ("a penalty of 10 crore", 100_000_000, "INR", "10 crore"),
    ("a penalty of 100 lakh", 10_000_000, "INR", "100 lakh"),
    ("₩3 trillion", 3_000_000_000_000, "KRW", "₩3 trillion"),
    ("3 trillion won in damages", 3_000_000_000_000, "KRW", "3 trillion won"),
    ("half a million dollars", 500_000, "USD", "half a million dollars"),
    ("a billion dollars", 1_000_000_000, "USD", "a billion dollars"),
    ("forty-two million euros", 42_000_000, "EUR", "forty-two million euros"),
    ("5 million USD", 5_000_000, "USD", "5 million USD"),
    ("CHF 3 million", 3_000_000, "CHF", "CHF 3 million"),
    ("a $1.5 million Hong Kong dollars bond", 1_500_000, "HKD", "$1.5 million Hong Kong dollars"),
    ("200 million roubles", 200_000_000, "RUB", "200 million roubles"),
    ("₽3 million", 3_000_000, "RUB", "₽3 million"),
]


@pytest.mark.parametrize("text,value,currency,surface", MONEY)
def test_parse_amount_normalises_value_currency_and_surface(text, value, currency, surface):
    amount = parse_amount(text)
    assert amount is not None, text
    assert amount.value == pytest.approx(value)
    assert amount.currency == currency
    assert amount.text == surface


NOT_MONEY = [
    "a fine of 4% of turnover",
    "2 million users signed up",
    "in 2021 the platform grew",
    "7.8bn",  # no currency stated
    "he lost 20 pounds",
    "try 5 times",
    "PHP 8.1 was released",
    "tens of millions of dollars",
    "",
    "   ",
    "the app has 300m monthly users",
    "Section 5 of the act",
]


@pytest.mark.parametrize("text", NOT_MONEY)
def test_parse_amount_rejects_numbers_that_are_not_money(text):
    assert parse_amount(text) is None
    assert find_amounts(text) == []


def test_conversion_in_brackets_is_not_a_second_amount():
    text = "The watchdog imposed €572m (~$665m) on the company."
    found = find_amounts(text)
    assert len(found) == 1
    start, end, amount = found[0]
    assert (amount.value, amount.currency, amount.text) == (572_000_000, "EUR", "€572m")
    assert text[start:end] == "€572m"


def test_conversion_after_or_about_is_not_a_second_amount():
    found = find_amounts("a penalty of RMB 5 billion, or about $790 million, was announced")
    assert [a.currency for _, _, a in found] == ["CNY"]


def test_two_sums_in_one_currency_are_both_kept():
    found = find_amounts("It paid $5 million in 2020 or $10 million later.")
    assert [a.value for _, _, a in found] == [5_000_000, 10_000_000]


def test_find_amounts_offsets_point_at_the_surface_text():
    text = "Meta faces €1.2bn; separately a firm paid £5,000 and Rs 10 lakh, not 4% or 2021."
    found = find_amounts(text)
    assert [text[s:e] for s, e, _ in found] == ["€1.2bn", "£5,000", "Rs 10 lakh"]
    assert [a.text for _, _, a in found] == ["€1.2bn", "£5,000", "Rs 10 lakh"]


def test_daily_penalty_is_a_rate():
    amount = parse_amount("a further $10,000 per day until it complies")
    assert amount is not None and amount.value == 10_000 and amount.currency == "USD"
    assert is_rate(amount)
    assert not is_rate(parse_amount("$10,000 in total"))


def test_default_currency_only_applies_when_asked():
    assert parse_amount("fined 7.8bn") is None
    amount = parse_amount("fined 7.8bn", default_currency="EUR")
    assert amount is not None and amount.value == 7_800_000_000 and amount.currency == "EUR"
    assert parse_amount("fined 12 times", default_currency="EUR") is None


def test_a_year_before_an_ambiguous_currency_word_is_not_money():
    assert find_amounts("The company in 2019 won an appeal.") == []
    assert parse_amount("fined 2,019 won").value == 2_019


def test_several_conversions_in_one_bracket_are_skipped():
    text = "a bill of 3bn Australian dollars ($2.3bn; £1.8bn) and later a £5m fine"
    found = find_amounts(text)
    assert [(a.currency, a.value) for _, _, a in found] == [("AUD", 3e9), ("GBP", 5e6)]


def test_long_text_without_figures_has_no_amounts():
    assert find_amounts("no figures here at all " * 1000) == []


def test_a_word_after_a_dollar_sum_changes_the_currency_only_when_it_names_a_dollar():
    won = parse_amount("the $5 million won by the plaintiffs")
    assert (won.currency, won.text) == ("USD", "$5 million")
    assert parse_amount("a $5 million Singapore dollars claim").currency == "SGD"
