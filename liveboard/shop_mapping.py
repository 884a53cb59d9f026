"""The Shop API's three answers mapped to the tables of ``Store.put_source``: the figures' paths, the
table schemas, and sessions, minutes and products as rows (a session's direct GMV from its products)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pyarrow as pa

from liveboard.events import MONEY
from liveboard.ids import is_session_id
from liveboard.shop_fields import _MISSING, Problem, Reader, _show

SESSIONS_PATH = "/analytics/202509/shop_lives/performance"
PER_MINUTE_PATH = "/analytics/202510/shop_lives/{live_id}/performance_per_minutes"
PRODUCTS_PATH = "/analytics/202512/shop/{live_id}/products_performance"

COUNT = pa.int64()
TS = pa.timestamp("us", tz="UTC")

# (column, path in the session object, kind); items_sold has three spellings across API versions.
SESSION_FIGURES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("gmv", ("sales_performance.gmv",), "money"),
    ("gmv_24h", ("sales_performance.24h_live_gmv",), "money"),
    ("avg_price", ("sales_performance.avg_price",), "money"),
    (
        "items_sold",
        ("sales_performance.items_sold", "sales_performance.unit_sold", "sales_performance.units_sold"),
        "count",
    ),
    ("customers", ("sales_performance.customers",), "count"),
    ("sku_orders", ("sales_performance.sku_orders",), "count"),
    ("created_sku_orders", ("sales_performance.created_sku_orders",), "count"),
    ("products_added", ("sales_performance.products_added",), "count"),
    ("different_products_sold", ("sales_performance.different_products_sold",), "count"),
    ("acu", ("interaction_performance.acu",), "number"),
    ("pcu", ("interaction_performance.pcu",), "count"),
    ("viewers", ("interaction_performance.viewers",), "count"),
    ("views", ("interaction_performance.views",), "count"),
    ("avg_view_duration_s", ("interaction_performance.avg_viewing_duration",), "number"),
    ("comments", ("interaction_performance.comments",), "count"),
    ("likes", ("interaction_performance.likes",), "count"),
    ("shares", ("interaction_performance.shares",), "count"),
    ("new_followers", ("interaction_performance.new_followers",), "count"),
    ("product_impressions", ("interaction_performance.product_impressions",), "count"),
    ("product_clicks", ("interaction_performance.product_clicks",), "count"),
)
TREND_FIGURES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("gmv", ("sales.gmv",), "money"),
    ("items_sold", ("sales.items_sold", "sales.unit_sold", "sales.units_sold"), "count"),
    ("customers", ("sales.customers",), "count"),
    ("sku_orders", ("sales.sku_orders",), "count"),
    ("impressions", ("traffic.impressions",), "count"),
    ("views", ("traffic.views",), "count"),
    ("viewers", ("traffic.viewers",), "count"),
    ("product_impressions", ("traffic.product_impressions",), "count"),
    ("product_clicks", ("traffic.product_clicks",), "count"),
    ("comments", ("interactions.comments",), "count"),
    ("likes", ("interactions.likes",), "count"),
    ("shares", ("interactions.shares",), "count"),
    ("new_followers", ("interactions.new_followers",), "count"),
)
# products: clicks are ``produt_clicks`` (sic) — never add_to_cart_count.
PRODUCT_FIGURES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("impressions", ("traffic.product_impressions",), "count"),
    ("clicks", ("traffic.produt_clicks", "traffic.product_clicks"), "count"),
    ("sku_orders", ("sales.sku_orders",), "count"),
    ("items_sold", ("sales.items_sold", "sales.unit_sold", "sales.units_sold"), "count"),
    ("gmv", ("sales.direct_gmv",), "money"),
    ("customers", ("sales.customers",), "count"),
    ("created_sku_orders", ("sales.created_sku_orders",), "count"),
)
KIND_TYPE = {"money": MONEY, "count": COUNT, "number": pa.float64()}

SUMMARY_SCHEMA = pa.schema(
    [
        ("source_key", pa.string()),
        ("account_id", pa.string()),
        ("title", pa.string()),
        ("start", TS),
        ("end", TS),
        ("duration_s", pa.float64()),
        ("currency", pa.string()),
        ("direct_gmv", MONEY),
        ("ctor", pa.float64()),
    ]
    + [(name, KIND_TYPE[kind]) for name, _, kind in SESSION_FIGURES]
)
TREND_SCHEMA = pa.schema(
    [("source_key", pa.string()), ("t", TS), ("interval_s", COUNT)]
    + [(name, KIND_TYPE[kind]) for name, _, kind in TREND_FIGURES]
)
PRODUCT_SCHEMA = pa.schema(
    [("source_key", pa.string()), ("product_id", pa.string()), ("name", pa.string())]
    + [(name, KIND_TYPE[kind]) for name, _, kind in PRODUCT_FIGURES]
)


@dataclass
class SessionRow:
    """A session's summary row, and whether the per-minute and product APIs can serve it yet."""

    row: dict
    affiliate: bool  # no interaction_performance: the API has no interaction, per-minute or product figures
    live: bool  # no end time yet


