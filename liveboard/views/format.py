"""How figures read, for the views: the names of :mod:`liveboard.format`, which lives below the views so that
``insights`` and the reports read figures the same way without importing a view."""

from liveboard.format import (
    CURRENCY_SYMBOLS,
    MARKER_COLORS,
    MARKER_NAMES,
    MISSING,
    count,
    currency_name,
    duration,
    is_missing,
    metric,
    money,
    rate,
    when,
    zone,
)

__all__ = [
    "CURRENCY_SYMBOLS",
    "MARKER_COLORS",
    "MARKER_NAMES",
    "MISSING",
    "count",
    "currency_name",
    "duration",
    "is_missing",
    "metric",
    "money",
    "rate",
    "when",
    "zone",
]
