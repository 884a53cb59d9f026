"""Reading and writing event-log-v1 files (JSON Lines, optionally gzipped).

Validation runs as vectorised DuckDB passes over chunks of the file's lines, so a 5-million-line log is
checked without a Python loop per event, and every bad row still comes back with its file, line and reason.
Files are read (and decompressed) a block at a time: a line over :data:`MAX_LINE_BYTES` is a bad row and a
file over :data:`MAX_FILE_BYTES` is refused, so no file, not even a gzip bomb, is ever whole in memory.

:func:`iter_event_logs` is the one reading path: a stream of bounded parts, with reading, validation and
the consumer's work overlapping in threads (an import's peak memory does not grow with the file);
:func:`read_event_log` and :func:`read_event_logs` collect it into whole tables.
"""

from __future__ import annotations

import bisect
import errno
import gzip
import os
import queue
import tempfile
import threading
import zlib
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from isal import isal_zlib

from liveboard.events import COMMON_FIELDS, EVENT_SCHEMA, EVENT_TYPES, PAYLOAD_COLUMNS, Field
from liveboard.ids import SESSION_ID_PATTERN

#: Lines validated per DuckDB pass (one part of a stream), and the most text one pass holds: memory stays
#: bounded per pass, and a streamed import holds a few parts at a time, never a whole file.
CHUNK_LINES = 250_000
CHUNK_BYTES = 32 << 20
#: DuckDB passes of validation run at once (one pass plans and runs mostly on one core).
VALIDATORS = 2
#: Bytes of text read (and decompressed) at a time: a file is never held whole in memory.
READ_BLOCK = 4 << 20
#: Compressed bytes read from a .gz file at a time.
_GZIP_READ = 1 << 20
#: A longer line is a bad row of which only the first :data:`RAW_KEPT` bytes are kept (no event is near it).
MAX_LINE_BYTES = 1 << 20
RAW_KEPT = 1000
#: Text of one file (after decompression) beyond which the file is refused: a gzip bomb, or a file to split.
MAX_FILE_BYTES = 4 << 30
_GZIP_MAGIC = b"\x1f\x8b"
#: The inflater: ISA-L's, with zlib's API (CRC and length checked alike), about three times as fast as zlib's
#: on event logs, and decompression is the one stage of a read that runs on a single core.
_zlib = isal_zlib
_INFLATE_ERRORS = (zlib.error, isal_zlib.error)
_BOM = b"\xef\xbb\xbf"

BAD_ROW_SCHEMA = pa.schema(
    [
        pa.field("file", pa.string()),
        pa.field("line", pa.int64()),
        pa.field("reason", pa.string()),
        pa.field("raw", pa.large_string()),
    ]
)


class EventLogError(Exception):
    """A user-facing problem with an event-log file as a whole (missing, unreadable, damaged, too big).

    ``problem`` (without the path) and ``hint`` are set when the problem can come after some of the file
    was read: a stream that has handed on some of its lines already says so with them.
    """

    def __init__(self, message: str, *, problem: str | None = None, hint: str = "") -> None:
        super().__init__(message)
        self.problem = problem
        self.hint = hint


@dataclass
class ReadResult:
    """Good events (in :data:`EVENT_SCHEMA`, ``seq`` = read order), bad rows, and unknown types seen.

    ``sources`` maps ``seq`` back to a file: ``(path, offset)`` with ``line = seq - offset`` for the last
    offset at or below ``seq``; :meth:`locate` uses it to quarantine an event the store refuses with its
    file, line and raw text. ``file_errors`` are files that could not be read at all (one line each).
    """

    events: pa.Table
    bad: pa.Table
    unknown_types: Counter = field(default_factory=Counter)
    sources: list[tuple[str, int]] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)

    @property
    def bad_count(self) -> int:
        return self.bad.num_rows

    def locate(self, seqs: list[int]) -> pa.Table:
        """File, line and raw text (in :data:`BAD_ROW_SCHEMA`, reason empty) of events given by ``seq``.

        The raw text is read again from the file (only the files concerned, only when asked), so an import
        never keeps every line's text in memory; a file gone since is located without its text.
        """
        return _locate(self.sources, seqs)


