"""Money amounts in news text, normalised to a value and an ISO 4217 currency.

A number is money only when a currency is stated next to it (a symbol, a code or a currency
word), or when an Indian magnitude (crore, lakh) implies rupees. Percentages, counts of users
and years are therefore never amounts. Where one sum is given in two currencies
("€572m (~$665m)", "RMB 5 billion, or about $790 million"), the first stated one is the amount
and the conversion is not reported as a second amount.
"""
from __future__ import annotations

import re
from typing import Optional

from trustwatch.records import Amount

__all__ = ["parse_amount", "find_amounts", "is_rate", "CURRENCY_CODES"]

#: ISO 4217 codes accepted when written before or after a number ("EUR 1.2 billion").
CURRENCY_CODES = frozenset(
    "USD EUR GBP CNY JPY KRW INR HKD AUD CAD SGD TWD NZD CHF SEK NOK DKK PLN CZK HUF RON RUB "
    "TRY BRL MXN ARS CLP COP PEN ZAR NGN KES EGP IDR MYR THB VND PHP PKR BDT LKR AED SAR QAR "
    "ILS UAH KZT".split()
)
_CODE_ALIASES = {"RMB": "CNY", "CNH": "CNY"}

# Symbols and prefixes written before the number, longest first in the regex.
_PREFIX = {
    "US$": "USD", "U.S.$": "USD", "USD$": "USD", "US $": "USD", "U.S. $": "USD",
    "HK$": "HKD", "HK $": "HKD",
    "A$": "AUD", "AU$": "AUD", "AUD$": "AUD",
    "C$": "CAD", "CA$": "CAD", "CAD$": "CAD", "Can$": "CAD",
    "NT$": "TWD", "S$": "SGD", "SG$": "SGD", "NZ$": "NZD", "R$": "BRL", "MX$": "MXN",
    "JP¥": "JPY", "CN¥": "CNY", "RMB¥": "CNY",
    "$": "USD", "£": "GBP", "€": "EUR", "¥": "CNY", "￥": "CNY", "₹": "INR", "₩": "KRW",
    "₽": "RUB", "₺": "TRY", "₦": "NGN", "₱": "PHP", "₫": "VND", "฿": "THB", "₪": "ILS",
    "₴": "UAH", "Rs.": "INR", "Rs": "INR",
}

# Currency words written after the number; multi-word names first.
_SUFFIX_WORDS: list[tuple[str, str]] = [
    (r"(?:new\s+)?taiwan(?:ese)?\s+dollars?", "TWD"),
    (r"hong\s+kong\s+dollars?|hk\s+dollars?", "HKD"),
    (r"australian\s+dollars?|aussie\s+dollars?", "AUD"),
    (r"canadian\s+dollars?", "CAD"),
    (r"singapore(?:an)?\s+dollars?", "SGD"),
    (r"new\s+zealand\s+dollars?", "NZD"),
    (r"u\.?s\.?\s+dollars?|american\s+dollars?", "USD"),
    (r"swiss\s+francs?", "CHF"),
    (r"pakistani\s+rupees?", "PKR"),
    (r"sri\s+lankan\s+rupees?", "LKR"),
    (r"indonesian\s+rupiah|rupiahs?", "IDR"),
    (r"indian\s+rupees?|rupees?", "INR"),
    (r"mexican\s+pesos?", "MXN"),
    (r"philippine\s+pesos?", "PHP"),
    (r"argentine(?:an)?\s+pesos?", "ARS"),
    (r"brazilian\s+reais|reais|reals?", "BRL"),
    (r"south\s+african\s+rand|rand", "ZAR"),
    (r"(?:chinese\s+)?yuan|renminbi", "CNY"),
    (r"(?:japanese\s+)?yen", "JPY"),
    (r"(?:south\s+)?(?:korean\s+)?won", "KRW"),
    (r"euros?", "EUR"),
    (r"pounds?\s+sterling|(?:british\s+)?pounds?|sterling", "GBP"),
    (r"(?:russian\s+)?r(?:ou|u)bles?", "RUB"),
    (r"(?:turkish\s+)?liras?", "TRY"),
    (r"naira", "NGN"),
    (r"ringgit", "MYR"),
    (r"baht", "THB"),
    (r"dong", "VND"),
    (r"zlotys?|złoty", "PLN"),
    (r"(?:swedish\s+)?kronor|swedish\s+krona", "SEK"),
    (r"hryvnias?", "UAH"),
    (r"dirhams?", "AED"),
    (r"riyals?", "SAR"),
    (r"shekels?", "ILS"),
    (r"kenyan\s+shillings?", "KES"),
    (r"dollars?|bucks", "USD"),
]
_SUFFIX_LOOKUP = [(re.compile(p + r"\Z", re.I), c) for p, c in _SUFFIX_WORDS]

