"""A line chart of daily counts drawn as inline SVG on the server: no scripts, no other hosts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Final

from markupsafe import Markup, escape

WIDTH: Final = 640
HEIGHT: Final = 260
_LEFT, _RIGHT, _TOP, _BOTTOM = 40, 10, 10, 50
# The widest a digit of the axis' 11px labels is drawn, in any font a page may fall back to:
# the left margin grows with the highest count, so a million is not drawn outside the chart.
_DIGIT_WIDTH: Final = 7
# Each series differs in dash pattern as well as colour, so the chart reads without colour vision.
_STYLES: Final = (
    ("#004f9f", ""),
    ("#1a7f37", "6 3"),
    ("#a4001d", "2 3"),
    ("#5b2a86", "10 3 2 3"),
)


def line_chart(
    chart_id: str,
    title: str,
    description: str,
    days: Sequence[date],
    series: Mapping[str, Sequence[int]],
    labels: Mapping[str, str],
) -> Markup:
    """Return an accessible SVG line chart, one line per series, one point per day."""
    peak = max([1, *(max(values, default=0) for values in series.values())])
    left = max(_LEFT, 8 + _DIGIT_WIDTH * len(str(peak)))
    inner_w, inner_h = WIDTH - left - _RIGHT, HEIGHT - _TOP - _BOTTOM
    step = inner_w / max(1, len(days) - 1)

    def x(i: int) -> float:
        return left + i * step

    def y(value: int) -> float:
        return _TOP + inner_h - value / peak * inner_h

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="100%" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
        f'<line x1="{left}" y1="{_TOP + inner_h}" x2="{WIDTH - _RIGHT}" '
        f'y2="{_TOP + inner_h}" stroke="#1a1a1a"/>',
        f'<line x1="{left}" y1="{_TOP}" x2="{left}" y2="{_TOP + inner_h}" stroke="#1a1a1a"/>',
        f'<text x="{left - 4}" y="{_TOP + 4}" text-anchor="end" font-size="11">{peak}</text>',
        f'<text x="{left - 4}" y="{_TOP + inner_h}" text-anchor="end" font-size="11">0</text>',
    ]
    if days:
        parts.append(
            f'<text x="{left}" y="{HEIGHT - _BOTTOM + 16}" font-size="11">{days[0]}</text>'
        )
        parts.append(
            f'<text x="{WIDTH - _RIGHT}" y="{HEIGHT - _BOTTOM + 16}" text-anchor="end" '
            f'font-size="11">{days[-1]}</text>'
        )
    for n, (name, values) in enumerate(series.items()):
        colour, dash = _STYLES[n % len(_STYLES)]
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2"{dash_attr} '
            f'points="{points}"/>'
        )
        legend_x = left + n * (WIDTH - left) // max(1, len(series))
        legend_y = HEIGHT - 12
        parts.append(
            f'<line x1="{legend_x}" y1="{legend_y - 4}" x2="{legend_x + 24}" y2="{legend_y - 4}" '
            f'stroke="{colour}" stroke-width="2"{dash_attr}/>'
        )
        parts.append(
            f'<text x="{legend_x + 30}" y="{legend_y}" font-size="12">'
            f"{escape(labels.get(name, name))}</text>"
        )
    parts.append("</svg>")
    # Every text placed in the drawing went through escape(); the rest are numbers we made.
    return Markup("".join(parts))  # noqa: S704
