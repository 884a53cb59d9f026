"""bqplot charts, fed through one function that makes data safe for the browser.

bqplot 0.13 with pandas 3 silently wraps int64 above 2**31, rejects object columns with missing
values, and warns per element on aware datetimes (see the stack notes). :func:`plot_values` turns any
column into floats, naive-UTC datetimes or filled strings; every chart here draws only what it returns,
thinned to about as many points as the plot has pixels.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import bqplot as bq
import numpy as np
import pandas as pd

from liveboard.views.format import MARKER_COLORS

MAX_POINTS = 600
LINE_COLORS = ["#3a86ff", "#ff006e", "#8338ec", "#fb5607", "#06a77d", "#ffbe0b"]


def plot_values(values: object) -> np.ndarray:
    """Floats (NaN for missing), naive UTC ``datetime64[ms]``, or strings with missing as ``""``."""
    s = pd.Series(values) if not isinstance(values, pd.Series) else values
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        return s.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(dtype="datetime64[ms]")
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return s.to_numpy(dtype="datetime64[ms]")
    if pd.api.types.is_bool_dtype(s.dtype) or pd.api.types.is_numeric_dtype(s.dtype):
        return pd.to_numeric(s, errors="coerce").astype("float64").to_numpy(na_value=np.nan)
    converted = pd.to_numeric(s, errors="coerce")
    if s.notna().any() and converted.notna().sum() == s.notna().sum():
        return converted.astype("float64").to_numpy(na_value=np.nan)
    return s.astype("string").fillna("").to_numpy(dtype=str)


def thin(n: int, max_points: int = MAX_POINTS) -> np.ndarray:
    """Indices of at most ``max_points`` evenly spread rows, always keeping the first and the last."""
    if n <= max_points:
        return np.arange(n)
    idx = np.linspace(0, n - 1, max_points).round().astype(int)
    return np.unique(idx)


def _scale_for(x: np.ndarray) -> bq.Scale:
    return bq.DateScale() if np.issubdtype(x.dtype, np.datetime64) else bq.LinearScale()


class TimeChart:
    """Several metrics over time, each on its own scale, with markers for features, giveaways, violations."""

    def __init__(self, title: str = "", height: str = "260px", css_class: str = "lb-chart", marker: str | None = None):
        #: a point per value too (one value per session: a single session would draw no line at all)
        self.marker = marker
        self.x_scale = bq.DateScale()
        self.marker_scale = bq.LinearScale(min=0.0, max=1.0)
        self.x_axis = bq.Axis(scale=self.x_scale, label="", grid_lines="none")
        self.lines: list[bq.Lines] = []
        self._y_axes: list[bq.Axis] = []
        self.markers = bq.Lines(
            x=np.zeros((0, 2), dtype="datetime64[ms]"),
            y=np.zeros((0, 2)),
            scales={"x": self.x_scale, "y": self.marker_scale},
            colors=list(MARKER_COLORS.values()),
            stroke_width=1.5,
            line_style="dashed",
        )
        self.figure = bq.Figure(
            title=title,
            marks=[self.markers],
            axes=[self.x_axis],
            layout={"width": "100%", "height": height},
            fig_margin={"top": 30, "bottom": 30, "left": 60, "right": 60},
            legend_location="top-left",
            animation_duration=0,
        )
        self.figure.add_class(css_class)

    def update(
        self,
        x: object,
        series: Mapping[str, object],
        markers: pd.DataFrame | None = None,
        labels: Mapping[str, str] | None = None,
    ) -> None:
        """Redraw with ``series`` (name → values) over ``x``; ``markers`` has columns ts, kind, label."""
        xs = plot_values(x)
        idx = thin(len(xs))
        xs = xs[idx]
        names = list(series)
        while len(self.lines) < len(names):
            i = len(self.lines)
            scale = bq.LinearScale()
            line = bq.Lines(
                x=xs[:0],
                y=np.zeros(0),
                scales={"x": self.x_scale, "y": scale},
                colors=[LINE_COLORS[i % len(LINE_COLORS)]],
                display_legend=True,
                stroke_width=2,
                **({"marker": self.marker, "marker_size": 36} if self.marker else {}),
            )
            self.lines.append(line)
        axes = [self.x_axis]
        with self.figure.hold_sync():
            for i, line in enumerate(self.lines):
                with line.hold_sync():
                    if i < len(names):
                        ys = plot_values(series[names[i]])[idx]
                        line.x, line.y = xs, ys
                        line.labels = [(labels or {}).get(names[i], names[i])]
                        line.visible = True
                        if i < 2:
                            axes.append(self._y_axis(i, line))
                    else:
                        line.visible = False
            self.set_markers(markers)
            if len(self.figure.marks) != len(self.lines) + 1:
                self.figure.marks = [self.markers] + self.lines
            if self.figure.axes != axes:
                self.figure.axes = axes

    def _y_axis(self, i: int, line: bq.Lines) -> bq.Axis:
        """The left (first metric) or right (second) axis, made once and relabelled: no widget leaks."""
        while len(self._y_axes) <= i:
            k = len(self._y_axes)
            self._y_axes.append(
                bq.Axis(
                    scale=line.scales["y"],
                    side="left" if k == 0 else "right",
                    label_color=LINE_COLORS[k],
                    tick_format=".3~s",
                    grid_lines="solid" if k == 0 else "none",
                )
            )
        axis = self._y_axes[i]
        if axis.label != line.labels[0]:
            axis.label = line.labels[0]
        return axis

    def set_markers(self, markers: pd.DataFrame | None) -> None:
        if markers is None or markers.empty:
            self.markers.x = np.zeros((0, 2), dtype="datetime64[ms]")
            self.markers.y = np.zeros((0, 2))
            return
        ts = plot_values(markers["ts"])
        with self.markers.hold_sync():
            self.markers.x = np.stack([ts, ts], axis=1)
            self.markers.y = np.tile([0.0, 1.0], (len(ts), 1))
            self.markers.colors = [MARKER_COLORS.get(k, "#888") for k in markers["kind"]]
            self.markers.labels = [str(v) for v in plot_values(markers["label"])]


class BarChart:
    """Categories against one value (traffic channels, products, audience shares)."""

    def __init__(self, title: str = "", height: str = "240px", css_class: str = "lb-chart", horizontal=False):
        self.horizontal = horizontal
        self.x_scale = bq.OrdinalScale()
        self.y_scale = bq.LinearScale(min=0.0)
        self.bars = bq.Bars(
            x=np.array([], dtype=str),
            y=np.zeros(0),
            scales={"x": self.x_scale, "y": self.y_scale},
            colors=[LINE_COLORS[0]],
            orientation="horizontal" if horizontal else "vertical",
            padding=0.2,
        )
        self.figure = bq.Figure(
            title=title,
            marks=[self.bars],
            axes=[
                bq.Axis(scale=self.x_scale, side="left" if horizontal else "bottom"),
                bq.Axis(scale=self.y_scale, side="bottom" if horizontal else "left", tick_format=".3~s"),
            ],
            layout={"width": "100%", "height": height},
            fig_margin={"top": 30, "bottom": 40, "left": 90 if horizontal else 60, "right": 20},
            animation_duration=0,
        )
        self.figure.add_class(css_class)

    def update(self, categories: Sequence[object], values: object, colors: Sequence[str] | None = None) -> None:
        with self.bars.hold_sync():
            x = plot_values(pd.Series(list(categories), dtype="string"))
            # the bars in the order given (a table's order), not the order the scale first saw them in; a
            # horizontal chart's domain runs bottom to top, so there it is reversed: the first category on top
            domain = [str(c) for c in x]
            self.x_scale.domain = domain[::-1] if self.horizontal else domain
            self.bars.x = x
            self.bars.y = plot_values(values)
            if colors:
                self.bars.colors = list(colors)
