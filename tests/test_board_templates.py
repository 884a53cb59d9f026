"""The LIVE Board drawn from templates, without a browser: its labels are the metric registry's, the viewers'
own text (nicknames, comments) comes out escaped, and no HTML is written in Python any more."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from liveboard import markup
from liveboard.metrics import REGISTRY
from liveboard.pages.board import build_page
from liveboard.simulator import simulate_session
from liveboard.store import Store
from liveboard.views import board_static, session_detail
from liveboard.workbench import Workbench

HOSTILE = "<img src=x onerror=alert(1)>"
ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"
PACKAGE = Path(markup.__file__).parent


@pytest.fixture(scope="module")
def store_path(tmp_path_factory) -> Path:
    """A store of one session whose comments and commenters' nicknames are hostile."""
    path = tmp_path_factory.mktemp("board-templates") / "store"
    ev = simulate_session("s-tpl", "glowlab.official", dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC), 1800, seed=3)
    is_comment = pc.equal(ev["type"], "comment")
    for col in ("text", "user_id"):
        ev = ev.set_column(ev.schema.get_field_index(col), col, pc.if_else(is_comment, pa.scalar(HOSTILE), ev[col]))
    Store(path, create=True).append(ev)
    return path


@pytest.fixture(scope="module")
def board(store_path):
    """That session replayed on the LIVE Board, played to its end."""
    _, live = build_page(session="s-tpl", store=store_path, speed="100")
    live.source.seek(live.source.duration_s + 1)
    while live.tick():
        pass
    live.redraw(force=True)
    return live


def test_hostile_nicknames_and_comments_are_escaped(board):
    feed = board.comments.value
    assert 'class="lb-feed"' in feed and 'class="lb-who"' in feed
    assert feed.count(ESCAPED) >= 2  # the nickname and the comment of each row
    assert "<img" not in feed and "onerror=alert(1)>" not in feed


def test_every_trend_label_is_the_registrys(board):
    """The board shows a metric under the registry's name; a local label only for a key the registry lacks."""
    shown = {key: label for label, key in board.metric_pick.options}
    shown |= {key: label for key, label in board_static.TREND_LABELS.items()}
    drawn = [line.labels[0] for line in board.trend_chart.lines if line.visible]
    assert drawn and all(label in shown.values() for label in drawn)
    for key, label in shown.items():
        assert label == (REGISTRY[key].label if key in REGISTRY else markup.NOT_METRICS[key]), key
    assert board_static.TRAFFIC_LABELS["views"].startswith(markup.label("views"))
    for _key, label, metric in board_static.CARDS:
        assert metric is None or label == markup.label(metric)


def test_the_board_and_live_analytics_name_trends_alike(board, store_path):
    """The same session's trend pickers, on the LIVE Board and in LIVE Analytics, name each column alike."""
    detail = session_detail.SessionDetail(Workbench(Store(store_path)).session("s-tpl"))
    live = {key: label for label, key in board.metric_pick.options}
    past = {key: label for label, key in detail.trend_pick.options}
    common = set(live) & set(past)
    assert {"gmv", "views", "online"} <= common
    assert {k: live[k] for k in common} == {k: past[k] for k in common}
    assert live["online"] == "Online viewers" == board_static.TRAFFIC_LABELS["online"]


def test_the_board_is_made_of_the_components(board):
    card = board.cards["views"].value
    assert 'class="lb-card lb-card-views"' in card and 'class="lb-card-value"' in card and "lb-value" not in card
    assert "lb-kpi-views" in board.cards["views"]._dom_classes
    for part in (board.products, board.channel_table, board.giveaways):
        assert '<table class="lb-table">' in part.value and 'class="lb-num"' in part.value
    assert 'class="lb-featured"' in board.products.value  # the product featured at the end
    assert "lb-tbl" not in board.products.value and 'class="n"' not in board.products.value
    assert "■ ended" in board.status.value and 'class="lb-stamp"' in board.status.value
    styles = [w for w in board.widget.children if "<style>" in getattr(w, "value", "")]
    assert len(styles) == 1 and styles[0].value == markup.style_tag()  # the one stylesheet, once


def test_alerts_are_the_tip_component(board):
    from liveboard import insights

    tip = insights.Tip("gmv_drop", "session", "GMV <dropped>", "Pin a product & talk", {"GMV": "-40%"}, "warning")
    html = markup.render("board/alerts.html.j2", tips=[tip])
    assert html.startswith('<div class="lb-tip lb-warning">') and "GMV &lt;dropped&gt;" in html
    assert "Pin a product &amp; talk" in html and '<div class="lb-evidence">GMV -40%</div>' in html
    assert "No alerts" in markup.render("board/alerts.html.j2", tips=[])


def test_violations_and_the_error_page_escape(board):
    rows = [{"time": "12:00:00", "policy": "<b>p</b>", "severity": "high", "detail": HOSTILE, "fix": "x & y"}]
    html = markup.render("board/violations.html.j2", rows=rows, appeal="Appeal")
    assert ESCAPED in html and "&lt;b&gt;p&lt;/b&gt;" in html and "x &amp; y" in html and "<img" not in html
    page = board_static.error_widget(HOSTILE)
    assert page.value.count("<style>") == 1 and ESCAPED in page.value and "<img" not in page.value


def test_no_html_is_written_in_python():
    """Every tag of the board comes from a template or a component; nothing escapes by hand."""
    for name in ("views/board.py", "views/board_static.py", "pages/board.py"):
        source = (PACKAGE / name).read_text(encoding="utf-8")
        assert not re.search(r"<(div|span|table|tr|td|th|b|a|style)[\s>]", source), name
        assert "esc(" not in source and "html.escape" not in source, name
