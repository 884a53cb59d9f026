"""The Data overview and LIVE events tabs of LIVE Analytics (:class:`~liveboard.views.analytics.LiveAnalytics`
mixes them in): averages, charts and each session against its account's average; sessions grouped by event.

Both work on the page's cached, filtered catalog (``self._ranged``, ``self._current``) and format only what
they show. Money is averaged, charted and summed per currency, never across currencies.
"""

from __future__ import annotations

import ipywidgets as W
import numpy as np
import pandas as pd

from liveboard import markup
from liveboard.metrics import REGISTRY
from liveboard.views import format as fmt
from liveboard.views.charts import TimeChart
from liveboard.views.coverage import RECORDER_UNSEEN, SOURCE_LONG
from liveboard.views.widgets import Column, cards, html, html_table, macros, versus

PAGE_SIZE = 50
EXTRA_LABELS = {"featured_products": "Featured products", "giveaways": "Giveaways", "winners": "Winners"}
OVERVIEW_METRICS = ("gmv", "items_sold", "views", "viewers", "pcu", "live_ctr", "ctor", "engagement_rate")
MAX_EVENTS_SHOWN = 100


def _label(col: str) -> str:
    """A column's label: the metric registry's (:func:`liveboard.markup.label`), else the catalog's own."""
    return markup.label(col) if col in REGISTRY else EXTRA_LABELS.get(col, col)


