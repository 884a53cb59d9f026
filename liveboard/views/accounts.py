"""The Accounts tab of LIVE Analytics: one row per account over the page's time range, and a chart of the
top accounts over time — what an agency following many creators opens first.

The figures are :meth:`liveboard.workbench.Workbench.accounts` (one SQL query in :mod:`liveboard.queries`,
re-run only when the time range or the store changes); search, sort and paging work on that frame in
memory. Each row's account name is a button: a click opens that account's sessions in the LIVE list (the
page's own account selector is set), in the page, without a reload and without custom JavaScript. The
chart is a :mod:`bqplot` figure fed through :func:`liveboard.views.charts.plot_values`.

Money is never added or compared across currencies: an account with sessions in two currencies has a row
per currency, sorting by a money column sorts within each currency, and the chart of a money figure shows
the accounts of one currency. A figure only some sessions have says "N of M sessions"; none: "—".
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

import bqplot as bq
import ipywidgets as W
import numpy as np
import pandas as pd

from liveboard import markup
from liveboard.views import format as fmt
from liveboard.views.charts import LINE_COLORS, plot_values, thin
from liveboard.views.session_list import SortHeader, sort_by_header
from liveboard.views.widgets import Column, Debouncer, error_html, html, macros, style
from liveboard.workbench import ACCOUNT_COLUMNS, MAX_SERIES_ACCOUNTS, InputError, Workbench

log = logging.getLogger(__name__)

PAGE_SIZE = 25
MAX_SEARCH = 200
#: Table columns after the account: key, label, kind (how the value reads).
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("currency", "Currency", "currency"),
    ("sessions", "Sessions", "count"),
    ("hours_live", "Hours live", "hours"),
    ("gmv", markup.label("gmv"), "money"),
    ("gmv_per_hour", "GMV per hour", "money"),
    ("items_sold", markup.label("items_sold"), "count"),
    ("viewers", markup.label("viewers"), "count"),
    ("live_ctr", markup.label("live_ctr"), "rate"),
    ("ctor", markup.label("ctor"), "rate"),
    ("last_live", "Last LIVE", "datetime"),
)
LABELS = {key: label for key, label, _kind in COLUMNS} | {"account_id": "Account"}
MONEY = frozenset(k for k, _l, kind in COLUMNS if kind == "money")
SORTS = (
    ("GMV", "gmv"),
    ("Account", "account_id"),
    ("Sessions", "sessions"),
    ("Hours live", "hours_live"),
    ("GMV per hour", "gmv_per_hour"),
    ("Items sold", "items_sold"),
    ("Viewers", "viewers"),
    ("CTR", "live_ctr"),
    ("CTOR", "ctor"),
    ("Last LIVE", "last_live"),
    ("GMV change", "gmv_change"),
    ("Sessions change", "sessions_change"),
)
SORT_KEYS = frozenset(k for _l, k in SORTS)
CHART_METRICS = (
    ("GMV", "gmv"),
    ("Sessions", "sessions"),
    ("Hours live", "hours_live"),
    ("Items sold", "items_sold"),
    ("Viewers", "viewers"),
)
CHART_KEYS = frozenset(k for _l, k in CHART_METRICS)
TOP_CHOICES = (3, 5, 10)
EVERY = (("Auto", "auto"), ("Per day", "day"), ("Per week", "week"))
#: "Auto" charts per week when the range is longer than this many days.
AUTO_WEEK_DAYS = 62
COLORS = LINE_COLORS + ["#118ab2", "#9b5de5", "#ef476f", "#073b4c"]
#: Column widths in pixels (the header Buttons and the rows' cells share them: .lb-acc-c in the stylesheet).
NAME_PX, WIDTH_PX = 230, {"currency": 70, "datetime": 128}
KINDS = {key: kind for key, _label, kind in COLUMNS}


def width_of(key: str) -> int:
    """A column's width in pixels: the account name's, else by the kind of figure."""
    return NAME_PX if key == "account_id" else WIDTH_PX.get(KINDS.get(key, ""), 98)


#: The HTML of the tab (its cells, notes and headings).
TEMPLATE = "analytics/page.html.j2"


def _lower(label: str) -> str:
    """A label inside a sentence: ``items sold``, but ``GMV`` stays ``GMV``."""
    return label if label.isupper() else label.lower()


def change(value: Any, note: str) -> dict:
    """``▲ 12.0%`` / ``▼ 8.1%`` against the previous range, ``— vs before`` when not known: a cell's small line
    (text, css class, tooltip) for the ``account_cells`` template."""
    if fmt.is_missing(value):
        return {"text": f"{fmt.MISSING} vs before", "css": "", "title": note}
    v = float(value)
    if abs(v) < 0.0005:
        return {"text": "= before", "css": "", "title": note}
    cls, arrow = ("lb-up", "▲") if v > 0 else ("lb-down", "▼")
    return {"text": f"{arrow} {abs(v) * 100:.1f}%", "css": cls, "title": note}


def figure_text(key: str, kind: str, value: Any, currency: object, tz: str | None) -> str:
    """A figure as plain text: money in the row's currency, rates as %, hours with one decimal."""
    if kind == "money":
        return fmt.money(value, currency)
    if kind == "rate":
        return fmt.rate(value)
    if kind == "hours":
        return fmt.MISSING if fmt.is_missing(value) else f"{float(value):,.1f} h"
    if kind == "datetime":
        return fmt.when(value, tz)
    if kind == "currency":
        return fmt.MISSING if fmt.is_missing(value) or not str(value).strip() else str(value)
    return fmt.count(value)


