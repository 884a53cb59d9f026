"""liveboard/pages/board.py: the LIVE Board page without a browser — the demo LIVE never touches the user's
store, one session-id rule, a stored session replayed, a session being recorded followed."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

import liveboard
from liveboard.pages.board import build_page
from liveboard.simulator import simulate_session
from liveboard.store import Store

HOSTILE = "../../etc/x' OR '1'='1"


@pytest.fixture
def user_store(tmp_path) -> Path:
    """A user's store with one session of their own."""
    path = tmp_path / "user-store"
    ev = simulate_session("mine-1", "glowlab.official", dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC), 600, seed=3)
    Store(path, create=True).append(ev)
    return path


def _files(path: Path) -> dict[str, int]:
    return {str(p.relative_to(path)): p.stat().st_size for p in sorted(path.rglob("*")) if p.is_file()}


def _run_demo(board, seconds_ahead: float = 900.0) -> None:
    """Poll the demo LIVE as the page loop does, with its clock moved ahead (no waiting), then commit."""
    start = time.time()
    board.source.clock = lambda: start + seconds_ahead
    for _ in range(5):
        board.tick()
    board.redraw(force=True)
    assert board.state.event_count > 0  # the demo did produce events
    board.writer.flush()


def test_demo_never_writes_into_the_users_store(user_store, monkeypatch):
    monkeypatch.delenv("LIVEBOARD_DEMO_PERSIST", raising=False)
    monkeypatch.setenv("LIVEBOARD_DEMO_SPEED", "50")
    monkeypatch.setenv("LIVEBOARD_DEMO_SCALE", "0.2")
    before_version = Store(user_store).snapshot().version
    before_files = _files(user_store)
    widget, board = build_page(store=user_store)  # no ?session: the demo LIVE
    assert board is not None and board.writer is not None and board.scratch is not None
    _run_demo(board)
    assert board.writer.committed > 0  # it did save — somewhere else
    scratch = Path(board.scratch.name)
    assert not scratch.is_relative_to(user_store) and not user_store.is_relative_to(scratch)
    assert board.source.session_id in set(liveboard.open(scratch / "store").sessions()["session_id"])
    # the user's store: same version, same files, only their own session
    assert Store(user_store).snapshot().version == before_version
    assert _files(user_store) == before_files
    assert list(liveboard.open(user_store).sessions()["session_id"]) == ["mine-1"]
    assert "scratch store" in board.status.value and "never writes to your store" in board.status.value
    board.scratch.cleanup()
    assert not scratch.exists()


def test_demo_does_not_create_a_missing_store(tmp_path, monkeypatch):
    monkeypatch.delenv("LIVEBOARD_DEMO_PERSIST", raising=False)
    monkeypatch.setenv("LIVEBOARD_DEMO_SCALE", "0.1")
    missing = tmp_path / "no-store-yet"
    _widget, board = build_page(store=missing)
    _run_demo(board)
    assert not missing.exists()
    monkeypatch.setenv("LIVEBOARD_DEMO_PERSIST", "0")
    _widget, board = build_page(store=missing)
    assert board.writer is None and board.scratch is None and not missing.exists()


@pytest.mark.parametrize(
    ("session", "message"),
    [
        (HOSTILE, "session id"),
        ("a b", "session id"),
        ("x" * 300, "at most 128"),
        ("abc\ndef", "session id"),
        ("<script>", "session id"),
    ],
)
def test_board_refuses_ids_that_break_the_one_rule(user_store, session, message):
    widget, board = build_page(session=session, store=user_store)
    assert board is None and "lb-error-page" in widget._dom_classes
    assert message in widget.value and "<script>" not in widget.value.split("</style>", 1)[1]


def test_board_opens_real_ids_and_says_unknown(user_store):
    widget, board = build_page(session="mine-1", store=user_store, speed="10")
    assert board is not None and board.source.session_id == "mine-1"
    widget, board = build_page(session="1234567890123456789", store=user_store)  # a 19-digit API id
    assert board is None and "Unknown session" in widget.value and str(user_store) not in widget.value
    widget, board = build_page(query={"session": HOSTILE}, store=user_store)
    assert board is None and "session id" in widget.value


def test_board_follows_a_session_the_recorder_is_writing(tmp_path):
    """``?session=ID`` of a LIVE being recorded follows its commits; it stops when the session seals."""
    from liveboard.live.sources import FollowStore
    from liveboard.live.writer import LiveWriter

    path = tmp_path / "st"
    store = Store(path, create=True)
    ev = simulate_session("7301234567890123456", "glowlab", dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC), 600, seed=5)
    ev = ev.filter(pc.invert(pc.is_in(ev["type"], pa.array(["order"]))))  # a recording sees no orders
    writer = LiveWriter(store, "7301234567890123456", autoflush=False)
    half = ev.num_rows // 2
    writer.add(ev.slice(0, half))
    writer.flush()
    start = ev.filter(pc.equal(ev["type"], "session_start"))["ts"][0].as_py()
    store.put_source(
        "recorder",
        pa.table(
            {
                "source_key": ["7301234567890123456"],
                "account_id": ["glowlab"],
                "start": pa.array([start], pa.timestamp("us", tz="UTC")),
            }
        ),
    )
    _, board = build_page(query={"session": "7301234567890123456"}, store=path)
    assert board is not None and isinstance(board.source, FollowStore)
    board.tick()
    assert board.state.event_count == half and not board.source.ended
    writer.add(ev.slice(half))  # the rest, with session_end
    writer.flush()
    board.tick()
    assert board.state.event_count == ev.num_rows and board.source.ended
