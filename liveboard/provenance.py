"""One LIVE, one session: figures from the API, a Seller Center export, a recorder and event logs, merged.

Each source keeps its own rows — ``source_summaries`` (one per source and ``source_key``, linked to a
``session_id``), ``source_trends``, ``source_products`` and ``gaps`` — so that the merged catalog row of a
session can always be recomputed: the events summary (when the session has events) overlaid, figure by
figure, with the sources' figures by precedence api > export > events. Derived metrics are recomputed from
the merged base figures with the registry's own SQL when those are known, else a source's own figure is
kept (an ACU from the API without view seconds). Missing stays missing: a figure no source knows is null.

Matching a source row to a session: a ``(source, source_key)`` seen before keeps its session; a
``source_key`` equal to a session id links to it; else the session of the same account whose start is
within :data:`MATCH_WINDOW` (nearest wins) and that has no row of this source yet; else a new session.
The same rule runs the other way when a session's events arrive after its summary (:func:`relink`).

Work is done a column at a time (pyarrow casts, DuckDB joins, numpy over layer matrices), because a
daily re-sync repeats thousands of sessions and an agency's store holds tens of thousands: what stays in
Python is per distinct account or per cell that a vectorised rule cannot vouch for (:func:`_value`).
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import os
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from liveboard import queries
from liveboard.events import EVENT_SCHEMA
from liveboard.ids import SESSION_ID_RE
from liveboard.metrics import DERIVED, SESSION_METRICS, SOURCE_TREND_COLUMNS, derived_select

SOURCES = ("api", "export", "recorder")
#: Who wins a figure: higher first. "events" are a session's own events ("recorder" when the recorder
#: registered it); a recorder's own summary row ranks below the events it wrote.
RANK = {"api": 3, "export": 2, "events": 1, "recorder": 0}
MATCH_WINDOW = dt.timedelta(minutes=30)

#: What a TikTokLive recorder cannot see (no orders, impressions, product traffic, violations or
#: giveaways reach it): in a recorder's session a 0 of these from its events is unknown, not zero.
RECORDER_UNSEEN: dict[str, tuple[str, ...]] = {
    "sku_orders": ("gmv", "direct_gmv", "refunded_gmv", "items_sold", "sku_orders", "customers"),
    "impressions": ("impressions",),
    "product_impressions": ("product_impressions",),
    "product_clicks": ("product_clicks",),
    "violations": ("violations",),
    "giveaways": ("giveaways", "winners"),
}

TS = pa.timestamp("us", tz="UTC")
MONEY = pa.decimal128(38, 2)
_CENT = Decimal("0.01")

#: Figures some sources give that no session metric of the spec covers.
SOURCE_FIGURES: dict[str, pa.DataType] = {
    "created_sku_orders": pa.int64(),
    "products_added": pa.int64(),
    "different_products_sold": pa.int64(),
    "gmv_24h": MONEY,
}
IDENTITY = ("title", "account_id", "live_event_id", "currency", "start", "end", "duration_s", "creator_id")
EVENT_ONLY = ("session_id", "last_ts", "event_count", "late_order_updates")
TREND_FIGURES: dict[str, pa.DataType] = {n: MONEY if n == "gmv" else pa.int64() for n in SOURCE_TREND_COLUMNS}
PRODUCT_FIGURES: dict[str, pa.DataType] = {
    "impressions": pa.int64(),
    "clicks": pa.int64(),
    "sku_orders": pa.int64(),
    "items_sold": pa.int64(),
    "gmv": MONEY,
    "customers": pa.int64(),
    "created_sku_orders": pa.int64(),
}
TABLE_NAMES = ("source_summaries", "source_trends", "source_products", "gaps")


class SourceError(ValueError):
    """A source table that cannot be stored; the message names the table, row and column."""


# ------------------------------------------------------------------ schemas


@functools.cache
def events_summary_schema() -> pa.Schema:
    """The columns of an events summary (queries.session_summaries), times in UTC."""
    con = duckdb.connect()
    con.register("_no_events", EVENT_SCHEMA.empty_table())
    con.execute("CREATE VIEW ev AS SELECT * FROM _no_events")
    schema = con.sql(queries.session_summaries()).to_arrow_table().schema
    return pa.schema([pa.field(f.name, TS if pa.types.is_timestamp(f.type) else f.type) for f in schema])


@functools.cache
def catalog_schema() -> pa.Schema:
    """A sessions catalog row: the events summary plus state, provenance and the sources' extra figures."""
    extra = [
        pa.field("sealed", pa.bool_()),
        pa.field("source", pa.string()),
        pa.field("stale", pa.bool_()),
        pa.field("sources", pa.list_(pa.string())),
        pa.field("figure_sources", pa.string()),
        pa.field("creator_id", pa.string()),
    ] + [pa.field(n, t) for n, t in SOURCE_FIGURES.items()]
    return pa.schema(list(events_summary_schema()) + extra)


@functools.cache
def base_figures() -> tuple[str, ...]:
    """Figures a source may give that are not derived: counts, money, seconds."""
    skip = set(IDENTITY) | set(EVENT_ONLY) | set(DERIVED)
    return tuple(f.name for f in events_summary_schema() if f.name not in skip) + tuple(SOURCE_FIGURES)


@functools.cache
def derived_bases() -> dict[str, tuple[str, ...]]:
    """The base figures each derived metric's SQL reads."""
    known = set(base_figures()) | {"duration_s"}
    return {d: tuple(dict.fromkeys(t for t in re.findall(r"[a-z_]+", sql) if t in known)) for d, sql in DERIVED.items()}


@functools.cache
def figure_names() -> tuple[str, ...]:
    """The figures ``figure_sources`` tells the origin of, in registry order."""
    return tuple(dict.fromkeys(list(SESSION_METRICS) + list(base_figures())))