def _locate(sources: list[tuple[str, int]], seqs: list[int]) -> pa.Table:
    n = len(seqs)
    files: list[str | None] = [None] * n
    lines: list[int | None] = [None] * n
    raws: list[str | None] = [None] * n
    starts = [offset for _, offset in sources]
    wanted: dict[int, dict[int, list[int]]] = {}
    for i, s in enumerate(seqs):
        k = bisect.bisect_right(starts, s) - 1
        if k < 0:
            continue
        files[i], lines[i] = sources[k][0], s - starts[k]
        wanted.setdefault(k, {}).setdefault(s - starts[k], []).append(i)
    for k, by_line in wanted.items():
        numbers = pa.array(list(by_line), pa.int64())
        try:
            for chunk in _line_tables(Path(sources[k][0])):
                hit = chunk.filter(pc.is_in(chunk["line_no"], numbers))
                texts = pc.utf8_rtrim(hit["line"], "\r\n").to_pylist()
                for no, text in zip(hit["line_no"].to_pylist(), texts, strict=True):
                    for i in by_line.get(no, ()):
                        raws[i] = text
        except (EventLogError, OSError):
            pass
    return pa.table(
        {
            "file": pa.array(files, pa.string()),
            "line": pa.array(lines, pa.int64()),
            "reason": pa.nulls(n, pa.string()),
            "raw": pa.array(raws, pa.large_string()),
        },
        schema=BAD_ROW_SCHEMA,
    )


def os_problem(path: Path, exc: OSError) -> str:
    """One line saying what is wrong with a path the system refused to read."""
    why = {
        errno.ENOENT: "no such file or folder",
        errno.ELOOP: "symlink loop (a link that points back to itself)",
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
        errno.EISDIR: "is a folder, not a file",
        errno.ENOTDIR: "no such file (a part of the path is not a folder)",
    }.get(exc.errno, f"cannot read ({exc.strerror or exc})")
    return f"{path}: {why}"


def _line_tables(path: Path, on_bytes: Callable[[int], None] | None = None) -> Iterator[pa.Table]:
    """The file's numbered lines (``line_no``, ``line``, ``pre_reason``) in tables of bounded size.

    The file is read and decompressed a block at a time, so neither a big file nor a gzip bomb is ever
    whole in memory: a bomb meets :data:`MAX_LINE_BYTES` (bad rows) and :data:`MAX_FILE_BYTES` (refused).
    Each table holds at most about :data:`CHUNK_LINES` lines or :data:`CHUNK_BYTES` of text, in chunks of one
    block each (no copy to join them). A line's text keeps its line break (``\\n`` or ``\\r\\n``): JSON does
    not mind it, and only the few lines shown back (bad rows, :meth:`ReadResult.locate`) are trimmed.
    ``on_bytes`` is told how many bytes of the file (compressed bytes for a .gz) each read took.
    """
    try:
        fh = open(path, "rb", buffering=0)  # noqa: SIM115 - closed below, after the generator is done
    except OSError as exc:
        raise EventLogError(os_problem(path, exc)) from None
    with fh:
        try:
            head = fh.read(2)
            fh.seek(0)
        except OSError as exc:
            raise EventLogError(os_problem(path, exc)) from None
        gz = head == _GZIP_MAGIC
        if not gz and head and path.name.lower().endswith(".gz"):
            raise EventLogError(f"{path}: not a gzip file, although its name ends in .gz")
        blocks = _gunzip(fh, on_bytes) if gz else _plain(fh, on_bytes)
        try:
            yield from _numbered_lines(blocks, path)
        except (gzip.BadGzipFile, EOFError, *_INFLATE_ERRORS) as exc:
            raise EventLogError(
                f"{path}: damaged or truncated gzip file ({exc}); nothing imported from it",
                problem=f"damaged or truncated gzip file ({exc})",
            ) from None
        except OSError as exc:
            raise EventLogError(os_problem(path, exc)) from None


def _plain(fh, on_bytes: Callable[[int], None] | None) -> Iterator[bytes]:
    while block := fh.read(READ_BLOCK):
        if on_bytes:
            on_bytes(len(block))
        yield block


def _gunzip(fh, on_bytes: Callable[[int], None] | None) -> Iterator[bytes]:
    """The text of a gzip file, at most :data:`READ_BLOCK` bytes at a time, whatever its compression ratio.

    Members follow one another (``cat a.gz b.gz`` is one file) and zero padding after a member is skipped,
    as :mod:`gzip` does; each member's CRC and length are checked (by the inflater). A file that ends inside a member
    raises :class:`EOFError`, bytes after a member that start no other one :class:`gzip.BadGzipFile`.
    """
    limit = READ_BLOCK
    data, at_end, d = b"", False, None
    while True:
        if not data and not at_end:
            data = fh.read(_GZIP_READ)
            at_end = not data
            if on_bytes and data:
                on_bytes(len(data))
        if d is None:  # between members
            data = data.lstrip(b"\0")
            if len(data) < 2 and not at_end:
                more = fh.read(_GZIP_READ)
                at_end = not more
                if on_bytes and more:
                    on_bytes(len(more))
                data += more
                continue
            if not data:
                return
            if data[:2] != _GZIP_MAGIC:
                raise gzip.BadGzipFile(f"not a gzipped file ({data[:2]!r} after the end of a member)")
            d = _zlib.decompressobj(31)
        if not data and at_end:
            out = d.decompress(b"", limit)  # what the inflater still holds for input already given
            if not out:
                raise EOFError("compressed file ended before the end-of-stream marker was reached")
        else:
            out = d.decompress(data, limit)
            data = d.unconsumed_tail
        if d.eof:
            data, d = d.unused_data + data, None
        if out:
            yield out


