"""The chooser of several (:class:`liveboard.views.widgets.MultiChoice`) without a browser: its checkboxes, value,
summary and toggle, and the three places that use it (the LIVE Board's metrics, a session board's metrics, the
sessions list's columns)."""

from __future__ import annotations

import datetime as dt

import ipywidgets as W
import pytest

import liveboard
from liveboard.views.widgets import MultiChoice

OPTIONS = [("GMV", "gmv"), ("Views", "views"), ("Online viewers", "online"), ("Likes", "likes")]


def _tree(w):
    """A widget and every widget under it (through ``children``)."""
    yield w
    for c in getattr(w, "children", ()):
        yield from _tree(c)


def _ticked(m: MultiChoice) -> list[str]:
    return [k for k, box in m.boxes.items() if box.value]


def test_a_checkbox_per_option_and_no_listbox():
    m = MultiChoice(OPTIONS, ("views",))
    assert list(m.boxes) == ["gmv", "views", "online", "likes"]
    assert [b.description for b in m.boxes.values()] == ["GMV", "Views", "Online viewers", "Likes"]
    assert all(isinstance(b, W.Checkbox) for b in m.boxes.values())
    assert list(m.grid.children) == list(m.boxes.values())
    assert not any(isinstance(w, (W.SelectMultiple, W.Select)) for w in _tree(m.widget))
    assert all(f"lb-choice-{k}" in b._dom_classes for k, b in m.boxes.items())
    assert "lb-choice" in m.widget._dom_classes and "lb-choices" in m.grid._dom_classes
    assert m.options == OPTIONS and m.keys == ("gmv", "views", "online", "likes")
    assert m.value == ("views",) and _ticked(m) == ["views"]


def test_choose_and_unchoose_by_ticking():
    m = MultiChoice(OPTIONS, ("views",))
    seen = []
    m.observe(lambda change: seen.append((change["old"], change["new"])), "value")
    m.boxes["likes"].value = True
    assert m.value == ("views", "likes")
    m.boxes["views"].value = False
    assert m.value == ("likes",)
    assert seen == [(("views",), ("views", "likes")), (("views", "likes"), ("likes",))]
    m.boxes["likes"].value = False
    assert m.value == () and _ticked(m) == []


def test_value_follows_the_options_order():
    m = MultiChoice(OPTIONS, ("likes", "gmv", "likes"))  # duplicates once, in the options' order
    assert m.value == ("gmv", "likes")
    m.boxes["online"].value = True  # a ticked box takes its place among the options, not the end
    assert m.value == ("gmv", "online", "likes")
    m.value = ("online", "views")
    assert m.value == ("views", "online") and _ticked(m) == ["views", "online"]


def test_setting_value_ticks_the_boxes_and_drops_unknown_keys():
    m = MultiChoice(OPTIONS)
    seen = []
    m.observe(lambda change: seen.append(change["new"]), "value")
    m.value = ["online", "nope", 3, "<b>x</b>"]
    assert m.value == ("online",) and _ticked(m) == ["online"]
    m.value = ("online",)  # the same choice: no change to tell
    assert seen == [("online",)]


def test_keep_order_keeps_the_order_set_then_ticked():
    m = MultiChoice(OPTIONS, ("likes", "gmv"), keep_order=True)
    assert m.value == ("likes", "gmv")
    m.boxes["views"].value = True  # a ticked key goes last
    assert m.value == ("likes", "gmv", "views")
    m.boxes["gmv"].value = False
    assert m.value == ("likes", "views")


def test_at_most_max_chosen_the_other_boxes_disabled():
    m = MultiChoice(OPTIONS, ("gmv", "views", "online"), max_chosen=2, verb="charted")
    assert m.value == ("gmv", "views")  # too many given: the first ones kept
    assert [k for k, b in m.boxes.items() if b.disabled] == ["online", "likes"]
    assert m.summary == "2 of 4 charted, at most 2"
    m.boxes["likes"].value = True  # a disabled box ticked anyway (a stale page): it is unticked again
    assert m.value == ("gmv", "views") and not m.boxes["likes"].value
    m.boxes["gmv"].value = False
    assert not any(b.disabled for b in m.boxes.values()) and m.summary == "1 of 4 charted"
    m.boxes["likes"].value = True
    assert m.value == ("views", "likes") and m.boxes["gmv"].disabled


def test_summary_says_how_many_are_shown():
    m = MultiChoice(OPTIONS, ("gmv",), title="Columns")
    assert m.summary == "1 of 4 shown" and m.summary_label.value == "1 of 4 shown"
    m.boxes["views"].value = True
    assert m.summary_label.value == "2 of 4 shown"
    m.value = ()
    assert m.summary_label.value == "0 of 4 shown"
    assert "lb-choice-summary" in m.summary_label._dom_classes
    assert any(isinstance(w, W.Label) and w.value == "Columns" for w in _tree(m.head))  # not collapsible: a title