@functools.cache
def table_schemas() -> dict[str, pa.Schema]:
    ev = events_summary_schema()
    key = [pa.field("source", pa.string()), pa.field("source_key", pa.string())]
    summary = (
        key
        + [pa.field("session_id", pa.string())]
        + [pa.field(n, pa.string() if n != "start" and n != "end" else TS) for n in IDENTITY if n != "duration_s"]
        + [pa.field("duration_s", pa.float64())]
        + [pa.field(n, SOURCE_FIGURES.get(n) or ev.field(n).type) for n in base_figures()]
        + [pa.field(n, ev.field(n).type) for n in DERIVED]
        + [pa.field("version", pa.int64())]
    )
    trends = key + [pa.field("t", TS), pa.field("interval_s", pa.int64())] + _fields(TREND_FIGURES)
    products = key + [pa.field("product_id", pa.string()), pa.field("name", pa.string())] + _fields(PRODUCT_FIGURES)
    gaps = key + [pa.field("gap_start", TS), pa.field("gap_end", TS), pa.field("reason", pa.string())]
    return {
        "source_summaries": pa.schema(summary),
        "source_trends": pa.schema(trends),
        "source_products": pa.schema(products),
        "gaps": pa.schema(gaps),
    }


def _fields(types: dict[str, pa.DataType]) -> list[pa.Field]:
    return [pa.field(n, t) for n, t in types.items()]


_INPUT = {
    "source_summaries": (("source_key", "account_id", "start"), ("source", "session_id", "version")),
    "source_trends": (("source_key", "t", "interval_s"), ("source",)),
    "source_products": (("source_key", "product_id"), ("source",)),
    "gaps": (("source_key", "gap_start", "gap_end"), ("source",)),
}
_WHAT = {"source_summaries": "summaries", "source_trends": "trends", "source_products": "products", "gaps": "gaps"}


def input_columns(name: str) -> tuple[str, ...]:
    """Columns a caller may give for one of :data:`TABLE_NAMES`."""
    internal = set(_INPUT[name][1])
    return tuple(f.name for f in table_schemas()[name] if f.name not in internal)


# ------------------------------------------------------------------ input
#
# Whole columns are converted at once; a cell the vectorised rules cannot vouch for (text with spaces
# around it, "1e3", a float as money…) goes through :func:`_value`, the one definition of what a cell
# means, so both paths agree. The first bad cell in row order (then column order) is reported, with the
# table, row and column, as :func:`_value` words it.

#: Numbers as text that the vectorised casts read exactly as :func:`_number` does (commas removed first).
_INT_TEXT = r"^-?[0-9]{1,18}$"
_DEC_TEXT = r"^-?[0-9]{1,24}(\.[0-9]{1,12})?$"
_FLOAT_TEXT = r"^-?[0-9]{1,30}(\.[0-9]{1,30})?%?$"
#: Text that may change when stripped (a first or last character outside printable ASCII), or is empty.
_MAYBE_PADDED = r"^[^!-~]|[^!-~]$|^$"
_ID_TEXT = SESSION_ID_RE.pattern.removesuffix(r"\Z") + "$"  # the one id rule, for RE2 ($: end of text only)


def read_input(name: str, table, source: str, required: tuple[str, ...] | None = None) -> pa.Table:
    """An input table checked and converted to the stored schema of ``name`` (missing stays null).

    ``source`` fills the ``source`` column; the other internal columns (``session_id``, ``version``) are
    left null for :func:`plan_put`.
    """
    what = _WHAT[name]
    schema = table_schemas()[name]
    if table is None:
        return schema.empty_table()
    if not isinstance(table, pa.Table):
        try:
            table = pa.Table.from_pandas(table, preserve_index=False)
        except (TypeError, ValueError, AttributeError, pa.ArrowException) as e:
            raise SourceError(f"{what}: not a table ({e})") from None
    allowed = input_columns(name)
    unknown = [c for c in table.column_names if c not in allowed]
    if unknown:
        raise SourceError(f"{what}: unknown column(s) {', '.join(unknown)}; allowed: {', '.join(allowed)}")
    required = _INPUT[name][0] if required is None else required
    for col in required:
        if col not in table.column_names:
            raise SourceError(f"{what}: column '{col}' is required")
    for c in table.column_names:
        _check_column(table[c].type, schema.field(c).type, what, c)
    n = table.num_rows
    columns: dict[str, pa.Array] = {}
    too_large: dict[str, np.ndarray] = {}  # cells holding a number the column cannot: not empty
    first: tuple | None = None  # (rank, raise it): the first problem in row order, then column order

    def note(row: int | None, phase: int, order: int, fail, *, last: bool = False) -> None:
        # ``last``: a number too large for its column, reported only when nothing else is wrong
        nonlocal first
        if row is not None and (first is None or (last, row, phase, order) < first[0]):
            first = ((last, row, phase, order), fail)

    internal = _INPUT[name][1]
    for order, f in enumerate(schema):
        if f.name == "source":
            columns[f.name] = pa.array([source] * n, pa.string())
        elif f.name in internal or f.name not in table.column_names:
            columns[f.name] = pa.nulls(n, f.type)
        else:
            raw = _flat(table[f.name])
            columns[f.name], bad, too_large[f.name] = _convert(raw, f.type, what, f.name)
            note(bad, 0, order, functools.partial(_cell_error, raw, bad, f.type, what, f.name))
            if too_large[f.name].size:
                far = int(too_large[f.name][0])
                note(far, 0, order, functools.partial(_cell_error, raw, far, f.type, what, f.name), last=True)
    for order, col in enumerate(required):
        missing = _np(columns[col].is_null())
        missing[too_large.get(col, [])] = False
        empty = _first(pa.array(missing))
        if empty is not None:
            message = f"{what} row {empty + 1}: column '{col}' is empty (it is required)"
            note(empty, 1, order, functools.partial(_raise, message))
    keys = columns["source_key"]
    invalid = pc.invert(pc.and_(pc.match_substring_regex(keys, _ID_TEXT), pc.invert(pc.match_substring(keys, ".."))))
    bad_key = _first(pc.and_(invalid, keys.is_valid()))
    if bad_key is not None:
        key = keys[bad_key].as_py()
        message = (
            f"{what} row {bad_key + 1}: source_key {key!r} is not a valid id (letters, digits and . _ @ : + - only)"
        )
        note(bad_key, 2, 0, functools.partial(_raise, message))
    if first is not None:
        first[1]()
    if "account_id" in columns:
        columns["account_id"] = _map_distinct(columns["account_id"], account_key)
    return pa.Table.from_arrays([columns[f.name] for f in schema], schema=schema)


