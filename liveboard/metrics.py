"""The metric registry: every session metric of event-log-v1 section 3, defined once.

Each surface (the LIVE list, the live board, reports, the CLI, the glossary in ``docs/metrics.md``) reads
labels, units and formulas from here; the formulas of plain aggregates are those of
:data:`liveboard.aggregates.AGGREGATES`, the data the batch SQL and the live fold are generated from. *Base* metrics are aggregates over events (computed by :mod:`liveboard.queries` in
batch and by :mod:`liveboard.live` incrementally); *derived* metrics are SQL expressions over base
metrics, evaluated by the same DuckDB expression on either path.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from liveboard.aggregates import AGGREGATE


@dataclass(frozen=True)
class Metric:
    name: str
    label: str
    unit: str  # currency | count | rate | seconds | datetime | diamonds | viewers
    category: str  # session | sales | traffic | engagement | products
    formula: str
    description: str
    derived: str | None = None  # SQL over base metrics; None for a base aggregate

    @property
    def is_money(self) -> bool:
        return self.unit == "currency"


def _m(*args, **kw) -> Metric:
    return Metric(*args, **kw)


def _agg(name: str, label: str, unit: str, category: str, description: str) -> Metric:
    """A base metric that is a plain aggregate: its formula is the aggregate's own (:mod:`liveboard.aggregates`)."""
    return Metric(name, label, unit, category, AGGREGATE[name].formula, description)


METRICS: tuple[Metric, ...] = (
    _m("start", "Start time", "datetime", "session", "ts of session_start", "When the LIVE began."),
    _m("end", "End time", "datetime", "session", "ts of session_end", "When the LIVE ended; empty while it runs."),
    _m(
        "duration_s",
        "Duration",
        "seconds",
        "session",
        "end − start",
        "Length of the LIVE. While a session has no session_end, its last event stands in for the end.",
    ),
    _agg("gmv", "GMV", "currency", "sales", "Gross merchandise value, refunds included."),
    _agg("direct_gmv", "Direct GMV", "currency", "sales", "GMV of orders placed directly from the LIVE (last click)."),
    _agg("refunded_gmv", "Refunded GMV", "currency", "sales", "Part of GMV refunded."),
    _agg("items_sold", "Items sold", "count", "sales", "Units sold (3 of A + 2 of B = 5)."),
    _agg("sku_orders", "SKU orders", "count", "sales", "Paid order lines."),
    _agg("customers", "Customers", "count", "sales", "Unique paying viewers."),
    _m(
        "avg_price",
        "Average price",
        "currency",
        "sales",
        "gmv / items_sold",
        "Average price per unit sold.",
        derived="round(gmv / NULLIF(items_sold, 0), 2)",
    ),
    _agg("impressions", "LIVE impressions", "count", "traffic", "Times the room was shown."),
    _agg("views", "Views", "count", "traffic", "Entries into the room."),
    _agg("viewers", "Viewers", "count", "traffic", "Unique people who entered."),
    _m(
        "enter_room_rate",
        "Enter-room rate",
        "rate",
        "traffic",
        "views / impressions",
        "Share of impressions that became views.",
        derived="views / NULLIF(impressions, 0)",
    ),
    _m("pcu", "PCU", "viewers", "traffic", "peak of views open at once", "Peak concurrent viewers."),
    _m(
        "acu",
        "ACU",
        "viewers",
        "traffic",
        "Σ view durations / duration_s",
        "Average concurrent viewers.",
        derived="view_seconds / NULLIF(duration_s, 0)",
    ),
    _m(
        "avg_view_duration_s",
        "Avg. viewing duration",
        "seconds",
        "traffic",
        "Σ view durations / views",
        "How long a view lasts on average.",
        derived="view_seconds / NULLIF(views, 0)",
    ),
    _agg("comments", "Comments", "count", "engagement", "Comments posted."),
    _agg("likes", "Likes", "count", "engagement", "Taps on the like button."),
    _agg("shares", "Shares", "count", "engagement", "Times the LIVE was shared."),
    _agg("new_followers", "New followers", "count", "engagement", "Follows gained."),
    _agg("gift_diamonds", "Gift diamonds", "diamonds", "engagement", "Gifts received."),
    _agg("engaged_viewers", "Engaged viewers", "count", "engagement", "People who interacted."),
    _m(
        "engagement_rate",
        "Engagement rate",
        "rate",
        "engagement",
        "engaged_viewers / viewers",
        "Share of viewers who interacted.",
        derived="engaged_viewers / NULLIF(viewers, 0)",
    ),
    _agg("product_impressions", "Product impressions", "count", "products", "Product cards shown."),
    _agg("product_clicks", "Product clicks", "count", "products", "Product cards clicked."),
    _m(
        "live_ctr",
        "CTR",
        "rate",
        "products",
        "product_clicks / views",
        "TikTok's LIVE click-through rate.",
        derived="product_clicks / NULLIF(views, 0)",
    ),
    _m(
        "product_ctr",
        "Product CTR",
        "rate",
        "products",
        "product_clicks / product_impressions",
        "Clicks per product card shown.",
        derived="product_clicks / NULLIF(product_impressions, 0)",
    ),
    _m(
        "ctor",
        "CTOR",
        "rate",
        "products",
        "sku_orders / product_clicks",
        "Click-to-order rate.",
        derived="sku_orders / NULLIF(product_clicks, 0)",
    ),
    _m(
        "watch_gpm",
        "Watch GPM",
        "currency",
        "sales",
        "1000 × gmv / views",
        "GMV per thousand views.",
        derived="round(1000 * gmv / NULLIF(views, 0), 2)",
    ),
    _m(
        "show_gpm",
        "Show GPM",
        "currency",
        "sales",
        "1000 × gmv / impressions",
        "GMV per thousand impressions.",
        derived="round(1000 * gmv / NULLIF(impressions, 0), 2)",
    ),
    _agg("violations", "Violations", "count", "session", "Policy warnings during the LIVE."),
)

