"""The Accounts tab of LIVE Analytics, without a browser: what opens first, rows, sort, search, paging, the
click that opens an account's sessions, the chart, escaping, and values a client could send (the table is
liveboard.views.session_list's, its figures read as liveboard.format has them)."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
import pytest
from test_accounts import HOSTILE, NOW, build

import liveboard
from liveboard.pages.analytics import app
from liveboard.pages.params import query_account
from liveboard.simulator import simulate
from liveboard.store import Store
from liveboard.views import format as fmt
from liveboard.views.accounts import COLUMNS, AccountsTab
from liveboard.views.analytics import LiveAnalytics
from liveboard.workbench import InputError


@pytest.fixture(scope="module")
def store_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("accounts-views") / "store"
    build(path)
    return path


@pytest.fixture(scope="module")
def wb(store_path):
    return liveboard.open(store_path)


@pytest.fixture
def view(wb):
    return LiveAnalytics(wb, now=NOW, search_delay=0)


def shown(tab: AccountsTab) -> list[str]:
    """The account names of the visible rows, top to bottom."""
    return [r.button.description for r in tab.rows if r.box.layout.display != "none"]


def cells(tab: AccountsTab, i: int) -> list[str]:
    """Row ``i``'s cells as text (the first line of each: the figure)."""
    return [
        re.sub(r"<small.*", "", c)
        for c in re.findall(r'<span class="lb-acc-c[^"]*">(.*?)</span>', tab.rows[i].cells.value)
    ]


def list_rows(view: LiveAnalytics) -> int:
    return view.table.value.count("<tr") - 1 - ("No LIVE sessions match" in view.table.value)


def test_header_click_sorts_and_second_click_reverses(view, wb):
    """The Accounts header is Buttons, as the LIVE list's: a click sorts by the column, a second reverses."""
    tab = view.accounts_tab
    heads = tab.head._heads
    assert set(heads) == {"account_id", *(k for k, _l, _kind in COLUMNS)}
    heads["sessions"].click()
    assert (tab.sort.value, tab.order.value) == ("sessions", "desc")  # the controls follow the header
    counts = [int(re.sub(r"\D", "", cells(tab, i)[1])) for i in range(len(shown(tab)))]
    assert counts == sorted(counts, reverse=True)
    assert heads["sessions"].description == "Sessions ▼" and "lb-sorted" in heads["sessions"]._dom_classes
    assert "lb-sorted" not in heads["gmv"]._dom_classes and heads["gmv"].description == "GMV"
    heads["sessions"].click()
    assert tab.order.value == "asc" and heads["sessions"].description == "Sessions ▲"
    counts = [int(re.sub(r"\D", "", cells(tab, i)[1])) for i in range(len(shown(tab)))]
    assert counts == sorted(counts) and ">Sessions ▲<" in tab.head.value
    heads["account_id"].click()  # names sort A→Z first; no account last
    names = shown(tab)
    assert (tab.sort.value, tab.order.value) == ("account_id", "asc")
    assert names[:-1] == sorted(names[:-1], key=str.lower) and names[-1] == "(no account)"
    tab.sort.value = "gmv_change"  # a sort without a column: no header is marked
    assert not any("lb-sorted" in b._dom_classes for b in heads.values())
    tab._header_clicked("__class__")  # a key from the browser the tab does not offer changes nothing
    assert tab.sort.value == "gmv_change"


def test_opens_on_accounts_with_one_row_per_account(view, wb):
    assert view.nav.value == "accounts" and view.nav.options[0] == ("Accounts", "accounts")
    tab = view.accounts_tab
    assert view.body.children[0] is tab.widget and "lb-accounts" in tab.widget._dom_classes
    want = wb.accounts()
    assert len(shown(tab)) == len(want) == len(tab.df)
    assert set(shown(tab)) == {a if isinstance(a, str) else "(no account)" for a in want["account_id"]}
    assert f"of {len(want)} accounts" in tab.page_label.value
    # the page's own range selector is on the tab
    assert any(view.range in getattr(w, "children", ()) for w in tab.widget.children)


def test_an_account_to_start_with_opens_its_list(wb):
    v = LiveAnalytics(wb, now=NOW, account="kedai.cantik.my", search_delay=0)
    assert v.nav.value == "list" and v.account.value == "kedai.cantik.my"
    assert list_rows(v) == len(wb.sessions(account="kedai.cantik.my"))
    v = LiveAnalytics(wb, now=NOW, account="nobody.here", search_delay=0)  # not in the store: Accounts
    assert v.nav.value == "accounts" and v.account.value == ""


