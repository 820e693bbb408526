"""The timeline chart: incidents over time, stacked and coloured by type, as inline SVG.

Made with matplotlib's object API (no pyplot, so no global backend is switched) and saved
with text as paths, so the SVG needs no font and fetches nothing. Only fixed strings (type
names, dates, counts) are drawn: no web text ever reaches the SVG.
"""
from __future__ import annotations

import io
import re
from collections import Counter
from datetime import date, timedelta
from typing import Iterable, Optional

from trustwatch.records import EVENT_TYPES

#: colour-blind-safe colours per type (Okabe–Ito, extended), shared with the HTML chips
TYPE_COLOURS: dict[str, str] = {
    "BLOCK": "#E69F00",
    "BAN": "#D55E00",
    "FINE": "#0072B2",
    "APOLOGY": "#009E73",
    "ACCUSATION": "#CC79A7",
    "COMPENSATION": "#56B4E9",
    "LAWSUIT": "#6A3D9A",
    "INVESTIGATION": "#B8A200",
    "BREACH": "#444444",
}
OTHER_COLOUR = "#999999"
#: text colour that stays readable on each chip colour
TYPE_TEXT_COLOURS: dict[str, str] = {t: ("#111111" if t in ("BLOCK", "COMPENSATION", "INVESTIGATION",
                                                            "ACCUSATION") else "#FFFFFF")
                                     for t in TYPE_COLOURS}


def colour_of(type_: str) -> str:
    return TYPE_COLOURS.get(type_, OTHER_COLOUR)


def text_colour_of(type_: str) -> str:
    return TYPE_TEXT_COLOURS.get(type_, "#111111")


def _bucket(d: date, unit: str) -> date:
    if unit == "day":
        return d
    if unit == "week":
        return d - timedelta(days=d.weekday())
    return d.replace(day=1)


def choose_unit(first: date, last: date) -> str:
    span = (last - first).days
    if span <= 45:
        return "day"
    if span <= 7 * 30:
        return "week"
    return "month"


#: a chart spans at least this many days, so that one day's bar is not a full-width block
MIN_SPAN_DAYS = 7.0


def x_limits(xs: list[float], bar_days: float) -> tuple[float, float]:
    """The x range: the bars with a margin, widened to at least a week around them."""
    pad = max(bar_days, 1.0) * 1.2
    lo, hi = min(xs) - pad, max(xs) + pad
    if hi - lo < MIN_SPAN_DAYS:
        middle = (lo + hi) / 2
        lo, hi = middle - MIN_SPAN_DAYS / 2, middle + MIN_SPAN_DAYS / 2
    return lo, hi


def date_axis(unit: str, lo: float, hi: float):
    """Ticks on whole days for a chart by day (never hours: incidents are dated by the day),
    else matplotlib's concise automatic dates."""
    from matplotlib import dates as mdates

    if unit == "day":
        interval = max(1, int(-(-(hi - lo) // 8)))
        return mdates.DayLocator(interval=interval), mdates.DateFormatter("%-d %b")
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    return locator, mdates.ConciseDateFormatter(locator)


def timeline_svg(points: Iterable[tuple[Optional[date], str]], *, width_in: float = 8.0,
                 height_in: float = 3.4) -> Optional[str]:
    """An `<svg>` element (string) of counts per day/week/month stacked by type, or None when empty."""
    pts = [(d, t if t in EVENT_TYPES else "OTHER") for d, t in points if d is not None]
    if not pts:
        return None
    from matplotlib import dates as mdates
    from matplotlib import rc_context
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    first, last = min(d for d, _ in pts), max(d for d, _ in pts)
    unit = choose_unit(first, last)
    counts: Counter[tuple[date, str]] = Counter((_bucket(d, unit), t) for d, t in pts)
    buckets = sorted({b for b, _ in counts})
    present = [t for t in (*EVENT_TYPES, "OTHER") if any(t == k[1] for k in counts)]
    bar_days = {"day": 0.8, "week": 5.6, "month": 24.0}[unit]

    rc = {"svg.fonttype": "path", "svg.hashsalt": "trustwatch-report", "font.family": "DejaVu Sans",
          "font.size": 9, "axes.edgecolor": "#888888", "axes.labelcolor": "#333333",
          "xtick.color": "#444444", "ytick.color": "#444444"}
    with rc_context(rc):
        fig = Figure(figsize=(width_in, height_in), dpi=100)
        ax = fig.add_subplot(1, 1, 1)
        xs = [mdates.date2num(b + timedelta(days=bar_days / 2 if unit != "day" else 0)) for b in buckets]
        bottoms = [0] * len(buckets)
        for t in present:
            heights = [counts.get((b, t), 0) for b in buckets]
            ax.bar(xs, heights, width=bar_days, bottom=bottoms, color=colour_of(t), label=t.capitalize(),
                   edgecolor="white", linewidth=0.6, align="center")
            bottoms = [b + h for b, h in zip(bottoms, heights)]
        lo, hi = x_limits(xs, bar_days)
        ax.set_xlim(lo, hi)
        ax.set_ylim(0, max(bottoms) * 1.15 + 0.2)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=5))
        locator, formatter = date_axis(unit, lo, hi)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(formatter)
        ax.set_ylabel(f"incidents per {unit}")
        ax.grid(axis="y", color="#e3e3e3", linewidth=0.8)
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        # legend above the plot, so the chart stays narrow enough for a phone
        ncol = min(len(present), 5)
        rows = -(-len(present) // ncol)
        ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.03), ncol=ncol, frameon=False, fontsize=8.5,
                  handlelength=1.2, columnspacing=1.4, borderaxespad=0.0)
        fig.subplots_adjust(left=0.08, right=0.98, top=0.95 - 0.075 * rows, bottom=0.13)
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": "trustwatch"})
    return _inline(buf.getvalue())


def _inline(svg: str) -> str:
    """Strip the XML prologue and fixed size so the SVG scales with the page."""
    start = svg.find("<svg")
    svg = svg[start:]
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S)
    head_end = svg.find(">")
    head = svg[:head_end]
    head = re.sub(r'\s(width|height)="[^"]*"', "", head)
    head += ' role="img" aria-labelledby="chart-title" preserveAspectRatio="xMidYMid meet"'
    return head + svg[head_end:]
