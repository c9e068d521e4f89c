"""Server-rendered SVG charts: no JavaScript, readable without colour (the series differ by line
style and marker, every bar carries its value as text), and each chart's numbers are also in a
table next to it (the templates put it there). The SVG scales to its container and prints."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from samdrift.core.formats import format_number

WIDTH, HEIGHT = 640, 240
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 64, 16, 16, 40
SERIES_STYLES = [
    {"cls": "sd-series-a", "dash": "", "marker": "circle"},
    {"cls": "sd-series-b", "dash": "6 4", "marker": "square"},
]


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return value


def _marker(kind: str, x: float, y: float) -> str:
    if kind == "square":
        return f'<rect x="{x - 3.5:.1f}" y="{y - 3.5:.1f}" width="7" height="7" class="sd-marker"/>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" class="sd-marker"/>'


def line_chart(
    title: str,
    months: Sequence[date],
    series: Sequence[tuple[str, Sequence[Decimal | int | None]]],
    *,
    unit: str = "",
    decimals: int = 0,
) -> SafeString:
    """Up to two series over the months; a missing value breaks the line."""
    values = [float(value) for _, vs in series for value in vs if value is not None]
    top = _nice_max(max(values) if values else 0)
    plot_w = WIDTH - PAD_LEFT - PAD_RIGHT
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    n = max(len(months), 1)

    def x(i: int) -> float:
        return PAD_LEFT + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def y(v: float) -> float:
        return PAD_TOP + plot_h - plot_h * v / top

    parts = [
        f'<svg class="sd-svg-chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMidYMid meet">',
        f"<title>{escape(title)}</title>",
    ]
    for k in range(5):
        v = top * k / 4
        yy = y(v)
        parts.append(f'<line x1="{PAD_LEFT}" x2="{WIDTH - PAD_RIGHT}" y1="{yy:.1f}" y2="{yy:.1f}" class="sd-grid"/>')
        label = escape(format_number(Decimal(str(v)), decimals))
        parts.append(f'<text x="{PAD_LEFT - 6}" y="{yy + 4:.1f}" text-anchor="end" class="sd-axis">{label}</text>')
    step = max(1, n // 8)
    for i, month in enumerate(months):
        if i % step == 0 or i == n - 1:
            parts.append(
                f'<text x="{x(i):.1f}" y="{HEIGHT - PAD_BOTTOM + 16}" text-anchor="middle" class="sd-axis">'
                f"{month:%Y-%m}</text>"
            )
    for (_name, vs), style in zip(series, SERIES_STYLES, strict=False):
        segments: list[list[tuple[float, float]]] = [[]]
        for i, point in enumerate(vs):
            if point is None:
                segments.append([])
                continue
            segments[-1].append((x(i), y(float(point))))
        dash = f' stroke-dasharray="{style["dash"]}"' if style["dash"] else ""
        for seg in segments:
            if len(seg) > 1:
                points = " ".join(f"{px:.1f},{py:.1f}" for px, py in seg)
                parts.append(f'<polyline points="{points}" class="sd-line {style["cls"]}"{dash}/>')
        parts.append(f'<g class="{style["cls"]}">')
        parts.extend(_marker(style["marker"], px, py) for seg in segments for px, py in seg)
        parts.append("</g>")
    # Legend: the line style and marker name each series; no colour is needed to tell them apart.
    lx = PAD_LEFT
    for (name, _vs), style in zip(series, SERIES_STYLES, strict=False):
        ly = HEIGHT - 8
        dash = f' stroke-dasharray="{style["dash"]}"' if style["dash"] else ""
        parts.append(
            f'<line x1="{lx}" x2="{lx + 28}" y1="{ly - 4}" y2="{ly - 4}" class="sd-line {style["cls"]}"{dash}/>'
        )
        parts.append(f'<g class="{style["cls"]}">{_marker(style["marker"], lx + 14, ly - 4)}</g>')
        parts.append(f'<text x="{lx + 34}" y="{ly}" class="sd-legend-text">{escape(name)}</text>')
        lx += 40 + 8 * len(name)
    if unit:
        parts.append(f'<text x="4" y="{PAD_TOP + 4}" class="sd-axis">{escape(unit)}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every text above is escaped


def bar_chart(title: str, rows: Sequence[tuple[str, Decimal | int]], *, decimals: int = 0) -> SafeString:
    """Horizontal bars, one per row, each with its label and value written beside it."""
    row_h = 26
    label_w = 220
    height = max(row_h * len(rows) + 8, 40)
    top = _nice_max(max((float(v) for _, v in rows), default=0))
    plot_w = WIDTH - label_w - 120
    parts = [
        f'<svg class="sd-svg-chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for i, (label, value) in enumerate(rows):
        yy = 4 + i * row_h
        w = max(plot_w * float(value) / top, 0) if top else 0
        short = label if len(label) <= 32 else label[:31] + "…"
        parts.append(f'<text x="{label_w - 8}" y="{yy + 17}" text-anchor="end" class="sd-axis">{escape(short)}</text>')
        parts.append(f'<rect x="{label_w}" y="{yy + 4}" width="{w:.1f}" height="{row_h - 10}" class="sd-bar-svg"/>')
        parts.append(
            f'<text x="{label_w + w + 6:.1f}" y="{yy + 17}" class="sd-axis">'
            f"{escape(format_number(value, decimals))}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every text above is escaped


def chart_rows(months: Sequence[date], *series: Sequence[Any]) -> list[tuple[Any, ...]]:
    """The chart's numbers as table rows: (month, value of each series)."""
    return [(m, *(s[i] for s in series)) for i, m in enumerate(months)]
