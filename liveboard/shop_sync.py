"""``liveboard sync shop``: TikTok Shop Analytics API → the store's "api" source.

Three APIs, mapped to the tables of ``Store.put_source``:

- session list (``/analytics/202509/shop_lives/performance``) → summaries;
- per-minute performance (``/analytics/202510/shop_lives/{live_id}/performance_per_minutes``) → trends
  (``interval_s`` 60);
- products (``/analytics/202512/shop/{live_id}/products_performance``) → products, and the session's
  ``direct_gmv`` = the sum of its products' ``direct_gmv`` (the list only gives attributed GMV).

Every value is validated: a bad field becomes unknown (null) and a problem line naming the endpoint, the
session and the field; a session without a usable id, account or start is left out (and named). A session
whose per-minute or product call fails for good keeps its summary and is named in the last lines. Affiliate
sessions (no ``interaction_performance``) and sessions still live get their summary only: the per-minute and
product APIs serve official and marketing accounts, after the LIVE ends.

Dates: ``--since``/``--until`` are the shop's dates, both inclusive (``end_date_lt`` = until + 1 day);
default: the 30 days before today and today (UTC). Exit code: 0 when everything was read, 1 when something
is missing (named in the last lines; the rest is stored — run it again later) or the sync had to stop
(credentials, scope, signature, allow-list), 2 for a missing variable or a bad date.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation

import pyarrow as pa

from liveboard import aio
from liveboard.errors import InputError
from liveboard.events import MONEY
from liveboard.ids import is_session_id
from liveboard.shop_api import (
    ClientStats,
    RetryPolicy,
    ShopClient,
    ShopConfig,
    ShopRequestError,
    ShopStop,
    endpoint_name,
)

SESSIONS_PATH = "/analytics/202509/shop_lives/performance"
PER_MINUTE_PATH = "/analytics/202510/shop_lives/{live_id}/performance_per_minutes"
PRODUCTS_PATH = "/analytics/202512/shop/{live_id}/products_performance"
PAGE_SIZE = 100
MAX_PAGES = 10_000  # a guard against a server that never stops paging
DEFAULT_DAYS = 30
SOURCE = "api"

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

_MISSING = object()
_PARTS: dict[str, tuple[str, ...]] = {}
_NUMERIC = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_MAX_MONEY = Decimal(10) ** 18
_MICRO = Decimal("0.000001")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_FIRST_TS, _LAST_TS = 1_451_606_400, 4_102_444_800  # 2016-01-01 .. 2100-01-01: anything else is not a LIVE time


# --------------------------------------------------------------------------- validation


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
        return number if number.as_tuple().exponent >= -6 else number.quantize(_MICRO)

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
    kind = type(value)
    if kind is str:
        text = value.strip()
        if "," in text:
            text = text.replace(",", "")
        if not _NUMERIC.fullmatch(text):
            return None
        try:
            number = Decimal(text)
        except InvalidOperation:  # pragma: no cover - the pattern only lets numbers through
            return None
    elif kind is int:
        return Decimal(value)
    elif kind is float:
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


# --------------------------------------------------------------------------- mapping


@dataclass
class SessionRow:
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
    return pa.Table.from_pylist([{k: row.get(k) for k in schema.names} for row in rows], schema=schema)


# --------------------------------------------------------------------------- fetching


@dataclass
class Fetched:
    """Everything one sync read from the API, before it goes to the store."""

    summaries: dict[str, dict] = field(default_factory=dict)
    trends: dict[str, list[dict]] = field(default_factory=dict)
    products: dict[str, list[dict]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    missing: dict[str, dict[str, str]] = field(default_factory=lambda: defaultdict(dict))  # key → {what: why}
    no_trend: set[str] = field(default_factory=set)  # answered, but no minutes (not ready yet)
    affiliates: set[str] = field(default_factory=set)
    live: set[str] = field(default_factory=set)
    list_error: str | None = None
    latest_available: str | None = None  # the API's latest_available_date: figures are final up to it

    def summary_table(self) -> pa.Table:
        return table([self.summaries[key] for key in sorted(self.summaries)], SUMMARY_SCHEMA)

    def trend_table(self) -> pa.Table:
        rows = [r for key in sorted(self.trends) for r in sorted(self.trends[key], key=lambda r: r["t"])]
        return table(rows, TREND_SCHEMA)

    def product_table(self) -> pa.Table:
        rows = [r for key in sorted(self.products) for r in sorted(self.products[key], key=lambda r: r["product_id"])]
        return table(rows, PRODUCT_SCHEMA)


async def _pages(client: ShopClient, api: str, path: str, params: dict, live_id: str | None, token_of):
    """Yield ``data`` of each page, following ``next_page_token`` (a repeated token ends the paging)."""
    seen: set[str] = set()
    token = ""
    for _ in range(MAX_PAGES):
        data = await client.get(api, path, {**params, "page_token": token or None}, live_id=live_id)
        yield data
        token = token_of(data)
        if not isinstance(token, str) or not token:
            return
        if token in seen:
            raise ShopRequestError(endpoint_name(path, live_id), "the API repeated a page token", live_id)
        seen.add(token)
    raise ShopRequestError(endpoint_name(path, live_id), f"more than {MAX_PAGES} pages", live_id)


async def fetch(client: ShopClient, since: dt.date, until: dt.date, progress=None) -> Fetched:
    """Read the sessions of [since, until] and, concurrently, each one's minutes and products."""
    out = Fetched()

    async def trend(key: str) -> None:
        rows: dict[dt.datetime, dict] = {}
        path = PER_MINUTE_PATH.format(live_id=key)

        def token_of(data: dict):
            perf = data.get("performance")
            return data.get("next_page_token") or (perf.get("next_page_token") if isinstance(perf, dict) else "")

        problems: list[Problem] = []
        try:
            async for data in _pages(client, "per_minute", path, {"currency": "LOCAL"}, key, token_of):
                perf = data.get("performance")
                if perf is None:
                    continue
                if not isinstance(perf, dict):
                    raise ShopRequestError(
                        PER_MINUTE_PATH, f"field performance: an object was expected, got {_show(perf)}", key
                    )
                for row in map_intervals(key, perf.get("intervals") or [], problems):
                    rows[row["t"]] = row
        except ShopRequestError as exc:
            out.missing[key]["per-minute trend"] = exc.reason
            return
        finally:
            out.problems.extend(problems)
            if progress:
                progress(0.5)
        if rows:
            out.trends[key] = list(rows.values())
        else:
            out.no_trend.add(key)

    async def products(key: str) -> None:
        path = PRODUCTS_PATH.format(live_id=key)
        try:
            data = await client.get("products", path, {"currency": "LOCAL"}, live_id=key)
            rows = map_products(key, data.get("products") or [], out.problems)
            out.products[key] = list({r["product_id"]: r for r in rows}.values())
        except ShopRequestError as exc:
            out.missing[key]["products"] = exc.reason
        finally:
            if progress:
                progress(0.5)

    params = {
        "start_date_ge": since.isoformat(),
        "end_date_lt": (until + dt.timedelta(days=1)).isoformat(),
        "page_size": PAGE_SIZE,
        "currency": "LOCAL",
    }
    try:
        async with asyncio.TaskGroup() as tg:
            try:
                async for data in _pages(
                    client, "sessions", SESSIONS_PATH, params, None, lambda d: d.get("next_page_token")
                ):
                    latest = data.get("latest_available_date")
                    if isinstance(latest, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", latest):
                        out.latest_available = latest
                    items = data.get("live_stream_sessions")
                    if items is None:
                        items = []
                    if not isinstance(items, list):
                        raise ShopRequestError(
                            SESSIONS_PATH, f"field live_stream_sessions: a list was expected, got {_show(items)}"
                        )
                    for raw in items:
                        s = map_session(raw, out.problems)
                        if s is None or s.row["source_key"] in out.summaries:
                            continue
                        key = s.row["source_key"]
                        out.summaries[key] = s.row
                        if s.affiliate:
                            out.affiliates.add(key)
                        elif s.live:
                            out.live.add(key)
                        else:
                            if progress:
                                progress(0, 1)
                            tg.create_task(trend(key))
                            tg.create_task(products(key))
            except ShopRequestError as exc:
                out.list_error = exc.reason
    except BaseExceptionGroup as group:
        stops = group.subgroup(ShopStop)
        if stops is not None:
            raise _leaves(stops)[0] from None
        raise
    for key, rows in out.products.items():
        out.summaries[key]["direct_gmv"] = direct_gmv(out.summaries[key], rows, out.problems)
    # values quoted in messages come from the API: one that echoes a credential must not show it
    out.problems = [replace(p, message=client.secrets.scrub(p.message)) for p in out.problems]
    return out


def _leaves(group: BaseExceptionGroup) -> list[BaseException]:
    found: list[BaseException] = []
    for exc in group.exceptions:
        found += _leaves(exc) if isinstance(exc, BaseExceptionGroup) else [exc]
    return found


# --------------------------------------------------------------------------- the sync


def parse_day(value: str | None, name: str) -> dt.date | None:
    if value is None or value == "":
        return None
    try:
        if len(value) != 10:
            raise ValueError
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{name}: {value!r} is not a date (use YYYY-MM-DD)") from None


def date_range(since: str | None, until: str | None, today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """``--since``/``--until`` (inclusive, the shop's dates); default: the last 30 days and today (UTC)."""
    today = today or dt.datetime.now(dt.UTC).date()
    end = parse_day(until, "--until") or today
    start = parse_day(since, "--since") or end - dt.timedelta(days=DEFAULT_DAYS)
    if start > end:
        raise InputError(f"--since {start} is after --until {end}")
    return start, end


@dataclass
class SyncResult:
    since: dt.date
    until: dt.date
    fetched: Fetched
    stats: ClientStats
    report: object | None = None  # the store's SourceReport
    seconds: float = 0.0  # the whole sync
    fetch_seconds: float = 0.0  # reading the API

    @property
    def partial(self) -> bool:
        f = self.fetched
        return bool(f.problems or f.missing or f.list_error)

    @property
    def exit_code(self) -> int:
        return 1 if self.partial else 0

    def lines(self, limit: int = 20) -> list[str]:
        """What the sync did, most important last: changed sessions, problems, then what is missing."""
        f, st = self.fetched, self.stats
        n_req = sum(st.requests.values())
        retried = ", ".join(f"{k} ×{v}" for k, v in sorted(st.retries.items()))
        out = [
            f"api: {len(f.summaries)} session(s) from {self.since} to {self.until} · {n_req:,} request(s)"
            + (f" · retried: {retried}" if retried else "")
            + (f" · {self.seconds:.1f} s" if self.seconds else "")
        ]
        if not f.summaries and not f.list_error:
            out.append("no LIVE sessions in this date range (the dates are the shop's; try --since)")
        if f.latest_available:
            out.append(
                f"the API's figures are complete up to {f.latest_available}; per-minute and product figures "
                "come after a LIVE ends"
            )
        if st.refreshed:
            when = (
                f" (new token valid until {dt.datetime.fromtimestamp(st.access_expires_at, dt.UTC):%Y-%m-%d %H:%M} UTC)"
                if st.access_expires_at
                else ""
            )
            out.append(
                f"access token refreshed for this sync{when}; it is not saved: update TIKTOK_SHOP_ACCESS_TOKEN "
                "from Partner Center to skip the refresh"
            )
        rep = self.report
        if rep is not None:
            changed = getattr(rep, "changed", {}) or {}
            linked = _n(getattr(rep, "linked", 0))
            out.append(
                f"store: new {_n(getattr(rep, 'new', 0))} · changed {len(changed)} · "
                f"unchanged {_n(getattr(rep, 'unchanged', 0))}"
                + (f" ({linked} joined sessions already in the store)" if linked else "")
                + (f" · version {rep.version}" if getattr(rep, "version", None) is not None else "")
            )
            for sid, figures in list(changed.items())[:limit]:
                out.append(f"changed: {sid}: {', '.join(figures) if figures else 'figures'}")
            if len(changed) > limit:
                out.append(f"… and {len(changed) - limit} more changed session(s)")
        if f.affiliates:
            out.append(
                f"{len(f.affiliates)} affiliate session(s): summary only (the API gives no interaction, "
                "per-minute or product figures for affiliate accounts)"
            )
        if f.live:
            out.append(f"{len(f.live)} session(s) still live: summary only; sync again after they end")
        if f.no_trend:
            out.append(f"{len(f.no_trend)} session(s) without per-minute data yet: {_ids(f.no_trend, limit)}")
        for p in f.problems[:limit]:
            out.append(f"problem: {p}")
        if len(f.problems) > limit:
            out.append(f"… and {len(f.problems) - limit} more problem(s)")
        if f.list_error:
            out.append(f"missing: the rest of the session list ({SESSIONS_PATH}: {f.list_error})")
        for key in sorted(f.missing)[:limit]:
            s = f.summaries.get(key, {})
            label = f"{key} (@{s.get('account_id')}, {s['start']:%Y-%m-%d %H:%M} UTC)" if s else key
            what = "; ".join(f"{k}: {v}" for k, v in sorted(f.missing[key].items()))
            out.append(f"missing: session {label}: {what} — its summary is stored")
        if len(f.missing) > limit:
            out.append(f"… and {len(f.missing) - limit} more session(s) with missing data")
        if self.partial:
            out.append(
                f"partial sync: {len(f.missing)} session(s) with missing data, {len(f.problems)} problem(s)"
                + ("; session list incomplete" if f.list_error else "")
                + " — run it again later to fill them in"
            )
        return out


def _n(value) -> int:
    return len(value) if isinstance(value, list | set | tuple | dict) else int(value or 0)


def _ids(keys, limit: int) -> str:
    keys = sorted(keys)
    return ", ".join(keys[:limit]) + (f" … (+{len(keys) - limit})" if len(keys) > limit else "")


async def fetch_shop(
    config: ShopConfig, since: dt.date, until: dt.date, *, progress=None, **client_options
) -> tuple[Fetched, ClientStats]:
    async with ShopClient(config, **client_options) as client:
        fetched = await fetch(client, since, until, progress)
    return fetched, client.stats


def sync_shop(
    store,
    *,
    since: str | dt.date | None = None,
    until: str | dt.date | None = None,
    config: ShopConfig | None = None,
    progress: bool = False,
    **client_options,
) -> SyncResult:
    """Read the shop's sessions of [since, until] from the API and put them into ``store`` as source "api".

    Raises :class:`ShopStop` when the sync cannot go on (missing variable, refused credentials, scope…).
    """
    import time

    start, end = date_range(
        since.isoformat() if isinstance(since, dt.date) else since,
        until.isoformat() if isinstance(until, dt.date) else until,
    )
    config = config or ShopConfig.from_env()
    client_options.setdefault("policy", RetryPolicy.from_env())
    if not hasattr(store, "put_source"):
        raise ShopStop("this store cannot take API data yet (Store.put_source is missing)")
    t0 = time.perf_counter()
    bar = _Progress() if progress else None
    try:
        fetched, stats = aio.run(fetch_shop(config, start, end, progress=bar, **client_options))
    finally:
        if bar:
            bar.close()
    result = SyncResult(start, end, fetched, stats, fetch_seconds=time.perf_counter() - t0)
    keep_direct_gmv(store, fetched)
    if fetched.summaries:
        result.report = store.put_source(
            SOURCE,
            fetched.summary_table(),
            trends=fetched.trend_table(),
            products=fetched.product_table(),
        )
    result.seconds = time.perf_counter() - t0
    return result


def keep_direct_gmv(store, fetched: Fetched) -> None:
    """A session whose products failed this time keeps the direct GMV of the last sync (not null)."""
    keys = {k for k, what in fetched.missing.items() if "products" in what and k in fetched.summaries}
    if not keys:
        return
    import pyarrow.compute as pc

    t = store.read_table("source_summaries").select(["source", "source_key", "direct_gmv"])
    t = t.filter(pc.and_(pc.equal(t["source"], SOURCE), pc.is_in(t["source_key"], pa.array(sorted(keys)))))
    for row in t.to_pylist():
        if row["direct_gmv"] is not None and fetched.summaries[row["source_key"]].get("direct_gmv") is None:
            fetched.summaries[row["source_key"]]["direct_gmv"] = row["direct_gmv"]


class _Progress:
    """A tqdm bar on stderr: sessions whose minutes and products are in (the total grows with the list)."""

    def __init__(self):
        from tqdm.auto import tqdm

        self.bar = tqdm(total=0, desc="api sessions", unit="session", leave=False)

    def __call__(self, done: float, more: int = 0) -> None:
        if more:
            self.bar.total += more
            self.bar.refresh()
        if done:
            self.bar.update(done)

    def close(self) -> None:
        self.bar.close()
