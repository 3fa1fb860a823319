"""The dashboard's SVG bar charts: shape, accessible names and escaping."""

from __future__ import annotations

import re
from datetime import date, timedelta

from comments.moderation import charts


def series(*counts: int) -> list[tuple[date, int]]:
    start = date(2026, 1, 1)
    return [(start + timedelta(days=i), n) for i, n in enumerate(counts)]


def test_one_bar_per_day_scaled_to_the_busiest_day() -> None:
    svg = str(charts.bar_chart("Comments", series(0, 5, 10)))
    assert svg.count('class="mod-chart-bar"') == 3
    heights = [int(h) for h in re.findall(r'mod-chart-bar"[^>]*height="(\d+)"', svg)]
    assert heights[0] == 0 and heights[2] == 2 * heights[1] > 0
    assert "<title>Sat 03 Jan 2026: 10 comments</title>" in svg
    assert "<title>Fri 02 Jan 2026: 5 comments</title>" in svg
    assert 'role="img"' in svg
    assert (
        'aria-label="Comments, 01 Jan to 03 Jan: 15 comments in all, most on 03 Jan (10)."' in svg
    )
    assert "style" not in svg


def test_a_quiet_day_beside_a_busy_one_stays_visible() -> None:
    svg = str(charts.bar_chart("Actions", series(1, 10_000), unit="action"))
    assert 'height="1"/>' in svg
    assert "1 action</title>" in svg


def test_labels_are_escaped() -> None:
    svg = str(charts.bar_chart('<script>"x"</script>', series(1)))
    assert "<script>" not in svg
    assert "&lt;script&gt;&#34;x&#34;" in svg


def test_an_empty_series_is_still_a_named_image() -> None:
    svg = str(charts.bar_chart("Nothing", []))
    assert 'aria-label="Nothing: no data"' in svg
    assert "mod-chart-bar" not in svg
