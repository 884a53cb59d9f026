"""Reading and writing event-log-v1 files (JSON Lines, optionally gzipped).

Validation runs as vectorised DuckDB passes over chunks of the file's lines, so a 5-million-line log is
checked without a Python loop per event, and every bad row still comes back with its file, line and reason.
Files are read (and decompressed) a block at a time: a line over :data:`MAX_LINE_BYTES` is a bad row and a
file over :data:`MAX_FILE_BYTES` is refused, so no file, not even a gzip bomb, is ever whole in memory.
"""

from __future__ import annotations

import bisect
import errno
import gzip
import os
import tempfile
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from liveboard.events import COMMON_FIELDS, EVENT_SCHEMA, EVENT_TYPES, PAYLOAD_COLUMNS, Field
from liveboard.ids import SESSION_ID_PATTERN

#: Lines validated per DuckDB pass, and the most text one pass holds: memory stays bounded per pass.
CHUNK_LINES = 1_000_000
CHUNK_BYTES = 256 << 20
#: Bytes read (and decompressed) at a time: a file is never held whole in memory.
READ_BLOCK = 4 << 20
#: A longer line is a bad row of which only the first :data:`RAW_KEPT` bytes are kept (no event is near it).
MAX_LINE_BYTES = 1 << 20
RAW_KEPT = 1000
#: Text of one file (after decompression) beyond which the file is refused: a gzip bomb, or a file to split.
MAX_FILE_BYTES = 4 << 30
_GZIP_MAGIC = b"\x1f\x8b"
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
    """A user-facing problem with an event-log file as a whole (missing, unreadable, damaged, too big)."""


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
        n = len(seqs)
        files: list[str | None] = [None] * n
        lines: list[int | None] = [None] * n
        raws: list[str | None] = [None] * n
        starts = [offset for _, offset in self.sources]
        wanted: dict[int, dict[int, list[int]]] = {}
        for i, s in enumerate(seqs):
            k = bisect.bisect_right(starts, s) - 1
            if k < 0:
                continue
            files[i], lines[i] = self.sources[k][0], s - starts[k]
            wanted.setdefault(k, {}).setdefault(s - starts[k], []).append(i)
        for k, by_line in wanted.items():
            numbers = pa.array(list(by_line), pa.int64())
            try:
                for chunk in _line_tables(Path(self.sources[k][0])):
                    hit = chunk.filter(pc.is_in(chunk["line_no"], numbers))
                    for no, text in zip(hit["line_no"].to_pylist(), hit["line"].to_pylist(), strict=True):
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


def _line_tables(path: Path) -> Iterator[pa.Table]:
    """The file's numbered lines (``line_no``, ``line``, ``pre_reason``) in tables of bounded size.

    The file is read and decompressed a block at a time, so neither a big file nor a gzip bomb is ever
    whole in memory: a bomb meets :data:`MAX_LINE_BYTES` (bad rows) and :data:`MAX_FILE_BYTES` (refused).
    """
    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed below, after the generator is done
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
        stream = gzip.GzipFile(fileobj=fh, mode="rb") if gz else fh
        try:
            yield from _numbered_lines(stream, path)
        except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
            raise EventLogError(f"{path}: damaged or truncated gzip file ({exc}); nothing imported from it") from None
        except OSError as exc:
            raise EventLogError(os_problem(path, exc)) from None