def test_collapsible_starts_closed_and_toggles():
    m = MultiChoice(OPTIONS, ("gmv", "views"), title="Columns", collapsible=True)
    assert m.toggle is not None and m.toggle in m.head.children and m.summary_label in m.head.children
    assert not m.expanded and m.grid.layout.display == "none"
    assert m.toggle.description == "Columns ▾" and "lb-choice-toggle" in m.toggle._dom_classes
    assert m.summary_label.value == "2 of 4 shown"  # the count shows while closed
    m.toggle.value = True  # a click
    assert m.expanded and m.grid.layout.display == "" and m.toggle.description == "Columns ▴"
    m.boxes["likes"].value = True
    assert m.value == ("gmv", "views", "likes") and m.summary_label.value == "3 of 4 shown"
    m.expanded = False
    assert not m.toggle.value and m.grid.layout.display == "none" and m.toggle.description == "Columns ▾"
    m.value = ("online",)  # closed, the value still sets
    assert _ticked(m) == ["online"] and m.summary_label.value == "1 of 4 shown"


def test_not_collapsible_is_always_open():
    m = MultiChoice(OPTIONS, ("gmv",))
    assert m.toggle is None and m.expanded and m.grid.layout.display == ""
    m.expanded = False  # nothing to close
    assert m.expanded


def test_new_options_keep_the_chosen_keys_still_offered():
    m = MultiChoice(OPTIONS, ("gmv", "likes"))
    old = m.boxes["gmv"]
    m.options = [("Likes", "likes"), ("Shares", "shares")]
    assert list(m.boxes) == ["likes", "shares"] and m.value == ("likes",) and _ticked(m) == ["likes"]
    assert old.comm is None  # the old boxes are closed
    assert m.summary == "1 of 2 shown"


# ---------------------------------------------------------------------- the three places that use it


@pytest.fixture(scope="module")
def board(tmp_path_factory):
    """A simulated session replayed on the LIVE Board, played to its end."""
    from liveboard.pages.board import build_page
    from liveboard.simulator import simulate_session
    from liveboard.store import Store

    path = tmp_path_factory.mktemp("widgets") / "store"
    ev = simulate_session("s-pick", "glowlab.official", dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC), 900, seed=4)
    Store(path, create=True).append(ev)
    _, live = build_page(session="s-pick", store=path, speed="100")
    assert live is not None
    live.source.seek(live.source.duration_s + 1)
    while live.tick():
        pass
    live.redraw(force=True)
    return live


def test_board_metric_picker_charts_what_is_ticked(board):
    from liveboard.views.board_static import DEFAULT_TRENDS, MAX_TREND_METRICS

    pick = board.metric_pick
    assert isinstance(pick, MultiChoice) and "lb-metric-pick" in pick.widget._dom_classes
    assert pick.value == tuple(c for c in pick.keys if c in DEFAULT_TRENDS)
    assert pick.widget in _tree(board.widget)

    def charted() -> list[str]:
        return [line.labels[0] for line in board.trend_chart.lines if line.visible]

    labels = dict((k, label) for label, k in pick.options)
    assert charted() == [labels[k] for k in pick.value]
    extra = next(k for k in pick.keys if k not in pick.value)
    pick.boxes[extra].value = True
    board.redraw(force=True)
    assert labels[extra] in charted() and len(charted()) == len(DEFAULT_TRENDS) + 1
    for box in pick.boxes.values():  # tick them all: at most MAX_TREND_METRICS are charted
        box.value = True
    board.redraw(force=True)
    assert len(pick.value) == MAX_TREND_METRICS == len(charted())
    assert (
        pick.summary_label.value == f"{MAX_TREND_METRICS} of {len(pick.options)} charted, at most {MAX_TREND_METRICS}"
    )


def test_session_board_trend_picker_is_the_chooser(tmp_path):
    from liveboard.simulator import simulate_session
    from liveboard.store import Store
    from liveboard.views.session_detail import MAX_TREND_SERIES, SessionDetail

    ev = simulate_session("s-detail", "glowlab.official", dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC), 900, seed=6)
    Store(tmp_path / "store", create=True).append(ev)
    d = SessionDetail(liveboard.open(tmp_path / "store").session("s-detail"), search_delay=0)
    pick = d.trend_pick
    assert isinstance(pick, MultiChoice) and "lb-trend-pick" in pick.widget._dom_classes
    assert pick.max_chosen == MAX_TREND_SERIES and pick.value == ("gmv", "views")
    assert not any(isinstance(w, W.SelectMultiple) for w in _tree(d.widget))
    assert sum(line.visible for line in d.trend_chart.lines) == 2
    pick.boxes["online"].value = True
    assert sum(line.visible for line in d.trend_chart.lines) == 3