def _without_bom(blocks: Iterator[bytes]) -> Iterator[bytes]:
    """The blocks with a byte-order mark at the very start (some editors write one) taken away."""
    head = b""
    for block in blocks:
        head += block
        if len(head) >= len(_BOM):
            break
    if head.startswith(_BOM):
        head = head[len(_BOM) :]
    if head:
        yield head
    yield from blocks


def _numbered_lines(blocks: Iterator[bytes], path: Path) -> Iterator[pa.Table]:
    parts: list[pa.Table] = []
    held_rows = held_bytes = total = 0
    next_line = 1
    pending = b""  # text not yet cut into lines (no newline in it)
    skipping: tuple[int, bytes] | None = None  # (line number, first bytes) of a too-long line being skipped
    for block in _without_bom(blocks):
        total += len(block)
        if total > MAX_FILE_BYTES:
            raise EventLogError(
                f"{path}: more than {_size(MAX_FILE_BYTES)} of text (after decompression): refused, "
                "nothing imported from it (a gzip bomb? else split it into smaller files)",
                problem=f"more than {_size(MAX_FILE_BYTES)} of text (after decompression)",
                hint="a gzip bomb? else split it into smaller files",
            )
        if skipping is not None:
            nl = block.find(b"\n")
            if nl < 0:
                continue
            parts.append(_long_line(*skipping))
            next_line, skipping, block = next_line + 1, None, block[nl + 1 :]
        data = pending + block if pending else block
        cut = data.rfind(b"\n") + 1
        if not cut and len(data) > MAX_LINE_BYTES:  # a line too long: skip to its end, keep its start
            skipping, pending = (next_line, data[:RAW_KEPT]), b""
            continue
        pending = data[cut:] if cut else data
        if cut:
            table, n = _split_lines(data if cut == len(data) else data[:cut], next_line)
            parts.append(table)
            next_line += n
            held_rows += table.num_rows
            held_bytes += cut
        if len(pending) > MAX_LINE_BYTES:
            skipping, pending = (next_line, pending[:RAW_KEPT]), b""
        while held_rows >= CHUNK_LINES:  # at most CHUNK_LINES lines a table (slices: no copy)
            held = pa.concat_tables(parts)
            yield held.slice(0, CHUNK_LINES)
            rest = held.slice(CHUNK_LINES)
            parts, held_rows = [rest], rest.num_rows
            held_bytes = held_bytes * rest.num_rows // max(held.num_rows, 1)
        if held_bytes >= CHUNK_BYTES:
            yield pa.concat_tables(parts)
            parts, held_rows, held_bytes = [], 0, 0
    if skipping is not None:
        parts.append(_long_line(*skipping))
    elif pending:
        parts.append(_split_lines(pending, next_line)[0])
    if parts:
        yield pa.concat_tables(parts)


def _size(n: int) -> str:
    for unit, shift in (("GiB", 30), ("MiB", 20)):
        if n >= 1 << shift and n % (1 << (shift - 4)) == 0:
            return f"{n / (1 << shift):g} {unit}"
    return f"{n:,} bytes"


def _long_line_reason() -> str:
    return (
        f"line longer than {_size(MAX_LINE_BYTES)} (the limit for one event): only its first {RAW_KEPT} bytes are kept"
    )


def _long_line(line_no: int, head: bytes) -> pa.Table:
    return pa.table(
        {
            "line_no": pa.array([line_no], pa.int64()),
            "line": pa.array([head.decode("utf-8", "backslashreplace") + "…"], pa.large_string()),
            "pre_reason": pa.array([_long_line_reason()], pa.string()),
        }
    )


_OPEN_BRACE = ord("{")


