"""Dates in news text, resolved against the article's published date.

An event date is written at the precision the text gives it: "on February 22" is a day,
"this month" a month, "last year" a year. Relative expressions ("yesterday", "Tuesday",
"last week", a month name without a year) need the published date and give None without it;
absolute ones ("5 December 2021", "2021-12-05", "in 2019") always resolve.

Words that only look like dates are left alone: "may be fined" (a modal verb), "2 million"
(a count), a bare capitalised "March" with no day, year or preposition (a noun).
"""
from __future__ import annotations

import calendar
import re
from datetime import date, datetime, timedelta
from typing import Optional, Union

from trustwatch.records import EventDate

__all__ = ["resolve_date", "find_dates"]

PublishedLike = Union[date, datetime, str, None]

_MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
    "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}
_WEEKDAYS = {"monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4,
             "saturday": 5, "sunday": 6}
_NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
                 "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
                 "several": None, "few": None}

# Month names are matched case-sensitively (capitalised), so "may be fined" and "to march"
# never become dates. Abbreviations need a day or a year next to them ("Jan" is also a name).
_FULL_MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
_ABBR_MONTH = r"(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?"
_ANY_MONTH = rf"(?:{_FULL_MONTH}|{_ABBR_MONTH})"
_WEEKDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_ORD = r"(?:st|nd|rd|th)?"
_YEAR = r"(?:19[5-9]\d|20\d\d)"

# Each pattern matches the core of a date; the words before it that belong to the expression
# ("starting", "on", "Tuesday,", "early", "the end of") are found by looking back from the core
# (`_BEFORE_RE`). A leading optional group in every pattern would make each one try a dozen
# words at every character of the text.
_LEAD_WORDS = (r"starting(?:\s+(?:on|from|in))?|beginning(?:\s+(?:on|in))?|effective(?:\s+(?:on|from))?"
               r"|as\s+of|from|on|in|since|by|until|till|through|before|after|during|throughout")
_MOD_WORDS = (r"early|mid|late|earlier|later|the\s+end\s+of|the\s+beginning\s+of|the\s+start\s+of"
              r"|the\s+middle\s+of|end\s+of|beginning\s+of|start\s+of|middle\s+of")
_BEFORE_RE = re.compile(
    rf"(?<![\w'’])(?P<lead>(?i:{_LEAD_WORDS})\s+)?(?P<wd>{_WEEKDAY},?\s+)?"
    rf"(?P<mod>(?i:{_MOD_WORDS})(?:[\s-]+|\s+in\s+))?(?P<the>(?i:the)\s+)?(?P<fy>(?i:fiscal\s+|FY\s?))?\Z")
_REL_BEFORE_RE = re.compile(
    rf"(?<![\w'’])(?P<lead>(?i:{_LEAD_WORDS})\s+)?(?P<rel>(?i:last|next|this|past|previous|coming))\s+\Z")
_WD_BEFORE_RE = re.compile(
    r"(?<![\w'’])(?P<lead>(?i:on|last|next|this|past|since|by|until|from|before|after|starting|"
    r"beginning|effective|said|announced|reported|confirmed|told|wrote|posted|ruled|filed))\s+\Z")
_WD_NAME_BEFORE_RE = re.compile(
    r"(?:Black|Cyber|Super|Good|Easter|Ash|Holy|Giving|Palm|Fat|Bloody|Maundy)\s+\Z")