class OverviewTabs:
    """The overview and events tabs; the widgets they fill are built by the page's class."""

    # what the page's class provides (declared for the type checker; LiveAnalytics sets them)
    tz: str | None
    df: pd.DataFrame
    _current: pd.DataFrame
    _ranged: pd.DataFrame
    ov_metric: W.Dropdown
    ov_cards: W.HTML
    ov_currency_note: W.HTML
    ov_chart: TimeChart | None
    ov_charts: list[TimeChart]
    ov_chart_box: W.VBox
    ov_table: W.HTML
    events_html: W.HTML
    ev_pick: W.Dropdown

    # ------------------------------------------------------------------ overview

    def refresh_overview(self) -> None:
        """Averages, a chart and each session against its own account's average — money per currency only."""
        df = self._ranged
        metric = self.ov_metric.value if self.ov_metric.value in self.df.columns else "gmv"
        cur_col = df["currency"].astype("string").fillna("") if len(df) else pd.Series(dtype="string")
        currencies = sorted(cur_col.unique()) if len(df) else []
        several = len(currencies) > 1
        items: list[tuple] = [("Sessions", fmt.count(len(df)), "in this range")]
        for m in OVERVIEW_METRICS:
            values = pd.to_numeric(df[m], errors="coerce").astype("float64") if len(df) else pd.Series(dtype=float)
            groups = [(c, values[(cur_col == c).to_numpy()]) for c in currencies] if REGISTRY[m].is_money else []
            if not (REGISTRY[m].is_money and several):
                groups = [(currencies[0] if currencies else "", values)]
            for cur, vals in groups:
                label = f"Avg. {markup.label(m)}" + (f" · {fmt.currency_name(cur)}" if len(groups) > 1 else "")
                have = int(vals.notna().sum())
                if have == 0:
                    sub = "no session in the range has it" if len(vals) else "in this range"
                elif len(groups) > 1:
                    sub = f"per session · {have:,} session{'s' if have != 1 else ''} in {fmt.currency_name(cur)}"
                else:
                    sub = "per session" + (f" · {have:,} of {len(vals):,} sessions have it" if have < len(vals) else "")
                items.append((label, fmt.metric(m, vals.mean() if have else np.nan, cur), sub))
        self.ov_cards.value = cards(items)
        names = ", ".join(fmt.currency_name(c) for c in currencies)
        self.ov_currency_note.value = (
            macros("analytics/page.html.j2").info(
                f"These sessions are in {len(currencies)} currencies ({names}): money is averaged and charted per "
                "currency, never across currencies. Choose an account to see one shop.",
                "lb-currency-note",
            )
            if several
            else ""
        )
        self._overview_charts(df, metric, cur_col, currencies if REGISTRY[metric].is_money and several else [None])
        self._overview_table(df, metric)

    def _overview_charts(self, df: pd.DataFrame, metric: str, cur_col: pd.Series, groups: list) -> None:
        """One chart of the metric per session; for money in several currencies, one chart per currency."""
        label = _label(metric)
        values = pd.to_numeric(df[metric], errors="coerce").astype("float64") if len(df) else pd.Series(dtype=float)
        while len(self.ov_charts) < len(groups):
            self.ov_charts.append(TimeChart("", height="240px", css_class="lb-overview-chart", marker="circle"))
        self.ov_chart = self.ov_charts[0]
        shown, notes = [], []
        for chart, cur in zip(self.ov_charts, groups, strict=False):
            part = df if cur is None else df[(cur_col == cur).to_numpy()]
            part = part[values.loc[part.index].notna().to_numpy()].sort_values("start") if len(part) else part
            if part.empty:
                notes.append(f"No session in this range has {label.lower()}" + (f" in {cur}" if cur else "") + ".")
                continue
            chart.figure.title = f"{label} per session" + (f" · {fmt.currency_name(cur)}" if cur is not None else "")
            chart.update(part["start"], {metric: part[metric]}, labels={metric: label})
            shown.append(chart.figure)
        if not shown and len(df):
            why = self._missing_why(df, metric)
            notes = [f"No chart: no session in this range has {label.lower()}" + (f" ({why})" if why else "") + "."]
        note = html(markup.components().note(" ".join(notes), "lb-overview-chart-note")) if notes else None
        self.ov_chart_box.children = shown + ([note] if note else [])

    def _missing_why(self, df: pd.DataFrame, metric: str) -> str:
        """Why the sessions of ``df`` lack a figure, from their sources (e.g. "a recorder sees no orders or GMV")."""
        srcs = {s for v in df["_sources"] for s in v}
        if srcs <= {"recorder"} and metric in RECORDER_UNSEEN:
            return RECORDER_UNSEEN[metric]
        names = [SOURCE_LONG.get(s, s) for s in sorted(srcs - {"events"})]
        return f"not given by {' or '.join(names)}" if names else ""

    def _overview_table(self, df: pd.DataFrame, metric: str) -> None:
        money = REGISTRY[metric].is_money
        keys = ["account_id", "currency"] if money else ["account_id"]
        values = pd.to_numeric(df[metric], errors="coerce").astype("float64") if len(df) else pd.Series(dtype=float)
        if len(df):
            frame = df[keys].astype("string").fillna("").assign(_v=values)
            avg = frame.groupby(keys, sort=False)["_v"].transform("mean")
        else:
            avg = pd.Series(dtype=float)
        rows = []
        for idx, s in df.head(PAGE_SIZE).iterrows():  # df is newest first
            value, average = values.loc[idx], avg.loc[idx]
            diff = (value - average) / average if not (np.isnan(value) or np.isnan(average)) and average else np.nan
            cur = s.get("currency")
            rows.append(
                {
                    "title": s["title"],
                    "account_id": s.get("account_id"),
                    "start": s["start"],
                    "value": fmt.metric(metric, value, cur),
                    "average": fmt.metric(metric, average, cur),
                    "vs": versus(diff),
                }
            )
        cols = [
            Column("title", "LIVE"),
            Column("account_id", "Account"),
            Column("start", "Start time", lambda v: fmt.when(v, self.tz)),
            Column("value", _label(metric), numeric=True),
            Column("average", "Account average", numeric=True),
            Column("vs", "Against the account's average", lambda v: v, raw_html=True),
        ]
        note = (
            f"The {min(len(df), PAGE_SIZE)} most recent of {len(df):,} sessions in the range, each against the "
            "average of its own account's sessions in the range" + (" in the same currency." if money else ".")
        )
        self.ov_table.value = markup.components().note(note) + html_table(
            rows, cols, "lb-overview-data", empty="No sessions in this range."
        )

    # ------------------------------------------------------------------ events

    def refresh_events(self) -> None:
        df = self._current
        if df.empty:
            self.events_html.value = html_table([], [Column("title", "LIVE")], "lb-events", empty="No LIVE events.")
            self.ev_pick.options = []
            return
        order = df.groupby("_event", sort=False)["start"].max().sort_values(ascending=False)
        shown = order.index[:MAX_EVENTS_SHOWN]
        need = [
            "_event",
            "session_id",
            "title",
            "live_event_id",
            "currency",
            "start",
            "duration_s",
            "gmv",
            "featured_products",
            "giveaways",
            "winners",
        ]
        sub = df.loc[df["_event"].isin(shown), need].sort_values("start")  # only the events shown are formatted
        grouped: dict[str, list[dict]] = {}
        for rec in sub.to_dict("records"):
            grouped.setdefault(rec["_event"], []).append(rec)
        recs, classes, opts = [], [], []
        for ev in shown:
            rows = grouped[ev]
            cur = rows[0]["currency"]
            multi = len(rows) > 1 or not fmt.is_missing(rows[0]["live_event_id"])
            if multi:
                part = pd.DataFrame(rows)
                one_currency = part["currency"].astype("string").fillna("").nunique() == 1
                recs.append(
                    {
                        "title": f"LIVE event {ev} · {len(part)} sessions",
                        "start": part["start"].min(),
                        "duration_s": part["duration_s"].sum(min_count=1),
                        # money is never summed across currencies
                        "gmv": fmt.money(part["gmv"].sum(min_count=1), cur) if one_currency else fmt.MISSING,
                        "featured_products": part["featured_products"].sum(min_count=1),
                        "giveaways": part["giveaways"].sum(min_count=1),
                        "winners": part["winners"].sum(min_count=1),
                        "session_id": "",
                    }
                )
                classes.append("lb-event-row")
            for s in rows:
                recs.append(
                    {
                        "title": s["title"],
                        "start": s["start"],
                        "duration_s": s["duration_s"],
                        "gmv": fmt.money(s["gmv"], s["currency"]),
                        "featured_products": s["featured_products"],
                        "giveaways": s["giveaways"],
                        "winners": s["winners"],
                        "session_id": s["session_id"],
                    }
                )
                classes.append("lb-nested lb-session-row" if multi else "lb-session-row")
                opts.append((f"{str(s['title'])[:80]} — {fmt.when(s['start'], self.tz)}", str(s["session_id"])))
        cols = [
            Column("title", "LIVE event / session"),
            Column("session_id", "Session id"),
            Column("start", "Start time", lambda v: fmt.when(v, self.tz)),
            Column("duration_s", "Duration", fmt.duration, True),
            Column("gmv", "GMV", numeric=True),
            Column("featured_products", "Featured products", fmt.count, True),
            Column("giveaways", "Giveaways", fmt.count, True),
            Column("winners", "Winners", fmt.count, True),
        ]
        note = f"{len(order):,} LIVE event{'s' if len(order) != 1 else ''}" + (
            f" (the {MAX_EVENTS_SHOWN} most recent shown)" if len(order) > MAX_EVENTS_SHOWN else ""
        )
        self.events_html.value = markup.components().note(note) + html_table(
            recs, cols, "lb-events", row_classes=classes
        )
        self.ev_pick.options = opts
        self.ev_pick.value = opts[0][1] if opts else None
