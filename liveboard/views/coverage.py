"""What a session's data covers: its sources, where each figure came from, and what is missing and why.

A session may come from an event log (everything), the TikTokLive recorder (engagement as the recorder saw
it: no orders, no GMV), the TikTok Shop Analytics API (figures, a per-minute trend and products: no comment
text) or a Seller Center export (one row per session: no trend). Every surface — LIVE Analytics, the
session board, the LIVE Board, the report — asks a :class:`Coverage` what it may show, so a missing figure
reads "—" with the reason, never 0, and a section without data says why instead of drawing an empty frame.

The catalog columns ``sources`` (list of source names) and ``figure_sources`` (JSON ``{metric: source}``)
are read when the store has them; older stores have only ``source`` ("events" or "summary").
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from liveboard.metrics import SOURCE_TREND_COLUMNS
from liveboard.views import format as fmt

#: Short names, for a "source: API · export" line.
SOURCE_NAMES = {
    "events": "event log",
    "recorder": "recorder",
    "api": "API",
    "export": "export",
    "summary": "summary import",
}
#: Long names, for sentences.
SOURCE_LONG = {
    "events": "an event log",
    "recorder": "the TikTokLive recorder",
    "api": "the TikTok Shop Analytics API",
    "export": "a Seller Center export",
    "summary": "a summary import",
}
SOURCE_ORDER = ("events", "recorder", "api", "export", "summary")

_SALES = ("gmv", "direct_gmv", "refunded_gmv", "items_sold", "sku_orders", "customers", "avg_price", "watch_gpm")
#: Figures a recorder cannot see, with the reason. Its other figures are "as seen by the recorder".
RECORDER_UNSEEN: dict[str, str] = {m: "a recorder sees no orders or GMV" for m in _SALES}
RECORDER_UNSEEN.update(
    {
        "impressions": "a recorder sees no LIVE impressions",
        "enter_room_rate": "a recorder sees no LIVE impressions",
        "show_gpm": "a recorder sees no orders or GMV",
        "product_impressions": "a recorder sees no product impressions or clicks",
        "product_clicks": "a recorder sees no product impressions or clicks",
        "live_ctr": "a recorder sees no product impressions or clicks",
        "product_ctr": "a recorder sees no product impressions or clicks",
        "ctor": "a recorder sees no orders or product clicks",
        "violations": "a recorder sees no violations",
        "giveaways": "a recorder sees no giveaways",
        "winners": "a recorder sees no giveaways",
        "customers": "a recorder sees no orders or GMV",
    }
)
#: Per-minute columns a recorder cannot see (its events carry no orders, impressions or product clicks).
RECORDER_UNSEEN_TREND: tuple[str, ...] = ("gmv", "sku_orders", "items_sold", "customers", "impressions")
RECORDER_UNSEEN_TREND += ("product_impressions", "product_clicks")
#: Product columns a recorder cannot see (it sees which product was featured, and for how long).
RECORDER_UNSEEN_PRODUCTS = ("impressions", "clicks", "ctr", "sku_orders", "ctor", "items_sold", "gmv", "customers")

#: Which sources can give each part of a session board.
PROVIDES: dict[str, frozenset[str]] = {
    "trend": frozenset({"events", "recorder", "api", "export"}),
    "products": frozenset({"events", "recorder", "api"}),
    "channels": frozenset({"events", "recorder"}),
    "comments": frozenset({"events", "recorder"}),
    "giveaways": frozenset({"events"}),
    "violations": frozenset({"events"}),
    "audience": frozenset({"events"}),
    "markers": frozenset({"events", "recorder"}),
    "events": frozenset({"events", "recorder"}),
}
_WHAT = {
    "trend": "no trend",
    "products": "no per-product figures",
    "channels": "no traffic per channel",
    "comments": "no comment text",
    "giveaways": "no giveaways",
    "violations": "no violations",
    "audience": "no viewer profiles",
    "markers": "no times of product features or giveaways",
    "events": "no event log",
}
#: Why a source lacks a part, in plain words; the default reads "<source> gives <what>".
LACKS: dict[tuple[str, str], str] = {
    ("export", "trend"): "the Seller Center export has one row per session: no trend",
    ("summary", "trend"): "this session has figures only, no events: no trend",
    ("api", "trend"): "the API gave no per-minute figures for this session (it gives them after the LIVE ends, "
    "for official and marketing accounts only)",
    ("api", "products"): "the API gave no product figures for this session",
    ("recorder", "giveaways"): "a recorder sees no giveaways",
    ("recorder", "violations"): "a recorder sees no violations",
    ("recorder", "audience"): "a recorder sees no viewer profiles (gender, age, region)",
    ("api", "comments"): "the API gives no comment text",
    ("api", "markers"): "the API gives no times of product features or giveaways",
    ("export", "comments"): "the Seller Center export gives no comment text",
    ("export", "products"): "the Seller Center export has no per-product rows",
}
#: Figures the API leaves out for affiliate accounts (its interaction block).
API_INTERACTION = frozenset(
    {"acu", "pcu", "viewers", "views", "avg_view_duration_s", "comments", "likes", "shares", "new_followers"}
    | {"product_impressions", "product_clicks", "live_ctr", "product_ctr"}
)


def _names(sources: Iterable[str]) -> list[str]:
    return [SOURCE_LONG.get(s, s) for s in sources]


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def parse_sources(value: Any) -> tuple[str, ...]:
    """A ``sources`` cell (list, array, JSON text or comma-separated text) as a tuple of names."""
    if value is None or isinstance(value, float) and np.isnan(value):
        return ()
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except ValueError:
                value = []
        else:
            value = [p.strip() for p in text.split(",")]
    try:
        items = [str(v) for v in value if v is not None and str(v)]
    except TypeError:
        return ()
    order = {s: i for i, s in enumerate(SOURCE_ORDER)}
    return tuple(sorted(dict.fromkeys(items), key=lambda s: order.get(s, 99)))


def parse_figure_sources(value: object) -> dict[str, str]:
    """A ``figure_sources`` cell (JSON text or a mapping) as ``{metric: source}``; anything else: empty."""
    if isinstance(value, Mapping):
        return {str(k): str(v) for k, v in value.items() if v is not None}
    if isinstance(value, str) and value.strip():
        try:
            data = json.loads(value)
        except ValueError:
            return {}
        return {str(k): str(v) for k, v in data.items() if v is not None} if isinstance(data, dict) else {}
    return {}


def sources_of(row: Mapping | pd.Series) -> tuple[str, ...]:
    """The sources of a catalog row: its ``sources`` column, or (older stores) its ``source``."""
    found = parse_sources(row.get("sources"))
    if found:
        return found
    return ("summary",) if row.get("source") == "summary" else ("events",)


def sources_label(sources: Iterable[str]) -> str:
    """``API · export`` — the short names of some sources."""
    return " · ".join(SOURCE_NAMES.get(s, s) for s in sources)


@dataclass
class Coverage:
    """What one session's data covers (from its catalog row, and the gaps a recorder left)."""

    sources: tuple[str, ...]
    figure_sources: dict[str, str] = field(default_factory=dict)
    has_events: bool = True
    gaps: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["gap_start", "gap_end", "reason"]))

    @classmethod
    def of(cls, row: Mapping | pd.Series, gaps: pd.DataFrame | None = None) -> Coverage:
        sources = sources_of(row)
        n: Any = row.get("event_count")
        has_events = ("events" in sources or "recorder" in sources) and (fmt.is_missing(n) or int(n) > 0)
        if row.get("source") == "summary" or (not fmt.is_missing(n) and int(n) == 0):
            has_events = False
        return cls(sources, parse_figure_sources(row.get("figure_sources")), has_events, normalize_gaps(gaps))

    @classmethod
    def of_session(cls, sd) -> Coverage:
        """The coverage of a :class:`~liveboard.workbench.SessionData` (its gaps read when the store has them)."""
        gaps = None
        reader = getattr(sd, "gaps", None)
        if callable(reader):
            try:
                gaps = reader()
            except Exception:  # noqa: BLE001 - a store without gaps: none known
                gaps = None
        return cls.of(sd.info, gaps)

    # ------------------------------------------------------------------ the session as a whole

    @property
    def recorder_only(self) -> bool:
        """Every event came from the recorder and no other source gives figures."""
        return "recorder" in self.sources and not ({"events", "api", "export"} & set(self.sources))

    @property
    def kind(self) -> str:
        """``events`` (an event log) · ``recorder`` (engagement, no sales) · ``figures`` (no events)."""
        if self.has_events and "events" in self.sources:
            return "events"
        return "recorder" if self.has_events and "recorder" in self.sources else "figures"

    def label(self) -> str:
        return sources_label(self.sources)

    def from_text(self) -> str:
        """``the TikTok Shop Analytics API and a Seller Center export``."""
        return _and(_names(self.sources))

    def notice(self, has_trend: bool = False) -> str:
        """One or two plain sentences on what this session's data is and what it lacks (empty for event logs)."""
        if "events" in self.sources and self.has_events:
            return ""
        parts = []
        if self.has_events and "recorder" in self.sources:
            parts.append(
                "Figures as seen by the recorder (TikTokLive): it follows the public LIVE feed, so it may miss "
                "viewers and comments, and a recorder sees no orders or GMV."
            )
            others = [s for s in self.sources if s not in ("recorder", "events")]
            if others:
                parts.append(f"Sales figures come from {_and(_names(others))}.")
        else:
            what = "figures and a trend" if has_trend else "figures only"
            parts.append(
                f"This session has {what} (no events), from {self.from_text()}: no comments, giveaways, "
                "violations, audience or replay."
            )
            if not has_trend and set(self.sources) & {"export", "api"}:
                parts.append(self.why("trend") + ".")
            if "api" in self.sources:
                parts.append(LACKS[("api", "comments")] + ".")
        return " ".join(p[0].upper() + p[1:] for p in parts if p)

    # ------------------------------------------------------------------ figures

    def source_of(self, metric: str) -> str | None:
        """The source a figure came from (``figure_sources``; else the session's only source)."""
        src = self.figure_sources.get(metric)
        if src:
            return src
        if len(self.sources) == 1:
            return self.sources[0]
        if self.recorder_only:
            return "recorder"
        return None

    def unseen(self, metric: str) -> str | None:
        """Why a figure is not known even though a value may be stored (a recorder's 0 GMV), else None."""
        if metric not in RECORDER_UNSEEN:
            return None
        src = self.figure_sources.get(metric)
        if src == "recorder" or (src is None and self.recorder_only):
            return RECORDER_UNSEEN[metric]
        return None

    def value(self, metric: str, value: object) -> object:
        """The value to show: ``None`` where the figure is not known (missing, or unseen by its source)."""
        return None if self.unseen(metric) or fmt.is_missing(value) else value

    def missing_reason(self, metric: str, value: object) -> str | None:
        """Why a figure shows "—", or None when it is known."""
        reason = self.unseen(metric)
        if reason:
            return reason
        if not fmt.is_missing(value):
            return None
        srcs = [s for s in self.sources if s != "events"]
        if "api" in srcs and metric in API_INTERACTION:
            return "the API gives interaction figures for official and marketing accounts only"
        if not srcs:
            return "not in this session's events"
        if srcs == ["export"]:
            return "not in the Seller Center export"
        return f"not given by {_and(_names(srcs))}"

    def figure_note(self, metric: str, value: object) -> str:
        """The small line under a figure: ``source: API`` / ``as seen by the recorder`` / the missing reason."""
        reason = self.missing_reason(metric, value)
        if reason:
            return reason
        src = self.source_of(metric)
        if src == "recorder":
            return "as seen by the recorder"
        return f"source: {SOURCE_NAMES.get(src, src)}" if src else ""

    def figure_tooltip(self, metric: str, value: object) -> str:
        reason = self.missing_reason(metric, value)
        if reason:
            return f"Not known: {reason}."
        src = self.source_of(metric)
        if not src:
            return f"From {self.from_text()}."
        text = f"From {SOURCE_LONG.get(src, src)}."
        if src == "recorder":
            text += " As seen by the recorder: it may miss viewers and comments."
        return text

    # ------------------------------------------------------------------ parts of a board

    def why(self, part: str) -> str:
        """Why a part (trend, products, channels, comments, giveaways, violations, audience, markers, events)
        has no data from this session's sources."""
        srcs = [s for s in self.sources if not (s == "events" and not self.has_events)] or ["summary"]
        if part == "trend" and {"export", "api"} & set(srcs):
            srcs = [s for s in srcs if s != "summary"]
        reasons = []
        for s in srcs:
            text = LACKS.get((s, part))
            if text is None:
                text = f"{SOURCE_LONG.get(s, s)} gives {_WHAT.get(part, 'no ' + part)}"
            reasons.append(text)
        return "; ".join(dict.fromkeys(reasons))

    def empty_note(self, part: str, empty: bool = True) -> str | None:
        """Why a part has no rows — not known from this session's sources, or the API gave none — or None
        when it has rows or an event source gives it (then it really is empty: "No violations")."""
        if not empty:
            return None
        have = set(self.sources) if self.has_events else set(self.sources) - {"events", "recorder"}
        if have & PROVIDES.get(part, frozenset()) & {"events", "recorder"}:
            return None
        return self.why(part)

    # ------------------------------------------------------------------ tables

    def _from_recorder(self, frame: pd.DataFrame) -> bool:
        """Whether a trend or product frame was computed from a recorder's events (not a source's own rows)."""
        if "source" in frame and len(frame):
            return bool((frame["source"].astype("string") == "recorder").all())
        return self.kind == "recorder"

    def trend_reason(self, column: str, trend: pd.DataFrame) -> str:
        """Why a trend has no ``column``: a recorder cannot see it, or its source does not give it."""
        if self._from_recorder(trend) and column in RECORDER_UNSEEN:
            return RECORDER_UNSEEN[column]
        if trend is None or trend.empty:
            return self.empty_note("trend") or "no figures over time"
        return f"not in the trend from {self.from_text()}"

    def trend(self, trend: pd.DataFrame, start: object = None) -> pd.DataFrame:
        """A trend ready to draw: ``ts`` (UTC), ``minute`` from the start, float columns, ``interval_s``, and
        the columns a recorder cannot see set to missing."""
        unseen = RECORDER_UNSEEN_TREND if trend is not None and self._from_recorder(trend) else ()
        return normalize_trend(trend, start, unseen=unseen)

    def products(self, products: pd.DataFrame) -> pd.DataFrame:
        """Products with every column the tables read (missing ones empty; CTR and CTOR computed where the
        bases are known), and what a recorder cannot see set to missing."""
        unseen = RECORDER_UNSEEN_PRODUCTS if products is not None and self._from_recorder(products) else ()
        return normalize_products(products, unseen=unseen)

    def channels(self, channels: pd.DataFrame) -> pd.DataFrame:
        if self.kind != "recorder" or channels.empty:
            return channels
        out = channels.copy()
        for c in ("gmv", "impressions"):
            if c in out:
                out[c] = np.nan
        return out


