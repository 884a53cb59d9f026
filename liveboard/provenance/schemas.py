"""The shapes of provenance: the sources and their ranks, the stored source tables and the sessions catalog.

Every schema is derived from the events summary (:func:`liveboard.queries.session_summaries`) and the metric
registry, so a figure added there reaches the source tables and the catalog without a second list.
"""

from __future__ import annotations

import datetime as dt
import functools
import re

import duckdb
import pyarrow as pa

from liveboard import queries
from liveboard.errors import DataProblem
from liveboard.events import EVENT_SCHEMA
from liveboard.metrics import DERIVED, SESSION_METRICS, SOURCE_TREND_COLUMNS

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


class SourceError(DataProblem, ValueError):
    """A source table that cannot be stored; the message names the table, row and column."""


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
    """The stored schema of each source table (:data:`TABLE_NAMES`)."""
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


def conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """``table`` with exactly the columns of ``schema`` (a column an older file lacks is null)."""
    cols = [
        table[f.name].cast(f.type) if f.name in table.column_names else pa.nulls(table.num_rows, f.type) for f in schema
    ]
    return pa.Table.from_arrays(cols, schema=schema)


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