def _numbered_lines(stream, path: Path) -> Iterator[pa.Table]:
    parts: list[pa.Table] = []
    held_lines = held_bytes = total = 0
    next_line = 1
    pending = stream.read(len(_BOM))  # text not yet cut into lines (no newline in it but at the very start)
    if pending == _BOM:
        pending = b""  # a byte-order mark some editors write is not part of line 1
    skipping: tuple[int, bytes] | None = None  # (line number, first bytes) of a too-long line being skipped
    while True:
        block = stream.read(READ_BLOCK)
        if not block:
            break
        total += len(block)
        if total > MAX_FILE_BYTES:
            raise EventLogError(
                f"{path}: more than {_size(MAX_FILE_BYTES)} of text (after decompression): refused, "
                "nothing imported from it (a gzip bomb? else split it into smaller files)"
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
            table, n = _split_lines(data[:cut], next_line)
            parts.append(table)
            next_line += n
            held_lines += table.num_rows
            held_bytes += cut
        if len(pending) > MAX_LINE_BYTES:
            skipping, pending = (next_line, pending[:RAW_KEPT]), b""
        if held_lines >= CHUNK_LINES or held_bytes >= CHUNK_BYTES:
            yield pa.concat_tables(parts).combine_chunks()  # one chunk: DuckDB keeps its order
            parts, held_lines, held_bytes = [], 0, 0
    if skipping is not None:
        parts.append(_long_line(*skipping))
    elif pending:
        parts.append(_split_lines(pending, next_line)[0])
    if parts:
        yield pa.concat_tables(parts).combine_chunks()


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


def _split_lines(raw: bytes, first: int = 1) -> tuple[pa.Table, int]:
    """Cut a buffer of whole lines into lines numbered from ``first``, without a Python loop or a Python
    string per line; blank lines are dropped after numbering. Returns the table and the number of lines."""
    buf = np.frombuffer(raw, dtype=np.uint8)
    ends = np.flatnonzero(buf == 10) + 1
    if len(raw) and (not len(ends) or ends[-1] != len(raw)):
        ends = np.append(ends, len(raw))
    n = len(ends)
    offsets = np.concatenate([[0], ends]).astype(np.int64)
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
    lines = pc.utf8_rtrim(lines, "\r\n")
    numbers = pa.array(np.arange(first, first + n, dtype=np.int64))
    table = pa.table({"line_no": numbers, "line": lines, "pre_reason": pre_reason})
    return table.filter(pc.greater(pc.utf8_length(pc.utf8_trim_whitespace(lines)), 0)), n


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


def _validation_sql() -> tuple[str, list[str]]:
    """SQL that turns (line_no, line) rows into typed event columns plus a ``reason`` for bad rows."""
    paths = list(COMMON_FIELDS) + list(PAYLOAD_COLUMNS)
    idx = {name: i + 1 for i, name in enumerate(paths)}
    json_paths = "[" + ", ".join(_q(f"$.{p}") for p in paths) + "]"

    def t(name: str) -> str:
        return f"jt[{idx[name]}]"

    def v(name: str) -> str:
        return f"js[{idx[name]}]"

    ms = f"TRY_CAST({v('ts')} AS BIGINT)"
    is_int = f"{t('ts')} <> 'VARCHAR'"
    ts_prefix = _q("'ts' ")

    def looks_like(unit: str, scale: float) -> tuple[str, str]:
        lo, hi = int(_MS_MIN * scale), int(_MS_MAX * scale)
        return (
            f"{is_int} AND {ms} >= {lo} AND {ms} < {hi}",
            f"{ts_prefix} || {v('ts')} || {_q(f' looks like epoch {unit} (use milliseconds)')}",
        )

    common = [
        (f"{t('id')} IS DISTINCT FROM 'VARCHAR'", _q("missing or non-string 'id'")),
        (f"{t('type')} IS DISTINCT FROM 'VARCHAR'", _q("missing or non-string 'type'")),
        (f"{t('session_id')} IS DISTINCT FROM 'VARCHAR'", _q("missing or non-string 'session_id'")),
        (f"{t('ts')} IS NULL OR {t('ts')} = 'NULL'", _q("missing 'ts'")),
        (
            f"{t('ts')} NOT IN ('VARCHAR', 'UBIGINT', 'BIGINT')",
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
            f"{t('ts')} = 'VARCHAR' AND (NOT regexp_matches({v('ts')}, '(Z|z|[+-]\\d\\d(:?\\d\\d)?)$') "
            f"OR TRY_CAST({v('ts')} AS TIMESTAMPTZ) IS NULL)",
            _q("'ts' is not an ISO 8601 timestamp with a UTC offset"),
        ),
        (
            f"{t('ts')} = 'VARCHAR' AND NOT coalesce(epoch_ms(TRY_CAST({v('ts')} AS TIMESTAMPTZ)) "
            f"BETWEEN {_MS_MIN} AND {_MS_MAX - 1}, false)",
            _q(f"'ts' out of range: a time from {TS_RANGE} expected"),
        ),
        (f"{v('id')} = '' OR {v('session_id')} = ''", _q("'id' and 'session_id' must not be empty")),
        (
            f"NOT regexp_full_match({v('session_id')}, {_q(SESSION_ID_PATTERN)}) OR contains({v('session_id')}, '..')",
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
    ]
    whens += [f"WHEN {cond} THEN {reason}" for cond, reason in common]
    # per-type checks nested under one CASE on the type: a row meets only its own type's conditions
    per_type = []
    for etype, fields in EVENT_TYPES.items():
        checks = [
            f"WHEN {cond} THEN {_q(etype + ': ' + reason)}"
            for f in fields
            for cond, reason in _field_check(f, t(f.name), v(f.name), etype)
        ]
        if checks:
            per_type.append(f"WHEN {_q(etype)} THEN CASE {' '.join(checks)} END")
    reason_sql = "CASE " + "\n ".join(whens) + f" ELSE CASE {v('type')} {' '.join(per_type)} END END"

    known_types = ", ".join(_q(x) for x in EVENT_TYPES)
    cols = []
    for name, kind in PAYLOAD_COLUMNS.items():
        owners = [et for et, fs in EVENT_TYPES.items() if any(f.name == name for f in fs)]
        default = next((f.default for et in owners for f in EVENT_TYPES[et] if f.name == name), None)
        own = f"{v('type')} IN ({', '.join(_q(o) for o in owners)})"
        absent = f"({t(name)} IS NULL OR {t(name)} = 'NULL')"
        if kind == "str":
            expr = f"{v(name)}"
        elif kind == "int":
            expr = f"TRY_CAST({v(name)} AS BIGINT)"
        elif kind == "bool":
            expr = f"({v(name)} = 'true')"
        elif kind == "money":
            expr = f"TRY_CAST(trim({v(name)}) AS DECIMAL(24, 6))"
        else:  # str_list
            expr = f"json_extract_string(j, '$.{name}[*]')"
        if default is not None:
            lit = _q(str(default)) if isinstance(default, str) else str(default)
            expr = f"CASE WHEN {absent} THEN {lit} ELSE {expr} END"
        cols.append(f"CASE WHEN {own} AND NOT {absent} OR {own} AND {default is not None} THEN {expr} END AS {name}")
    ts_expr = (
        f"CASE WHEN {t('ts')} = 'VARCHAR' THEN TRY_CAST({v('ts')} AS TIMESTAMPTZ) "
        f"WHEN TRY_CAST({v('ts')} AS BIGINT) BETWEEN {_MS_MIN} AND {_MS_MAX - 1} "
        f"THEN make_timestamptz(TRY_CAST({v('ts')} AS BIGINT) * 1000) END"
    )
    known_keys = "{" + ", ".join(f'"{k}": null' for k in paths) + "}"
    sql = f"""
    WITH valid AS (
        SELECT line_no, line, pre_reason, json_valid(line) AS is_json,
               CASE WHEN json_valid(line) THEN line ELSE '{{}}' END AS j
        FROM lines
    ), parsed AS (
        SELECT line_no, line, pre_reason, is_json, json_type(j) AS root, j,
               json_type(j, {json_paths}) AS jt, json_extract_string(j, {json_paths}) AS js
        FROM valid
    ), judged AS (
        SELECT *, {reason_sql} AS reason FROM parsed
    )
    SELECT line_no, line, reason,
           CASE WHEN reason IS NULL AND {v("type")} NOT IN ({known_types}) THEN {v("type")} END AS unknown_type,
           {v("session_id")} AS session_id, {v("id")} AS id, {v("type")} AS type,
           {ts_expr} AS ts,
           {", ".join(cols)},
           CASE WHEN root = 'OBJECT' AND len(json_keys(j)) > len(list_filter(jt, lambda x: x IS NOT NULL))
                THEN NULLIF(json_merge_patch(j, '{known_keys}')::VARCHAR, '{{}}') END AS extra
    FROM judged
    """
    return sql, paths


_SQL, _ = _validation_sql()


def parse_lines(lines: pa.Table, source: str, con: duckdb.DuckDBPyConnection | None = None) -> ReadResult:
    """Validate a table of (line_no, line[, pre_reason]) from one source into events, bad rows and unknown types."""
    con = con or duckdb.connect()
    if "pre_reason" not in lines.column_names:
        lines = lines.append_column("pre_reason", pa.nulls(lines.num_rows, pa.string()))
    con.register("lines", lines)
    try:
        out = con.sql(_SQL).to_arrow_table()
    finally:
        con.unregister("lines")
    reason = out["reason"]
    bad_mask = pc.is_valid(reason)
    bad = out.filter(bad_mask)
    bad_tbl = pa.table(
        {
            "file": pa.array([source] * bad.num_rows, pa.string()),
            "line": bad["line_no"],
            "reason": bad["reason"],
            "raw": bad["line"].cast(pa.large_string()),
        },
        schema=BAD_ROW_SCHEMA,
    )
    ok = out.filter(pc.invert(bad_mask))
    unknown = Counter()
    unk_col = ok["unknown_type"]
    if unk_col.null_count < len(unk_col):
        for row in pc.value_counts(unk_col.drop_null()).to_pylist():
            unknown[row["values"]] = row["counts"]
        ok = ok.filter(pc.is_null(unk_col))
    ok = ok.append_column("seq", ok["line_no"])
    events = ok.select(EVENT_SCHEMA.names).cast(EVENT_SCHEMA)
    return ReadResult(events, bad_tbl, unknown)


def read_event_log(path: str | os.PathLike, con: duckdb.DuckDBPyConnection | None = None) -> ReadResult:
    """Read one ``.jsonl`` / ``.jsonl.gz`` file; ``seq`` is the line number.

    Raises :class:`EventLogError` (one line naming the file) when the file cannot be read as a whole.
    """
    p = Path(path)
    con = con or duckdb.connect()
    # in chunks of lines: neither the file's text nor DuckDB's intermediate JSON columns are ever whole
    try:
        parts = [parse_lines(chunk, str(p), con) for chunk in _line_tables(p)]
    except MemoryError:
        raise EventLogError(f"{p}: out of memory reading it; split it into smaller files") from None
    if not parts:
        return ReadResult(EVENT_SCHEMA.empty_table(), BAD_ROW_SCHEMA.empty_table(), sources=[(str(p), 0)])
    unknown = Counter()
    for part in parts:
        unknown.update(part.unknown_types)
    return ReadResult(
        pa.concat_tables([x.events for x in parts]),
        pa.concat_tables([x.bad for x in parts]),
        unknown,
        sources=[(str(p), 0)],
    )


def read_event_logs(paths: list[str | os.PathLike], progress: bool = False) -> ReadResult:
    """Read several files as one batch; ``seq`` follows argument order, then line order.

    A file that cannot be read at all (missing, damaged gzip, too big) does not stop the others: it is
    named in ``file_errors`` and contributes nothing.
    """
    from tqdm.auto import tqdm

    con = duckdb.connect()
    events, bads, unknown, offset, sources, errors = [], [], Counter(), 0, [], []
    for p in tqdm(paths, desc="reading", unit="file", disable=not progress or len(paths) < 2):
        try:
            r = read_event_log(p, con)
        except EventLogError as exc:
            errors.append(str(exc))
            continue
        ev = r.events.set_column(
            r.events.schema.get_field_index("seq"), "seq", pc.add(r.events["seq"], pa.scalar(offset, pa.int64()))
        )
        sources.append((str(p), offset))
        offset += (pc.max(r.events["seq"]).as_py() or 0) + 1 if r.events.num_rows else 1
        events.append(ev)
        bads.append(r.bad)
        unknown.update(r.unknown_types)
    return ReadResult(
        pa.concat_tables(events) if events else EVENT_SCHEMA.empty_table(),
        pa.concat_tables(bads) if bads else BAD_ROW_SCHEMA.empty_table(),
        unknown,
        sources=sources,
        file_errors=errors,
    )


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