def map_session(raw: object, problems: list[Problem]) -> SessionRow | None:
    """One ``live_stream_sessions[]`` item → a summary row, or None (a problem says why)."""
    endpoint = SESSIONS_PATH
    if not isinstance(raw, dict):
        problems.append(Problem(endpoint, None, "live_stream_sessions[]", f"an object was expected, got {_show(raw)}"))
        return None
    key = raw.get("id")
    key = str(key) if isinstance(key, int | str) and not isinstance(key, bool) else None
    if not key or not is_session_id(key):
        problems.append(Problem(endpoint, None, "id", f"a session id was expected, got {_show(raw.get('id'))}"))
        return None
    r = Reader(endpoint, key, problems)
    account = r.text(raw, "username")
    account = account.strip().lstrip("@").lower() if account else None
    start = r.unix(raw, "start_time")
    if not account or start is None:
        missing = "username" if not account else "start_time"
        if r.raw(raw, missing) is _MISSING:
            r.problem(missing, "missing: the session is left out")
        else:
            problems.append(Problem(endpoint, key, missing, "not usable: the session is left out"))
        return None
    end = r.unix(raw, "end_time")
    if end is not None and end < start:
        r.problem("end_time", "before start_time: read as unknown")
        end = None
    row: dict = {
        "source_key": key,
        "account_id": account,
        "title": r.text(raw, "title"),
        "start": start,
        "end": end,
        "duration_s": (end - start).total_seconds() if end is not None else None,
        "currency": r.currency(raw, "sales_performance.gmv.currency"),
        "direct_gmv": None,
        "ctor": None,
    }
    if r.raw(raw, "sales_performance") is _MISSING:
        r.problem("sales_performance", "missing: the sales figures are unknown")
    for name, paths, kind in SESSION_FIGURES:
        row[name] = r.figure(raw, paths, kind)
    if row["sku_orders"] is None or row["product_clicks"] is None:
        # the rate is kept only when the counts it comes from are unknown (affiliates): else it is recomputed
        row["ctor"] = r.rate(raw, "sales_performance.click_to_order_rate")
    affiliate = not isinstance(raw.get("interaction_performance"), dict)
    return SessionRow(row, affiliate, end is None)


def _objects(r: Reader, items: object, name: str):
    """The objects of a list the API gives at ``name``; a non-list or a non-object item is a named problem."""
    if not isinstance(items, list):
        r.problem(name, f"a list was expected, got {_show(items)}")
        return
    for i, item in enumerate(items):
        r.prefix = f"{name}[{i}]."
        if not isinstance(item, dict):
            r.problem("", f"an object was expected, got {_show(item)}")
            continue
        yield item


def map_intervals(live_id: str, intervals: object, problems: list[Problem]) -> list[dict]:
    """``data.performance.intervals[]`` → trend rows of 60 s."""
    r = Reader(PER_MINUTE_PATH, live_id, problems)
    rows = []
    for item in _objects(r, intervals, "performance.intervals"):
        t = r.unix(item, "start_time")
        if t is None:
            if r.raw(item, "start_time") is _MISSING:
                r.problem("start_time", "missing: the minute is left out")
            continue
        row = {"source_key": live_id, "t": t, "interval_s": 60}
        for name, paths, kind in TREND_FIGURES:
            row[name] = r.figure(item, paths, kind)
        rows.append(row)
    return rows


def map_products(live_id: str, products: object, problems: list[Problem]) -> list[dict]:
    """``data.products[]`` → product rows (names as the API gives them)."""
    r = Reader(PRODUCTS_PATH, live_id, problems)
    rows = []
    for item in _objects(r, products, "products"):
        pid = r.text(item, "id")
        if not pid:
            if r.raw(item, "id") is _MISSING:
                r.problem("id", "missing: the product is left out")
            continue
        row = {"source_key": live_id, "product_id": pid, "name": r.text(item, "name")}
        for name, paths, kind in PRODUCT_FIGURES:
            row[name] = r.figure(item, paths, kind)
        row["_currency"] = r.currency(item, "sales.direct_gmv.currency")
        rows.append(row)
    return rows


def direct_gmv(summary: dict, products: list[dict], problems: list[Problem]) -> Decimal | None:
    """The session's direct GMV: the sum of its products' direct GMV — when every one is known.

    Unknown (null) when a product's figure is missing or bad, when a product is in another currency than
    the session, or when there are no products while the session has GMV (we cannot tell 0 from absent).
    """
    if not products:
        return Decimal(0) if summary.get("gmv") == 0 else None
    amounts = [p["gmv"] for p in products]
    if any(a is None for a in amounts):
        return None
    currencies = {p["_currency"] for p in products if p["_currency"]}
    if summary.get("currency") and currencies - {summary["currency"]}:
        problems.append(
            Problem(
                PRODUCTS_PATH,
                summary["source_key"],
                "sales.direct_gmv.currency",
                f"{', '.join(sorted(currencies))} differs from the session's {summary['currency']}: direct_gmv unknown",
            )
        )
        return None
    return sum(amounts, Decimal(0))


def table(rows: list[dict], schema: pa.Schema) -> pa.Table:
    """Rows as a table of ``schema`` (a column a row lacks is null)."""
    return pa.Table.from_pylist([{k: row.get(k) for k in schema.names} for row in rows], schema=schema)
