"""The LIVE Board page: reads its parameters, opens the store, builds the live source (a replay, a followed
recording, or the simulated demo LIVE) and the writer, and hands them to :class:`~liveboard.views.board.LiveBoard`.

What ``notebooks/live_board.ipynb`` displays::

    from liveboard.pages.board import app
    app(store, session=session, speed=speed)

No ``session``: the simulated demo LIVE, written into a scratch store of its own (never the user's);
``?session=ID&speed=N`` (1–100) replays a stored session.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import ipywidgets as W
import numpy as np

from liveboard.errors import InputError
from liveboard.live.sources import FollowStore, Replay, SimulatedLive, SourceError, parse_speed
from liveboard.live.writer import LiveWriter
from liveboard.pages.params import Query, page_params, request_query_string, session_param
from liveboard.store import NoStoreError, OldLayoutError, Store, StoreError, default_store_path
from liveboard.views.board import LiveBoard, error_widget, no_replay_widget
from liveboard.views.coverage import Coverage
from liveboard.workbench import SessionData, Workbench

__all__ = ["app", "build", "build_page"]


def _env_float(name: str, default: float, lo: float, hi: float) -> float:
    try:
        v = float(os.environ.get(name, default))
    except ValueError:
        return default
    return v if np.isfinite(v) and lo <= v <= hi else default


def _demo_writer(source: SimulatedLive) -> tuple[LiveWriter | None, tempfile.TemporaryDirectory | None]:
    """A writer for the demo LIVE into a scratch store of its own (removed with the kernel), never the user's.

    ``LIVEBOARD_DEMO_PERSIST=0`` runs the demo without writing at all.
    """
    if os.environ.get("LIVEBOARD_DEMO_PERSIST", "1") == "0":
        return None, None
    scratch = tempfile.TemporaryDirectory(prefix="liveboard-demo-", ignore_cleanup_errors=True)
    try:
        return LiveWriter(Store(Path(scratch.name) / "store", create=True), source.session_id, autoflush=False), scratch
    except (OSError, StoreError) as exc:
        source.problems.append(f"not saving the demo: {exc}")
        scratch.cleanup()
        return None, None


def _being_recorded(sd: SessionData) -> bool:
    """A session the recorder registered and whose end has not been committed yet."""
    return "recorder" in sd.sources() and not bool(sd.info.get("sealed", False))


def _replay(sid: str, speed_raw: object, root: str | os.PathLike) -> tuple[W.Widget, LiveBoard | None]:
    """The board of a stored session: its replay, the recorder's commits followed, or what is known."""
    try:
        spd = parse_speed(speed_raw)
    except SourceError as exc:
        return error_widget(str(exc)), None
    try:
        sd = Workbench(Store(root)).session(sid)
    except InputError:
        return error_widget(f"Unknown session: there is no session {sid!r} in this store."), None
    except OldLayoutError as exc:  # says how to upgrade
        return error_widget(str(exc)), None
    except NoStoreError as exc:
        return error_widget(f"Unknown session: {exc}"), None
    except StoreError as exc:  # a damaged store: the message names what and how to repair it
        return error_widget(str(exc)), None
    cov = Coverage.of_session(sd)
    if not cov.has_events:
        try:
            return no_replay_widget(sd, cov), None
        except Exception as exc:  # noqa: BLE001 - a page says what went wrong, never a traceback
            return error_widget(f"This session could not be shown ({type(exc).__name__})."), None
    if _being_recorded(sd):  # a LIVE the recorder is writing right now: follow its commits
        source: FollowStore | Replay = FollowStore(Store(root), sid)
    else:
        source = Replay(Store(root), sid, spd, events=sd.events())
    board = LiveBoard(source, coverage=cov if cov.kind != "events" else None, known=sd.info)
    return board.widget, board


def _demo(speed_raw: object) -> tuple[W.Widget, LiveBoard | None]:
    """The simulated demo LIVE, saved into a scratch store of its own."""
    try:
        speed = parse_speed(speed_raw)
    except SourceError as exc:
        return error_widget(str(exc)), None
    source = SimulatedLive(
        duration_s=int(_env_float("LIVEBOARD_DEMO_DURATION", 2 * 3600, 60, 13 * 3600)),
        seed=int(time.time()) % 1000,
        scale=_env_float("LIVEBOARD_DEMO_SCALE", 2.0, 0.05, 2000),
        speed=_env_float("LIVEBOARD_DEMO_SPEED", float(speed), 1, 1000),
    )
    writer, scratch = _demo_writer(source)
    board = LiveBoard(source, writer=writer)
    board.scratch = scratch
    return board.widget, board


def build(
    store: str | os.PathLike | None = None, query: Query = None, **params: object
) -> tuple[W.Widget, LiveBoard | None]:
    """The board for a page: a replay of ``session`` at ``speed`` (1–100), or the simulated demo LIVE.

    ``params`` and the query string (read under Voilà when ``query`` is None) are read by the one parser.
    Returns ``(widget, board)``; ``board`` is None when the parameters could not be used (the widget then
    says why) or when the session has no events to replay (the widget shows what is known). The demo LIVE
    never touches the store at ``store``: it writes into a scratch store of its own.
    """
    try:
        given = page_params(query if query is not None else request_query_string(), **params)
        sid = session_param(given.get("session"))  # the one rule, as in LIVE Analytics
    except InputError as exc:
        return error_widget(str(exc)), None
    if sid is not None:
        return _replay(sid, given.get("speed"), store or default_store_path())
    return _demo(given.get("speed"))


def build_page(
    session: str | None = None, speed: object = None, store: str | os.PathLike | None = None, query: Query = None
) -> tuple[W.Widget, LiveBoard | None]:
    """:func:`build` with the board page's former signature; ``query`` defaults to none (no Voilà request)."""
    return build(store, query if query is not None else {}, session=session, speed=speed)


def app(store: str | os.PathLike | None = None, query: Query = None, **params: object) -> W.Widget:
    """The LIVE Board page: :func:`build`, then the first drawing and the refresh loop started (it runs on
    the kernel's event loop after the cell). The board is ``widget.board`` (None when there is none)."""
    widget, board = build(store, query, **params)
    if board is not None:
        board.redraw(force=True)
        board.start()
    widget.board = board
    return widget
