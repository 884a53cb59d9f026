"""The one reading path: event-log files as a stream of bounded parts, reading, validation and the consumer's
work overlapping in threads; and the whole-file reads collected from it."""

from __future__ import annotations

import os
import queue
import threading
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from liveboard.eventlog.lines import line_tables, locate
from liveboard.eventlog.problems import BAD_ROW_SCHEMA, EventLogError
from liveboard.eventlog.result import ReadResult
from liveboard.eventlog.validation import LINES_SCHEMA, VALIDATE_CALL, VALIDATE_MACRO, validated
from liveboard.events import EVENT_SCHEMA

#: DuckDB passes of validation run at once (one pass plans and runs mostly on one core).
VALIDATORS = 2


_OUT_OF_MEMORY = (MemoryError, getattr(duckdb, "OutOfMemoryException", MemoryError))


def _out_of_memory(path: Path) -> EventLogError:
    return EventLogError(
        f"{path}: out of memory reading it; split it into smaller files",
        problem="out of memory reading it",
        hint="split it into smaller files",
    )


def _put(q: queue.Queue, item, stop: threading.Event) -> bool:
    while not stop.is_set():
        try:
            q.put(item, timeout=0.1)
            return True
        except queue.Full:
            pass
    return False


def _get(q: queue.Queue, stop: threading.Event):
    while not stop.is_set():
        try:
            return q.get(timeout=0.1)
        except queue.Empty:
            pass
    return None


