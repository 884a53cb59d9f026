"""Where a recording goes: rows to the store through the live writer, messages to the capture, gaps to both.

One :class:`RecordingSink` per session, used the same way by the live recorder and by the replay of a
capture: ``message()`` for each webcast message (decoded with the library's classes, mapped by
:class:`~liveboard.recorder.mapping.Recording`), ``gap()`` for each stretch without a connection,
``tick()`` often (commits about once a second), ``close()`` at the end (commits, seals the session if it
ended, summarises it, and registers it with the store as a ``recorder`` source with its gaps).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import pyarrow as pa

from liveboard.errors import InputError
from liveboard.events import TS
from liveboard.live.writer import LiveWriter
from liveboard.recorder._lib import RecorderError, Undecodable, UnknownMethod, decode
from liveboard.recorder.capture import CaptureWriter
from liveboard.recorder.mapping import Recording, rows_table
from liveboard.store import Store

GAPS_SCHEMA = pa.schema(
    [
        pa.field("source_key", pa.string(), nullable=False),
        pa.field("gap_start", TS, nullable=False),
        pa.field("gap_end", TS, nullable=False),
        pa.field("reason", pa.string()),
    ]
)
MAX_LINES_KEPT = 10


@dataclass
class Problems:
    """Messages that could not be used, grouped by what went wrong, with the first line numbers of each."""

    counts: Counter = field(default_factory=Counter)
    where: dict = field(default_factory=dict)

    def add(self, reason: str, where: int | None = None) -> None:
        self.counts[reason] += 1
        lines = self.where.setdefault(reason, [])
        if where is not None and len(lines) < MAX_LINES_KEPT:
            lines.append(where)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def lines(self, prefix: str = "") -> list[str]:
        out = []
        for reason, n in self.counts.most_common():
            at = self.where.get(reason) or []
            more = ", …" if n > len(at) and at else ""
            place = f" (line{'s' if len(at) > 1 else ''} {', '.join(map(str, at))}{more})" if at else ""
            out.append(f"{prefix}{reason}: {n}{place}")
        return out


@dataclass(frozen=True)
class GapSpan:
    start_ms: int
    end_ms: int
    reason: str


def gaps_table(session_id: str, gaps: list[GapSpan]) -> pa.Table:
    """The ``gaps`` table of ``Store.put_source``: one row per gap, times in UTC."""
    return pa.table(
        {
            "source_key": [session_id] * len(gaps),
            "gap_start": pa.array([g.start_ms * 1000 for g in gaps], pa.int64()).cast(TS),
            "gap_end": pa.array([g.end_ms * 1000 for g in gaps], pa.int64()).cast(TS),
            "reason": [g.reason for g in gaps],
        },
        schema=GAPS_SCHEMA,
    )


def stored_gaps(store: Store, session_id: str) -> list[GapSpan]:
    """The gaps a store already holds for the session (a recording resumed after a stop keeps them)."""
    from liveboard.workbench import Workbench

    try:
        df = Workbench(store).session(session_id).gaps()
    except InputError:  # no such session yet
        return []
    out = []
    for row in df.itertuples():
        start, end = getattr(row, "gap_start", None), getattr(row, "gap_end", None)
        if start is None or end is None:
            continue
        reason = getattr(row, "reason", None)
        out.append(GapSpan(int(start.timestamp() * 1000), int(end.timestamp() * 1000), str(reason or "")))
    return out


def stored_through_ms(store: Store, session_id: str) -> int | None:
    """The time of the session's last stored event (epoch ms), or None."""
    con, _ = store.connect(private=True)
    store.define_events(con, [session_id])
    row = con.execute("SELECT epoch_ms(max(ts)) FROM ev").fetchone()
    assert row is not None  # an aggregate gives one row
    value = row[0]
    return int(value) if value is not None else None


def stored_start_ms(store: Store, session_id: str) -> int | None:
    from liveboard.workbench import Workbench

    try:
        start = Workbench(store).session(session_id).info["start"]
        return int(start.timestamp() * 1000)
    except InputError:  # not stored yet
        return None


