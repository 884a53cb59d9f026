"""liveboard/views/board.py: the LIVE Board's widgets over a stored session replayed, without a browser — what it
shows is what the store says of the session, and its controls (pause, resume, seek, speed) drive the replay.

The replay's clock is the source's own ``clock`` argument, moved by hand: no waiting. The page that builds a
board (the demo LIVE, the session-id rule, following a recording) is tested in tests/test_board_pages.py.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

import liveboard
from liveboard.live.sources import Replay
from liveboard.simulator import simulate_session
from liveboard.store import Store
from liveboard.views import format as fmt
from liveboard.views.board import LiveBoard

SID = "glowlab-20260301"


@pytest.fixture(scope="module")
def store_path(tmp_path_factory) -> Path:
    """A store of one simulated 20-minute LIVE of a ringgit shop."""
    path = tmp_path_factory.mktemp("board-views") / "store"
    start = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)
    ev = simulate_session(SID, "glowlab.official", start, 1200, seed=4, currency="MYR", scale=0.5)
    Store(path, create=True).append(ev)
    return path


def _words(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_a_replay_played_to_its_end_shows_what_the_store_says_of_the_session(store_path):
    sd = liveboard.open(store_path).session(SID)
    row = liveboard.open(store_path).sessions().set_index("session_id").loc[SID]
    cur = row["currency"]
    board = LiveBoard(Replay(Store(store_path), SID, 100))
    board.source.seek(board.source.duration_s + 1)
    while board.tick():
        pass
    board.redraw(force=True)
    assert board.state.event_count == sd.events().num_rows
    # the cards: the figures the store's query computed, formatted as everywhere else
    assert _words(board.cards["gmv"].value) == f"GMV {fmt.money(row['gmv'], cur)}"
    assert fmt.count(row["items_sold"]) in _words(board.cards["items"].value)
    assert _words(board.cards["comments"].value).endswith(fmt.count(row["comments"]))
    status = _words(board.status.value)
    assert "ended" in status and f"events: {sd.events().num_rows:,}" in status and f"session: {SID}" in status
    # the products table: each named product that sold, with its GMV
    sold = sd.products().dropna(subset=["name"])
    sold = sold[sold["gmv"] > 0]
    assert len(sold) >= 1
    table = _words(board.products.value)
    for product in sold.itertuples():
        assert f"{product.name}" in table and fmt.money(product.gmv, cur) in table


def test_pause_resume_seek_and_speed_drive_the_replay(store_path):
    now = [0.0]
    source = Replay(Store(store_path), SID, 10, clock=lambda: now[0])
    board = LiveBoard(source)
    assert board.pause.description == "Pause" and board.speed.value == 10 and board.seek.max == source.duration_s
    board.tick()
    now[0] = 30.0  # 30 s of the kernel's time at 10×: the first 5 minutes of the LIVE
    assert board.tick() > 0
    before = board.state.event_count
    board.pause.value = True
    assert source.paused and board.pause.description == "Resume"
    now[0] = 100.0
    assert board.tick() == 0 and board.state.event_count == before  # paused: nothing comes
    board.redraw()
    assert "paused" in _words(board.status.value)
    board.pause.value = False
    now[0] = 130.0
    assert board.tick() > 0 and board.state.event_count > before and not source.paused
    board.seek.value = 0  # back to the start: the board starts over
    board.tick()
    assert board.state.event_count < before
    board.speed.value = 100
    assert source.speed == 100
    board.seek.value = board.seek.max
    while board.tick():
        pass
    assert board.state.event_count == liveboard.open(store_path).session(SID).events().num_rows