_F = re.VERBOSE
_PATTERNS: list[tuple[str, re.Pattern]] = [
    ("iso", re.compile(rf"(?<![\d/.-])(?P<y>{_YEAR})-(?P<m>\d{{1,2}})-(?P<d>\d{{1,2}})(?![\d-])", _F)),
    ("iso_month", re.compile(rf"(?<![\d/.-])(?P<y>{_YEAR})-(?P<m>0[1-9]|1[0-2])(?![\d-])", _F)),
    ("numeric", re.compile(r"(?<![\d/.])(?P<a>\d{1,2})/(?P<b>\d{1,2})/(?P<y>\d{4}|\d{2})(?![\d/])", _F)),
    ("d_m_y", re.compile(rf"(?<![\d.,])(?P<d>\d{{1,2}}){_ORD}\s+(?:of\s+)?(?P<mon>{_ANY_MONTH}),?\s+(?P<y>{_YEAR})(?!\d)", _F)),
    ("d_m", re.compile(rf"(?<![\d.,])(?P<d>\d{{1,2}}){_ORD}\s+(?:of\s+)?(?P<mon>{_FULL_MONTH}|{_ABBR_MONTH}(?<=\.))(?!\w)", _F)),
    ("month", re.compile(
        rf"(?<!\w)(?=[ADFJMNOS])(?P<mon>{_ANY_MONTH})(?:"
        rf"\s+(?P<d>\d{{1,2}}){_ORD}(?:,?\s+(?P<y1>{_YEAR})(?!\d)|,?\s+(?:of\s+)?(?P<rel1>(?i:last|this|next|previous))\s+(?i:year)\b"
        rf"|(?![\d:.,]\d|\d|\s*(?:%|(?i:percent|million|billion|per\s*cent))))"
        rf"|,?\s+(?:of\s+)?(?P<y2>{_YEAR})(?!\d)"
        rf"|,?\s+(?:of\s+)?(?P<rel2>(?i:last|this|next|previous))\s+(?i:year)\b"
        rf"|(?P<bare>(?<=[a-z])(?![\w-])))", _F)),
    ("year", re.compile(rf"(?<![\d$£€¥₹₩.,/:])(?<![A-Za-z]-)(?P<y>{_YEAR})(?![\d%]|[.,]\d|s\b|'s\b|\s*(?:%|(?i:percent|per\s+cent|million|billion|thousand|users|people)\b)|[-\s]?(?i:million|billion))", _F)),
    ("today", re.compile(r"(?i:\b(?P<w>today|yesterday|tomorrow)\b)", _F)),
    ("rel_unit", re.compile(
        r"(?i:\b(?P<rel>last|this|next|previous|coming)\s+(?P<unit>year|month|week)\b)"
        r"(?!\s*(?i:'s)?\s*(?i:ago))", _F)),
    ("ago", re.compile(
        r"(?i:\b(?P<n>\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\s+"
        r"(?P<unit>day|week|month|year)s?\s+ago\b)", _F)),
    ("weekday", re.compile(rf"\b(?P<wd>{_WEEKDAY})\b(?P<tail>\s+[A-Z]\w*)?", _F)),
    # Chinese: 2022年3月1日, 3月1日, 2021年3月, 2021年, 去年, 今年, 明年, 上个月, 昨天 …
    ("zh_date", re.compile(
        r"(?:(?<!\d)(?P<y>(?:19|20)\d\d)\s*年\s*)?(?<!\d)(?P<m>1[0-2]|0?[1-9])\s*月(?:\s*(?P<d>3[01]|[12]\d|0?[1-9])\s*[日号])?"
        r"|(?<!\d)(?P<yo>(?:19|20)\d\d)\s*年(?![\d代])")),
    ("zh_rel", re.compile(r"(?P<w>去年|今年|明年|上个?月|本月|这个月|下个?月|上周|本周|下周|前天|昨天|今天|明天)")),
]

_REL_WORDS = {"last": -1, "previous": -1, "past": -1, "this": 0, "next": 1, "coming": 1}


def _as_date(published: PublishedLike) -> Optional[date]:
    if published is None:
        return None
    if isinstance(published, datetime):
        return published.date()
    if isinstance(published, date):
        return published
    try:
        return date.fromisoformat(str(published).strip()[:10])
    except ValueError:
        return None


def _month_num(name: str) -> int:
    return _MONTHS[name.rstrip(".").lower()]


def _add_months(year: int, month: int, delta: int) -> tuple[int, int]:
    idx = year * 12 + (month - 1) + delta
    return idx // 12, idx % 12 + 1


def _valid_day(y: int, m: int, d: int) -> bool:
    return 1 <= m <= 12 and 1 <= d <= calendar.monthrange(y, m)[1]


def _day(y: int, m: int, d: int) -> Optional[tuple[str, str]]:
    if not (1900 <= y <= 2100) or not _valid_day(y, m, d):
        return None
    return f"{y:04d}-{m:02d}-{d:02d}", "day"


def _month(y: int, m: int) -> Optional[tuple[str, str]]:
    if not (1900 <= y <= 2100) or not 1 <= m <= 12:
        return None
    return f"{y:04d}-{m:02d}", "month"


def _year(y: int) -> Optional[tuple[str, str]]:
    return (f"{y:04d}", "year") if 1900 <= y <= 2100 else None


