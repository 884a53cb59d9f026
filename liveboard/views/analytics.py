"""LIVE Analytics: all past LIVE sessions, the data overview, LIVE events, and each session's board.

The seed's "after LIVE" experience (Analytics > LIVE Analytics > All LIVE videos). One ipywidgets object,
the same in Voilà (``notebooks/live_analytics.ipynb``) and in JupyterLab::

    from liveboard.pages.analytics import view
    view(liveboard.open()).show()  # LiveAnalytics with the page's report callbacks wired

The view takes a workbench (data) and callbacks (``report_button``, ``report_list``); it opens no store and
runs no report itself: :mod:`liveboard.pages.analytics` does.

The sessions catalog is read once (``wb.sessions()``) and cached; every filter, search, sort or page change
works on that DataFrame in memory and formats only the visible page, so 10,000 sessions refresh in
milliseconds. Every value from a widget is validated here, in Python (the URL's in :mod:`liveboard.pages.params`).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from typing import Protocol
from urllib.parse import quote

import ipywidgets as W
import numpy as np
import pandas as pd

from liveboard import markup
from liveboard.errors import InputError
from liveboard.ids import check_session_id
from liveboard.metrics import REGISTRY, SESSION_METRICS
from liveboard.views import format as fmt
from liveboard.views.accounts import AccountsTab
from liveboard.views.analytics_tabs import (
    EXTRA_LABELS,
    PAGE_SIZE,
    OverviewTabs,
    _label,
)
from liveboard.views.charts import TimeChart
from liveboard.views.coverage import SOURCE_LONG, SOURCE_NAMES, mask_unseen, sources_of
from liveboard.views.session_detail import SessionDetail
from liveboard.views.session_list import SessionTable, sort_by_header
from liveboard.views.widgets import Column, Debouncer, MultiChoice, close_tree, error_html, html, macros, style
from liveboard.workbench import Workbench

log = logging.getLogger(__name__)

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
NAV = (
    ("All LIVE videos", "list"),
    ("Data overview", "overview"),
    ("LIVE events", "events"),
    ("Session", "detail"),
    ("Reports", "reports"),
)
#: The HTML of the page (title, headings, notes, the list's cells).
TEMPLATE = "analytics/page.html.j2"


class ReportListing(Protocol):
    """What the Reports tab shows: the page's list of generated reports."""

    widget: W.Widget

    def refresh(self) -> None: ...


def category_columns(category: str) -> tuple[str, ...]:
    """Table columns of a category tab: start time, then the category's metrics from the registry."""
    if category == "key":
        return DEFAULT_COLUMNS
    return ("start",) + tuple(m.name for m in REGISTRY.values() if m.category == category and m.name != "start")


def _utc_now() -> pd.Timestamp:
    return pd.Timestamp.now(tz="UTC")


