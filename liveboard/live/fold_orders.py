"""Orders: each order's latest state, its sales (GMV, items, SKU orders, customers) and channel credit.

An order may change state (paid → refunded): its previous contribution is retracted and the new one
added, to every aggregate at once (``_sales_apply``). A paid order is credited to the channel of the
buyer's latest enter at or before it; an enter at the same instant arriving in a later batch re-credits.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from liveboard.live.batch import Batch
from liveboard.live.codes import ORDER_FLAGS, PAID_TOTALS, UNATTRIBUTED
from liveboard.live.columns import as_numpy, column
from liveboard.live.fields import StateFields
from liveboard.live.money import money_micros

#: The order fields the paid aggregates read, and the order column that holds each (money in micro-units).
ORDER_FIELDS = {"amount": "amt", "quantity": "qty"}


class OrderFold(StateFields):
    """Fold steps for orders and sales (part of :class:`~liveboard.live.state.LiveState`)."""

    def _fold_orders(self, batch: Batch) -> None:
        """The batch's newest state per order replaces the one folded before."""
        prev_max = batch.prev_max
        self._recredit_frontier(batch)
        rows = np.flatnonzero(batch.is_t["order"])
        if not len(rows):
            if self.max_ts != prev_max:
                self.frontier = set()
            return
        uo, lr = self._newer_order_states(batch, rows)
        if not len(uo):
            return
        self._sales_apply(uo, -1)
        self.frontier.difference_update(uo.tolist())
        self._store_order_states(batch, uo, lr)
        self.o.channel[uo] = self._order_channels(batch, lr)
        self._sales_apply(uo, +1)
        if self.max_ts != prev_max:
            self.frontier = set()
        O = self.o  # noqa: E741
        at_max = uo[(O.ts[uo] == self.max_ts) & O.paid[uo]]
        self.frontier.update(at_max.tolist())

    def _recredit_frontier(self, batch: Batch) -> None:
        """Same-instant channel credit: an enter at ``prev_max`` re-credits paid orders of that instant."""
        O, prev_max, enter = self.o, batch.prev_max, batch.is_t["viewer_enter"]  # noqa: E741
        if prev_max is None or not self.frontier or not enter.any():
            return
        er = np.flatnonzero(enter & (batch.ts == prev_max))
        if not len(er):
            return
        uid, ch = batch.uid, batch.ch
        last = {int(uid[r]): int(ch[r]) for r in er.tolist()}  # sorted by seq: last wins
        moved = [o for o in self.frontier if int(O.user[o]) in last]
        if moved:
            mv = np.array(moved, np.int64)
            chs = O.channel[mv]
            np.add.at(self.ch_gmv, np.where(chs < 0, UNATTRIBUTED, chs), -O.amt[mv])
            np.add.at(self.ch_paid, np.where(chs < 0, UNATTRIBUTED, chs), -1)
            O.channel[mv] = [last[int(O.user[o])] for o in moved]
            np.add.at(self.ch_gmv, O.channel[mv], O.amt[mv])
            np.add.at(self.ch_paid, O.channel[mv], 1)

    def _newer_order_states(self, batch: Batch, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Order ids whose latest state in the batch is newer than the folded one, and those rows."""
        O, ts, seq = self.o, batch.ts, batch.seq  # noqa: E741
        oid = self.orders_ids.map(column(batch.table, "order_id").take(pa.array(rows)))
        O.ensure(len(self.orders_ids))
        # the batch's last state per order (rows are sorted by ts, seq)
        rev = oid[::-1]
        uo, ui = np.unique(rev, return_index=True)
        lr = rows[::-1][ui]  # row of each order's latest state in the batch
        newer = (ts[lr] > O.ts[uo]) | ((ts[lr] == O.ts[uo]) & (seq[lr] > O.seq[uo]))
        return uo[newer], lr[newer]

    def _store_order_states(self, batch: Batch, uo: np.ndarray, lr: np.ndarray) -> None:
        """Orders ``uo`` take the state of rows ``lr``."""
        O = self.o  # noqa: E741
        sub = batch.table.take(pa.array(lr))
        status = column(sub, "status").to_pylist()
        O.ts[uo], O.seq[uo] = batch.ts[lr], batch.seq[lr]
        O.user[uo], O.product[uo] = batch.uid[lr], batch.pid[lr]
        O.qty[uo] = as_numpy(column(sub, "quantity"))
        O.amt[uo] = money_micros(column(sub, "amount"))
        O.paid[uo] = [s in ("paid", "refunded") for s in status]
        for flag, (col, value) in ORDER_FLAGS.items():  # the filters of the paid aggregates
            getattr(O, flag)[uo] = [v == value for v in column(sub, col).to_pylist()]

    def _order_channels(self, batch: Batch, lr: np.ndarray) -> np.ndarray:
        """Credit: the buyer's latest viewer_enter at or before the order's ts (this batch, else the state)."""
        ts, uid, ch = batch.ts, batch.uid, batch.ch
        credit = self.u.last_enter_ch[np.maximum(uid[lr], 0)].copy()
        credit[uid[lr] < 0] = -1
        er = np.flatnonzero(batch.is_t["viewer_enter"])
        if len(er):
            tmin = int(ts[0])
            ekey = (uid[er].astype(np.int64) << 40) | (ts[er] - tmin)
            okey = (uid[lr].astype(np.int64) << 40) | (ts[lr] - tmin)
            srt = np.argsort(ekey, kind="stable")
            ekey_s = ekey[srt]
            pos = np.searchsorted(ekey_s, okey, side="right") - 1
            ok = pos >= 0
            hit = np.zeros(len(lr), bool)
            hit[ok] = (ekey_s[pos[ok]] >> 40) == uid[lr][ok]
            credit[hit] = ch[er[srt[pos[hit]]]]
        return credit

    def _paid_totals_apply(self, orders: np.ndarray, sign: int) -> None:
        """The plain aggregates over paid orders (GMV, direct and refunded GMV, items, SKU orders), overall and
        per minute, as :data:`~liveboard.live.codes.PAID_TOTALS` describes them."""
        O = self.o  # noqa: E741
        mins = self._minute(O.ts[orders])
        for a in PAID_TOTALS:
            w = np.ones(len(orders), np.int64)
            for f in a.field:
                w = w * getattr(O, ORDER_FIELDS[f])[orders]
            at = mins
            if a.where:
                keep = getattr(O, f"{a.where[0]}_{a.where[1]}")[orders]
                w, at = w[keep], mins[keep]
            self.totals[a.name] += sign * int(w.sum())
            if a.name in self.m.cols:
                self.m.add_exact(a.name, at, sign * w)

    def _sales_apply(self, orders: np.ndarray, sign: int) -> None:
        """Add (sign=1) or retract (sign=-1) the contribution of paid orders to every aggregate."""
        O, U, P = self.o, self.u, self.p  # noqa: E741
        orders = orders[O.paid[orders]]
        if not len(orders):
            return
        amt, qty = O.amt[orders], O.qty[orders]
        self._paid_totals_apply(orders, sign)
        prods = O.product[orders]
        np.add.at(P.sku, prods, sign)
        np.add.at(P.items, prods, sign * qty)
        np.add.at(P.gmv, prods, sign * amt)
        chs = O.channel[orders]
        np.add.at(self.ch_gmv, np.where(chs < 0, UNATTRIBUTED, chs), sign * amt)
        np.add.at(self.ch_paid, np.where(chs < 0, UNATTRIBUTED, chs), sign)
        users = O.user[orders]
        uu = np.unique(users)
        before = U.paid[uu].copy()
        np.add.at(U.paid, users, sign)
        after = U.paid[uu]
        became = uu[(before <= 0) & (after > 0)] if sign > 0 else uu[(before > 0) & (after <= 0)]
        self.customers += sign * len(became)
        for u in became.tolist():
            self._aud_add("customers", *self._profile(u), sign)
        self._giveaway_apply(orders, sign)
