"""How figures read (liveboard.format, re-exported for the views by liveboard.views.format): money with its
sign before the symbol, and missing values as a dash, never "nan"."""

from __future__ import annotations

import math

import pytest

from liveboard import format as fmt
from liveboard.views import format as views_fmt


@pytest.mark.parametrize(
    ("value", "currency", "text"),
    [
        (1234.5, "MYR", "RM1,234.50"),
        (-14.38, "USD", "−$14.38"),
        (-0.5, "CHF", "−0.50 CHF"),
        (-2.0, None, "−2.00"),
        (0.0, "USD", "$0.00"),
        (math.nan, "USD", fmt.MISSING),
        (None, "USD", fmt.MISSING),
    ],
)
def test_money(value, currency, text):
    assert fmt.money(value, currency) == text


def test_the_views_read_figures_through_the_same_functions():
    assert views_fmt.money is fmt.money and views_fmt.count is fmt.count and views_fmt.rate is fmt.rate