class LiveAnalytics(OverviewTabs):
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
        report_button: Callable[[str], W.Widget] | None = None,
        report_list: Callable[[], ReportListing] | None = None,
    ):
        self.wb = wb
        #: the page's report callbacks: a session's "Generate report" button, and the reports of the store
        self._report_button = report_button
        self._make_report_list = report_list
        self.tz = tz
        self.page_size = max(1, min(int(page_size), 500))
        #: titles link to ``?session=ID`` (a page of its own); only under Voilà, where the page's address is ours
        self.session_links = session_links
        self.now = pd.Timestamp(now) if now else _utc_now()
        if self.now.tzinfo is None:
            self.now = self.now.tz_localize("UTC")
        self.last_refresh_ms = 0.0
        self._sorting = False  # a header click sets sort and order, then refreshes once
        self._load()
        self._build_list_controls(account)
        self._build_tab_controls(tz, search_delay)
        self._wire(search_delay)
        self._report_list: ReportListing | None = None
        self.views = self._build_views()
        self.body = W.VBox([self.views[self.nav.value]], layout=W.Layout(width="100%"))
        self.title = html(self._title_html())
        self.widget = W.VBox([style(), self.title, self.nav, self.message, self.body], layout=W.Layout(width="100%"))
        self.widget.add_class("lb-app")
        self.widget.add_class("lb-analytics")
        self._filters_changed()
        if session:
            self.open_session(session)

    # ------------------------------------------------------------------ widgets

    def _build_list_controls(self, account: str | None) -> None:
        """The filters, columns, sort, pages and session chooser of the list."""
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
        self.columns = MultiChoice(
            [(_label(c), c) for c in ("start",) + LIST_METRICS + tuple(EXTRA_LABELS)],
            DEFAULT_COLUMNS,
            title="Columns",
            collapsible=True,
            keep_order=True,  # the table's columns in the order chosen (a category's own order)
            css_class="lb-columns",
        )
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
        self.table = SessionTable(self._header_clicked, self.open_session, self.page_size)
        self.pick = W.Dropdown(options=[], description="Session", layout=W.Layout(width="520px"))
        self.pick.add_class("lb-pick")
        self.open_btn = W.Button(description="Open session", button_style="primary")
        self.open_btn.add_class("lb-open")

    def _build_tab_controls(self, tz: str | None, search_delay: float) -> None:
        """The other tabs' widgets (overview, events, detail, accounts) and the navigation between tabs."""
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
        self.detail_box = W.VBox([html(markup.components().note("Choose a session in the list to open it."))])
        self.detail: SessionDetail | None = None
        self.accounts_tab: AccountsTab | None = None
        if self.multi_account:
            self.accounts_tab = AccountsTab(
                self.wb,
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

    def _wire(self, search_delay: float) -> None:
        """Every control to what it refreshes (values are validated where they are read)."""
        self._search_debounce = Debouncer(self._filters_changed, search_delay)
        self.search.observe(lambda _c: self._search_debounce.trigger(), "value")
        for w in (self.account, self.range, self.date_from, self.date_to):
            w.observe(lambda _c: self._filters_changed(), "value")
        self.category.observe(self._category_changed, "value")
        self.columns.observe(lambda _c: self.refresh_table(), "value")
        for w in (self.sort, self.order):
            w.observe(lambda _c: None if self._sorting else self.refresh_table(), "value")
        self.prev.on_click(lambda _b: self._turn(-1))
        self.next.on_click(lambda _b: self._turn(1))
        self.open_btn.on_click(lambda _b: self.open_session(self.pick.value))
        self.ev_open.on_click(lambda _b: self.open_session(self.ev_pick.value))
        self.ov_metric.observe(lambda _c: self.refresh_overview(), "value")
        self._stale: set[str] = set()
        self.nav.observe(lambda _c: self._show_view(), "value")

    # ------------------------------------------------------------------ display

    def _title_html(self) -> markup.Markup:
        return macros(TEMPLATE).title(len(self.df))

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
            self.message.value = macros(TEMPLATE).no_sessions()
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

    def _title_cell(self, title: object, sid: object) -> markup.Markup:
        text = "" if fmt.is_missing(title) else str(title)
        href = "?session=" + quote(str(sid), safe="") if self.session_links else ""
        return macros(TEMPLATE).title_cell(text or fmt.MISSING, "" if fmt.is_missing(sid) else str(sid), href)

    def _header_clicked(self, key: object) -> None:
        """A header click: sort by that column, or reverse the order when it is the sorted one already."""
        self._sorting = True
        try:
            done = sort_by_header(self.sort, self.order, key, ("title",))  # only the sort choices the page offers
        finally:
            self._sorting = False
        if done:
            self.refresh_table()

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
            # the cells made by templates (Markup) go into the records, not a frame (pandas keeps plain str)
            rec["_plain_title"] = rec.get("title")
            rec["title"] = self._title_cell(rec.get("title"), rec.get("session_id"))
            rec["_sources"] = sources_badges(rec.get("_sources") or ())
            cur = rec.get("currency") or "USD"
            for c in chosen:
                if c in REGISTRY and c != "start":
                    rec[c] = fmt.metric(c, rec.get(c), cur)
            recs.append(rec)
        self.table.draw(
            recs,
            cols,
            [str(r["session_id"]) for r in recs],
            sort_key=self.sort.value,
            ascending=self.order.value == "asc",
            empty="No LIVE sessions match these filters.",
        )
        first = self.page * self.page_size + 1 if n else 0
        last = min(n, (self.page + 1) * self.page_size)
        self.page_label.value = macros(TEMPLATE).page_label(first, last, n, "sessions", self.page + 1, pages)
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
        note = html(markup.components().note("Core data is compared with the average of this account's sessions."))
        report = [self._report_button(sid)] if self._report_button is not None else []  # post-LIVE report
        self.detail_box.children = [back, note, *report, self.detail.widget]
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
        box = self.views["reports"]
        if self._make_report_list is None:
            box.children = [html(markup.components().note("No reports folder is wired to this page."))]
        elif self._report_list is None:
            self._report_list = self._make_report_list()
            box.children = [
                html(macros(TEMPLATE).reports_heading()),
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
                W.HBox([self.sort, self.order], layout=W.Layout(flex_flow="row wrap")),
                html(markup.components().note("Click a column header to sort, a row to open it.")),
                self.columns.widget,
                self.table.widget,
                W.HBox([self.prev, self.page_label, self.next]),
                W.HBox([self.pick, self.open_btn]),
            ]
        )
        lst.add_class("lb-list")
        overview = W.VBox(
            [
                html(
                    macros(TEMPLATE).heading(
                        "Data overview",
                        "Averages over the time range and account chosen in the list; each session against its "
                        "own account's average.",
                    )
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
                    macros(TEMPLATE).heading(
                        "LIVE events",
                        "Sessions of one multi-session LIVE event appear under it. Filters of the list apply.",
                    )
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


def sources_badges(sources: tuple[str, ...]) -> markup.Markup:
    """The Sources cell of the list: one small badge per source, its long name as the tooltip."""
    badges = [{"key": s, "name": SOURCE_NAMES.get(s, s), "long": SOURCE_LONG.get(s, s)} for s in sources]
    return macros(TEMPLATE).sources(badges)
