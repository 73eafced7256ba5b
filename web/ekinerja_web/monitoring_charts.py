"""The Monitoring pages' charts, drawn on the server as inline SVG (no script, no library): the share
of employee-days filled per day as a line, and a level's children ranked by one figure as bars.

Each chart is an image with a title and a description (role="img"); the table next to it holds the
same numbers for whoever reads rather than looks. Colours come from attributes, not style: the
pages' Content-Security-Policy allows no inline style."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 220
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 44, 12, 12, 36
LINE, GRID, TEXT, BAR = "#1d70b8", "#b1b4b6", "#0b0c0c", "#00703c"


def _number(value: Any) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(Decimal(str(value)))
    except ArithmeticError:
        return None


def line(ident: str, title: str, description: str, points: Sequence[tuple[str, Any]],
         labels: Sequence[str]) -> Markup:
    """Rates (0..1, or None where nothing was known) per label, as a line from 0 to 100 %; a day
    without a rate breaks the line."""
    inner_w, inner_h = WIDTH - PAD_LEFT - PAD_RIGHT, HEIGHT - PAD_TOP - PAD_BOTTOM
    count = max(len(points), 1)
    step = inner_w / (count - 1) if count > 1 else 0

    def x(i: int) -> float:
        return PAD_LEFT + (i * step if count > 1 else inner_w / 2)

    def y(v: float) -> float:
        return PAD_TOP + inner_h * (1 - max(0.0, min(1.0, v)))

    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="{ident}-t {ident}-d" '
             f'focusable="false" xmlns="http://www.w3.org/2000/svg">',
             f'<title id="{ident}-t">{escape(title)}</title><desc id="{ident}-d">{escape(description)}</desc>']
    share: float | None
    for share in (0, 0.5, 1):
        parts.append(f'<line x1="{PAD_LEFT}" x2="{WIDTH - PAD_RIGHT}" y1="{y(share):.1f}" y2="{y(share):.1f}" '
                     f'stroke="{GRID}" stroke-width="1"/>')
        parts.append(f'<text x="{PAD_LEFT - 6}" y="{y(share) + 4:.1f}" text-anchor="end" font-size="12" '
                     f'fill="{TEXT}">{int(share * 100)}%</text>')
    runs: list[list[str]] = [[]]
    for i, (_, value) in enumerate(points):
        share = _number(value)
        if share is None:
            runs.append([])
            continue
        runs[-1].append(f"{x(i):.1f},{y(share):.1f}")
        parts.append(f'<circle cx="{x(i):.1f}" cy="{y(share):.1f}" r="3" fill="{LINE}"/>')
    for run in runs:
        if len(run) > 1:
            parts.append(f'<polyline points="{" ".join(run)}" fill="none" stroke="{LINE}" stroke-width="2"/>')
    shown = {0, len(points) - 1} | ({len(points) // 2} if len(points) > 2 else set())
    for i in sorted(i for i in shown if 0 <= i < len(labels)):
        anchor = "start" if i == 0 and len(points) > 1 else "end" if i == len(points) - 1 and len(points) > 1 \
            else "middle"
        parts.append(f'<text x="{x(i):.1f}" y="{HEIGHT - 12}" text-anchor="{anchor}" font-size="12" '
                     f'fill="{TEXT}">{escape(labels[i])}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def ranked_bars(ident: str, title: str, description: str, rows: Sequence[tuple[str, Any, str]],
                limit: int = 15) -> Markup:
    """(label, value, shown value) per row, the largest first, as horizontal bars (at most `limit`)."""
    ranked = sorted(((label, _number(value) or 0.0, shown) for label, value, shown in rows),
                    key=lambda r: r[1], reverse=True)[:limit]
    bar_h, gap, label_w = 22, 8, 220
    height = max(len(ranked), 1) * (bar_h + gap) + gap
    top = max((v for _, v, _ in ranked), default=0.0) or 1.0
    room = WIDTH - label_w - 80
    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="{ident}-t {ident}-d" '
             f'focusable="false" xmlns="http://www.w3.org/2000/svg">',
             f'<title id="{ident}-t">{escape(title)}</title><desc id="{ident}-d">{escape(description)}</desc>']
    for i, (label, value, shown) in enumerate(ranked):
        y0 = gap + i * (bar_h + gap)
        name = label if len(label) <= 30 else label[:29] + "…"
        parts.append(f'<text x="{label_w - 8}" y="{y0 + 15}" text-anchor="end" font-size="12" '
                     f'fill="{TEXT}">{escape(name)}</text>')
        width = max(room * value / top, 1.0 if value else 0.0)
        parts.append(f'<rect x="{label_w}" y="{y0}" width="{width:.1f}" height="{bar_h}" fill="{BAR}"/>')
        parts.append(f'<text x="{label_w + width + 6:.1f}" y="{y0 + 15}" font-size="12" '
                     f'fill="{TEXT}">{escape(shown)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
