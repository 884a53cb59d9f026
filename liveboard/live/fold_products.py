"""Products: ids, impressions and clicks, the catalog seen in pins (name, price), pins and featured time.

A product is featured from its pin until the next pin, its own unpin, or the session's end; the featured
time of the product pinned now runs on to the close in ``products()``.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from liveboard.live.batch import Batch
from liveboard.live.codes import T
from liveboard.live.columns import column
from liveboard.live.fields import StateFields


class ProductFold(StateFields):
    """Fold steps for products (part of :class:`~liveboard.live.state.LiveState`)."""

    def _map_products(self, batch: Batch) -> np.ndarray:
        """Product id per row (-1 where there is none)."""
        pid = self.products_ids.map(column(batch.table, "product_id"))
        self.p.ensure(len(self.products_ids))
        return pid

    def _fold_product_traffic(self, batch: Batch) -> None:
        """Impressions and clicks per product; a product with either has traffic."""
        P, pid = self.p, batch.pid
        for name, typ in (("impressions", "product_impression"), ("clicks", "product_click")):
            msk = batch.is_t[typ] & (pid >= 0)
            if msk.any():
                b = np.bincount(pid[msk], minlength=len(self.products_ids))
                getattr(P, name)[: len(b)] += b
                P.traffic[pid[msk]] = True

    def _fold_catalog(self, batch: Batch) -> None:
        """Name and price per product from its latest pin that has them."""
        pin_rows = np.flatnonzero(batch.is_t["product_pin"])
        if not len(pin_rows):
            return
        ts, seq, pid = batch.ts, batch.seq, batch.pid
        names = column(batch.table, "name").take(pa.array(pin_rows)).to_pylist()
        prices = column(batch.table, "price").take(pa.array(pin_rows)).to_pylist()
        for k, r in enumerate(pin_rows.tolist()):
            key, p = (int(ts[r]), int(seq[r])), int(pid[r])
            if names[k] is not None and (p not in self.p_name or key >= self.p_name[p][0]):
                self.p_name[p] = (key, names[k])
            if prices[k] is not None and (p not in self.p_price or key >= self.p_price[p][0]):
                self.p_price[p] = (key, prices[k])

    def _fold_pins(self, batch: Batch) -> None:
        """Pins and unpins in time order: pin counts and featured microseconds."""
        ts, seq, pid, tc, is_t = batch.ts, batch.seq, batch.pid, batch.tc, batch.is_t
        pr = np.flatnonzero(is_t["product_pin"] | is_t["product_unpin"])
        for r in pr.tolist():
            t_r, s_r, p_r = int(ts[r]), int(seq[r]), int(pid[r])
            if tc[r] == T["product_pin"]:
                self._close_pin(t_r)
                self.cur_pin = (p_r, t_r, s_r)
                self.p.pins[p_r] += 1
            elif self.cur_pin and self.cur_pin[0] == p_r and (t_r, s_r) > self.cur_pin[1:]:
                self._close_pin(t_r)

    def _close_pin(self, t: int) -> None:
        if self.cur_pin is None:
            return
        p, start, _ = self.cur_pin
        end = min(t, self.end) if self.end is not None else t  # clipped to close_ts (the end)
        self.p.featured_us[p] += max(end - start, 0)
        self.cur_pin = None