def _frame(df: pd.DataFrame) -> pd.DataFrame:
    """Workbench.accounts as this tab uses it: numbers as floats (missing: NaN), names as filled strings."""
    out = df.copy()
    for col in out.columns:
        if col in ("account_id", "currency"):
            out[col] = out[col].astype("string")
        elif col not in ("first_live", "last_live"):
            out[col] = pd.to_numeric(out[col], errors="coerce").astype("float64")
    for col in ("first_live", "last_live"):
        if col in out and len(out) and not isinstance(out[col].dtype, pd.DatetimeTZDtype):
            out[col] = pd.to_datetime(out[col], utc=True)
    out["_search"] = out["account_id"].fillna("").str.lower()
    out["_name_order"] = out["_search"].where(out["account_id"].notna(), "\uffff")  # no account: last
    out["_cur"] = out["currency"].fillna("")
    out["_cur_order"] = out["_cur"].where(out["_cur"] != "", "\uffff")  # an unknown currency sorts last
    return out.reset_index(drop=True)


class AccountsChart:
    """The top accounts' figure over time: one line per account, all on one shared scale, so they compare.

    One :class:`bqplot.Lines` per account (made once, hidden when unused): a single 2-D mark would be
    squeezed by bqplot when the range has one period.
    """

    def __init__(self, height: str = "280px", css_class: str = "lb-accounts-chart"):
        self.x_scale = bq.DateScale()
        self.y_scale = bq.LinearScale(min=0.0)
        self.lines: list[bq.Lines] = []
        self.y_axis = bq.Axis(scale=self.y_scale, side="left", tick_format=".3~s", grid_lines="solid")
        self.figure = bq.Figure(
            title="",
            marks=[],
            axes=[bq.Axis(scale=self.x_scale, grid_lines="none"), self.y_axis],
            layout={"width": "100%", "height": height},
            fig_margin={"top": 30, "bottom": 30, "left": 70, "right": 20},
            legend_location="top-left",
            animation_duration=0,
        )
        self.figure.add_class(css_class)

    @property
    def labels(self) -> list[str]:
        """The accounts drawn, in order."""
        return [line.labels[0] for line in self.lines if line.visible]

    @property
    def values(self) -> list[np.ndarray]:
        return [np.asarray(line.y, dtype="float64") for line in self.lines if line.visible]

    def update(self, x: object, series: Mapping[str, object], ylabel: str, title: str = "") -> None:
        """Redraw: ``series`` is account label → values over ``x`` (every series as long as ``x``)."""
        xs = plot_values(x)
        idx = thin(len(xs))
        while len(self.lines) < len(series):
            i = len(self.lines)
            self.lines.append(
                bq.Lines(
                    x=np.zeros(0, dtype="datetime64[ms]"),
                    y=np.zeros(0),
                    scales={"x": self.x_scale, "y": self.y_scale},
                    colors=[COLORS[i % len(COLORS)]],
                    display_legend=True,
                    stroke_width=2,
                    marker="circle",
                    marker_size=24,
                )
            )
        values = [plot_values(v)[idx] for v in series.values()]
        unknown = [bool(np.isnan(ys).any()) for ys in values]
        # A marker per period, unless some values are unknown: bqplot cannot place a marker at NaN. Its front
        # end moves the markers it has when y changes, so they go in a message of their own before values
        # with NaN arrive, and come back after values without NaN (else: "attribute transform ... NaN)").
        for line, has_nan in zip(self.lines, unknown, strict=False):  # lines beyond: hidden
            if has_nan and line.marker is not None:
                line.marker = None
        with self.figure.hold_sync():
            for i, line in enumerate(self.lines):
                with line.hold_sync():
                    if i < len(series):
                        line.x, line.y = xs[idx], values[i]
                        line.labels = [str(list(series)[i])]
                        line.visible = True
                    else:
                        line.visible = False
            if list(self.figure.marks) != self.lines:
                self.figure.marks = list(self.lines)
            if self.y_axis.label != ylabel:
                self.y_axis.label = ylabel
            self.figure.title = title
        for line, has_nan in zip(self.lines, unknown, strict=False):  # lines beyond: hidden
            if not has_nan and line.marker is None:
                line.marker = "circle"


