"""A session's catalog row: its layers (source rows and events summary) merged figure by figure.

Base figures: the first layer by :data:`RANK` that knows it. Derived metrics follow the rules of
:func:`catalog_rows`, so a ratio never mixes two sources' figures while either has one of its own. The
layers themselves (order, matrix, the recorder's blind spots) are :mod:`liveboard.provenance.layers`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from liveboard.metrics import derived_select
from liveboard.provenance.arrays import _replace
from liveboard.provenance.engine import sql
from liveboard.provenance.layers import _STATE, Layers, SessionEvents, build_layers, first_layer, session_events, take
from liveboard.provenance.schemas import IDENTITY, base_figures, catalog_schema, conform, derived_bases, figure_names


def catalog_rows(events: pa.Table | None, summaries: pa.Table, ids: Iterable[str]) -> pa.Table:
    """Catalog rows of ``ids``: events summaries (with sealed/source/stale) overlaid with linked rows.

    A session with neither events nor linked rows gets no row (it no longer exists). Derived metrics
    are computed with the registry's SQL (:func:`liveboard.metrics.derived_select`). Base figures: the
    first layer by :data:`RANK` that knows it. A derived metric: recomputed from the merged bases when
    they come from one layer (unless a higher layer gives the metric itself); else the metric as the
    highest source gives it; else recomputed from the bases of the highest layer that gives them all;
    else from the merged bases. So a ratio never mixes a recorder's view seconds with the API's views
    while either side has a figure of its own.
    """
    schema = catalog_schema()
    wanted = pa.array(sorted(set(ids)), pa.string())
    if events is not None and events.num_rows:
        ev = events.filter(pc.is_in(events["session_id"], value_set=wanted))
    else:
        ev = None
    rows = summaries.filter(pc.is_in(summaries["session_id"], value_set=wanted)) if summaries.num_rows else summaries
    linked = pa.array(sorted(set(rows["session_id"].to_pylist())), pa.string())
    parts = []
    if ev is not None and ev.num_rows:
        alone = ev.filter(pc.invert(pc.is_in(ev["session_id"], value_set=linked)))
        if alone.num_rows:
            parts.append(_events_only(alone))
    if len(linked):
        parts.append(_merged(linked, ev, rows))
    if not parts:
        return schema.empty_table()
    out = pa.concat_tables(parts)
    return out.take(pc.sort_indices(out["session_id"]))


def _events_only(ev: pa.Table) -> pa.Table:
    """Catalog rows of sessions with events and no source rows: every figure from "events"."""
    out = conform(ev, catalog_schema())
    n = out.num_rows
    labels = pa.array(["events"] * n, pa.string())
    origin = {name: pc.if_else(out[name].is_valid(), labels, pa.nulls(n, pa.string())) for name in figure_names()}
    return _replace(
        out,
        sources=pa.array([["events"]] * n, pa.list_(pa.string())),
        figure_sources=_figure_json(origin, n),
        source=labels,
    )


def _figure_json(origin: dict[str, pa.Array], n: int) -> pa.Array:
    """``figure_sources`` as ``json.dumps`` writes it: {"name": "label", ...} in :func:`figure_names` order."""
    pieces = [
        pc.binary_join_element_wise(pa.scalar(f'"{name}": "'), origin[name], pa.scalar('"'), "")
        for name in figure_names()
        if name in origin
    ]
    if not pieces:
        return pa.array(["{}"] * n, pa.string())
    body = pc.binary_join_element_wise(*pieces, ", ", null_handling="skip")
    return pc.binary_join_element_wise(pa.scalar("{"), body, pa.scalar("}"), "")


def _derived(bases: pa.Table) -> pa.Table:
    """The registry's derived metrics of each row of ``bases`` (base figures and duration_s), in order."""
    cols = (*base_figures(), "duration_s")
    inputs = bases.select(list(cols)).append_column("_i", pa.array(np.arange(bases.num_rows), pa.int64()))
    return sql(f"SELECT {derived_select()} FROM inputs ORDER BY _i", inputs=inputs)


