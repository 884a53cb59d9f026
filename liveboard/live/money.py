"""Exact money for the live state: integer micro-units in, cents out, never through floats.

The batch SQL sums ``DECIMAL`` amounts and casts to ``DECIMAL(38, 2)``; summing integer micro-units and
rounding the same way gives the live state the same cents.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

MICRO = 1_000_000
CENT = Decimal("0.01")
MONEY_OUT = pa.decimal128(38, 2)


def money(micros: int) -> Decimal:
    """Integer micro-units → Decimal rounded to cents half away from zero (DuckDB's DECIMAL cast)."""
    return (Decimal(int(micros)) / MICRO).quantize(CENT, rounding=ROUND_HALF_UP)


def money_micros(arr: pa.Array) -> np.ndarray:
    """Exact integer micro-units of a ``decimal128(_, 6)`` array (nulls → 0), without floats."""
    arr = arr.cast(pa.decimal128(24, 6)) if arr.type != pa.decimal128(24, 6) else arr
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    arr = pc.fill_null(arr, pa.scalar(Decimal(0), arr.type))
    words = np.frombuffer(arr.buffers()[1], dtype=np.int64)[2 * arr.offset : 2 * (arr.offset + len(arr))]
    lo, hi = words[0::2], words[1::2]
    if not np.array_equal(hi, lo >> 63):
        raise OverflowError("amount beyond ±9.2e12 major units")
    return lo.copy()
