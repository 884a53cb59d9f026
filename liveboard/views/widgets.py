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
import traitlets

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


class MultiChoice(traitlets.HasTraits):
    """Choose several of a few options: checkboxes that wrap (not a multi-select listbox, no Ctrl-click).

    ``options`` is a list of ``(label, key)``; ``value`` is the tuple of chosen keys, in the options' order
    (or, with ``keep_order``, in the order they were set or ticked: a ticked key goes last). Keys that are not
    options are dropped, and at most ``max_chosen`` are kept (the other boxes are disabled while that many are
    ticked). ``observe(callback, "value")`` calls ``callback(change)`` when the choice changes, as for any
    widget; ``boxes`` are the checkboxes by key; ``widget`` is what to place on the page.

    With ``collapsible`` the boxes sit behind a toggle button (``title ▾``), closed at first (``expanded``
    opens and closes them); a summary beside it says how many are chosen (``summary``: "3 of 12 shown").
    """

    value = traitlets.Tuple()
    options: traitlets.List[tuple[str, str]] = traitlets.List()

    def __init__(
        self,
        options: Sequence[tuple[str, str]],
        value: Sequence[str] = (),
        *,
        title: str = "",
        verb: str = "shown",
        collapsible: bool = False,
        max_chosen: int | None = None,
        keep_order: bool = False,
        css_class: str = "",
        box_width: str = "180px",
    ) -> None:
        super().__init__()
        self.title = title
        self.verb = verb
        self.max_chosen = max_chosen
        self.keep_order = keep_order
        self.box_width = box_width
        self.boxes: dict[str, W.Checkbox] = {}
        self._syncing = False
        self.grid = W.Box([])
        self.grid.add_class("lb-choices")
        self.summary_label = W.Label("")
        self.summary_label.add_class("lb-choice-summary")
        head: list[W.Widget] = []
        self.toggle: W.ToggleButton | None = None
        if collapsible:
            self.toggle = W.ToggleButton(value=False, tooltip=f"Show or hide the choice of {title.lower() or 'items'}")
            self.toggle.add_class("lb-choice-toggle")
            self.toggle.observe(lambda _c: self._show(), "value")
        elif title:
            head.append(W.Label(title))
            head[-1].add_class("lb-choice-title")
        if self.toggle is not None:
            head.insert(0, self.toggle)
        self.head = W.HBox([*head, self.summary_label])
        self.head.add_class("lb-choice-head")
        self.widget = W.VBox([self.head, self.grid])
        self.widget.add_class("lb-choice")
        if css_class:
            self.widget.add_class(css_class)
        self.options = [(str(label), str(key)) for label, key in options]
        self.value = tuple(value)
        self._show()

    # ------------------------------------------------------------------ state

    @property
    def keys(self) -> tuple[str, ...]:
        """The options' keys, in order."""
        return tuple(k for _label, k in self.options)

    @property
    def summary(self) -> str:
        """How many are chosen, in words: ``3 of 12 shown`` (``, at most 6`` when that many are)."""
        n, total = len(self.value), len(self.options)
        at_most = f", at most {self.max_chosen}" if self.max_chosen is not None and n >= self.max_chosen else ""
        return f"{n} of {total} {self.verb}{at_most}"

    @property
    def expanded(self) -> bool:
        """Whether the boxes show (always, unless ``collapsible``)."""
        return self.toggle is None or bool(self.toggle.value)

    @expanded.setter
    def expanded(self, show: bool) -> None:
        if self.toggle is not None:
            self.toggle.value = bool(show)

    @traitlets.validate("value")
    def _valid_value(self, proposal: traitlets.Bunch) -> tuple[str, ...]:
        keys = self.keys
        wanted = [k for k in dict.fromkeys(str(k) for k in proposal["value"]) if k in keys]
        if not self.keep_order:
            wanted = [k for k in keys if k in wanted]
        return tuple(wanted[: self.max_chosen] if self.max_chosen is not None else wanted)

    @traitlets.observe("options")
    def _options_changed(self, _change: traitlets.Bunch) -> None:
        old = self.boxes
        self.boxes = {}
        for label, key in self.options:
            box = W.Checkbox(value=False, description=label, indent=False, layout=W.Layout(width=self.box_width))
            box.add_class(f"lb-choice-{key}")
            box.observe(self._box_changed, "value")
            self.boxes[key] = box
        self.grid.children = list(self.boxes.values())
        for box in old.values():
            box.close()
        self.value = self.value  # only keys still offered
        self._sync()

    @traitlets.observe("value")
    def _value_changed(self, _change: traitlets.Bunch) -> None:
        self._sync()

    def _box_changed(self, _change: dict) -> None:
        if self._syncing:
            return
        ticked = {k for k, box in self.boxes.items() if box.value is True}
        kept = [k for k in self.value if k in ticked]
        self.value = tuple(kept + [k for k in self.keys if k in ticked and k not in kept])
        self._sync()  # a box the value did not take (past max_chosen) is unticked again

    def _sync(self) -> None:
        """The boxes, the disabled ones and the summary as ``value`` says."""
        chosen = set(self.value)
        full = self.max_chosen is not None and len(chosen) >= self.max_chosen
        self._syncing = True
        try:
            for k, box in self.boxes.items():
                with box.hold_sync():
                    box.value = k in chosen
                    box.disabled = full and k not in chosen
        finally:
            self._syncing = False
        self.summary_label.value = self.summary

    def _show(self) -> None:
        self.grid.layout.display = "" if self.expanded else "none"
        if self.toggle is not None:
            self.toggle.description = f"{self.title or 'Choose'} {'▴' if self.expanded else '▾'}"
