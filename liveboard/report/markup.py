"""The report's HTML: its templates (``liveboard/templates/report/``), the shared components and the standalone
page around them.

Escaping is the templates' default (:mod:`liveboard.markup`): sections pass text and numbers, and only what a
template or component made (a chart, a table, a tip) goes in as markup. The page carries a CSP that forbids
scripts and fetches, and the one stylesheet, once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from liveboard import markup
from liveboard.markup import Col, Markup
from liveboard.views import format as fmt

__all__ = [
    "CSP",
    "Col",
    "Markup",
    "details",
    "page",
    "render",
    "snippets",
    "stylesheet",
    "style_tag",
    "table",
    "unstyled",
]

#: The page's Content-Security-Policy: no script, nothing fetched.
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:"

stylesheet = markup.stylesheet
style_tag = markup.style_tag
components = markup.components


def render(name: str, **context: Any) -> Markup:
    """``liveboard/templates/report/<name>.html.j2`` rendered with ``context``."""
    return markup.render(f"report/{name}.html.j2", **context)


def _macros(name: str) -> markup.Macros:
    return markup.macros(f"report/{name}.html.j2")


def snippets() -> markup.Macros:
    """The report's small macros (``report/snippets.html.j2``) as Python functions returning Markup."""
    return _macros("snippets")


def details() -> markup.Macros:
    """The detail sections (``report/details.html.j2``): ``channels``, ``products``, …, and ``empty``."""
    return _macros("details")


def _f(v: object) -> float:
    """A float, NaN for missing."""
    if fmt.is_missing(v):
        return float("nan")
    try:
        return float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return float("nan")


def table(columns: list[Col], rows: Sequence[Sequence[object]], css: str = "") -> Markup:
    """The ``table`` component: cells are text (escaped there) or Markup made by a template."""
    return components().table(columns, rows, css)


def unstyled(html: str) -> str:
    """``html`` without the stylesheet's ``<style>`` (the header carries it for a notebook; a page has it once)."""
    return html.replace(str(style_tag()), "")


def page(title: str, body: str, meta: Mapping[str, str] | None = None) -> str:
    """A standalone HTML page: no script, nothing fetched (the CSP forbids both), the one stylesheet once.

    ``body`` is HTML made by the report's templates or by nbconvert's exporter (its own templates, which
    escape the notebook's outputs); ``title`` and ``meta`` are text."""
    return str(render("page", csp=Markup(CSP), title=title, body=Markup(unstyled(body)), meta=dict(meta or {})))
