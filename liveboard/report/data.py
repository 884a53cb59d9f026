"""The data of one report, loaded once: the session, its summary, the account's history, and the frames and
figures every section reads (computed on first use and kept), with the report's ways of writing them.

A figure a session's sources cannot see is ``None`` here (:meth:`ReportData.value`), never 0: coverage
(:mod:`liveboard.views.coverage`) decides, so every section says "not known" the same way.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Self

import numpy as np
import pandas as pd

import liveboard
from liveboard import insights
from liveboard.ids import check_session_id
from liveboard.markup import Markup, components
from liveboard.metrics import REGISTRY
from liveboard.report import charts
from liveboard.report.markup import snippets
from liveboard.report.options import COMPARE_METRICS, ReportOptions, check_options
from liveboard.views import format as fmt
from liveboard.views.coverage import Coverage, known_columns, mask_unseen, per_interval
from liveboard.workbench import InputError, SessionData, Workbench


@dataclass
class ReportData:
    """The data of one report, loaded once; the section classes build on it."""

    session: SessionData
    summary: pd.Series
    history: pd.DataFrame  # the account's sessions in the window before this one
    options: ReportOptions = field(default_factory=ReportOptions)

    # ------------------------------------------------------------------ loading

    @classmethod
    def load(
        cls,
        session_id: str,
        store: str | os.PathLike | None = None,
        window_days: int = 28,
        currency_display: str = "symbol",
        timezone: str = "UTC",
        event_window: int = 5,
    ) -> Self:
        if session_id is None or str(session_id).strip() == "":
            raise InputError("session_id: give the id of the session to report on")
        sid = check_session_id(session_id, "session_id")  # the one session-id rule
        options = check_options(window_days, currency_display, timezone, event_window)
        wb = liveboard.open(store)
        session = wb.session(sid)
        summary = session.summary()
        return cls(session, summary, cls._history(wb, session, summary, options.window_days), options)

    @staticmethod
    def _history(wb: Workbench, session: SessionData, summary: pd.Series, window_days: int) -> pd.DataFrame:
        start = summary.get("start")
        account = summary.get("account_id")
        if fmt.is_missing(start):
            return wb.sessions().iloc[0:0]
        start = pd.Timestamp(start)
        since = (start - pd.Timedelta(days=window_days)).to_pydatetime()
        df = wb.sessions(since=since, account=None if fmt.is_missing(account) else str(account))
        if fmt.is_missing(account):
            df = df[df["account_id"].isna()]
        df = mask_unseen(df)  # a recorder's stored 0 GMV is not averaged in
        return df[(df["start"] < start) & (df["session_id"] != session.id)].reset_index(drop=True)

    # ------------------------------------------------------------------ lazily computed frames

    def _cached(self, name: str, make):
        cache = self.__dict__.setdefault("_frames", {})
        if name not in cache:
            cache[name] = make()
        return cache[name]

    @property
    def cov(self) -> Coverage:
        """What this session's data covers: its sources, each figure's origin, the recorder's gaps."""
        return self._cached("coverage", lambda: Coverage.of_session(self.session))

    @property
    def trend(self) -> pd.DataFrame:
        """The per-minute (or per-5-minute) trend, from events or a source; what the source cannot see empty."""
        return self._cached("trend", lambda: self.cov.trend(self.session.trend(), self.summary.get("start")))

    @property
    def trend_cols(self) -> list[str]:
        cols = ("gmv", "online", "views", "viewers", "product_clicks", "sku_orders", "comments", "likes")
        return self._cached("trend_cols", lambda: known_columns(self.trend, cols))

    @property
    def products(self) -> pd.DataFrame:
        return self._cached("products", lambda: self.cov.products(self.session.products()))

    @property
    def channels(self) -> pd.DataFrame:
        return self._cached("channels", lambda: self.cov.channels(self.session.channels()))

    @property
    def giveaways(self) -> pd.DataFrame:
        return self._cached("giveaways", self.session.giveaways)

    @property
    def audience(self) -> pd.DataFrame:
        return self._cached("audience", self.session.audience)

    @property
    def violations(self) -> pd.DataFrame:
        return self._cached("violations", self.session.violations)

    @property
    def markers(self) -> pd.DataFrame:
        return self._cached("markers", self.session.markers)

    @property
    def comments(self) -> pd.DataFrame:
        return self._cached("comments", self.session.comments)

    def not_known(self, part: str, empty: bool = True) -> Markup:
        """A note saying a part is not known and why, or empty Markup when it is known (or really empty)."""
        why = self.cov.empty_note(part, empty)
        return components().not_known(why) if why else Markup()

    def value(self, metric: str) -> object:
        """A figure of the summary, ``None`` where it is not known (missing, or unseen by its source)."""
        return self.cov.value(metric, self.summary.get(metric))

    @property
    def impact(self) -> pd.DataFrame:
        def make() -> pd.DataFrame:
            if not {"gmv", "online"} <= set(self.trend_cols):  # not known: no rows, never a 0 change
                return insights.event_impact(self.trend.iloc[0:0], self.markers, self.options.event_window)
            return insights.event_impact(self.trend, self.markers, self.options.event_window)

        return self._cached("impact", make)

    @property
    def comparison(self) -> pd.DataFrame:
        return self._cached(
            "comparison",
            lambda: insights.compare_to_average(
                self._known_summary(), self.history, list(COMPARE_METRICS), currency=self.currency or None
            ),
        )

    def _known_summary(self) -> pd.Series:
        s = self.summary.copy()
        for m in COMPARE_METRICS:
            if m in s.index:
                s[m] = self.value(m)
        return s

    @property
    def product_tips(self) -> list[insights.Tip]:
        return self._cached("tips", lambda: insights.product_tips(self.products) if not self.products.empty else [])

    # ------------------------------------------------------------------ formatting

    @property
    def currency(self) -> str:
        """The session's currency code; "" when no source gave one (amounts then carry no symbol)."""
        cur = self.summary.get("currency")
        return "" if fmt.is_missing(cur) else str(cur)

    @property
    def title(self) -> str:
        t = self.summary.get("title")
        return self.session.id if fmt.is_missing(t) or not str(t).strip() else str(t)

    def money(self, value: Any) -> str:
        """Money in the session's currency, as a symbol or a code; negatives read ``−RM33.58``."""
        if self.options.currency_display == "code" and self.currency and not fmt.is_missing(value):
            return f"{fmt.money(value, None)} {self.currency}"
        return fmt.money(value, self.currency)

    def metric(self, name: str, value: object) -> str:
        unit = REGISTRY[name].unit if name in REGISTRY else "count"
        if unit == "currency":
            return self.money(value)
        if unit == "datetime":
            return self.when(value)
        return fmt.metric(name, value, self.currency)

    def when(self, value: object, pattern: str = "%Y-%m-%d %H:%M") -> str:
        return fmt.when(value, self.options.timezone, pattern)

    @property
    def start(self) -> pd.Timestamp | None:
        s = self.summary.get("start")
        return None if fmt.is_missing(s) else pd.Timestamp(s)

    def clock(self, minute: float) -> str:
        """Minute of the session as a wall-clock time in the display zone."""
        if self.start is None:
            return f"{minute:g} min"
        return self.when(self.start + pd.Timedelta(minutes=float(minute)), "%H:%M")

    def _minute_of(self, ts: object) -> float:
        if self.start is None or fmt.is_missing(ts):
            return float("nan")
        return (pd.Timestamp(ts) - self.start).total_seconds() / 60.0

    @staticmethod
    def _change(diff: float, pct: float | None = None, text: str | None = None) -> Markup:
        """▲ up, ▼ down or ■ flat with ``text`` (or ``pct`` as ``+12%``); the missing mark when ``diff`` is NaN."""
        if np.isnan(diff):
            return snippets().change(None, "")
        shown = text if text is not None else (f"{pct * 100:+.0f}%" if pct is not None and not np.isnan(pct) else "")
        return snippets().change(1 if diff > 0 else -1 if diff < 0 else 0, shown)

    def _money_short(self, v: float) -> str:
        """Money for chart labels: ``RM1.2k``, ``−RM33.58``."""
        sym = fmt.CURRENCY_SYMBOLS.get(self.currency.upper()) if self.options.currency_display == "symbol" else None
        sign, a = ("−" if v < 0 else ""), abs(float(v))
        text = charts._default_fmt(a) if a >= 1000 else (f"{a:,.2f}".rstrip("0").rstrip(".") if a % 1 else f"{a:,.0f}")
        return f"{sign}{sym}{text}" if sym else f"{sign}{text} {self.currency}".rstrip()

    # ------------------------------------------------------------------ GMV drops (read by takeaways and trends)

    def gmv_drops(self) -> list[tuple[int, int, insights.Tip]]:
        """Periods (first minute, last minute, first tip) when GMV fell while traffic held: the live board's own
        rule (:func:`insights.live_alerts`, ``gmv_drop``) replayed minute by minute over the whole session."""
        return self._cached("drops", self._find_gmv_drops)

    def _find_gmv_drops(self) -> list[tuple[int, int, insights.Tip]]:
        tr, w = self.trend, self.options.event_window
        if len(tr) < 2 * w + 1 or not {"gmv", "views"} <= set(self.trend_cols) or per_interval(tr) != "per minute":
            return []
        no_giveaways, no_products = self.giveaways.iloc[0:0], self.products.iloc[0:0]
        hits: list[tuple[int, insights.Tip]] = []
        for end in range(2 * w + 1, len(tr) + 1):
            tips = insights.live_alerts(tr.iloc[:end], no_giveaways, no_products, w, self.currency)
            hits += [(int(tr["minute"].iloc[end - 2]), t) for t in tips if t.kind == "gmv_drop"]
        periods: list[tuple[int, int, insights.Tip]] = []
        for minute, tip in hits:
            if periods and minute - periods[-1][1] <= w:  # overlapping windows: one period
                periods[-1] = (periods[-1][0], minute, periods[-1][2])
            else:
                periods.append((minute, minute, tip))
        return periods