def _raise(message: str):
    raise SourceError(message)


def _flat(col) -> pa.Array:
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    return arr.dictionary_decode() if pa.types.is_dictionary(arr.type) else arr


def _first(mask) -> int | None:
    """The first index where a boolean array is true (null counts as false)."""
    arr = np.asarray(pc.fill_null(mask, False).to_numpy(zero_copy_only=False), dtype=bool)
    hits = np.flatnonzero(arr)
    return int(hits[0]) if hits.size else None


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


def _np(mask) -> np.ndarray:
    return np.asarray(mask.to_numpy(zero_copy_only=False), dtype=bool)


def _map_distinct(arr: pa.Array, fn) -> pa.Array:
    """``fn`` applied to each distinct value once (accounts: a few per thousands of rows)."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if len(arr) == 0:
        return arr
    enc = arr.dictionary_encode()
    mapped = pa.array([fn(v) for v in enc.dictionary.to_pylist()], arr.type)
    return mapped.take(enc.indices)


def _value(v, typ: pa.DataType, what: str, i: int, name: str):
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


@dataclass
class Batch:
    """One put_source call, read and checked: tables in the stored schemas (``session_id`` still null).

    A side table is None when it was not given; its rows are sorted by ``source_key`` and then
    :data:`_SORT`, the order they are stored in.
    """

    source: str
    summaries: pa.Table
    trends: pa.Table | None
    products: pa.Table | None
    gaps: pa.Table | None

    def side(self, name: str) -> pa.Table | None:
        return {"source_trends": self.trends, "source_products": self.products, "gaps": self.gaps}[name]


_SORT = {"source_trends": ("t",), "source_products": ("product_id",), "gaps": ("gap_start", "gap_end")}
_UNIQUE = {"source_trends": ("t",), "source_products": ("product_id",), "gaps": ("gap_start",)}
_LABEL = {"source_trends": "trend", "source_products": "products", "gaps": "gaps"}


def read_batch(
    source: str, summaries, trends=None, products=None, gaps=None, *, known_keys=(), exact_only: bool = False
) -> Batch:
    """Check every table of a put_source call; ``known_keys`` are this source's stored source_keys.

    ``exact_only`` (the older put_summaries, keyed by session id) does not need ``account_id``.
    """
    if source not in SOURCES:
        raise SourceError(f"unknown source {source!r}: one of {', '.join(SOURCES)}")
    if summaries is None:
        raise SourceError("summaries: a table is required (one row per session the source knows)")
    required = ("source_key", "start") if exact_only else None
    rows = read_input("source_summaries", summaries, source, required)
    dup = _first_repeat(rows, ("source_key",))
    if dup is not None:
        i, j = dup
        raise SourceError(f"summaries rows {j + 1} and {i + 1}: the same source_key {rows['source_key'][i].as_py()!r}")
    keys = pa.concat_arrays([rows["source_key"].combine_chunks(), pa.array(list(known_keys), pa.string())])
    parts: dict[str, pa.Table | None] = {}
    for name, table in (("source_trends", trends), ("source_products", products), ("gaps", gaps)):
        if table is None:
            parts[name] = None
            continue
        t = read_input(name, table, source)
        what = _WHAT[name]
        problems: list[tuple[int, int, str]] = []
        orphan = _first(pc.invert(pc.is_in(t["source_key"], value_set=keys)))
        if orphan is not None:
            problems.append(
                (
                    orphan,
                    0,
                    f"{what} row {orphan + 1}: source_key {t['source_key'][orphan].as_py()!r} has no summary "
                    f"row from {source} (give the session in summaries)",
                )
            )
        if name == "gaps":
            backwards = _first(pc.less(t["gap_end"], t["gap_start"]))
            if backwards is not None:
                problems.append((backwards, 1, f"gaps row {backwards + 1}: gap_end is before gap_start"))
        dup = _first_repeat(t, ("source_key",) + _UNIQUE[name])
        if dup is not None:
            unique = " and ".join(("source_key",) + _UNIQUE[name])
            problems.append((dup[0], 2, f"{what} rows {dup[1] + 1} and {dup[0] + 1}: the same {unique}"))
        if problems:
            raise SourceError(min(problems)[2])
        parts[name] = t.sort_by([("source_key", "ascending")] + [(c, "ascending") for c in _SORT[name]])
    return Batch(source, rows, parts["source_trends"], parts["source_products"], parts["gaps"])


def _first_repeat(table: pa.Table, cols: tuple[str, ...]) -> tuple[int, int] | None:
    """``(row, earlier row)`` of the first row whose ``cols`` repeat an earlier row's, or None."""
    if table.num_rows < 2:
        return None
    if len(cols) == 1:
        enc = table[cols[0]].combine_chunks().dictionary_encode()
        codes = enc.indices.to_numpy(zero_copy_only=False)
        _, firsts = np.unique(codes, return_index=True)
        earlier = firsts[codes]  # codes follow first appearance, so firsts[code] is its first row
        repeats = np.flatnonzero(earlier != np.arange(len(codes)))
        return (int(repeats[0]), int(earlier[repeats[0]])) if repeats.size else None
    keyed = table.select(list(cols)).append_column("_i", pa.array(np.arange(table.num_rows), pa.int64()))
    part = ", ".join(f'"{c}"' for c in cols)
    hit = sql(
        f"SELECT _i, min(_i) OVER (PARTITION BY {part}) AS f FROM keyed QUALIFY _i > f ORDER BY _i LIMIT 1",
        keyed=keyed,
    ).to_pylist()
    return (hit[0]["_i"], hit[0]["f"]) if hit else None


_ENGINE: dict[int, duckdb.DuckDBPyConnection] = {}  # pid -> an in-memory database for these queries
_ENGINE_LOCK = threading.Lock()


