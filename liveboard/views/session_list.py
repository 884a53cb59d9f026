"""The LIVE list's table as widgets: header cells are Buttons (a click sorts), each row carries a Button over
it (a click opens the session). The column chooser is a :class:`liveboard.views.widgets.MultiChoice`.

Voilà strips custom JavaScript, so every click must come from a widget; the row's figures stay escaped HTML
(:func:`liveboard.views.widgets.html_table` builds them) and what a click sends back (a header's key, a row's
index) is checked here against what the table shows. :class:`SortHeader` and :func:`sort_by_header` are the
Accounts table's header too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import ipywidgets as W

from liveboard import markup
from liveboard.views import format as fmt
from liveboard.views.widgets import Column, html_table, macros

#: Column widths in pixels: one table per row lines up with the header only with fixed widths.
TITLE_PX, SOURCES_PX, START_PX, NUMBER_PX = 260, 110, 150, 104
UNSORTABLE = frozenset({"_sources"})
TEMPLATE = "analytics/page.html.j2"


def width_of(key: str) -> int:
    """A column's width in pixels (the header Button and every row's cell share it)."""
    return {"title": TITLE_PX, "_sources": SOURCES_PX, "start": START_PX}.get(key, NUMBER_PX)


def sort_by_header(sort: W.Dropdown, order: W.ToggleButtons, key: object, text_keys: Sequence[str]) -> bool:
    """A header click on ``key``: sort by that column (text A→Z first, figures highest first), or reverse the
    order when it is the sorted one already. ``key`` comes from the browser: only one of ``sort``'s options is
    taken (returns False for any other)."""
    if key not in {v for _l, v in sort.options}:
        return False
    if sort.value == key:
        order.value = "asc" if order.value == "desc" else "desc"
    else:
        sort.value = key
        order.value = "asc" if key in text_keys else "desc"
    return True


class SortHeader:
    """A table's header as Buttons, one per column: a click calls ``on_sort(key)``; the sorted column shows ▲ or
    ▼. ``value`` is the same header as an HTML table (what tests and readers see)."""

    def __init__(
        self,
        on_sort: Callable[[str], None],
        *,
        css_class: str = "lb-sessions-head",
        table_css: str = "lb-sessions",
        width: Callable[[str], int] = width_of,
        unsortable: frozenset[str] = UNSORTABLE,
    ):
        self.on_sort = on_sort
        self.width = width
        self.unsortable = unsortable
        self.table_css = table_css
        self._heads: dict[str, W.Button] = {}
        self.widget = W.HBox([])
        self.widget.add_class(css_class)
        self.value: markup.Markup | str = ""

    def button(self, key: str) -> W.Button:
        """The header Button of a column (made once, kept while the column comes and goes)."""
        if key not in self._heads:
            px = f"{self.width(key)}px"
            b = W.Button(layout=W.Layout(width=px, min_width=px))
            b.add_class("lb-head-cell")
            b.add_class(f"lb-head-{key}")
            b.on_click(lambda _b, k=key: self.on_sort(k))
            self._heads[key] = b
        return self._heads[key]

    def draw(self, columns: Sequence[Column], sort_key: str, ascending: bool) -> None:
        cells: list[W.Widget] = []
        heads = []
        for c in columns:
            arrow = (" ▲" if ascending else " ▼") if c.key == sort_key else ""
            heads.append({"label": c.label, "arrow": arrow, "numeric": c.numeric})
            if c.key in self.unsortable:
                cells.append(W.HTML(macros(TEMPLATE).head_static(c.label, self.width(c.key))))
                continue
            b = self.button(c.key)
            with b.hold_sync():
                b.description = c.label + arrow
                b.tooltip = f"Sort by {c.label}" + (" (click again to reverse)" if arrow else "")
                for cls, on in (("lb-sorted", bool(arrow)), ("lb-num", c.numeric)):
                    (b.add_class if on else b.remove_class)(cls)
            cells.append(b)
        old = [w for w in self.widget.children if w not in self._heads.values()]
        self.widget.children = cells
        for w in old:
            w.close()
        self.value = macros(TEMPLATE).head_table(heads, self.table_css)


class _Row:
    """One session row: its figures as a one-row HTML table, and a transparent Button over it that opens it."""

    def __init__(self, on_click: Callable[[int], None], i: int):
        self.button = W.Button(description="", layout=W.Layout(width="100%", height="100%"))
        self.button.add_class("lb-row-open")
        self.button.on_click(lambda _b: on_click(i))
        self.cells = W.HTML("")
        self.box = W.Box([self.cells, self.button], layout=W.Layout(display="none"))
        self.box.add_class("lb-session-row")


class SessionTable:
    """Header Buttons that sort, rows that open their session; ``value`` is the shown table as HTML (tests
    and readers see exactly the cells the rows show)."""

    def __init__(self, on_sort: Callable[[str], None], on_open: Callable[[str], object], page_size: int):
        self.on_sort = on_sort
        self.on_open = on_open
        self.header = SortHeader(on_sort)
        self._heads = self.header._heads  # the header Buttons by column key (tests click them)
        self.head = self.header.widget
        self.rows = [_Row(self._open_row, i) for i in range(page_size)]
        self.empty = W.HTML("")
        self.widget = W.VBox([self.head, *(r.box for r in self.rows)])
        self.widget.children = (*self.widget.children, self.empty)
        self.widget.add_class("lb-sessions-table")
        self._ids: list[str] = []

    # the old HTML widget's interface, read by tests and notebooks
    @property
    def value(self) -> str:
        shown = markup.Markup("").join(r.cells.value for r in self.rows[: len(self._ids)])
        return self.header.value + shown + self.empty.value

    @property
    def _dom_classes(self) -> tuple[str, ...]:
        return self.widget._dom_classes

    def draw(
        self,
        records: list[dict],
        columns: Sequence[Column],
        ids: Sequence[str],
        *,
        sort_key: str,
        ascending: bool,
        empty: str,
    ) -> None:
        """Show ``records`` (at most one page) under a header of ``columns``; ``ids`` are the rows' sessions."""
        self.header.draw(columns, sort_key, ascending)
        self._ids = [str(i) for i in ids][: len(self.rows)]
        widths = [width_of(c.key) for c in columns]
        for i, row in enumerate(self.rows):
            if i < len(self._ids):
                with row.button.hold_sync():
                    row.button.tooltip = f"Open session {self._ids[i]}"[:300]
                    title = records[i].get("_plain_title")
                    row.button.description = "Open " + (self._ids[i] if fmt.is_missing(title) else str(title))[:120]
                # no header per row: the Buttons are the header
                row.cells.value = html_table([records[i]], columns, "lb-sessions", widths=widths, head=False)
                row.box.layout.display = ""
            elif row.box.layout.display != "none" or row.cells.value:
                row.cells.value = ""  # a hidden row holds no cells: the page shows only what is listed
                row.box.layout.display = "none"
        self.empty.value = "" if self._ids else html_table([], columns, "lb-sessions", empty=empty, head=False)

    def _open_row(self, i: int) -> None:
        if 0 <= i < len(self._ids):  # a row index from the browser: only the rows shown
            self.on_open(self._ids[i])
