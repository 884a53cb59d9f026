"""Static SVG charts for post-LIVE reports: no browser, no JavaScript, no network.

bqplot needs a browser front end to draw, so a report executed by papermill and opened offline gets its
pictures from here instead: a few plain SVG renderers (lines with event markers, horizontal bars with
negative values, columns, paired bars). Every label that could come from a user (product names, prizes,
channels, regions) is escaped with :func:`liveboard.views.format.esc`; numbers are written by the caller's
formatter and escaped too. Each chart is one ``<svg class="lb-chart">`` with ``role="img"`` and a
``<title>``, scaled to its container through ``viewBox``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from liveboard.views.format import MARKER_COLORS, esc

PALETTE = ("#2563eb", "#ea580c", "#16a34a", "#9333ea", "#0891b2", "#dc2626", "#ca8a04", "#4b5563")
FONT = "font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif"
AXIS = "#6b7280"
GRID = "#e5e7eb"

Formatter = Callable[[float], str]


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]
    color: str | None = None


@dataclass(frozen=True)
class Marker:
    x: float
    label: str
    kind: str = "product"  # product | giveaway | violation


def _num(v: object) -> float | None:
    try:
        f = float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) or math.isinf(f) else f


def _f(v: float) -> str:
    """A coordinate, short."""
    return f"{v:.1f}".rstrip("0").rstrip(".") if v != int(v) else str(int(v))


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """About ``n`` round tick values covering ``[lo, hi]`` (always includes the ends' rounded bounds)."""
    if hi < lo:
        lo, hi = hi, lo
    if hi == lo:
        hi = lo + (abs(lo) or 1.0)
    raw = (hi - lo) / max(n, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step) * step
    stop = math.ceil(hi / step) * step
    count = int(round((stop - start) / step))
    return [round(start + i * step, 10) for i in range(count + 1)]


def _default_fmt(v: float) -> str:
    if abs(v) >= 1e6:
        return f"{v / 1e6:.1f}M".replace(".0M", "M")
    if abs(v) >= 1e3:
        return f"{v / 1e3:.1f}k".replace(".0k", "k")
    return f"{v:g}"


def _svg_open(width: int, height: int, title: str, extra_class: str = "") -> str:
    cls = "lb-chart" + (f" {extra_class}" if extra_class else "")
    return (
        f'<svg class="{cls}" role="img" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" preserveAspectRatio="xMidYMid meet" style="max-width:{width}px;height:auto;{FONT}">'
        f"<title>{esc(title)}</title>"
    )


def _empty(width: int, height: int, title: str, message: str) -> str:
    """No frame for a chart without data: a one-line note in its place (the caller says why, where it knows)."""
    return f'<p class="lb-chart-empty" style="color:{AXIS};font-size:.88em">{esc(title)}: {esc(message)}.</p>'


def _legend(items: Sequence[tuple[str, str, str]], x: float, y: float) -> str:
    """``(label, color, shape)`` entries in a row; shape ``line`` or ``dash``."""
    out, cx = [], x
    for label, color, shape in items:
        dash = ' stroke-dasharray="3,3"' if shape == "dash" else ""
        out.append(
            f'<line x1="{_f(cx)}" y1="{_f(y - 4)}" x2="{_f(cx + 16)}" y2="{_f(y - 4)}" stroke="{color}" '
            f'stroke-width="2.5"{dash}/>'
            f'<text x="{_f(cx + 20)}" y="{_f(y)}" font-size="11" fill="#374151">{esc(label)}</text>'
        )
        cx += 28 + 6.5 * len(str(label))
    return "".join(out)


def line_chart(
    x: Sequence[float],
    series: Sequence[Series],
    *,
    title: str,
    markers: Sequence[Marker] = (),
    x_labels: Callable[[float], str] | None = None,
    y_fmt: Formatter | None = None,
    width: int = 900,
    height: int = 240,
    y_min: float | None = 0.0,
) -> str:
    """Lines over a numeric x (e.g. minutes of the session), with vertical event markers.

    Missing values break a line rather than dropping to 0. Markers are dashed vertical lines coloured by
    kind, with a small glyph on top and the label as the hover text.
    """
    y_fmt = y_fmt or _default_fmt
    xs = [_num(v) for v in x]
    vals = [[_num(v) for v in s.values] for s in series]
    finite = [v for col in vals for v in col if v is not None]
    xfin = [v for v in xs if v is not None]
    if not finite or not xfin:
        return _empty(width, height, title, "No data for this chart")
    left, right, top, bottom = 64, 16, 30, 28
    pw, ph = width - left - right, height - top - bottom
    lo = min(finite) if y_min is None else min(y_min, min(finite))
    ticks = nice_ticks(lo, max(finite), 4)
    y0, y1 = ticks[0], ticks[-1]
    x0, x1 = min(xfin), max(xfin)
    if x1 == x0:
        x1 = x0 + 1

    def sx(v: float) -> float:
        return left + (v - x0) / (x1 - x0) * pw

    def sy(v: float) -> float:
        return top + ph - (v - y0) / (y1 - y0) * ph

    parts = [_svg_open(width, height, title)]
    for t in ticks:
        parts.append(
            f'<line x1="{left}" x2="{left + pw}" y1="{_f(sy(t))}" y2="{_f(sy(t))}" stroke="{GRID}"/>'
            f'<text x="{left - 6}" y="{_f(sy(t) + 4)}" text-anchor="end" font-size="11" fill="{AXIS}">'
            f"{esc(y_fmt(t))}</text>"
        )
    for t in nice_ticks(x0, x1, 8):
        if x0 <= t <= x1:
            label = x_labels(t) if x_labels else _default_fmt(t)
            parts.append(
                f'<line x1="{_f(sx(t))}" x2="{_f(sx(t))}" y1="{top + ph}" y2="{top + ph + 4}" stroke="{AXIS}"/>'
                f'<text x="{_f(sx(t))}" y="{top + ph + 16}" text-anchor="middle" font-size="11" fill="{AXIS}">'
                f"{esc(label)}</text>"
            )
    parts.append(f'<line x1="{left}" x2="{left + pw}" y1="{top + ph}" y2="{top + ph}" stroke="{AXIS}"/>')
    for m in markers:
        mx = _num(m.x)
        if mx is None or not x0 <= mx <= x1:
            continue
        color = MARKER_COLORS.get(m.kind, AXIS)
        glyph = {"product": "P", "giveaway": "G", "violation": "!", "gap": "…"}.get(m.kind, "•")
        px = _f(sx(mx))
        parts.append(
            f'<g class="lb-marker lb-marker-{esc(m.kind)}"><title>{esc(m.label)}</title>'
            f'<line x1="{px}" x2="{px}" y1="{top}" y2="{top + ph}" stroke="{color}" stroke-width="1" '
            f'stroke-dasharray="3,3" opacity="0.7"/>'
            f'<circle cx="{px}" cy="{top - 6}" r="5.5" fill="{color}"/>'
            f'<text x="{px}" y="{top - 2.5}" text-anchor="middle" font-size="8" font-weight="bold" fill="#fff">'
            f"{glyph}</text></g>"
        )
    for i, (s, col) in enumerate(zip(series, vals, strict=True)):
        color = s.color or PALETTE[i % len(PALETTE)]
        d, pen = [], False
        for xv, yv in zip(xs, col, strict=True):
            if xv is None or yv is None:
                pen = False
                continue
            d.append(f"{'L' if pen else 'M'}{_f(sx(xv))},{_f(sy(yv))}")
            pen = True
        parts.append(
            f'<path class="lb-line" d="{" ".join(d)}" fill="none" stroke="{color}" stroke-width="1.8" '
            f'stroke-linejoin="round"><title>{esc(s.name)}</title></path>'
        )
    legend = [(s.name, s.color or PALETTE[i % len(PALETTE)], "line") for i, s in enumerate(series)]
    kinds = sorted({m.kind for m in markers}, key=lambda k: list(MARKER_COLORS).index(k) if k in MARKER_COLORS else 9)
    names = {"product": "product featured", "giveaway": "giveaway", "violation": "violation", "gap": "recorder gap"}
    legend += [(names.get(k, k), MARKER_COLORS.get(k, AXIS), "dash") for k in kinds]
    parts.append(_legend(legend, left, 12))
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    title: str,
    value_fmt: Formatter | None = None,
    color: str = PALETTE[0],
    negative_color: str = "#dc2626",
    width: int = 640,
    bar_height: int = 22,
    label_width: int = 200,
) -> str:
    """Horizontal bars, one per label, with the formatted value at the end; negative values go left."""
    value_fmt = value_fmt or _default_fmt
    rows = [(str(lab), _num(v)) for lab, v in zip(labels, values, strict=True)]
    finite = [v for _, v in rows if v is not None]
    height = 16 + bar_height * max(len(rows), 1) + 8
    if not finite:
        return _empty(width, max(height, 60), title, "No data for this chart")
    value_w = 90
    left = label_width
    pw = width - left - value_w
    lo, hi = min(0.0, min(finite)), max(0.0, max(finite))
    if hi == lo:
        hi = lo + 1

    def sx(v: float) -> float:
        return left + (v - lo) / (hi - lo) * pw

    parts = [_svg_open(width, height, title, "lb-bars")]
    zero = sx(0.0)
    for i, (lab, v) in enumerate(rows):
        y = 8 + i * bar_height
        short = lab if len(lab) <= 30 else lab[:29] + "…"
        parts.append(
            f'<text x="{left - 8}" y="{_f(y + bar_height * 0.68)}" text-anchor="end" font-size="12" fill="#374151">'
            f"<title>{esc(lab)}</title>{esc(short)}</text>"
        )
        if v is None:
            parts.append(
                f'<text x="{_f(zero + 4)}" y="{_f(y + bar_height * 0.68)}" font-size="12" fill="{AXIS}">—</text>'
            )
            continue
        x_a, x_b = sorted((zero, sx(v)))
        w = max(x_b - x_a, 1.0 if v != 0 else 0.0)
        fill = negative_color if v < 0 else color
        parts.append(
            f'<rect class="lb-bar" x="{_f(x_a)}" y="{_f(y + 3)}" width="{_f(w)}" height="{bar_height - 6}" '
            f'fill="{fill}" rx="2"><title>{esc(lab)}: {esc(value_fmt(v))}</title></rect>'
        )
        tx = (x_b + 4) if v >= 0 else (x_a - 4)
        anchor = "start" if v >= 0 else "end"
        if v < 0 and tx - 70 < left:
            tx, anchor = x_b + 4, "start"
        parts.append(
            f'<text x="{_f(tx)}" y="{_f(y + bar_height * 0.68)}" text-anchor="{anchor}" font-size="11" '
            f'fill="#111827">{esc(value_fmt(v))}</text>'
        )
    if lo < 0:
        parts.append(f'<line x1="{_f(zero)}" x2="{_f(zero)}" y1="6" y2="{height - 6}" stroke="{AXIS}"/>')
    parts.append("</svg>")
    return "".join(parts)


