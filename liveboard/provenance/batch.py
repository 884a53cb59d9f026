"""One put_source call read and checked: each input table converted to its stored schema, keys and
repeats refused with the table, row and column named (the first problem in row order, then column order)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from liveboard.ids import SESSION_ID_RE
from liveboard.provenance.arrays import _first, _flat, _map_distinct, _np
from liveboard.provenance.cells import _cell_error, _check_column, _convert, _raise
from liveboard.provenance.engine import sql
from liveboard.provenance.matching import account_key
from liveboard.provenance.schemas import _INPUT, _WHAT, SOURCES, SourceError, input_columns, table_schemas

_ID_TEXT = SESSION_ID_RE.pattern.removesuffix(r"\Z") + "$"  # the one id rule, for RE2 ($: end of text only)


def read_input(name: str, table, source: str, required: tuple[str, ...] | None = None) -> pa.Table:
    """An input table checked and converted to the stored schema of ``name`` (missing stays null).

    ``source`` fills the ``source`` column; the other internal columns (``session_id``, ``version``) are
    left null for :func:`plan_put`.
    """
    what = _WHAT[name]
    schema = table_schemas()[name]
    if table is None:
        return schema.empty_table()
    if not isinstance(table, pa.Table):
        try:
            table = pa.Table.from_pandas(table, preserve_index=False)
        except (TypeError, ValueError, AttributeError, pa.ArrowException) as e:
            raise SourceError(f"{what}: not a table ({e})") from None
    allowed = input_columns(name)
    unknown = [c for c in table.column_names if c not in allowed]
    if unknown:
        raise SourceError(f"{what}: unknown column(s) {', '.join(unknown)}; allowed: {', '.join(allowed)}")
    required = _INPUT[name][0] if required is None else required
    for col in required:
        if col not in table.column_names:
            raise SourceError(f"{what}: column '{col}' is required")
    for c in table.column_names:
        _check_column(table[c].type, schema.field(c).type, what, c)
    n = table.num_rows
    columns: dict[str, pa.Array] = {}
    too_large: dict[str, np.ndarray] = {}  # cells holding a number the column cannot: not empty
    first: tuple | None = None  # (rank, raise it): the first problem in row order, then column order

    def note(row: int | None, phase: int, order: int, fail, *, last: bool = False) -> None:
        # ``last``: a number too large for its column, reported only when nothing else is wrong
        nonlocal first
        if row is not None and (first is None or (last, row, phase, order) < first[0]):
            first = ((last, row, phase, order), fail)

    internal = _INPUT[name][1]
    for order, f in enumerate(schema):
        if f.name == "source":
            columns[f.name] = pa.array([source] * n, pa.string())
        elif f.name in internal or f.name not in table.column_names:
            columns[f.name] = pa.nulls(n, f.type)
        else:
            raw = _flat(table[f.name])
            columns[f.name], bad, too_large[f.name] = _convert(raw, f.type, what, f.name)
            if bad is not None:
                note(bad, 0, order, functools.partial(_cell_error, raw, bad, f.type, what, f.name))
            if too_large[f.name].size:
                far = int(too_large[f.name][0])
                note(far, 0, order, functools.partial(_cell_error, raw, far, f.type, what, f.name), last=True)
    for order, col in enumerate(required):
        missing = _np(columns[col].is_null())
        missing[too_large.get(col, [])] = False
        empty = _first(pa.array(missing))
        if empty is not None:
            message = f"{what} row {empty + 1}: column '{col}' is empty (it is required)"
            note(empty, 1, order, functools.partial(_raise, message))
    keys = columns["source_key"]
    invalid = pc.invert(pc.and_(pc.match_substring_regex(keys, _ID_TEXT), pc.invert(pc.match_substring(keys, ".."))))
    bad_key = _first(pc.and_(invalid, keys.is_valid()))
    if bad_key is not None:
        key = keys[bad_key].as_py()
        message = (
            f"{what} row {bad_key + 1}: source_key {key!r} is not a valid id (letters, digits and . _ @ : + - only)"
        )
        note(bad_key, 2, 0, functools.partial(_raise, message))
    if first is not None:
        first[1]()
    if "account_id" in columns:
        columns["account_id"] = _map_distinct(columns["account_id"], account_key)
    return pa.Table.from_arrays([columns[f.name] for f in schema], schema=schema)


@dataclass
class Batch:
    """One put_source call, read and checked: tables in the stored schemas (``session_id`` still null).

    A side table is None when it was not given; its rows are sorted by ``source_key`` and then
    :data:`_SORT`, the order they are stored in.
    """

    source: str
    summaries: pa.Table
    trends: pa.Table | None
    products: pa.Table | None
    gaps: pa.Table | None

    def side(self, name: str) -> pa.Table | None:
        return {"source_trends": self.trends, "source_products": self.products, "gaps": self.gaps}[name]


_SORT = {"source_trends": ("t",), "source_products": ("product_id",), "gaps": ("gap_start", "gap_end")}
_UNIQUE = {"source_trends": ("t",), "source_products": ("product_id",), "gaps": ("gap_start",)}
_LABEL = {"source_trends": "trend", "source_products": "products", "gaps": "gaps"}


def read_batch(
    source: str, summaries, trends=None, products=None, gaps=None, *, known_keys=(), exact_only: bool = False
) -> Batch:
    """Check every table of a put_source call; ``known_keys`` are this source's stored source_keys.

    ``exact_only`` (the older put_summaries, keyed by session id) does not need ``account_id``.
    """
    if source not in SOURCES:
        raise SourceError(f"unknown source {source!r}: one of {', '.join(SOURCES)}")
    if summaries is None:
        raise SourceError("summaries: a table is required (one row per session the source knows)")
    required = ("source_key", "start") if exact_only else None
    rows = read_input("source_summaries", summaries, source, required)
    dup = _first_repeat(rows, ("source_key",))
    if dup is not None:
        i, j = dup
        raise SourceError(f"summaries rows {j + 1} and {i + 1}: the same source_key {rows['source_key'][i].as_py()!r}")
    keys = pa.concat_arrays([rows["source_key"].combine_chunks(), pa.array(list(known_keys), pa.string())])
    parts: dict[str, pa.Table | None] = {}
    for name, table in (("source_trends", trends), ("source_products", products), ("gaps", gaps)):
        if table is None:
            parts[name] = None
            continue
        t = read_input(name, table, source)
        what = _WHAT[name]
        problems: list[tuple[int, int, str]] = []
        orphan = _first(pc.invert(pc.is_in(t["source_key"], value_set=keys)))
        if orphan is not None:
            problems.append(
                (
                    orphan,
                    0,
                    f"{what} row {orphan + 1}: source_key {t['source_key'][orphan].as_py()!r} has no summary "
                    f"row from {source} (give the session in summaries)",
                )
            )
        if name == "gaps":
            backwards = _first(pc.less(t["gap_end"], t["gap_start"]))
            if backwards is not None:
                problems.append((backwards, 1, f"gaps row {backwards + 1}: gap_end is before gap_start"))
        dup = _first_repeat(t, ("source_key",) + _UNIQUE[name])
        if dup is not None:
            unique = " and ".join(("source_key",) + _UNIQUE[name])
            problems.append((dup[0], 2, f"{what} rows {dup[1] + 1} and {dup[0] + 1}: the same {unique}"))
        if problems:
            raise SourceError(min(problems)[2])
        parts[name] = t.sort_by([("source_key", "ascending")] + [(c, "ascending") for c in _SORT[name]])
    return Batch(source, rows, parts["source_trends"], parts["source_products"], parts["gaps"])


def _first_repeat(table: pa.Table, cols: tuple[str, ...]) -> tuple[int, int] | None:
    """``(row, earlier row)`` of the first row whose ``cols`` repeat an earlier row's, or None."""
    if table.num_rows < 2:
        return None
    if len(cols) == 1:
        enc = table[cols[0]].combine_chunks().dictionary_encode()
        codes = enc.indices.to_numpy(zero_copy_only=False)
        _, firsts = np.unique(codes, return_index=True)
        earlier = firsts[codes]  # codes follow first appearance, so firsts[code] is its first row
        repeats = np.flatnonzero(earlier != np.arange(len(codes)))
        return (int(repeats[0]), int(earlier[repeats[0]])) if repeats.size else None
    keyed = table.select(list(cols)).append_column("_i", pa.array(np.arange(table.num_rows), pa.int64()))
    part = ", ".join(f'"{c}"' for c in cols)
    hit = sql(
        f"SELECT _i, min(_i) OVER (PARTITION BY {part}) AS f FROM keyed QUALIFY _i > f ORDER BY _i LIMIT 1",
        keyed=keyed,
    ).to_pylist()
    return (hit[0]["_i"], hit[0]["f"]) if hit else None
