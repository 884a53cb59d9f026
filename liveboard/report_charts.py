"""Kept for imports from before the report package: the charts live in :mod:`liveboard.report.charts`."""

from liveboard.report.charts import (  # noqa: F401 - re-exported
    AXIS,
    FONT,
    GRID,
    PALETTE,
    Formatter,
    Marker,
    Series,
    _default_fmt,
    _empty,
    _f,
    _num,
    _svg_open,
    bar_chart,
    column_chart,
    line_chart,
    nice_ticks,
    paired_bars,
)
