"""One reading of `--since`/`--until` for every command that takes a period.

Accepted: `YYYY`, `YYYY-MM`, `YYYY-MM-DD`, an ISO date-time, `today`, `yesterday`, or a span
back from today: `7d`, `2w`, `3m` (months of 30 days), `1y`. A `--since` of `2022` starts on
1 January 2022; an `--until` of `2022` ends on 31 December 2022 (an until day is included).
"""
from __future__ import annotations

import calendar
import re
from datetime import date, datetime, timedelta, timezone
from typing import Optional

FORMS = "YYYY, YYYY-MM, YYYY-MM-DD, today, yesterday, or a span back such as 7d, 2w, 3m, 1y"
_SPAN_DAYS = {"d": 1, "w": 7, "m": 30, "y": 365}


class PeriodError(ValueError):
    """A period bound that cannot be read; the message lists the accepted forms."""


def parse_bound(value: Optional[str], *, end: bool = False,
                today: Optional[date] = None) -> Optional[date | datetime]:
    """The first (or with `end`, the last) day a user's period bound means; None when empty."""
    if value is None or not str(value).strip():
        return None
    text = str(value).strip().lower()
    today = today or datetime.now(timezone.utc).date()
    if text == "today":
        return today
    if text == "yesterday":
        return today - timedelta(days=1)
    m = re.fullmatch(r"(\d{1,5})\s*([dwmy])", text)
    if m:
        return today - timedelta(days=int(m.group(1)) * _SPAN_DAYS[m.group(2)])
    m = re.fullmatch(r"(\d{4})(?:-(\d{1,2}))?", text)
    try:
        if m:
            year = int(m.group(1))
            if m.group(2) is None:
                return date(year, 12, 31) if end else date(year, 1, 1)
            month = int(m.group(2))
            return date(year, month, calendar.monthrange(year, month)[1] if end else 1)
        if "t" in text or " " in text:
            return datetime.fromisoformat(str(value).strip())
        return date.fromisoformat(text)
    except ValueError:
        pass
    raise PeriodError(f"not a date: {value!r} (use {FORMS})")


def bound_text(value: Optional[str], *, end: bool = False) -> Optional[str]:
    """`parse_bound` as an ISO string, for library calls that take text."""
    parsed = parse_bound(value, end=end)
    return parsed.isoformat() if parsed is not None else None