def _year_for_day(m: int, d: int, pub: date, future: bool) -> Optional[int]:
    """The year that puts month m, day d nearest to pub (on/after pub when future)."""
    options = []
    for y in (pub.year - 1, pub.year, pub.year + 1):
        if _valid_day(y, m, d):
            options.append((date(y, m, d), y))
    if not options:
        return None
    if future:
        after = [(dt, y) for dt, y in options if dt >= pub]
        return min(after)[1] if after else None
    return min(options, key=lambda o: (abs((o[0] - pub).days), -o[1]))[1]


def _year_for_month(m: int, pub: date, future: bool) -> int:
    pub_idx = pub.year * 12 + pub.month - 1
    options = [y for y in (pub.year - 1, pub.year, pub.year + 1)]
    if future:
        return min(y for y in options if y * 12 + m - 1 >= pub_idx)
    return min(options, key=lambda y: (abs(y * 12 + m - 1 - pub_idx), -y))


def _month_of_week(monday: date) -> tuple[str, str]:
    thursday = monday + timedelta(days=3)  # ISO: a week belongs where its Thursday is
    return f"{thursday.year:04d}-{thursday.month:02d}", "month"


def _resolve(kind: str, g: dict, pub: Optional[date], future: bool,
             lead: str = "") -> Optional[tuple[str, str]]:
    if kind == "iso":
        return _day(int(g["y"]), int(g["m"]), int(g["d"]))
    if kind == "iso_month":
        return _month(int(g["y"]), int(g["m"]))
    if kind == "numeric":
        a, b, y = int(g["a"]), int(g["b"]), int(g["y"])
        if len(g["y"]) == 2:
            y += 2000 if y < 70 else 1900
        mo, d = (a, b) if a <= 12 else (b, a)  # US order unless the first cannot be a month
        return _day(y, mo, d)
    if kind in ("d_m_y", "m_d_y"):
        return _day(int(g["y"]), _month_num(g["mon"]), int(g["d"]))
    if kind == "m_y":
        return _month(int(g["y"]), _month_num(g["mon"]))
    if kind == "m_rel_year":
        if pub is None:
            return None
        y = pub.year + _REL_WORDS[g["rel"].lower()]
        if g.get("d"):
            return _day(y, _month_num(g["mon"]), int(g["d"]))
        return _month(y, _month_num(g["mon"]))
    if kind == "year":
        return _year(int(g["y"]))
    if kind == "zh_date":
        if g.get("yo"):
            return _year(int(g["yo"]))
        mo = int(g["m"])
        if g.get("y"):
            return _day(int(g["y"]), mo, int(g["d"])) if g.get("d") else _month(int(g["y"]), mo)
        if pub is None:
            return None
        if g.get("d"):
            y = _year_for_day(mo, int(g["d"]), pub, future)
            return _day(y, mo, int(g["d"])) if y is not None else None
        return _month(_year_for_month(mo, pub, future), mo)
    if pub is None:
        return None
    if lead.startswith("since"):
        # "since May" looks back; a month after the published date cannot be meant
        if kind in ("m_d", "d_m"):
            mo, d = _month_num(g["mon"]), int(g["d"])
            y = pub.year if (mo, d) <= (pub.month, pub.day) else pub.year - 1
            return _day(y, mo, d) if _valid_day(y, mo, d) else None
        if kind == "rel_month_name" and not g.get("rel"):
            mo = _month_num(g["mon"])
            return _month(pub.year if mo <= pub.month else pub.year - 1, mo)
    if kind in ("m_d", "d_m"):
        mo, d = _month_num(g["mon"]), int(g["d"])
        y = _year_for_day(mo, d, pub, future)
        return _day(y, mo, d) if y is not None else None
    if kind == "rel_month_name":
        mo = _month_num(g["mon"])
        rel = (g.get("rel") or "").lower()
        if rel in ("last", "past", "previous"):
            y = pub.year if mo < pub.month else pub.year - 1
        elif rel in ("next", "coming"):
            y = pub.year if mo > pub.month else pub.year + 1
        elif rel == "this":
            y = pub.year
        else:
            y = _year_for_month(mo, pub, future)
        return _month(y, mo)
    if kind == "zh_rel":
        w = g["w"]
        if w in ("去年", "今年", "明年"):
            return _year(pub.year + {"去年": -1, "今年": 0, "明年": 1}[w])
        if w.endswith("月"):
            delta = -1 if w.startswith("上") else (1 if w.startswith("下") else 0)
            return _month(*_add_months(pub.year, pub.month, delta))
        if w.endswith("周"):
            delta = -1 if w.startswith("上") else (1 if w.startswith("下") else 0)
            if delta == 0:
                return _month(pub.year, pub.month)
            return _month_of_week(pub - timedelta(days=pub.weekday()) + timedelta(weeks=delta))
        d = pub + timedelta(days={"前天": -2, "昨天": -1, "今天": 0, "明天": 1}[w])
        return _day(d.year, d.month, d.day)
    if kind == "today":
        offset = {"today": 0, "yesterday": -1, "tomorrow": 1}[g["w"].lower()]
        d = pub + timedelta(days=offset)
        return _day(d.year, d.month, d.day)
    if kind == "rel_unit":
        delta = _REL_WORDS[g["rel"].lower()]
        unit = g["unit"].lower()
        if unit == "year":
            return _year(pub.year + delta)
        if unit == "month":
            return _month(*_add_months(pub.year, pub.month, delta))
        monday = pub - timedelta(days=pub.weekday()) + timedelta(weeks=delta)
        if delta == 0:
            return _month(pub.year, pub.month)
        return _month_of_week(monday)
    if kind == "ago":
        n = g["n"].lower()
        count = int(n) if n.isdigit() else _NUMBER_WORDS.get(n)
        if not count:
            return None
        unit = g["unit"].lower()
        if unit == "day":
            d = pub - timedelta(days=count)
            return _day(d.year, d.month, d.day)
        if unit == "week":
            d = pub - timedelta(weeks=count)
            return _month(d.year, d.month)
        if unit == "month":
            return _month(*_add_months(pub.year, pub.month, -count))
        return _year(pub.year - count)
    if kind == "weekday":
        wd = _WEEKDAYS[g["wd"].lower()]
        if lead == "last" or lead == "past":
            back = (pub.weekday() - wd) % 7 or 7
            d = pub - timedelta(days=back)
        elif lead == "next":
            fwd = (wd - pub.weekday()) % 7 or 7
            d = pub + timedelta(days=fwd)
        elif future:
            d = pub + timedelta(days=(wd - pub.weekday()) % 7)
        else:
            d = pub - timedelta(days=(pub.weekday() - wd) % 7)
        return _day(d.year, d.month, d.day)
    return None


