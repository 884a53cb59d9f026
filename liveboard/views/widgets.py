"""Small widget helpers shared by the dashboards: CSS, escaped HTML tables, cards, downloads, debouncing.

Everything that puts text into HTML goes through :func:`liveboard.views.format.esc`; nothing here runs
custom JavaScript, so it all works the same in Voilà and JupyterLab.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import ipywidgets as W
import pandas as pd

from liveboard.views import format as fmt

CSS = """
<style>
.lb-app { font-family: -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, sans-serif; color: #1f2430;
  max-width: 1240px; }
.lb-app h2.lb-h { font-size: 20px; margin: 6px 0 2px 0; font-weight: 650; }
.lb-app h3.lb-h { font-size: 15px; margin: 14px 0 6px 0; font-weight: 650; color: #2b3040; }
.lb-app .lb-muted { color: #6b7280; font-size: 12px; }
.lb-app .lb-note { color: #4b5563; font-size: 12px; margin: 4px 0; }
.lb-table-wrap { overflow-x: auto; }
.lb-scroll { max-height: 380px; overflow-y: auto; border: 1px solid #eceef3; border-radius: 6px; }
.lb-scroll th { position: sticky; top: 0; }
table.lb-table { border-collapse: collapse; width: 100%; font-size: 13px; }
table.lb-table th { line-height: 1.35; text-align: left; background: #f3f4f8; color: #374151; font-weight: 600; padding: 6px 8px;
  border-bottom: 1px solid #d8dbe3; white-space: nowrap; }
table.lb-table th.lb-sorted { color: #1d4ed8; }
table.lb-table td { padding: 5px 8px; line-height: 1.35; border-bottom: 1px solid #eceef3; vertical-align: top; }
table.lb-table td.lb-num, table.lb-table th.lb-num { text-align: right; font-variant-numeric: tabular-nums;
  white-space: nowrap; }
table.lb-table tr:hover td { background: #f8f9fc; }
table.lb-table tr.lb-event-row td { background: #eef2ff; font-weight: 600; }
table.lb-table tr.lb-nested td.lb-title { padding-left: 26px; }
table.lb-table td.lb-title { max-width: 420px; }
table.lb-table td.lb-nowrap { white-space: nowrap; }
a.lb-open-link { color: #1d4ed8; text-decoration: none; }
a.lb-open-link:hover { text-decoration: underline; }
.lb-id { color: #9aa0ac; font-size: 11px; display: block; line-height: 1.2; }
.lb-cards { display: flex; flex-wrap: wrap; gap: 10px; margin: 6px 0 10px 0; }
.lb-card { background: #fff; border: 1px solid #e3e6ee; border-radius: 10px; padding: 10px 14px; min-width: 130px;
  box-shadow: 0 1px 2px rgba(16, 24, 40, .05); }
.lb-card .lb-card-label { color: #6b7280; font-size: 12px; }
.lb-card .lb-card-value { font-size: 20px; font-weight: 650; margin-top: 2px; }
.lb-card .lb-card-sub { font-size: 11px; margin-top: 2px; color: #6b7280; }
.lb-card .lb-source { display: block; color: #8a90a0; font-size: 10.5px; }
.lb-card.lb-missing .lb-card-value { color: #9aa0ac; }
.lb-not-known { color: #6b4f00; background: #fffaeb; border-left: 3px solid #e9a23b; padding: 4px 8px; }
.lb-partial { background: #fffaeb; border: 1px solid #f5d48a; border-radius: 8px; padding: 8px 12px; margin: 6px 0;
  font-size: 13px; }
.lb-sources { color: #4b5563; font-size: 12px; }
.lb-src { display: inline-block; font-size: 11px; padding: 0 6px; margin: 1px 2px 1px 0; border-radius: 8px;
  background: #eef2ff; color: #3730a3; white-space: nowrap; }
.lb-src-recorder { background: #fef3c7; color: #92400e; }
.lb-src-api { background: #dcfce7; color: #166534; }
.lb-src-export { background: #e0f2fe; color: #075985; }
.lb-up { color: #047857; }
.lb-down { color: #b42318; }
.lb-error { background: #fff4f2; border: 1px solid #f3b8ae; color: #8a1c0c; border-radius: 8px; padding: 10px 14px;
  margin: 8px 0; }
.lb-info { background: #f4f7ff; border: 1px solid #c9d6fb; border-radius: 8px; padding: 8px 12px; margin: 6px 0;
  font-size: 13px; }
.lb-tip { border-left: 4px solid #2a9d8f; background: #f3fbf9; padding: 6px 10px; margin: 6px 0; font-size: 13px; }
.lb-tip.lb-warning { border-left-color: #e9a23b; background: #fffaf0; }
.lb-tip .lb-evidence { color: #4b5563; font-size: 12px; margin-top: 2px; }
.lb-bar { display: inline-block; height: 8px; background: #3a86ff; border-radius: 4px; vertical-align: middle;
  margin-right: 6px; }
.lb-downloads .lb-note { display: inline-block; margin-right: 16px; }
.lb-downloads a { display: inline-block; margin-right: 12px; padding: 6px 12px; border-radius: 6px;
  background: #1d4ed8; color: #fff !important; text-decoration: none; font-size: 13px; }
.lb-section { border: 1px solid #e3e6ee; border-radius: 10px; padding: 8px 14px 12px 14px; margin: 10px 0;
  background: #fff; }
.lb-audience-block table.lb-table { table-layout: fixed; }
.lb-audience-block table.lb-table th:first-child { width: 38%; }
.lb-audience-block table.lb-table th:last-child { width: 18%; }
.lb-sev-high { color: #b42318; font-weight: 600; }
.lb-sev-medium { color: #b54708; font-weight: 600; }
.lb-sev-low { color: #4b5563; }
</style>
"""


def style() -> W.HTML:
    """The dashboards' CSS, as a widget to put once at the top of a page."""
    return W.HTML(CSS, layout=W.Layout(height="0px", overflow="hidden", margin="0"))


def html(value: str = "", *classes: str, **layout) -> W.HTML:
    w = W.HTML(value, layout=W.Layout(**layout) if layout else W.Layout())
    for c in classes:
        w.add_class(c)
    return w


def error_html(message: str) -> str:
    return f'<div class="lb-error">{fmt.esc(message)}</div>'


def error_widget(message: str) -> W.HTML:
    return html(error_html(message), "lb-error-box")


NOWRAP = frozenset({"start", "end", "ts", "session_id"})


@dataclass(frozen=True)
class Column:
    """A table column: ``key`` in the frame, ``label`` shown, ``render`` value → *plain text* (escaped later)."""

    key: str
    label: str
    render: Callable[[object], str] = lambda v: "" if fmt.is_missing(v) else str(v)
    numeric: bool = False
    raw_html: bool = False  # render returns HTML it built from escaped parts itself


def html_table(
    rows: pd.DataFrame | Iterable[dict],
    columns: Sequence[Column],
    css_class: str = "",
    *,
    sorted_key: str | None = None,
    row_classes: Sequence[str] | None = None,
    empty: str = "Nothing to show.",
) -> str:
    """An HTML table where every cell goes through :func:`fmt.esc` (unless a column builds escaped HTML)."""
    records = rows.to_dict("records") if isinstance(rows, pd.DataFrame) else list(rows)
    head = "".join(
        f'<th class="{"lb-num " if c.numeric else ""}{"lb-sorted" if c.key == sorted_key else ""}">'
        f"{fmt.esc(c.label)}{' ⇅' if c.key == sorted_key else ''}</th>"
        for c in columns
    )
    body = []
    for i, rec in enumerate(records):
        cells = []
        for c in columns:
            text = c.render(rec.get(c.key)) if c.key in rec or c.key.startswith("_") else fmt.MISSING
            cells.append(
                f'<td class="{"lb-num" if c.numeric else ""}{" lb-title" if c.key == "title" else ""}'
                f'{" lb-nowrap" if c.key in NOWRAP else ""}">'
                f"{text if c.raw_html else fmt.esc(text)}</td>"
            )
        cls = f' class="{fmt.esc(row_classes[i])}"' if row_classes else ""
        body.append(f"<tr{cls}>{''.join(cells)}</tr>")
    if not body:
        body.append(f'<tr><td colspan="{len(columns)}" class="lb-muted">{fmt.esc(empty)}</td></tr>')
    return (
        f'<div class="lb-table-wrap"><table class="lb-table {fmt.esc(css_class)}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def cards(items: Iterable[tuple]) -> str:
    """Cards of ``(label, value, sub-line as *HTML already escaped*[, tooltip text[, css class]])``.

    The tooltip (plain text, escaped here) says where the figure came from, or why it is missing.
    """
    out = []
    for label, value, sub, *rest in items:
        tip = rest[0] if rest else ""
        css = rest[1] if len(rest) > 1 else ""
        missing = " lb-missing" if value == fmt.MISSING else ""
        title = f' title="{fmt.esc(tip)}"' if tip else ""
        out.append(
            f'<div class="lb-card{" " + fmt.esc(css) if css else ""}{missing}"{title}>'
            f'<div class="lb-card-label">{fmt.esc(label)}</div>'
            f'<div class="lb-card-value">{fmt.esc(value)}</div>'
            + (f'<div class="lb-card-sub">{sub}</div>' if sub else "")
            + "</div>"
        )
    return f'<div class="lb-cards">{"".join(out)}</div>'


def source_line(text: str) -> str:
    """A card's small provenance line (``source: API``, ``as seen by the recorder``, or why it is missing)."""
    return f'<span class="lb-source">{fmt.esc(text)}</span>' if text else ""


def missing_note(reason: str, css: str = "") -> str:
    """A plain note that a part of the board is not known, and why."""
    return f'<div class="lb-note lb-not-known{" " + fmt.esc(css) if css else ""}">Not known: {fmt.esc(reason)}.</div>'


def versus(diff_pct: object) -> str:
    """``▲ 12.0% above average`` / ``▼ 8.1% below average`` as escaped HTML; missing when unknown."""
    if fmt.is_missing(diff_pct):
        return f'<span class="lb-muted">{fmt.MISSING} vs average</span>'
    v = float(diff_pct)
    if abs(v) < 0.0005:
        return '<span class="lb-muted">= average</span>'
    cls, arrow, word = ("lb-up", "▲", "above") if v > 0 else ("lb-down", "▼", "below")
    return f'<span class="{cls}">{arrow} {abs(v) * 100:.1f}% {word} average</span>'


def download_link(payload: bytes, filename: str, mime: str, label: str, css_class: str) -> str:
    """An ``<a download>`` with a base64 data URL: a download straight from the page, without custom JS."""
    b64 = base64.b64encode(payload).decode("ascii")
    return (
        f'<a class="{fmt.esc(css_class)}" download="{fmt.esc(filename)}" '
        f'href="data:{fmt.esc(mime)};base64,{b64}">{fmt.esc(label)}</a>'
    )


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