_MULTIPLIERS = {
    "thousand": 1e3, "k": 1e3, "grand": 1e3,
    "million": 1e6, "millions": 1e6, "m": 1e6, "mn": 1e6, "mln": 1e6, "mil": 1e6,
    "billion": 1e9, "billions": 1e9, "bn": 1e9, "b": 1e9, "bln": 1e9,
    "trillion": 1e12, "tn": 1e12, "trn": 1e12,
    "crore": 1e7, "crores": 1e7, "cr": 1e7, "lakh": 1e5, "lakhs": 1e5, "lac": 1e5, "lacs": 1e5,
    "hundred": 1e2,
}
_INDIAN = {"crore", "crores", "cr", "lakh", "lakhs", "lac", "lacs"}

_WORD_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90, "several": None, "dozen": 12, "a dozen": 12,
    "half a": 0.5, "half": 0.5, "a half": 0.5, "a quarter of a": 0.25, "a quarter": 0.25,
    "quarter of a": 0.25, "a hundred": 100, "one hundred": 100,
}

_CHINESE_CURRENCY = [("美元", "USD"), ("欧元", "EUR"), ("港元", "HKD"), ("港币", "HKD"),
                     ("英镑", "GBP"), ("日元", "JPY"), ("韩元", "KRW"), ("人民币", "CNY"),
                     ("元", "CNY")]
_CHINESE_MULT = {"万": 1e4, "亿": 1e8, "千": 1e3, "百万": 1e6, "千万": 1e7, "万亿": 1e12}


def _alt(items) -> str:
    return "|".join(re.escape(s) for s in sorted(items, key=len, reverse=True))


_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+"
_WORDNUM = (r"(?:a\s+quarter\s+of\s+a|quarter\s+of\s+a|half\s+a|a\s+half|a\s+hundred|one\s+hundred"
            r"|(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[\s-](?:one|two|three|"
            r"four|five|six|seven|eight|nine))?|one|two|three|four|five|six|seven|eight|nine|ten|"
            r"eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|an?)")
# Word multipliers need a word boundary; one-letter abbreviations only directly glued or after
# a space with a boundary after them ("$1.5m", "$5 bn", "$177M").
_MULT = (r"(?:thousand|millions?|billions?|trillion|crores?|lakhs?|lacs?|mln|bln|mn|bn|tn|trn|"
         r"mil|cr|grand|[kKmMbB])(?![\w])")
_SUFFIX_RE = "|".join(p for p, _ in _SUFFIX_WORDS)
_CODES_RE = _alt(CURRENCY_CODES | set(_CODE_ALIASES))

# Codes and letter prefixes are case-sensitive ("try 5 times" is not Turkish lira); PHP is
# left out as a prefix code because "PHP 8" is far more often the language than pesos.
_PREFIX_CODES_RE = _alt((CURRENCY_CODES - {"PHP"}) | set(_CODE_ALIASES))
_PREFIX_RE = (rf"(?P<prefix>(?-i:{_alt(k for k in _PREFIX if k[0].isalpha() and k not in ('Rs', 'Rs.'))})"
              rf"|{_alt(k for k in _PREFIX if not k[0].isalpha())}|(?-i:Rs\.?)(?=\s?\d)"
              rf"|(?<![A-Za-z])(?-i:{_PREFIX_CODES_RE})(?=\s?[\d.]))")