def test_single_account_store_has_no_accounts_tab(tmp_path):
    store = Store(tmp_path / "one", create=True)
    for t in simulate(0, accounts=1, sessions=3, scale=0.01, now=NOW):
        store.append(t)
    v = LiveAnalytics(liveboard.open(tmp_path / "one"), now=NOW)
    assert v.accounts_tab is None and v.nav.value == "list"
    assert "accounts" not in dict((val, lab) for lab, val in v.nav.options)
    assert v.body.children[0] is v.views["list"]


def test_figures_read_as_on_every_surface(view, wb):
    tab = view.accounts_tab
    tab.search.value = "baan"
    row = wb.accounts(search="baan").iloc[0]
    got = cells(tab, 0)
    assert got[0] == "THB"
    assert got[1] == fmt.count(row["sessions"])
    assert got[3] == fmt.money(row["gmv"], "THB") and got[3].startswith("฿")
    assert got[7] == fmt.rate(row["live_ctr"]) and got[8] == fmt.rate(row["ctor"])
    # a figure only some sessions have says so; one none has reads "—", never 0
    tab.search.value = "glowlab"
    text = " ".join(r.cells.value for r in tab.rows if r.box.layout.display != "none")
    assert "of " in text and " sessions</small>" in text
    tab.search.value = "viewsonly"
    assert cells(tab, 0)[3] == fmt.MISSING and "no session has it" in tab.rows[0].cells.value


