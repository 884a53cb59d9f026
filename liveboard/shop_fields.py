"""Typed figures out of the Shop API's objects: each bad field is a :class:`Problem` and reads as unknown.

Every value the API sends is checked here (whole counts, non-negative numbers, amounts, currency codes,
rates, Unix times within LIVE years), so a bad field never stops a sync: it is named and left null.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

_MISSING = object()
_PARTS: dict[str, tuple[str, ...]] = {}
_NUMERIC = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_MAX_MONEY = Decimal(10) ** 18
_MICRO = Decimal("0.000001")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_FIRST_TS, _LAST_TS = 1_451_606_400, 4_102_444_800  # 2016-01-01 .. 2100-01-01: anything else is not a LIVE time


@dataclass(frozen=True)
class Problem:
    """A value the API sent that could not be used: where (endpoint, session, field) and why."""

    endpoint: str
    live_id: str | None
    field: str
    message: str

    def __str__(self) -> str:
        where = self.endpoint + (f", session {self.live_id}" if self.live_id else "")
        return f"{where}: field {self.field}: {self.message}"


class Reader:
    """Typed figures out of one API object; each bad field is noted as a :class:`Problem` and read as null."""

    def __init__(self, endpoint: str, live_id: str | None, problems: list[Problem], prefix: str = ""):
        self.endpoint, self.live_id, self.problems, self.prefix = endpoint, live_id, problems, prefix

    def problem(self, path: str, message: str) -> None:
        self.problems.append(Problem(self.endpoint, self.live_id, self.prefix + path, message))

    def raw(self, obj: object, path: str) -> object:
        """The value at a dotted path, ``_MISSING`` when absent or null; a non-object on the way is a problem."""
        cur = obj
        parts = _PARTS.get(path) or _PARTS.setdefault(path, tuple(path.split(".")))
        for i, part in enumerate(parts):
            if type(cur) is not dict:
                if cur is None:
                    return _MISSING
                self.problem(".".join(parts[:i]), f"an object was expected, got {_show(cur)}")
                return _MISSING
            cur = cur.get(part)
        return _MISSING if cur is None else cur

    def first(self, obj: object, paths: tuple[str, ...]) -> tuple[str, object]:
        for path in paths:
            value = self.raw(obj, path)
            if value is not _MISSING:
                return path, value
        return paths[0], _MISSING

    def figure(self, obj: object, paths: tuple[str, ...], kind: str):
        path, value = self.first(obj, paths)
        if value is _MISSING:
            return None
        if kind == "money":
            return self.money_value(value, path)
        if kind == "count":
            return self.count_value(value, path)
        return self.number_value(value, path)

    def count_value(self, value: object, path: str) -> int | None:
        if type(value) is int and value >= 0:  # the common case, first
            return value
        number = _number(value)
        if number is None or number != int(number):
            self.problem(path, f"a whole number was expected, got {_show(value)}")
            return None
        if number < 0:
            self.problem(path, f"a count cannot be negative, got {_show(value)}")
            return None
        return int(number)

    def number_value(self, value: object, path: str) -> float | None:
        number = _number(value)
        if number is None:
            self.problem(path, f"a number was expected, got {_show(value)}")
            return None
        if number < 0:
            self.problem(path, f"cannot be negative, got {_show(value)}")
            return None
        return float(number)

    def money_value(self, value: object, path: str) -> Decimal | None:
        """Money as ``{"amount": "12.30", "currency": "MYR"}`` or a bare amount."""
        if isinstance(value, dict):
            path, value = path + ".amount", value.get("amount")
            if value is None:
                return None
        number = _number(value)
        if number is None or abs(number) >= _MAX_MONEY:
            self.problem(path, f"an amount was expected, got {_show(value)}")
            return None
        exponent = number.as_tuple().exponent
        assert isinstance(exponent, int)  # a finite number (_number): not 'n', 'N' or 'F'
        return number if exponent >= -6 else number.quantize(_MICRO)

    def currency(self, obj: object, path: str) -> str | None:
        value = self.raw(obj, path)
        if value is _MISSING or value == "":
            return None
        if not isinstance(value, str) or not _CURRENCY.match(value.strip().upper()):
            self.problem(path, f"a currency code was expected, got {_show(value)}")
            return None
        return value.strip().upper()

    def rate(self, obj: object, path: str) -> float | None:
        """``"18%"`` → 0.18; a bare number is taken as a fraction already."""
        value = self.raw(obj, path)
        if value is _MISSING or value == "":
            return None
        percent = isinstance(value, str) and value.strip().endswith("%")
        number = _number(value.strip().rstrip("%") if isinstance(value, str) else value)
        if number is None or number < 0:
            self.problem(path, f"a rate was expected, got {_show(value)}")
            return None
        return float(number / 100 if percent else number)

    def text(self, obj: object, path: str) -> str | None:
        value = self.raw(obj, path)
        if value is _MISSING:
            return None
        if isinstance(value, bool) or not isinstance(value, str | int):
            self.problem(path, f"text was expected, got {_show(value)}")
            return None
        return str(value)

    def unix(self, obj: object, path: str) -> dt.datetime | None:
        """Unix seconds (the API sends them as strings) → an aware UTC datetime."""
        value = self.raw(obj, path)
        if value is _MISSING or value in ("", "0", 0):
            return None
        number = _number(value)
        if number is None or number != int(number) or not _FIRST_TS <= number <= _LAST_TS:
            self.problem(path, f"Unix seconds were expected, got {_show(value)}")
            return None
        return dt.datetime.fromtimestamp(int(number), dt.UTC)


def _number(value: object) -> Decimal | None:
    """A finite number from an int, float or numeric string (``"12.30"``, ``"1,234"``), else None."""
    if type(value) is str:
        text = value.strip()
        if "," in text:
            text = text.replace(",", "")
        if not _NUMERIC.fullmatch(text):
            return None
        try:
            number = Decimal(text)
        except InvalidOperation:  # pragma: no cover - the pattern only lets numbers through
            return None
    elif type(value) is int:
        return Decimal(value)
    elif type(value) is float:
        number = Decimal(repr(value))
    else:
        return None
    return number if number.is_finite() else None


def _show(value: object) -> str:
    """A value for a message: short, and typed so `"12"` and `12` read differently."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "…"