_AMOUNT_RE = re.compile(
    rf"""
    (?:
      # prefix currency: $1.5m, US$ 2 billion, EUR 1.2 billion, Rs 500 crore
      {_PREFIX_RE}\s?
      (?P<pnum>{_NUM})
      (?:[\s-]?(?P<pmult>{_MULT}))?
      (?:\s+(?P<psuf>(?:{_SUFFIX_RE}|(?-i:{_CODES_RE}))\b))?  # "$5 million dollars", "$3m Hong Kong dollars"
    |
      # suffix currency: 62.03 million yuan, half a million dollars, 5bn yuan, 10 crore
      (?<![A-Za-z0-9_$£€¥₹₩.,])
      (?:(?P<snum>{_NUM})|(?P<sword>{_WORDNUM}))
      (?:[\s-]?(?P<smult>{_MULT}))?
      (?:\s+(?:of\s+)?(?P<sword_cur>(?:{_SUFFIX_RE})\b|(?-i:{_CODES_RE})\b)
        |(?<=[\d\s])(?P<scjk_mult>万亿|千万|百万|万|亿|千)?(?P<scjk>美元|欧元|港元|港币|英镑|日元|韩元|人民币|元))?
    )
    (?P<rate>(?:\s+|\s*-\s*)(?:per|a|each|every)[\s-]+(?:day|week|month|year)\b
             |\s?/\s?(?:day|week|month|year)\b
             |\s+(?:daily|a\s+day|per\s+diem)\b)?
    """,
    re.X | re.I,
)

# A conversion of the preceding amount that is not a second amount.
_CONVERSION_RE = re.compile(
    r"\s*(?:\(\s*(?:~|≈|about|around|approx(?:imately|\.)?|roughly|nearly|some|or|equal\s+to|"
    r"equivalent\s+to|c\.|ca\.)?\s*"
    r"|,?\s+(?:or|i\.e\.|equivalent\s+to|worth)\s+(?:about|around|roughly|nearly|some|approximately|"
    r"almost|more\s+than|over|just\s+over|just\s+under|less\s+than)?\s*)",
    re.I,
)


_CONVERSION_CHAIN_RE = re.compile(r"\s*[;,/]\s*(?:or\s+)?|\s+or\s+", re.I)


def _to_float(num: str) -> float:
    return float(num.replace(",", ""))


def _word_value(word: str) -> Optional[float]:
    w = re.sub(r"\s+", " ", word.lower().replace("-", " "))
    if w in _WORD_NUMBERS:
        return _WORD_NUMBERS[w]
    parts = w.split()
    if len(parts) == 2 and parts[0] in _WORD_NUMBERS and parts[1] in _WORD_NUMBERS:
        a, b = _WORD_NUMBERS[parts[0]], _WORD_NUMBERS[parts[1]]
        if a and b and a >= 20 and b < 10:
            return a + b
    return None


def _mult(m: Optional[str]) -> float:
    if not m:
        return 1.0
    key = m.lower()
    return _MULTIPLIERS.get(key, 1.0)


def _suffix_currency(word: str) -> Optional[str]:
    w = re.sub(r"\s+", " ", word.strip())
    if w.upper() in CURRENCY_CODES:
        return w.upper() if w.isupper() else None
    if w.upper() in _CODE_ALIASES:
        return _CODE_ALIASES[w.upper()] if w.isupper() else None
    for rx, code in _SUFFIX_LOOKUP:
        if rx.match(w):
            return code
    return None


def _prefix_currency(prefix: str) -> Optional[str]:
    p = re.sub(r"\s+", " ", prefix)
    if p in _PREFIX:
        return _PREFIX[p]
    up = p.upper()
    if up in CURRENCY_CODES and p.isupper():
        return up
    if up in _CODE_ALIASES and p.isupper():
        return _CODE_ALIASES[up]
    return None


