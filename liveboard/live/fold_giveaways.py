"""Giveaways: windows (start to end), prize info, winners, distinct viewers/clickers/joiners, GMV during.

GMV during a giveaway is the paid orders inside its window; the window is folded before the batch's
orders, and when a window moves (an earlier start, a later end) the orders folded so far are re-credited.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from liveboard.live.batch import Batch
from liveboard.live.columns import as_numpy, column
from liveboard.live.fields import StateFields


class GiveawayFold(StateFields):
    """Fold steps for giveaways (part of :class:`~liveboard.live.state.LiveState`)."""

    def _fold_giveaways(self, batch: Batch) -> None:
        """The batch's giveaway events: new giveaways, window moves and winners, then distinct users."""
        is_t = batch.is_t
        gmask = is_t["giveaway_start"] | is_t["giveaway_end"] | is_t["giveaway_view"]
        gmask = gmask | is_t["giveaway_click"] | is_t["giveaway_join"]
        if not gmask.any():
            return
        rows = np.flatnonzero(gmask)
        genc = column(batch.table, "giveaway_id").take(pa.array(rows)).dictionary_encode()
        names = genc.dictionary.to_pylist()
        gi = as_numpy(genc.indices, -1).astype(np.int64)
        self._open_giveaways(names, gi)
        self._fold_giveaway_windows(batch, rows, names, gi)
        self._fold_giveaway_users(batch, rows, names, gi)

    def _open_giveaways(self, names: list[str], gi: np.ndarray) -> None:
        """Entries in order of first appearance (the order ``giveaways()`` breaks ties of start in)."""
        valid = np.flatnonzero(gi >= 0)
        _, first = np.unique(gi[valid], return_index=True)
        for k in np.sort(first).tolist():
            self.g.setdefault(
                names[gi[valid[k]]],
                {"start": None, "end": None, "win_key": None, "winner_ids": None, "gmv": 0}
                | {"view": set(), "click": set(), "join": set(), "info": None},
            )

    def _fold_giveaway_windows(self, batch: Batch, rows: np.ndarray, names: list[str], gi: np.ndarray) -> None:
        """Starts and ends (a few per session) one by one, in time order."""
        table, ts, seq, is_t = batch.table, batch.ts, batch.seq, batch.is_t
        se = np.flatnonzero((is_t["giveaway_start"] | is_t["giveaway_end"])[rows] & (gi >= 0))
        for k in se.tolist():
            r = int(rows[k])
            g = self.g[names[gi[k]]]
            t = int(ts[r])
            if is_t["giveaway_start"][r]:
                if g["start"] is None or t < g["start"]:
                    window = (g["start"], g["end"])
                    g["start"] = t
                    g["info"] = {c: column(table, c)[r].as_py() for c in ("prize", "product_id", "winners_planned")}
                    self._window_moved(g, *window)
            else:
                if g["end"] is None or t > g["end"]:
                    window = (g["start"], g["end"])
                    g["end"] = t
                    self._window_moved(g, *window)
                key = (t, int(seq[r]))
                if g["win_key"] is None or key > g["win_key"]:
                    g["win_key"] = key
                    g["winner_ids"] = column(table, "winner_ids")[r].as_py()

    def _fold_giveaway_users(self, batch: Batch, rows: np.ndarray, names: list[str], gi: np.ndarray) -> None:
        """Views, clicks, joins: distinct users per giveaway and kind, added as sets."""
        ru = batch.uid[rows]
        for kind in ("view", "click", "join"):
            sel = batch.is_t["giveaway_" + kind][rows] & (gi >= 0) & (ru >= 0)
            if not sel.any():
                continue
            keys = np.unique(gi[sel] * (1 << 40) + ru[sel])
            kg, ku = keys >> 40, keys & ((1 << 40) - 1)
            bounds = np.flatnonzero(np.diff(kg)) + 1
            for a, b in zip(np.r_[0, bounds].tolist(), np.r_[bounds, len(keys)].tolist(), strict=True):
                self.g[names[int(kg[a])]][kind].update(ku[a:b].tolist())

    def _window_moved(self, g: dict, start: int | None, end: int | None) -> None:
        """A giveaway's window changed from ``[start, end]``: re-credit the paid orders folded so far.

        Keeps ``g["gmv"]`` = GMV of the currently applied paid orders inside the current window (an open
        window reaches the close, as in ``_giveaway_apply``). O(orders) numpy, only when a giveaway starts or its end moves.
        """
        n = len(self.orders_ids)
        if not n:
            return
        O = self.o  # noqa: E741
        t, paid, close = O.ts[:n], O.paid[:n], self.close_ts

        def inside(lo: int | None, hi: int | None) -> np.ndarray:
            if lo is None:
                return np.zeros(n, bool)
            return paid & (t >= lo) & (t <= (hi if hi is not None else close))

        amt = O.amt[:n]
        g["gmv"] += int(amt[inside(g["start"], g["end"])].sum()) - int(amt[inside(start, end)].sum())

    def _giveaway_apply(self, orders: np.ndarray, sign: int) -> None:
        """Add (sign=1) or retract (sign=-1) paid orders' GMV to every giveaway whose window holds them."""
        if not len(orders) or not self.g:
            return
        t = self.o.ts[orders]
        a = self.o.amt[orders]
        close = self.close_ts
        for g in self.g.values():
            if g["start"] is None:
                continue
            hi = g["end"] if g["end"] is not None else close
            inside = (t >= g["start"]) & (t <= hi)
            if inside.any():
                g["gmv"] += sign * int(a[inside].sum())
