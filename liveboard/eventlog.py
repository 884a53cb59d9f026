"""Reading and writing event-log-v1 files (JSON Lines, optionally gzipped).

Validation runs as one vectorised DuckDB pass over the file's lines, so a 5-million-line log is checked
without a Python loop per event, and every bad row still comes back with its file, line and reason.
"""

from __future__ import annotations

import gzip
import os
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from liveboard.events import COMMON_FIELDS, EVENT_SCHEMA, EVENT_TYPES, PAYLOAD_COLUMNS, Field

#: Lines validated per DuckDB pass.
CHUNK_LINES = 1_000_000

BAD_ROW_SCHEMA = pa.schema(
    [
        pa.field("file", pa.string()),
        pa.field("line", pa.int64()),
        pa.field("reason", pa.string()),
        pa.field("raw", pa.large_string()),
    ]
)


@dataclass
class ReadResult:
    """Good events (in :data:`EVENT_SCHEMA`, ``seq`` = read order), bad rows, and unknown types seen."""

    events: pa.Table
    bad: pa.Table
    unknown_types: Counter = field(default_factory=Counter)

    @property
    def bad_count(self) -> int:
        return self.bad.num_rows


class EventLogError(Exception):
    """A user-facing problem with an event-log file as a whole (missing, unreadable)."""


def _read_lines(path: Path) -> pa.Table:
    """The file's lines with their 1-based numbers; blank lines are dropped after numbering."""
    try:
        raw = path.read_bytes()
        if path.name.endswith(".gz") or raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
    except FileNotFoundError:
        raise EventLogError(f"{path}: no such file") from None
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise EventLogError(f"{path}: cannot read ({exc})") from None
    return _split_lines(raw)


def _split_lines(raw: bytes) -> pa.Table:
    """Cut a byte buffer into numbered lines without a Python loop or a Python string per line."""
    import numpy as np

    raw = raw.removeprefix(b"\xef\xbb\xbf")  # a byte-order mark some editors write is not part of line 1
    buf = np.frombuffer(raw, dtype=np.uint8)
    ends = np.flatnonzero(buf == 10) + 1
    if len(raw) and (not len(ends) or ends[-1] != len(raw)):
        ends = np.append(ends, len(raw))
    offsets = np.concatenate([[0], ends]).astype(np.int64)
    lines = pa.LargeStringArray.from_buffers(len(ends), pa.py_buffer(offsets), pa.py_buffer(raw))
    pre_reason = pa.nulls(len(ends), pa.string())
    try:
        lines.validate(full=True)
    except pa.ArrowInvalid:
        lines, pre_reason = _mark_non_utf8(raw, offsets)
    lines = pc.utf8_rtrim(lines, "\r\n")
    numbers = pa.array(np.arange(1, len(ends) + 1, dtype=np.int64))
    table = pa.table({"line_no": numbers, "line": lines, "pre_reason": pre_reason})
    return table.filter(pc.greater(pc.utf8_length(pc.utf8_trim_whitespace(lines)), 0))


def _mark_non_utf8(raw: bytes, offsets) -> tuple[pa.Array, pa.Array]:
    """The rare slow path: lines that are not UTF-8 become bad rows; the others are kept."""
    texts, reasons = [], []
    for a, b in zip(offsets[:-1], offsets[1:], strict=True):
        chunk = raw[a:b]
        try:
            texts.append(chunk.decode("utf-8"))
            reasons.append(None)
        except UnicodeDecodeError:
            texts.append(chunk.decode("utf-8", "backslashreplace"))
            reasons.append("not UTF-8 text")
    return pa.array(texts, pa.large_string()), pa.array(reasons, pa.string())


