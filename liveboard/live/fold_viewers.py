"""Viewers: user and channel ids, channel reach (views and distinct viewers per channel), profiles.

Only events whose figures need the user map their user id: impressions and product impressions/clicks
are counts, so their (mostly one-off) users cost nothing. A user's last enter is remembered for crediting
orders to the channel the buyer came from. Distinct viewers, followers and engaged viewers are plain
aggregates (:mod:`~liveboard.live.fold_counts`).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from liveboard.live.batch import Batch
from liveboard.live.codes import UNATTRIBUTED, USER_LUT
from liveboard.live.columns import column
from liveboard.live.fields import StateFields


class ViewerFold(StateFields):
    """Fold steps for viewers and channels (part of :class:`~liveboard.live.state.LiveState`)."""

    def _map_users(self, batch: Batch) -> np.ndarray:
        """User id per row (-1 for rows whose type needs no user, or that have none)."""
        table, n = batch.table, batch.n
        urows = np.flatnonzero(USER_LUT[batch.tc])
        uid = np.full(n, -1, np.int64)
        if len(urows):
            ucol = column(table, "user_id")
            uid[urows] = self.users.map(ucol if len(urows) == n else ucol.take(pa.array(urows)))
        self.u.ensure(len(self.users))
        return uid

    def _map_channels(self, batch: Batch) -> np.ndarray:
        """Channel id per row; a channel is a bit in a user's mask, so there may be at most 63."""
        ch = self.channels_ids.map(column(batch.table, "channel"))
        self._grow_channels()
        return ch

    def _grow_channels(self) -> None:
        if len(self.channels_ids) >= UNATTRIBUTED:
            raise ValueError("too many distinct traffic channels")

    def _fold_viewers(self, batch: Batch) -> None:
        """Enters: views and distinct viewers per channel, then new viewers' profiles."""
        enter, uid, ch = batch.is_t["viewer_enter"], batch.uid, batch.ch
        if not enter.any():
            return
        U = self.u
        eu = uid[enter]
        ec = ch[enter]
        self.ch_views += np.bincount(ec, minlength=len(self.ch_views))[: len(self.ch_views)]
        pair = np.unique(eu * 64 + ec)
        pu, pch = pair // 64, pair % 64
        fresh = (U.chmask[pu] >> pch) & 1 == 0
        self.ch_viewers += np.bincount(pch[fresh], minlength=len(self.ch_viewers))[: len(self.ch_viewers)]
        np.bitwise_or.at(U.chmask, pu, np.int64(1) << pch)
        self._fold_profiles(batch)

    def _fold_channel_impressions(self, batch: Batch) -> None:
        """Impressions per channel (impressions need no user)."""
        imp = batch.is_t["impression"]
        if imp.any():
            slots = len(self.ch_impressions)
            self.ch_impressions += np.bincount(batch.ch[imp], minlength=slots)[:slots]

    def _remember_last_enters(self, batch: Batch) -> None:
        """Each user's latest enter (time and channel); runs after this batch's orders were credited."""
        enter = batch.is_t["viewer_enter"]
        if not enter.any():
            return
        U, uid = self.u, batch.uid
        rows = np.flatnonzero(enter)
        ru = uid[rows][::-1]
        last_u, last_i = np.unique(ru, return_index=True)
        last_rows = rows[::-1][last_i]
        U.last_enter_ts[last_u] = batch.ts[last_rows]
        U.last_enter_ch[last_u] = batch.ch[last_rows]
