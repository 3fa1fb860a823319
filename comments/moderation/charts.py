"""Small server-rendered SVG bar charts for the dashboard.

The markup is built here, not in a template, so every piece of text goes through one
escape. The charts use CSS classes only (no style attributes) to stay within the CSP.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from markupsafe import Markup, escape

BAR_WIDTH = 12
GAP = 3
HEIGHT = 120
TOP = 14  # room for the peak label
BOTTOM = 18  # room for the first and last dates


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"


def summary(label: str, series: Sequence[tuple[date, int]], unit: str) -> str:
    """The chart in one sentence: its accessible name."""
    if not series:
        return f"{label}: no data"
    total = sum(n for _, n in series)
    first, last = series[0][0], series[-1][0]
    text = f"{label}, {first:%d %b} to {last:%d %b}: {_plural(total, unit)} in all"
    if total:
        peak_day, peak = max(series, key=lambda point: point[1])
        text += f", most on {peak_day:%d %b} ({peak})"
    return text + "."


def bar_chart(label: str, series: Sequence[tuple[date, int]], unit: str = "comment") -> Markup:
    """An SVG bar chart, one bar per day, each with a <title> giving the day and count."""
    peak = max((n for _, n in series), default=0)
    width = max(1, len(series)) * (BAR_WIDTH + GAP) + GAP
    plot = HEIGHT - TOP - BOTTOM
    name = summary(label, series, unit)
    parts = [
        f'<svg class="mod-chart" role="img" aria-label="{escape(name)}" '
        f'viewBox="0 0 {width} {HEIGHT}" width="{width}" height="{HEIGHT}" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f'<line class="mod-chart-axis" x1="0" y1="{TOP + plot}" x2="{width}" '
        f'y2="{TOP + plot}" stroke="currentColor"/>',
    ]
    for index, (day, count) in enumerate(series):
        x = GAP + index * (BAR_WIDTH + GAP)
        tall = round(plot * count / peak) if peak else 0
        if count and not tall:
            tall = 1  # a day with anything at all stays visible
        tip = escape(f"{day:%a %d %b %Y}: {_plural(count, unit)}")
        parts.append(
            f"<g><title>{tip}</title>"
            f'<rect class="mod-chart-slot" x="{x}" y="{TOP}" width="{BAR_WIDTH}" '
            f'height="{plot}" fill="transparent"/>'
            f'<rect class="mod-chart-bar" x="{x}" y="{TOP + plot - tall}" width="{BAR_WIDTH}" '
            f'height="{tall}"/></g>'
        )
    if series:
        parts.append(
            f'<text class="mod-chart-label" x="0" y="{HEIGHT - 4}">'
            f"{escape(f'{series[0][0]:%d %b}')}</text>"
            f'<text class="mod-chart-label" x="{width}" y="{HEIGHT - 4}" text-anchor="end">'
            f"{escape(f'{series[-1][0]:%d %b}')}</text>"
            f'<text class="mod-chart-label" x="0" y="{TOP - 3}">peak {peak}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every interpolated text is escaped above