def sql(query: str, params: dict | None = None, **tables) -> pa.Table:
    """One query over Arrow tables, times in UTC.

    Each query runs on its own cursor (its own registrations) of one in-memory database per process:
    a cursor costs a millisecond, a new database a hundred on a busy machine.
    """
    with _ENGINE_LOCK:
        engine = _ENGINE.get(os.getpid())
        if engine is None:
            _ENGINE.clear()  # a forked child does not share its parent's database
            engine = _ENGINE[os.getpid()] = duckdb.connect()
        con = engine.cursor()
    try:
        con.execute("SET TimeZone = 'UTC'")
        for name, table in tables.items():
            con.register(name, table)
        return con.sql(query, params=params).to_arrow_table()
    finally:
        con.close()


# ------------------------------------------------------------------ stored state


def conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """``table`` with exactly the columns of ``schema`` (a column an older file lacks is null)."""
    cols = [
        table[f.name].cast(f.type) if f.name in table.column_names else pa.nulls(table.num_rows, f.type) for f in schema
    ]
    return pa.Table.from_arrays(cols, schema=schema)


@dataclass
class SourceTables:
    """The stored rows of every source, as Arrow tables in :func:`table_schemas`."""

    tables: dict[str, pa.Table] = field(
        default_factory=lambda: {n: table_schemas()[n].empty_table() for n in TABLE_NAMES}
    )

    @classmethod
    def load(cls, paths: dict[str, Path | None]) -> SourceTables:
        out = cls()
        for name in TABLE_NAMES:
            p = paths.get(name)
            if p is not None:
                out.tables[name] = conform(pq.read_table(p), table_schemas()[name])
        return out

    @property
    def summaries(self) -> pa.Table:
        return self.tables["source_summaries"]

    def arrow(self, name: str) -> pa.Table:
        return self.tables[name]


@dataclass
class SourceReport:
    """What a put_source call did.

    ``new``: sessions that got a row of this source for the first time (``linked`` those of them that
    already existed, e.g. with events); ``changed``: {session_id: [figures that changed]} for rows seen
    before (``trend``, ``products``, ``gaps`` when those were replaced by different rows); ``unchanged``:
    rows seen before and identical; ``sessions``: {source_key: session_id}; ``version``: the store
    version after the call (the same as before when nothing changed).
    """

    source: str
    new: list[str] = field(default_factory=list)
    linked: list[str] = field(default_factory=list)
    changed: dict[str, list[str]] = field(default_factory=dict)
    unchanged: list[str] = field(default_factory=list)
    sessions: dict[str, str] = field(default_factory=dict)
    version: int = 0
    committed: bool = False


@dataclass
class Plan:
    tables: SourceTables
    dirty: set[str]
    affected: set[str]
    report: SourceReport


def account_key(account: str | None) -> str | None:
    """An account as matching compares it: the handle without '@', lower-case."""
    return account.strip().lstrip("@").lower() if account else None


COMPARED = tuple(c for c in table_schemas()["source_summaries"].names if c not in ("session_id", "version"))
_WINDOW_US = int(MATCH_WINDOW / dt.timedelta(microseconds=1))


def _account_codes(*columns: pa.Array) -> list[np.ndarray]:
    """One integer per :func:`account_key` of each account (None is a key too), shared across columns."""
    codes: dict[str | None, int] = {}
    out = []
    for col in columns:
        col = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
        enc = col.dictionary_encode()
        per_value = np.array(
            [codes.setdefault(account_key(v), len(codes)) for v in enc.dictionary.to_pylist()] + [-1], np.int64
        )
        none = codes.setdefault(None, len(codes))
        idx = pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
        out.append(np.where(idx >= 0, per_value[idx], none))
    return out


def _near_pairs(rows: pa.Table, cands: pa.Table) -> list[tuple[int, str, str]]:
    """``(distance µs, row key, candidate id)`` of every row and candidate of the same account code whose
    starts lie within :data:`MATCH_WINDOW`, the nearest start of each candidate (SQL over 30-min buckets)."""
    if not rows.num_rows or not cands.num_rows:
        return []
    return [
        (r["gap"], r["key"], r["sid"])
        for r in sql(
            f"""
            WITH r AS (SELECT key, code, epoch_us(start) AS us, floor(epoch_us(start) / {_WINDOW_US})::BIGINT AS b
                       FROM rows WHERE start IS NOT NULL),
                 rb AS (SELECT key, code, us, b + o AS b FROM r, (VALUES (-1), (0), (1)) AS d(o)),
                 c AS (SELECT sid, code, epoch_us(start) AS us, floor(epoch_us(start) / {_WINDOW_US})::BIGINT AS b
                       FROM cands WHERE start IS NOT NULL)
            SELECT rb.key, c.sid, min(abs(c.us - rb.us)) AS gap
            FROM rb JOIN c ON c.code = rb.code AND c.b = rb.b
            WHERE abs(c.us - rb.us) <= {_WINDOW_US}
            GROUP BY rb.key, c.sid
            """,
            rows=rows,
            cands=cands,
        ).to_pylist()
    ]