def _split_lines(raw: bytes, first: int = 1) -> tuple[pa.Table, int]:
    """Cut a buffer of whole lines into lines numbered from ``first``, without a Python loop, a Python string
    per line or a copy of the text (the lines point into ``raw``); blank lines are dropped after numbering.
    Returns the table and the number of lines."""
    buf = np.frombuffer(raw, dtype=np.uint8)
    ends = np.flatnonzero(buf == 10)
    ends += 1
    if len(raw) and (not len(ends) or ends[-1] != len(raw)):
        ends = np.append(ends, len(raw))
    n = len(ends)
    offsets = np.empty(n + 1, np.int64)
    offsets[0] = 0
    offsets[1:] = ends
    binary = pa.Array.from_buffers(pa.large_binary(), n, [None, pa.py_buffer(offsets), pa.py_buffer(raw)])
    pre_reason = pa.nulls(n, pa.string())
    too_long = (np.diff(offsets) - (buf[ends - 1] == 10)) > MAX_LINE_BYTES if n else np.zeros(0, bool)
    if too_long.any():
        idx = np.flatnonzero(too_long)
        mask = pa.array(too_long)
        heads = [raw[offsets[i] : offsets[i] + RAW_KEPT].decode("utf-8", "backslashreplace") + "…" for i in idx]
        binary = pc.replace_with_mask(binary, mask, pa.array([h.encode() for h in heads], pa.large_binary()))
        pre_reason = pc.replace_with_mask(pre_reason, mask, pa.array([_long_line_reason()] * len(idx)))
    try:
        lines = binary.cast(pa.large_string())
    except pa.ArrowInvalid:
        lines, not_utf8 = _mark_non_utf8(binary)
        pre_reason = pc.coalesce(pre_reason, not_utf8)
    numbers = pa.array(np.arange(first, first + n, dtype=np.int64))
    table = pa.table({"line_no": numbers, "line": lines, "pre_reason": pre_reason})
    # only a line that does not start with "{" can be blank: look at those alone (most lines start with "{")
    maybe = np.flatnonzero(buf[offsets[:-1]] != _OPEN_BRACE) if n else np.zeros(0, np.int64)
    if len(maybe):
        text = pc.utf8_rtrim(lines.take(pa.array(maybe)), "\r\n")
        blank = pc.equal(pc.utf8_length(pc.utf8_trim_whitespace(text)), 0).to_numpy(zero_copy_only=False)
        if blank.any():
            keep = np.ones(n, bool)
            keep[maybe[blank]] = False
            table = table.filter(pa.array(keep))
    return table, n


def _mark_non_utf8(binary: pa.Array) -> tuple[pa.Array, pa.Array]:
    """The rare slow path: lines that are not UTF-8 become bad rows (their bytes kept visibly escaped)."""
    texts, reasons = [], []
    for chunk in binary.to_pylist():
        try:
            texts.append(chunk.decode("utf-8"))
            reasons.append(None)
        except UnicodeDecodeError:
            texts.append(chunk.decode("utf-8", "backslashreplace"))
            reasons.append("not UTF-8 text")
    return pa.array(texts, pa.large_string()), pa.array(reasons, pa.string())


