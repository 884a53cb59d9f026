"""The layers of the sessions being merged, ordered by precedence, and the matrix that places them.

A session's layers are its source rows and its events summary, ordered by precedence (api, export,
events, recorder; then newer version, then source_key). They are kept as one long table; a layer matrix
(position × session) of row indices into it makes first-non-null picks and origins numpy work, for all
sessions at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from liveboard.metrics import DERIVED
from liveboard.provenance.arrays import _np, _replace
from liveboard.provenance.schemas import (
    IDENTITY,
    RANK,
    RECORDER_UNSEEN,
    base_figures,
    catalog_schema,
    conform,
    derived_bases,
)

_LAYER_COLS = IDENTITY + base_figures() + tuple(DERIVED)
_STATE = ("sealed", "source", "stale", "sources", "figure_sources")
_ORDER = [("_s", "ascending"), ("_rank", "descending"), ("_ver", "descending"), ("_key", "ascending")]


@dataclass
class SessionEvents:
    """The events summaries of the sessions being merged (``table`` None when none has events).

    ``has[i]``: session i has events; ``row[i]``: its row of ``table`` (-1: none); ``sessions``: the
    session of each row of ``table``.
    """

    table: pa.Table | None
    has: np.ndarray
    row: np.ndarray
    sessions: np.ndarray


def session_events(ev: pa.Table | None, sids: pa.Array, session_of: dict[str, int]) -> SessionEvents:
    """The events summaries of ``sids`` among ``ev``, in the catalog's types."""
    n = len(sids)
    has = np.zeros(n, dtype=bool)
    row = np.full(n, -1, dtype=np.int64)
    part = ev.filter(pc.is_in(ev["session_id"], value_set=sids)) if ev is not None else None
    if part is None or not part.num_rows:
        return SessionEvents(None, has, row, np.zeros(0, dtype=np.int64))
    part = conform(part, pa.schema([f for f in catalog_schema() if f.name in part.column_names]))
    sessions = np.array([session_of[s] for s in part["session_id"].to_pylist()], dtype=np.int64)
    has[sessions] = True
    row[sessions] = np.arange(len(sessions))
    return SessionEvents(part, has, row, sessions)


@dataclass
class Layers:
    """Every layer of the sessions being merged: ``lay``, one table sorted by session then precedence, with
    ``_s`` (session), ``_rank``, ``_ver``, ``_key`` and ``_label`` beside the figures.

    ``at[p, i]``: the row of ``lay`` of session i's layer p (-1: none); ``rank`` and ``is_ev`` are shaped
    alike; ``s`` and ``pos``: the session and position of each row of ``lay``.
    """

    lay: pa.Table
    at: np.ndarray
    s: np.ndarray
    pos: np.ndarray
    present: np.ndarray
    rank: np.ndarray
    is_ev: np.ndarray

    @property
    def n(self) -> int:
        return self.at.shape[1]

    @property
    def total(self) -> int:
        return len(self.s)

    @property
    def cols(self) -> np.ndarray:
        return np.arange(self.n)

    def valid(self, name: str) -> np.ndarray:
        """Where each session's layer p knows ``name``."""
        ok = _np(self.lay[name].is_valid())
        return self.present & ok[np.maximum(self.at, 0)]

    def row_at(self, p: np.ndarray) -> np.ndarray:
        """The row of ``lay`` of each session's layer ``p[i]`` (-1 where ``p`` is -1)."""
        return np.where(p >= 0, self.at[np.maximum(p, 0), self.cols], -1)

    def rank_at(self, p: np.ndarray) -> np.ndarray:
        """The rank of each session's layer ``p[i]`` (-1 where ``p`` is -1)."""
        return np.where(p >= 0, self.rank[np.maximum(p, 0), self.cols], -1)


def first_layer(mask: np.ndarray) -> np.ndarray:
    """Per session, the first layer position where ``mask`` holds (-1: none)."""
    return np.where(mask.any(axis=0), mask.argmax(axis=0), -1)


def take(col, rows_: np.ndarray) -> pa.Array:
    """``col`` at ``rows_``, null where a row is -1."""
    return col.take(pa.array(rows_, pa.int64(), mask=rows_ < 0))


