"""What a cell of a source table means: the vectorised column casts and :func:`_value`, the one definition.

Whole columns are converted at once; a cell the vectorised rules cannot vouch for (text with spaces
around it, "1e3", a float as money…) goes through :func:`_value`, the one definition of what a cell
means, so both paths agree. The first bad cell is reported with the table, row and column, as
:func:`_value` words it.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from liveboard.provenance.arrays import _first, _np
from liveboard.provenance.schemas import TS, SourceError

_CENT = Decimal("0.01")

#: Numbers as text that the vectorised casts read exactly as :func:`_number` does (commas removed first).
_INT_TEXT = r"^-?[0-9]{1,18}$"
_DEC_TEXT = r"^-?[0-9]{1,24}(\.[0-9]{1,12})?$"
_FLOAT_TEXT = r"^-?[0-9]{1,30}(\.[0-9]{1,30})?%?$"
#: Text that may change when stripped (a first or last character outside printable ASCII), or is empty.
_MAYBE_PADDED = r"^[^!-~]|[^!-~]$|^$"


def _raise(message: str):
    raise SourceError(message)


def _check_column(given: pa.DataType, typ: pa.DataType, what: str, name: str) -> None:
    """Column-level refusals, before any row: times must carry their time zone."""
    if not pa.types.is_timestamp(typ) or pa.types.is_null(given):
        return
    if pa.types.is_timestamp(given):
        if given.tz is None:
            raise SourceError(f"{what}: column '{name}' has times without a time zone; give UTC times")
        return
    if not (pa.types.is_string(given) or pa.types.is_large_string(given)):
        raise SourceError(f"{what}: column '{name}' must hold timestamps (UTC), not {given}")


def _cell_error(raw: pa.Array, i: int, typ: pa.DataType, what: str, name: str):
    """Raise the error of one cell, worded by :func:`_value`."""
    v = raw[i].as_py()
    _value(v, typ, what, i, name)
    raise SourceError(f"{what} row {i + 1}: column '{name}': {v!r} is out of range for {typ}")


def _convert(raw: pa.Array, typ: pa.DataType, what: str, name: str) -> tuple[pa.Array, int | None, np.ndarray]:
    """A column in the stored type; the first row whose cell is bad (None: none), and the rows whose number
    does not fit the column (null in the column)."""
    n = len(raw)
    none = np.zeros(0, dtype=np.int64)
    if pa.types.is_null(raw.type):
        return pa.nulls(n, typ), None, none
    try:
        fast = _vectorised(raw, typ)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError, OverflowError):
        fast = None
    if fast is None:  # a type pairing without a vectorised rule: every cell through _value
        fast = (pa.nulls(n, typ), np.ones(n, dtype=bool), None)
    values, slow, bad = fast
    idx = np.flatnonzero(slow)
    if bad is not None:
        idx = idx[idx < bad]
    if not idx.size:
        return values, bad, none
    out, slow_bad = [], None
    for j, v in zip(idx.tolist(), raw.take(pa.array(idx)).to_pylist(), strict=True):
        try:
            out.append(_value(v, typ, what, j, name))
        except SourceError:
            slow_bad = j
            break
    if slow_bad is not None:  # the rows before it are converted: they may hold the first problem
        bad = slow_bad if bad is None else min(bad, slow_bad)
        out += [None] * (idx.size - len(out))
    try:
        patch, far = pa.array(out, typ), none
    except (OverflowError, pa.ArrowInvalid):
        fits = [_fits(v, typ) for v in out]
        far = idx[~np.array(fits, dtype=bool)]
        patch = pa.array([v if ok else None for v, ok in zip(out, fits, strict=True)], typ)
    mask = np.zeros(n, dtype=bool)
    mask[idx] = True
    return pc.replace_with_mask(values, pa.array(mask), patch), bad, far


def _fits(v, typ: pa.DataType) -> bool:
    try:
        pa.array([v], typ)
    except (OverflowError, pa.ArrowInvalid):
        return False
    return True


def _vectorised(raw: pa.Array, typ: pa.DataType):
    """``(values, cells to convert one by one, first bad row)`` for the common type pairings, else None."""
    t = raw.type
    n = len(raw)
    none = np.zeros(n, dtype=bool)
    valid = _np(raw.is_valid())
    if pa.types.is_timestamp(typ):
        if pa.types.is_timestamp(t):
            return raw.cast(TS, safe=False), none, None
        return None
    if pa.types.is_string(typ):
        if pa.types.is_string(t) or pa.types.is_large_string(t):
            text = raw.cast(pa.string())
            return text, _np(pc.fill_null(pc.match_substring_regex(text, _MAYBE_PADDED), False)), None
        if pa.types.is_integer(t):
            return raw.cast(pa.string()), none, None
        return None
    if pa.types.is_boolean(t):
        return None  # never a number: _value says so
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return _from_text(raw.cast(pa.string()), typ)
    if pa.types.is_floating(t):
        x = raw.cast(pa.float64())
        nan = _np(pc.fill_null(pc.is_nan(x), False))
        x = pc.if_else(pa.array(nan), pa.nulls(n, pa.float64()), x)
        finite = _np(pc.fill_null(pc.is_finite(x), True))
        if pa.types.is_integer(typ):
            whole = _np(pc.fill_null(pc.equal(pc.floor(x), x), True))
            # beyond 2**53 a float's exact value and its repr's digits (what _number reads) part ways
            exact = _np(pc.fill_null(pc.less(pc.abs(x), 2.0**53), True))
            bad = _first(pa.array(valid & ~nan & ~(finite & whole)))
            slow = valid & ~nan & finite & whole & ~exact
            ints = pc.if_else(pa.array(finite & exact), x, pa.nulls(n, pa.float64())).cast(typ, safe=False)
            return ints, slow, bad
        if pa.types.is_floating(typ):
            return x, none, _first(pa.array(valid & ~nan & ~finite))
        return None  # a float as money: Decimal(repr(v)), cell by cell
    if pa.types.is_integer(t):
        if pa.types.is_decimal(typ):
            return raw.cast(typ), none, None
        return raw.cast(typ, safe=not pa.types.is_floating(typ)), none, None
    if pa.types.is_decimal(t):
        if pa.types.is_decimal(typ):
            rounded = raw if t.scale <= typ.scale else pc.round(raw, ndigits=typ.scale, round_mode="half_to_even")
            return rounded.cast(typ), none, None
        if pa.types.is_integer(typ):
            whole = _np(pc.fill_null(pc.equal(pc.round(raw, ndigits=0, round_mode="half_to_even"), raw), True))
            bad = _first(pa.array(~whole))
            return pc.if_else(pa.array(whole), raw, pa.nulls(n, t)).cast(typ), none, bad
        if pa.types.is_floating(typ):
            return raw.cast(pa.string()).cast(typ), none, None  # correctly rounded, as float(Decimal)
    return None


def _from_text(text: pa.Array, typ: pa.DataType):
    """Numbers written as text: plain ones ("1,234.50", "8.33%" for a rate) cast at once, the rest one by one."""
    n = len(text)
    empty = _np(pc.fill_null(pc.equal(text, ""), False))
    clean = pc.replace_substring(text, ",", "")
    pattern = _INT_TEXT if pa.types.is_integer(typ) else _DEC_TEXT if pa.types.is_decimal(typ) else _FLOAT_TEXT
    plain = _np(pc.fill_null(pc.match_substring_regex(clean, pattern), False))
    slow = _np(text.is_valid()) & ~plain & ~empty
    parse = pc.if_else(pa.array(plain), clean, pa.nulls(n, pa.string()))
    if pa.types.is_integer(typ):
        return parse.cast(typ), slow, None
    if pa.types.is_decimal(typ):
        exact = parse.cast(pa.decimal128(38, 12))
        return pc.round(exact, ndigits=typ.scale, round_mode="half_to_even").cast(typ), slow, None
    percent = _np(pc.fill_null(pc.ends_with(parse, "%"), False))
    x = pc.replace_substring(parse, "%", "").cast(pa.float64())
    return pc.if_else(pa.array(percent), pc.divide(x, 100.0), x), slow, None


def _value(v, typ: pa.DataType, what: str, i: int, name: str):
    """One cell in the stored type ``typ`` (None: missing); else a :class:`SourceError` naming the table, row
    and column."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None

    def bad(reason: str):
        return SourceError(f"{what} row {i + 1}: column '{name}': {v!r} {reason}")

    if isinstance(v, str):
        v = v.strip()
        if v == "":
            return None
    if pa.types.is_timestamp(typ):
        if isinstance(v, str):
            try:
                v = dt.datetime.fromisoformat(v.replace("Z", "+00:00"))
            except ValueError:
                raise bad("is not an ISO 8601 time") from None
        if not isinstance(v, dt.datetime) or v.tzinfo is None:
            raise bad("is not a time with a time zone")
        return v.astimezone(dt.UTC)
    if pa.types.is_string(typ):
        if isinstance(v, bool) or not isinstance(v, (str, int)):
            raise bad("is not text")
        return str(v)
    if isinstance(v, bool):
        raise bad("is not a number")
    if pa.types.is_integer(typ):
        n = _number(v)
        if n is None or n != n.to_integral_value():
            raise bad("is not a whole number")
        return int(n)
    if pa.types.is_decimal(typ):
        n = _number(v)
        if n is None:
            raise bad("is not an amount")
        return n.quantize(_CENT, rounding=ROUND_HALF_EVEN)
    if pa.types.is_floating(typ):
        percent = isinstance(v, str) and v.endswith("%")
        n = _number(v[:-1] if percent else v)
        if n is None:
            raise bad("is not a number")
        return float(n) / 100 if percent else float(n)
    raise bad(f"has an unsupported type for {typ}")  # pragma: no cover - schemas hold only the types above


def _number(v) -> Decimal | None:
    """A finite number from an int, float, Decimal or text ("1,234.50"); None when it is not one."""
    try:
        if isinstance(v, str):
            n = Decimal(v.replace(",", ""))
        elif isinstance(v, float):
            n = Decimal(repr(v))
        elif isinstance(v, (int, Decimal)):
            n = Decimal(v)
        else:
            return None
    except (InvalidOperation, ValueError):
        return None
    return n if n.is_finite() else None
