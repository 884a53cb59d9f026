"""Plain counts: events per type, likes, gift diamonds, giveaway winners, and their per-minute trend.

These need no user and no id, only the batch's rows, so they are one vectorised pass.
"""

from __future__ import annotations

import numpy as np
import pyarrow.compute as pc

from liveboard.live.batch import Batch
from liveboard.live.codes import NT, TREND_COUNTS
from liveboard.live.columns import as_numpy, column


class CountsFold:
    """Fold step for the plain counts (part of :class:`~liveboard.live.state.LiveState`)."""

    def _fold_counts(self, batch: Batch) -> None:
        """Counts per type and the weighted sums (likes by ``count``, diamonds by ``diamonds × count``)."""
        table, tc, is_t, minute = batch.table, batch.tc, batch.is_t, batch.minute
        self.counts += np.bincount(tc[tc >= 0], minlength=NT)
        counts_col = as_numpy(column(table, "count"))
        like_w = np.where(is_t["like"], counts_col, 0)
        self.likes += int(like_w.sum())
        diamonds = as_numpy(column(table, "diamonds"))
        gift_mask = is_t["gift"] & column(table, "diamonds").is_valid().to_numpy(zero_copy_only=False)
        gift_mask &= column(table, "count").is_valid().to_numpy(zero_copy_only=False)
        gift_w = np.where(gift_mask, diamonds * counts_col, 0)
        self.gift_diamonds += int(gift_w.sum())
        if is_t["giveaway_end"].any():
            lens = pc.list_value_length(column(table, "winner_ids"))
            self.winners += int(as_numpy(lens).astype(np.int64)[is_t["giveaway_end"]].sum())
        for name, typ in TREND_COUNTS:
            self.m.add(name, minute[is_t[typ]])
        if is_t["like"].any():
            self.m.add_exact("likes", minute[is_t["like"]], like_w[is_t["like"]])
        if is_t["gift"].any():
            self.m.add_exact("gift_diamonds", minute[is_t["gift"]], gift_w[is_t["gift"]])
