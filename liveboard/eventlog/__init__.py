"""Reading and writing event-log-v1 files (JSON Lines, optionally gzipped).

Validation runs as vectorised DuckDB passes over chunks of the file's lines, so a 5-million-line log is
checked without a Python loop per event, and every bad row still comes back with its file, line and reason.
Files are read (and decompressed) a block at a time: a line over :data:`MAX_LINE_BYTES` is a bad row and a
file over :data:`MAX_FILE_BYTES` is refused, so no file, not even a gzip bomb, is ever whole in memory.

:func:`iter_event_logs` is the one reading path: a stream of bounded parts, with reading, validation and
the consumer's work overlapping in threads (an import's peak memory does not grow with the file);
:func:`read_event_log` and :func:`read_event_logs` collect it into whole tables.
"""

from liveboard.eventlog.lines import (
    CHUNK_BYTES,
    CHUNK_LINES,
    MAX_FILE_BYTES,
    MAX_LINE_BYTES,
    RAW_KEPT,
    READ_BLOCK,
)
from liveboard.eventlog.problems import BAD_ROW_SCHEMA, EventLogError, os_problem
from liveboard.eventlog.result import ReadResult
from liveboard.eventlog.stream import VALIDATORS, EventLogStream, iter_event_logs, read_event_log, read_event_logs
from liveboard.eventlog.validation import INT_MAXIMUM, MONEY_MAXIMUM, TS_RANGE, parse_lines
from liveboard.eventlog.writing import atomic_write_bytes, to_json_lines, write_event_log

__all__ = [
    "BAD_ROW_SCHEMA",
    "CHUNK_BYTES",
    "CHUNK_LINES",
    "INT_MAXIMUM",
    "MAX_FILE_BYTES",
    "MAX_LINE_BYTES",
    "MONEY_MAXIMUM",
    "RAW_KEPT",
    "READ_BLOCK",
    "TS_RANGE",
    "VALIDATORS",
    "EventLogError",
    "EventLogStream",
    "ReadResult",
    "atomic_write_bytes",
    "iter_event_logs",
    "os_problem",
    "parse_lines",
    "read_event_log",
    "read_event_logs",
    "to_json_lines",
    "write_event_log",
]
