"""Static SVG charts for post-LIVE reports, drawn by matplotlib's SVG backend: no browser, no JavaScript, no network.

bqplot needs a browser front end to draw, so a report executed by papermill and opened offline gets its
pictures from here instead: lines with event markers, horizontal bars with negative values, columns, paired
bars. matplotlib lays them out with real text metrics (the hand-written renderer before it guessed text
widths). It was chosen over Vega-Lite through ``vl-convert-python`` by the figures of
``benchmarks/bench_report_charts.py`` (``benchmarks/RESULTS.md``), on one report's 14 charts, in two
runs on a shared machine: 0.65–0.87 s to draw them against 0.91–0.99 s, a 163 KB page against 278 KB,
about 0.5 s for a cold kernel's import and first chart against 0.8–1.1 s (Vega boots a JavaScript runtime).
Both cost about 100× the hand-written strings (5 ms, 103 KB): a report pays ~0.6–1 s more warm and ~0.5 s
more cold, within its 5 s budget.

What the page gets is one ``<svg class="lb-chart">`` per chart with ``role="img"`` and a ``<title>``, scaled
to its container through ``viewBox``: text stays text (``svg.fonttype: none``, DejaVu metrics, the reader's
sans-serif if that font is missing), so no font or URL is needed. matplotlib escapes the text it draws and
mathtext is off (``$`` in a product name is a dollar); the outer ``<svg>``, its ``<title>`` and the hover texts
come from ``templates/report/chart.html.j2`` (escaped there), and the page's stylesheet gives the chart its font.
The SVG is post-processed: prolog and metadata dropped, element ids made
unique to the chart (many charts share one HTML page), and the artists given a ``gid`` become
``<g class="lb-line|lb-bar|lb-marker">`` with a ``<title>`` for hover text.
"""

from __future__ import annotations

import hashlib
import io
import math
import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from markupsafe import Markup

from liveboard import markup
from liveboard.views.format import MARKER_COLORS

PALETTE = ("#2563eb", "#ea580c", "#16a34a", "#9333ea", "#0891b2", "#dc2626", "#ca8a04", "#4b5563")
AXIS = "#6b7280"
GRID = "#e5e7eb"
TEXT = "#374151"
GLYPHS = {"product": "P", "giveaway": "G", "violation": "!", "gap": "…"}
MARKER_NAMES = {"product": "product featured", "giveaway": "giveaway", "violation": "violation", "gap": "recorder gap"}

#: matplotlib settings for every chart: text as text, no mathtext, fixed ids (the same report, the same bytes).
RC: dict[str, Any] = {
    "svg.fonttype": "none",
    "svg.hashsalt": "liveboard",
    "text.parse_math": False,
    "text.usetex": False,
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": 11,
    "axes.edgecolor": AXIS,
    "xtick.color": AXIS,
    "ytick.color": AXIS,
    "xtick.labelsize": 11,
    "ytick.labelsize": 11,
    "path.simplify": True,
}

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
    kind: str = "product"  # product | giveaway | violation | gap


def _num(v: object) -> float | None:
    try:
        f = float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) or math.isinf(f) else f


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


def _chart_macros() -> markup.Macros:
    """The macros of ``report/chart.html.j2``: the chart's ``<svg>``, the empty note, an artist's group."""
    return markup.macros("report/chart.html.j2")


def _svg(width: int, height: int, title: str, extra_class: str, body: Markup) -> Markup:
    """One inline ``<svg class="lb-chart">`` around ``body`` (SVG elements), with ``title`` as its ``<title>``."""
    return _chart_macros().svg(width, height, title, extra_class, body)


def _empty(width: int, height: int, title: str, message: str) -> Markup:
    """No frame for a chart without data: a one-line note in its place (the caller says why, where it knows)."""
    return _chart_macros().empty(title, message)


# ------------------------------------------------------------------ matplotlib, and its SVG made fit for a page


