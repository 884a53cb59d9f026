"""Tests of liveboard/cells.py: the Seller Center export's cells (amounts, counts, rates, durations, local times)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from liveboard import cells

KL = "Asia/Kuala_Lumpur"


@pytest.mark.parametrize(
    "text, seconds",
    [
        ("1h 40min", 6000),
        ("45min", 2700),
        ("2h", 7200),
        ("65s", 65),
        ("30s", 30),
        ("1min 5s", 65),
        ("107", 107),
        (107, 107),
        ("1:40:00", 6000),
    ],
)
def test_durations(text, seconds):
    assert cells.duration(text) == seconds


@pytest.mark.parametrize(
    "text, amount",
    [
        ("444.23", "444.23"),
        ("$1,234.50", "1234.50"),
        ("RM 12", "12"),
        ("1.234,50", "1234.50"),
        ("1 234,5 €", "1234.5"),
        ("1.234.567₫", "1234567"),
        (444.23, "444.23"),
        (12, "12"),
    ],
)
def test_money(text, amount):
    assert cells.money(text) == Decimal(amount)


@pytest.mark.parametrize("text", ["", "-", "--", None, float("nan"), "  "])
def test_blank_is_missing_never_zero(text):
    for parse in (cells.money, cells.count, cells.rate, cells.duration):
        assert parse(text) is None


@pytest.mark.parametrize(
    "parse, text, reason",
    [
        (cells.money, "twelve", "not an amount"),
        (cells.money, "-5.00", "negative amount"),
        (cells.count, "-3", "negative count"),
        (cells.count, "12.5", "not a whole number"),
        (cells.duration, "99h", "absurd duration"),
        (cells.duration, "soon", "not a duration"),
        (cells.rate, "-1%", "must not be negative"),
    ],
)
def test_bad_cells(parse, text, reason):
    with pytest.raises(cells.CellError, match=reason):
        parse(text)


@pytest.mark.parametrize(
    "kind, values",
    [
        ("count", ["0", "14254", "0123", "999999999999", "1000000000001", "12.5", "-3", "14,254", 7, 7.0, "", None]),
        ("money", ["444.23", "0", "999999999999.99", "1000000000000.01", "1.1234567", "$1.00", "-1", 1.5, ""]),
        ("rate", ["8.33%", "100%", "0.5", "-1%", "x%", 0.25, ""]),
        ("duration", ["107", "99999", "259201", "1h 40min", "", 65, "-5"]),
        ("handle", ["annb", "@AnnB", "a b", ""]),
    ],
)
def test_column_readers_answer_as_the_parsers(kind, values):
    read = cells.reader(kind)
    for v in values * 2:  # twice: the second answer comes from the reader's memory
        try:
            want = cells.PARSERS[kind](v)
        except cells.CellError as exc:
            with pytest.raises(cells.CellError, match=re.escape(str(exc))):
                read(v)
        else:
            assert read(v) == want, v


def test_rates_are_fractions():
    assert cells.rate("8.33%") == pytest.approx(0.0833)
    assert cells.rate(0.0833) == pytest.approx(0.0833)


def test_local_times():
    kl = ZoneInfo(KL)
    want = dt.datetime(2026, 4, 18, 14, 14, tzinfo=dt.UTC)
    assert cells.local_time("2026/04/18/ 22:14", kl) == want
    assert cells.local_time("2026-04-18 22:14", kl) == want
    assert cells.local_time(dt.datetime(2026, 4, 18, 22, 14), kl) == want
    assert cells.local_time("2026-04-18 22:14+08:00", None) == want
    with pytest.raises(cells.NeedsZone):
        cells.local_time("2026/04/18/ 22:14", None)
    with pytest.raises(cells.CellError, match="does not exist"):
        cells.local_time("2026/03/08/ 02:30", ZoneInfo("America/New_York"))
    with pytest.raises(cells.CellError, match="no time of day"):
        cells.local_time("2026/04/18", kl)
