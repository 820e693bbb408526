"""Write a `ReportData` as HTML, PDF, Markdown, CSV or JSON, atomically.

HTML and PDF come from one Jinja2 template (autoescaped). The PDF renderer is given a URL
fetcher that refuses everything, so nothing in a report can make WeasyPrint touch the
network or the disk. Text from the web is escaped for each format; links are http(s) only.
"""
from __future__ import annotations

import csv
import io
import json
import logging
import os
import re
import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import Callable, Optional

from trustwatch.report.chart import colour_of, text_colour_of, timeline_svg
from trustwatch.report.data import IncidentItem, ReportData, format_day, safe_url

log = logging.getLogger(__name__)

FORMATS = ("html", "pdf", "md", "csv", "json")
SUFFIXES = {"html": ".html", "pdf": ".pdf", "md": ".md", "csv": ".csv", "json": ".json"}
JSON_SCHEMA_VERSION = 1


class ReportFormatError(ValueError):
    """An output format trustwatch does not write."""


def format_from_path(path: str | Path) -> Optional[str]:
    suffix = Path(path).suffix.lower().lstrip(".")
    aliases = {"htm": "html", "markdown": "md"}
    fmt = aliases.get(suffix, suffix)
    return fmt if fmt in FORMATS else None


def render_report(data: ReportData, format: str, path: str | Path) -> Path:
    """Write the report to `path` (temporary file, then an atomic rename)."""
    fmt = (format or "").lower()
    if fmt not in FORMATS:
        raise ReportFormatError(f"unknown report format {format!r}; choose from {', '.join(FORMATS)}")
    payload: bytes
    if fmt == "html":
        payload = render_html(data).encode("utf-8")
    elif fmt == "pdf":
        payload = render_pdf(data)
    elif fmt == "md":
        payload = render_markdown(data).encode("utf-8")
    elif fmt == "csv":
        payload = render_csv(data).encode("utf-8")
    else:
        payload = render_json(data).encode("utf-8")
    return write_atomic(Path(path), payload)


