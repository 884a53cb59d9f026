"""liveboard.views.analytics_tabs: the Data overview and LIVE events tabs of LIVE Analytics (averages, charts
and each session against its account's average, money per currency only; sessions grouped by LIVE event), on
the simulated store of tests/analytics_helpers.py."""

from __future__ import annotations

import re
from datetime import date

import pytest
from analytics_helpers import NOW, build_store

import liveboard
from liveboard.views import format as fmt
from liveboard.views.analytics import LiveAnalytics
from liveboard.views.analytics_tabs import OVERVIEW_METRICS


@pytest.fixture(scope="module")
def store_path(tmp_path_factory):
    return build_store(tmp_path_factory.mktemp("analytics") / "store")


@pytest.fixture(scope="module")
def wb(store_path):
    return liveboard.open(store_path)


@pytest.fixture
def view(wb):
    return LiveAnalytics(wb, now=NOW, search_delay=0)


def test_overview_and_events(view, wb):
    df = wb.sessions()
    view.nav.value = "overview"
    view.account.value = df["account_id"].iloc[0]
    assert (
        "Avg. GMV" in view.ov_cards.value
        and fmt.MISSING not in re.findall(r'lb-card-value">([^<]*)<', view.ov_cards.value)[1:2]
    )
    assert view.ov_currency_note.value == ""  # one account, one currency
    assert "above average" in view.ov_table.value or "below average" in view.ov_table.value
    view.ov_metric.value = "ctor"
    assert "CTOR per session" == view.ov_chart.figure.title
    view.account.value = ""
    assert "lb-events" not in view.events_html.value  # refreshed only when shown
    view.nav.value = "events"
    html = view.events_html.value
    multi = df[df["live_event_id"].notna()]
    assert len(multi) >= 2
    assert f"LIVE event {multi['live_event_id'].iloc[0]} · {len(multi)} sessions" in html
    assert html.count("lb-nested") == len(multi)
    assert ">Featured products<" in html and ">Winners<" in html


def test_overview_never_mixes_currencies(view, wb):
    """All accounts (RM, ฿ and $ shops): money is averaged and charted per currency, and each session is
    compared with its own account's average — never with a mix of currencies."""
    df = wb.sessions()
    currencies = sorted(df["currency"].unique())
    assert len(currencies) == 3  # the simulator's RM, ฿ and $ shops
    view.nav.value = "overview"
    assert view.account.value == "" and "3 currencies" in view.ov_currency_note.value
    assert "never across currencies" in view.ov_currency_note.value
    labels = re.findall(r'lb-card-label">([^<]*)<', view.ov_cards.value)
    values = re.findall(r'lb-card-value">([^<]*)<', view.ov_cards.value)
    shown = dict(zip(labels, values, strict=True))
    for cur in currencies:
        mean = df.loc[df["currency"] == cur, "gmv"].astype(float).mean()
        assert shown[f"Avg. GMV · {fmt.currency_name(cur)}"] == fmt.money(mean, cur)
    assert "Avg. GMV" not in shown  # no average over all currencies
    # one chart per currency, each with only its own currency's sessions
    charts = view.ov_chart_box.children
    assert len(charts) == 3
    for fig, cur in zip(charts, currencies, strict=True):
        assert fig.title == f"GMV per session · {fmt.currency_name(cur)}"
        line = next(m for m in fig.marks if getattr(m, "labels", None) == ["GMV"])
        assert len(line.x) == int((df["currency"] == cur).sum())
    # a count is fine across currencies: one chart
    view.ov_metric.value = "items_sold"
    assert len(view.ov_chart_box.children) == 1 and view.ov_chart.figure.title == "Items sold per session"
    view.ov_metric.value = "gmv"
    # each row against its own account's average (in its currency)
    table = view.ov_table.value
    assert "its own account" in table
    row = df.iloc[0]
    own = df.loc[df["account_id"] == row["account_id"], "gmv"].astype(float).mean()
    first = re.search(r"<tbody><tr>(.*?)</tr>", table).group(1)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", first)
    assert cells[3] == fmt.money(row["gmv"], row["currency"]) and cells[4] == fmt.money(own, row["currency"])
    symbols = {fmt.CURRENCY_SYMBOLS[c] for c in currencies}
    assert sum(s in cells[4] for s in symbols) == 1


def test_a_range_without_sessions_says_so_in_both_tabs(view):
    view.range.value = "custom"
    view.date_from.value, view.date_to.value = date(2020, 1, 1), date(2020, 1, 31)  # before every session
    view.nav.value = "overview"
    labels = re.findall(r'lb-card-label">([^<]*)<', view.ov_cards.value)
    values = re.findall(r'lb-card-value">([^<]*)<', view.ov_cards.value)
    shown = dict(zip(labels, values, strict=True))
    assert shown.pop("Sessions") == "0" and len(shown) == len(OVERVIEW_METRICS)  # one average per metric
    assert set(shown.values()) == {fmt.MISSING}  # none of them is 0
    assert "No sessions in this range." in view.ov_table.value and view.ov_currency_note.value == ""
    (note,) = view.ov_chart_box.children  # no empty chart frame: a note
    assert "No session in this range has gmv" in note.value
    view.nav.value = "events"
    assert "No LIVE events." in view.events_html.value and view.ev_pick.options == ()


def test_the_events_tab_groups_sessions_by_live_event_newest_event_first(view, wb):
    df = wb.sessions()
    event = df["live_event_id"].fillna(df["session_id"])
    newest = df.groupby(event)["start"].max().sort_values(ascending=False)
    expected = [
        sid for ev in newest.index for sid in df[event == ev].sort_values("start")["session_id"]
    ]  # each event's sessions in the order they ran
    view.nav.value = "events"
    assert [sid for _, sid in view.ev_pick.options] == expected and view.ev_pick.value == expected[0]
    assert f"{len(newest)} LIVE events" in view.events_html.value