def _merged(sids: pa.Array, ev: pa.Table | None, rows: pa.Table) -> pa.Table:
    """Catalog rows of sessions with source rows (``sids``, sorted), with or without events."""
    schema = catalog_schema()
    n = len(sids)
    session_of = {s: i for i, s in enumerate(sids.to_pylist())}
    events = session_events(ev, sids, session_of)
    layers = build_layers(sids, rows, events, session_of)
    out, origin, ok = _merged_bases(layers)
    _merge_derived(layers, out, origin, ok)
    label = layers.lay["_label"]
    labels = {name: take(label, layers.row_at(origin[name])) for name in figure_names() if name in origin}
    columns: dict[str, pa.Array] = dict(out)
    columns["session_id"] = sids
    _add_event_state(columns, events, n)
    columns["source"] = pa.array(np.where(events.has, "events", "summary").tolist(), pa.string())
    columns["sources"] = pa.array(_sources(layers), pa.list_(pa.string()))
    columns["figure_sources"] = _figure_json(labels, n)
    return pa.Table.from_arrays(
        [columns[f.name].cast(f.type) if f.name in columns else pa.nulls(n, f.type) for f in schema], schema=schema
    )


def _merged_bases(layers: Layers) -> tuple[dict[str, pa.Array], dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Identity and base figures: the first layer that knows each. Returns the values, the layer position
    each comes from (-1: none) and, per figure, where each layer knows it."""
    out: dict[str, pa.Array] = {}
    origin: dict[str, np.ndarray] = {}  # name -> layer position (-1: none)
    ok: dict[str, np.ndarray] = {}
    for name in IDENTITY + base_figures():
        ok[name] = layers.valid(name)
        origin[name] = first_layer(ok[name])
        out[name] = take(layers.lay[name], layers.row_at(origin[name]))
    return out, origin, ok


@dataclass
class _Rule:
    """Which rule of :func:`catalog_rows` gives a derived metric, per session (masks), and the layers read."""

    from_merged: np.ndarray  # recomputed from the merged bases (one layer's, unless a higher one gives it)
    given: np.ndarray  # the metric as the highest source gives it
    own_events: np.ndarray  # the highest layer with every base is the events: their own value
    own_layer: np.ndarray  # it is a source row: recomputed from that row's bases
    fallback: np.ndarray  # from the merged bases, mixed
    direct: np.ndarray  # the highest source layer giving the metric
    own: np.ndarray  # the highest layer giving every base
    first_base: np.ndarray  # the layer of the first base


def _merge_derived(
    layers: Layers, out: dict[str, pa.Array], origin: dict[str, np.ndarray], ok: dict[str, np.ndarray]
) -> None:
    """Add each derived metric's value and origin to ``out`` and ``origin``."""
    merged_bases = pa.table({c: out[c] for c in (*base_figures(), "duration_s")})
    calc_merged = _derived(merged_bases)
    calc_layer = _derived(layers.lay)
    for name, bases in derived_bases().items():
        rule = _rule(layers, name, bases, origin, ok)
        typ = catalog_schema().field(name).type
        pool = pa.concat_arrays(
            [
                calc_merged[name].combine_chunks().cast(typ),
                calc_layer[name].combine_chunks().cast(typ),
                layers.lay[name].combine_chunks().cast(typ),
            ]
        )
        out[name] = take(pool, _pick(layers, rule))
        origin[name] = _origin(layers, rule, bases, origin)


def _rule(
    layers: Layers, name: str, bases: tuple[str, ...], origin: dict[str, np.ndarray], ok: dict[str, np.ndarray]
) -> _Rule:
    """Which rule gives derived metric ``name`` in each session."""
    n, cols = layers.n, layers.cols
    direct = first_layer(layers.valid(name) & ~layers.is_ev)
    merged = np.ones(n, dtype=bool) if bases else np.zeros(n, dtype=bool)
    for b in bases:
        merged &= origin[b] >= 0
    one = merged.copy()
    for b in bases[1:]:
        one &= origin[b] == origin[bases[0]]
    o0 = origin[bases[0]] if bases else np.full(n, -1)
    c1 = one & ((direct < 0) | (layers.rank_at(direct) <= layers.rank_at(o0)))
    c2 = ~c1 & (direct >= 0)
    if bases:
        all_bases = np.ones_like(layers.present)
        for b in bases:
            all_bases &= ok[b]
        own = first_layer(all_bases)
    else:
        own = np.full(n, -1)
    rest = ~c1 & ~c2
    own_ev = np.where(own >= 0, layers.is_ev[np.maximum(own, 0), cols], False)
    c3e = rest & (own >= 0) & own_ev
    c3 = rest & (own >= 0) & ~own_ev
    c4 = rest & (own < 0) & merged
    return _Rule(c1, c2, c3e, c3, c4, direct, own, o0)


def _pick(layers: Layers, rule: _Rule) -> np.ndarray:
    """Where each session's value comes from, in the pool: 0..n-1 the merged recomputation, then the
    layers' recomputations, then the layers' own values (-1: null)."""
    n, total, cols = layers.n, layers.total, layers.cols
    pick = np.full(n, -1, dtype=np.int64)
    merged = rule.from_merged | rule.fallback
    pick[merged] = cols[merged]
    pick[rule.given] = n + total + layers.row_at(rule.direct)[rule.given]
    pick[rule.own_events] = n + total + layers.row_at(rule.own)[rule.own_events]
    pick[rule.own_layer] = n + layers.row_at(rule.own)[rule.own_layer]
    return pick


def _origin(layers: Layers, rule: _Rule, bases: tuple[str, ...], origin: dict[str, np.ndarray]) -> np.ndarray:
    """The layer a derived value is credited to; from mixed bases, the lowest-ranked base's layer."""
    n, cols = layers.n, layers.cols
    o = np.full(n, -1, dtype=np.int64)
    o[rule.from_merged] = rule.first_base[rule.from_merged]
    o[rule.given] = rule.direct[rule.given]
    own = rule.own_events | rule.own_layer
    o[own] = rule.own[own]
    if bases and rule.fallback.any():
        ranks = np.stack([np.where(origin[b] >= 0, layers.rank[np.maximum(origin[b], 0), cols], 99) for b in bases])
        lowest = np.stack([origin[b] for b in bases])[ranks.argmin(axis=0), cols]
        o[rule.fallback] = lowest[rule.fallback]
    return o


def _sources(layers: Layers) -> list[list[str]]:
    """Each session's sources: the events' label first, then the rows' sources by precedence (each once)."""
    s = layers.s
    lay_labels = layers.lay["_label"].to_pylist()
    lay_ev = layers.is_ev[layers.pos, s]
    sources: list[list[str]] = [[] for _ in range(layers.n)]
    for r in range(layers.total):
        if lay_ev[r]:
            sources[s[r]].insert(0, lay_labels[r])
    for r in range(layers.total):
        if not lay_ev[r] and lay_labels[r] not in sources[s[r]]:
            sources[s[r]].append(lay_labels[r])
    return sources


def _add_event_state(columns: dict[str, pa.Array], events: SessionEvents, n: int) -> None:
    """What only events know (last_ts, event_count, …) and sealed/stale, from the events (else not)."""
    if events.table is None:
        columns["sealed"], columns["stale"] = pa.array(np.zeros(n, dtype=bool)), pa.array(np.zeros(n, dtype=bool))
        return
    part, has, ev_row = events.table, events.has, events.row
    for f in catalog_schema():
        if f.name not in columns and f.name not in _STATE and f.name in part.column_names:
            columns[f.name] = take(part[f.name].combine_chunks().cast(f.type), ev_row)
    sealed = np.zeros(n, dtype=bool)
    stale = np.zeros(n, dtype=bool)
    for name, target in (("sealed", sealed), ("stale", stale)):
        if name in part.column_names:
            vals = np.asarray(
                pc.fill_null(part[name].cast(pa.bool_()), False).to_numpy(zero_copy_only=False), dtype=bool
            )
            target[has] = vals[ev_row[has]]
    columns["sealed"], columns["stale"] = pa.array(sealed), pa.array(stale)