def build_layers(sids: pa.Array, rows: pa.Table, events: SessionEvents, session_of: dict[str, int]) -> Layers:
    """The layers of ``sids``: their source rows and, where they have them, their events summaries."""
    layer_schema = pa.schema([catalog_schema().field(c) for c in _LAYER_COLS])
    recorder = set(pc.filter(rows["session_id"], pc.equal(rows["source"], "recorder")).to_pylist())
    layers = [_source_layer(rows, session_of, layer_schema)]
    if events.table is not None:
        layers.append(_events_layer(events, recorder, layer_schema))
    return _stack(pa.concat_tables(layers).sort_by(_ORDER), len(sids))


def _source_layer(rows: pa.Table, session_of: dict[str, int], layer_schema: pa.Schema) -> pa.Table:
    """Source rows as layers, ranked by their source, then newer version, then source_key."""
    meta = {
        "_s": pa.array([session_of[s] for s in rows["session_id"].to_pylist()], pa.int64()),
        "_rank": pa.array([RANK[s] for s in rows["source"].to_pylist()], pa.int64()),
        "_ver": pc.fill_null(rows["version"], 0).cast(pa.int64()),
        "_key": rows["source_key"].cast(pa.string()),
        "_label": rows["source"].cast(pa.string()),
    }
    layer = conform(rows, layer_schema)
    for name, col in meta.items():
        layer = layer.append_column(name, col)
    return layer


def _events_layer(events: SessionEvents, recorder: set[str], layer_schema: pa.Schema) -> pa.Table:
    """Events summaries as layers, labelled "recorder" in a recorder's session (with what it cannot see
    made unknown), else "events"."""
    part = events.table
    assert part is not None  # called only when some session has events
    is_rec = pc.is_in(part["session_id"], value_set=pa.array(sorted(recorder), pa.string()))
    seen = conform(part, layer_schema)
    if len(recorder):
        blind = _as_seen_by_recorder(seen)
        seen = pa.Table.from_arrays(
            [pc.if_else(is_rec, blind[c], seen[c]) for c in layer_schema.names], schema=layer_schema
        )
    labels = pc.if_else(is_rec, pa.scalar("recorder"), pa.scalar("events"))
    m = part.num_rows
    return (
        seen.append_column("_s", pa.array(events.sessions, pa.int64()))
        .append_column("_rank", pa.array([RANK["events"]] * m, pa.int64()))
        .append_column("_ver", pa.array([0] * m, pa.int64()))
        .append_column("_key", pa.array([""] * m, pa.string()))
        .append_column("_label", labels.cast(pa.string()))
    )


def _stack(lay: pa.Table, n: int) -> Layers:
    """The layer matrix of ``lay`` (sorted by session, then precedence) over ``n`` sessions."""
    s = lay["_s"].to_numpy()
    total = len(s)
    heads = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    counts = np.diff(np.r_[heads, total])
    pos = np.arange(total) - np.repeat(heads, counts)
    depth = int(counts.max())
    at = np.full((depth, n), -1, dtype=np.int64)
    at[pos, s] = np.arange(total)
    present = at >= 0
    rank = np.where(present, lay["_rank"].to_numpy()[np.maximum(at, 0)], -1)
    is_ev = present & (rank == RANK["events"])
    return Layers(lay, at, s, pos, present, rank, is_ev)


def _as_seen_by_recorder(ev: pa.Table) -> pa.Table:
    """Events summaries of recorder sessions with what the recorder cannot see made unknown."""
    n = ev.num_rows
    for count, names in RECORDER_UNSEEN.items():
        zero = pc.fill_null(pc.equal(ev[count], 0), False)
        for name in names:
            ev = _replace(ev, **{name: pc.if_else(zero, pa.nulls(n, ev[name].type), ev[name])})
    for name, bases in derived_bases().items():
        missing = np.zeros(n, dtype=bool)
        for b in bases:
            missing |= ~_np(ev[b].is_valid())
        ev = _replace(ev, **{name: pc.if_else(pa.array(missing), pa.nulls(n, ev[name].type), ev[name])})
    return ev
