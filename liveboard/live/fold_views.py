"""Views as spans, enter to leave: view seconds, peak concurrent users (PCU) and online per minute.

A user has at most one open view; each enter or leave (a mark) closes the open one, and an enter opens a
new one. View time and the online curve need only the open views' count and start sum, so an open view
costs two numbers. PCU at an instant is only final once later events (or the end) show that instant is
over, hence the pending peak; views closed exactly at the close are likewise pending until it moves.
"""

from __future__ import annotations

import numpy as np

from liveboard.live.batch import Batch
from liveboard.live.columns import ceil_minute
from liveboard.live.fields import StateFields


class ViewFold(StateFields):
    """Fold steps for views, PCU and online (part of :class:`~liveboard.live.state.LiveState`)."""

    def _fold_views(self, batch: Batch) -> None:
        """Close and open views at the batch's enters and leaves, per user in time order."""
        ts, is_t, uid = batch.ts, batch.is_t, batch.uid
        mk = np.flatnonzero(is_t["viewer_enter"] | is_t["viewer_leave"])
        mk = mk[uid[mk] >= 0]
        close, origin = self.close_ts, self.origin
        assert close is not None and origin is not None  # the bounds step ran first
        self._flush_pending_end(close)
        if not len(mk):
            self._settle_pcu(np.zeros(0, np.int64), np.zeros(0, np.int64))
            return
        u, t, is_enter = uid[mk], ts[mk], is_t["viewer_enter"][mk]
        tc_ = np.minimum(t, close) if self.end is not None else t  # clipped to close_ts
        by_user = np.lexsort((np.arange(len(mk)), u))  # stable: time order within each user
        su, st, se = u[by_user], tc_[by_user], is_enter[by_user]
        first = np.ones(len(su), bool)
        first[1:] = su[1:] != su[:-1]
        last = np.ones(len(su), bool)
        last[:-1] = su[1:] != su[:-1]
        # is a view of this user open just before this mark, and since when
        prev_open = np.empty(len(su), bool)
        prev_start = np.empty(len(su), np.int64)
        prev_open[1:], prev_start[1:] = se[:-1], st[:-1]
        prev_open[first], prev_start[first] = self.u.open[su[first]], self.u.open_vstart[su[first]]
        self._close_views(prev_start[prev_open], st[prev_open], close)
        # views opened by enters
        self.m.add("starts", ceil_minute(tc_[is_enter], origin))
        self._keep_open_views(su, st, se, first, last)
        # concurrency after each mark, in time order
        delta = np.empty(len(mk), np.int64)
        delta[by_user] = se.astype(np.int64) - prev_open.astype(np.int64)
        self._settle_pcu(t, delta)

    def _flush_pending_end(self, close: int) -> None:
        """Views that ended at an earlier close count as ended in that minute once the close moved on."""
        if self.pending_end is not None and close > self.pending_end[0]:
            assert self.origin is not None  # set with the first event
            pt, pn = self.pending_end
            self.m.add("ends", ceil_minute(np.array([pt]), self.origin).repeat(pn))
            self.pending_end = None

    def _close_views(self, vs: np.ndarray, ve: np.ndarray, close: int) -> None:
        """Views from ``vs`` to ``ve`` are over: their time, and their end minute (pending at the close)."""
        assert self.origin is not None  # set with the first event
        ve = np.maximum(ve, vs)
        self.closed_view_us += int((ve - vs).sum())
        done = ve < close
        self.m.add("ends", ceil_minute(ve[done], self.origin))
        at_close = int(np.count_nonzero(~done))
        if at_close:
            if self.pending_end is not None and self.pending_end[0] == close:
                self.pending_end = (close, self.pending_end[1] + at_close)
            else:
                self.pending_end = (close, at_close)

    def _keep_open_views(
        self, su: np.ndarray, st: np.ndarray, se: np.ndarray, first: np.ndarray, last: np.ndarray
    ) -> None:
        """Open state after the batch: each user's last mark decides whether a view stays open."""
        U = self.u
        closed_state = first & U.open[su]
        self.n_open -= int(np.count_nonzero(closed_state))
        self.sum_open_vstart -= int(U.open_vstart[su[closed_state]].sum())
        lu = su[last]
        U.open[lu] = se[last]
        U.open_vstart[lu] = np.where(se[last], st[last], 0)
        opened = se[last]
        self.n_open += int(np.count_nonzero(opened))
        self.sum_open_vstart += int(st[last][opened].sum())

    def _settle_pcu(self, t: np.ndarray, delta: np.ndarray) -> None:
        close, max_ts = self.close_ts, self.max_ts
        assert close is not None and max_ts is not None  # the bounds step ran first
        cands: list[tuple[int, int]] = []
        base = self._open_before_marks(delta)
        if len(t):
            run = base + np.cumsum(delta)
            g_last = np.ones(len(t), bool)
            g_last[:-1] = t[1:] != t[:-1]
            gt, gv = t[g_last], run[g_last]
            if self.pcu_pending is not None and self.pcu_pending[0] != int(gt[0]):
                cands.append(self.pcu_pending)
            fin = (gt < close) & (gt < max_ts)
            if fin.any():
                self.pcu_confirmed = max(self.pcu_confirmed, int(gv[fin].max()))
            self.pcu_pending = (int(gt[-1]), int(gv[-1])) if gt[-1] == max_ts else None
        elif self.pcu_pending is not None and self.pcu_pending[0] < max_ts:
            cands.append(self.pcu_pending)
            self.pcu_pending = None
        for ct, cv in cands:
            if ct < close and ct < max_ts:
                self.pcu_confirmed = max(self.pcu_confirmed, cv)

    def _open_before_marks(self, delta: np.ndarray) -> int:
        # n_open is already the count after the batch: undo the batch's net change
        return self.n_open - int(delta.sum())

    def view_seconds_us(self) -> int:
        if self.max_ts is None:
            return 0
        close = self.close_ts
        assert close is not None  # max_ts is not None
        return self.closed_view_us + self.n_open * close - self.sum_open_vstart