def _interpret(m: re.Match) -> Optional[Amount]:
    text = m.group(0).strip()
    if m.group("prefix"):
        currency = _prefix_currency(m.group("prefix"))
        if currency is None:
            return None
        psuf = m.group("psuf")
        if psuf and m.group("prefix").strip() == "$" and "dollar" in psuf.lower():
            # a bare "$" is USD unless the text names another dollar: "$3m Hong Kong dollars"
            currency = _suffix_currency(psuf) or currency
        elif psuf and _suffix_currency(psuf) != currency:
            # "the $5 million won by ...": the word after the sum is not its currency
            text = m.string[m.start():m.start("psuf")].strip()
        value = _to_float(m.group("pnum")) * _mult(m.group("pmult"))
        mult_word = m.group("pmult")
    else:
        mult_word = m.group("smult") or m.group("scjk_mult")
        if m.group("snum"):
            value = _to_float(m.group("snum"))
        else:
            wv = _word_value(m.group("sword"))
            if wv is None or not m.group("smult"):
                return None  # "a dollar", "ten euros" without magnitude: too vague to matter
            value = wv
        currency = None
        if m.group("sword_cur"):
            currency = _suffix_currency(m.group("sword_cur"))
            if currency is None:
                return None
            if currency == "GBP" and re.fullmatch(r"pounds?", m.group("sword_cur"), re.I):
                # "lost 20 pounds" is weight; money in pounds comes with a magnitude
                if not mult_word and value < 1000:
                    return None
            if (not mult_word and m.group("snum") and re.fullmatch(r"(?:19|20)\d\d", m.group("snum"))
                    and re.fullmatch(r"won|rand|dong|pounds?", m.group("sword_cur"), re.I)):
                return None  # "in 2019 won the case" is a year and a verb
            value *= _mult(m.group("smult"))
        elif m.group("scjk"):
            currency = dict(_CHINESE_CURRENCY)[m.group("scjk")]
            value *= _mult(m.group("smult")) if m.group("smult") else 1.0
            if m.group("scjk_mult"):
                value *= _CHINESE_MULT[m.group("scjk_mult")]
        elif m.group("smult") and m.group("smult").lower() in _INDIAN:
            currency = "INR"
            value *= _mult(m.group("smult"))
        else:
            return None
    if value <= 0:
        return None
    return Amount(value=_round(value), currency=currency, text=text)


def _round(value: float) -> float:
    r = round(value, 2)
    return float(int(r)) if r == int(r) else r


_DIGIT_RE = re.compile(r"\d")
_MAGNITUDE_WORDS = ("illion", "thousand", "hundred", "crore", "lakh")


def _scan(text: str) -> list[tuple[int, int, Amount]]:
    found: list[tuple[int, int, Amount]] = []
    if not _DIGIT_RE.search(text) and not any(w in text.lower() for w in _MAGNITUDE_WORDS):
        return found  # no figure at all: skip the costly pattern
    for m in _AMOUNT_RE.finditer(text):
        if not m.group(0).strip():
            continue
        amount = _interpret(m)
        if amount is None:
            continue
        start = m.start() + (len(m.group(0)) - len(m.group(0).lstrip()))
        end = start + len(amount.text)
        # "12 million dollars%" or "$5bn-a-year" fragments are fine; "$5%" is not money
        if end < len(text) and text[end] == "%":
            continue
        found.append((start, end, amount))
    return found


def find_amounts(text: str) -> list[tuple[int, int, Amount]]:
    """Every money amount in `text` as (start, end, Amount), in text order.

    Conversions of an amount into another currency, written right after it in brackets or
    as ", or about …", are not listed: the first stated currency is the amount.
    """
    if not text:
        return []
    result: list[tuple[int, int, Amount]] = []
    last_end = -1
    in_conversion = False  # inside "(~$665m; £520m)" after the first converted figure
    for start, end, amount in _scan(text):
        gap = text[last_end:start] if result else ""
        is_conversion = bool(result) and amount.currency != result[-1][2].currency and (
            _CONVERSION_RE.fullmatch(gap)
            or (in_conversion and _CONVERSION_CHAIN_RE.fullmatch(gap)))
        if is_conversion:
            last_end = end
            in_conversion = True
            if end < len(text) and text[end] == ")":
                last_end = end + 1
                in_conversion = False
            continue
        in_conversion = False
        result.append((start, end, amount))
        last_end = end
    return result


def parse_amount(text: str, *, default_currency: Optional[str] = None) -> Optional[Amount]:
    """The first money amount in `text`, or None when it states no money.

    `default_currency` lets a caller that already knows a bare figure is money ("fined 7.8bn")
    give it a currency; without it a number with no currency is not an amount.
    """
    if not text or not text.strip():
        return None
    found = find_amounts(text)
    if found:
        return found[0][2]
    if default_currency:
        m = re.search(rf"(?<![\w.])({_NUM})(?:[\s-]?({_MULT}))?", text)
        if m and (m.group(2) or _to_float(m.group(1)) >= 1000):
            code = default_currency.upper()
            if re.fullmatch(r"[A-Z]{3}", code):
                return Amount(value=_round(_to_float(m.group(1)) * _mult(m.group(2))),
                              currency=code, text=m.group(0))
    return None


def is_rate(amount: Amount) -> bool:
    """True for a recurring sum ("$10,000 per day"), which is not the total of a penalty."""
    return bool(re.search(r"\b(?:per|a|each|every)\s+(?:day|week|month|year)\b|\bdaily\b|per\s+diem",
                          amount.text, re.I))
