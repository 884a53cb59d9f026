"""Assembling a session's events: per-type numpy blocks into one sorted Arrow table of EVENT_SCHEMA.

The phases add blocks of events (times plus integer codes per column); strings are registered once per column
and referred to by code, so millions of events are built without a Python string each. :meth:`EventBuilder.build`
sorts everything by time (stably, in causal type order for equal times) and writes the Arrow buffers directly.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from liveboard.events import EVENT_SCHEMA, MONEY, TS

#: Event types in causal order: the order of events that share a timestamp.
TYPE_ORDER = (
    "session_start",
    "impression",
    "viewer_enter",
    "product_pin",
    "product_unpin",
    "giveaway_start",
    "giveaway_view",
    "giveaway_click",
    "giveaway_join",
    "giveaway_end",
    "comment",
    "like",
    "share",
    "follow",
    "gift",
    "product_impression",
    "product_click",
    "order",
    "violation",
    "viewer_count",
    "viewer_leave",
    "session_end",
)

Block = tuple[str, np.ndarray, dict[str, np.ndarray]]


class EventBuilder:
    """Collects per-type numpy blocks and assembles one sorted Arrow table of EVENT_SCHEMA.

    A column value is a code (>= 0; -1 means null): an index into the column's registered strings, a number
    (user number, count, minor units of money) or 0/1 for a bool. ``winner_list`` codes index winner lists.
    """

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.vocabulary: dict[str, list[str]] = {}
        self.winner_lists: list[list[str]] = []

    def strings(self, column: str, values: Iterable[str]) -> int:
        """Register string values for a column; returns the code of the first one."""
        registered = self.vocabulary.setdefault(column, [])
        first_code = len(registered)
        registered.extend(values)
        return first_code

    def winners(self, winners: list[str]) -> int:
        """Register a giveaway's list of winners; returns its ``winner_list`` code."""
        self.winner_lists.append(winners)
        return len(self.winner_lists) - 1

    def add(self, event_type: str, times_us: np.ndarray, **columns: np.ndarray) -> None:
        """Add events of one type at these times (µs), with a code (or one code for all) per column."""
        times_us = np.asarray(times_us, dtype=np.int64)
        if len(times_us):
            self.blocks.append((event_type, times_us, {name: np.asarray(v) for name, v in columns.items()}))

    def build(self, session_id: str, id_salt: int) -> pa.Table:
        """The table: events sorted by time, ``seq`` = 0..n-1, ids scrambled from ``seq`` with ``id_salt``."""
        self.blocks.sort(key=lambda block: TYPE_ORDER.index(block[0]))  # causal order for (unlikely) equal ts
        sizes = [len(block[1]) for block in self.blocks]
        count = int(sum(sizes))
        self._offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        times = np.concatenate([block[1] for block in self.blocks])
        order = _stable_argsort(times)
        #: the sorted position of each row, rows in block order
        self._position = np.empty(count, dtype=np.int64)
        self._position[order] = np.arange(count, dtype=np.int64)
        sorted_times = times[order]
        del times, order
        arrays: dict[str, pa.Array] = {
            "session_id": pa.repeat(pa.scalar(session_id, pa.string()), count),
            "id": _hex_ids(np.arange(count, dtype=np.uint64), id_salt),
            "type": pa.array(TYPE_ORDER, pa.string()).take(pa.array(self._type_codes(count))),
            "ts": pa.array(sorted_times, TS),
            "seq": pa.array(np.arange(count, dtype=np.int64)),
            "extra": pa.nulls(count, pa.string()),
        }
        del sorted_times
        for field in EVENT_SCHEMA:
            if field.name not in arrays:
                arrays[field.name] = self._column(field, count)
        del self._position, self._offsets
        return pa.Table.from_arrays([arrays[field.name] for field in EVENT_SCHEMA], schema=EVENT_SCHEMA)

    def _spans(self) -> Iterator[tuple[Block, int, int]]:
        """Each block with its rows' range in block order."""
        yield from zip(self.blocks, self._offsets[:-1], self._offsets[1:], strict=True)

    def _type_codes(self, count: int) -> np.ndarray:
        codes = np.empty(count, dtype=np.int8)
        for (event_type, _times, _columns), low, high in self._spans():
            codes[self._position[low:high]] = TYPE_ORDER.index(event_type)
        return codes

    def _gather(self, column: str, count: int) -> tuple[np.ndarray, np.ndarray]:
        """(sorted positions, values) of the rows that have a value (>= 0) in ``column``."""
        positions, values = [], []
        for (_event_type, _times, columns), low, high in self._spans():
            if column in columns:
                block_values = np.broadcast_to(columns[column], (high - low,))
                present = block_values >= 0
                positions.append(self._position[low:high][present])
                values.append(block_values[present])
        if not positions:
            return np.empty(0, np.int64), np.empty(0, np.int64)
        position, value = np.concatenate(positions), np.concatenate(values).astype(np.int64)
        if len(position) > count // 4:  # scatter instead of sorting a large array
            present_at = np.zeros(count, dtype=bool)
            present_at[position] = True
            scattered = np.zeros(count, dtype=np.int64)
            scattered[position] = value
            position = np.flatnonzero(present_at)
            return position, scattered[position]
        order = np.argsort(position, kind="stable")
        return position[order], value[order]

    def _column(self, field: pa.Field, count: int) -> pa.Array:
        """One column of the table, null where an event has no value."""
        name, kind = field.name, field.type
        if name == "winner_ids":
            return self._winner_column(count)
        position, value = self._gather(name, count)
        nulls = count - len(position)
        if kind == pa.string():
            if name == "user_id":
                dense = pc.binary_join_element_wise(pa.scalar("u"), pa.array(value).cast(pa.string()), pa.scalar(""))
            else:
                dense = pa.array(self.vocabulary.get(name, []), pa.string()).take(pa.array(value.astype(np.int32)))
            return _spread_strings(count, position, dense)
        if kind == pa.int64():
            data = np.zeros(count, dtype=np.int64)
            data[position] = value
            return pa.Array.from_buffers(kind, count, _validity(count, position) + [pa.py_buffer(data)], nulls)
        if kind == pa.bool_():
            bits = np.zeros(count, dtype=bool)
            bits[position] = value == 1
            data = pa.py_buffer(np.packbits(bits, bitorder="little"))
            return pa.Array.from_buffers(kind, count, _validity(count, position) + [data], nulls)
        if kind == MONEY:
            words = np.zeros(2 * count, dtype=np.int64)
            words[2 * position] = value * 10_000  # hundredths -> millionths; values are non-negative
            return pa.Array.from_buffers(kind, count, _validity(count, position) + [pa.py_buffer(words)], nulls)
        return pa.nulls(count, kind)  # pragma: no cover - schema grew a kind we do not produce

    def _winner_column(self, count: int) -> pa.Array:
        lengths = np.zeros(count, dtype=np.int32)
        valid = np.zeros(count, dtype=bool)
        rows: list[tuple[int, list[str]]] = []
        for (event_type, _times, columns), low, high in self._spans():
            if event_type != "giveaway_end":
                continue
            for position, list_code in zip(self._position[low:high], columns["winner_list"], strict=True):
                rows.append((int(position), self.winner_lists[int(list_code)]))
        rows.sort()
        values: list[str] = []
        for position, winners in rows:
            lengths[position] = len(winners)
            valid[position] = True
            values.extend(winners)
        offsets = np.zeros(count + 1, dtype=np.int32)
        np.cumsum(lengths, out=offsets[1:])
        return pa.ListArray.from_arrays(
            pa.array(offsets), pa.array(values, pa.string()), type=pa.list_(pa.string()), mask=pa.array(~valid)
        )


