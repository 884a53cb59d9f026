"""Feeds: the newest comments, the violations and the chart markers (pins, giveaway starts, violations).

These keep rows, not sums, so only their (few) rows of a batch are taken to Python. Text is untrusted:
it is kept as given and escaped where it is shown.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from liveboard.live.batch import Batch
from liveboard.live.codes import COMMENTS_KEPT
from liveboard.live.columns import column
from liveboard.live.fields import StateFields


class FeedFold(StateFields):
    """Fold steps and snapshots for the feeds (part of :class:`~liveboard.live.state.LiveState`)."""

    def _fold_feeds(self, batch: Batch) -> None:
        self._fold_comments(batch)
        self._fold_violations(batch)
        self._fold_markers(batch)

    def _fold_comments(self, batch: Batch) -> None:
        """The batch's newest comments (at most ``COMMENTS_KEPT``) join the feed."""
        ts, minute = batch.ts, batch.minute
        cr = np.flatnonzero(batch.is_t["comment"])
        if not len(cr):
            return
        cr = cr[-COMMENTS_KEPT:]
        sub = batch.table.take(pa.array(cr))
        for k, (u, text) in enumerate(
            zip(column(sub, "user_id").to_pylist(), column(sub, "text").to_pylist(), strict=True)
        ):
            r = int(cr[k])
            self.comment_feed.append({"ts": int(ts[r]), "minute": int(minute[r]), "user_id": u, "text": text})

    def _fold_violations(self, batch: Batch) -> None:
        ts, minute = batch.ts, batch.minute
        vr = np.flatnonzero(batch.is_t["violation"])
        if not len(vr):
            return
        sub = batch.table.take(pa.array(vr))
        cols = {c: column(sub, c).to_pylist() for c in ("violation_id", "policy", "severity", "detail")}
        for k, r in enumerate(vr.tolist()):
            self.violation_list.append(
                {"ts": int(ts[r]), "minute": int(minute[r])} | {c: v[k] for c, v in cols.items()}
            )

    def _fold_markers(self, batch: Batch) -> None:
        """Pins, giveaway starts and violations as chart markers: kind, label and the id they refer to."""
        ts, minute, is_t = batch.ts, batch.minute, batch.is_t
        mr = np.flatnonzero(is_t["product_pin"] | is_t["giveaway_start"] | is_t["violation"])
        if not len(mr):
            return
        sub = batch.table.take(pa.array(mr))
        cols = {
            c: column(sub, c).to_pylist()
            for c in ("type", "name", "product_id", "prize", "policy", "giveaway_id", "violation_id")
        }
        for k, r in enumerate(mr.tolist()):
            typ = cols["type"][k]
            kind = {"product_pin": "product", "giveaway_start": "giveaway"}.get(typ, "violation")
            label = {
                "product": cols["name"][k] or cols["product_id"][k],
                "giveaway": cols["prize"][k],
                "violation": cols["policy"][k],
            }[kind]
            ref = cols["product_id"][k] or cols["giveaway_id"][k] or cols["violation_id"][k]
            self.marker_list.append(
                {"ts": int(ts[r]), "minute": int(minute[r]), "kind": kind, "label": label, "ref": ref}
            )

    def comments(self) -> pd.DataFrame:
        """The newest comments (at most 50), newest first; text is untrusted."""
        df = pd.DataFrame(list(self.comment_feed), columns=["ts", "minute", "user_id", "text"])
        df["ts"] = pd.to_datetime(df["ts"], unit="us", utc=True)
        return df.iloc[::-1].reset_index(drop=True)

    def violations(self) -> pd.DataFrame:
        df = pd.DataFrame(self.violation_list, columns=["ts", "minute", "violation_id", "policy", "severity", "detail"])
        df["ts"] = pd.to_datetime(df["ts"], unit="us", utc=True)
        return df

    def markers(self) -> pd.DataFrame:
        df = pd.DataFrame(self.marker_list, columns=["ts", "minute", "kind", "label", "ref"])
        df["ts"] = pd.to_datetime(df["ts"], unit="us", utc=True)
        return df
