"""One call that reads the warehouse, writes a report file and remembers it.

Used by `trustwatch report` and by the scheduled report flow, so both count "new since the
last report" the same way. The warehouse is held only while reading and while recording, not
while the (slower) PDF is laid out.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Optional, Sequence

from trustwatch.config import Config
from trustwatch.report.data import ReportData, ReportFilterError, build_report, record_report
from trustwatch.report.render import FORMATS, SUFFIXES, format_from_path, render_report


@dataclass
class GeneratedReport:
    path: Path
    format: str
    data: ReportData


def parse_when(value: Optional[str], *, today: Optional[date] = None) -> Optional[date | datetime]:
    """`YYYY-MM-DD`, an ISO date-time, `today`, `yesterday`, or a span back from today: `7d`, `2w`."""
    if value is None or not value.strip():
        return None
    text = value.strip().lower()
    today = today or datetime.now(timezone.utc).date()
    if text == "today":
        return today
    if text == "yesterday":
        return today - timedelta(days=1)
    m = re.fullmatch(r"(\d{1,5})\s*([dw])", text)
    if m:
        n = int(m.group(1)) * (7 if m.group(2) == "w" else 1)
        return today - timedelta(days=n)
    try:
        if "t" in text or " " in text:
            return datetime.fromisoformat(value.strip())
        return date.fromisoformat(text)
    except ValueError:
        raise ReportFilterError(f"not a date: {value!r} (use YYYY-MM-DD, 'today' or a span like 7d)")


def default_output(config: Config, fmt: str, now: Optional[datetime] = None) -> Path:
    now = now or datetime.now(timezone.utc)
    return Path(config.report.output_dir) / f"trustwatch-report-{now:%Y-%m-%d-%H%M}{SUFFIXES[fmt]}"


def generate_report(
    config: Config,
    output: Optional[str | Path] = None,
    format: Optional[str] = None,
    *,
    since: Optional[str | date | datetime] = None,
    until: Optional[str | date | datetime] = None,
    actor: Optional[str] = None,
    type: Optional[str | Sequence[str]] = None,
    storyline: Optional[str] = None,
    all_time: bool = False,
    record: bool = True,
) -> GeneratedReport:
    """Build, write and record one report. Without a period (and without a storyline or
    `all_time`) the report covers the last `[report] days` days."""
    from trustwatch.warehouse.db import WarehouseError, connect

    fmt = (format or (format_from_path(output) if output else None) or config.report.format).lower()
    if fmt not in FORMATS:
        raise ReportFilterError(f"unknown report format {fmt!r}; choose from {', '.join(FORMATS)}")
    since = parse_when(since) if isinstance(since, str) else since
    until = parse_when(until) if isinstance(until, str) else until
    if since is None and until is None and not storyline and not all_time:
        since = datetime.now(timezone.utc).date() - timedelta(days=config.report.days)
    path = Path(output) if output else default_output(config, fmt)
    db = config.db_path
    if not Path(db).exists():
        raise WarehouseError(f"no warehouse at {db}: run `trustwatch run` (or `trustwatch ingest`) first")
    timeout = config.warehouse.lock_timeout
    with connect(db, lock_timeout=timeout) as con:
        data = build_report(con, since=since, until=until, actor=actor, type=type, storyline=storyline)
    render_report(data, fmt, path)
    if record:
        with connect(db, lock_timeout=timeout) as con:
            record_report(con, data, fmt, str(path))
    return GeneratedReport(path=path, format=fmt, data=data)
