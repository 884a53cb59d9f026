"""The LIVE Board's fixed parts: timings, cards and trend labels, its CSS, table markup, and the two pages
without a running board (a message saying what went wrong; a stored session that has no events to replay).

Kept apart from :mod:`liveboard.views.board` (the board and its refresh loop) so each reads on its own.
"""

from __future__ import annotations

from urllib.parse import quote

import ipywidgets as W

from liveboard.views import format as fmt
from liveboard.views.charts import TimeChart
from liveboard.views.coverage import Coverage, known_columns, per_interval

TICK_S = 0.25  # redraw cards and status at 4 Hz
SLOW_S = 1.0  # charts and tables at most once a second
COMMENTS_SHOWN = 50
MAX_TREND_METRICS = 6
TIME_FILTERS = (("Last 5 min", 5), ("Last 15 min", 15), ("Last 60 min", 60), ("Whole session", 0))
CARDS = (
    ("gmv", "GMV", "gmv"),
    ("items", "Items sold", "items_sold"),
    ("customers", "Customers", "customers"),
    ("online", "Online now", None),
    ("views", "Views", "views"),
    ("viewers", "Viewers", "viewers"),
    ("pcu", "PCU", "pcu"),
    ("likes", "Likes", "likes"),
    ("comments", "Comments", "comments"),
    ("shares", "Shares", "shares"),
    ("followers", "New followers", "new_followers"),
)
TREND_LABELS = {
    "gmv": "GMV",
    "sku_orders": "SKU orders",
    "items_sold": "Items sold",
    "views": "Views",
    "impressions": "LIVE impressions",
    "product_impressions": "Product impressions",
    "product_clicks": "Product clicks",
    "comments": "Comments",
    "likes": "Likes",
    "shares": "Shares",
    "new_followers": "New followers",
    "gift_diamonds": "Gift diamonds",
    "online": "Online",
    "viewers": "Viewers",
}
DEFAULT_TRENDS = ("gmv", "views", "product_clicks")

CSS = """
<style>
.lb-board { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; color: #1d2433; }
.lb-board .lb-h { font-size: 15px; font-weight: 600; margin: 10px 0 4px; }
.lb-status { font-size: 13px; color: #444; }
.lb-status .lb-live { color: #e0245e; font-weight: 700; }
.lb-status .lb-ended { color: #555; font-weight: 700; }
.lb-status .lb-stamp { display: none; }
.lb-card { background: #f6f7fb; border-radius: 8px; padding: 6px 12px; min-width: 120px; }
.lb-card .lb-label { font-size: 12px; color: #667; }
.lb-card .lb-value { font-size: 22px; font-weight: 650; }
.lb-card-gmv .lb-value { color: #e0245e; }
.lb-tbl { border-collapse: collapse; font-size: 12.5px; width: 100%; }
.lb-tbl th { text-align: left; color: #667; font-weight: 500; border-bottom: 1px solid #dde; padding: 3px 6px; }
.lb-tbl td { border-bottom: 1px solid #eef; padding: 3px 6px; }
.lb-tbl td.n { text-align: right; font-variant-numeric: tabular-nums; }
.lb-tbl tr.lb-featured td { background: #fff4d6; font-weight: 600; }
.lb-alert { border-left: 4px solid #e9a23b; background: #fff8ec; padding: 4px 10px; margin: 4px 0; font-size: 13px; }
.lb-alert.info { border-color: #2a9d8f; background: #effaf8; }
.lb-alert .ev { color: #555; font-size: 12px; }
.lb-feed { max-height: 300px; overflow-y: auto; font-size: 12.5px; }
.lb-feed div { padding: 2px 0; border-bottom: 1px solid #f0f0f4; }
.lb-feed .who { color: #667; }
.lb-muted { color: #889; font-size: 12px; }
.lb-bar { display: inline-block; height: 9px; background: #3a86ff; border-radius: 2px; }
.lb-error { color: #b00020; font-size: 15px; padding: 12px; border: 1px solid #f3c0c8; background: #fff3f5; }
.lb-partial { background: #fffaeb; border: 1px solid #f5d48a; border-radius: 8px; padding: 8px 12px; margin: 6px 0;
  font-size: 13px; }
.lb-card.lb-missing .lb-value { color: #9aa0ac; }
.lb-card .lb-src-note { font-size: 10.5px; color: #8a90a0; line-height: 1.3; margin-top: 2px; }
.lb-no-replay a { color: #1d4ed8; }
.lb-board .lb-products, .lb-board .lb-giveaways, .lb-board .lb-channels .widget-html { overflow-x: auto;
  max-width: 100%; }
.lb-board .lb-time-filter { flex-wrap: wrap; }
</style>
"""