@cache
def matplotlib_modules() -> tuple[Any, Any, Any]:
    """matplotlib imported on the first chart, or as a report kernel boots (:data:`~liveboard.report.kernels.WARM_UP`);
    not with :mod:`liveboard.report`: the dashboards import that."""
    import matplotlib
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    return matplotlib, Figure, FigureCanvasSVG


class _Canvas:
    """One chart being drawn: a figure of ``width × height`` px (72 dpi: one SVG unit is one px) and the hover
    texts of the artists given a ``gid`` here."""

    def __init__(self, width: float, height: float, box: tuple[float, float, float, float]) -> None:
        matplotlib, figure, _ = matplotlib_modules()
        self._rc = matplotlib.rc_context(RC)
        self._rc.__enter__()
        self.width, self.height = width, height
        self.fig = figure(figsize=(width / 72, height / 72), dpi=72)
        left, right, top, bottom = box
        self.ax = self.fig.add_axes(
            (left / width, bottom / height, (width - left - right) / width, (height - top - bottom) / height)
        )
        self.fig.patch.set_visible(False)
        self.ax.patch.set_visible(False)
        for side in ("top", "right", "left"):
            self.ax.spines[side].set_visible(False)
        self.ax.tick_params(axis="y", length=0, pad=6)
        self.ax.tick_params(axis="x", length=4, pad=3)
        self.tips: dict[str, tuple[str, str]] = {}

    def offset(self, dx: float, base: Any = None) -> Any:
        """``base`` (the data's transform by default) moved ``dx`` px right."""
        from matplotlib.transforms import offset_copy

        return offset_copy(self.ax.transData if base is None else base, self.fig, x=dx, y=0, units="points")

    def gid(self, cls: str, tip: str) -> str:
        key = f"lbk-{len(self.tips)}"
        self.tips[key] = (cls, tip)
        return key

    def svg(self, title: str, extra_class: str = "") -> Markup:
        try:
            buf = io.StringIO()
            with warnings.catch_warnings():
                # Text stays text (svg.fonttype none): the browser draws an emoji the layout font lacks (a
                # prize "Mystery box 📦"), so matplotlib's missing-glyph warning is noise in the notebook.
                warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing from font", category=UserWarning)
                matplotlib_modules()[2](self.fig).print_svg(
                    buf, metadata={"Date": None, "Creator": None, "Format": None, "Type": None}
                )
        finally:
            self._rc.__exit__(None, None, None)
        return _page_svg(buf.getvalue(), self.width, self.height, title, extra_class, self.tips)


_GID = re.compile(r'<g id="(lbk-\d+)">')
_ID = re.compile(r' id="([^"]+)"')
_TAG = re.compile(r"<[^>]+>")  # within tags only: text between them is the user's and kept as it is
_LONG = re.compile(r"(\d\.\d\d)\d+")  # coordinates to 1/100 px
_ROT0 = re.compile(r' transform="rotate\(-?0 [^)"]*\)"')
_REF = re.compile(r'(href="#|url\(#)([^")]+)')


def _page_svg(raw: str, width: float, height: float, title: str, extra_class: str, tips: dict) -> Markup:
    """matplotlib's SVG file as one inline element: our ``<svg>`` and ``<title>``, no prolog, metadata or
    comments, whitespace between tags dropped, ids unique to this chart, ``gid`` groups with class and hover."""
    body = raw[raw.index(">", raw.index("<svg")) + 1 : raw.rindex("</svg>")]
    body = re.sub(r"<!--.*?-->", "", body, flags=re.S)
    body = re.sub(r">\s+<", "><", body)
    body = re.sub(r"\s*\n\s*", " ", body)

    group_of = _chart_macros().group

    def group(m: re.Match) -> str:
        return str(group_of(*tips[m.group(1)]))

    body = re.sub(r"<style[^>]*>.*?</style>", "", body, flags=re.S)  # a global ``*`` rule: the page's, not ours
    body = _TAG.sub(lambda m: _LONG.sub(r"\1", _ROT0.sub("", m.group(0))), body)
    body = _GID.sub(group, body)
    prefix = "c" + hashlib.sha1(body.encode()).hexdigest()[:8]
    referenced = {m.group(2) for m in _REF.finditer(body)}
    body = _ID.sub(lambda m: f' id="{prefix}-{m.group(1)}"' if m.group(1) in referenced else "", body)
    body = _REF.sub(lambda m: f"{m.group(1)}{prefix}-{m.group(2)}", body)
    # matplotlib wrote these elements and escaped the text in them (titles, ticks, labels: the report's user
    # text); the hover texts went through the template above. tests/test_report.py checks both with hostile text.
    return _svg(round(width), round(height), title, extra_class, Markup(body))