def column_chart(
    x: Sequence[float],
    values: Sequence[float | None],
    *,
    title: str,
    x_labels: Callable[[float], str] | None = None,
    y_fmt: Formatter | None = None,
    color: str = PALETTE[3],
    width: int = 900,
    height: int = 180,
) -> str:
    """Vertical columns over a numeric x (volume per minute)."""
    y_fmt = y_fmt or _default_fmt
    pts = [(_num(a), _num(b)) for a, b in zip(x, values, strict=True)]
    pts = [(a, b) for a, b in pts if a is not None]
    finite = [b for _, b in pts if b is not None]
    if not finite:
        return _empty(width, height, title, "No data for this chart")
    left, right, top, bottom = 64, 16, 12, 28
    pw, ph = width - left - right, height - top - bottom
    ticks = nice_ticks(0.0, max(max(finite), 1.0), 3)
    y1 = ticks[-1]
    x0, x1 = min(a for a, _ in pts), max(a for a, _ in pts) + 1
    bw = pw / (x1 - x0)

    def sy(v: float) -> float:
        return top + ph - v / y1 * ph

    parts = [_svg_open(width, height, title)]
    for t in ticks:
        parts.append(
            f'<line x1="{left}" x2="{left + pw}" y1="{_f(sy(t))}" y2="{_f(sy(t))}" stroke="{GRID}"/>'
            f'<text x="{left - 6}" y="{_f(sy(t) + 4)}" text-anchor="end" font-size="11" fill="{AXIS}">'
            f"{esc(y_fmt(t))}</text>"
        )
    for a, b in pts:
        if b is None or b <= 0:
            continue
        px = left + (a - x0) * bw
        h = ph - (sy(b) - top)
        parts.append(
            f'<rect class="lb-bar" x="{_f(px)}" y="{_f(sy(b))}" width="{_f(max(bw * 0.85, 0.6))}" height="{_f(h)}" '
            f'fill="{color}"/>'
        )
    for t in nice_ticks(x0, x1 - 1, 8):
        if x0 <= t <= x1:
            px = left + (t - x0 + 0.5) * bw
            label = x_labels(t) if x_labels else _default_fmt(t)
            parts.append(
                f'<text x="{_f(px)}" y="{top + ph + 16}" text-anchor="middle" font-size="11" fill="{AXIS}">'
                f"{esc(label)}</text>"
            )
    parts.append(f'<line x1="{left}" x2="{left + pw}" y1="{top + ph}" y2="{top + ph}" stroke="{AXIS}"/>')
    parts.append("</svg>")
    return "".join(parts)