def plan_put(batch: Batch, stored: SourceTables, catalog: pa.Table, version: int, *, exact_only=False) -> Plan:
    """Link each incoming row to a session, and tell what changes; ``version`` is the one to commit.

    ``catalog``: ``session_id``, ``account_id``, ``start`` of the stored sessions. A recorder's rows link
    by id only: its source_key is the id its events are written under.
    """
    source = batch.source
    exact_only = exact_only or source == "recorder"
    report = SourceReport(source=source, version=version - 1)
    inc, old = batch.summaries, stored.summaries
    keys = inc["source_key"].to_pylist()
    n = len(keys)
    seen = _seen_before(inc, old, source)  # row -> (session_id, version, differing columns)
    ids = set(catalog["session_id"].to_pylist()) | set(old["session_id"].to_pylist())
    sids: list[str | None] = [None] * n
    versions = [version] * n
    pending: list[int] = []
    for i, key in enumerate(keys):
        if i in seen:
            sid, ver, diff = seen[i]
            sids[i] = sid
            versions[i] = version if diff else ver
        elif key in ids:
            sids[i] = key
            report.linked.append(key)
        elif exact_only:
            sids[i] = key
        else:
            pending.append(i)
    if pending:
        assigned = _match(inc, old, catalog, source, sids, pending)
        for i in pending:
            sids[i] = assigned.get(i, keys[i])
            if i in assigned:
                report.linked.append(sids[i])
    inc = inc.set_column(inc.schema.get_field_index("session_id"), "session_id", pa.array(sids, pa.string()))
    inc = inc.set_column(inc.schema.get_field_index("version"), "version", pa.array(versions, pa.int64()))
    # side tables replaced per source_key, where they differ from the stored ones
    new_tables = SourceTables(dict(stored.tables))
    table_diffs: dict[str, list[str]] = {}
    dirty: set[str] = set()
    for name in ("source_trends", "source_products", "gaps"):
        given = batch.side(name)
        if given is None or not given.num_rows:
            continue
        replaced = _replaced_keys(given, stored.tables[name], source)
        if replaced:
            dirty.add(name)
            gone = pc.and_(
                pc.equal(stored.tables[name]["source"], source),
                pc.is_in(stored.tables[name]["source_key"], value_set=pa.array(sorted(replaced), pa.string())),
            )
            kept = stored.tables[name].filter(pc.invert(gone))
            added = given.filter(pc.is_in(given["source_key"], value_set=pa.array(sorted(replaced), pa.string())))
            new_tables.tables[name] = pa.concat_tables([kept, added])
            for k in replaced:
                table_diffs.setdefault(k, []).append(_LABEL[name])
    affected: set[str] = set()
    any_diff = False
    for i, key in enumerate(keys):
        sid = sids[i]
        report.sessions[key] = sid
        if i not in seen:
            report.new.append(sid)
            affected.add(sid)
            continue
        diff = seen[i][2]
        any_diff = any_diff or bool(diff)
        if diff or key in table_diffs:
            report.changed[sid] = diff + table_diffs.get(key, [])
            if diff:
                affected.add(sid)
        else:
            report.unchanged.append(sid)
    if report.new or any_diff:
        dirty.add("source_summaries")
        mine = pc.and_(pc.equal(old["source"], source), pc.is_in(old["source_key"], value_set=inc["source_key"]))
        waiting = set(pending)
        order = [i for i in range(n) if i not in waiting] + pending  # rows kept in place first, then matched
        new_tables.tables["source_summaries"] = pa.concat_tables(
            [old.filter(pc.invert(pc.fill_null(mine, False))), inc.take(pa.array(order, pa.int64()))]
        )
    return Plan(new_tables, dirty, affected, report)


def _seen_before(inc: pa.Table, old: pa.Table, source: str) -> dict[int, tuple[str, int, list[str]]]:
    """Incoming rows this source gave before: their session, version and the columns that differ."""
    if not old.num_rows or not inc.num_rows:
        return {}
    cases = ", ".join(f'CASE WHEN i."{c}" IS DISTINCT FROM o."{c}" THEN \'{c}\' END' for c in COMPARED)
    rows = sql(
        f"SELECT i._i, o.session_id, o.version, list_filter([{cases}], lambda x: x IS NOT NULL) AS diff "
        "FROM inc i JOIN (SELECT * FROM old WHERE source = $source) o ON o.source_key = i.source_key",
        {"source": source},
        inc=inc.append_column("_i", pa.array(np.arange(inc.num_rows), pa.int64())),
        old=old,
    )
    return {
        i: (sid, ver, diff)
        for i, sid, ver, diff in zip(
            rows["_i"].to_pylist(),
            rows["session_id"].to_pylist(),
            rows["version"].to_pylist(),
            rows["diff"].to_pylist(),
            strict=True,
        )
    }


def _match(
    inc: pa.Table, old: pa.Table, catalog: pa.Table, source: str, sids: list, pending: list[int]
) -> dict[int, str]:
    """Rows of ``pending`` linked to the session of the same account whose start is nearest (within the
    window), that holds no row of this source; one row per session. Returns {row: session_id}."""
    placed = [i for i in range(len(sids)) if sids[i] is not None]
    placed_rows = inc.take(pa.array(placed, pa.int64())).set_column(
        inc.schema.get_field_index("session_id"), "session_id", pa.array([sids[i] for i in placed], pa.string())
    )
    # a session's account: the catalog's, else the first a source row gives (stored, then this batch)
    linked = pa.concat_tables(
        [
            old.select(["session_id", "account_id", "start", "source"]),
            placed_rows.select(["session_id", "account_id", "start", "source"]),
        ]
    )
    people = pa.table(
        {
            "sid": pa.concat_arrays(
                [catalog["session_id"].combine_chunks().cast(pa.string()), linked["session_id"].combine_chunks()]
            ),
            "account": pa.concat_arrays(
                [catalog["account_id"].combine_chunks().cast(pa.string()), linked["account_id"].combine_chunks()]
            ),
            "ord": pa.array(np.arange(catalog.num_rows + linked.num_rows), pa.int64()),
        }
    )
    sessions = sql(
        "SELECT sid, arg_min(account, ord) FILTER (WHERE account IS NOT NULL) AS account FROM people GROUP BY sid",
        people=people,
    )
    holding = pc.unique(pc.filter(linked["session_id"], pc.equal(linked["source"], source)))
    open_ = sessions.filter(pc.invert(pc.is_in(sessions["sid"], value_set=holding)))
    rows = inc.take(pa.array(pending, pa.int64()))
    row_codes, open_codes = _account_codes(rows["account_id"], open_["account"])
    starts = pa.concat_tables(
        [
            pa.table(
                {
                    "sid": catalog["session_id"].combine_chunks().cast(pa.string()),
                    "start": catalog["start"].combine_chunks().cast(TS),
                }
            ),
            pa.table({"sid": linked["session_id"].combine_chunks(), "start": linked["start"].combine_chunks()}),
        ]
    )
    starts = starts.filter(pc.is_in(starts["sid"], value_set=open_["sid"]))
    codes = pa.array(open_codes, pa.int64()).take(pc.index_in(starts["sid"], value_set=open_["sid"]))
    cands = starts.append_column("code", codes)
    probe = pa.table(
        {
            "key": pa.array(pending, pa.int64()),
            "code": pa.array(row_codes, pa.int64()),
            "start": rows["start"].combine_chunks(),
        }
    )
    key_of = inc["source_key"].to_pylist()
    pairs = sorted((gap, key_of[i], sid, i) for i, sid, gap in ((p[1], p[2], p[0]) for p in _near_pairs(probe, cands)))
    assigned: dict[int, str] = {}
    taken: set[str] = set()
    for _, _, sid, i in pairs:
        if i not in assigned and sid not in taken:
            assigned[i] = sid
            taken.add(sid)
    return assigned


