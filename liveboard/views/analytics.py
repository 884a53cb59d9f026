"""LIVE Analytics: all past LIVE sessions, the data overview, LIVE events, and each session's board.

The seed's "after LIVE" experience (Analytics > LIVE Analytics > All LIVE videos). One ipywidgets object,
the same in Voilà (``notebooks/live_analytics.ipynb``) and in JupyterLab::

    from liveboard.views.analytics import LiveAnalytics
    LiveAnalytics(liveboard.open()).show()

The sessions catalog is read once (``wb.sessions()``) and cached; every filter, search, sort or page change
works on that DataFrame in memory and formats only the visible page, so 10,000 sessions refresh in
milliseconds. Every value from a widget or the URL is validated here, in Python.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from urllib.parse import parse_qs, quote

import ipywidgets as W
import numpy as np
import pandas as pd

from liveboard.ids import MAX_SESSION_ID, check_session_id
from liveboard.metrics import REGISTRY, SESSION_METRICS
from liveboard.store import NoStoreError, OldLayoutError, StoreError, default_store_path
from liveboard.views import format as fmt
from liveboard.views.accounts import AccountsTab
from liveboard.views.charts import TimeChart
from liveboard.views.coverage import SOURCE_LONG, SOURCE_NAMES, mask_unseen, sources_of
from liveboard.views.session_detail import SessionDetail, validate_session_id
from liveboard.views.widgets import Column, Debouncer, cards, close_tree, error_html, html, html_table, style, versus
from liveboard.workbench import InputError, Workbench

log = logging.getLogger(__name__)

PAGE_SIZE = 50
MAX_SEARCH = 200
RANGES = (
    ("Last 7 days", "7"),
    ("Last 28 days", "28"),
    ("Last 90 days", "90"),
    ("All time", "all"),
    ("Custom", "custom"),
)
CATEGORIES = ("key", "sales", "traffic", "engagement", "products")
CATEGORY_LABELS = {"key": "Key metrics", "sales": "Sales", "traffic": "Traffic", "engagement": "Engagement"}
CATEGORY_LABELS["products"] = "Products"
DEFAULT_COLUMNS = ("start", "gmv", "direct_gmv", "live_ctr", "ctor", "items_sold")
LIST_METRICS = tuple(m for m in SESSION_METRICS if m not in ("start", "end"))
EXTRA_LABELS = {"featured_products": "Featured products", "giveaways": "Giveaways", "winners": "Winners"}
OVERVIEW_METRICS = ("gmv", "items_sold", "views", "viewers", "pcu", "live_ctr", "ctor", "engagement_rate")
NAV = (
    ("All LIVE videos", "list"),
    ("Data overview", "overview"),
    ("LIVE events", "events"),
    ("Session", "detail"),
    ("Reports", "reports"),
)
MAX_EVENTS_SHOWN = 100
MAX_ACCOUNT = 128


def category_columns(category: str) -> tuple[str, ...]:
    """Table columns of a category tab: start time, then the category's metrics from the registry."""
    if category == "key":
        return DEFAULT_COLUMNS
    return ("start",) + tuple(m.name for m in REGISTRY.values() if m.category == category and m.name != "start")


def _label(col: str) -> str:
    return REGISTRY[col].label if col in REGISTRY else EXTRA_LABELS.get(col, col)


def _utc_now() -> pd.Timestamp:
    return pd.Timestamp.now(tz="UTC")