# ---------------------------------------------------------------------- frames


TREND_NUMERIC = SOURCE_TREND_COLUMNS


def normalize_trend(trend: pd.DataFrame, start: object = None, unseen: Iterable[str] = ()) -> pd.DataFrame:
    """The event trend and the stored source trends (``t`` or ``ts``, any subset of columns) in one shape."""
    df = trend.copy() if trend is not None else pd.DataFrame()
    if "ts" not in df and "t" in df:
        df = df.rename(columns={"t": "ts"})
    if df.empty or "ts" not in df:
        return pd.DataFrame(columns=["ts", "minute", "interval_s", *TREND_NUMERIC])
    df["ts"] = pd.to_datetime(df["ts"], utc=True)
    df = df.sort_values("ts").reset_index(drop=True)
    origin = pd.Timestamp(start) if not fmt.is_missing(start) else df["ts"].min()
    if origin.tzinfo is None:
        origin = origin.tz_localize("UTC")
    if "minute" not in df:
        df["minute"] = ((df["ts"] - origin).dt.total_seconds() // 60).astype("int64")
    if "interval_s" not in df:
        df["interval_s"] = 60
    for c in TREND_NUMERIC:
        df[c] = pd.to_numeric(df[c], errors="coerce").astype("float64") if c in df else np.nan
    for c in unseen:
        df[c] = np.nan
    return df


def trend_interval(trend: pd.DataFrame) -> int:
    """Seconds per row of a trend (60 for per-minute, 300 for the LIVE Board's 5-minute export)."""
    if "interval_s" in trend and len(trend):
        v = pd.to_numeric(trend["interval_s"], errors="coerce").dropna()
        if len(v):
            return int(v.iloc[0])
    return 60


def per_interval(trend: pd.DataFrame) -> str:
    """``per minute`` or ``per 5 minutes``."""
    s = trend_interval(trend)
    return "per minute" if s == 60 else f"per {s // 60} minutes" if s % 60 == 0 else f"per {s} s"


def known_columns(trend: pd.DataFrame, columns: Iterable[str]) -> list[str]:
    """The columns of ``trend`` that hold at least one value."""
    return [c for c in columns if c in trend and pd.to_numeric(trend[c], errors="coerce").notna().any()]


PRODUCT_COLUMNS: tuple[str, ...] = ("product_id", "name", "price", "impressions", "clicks", "ctr", "sku_orders", "ctor")
PRODUCT_COLUMNS += ("items_sold", "gmv", "customers", "featured_s", "pins")


def normalize_products(products: pd.DataFrame, unseen: Iterable[str] = ()) -> pd.DataFrame:
    df = products.copy() if products is not None else pd.DataFrame()
    for c in PRODUCT_COLUMNS:
        if c not in df:
            df[c] = np.nan if c not in ("product_id", "name") else None
    for c in PRODUCT_COLUMNS[2:]:
        df[c] = pd.to_numeric(df[c], errors="coerce").astype("float64")
    for c in unseen:
        df[c] = np.nan
    clicks, impressions, orders = df["clicks"], df["impressions"], df["sku_orders"]
    df["ctr"] = df["ctr"].fillna(clicks / impressions.where(impressions > 0))
    df["ctor"] = df["ctor"].fillna(orders / clicks.where(clicks > 0))
    return df


def normalize_gaps(gaps: pd.DataFrame | None) -> pd.DataFrame:
    cols = ["gap_start", "gap_end", "reason"]
    if gaps is None or len(gaps) == 0:
        return pd.DataFrame(columns=cols)
    df = gaps.copy()
    for c in cols:
        if c not in df:
            df[c] = None
    df["gap_start"] = pd.to_datetime(df["gap_start"], utc=True)
    df["gap_end"] = pd.to_datetime(df["gap_end"], utc=True)
    return df[cols].sort_values("gap_start").reset_index(drop=True)


def gap_markers(gaps: pd.DataFrame, tz: str | None = None) -> pd.DataFrame:
    """Recorder gaps as time-axis markers (``ts``, ``kind`` = gap, ``label``): one at each gap's start."""
    if gaps is None or gaps.empty:
        return pd.DataFrame(columns=["ts", "kind", "label"])
    return pd.DataFrame(
        {
            "ts": gaps["gap_start"],
            "kind": "gap",
            "label": [gap_text(r, tz) for r in gaps.itertuples()],
        }
    )


def gap_text(gap, tz: str | None = None) -> str:
    """``recorder gap 12:03:10–12:05:40 (2min): reconnecting``."""
    a, b = getattr(gap, "gap_start", None), getattr(gap, "gap_end", None)
    secs = (pd.Timestamp(b) - pd.Timestamp(a)).total_seconds() if not (fmt.is_missing(a) or fmt.is_missing(b)) else None
    reason = getattr(gap, "reason", None)
    text = f"recorder gap {fmt.when(a, tz, '%H:%M:%S')}–{fmt.when(b, tz, '%H:%M:%S')} ({fmt.duration(secs)})"
    return text + (f": {reason}" if not fmt.is_missing(reason) and str(reason) else "")


def mask_unseen(df: pd.DataFrame) -> pd.DataFrame:
    """The sessions catalog with the figures a recorder could not see set to missing (not its stored 0s),
    so that lists, sorting and averages never count them as zero."""
    if df.empty or "sources" not in df:
        return df
    cols = [c for c in ("sources", "source", "figure_sources") if c in df]
    srcs = [sources_of(r) for r in df[cols].to_dict("records")]
    recorded = np.array(["recorder" in s for s in srcs], dtype=bool)
    if not recorded.any():  # the usual store: nothing to mask, nothing copied
        return df
    figs = [
        parse_figure_sources(v) if rec else {}
        for v, rec in zip(df.get("figure_sources", [None] * len(df)), recorded, strict=True)
    ]
    alone = np.array(
        [rec and not ({"events", "api", "export"} & set(s)) for s, rec in zip(srcs, recorded, strict=True)]
    )
    out = df.copy()
    for metric in RECORDER_UNSEEN:
        if metric not in df:
            continue
        mask = np.array(
            [fs.get(metric) == "recorder" or (metric not in fs and a) for fs, a in zip(figs, alone, strict=True)],
            dtype=bool,
        )
        if mask.any():
            out[metric] = pd.to_numeric(out[metric], errors="coerce").astype("float64").mask(mask)
    return out


def late_updates_text(count: Any) -> str:
    """ "3 orders changed after the LIVE …" for a sealed session that took late order updates; "" for none."""
    try:
        n = int(count)
    except (TypeError, ValueError):
        return ""
    if n <= 0:
        return ""
    orders = "1 order" if n == 1 else f"{n:,} orders"
    return (
        f"{orders} changed after the LIVE (a refund or a payment that came later); "
        "GMV and refunded GMV include the change."
    )