def _q(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


#: Epoch milliseconds of 0001-01-01 and 9999-12-31T23:59:59.999 UTC: integer ``ts`` outside is a bad row.
_MS_MIN, _MS_MAX = -62135596800000, 253402300799999


def _field_check(f: Field, t: str, v: str) -> list[tuple[str, str]]:
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
    elif f.kind == "bool":
        checks.append((f"{present} AND {t} <> 'BOOLEAN'", f"field '{f.name}' must be true or false"))
    elif f.kind == "money":
        checks.append(
            (
                f"{present} AND ({t} NOT IN ('VARCHAR', 'UBIGINT', 'BIGINT', 'DOUBLE') "
                f"OR TRY_CAST(trim({v}) AS DECIMAL(24, 6)) IS NULL)",
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

    common = [
        (f"{t('id')} IS DISTINCT FROM 'VARCHAR'", "missing or non-string 'id'"),
        (f"{t('type')} IS DISTINCT FROM 'VARCHAR'", "missing or non-string 'type'"),
        (f"{t('session_id')} IS DISTINCT FROM 'VARCHAR'", "missing or non-string 'session_id'"),
        (f"{t('ts')} IS NULL OR {t('ts')} = 'NULL'", "missing 'ts'"),
        (
            f"{t('ts')} NOT IN ('VARCHAR', 'UBIGINT', 'BIGINT')",
            "'ts' must be an ISO 8601 string with a UTC offset or integer epoch milliseconds",
        ),
        (
            f"{t('ts')} <> 'VARCHAR' AND NOT coalesce(TRY_CAST({v('ts')} AS BIGINT) BETWEEN {_MS_MIN} AND {_MS_MAX}, false)",
            "'ts' epoch milliseconds out of range (years 1 to 9999)",
        ),
        (
            f"{t('ts')} = 'VARCHAR' AND (NOT regexp_matches({v('ts')}, '(Z|z|[+-]\\d\\d(:?\\d\\d)?)$') "
            f"OR TRY_CAST({v('ts')} AS TIMESTAMPTZ) IS NULL)",
            "'ts' is not an ISO 8601 timestamp with a UTC offset",
        ),
        (f"{v('id')} = '' OR {v('session_id')} = ''", "'id' and 'session_id' must not be empty"),
    ]
    whens = [
        "WHEN pre_reason IS NOT NULL THEN pre_reason",
        "WHEN NOT is_json THEN 'not valid JSON'",
        "WHEN root <> 'OBJECT' THEN 'not a JSON object'",
    ]
    whens += [f"WHEN {cond} THEN {_q(reason)}" for cond, reason in common]
    # per-type checks nested under one CASE on the type: a row meets only its own type's conditions
    per_type = []
    for etype, fields in EVENT_TYPES.items():
        checks = [
            f"WHEN {cond} THEN {_q(etype + ': ' + reason)}"
            for f in fields
            for cond, reason in _field_check(f, t(f.name), v(f.name))
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
        f"WHEN TRY_CAST({v('ts')} AS BIGINT) BETWEEN {_MS_MIN} AND {_MS_MAX} "
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
    """Read one ``.jsonl`` / ``.jsonl.gz`` file; ``seq`` is the line number."""
    p = Path(path)
    lines = _read_lines(p)
    if lines.num_rows <= CHUNK_LINES:
        return parse_lines(lines, str(p), con)
    # big files in slices: DuckDB's intermediate JSON columns stay bounded
    parts = [parse_lines(lines.slice(i, CHUNK_LINES), str(p), con) for i in range(0, lines.num_rows, CHUNK_LINES)]
    unknown = Counter()
    for part in parts:
        unknown.update(part.unknown_types)
    return ReadResult(pa.concat_tables([x.events for x in parts]), pa.concat_tables([x.bad for x in parts]), unknown)


def read_event_logs(paths: list[str | os.PathLike], progress: bool = False) -> ReadResult:
    """Read several files as one batch; ``seq`` follows argument order, then line order."""
    from tqdm.auto import tqdm

    con = duckdb.connect()
    events, bads, unknown, offset = [], [], Counter(), 0
    for p in tqdm(paths, desc="reading", unit="file", disable=not progress or len(paths) < 2):
        r = read_event_log(p, con)
        ev = r.events.set_column(
            r.events.schema.get_field_index("seq"), "seq", pc.add(r.events["seq"], pa.scalar(offset, pa.int64()))
        )
        offset += (pc.max(r.events["seq"]).as_py() or 0) + 1 if r.events.num_rows else 1
        events.append(ev)
        bads.append(r.bad)
        unknown.update(r.unknown_types)
    return ReadResult(
        pa.concat_tables(events) if events else EVENT_SCHEMA.empty_table(),
        pa.concat_tables(bads) if bads else BAD_ROW_SCHEMA.empty_table(),
        unknown,
    )


# ---------------------------------------------------------------- writing


def _json_lines_sql(table_name: str) -> str:
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
    FROM {table_name} ORDER BY session_id, ts, seq
    """


def to_json_lines(events: pa.Table, con: duckdb.DuckDBPyConnection | None = None) -> pa.Array:
    """Event-log-v1 lines (without newlines) for a table of :data:`EVENT_SCHEMA`, ordered by session and time."""
    con = con or duckdb.connect()
    con.register("_events_out", events)
    try:
        col = con.sql(_json_lines_sql("_events_out")).to_arrow_table()["line"]
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
