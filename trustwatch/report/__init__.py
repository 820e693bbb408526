"""Incident reports for people who never open a terminal: HTML, PDF, Markdown, CSV, JSON.

Light to import: matplotlib, Jinja2 and WeasyPrint load only when a report is rendered.
"""
from trustwatch.report.data import ReportData, ReportFilterError, build_report, record_report


def render_report(data, format, path):
    """Write `data` as html|pdf|md|csv|json to `path`, atomically (see `render.render_report`)."""
    from trustwatch.report.render import render_report as _render

    return _render(data, format, path)


def generate_report(config, output=None, format=None, **filters):
    """Build, write and record one report (see `generate.generate_report`)."""
    from trustwatch.report.generate import generate_report as _generate

    return _generate(config, output, format, **filters)


__all__ = ["ReportData", "ReportFilterError", "build_report", "record_report", "render_report",
           "generate_report"]
