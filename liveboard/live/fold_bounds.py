"""The session's frame: start, end, first and last event, the minute origin and the LIVE's meta.

Every per-minute figure is counted from one origin (the session start, else the first event), and the
close (the end, else the last event) bounds open views and pins, so this step runs first.
"""

from __future__ import annotations

import numpy as np

from liveboard.live.batch import Batch
from liveboard.live.codes import MIN_US
from liveboard.live.columns import column
from liveboard.live.fields import StateFields


class BoundsFold(StateFields):
    """Fold step for the session's bounds and meta (part of :class:`~liveboard.live.state.LiveState`)."""

    def _fold_bounds(self, batch: Batch) -> None:
        """Start and meta from the earliest ``session_start``, end from the latest ``session_end``."""
        ts, seq, is_t, table = batch.ts, batch.seq, batch.is_t, batch.table
        starts = np.flatnonzero(is_t["session_start"])
        if len(starts):
            i = int(starts[0])
            if self.start is None or ts[i] < self.start:
                if self.origin is not None and self.origin != ts[i]:
                    self.origin_moved = True
                self.start = int(ts[i])
            key = (int(ts[i]), int(seq[i]))
            if self.meta_key is None or key < self.meta_key:
                self.meta_key = key
                self.meta = {
                    c: column(table, c)[i].as_py() for c in ("title", "account_id", "live_event_id", "currency")
                }
        ends = np.flatnonzero(is_t["session_end"])
        if len(ends):
            e = int(ts[ends].max())
            self.end = e if self.end is None else max(self.end, e)
        self.min_ts = int(ts[0]) if self.min_ts is None else min(self.min_ts, int(ts[0]))
        self.max_ts = int(ts[-1]) if self.max_ts is None else max(self.max_ts, int(ts[-1]))
        if self.origin is None:
            self.origin = self.start if self.start is not None else int(ts[0])

    def _batch_minutes(self, batch: Batch) -> np.ndarray:
        """Each row's minute since the origin; the per-minute columns are grown to the close."""
        minute = self._minute(batch.ts)
        self.m.ensure(int(max(minute.max(), self._minute(np.array([self.close_ts]))[0])))
        return minute

    def _minute(self, t: np.ndarray) -> np.ndarray:
        return np.maximum(0, (t - self.origin) // MIN_US)
