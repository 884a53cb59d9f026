"""liveboard/views/board_static.py: the LIVE Board's fixed parts (cards, labels, the table, the error page),
drawn without a board."""

from __future__ import annotations

import math

from liveboard import markup
from liveboard.views import board_static

HOSTILE = "<img src=x onerror=alert(1)>"
ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"


def test_cards_and_trend_labels_are_the_registrys():
    keys = [key for key, _label, _metric in board_static.CARDS]
    assert len(set(keys)) == len(keys) and keys[0] == "gmv"
    cards = {key: (label, metric) for key, label, metric in board_static.CARDS}
    assert cards["online"] == ("Online now", None)
    assert cards["followers"] == (markup.label("new_followers"), "new_followers")
    assert set(board_static.DEFAULT_TRENDS) <= set(board_static.TREND_LABELS)
    assert board_static.TRAFFIC_LABELS["views"] == f"{markup.label('views')} per minute"


def test_text_shows_nothing_for_a_missing_value():
    assert board_static.text(None) == "" and board_static.text(math.nan) == ""
    assert board_static.text(0) == "0" and board_static.text("a") == "a"


def test_the_table_escapes_text_cells_and_keeps_markup():
    cols = board_static.PRODUCT_COLUMNS[:2]
    html = board_static.table(cols, [[HOSTILE, markup.Markup("<b>12</b>")]], ["lb-featured"])
    assert '<table class="lb-table">' in html and ESCAPED in html and "<img" not in html
    assert "<b>12</b>" in html and 'class="lb-featured"' in html
    assert [c.key for c in board_static.CHANNEL_COLUMNS][:2] == ["channel", "group"]


def test_the_error_page_says_what_went_wrong_escaped_with_the_stylesheet():
    page = board_static.error_widget(HOSTILE)
    assert {"lb-board", "lb-error-page"} <= set(page._dom_classes)
    assert ESCAPED in page.value and "<img" not in page.value and page.value.count("<style>") == 1
