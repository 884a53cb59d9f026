"""liveboard/views/session_list.py: the LIVE list's table as widgets, header Buttons that sort and row Buttons
that open, with what a click sends back checked against what is shown."""

from __future__ import annotations

import ipywidgets as W

from liveboard.views.session_list import NUMBER_PX, TITLE_PX, SessionTable, sort_by_header, width_of
from liveboard.views.widgets import Column

HOSTILE = "<img src=x onerror=alert(1)>"
COLUMNS = [Column("title", "Title"), Column("gmv", "GMV", numeric=True)]


def pickers() -> tuple[W.Dropdown, W.ToggleButtons]:
    sort = W.Dropdown(options=[("Title", "title"), ("GMV", "gmv")], value="gmv")
    order = W.ToggleButtons(options=["asc", "desc"], value="desc")
    return sort, order


def test_a_header_click_sorts_then_reverses_and_unknown_keys_are_refused():
    sort, order = pickers()
    assert sort_by_header(sort, order, "title", ["title"]) and (sort.value, order.value) == ("title", "asc")
    assert sort_by_header(sort, order, "title", ["title"]) and order.value == "desc"
    assert sort_by_header(sort, order, "gmv", ["title"]) and (sort.value, order.value) == ("gmv", "desc")
    assert not sort_by_header(sort, order, "__class__", ["title"]) and sort.value == "gmv"
    assert width_of("title") == TITLE_PX and width_of("gmv") == NUMBER_PX


def test_rows_show_escaped_figures_and_a_click_opens_only_a_shown_session():
    sorted_by, opened = [], []
    table = SessionTable(sorted_by.append, opened.append, page_size=3)
    records = [{"title": HOSTILE, "_plain_title": HOSTILE, "gmv": "$12.00"}, {"title": "B", "gmv": "$1.00"}]
    table.draw(records, COLUMNS, ["s1", "s2"], sort_key="gmv", ascending=False, empty="No sessions")
    assert "&lt;img src=x onerror=alert(1)&gt;" in table.value and "<img" not in table.value
    assert "$12.00" in table.value and "GMV ▼" in table.value
    assert table.rows[0].button.description == "Open " + HOSTILE and table.rows[2].box.layout.display == "none"
    table.rows[1].button.click()
    table._open_row(2)  # a row index from the browser that shows nothing
    table._open_row(-1)
    assert opened == ["s2"]
    table._heads["title"].click()
    assert sorted_by == ["title"]
    table.draw([], COLUMNS, [], sort_key="gmv", ascending=True, empty="No sessions")
    assert "No sessions" in table.value and "$12.00" not in table.value
    assert all(r.box.layout.display == "none" and not r.cells.value for r in table.rows)
