"""Plain aggregates: the counts, sums and distinct counts of :mod:`liveboard.aggregates`, and their trend.

The fold computes what the registry describes, the way the batch SQL is generated from it: counts and
sums need only the batch's rows (one vectorised pass each), distinct users a flag per user, distinct
values a set of them. Sums over paid orders are :mod:`~liveboard.live.fold_orders`' (orders change state).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from liveboard.aggregates import Aggregate
from liveboard.live.batch import Batch
from liveboard.live.codes import EVENT_TOTALS, USER_COUNTS, VALUE_COUNTS, rows_of
from liveboard.live.columns import as_numpy, column
from liveboard.live.fields import StateFields


def user_flag(a: Aggregate) -> str:
    """The per-user column that says a user already counts in ``a``."""
    return f"in_{a.name}"


def weights(table: pa.Table, a: Aggregate, rows: np.ndarray) -> np.ndarray:
    """Per row, what a ``sum`` or ``sum_length`` adds: the product of its fields where all are present, else 0."""
    if a.kind == "sum_length":
        return as_numpy(pc.list_value_length(column(table, a.field[0]))).astype(np.int64) * rows
    keep = rows.copy()
    w = np.ones(len(rows), np.int64)
    for f in a.field:
        col = column(table, f)
        if col.null_count:
            keep &= col.is_valid().to_numpy(zero_copy_only=False)
        w = w * as_numpy(col).astype(np.int64)
    return np.where(keep, w, 0)


class CountsFold(StateFields):
    """Fold steps for the plain aggregates (part of :class:`~liveboard.live.state.LiveState`)."""

    def _fold_counts(self, batch: Batch) -> None:
        """Counts and sums over the batch's rows, overall and per minute; distinct values of ids."""
        table, minute = batch.table, batch.minute
        for a in EVENT_TOTALS:
            rows = rows_of(a, batch.is_t, batch.n)
            if not rows.any():
                continue
            per_minute = a.name in self.m.cols
            if a.kind == "count":
                self.totals[a.name] += int(np.count_nonzero(rows))
                if per_minute:
                    self.m.add(a.name, minute[rows])
                continue
            w = weights(table, a, rows)
            self.totals[a.name] += int(w.sum())
            if per_minute:
                self.m.add_exact(a.name, minute[rows], w[rows])
        for a in VALUE_COUNTS:
            rows = rows_of(a, batch.is_t, batch.n)
            if rows.any():
                values = pc.unique(column(table, a.field[0]).filter(pa.array(rows))).drop_null()
                self.distinct_values[a.name].update(values.to_pylist())

    def _fold_users(self, batch: Batch) -> None:
        """Distinct users per aggregate, overall and per minute (a user counts once in each minute)."""
        U, uid = self.u, batch.uid
        for a in USER_COUNTS:
            rows = rows_of(a, batch.is_t, batch.n) & (uid >= 0)
            if not rows.any():
                continue
            seen = getattr(U, user_flag(a))
            users = uid[rows]
            new = np.unique(users[~seen[users]])
            self.totals[a.name] += len(new)
            seen[new] = True
            if a.name in self.m.cols:
                keys = np.unique(batch.minute[rows] * (1 << 32) + users)
                known = self.minute_users[a.name]
                fresh = [k for k in keys.tolist() if k not in known]
                known.update(fresh)
                if fresh:
                    self.m.add(a.name, np.array(fresh, np.int64) >> 32)
