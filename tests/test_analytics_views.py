"""LIVE Analytics widgets on a simulated store, without a browser (liveboard.views.analytics and its tabs,
liveboard.views.analytics_tabs)."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

import liveboard
from liveboard.eventlog import read_event_log
from liveboard.pages.analytics import app
from liveboard.pages.params import query_session
from liveboard.simulator import simulate
from liveboard.store import Store
from liveboard.views import format as fmt
from liveboard.views.analytics import LiveAnalytics, category_columns
from liveboard.views.session_detail import SessionDetail, open_detail, validate_session_id
from liveboard.views.widgets import decode_data_url
from liveboard.workbench import InputError

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
HOSTILE_TITLE = "<img src=x onerror=alert(1)>"
HOSTILE_COMMENTS = ["<b>bold</b> hello", '=HYPERLINK("http://x","y")', "+SUM(1)"]


def hostile_comments(table: pa.Table, texts: list[str] = HOSTILE_COMMENTS) -> pa.Table:
    """Overwrite the first comments of a simulated session with hostile text."""
    idx = pc.indices_nonzero(pc.equal(table["type"], "comment")).to_pylist()[: len(texts)]
    text = table["text"].to_pylist()
    for i, t in zip(idx, texts, strict=False):
        text[i] = t
    col = table.schema.get_field_index("text")
    return table.set_column(col, table.schema.field("text"), pa.array(text, table.schema.field("text").type))


def build_store(path, *, sessions=12, accounts=3, scale=0.02, now=NOW, seed=0):
    store = Store(path, create=True)
    for table in simulate(seed, accounts=accounts, sessions=sessions, scale=scale, now=now):
        title = table.filter(pc.equal(table["type"], "session_start"))["title"][0].as_py()
        if HOSTILE_TITLE in title:
            table = hostile_comments(table)
        store.append(table)
    return path


@pytest.fixture(scope="module")
def store_path(tmp_path_factory):
    return build_store(tmp_path_factory.mktemp("analytics") / "store")


@pytest.fixture(scope="module")
def wb(store_path):
    return liveboard.open(store_path)


@pytest.fixture
def view(wb):
    return LiveAnalytics(wb, now=NOW, search_delay=0)


def rows(view: LiveAnalytics) -> int:
    return view.table.value.count("<tr") - 1 - ("No LIVE sessions match" in view.table.value)


def hostile_id(wb) -> str:
    df = wb.sessions()
    return df.loc[df["title"].str.contains(HOSTILE_TITLE, regex=False), "session_id"].iloc[0]


def test_builds_with_all_sessions_and_default_columns(view, wb):
    n = len(wb.sessions())
    assert rows(view) == n == 12
    assert f"of {n} sessions" in view.page_label.value
    for label in ("Start time", "GMV", "Direct GMV", "CTR", "CTOR", "Items sold"):
        assert re.search(f">{re.escape(label)}( [▲▼])?<", view.table.value), label
    assert view.account.layout.display == ""  # several accounts: the selector shows
    assert view.pick.value in set(wb.sessions()["session_id"])
    assert "lb-sessions-table" in view.table._dom_classes


def test_range_search_account_narrow(view, wb):
    df = wb.sessions()
    view.range.value = "28"
    expected = int((df["start"] >= NOW - __import__("datetime").timedelta(days=28)).sum())
    assert 0 < rows(view) == expected < len(df)
    view.range.value = "all"
    view.search.value = "MARATHON"  # case-insensitive, plain text
    assert rows(view) == int(df["title"].str.lower().str.contains("marathon").sum()) >= 2
    view.search.value = ""
    acct = df["account_id"].iloc[0]
    view.account.value = acct
    assert rows(view) == int((df["account_id"] == acct).sum()) < len(df)
    view.account.value = ""
    view.range.value = "custom"
    view.date_from.value = df["start"].min().date()
    view.date_to.value = df["start"].min().date()
    assert rows(view) >= 1
    view.search.value = "no such live %_"
    assert rows(view) == 0 and "No LIVE sessions match" in view.table.value


def test_categories_columns_sort_paging(wb):
    v = LiveAnalytics(wb, now=NOW, page_size=5, search_delay=0)
    assert "page 1 of 3" in v.page_label.value and rows(v) == 5
    v.next.click()
    assert "page 2 of 3" in v.page_label.value
    v.category.value = "traffic"
    assert v.columns.value == category_columns("traffic")
    assert ">PCU<" in v.table.value and ">GMV<" not in v.table.value
    v.sort.value = "gmv"
    v.order.value = "asc"
    v.columns.value = ("gmv",)
    df = wb.sessions().sort_values("gmv")
    first_page = LiveAnalytics(wb, now=NOW, page_size=5, search_delay=0)
    first_page.sort.value, first_page.order.value, first_page.columns.value = "gmv", "asc", ("gmv",)
    cur = df["currency"].iloc[0]
    assert fmt.money(df["gmv"].iloc[0], cur) in first_page.table.value


def test_missing_values_render_as_dash(wb):
    v = LiveAnalytics(wb, now=NOW, search_delay=0)
    v.df.loc[0, "ctor"] = float("nan")
    v.df.loc[0, "gmv"] = float("nan")
    v.sort.value = "title"
    v.search.value = str(v.df.loc[0, "session_id"])
    cells = re.findall(r'<td class="lb-num">([^<]*)</td>', v.table.value)
    assert cells.count(fmt.MISSING) >= 2
    assert "$0.00" not in cells[:2] and "0.00%" not in cells


def test_hostile_title_and_comments_escaped(view, wb):
    view.search.value = "onerror"
    assert "&lt;img src=x onerror=alert(1)&gt;" in view.table.value
    assert "<img" not in view.table.value
    view.search.value = ""
    sid = hostile_id(wb)
    assert view.open_session(sid)
    d = view.detail
    assert "&lt;img src=x onerror=alert(1)&gt;" in d.header.value and "<img" not in d.header.value
    assert "&lt;b&gt;bold&lt;/b&gt; hello" in d.comments_html.value
    assert "<b>" not in d.comments_html.value
    d.comment_search.value = "<b>"
    assert "1 of " in d.comments_html.value
    view.nav.value = "events"
    assert "&lt;img" in view.events_html.value and "<img" not in view.events_html.value
    view.nav.value = "overview"
    assert "&lt;img" in view.ov_table.value


def test_session_detail_sections(wb):
    sid = hostile_id(wb)
    d = SessionDetail(wb.session(sid), peers=wb.sessions())
    for cls in (
        "lb-session-detail",
        "lb-core",
        "lb-traffic",
        "lb-channels",
        "lb-trends",
        "lb-products",
        "lb-violations",
        "lb-giveaways",
        "lb-comments",
        "lb-audience",
    ):
        assert any(cls in w._dom_classes for w in [d.widget, *d.widget.children]), cls
    assert "lb-core-data" in d.core._dom_classes and "GMV" in d.core.value and "average" in d.core.value
    assert "organic" in d.channels_html.value.lower() and "promoted" in d.channels_html.value.lower()
    assert len(d.traffic_chart.lines[0].x) > 0
    d.trend_pick.value = ("gmv", "views", "online")
    assert sum(line.visible for line in d.trend_chart.lines) == 3
    d.range.value = (5, 10)
    assert len(d.traffic_chart.lines[0].x) == 6
    assert "CTOR" in d.products_html.value
    if wb.session(sid).violations().empty:
        assert "No violations" in d.violations_html.value
    else:
        assert "appeal" in d.violations_html.value.lower()


def test_query_string_and_id_validation(view, wb):
    assert query_session("") is None
    assert query_session("session=abc&x=1") == "abc"
    assert query_session("session=1234567890123456789") == "1234567890123456789"  # a 19-digit API id
    assert query_session("session=shop.my-2026-03-01T1200Z") == "shop.my-2026-03-01T1200Z"
    with pytest.raises(InputError, match="at most 128"):
        query_session("session=" + "x" * 201)
    for bad in ("abc%0Adef", "a%20b", "..%2F..%2Fetc%2Fx%27%20OR%20%271%27%3D%271", "%3Cscript%3E"):
        with pytest.raises(InputError, match="session"):
            query_session("session=" + bad)
    with pytest.raises(InputError):
        validate_session_id("abc\x00")
    assert validate_session_id("  ") is None
    # unknown id → an lb-error message in the page, never a traceback
    assert view.open_session("no-such-session") is False
    err = view.detail_box.children[0]
    assert "lb-error" in err._dom_classes and "no session" in err.value.lower()
    assert view.open_session("<script>x</script>") is False
    assert "<script" not in view.detail_box.children[0].value and "lb-error" in view.detail_box.children[0].value
    w = open_detail(wb, "nope")
    assert "lb-error" in w._dom_classes


def test_one_session_id_rule_in_analytics(view, wb, store_path, monkeypatch):
    """The id the LIVE Board refuses is refused by LIVE Analytics too: by the list, the URL and open_detail."""
    from liveboard.pages.board import build_page

    hostile = "../../etc/x' OR '1'='1"
    board_widget, board = build_page(session=hostile, store=store_path)
    assert board is None and "not" in board_widget.value
    assert view.open_session(hostile) is False
    assert "session id" in view.detail_box.children[0].value and "etc" not in view.detail_box.children[0].value
    assert "lb-error" in open_detail(wb, hostile)._dom_classes
    monkeypatch.setenv("QUERY_STRING", "session=..%2F..%2Fetc%2Fx%27%20OR%20%271%27%3D%271")
    page = app(store_path)
    assert "session id" in page.children[-1].children[0].children[0].value
    assert app(store_path, session=hostile).children[-1].children[0].children[0].value.count("lb-error")
    sid = hostile_id(wb)  # a real id still opens
    assert view.open_session(sid) is True


def test_app_reads_query_string(store_path, monkeypatch, wb):
    sid = hostile_id(wb)
    monkeypatch.setenv("QUERY_STRING", f"session={sid}")
    w = app(store_path)
    assert "lb-analytics" in w._dom_classes
    body = w.children[-1]
    detail = body.children[0].children[-1]
    assert "lb-session-detail" in detail._dom_classes
    monkeypatch.setenv("QUERY_STRING", "session=" + "y" * 300)
    w = app(store_path)
    assert "at most 128" in w.children[-1].children[0].children[0].value


def test_app_without_store(tmp_path):
    w = app(tmp_path / "missing")
    text = w.children[-1].value
    assert "lb-error" in text and "liveboard simulate" in text and "liveboard import" in text


def test_downloads_decode(wb, tmp_path):
    sid = hostile_id(wb)
    d = SessionDetail(wb.session(sid))
    links = dict(re.findall(r'class="(lb-download-\w+)"[^>]*href="([^"]+)"', d.downloads.value))
    assert set(links) == {"lb-download-events", "lb-download-comments"}
    events = decode_data_url(links["lb-download-events"])
    path = tmp_path / "events.jsonl"
    path.write_bytes(events)
    back = read_event_log(path)
    assert back.bad.num_rows == 0
    assert back.events.num_rows == wb.session(sid).events().num_rows
    assert set(back.events["session_id"].to_pylist()) == {sid}
    texts = set(back.events.filter(pc.equal(back.events["type"], "comment"))["text"].to_pylist())
    assert set(HOSTILE_COMMENTS) <= texts
    comments = list(csv.DictReader(io.StringIO(decode_data_url(links["lb-download-comments"]).decode("utf-8"))))
    assert len(comments) == len(wb.session(sid).comments())
    got = {r["text"] for r in comments}
    assert '\'=HYPERLINK("http://x","y")' in got and "'+SUM(1)" in got and "<b>bold</b> hello" in got
    assert not any(r["text"].startswith(("=", "+", "-", "@")) for r in comments)


def test_downloads_bounded(wb, monkeypatch, tmp_path):
    from liveboard.views import session_detail

    sid = hostile_id(wb)
    # a large session: the events download is built on request, then (smaller limit) refused with the CLI
    monkeypatch.setattr(session_detail, "AUTO_DOWNLOAD_EVENTS", 10)
    d = SessionDetail(wb.session(sid))
    assert "lb-download-events" not in d.downloads.value and "lb-download-comments" in d.downloads.value
    assert d.prepare.layout.display == "" and "events" in d.prepare.description
    monkeypatch.setattr(session_detail, "PLAIN_DOWNLOAD_BYTES", 1000)  # → gzip
    d.prepare.click()
    assert d.prepare.layout.display == "none"
    link = re.search(r'class="lb-download-events" download="([^"]+)" href="([^"]+)"', d.downloads.value)
    assert link and link.group(1) == f"{sid}.jsonl.gz"
    path = tmp_path / "e.jsonl.gz"
    path.write_bytes(decode_data_url(link.group(2)))
    assert read_event_log(path).events.num_rows == wb.session(sid).events().num_rows
    monkeypatch.setattr(session_detail, "MAX_DOWNLOAD_EVENTS", 10)
    d = SessionDetail(wb.session(sid))
    d.prepare.click()
    assert "too many to download" in d.downloads.value and "liveboard export" in d.downloads.value


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


def test_single_account_hides_selector(tmp_path):
    path = build_store(tmp_path / "one", sessions=3, accounts=1, scale=0.01)
    v = LiveAnalytics(liveboard.open(path), now=NOW)
    assert v.account.layout.display == "none"


def test_repr_mimebundle(view):
    bundle = view._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_refresh_for_request_rereads_a_changed_store(tmp_path):
    path = build_store(tmp_path / "grow", sessions=2, accounts=1, scale=0.01)
    v = LiveAnalytics(liveboard.open(path), now=NOW, search_delay=0)
    assert rows(v) == 2
    v.refresh_for_request(now=NOW)  # unchanged store: no re-read needed, still right
    assert rows(v) == 2
    extra = next(iter(simulate(7, accounts=1, sessions=1, scale=0.01, now=NOW)))
    Store(path).append(extra)
    v.refresh_for_request(now=NOW)
    assert rows(v) == 3 and "3 in this store" in v.title.value


def test_session_links_are_escaped_query_links(wb):
    v = LiveAnalytics(wb, now=NOW, search_delay=0, session_links=True)
    sid = hostile_id(wb)
    assert f'href="?session={sid}"' in v.table.value
    assert v._title_cell("<x>", 'a"&b c') == (
        '<a class="lb-open-link" href="?session=a%22%26b%20c" target="_self">&lt;x&gt;</a>'
        '<span class="lb-id">a&#34;&amp;b c</span>'
    )
    assert "lb-open-link" not in LiveAnalytics(wb, now=NOW).table.value  # JupyterLab: no page links


def test_failures_show_a_message_not_a_traceback(view, wb, monkeypatch, store_path):
    sid = hostile_id(wb)

    def boom(*_a, **_k):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(type(wb), "session", boom)
    assert view.open_session(sid) is False
    text = view.detail_box.children[0].value
    assert "could not be opened (RuntimeError)" in text and "disk on fire" not in text
    monkeypatch.setattr(type(wb), "sessions", boom)
    w = app(store_path)
    assert "could not be read (RuntimeError)" in w.children[-1].value


def test_product_tips_show_their_evidence(wb, monkeypatch):
    import pandas as pd

    from liveboard.workbench import SessionData

    products = pd.DataFrame(
        {
            "product_id": ["p1", "p2", "p3"],
            "name": ["Star serum", "<i>Lure</i> lipstick", "Plain soap"],
            "price": [10.0, 20.0, 5.0],
            "impressions": [1000, 1000, 1000],
            "clicks": [200, 200, 50],
            "ctr": [0.2, 0.2, 0.05],
            "sku_orders": [60, 5, 10],
            "items_sold": [60, 5, 10],
            "gmv": [600.0, 100.0, 50.0],
            "ctor": [0.3, 0.025, 0.2],
            "featured_s": [900.0, 600.0, 300.0],
            "pins": [2, 1, 1],
        }
    )
    monkeypatch.setattr(SessionData, "products", lambda self: products)
    d = SessionDetail(wb.session(hostile_id(wb)))
    h = d.products_html.value
    assert "Star serum: high CTR and CTOR" in h and "Extend its display time" in h
    assert "&lt;i&gt;Lure&lt;/i&gt; lipstick: high CTR, low CTOR" in h and "<i>" not in h
    assert "CTR 20.00% (median 20.00%)" in h and "CTOR 2.50% (median 20.00%)" in h and "featured 15min" in h


def test_opening_another_session_frees_the_previous_board(view, wb):
    from ipywidgets.widgets.widget import _instances

    ids = list(wb.sessions()["session_id"][:2])
    assert view.open_session(ids[0])
    first = view.detail
    before = len(_instances)
    assert view.open_session(ids[1])
    assert first.widget.comm is None and first.traffic_chart.figure.comm is None
    assert first.traffic_chart.lines[0].comm is None
    assert len(_instances) <= before + 5  # the new board replaces the old one, it does not pile up


def test_reports_tab_lists_generated_reports(tmp_path):
    from liveboard.pages.analytics import view as live_analytics
    from liveboard.pages.reports import generate_report
    from liveboard.simulator import simulate_session

    store = tmp_path / "store"
    start = datetime(2026, 3, 1, 12, tzinfo=UTC)
    Store(store, create=True).append(simulate_session("r1", "shop", start, 600, seed=1, scale=0.05, title="<b>T</b>"))
    view = live_analytics(liveboard.open(store))
    view.nav.value = "reports"
    listing = view.views["reports"].children[1]
    assert "No reports" in listing.children[0].value
    generate_report(store, "r1")  # reports/ beside the store: what the tab lists
    view.nav.value = "list"
    view.nav.value = "reports"  # listed afresh when the tab opens again
    table = listing.children[0].value
    assert "r1" in table and "&lt;b&gt;T&lt;/b&gt;" in table and "<b>T" not in table


def _shown_ids(view: LiveAnalytics) -> list[str]:
    return re.findall(r'lb-id">([^<]*)<', view.table.value)


def test_header_click_sorts_and_second_click_reverses(wb):
    v = LiveAnalytics(wb, now=NOW, search_delay=0)
    df = wb.sessions()
    gmv = v.table._heads["gmv"]
    gmv.click()
    assert (v.sort.value, v.order.value) == ("gmv", "desc")  # the dropdown follows the header
    want = df.sort_values("gmv", ascending=False, kind="stable")["session_id"].tolist()
    assert _shown_ids(v) == want
    assert gmv.description == "GMV ▼" and "lb-sorted" in gmv._dom_classes
    assert "lb-sorted" not in v.table._heads["start"]._dom_classes
    gmv.click()
    assert v.order.value == "asc" and gmv.description == "GMV ▲"
    assert _shown_ids(v) == df.sort_values("gmv", ascending=True, kind="stable")["session_id"].tolist()
    v.table._heads["title"].click()  # text sorts A→Z first
    titles = [t for t in df.sort_values("title", key=lambda s: s.str.lower())["session_id"]]
    assert (v.sort.value, v.order.value) == ("title", "asc") and _shown_ids(v) == titles
    v.table.on_sort("__class__")  # a key the page does not offer changes nothing
    assert v.sort.value == "title"


def test_row_click_opens_its_session(wb):
    v = LiveAnalytics(wb, now=NOW, search_delay=0)
    v.table._heads["gmv"].click()
    third = _shown_ids(v)[2]
    v.table.rows[2].button.click()
    assert v.nav.value == "detail" and v.detail is not None and v.detail.sd.id == third
    assert third in v.table.rows[2].button.tooltip
    v.nav.value = "list"
    v.table._open_row(999)  # an index past the shown rows opens nothing
    assert v.nav.value == "list"


def test_column_chooser_is_checkboxes(wb):
    import ipywidgets as W

    v = LiveAnalytics(wb, now=NOW, search_delay=0)
    assert v.columns.boxes and all(isinstance(b, W.Checkbox) for b in v.columns.boxes.values())
    assert set(v.columns.grid.children) == set(v.columns.boxes.values())
    assert not any(isinstance(w, W.SelectMultiple) for w in _tree(v.columns.widget))
    assert v.columns.value == category_columns("key")
    # collapsed at first, behind a toggle that says how many are shown
    assert not v.columns.expanded and v.columns.grid.layout.display == "none"
    total = len(v.columns.options)
    assert v.columns.summary_label.value == f"{len(category_columns('key'))} of {total} shown"
    v.columns.toggle.value = True
    assert v.columns.expanded and v.columns.grid.layout.display != "none"
    v.columns.boxes["pcu"].value = True
    assert ">PCU<" in v.table.value and "pcu" in v.table._heads
    v.columns.boxes["gmv"].value = False
    assert not re.search(">GMV( [▲▼])?<", v.table.value)
    v.columns.value = ("views", "nope")  # unknown keys ignored
    assert v.columns.value == ("views",)
    assert v.columns.summary_label.value == f"1 of {total} shown"


def _tree(w):
    """A widget and every widget under it (through ``children``)."""
    yield w
    for c in getattr(w, "children", ()):
        yield from _tree(c)


def test_download_labels_name_the_file_type_once(wb):
    v = LiveAnalytics(wb, now=NOW, search_delay=0)
    v.open_session(v.pick.value)
    labels = re.findall(r">(Download [^<]*)<", v.detail.downloads.value)
    assert any(t.startswith("Download comments (.csv) · ") for t in labels), labels
    assert all(t.count("(.") == 1 for t in labels), labels


def test_report_list_frame_and_store_message_escape_text(tmp_path):
    """The templates of the Reports tab and of the page's messages escape what they show."""
    from liveboard.pages.analytics import store_missing_message
    from liveboard.views.reports import ReportList, report_frame

    page = tmp_path / "r.html"
    page.write_text('<p title="a&b">x</p><script>alert(1)</script>', encoding="utf-8")
    listing = pd.DataFrame(
        {
            "html": ["r.html"],
            "title": [HOSTILE_TITLE],
            "session_id": ["s1"],
            "start": [pd.Timestamp("2026-10-01", tz="UTC")],
            "gmv": [12.5],
            "currency": ["USD"],
            "generated_at": ["2026-10-02T00:00:00Z"],
        }
    )
    lst = ReportList(lambda _folder: listing, tmp_path)
    assert "&lt;img src=x onerror=alert(1)&gt;" in lst.table.value and "<img" not in lst.table.value
    assert "lb-table" in lst.table.value and "$12.50" in lst.table.value
    frame = report_frame(page)
    assert frame.startswith('<iframe class="lb-report-frame" sandbox=""') and "<script" not in frame
    assert "&lt;script&gt;" in frame and "&amp;" in frame
    msg = store_missing_message("<b>/x&y</b>")
    assert "&lt;b&gt;/x&amp;y&lt;/b&gt;" in msg and "<b>" not in msg and "liveboard simulate" in msg