def _replaced_keys(given: pa.Table, stored: pa.Table, source: str) -> set[str]:
    """The source_keys whose given rows are not exactly the stored rows of this source."""
    if not stored.num_rows:
        return set(given["source_key"].to_pylist())
    mine = stored.filter(
        pc.and_(
            pc.equal(stored["source"], source), pc.is_in(stored["source_key"], value_set=pc.unique(given["source_key"]))
        )
    )
    if not mine.num_rows:
        return set(given["source_key"].to_pylist())
    diff = sql(
        "SELECT DISTINCT source_key FROM ((SELECT * FROM given EXCEPT SELECT * FROM mine) "
        "UNION ALL (SELECT * FROM mine EXCEPT SELECT * FROM given))",
        given=given,
        mine=mine,
    )
    return set(diff["source_key"].to_pylist())


def relink(summaries: pa.Table, arrived: pa.Table, has_events: set[str]) -> tuple[pa.Table, dict[str, str]]:
    """Move the rows of sessions known only by their summaries to a session whose events just arrived.

    ``arrived``: ``session_id``, ``account_id``, ``start`` of sessions with events (just summarised);
    ``has_events``: every session with events. Nearest start wins; a session never gets two rows of one
    source. Returns the summaries with their new session ids, and {old session_id: new}.
    """
    sids = summaries["session_id"]
    alone_mask = pc.invert(pc.is_in(sids, value_set=pa.array(sorted(has_events), pa.string())))
    alone_rows = summaries.filter(alone_mask)
    if not alone_rows.num_rows or not arrived.num_rows:
        return summaries, {}
    alone = set(alone_rows["session_id"].to_pylist())
    targets = arrived.filter(
        pc.and_(
            pc.and_(arrived["account_id"].is_valid(), arrived["start"].is_valid()),
            pc.invert(pc.is_in(arrived["session_id"], value_set=pa.array(sorted(alone), pa.string()))),
        )
    )
    row_codes, target_codes = _account_codes(alone_rows["account_id"], targets["account_id"])
    probe = pa.table(
        {"key": alone_rows["session_id"], "code": pa.array(row_codes, pa.int64()), "start": alone_rows["start"]}
    )
    cands = pa.table(
        {"sid": targets["session_id"], "start": targets["start"].cast(TS), "code": pa.array(target_codes, pa.int64())}
    )
    pairs = sorted(_near_pairs(probe, cands))
    if not pairs:
        return summaries, {}
    src_of: dict[str, set[str]] = {}
    for sid, src in zip(sids.to_pylist(), summaries["source"].to_pylist(), strict=True):
        src_of.setdefault(sid, set()).add(src)
    held = {e: set(src_of.get(e, ())) for e in arrived["session_id"].to_pylist()}
    moves: dict[str, str] = {}
    for _, sid, target in pairs:
        mine = src_of[sid]
        if sid in moves or held[target] & mine:
            continue
        moves[sid] = target
        held[target] |= mine
    if not moves:
        return summaries, {}
    old_ids = pa.array(list(moves), pa.string())
    new_ids = pa.array(list(moves.values()), pa.string())
    moved = pc.coalesce(new_ids.take(pc.index_in(sids, value_set=old_ids)), sids)
    return summaries.set_column(summaries.schema.get_field_index("session_id"), "session_id", moved), moves


# ------------------------------------------------------------------ merging
#
# A session's catalog row is built from its layers — its source rows and its events summary — ordered by
# precedence (api, export, events, recorder; then newer version, then source_key). Each column is
# computed for all sessions at once: a layer matrix (position × session) of row indices into one long
# table of layers, from which first-non-null picks and origins are numpy work.

_LAYER_COLS = IDENTITY + base_figures() + tuple(DERIVED)
_STATE = ("sealed", "source", "stale", "sources", "figure_sources")


def catalog_rows(events: pa.Table | None, summaries: pa.Table, ids: Iterable[str]) -> pa.Table:
    """Catalog rows of ``ids``: events summaries (with sealed/source/stale) overlaid with linked rows.

    A session with neither events nor linked rows gets no row (it no longer exists). Derived metrics
    are computed with the registry's SQL (:func:`liveboard.metrics.derived_select`). Base figures: the
    first layer by :data:`RANK` that knows it. A derived metric: recomputed from the merged bases when
    they come from one layer (unless a higher layer gives the metric itself); else the metric as the
    highest source gives it; else recomputed from the bases of the highest layer that gives them all;
    else from the merged bases. So a ratio never mixes a recorder's view seconds with the API's views
    while either side has a figure of its own.
    """
    schema = catalog_schema()
    wanted = pa.array(sorted(set(ids)), pa.string())
    if events is not None and events.num_rows:
        ev = events.filter(pc.is_in(events["session_id"], value_set=wanted))
    else:
        ev = None
    rows = summaries.filter(pc.is_in(summaries["session_id"], value_set=wanted)) if summaries.num_rows else summaries
    linked = pa.array(sorted(set(rows["session_id"].to_pylist())), pa.string())
    parts = []
    if ev is not None and ev.num_rows:
        alone = ev.filter(pc.invert(pc.is_in(ev["session_id"], value_set=linked)))
        if alone.num_rows:
            parts.append(_events_only(alone))
    if len(linked):
        parts.append(_merged(linked, ev, rows))
    if not parts:
        return schema.empty_table()
    out = pa.concat_tables(parts)
    return out.take(pc.sort_indices(out["session_id"]))


