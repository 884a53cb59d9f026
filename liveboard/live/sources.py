"""Live sources: where the board's event micro-batches come from, behind one interface.

The interface (:class:`LiveSource`) — what a new connector (e.g. a TikTok LIVE connector) implements:

``poll() -> pyarrow.Table``
    The events that became available since the last call, as a table of
    :data:`liveboard.events.EVENT_SCHEMA` (possibly empty). Never blocks for long: the board calls it from
    the kernel's event loop 1–4 times a second. Batches follow the arrival-order contract of
    :mod:`liveboard.live.state` (time does not go backwards between batches; any order inside one).
``ended``
    True once the source will yield nothing more (the session ended, the replay reached its end).
``consume_reset() -> bool``
    True once after the stream restarted from an earlier point (a replay seeked backwards, a file was
    rotated/truncated and re-read is not a restart — see below); the consumer then starts a fresh state.
``persist``
    Whether what it yields is new and should be written to the store (live: yes; replays: no).
``kind``, ``session_id``, ``speed``, ``elapsed_s``, ``problems``
    For the status line: what it is, which session, how fast, how much session time has passed, and
    user-facing problems (bad lines with their line numbers).

Every source is also an async iterator (``async for batch in source``) that polls every ``interval``
seconds and yields non-empty batches until ``ended``.

Sources here:

* :class:`SimulatedLive` — the simulator streaming a session in real time (or ``speed`` times faster):
  the whole session is generated up front, starting "now", and released as the clock passes.
* :class:`Replay` — a stored session read back at 1–100× with pause and seek.
* :class:`FollowFile` — an event-log file another program appends to (``tail -F`` semantics).
* :class:`FollowStore` — a session another process writes into the store (``liveboard record``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from liveboard.errors import UserError
from liveboard.eventlog import BAD_ROW_SCHEMA, atomic_write_bytes, parse_lines
from liveboard.events import EVENT_SCHEMA
from liveboard.simulator import simulate_session

MIN_SPEED, MAX_SPEED = 1.0, 100.0


class SourceError(UserError, ValueError):
    """A parameter a source cannot use (the message says which and why)."""


def parse_speed(value: object, default: float = 1.0) -> float:
    """A replay speed from user input: a number in [1, 100]."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    try:
        speed = float(str(value).strip())
    except ValueError:
        raise SourceError(f"speed must be a number from 1 to 100, not {str(value)[:40]!r}") from None
    if not np.isfinite(speed) or not MIN_SPEED <= speed <= MAX_SPEED:
        raise SourceError(f"speed must be a number from 1 to 100, not {str(value)[:40]!r}")
    return speed


@runtime_checkable
class LiveSource(Protocol):
    kind: str
    session_id: str | None
    speed: float
    persist: bool
    problems: list[str]

    def poll(self) -> pa.Table: ...

    @property
    def ended(self) -> bool: ...

    @property
    def elapsed_s(self) -> float: ...

    def consume_reset(self) -> bool: ...


class _Source:
    kind = "source"
    persist = False
    interval = 0.25

    def __init__(self) -> None:
        self.problems: list[str] = []
        self._reset = False
        self.session_id: str | None = None
        self.speed = 1.0

    def consume_reset(self) -> bool:
        r, self._reset = self._reset, False
        return r

    def poll(self) -> pa.Table:
        """The events that arrived since the last poll (each source has its own)."""
        raise NotImplementedError

    @property
    def ended(self) -> bool:
        """True once the source will yield nothing more (each source has its own)."""
        raise NotImplementedError

    async def stream(self, interval: float | None = None) -> AsyncIterator[pa.Table]:
        while True:
            batch = self.poll()
            if batch.num_rows:
                yield batch
            if self.ended:
                return
            await asyncio.sleep(self.interval if interval is None else interval)

    def __aiter__(self) -> AsyncIterator[pa.Table]:
        return self.stream()


def _ts_us(table: pa.Table) -> np.ndarray:
    col = table.column("ts")
    col = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    return col.cast(pa.int64()).to_numpy(zero_copy_only=False)


def _in_order(table: pa.Table) -> bool:
    """Whether rows are sorted by (ts, seq) already."""
    if table.num_rows < 2:
        return True
    ts = _ts_us(table)
    col = table.column("seq")
    seq = (col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col).to_numpy(zero_copy_only=False)
    dts = np.diff(ts)
    return bool(np.all((dts > 0) | ((dts == 0) & (np.diff(seq) >= 0))))