class _Row:
    """One account row: its name as a button (a click opens its sessions) and its figures as escaped HTML."""

    def __init__(self, on_click: Callable[[int], None], i: int):
        self.button = W.Button(layout=W.Layout(width=f"{NAME_PX}px", min_width=f"{NAME_PX}px"))
        self.button.add_class("lb-account-name")
        self.button.on_click(lambda _b: on_click(i))
        self.cells = html("")
        self.box = W.HBox([self.button, self.cells], layout=W.Layout(display="none"))
        self.box.add_class("lb-account-row")


class AccountsTab:
    """One row per account over the range that ``bounds()`` gives, sortable, searchable, paged; a chart."""

    def __init__(
        self,
        wb: Workbench,
        *,
        bounds: Callable[[], tuple[pd.Timestamp | None, pd.Timestamp | None]],
        now: Callable[[], pd.Timestamp],
        on_open: Callable[[str], object],
        range_box: W.Widget | None = None,
        tz: str | None = None,
        page_size: int = PAGE_SIZE,
        search_delay: float = 0.25,
    ):
        self.wb = wb
        self.bounds = bounds
        self.now = now
        self.on_open = on_open
        self.tz = tz
        self.page_size = max(1, min(int(page_size), 100))
        self.page = 0
        self.df = _frame(pd.DataFrame(columns=list(ACCOUNT_COLUMNS)))
        self._key: tuple | None = None
        self._previous: tuple | None = None
        self._shown: pd.DataFrame = self.df
        self._page_accounts: list[str | None] = []
        self._quiet = False  # while refresh() sets the currency choices: no second table and chart refresh
        self._sorting = False  # a header click sets sort and order, then refreshes once
        self.last_query_ms = 0.0
        self.last_refresh_ms = 0.0
        # ---------------------------------------------------------------- controls
        self.search = W.Text(placeholder="Search account", description="Search", continuous_update=True)
        self.search.add_class("lb-account-search")
        self.currency = W.Dropdown(options=[("All currencies", "")], value="", description="Currency")
        self.currency.add_class("lb-account-currency")
        self.currency.layout.display = "none"
        self.sort = W.Dropdown(options=list(SORTS), value="gmv", description="Sort by")
        self.sort.add_class("lb-account-sort")
        self.order = W.ToggleButtons(options=[("↓ Descending", "desc"), ("↑ Ascending", "asc")], value="desc")
        self.order.style.button_width = "120px"
        self.order.add_class("lb-account-order")
        self.prev = W.Button(description="‹ Previous", layout=W.Layout(width="110px"))
        self.next = W.Button(description="Next ›", layout=W.Layout(width="110px"))
        self.page_label = html("", "lb-accounts-page")
        self.note = html("", "lb-accounts-note")
        self.message = html("", "lb-accounts-message")
        # the header: a click on a column sorts by it, a second click reverses (as the LIVE list's header)
        self.head = SortHeader(
            self._header_clicked,
            css_class="lb-accounts-head",
            table_css="lb-accounts",
            width=width_of,
            unsortable=frozenset(),
        )
        self.rows = [_Row(self._open_row, i) for i in range(self.page_size)]
        self.empty = html("", "lb-accounts-empty")
        self.table = W.VBox([self.head.widget, *(r.box for r in self.rows), self.empty])
        self.table.add_class("lb-accounts-table")
        # chart
        self.chart_metric = W.Dropdown(options=list(CHART_METRICS), value="gmv", description="Chart")
        self.chart_metric.add_class("lb-accounts-chart-metric")
        self.chart_top = W.Dropdown(options=[(f"Top {n}", n) for n in TOP_CHOICES], value=5, description="Accounts")
        self.chart_top.add_class("lb-accounts-chart-top")
        self.chart_every = W.ToggleButtons(options=list(EVERY), value="auto")
        self.chart_every.style.button_width = "90px"
        self.chart_every.add_class("lb-accounts-chart-every")
        self.chart = AccountsChart()
        self.chart_note = html("", "lb-accounts-chart-note")
        self.chart_box = W.VBox([self.chart.figure])
        # ---------------------------------------------------------------- wiring
        self._search_debounce = Debouncer(self._search_changed, search_delay)
        self.search.observe(lambda _c: self._search_debounce.trigger(), "value")
        self.currency.observe(lambda _c: self._filter_changed(), "value")
        for w in (self.sort, self.order):
            w.observe(lambda _c: None if self._sorting else self.refresh_table(), "value")
        self.prev.on_click(lambda _b: self._turn(-1))
        self.next.on_click(lambda _b: self._turn(1))
        for w in (self.chart_metric, self.chart_top, self.chart_every):
            w.observe(lambda _c: self.refresh_chart(), "value")
        parts = [
            style(),  # the one stylesheet: the table reads the same on its own in JupyterLab
            html(
                macros(TEMPLATE).heading(
                    "Accounts",
                    "Each account over the time range, against the range of the same length before it. Click a "
                    "column header to sort, an account to open its sessions.",
                )
            ),
        ]
        if range_box is not None:
            parts.append(range_box)
        parts += [
            W.HBox([self.search, self.currency]),
            W.HBox([self.sort, self.order]),
            self.message,
            self.note,
            self.table,
            W.HBox([self.prev, self.page_label, self.next]),
            html(macros(TEMPLATE).heading("Top accounts over time")),
            W.HBox([self.chart_metric, self.chart_top, self.chart_every]),
            self.chart_note,
            self.chart_box,
        ]
        self.widget = W.VBox(parts)
        self.widget.add_class("lb-accounts")

    # ------------------------------------------------------------------ data

    def refresh(self, force: bool = False) -> None:
        """Query the accounts of the current range (only when the range, "now" or the store changed)."""
        lo, hi = self.bounds()
        now = self.now()
        version = self.wb.store.snapshot().version
        key = (lo, hi, now if lo is not None and hi is None else None, version)
        if not force and key == self._key:
            return
        self._key = key
        self.message.value = ""
        t0 = time.perf_counter()
        try:
            df = self.wb.accounts(since=lo, until=hi, now=now)
        except InputError as exc:
            df = pd.DataFrame(columns=list(ACCOUNT_COLUMNS))
            self.message.value = error_html(str(exc))
        except Exception as exc:  # noqa: BLE001 - a page shows a message, never a traceback
            log.exception("reading the accounts failed")
            df = pd.DataFrame(columns=list(ACCOUNT_COLUMNS))
            self.message.value = error_html(f"The accounts could not be read ({type(exc).__name__}).")
        self.last_query_ms = (time.perf_counter() - t0) * 1000
        self.df = _frame(df)
        self._previous = self._previous_range(lo, hi, now)
        currencies = sorted(c for c in self.df["_cur"].unique() if c)
        keep = self.currency.value if self.currency.value in currencies else ""
        self._quiet = True
        try:
            with self.currency.hold_trait_notifications():
                self.currency.options = [("All currencies", "")] + [(fmt.currency_name(c), c) for c in currencies]
                self.currency.value = keep
        finally:
            self._quiet = False
        self.currency.layout.display = "" if len(currencies) > 1 else "none"
        self.page = 0
        self._apply_filters()
        self.refresh_table()
        self.refresh_chart()

    @staticmethod
    def _previous_range(lo, hi, now) -> tuple[pd.Timestamp, pd.Timestamp] | None:
        if lo is None:
            return None
        end = hi if hi is not None else now
        if end <= lo:
            return None
        return lo - (end - lo), lo

    def _search_changed(self) -> None:
        self.page = 0
        self._apply_filters()
        self.refresh_table()

    def _filter_changed(self) -> None:
        if self._quiet:
            return
        self.page = 0
        self._apply_filters()
        self.refresh_table()
        self.refresh_chart()

    def _apply_filters(self) -> None:
        df = self.df
        mask = np.ones(len(df), dtype=bool)
        q = str(self.search.value or "").strip().lower()[:MAX_SEARCH]
        if q:
            mask &= df["_search"].str.contains(q, regex=False).to_numpy(dtype=bool, na_value=False)
        cur = self._currency()
        if cur:
            mask &= (df["_cur"] == cur).to_numpy(dtype=bool, na_value=False)
        self._shown = df[mask]

    def _currency(self) -> str:
        """The chosen currency, if it is one of the range's (a client can send any value)."""
        value = self.currency.value
        return value if isinstance(value, str) and value and value in set(self.df["_cur"]) else ""

    def sorted_rows(self) -> pd.DataFrame:
        """The filtered accounts in the chosen order; money sorts within each currency, never across."""
        df = self._shown
        key = self.sort.value if self.sort.value in SORT_KEYS else "gmv"
        asc = self.order.value == "asc"
        if key == "account_id":
            return df.sort_values("_name_order", ascending=asc, kind="stable")
        if key in MONEY and df["_cur"].nunique() > 1:
            return df.sort_values(["_cur_order", key], ascending=[True, asc], na_position="last", kind="stable")
        return df.sort_values(key, ascending=asc, na_position="last", kind="stable")

    # ------------------------------------------------------------------ table

    def _turn(self, step: int) -> None:
        pages = max(1, -(-len(self._shown) // self.page_size))
        self.page = min(max(0, self.page + step), pages - 1)
        self.refresh_table()

    def _change_note(self) -> str:
        if self._previous is None:
            return ""
        a, b = self._previous
        return f"against {fmt.when(a, self.tz)} – {fmt.when(b, self.tz)}"

    def _cells(self, rec: dict) -> markup.Markup:
        note = self._change_note()
        n: Any = rec.get("sessions")
        # no session in the range before: nothing to compare with (said once, on the sessions)
        new = self._previous is not None and not fmt.is_missing(rec.get("sessions_prev")) and not rec["sessions_prev"]
        cells = []
        for key, _label, kind in COLUMNS:
            extras = []
            have: Any = rec.get(f"{key}_sessions")
            if not fmt.is_missing(have) and not fmt.is_missing(n) and have < n:
                text = f"{int(have):,} of {int(n):,} sessions" if have else "no session has it"
                extras.append({"text": text, "css": "", "title": ""})
            if new and key == "sessions":
                extras.append({"text": "none before", "css": "", "title": note})
            elif self._previous is not None and not new and f"{key}_change" in rec:
                extras.append(change(rec.get(f"{key}_change"), note))
            text = figure_text(key, kind, rec.get(key), rec.get("currency"), self.tz)
            cells.append({"kind": kind, "text": text, "extras": extras})
        return macros(TEMPLATE).account_cells(cells)

    def _header_clicked(self, key: object) -> None:
        """A header click: sort by that column (names A→Z first, figures highest first), or reverse the order
        when it is the sorted one already; the sort controls follow."""
        self._sorting = True
        try:
            done = sort_by_header(self.sort, self.order, key, ("account_id",))
        finally:
            self._sorting = False
        if done:
            self.refresh_table()

    def _draw_head(self) -> None:
        columns = [Column("account_id", "Account")] + [
            Column(k, label, numeric=kind != "currency") for k, label, kind in COLUMNS
        ]
        key = self.sort.value if self.sort.value in SORT_KEYS else "gmv"
        self.head.draw(columns, key, self.order.value == "asc")

    def refresh_table(self) -> None:
        """Show the visible page of the filtered, sorted accounts (only that page is formatted)."""
        t0 = time.perf_counter()
        df = self.sorted_rows()
        n = len(df)
        pages = max(1, -(-n // self.page_size))
        self.page = min(self.page, pages - 1)
        page = df.iloc[self.page * self.page_size : (self.page + 1) * self.page_size]
        self._draw_head()
        self._page_accounts = []
        for row, rec in zip(self.rows, page.to_dict("records"), strict=False):
            acct = rec.get("account_id")
            known = not fmt.is_missing(acct) and str(acct) != ""
            self._page_accounts.append(str(acct) if known else None)
            with row.button.hold_sync():
                row.button.description = str(acct) if known else "(no account)"
                row.button.tooltip = (f"Open the sessions of {acct}" if known else "These sessions have no account id")[
                    :300
                ]
                row.button.disabled = not known
            row.cells.value = self._cells(rec)
            row.box.layout.display = ""
        for row in self.rows[len(page) :]:
            row.box.layout.display = "none"
        if n:
            self.empty.value = ""
        elif len(self.df):
            self.empty.value = macros(TEMPLATE).muted("No account matches this search.", "lb-acc-none")
        else:
            self.empty.value = macros(TEMPLATE).muted("No sessions in this range.", "lb-acc-none")
        first = self.page * self.page_size + 1 if n else 0
        last = min(n, (self.page + 1) * self.page_size)
        self.page_label.value = macros(TEMPLATE).page_label(first, last, n, "accounts", self.page + 1, pages)
        self.prev.disabled = self.page == 0
        self.next.disabled = self.page >= pages - 1
        self.note.value = self._note_html()
        self.last_refresh_ms = (time.perf_counter() - t0) * 1000

    def _note_html(self) -> markup.Markup:
        df = self.df
        parts = [
            f"{len(df['account_id'].dropna().unique()):,} accounts · {int(df['sessions'].sum()):,} sessions in this range"
        ]
        if self._previous is not None:
            parts.append(f"changes {self._change_note()} (the range of the same length before)")
        else:
            parts.append("choose a time range to compare with the one before")
        parts.append("CTR and CTOR from the summed clicks, views and orders; viewers add up each session's")
        if df["_cur"].nunique() > 1:
            parts.append("money per currency, never added across currencies")
            if self.sort.value in MONEY:
                parts.append(f"sorted by {LABELS[self.sort.value]} within each currency")
        return markup.components().note(" · ".join(parts) + ".")

    def _open_row(self, i: int) -> None:
        account = self._page_accounts[i] if 0 <= i < len(self._page_accounts) else None
        if account:
            self.on_open(account)

    # ------------------------------------------------------------------ chart

    def _every(self, lo, hi) -> str:
        every = self.chart_every.value if self.chart_every.value in ("day", "week") else "auto"
        if every != "auto":
            return every
        first = lo if lo is not None else self.df["first_live"].min()
        last = hi if hi is not None else self.now()
        if pd.isna(first) or pd.isna(last):
            return "day"
        return "week" if (last - first) > pd.Timedelta(days=AUTO_WEEK_DAYS) else "day"

    def top_accounts(self) -> tuple[list[str], str | None]:
        """The accounts the chart shows, best first, and the currency of a money chart (one currency only)."""
        metric = self.chart_metric.value if self.chart_metric.value in CHART_KEYS else "gmv"
        top = self.chart_top.value if self.chart_top.value in TOP_CHOICES else 5
        df = self.df[self.df["account_id"].notna()]
        currency = None
        if metric in MONEY:
            currency = self._currency()
            if not currency and len(df):  # the currency with the most sessions
                by = df.groupby("_cur")["sessions"].sum()
                currency = str(by.sort_values(ascending=False, kind="stable").index[0])
            df = df[df["_cur"] == currency]
        elif self._currency():
            df = df[df["_cur"] == self._currency()]
        totals = df.groupby("account_id")[metric].sum(min_count=1).dropna()
        ranked = totals.sort_values(ascending=False, kind="stable").index[: min(top, MAX_SERIES_ACCOUNTS)]
        return [str(a) for a in ranked], currency

    def refresh_chart(self) -> None:
        lo, hi = self.bounds()
        metric = self.chart_metric.value if self.chart_metric.value in CHART_KEYS else "gmv"
        label = dict((k, lab) for lab, k in CHART_METRICS)[metric]
        accounts, currency = self.top_accounts()
        if not accounts:
            self.chart.update([], {}, label, "")
            self.chart_note.value = markup.components().note(f"No account has {_lower(label)} in this range.")
            return
        every = self._every(lo, hi)
        try:
            series = self.wb.account_series(accounts, since=lo, until=hi, every=every)
        except InputError as exc:
            self.chart_note.value = error_html(str(exc))
            return
        if currency is not None:
            series = series[series["currency"].astype("string").fillna("") == currency]
        x, values = self.chart_frame(series, accounts, metric, every, lo, hi)
        unit = f" · {fmt.currency_name(currency)}" if currency is not None else ""
        self.chart.update(x, values, label + unit, f"{label} per {every}{unit}")
        notes = [
            f"The top {len(accounts)} accounts by {_lower(label)} in the range, per {every}."
            if len(accounts) > 1
            else f"The account with the most {_lower(label)} in the range, per {every}."
        ]
        notes.append("A day or week without a LIVE counts 0; a gap means its sessions lack the figure.")
        if currency is not None and self.df["_cur"].nunique() > 1:
            notes.append(
                f"Money in {fmt.currency_name(currency)} only: accounts in other currencies are never compared "
                "with it (choose a currency above)."
            )
        self.chart_note.value = markup.components().note(" ".join(notes))

    def chart_frame(
        self, series: pd.DataFrame, accounts: list[str], metric: str, every: str, lo, hi
    ) -> tuple[pd.Series, dict[str, np.ndarray]]:
        """Every period of the range (from the first session when the range has no start) → each account's
        figure: 0 in a period without its sessions, NaN where its sessions there lack the figure."""
        freq = "W-MON" if every == "week" else "D"
        periods = pd.to_datetime(series["period"], utc=True) if len(series) else pd.Series(dtype="datetime64[ns, UTC]")
        first = lo if lo is not None else (periods.min() if len(periods) else None)
        last = (hi - pd.Timedelta(microseconds=1)) if hi is not None else self.now()
        if hi is None and len(periods):  # a session after "now" (a clock ahead): still on the chart
            last = max(last, periods.max())
        if first is None or pd.isna(first):
            return pd.Series([], dtype="datetime64[ns, UTC]"), {}
        start = pd.Timestamp(first).tz_convert("UTC").floor("D")
        if every == "week":
            start -= pd.Timedelta(days=start.weekday())
        index = pd.date_range(start, pd.Timestamp(last).tz_convert("UTC"), freq=freq)
        frame = series.assign(period=periods)
        values = pd.to_numeric(frame[metric], errors="coerce").astype("float64")
        frame = frame.assign(_v=values, _n=pd.to_numeric(frame["sessions"], errors="coerce"))
        grouped = frame.groupby(["account_id", "period"]).agg(_v=("_v", lambda s: s.sum(min_count=1)), _n=("_n", "sum"))
        out: dict[str, np.ndarray] = {}
        for acct in accounts:
            part = grouped.xs(acct, level="account_id") if acct in grouped.index.get_level_values(0) else None
            if part is None:
                out[acct] = np.zeros(len(index))
                continue
            v = part["_v"].reindex(index)
            had = part["_n"].reindex(index).fillna(0) > 0
            out[acct] = v.where(had, 0.0).to_numpy(dtype="float64", na_value=np.nan)
        return pd.Series(index), out
