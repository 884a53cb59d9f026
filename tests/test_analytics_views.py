"""LIVE Analytics widgets on a simulated store, without a browser (liveboard.views.analytics): the sessions
list, its filters, sorting and columns, and opening a session. The overview and events tabs are in
tests/test_analytics_tabs_views.py, a session's page in test_session_detail_views.py, the page's entry point in
test_analytics_pages.py."""

from __future__ import annotations

import re

import pytest
from analytics_helpers import NOW, build_store, hostile_id

import liveboard
from liveboard.pages.analytics import app
from liveboard.pages.params import query_session
from liveboard.simulator import simulate
from liveboard.store import Store
from liveboard.views import format as fmt
from liveboard.views.analytics import LiveAnalytics, category_columns
from liveboard.views.session_detail import open_detail, validate_session_id
from liveboard.workbench import InputError


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