def paired_bars(
    labels: Sequence[str],
    groups: Sequence[Series],
    *,
    title: str,
    value_fmt: Formatter | None = None,
    width: int = 440,
    label_width: int = 110,
) -> str:
    """Horizontal bars with one thin bar per group for each label (e.g. viewers vs customers shares)."""
    value_fmt = value_fmt or _default_fmt
    vals = [[_num(v) for v in g.values] for g in groups]
    finite = [v for col in vals for v in col if v is not None]
    n, k = len(labels), max(len(groups), 1)
    bar_h, gap = 9, 8
    row_h = k * bar_h + gap
    height = 22 + n * row_h + 6
    if not finite or n == 0:
        return _empty(width, 80, title, "No data for this chart")
    value_w = 56
    left, pw = label_width, width - label_width - value_w
    hi = max(max(finite), 1e-9)
    parts = [_svg_open(width, height, title, "lb-bars")]
    parts.append(
        _legend([(g.name, g.color or PALETTE[i % len(PALETTE)], "line") for i, g in enumerate(groups)], left, 12)
    )
    for i, lab in enumerate(labels):
        y = 22 + i * row_h
        short = str(lab) if len(str(lab)) <= 16 else str(lab)[:15] + "…"
        parts.append(
            f'<text x="{left - 8}" y="{_f(y + k * bar_h / 2 + 4)}" text-anchor="end" font-size="12" '
            f'fill="#374151"><title>{esc(lab)}</title>{esc(short)}</text>'
        )
        for j, g in enumerate(groups):
            v = vals[j][i]
            if v is None:
                continue
            color = g.color or PALETTE[j % len(PALETTE)]
            w = max(v / hi * pw, 1.0 if v > 0 else 0.0)
            by = y + j * bar_h
            parts.append(
                f'<rect class="lb-bar" x="{left}" y="{_f(by)}" width="{_f(w)}" height="{bar_h - 1}" fill="{color}">'
                f"<title>{esc(g.name)} · {esc(lab)}: {esc(value_fmt(v))}</title></rect>"
                f'<text x="{_f(left + w + 4)}" y="{_f(by + bar_h - 1.5)}" font-size="9.5" fill="#374151">'
                f"{esc(value_fmt(v))}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)