def _fmt_axis(ax: Any, which: str, ticks: Sequence[float], labels: Sequence[str]) -> None:
    axis = ax.yaxis if which == "y" else ax.xaxis
    axis.set_ticks(list(ticks), labels=list(labels))


# ------------------------------------------------------------------ the four charts


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
) -> Markup:
    """Lines over a numeric x (e.g. minutes of the session), with vertical event markers.

    Missing values break a line rather than dropping to 0 (a lone point is drawn as a dot). Markers are
    dashed vertical lines coloured by kind, with a small glyph on top and the label as the hover text.
    """
    y_fmt = y_fmt or _default_fmt
    xs = [_num(v) for v in x]
    vals = [[_num(v) for v in s.values] for s in series]
    finite = [v for col in vals for v in col if v is not None]
    xfin = [v for v in xs if v is not None]
    if not finite or not xfin:
        return _empty(width, height, title, "No data for this chart")
    lo = min(finite) if y_min is None else min(y_min, min(finite))
    ticks = nice_ticks(lo, max(finite), 4)
    x0, x1 = min(xfin), max(xfin)
    if x1 == x0:
        x1 = x0 + 1
    c = _Canvas(width, height, (64, 16, 30, 28))
    ax = c.ax
    ax.set_xlim(x0, x1)
    ax.set_ylim(ticks[0], ticks[-1])
    _fmt_axis(ax, "y", ticks, [y_fmt(t) for t in ticks])
    xt = [t for t in nice_ticks(x0, x1, 8) if x0 <= t <= x1]
    _fmt_axis(ax, "x", xt, [x_labels(t) if x_labels else _default_fmt(t) for t in xt])
    ax.grid(axis="y", color=GRID, linewidth=1)
    ax.set_axisbelow(True)
    trans = ax.get_xaxis_transform()
    kinds: list[str] = []
    for m in markers:
        mx = _num(m.x)
        if mx is None or not x0 <= mx <= x1:
            continue
        color = MARKER_COLORS.get(m.kind, AXIS)
        cls = f"lb-marker lb-marker-{re.sub(r'[^a-z0-9_-]', '', str(m.kind).lower())}"
        ax.axvline(mx, color=color, linewidth=1, linestyle=(0, (3, 3)), alpha=0.7, gid=c.gid(cls, m.label))
        ax.text(
            mx,
            1.0,
            GLYPHS.get(m.kind, "•"),
            transform=trans,
            ha="center",
            va="bottom",
            fontsize=8,
            fontweight="bold",
            color="#fff",
            clip_on=False,
            bbox={"boxstyle": "circle,pad=0.25", "fc": color, "ec": "none"},
            gid=c.gid(cls, m.label),
        )
        kinds.append(m.kind)
    handles = []
    for i, (s, col) in enumerate(zip(series, vals, strict=True)):
        color = s.color or PALETTE[i % len(PALETTE)]
        pts = [(a, b) for a, b in zip(xs, col, strict=True) if a is not None]
        ys = [math.nan if b is None else b for _, b in pts]
        lone = sum(v is not None for v in col) == 1
        (line,) = ax.plot(
            [a for a, _ in pts],
            ys,
            color=color,
            linewidth=1.8,
            solid_joinstyle="round",
            marker="o" if lone else None,
            markersize=4,
            label=s.name,
            gid=c.gid("lb-line", s.name),
        )
        handles.append(line)
    order = list(MARKER_COLORS)
    for k in sorted(set(kinds), key=lambda k: order.index(k) if k in order else 9):
        (h,) = ax.plot([], [], color=MARKER_COLORS.get(k, AXIS), linestyle=(0, (3, 3)), label=MARKER_NAMES.get(k, k))
        handles.append(h)
    _legend_above(ax, handles, max(len(handles), 1), height=0.12, pad=0.9)
    return c.svg(title)