def _events_only(ev: pa.Table) -> pa.Table:
    out = conform(ev, catalog_schema())
    n = out.num_rows
    labels = pa.array(["events"] * n, pa.string())
    origin = {name: pc.if_else(out[name].is_valid(), labels, pa.nulls(n, pa.string())) for name in figure_names()}
    return _replace(
        out,
        sources=pa.array([["events"]] * n, pa.list_(pa.string())),
        figure_sources=_figure_json(origin, n),
        source=labels,
    )


def _replace(table: pa.Table, **columns) -> pa.Table:
    for name, col in columns.items():
        table = table.set_column(table.schema.get_field_index(name), name, col)
    return table


def _figure_json(origin: dict[str, pa.Array], n: int) -> pa.Array:
    """``figure_sources`` as ``json.dumps`` writes it: {"name": "label", ...} in :func:`figure_names` order."""
    pieces = [
        pc.binary_join_element_wise(pa.scalar(f'"{name}": "'), origin[name], pa.scalar('"'), "")
        for name in figure_names()
        if name in origin
    ]
    if not pieces:
        return pa.array(["{}"] * n, pa.string())
    body = pc.binary_join_element_wise(*pieces, ", ", null_handling="skip")
    return pc.binary_join_element_wise(pa.scalar("{"), body, pa.scalar("}"), "")


def _derived(bases: pa.Table) -> pa.Table:
    """The registry's derived metrics of each row of ``bases`` (base figures and duration_s), in order."""
    cols = (*base_figures(), "duration_s")
    inputs = bases.select(list(cols)).append_column("_i", pa.array(np.arange(bases.num_rows), pa.int64()))
    return sql(f"SELECT {derived_select()} FROM inputs ORDER BY _i", inputs=inputs)


def _as_seen_by_recorder(ev: pa.Table) -> pa.Table:
    """Events summaries of recorder sessions with what the recorder cannot see made unknown."""
    n = ev.num_rows
    for count, names in RECORDER_UNSEEN.items():
        zero = pc.fill_null(pc.equal(ev[count], 0), False)
        for name in names:
            ev = _replace(ev, **{name: pc.if_else(zero, pa.nulls(n, ev[name].type), ev[name])})
    for name, bases in derived_bases().items():
        missing = np.zeros(n, dtype=bool)
        for b in bases:
            missing |= ~_np(ev[b].is_valid())
        ev = _replace(ev, **{name: pc.if_else(pa.array(missing), pa.nulls(n, ev[name].type), ev[name])})
    return ev