def _stable_argsort(times: np.ndarray) -> np.ndarray:
    """Stable argsort of int64 timestamps: an LSD radix sort in 16-bit digits (numpy radix-sorts uint16)."""
    relative = times - times.min() if len(times) else times
    top = int(relative.max()) if len(relative) else 0
    if len(relative) < 200_000 or top >= 1 << 48:
        return np.argsort(times, kind="stable")
    permutation = np.argsort((relative & 0xFFFF).astype(np.uint16), kind="stable")
    for shift in (16, 32):
        if top >> shift == 0:
            break
        digit = ((relative[permutation] >> shift) & 0xFFFF).astype(np.uint16)
        permutation = permutation[np.argsort(digit, kind="stable")]
    return permutation


def _hex_ids(seq: np.ndarray, salt: int) -> pa.Array:
    """12-hex-digit event ids: a bijective scramble of ``seq`` (so unique), built without Python strings."""
    width = 12
    mask = np.uint64((1 << (4 * width)) - 1)
    scrambled = (seq * np.uint64(0x9E3779B1) + np.uint64(salt)) & mask  # odd multiplier: a bijection mod 2**48
    hex_digits = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
    count = len(seq)
    chars = np.empty((count, width), dtype=np.uint8)
    for digit in range(width):
        nibble = (scrambled >> np.uint64(4 * (width - 1 - digit))) & np.uint64(0xF)
        chars[:, digit] = hex_digits[nibble.astype(np.intp)]
    offsets = np.arange(0, width * count + 1, width, dtype=np.int32)
    return pa.Array.from_buffers(pa.string(), count, [None, pa.py_buffer(offsets), pa.py_buffer(chars)])


def _validity(count: int, present: np.ndarray) -> list:
    """A one-element buffer list: the validity bitmap of ``count`` rows with values at ``present`` (None if all)."""
    if len(present) == count:
        return [None]
    bits = np.zeros(count, dtype=bool)
    bits[present] = True
    return [pa.py_buffer(np.packbits(bits, bitorder="little"))]


def _spread_strings(count: int, present: np.ndarray, dense: pa.Array) -> pa.Array:
    """A string array of ``count`` rows: ``dense``'s values at the sorted positions ``present``, null elsewhere."""
    if len(present) == count:
        return dense
    if len(present) == 0:
        return pa.nulls(count, pa.string())
    if dense.offset or dense.null_count:
        dense = pa.concat_arrays([dense.fill_null("")])  # fresh buffers whose offsets start at 0
    dense_offsets = np.frombuffer(dense.buffers()[1], dtype=np.int32, count=len(dense) + 1)
    if dense_offsets[0]:
        dense_offsets = dense_offsets - dense_offsets[0]
        dense = pa.concat_arrays([dense])
    lengths = np.diff(dense_offsets)
    offsets = np.zeros(count + 1, dtype=np.int32)
    offsets[present + 1] = lengths
    np.cumsum(offsets, out=offsets)
    return pa.Array.from_buffers(
        pa.string(),
        count,
        _validity(count, present) + [pa.py_buffer(offsets), dense.buffers()[2]],
        count - len(present),
    )
