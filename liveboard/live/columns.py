"""The live state's storage: dense ids for strings, growable numpy columns, per-minute sums, Arrow → numpy.

Memory grows with distinct users, orders, products and minutes, never with events: strings become dense
integer ids in first-seen order, and every per-id or per-minute figure is a slot in a numpy column.
"""

from __future__ import annotations

from itertools import repeat

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import DTypeLike

from liveboard.live.codes import MIN_US
from liveboard.queries import TREND_MAX_MINUTES


def timestamp(us: int | None) -> pd.Timestamp | None:
    """Epoch microseconds → UTC timestamp (unknown stays unknown)."""
    return None if us is None else pd.Timestamp(int(us), unit="us", tz="UTC")


def ceil_minute(t: np.ndarray, origin: int) -> np.ndarray:
    """``greatest(0, ceil((t - origin) / 60 s) - 1)`` in integers."""
    return np.maximum(0, -((origin - t) // MIN_US) - 1)


def column(table: pa.Table, name: str) -> pa.Array:
    """One column of a batch as a single array (chunks combined only when there are several)."""
    c = table.column(name)
    if isinstance(c, pa.ChunkedArray):
        return c.chunk(0) if c.num_chunks == 1 else c.combine_chunks()
    return c


def as_numpy(arr: pa.Array, fill=0) -> np.ndarray:
    """An Arrow array as numpy, nulls replaced by ``fill``."""
    if arr.null_count:
        arr = pc.fill_null(arr, fill)
    return arr.to_numpy(zero_copy_only=False)


class IdMap:
    """Strings ↔ dense integer ids, assigned in first-seen order."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.names: list[str] = []

    def __len__(self) -> int:
        return len(self.names)

    def map(self, col: pa.Array) -> np.ndarray:
        """Ids for a string array (null → -1); only the batch's distinct values touch Python."""
        if len(col) == 0:
            return np.zeros(0, np.int64)
        enc = col.dictionary_encode()
        uniq = enc.dictionary.to_pylist()
        index, names = self.index, self.names
        lut = np.empty(len(uniq) + 1, np.int64)
        lut[:-1] = list(map(index.get, uniq, repeat(-1)))
        lut[-1] = -1
        new = np.flatnonzero(lut[:-1] < 0)
        if len(new):
            fresh = [uniq[i] for i in new.tolist()] if len(new) < len(uniq) else uniq
            first = len(names)
            index.update(zip(fresh, range(first, first + len(fresh)), strict=True))
            names.extend(fresh)
            lut[new] = np.arange(first, first + len(fresh))
        idx = enc.indices
        if idx.null_count:
            idx = pc.fill_null(idx, len(uniq))
        return lut[idx.to_numpy(zero_copy_only=False)]


class GrowableColumns:
    """Growable numpy columns indexed by a dense id."""

    def __init__(self, **spec: tuple[DTypeLike, object]) -> None:
        self.spec = spec
        self.cap = 0
        for name, (dtype, _fill) in spec.items():
            setattr(self, name, np.zeros(0, dtype))

    def ensure(self, n: int) -> None:
        if n <= self.cap:
            return
        cap = max(n, 2 * self.cap, 1024)
        for name, (dtype, fill) in self.spec.items():
            old = getattr(self, name)
            new = np.full(cap, fill, dtype)
            new[: len(old)] = old
            setattr(self, name, new)
        self.cap = cap


class MinuteColumns:
    """Per-minute integer columns, grown as the session goes on."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self.names = names
        self.cols = {n: np.zeros(64, np.int64) for n in names}

    def ensure(self, m: int) -> None:
        m = min(m, TREND_MAX_MINUTES)  # minutes past the trend's bound share one slot, never shown
        cap = len(self.cols[self.names[0]])
        if m < cap:
            return
        new_cap = max(m + 1, 2 * cap)
        for n in self.names:
            c = np.zeros(new_cap, np.int64)
            c[:cap] = self.cols[n]
            self.cols[n] = c

    def add(self, name: str, minutes: np.ndarray) -> None:
        if len(minutes) == 0:
            return
        minutes = np.minimum(minutes, TREND_MAX_MINUTES)
        self.ensure(int(minutes.max()))
        b = np.bincount(minutes)
        self.cols[name][: len(b)] += b

    def add_exact(self, name: str, minutes: np.ndarray, values: np.ndarray) -> None:
        """Integer sums without passing through floats (money)."""
        if len(minutes) == 0:
            return
        minutes = np.minimum(minutes, TREND_MAX_MINUTES)
        self.ensure(int(minutes.max()))
        np.add.at(self.cols[name], minutes, values.astype(np.int64))
