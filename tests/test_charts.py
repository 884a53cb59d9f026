"""The one function between data and every bqplot mark, and charts that don't leak widgets."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from ipywidgets import Widget

from liveboard.views.charts import BarChart, TimeChart, plot_values, thin


def test_plot_values_makes_browser_safe_arrays():
    big = plot_values(pd.Series([2**40, 3], dtype="int64"))  # int64 above 2**31 would wrap in the browser
    assert big.dtype == np.float64 and big[0] == 2**40
    text = plot_values(pd.Series(["a", None], dtype=object))
    assert list(text) == ["a", ""]
    flags = plot_values(pd.Series([True, pd.NA], dtype="boolean"))
    assert flags[0] == 1.0 and np.isnan(flags[1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # aware datetimes must not warn per element
        ts = plot_values(pd.Series(pd.date_range("2026-03-01 12:00", periods=2, freq="min", tz="Asia/Bangkok")))
    assert ts.dtype == np.dtype("datetime64[ms]") and str(ts[0]) == "2026-03-01T05:00:00.000"


def test_thin_keeps_ends_and_bounds_points():
    idx = thin(100_000, 600)
    assert len(idx) <= 600 and idx[0] == 0 and idx[-1] == 99_999
    assert list(thin(5, 600)) == [0, 1, 2, 3, 4]


def _widget_count() -> int:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return len(Widget.widgets)


def test_time_chart_updates_create_no_new_widgets():
    chart = TimeChart()
    x = pd.date_range("2026-03-01", periods=50, freq="min", tz="UTC")
    chart.update(x, {"gmv": np.arange(50.0), "views": np.arange(50)})
    before = _widget_count()
    for i in range(10):
        chart.update(x, {"gmv": np.arange(50.0) * i, "views": np.arange(50)})
    assert _widget_count() == before
    assert [a.label for a in chart.figure.axes[1:]] == ["gmv", "views"]


def test_bar_chart_draws_categories_in_the_order_given_and_first_on_top_when_horizontal():
    """A live board's channels arrive one by one: the bars follow the table's order of each update, not the
    order the scale first saw them in; horizontal bars put the first category on top, as a table does."""
    chart = BarChart("Views by traffic channel", horizontal=True)
    chart.update(["shop", "feed"], [3, 10])
    chart.update(["feed", "follow", "shop"], [40, 12, 5])
    assert list(chart.bars.x) == ["feed", "follow", "shop"] and list(chart.bars.y) == [40, 12, 5]
    assert chart.x_scale.domain == ["shop", "follow", "feed"]  # drawn bottom to top: "feed" on top
    assert chart.bars.orientation == "horizontal" and chart.figure.axes[0].side == "left"
    vertical = BarChart("Views per channel")
    vertical.update(["b", "a"], [1, 2])
    vertical.update(["a", "b"], [2, 1])
    assert vertical.x_scale.domain == ["a", "b"]  # left to right as given
