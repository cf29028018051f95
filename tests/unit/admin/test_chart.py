"""The admin's SVG line chart keeps its axis labels inside the drawing, however high the count."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from services.admin.entrypoints.chart import line_chart

DAYS = [date(2026, 3, 20) + timedelta(days=n) for n in range(14)]


@pytest.mark.parametrize("peak", [0, 7, 9_999, 250_000, 1_234_567, 3_000_000_000])
def test_the_highest_count_is_drawn_inside_the_chart(peak: int) -> None:
    svg = line_chart("c", "Mail", "Mail per day", DAYS, {"sent": [0] * 13 + [peak]}, {})
    label = re.search(r'<text x="(\d+)" y="\d+" text-anchor="end" font-size="11">(\d+)</text>', svg)
    assert label is not None
    right_edge, text = int(label.group(1)), label.group(2)
    assert text == str(max(1, peak))
    # Right-aligned at its x, 11px digits at most 7px wide each: it starts inside the drawing.
    assert right_edge - 7 * len(text) >= 0
    points = re.search(r'points="([\d.]+),', svg)
    assert points is not None and float(points.group(1)) > right_edge  # the line right of it