_SPEECH_LEADS = ("said", "announced", "reported", "confirmed", "told", "wrote", "posted", "ruled",
                 "filed")
_WINDOW = 60


def _before(rx: re.Pattern, text: str, start: int) -> Optional[re.Match]:
    window = text[max(0, start - _WINDOW):start]
    return rx.search(window)


def _candidate(kind: str, m: re.Match, text: str) -> Optional[tuple[int, int, str, dict, str]]:
    """(start, end, kind, fields, lead) of one core match with the words before it that
    belong to the date, or None when the core alone is not a date."""
    g = m.groupdict()
    start, end = m.span()
    lead = ""
    if kind == "weekday":
        if _before(_WD_NAME_BEFORE_RE, text, start):
            return None  # "Black Friday", "Cyber Monday"
        b = _before(_WD_BEFORE_RE, text, start)
        word = b.group("lead").lower() if b else ""
        if not word and g.get("tail"):
            return None  # "Sunday Times", "Monday Night Football": a name, not a date
        end = m.end("wd")
        if word and word not in _SPEECH_LEADS:  # "said Tuesday": the date is "Tuesday"
            start -= len(b.group(0))
        g = {"wd": g["wd"], "lead": word}
        return start, end, kind, g, word
    if kind == "month":
        fields = {"mon": g["mon"], "d": g.get("d")}
        if g.get("d") and g.get("y1"):
            kind, fields["y"] = "m_d_y", g["y1"]
        elif g.get("d") and g.get("rel1"):
            kind, fields["rel"] = "m_rel_year", g["rel1"]
        elif g.get("d"):
            kind = "m_d"
        elif g.get("y2"):
            kind, fields["y"] = "m_y", g["y2"]
        elif g.get("rel2"):
            kind, fields["rel"] = "m_rel_year", g["rel2"]
        else:
            if g["mon"].lower() not in _MONTHS or len(g["mon"]) <= 3 and g["mon"] != "May":
                return None
            rel = _before(_REL_BEFORE_RE, text, start)
            if rel:
                fields["rel"] = rel.group("rel").lower()
                lead = (rel.group("lead") or "").strip().lower()
                return start - len(rel.group(0)), end, "rel_month_name", fields, lead
            b = _before(_BEFORE_RE, text, start)
            if not b or not (b.group("lead") or b.group("mod")):
                return None  # a bare capitalised "March" or "May" is not a date
            lead = (b.group("lead") or "").strip().lower()
            return start - len(b.group(0)), end, "rel_month_name", fields, lead
        g = fields
    b = _before(_BEFORE_RE, text, start)
    if b and b.group(0):
        day_kind = kind in ("m_d", "d_m", "m_d_y", "d_m_y", "m_rel_year")
        if (b.group("wd") and not day_kind) or (b.group("the") and kind not in ("d_m", "d_m_y")):
            b = None  # "Monday 2019", "the 2019 season": the words are not part of the date
    if b and b.group(0):
        lead = (b.group("lead") or "").strip().lower()
        if b.group("fy") and kind != "year":
            start -= len(b.group(0)) - len(b.group("fy"))
        else:
            start -= len(b.group(0))
    return start, end, kind, g, lead