def write_atomic(path: Path, payload: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return path


# --------------------------------------------------------------------------- HTML / PDF

def _ts(value: Optional[datetime]) -> str:
    if value is None:
        return ""
    return f"{format_day(value)} {value:%H:%M} UTC"


def _day(value: Optional[date | datetime]) -> str:
    return format_day(value) if value else ""


_PRECISION = {"day": "exact day", "month": "month only", "year": "year only"}


def _environment():
    from jinja2 import Environment, PackageLoader, StrictUndefined

    env = Environment(loader=PackageLoader("trustwatch.report", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(ts=_ts, day=_day, type_colour=colour_of, type_text_colour=text_colour_of,
                       precision_label=lambda p: _PRECISION.get(p, str(p)))
    return env


def chart_for(data: ReportData) -> Optional[str]:
    try:
        return timeline_svg((it.chart_date, it.type) for it in data.incidents)
    except Exception:  # a chart must never cost the reader the whole report
        log.exception("timeline chart could not be drawn; the report goes out without it")
        return None


def render_html(data: ReportData, *, chart_svg: Optional[str] = None) -> str:
    svg = chart_svg if chart_svg is not None else chart_for(data)
    return _environment().get_template("report.html.j2").render(data=data, chart_svg=svg)


def _refusing_fetcher():
    from weasyprint.urls import URLFetcher

    class RefuseAll(URLFetcher):
        """Reports are self-contained: every fetch is refused (and logged)."""

        refused: list[str] = []

        def fetch(self, url, headers=None):
            self.refused.append(url)
            raise ValueError(f"trustwatch reports fetch nothing (refused {url[:80]!r})")

    return RefuseAll()


def render_pdf(data: ReportData) -> bytes:
    import weasyprint

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    fetcher = _refusing_fetcher()
    html = weasyprint.HTML(string=render_html(data), base_url="about:blank", url_fetcher=fetcher)
    return html.write_pdf()


# --------------------------------------------------------------------------- Markdown

#: characters with inline meaning on GitHub/GitLab/Gitea; text never starts a line, so block
#: markers (#, -, +, 1.) need no escape. `$` starts math on GitHub.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~$])")


def md_escape(text: Optional[str]) -> str:
    """Plain text that renders as itself on GitHub/GitLab/Gitea Markdown (no HTML, no markup)."""
    if not text:
        return ""
    text = re.sub(r"\s+", " ", str(text)).strip()
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def md_link(label: str, url: Optional[str]) -> str:
    url = safe_url(url)
    if not url:
        return md_escape(label)
    quoted = "".join(f"%{ord(c):02X}" if c in "()<> \"'`" else c for c in url)
    return f"[{md_escape(label)}]({quoted})"


def render_markdown(data: ReportData) -> str:
    out: list[str] = []
    w = out.append
    w(f"# {md_escape(data.title)}")
    w("")
    meta = (f"**{md_escape(data.period_display)}** · {md_escape(data.filters.by_label)} · "
            f"generated {md_escape(_ts(data.generated_at))}")
    if data.filters.describe():
        meta += " · " + md_escape("; ".join(data.filters.describe()))
    w(meta)
    w("")
    w("## Summary")
    w("")
    new = data.summary.n_new
    new_text = (f"{new} new since the last report ({md_escape(_ts(data.summary.previous_report_at))})"
                if data.summary.previous_report_at else "first report of this scope")
    w(f"- **{data.summary.n_incidents}** incident{'s' if data.summary.n_incidents != 1 else ''}; {new_text}")
    w(f"- {len(data.sources)} source{'s' if len(data.sources) != 1 else ''} with evidence; "
      f"{len(data.storylines)} storyline{'s' if len(data.storylines) != 1 else ''}")
    w("")
    if data.notice:
        w(f"**{md_escape(data.notice)}**")
        w("")
    if data.failed_sources:
        w(f"Sources not read in this run ({len(data.failed_sources)}):")
        w("")
        for p in data.failed_sources:
            w(f"- {md_escape(p.name)}: {md_escape(p.error)}")
        w("")
    if data.is_empty:
        w(f"**{md_escape(data.empty_message)}**")
        w("")
    else:
        w("| Type | Incidents |")
        w("| --- | ---: |")
        for tc in data.summary.by_type:
            w(f"| {md_escape(tc.type)} | {tc.count} |")
        w("")
        if data.summary.top_actors:
            w("**Most-involved parties:** " + ", ".join(
                f"{md_escape(a.name)} ({a.count})" for a in data.summary.top_actors))
            w("")
    if data.storylines:
        w("## Storylines")
        w("")
        for s in data.storylines:
            w(f"### {md_escape(s.title)}")
            w("")
            for n, step in enumerate(s.steps, 1):
                where = "" if step.in_report else " *(outside this report)*"
                w(f"{n}. {md_escape(step.date_display)} · **{md_escape(step.type)}** · "
                  f"{md_escape(step.headline)}{where}")
            w("")
    if not data.is_empty:
        w("## Incidents")
        w("")
        for it in data.incidents:
            flags = " · NEW" if it.is_new else ""
            w(f"### {md_escape(it.type)}: {md_escape(it.headline)}{flags}")
            w("")
            parties = md_escape(it.actor.name if it.actor else "unknown")
            if it.target:
                parties += " → " + md_escape(it.target.name)
            precision = f" ({_PRECISION.get(it.date_precision, it.date_precision)})" if it.date_precision else ""
            w(f"- **Date:** {md_escape(it.date_display)}" + (f" {md_escape(precision)}" if precision else ""))
            w(f"- **Parties:** {parties}")
            if it.amount_display:
                w(f"- **Amount:** {md_escape(it.amount_display)}")
            w(f"- **Status:** {md_escape(it.status)}")
            w(f"- **Sources:** {it.n_sources} ({it.n_documents} article{'s' if it.n_documents != 1 else ''})")
            if it.first_seen:
                seen = f"first {_day(it.first_seen)}"
                if it.last_seen:
                    seen += f", last {_day(it.last_seen)}"
                w(f"- **Seen:** {md_escape(seen)}")
            for d in it.disagreements:
                w(f"- **Sources disagree:** {md_escape(d)}")
            w("")
            for ev in it.evidence_shown:
                w(f"> “{md_escape(ev.sentence)}”")
                w(">")
                cites = []
                for s in ev.sources:
                    cite = f"— {md_link(s.source, s.url)}"
                    if s.published:
                        cite += f", {md_escape(_day(s.published))}"
                    cites.append(cite)
                w("> " + "; ".join(cites))
                w("")
            if it.evidence_hidden:
                w(f"*{it.evidence_hidden} more sentences in the JSON and CSV exports.*")
                w("")
    w("---")
    w("")
    sources = ", ".join(f"{md_escape(s.name)} ({s.documents})" for s in data.sources) or "none in this period"
    w(f"Period: {md_escape(data.period_display)}  ")
    w(f"Sources covered: {sources}" + (f" · {data.n_sources_watched} watched" if data.n_sources_watched else "") + "  ")
    w(f"Generated: {md_escape(_ts(data.generated_at))} by trustwatch {md_escape(data.trustwatch_version)}  ")
    w(f"Extractor: {md_escape(', '.join(data.extractor_versions) or 'no events extracted yet')}")
    w("")
    return "\n".join(out)


# --------------------------------------------------------------------------- CSV / JSON

CSV_COLUMNS = (
    "incident_id", "type", "status", "headline", "date", "date_precision", "date_display",
    "actor", "actor_id", "target", "target_id", "amount_value", "amount_currency",
    "n_sources", "n_documents", "first_seen", "last_seen", "storyline_id", "is_new",
    "disagreements", "sources", "links", "evidence",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_text(value: Optional[str]) -> str:
    """Text a spreadsheet shows as text: a leading formula character gets a quote mark."""
    if value is None:
        return ""
    value = str(value)
    return "'" + value if value.startswith(_FORMULA_START) else value


def incident_row(it: IncidentItem) -> dict[str, str]:
    def iso(v: Optional[datetime]) -> str:
        return v.isoformat(sep=" ") if v else ""

    evidence = " | ".join(
        f"{ev.sentence} — " + "; ".join(
            s.source + (f", {s.published.date().isoformat()}" if s.published else "") for s in ev.sources)
        for ev in it.evidence)
    return {
        "incident_id": _csv_text(it.incident_id), "type": _csv_text(it.type), "status": _csv_text(it.status),
        "headline": _csv_text(it.headline), "date": _csv_text(it.date),
        "date_precision": _csv_text(it.date_precision), "date_display": _csv_text(it.date_display),
        "actor": _csv_text(it.actor.name if it.actor else None), "actor_id": _csv_text(it.actor.id if it.actor else None),
        "target": _csv_text(it.target.name if it.target else None),
        "target_id": _csv_text(it.target.id if it.target else None),
        "amount_value": "" if it.amount_value is None else repr(float(it.amount_value)),
        "amount_currency": _csv_text(it.amount_currency), "n_sources": str(it.n_sources),
        "n_documents": str(it.n_documents), "first_seen": iso(it.first_seen), "last_seen": iso(it.last_seen),
        "storyline_id": _csv_text(it.storyline_id), "is_new": "true" if it.is_new else "false",
        "disagreements": _csv_text(" | ".join(it.disagreements)),
        "sources": _csv_text("; ".join(it.source_names)), "links": _csv_text(" ".join(it.links)),
        "evidence": _csv_text(evidence),
    }


def render_csv(data: ReportData) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writeheader()
    for it in data.incidents:
        writer.writerow(incident_row(it))
    return buf.getvalue()


def report_json(data: ReportData) -> dict:
    incidents = []
    for it in data.incidents:
        d = it.model_dump(mode="json", exclude={"anchor", "chart_date"})
        d["sources"] = it.source_names
        incidents.append(d)
    return {
        "schema_version": JSON_SCHEMA_VERSION,
        "report": {
            "report_id": data.report_id, "title": data.title,
            "generated_at": data.generated_at.isoformat() + "Z",
            "period": data.period_display,
            "failed_sources": [p.model_dump(mode="json") for p in data.failed_sources],
            "notice": data.notice,
            "filters": data.filters.model_dump(mode="json"),
            "sources_covered": [s.model_dump(mode="json") for s in data.sources],
            "n_sources_watched": data.n_sources_watched,
            "extractor_versions": data.extractor_versions,
            "trustwatch_version": data.trustwatch_version,
        },
        "summary": data.summary.model_dump(mode="json"),
        "storylines": [s.model_dump(mode="json", exclude={"steps": {"__all__": {"anchor"}}})
                       for s in data.storylines],
        "incidents": incidents,
    }


def render_json(data: ReportData) -> str:
    return json.dumps(report_json(data), ensure_ascii=False, indent=2) + "\n"


RENDERERS: dict[str, Callable[[ReportData], str | bytes]] = {
    "html": render_html, "pdf": render_pdf, "md": render_markdown, "csv": render_csv, "json": render_json,
}