def _html(value: str = "", css: str | tuple[str, ...] = ()) -> W.HTML:
    w = W.HTML(value)
    for c in (css,) if isinstance(css, str) else css:
        w.add_class(c)
    return w


def _n(v) -> str:
    return fmt.count(v)


def _table(headers: list[str], rows: list[list[str]], numeric: set[int], row_classes=None) -> str:
    head = "".join(f"<th>{fmt.esc(h)}</th>" for h in headers)
    body = []
    for i, r in enumerate(rows):
        cls = f' class="{row_classes[i]}"' if row_classes and row_classes[i] else ""
        cells = "".join(f'<td class="n">{c}</td>' if j in numeric else f"<td>{c}</td>" for j, c in enumerate(r))
        body.append(f"<tr{cls}>{cells}</tr>")
    return f'<table class="lb-tbl"><tr>{head}</tr>{"".join(body)}</table>'


def error_widget(message: str) -> W.HTML:
    w = _html(CSS + f'<div class="lb-error">{fmt.esc(message)}</div>', ("lb-board", "lb-error-page"))
    return w


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
        missing = " lb-missing" if value == fmt.MISSING else ""
        cards.append(
            f'<div class="lb-card lb-card-{key}{missing}" title="{fmt.esc(cov.figure_tooltip(metric, raw))}">'
            f'<div class="lb-label">{fmt.esc(label)}</div><div class="lb-value">{fmt.esc(value)}</div>'
            f'<div class="lb-src-note">{fmt.esc(note)}</div></div>'
        )
    trend = cov.trend(sd.trend(), info.get("start"))
    shown = [c for c in ("views", "viewers", "gmv", "comments") if c in known_columns(trend, TREND_LABELS)][:2]
    link = "live_analytics.ipynb?session=" + quote(sd.id, safe="")
    head = _html(
        CSS + f'<div style="font-size:20px;font-weight:650">LIVE Board — {fmt.esc(info.get("title") or sd.id)}</div>'
        f'<div class="lb-muted">{fmt.esc(info.get("account_id") or "")} · started '
        f"{fmt.esc(fmt.when(info.get('start'), tz))} · Sources: {fmt.esc(cov.label())}</div>"
        f'<div class="lb-partial lb-no-replay"><strong>No replay for this session:</strong> a replay plays a '
        f"session's events back, and this one has none. {fmt.esc(cov.notice(has_trend=bool(shown)))} "
        f'The figures that are known are below; the session\'s full board is in <a href="{fmt.esc(link)}" '
        'target="_self">LIVE Analytics</a>.</div>',
        "lb-title",
    )
    grid = _html(
        '<div style="display:grid;grid-template-columns:repeat(auto-fill, minmax(150px, 1fr));gap:8px">'
        + "".join(cards)
        + "</div>",
        "lb-known-figures",
    )
    children: list[W.Widget] = [head, grid]
    if shown:
        chart = TimeChart(f"Trend {per_interval(trend)}", height="240px", css_class="lb-trend-chart")
        chart.update(trend["ts"], {c: trend[c] for c in shown}, labels={c: TREND_LABELS.get(c, c) for c in shown})
        children.append(chart.figure)
    box = W.VBox(children)
    box.add_class("lb-board")
    box.add_class("lb-no-replay-page")
    return box
