"""Small Arrow and numpy helpers the provenance steps share (masks, first hits, per-distinct mapping)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def _flat(col) -> pa.Array:
    """One plain array from a column (chunks combined, a dictionary decoded)."""
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    return arr.dictionary_decode() if pa.types.is_dictionary(arr.type) else arr


def _first(mask) -> int | None:
    """The first index where a boolean array is true (null counts as false)."""
    arr = np.asarray(pc.fill_null(mask, False).to_numpy(zero_copy_only=False), dtype=bool)
    hits = np.flatnonzero(arr)
    return int(hits[0]) if hits.size else None


def _np(mask) -> np.ndarray:
    """A boolean Arrow array as numpy."""
    return np.asarray(mask.to_numpy(zero_copy_only=False), dtype=bool)


def _map_distinct(arr: pa.Array, fn) -> pa.Array:
    """``fn`` applied to each distinct value once (accounts: a few per thousands of rows)."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if len(arr) == 0:
        return arr
    enc = arr.dictionary_encode()
    mapped = pa.array([fn(v) for v in enc.dictionary.to_pylist()], arr.type)
    return mapped.take(enc.indices)


def _replace(table: pa.Table, **columns) -> pa.Table:
    """``table`` with the named columns replaced, in place in the schema."""
    for name, col in columns.items():
        table = table.set_column(table.schema.get_field_index(name), name, col)
    return table
