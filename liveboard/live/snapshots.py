"""Snapshots: the live state as the frames the batch SQL gives (summary, trend, products, channels, …).

Each snapshot reads the running aggregates and costs O(minutes + products + channels + giveaways), never
O(events); column names, order, dtypes and row order follow :mod:`liveboard.queries`.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP

import numpy as np
import pandas as pd

from liveboard.aggregates import AGGREGATE, AGGREGATES, SESSION_BASE_COLUMNS
from liveboard.live.codes import MIN_US, UNATTRIBUTED
from liveboard.live.columns import timestamp
from liveboard.live.fields import StateFields
from liveboard.live.money import CENT, MICRO, MONEY_OUT, money
from liveboard.metrics import TREND_COLUMNS, apply_derived
from liveboard.queries import TREND_MAX_MINUTES


class Snapshots(StateFields):
    """The live state's frames (part of :class:`~liveboard.live.state.LiveState`)."""

    def summary_base(self) -> pd.DataFrame:
        """One row of the base metrics, as ``queries.SESSION_BASE`` gives them (and in its column order)."""
        close = self.close_ts
        row = {
            "session_id": self.session_id,
            "title": self.meta.get("title"),
            "account_id": self.meta.get("account_id"),
            "live_event_id": self.meta.get("live_event_id"),
            "currency": self.meta.get("currency"),  # unknown stays unknown (a recorder)
            "start": timestamp(self.start),
            "end": timestamp(self.end),
            "duration_s": (close - self.start) / MICRO if self.start is not None and close is not None else None,
            "last_ts": timestamp(self.max_ts),
            "pcu": self.pcu_confirmed,
            "view_seconds": self.view_seconds_us() / MICRO,
            "late_order_updates": (
                int(np.count_nonzero(self.o.ts[: len(self.orders_ids)] > self.end)) if self.end is not None else 0
            ),
        }
        for a in AGGREGATES:
            if a.name in self.distinct_values:
                row[a.name] = len(self.distinct_values[a.name])
            else:
                value = self.customers if a.name == "customers" else self.totals[a.name]  # customers: fold_orders
                row[a.name] = money(value) if a.is_money else value
        df = pd.DataFrame([{c: row[c] for c in SESSION_BASE_COLUMNS}])
        for a in AGGREGATES:
            if a.is_money:
                df[a.name] = pd.array([row[a.name]], dtype=pd.ArrowDtype(MONEY_OUT))
        for col in ("start", "end", "last_ts"):
            df[col] = pd.to_datetime(df[col], utc=True)
        df["duration_s"] = df["duration_s"].astype("float64")
        return df

    def summary(self) -> pd.Series:
        """Every session metric (base and derived), like ``SessionData.summary()``."""
        if self.max_ts is None:
            return pd.Series(dtype=object)
        df = apply_derived(self.summary_base())
        return df.iloc[0]

    def trend(self) -> pd.DataFrame:
        """Per minute since the start, the columns of ``queries.trend()``."""
        cols = ["minute", "ts", *TREND_COLUMNS]
        if self.max_ts is None:
            return pd.DataFrame(columns=cols)
        assert self.origin is not None  # set with the first event
        nm = min(int(self._minute(np.array([self.close_ts]))[0]) + 1, TREND_MAX_MINUTES)
        self.m.ensure(nm)
        c = {k: v[:nm] for k, v in self.m.cols.items()}
        ends = c["ends"].copy()
        online = np.cumsum(c["starts"]) - np.cumsum(ends)
        minutes = np.arange(nm, dtype=np.int64)
        df = pd.DataFrame(
            {
                "minute": minutes,
                "ts": pd.to_datetime(self.origin + minutes * MIN_US, unit="us", utc=True),
            }
        )
        for k in TREND_COLUMNS:
            if k == "online":
                df[k] = online
            elif AGGREGATE[k].is_money:
                df[k] = pd.array([money(x) for x in c[k].tolist()], dtype=pd.ArrowDtype(MONEY_OUT))
            else:
                df[k] = c[k]
        return df

    def trend_fast(self) -> pd.DataFrame:
        """``trend()`` with money as float (for drawing; avoids Decimal objects per minute)."""
        df = self.trend()
        if len(df):
            for k in TREND_COLUMNS:
                if k in AGGREGATE and AGGREGATE[k].is_money:
                    df[k] = self.m.cols[k][: len(df)] / MICRO
        return df

    def products(self) -> pd.DataFrame:
        """Per product, the columns of ``queries.products()``, in its order."""
        P = self.p
        n = len(self.products_ids)
        keep = np.flatnonzero(P.traffic[:n] | (P.sku[:n] > 0) | (P.pins[:n] > 0))
        close = self.close_ts
        feat = P.featured_us[:n].copy()
        if self.cur_pin is not None:
            assert close is not None  # a pin is an event
            p, start, _ = self.cur_pin
            feat[p] += max(close - start, 0)
        rows = []
        for i in keep.tolist():
            imp, clk = int(P.impressions[i]), int(P.clicks[i])
            sku = int(P.sku[i])
            price = self.p_price.get(i)
            rows.append(
                {
                    "product_id": self.products_ids.names[i],
                    "name": self.p_name[i][1] if i in self.p_name else None,
                    "price": price[1].quantize(CENT, rounding=ROUND_HALF_UP) if price else None,
                    "impressions": imp,
                    "clicks": clk,
                    "ctr": clk / imp if imp else np.nan,
                    "sku_orders": sku,
                    "items_sold": int(P.items[i]),
                    "gmv": money(int(P.gmv[i])),
                    "ctor": sku / clk if clk else np.nan,
                    "featured_s": int(feat[i]) / MICRO,
                    "pins": int(P.pins[i]),
                }
            )
        cols = ["product_id", "name", "price", "impressions", "clicks", "ctr", "sku_orders", "items_sold", "gmv"]
        cols += ["ctor", "featured_s", "pins"]
        if not rows:
            return pd.DataFrame(columns=cols)
        df = pd.DataFrame(rows).sort_values(["gmv", "clicks", "product_id"], ascending=[False, False, True])
        df = df.reset_index(drop=True)
        df["price"] = pd.array(df["price"].tolist(), dtype=pd.ArrowDtype(MONEY_OUT)).astype("float64")
        df["gmv"] = pd.array(df["gmv"].tolist(), dtype=pd.ArrowDtype(MONEY_OUT)).astype("float64")
        return df

    @property
    def featured_product(self) -> str | None:
        return self.products_ids.names[self.cur_pin[0]] if self.cur_pin else None

    def channels(self) -> pd.DataFrame:
        """Per traffic channel, the columns of ``queries.channels()``."""
        rows = []
        names = self.channels_ids.names
        un = UNATTRIBUTED
        for i, name in enumerate(names):
            has_traffic = self.ch_impressions[i] > 0 or self.ch_views[i] > 0
            has_sales = self._ch_sold(i)
            if not (has_traffic or has_sales):
                continue
            rows.append((name, int(self.ch_impressions[i]), int(self.ch_views[i]), int(self.ch_viewers[i]), i))
        if self._ch_sold(un):
            rows.append(("unattributed", 0, 0, 0, un))
        df = pd.DataFrame(
            {
                "channel": [r[0] for r in rows],
                "group": [
                    "promoted" if r[0] == "promoted" else "unattributed" if r[0] == "unattributed" else "organic"
                    for r in rows
                ],
                "impressions": np.array([r[1] for r in rows], np.int64),
                "views": np.array([r[2] for r in rows], np.int64),
                "viewers": np.array([r[3] for r in rows], np.int64),
                "gmv": [float(money(int(self.ch_gmv[r[4]]))) for r in rows],
            }
        )
        return df.sort_values(["views", "channel"], ascending=[False, True]).reset_index(drop=True)

    def _ch_sold(self, i: int) -> bool:
        # a channel is in the SQL's sales CTE when some paid order is credited to it
        return bool(self.ch_paid[i] > 0)

    def giveaways(self) -> pd.DataFrame:
        """Per giveaway, the columns of ``queries.giveaways()``."""
        rows = []
        for gid, g in self.g.items():
            if g["start"] is None:
                continue
            info = g["info"] or {}
            rows.append(
                {
                    "giveaway_id": gid,
                    "prize": info.get("prize"),
                    "product_id": info.get("product_id"),
                    "winners_planned": info.get("winners_planned"),
                    "start": timestamp(g["start"]),
                    "end": timestamp(g["end"]),
                    "view_uv": len(g["view"]),
                    "click_uv": len(g["click"]),
                    "participants": len(g["join"]),
                    "winners": len(g["winner_ids"]) if g["winner_ids"] is not None else None,
                    "winner_ids": g["winner_ids"],
                    "gmv_during": float(money(g["gmv"])),
                }
            )
        cols = ["giveaway_id", "prize", "product_id", "winners_planned", "start", "end", "view_uv", "click_uv"]
        cols += ["participants", "winners", "winner_ids", "gmv_during"]
        if not rows:
            return pd.DataFrame(columns=cols)
        df = pd.DataFrame(rows, columns=cols).sort_values("start", kind="stable").reset_index(drop=True)
        for c in ("start", "end"):
            df[c] = pd.to_datetime(df[c], utc=True)
        return df

    def audience(self) -> pd.DataFrame:
        """Shares over viewers and customers by follower status, gender, age and region (``queries.audience()``)."""
        rows = [(a, d, v, n) for (a, d, v), n in self.aud.items() if n > 0]
        df = pd.DataFrame(rows, columns=["audience", "dimension", "value", "users"])
        if df.empty:
            return df.assign(share=pd.Series(dtype=float))
        tot = df.groupby(["audience", "dimension"])["users"].transform("sum")
        df["share"] = df["users"] / tot
        df["users"] = df["users"].astype(np.int64)
        return df.sort_values(
            ["audience", "dimension", "users", "value"], ascending=[False, True, False, True]
        ).reset_index(drop=True)