def _q(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


#: Epoch milliseconds of 2000-01-01 and 2100-01-01 UTC: a ``ts`` from ``_MS_MIN`` up to (not including)
#: ``_MS_MAX`` is plausible for a LIVE; any other is a bad row (an integer in seconds, a typo'd year).
_MS_MIN, _MS_MAX = 946_684_800_000, 4_102_444_800_000
TS_RANGE = "2000-01-01 to 2100-01-01 (UTC)"

#: The largest value each integer field may take (by event type where they differ): a bigger one is a bad
#: row, so that no sum over a session (likes, items sold, diamonds × count) can overflow 64 bits.
INT_MAXIMUM = {"quantity": 1_000_000, "diamonds": 1_000_000, "count": 1_000_000, "winners_planned": 1_000_000}
INT_MAXIMUM_BY_TYPE = {("viewer_count", "count"): 1_000_000_000}
#: The largest money amount (major units) of one order line or price: DECIMAL(24, 6) holds it exactly.
MONEY_MAXIMUM = 1_000_000_000_000


def _maximum(etype: str, name: str) -> int:
    return INT_MAXIMUM_BY_TYPE.get((etype, name), INT_MAXIMUM.get(name, 1_000_000_000))


def _field_check(f: Field, t: str, v: str, etype: str = "") -> list[tuple[str, str]]:
    """(failing-condition SQL, reason) pairs for one field; ``t`` is its JSON type, ``v`` its text."""
    absent = f"({t} IS NULL OR {t} = 'NULL')"
    checks: list[tuple[str, str]] = []
    if f.required:
        checks.append((absent, f"missing required field '{f.name}'"))
    present = f"NOT {absent}"
    if f.kind == "str":
        checks.append((f"{present} AND {t} <> 'VARCHAR'", f"field '{f.name}' must be a string"))
        if f.choices:
            allowed = ", ".join(_q(c) for c in f.choices)
            checks.append(
                (f"{present} AND {v} NOT IN ({allowed})", f"field '{f.name}' must be one of {', '.join(f.choices)}")
            )
    elif f.kind == "int":
        checks.append(
            (
                f"{present} AND ({t} NOT IN ('UBIGINT', 'BIGINT') OR TRY_CAST({v} AS BIGINT) IS NULL)",
                f"field '{f.name}' must be an integer",
            )
        )
        if f.minimum is not None:
            checks.append(
                (
                    f"{present} AND {t} IN ('UBIGINT', 'BIGINT') AND TRY_CAST({v} AS HUGEINT) < {f.minimum}",
                    f"field '{f.name}' must be at least {f.minimum}",
                )
            )
        top = _maximum(etype, f.name)
        checks.append(
            (
                f"{present} AND TRY_CAST({v} AS HUGEINT) > {top}",
                f"field '{f.name}' must be at most {top:,}",
            )
        )
    elif f.kind == "bool":
        checks.append((f"{present} AND {t} <> 'BOOLEAN'", f"field '{f.name}' must be true or false"))
    elif f.kind == "money":
        checks.append(
            (
                f"{present} AND {t} NOT IN ('VARCHAR', 'UBIGINT', 'BIGINT', 'DOUBLE')",
                f"field '{f.name}' must be a decimal number",
            )
        )
        checks.append(
            (
                f"{present} AND abs(TRY_CAST(trim({v}) AS DOUBLE)) > {MONEY_MAXIMUM}",
                f"field '{f.name}' must be at most {MONEY_MAXIMUM:,}",
            )
        )
        checks.append(
            (
                f"{present} AND TRY_CAST(trim({v}) AS DECIMAL(24, 6)) IS NULL",
                f"field '{f.name}' must be a decimal number",
            )
        )
        checks.append(
            (
                f"{present} AND TRY_CAST(trim({v}) AS DECIMAL(24, 6)) < 0",
                f"field '{f.name}' must not be negative (refunds are a status, not a negative amount)",
            )
        )
    elif f.kind == "str_list":
        checks.append((f"{present} AND {t} <> 'ARRAY'", f"field '{f.name}' must be a list of strings"))
    return checks


#: The event types common enough in a LIVE's log to be read by a branch of their own (only their fields
#: parsed: fast per line, but each branch costs some milliseconds to plan); the rest share one branch.
_OWN_BRANCH = ("impression", "product_impression", "like", "viewer_enter", "viewer_leave", "comment", "product_click")


def _validation_sql() -> str:
    """SQL that turns (line_no, line[, pre_reason]) rows into typed event columns plus a ``reason`` for bad rows.

    Each line's JSON is parsed for the four common fields first; the checks every event meets run on those
    (``judged``, computed once). Then each common event type reads only its own fields (a branch of a UNION
    ALL per type, :data:`_OWN_BRANCH`), so most lines do not pay for the thirty fields of every type; the
    rarer types share one branch. The reasons, their order and the values
    are those of one CASE over every field: the common checks first, then the type's fields in their order.
    Rows come out in no particular order (``_i``, each row's position in ``lines``, tells).
    """
    common = list(COMMON_FIELDS)
    cidx = {name: i + 1 for i, name in enumerate(common)}
    common_paths = "[" + ", ".join(_q(f"$.{p}") for p in common) + "]"
    # the first type owning a column gives its default for every type (as the one-CASE reader had it)
    owners = {
        name: [et for et, fs in EVENT_TYPES.items() if any(f.name == name for f in fs)] for name in PAYLOAD_COLUMNS
    }
    defaults = {
        name: next((f.default for et in owners[name] for f in EVENT_TYPES[et] if f.name == name), None)
        for name in PAYLOAD_COLUMNS
    }

    def ct(name: str) -> str:
        return f"t_{name}"

    def cs(name: str) -> str:
        return f"v_{name}"

    ms = "ts_ms"
    is_int = f"{ct('ts')} <> 'VARCHAR'"
    ts_prefix = _q("'ts' ")

    def looks_like(unit: str, scale: float) -> tuple[str, str]:
        lo, hi = int(_MS_MIN * scale), int(_MS_MAX * scale)
        return (
            f"{is_int} AND {ms} >= {lo} AND {ms} < {hi}",
            f"{ts_prefix} || {cs('ts')} || {_q(f' looks like epoch {unit} (use milliseconds)')}",
        )

    checks = [
        (f"{ct('id')} IS DISTINCT FROM 'VARCHAR'", _q("missing or non-string 'id'")),
        (f"{ct('type')} IS DISTINCT FROM 'VARCHAR'", _q("missing or non-string 'type'")),
        (f"{ct('session_id')} IS DISTINCT FROM 'VARCHAR'", _q("missing or non-string 'session_id'")),
        (f"{ct('ts')} IS NULL OR {ct('ts')} = 'NULL'", _q("missing 'ts'")),
        (
            f"{ct('ts')} NOT IN ('VARCHAR', 'UBIGINT', 'BIGINT')",
            _q("'ts' must be an ISO 8601 string with a UTC offset or integer epoch milliseconds"),
        ),
        looks_like("seconds", 1e-3),
        looks_like("microseconds", 1e3),
        looks_like("nanoseconds", 1e6),
        (
            f"{is_int} AND NOT coalesce({ms} >= {_MS_MIN} AND {ms} < {_MS_MAX}, false)",
            _q(f"'ts' out of range: epoch milliseconds from {TS_RANGE} expected"),
        ),
        (
            f"{ct('ts')} = 'VARCHAR' AND (NOT regexp_matches({cs('ts')}, '(Z|z|[+-]\\d\\d(:?\\d\\d)?)$') "
            f"OR ts_cast IS NULL)",
            _q("'ts' is not an ISO 8601 timestamp with a UTC offset"),
        ),
        (
            f"{ct('ts')} = 'VARCHAR' AND NOT coalesce(epoch_ms(ts_cast) BETWEEN {_MS_MIN} AND {_MS_MAX - 1}, false)",
            _q(f"'ts' out of range: a time from {TS_RANGE} expected"),
        ),
        (f"{cs('id')} = '' OR {cs('session_id')} = ''", _q("'id' and 'session_id' must not be empty")),
        (
            f"NOT regexp_full_match({cs('session_id')}, {_q(SESSION_ID_PATTERN)}) OR contains({cs('session_id')}, '..')",
            _q(
                "'session_id' is not a valid session id (at most 128 letters, digits and . _ @ : + -, "
                "starting with a letter, digit or _; no '..')"
            ),
        ),
    ]
    whens = [
        "WHEN pre_reason IS NOT NULL THEN pre_reason",
        "WHEN NOT is_json THEN 'not valid JSON'",
        "WHEN root <> 'OBJECT' THEN 'not a JSON object'",
    ] + [f"WHEN {cond} THEN {reason}" for cond, reason in checks]
    ts_expr = (
        f"CASE WHEN {ct('ts')} = 'VARCHAR' THEN ts_cast "
        f"WHEN ts_ms BETWEEN {_MS_MIN} AND {_MS_MAX - 1} THEN make_timestamptz(ts_ms * 1000) END"
    )
    known_keys = "{" + ", ".join(f'"{k}": null' for k in common + list(PAYLOAD_COLUMNS)) + "}"
    extra = f"NULLIF(json_merge_patch(j, '{known_keys}')::VARCHAR, '{{}}')"
    known_types = ", ".join(_q(x) for x in EVENT_TYPES)
    # a list element is read once into a column of its own: each check then reads it without a copy
    scalars = ", ".join(f"ct[{i}] AS {ct(n)}, cs[{i}] AS {cs(n)}" for n, i in cidx.items())
    head = f"""
    WITH checked AS (
        SELECT line_no, line, pre_reason, try(json_type(line, {common_paths})) AS ct FROM lines
    ), valid AS (
        SELECT line_no, line, pre_reason, ct IS NOT NULL AS is_json, CASE WHEN ct IS NOT NULL THEN line ELSE '{{}}' END AS j,
               ct FROM checked
    ), parsed AS (
        SELECT line_no, line, pre_reason, is_json, CASE WHEN left(j, 1) = '{{' THEN 'OBJECT' ELSE json_type(j) END AS root, j,
               ct, json_extract_string(j, {common_paths}) AS cs
        FROM valid
    ), scalars AS (
        SELECT line_no, line, pre_reason, is_json, root, j, {scalars} FROM parsed
    ), timed AS (
        SELECT *, TRY_CAST({cs("ts")} AS TIMESTAMPTZ) AS ts_cast, TRY_CAST({cs("ts")} AS BIGINT) AS ts_ms FROM scalars
    ), reasoned AS (
        SELECT line_no, CASE WHEN NOT is_json OR pre_reason IS NOT NULL THEN line END AS odd_line, j,
               {cs("id")} AS e_id, {cs("type")} AS e_type, {cs("session_id")} AS e_sid, {ts_expr} AS e_ts,
               CASE {" ".join(whens)} END AS reason
        FROM timed
    ), judged AS MATERIALIZED (
        SELECT *, CASE WHEN reason IS NULL AND e_type IN ({known_types}) THEN e_type END AS etype FROM reasoned
    )"""
    branches = [
        "SELECT line_no, coalesce(odd_line, j) AS line, reason, "
        "CASE WHEN reason IS NULL THEN e_type END AS unknown_type "
        "FROM judged WHERE etype IS NULL"
    ]
    rest = [et for et in EVENT_TYPES if et not in _OWN_BRANCH]
    for group in [[et] for et in _OWN_BRANCH] + [rest]:
        names = [n for n in PAYLOAD_COLUMNS if any(f.name == n for et in group for f in EVENT_TYPES[et])]
        fidx = {name: i + 1 for i, name in enumerate(names)}
        paths = "[" + ", ".join(_q(f"$.{n}") for n in names) + "]"
        cases = []
        for etype in group:
            type_checks = [
                f"WHEN {cond} THEN {_q(etype + ': ' + reason)}"
                for f in EVENT_TYPES[etype]
                for cond, reason in _field_check(f, f"t{fidx[f.name]}", f"v{fidx[f.name]}", etype)
            ]
            if type_checks:
                cases.append((etype, f"CASE {' '.join(type_checks)} END"))
        if len(group) == 1:
            reason = cases[0][1] if cases else "NULL::VARCHAR"
        else:
            reason = "CASE e_type " + " ".join(f"WHEN {_q(et)} THEN {c}" for et, c in cases) + " END"
        cols = []
        for name in names:
            kind = PAYLOAD_COLUMNS[name]
            t, v = f"t{fidx[name]}", f"v{fidx[name]}"
            absent = f"({t} IS NULL OR {t} = 'NULL')"
            if kind == "str":
                expr = v
            elif kind == "int":
                expr = f"TRY_CAST({v} AS BIGINT)"
            elif kind == "bool":
                expr = f"({v} = 'true')"
            elif kind == "money":
                expr = f"TRY_CAST(trim({v}) AS DECIMAL(24, 6))"
            else:  # str_list
                expr = f"json_extract_string(j, '$.{name}[*]')"
            owning = [et for et in group if any(f.name == name for f in EVENT_TYPES[et])]
            own = "" if len(owning) == len(group) else f"e_type IN ({', '.join(_q(et) for et in owning)}) AND "
            default = defaults[name]
            if default is not None:
                lit = _q(str(default)) if isinstance(default, str) else str(default)
                expr = f"CASE WHEN {absent} THEN {lit} ELSE {expr} END"
                cols.append(f"CASE WHEN {own}TRUE THEN {expr} END AS {name}" if own else f"{expr} AS {name}")
            else:
                cols.append(f"CASE WHEN {own}NOT {absent} THEN {expr} END AS {name}")
        # keys beyond the four common fields and the branch's present ones: maybe extra (the merge tells)
        present = " + ".join(f"(t{i} IS NOT NULL)::INTEGER" for i in fidx.values()) or "0"
        parse = f", json_type(j, {paths}) AS jt, json_extract_string(j, {paths}) AS js" if names else ""
        carry = "".join(f", t{i}, v{i}" for i in fidx.values())
        split = "".join(f", jt[{i}] AS t{i}, js[{i}] AS v{i}" for i in fidx.values())
        which = f"= {_q(group[0])}" if len(group) == 1 else f"IN ({', '.join(_q(et) for et in group)})"
        branches.append(
            "SELECT line_no, CASE WHEN reason IS NOT NULL THEN j END AS line, reason, NULL::VARCHAR AS unknown_type, "
            "e_sid AS session_id, e_id AS id, e_type AS type, e_ts AS ts, "
            + "".join(c + ", " for c in cols)
            + f"CASE WHEN len(json_keys(j)) > {len(common)} + {present} THEN {extra} END AS extra "
            f"FROM (SELECT line_no, j, e_id, e_type, e_sid, e_ts{carry}, {reason} AS reason FROM ("
            f"SELECT line_no, j, e_id, e_type, e_sid, e_ts{split} FROM ("
            f"SELECT line_no, j, e_id, e_type, e_sid, e_ts{parse} FROM judged WHERE etype {which})))"
        )
    # BY NAME: a branch gives its type's columns only, the others are null; _i is the row's input position
    sql = head + "\n    " + "\n    UNION ALL BY NAME ".join(branches)
    return sql.replace("SELECT line_no, ", "SELECT _i, line_no, ")


_SQL = _validation_sql()
#: The validation as a table macro, for the cursors of a stream: its text is parsed once per cursor, not once
#: per part (planning the big statement is a good part of a small pass).
_VALIDATE_MACRO = f"CREATE TEMP MACRO liveboard_validate() AS TABLE {_SQL}"
_VALIDATE_CALL = "SELECT * FROM liveboard_validate()"
_LINES_SCHEMA = pa.schema(
    [("line_no", pa.int64()), ("line", pa.large_string()), ("pre_reason", pa.string()), ("_i", pa.int64())]
)


def _validated(
    lines: pa.Table, source: str, con: duckdb.DuckDBPyConnection, *, ordered: bool = True, query: str = _SQL
) -> tuple[pa.Table, pa.Table, Counter]:
    """One DuckDB pass over (line_no, line[, pre_reason]): events (``seq`` = line number), bad rows, unknown types.

    Rows come out of the pass grouped by type; ``ordered`` puts the events back in line order (bad rows are
    always in line order). ``query``: :data:`_SQL`, or :data:`_VALIDATE_CALL` on a cursor that has the macro."""
    if "pre_reason" not in lines.column_names:
        lines = lines.append_column("pre_reason", pa.nulls(lines.num_rows, pa.string()))
    lines = lines.select(["line_no", "line", "pre_reason"]).append_column("_i", pa.array(np.arange(lines.num_rows)))
    con.register("lines", lines)
    try:
        out = con.sql(query).to_arrow_table()
    finally:
        con.unregister("lines")
    if ordered:
        out = _in_line_order(out)
    reason = out["reason"]
    bad_mask = pc.is_valid(reason)
    bad = out.filter(bad_mask)
    if not ordered and bad.num_rows:
        bad = _in_line_order(bad)
    bad_tbl = pa.table(
        {
            "file": pa.array([source] * bad.num_rows, pa.string()),
            "line": bad["line_no"],
            "reason": bad["reason"],
            "raw": pc.utf8_rtrim(bad["line"].cast(pa.large_string()), "\r\n"),
        },
        schema=BAD_ROW_SCHEMA,
    )
    ok = out.filter(pc.invert(bad_mask)) if bad.num_rows else out
    unknown = Counter()
    unk_col = ok["unknown_type"]
    if unk_col.null_count < len(unk_col):
        for row in pc.value_counts(unk_col.drop_null()).to_pylist():
            unknown[row["values"]] = row["counts"]
        ok = ok.filter(pc.is_null(unk_col))
    ok = ok.append_column("seq", ok["line_no"])
    events = ok.select(EVENT_SCHEMA.names).cast(EVENT_SCHEMA)
    return events, bad_tbl, unknown


def _in_line_order(out: pa.Table) -> pa.Table:
    order = out["_i"].to_numpy()
    if len(order) > 1 and not (order[1:] > order[:-1]).all():  # rows come out as the branches give them
        out = out.take(pa.array(np.argsort(order)))
    return out


def parse_lines(lines: pa.Table, source: str, con: duckdb.DuckDBPyConnection | None = None) -> ReadResult:
    """Validate a table of (line_no, line[, pre_reason]) from one source into events, bad rows and unknown types."""
    events, bad, unknown = _validated(lines, source, con or duckdb.connect())
    return ReadResult(events, bad, unknown)


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
        return _locate(self.sources, seqs)

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
                try:
                    for table in _line_tables(path, on_bytes):
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
                    con.register("lines", _LINES_SCHEMA.empty_table())  # the macro's body is checked once made
                    con.execute(_VALIDATE_MACRO)
                    con.unregister("lines")
                return _validated(table, source, con, ordered=self.ordered, query=_VALIDATE_CALL)

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


# ---------------------------------------------------------------- writing


def _json_lines_sql(table_name: str, sort: bool = True) -> str:
    """SQL giving one JSON text per event, with only the fields its type has and nulls left out."""
    parts = []
    for etype, fields in EVENT_TYPES.items():
        members = [
            "id: id",
            "type: type",
            "session_id: session_id",
            "ts: strftime(ts AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%f') || '+00:00'",
        ]
        for f in fields:
            if f.kind == "money":
                members.append(f"{f.name}: rtrim(rtrim({f.name}::VARCHAR, '0'), '.')")
            else:
                members.append(f"{f.name}: {f.name}")
        parts.append(f"WHEN {_q(etype)} THEN json_merge_patch('{{}}', to_json({{{', '.join(members)}}}))")
    case = "CASE type " + " ".join(parts) + " END"
    return f"""
    SELECT CASE WHEN extra IS NULL THEN {case}::VARCHAR
                ELSE json_merge_patch(extra, {case})::VARCHAR END AS line
    FROM {table_name} {"ORDER BY session_id, ts, seq" if sort else ""}
    """


def to_json_lines(events: pa.Table, con: duckdb.DuckDBPyConnection | None = None, *, sort: bool = True) -> pa.Array:
    """Event-log-v1 lines (without newlines) for a table of :data:`EVENT_SCHEMA`, ordered by session and time
    (``sort=False``: in the table's order)."""
    con = con or duckdb.connect()
    con.register("_events_out", events)
    try:
        col = con.sql(_json_lines_sql("_events_out", sort)).to_arrow_table()["line"]
    finally:
        con.unregister("_events_out")
    return col.combine_chunks() if col.num_chunks else pa.array([], pa.string())


def atomic_write_bytes(path: Path, chunks) -> None:
    """Write to a temporary name in the same folder, fsync, then rename: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            for chunk in chunks:
                fh.write(chunk)
            fh.flush()
            os.fsync(fh.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; a written file gets the usual permissions
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_event_log(events: pa.Table, path: str | os.PathLike) -> int:
    """Write events as event-log-v1 to ``path`` (gzipped if it ends in ``.gz``); returns the line count."""
    p = Path(path)
    lines = to_json_lines(events)
    if len(lines):
        big = pa.large_string()
        joined = pc.binary_join_element_wise(lines.cast(big), pa.scalar("", big), pa.scalar("\n", big))
        offsets = joined.buffers()[1]
        data = joined.buffers()[2]
        start = pa.Array.from_buffers(pa.int64(), 1, [None, offsets], offset=0)[0].as_py()
        end = pa.Array.from_buffers(pa.int64(), 1, [None, offsets], offset=len(joined))[0].as_py()
        payload = memoryview(data)[start:end]
    else:
        payload = memoryview(b"")
    if p.name.endswith(".gz"):
        payload = memoryview(gzip.compress(payload, compresslevel=1))
    step = 1 << 24
    atomic_write_bytes(p, (payload[i : i + step] for i in range(0, len(payload), step)))
    return len(lines)