class _Timeline(_Source):
    """Events sorted by (ts, seq), released up to a moving session-time cursor."""

    def _init_timeline(self, events: pa.Table) -> None:
        # The simulator and the store hand events over in order already: checking costs milliseconds, while
        # a sort (a take over every column) is most of a demo board's first render.
        if not _in_order(events):
            events = events.sort_by([("ts", "ascending"), ("seq", "ascending")])
        self.events = events
        self._t = _ts_us(self.events)
        self._next = 0

    def _release(self, cursor_us: int) -> pa.Table:
        k = int(np.searchsorted(self._t, cursor_us, side="right"))
        if k <= self._next:
            return self.events.slice(0, 0)
        batch = self.events.slice(self._next, k - self._next)
        self._next = k
        return batch

    @property
    def ended(self) -> bool:
        return self._next >= len(self._t)

    @property
    def released(self) -> int:
        return self._next


class SimulatedLive(_Timeline):
    """A simulated session streamed in real time: events are released when the clock reaches them.

    ``start`` (default: now, to the second) is the session's start; event times are real times when
    ``speed`` is 1. With the same ``session_id``, ``seed``, ``start`` and sizes, a restarted process
    produces the same events and picks up at the clock's position (the writer skips what is stored).
    """

    kind = "simulated"
    persist = True

    def __init__(
        self,
        session_id: str | None = None,
        account_id: str = "glowlab.official",
        duration_s: int = 2 * 3600,
        *,
        seed: int = 0,
        scale: float = 1.0,
        speed: float = 1.0,
        start: dt.datetime | None = None,
        title: str | None = None,
        end_event: bool = True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__()
        if not 0 < speed <= 10_000:
            raise SourceError("speed must be positive")
        self.clock = clock
        now = clock()
        self.start = start or dt.datetime.fromtimestamp(int(now), dt.UTC)
        self.session_id = session_id or f"demo-{self.start:%Y%m%d-%H%M%S}"
        self.speed = float(speed)
        self._wall0 = self.start.timestamp() if start is not None else now
        events = simulate_session(
            self.session_id,
            account_id,
            self.start,
            duration_s,
            seed=seed,
            title=title,
            scale=scale,
            end_event=end_event,
        )
        self._init_timeline(events)
        self._start_us = int(self.start.timestamp() * 1_000_000)

    def cursor_us(self) -> int:
        return self._start_us + int((self.clock() - self._wall0) * self.speed * 1_000_000)

    @property
    def elapsed_s(self) -> float:
        return max(0.0, (self.cursor_us() - self._start_us) / 1e6)

    def poll(self) -> pa.Table:
        return self._release(self.cursor_us())


class Replay(_Timeline):
    """A stored session read back at ``speed`` × real time, with pause, resume and seek."""

    kind = "replay"
    persist = False

    def __init__(
        self,
        store,
        session_id: str,
        speed: float = 1.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        events: pa.Table | None = None,
    ) -> None:
        super().__init__()
        if events is None:
            from liveboard.workbench import Workbench

            events = Workbench(store).session(session_id).events()
        self.session_id = session_id
        self.speed = parse_speed(speed)
        self.clock = clock
        self._init_timeline(events)
        self._origin = int(self._t[0]) if len(self._t) else 0
        self._pos = self._origin
        self._last = clock()
        self.paused = False

    def set_speed(self, speed: object) -> None:
        self._advance()
        self.speed = parse_speed(speed)

    def _advance(self) -> None:
        now = self.clock()
        if not self.paused:
            self._pos += int((now - self._last) * self.speed * 1_000_000)
        self._last = now

    def pause(self) -> None:
        self._advance()
        self.paused = True

    def resume(self) -> None:
        self._advance()
        self.paused = False

    def seek(self, offset_s: float) -> None:
        """Jump to ``offset_s`` seconds after the start; going back restarts the stream (a reset)."""
        self._advance()
        pos = self._origin + int(float(offset_s) * 1_000_000)
        if int(np.searchsorted(self._t, pos, side="right")) < self._next:
            self._next = 0
            self._reset = True
        self._pos = pos

    @property
    def elapsed_s(self) -> float:
        return max(0.0, (self._pos - self._origin) / 1e6)

    @property
    def duration_s(self) -> float:
        return (int(self._t[-1]) - self._origin) / 1e6 if len(self._t) else 0.0

    def poll(self) -> pa.Table:
        self._advance()
        return self._release(self._pos)


class FollowFile(_Source):
    """Follow an event-log file that another program appends to.

    * a partial last line is kept until its newline arrives;
    * rotation (the path now names another inode) drains the old file, then reads the new one from its
      start; truncation (the file got shorter than what was read) restarts at its start;
    * with ``state_path``, the position (inode, offset, line number) is saved after each poll, so a
      restarted follower continues where the last one stopped, without re-reading;
    * bad lines are reported (``problems``, ``bad``) with their line numbers, through
      :func:`liveboard.eventlog.parse_lines`; ``seq`` keeps growing across rotations.
    """

    kind = "file"
    persist = True

    def __init__(
        self,
        path: str | os.PathLike,
        session_id: str | None = None,
        *,
        state_path: str | os.PathLike | None = None,
        max_bytes: int = 16 << 20,
        max_problems: int = 200,
    ) -> None:
        super().__init__()
        self.path = Path(path)
        self.session_id = session_id
        self.state_path = Path(state_path) if state_path else None
        self.max_bytes = max_bytes
        self.max_problems = max_problems
        self.bad = BAD_ROW_SCHEMA.empty_table()
        self.bad_count = 0
        self.lines_read = 0
        self._fh: BinaryIO | None = None
        self._ino: int | None = None
        self._offset = 0  # bytes consumed into complete lines
        self._partial = b""
        self._line_no = 0
        self._generation = 0
        self._first_ts: int | None = None
        self._last_ts: int | None = None
        self._stopped = False
        if self.state_path and self.state_path.exists():
            try:
                saved = json.loads(self.state_path.read_text())
                self._ino, self._offset = int(saved["inode"]), int(saved["offset"])
                self._line_no, self._generation = int(saved["line_no"]), int(saved["generation"])
            except (OSError, ValueError, KeyError):
                self._ino = None

    # -- bookkeeping
    def stop(self) -> None:
        self._stopped = True

    @property
    def ended(self) -> bool:
        return self._stopped

    @property
    def elapsed_s(self) -> float:
        if self._first_ts is None or self._last_ts is None:  # both are set by the first events
            return 0.0
        return (self._last_ts - self._first_ts) / 1e6

    def _save(self) -> None:
        if not self.state_path or self._ino is None:
            return
        state = {
            "inode": self._ino,
            "offset": self._offset,
            "line_no": self._line_no,
            "generation": self._generation,
        }
        atomic_write_bytes(self.state_path, [json.dumps(state).encode()])

    def _open(self, from_start: bool) -> bool:
        try:
            fh = open(self.path, "rb")  # noqa: SIM115 - kept open to drain a rotated file
        except FileNotFoundError:
            return False
        st = os.fstat(fh.fileno())
        if from_start or st.st_ino != self._ino or st.st_size < self._offset:
            if self._ino is not None and (st.st_ino != self._ino or st.st_size < self._offset):
                self._generation += 1
            self._offset, self._line_no, self._partial = 0, 0, b""
        self._ino = st.st_ino
        fh.seek(self._offset)
        self._fh = fh
        return True

    def _read_available(self) -> list[tuple[int, bytes]]:
        """Complete new lines (with their numbers) of the open file."""
        assert self._fh is not None  # opened by _open
        data = self._fh.read(self.max_bytes)
        if not data:
            return []
        buf = self._partial + data
        parts = buf.split(b"\n")
        self._partial = parts.pop()
        out = []
        for raw in parts:
            self._line_no += 1
            self._offset += len(raw) + 1
            out.append((self._line_no, raw))
        return out

    def poll(self) -> pa.Table:
        lines: list[tuple[int, bytes, int]] = []  # (line_no, raw, generation)
        if self._fh is None and not self._open(from_start=False):
            return EVENT_SCHEMA.empty_table()
        assert self._fh is not None  # open
        lines += [(n, r, self._generation) for n, r in self._read_available()]
        try:
            st = os.stat(self.path)
            rotated = st.st_ino != self._ino
            truncated = not rotated and st.st_size < self._offset + len(self._partial)
        except FileNotFoundError:
            rotated = truncated = False  # between rename and create: keep the old one
        if rotated or truncated:
            if rotated:  # drain what the writer added to the old file before it moved
                while True:
                    more = self._read_available()
                    if not more:
                        break
                    lines += [(n, r, self._generation) for n, r in more]
                if self._partial:
                    self._line_no += 1
                    lines.append((self._line_no, self._partial, self._generation))
                    self._partial = b""
            else:
                self.problems.append(f"{self.path}: file was truncated; reading it again from the start")
            self._fh.close()
            self._fh = None
            if self._open(from_start=True):
                lines += [(n, r, self._generation) for n, r in self._read_available()]
        self._save()
        return self._parse(lines)

    def _parse(self, lines: list[tuple[int, bytes, int]]) -> pa.Table:
        if not lines:
            return EVENT_SCHEMA.empty_table()
        nos, texts, seqs, bad_rows = [], [], [], []
        for n, raw, gen in lines:
            raw = raw.rstrip(b"\r")
            if not raw.strip():
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                bad_rows.append((n, "not UTF-8 text", raw.decode("utf-8", "replace")))
                continue
            nos.append(n)
            texts.append(text)
            seqs.append((gen << 32) + n)
        self.lines_read += len(lines)
        events = EVENT_SCHEMA.empty_table()
        if nos:
            table = pa.table({"line_no": pa.array(nos, pa.int64()), "line": pa.array(texts, pa.string())})
            res = parse_lines(table, str(self.path))
            events = res.events
            if events.num_rows:
                # seq: line number within the file's generation, so it keeps growing across rotations
                lut = dict(zip(nos, seqs, strict=True))
                seq = pa.array([lut[int(x)] for x in events["seq"].to_pylist()], pa.int64())
                events = events.set_column(events.schema.get_field_index("seq"), "seq", seq)
            self._note_bad(res.bad)
            for t, k in res.unknown_types.items():
                self._problem(f"{self.path}: {k} event(s) of unknown type {t!r} skipped")
        if bad_rows:
            self._note_bad(
                pa.table(
                    {
                        "file": [str(self.path)] * len(bad_rows),
                        "line": pa.array([b[0] for b in bad_rows], pa.int64()),
                        "reason": [b[1] for b in bad_rows],
                        "raw": pa.array([b[2] for b in bad_rows], pa.large_string()),
                    },
                    schema=BAD_ROW_SCHEMA,
                )
            )
        if self.session_id is None and events.num_rows:
            self.session_id = events["session_id"][0].as_py()
        if self.session_id is not None and events.num_rows:
            events = events.filter(pc.equal(events["session_id"], self.session_id))
        if events.num_rows:
            t = _ts_us(events)
            self._first_ts = int(t.min()) if self._first_ts is None else min(self._first_ts, int(t.min()))
            self._last_ts = int(t.max()) if self._last_ts is None else max(self._last_ts, int(t.max()))
            if pc.any(pc.equal(events["type"], "session_end")).as_py():
                self._stopped = True
        return events

    def _note_bad(self, bad: pa.Table) -> None:
        if not bad.num_rows:
            return
        self.bad_count += bad.num_rows
        self.bad = pa.concat_tables([self.bad, bad]).slice(max(0, self.bad.num_rows + bad.num_rows - 1000))
        for line, reason in zip(bad["line"].to_pylist(), bad["reason"].to_pylist(), strict=True):
            self._problem(f"{self.path}:{line}: {reason}")

    def _problem(self, text: str) -> None:
        self.problems.append(text)
        del self.problems[: -self.max_problems]


class FollowStore(_Source):
    """A session that another process is writing into the store (the recorder's live writer).

    Each poll reads only what was committed since the last one: event ``seq`` grows with the commit
    version, and files older than the last event seen are skipped, so a poll costs the new commits, not the
    session. The stream ends when the session is sealed (its ``session_end`` was committed).
    """

    kind = "recording"
    persist = False
    interval = 1.0

    def __init__(self, store, session_id: str) -> None:
        super().__init__()
        self.store = store
        self.session_id = session_id
        self._version = -1
        self._last_seq: int | None = None
        self._last_ts = None
        self._first_ts: int | None = None
        self._last_ts_us: int | None = None
        self._sealed = False

    @property
    def ended(self) -> bool:
        return self._sealed

    @property
    def elapsed_s(self) -> float:
        if self._first_ts is None or self._last_ts_us is None:  # both are set by the first events
            return 0.0
        return (self._last_ts_us - self._first_ts) / 1e6

    def poll(self) -> pa.Table:
        snap = self.store.snapshot()
        if snap.version == self._version:
            return EVENT_SCHEMA.empty_table()
        self._version = snap.version
        con, _ = self.store.connect(snap, private=True)
        since = None if self._last_ts is None else self._last_ts - dt.timedelta(minutes=5)  # late-arriving events
        self.store.define_events(con, [self.session_id], since=since)
        where = "" if self._last_seq is None else f"WHERE seq > {int(self._last_seq)}"
        events = con.sql(f"SELECT * FROM ev {where} ORDER BY ts, seq").to_arrow_table().cast(EVENT_SCHEMA)
        sealed = con.execute("SELECT bool_or(sealed) FROM sessions WHERE session_id = ?", [self.session_id]).fetchone()
        self._sealed = bool(sealed and sealed[0])
        if events.num_rows:
            self._last_seq = max(self._last_seq or 0, pc.max(events["seq"]).as_py())
            self._last_ts = pc.max(events["ts"]).as_py()
            t = _ts_us(events)
            self._first_ts = int(t.min()) if self._first_ts is None else min(self._first_ts, int(t.min()))
            self._last_ts_us = int(t.max()) if self._last_ts_us is None else max(self._last_ts_us, int(t.max()))
        return events
