"""One call that reads the warehouse, writes a report file and remembers it.

Used by `trustwatch report` and by the scheduled report flow, so both count "new since the
last report" the same way. The warehouse is held only while reading and while recording, not
while the (slower) PDF is laid out.
"""
from __future__ import annotations

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


def parse_when(value: Optional[str], *, today: Optional[date] = None,
               end: bool = False) -> Optional[date | datetime]:
    """A period bound in any form of `trustwatch.periods` (7d, 2022, 2022-03, YYYY-MM-DD, today)."""
    from trustwatch.periods import PeriodError, parse_bound

    try:
        return parse_bound(value, end=end, today=today)
    except PeriodError as exc:
        raise ReportFilterError(str(exc)) from None


def default_output(config: Config, fmt: str, now: Optional[datetime] = None) -> Path:
    """`[report] output_dir/trustwatch-report-YYYY-MM-DD-HHMM.EXT`, with `-2`, `-3`… added when a
    report of that minute exists: an earlier report is never overwritten."""
    now = now or datetime.now(timezone.utc)
    stem = Path(config.report.output_dir) / f"trustwatch-report-{now:%Y-%m-%d-%H%M}"
    path, n = stem.with_name(stem.name + SUFFIXES[fmt]), 1
    while path.exists():
        n += 1
        path = stem.with_name(f"{stem.name}-{n}{SUFFIXES[fmt]}")
    return path


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
    by: str = "discovered",
) -> GeneratedReport:
    """Build, write and record one report. Without a period (and without a storyline or
    `all_time`) the report covers the last `[report] days` days."""
    from trustwatch.warehouse.db import WarehouseError
    from trustwatch.warehouse.writer import warehouse_writer

    if output and not format and Path(output).suffix and format_from_path(output) is None:
        raise ReportFilterError(f"cannot tell the format from {Path(output).name!r}: use a .html, .pdf, "
                                f".md, .csv or .json file name, or --format")
    fmt = (format or (format_from_path(output) if output else None) or config.report.format).lower()
    if fmt not in FORMATS:
        raise ReportFilterError(f"unknown report format {fmt!r}; choose from {', '.join(FORMATS)}")
    since = parse_when(since) if isinstance(since, str) else since
    until = parse_when(until, end=True) if isinstance(until, str) else until
    if since is None and until is None and not storyline and not all_time:
        since = datetime.now(timezone.utc).date() - timedelta(days=config.report.days)
    path = Path(output) if output else default_output(config, fmt)
    db = config.db_path
    if not Path(db).exists():
        raise WarehouseError(f"no warehouse at {db}: run `trustwatch run` (or `trustwatch ingest`) first")
    timeout = config.warehouse.lock_timeout
    with warehouse_writer(db, timeout=timeout) as con:
        data = build_report(con, since=since, until=until, actor=actor, type=type, storyline=storyline, by=by)
    render_report(data, fmt, path)
    if record:
        with warehouse_writer(db, timeout=timeout) as con:
            record_report(con, data, fmt, str(path))
    return GeneratedReport(path=path, format=fmt, data=data)