class LiveAnalytics:
    """All LIVE videos, Data overview, LIVE events and Session tabs over one store (read-only)."""

    def __init__(
        self,
        wb: Workbench,
        *,
        account: str | None = None,
        session: str | None = None,
        now: str | dt.datetime | None = None,
        tz: str | None = None,
        page_size: int = PAGE_SIZE,
        search_delay: float = 0.25,
        session_links: bool = False,
    ):
        self.wb = wb
        self.tz = tz
        self.page_size = max(1, min(int(page_size), 500))
        #: titles link to ``?session=ID`` (a page of its own); only under Voilà, where the page's address is ours
        self.session_links = session_links
        self.now = pd.Timestamp(now) if now else _utc_now()
        if self.now.tzinfo is None:
            self.now = self.now.tz_localize("UTC")
        self.last_refresh_ms = 0.0
        self._load()
        # ---------------------------------------------------------------- controls
        accounts = sorted(a for a in self.df["account_id"].dropna().unique())
        self._accounts = set(accounts)
        #: several accounts: the page opens on the Accounts tab (one row per account)
        self.multi_account = len(accounts) > 1
        self.account = W.Dropdown(
            options=[("All accounts", "")] + [(a, a) for a in accounts],
            value=account if account in accounts else "",
            description="Account",
            layout=W.Layout(width="300px", display="" if len(accounts) > 1 else "none"),
        )
        self.account.add_class("lb-account")
        self.range = W.Dropdown(options=list(RANGES), value="all", description="Time range")
        self.range.add_class("lb-range")
        self.date_from = W.DatePicker(description="From", layout=W.Layout(display="none", width="230px"))
        self.date_to = W.DatePicker(description="To", layout=W.Layout(display="none", width="230px"))
        self.search = W.Text(placeholder="Search LIVE name", description="Search", continuous_update=True)
        self.search.add_class("lb-search")
        self.category = W.ToggleButtons(options=[(CATEGORY_LABELS[c], c) for c in CATEGORIES], value="key")
        self.category.add_class("lb-category")
        self.columns = W.SelectMultiple(
            options=[(_label(c), c) for c in ("start",) + LIST_METRICS + tuple(EXTRA_LABELS)],
            value=DEFAULT_COLUMNS,
            rows=6,
            description="Columns",
            layout=W.Layout(width="300px"),
        )
        self.columns.add_class("lb-columns")
        self.sort = W.Dropdown(
            options=[("Title", "title")] + [(_label(c), c) for c in ("start",) + LIST_METRICS + tuple(EXTRA_LABELS)],
            value="start",
            description="Sort by",
        )
        self.sort.add_class("lb-sort")
        self.order = W.ToggleButtons(options=[("↓ Descending", "desc"), ("↑ Ascending", "asc")], value="desc")
        self.order.style.button_width = "120px"
        self.page = 0
        self.prev = W.Button(description="‹ Previous", layout=W.Layout(width="110px"))
        self.next = W.Button(description="Next ›", layout=W.Layout(width="110px"))
        self.page_label = html("", "lb-page-label")
        self.table = html("", "lb-sessions-table")
        self.pick = W.Dropdown(options=[], description="Session", layout=W.Layout(width="520px"))
        self.pick.add_class("lb-pick")
        self.open_btn = W.Button(description="Open session", button_style="primary")
        self.open_btn.add_class("lb-open")
        # overview
        self.ov_metric = W.Dropdown(
            options=[(_label(m), m) for m in LIST_METRICS if m != "duration_s"] + [("Duration", "duration_s")],
            value="gmv",
            description="Metric",
        )
        self.ov_metric.add_class("lb-overview-metric")
        self.ov_cards = html("", "lb-overview-cards")
        self.ov_currency_note = html("", "lb-overview-currency")
        # created when the overview is first shown: the list page then loads no bqplot code in the browser;
        # one chart per currency when money is charted for sessions in several currencies
        self.ov_chart: TimeChart | None = None
        self.ov_charts: list[TimeChart] = []
        self.ov_chart_box = W.VBox([])
        self.ov_table = html("", "lb-overview-table")
        # events
        self.events_html = html("", "lb-events-table")
        self.ev_pick = W.Dropdown(options=[], description="Session", layout=W.Layout(width="520px"))
        self.ev_open = W.Button(description="Open session", button_style="primary")
        # detail
        self.detail_box = W.VBox([html('<div class="lb-note">Choose a session in the list to open it.</div>')])
        self.detail: SessionDetail | None = None
        self.accounts_tab: AccountsTab | None = None
        if self.multi_account:
            self.accounts_tab = AccountsTab(
                wb,
                bounds=self._range_bounds,
                now=lambda: self.now,
                on_open=self.open_account,
                range_box=W.HBox([self.range, self.date_from, self.date_to]),
                tz=tz,
                search_delay=search_delay,
            )
        nav = ([("Accounts", "accounts")] if self.multi_account else []) + list(NAV)
        self.nav = W.ToggleButtons(
            options=nav, value="accounts" if self.multi_account and not self.account.value else "list"
        )
        self.nav.add_class("lb-nav")
        self.nav.style.button_width = "150px"
        self.message = html("", "lb-message")
        # ---------------------------------------------------------------- wiring
        self._search_debounce = Debouncer(self._filters_changed, search_delay)
        self.search.observe(lambda _c: self._search_debounce.trigger(), "value")
        for w in (self.account, self.range, self.date_from, self.date_to):
            w.observe(lambda _c: self._filters_changed(), "value")
        self.category.observe(self._category_changed, "value")
        for w in (self.columns, self.sort, self.order):
            w.observe(lambda _c: self.refresh_table(), "value")
        self.prev.on_click(lambda _b: self._turn(-1))
        self.next.on_click(lambda _b: self._turn(1))
        self.open_btn.on_click(lambda _b: self.open_session(self.pick.value))
        self.ev_open.on_click(lambda _b: self.open_session(self.ev_pick.value))
        self.ov_metric.observe(lambda _c: self.refresh_overview(), "value")
        self._stale: set[str] = set()
        self.nav.observe(lambda _c: self._show_view(), "value")
        self._report_list = None
        self.views = self._build_views()
        self.body = W.VBox([self.views[self.nav.value]], layout=W.Layout(width="100%"))
        self.title = html(self._title_html())
        self.widget = W.VBox([style(), self.title, self.nav, self.message, self.body], layout=W.Layout(width="100%"))
        self.widget.add_class("lb-app")
        self.widget.add_class("lb-analytics")
        self._filters_changed()
        if session:
            self.open_session(session)

    # ------------------------------------------------------------------ display

    def _title_html(self) -> str:
        return (
            '<h2 class="lb-h">LIVE Analytics</h2><div class="lb-muted">All past LIVE sessions · '
            f"{len(self.df):,} in this store · read-only</div>"
        )

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    def show(self) -> None:
        from IPython.display import display

        display(self.widget)

    # ------------------------------------------------------------------ data

    def _load(self) -> None:
        self._version = self.wb.store.snapshot().version
        df = self.wb.sessions()
        if "start" in df and not isinstance(df["start"].dtype, pd.DatetimeTZDtype):
            df["start"] = pd.to_datetime(df["start"], utc=True)
        df = mask_unseen(df.reset_index(drop=True))  # a recorder's unseen figures are missing, not 0
        for c in (*LIST_METRICS, *EXTRA_LABELS):  # nullable ints (missing figures) as floats with NaN
            if c in df and isinstance(df[c].dtype, pd.api.extensions.ExtensionDtype):
                if pd.api.types.is_numeric_dtype(df[c].dtype):
                    df[c] = df[c].astype("float64")
        df["_sources"] = [sources_of(r) for r in df[[c for c in ("sources", "source") if c in df]].to_dict("records")]
        df["_search"] = (df["title"].fillna("") + "\n" + df["session_id"].fillna("")).str.lower()
        df["_event"] = df["live_event_id"].fillna(df["session_id"])
        self.df = df
        self._ids = set(df["session_id"].astype(str))

    def reload(self) -> None:
        """Read the sessions catalog again (new sessions imported) and refresh."""
        self._load()
        self._filters_changed()

    def refresh_for_request(self, now: str | dt.datetime | None = None) -> None:
        """At page-view time (a preheated kernel may have waited for hours): take "now" again and re-read
        the catalog if the store has a newer snapshot."""
        self.now = pd.Timestamp(now) if now else _utc_now()
        if self.now.tzinfo is None:
            self.now = self.now.tz_localize("UTC")
        if self.wb.store.snapshot().version != self._version:
            self._load()
            self.title.value = self._title_html()
        self._filters_changed()

    def _range_bounds(self) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
        choice = self.range.value
        if choice in ("7", "28", "90"):
            return self.now - pd.Timedelta(days=int(choice)), None
        if choice == "custom":
            lo = pd.Timestamp(self.date_from.value, tz="UTC") if self.date_from.value else None
            hi = pd.Timestamp(self.date_to.value, tz="UTC") + pd.Timedelta(days=1) if self.date_to.value else None
            return lo, hi
        return None, None

    def filtered(self, *, with_search: bool = True) -> pd.DataFrame:
        """The cached catalog narrowed by account, time range and (optionally) the title search."""
        df = self.df
        mask = np.ones(len(df), dtype=bool)
        acct = self.account.value
        if acct:
            mask &= (df["account_id"] == acct).to_numpy(dtype=bool, na_value=False)
        lo, hi = self._range_bounds()
        if lo is not None:
            mask &= (df["start"] >= lo).to_numpy(dtype=bool, na_value=False)
        if hi is not None:
            mask &= (df["start"] < hi).to_numpy(dtype=bool, na_value=False)
        q = str(self.search.value or "").strip().lower()[:MAX_SEARCH] if with_search else ""
        if q:
            mask &= df["_search"].str.contains(q, regex=False).to_numpy(dtype=bool, na_value=False)
        return df[mask]

    # ------------------------------------------------------------------ list

    def _filters_changed(self) -> None:
        custom = self.range.value == "custom"
        for w in (self.date_from, self.date_to):
            w.layout.display = "" if custom else "none"
        self.message.value = ""
        if self.df.empty:
            self.message.value = (
                '<div class="lb-info">This store has no LIVE sessions yet. Import event logs or a Seller Center '
                "export with <code>liveboard import FILES --store STORE</code>, or simulate some with "
                "<code>liveboard simulate --out data/events</code>.</div>"
            )
        lo, hi = self._range_bounds()
        if lo is not None and hi is not None and lo >= hi:
            self.message.value = error_html("The custom range ends before it starts: pick a later “To” date.")
        self.page = 0
        self._current = self.filtered()
        self._ranged = self.filtered(with_search=False)
        self.refresh_table()
        # the accounts, overview and events views are refreshed when shown (or now, if they are the one shown)
        self._stale = {"overview", "events", "accounts"}
        self._refresh_visible()

    def _refresh_visible(self) -> None:
        view = self.nav.value
        if view in self._stale:
            self._stale.discard(view)
            refresh = {"overview": self.refresh_overview, "events": self.refresh_events}
            if self.accounts_tab is not None:
                refresh["accounts"] = self.accounts_tab.refresh
            if view in refresh:
                refresh[view]()

    def _category_changed(self, change) -> None:
        if change["new"] in CATEGORIES:
            self.columns.value = category_columns(change["new"])

    def _turn(self, step: int) -> None:
        pages = max(1, -(-len(self._current) // self.page_size))
        self.page = min(max(0, self.page + step), pages - 1)
        self.refresh_table()

    def _title_cell(self, title: object, sid: object) -> str:
        text = fmt.esc(title) or fmt.MISSING
        if self.session_links:
            href = fmt.esc("?session=" + quote(str(sid), safe=""))
            text = f'<a class="lb-open-link" href="{href}" target="_self">{text}</a>'
        return f"{text}<span class='lb-id'>{fmt.esc(sid)}</span>"

    def _sorted(self) -> pd.DataFrame:
        key = self.sort.value if self.sort.value in self.df.columns else "start"
        asc = self.order.value == "asc"
        if key == "title":
            return self._current.sort_values("title", key=lambda s: s.str.lower(), ascending=asc, na_position="last")
        return self._current.sort_values(key, ascending=asc, na_position="last", kind="stable")

    def refresh_table(self) -> None:
        """Render the visible page of the filtered, sorted sessions (only that page is formatted)."""
        t0 = time.perf_counter()
        df = self._sorted()
        n = len(df)
        pages = max(1, -(-n // self.page_size))
        self.page = min(self.page, pages - 1)
        rows = df.iloc[self.page * self.page_size : (self.page + 1) * self.page_size]
        chosen = [c for c in self.columns.value if c in self.df.columns] or list(DEFAULT_COLUMNS)
        tz = self.tz
        cols = [
            Column("title", "LIVE", lambda v: v, raw_html=True),
            Column("_sources", "Sources", lambda v: v, raw_html=True),
        ]
        rows = rows.assign(
            title=[self._title_cell(t, s) for t, s in zip(rows["title"], rows["session_id"], strict=True)],
            _sources=[sources_badges(v) for v in rows["_sources"]],
        )
        for c in chosen:
            if c == "start":
                cols.append(Column("start", _label(c), lambda v: fmt.when(v, tz)))
            elif c in EXTRA_LABELS:
                cols.append(Column(c, _label(c), fmt.count, True))
            else:
                cols.append(Column(c, _label(c), str, True))  # formatted per row below (currency)
        # currency differs per account: format money per row
        recs = []
        for rec in rows.to_dict("records"):
            cur = rec.get("currency") or "USD"
            for c in chosen:
                if c in REGISTRY and c != "start":
                    rec[c] = fmt.metric(c, rec.get(c), cur)
            recs.append(rec)
        self.table.value = html_table(
            recs, cols, "lb-sessions", sorted_key=self.sort.value, empty="No LIVE sessions match these filters."
        )
        first = self.page * self.page_size + 1 if n else 0
        self.page_label.value = (
            f'<span class="lb-muted">{first:,}–{min(n, (self.page + 1) * self.page_size):,} of {n:,} sessions · '
            f"page {self.page + 1} of {pages}</span>"
        )
        self.prev.disabled = self.page == 0
        self.next.disabled = self.page >= pages - 1
        opts = [
            (f"{str(t)[:80]} — {fmt.when(s, tz)}", str(i))
            for t, s, i in zip(
                df["title"].iloc[self.page * self.page_size : (self.page + 1) * self.page_size],
                df["start"].iloc[self.page * self.page_size : (self.page + 1) * self.page_size],
                df["session_id"].iloc[self.page * self.page_size : (self.page + 1) * self.page_size],
                strict=True,
            )
        ]
        self.pick.options = opts
        self.pick.value = opts[0][1] if opts else None
        self.open_btn.disabled = not opts
        self.last_refresh_ms = (time.perf_counter() - t0) * 1000

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
                label = f"Avg. {REGISTRY[m].label}" + (f" · {fmt.currency_name(cur)}" if len(groups) > 1 else "")
                have = int(vals.notna().sum())
                if have == 0:
                    sub = "no session in the range has it" if len(vals) else "in this range"
                elif len(groups) > 1:
                    sub = f"per session · {have:,} session{'s' if have != 1 else ''} in {fmt.currency_name(cur)}"
                else:
                    sub = "per session" + (f" · {have:,} of {len(vals):,} sessions have it" if have < len(vals) else "")
                items.append((label, fmt.metric(m, vals.mean() if have else np.nan, cur), fmt.esc(sub)))
        self.ov_cards.value = cards(items)
        names = ", ".join(fmt.currency_name(c) for c in currencies)
        self.ov_currency_note.value = (
            f'<div class="lb-info lb-currency-note">These sessions are in {len(currencies)} currencies ({fmt.esc(names)}): '
            "money is averaged and charted per currency, never across currencies. Choose an account to see "
            "one shop.</div>"
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
        note = html(f'<div class="lb-note lb-overview-chart-note">{fmt.esc(" ".join(notes))}</div>') if notes else None
        self.ov_chart_box.children = shown + ([note] if note else [])

    def _missing_why(self, df: pd.DataFrame, metric: str) -> str:
        """Why the sessions of ``df`` lack a figure, from their sources (e.g. "a recorder sees no orders or GMV")."""
        from liveboard.views.coverage import RECORDER_UNSEEN

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
        self.ov_table.value = f'<div class="lb-note">{fmt.esc(note)}</div>' + html_table(
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
        self.events_html.value = f'<div class="lb-note">{fmt.esc(note)}</div>' + html_table(
            recs, cols, "lb-events", row_classes=classes
        )
        self.ev_pick.options = opts
        self.ev_pick.value = opts[0][1] if opts else None

    # ------------------------------------------------------------------ accounts

    def open_account(self, account: object) -> bool:
        """The LIVE list of one account's sessions (the Accounts tab's click): the account selector is set,
        the title search cleared; the time range stays. An unknown account shows an error instead."""
        acct = "" if account is None else str(account)
        if acct not in self._accounts:
            self.message.value = error_html(f"There is no account {acct[:MAX_SEARCH]!r} in this store.")
            return False
        self.search.value = ""
        if self.account.value != acct:
            self.account.value = acct  # refreshes the list
        else:
            self._filters_changed()
        self.nav.value = "list"
        return True

    # ------------------------------------------------------------------ detail

    def open_session(self, session_id: object) -> bool:
        """Show a session's board; an unknown or invalid id shows an ``lb-error`` message instead."""
        self.nav.value = "detail"
        try:
            if session_id is None or str(session_id).strip() == "":
                raise InputError("No session chosen.")
            sid = check_session_id(session_id, "session")  # the one rule, as on the LIVE Board
            if sid not in self._ids:
                raise InputError(f"There is no session {sid!r} in this store.")
            peers = self.df[self.df["account_id"] == self.df.loc[self.df["session_id"] == sid, "account_id"].iloc[0]]
            self._close_detail()
            self.detail = SessionDetail(
                self.wb.session(sid), peers=peers, tz=self.tz, search_delay=self._search_debounce.delay
            )
        except InputError as exc:
            self.detail = None
            self.detail_box.children = [html(error_html(str(exc)), "lb-error")]
            return False
        except Exception as exc:  # noqa: BLE001 - a page shows a message, never a traceback
            log.exception("opening session %r failed", session_id)
            self.detail = None
            msg = f"This session could not be opened ({type(exc).__name__}). The server log has the details."
            self.detail_box.children = [html(error_html(msg), "lb-error")]
            return False
        back = W.Button(description="‹ All LIVE videos")
        back.on_click(lambda _b: setattr(self.nav, "value", "list"))
        note = html('<div class="lb-note">Core data is compared with the average of this account\'s sessions.</div>')
        from liveboard.views.reports import report_button  # post-LIVE report of this session (issue 5)

        self.detail_box.children = [
            back,
            note,
            report_button(self.wb, sid, timezone=self.tz or "UTC"),
            self.detail.widget,
        ]
        return True

    def _close_detail(self) -> None:
        """Free the widgets of the session shown before (each board holds a few dozen models and charts)."""
        old, self.detail = self.detail, None
        if old is not None:
            shown, self.detail_box.children = self.detail_box.children, ()
            close_tree(list(shown))

    def _show_view(self) -> None:
        view = self.nav.value if self.nav.value in self.views else "list"
        self._refresh_visible()
        if view == "reports":
            self._show_reports()
        self.body.children = [self.views[view]]

    def _show_reports(self) -> None:
        """The post-LIVE reports generated beside this store, listed afresh each time the tab opens."""
        from liveboard.views.reports import ReportList

        box = self.views["reports"]
        if self._report_list is None:
            self._report_list = ReportList(store=self.wb.store.root)
            box.children = [
                html(
                    '<h3 class="lb-h">Post-LIVE reports</h3><div class="lb-note">Generated by '
                    "<code>liveboard report</code> or a session's “Generate report” button.</div>"
                ),
                self._report_list.widget,
            ]
        else:
            self._report_list.refresh()

    def _build_views(self) -> dict[str, W.Widget]:
        filters = W.HBox([self.account, self.range, self.date_from, self.date_to])
        lst = W.VBox(
            [
                filters,
                W.HBox([self.search]),
                self.category,
                W.HBox([self.columns, W.VBox([self.sort, self.order])]),
                self.table,
                W.HBox([self.prev, self.page_label, self.next]),
                W.HBox([self.pick, self.open_btn]),
            ]
        )
        lst.add_class("lb-list")
        overview = W.VBox(
            [
                html(
                    '<h3 class="lb-h">Data overview</h3><div class="lb-note">Averages over the time range and '
                    "account chosen in the list; each session against its own account's average.</div>"
                ),
                self.ov_currency_note,
                self.ov_cards,
                self.ov_metric,
                self.ov_chart_box,
                self.ov_table,
            ]
        )
        overview.add_class("lb-overview")
        events = W.VBox(
            [
                html(
                    '<h3 class="lb-h">LIVE events</h3><div class="lb-note">Sessions of one multi-session LIVE event '
                    "appear under it. Filters of the list apply.</div>"
                ),
                self.events_html,
                W.HBox([self.ev_pick, self.ev_open]),
            ]
        )
        events.add_class("lb-events-tab")
        reports = W.VBox([])
        reports.add_class("lb-reports-tab")
        views = {"list": lst, "overview": overview, "events": events, "detail": self.detail_box, "reports": reports}
        if self.accounts_tab is not None:
            views["accounts"] = self.accounts_tab.widget
        return views


# ---------------------------------------------------------------------- page entry point


def sources_badges(sources: tuple[str, ...]) -> str:
    """The Sources cell of the list: one small badge per source, its long name as the tooltip."""
    return "".join(
        f'<span class="lb-src lb-src-{fmt.esc(s)}" title="{fmt.esc(SOURCE_LONG.get(s, s))}">'
        f"{fmt.esc(SOURCE_NAMES.get(s, s))}</span>"
        for s in sources
    )


def _query_params(query_string: str) -> dict[str, list[str]]:
    if len(query_string) > 4 * MAX_SESSION_ID + 200:
        raise InputError("The address is too long.")
    try:
        return parse_qs(query_string, keep_blank_values=True, max_num_fields=20)
    except ValueError:
        raise InputError("The address has too many parameters.") from None


def query_session(query_string: str | None) -> str | None:
    """The ``session`` parameter of a query string, validated (:class:`InputError` when unusable)."""
    if not query_string:
        return None
    values = _query_params(query_string).get("session") or []
    return validate_session_id(values[-1]) if values else None


def query_account(query_string: str | None) -> str | None:
    """The ``account`` parameter of a query string (``?account=ID`` opens that account's sessions): plain
    text of at most :data:`MAX_ACCOUNT` printable characters (:class:`InputError` otherwise); whether the
    store has that account is for the page to say."""
    if not query_string:
        return None
    values = _query_params(query_string).get("account") or []
    if not values or not values[-1].strip():
        return None
    value = values[-1].strip()
    if len(value) > MAX_ACCOUNT or not value.isprintable():
        raise InputError(
            f"The account in the address is not an account id (at most {MAX_ACCOUNT} printable characters)."
        )
    return value


def request_query_string() -> str:
    """The page's query string under Voilà (``QUERY_STRING``); empty in JupyterLab or papermill."""
    if not (os.environ.get("VOILA_KERNEL_ID") or os.environ.get("VOILA_PREHEAT") == "True") and (
        "QUERY_STRING" not in os.environ
    ):
        return ""
    try:
        from voila.utils import wait_for_request

        wait_for_request()
    except Exception:  # noqa: BLE001 - not under a preheated Voilà: the variable is already set or absent
        pass
    return os.environ.get("QUERY_STRING", "")


def store_missing_message(path: object) -> str:
    return (
        f'<div class="lb-error"><strong>No liveboard store at {fmt.esc(path)}.</strong><br>Create one with simulated '
        "sessions:<br><code>liveboard simulate --out data/events &amp;&amp; liveboard import data/events "
        "--store data/store</code><br>or import your own event logs with <code>liveboard import FILES --store "
        "data/store</code>, then reload this page (set <code>LIVEBOARD_STORE</code> to use another folder).</div>"
    )


def app(
    store: str | os.PathLike | None = None,
    *,
    session: str | None = None,
    account: str | None = None,
    now: str | None = None,
    tz: str | None = None,
) -> W.Widget:
    """The LIVE Analytics page: what ``notebooks/live_analytics.ipynb`` displays.

    ``store`` defaults to ``$LIVEBOARD_STORE`` or ``./data/store``; ``session`` (or ``?session=`` in the
    page's address under Voilà) opens that session's board.

    Under a preheated Voilà kernel everything up to :func:`request_query_string` runs before any page is
    requested (imports, the sessions catalog, the list); after the request arrives the catalog is re-read
    only if the store changed meanwhile, "now" is taken again, and the URL's session is opened.
    """
    import liveboard

    path = store or default_store_path()
    try:
        wb = liveboard.open(path)
    except OldLayoutError as exc:  # says how to upgrade
        request_query_string()
        return W.VBox([style(), html(error_html(str(exc)), "lb-error")])
    except NoStoreError:
        request_query_string()
        return W.VBox([style(), html(store_missing_message(path), "lb-error")])
    except StoreError as exc:  # names what is damaged and how to repair it
        request_query_string()
        return W.VBox([style(), html(error_html(str(exc)), "lb-error")])
    under_voila = bool(os.environ.get("VOILA_KERNEL_ID") or os.environ.get("VOILA_PREHEAT") == "True")
    try:
        view = LiveAnalytics(wb, account=account or None, now=now or None, tz=tz or None, session_links=under_voila)
    except StoreError as exc:  # a damaged store: the message names what and how to repair it
        request_query_string()
        return W.VBox([style(), html(error_html(str(exc)), "lb-error")])
    except Exception as exc:  # noqa: BLE001 - a page shows a message, never a traceback
        log.exception("reading the store %s failed", path)
        request_query_string()
        msg = f"The store at {path} could not be read ({type(exc).__name__}). The server log has the details."
        return W.VBox([style(), html(error_html(msg), "lb-error")])
    problem = ""
    account_from_url = None
    try:
        query = request_query_string()  # waits for the page request when preheated
        from_url = query_session(query)
        account_from_url = query_account(query)
    except InputError as exc:
        from_url, problem = None, str(exc)
    view.refresh_for_request(now=now or None)
    try:
        sid = validate_session_id(session) or from_url
    except InputError as exc:
        sid, problem = None, str(exc)
    if problem:
        view.nav.value = "detail"
        view.detail_box.children = [html(error_html(problem), "lb-error")]
    elif sid:
        view.open_session(sid)
    elif account_from_url:
        view.open_account(account_from_url)
    return view.widget