def _value_text(
    c: _Canvas, x: float, y: float, text: str, right: bool, size: float = 11, color: str = "#111827"
) -> None:
    """``text`` beside the end of a bar at ``(x, y)``, 4 px out."""
    c.ax.text(
        x, y, text, transform=c.offset(4 if right else -4), ha="left" if right else "right", va="center_baseline",
        fontsize=size, color=color, clip_on=False,
    )  # fmt: skip


def _row_labels(c: _Canvas, ys: Sequence[float], labels: Sequence[str]) -> None:
    """Category labels left of the plot, right-aligned 8 px from it (texts: cheaper than ticks)."""
    c.ax.set_yticks([])
    trans = c.offset(-8, c.ax.get_yaxis_transform())
    for y, lab in zip(ys, labels, strict=True):
        c.ax.text(0, y, lab, transform=trans, ha="right", va="center_baseline", fontsize=12, color=TEXT, clip_on=False)


def _bars(
    c: _Canvas, ys: Sequence[float], ws: Sequence[float], h: float, colors: Sequence[str], tips: Sequence[str]
) -> None:
    """Horizontal bars in one call (one per call costs ms), each its own ``lb-bar`` group with a hover text."""
    if ys:
        for bar, tip in zip(c.ax.barh(list(ys), list(ws), height=h, color=list(colors)), tips, strict=True):
            bar.set_gid(c.gid("lb-bar", tip))


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
) -> Markup:
    """Horizontal bars, one per label, with the formatted value at the end; negative values go left."""
    value_fmt = value_fmt or _default_fmt
    rows = [(str(lab), _num(v)) for lab, v in zip(labels, values, strict=True)]
    finite = [v for _, v in rows if v is not None]
    height = 16 + bar_height * max(len(rows), 1) + 8
    if not finite:
        return _empty(width, max(height, 60), title, "No data for this chart")
    lo, hi = min(0.0, min(finite)), max(0.0, max(finite))
    if hi == lo:
        hi = lo + 1
    c = _Canvas(width, height, (label_width, 90, 8, 16))
    ax = c.ax
    ax.spines["bottom"].set_visible(False)
    ax.set_xlim(lo, hi)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_xticks([])
    _row_labels(c, range(len(rows)), [lab if len(lab) <= 30 else lab[:29] + "…" for lab, _ in rows])
    drawn = [(i, lab, v) for i, (lab, v) in enumerate(rows) if v is not None]
    _bars(
        c,
        [i for i, _, _ in drawn],
        [v for _, _, v in drawn],
        (bar_height - 6) / bar_height,
        [negative_color if v < 0 else color for _, _, v in drawn],
        [f"{lab}: {value_fmt(v)}" for _, lab, v in drawn],
    )
    plot_w = width - label_width - 90
    for i, (_, v) in enumerate(rows):
        if v is None:
            _value_text(c, 0.0, i, "—", True, 12, AXIS)
        elif v >= 0:
            _value_text(c, v, i, value_fmt(v), True)
        elif (v - lo) / (hi - lo) * plot_w < 70:  # no room left of a long negative bar: the text goes right of 0
            _value_text(c, 0.0, i, value_fmt(v), True)
        else:
            _value_text(c, v, i, value_fmt(v), False)
    if lo < 0:
        ax.axvline(0.0, color=AXIS, linewidth=1)
    return c.svg(title, "lb-bars")


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
) -> Markup:
    """Vertical columns over a numeric x (volume per minute)."""
    y_fmt = y_fmt or _default_fmt
    pts = [(_num(a), _num(b)) for a, b in zip(x, values, strict=True)]
    placed = [(a, b) for a, b in pts if a is not None]
    finite = [b for _, b in placed if b is not None]
    if not finite:
        return _empty(width, height, title, "No data for this chart")
    ticks = nice_ticks(0.0, max(max(finite), 1.0), 3)
    x0, x1 = min(a for a, _ in placed), max(a for a, _ in placed) + 1
    c = _Canvas(width, height, (64, 16, 12, 28))
    ax = c.ax
    ax.set_xlim(x0, x1)
    ax.set_ylim(0, ticks[-1])
    _fmt_axis(ax, "y", ticks, [y_fmt(t) for t in ticks])
    xt = [t for t in nice_ticks(x0, x1 - 1, 8) if x0 <= t <= x1]
    _fmt_axis(ax, "x", [t + 0.5 for t in xt], [x_labels(t) if x_labels else _default_fmt(t) for t in xt])
    ax.tick_params(axis="x", length=0)
    ax.grid(axis="y", color=GRID, linewidth=1)
    ax.set_axisbelow(True)
    shown = [(a, b) for a, b in placed if b is not None and b > 0]
    if shown:
        ax.bar(
            [a for a, _ in shown], [b for _, b in shown], width=0.85, align="edge", color=color, gid=c.gid("lb-bar", "")
        )
    return c.svg(title)


