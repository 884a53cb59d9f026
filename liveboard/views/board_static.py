"""The LIVE Board's fixed parts: timings, cards and trend labels (the metric registry's), the template parts and
table it is drawn with, and the two pages without a running board (a message saying what went wrong; a stored
session that has no events to replay).

Kept apart from :mod:`liveboard.views.board` (the board and its refresh loop) so each reads on its own. Every
piece of HTML comes from a template of ``liveboard/templates/board`` or a component (escaped by default); the
stylesheet is the one of :mod:`liveboard.markup`.
"""

from __future__ import annotations

import functools
from urllib.parse import quote

import ipywidgets as W

from liveboard import markup
from liveboard.metrics import TREND_COLUMNS
from liveboard.views import format as fmt
from liveboard.views.charts import TimeChart
from liveboard.views.coverage import Coverage, known_columns, per_interval

TICK_S = 0.25  # redraw cards and status at 4 Hz
SLOW_S = 1.0  # charts and tables at most once a second
COMMENTS_SHOWN = 50
MAX_TREND_METRICS = 6
TIME_FILTERS = (("Last 5 min", 5), ("Last 15 min", 15), ("Last 60 min", 60), ("Whole session", 0))
#: The KPI cards: (key, label, metric); the label is the registry's, but for "Online now" (no metric: the
#: views open at this moment).
CARDS = tuple(
    (key, markup.label(metric) if metric else "Online now", metric)
    for key, metric in (
        ("gmv", "gmv"),
        ("items", "items_sold"),
        ("customers", "customers"),
        ("online", None),
        ("views", "views"),
        ("viewers", "viewers"),
        ("pcu", "pcu"),
        ("likes", "likes"),
        ("comments", "comments"),
        ("shares", "shares"),
        ("followers", "new_followers"),
    )
)
TREND_LABELS = {c: markup.label(c) for c in (*TREND_COLUMNS, "viewers")}
#: The traffic chart's series: viewers online at each minute, and the views of that minute.
TRAFFIC_LABELS = {"online": TREND_LABELS["online"], "views": f"{TREND_LABELS['views']} per minute"}
DEFAULT_TRENDS = ("gmv", "views", "product_clicks")


@functools.cache
def parts():
    """The board's small template parts (``templates/board/parts.html.j2``): heading, muted, legend, …"""
    return markup.environment().get_template("board/parts.html.j2").module


def text(value: object) -> str:
    """A value as text for a template: empty when missing (a NaN is not shown as "nan")."""
    return "" if fmt.is_missing(value) else str(value)


#: The tables' columns (their headers are :data:`liveboard.markup.TABLE_HEADERS`', as in the report).
CHANNEL_COLUMNS = markup.columns("channels", ("channel", "group", "impressions", "views", "viewers", "gmv"))
PRODUCT_COLUMNS = markup.columns(
    "products",
    ("title", "price", "impressions", "clicks", "ctr", "sku_orders", "items_sold", "gmv", "ctor", "featured_s", "tip"),
)
GIVEAWAY_COLUMNS = markup.columns(
    "giveaways", ("prize", "start", "status", "view_uv", "click_uv", "participants", "winners", "gmv_during")
)


def _n(v) -> str:
    return fmt.count(v)


def _html(value: str = "", css: str | tuple[str, ...] = ()) -> W.HTML:
    """An HTML widget of ``value`` (markup from a template or component) with CSS classes."""
    w = W.HTML(str(value))
    for c in (css,) if isinstance(css, str) else css:
        w.add_class(c)
    return w


def table(columns: list[markup.Col], rows: list[list], row_classes: list[str] | None = None) -> markup.Markup:
    """The table component; cells are text (escaped) or Markup."""
    return markup.components().table(columns, rows, "", None, row_classes if row_classes and any(row_classes) else None)


def error_widget(message: str) -> W.HTML:
    """The page when there is no board: the stylesheet and what went wrong (from ``board/error.html.j2``)."""
    return _html(markup.render("board/error.html.j2", message=message), ("lb-board", "lb-error-page"))


def no_replay_widget(sd, cov: Coverage, tz: str | None = None) -> W.VBox:
    """The page of a session without events: what is known, and why there is no replay. Never a crash."""
    info = sd.info
    cur = info.get("currency")
    cur = "" if fmt.is_missing(cur) else str(cur)
    summary = sd.summary()
    cards = []
    for key, label, metric in CARDS:
        if metric is None:
            continue
        raw = summary.get(metric)
        value = fmt.metric(metric, cov.value(metric, raw), cur)
        note = cov.figure_note(metric, raw)
        sub = markup.components().source(note) if note else ""
        cards.append(markup.Card(label, value, sub, cov.figure_tooltip(metric, raw), key))
    trend = cov.trend(sd.trend(), info.get("start"))
    shown = [c for c in ("views", "viewers", "gmv", "comments") if c in known_columns(trend, TREND_LABELS)][:2]
    head = _html(
        markup.render(
            "board/no_replay.html.j2",
            title=text(info.get("title")) or sd.id,
            account=text(info.get("account_id")),
            started=fmt.when(info.get("start"), tz),
            sources=cov.label(),
            notice=cov.notice(has_trend=bool(shown)),
            link="live_analytics.ipynb?session=" + quote(sd.id, safe=""),
        ),
        "lb-board-head",
    )
    grid = _html(markup.cards(cards), "lb-known-figures")
    children: list[W.Widget] = [head, grid]
    if shown:
        chart = TimeChart(f"Trend {per_interval(trend)}", height="240px", css_class="lb-trend-chart")
        chart.update(trend["ts"], {c: trend[c] for c in shown}, labels={c: TREND_LABELS[c] for c in shown})
        children.append(chart.figure)
    box = W.VBox(children)
    box.add_class("lb-board")
    box.add_class("lb-no-replay-page")
    return box