class EventLogStream:
    """Event-log files read as a stream of parts ``(events, bad)``, each of at most about :data:`CHUNK_LINES`
    lines, so that no file's text or events are ever whole in memory.

    ``events`` is in :data:`EVENT_SCHEMA` and ``bad`` in :data:`BAD_ROW_SCHEMA`; ``seq`` follows argument
    order, then line order, exactly as :func:`read_event_logs` numbers it. Three stages overlap: a thread reads
    and decompresses the files and cuts their lines, :data:`VALIDATORS` threads validate them with DuckDB
    (without the GIL; parts are handed on in order), and the caller's loop takes each part as it is ready; at
    most one part waits between two stages. After the loop: :attr:`unknown_types`, :attr:`sources`, :attr:`file_errors`,
    :attr:`events_read`, :attr:`bad_read`, and :meth:`locate` (as :meth:`ReadResult.locate`).

    A file that cannot be read at all (missing, not gzip, too big, damaged) is named in :attr:`file_errors`
    and the others are read. A file found damaged part way (a truncated or corrupt .gz, a read error, more
    than :data:`MAX_FILE_BYTES` of text) keeps the parts handed on before the damage was found: a stream
    cannot take back what its consumer already has. Its error says so ("lines 1 to N are imported") and
    :attr:`partial` lists ``(file, first seq, last seq)`` for a consumer that would rather drop them; lines of
    it read but not yet handed on are dropped. A file damaged before its first part was handed on (any file
    smaller than one part) contributes nothing, as with :func:`read_event_logs`.
    ``hold_files=True`` (what :func:`read_event_logs` uses) holds each file's parts until the file is read
    to its end, so that a damaged file contributes nothing at all; its memory is then a whole file's.
    ``ordered=False`` hands on each part's events in no set order (``seq`` still tells it), which spares a
    reordering pass over every part (an import does not need the order); bad rows always come in line order.

    Iterate once. Leaving the loop early (``break``, an exception) stops the threads.
    """

    def __init__(
        self,
        paths: Iterable[str | os.PathLike],
        *,
        progress: bool = False,
        con: duckdb.DuckDBPyConnection | None = None,
        hold_files: bool = False,
        ordered: bool = True,
    ) -> None:
        self.paths = [Path(p) for p in paths]
        self.ordered = ordered
        self.progress = progress
        self.hold_files = hold_files
        self._con = con
        self.unknown_types: Counter = Counter()
        self.sources: list[tuple[str, int]] = []
        self.file_errors: list[str] = []
        self.partial: list[tuple[str, int, int]] = []
        self.events_read = 0
        self.bad_read = 0
        self._used = False

    def __iter__(self) -> Iterator[tuple[pa.Table, pa.Table]]:
        if self._used:
            raise RuntimeError("an event-log stream can be read once")
        self._used = True
        return self._parts()

    def locate(self, seqs: list[int]) -> pa.Table:
        """File, line and raw text of events given by ``seq`` (see :meth:`ReadResult.locate`)."""
        return locate(self.sources, seqs)

    @property
    def bad_count(self) -> int:
        return self.bad_read

    # ------------------------------------------------------------ the three stages

    def _parts(self) -> Iterator[tuple[pa.Table, pa.Table]]:
        stop = threading.Event()
        lines_q: queue.Queue = queue.Queue(maxsize=1)
        parts_q: queue.Queue = queue.Queue(maxsize=1)
        bar = self._bar()
        reader = threading.Thread(target=self._read, args=(lines_q, stop, bar), name="eventlog-read", daemon=True)
        checker = threading.Thread(
            target=self._check, args=(lines_q, parts_q, stop), name="eventlog-validate", daemon=True
        )
        reader.start()
        checker.start()
        try:
            yield from self._hand_on(parts_q, checker)
        finally:
            stop.set()
            reader.join()
            checker.join()
            if bar is not None:
                bar.close()

    def _bar(self):
        if not self.progress:
            return None
        from tqdm.auto import tqdm

        total = 0
        for p in self.paths:
            try:
                total += p.stat().st_size
            except OSError:
                pass
        # one file: a bar on a terminal only (disable=None), so a pipe or a log gets just the result lines
        disable = None if len(self.paths) < 2 else False
        return tqdm(total=total, desc="reading", unit="B", unit_scale=True, unit_divisor=1024, disable=disable)

    def _read(self, out: queue.Queue, stop: threading.Event, bar) -> None:
        """Stage 1: each file's numbered lines, a table of bounded size at a time."""
        on_bytes = bar.update if bar is not None else None
        try:
            for i, path in enumerate(self.paths):
                if not _put(out, ("start", i, None), stop):
                    return
                end: tuple[str, int, BaseException | None]
                try:
                    for table in line_tables(path, on_bytes):
                        if not _put(out, ("lines", i, table), stop):
                            return
                except EventLogError as exc:
                    end = ("error", i, exc)
                except MemoryError:
                    end = ("error", i, _out_of_memory(path))
                else:
                    end = ("end", i, None)
                if not _put(out, end, stop):
                    return
            _put(out, ("done", None, None), stop)
        except BaseException as exc:  # handed to the caller's thread and raised there
            _put(out, ("fail", None, exc), stop)

    def _check(self, inp: queue.Queue, out: queue.Queue, stop: threading.Event) -> None:
        """Stage 2: validation, one DuckDB pass per table of lines, :data:`VALIDATORS` passes at a time (a
        pass plans and runs mostly on one core), handed on in the order the tables came."""
        try:
            base = self._con
            if base is None:  # our own database: each of the passes running at once gets its share of the cores
                base = duckdb.connect(config={"threads": max(1, (os.cpu_count() or 1) // VALIDATORS)})
            local = threading.local()

            def validate(table: pa.Table, source: str):
                con = getattr(local, "con", None)
                if con is None:  # one cursor per validating thread: a connection runs one query at a time
                    local.con = con = base.cursor()
                    con.execute("SET enable_progress_bar = false")  # the stream has its own bar, on stderr
                    con.register("lines", LINES_SCHEMA.empty_table())  # the macro's body is checked once made
                    con.execute(VALIDATE_MACRO)
                    con.unregister("lines")
                return validated(table, source, con, ordered=self.ordered, query=VALIDATE_CALL)

            failed = None  # a file that ran out of memory: the rest of it is skipped
            waiting: deque = deque()  # items in order; a table of lines comes with its pass (a future)

            def hand_on(item) -> bool:
                nonlocal failed
                kind, i, payload = item[:3]
                if i is not None and i == failed and kind != "start":
                    return True
                if kind == "lines":
                    try:
                        events, bad, unknown = item[3].result()
                    except _OUT_OF_MEMORY:
                        failed, item = i, ("error", i, _out_of_memory(self.paths[i]))
                    else:
                        last = payload.column("line_no")[payload.num_rows - 1].as_py() if payload.num_rows else 0
                        item = ("part", i, (events, bad, unknown, last))
                return _put(out, item, stop)

            with ThreadPoolExecutor(VALIDATORS, thread_name_prefix="eventlog-validate") as pool:
                while (item := _get(inp, stop)) is not None:
                    kind, i, payload = item
                    if kind == "lines" and i != failed:
                        item = (kind, i, payload, pool.submit(validate, payload, str(self.paths[i])))
                    waiting.append(item)
                    final = kind in ("done", "fail")
                    while waiting and (
                        final
                        or sum(len(x) > 3 for x in waiting) > VALIDATORS  # at most this many passes held
                        or len(waiting[0]) == 3  # not a pass
                        or waiting[0][3].done()
                    ):
                        if not hand_on(waiting.popleft()):
                            return
                    if final:
                        return
        except BaseException as exc:  # handed to the caller's thread and raised there
            _put(out, ("fail", None, exc), stop)

    def _hand_on(self, inp: queue.Queue, checker: threading.Thread) -> Iterator[tuple[pa.Table, pa.Table]]:
        """Stage 3 (the caller's thread): ``seq`` across files, bookkeeping, and the parts handed on."""
        offset = 0  # seq = offset + line number in the current file
        held: list[tuple[pa.Table, pa.Table]] = []
        held_unknown: Counter = Counter()
        top = None  # the largest line number of an event of the current file
        last = 0  # the last line of the current file handed on (or held)
        handed = False
        while True:
            try:
                kind, i, payload = inp.get(timeout=0.5)
            except queue.Empty:
                if checker.is_alive() or not inp.empty():
                    continue
                raise RuntimeError("the event-log reader stopped without saying why") from None
            if kind == "start":
                self.sources.append((str(self.paths[i]), offset))
                held, held_unknown, top, last, handed = [], Counter(), None, 0, False
            elif kind == "part":
                events, bad, unknown, last = payload
                if events.num_rows:
                    top = max(top or 0, pc.max(events["seq"]).as_py())
                    if offset:
                        seq = pc.add(events["seq"], pa.scalar(offset, pa.int64()))
                        k = events.schema.get_field_index("seq")
                        events = events.set_column(k, events.schema.field(k), seq)
                if self.hold_files:
                    held.append((events, bad))
                    held_unknown.update(unknown)
                else:
                    self.unknown_types.update(unknown)
                    if events.num_rows or bad.num_rows:
                        handed = True
                        self.events_read += events.num_rows
                        self.bad_read += bad.num_rows
                        yield events, bad
            elif kind == "end":
                self.unknown_types.update(held_unknown)
                for events, bad in held:
                    self.events_read += events.num_rows
                    self.bad_read += bad.num_rows
                    yield events, bad
                held = []
                offset += top + 1 if top is not None else 1
            elif kind == "error":
                path = self.paths[i]
                if handed:  # some of it is with the consumer already: say which lines
                    problem = payload.problem or str(payload).removeprefix(f"{path}: ")
                    hint = f" ({payload.hint})" if payload.hint else ""
                    self.file_errors.append(
                        f"{path}: {problem} after line {last:,}: lines 1 to {last:,} are imported, "
                        f"the rest of the file is not{hint}"
                    )
                    if top is not None:
                        self.partial.append((str(path), offset + 1, offset + top))
                    offset += top + 1 if top is not None else 1
                else:  # nothing of it handed on: it contributes nothing
                    self.sources.pop()
                    self.file_errors.append(str(payload))
                held = []
            elif kind == "done":
                return
            elif kind == "fail":
                raise payload


def iter_event_logs(
    paths: Iterable[str | os.PathLike],
    progress: bool = False,
    con: duckdb.DuckDBPyConnection | None = None,
    *,
    ordered: bool = True,
) -> EventLogStream:
    """Read event-log files as a stream of bounded parts ``(events, bad)`` (see :class:`EventLogStream`).

    ``progress`` shows a bar of the bytes read (compressed bytes for a .gz) over all the files.
    """
    return EventLogStream(paths, progress=progress, con=con, ordered=ordered)


def _collected(stream: EventLogStream) -> ReadResult:
    events, bads = [], []
    for ev, bad in stream:
        events.append(ev)
        bads.append(bad)
    return ReadResult(
        pa.concat_tables(events) if events else EVENT_SCHEMA.empty_table(),
        pa.concat_tables(bads) if bads else BAD_ROW_SCHEMA.empty_table(),
        stream.unknown_types,
        sources=stream.sources,
        file_errors=stream.file_errors,
    )


def read_event_log(path: str | os.PathLike, con: duckdb.DuckDBPyConnection | None = None) -> ReadResult:
    """Read one ``.jsonl`` / ``.jsonl.gz`` file whole; ``seq`` is the line number.

    Raises :class:`EventLogError` (one line naming the file) when the file cannot be read as a whole.
    """
    stream = EventLogStream([path], con=con, hold_files=True)
    result = _collected(stream)
    if stream.file_errors:
        raise EventLogError(stream.file_errors[0])
    return result


def read_event_logs(paths: list[str | os.PathLike], progress: bool = False) -> ReadResult:
    """Read several files whole, as one batch; ``seq`` follows argument order, then line order.

    A file that cannot be read to its end (missing, damaged gzip, too big) does not stop the others: it is
    named in ``file_errors`` and contributes nothing. The same reading as :func:`iter_event_logs`, collected.
    """
    return _collected(EventLogStream(paths, progress=progress, hold_files=True))