def paired_bars(
    labels: Sequence[str],
    groups: Sequence[Series],
    *,
    title: str,
    value_fmt: Formatter | None = None,
    width: int = 440,
    label_width: int = 110,
) -> Markup:
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
    hi = max(max(finite), 1e-9)
    c = _Canvas(width, height, (label_width, 56, 22, 6))
    ax = c.ax
    ax.spines["bottom"].set_visible(False)
    ax.set_xlim(0, hi)
    ax.set_xticks([])
    ax.set_ylim(n * row_h - gap / 2, -gap / 2)  # one unit is one px: rows of k bars of bar_h
    _row_labels(
        c,
        [i * row_h + k * bar_h / 2 for i in range(n)],
        [str(lab) if len(str(lab)) <= 16 else str(lab)[:15] + "…" for lab in labels],
    )
    handles = []
    for j, g in enumerate(groups):
        color = g.color or PALETTE[j % len(PALETTE)]
        (h,) = ax.plot([], [], color=color, linewidth=2.5, label=g.name)
        handles.append(h)
        drawn = [
            (i * row_h + j * bar_h + bar_h / 2, lab, v)
            for i, (lab, v) in enumerate(zip(labels, vals[j], strict=True))
            if v is not None
        ]
        _bars(c, [y for y, _, _ in drawn], [v for _, _, v in drawn], bar_h - 1, [color] * len(drawn),
              [f"{g.name} · {lab}: {value_fmt(v)}" for _, lab, v in drawn])  # fmt: skip
        for y, _, v in drawn:
            _value_text(c, v, y, value_fmt(v), True, 9.5, TEXT)
    _legend_above(ax, handles, k, height=0.1, pad=0.2)
    return c.svg(title, "lb-bars")


def _legend_above(ax: Any, handles: list, ncols: int, *, height: float, pad: float) -> None:
    """One row of legend entries above the plot, in the report's text colour (one style for every chart)."""
    ax.legend(
        handles=handles,
        loc="lower left",
        bbox_to_anchor=(0, 1.0, 1, height),
        ncols=ncols,
        frameon=False,
        fontsize=11,
        handlelength=1.6,
        borderaxespad=pad,
        borderpad=0,
        labelcolor=TEXT,
    )
