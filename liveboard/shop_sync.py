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

import pyarrow as pa

from liveboard import aio
from liveboard.errors import InputError
from liveboard.shop_api import (
    ClientStats,
    RetryPolicy,
    ShopClient,
    ShopConfig,
    ShopRequestError,
    ShopStop,
    endpoint_name,
)
from liveboard.shop_fields import Problem, Reader, _show
from liveboard.shop_mapping import (
    COUNT,
    KIND_TYPE,
    PER_MINUTE_PATH,
    PRODUCT_FIGURES,
    PRODUCT_SCHEMA,
    PRODUCTS_PATH,
    SESSION_FIGURES,
    SESSIONS_PATH,
    SUMMARY_SCHEMA,
    TREND_FIGURES,
    TREND_SCHEMA,
    TS,
    SessionRow,
    direct_gmv,
    map_intervals,
    map_products,
    map_session,
    table,
)
from liveboard.shop_report import SyncResult

__all__ = [
    "COUNT",
    "DEFAULT_DAYS",
    "KIND_TYPE",
    "MAX_PAGES",
    "PAGE_SIZE",
    "PER_MINUTE_PATH",
    "PRODUCTS_PATH",
    "PRODUCT_FIGURES",
    "PRODUCT_SCHEMA",
    "SESSIONS_PATH",
    "SESSION_FIGURES",
    "SOURCE",
    "SUMMARY_SCHEMA",
    "TREND_FIGURES",
    "TREND_SCHEMA",
    "TS",
    "Fetched",
    "Problem",
    "Reader",
    "SessionRow",
    "SyncResult",
    "date_range",
    "direct_gmv",
    "fetch",
    "fetch_shop",
    "keep_direct_gmv",
    "map_intervals",
    "map_products",
    "map_session",
    "parse_day",
    "sync_shop",
    "table",
]

PAGE_SIZE = 100
MAX_PAGES = 10_000  # a guard against a server that never stops paging
DEFAULT_DAYS = 30
SOURCE = "api"


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
                    for key in _list_page(data, out):
                        if progress:
                            progress(0, 1)
                        tg.create_task(_fetch_trend(client, key, out, progress))
                        tg.create_task(_fetch_products(client, key, out, progress))
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


def _list_page(data: dict, out: Fetched) -> list[str]:
    """Take one page of the session list into ``out``; the sessions whose minutes and products to read."""
    latest = data.get("latest_available_date")
    if isinstance(latest, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", latest):
        out.latest_available = latest
    items = data.get("live_stream_sessions")
    if items is None:
        items = []
    if not isinstance(items, list):
        raise ShopRequestError(SESSIONS_PATH, f"field live_stream_sessions: a list was expected, got {_show(items)}")
    ended: list[str] = []
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
            ended.append(key)
    return ended


async def _fetch_trend(client: ShopClient, key: str, out: Fetched, progress) -> None:
    """One session's per-minute trend into ``out`` (or why it is missing)."""
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


async def _fetch_products(client: ShopClient, key: str, out: Fetched, progress) -> None:
    """One session's products into ``out`` (or why they are missing)."""
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


def _leaves(group: BaseExceptionGroup) -> list[BaseException]:
    """The exceptions inside nested exception groups, in order."""
    found: list[BaseException] = []
    for exc in group.exceptions:
        found += _leaves(exc) if isinstance(exc, BaseExceptionGroup) else [exc]
    return found


def parse_day(value: str | None, name: str) -> dt.date | None:
    """A ``YYYY-MM-DD`` option as a date (None when not given); else an :class:`InputError` naming it."""
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


async def fetch_shop(
    config: ShopConfig, since: dt.date, until: dt.date, *, progress=None, **client_options
) -> tuple[Fetched, ClientStats]:
    """One sync's reading, on a client of its own: what was read and the client's counts."""
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
