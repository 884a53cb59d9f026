"""A file's text as numbered lines, in tables of bounded size: read and decompressed a block at a time.

A line over :data:`MAX_LINE_BYTES` is a bad row and a file over :data:`MAX_FILE_BYTES` is refused, so no
file, not even a gzip bomb, is ever whole in memory.
"""

from __future__ import annotations

import bisect
import gzip
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from isal import isal_zlib

from liveboard.eventlog.problems import BAD_ROW_SCHEMA, EventLogError, os_problem

#: Lines validated per DuckDB pass (one part of a stream), and the most text one pass holds: memory stays
#: bounded per pass, and a streamed import holds a few parts at a time, never a whole file.
CHUNK_LINES = 250_000
CHUNK_BYTES = 32 << 20
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
_BOM = b"\xef\xbb\xbf"


def line_tables(path: Path, on_bytes: Callable[[int], None] | None = None) -> Iterator[pa.Table]:
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
        # isal's stub declares isal_zlib.error as an instance of Exception, not the class it is
        except (gzip.BadGzipFile, EOFError, isal_zlib.error) as exc:  # type: ignore[misc]
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
            # ISA-L's inflater: zlib's API (CRC and length checked alike), three times as fast on event logs,
            # and decompression is the one stage of a read that runs on a single core
            d = isal_zlib.decompressobj(31)
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
    texts: list[str] = []
    reasons: list[str | None] = []
    for chunk in binary.to_pylist():
        try:
            texts.append(chunk.decode("utf-8"))
            reasons.append(None)
        except UnicodeDecodeError:
            texts.append(chunk.decode("utf-8", "backslashreplace"))
            reasons.append("not UTF-8 text")
    return pa.array(texts, pa.large_string()), pa.array(reasons, pa.string())


def locate(sources: list[tuple[str, int]], seqs: list[int]) -> pa.Table:
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
            for chunk in line_tables(Path(sources[k][0])):
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
