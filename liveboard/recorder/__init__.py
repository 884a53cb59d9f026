"""The TikTokLive recorder: a real LIVE (or a capture of one) into the store, as event-log-v1 events.

``liveboard record @handle [--store DIR] [--capture FILE]`` follows a public LIVE through the unofficial
TikTokLive client (an optional extra, ``pip install 'liveboard[tiktok]'``; AGPL-3.0 with exceptions that
do not cover closed-source or hosted use) and writes its engagement — comments, likes, gifts, entries,
follows, shares, viewer counts, featured products, the end — through the live writer, committing about
once a second, as session ``<room id>``. The figures are as seen by the recorder: TikTok sends a sample of
entries in big rooms, comments can go missing, and there are no orders or GMV. Each stretch without a
connection is a gap, stored with the session (``Store.put_source("recorder", …, gaps=…)``).

``liveboard record --replay FILE`` turns a capture (:mod:`liveboard.recorder.capture`) into the same
session offline; replaying it again changes nothing (ids are the messages' own).

Parts: :mod:`~liveboard.recorder.mapping` (decoded events → rows, pure), :mod:`~liveboard.recorder.capture`
(the capture format), :mod:`~liveboard.recorder.sink` (writer, capture, gaps, registration),
:mod:`~liveboard.recorder.client` (the connection loop). TikTokLive is imported on first use only.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from liveboard import aio
from liveboard.recorder._lib import RecorderError, tiktoklive
from liveboard.recorder.capture import BadLine, CaptureWriter, Gap, Header, read_capture
from liveboard.recorder.mapping import Recording
from liveboard.recorder.sink import RecordingSink, check_not_sealed
from liveboard.store import Store

__all__ = ["RecorderError", "ReplayReport", "parse_handle", "record_live", "replay_capture", "require"]

HANDLE_RE = re.compile(r"^@?([A-Za-z0-9._]{1,64})$")
MAX_PROBLEM_LINES = 20
REPLAY_COMMIT_S = 30.0


def require() -> None:
    """:class:`RecorderError` with the install hint when TikTokLive is missing."""
    tiktoklive()


def parse_handle(value: str) -> str:
    """``@Handle`` → ``handle`` (the account id: no ``@``, lower case), or :class:`RecorderError`."""
    m = HANDLE_RE.match((value or "").strip())
    if not m or ".." in m.group(1):
        raise RecorderError(f"handle: {str(value)[:70]!r} is not a TikTok handle (letters, digits, '.' and '_')")
    return m.group(1).lower()


@dataclass
class ReplayReport:
    path: str
    session_id: str
    messages: int = 0
    stored: int = 0
    resumed: int = 0
    gaps: int = 0
    bad_lines: int = 0
    sealed: bool = False
    problems: list[str] = field(default_factory=list)
    registered: bool = False
    already_sealed: bool = False

    def lines(self) -> list[str]:
        if self.already_sealed:
            return [f"replayed {self.path}: session {self.session_id} is stored and sealed already: nothing to do"]
        out = [
            f"replayed {self.path}: {self.messages:,} message(s) → {self.stored:,} new event(s) in session "
            f"{self.session_id}"
            + (f" ({self.resumed:,} already stored)" if self.resumed else "")
            + (f", {self.gaps} gap(s)" if self.gaps else "")
            + ("; the LIVE ended: session sealed" if self.sealed else "")
        ]
        shown = self.problems[:MAX_PROBLEM_LINES]
        out += shown
        if len(self.problems) > len(shown):
            out.append(f"… and {len(self.problems) - len(shown)} more kinds of problem")
        return out


def replay_capture(path: str | os.PathLike, store: Store) -> ReplayReport:
    """A capture → the session it records (messages decoded with the library's classes; never fatal per line)."""
    require()
    header, items = read_capture(path)
    account = parse_handle(header.unique_id)
    first = None
    sink: RecordingSink | None = None
    report = ReplayReport(str(path), header.room_id)

    def open_sink(start_ms: int) -> RecordingSink:
        rec = Recording(header.room_id, account, start_ms=header.started or start_ms, title=header.title)
        s = RecordingSink(store, rec, creator_id=header.creator_id, interval=REPLAY_COMMIT_S)
        s.start()
        return s

    for item in items:
        if isinstance(item, BadLine):
            if sink is None:
                first = first or []
                first.append(item)
                continue
            sink.bad_line(item.reason, item.line)
            continue
        if sink is None:
            sink = open_sink(item.ts if not isinstance(item, Gap) else item.start)
            for bad in first or []:
                sink.bad_line(bad.reason, bad.line)
        if sink.sealed:
            break  # stored and sealed before: replaying it again changes nothing
        if isinstance(item, Gap):
            sink.gap(item.start, item.end, item.reason, to_capture=False)
        elif not sink.recording.ended:
            sink.message(item.method, item.payload, item.ts, line=item.line)
            if sink.messages % 10_000 == 0:
                sink.tick()  # a long capture is committed as it goes, not held in memory
    if sink is None:  # only a header (and bad lines): the session starts when the recording did
        if header.started is None:
            raise RecorderError(f"{path}: the capture holds no messages and no start time")
        sink = open_sink(header.started)
        for bad in first or []:
            sink.bad_line(bad.reason, bad.line)
    report.resumed = sink.resumed
    if sink.sealed:
        report.already_sealed = True
        return report
    sink.close()
    report.messages = sink.messages
    report.stored = sink.stored_events()
    report.gaps = len(sink.gaps)
    report.sealed = sink.sealed_now
    report.bad_lines = sink.problems.total
    report.problems = sink.problems.lines(f"{path}: ")
    report.registered = sink.registered
    return report


def record_live(
    handle: str,
    store: Store,
    *,
    capture: str | os.PathLike | None = None,
    client_factory: Callable[[str], object] | None = None,
    say: Callable[[str], None] | None = None,
    **follow_options,
) -> int:
    """Follow ``@handle``'s LIVE into ``store`` until it ends (or Ctrl-C); 0 when the LIVE ended."""
    from liveboard.recorder.client import LiveFollower, status_line

    require()
    account = parse_handle(handle)
    say = say or (lambda text: print(text, flush=True))
    opened: list[RecordingSink] = []

    def open_sink(room, now_ms: int) -> RecordingSink:
        header = Header(f"@{account}", room.room_id, started=now_ms, title=room.title, creator_id=room.creator_id)
        rec = Recording(room.room_id, account, start_ms=now_ms, title=room.title)
        sink = RecordingSink(store, rec, creator_id=room.creator_id)
        check_not_sealed(sink)
        if capture is not None:
            sink.capture = CaptureWriter(capture, header)
        sink.start()
        if sink.resumed and sink.resumed_through_ms:
            since = max([sink.resumed_through_ms] + [g.end_ms for g in sink.gaps])
            if since < now_ms:
                sink.gap(since, now_ms, "the recorder was not running")
            say(f"resuming session {room.room_id}: {sink.resumed:,} events were stored before")
        opened.append(sink)
        return sink

    follower = LiveFollower(account, open_sink, client_factory=client_factory, say=say, **follow_options)
    why = "stopped"
    try:
        why = aio.run(follower.run())
    except KeyboardInterrupt:
        why = "stopped (Ctrl-C)"
        raise
    finally:
        if opened:
            sink = opened[0]
            sink.close()
            say(f"{why}: {status_line(sink)}" + ("; session sealed" if sink.sealed_now else ""))
            if follower.handler_errors:
                say(f"{follower.handler_errors} message(s) could not be handled")
            for line in sink.problems.lines("  ")[:MAX_PROBLEM_LINES]:
                say(line)
    return 0
