"""How figures read on every surface: money, rates, durations, times, and "missing" (never 0)."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from liveboard.metrics import REGISTRY

MISSING = "—"

#: A figure as tables hold it: a number (int, float, Decimal, numpy or pandas) or missing (None, NaN, pd.NA).
#: Typed Any: the cells come from frames and summaries whose types pandas does not state, and a formatter
#: shows whatever it is given (a missing mark where it is not a number).
Figure = Any

#: Colours of the time-axis markers, the same on the live board, LIVE Analytics and in reports.
MARKER_COLORS = {"product": "#2a9d8f", "giveaway": "#e9a23b", "violation": "#d1495b", "gap": "#6b7280"}
#: What each marker kind is called in legends.
MARKER_NAMES = {"product": "product feature", "giveaway": "giveaway", "violation": "violation", "gap": "recorder gap"}

CURRENCY_SYMBOLS = {
    "USD": "$",
    "GBP": "£",
    "EUR": "€",
    "MYR": "RM",
    "THB": "฿",
    "IDR": "Rp",
    "VND": "₫",
    "PHP": "₱",
    "SGD": "S$",
    "JPY": "¥",
}


def is_missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    try:
        return bool(isinstance(value, float) and math.isnan(value)) or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def money(value: Figure, currency: object = "USD") -> str:
    """``RM1,234.50``, ``1,234.50 CHF``, ``−$14.38`` (the sign before the symbol, never ``$-14.38``); an amount
    whose currency is not known has no symbol."""
    if value is None or is_missing(value):
        return MISSING
    v = float(value)
    sign, digits = ("−" if v < 0 else ""), f"{abs(v):,.2f}"
    if is_missing(currency) or not str(currency).strip():
        return sign + digits
    symbol = CURRENCY_SYMBOLS.get(str(currency).upper())
    return f"{sign}{symbol}{digits}" if symbol else f"{sign}{digits} {currency}"


def currency_name(currency: object) -> str:
    """``MYR (RM)``, ``CHF``, or ``unknown currency``."""
    if is_missing(currency) or not str(currency).strip():
        return "unknown currency"
    code = str(currency).upper()
    symbol = CURRENCY_SYMBOLS.get(code)
    return f"{code} ({symbol})" if symbol and symbol != code else code


def rate(value: Figure, digits: int = 2) -> str:
    return MISSING if value is None or is_missing(value) else f"{float(value) * 100:.{digits}f}%"


def count(value: Figure) -> str:
    if value is None or is_missing(value):
        return MISSING
    v = float(value)
    return f"{int(round(v)):,}" if v.is_integer() else f"{v:,.1f}"


def duration(seconds: Figure) -> str:
    """``1h 40min``, ``55min``, ``45s`` — the way TikTok's exports write durations."""
    if seconds is None or is_missing(seconds):
        return MISSING
    s = int(round(float(seconds)))
    if s < 60:
        return f"{s}s"
    h, rem = divmod(s, 3600)
    m = rem // 60
    if h and m:
        return f"{h}h {m}min"
    return f"{h}h" if h else f"{m}min"


def zone(name: str | None) -> dt.tzinfo:
    """A display time zone from user input; unknown names fall back to UTC rather than failing a page."""
    if not name:
        return dt.UTC
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def when(value: object, tz: str | None = None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if is_missing(value):
        return MISSING
    ts = pd.Timestamp(value)
    if ts.tzinfo is None:
        ts = ts.tz_localize("UTC")
    return ts.tz_convert(zone(tz)).strftime(fmt)


def metric(name: str, value: Any, currency: str = "USD") -> str:
    """Format a value by its metric's unit from the registry (a :data:`Figure`, or a time for a datetime metric:
    which one only the unit says, hence ``Any``)."""
    unit = REGISTRY[name].unit if name in REGISTRY else "count"
    if unit == "currency":
        return money(value, currency)
    if unit == "rate":
        return rate(value)
    if unit == "seconds":
        return duration(value)
    if unit == "datetime":
        return when(value)
    if unit == "viewers" and not is_missing(value):
        return f"{float(value):,.1f}" if not float(value).is_integer() else count(value)
    return count(value)