class RecordingSink:
    """One session's recording: mapping, writer, capture, gaps, registration."""

    def __init__(
        self,
        store: Store,
        recording: Recording,
        *,
        creator_id: str | None = None,
        capture: CaptureWriter | None = None,
        interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        batch_rows: int = 50_000,
    ) -> None:
        self.store = store
        self.recording = recording
        self.session_id = recording.session_id
        self.creator_id = creator_id
        self.capture = capture
        self.batch_rows = batch_rows
        self.writer = LiveWriter(store, self.session_id, interval=interval, clock=clock, autoflush=False)
        self.resumed = self.writer.resume()
        self.resumed_through_ms = stored_through_ms(store, self.session_id) if self.resumed else None
        self.problems = Problems()
        self.messages = 0
        self.gaps: list[GapSpan] = stored_gaps(store, self.session_id) if self.resumed else []
        if self.resumed:  # a recording started again: the session keeps its start, time keeps going forward
            recording.start_ms = stored_start_ms(store, self.session_id) or recording.start_ms
            recording.last_ts = max(recording.start_ms, self.resumed_through_ms or 0)
        self.sealed_now = False
        self.registered = False
        self._pending: list[dict] = []
        self._registered_state: tuple | None = None

    @property
    def sealed(self) -> bool:
        return self.writer.sealed

    def start(self) -> None:
        self._rows(self.recording.start_row())

    def _rows(self, rows: list[dict]) -> None:
        if rows:
            self._pending += rows
        if len(self._pending) >= self.batch_rows or self.recording.ended:
            self._push()

    def _push(self) -> None:
        if self._pending:
            self.writer.add(rows_table(self._pending))
            self._pending = []

    def message(self, method: str, payload: bytes, received_ms: int, line: int | None = None) -> None:
        """One webcast message: captured as received, then decoded and mapped (problems counted, never raised)."""
        self.messages += 1
        if self.capture is not None:
            self.capture.message(received_ms, method, payload)
        try:
            event = decode(method, payload)
        except UnknownMethod:
            self.problems.add(f"unknown method {method[:60]}", line)
            return
        except Undecodable as exc:
            self.problems.add(f"{method[:60]} payload does not decode ({exc})", line)
            return
        self.event(event, received_ms)

    def event(self, event: object, received_ms: int) -> None:
        self._rows(self.recording.add(event, received_ms))

    def bad_line(self, reason: str, line: int) -> None:
        self.problems.add(reason, line)

    def gap(self, start_ms: int, end_ms: int, reason: str, *, to_capture: bool = True) -> None:
        """A stretch with no connection: kept, written to the capture, registered with the store."""
        span = GapSpan(int(start_ms), int(max(start_ms, end_ms)), reason[:200])
        if span in self.gaps:
            return
        self.gaps.append(span)
        if self.capture is not None and to_capture:
            self.capture.gap(span.end_ms, span.start_ms, span.end_ms, span.reason)
        self._push()
        if self.writer.committed or self.resumed:
            self.writer.flush()
            self.register()

    def end(self, ts_ms: int) -> None:
        """The LIVE is over though no end message came (e.g. it was offline when the recorder reconnected)."""
        self._rows(self.recording.end_row(ts_ms))

    def tick(self) -> bool:
        """Commit when a second has passed (or the session ended); register after the first commit."""
        self._push()
        if not self.writer.due:
            return False
        self.writer.flush()
        if not self.registered:
            self.register()
        return True

    def close(self) -> None:
        """Commit everything; seal if the session ended, else summarise what is stored; register."""
        self._push()
        was_sealed = self.writer.sealed
        self.writer.flush(seal=self.recording.ended)
        if not self.writer.sealed and self.writer.committed:
            self.store.summarize([self.session_id])  # the writer summarises only when it seals
        if self.writer.sealed and not was_sealed:
            self.sealed_now = True
        if self.writer.committed or self.resumed:
            self.register()
        if self.capture is not None:
            self.capture.close()

    def summary_row(self) -> pa.Table:
        return pa.table(
            {
                "source_key": [self.session_id],
                "account_id": [self.recording.account_id],
                "start": pa.array([self.recording.start_ms * 1000], pa.int64()).cast(TS),
                "creator_id": pa.array([self.creator_id], pa.string()),
            }
        )

    def register(self) -> None:
        """``store.put_source("recorder", …)`` with the session and its gaps (idempotent in the store)."""
        state = (len(self.gaps), self.creator_id)
        if state == self._registered_state:
            return
        self.store.put_source("recorder", self.summary_row(), gaps=gaps_table(self.session_id, self.gaps))
        self.registered = True
        self._registered_state = state

    def stored_events(self) -> int:
        return self.writer.committed


def check_not_sealed(sink: RecordingSink) -> None:
    if sink.sealed:
        raise RecorderError(
            f"session {sink.session_id} has ended and is sealed in {sink.store.root}: nothing more can be recorded"
        )
