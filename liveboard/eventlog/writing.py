"""Writing event-log-v1 files: one JSON text per event, written by the one atomic writer (:mod:`liveboard.atomic`).

``atomic_write_bytes`` is that writer's ``write_bytes``, kept under this name for its callers."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from liveboard.atomic import write_bytes as atomic_write_bytes
from liveboard.events import EVENT_TYPES
from liveboard.quoting import sql_literal


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
        parts.append(f"WHEN {sql_literal(etype)} THEN json_merge_patch('{{}}', to_json({{{', '.join(members)}}}))")
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
