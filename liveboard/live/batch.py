"""One micro-batch made ready for folding: this session's rows, in (ts, seq) order, with type codes.

Every fold step reads the same arrays; computing them once here (and the ids once, in the step that
maps them) keeps each step vectorised and keeps them from disagreeing on the batch's order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from liveboard.live.codes import T
from liveboard.live.columns import column


@dataclass
class Batch:
    """A sorted micro-batch of one session and the per-row arrays the fold steps share.

    ``minute``, ``uid``, ``ch`` and ``pid`` are filled in, in fold order, by the steps that compute them
    (the minute needs the session's origin; ids are assigned in first-seen order); a step that read one
    before it is filled in would fail (AttributeError).
    """

    table: pa.Table
    ts: np.ndarray
    seq: np.ndarray
    #: event-type code per row (-1: a type this version does not know)
    tc: np.ndarray
    #: per event type, a row mask
    is_t: dict[str, np.ndarray]
    #: the latest ``ts`` before this batch (None for the first)
    prev_max: int | None
    minute: np.ndarray = field(init=False, repr=False, compare=False)
    uid: np.ndarray = field(init=False, repr=False, compare=False)
    ch: np.ndarray = field(init=False, repr=False, compare=False)
    pid: np.ndarray = field(init=False, repr=False, compare=False)

    @property
    def n(self) -> int:
        return len(self.ts)


def session_rows(table: pa.Table, session_id: str) -> pa.Table:
    """The rows of one session (the table itself when every row is of it)."""
    keep = pc.equal(column(table, "session_id"), session_id)
    if not pc.all(keep).as_py():
        table = table.filter(keep)
    return table


def in_time_order(table: pa.Table) -> tuple[pa.Table, np.ndarray, np.ndarray]:
    """The table sorted by (ts, seq) — sorted only when it is not already — with its ts and seq."""
    ts = column(table, "ts").cast(pa.int64()).to_numpy(zero_copy_only=False)
    seq = column(table, "seq").to_numpy(zero_copy_only=False)
    if len(ts) > 1 and not (np.all(ts[1:] >= ts[:-1]) and np.all((ts[1:] > ts[:-1]) | (seq[1:] > seq[:-1]))):
        order = np.lexsort((seq, ts))
        table = table.take(pa.array(order))
        ts, seq = ts[order], seq[order]
    return table, ts, seq


def type_codes(table: pa.Table) -> np.ndarray:
    """Event-type code per row; only the batch's distinct type names touch Python."""
    tenc = column(table, "type").dictionary_encode()
    tlut = np.array([T.get(x, -1) for x in tenc.dictionary.to_pylist()], np.int64)
    return tlut[tenc.indices.to_numpy(zero_copy_only=False)]


def type_masks(tc: np.ndarray) -> dict[str, np.ndarray]:
    """Per event type, the mask of its rows."""
    return {name: tc == code for name, code in T.items()}