def test_sort_search_and_paging(wb):
    v = LiveAnalytics(wb, now=NOW, search_delay=0)
    tab = v.accounts_tab
    df = wb.accounts()
    tab.sort.value, tab.order.value = "sessions", "asc"
    counts = [int(re.sub(r"\D", "", cells(tab, i)[1])) for i in range(len(shown(tab)))]
    assert counts == sorted(counts) and ">Sessions ▲<" in tab.head.value
    tab.sort.value = "account_id"
    names = shown(tab)
    assert names[:-1] == sorted(names[:-1], key=str.lower) and names[-1] == "(no account)"  # unknown last
    # money sorts within each currency: never one currency's amounts against another's
    tab.sort.value, tab.order.value = "gmv", "desc"
    currencies = [cells(tab, i)[0] for i in range(len(shown(tab)))]
    assert currencies == sorted(currencies, key=lambda c: (c == fmt.MISSING, c))
    usd = [i for i, c in enumerate(currencies) if c == "USD"]
    amounts = [float(re.sub(r"[^\d.]", "", cells(tab, i)[3]) or "nan") for i in usd]
    known = [a for a in amounts if not np.isnan(a)]
    assert known == sorted(known, reverse=True) and "within each currency" in tab.note.value
    # search (plain text, case-insensitive)
    tab.search.value = "GLOW"
    assert shown(tab) == ["glowlab.official", "glowlab.official"]
    tab.search.value = "no such account %"
    assert shown(tab) == [] and "No account matches" in tab.empty.value
    tab.search.value = ""
    # paging
    small = AccountsTab(wb, bounds=lambda: (None, None), now=lambda: pd.Timestamp(NOW), on_open=print, page_size=3)
    small.refresh()
    pages = -(-len(df) // 3)
    assert len(shown(small)) == 3 and f"page 1 of {pages}" in small.page_label.value and small.prev.disabled
    small.next.click()
    assert f"page 2 of {pages}" in small.page_label.value and not small.prev.disabled
    for _ in range(pages):
        small.next.click()
    assert small.next.disabled and len(shown(small)) == len(df) - 3 * (pages - 1)


def test_range_and_change_against_the_range_before(view, wb):
    tab = view.accounts_tab
    view.range.value = "28"
    want = wb.accounts(since=NOW - dt.timedelta(days=28), now=NOW)
    assert len(shown(tab)) == len(want)
    assert "changes against 2026-09-25 12:00 – 2026-10-23 12:00" in tab.note.value
    text = " ".join(r.cells.value for r in tab.rows)
    assert ("▲" in text or "▼" in text) and "none before" in text
    view.range.value = "all"
    assert len(shown(tab)) == len(wb.accounts()) and "▲" not in " ".join(r.cells.value for r in tab.rows)
    view.range.value = "custom"
    view.date_from.value = dt.date(2026, 11, 10)
    view.date_to.value = dt.date(2026, 11, 1)
    assert "lb-error" in tab.message.value and shown(tab) == []


def test_click_opens_the_accounts_sessions(view, wb):
    tab = view.accounts_tab
    view.search.value = "marathon"  # a title search left in the list is cleared
    view.nav.value = "accounts"
    i = shown(tab).index("baan.snack.th")
    tab.rows[i].button.click()
    assert view.nav.value == "list" and view.body.children[0] is view.views["list"]
    assert view.account.value == "baan.snack.th" and view.search.value == ""
    df = wb.sessions(account="baan.snack.th")
    assert list_rows(view) == len(df) and f"of {len(df)} sessions" in view.page_label.value
    # the row without an account cannot be opened
    view.nav.value = "accounts"
    j = shown(tab).index("(no account)")
    assert tab.rows[j].button.disabled
    tab._open_row(j)
    assert view.nav.value == "accounts"
    assert view.open_account("nobody.here") is False and "no account" in view.message.value.lower()
    assert view.open_account("<b>x</b>") is False and "<b>" not in view.message.value


def test_hostile_account_is_text(view):
    tab = view.accounts_tab
    tab.search.value = "evil"
    assert shown(tab) == [HOSTILE]  # a Button's description is a text node in the browser
    page_html = tab.head.value + "".join(r.cells.value for r in tab.rows) + tab.note.value + tab.chart_note.value
    assert "<img" not in page_html
    assert HOSTILE in tab.rows[0].button.tooltip


def test_chart_compares_top_accounts_of_one_currency(view, wb):
    tab = view.accounts_tab
    fig = tab.chart.figure
    assert "lb-accounts-chart" in fig._dom_classes and fig in tab.chart_box.children
    df = wb.accounts()
    # GMV: the top accounts of the currency with the most sessions (USD), one shared y scale
    usd = df[(df["currency"] == "USD") & df["account_id"].notna() & df["gmv"].notna()].sort_values(
        "gmv", ascending=False
    )
    assert list(tab.chart.labels) == list(usd["account_id"][:5])
    assert "USD" in fig.title and "never compared" in tab.chart_note.value
    y = np.array(tab.chart.values)
    for label, values in zip(tab.chart.labels, y, strict=True):
        want = usd.loc[usd["account_id"] == label, "gmv"].iloc[0]
        assert abs(np.nansum(values) - want) < 0.01, label
    # a count compares across currencies; per week: Mondays
    tab.chart_metric.value, tab.chart_every.value, tab.chart_top.value = "sessions", "week", 3
    assert len(tab.chart.labels) == 3 and tab.chart.figure.title == "Sessions per week"
    top = (
        df.dropna(subset=["account_id"])
        .groupby("account_id")["sessions"]
        .sum()
        .sort_values(ascending=False, kind="stable")
    )
    assert list(tab.chart.labels) == list(top.index[:3])
    xs = pd.to_datetime(tab.chart.lines[0].x)
    assert (xs.day_of_week == 0).all()
    assert np.array(tab.chart.values).sum() == top.iloc[:3].sum()
    # the currency selector narrows table and chart
    tab.chart_metric.value = "gmv"
    tab.currency.value = "EUR"
    assert shown(tab) == ["glowlab.official"] and list(tab.chart.labels) == ["glowlab.official"]
    assert "EUR" in tab.chart.figure.title
    # a range of one period draws one point per account (bqplot squeezes a 2-D mark of one column)
    tab.chart.update(pd.Series([pd.Timestamp(NOW)]), {"a": [1.0], "b": [2.0]}, "GMV")
    assert tab.chart.labels == ["a", "b"] and [v.tolist() for v in tab.chart.values] == [[1.0], [2.0]]


def test_chart_markers_never_meet_unknown_values(view):
    """bqplot's front end moves its markers when y arrives: markers must leave in a message before values with
    NaN and return in one after values without (the browser's "attribute transform ... NaN)" error)."""
    chart = view.accounts_tab.chart
    x = pd.Series(pd.date_range("2026-11-02", periods=3, tz="UTC"))
    chart.update(x, {"a": [1.0, 2.0, 3.0]}, "GMV")
    line = chart.lines[0]
    sent: list[set[str]] = []
    send_state = line.send_state

    def record(key=None):
        keys = line.keys if key is None else [key] if isinstance(key, str) else list(key)
        sent.append(set(keys))
        return send_state(key)

    line.send_state = record
    chart.update(x, {"a": [1.0, float("nan"), 3.0]}, "GMV")
    assert line.marker is None
    marker_at = next(i for i, k in enumerate(sent) if "marker" in k)
    y_at = next(i for i, k in enumerate(sent) if "y" in k)
    assert marker_at < y_at, sent
    sent.clear()
    chart.update(x, {"a": [1.0, 2.0, 4.0]}, "GMV")
    assert line.marker == "circle"
    marker_at = next(i for i, k in enumerate(sent) if "marker" in k)
    y_at = next(i for i, k in enumerate(sent) if "y" in k)
    assert y_at < marker_at, sent


def test_chart_days_without_a_live_are_zero_and_missing_figures_gaps(view):
    tab = view.accounts_tab
    d0 = pd.Timestamp("2026-11-02", tz="UTC")  # a Monday
    day = pd.Timedelta(days=1)
    series = pd.DataFrame(
        {
            "account_id": ["a", "a", "b", "b"],
            "currency": ["USD"] * 4,
            "period": [d0, d0 + 2 * day, d0 + day, d0 + 9 * day],
            "sessions": [1, 2, 1, 1],
            "hours_live": [1.5, None, 2.0, 1.0],
        }
    )
    x, ys = tab.chart_frame(series, ["a", "b", "c"], "hours_live", "day", d0, d0 + 3 * day)
    assert list(x) == [d0, d0 + day, d0 + 2 * day]
    assert ys["a"][:2].tolist() == [1.5, 0.0] and np.isnan(ys["a"][2])  # sessions without the figure: a gap
    assert ys["b"].tolist() == [0.0, 2.0, 0.0] and ys["c"].tolist() == [0.0, 0.0, 0.0]  # no LIVE: 0
    weeks = series.assign(period=[d0, d0, d0, d0 + 7 * day])  # per week: periods are Mondays
    x, ys = tab.chart_frame(weeks, ["b"], "hours_live", "week", d0 + 3 * day, None)  # open end: up to "now"
    assert x.iloc[0] == d0 and (pd.DatetimeIndex(x).day_of_week == 0).all()
    assert ys["b"][:3].tolist() == [2.0, 1.0, 0.0] and x.iloc[-1] <= pd.Timestamp(NOW)


def test_values_a_client_could_send(view):
    tab = view.accounts_tab
    before = shown(tab)
    tab.sort.options = list(tab.sort.options) + [("x", "__class__")]
    tab.sort.value = "__class__"
    tab.refresh_table()
    assert shown(tab) == before  # falls back to GMV
    tab.chart_top.options = [("many", 10_000)]
    tab.chart_top.value = 10_000
    assert len(tab.chart.labels) <= 5
    tab.currency.options = [("bogus", "XXX")]
    tab.currency.value = "XXX"
    assert len(shown(tab)) == len(tab.df)
    tab.search.value = "x" * 10_000  # capped
    assert shown(tab) == []


def test_account_in_the_address(store_path, monkeypatch):
    assert query_account("") is None and query_account("session=x") is None
    assert query_account("account=glowlab.official&x=1") == "glowlab.official"
    for bad in ("a%00b", "x" * 200, "a%0Ab"):
        with pytest.raises(InputError, match="account"):
            query_account("account=" + bad)
    monkeypatch.setenv("QUERY_STRING", "account=kedai.cantik.my")
    w = app(store_path, now=NOW.isoformat())
    body = w.children[-1]
    lst = body.children[0]
    assert "lb-list" in lst._dom_classes
    monkeypatch.setenv("QUERY_STRING", "account=nobody")
    w = app(store_path, now=NOW.isoformat())
    assert "lb-accounts" in w.children[-1].children[0]._dom_classes
    assert "no account" in w.children[3].value.lower()
    monkeypatch.setenv("QUERY_STRING", "account=" + "%01" * 3)
    w = app(store_path, now=NOW.isoformat())
    assert "lb-error" in w.children[-1].children[0].children[0].value


def test_a_new_commit_is_read_on_the_next_request(tmp_path):
    path = tmp_path / "grow"
    store = Store(path, create=True)
    for t in simulate(0, accounts=2, sessions=4, scale=0.01, now=NOW):
        store.append(t)
    v = LiveAnalytics(liveboard.open(path), now=NOW, search_delay=0)
    n = int(v.accounts_tab.df["sessions"].sum())
    store.append(next(iter(simulate(5, accounts=3, sessions=1, scale=0.01, now=NOW))))
    v.refresh_for_request(now=NOW)
    assert int(v.accounts_tab.df["sessions"].sum()) == n + 1
