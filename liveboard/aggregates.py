"""The plain aggregates of a session, as data: what is counted or summed, over which events or orders.

A plain aggregate needs no event order: a count, a sum or a distinct count over the rows of some event
types (or over paid orders), optionally filtered. Written once here, it becomes the batch SQL of
:mod:`liveboard.queries` (per session and per minute), the live fold's counters in :mod:`liveboard.live`
and the formula text of :mod:`liveboard.metrics`. The figures that depend on order (views, PCU, online,
channel credit, pins, giveaway windows) are not plain and stay written by hand, once each.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

KINDS = ("count", "sum", "count_distinct", "sum_length")
#: Fields that are money: summed as DECIMAL (exact), never through HUGEINT.
MONEY_FIELDS = frozenset({"amount"})


@dataclass(frozen=True)
class Aggregate:
    """``kind`` over the events of ``types`` (all events when empty) or, with ``over="paid"``, over paid orders.

    ``field``: for ``sum`` the fields multiplied per row (a row counts when all are present); for
    ``count_distinct`` and ``sum_length`` the one field. ``where`` restricts paid orders to one value of a
    column (``("attribution", "direct")``).
    """

    name: str
    kind: str
    types: tuple[str, ...] = ()
    field: tuple[str, ...] = ()
    over: str = "events"
    where: tuple[str, str] | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS or self.over not in ("events", "paid"):
            raise ValueError(f"aggregate {self.name}: kind {self.kind!r} over {self.over!r}")
        if (self.kind == "count") != (not self.field) or (self.kind != "sum" and len(self.field) > 1):
            raise ValueError(f"aggregate {self.name}: {self.kind} takes {'no' if self.kind == 'count' else 'a'} field")
        if (self.over == "paid" and self.types) or (self.where and self.over != "paid"):
            raise ValueError(f"aggregate {self.name}: event types are for events, a filter for paid orders")

    @property
    def is_money(self) -> bool:
        return self.kind == "sum" and bool(MONEY_FIELDS & set(self.field))

    @property
    def of_users(self) -> bool:
        """A distinct count of users: batch SQL counts them in one grouping per user, the fold in a flag per user."""
        return self.kind == "count_distinct" and self.field == ("user_id",)

    @property
    def formula(self) -> str:
        """The definition as the glossary reads it (``Σ diamonds × count over gift``)."""
        what = {
            "count": "count of",
            "sum": f"Σ {' × '.join(self.field)} over",
            "count_distinct": f"distinct {self.field[0] if self.field else ''} over",
            "sum_length": f"Σ length of {self.field[0] if self.field else ''} over",
        }[self.kind]
        rows = ", ".join(self.types) if self.types else "all events"
        if self.over == "paid":
            rows = "paid orders" + (f" with {self.where[0]} = {self.where[1]}" if self.where else "")
        return f"{what} {rows}"


def _a(name: str, kind: str, *types: str, field: tuple[str, ...] = (), **kw) -> Aggregate:
    return Aggregate(name, kind, tuple(types), field, **kw)


_PAID: dict[str, Any] = {"over": "paid"}

#: Every plain aggregate, in the order the session columns list them.
AGGREGATES: tuple[Aggregate, ...] = (
    _a("gmv", "sum", field=("amount",), **_PAID),
    _a("direct_gmv", "sum", field=("amount",), where=("attribution", "direct"), **_PAID),
    _a("refunded_gmv", "sum", field=("amount",), where=("status", "refunded"), **_PAID),
    _a("items_sold", "sum", field=("quantity",), **_PAID),
    _a("sku_orders", "count", **_PAID),
    _a("customers", "count_distinct", field=("user_id",), **_PAID),
    _a("impressions", "count", "impression"),
    _a("views", "count", "viewer_enter"),
    _a("viewers", "count_distinct", "viewer_enter", field=("user_id",)),
    _a("comments", "count", "comment"),
    _a("likes", "sum", "like", field=("count",)),
    _a("shares", "count", "share"),
    _a("new_followers", "count_distinct", "follow", field=("user_id",)),
    _a("gift_diamonds", "sum", "gift", field=("diamonds", "count")),
    _a("engaged_viewers", "count_distinct", "comment", "like", "share", "follow", "gift", field=("user_id",)),
    _a("product_impressions", "count", "product_impression"),
    _a("product_clicks", "count", "product_click"),
    _a("violations", "count", "violation"),
    _a("featured_products", "count_distinct", "product_pin", field=("product_id",)),
    _a("giveaways", "count_distinct", "giveaway_start", field=("giveaway_id",)),
    _a("winners", "sum_length", "giveaway_end", field=("winner_ids",)),
    _a("event_count", "count"),
)
AGGREGATE: dict[str, Aggregate] = {a.name: a for a in AGGREGATES}

#: The columns of ``queries.SESSION_BASE`` (and of the live summary), in order: identity and bounds,
#: then the plain aggregates among the hand-written figures (pcu, view_seconds, late_order_updates).
SESSION_BASE_COLUMNS: tuple[str, ...] = (
    "session_id",
    "title",
    "account_id",
    "live_event_id",
    "currency",
    "start",
    "end",
    "duration_s",
    "last_ts",
    *(a.name for a in AGGREGATES[: AGGREGATES.index(AGGREGATE["viewers"]) + 1]),
    "pcu",
    "view_seconds",
    *(a.name for a in AGGREGATES[AGGREGATES.index(AGGREGATE["viewers"]) + 1 :]),
    "late_order_updates",
)


# ------------------------------------------------------------------ SQL


def _quote(field: str) -> str:
    return f'"{field}"'


def _types_sql(types: tuple[str, ...]) -> str:
    if len(types) == 1:
        return f"type = '{types[0]}'"
    return f"type IN ({', '.join(f'{t!r}' for t in types)})"


def _condition(a: Aggregate) -> str | None:
    """The FILTER condition of ``a`` over its relation (events: its types; paid orders: its ``where``)."""
    if a.types:
        return _types_sql(a.types)
    if a.where:
        return f"{a.where[0]} = '{a.where[1]}'"
    return None


def aggregate_sql(a: Aggregate) -> str:
    """``a`` as one aggregate expression over ``ev`` or ``paid`` (integer sums through HUGEINT: see queries)."""
    cond = _condition(a)
    flt = f" FILTER (WHERE {cond})" if cond else ""
    if a.kind == "count":
        return f"count(*){flt}"
    if a.kind == "count_distinct":
        return f"count(DISTINCT {a.field[0]}){flt}"
    if a.kind == "sum_length":
        return f"coalesce(sum(array_length({a.field[0]})){flt}, 0)::BIGINT"
    if a.is_money:
        return f"sum({' * '.join(map(_quote, a.field))}){flt}"
    product = " * ".join([f"{_quote(a.field[0])}::HUGEINT", *map(_quote, a.field[1:])])
    total = f"coalesce(sum({product}){flt}, 0)" if cond else f"sum({product})"
    return f"TRY_CAST({total} AS BIGINT)"


def select_list(aggs: tuple[Aggregate, ...], indent: str = "           ") -> str:
    """``expr AS name`` for each aggregate, one per line (the body of a grouping CTE)."""
    return f",\n{indent}".join(f"{aggregate_sql(a)} AS {a.name}" for a in aggs)


def users_select(aggs: tuple[Aggregate, ...]) -> tuple[str, str]:
    """Distinct users as one grouping per (session, user): the flags per user, then their counts."""
    flags = ",\n               ".join(f"bool_or({_types_sql(a.types)}) AS has_{a.name}" for a in aggs)
    counts = ",\n           ".join(f"count(*) FILTER (WHERE has_{a.name}) AS {a.name}" for a in aggs)
    return flags, counts


def outer_sql(a: Aggregate, alias: str, guard: str | None) -> str:
    """``a`` read from CTE ``alias`` after a LEFT JOIN: a missing row is 0, and a sum's null (an overflow, an
    unknown figure) stays null where the row exists (``guard``: a column never null in an existing row)."""
    col = f"{alias}.{a.name}"
    if a.is_money:
        return f"coalesce({col}, 0)::DECIMAL(38, 2)"
    if a.kind == "sum":
        return f"if({alias}.{guard} IS NULL, 0, {col})::BIGINT"
    return f"coalesce({col}, 0)"


def event_aggregates(names: tuple[str, ...] | None = None, *, users: bool | None = None) -> tuple[Aggregate, ...]:
    """The aggregates over events (of ``names``, in their order, when given); ``users`` keeps or drops user counts."""
    pool = AGGREGATES if names is None else tuple(AGGREGATE[n] for n in names if n in AGGREGATE)
    return tuple(a for a in pool if a.over == "events" and (users is None or a.of_users == users))


def paid_aggregates(names: tuple[str, ...] | None = None) -> tuple[Aggregate, ...]:
    pool = AGGREGATES if names is None else tuple(AGGREGATE[n] for n in names if n in AGGREGATE)
    return tuple(a for a in pool if a.over == "paid")