REGISTRY: dict[str, Metric] = {m.name: m for m in METRICS}

#: Session metric names in spec order, as the ``sessions`` CSV columns follow them.
SESSION_METRICS: tuple[str, ...] = tuple(m.name for m in METRICS)
MONEY_METRICS: tuple[str, ...] = tuple(m.name for m in METRICS if m.is_money)
DERIVED: dict[str, str] = {m.name: m.derived for m in METRICS if m.derived}

#: Per-product rates, over that product's impressions, clicks and paid orders (spec section 3).
PRODUCT_DERIVED = {"ctr": "clicks / NULLIF(impressions, 0)", "ctor": "sku_orders / NULLIF(clicks, 0)"}
TREND_COLUMNS = (
    "gmv",
    "sku_orders",
    "items_sold",
    "views",
    "impressions",
    "product_impressions",
    "product_clicks",
    "comments",
    "likes",
    "shares",
    "new_followers",
    "gift_diamonds",
    "online",
)

#: Trend columns a source may give per interval (the API per minute, the 5-minute export): the event trend's,
#: plus distinct counts that only a source has per interval.
SOURCE_TREND_COLUMNS = TREND_COLUMNS + ("customers", "viewers")


def derived_select(derived: dict[str, str] = DERIVED) -> str:
    """``expr AS name`` for every derived metric, over columns named after the base metrics."""
    return ",\n ".join(f"{expr} AS {name}" for name, expr in derived.items())


def apply_derived(base: pd.DataFrame, derived: dict[str, str] = DERIVED) -> pd.DataFrame:
    """Add derived metrics to a frame of base metrics with the registry's own SQL (the live path)."""
    keep = [c for c in base.columns if c not in derived]
    con = duckdb.connect()
    con.register("base", base[keep])
    return con.sql(f"SELECT *, {derived_select(derived)} FROM base").df()


def glossary() -> pd.DataFrame:
    """The registry as a table: what each metric means and how it is computed."""
    return pd.DataFrame(
        [
            {
                "metric": m.name,
                "label": m.label,
                "category": m.category,
                "unit": m.unit,
                "formula": m.formula,
                "description": m.description,
            }
            for m in METRICS
        ]
    )


#: The committed glossary page and the command that writes it (tests/test_glossary.py keeps them equal).
GLOSSARY_PATH = "docs/metrics.md"
GLOSSARY_COMMAND = "python tools/make_glossary.py"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def glossary_markdown() -> str:
    """The glossary as the Markdown page committed in ``docs/metrics.md`` (a test keeps the two equal)."""
    lines = [
        "# Session metrics",
        "",
        f"<!-- Generated from liveboard/metrics.py by `{GLOSSARY_COMMAND}`; do not edit by hand. -->",
        "",
        "Every session metric of event-log-v1 section 3 (`docs/event-log-v1.md`), in the order the `sessions`",
        "table lists them. A rate whose denominator is 0 is empty, never 0.",
        "",
        "| metric | label | unit | definition | meaning |",
        "|---|---|---|---|---|",
    ]
    for m in METRICS:
        definition = f"`{m.formula}`" + (f" — SQL `{m.derived}`" if m.derived else "")
        lines.append(f"| `{m.name}` | {_cell(m.label)} | {m.unit} | {_cell(definition)} | {_cell(m.description)} |")
    return "\n".join(lines) + "\n"