_DIGIT_RE = re.compile(r"\d")
_KEYWORDS = {
    "today": ("today", "yesterday", "tomorrow"),
    "rel_unit": ("last ", "this ", "next ", "previous ", "coming "),
    "ago": (" ago",),
    "weekday": ("day",),
}


def _needed_kinds(text: str) -> set[str]:
    """The patterns worth running: a cheap substring test skips most of them on most text."""
    lower = text.lower()
    kinds = {k for k, words in _KEYWORDS.items() if any(w in lower for w in words)}
    has_digit = bool(_DIGIT_RE.search(text))
    if has_digit:
        kinds |= {"iso", "iso_month", "numeric", "d_m_y", "d_m", "year"}
    if has_digit and ("月" in text or "年" in text):
        kinds.add("zh_date")
    if any(w in text for w in ("年", "月", "周", "天")):
        kinds.add("zh_rel")
    if has_digit or "rel_unit" in kinds or any(w in text for w in ("May", "June", "July", "March",
                                                                   "April", "August", "January",
                                                                   "February", "ber")):
        kinds.add("month")
    return kinds


def find_dates(text: str, published: PublishedLike = None, *, future: bool = False
               ) -> list[tuple[int, int, EventDate]]:
    """Every date expression in `text` as (start, end, EventDate), in text order.

    `future` says the context is future tense ("will begin … March 1"): an ambiguous month
    or weekday then resolves on or after the published date instead of nearest to it.
    """
    if not text:
        return []
    pub = _as_date(published)
    candidates: list[tuple[int, int, int, str, dict, str]] = []
    needs = _needed_kinds(text)
    for order, (kind, rx) in enumerate(_PATTERNS):
        if kind not in needs:
            continue
        for m in rx.finditer(text):
            cand = _candidate(kind, m, text)
            if cand is None:
                continue
            start, end, real_kind, fields, lead = cand
            if end > start:
                candidates.append((start, end, order, real_kind, fields, lead))
    # Longest expression wins where several overlap; ties go to the more specific pattern.
    candidates.sort(key=lambda c: (-(c[1] - c[0]), c[2], c[0]))
    taken: list[tuple[int, int]] = []
    results: list[tuple[int, int, EventDate]] = []
    for start, end, _order, kind, fields, lead in candidates:
        if any(start < e and s < end for s, e in taken):
            continue
        resolved = _resolve(kind, fields, pub, future, lead)
        taken.append((start, end))  # an unresolvable span still blocks its sub-spans
        if resolved is None:
            continue
        value, precision = resolved
        results.append((start, end, EventDate(value=value, precision=precision,
                                               text=text[start:end])))
    results.sort(key=lambda r: r[0])
    return results


def resolve_date(text: str, published: PublishedLike = None, *, future: bool = False
                 ) -> Optional[EventDate]:
    """The first date `text` states, resolved against `published`; None when there is none."""
    found = find_dates(text, published, future=future)
    return found[0][2] if found else None