def _merged(sids: pa.Array, ev: pa.Table | None, rows: pa.Table) -> pa.Table:
    """Catalog rows of sessions with source rows (``sids``, sorted), with or without events."""
    schema = catalog_schema()
    layer_schema = pa.schema([schema.field(c) for c in _LAYER_COLS])
    n = len(sids)
    session_of = {s: i for i, s in enumerate(sids.to_pylist())}
    recorder = set(pc.filter(rows["session_id"], pc.equal(rows["source"], "recorder")).to_pylist())
    src = conform(rows, layer_schema)
    src_meta = {
        "_s": pa.array([session_of[s] for s in rows["session_id"].to_pylist()], pa.int64()),
        "_rank": pa.array([RANK[s] for s in rows["source"].to_pylist()], pa.int64()),
        "_ver": pc.fill_null(rows["version"], 0).cast(pa.int64()),
        "_key": rows["source_key"].cast(pa.string()),
        "_label": rows["source"].cast(pa.string()),
    }
    layers = [src.append_column("_s", src_meta["_s"])]
    for name in ("_rank", "_ver", "_key", "_label"):
        layers[0] = layers[0].append_column(name, src_meta[name])
    ev_part = ev.filter(pc.is_in(ev["session_id"], value_set=sids)) if ev is not None else None
    has_events = np.zeros(n, dtype=bool)
    ev_row = np.full(n, -1, dtype=np.int64)
    if ev_part is not None and ev_part.num_rows:
        ev_part = conform(ev_part, pa.schema([f for f in schema if f.name in ev_part.column_names]))
        is_rec = pc.is_in(ev_part["session_id"], value_set=pa.array(sorted(recorder), pa.string()))
        seen = conform(ev_part, layer_schema)
        if len(recorder):
            blind = _as_seen_by_recorder(seen)
            seen = pa.Table.from_arrays(
                [pc.if_else(is_rec, blind[c], seen[c]) for c in layer_schema.names], schema=layer_schema
            )
        e_s = np.array([session_of[s] for s in ev_part["session_id"].to_pylist()], dtype=np.int64)
        has_events[e_s] = True
        ev_row[e_s] = np.arange(len(e_s))
        labels = pc.if_else(is_rec, pa.scalar("recorder"), pa.scalar("events"))
        m = ev_part.num_rows
        layers.append(
            seen.append_column("_s", pa.array(e_s, pa.int64()))
            .append_column("_rank", pa.array([RANK["events"]] * m, pa.int64()))
            .append_column("_ver", pa.array([0] * m, pa.int64()))
            .append_column("_key", pa.array([""] * m, pa.string()))
            .append_column("_label", labels.cast(pa.string()))
        )
    lay = pa.concat_tables(layers).sort_by(
        [("_s", "ascending"), ("_rank", "descending"), ("_ver", "descending"), ("_key", "ascending")]
    )
    s = lay["_s"].to_numpy()
    total = len(s)
    heads = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    counts = np.diff(np.r_[heads, total])
    pos = np.arange(total) - np.repeat(heads, counts)
    depth = int(counts.max())
    at = np.full((depth, n), -1, dtype=np.int64)  # at[p, i]: row of ``lay`` of session i's layer p
    at[pos, s] = np.arange(total)
    present = at >= 0
    rank = np.where(present, lay["_rank"].to_numpy()[np.maximum(at, 0)], -1)
    is_ev = present & (rank == RANK["events"])
    cols = np.arange(n)

    def valid(name: str) -> np.ndarray:
        ok = _np(lay[name].is_valid())
        return present & ok[np.maximum(at, 0)]

    def first(mask: np.ndarray) -> np.ndarray:
        return np.where(mask.any(axis=0), mask.argmax(axis=0), -1)

    def row_at(p: np.ndarray) -> np.ndarray:
        return np.where(p >= 0, at[np.maximum(p, 0), cols], -1)

    def take(col, rows_: np.ndarray) -> pa.Array:
        return col.take(pa.array(rows_, pa.int64(), mask=rows_ < 0))

    out: dict[str, pa.Array] = {}
    origin: dict[str, np.ndarray] = {}  # name -> layer position (-1: none)
    ok: dict[str, np.ndarray] = {}
    for name in IDENTITY + base_figures():
        ok[name] = valid(name)
        origin[name] = first(ok[name])
        out[name] = take(lay[name], row_at(origin[name]))
    merged_bases = pa.table({c: out[c] for c in (*base_figures(), "duration_s")})
    calc_merged = _derived(merged_bases)
    calc_layer = _derived(lay)
    for name, bases in derived_bases().items():
        typ = schema.field(name).type
        own_value = valid(name)
        direct = first(own_value & ~is_ev)
        merged = np.ones(n, dtype=bool) if bases else np.zeros(n, dtype=bool)
        for b in bases:
            merged &= origin[b] >= 0
        one = merged.copy()
        for b in bases[1:]:
            one &= origin[b] == origin[bases[0]]
        o0 = origin[bases[0]] if bases else np.full(n, -1)
        rank_o0 = np.where(o0 >= 0, rank[np.maximum(o0, 0), cols], -1)
        rank_direct = np.where(direct >= 0, rank[np.maximum(direct, 0), cols], -1)
        c1 = one & ((direct < 0) | (rank_direct <= rank_o0))
        c2 = ~c1 & (direct >= 0)
        if bases:
            all_bases = np.ones_like(present)
            for b in bases:
                all_bases &= ok[b]
            own = first(all_bases)
        else:
            own = np.full(n, -1)
        rest = ~c1 & ~c2
        own_ev = np.where(own >= 0, is_ev[np.maximum(own, 0), cols], False)
        c3e = rest & (own >= 0) & own_ev
        c3 = rest & (own >= 0) & ~own_ev
        c4 = rest & (own < 0) & merged
        # where each value comes from: 0..n-1 calc_merged, then calc_layer rows, then the layers' own values
        pick = np.full(n, -1, dtype=np.int64)
        pick[c1 | c4] = cols[c1 | c4]
        pick[c2] = n + total + row_at(direct)[c2]
        pick[c3e] = n + total + row_at(own)[c3e]
        pick[c3] = n + row_at(own)[c3]
        pool = pa.concat_arrays(
            [
                calc_merged[name].combine_chunks().cast(typ),
                calc_layer[name].combine_chunks().cast(typ),
                lay[name].combine_chunks().cast(typ),
            ]
        )
        out[name] = take(pool, pick)
        o = np.full(n, -1, dtype=np.int64)
        o[c1] = o0[c1]
        o[c2] = direct[c2]
        o[c3e | c3] = own[c3e | c3]
        if bases and c4.any():
            ranks = np.stack([np.where(origin[b] >= 0, rank[np.maximum(origin[b], 0), cols], 99) for b in bases])
            lowest = np.stack([origin[b] for b in bases])[ranks.argmin(axis=0), cols]
            o[c4] = lowest[c4]
        origin[name] = o
    label = lay["_label"]
    labels = {name: take(label, row_at(origin[name])) for name in figure_names() if name in origin}
    # sources: the events' label first, then the rows' sources by precedence (each once)
    lay_labels = label.to_pylist()
    lay_ev = is_ev[pos, s]
    sources: list[list[str]] = [[] for _ in range(n)]
    for r in range(total):
        if lay_ev[r]:
            sources[s[r]].insert(0, lay_labels[r])
    for r in range(total):
        if not lay_ev[r] and lay_labels[r] not in sources[s[r]]:
            sources[s[r]].append(lay_labels[r])
    columns: dict[str, pa.Array] = dict(out)
    columns["session_id"] = sids
    if ev_part is not None and ev_part.num_rows:
        for f in schema:  # what only events know (last_ts, event_count, …) comes from them
            if f.name not in columns and f.name not in _STATE and f.name in ev_part.column_names:
                columns[f.name] = take(ev_part[f.name].combine_chunks().cast(f.type), ev_row)
        sealed = np.zeros(n, dtype=bool)
        stale = np.zeros(n, dtype=bool)
        for name, target in (("sealed", sealed), ("stale", stale)):
            if name in ev_part.column_names:
                vals = np.asarray(
                    pc.fill_null(ev_part[name].cast(pa.bool_()), False).to_numpy(zero_copy_only=False), dtype=bool
                )
                target[has_events] = vals[ev_row[has_events]]
        columns["sealed"], columns["stale"] = pa.array(sealed), pa.array(stale)
    else:
        columns["sealed"], columns["stale"] = pa.array(np.zeros(n, dtype=bool)), pa.array(np.zeros(n, dtype=bool))
    columns["source"] = pa.array(np.where(has_events, "events", "summary").tolist(), pa.string())
    columns["sources"] = pa.array(sources, pa.list_(pa.string()))
    columns["figure_sources"] = _figure_json(labels, n)
    return pa.Table.from_arrays(
        [columns[f.name].cast(f.type) if f.name in columns else pa.nulls(n, f.type) for f in schema], schema=schema
    )


def empty_select(schema: pa.Schema) -> str:
    """A typed, empty SELECT of a schema (a view built from it is visible to every cursor)."""

    def sql_type(t: pa.DataType) -> str:
        if pa.types.is_list(t):
            return sql_type(t.value_type) + "[]"
        if pa.types.is_decimal(t):
            return f"DECIMAL({t.precision}, {t.scale})"
        if pa.types.is_timestamp(t):
            return "TIMESTAMPTZ"
        return {
            pa.string(): "VARCHAR",
            pa.large_string(): "VARCHAR",
            pa.int64(): "BIGINT",
            pa.float64(): "DOUBLE",
            pa.bool_(): "BOOLEAN",
        }[t]

    cols = ", ".join(f'NULL::{sql_type(f.type)} AS "{f.name}"' for f in schema)
    return f"SELECT {cols} WHERE false"
