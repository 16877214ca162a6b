"""Inline SVG charts for Lens panels: XY (bar, line, area; stacked, percentage, horizontal), pie/donut, heatmap.

Every string that comes from data (labels, series names, values) goes through `esc`, so hostile
text cannot break the page. Hover details use SVG `<title>` elements: no script needed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from typing import Any

PALETTE = ("#54B399", "#6092C0", "#D36086", "#9170B8", "#CA8EAE", "#D6BF57", "#B9A888", "#DA8B45",
           "#AA6556", "#E7664C")
MAX_SERIES = 12
FONT = 11


def esc(value: Any) -> str:
    """Text safe inside HTML or SVG, attributes included."""
    return escape(str(value), quote=True)


def _clip(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[:max(chars - 1, 1)] + "…"


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high] (1, 2, 2.5 or 5 × 10^n steps)."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return [0.0, 1.0]
    if high == low:
        high = low + (abs(low) or 1.0)
    raw = (high - low) / max(count, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(s * magnitude for s in (1, 2, 2.5, 5, 10) if s * magnitude >= raw)
    start = math.floor(low / step) * step
    ticks = []
    value = start
    while value < high + step * 0.5 and len(ticks) < 50:
        ticks.append(round(value, 10))
        value += step
    if ticks[-1] < high:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


@dataclass
class Series:
    """One drawn series of an XY chart."""

    name: str
    kind: str  # bar, line, area
    group: str  # series in one stack group stack on each other
    stacked: bool
    values: dict[Any, float] = field(default_factory=dict)
    fmt: Callable[[Any], str] = str
    axis: str = "left"  # or "right": a second value axis (Lens yConfig axisMode)


def _svg(width: int, height: int, body: list[str], label: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="{esc(label)}" font-size="{FONT}" font-family="inherit">' + "".join(body) + "</svg>")


def _legend(names: list[tuple[str, str]], x: float, y: float, width: float, height: float) -> list[str]:
    out = []
    rows = max(int(height // 16), 1)
    for i, (name, colour) in enumerate(names[:rows]):
        yy = y + i * 16
        out.append(f'<rect x="{x:.1f}" y="{yy:.1f}" width="10" height="10" rx="2" fill="{colour}"/>')
        out.append(f'<text x="{x + 14:.1f}" y="{yy + 9:.1f}" fill="#343741"><title>{esc(name)}</title>'
                   f'{esc(_clip(name, int((width - 16) / 6.2)))}</text>')
    if len(names) > rows:
        out.append(f'<text x="{x:.1f}" y="{y + rows * 16 + 9:.1f}" fill="#69707D">+{len(names) - rows} more</text>')
    return out


def xy_chart(categories: list[Any], category_label: Callable[[Any], str], series: list[Series], *,
             width: int, height: int, horizontal: bool = False, percentage: bool = False,
             title: str = "", x_title: str = "", y_title: str = "", legend: bool = True) -> str:
    """A bar/line/area chart over ordered categories (dates or terms), stacked per series group.

    `x_title` names the category axis and `y_title` the value axis (as Lens's axis titles).
    """
    series = series[:MAX_SERIES]
    colours = {s.name: PALETTE[i % len(PALETTE)] for i, s in enumerate(series)}
    legend_w = min(180, width // 4) if len(series) > 1 and legend else 0
    has_right = any(s.axis == "right" for s in series) and not horizontal
    left, top, bottom = (max(60, min(140, width // 5)) if horizontal else 58), 10, 34
    # the category axis is at the bottom, or at the left of a horizontal chart
    bottom_title, side_title = (y_title, x_title) if horizontal else (x_title, y_title)
    if side_title:
        left += 16
    if bottom_title:
        bottom += 14
    right = 10 + legend_w + (52 if has_right else 0) + (24 if horizontal else 0)  # room for the last tick label
    plot_w, plot_h = max(width - left - right, 40), max(height - top - bottom, 40)
    totals = {c: sum(abs(s.values.get(c) or 0.0) for s in series if s.stacked) for c in categories}

    def value(s: Series, c: Any) -> float | None:
        v = s.values.get(c)
        if v is None:
            return None
        return v / totals[c] * 100 if percentage and s.stacked and totals[c] else v

    stacks: dict[tuple[str, Any], list[float]] = {}  # (group, category) → [positive top, negative bottom]
    extents: dict[str, list[float]] = {"left": [0.0], "right": [0.0]}
    spans: dict[tuple[str, Any], tuple[float, float]] = {}
    for s in series:
        for c in categories:
            v = value(s, c)
            if v is None:
                continue
            if s.stacked:
                pos, neg = stacks.setdefault((s.group + s.axis, c), [0.0, 0.0])
                base = pos if v >= 0 else neg
                spans[(s.name, c)] = (base, base + v)
                stacks[(s.group + s.axis, c)][0 if v >= 0 else 1] = base + v
                extents[s.axis].append(base + v)
            else:
                spans[(s.name, c)] = (0.0, v)
                extents[s.axis].append(v)
    ticks = nice_ticks(min(extents["left"]), max(extents["left"]))
    right_ticks = nice_ticks(min(extents["right"]), max(extents["right"]))
    bounds = {"left": (ticks[0], ticks[-1]), "right": (right_ticks[0], right_ticks[-1])}
    n = max(len(categories), 1)
    band = (plot_h if horizontal else plot_w) / n

    def scale(v: float, axis: str = "left") -> float:  # value → pixel along the value axis
        low, high = bounds[axis]
        frac = (v - low) / (high - low)
        return left + frac * plot_w if horizontal else top + plot_h - frac * plot_h

    fmt_axis = next((s.fmt for s in series if s.axis == "left"), str)
    fmt_right = next((s.fmt for s in series if s.axis == "right"), str)
    body = [f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="#fff"/>']
    for t in ticks:  # value gridlines and labels
        label = f"{t:g}%" if percentage else fmt_axis(t)
        if horizontal:
            x = scale(t)
            body.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + plot_h}" stroke="#EEF0F3"/>')
            body.append(f'<text x="{x:.1f}" y="{top + plot_h + 14}" text-anchor="middle" fill="#69707D">'
                        f'{esc(label)}</text>')
        else:
            y = scale(t)
            body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#EEF0F3"/>')
            body.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#69707D">{esc(label)}</text>')
    if has_right:
        for t in right_ticks:
            body.append(f'<text x="{left + plot_w + 6}" y="{scale(t, "right") + 4:.1f}" fill="#69707D">'
                        f'{esc(fmt_right(t))}</text>')
    every = max(1, math.ceil(n / max(int((plot_h / 16) if horizontal else (plot_w / 70)), 1)))
    for i, c in enumerate(categories):  # category labels
        if i % every:
            continue
        label = category_label(c)
        if horizontal:
            y = top + band * (i + 0.5)
            body.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#343741"><title>'
                        f'{esc(label)}</title>{esc(_clip(label, int((left - 24) / 6.2)))}</text>')
        else:
            x = left + band * (i + 0.5)
            body.append(f'<text x="{x:.1f}" y="{top + plot_h + 14}" text-anchor="middle" fill="#343741"><title>'
                        f'{esc(label)}</title>{esc(_clip(label, max(int(band * every / 6.5), 4)))}</text>')
    bar_groups = list(dict.fromkeys(s.group if s.stacked else s.name for s in series if s.kind == "bar"))
    slot = band * 0.8 / max(len(bar_groups), 1)
    for s in series:
        colour = colours[s.name]
        if s.kind == "bar":
            k = bar_groups.index(s.group if s.stacked else s.name)
            for i, c in enumerate(categories):
                if (s.name, c) not in spans:
                    continue
                a, b = spans[(s.name, c)]
                offset = band * (i + 0.1) + k * slot
                tip = f"{category_label(c)} · {s.name}: {s.fmt(s.values.get(c))}"
                if horizontal:
                    x0, x1 = sorted((scale(a), scale(b)))
                    body.append(f'<rect x="{x0:.1f}" y="{top + offset:.1f}" width="{max(x1 - x0, 0.5):.1f}" '
                                f'height="{slot:.1f}" fill="{colour}"><title>{esc(tip)}</title></rect>')
                else:
                    y0, y1 = sorted((scale(a, s.axis), scale(b, s.axis)))
                    body.append(f'<rect x="{left + offset:.1f}" y="{y0:.1f}" width="{slot:.1f}" '
                                f'height="{max(y1 - y0, 0.5):.1f}" fill="{colour}"><title>{esc(tip)}</title></rect>')
            continue
        points = [(left + band * (i + 0.5), spans[(s.name, c)]) for i, c in enumerate(categories)
                  if (s.name, c) in spans]
        if not points:
            continue
        for run in _runs(categories, s.name, spans, left, band):  # no value: a gap, as Lens draws it
            line = " ".join(f"{x:.1f},{scale(b, s.axis):.1f}" for x, (_, b) in run)
            if s.kind == "area":
                base = " ".join(f"{x:.1f},{scale(a, s.axis):.1f}" for x, (a, _) in reversed(run))
                body.append(f'<polygon points="{line} {base}" fill="{colour}" fill-opacity="0.35"/>')
            body.append(f'<polyline points="{line}" fill="none" stroke="{colour}" stroke-width="2"/>')
        if len(points) <= 60:
            for (x, (_, b)), c in zip(points, [c for c in categories if (s.name, c) in spans], strict=True):
                tip = f"{category_label(c)} · {s.name}: {s.fmt(s.values.get(c))}"
                body.append(f'<circle cx="{x:.1f}" cy="{scale(b, s.axis):.1f}" r="2.5" fill="{colour}"><title>'
                            f'{esc(tip)}</title></circle>')
    body.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#98A2B3"/>')
    if bottom_title:
        body.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 4}" text-anchor="middle" fill="#343741" '
                    f'font-weight="600">{esc(_clip(bottom_title, int(plot_w / 6.5)))}</text>')
    if side_title:
        body.append(f'<text transform="translate(12,{top + plot_h / 2:.1f}) rotate(-90)" text-anchor="middle" '
                    f'fill="#343741" font-weight="600">{esc(_clip(side_title, int(plot_h / 6.5)))}</text>')
    if legend_w:
        body += _legend([(s.name + (" (right axis)" if s.axis == "right" else ""), colours[s.name]) for s in series],
                        width - legend_w + 6, top + 4, legend_w - 8, plot_h)
    return _svg(width, height, body, title)


def _runs(categories: list[Any], name: str, spans: dict[tuple[str, Any], tuple[float, float]], left: float,
          band: float) -> list[list[tuple[float, tuple[float, float]]]]:
    """Consecutive categories with a value, as (x, span) runs."""
    runs: list[list[tuple[float, tuple[float, float]]]] = [[]]
    for i, c in enumerate(categories):
        if (name, c) in spans:
            runs[-1].append((left + band * (i + 0.5), spans[(name, c)]))
        elif runs[-1]:
            runs.append([])
    return [r for r in runs if r]


def _arc(cx: float, cy: float, r: float, inner: float, a0: float, a1: float) -> str:
    if a1 - a0 >= 2 * math.pi - 1e-9:  # a full circle is two half arcs
        half = a0 + math.pi
        return _arc(cx, cy, r, inner, a0, half) + " " + _arc(cx, cy, r, inner, half, a1)
    large = 1 if a1 - a0 > math.pi else 0

    def pt(radius: float, a: float) -> str:
        return f"{cx + radius * math.sin(a):.2f},{cy - radius * math.cos(a):.2f}"

    if inner > 0:
        return (f"M{pt(r, a0)} A{r:.2f},{r:.2f} 0 {large} 1 {pt(r, a1)} L{pt(inner, a1)} "
                f"A{inner:.2f},{inner:.2f} 0 {large} 0 {pt(inner, a0)} Z")
    return f"M{cx:.2f},{cy:.2f} L{pt(r, a0)} A{r:.2f},{r:.2f} 0 {large} 1 {pt(r, a1)} Z"


def pie_chart(slices: list[tuple[str, float, str]], *, width: int, height: int, donut: bool = False,
              title: str = "", show: str = "percent") -> str:
    """A pie or donut: (label, value, formatted value) slices; negative and empty values are left out."""
    slices = [(label, v, text) for label, v, text in slices if v and v > 0 and math.isfinite(v)]
    total = sum(v for _, v, _ in slices)
    legend_w = min(220, width * 2 // 5)
    r = max(min((width - legend_w) / 2, height / 2) - 12, 10)
    cx, cy = (width - legend_w) / 2, height / 2
    body: list[str] = []
    angle = 0.0
    names = []
    for i, (label, v, text) in enumerate(slices):
        colour = PALETTE[i % len(PALETTE)] if i < MAX_SERIES else "#D3DAE6"
        share = v / total if total else 0
        end = angle + share * 2 * math.pi
        body.append(f'<path d="{_arc(cx, cy, r, r * 0.55 if donut else 0, angle, end)}" fill="{colour}" '
                    f'stroke="#fff" stroke-width="1"><title>{esc(f"{label}: {text} ({share:.1%})")}</title></path>')
        if show != "hidden" and share >= 0.05:  # values on the slices, as Lens draws them
            mid, radius = (angle + end) / 2, r * (0.775 if donut else 0.62)
            shown = f"{share:.0%}" if show == "percent" else text
            body.append(f'<text x="{cx + radius * math.sin(mid):.1f}" y="{cy - radius * math.cos(mid) + 4:.1f}" '
                        f'text-anchor="middle" fill="#fff" font-weight="600">{esc(_clip(shown, 12))}</text>')
        names.append((label, colour))
        angle = end
    body += _legend(names, width - legend_w + 4, 12, legend_w - 8, height - 16)
    return _svg(width, height, body, title)


def _shade(t: float) -> str:
    """A sequential blue ramp (t in 0..1), light to dark."""
    low, high = (0xE6, 0xF1, 0xFA), (0x0B, 0x4F, 0x9E)
    return "#" + "".join(f"{round(a + (b - a) * t):02X}" for a, b in zip(low, high, strict=True))


def heatmap_chart(xs: list[Any], ys: list[Any], cells: dict[tuple[Any, Any], float], *, x_label: Callable[[Any], str],
                  y_label: Callable[[Any], str], value_label: Callable[[Any], str], width: int, height: int,
                  title: str = "") -> str:
    """A grid of cells coloured by value, with axes and a min–max legend."""
    left, top, bottom, right = max(60, min(130, width // 6)), 8, 48, 10
    plot_w, plot_h = max(width - left - right, 40), max(height - top - bottom, 40)
    cw, ch = plot_w / max(len(xs), 1), plot_h / max(len(ys), 1)
    values = [v for v in cells.values() if v is not None and math.isfinite(v)]
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    body: list[str] = []
    for j, yv in enumerate(ys):
        for i, xv in enumerate(xs):
            v = cells.get((xv, yv))
            fill = "#F5F7FA" if v is None else _shade((v - low) / (high - low) if high > low else 1.0)
            tip = f"{x_label(xv)} · {y_label(yv)}: {value_label(v)}"
            body.append(f'<rect x="{left + i * cw:.1f}" y="{top + j * ch:.1f}" width="{cw:.1f}" height="{ch:.1f}" '
                        f'fill="{fill}" stroke="#fff" stroke-width="0.5"><title>{esc(tip)}</title></rect>')
            if v is not None and cw >= 34 and ch >= 14:
                light = high > low and (v - low) / (high - low) > 0.55
                body.append(f'<text x="{left + (i + 0.5) * cw:.1f}" y="{top + (j + 0.5) * ch + 4:.1f}" '
                            f'text-anchor="middle" fill="{"#fff" if light else "#343741"}" font-size="9">'
                            f'{esc(_clip(value_label(v), int(cw / 5.5)))}</text>')
    every_y = max(1, math.ceil(len(ys) / max(int(plot_h / 13), 1)))
    for j, yv in enumerate(ys):
        if j % every_y == 0:
            body.append(f'<text x="{left - 4}" y="{top + (j + 0.5) * ch + 4:.1f}" text-anchor="end" fill="#343741">'
                        f'{esc(_clip(y_label(yv), int(left / 6.5)))}</text>')
    every_x = max(1, math.ceil(len(xs) / max(int(plot_w / 40), 1)))
    for i, xv in enumerate(xs):
        if i % every_x == 0:
            body.append(f'<text x="{left + (i + 0.5) * cw:.1f}" y="{top + plot_h + 13}" text-anchor="middle" '
                        f'fill="#343741">{esc(_clip(x_label(xv), max(int(cw * every_x / 6.5), 3)))}</text>')
    ly = top + plot_h + 24
    stops = "".join(f'<rect x="{left + k * plot_w / 20:.1f}" y="{ly}" width="{plot_w / 20 + 0.5:.1f}" height="8" '
                    f'fill="{_shade(k / 19)}"/>' for k in range(20))
    body.append(stops)
    body.append(f'<text x="{left}" y="{ly + 20}" fill="#69707D">{esc(value_label(low))}</text>')
    body.append(f'<text x="{left + plot_w}" y="{ly + 20}" text-anchor="end" fill="#69707D">{esc(value_label(high))}</text>')
    return _svg(width, height, body, title)
