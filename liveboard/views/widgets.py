"""Small widget helpers shared by the dashboards: the stylesheet widget, tables and cards (the components of
:mod:`liveboard.markup`, so they escape by default), downloads, debouncing.

Every helper that makes HTML returns :class:`markupsafe.Markup` (it came from a component or a template); plain
text passed to them is escaped. Join their results only with other Markup (``Markup + str`` and ``str + Markup``
both escape the ``str``), or better, pass them to a template.

Nothing here runs custom JavaScript, so it all works the same in Voilà and JupyterLab.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import ipywidgets as W
import pandas as pd

from liveboard import markup
from liveboard.views import format as fmt


def style() -> W.HTML:
    """The one stylesheet (:func:`liveboard.markup.style_tag`), as a widget to put once at the top of a page."""
    return W.HTML(markup.style_tag(), layout=W.Layout(height="0px", overflow="hidden", margin="0"))


#: The macros of a template under ``liveboard/templates`` (``macros("analytics/detail.html.j2").header(...)``);
#: each returns Markup, its arguments escaped unless they are Markup.
macros = markup.macros


def html(value: str = "", *classes: str, **layout) -> W.HTML:
    w = W.HTML(value, layout=W.Layout(**layout) if layout else W.Layout())
    for c in classes:
        w.add_class(c)
    return w


def error_html(message: str) -> markup.Markup:
    return markup.components().error(message)


def error_widget(message: str) -> W.HTML:
    return html(error_html(message), "lb-error-box")


NOWRAP = frozenset({"start", "end", "ts", "session_id"})


@dataclass(frozen=True)
class Column:
    """A table column: ``key`` in the frame, ``label`` shown, ``render`` value → *plain text* (escaped by the
    template), or Markup made by a component or template (``raw_html``: say so; a plain str is still escaped)."""

    key: str
    label: str
    render: Callable[[Any], str] = lambda v: "" if fmt.is_missing(v) else str(v)
    numeric: bool = False
    raw_html: bool = False  # render returns Markup (from a component or template)


def html_table(
    rows: pd.DataFrame | Iterable[dict],
    columns: Sequence[Column],
    css_class: str = "",
    *,
    sorted_key: str | None = None,
    row_classes: Sequence[str] | None = None,
    empty: str = "Nothing to show.",
    widths: Sequence[int] | None = None,
    head: bool = True,
) -> markup.Markup:
    """The ``table`` component over records: each column renders plain text (escaped by the template), or
    Markup from a component or template (``raw_html``)."""
    records = rows.to_dict("records") if isinstance(rows, pd.DataFrame) else list(rows)
    cols = [markup.Col(c.key, c.label, c.numeric, c.key in NOWRAP) for c in columns]
    body = [
        [_cell(c, rec.get(c.key)) if c.key in rec or c.key.startswith("_") else fmt.MISSING for c in columns]
        for rec in records
    ]
    return markup.components().table(
        cols, body, css_class, sorted_key, list(row_classes) if row_classes else None, empty, widths, head
    )


def _cell(column: Column, value: object) -> str:
    """A cell as the template takes it: plain text is escaped there, Markup (from a component) goes in as is."""
    return column.render(value)


def cards(items: Iterable[tuple]) -> markup.Markup:
    """Cards of ``(label, value, sub-line[, tooltip text[, css class]])``: the sub-line is plain text (escaped)
    or Markup from a component (a versus arrow, a source line).

    The tooltip (plain text) says where the figure came from, or why it is missing.
    """
    made = []
    for label, value, sub, *rest in items:
        tip = rest[0] if rest else ""
        css = rest[1] if len(rest) > 1 else ""
        made.append(markup.Card(label, value, sub or "", tip, "", css))
    return markup.cards(made)


def source_line(text: str) -> markup.Markup:
    """A card's small provenance line (``source: API``, ``as seen by the recorder``, or why it is missing)."""
    return markup.components().source(text) if text else markup.Markup("")


def missing_note(reason: str, css: str = "") -> markup.Markup:
    """A plain note that a part of the board is not known, and why."""
    return markup.components().not_known(reason, css)


def versus(diff_pct: Any) -> markup.Markup:
    """``▲ 12.0% above average`` / ``▼ 8.1% below average`` as markup; missing when unknown."""
    return markup.components().versus(None if fmt.is_missing(diff_pct) else float(diff_pct))


def download_link(payload: bytes, filename: str, mime: str, label: str, css_class: str) -> markup.Markup:
    """An ``<a download>`` with a base64 data URL: a download straight from the page, without custom JS."""
    b64 = base64.b64encode(payload).decode("ascii")
    return markup.components().download(b64, filename, mime, label, css_class)


def decode_data_url(href: str) -> bytes:
    """The bytes of a ``data:...;base64,...`` URL (tests and the benchmark read downloads back with it)."""
    head, _, data = href.partition(",")
    if not head.startswith("data:") or not head.endswith(";base64"):
        raise ValueError("not a base64 data URL")
    return base64.b64decode(data)


def close_tree(root: object) -> int:
    """Close ``root`` and every widget reachable through its synced traits (children, marks, axes, scales,
    layouts); returns how many were closed. Frees the kernel-side models of a view that is replaced."""
    seen: set[int] = set()
    stack: list[object] = [root]
    closed = 0
    while stack:
        obj = stack.pop()
        if isinstance(obj, (list, tuple)):
            stack.extend(obj)
            continue
        if isinstance(obj, dict):
            stack.extend(obj.values())
            continue
        if not isinstance(obj, W.Widget) or id(obj) in seen:
            continue
        seen.add(id(obj))
        for key in obj.keys:
            if not key.startswith("_"):
                stack.append(getattr(obj, key, None))
        if obj.comm is not None or getattr(obj, "_model_id", None):
            closed += 1
        obj.close()
    return closed


class Debouncer:
    """Call ``fn`` once, ``delay`` seconds after the last :meth:`trigger`.

    Inside a kernel (Voilà, JupyterLab) the call is scheduled on the running asyncio loop; without a running
    loop (plain Python, tests) it happens at once.
    """

    def __init__(self, fn: Callable[[], None], delay: float = 0.25):
        self.fn = fn
        self.delay = delay
        self._handle: asyncio.Handle | None = None

    def trigger(self, *_args) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is None or self.delay <= 0:
            self.fn()
            return
        self._handle = loop.call_later(self.delay, self._fire)

    def _fire(self) -> None:
        self._handle = None
        self.fn()
