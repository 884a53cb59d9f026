"""The one presentation layer: Jinja2 templates with autoescaping, the one stylesheet, and the components
(KPI card, table, tip, section, notes) that LIVE Analytics, the LIVE Board and the report all use.

Escaping is the default: anything passed to a template is escaped unless it is :class:`markupsafe.Markup`,
which only the components (and templates) produce. Python code asks for ``components().card(...)`` and gets
Markup back, so a component's output can go into another template or component without being escaped twice.

Templates live in ``liveboard/templates`` and the stylesheet in ``liveboard/static``, both shipped as package
data; nothing is fetched from the network.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import resources
from typing import Any

import jinja2
from markupsafe import Markup

from liveboard import format as fmt
from liveboard.metrics import REGISTRY

__all__ = [
    "Card",
    "Col",
    "Markup",
    "cards",
    "columns",
    "components",
    "header",
    "label",
    "render",
    "stylesheet",
    "style_tag",
]


@functools.cache
def stylesheet() -> Markup:
    """The one stylesheet, as shipped in the package (``liveboard/static/liveboard.css``)."""
    text = resources.files("liveboard").joinpath("static/liveboard.css").read_text(encoding="utf-8")
    return Markup(text)


@functools.cache
def style_tag() -> Markup:
    """``<style>`` with the stylesheet: put once at the top of a page, a notebook output or a report."""
    return components().style()


#: Labels of the per-minute columns that are not metrics of the registry (``online``: the views open at a
#: minute's end); every other label is the registry's.
NOT_METRICS = {"online": "Online viewers"}


def label(metric: str) -> str:
    """A metric's label from the registry (the one name every surface shows); the key itself if unknown."""
    m = REGISTRY.get(metric)
    return m.label if m is not None else NOT_METRICS.get(metric, metric)


#: The tables that the LIVE Board, LIVE Analytics' session page and the report all show, and the header of each
#: of their columns, named once here: a column that is a registry metric has its label; the others (a
#: product's own impressions, clicks and CTR are not the session's metrics) are named in this one place.
TABLE_HEADERS: dict[str, dict[str, str]] = {
    "channels": {
        "channel": "Channel",
        "group": "Group",
        "impressions": "Impressions",
        **{m: label(m) for m in ("views", "viewers", "enter_room_rate", "gmv")},
        "gmv_share": "GMV share",
    },
    "products": {
        "title": "Product",
        "product_id": "Product id",
        "price": "Price",
        "impressions": "Impressions",
        "clicks": "Clicks",
        "ctr": "CTR",
        **{m: label(m) for m in ("sku_orders", "items_sold", "gmv", "ctor")},
        "featured_s": "Featured time",
        "tip": "Tip",
    },
    "giveaways": {
        "prize": "Prize",
        "start": "Start time",
        "end": "End time",
        "status": "Status",
        "duration": "Duration",
        "view_uv": "View UV",
        "click_uv": "Click UV",
        "participants": "Participants",
        "winners": "Winners",
        "winners_planned": "Planned winners",
        "gmv_during": "GMV during",
    },
    "violations": {
        "time": "Time",
        "minute": "Minute",
        "policy": "Policy",
        "severity": "Severity",
        "detail": "Detail",
        "fix": "Suggested fix",
    },
}
#: Columns of those tables that hold text, not numbers (they are not right-aligned).
TEXT_COLUMNS = frozenset(
    {"channel", "group", "title", "product_id", "tip", "prize", "start", "end", "status"}
    | {"time", "policy", "severity", "detail", "fix"}
)


def header(table: str, key: str) -> str:
    """The header of a column of one of :data:`TABLE_HEADERS`' tables (a KeyError names a column not there)."""
    return TABLE_HEADERS[table][key]


def columns(table: str, keys: Iterable[str]) -> list[Col]:
    """The ``table`` component's columns for those keys of one of :data:`TABLE_HEADERS`' tables, in that order."""
    return [Col(k, header(table, k), numeric=k not in TEXT_COLUMNS) for k in keys]


@functools.cache
def environment() -> jinja2.Environment:
    """One environment per process: autoescape on for every template, undefined names are errors."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("liveboard", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.globals.update(missing=fmt.MISSING, stylesheet=stylesheet(), label=label)
    env.filters.update(
        count=fmt.count,
        rate=fmt.rate,
        money=fmt.money,
        duration=fmt.duration,
        when=fmt.when,
        metric=lambda value, name, currency="USD": fmt.metric(name, value, currency),
    )
    return env


def render(template: str, **context: Any) -> Markup:
    """A template of ``liveboard/templates`` rendered with ``context`` (escaped unless Markup)."""
    return Markup(environment().get_template(template).render(**context))


class Macros:
    """A template's macros as Python functions returning Markup."""

    def __init__(self, module: Any):
        self._module = module

    def __getattr__(self, name: str) -> Callable[..., Markup]:
        macro = getattr(self._module, name)

        def call(*args: Any, **kwargs: Any) -> Markup:
            return Markup(macro(*args, **kwargs))

        call.__name__ = name
        return call


@functools.cache
def macros(template: str) -> Macros:
    """The macros of a template of ``liveboard/templates``, callable from Python (``macros(t).name(...)``)."""
    return Macros(environment().get_template(template).module)


def components() -> Macros:
    """``components().card(label, value, ...)``, ``.table(...)``, ``.tip(tip)``, ``.note(text)``, …"""
    return macros("components.html.j2")


@dataclass(frozen=True)
class Col:
    """A table column for the ``table`` component: its key, its header, whether it is a number."""

    key: str
    label: str
    numeric: bool = False
    nowrap: bool = False


@dataclass(frozen=True)
class Card:
    """A card for the ``cards`` component (``sub`` may be Markup: a source line, a versus arrow)."""

    label: str
    value: str
    sub: str = ""
    tip: str = ""
    key: str = ""
    css: str = ""


def cards(items: Iterable[Card], css: str = "") -> Markup:
    """A row of KPI cards."""
    return components().cards(list(items), css)
