"""Incremental LIVE state: event micro-batches folded into the same figures the batch SQL gives.

``LiveState.fold(batch)`` takes a table of :data:`~liveboard.events.EVENT_SCHEMA` and updates running
aggregates; ``summary()``, ``trend()``, ``products()``, ``channels()``, ``giveaways()`` and ``audience()``
return frames with the columns (and, once every event is folded, the values) of
:mod:`liveboard.queries` (``SESSION_BASE``/``session_summaries``, ``trend``, ``products``, ``channels``,
``giveaways``, ``audience``). Derived metrics come from :func:`liveboard.metrics.apply_derived`.

Cost: each fold is vectorised numpy over the batch (a Python loop runs only over the batch's distinct
users/orders/products for the id → index maps, and over pins); snapshots cost O(minutes + products +
channels + giveaways). Memory: per distinct user a few bytes in arrays, per order one slot, per minute one
slot — never per event.

Contract on arrival order (what a live stream gives): inside a batch events may come in any order; across
batches, time does not go backwards (an event's ``ts`` is ≥ every ``ts`` of earlier batches; equal ``ts``
may be split between batches, and then ``seq`` must keep growing), and ``session_start``, when there is
one, is in the first batch. Events that break this are still counted (``late_events``), and the
order-dependent figures (views, PCU, online, channel credit, pins) are then only approximately right.
Events are not de-duplicated here: sources do not repeat events (the writer de-duplicates on resume).

Exactness notes (vs. the SQL):
* money is summed in integer micro-units and rounded half away from zero to cents, as ``DECIMAL(38, 2)``;
* ``view_seconds`` and ``featured_s`` are summed in integer microseconds; the SQL sums doubles, so those
  (and ``acu``, ``avg_view_duration_s``) may differ in the last bits (≈1e-12 relative).
"""

from __future__ import annotations

from collections import deque
from decimal import ROUND_HALF_UP, Decimal
from itertools import repeat

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from liveboard.events import AGES, CHANNELS, EVENT_TYPES, GENDERS
from liveboard.metrics import TREND_COLUMNS, apply_derived
from liveboard.queries import TREND_MAX_MINUTES

TYPES = tuple(EVENT_TYPES)
T = {name: i for i, name in enumerate(TYPES)}
NT = len(TYPES)
MIN_US = 60_000_000
MICRO = 1_000_000
CENT = Decimal("0.01")
MONEY_OUT = pa.decimal128(38, 2)
ENGAGE = [T[t] for t in ("comment", "like", "share", "follow", "gift")]
COMMENTS_KEPT = 50
#: event types whose figures need the user (distinct users, views, order credit, giveaway UVs)
USER_TYPES = (
    "viewer_enter",
    "viewer_leave",
    "comment",
    "like",
    "share",
    "follow",
    "gift",
    "order",
    "giveaway_view",
    "giveaway_click",
    "giveaway_join",
)
USER_LUT = np.zeros(NT + 1, bool)  # indexed by type code; code -1 (unknown type) is the last slot
USER_LUT[[T[t] for t in USER_TYPES]] = True
_FOLLOWER = ("follower", "non-follower")
UNATTRIBUTED = 63

SUMMARY_BASE_COLUMNS = (
    "session_id",
    "title",
    "account_id",
    "live_event_id",
    "currency",
    "start",
    "end",
    "duration_s",
    "last_ts",
    "gmv",
    "direct_gmv",
    "refunded_gmv",
    "items_sold",
    "sku_orders",
    "customers",
    "impressions",
    "views",
    "viewers",
    "pcu",
    "view_seconds",
    "comments",
    "likes",
    "shares",
    "new_followers",
    "gift_diamonds",
    "engaged_viewers",
    "product_impressions",
    "product_clicks",
    "violations",
    "featured_products",
    "giveaways",
    "winners",
    "event_count",
    "late_order_updates",
)
TREND_COUNTS = (
    ("views", "viewer_enter"),
    ("impressions", "impression"),
    ("product_impressions", "product_impression"),
    ("product_clicks", "product_click"),
    ("comments", "comment"),
    ("shares", "share"),
)


def money(micros: int) -> Decimal:
    """Integer micro-units → Decimal rounded to cents half away from zero (DuckDB's DECIMAL cast)."""
    return (Decimal(int(micros)) / MICRO).quantize(CENT, rounding=ROUND_HALF_UP)


def money_micros(arr: pa.Array) -> np.ndarray:
    """Exact integer micro-units of a ``decimal128(_, 6)`` array (nulls → 0), without floats."""
    arr = arr.cast(pa.decimal128(24, 6)) if arr.type != pa.decimal128(24, 6) else arr
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    arr = pc.fill_null(arr, pa.scalar(Decimal(0), arr.type))
    words = np.frombuffer(arr.buffers()[1], dtype=np.int64)[2 * arr.offset : 2 * (arr.offset + len(arr))]
    lo, hi = words[0::2], words[1::2]
    if not np.array_equal(hi, lo >> 63):
        raise OverflowError("amount beyond ±9.2e12 major units")
    return lo.copy()


def _ts(us: int | None) -> pd.Timestamp | None:
    return None if us is None else pd.Timestamp(int(us), unit="us", tz="UTC")


def _ceil_minute(t: np.ndarray, origin: int) -> np.ndarray:
    """``greatest(0, ceil((t - origin) / 60 s) - 1)`` in integers."""
    return np.maximum(0, -((origin - t) // MIN_US) - 1)


class _Ids:
    """Strings ↔ dense integer ids, assigned in first-seen order."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.names: list[str] = []

    def __len__(self) -> int:
        return len(self.names)

    def map(self, col: pa.Array) -> np.ndarray:
        """Ids for a string array (null → -1); only the batch's distinct values touch Python."""
        if len(col) == 0:
            return np.zeros(0, np.int64)
        enc = col.dictionary_encode()
        uniq = enc.dictionary.to_pylist()
        index, names = self.index, self.names
        lut = np.empty(len(uniq) + 1, np.int64)
        lut[:-1] = list(map(index.get, uniq, repeat(-1)))
        lut[-1] = -1
        new = np.flatnonzero(lut[:-1] < 0)
        if len(new):
            fresh = [uniq[i] for i in new.tolist()] if len(new) < len(uniq) else uniq
            first = len(names)
            index.update(zip(fresh, range(first, first + len(fresh)), strict=True))
            names.extend(fresh)
            lut[new] = np.arange(first, first + len(fresh))
        idx = enc.indices
        if idx.null_count:
            idx = pc.fill_null(idx, len(uniq))
        return lut[idx.to_numpy(zero_copy_only=False)]


class _Cols:
    """Growable numpy columns indexed by a dense id."""

    def __init__(self, **spec: tuple[str, object]) -> None:
        self.spec = spec
        self.cap = 0
        for name, (dtype, _fill) in spec.items():
            setattr(self, name, np.zeros(0, dtype))

    def ensure(self, n: int) -> None:
        if n <= self.cap:
            return
        cap = max(n, 2 * self.cap, 1024)
        for name, (dtype, fill) in self.spec.items():
            old = getattr(self, name)
            new = np.full(cap, fill, dtype)
            new[: len(old)] = old
            setattr(self, name, new)
        self.cap = cap


class _Minutes:
    """Per-minute integer columns, grown as the session goes on."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self.names = names
        self.cols = {n: np.zeros(64, np.int64) for n in names}

    def ensure(self, m: int) -> None:
        m = min(m, TREND_MAX_MINUTES)  # minutes past the trend's bound share one slot, never shown
        cap = len(self.cols[self.names[0]])
        if m < cap:
            return
        new_cap = max(m + 1, 2 * cap)
        for n in self.names:
            c = np.zeros(new_cap, np.int64)
            c[:cap] = self.cols[n]
            self.cols[n] = c

    def add(self, name: str, minutes: np.ndarray) -> None:
        if len(minutes) == 0:
            return
        minutes = np.minimum(minutes, TREND_MAX_MINUTES)
        self.ensure(int(minutes.max()))
        b = np.bincount(minutes)
        self.cols[name][: len(b)] += b

    def add_exact(self, name: str, minutes: np.ndarray, values: np.ndarray) -> None:
        """Integer sums without passing through floats (money)."""
        if len(minutes) == 0:
            return
        minutes = np.minimum(minutes, TREND_MAX_MINUTES)
        self.ensure(int(minutes.max()))
        np.add.at(self.cols[name], minutes, values.astype(np.int64))


def _col(table: pa.Table, name: str) -> pa.Array:
    c = table.column(name)
    if isinstance(c, pa.ChunkedArray):
        return c.chunk(0) if c.num_chunks == 1 else c.combine_chunks()
    return c


def _np(arr: pa.Array, fill=0) -> np.ndarray:
    if arr.null_count:
        arr = pc.fill_null(arr, fill)
    return arr.to_numpy(zero_copy_only=False)


class LiveState:
    """Live metric state of one session (the first session seen unless ``session_id`` is given)."""

    def __init__(self, session_id: str | None = None) -> None:
        self.session_id = session_id
        self.event_count = 0
        self.late_events = 0
        self.batches = 0
        self.origin_moved = False
        # bounds and meta
        self.start: int | None = None
        self.end: int | None = None
        self.min_ts: int | None = None
        self.max_ts: int | None = None
        self.origin: int | None = None
        self.meta_key: tuple[int, int] | None = None
        self.meta: dict = {}
        self.counts = np.zeros(NT, np.int64)
        self.likes = 0
        self.gift_diamonds = 0
        self.winners = 0
        # ids
        self.users = _Ids()
        self.products_ids = _Ids()
        self.orders_ids = _Ids()
        self.channels_ids = _Ids()
        for c in CHANNELS:
            self.channels_ids.index[c] = len(self.channels_ids.names)
            self.channels_ids.names.append(c)
        self.regions = _Ids()
        self.u = _Cols(
            viewer=(np.bool_, False),
            follow=(np.bool_, False),
            engaged=(np.bool_, False),
            chmask=(np.int64, 0),
            open=(np.bool_, False),
            open_vstart=(np.int64, 0),
            last_enter_ts=(np.int64, np.iinfo(np.int64).min),
            last_enter_ch=(np.int64, -1),
            paid=(np.int64, 0),
            prof=(np.bool_, False),
            p_follower=(np.int64, 0),
            p_gender=(np.int64, 0),
            p_age=(np.int64, 0),
            p_region=(np.int64, 0),
        )
        self.viewers = 0
        self.new_followers = 0
        self.engaged_viewers = 0
        self.customers = 0
        # per channel; slot UNATTRIBUTED (the last) holds orders with no viewer_enter before them
        self.ch_viewers = np.zeros(UNATTRIBUTED + 1, np.int64)
        self.ch_impressions = np.zeros(UNATTRIBUTED + 1, np.int64)
        self.ch_views = np.zeros(UNATTRIBUTED + 1, np.int64)
        self.ch_gmv = np.zeros(UNATTRIBUTED + 1, np.int64)
        self.ch_paid = np.zeros(UNATTRIBUTED + 1, np.int64)  # paid orders credited to the channel
        # views
        self.n_open = 0
        self.sum_open_vstart = 0
        self.closed_view_us = 0
        self.pcu_confirmed = 0
        self.pcu_pending: tuple[int, int] | None = None  # (t, open count after all marks at t)
        self.pending_end: tuple[int, int] | None = None  # (t, views closed at t == close_ts)
        # orders
        self.o = _Cols(
            ts=(np.int64, np.iinfo(np.int64).min),
            seq=(np.int64, np.iinfo(np.int64).min),
            user=(np.int64, -1),
            product=(np.int64, -1),
            qty=(np.int64, 0),
            amt=(np.int64, 0),
            paid=(np.bool_, False),
            refunded=(np.bool_, False),
            direct=(np.bool_, False),
            channel=(np.int64, -1),
        )
        self.frontier: set[int] = set()  # paid orders whose state ts == max_ts
        self.gmv = 0
        self.direct_gmv = 0
        self.refunded_gmv = 0
        self.items_sold = 0
        self.sku_orders = 0
        # per minute
        # the trend's columns (``online`` comes from view starts and ends) from the one list in metrics
        self.m = _Minutes(tuple(c for c in TREND_COLUMNS if c != "online") + ("starts", "ends"))
        self.follow_minute_users: set[int] = set()
        # products
        self.p = _Cols(
            impressions=(np.int64, 0),
            clicks=(np.int64, 0),
            traffic=(np.bool_, False),
            sku=(np.int64, 0),
            items=(np.int64, 0),
            gmv=(np.int64, 0),
            pins=(np.int64, 0),
            featured_us=(np.int64, 0),
        )
        self.p_name: dict[int, tuple[tuple[int, int], str]] = {}
        self.p_price: dict[int, tuple[tuple[int, int], Decimal]] = {}
        self.pinned_products: set[int] = set()
        self.cur_pin: tuple[int, int, int] | None = None  # (product, ts, seq)
        # giveaways
        self.g: dict[str, dict] = {}
        self.giveaway_ids: set[str] = set()
        # audience: (audience, dimension, value) -> users
        self.aud: dict[tuple[str, str, str], int] = {}
        # feeds
        self.comment_feed: deque = deque(maxlen=COMMENTS_KEPT)
        self.violation_list: list[dict] = []
        self.marker_list: list[dict] = []

    # ------------------------------------------------------------------ helpers

    @property
    def close_ts(self) -> int | None:
        return self.end if self.end is not None else self.max_ts

    @property
    def ended(self) -> bool:
        return self.end is not None

    def _minute(self, t: np.ndarray) -> np.ndarray:
        return np.maximum(0, (t - self.origin) // MIN_US)

    def _grow_channels(self) -> None:
        if len(self.channels_ids) >= UNATTRIBUTED:
            raise ValueError("too many distinct traffic channels")

    def _dim_value(self, dim: str, code: int) -> str:
        if code < 0:
            return "unknown"
        if dim == "follower":
            return _FOLLOWER[code]
        if dim == "gender":
            return GENDERS[code]
        if dim == "age":
            return AGES[code]
        return self.regions.names[code]

    def _aud_add(self, audience: str, follower: int, gender: int, age: int, region: int, k: int) -> None:
        vals = (
            ("follower", _FOLLOWER[follower] if follower >= 0 else "unknown"),
            ("gender", GENDERS[gender] if gender >= 0 else "unknown"),
            ("age", AGES[age] if age >= 0 else "unknown"),
            ("region", self.regions.names[region] if region >= 0 else "unknown"),
        )
        for dim, v in vals:
            key = (audience, dim, v)
            self.aud[key] = self.aud.get(key, 0) + k

    def _profile(self, u: int) -> tuple[int, int, int, int]:
        if not self.u.prof[u]:
            return (-1, -1, -1, -1)
        return (int(self.u.p_follower[u]), int(self.u.p_gender[u]), int(self.u.p_age[u]), int(self.u.p_region[u]))

    # ------------------------------------------------------------------ folding

    def fold(self, table: pa.Table) -> int:
        """Fold one micro-batch; returns the number of events of this session in it."""
        if table.num_rows == 0:
            return 0
        sid = _col(table, "session_id")
        if self.session_id is None:
            self.session_id = sid[0].as_py()
        keep = pc.equal(sid, self.session_id)
        if not pc.all(keep).as_py():
            table = table.filter(keep)
            if table.num_rows == 0:
                return 0
        ts = _col(table, "ts").cast(pa.int64()).to_numpy(zero_copy_only=False)
        seq = _col(table, "seq").to_numpy(zero_copy_only=False)
        if len(ts) > 1 and not (np.all(ts[1:] >= ts[:-1]) and np.all((ts[1:] > ts[:-1]) | (seq[1:] > seq[:-1]))):
            order = np.lexsort((seq, ts))
            table = table.take(pa.array(order))
            ts, seq = ts[order], seq[order]
        n = len(ts)
        self.batches += 1
        self.event_count += n
        prev_max = self.max_ts
        if prev_max is not None:
            self.late_events += int(np.count_nonzero(ts < prev_max))
        tenc = _col(table, "type").dictionary_encode()
        tlut = np.array([T.get(x, -1) for x in tenc.dictionary.to_pylist()], np.int64)
        tc = tlut[tenc.indices.to_numpy(zero_copy_only=False)]
        is_t = {name: tc == code for name, code in T.items()}

        # ---- bounds and meta
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
                self.meta = {c: _col(table, c)[i].as_py() for c in ("title", "account_id", "live_event_id", "currency")}
        ends = np.flatnonzero(is_t["session_end"])
        if len(ends):
            e = int(ts[ends].max())
            self.end = e if self.end is None else max(self.end, e)
        self.min_ts = int(ts[0]) if self.min_ts is None else min(self.min_ts, int(ts[0]))
        self.max_ts = int(ts[-1]) if self.max_ts is None else max(self.max_ts, int(ts[-1]))
        if self.origin is None:
            self.origin = self.start if self.start is not None else int(ts[0])
        close = self.close_ts
        minute = self._minute(ts)
        self.m.ensure(int(max(minute.max(), self._minute(np.array([close]))[0])))

        # ---- plain counts
        self.counts += np.bincount(tc[tc >= 0], minlength=NT)
        counts_col = _np(_col(table, "count"))
        like_w = np.where(is_t["like"], counts_col, 0)
        self.likes += int(like_w.sum())
        diamonds = _np(_col(table, "diamonds"))
        gift_mask = is_t["gift"] & _col(table, "diamonds").is_valid().to_numpy(zero_copy_only=False)
        gift_mask &= _col(table, "count").is_valid().to_numpy(zero_copy_only=False)
        gift_w = np.where(gift_mask, diamonds * counts_col, 0)
        self.gift_diamonds += int(gift_w.sum())
        if is_t["giveaway_end"].any():
            lens = pc.list_value_length(_col(table, "winner_ids"))
            self.winners += int(_np(lens).astype(np.int64)[is_t["giveaway_end"]].sum())
        for name, typ in TREND_COUNTS:
            self.m.add(name, minute[is_t[typ]])
        if is_t["like"].any():
            self.m.add_exact("likes", minute[is_t["like"]], like_w[is_t["like"]])
        if is_t["gift"].any():
            self.m.add_exact("gift_diamonds", minute[is_t["gift"]], gift_w[is_t["gift"]])

        # ---- users
        # only events whose metrics need a user (distinct counts, views, orders) map their user id:
        # impressions, product impressions/clicks are counts, so their (mostly one-off) users cost nothing
        urows = np.flatnonzero(USER_LUT[tc])
        uid = np.full(n, -1, np.int64)
        if len(urows):
            ucol = _col(table, "user_id")
            uid[urows] = self.users.map(ucol if len(urows) == n else ucol.take(pa.array(urows)))
        self.u.ensure(len(self.users))
        U = self.u
        enter = is_t["viewer_enter"]
        ch = self.channels_ids.map(_col(table, "channel"))
        self._grow_channels()
        if enter.any():
            eu = uid[enter]
            new = np.unique(eu[~U.viewer[eu]])
            self.viewers += len(new)
            U.viewer[new] = True
            ec = ch[enter]
            self.ch_views += np.bincount(ec, minlength=len(self.ch_views))[: len(self.ch_views)]
            pair = np.unique(eu * 64 + ec)
            pu, pch = pair // 64, pair % 64
            fresh = (U.chmask[pu] >> pch) & 1 == 0
            self.ch_viewers += np.bincount(pch[fresh], minlength=len(self.ch_viewers))[: len(self.ch_viewers)]
            np.bitwise_or.at(U.chmask, pu, np.int64(1) << pch)
            # profiles from each new user's first enter
            rows = np.flatnonzero(enter)
            first_u, first_i = np.unique(uid[rows], return_index=True)
            need = ~U.prof[first_u]
            if need.any():
                pu_, pr = first_u[need], rows[first_i[need]]
                fol = _col(table, "is_follower").take(pa.array(pr))
                fol = np.where(_np(fol, False), 0, 1)  # CASE WHEN is_follower: NULL → non-follower
                gen = self._codes(_col(table, "gender").take(pa.array(pr)), GENDERS)
                age = self._codes(_col(table, "age").take(pa.array(pr)), AGES)
                reg = self.regions.map(_col(table, "region").take(pa.array(pr)))
                U.p_follower[pu_], U.p_gender[pu_], U.p_age[pu_], U.p_region[pu_] = fol, gen, age, reg
                U.prof[pu_] = True
                for dim, codes in (("follower", fol), ("gender", gen), ("age", age), ("region", reg)):
                    vals, cnt = np.unique(codes, return_counts=True)
                    for v, k in zip(vals.tolist(), cnt.tolist(), strict=True):
                        key = ("viewers", dim, self._dim_value(dim, v))
                        self.aud[key] = self.aud.get(key, 0) + k
                cust = np.flatnonzero(U.paid[pu_] > 0)  # customers whose profile was unknown until now
                for k in cust.tolist():
                    self._aud_add("customers", -1, -1, -1, -1, -1)
                    self._aud_add("customers", int(fol[k]), int(gen[k]), int(age[k]), int(reg[k]), 1)
        imp = is_t["impression"]
        if imp.any():
            self.ch_impressions += np.bincount(ch[imp], minlength=len(self.ch_impressions))[: len(self.ch_impressions)]
        fol_rows = is_t["follow"] & (uid >= 0)
        if fol_rows.any():
            fu = uid[fol_rows]
            new = np.unique(fu[~U.follow[fu]])
            self.new_followers += len(new)
            U.follow[new] = True
            keys = np.unique(minute[fol_rows] * (1 << 32) + fu)
            fresh = [k for k in keys.tolist() if k not in self.follow_minute_users]
            self.follow_minute_users.update(fresh)
            if fresh:
                self.m.add("new_followers", np.array(fresh, np.int64) >> 32)
        eng = np.isin(tc, ENGAGE) & (uid >= 0)
        if eng.any():
            gu = uid[eng]
            new = np.unique(gu[~U.engaged[gu]])
            self.engaged_viewers += len(new)
            U.engaged[new] = True

        # ---- products: ids, traffic, catalog
        pid = self.products_ids.map(_col(table, "product_id"))
        self.p.ensure(len(self.products_ids))
        P = self.p
        for name, typ in (("impressions", "product_impression"), ("clicks", "product_click")):
            msk = is_t[typ] & (pid >= 0)
            if msk.any():
                b = np.bincount(pid[msk], minlength=len(self.products_ids))
                getattr(P, name)[: len(b)] += b
                P.traffic[pid[msk]] = True
        pin_rows = np.flatnonzero(is_t["product_pin"])
        if len(pin_rows):
            names = _col(table, "name").take(pa.array(pin_rows)).to_pylist()
            prices = _col(table, "price").take(pa.array(pin_rows)).to_pylist()
            for k, r in enumerate(pin_rows.tolist()):
                key, p = (int(ts[r]), int(seq[r])), int(pid[r])
                if names[k] is not None and (p not in self.p_name or key >= self.p_name[p][0]):
                    self.p_name[p] = (key, names[k])
                if prices[k] is not None and (p not in self.p_price or key >= self.p_price[p][0]):
                    self.p_price[p] = (key, prices[k])

        # ---- giveaways (before orders: windows must be known)
        self._fold_giveaways(table, ts, seq, is_t, uid, prev_max)

        # ---- orders
        self._fold_orders(table, ts, seq, is_t, uid, pid, ch, prev_max)

        # ---- last enter per user (after orders were credited)
        if enter.any():
            rows = np.flatnonzero(enter)
            ru = uid[rows][::-1]
            last_u, last_i = np.unique(ru, return_index=True)
            last_rows = rows[::-1][last_i]
            U.last_enter_ts[last_u] = ts[last_rows]
            U.last_enter_ch[last_u] = ch[last_rows]

        # ---- views, pcu, online
        self._fold_views(ts, seq, is_t, uid)

        # ---- pins (featured seconds)
        pr = np.flatnonzero(is_t["product_pin"] | is_t["product_unpin"])
        for r in pr.tolist():
            t_r, s_r, p_r = int(ts[r]), int(seq[r]), int(pid[r])
            if tc[r] == T["product_pin"]:
                self._close_pin(t_r)
                self.cur_pin = (p_r, t_r, s_r)
                P.pins[p_r] += 1
                self.pinned_products.add(p_r)
            elif self.cur_pin and self.cur_pin[0] == p_r and (t_r, s_r) > self.cur_pin[1:]:
                self._close_pin(t_r)

        # ---- feeds
        self._fold_feeds(table, ts, seq, is_t, minute, pid)
        return n

    @staticmethod
    def _codes(arr: pa.Array, vocab: tuple[str, ...]) -> np.ndarray:
        if len(arr) == 0:
            return np.zeros(0, np.int64)
        enc = arr.dictionary_encode()
        lut = {v: i for i, v in enumerate(vocab)}
        codes = np.array([lut.get(x, -1) for x in enc.dictionary.to_pylist()] + [-1], np.int64)
        idx = enc.indices
        if idx.null_count:
            idx = pc.fill_null(idx, len(codes) - 1)
        return codes[idx.to_numpy(zero_copy_only=False)]

    def _close_pin(self, t: int) -> None:
        if self.cur_pin is None:
            return
        p, start, _ = self.cur_pin
        end = min(t, self.close_ts) if self.end is not None else t
        self.p.featured_us[p] += max(end - start, 0)
        self.cur_pin = None

    def _fold_giveaways(self, table, ts, seq, is_t, uid, prev_max) -> None:
        gmask = is_t["giveaway_start"] | is_t["giveaway_end"] | is_t["giveaway_view"]
        gmask = gmask | is_t["giveaway_click"] | is_t["giveaway_join"]
        if not gmask.any():
            return
        rows = np.flatnonzero(gmask)
        genc = _col(table, "giveaway_id").take(pa.array(rows)).dictionary_encode()
        names = genc.dictionary.to_pylist()
        gi = _np(genc.indices, -1).astype(np.int64)
        # entries in order of first appearance (the order giveaways() breaks ties of start in)
        valid = np.flatnonzero(gi >= 0)
        _, first = np.unique(gi[valid], return_index=True)
        for k in np.sort(first).tolist():
            self.g.setdefault(
                names[gi[valid[k]]],
                {"start": None, "end": None, "win_key": None, "winner_ids": None, "gmv": 0}
                | {"view": set(), "click": set(), "join": set(), "info": None},
            )
        # starts and ends (a few per session) one by one, in time order
        se = np.flatnonzero((is_t["giveaway_start"] | is_t["giveaway_end"])[rows] & (gi >= 0))
        for k in se.tolist():
            r = int(rows[k])
            g = self.g[names[gi[k]]]
            t = int(ts[r])
            if is_t["giveaway_start"][r]:
                if g["start"] is None or t < g["start"]:
                    window = (g["start"], g["end"])
                    g["start"] = t
                    g["info"] = {c: _col(table, c)[r].as_py() for c in ("prize", "product_id", "winners_planned")}
                    self._window_moved(g, *window)
            else:
                if g["end"] is None or t > g["end"]:
                    window = (g["start"], g["end"])
                    g["end"] = t
                    self._window_moved(g, *window)
                key = (t, int(seq[r]))
                if g["win_key"] is None or key > g["win_key"]:
                    g["win_key"] = key
                    g["winner_ids"] = _col(table, "winner_ids")[r].as_py()
        # views, clicks, joins: distinct users per giveaway and kind, added as sets
        ru = uid[rows]
        for kind in ("view", "click", "join"):
            sel = is_t["giveaway_" + kind][rows] & (gi >= 0) & (ru >= 0)
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

    def _sales_apply(self, orders: np.ndarray, sign: int) -> None:
        """Add (sign=1) or retract (sign=-1) the contribution of paid orders to every aggregate."""
        O, U, P = self.o, self.u, self.p  # noqa: E741
        orders = orders[O.paid[orders]]
        if not len(orders):
            return
        amt, qty = O.amt[orders], O.qty[orders]
        self.gmv += sign * int(amt.sum())
        self.direct_gmv += sign * int(amt[O.direct[orders]].sum())
        self.refunded_gmv += sign * int(amt[O.refunded[orders]].sum())
        self.items_sold += sign * int(qty.sum())
        self.sku_orders += sign * len(orders)
        mins = self._minute(O.ts[orders])
        self.m.add_exact("gmv", mins, sign * amt)
        self.m.add_exact("sku_orders", mins, np.full(len(orders), sign, np.int64))
        self.m.add_exact("items_sold", mins, sign * qty)
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

    def _fold_orders(self, table, ts, seq, is_t, uid, pid, ch, prev_max) -> None:
        O, U = self.o, self.u  # noqa: E741
        enter = is_t["viewer_enter"]
        # same-instant channel credit: an enter at prev_max re-credits paid orders of that instant
        if prev_max is not None and self.frontier and enter.any():
            er = np.flatnonzero(enter & (ts == prev_max))
            if len(er):
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
        rows = np.flatnonzero(is_t["order"])
        if not len(rows):
            if self.max_ts != prev_max:
                self.frontier = set()
            return
        oid = self.orders_ids.map(_col(table, "order_id").take(pa.array(rows)))
        O.ensure(len(self.orders_ids))
        # the batch's last state per order (rows are sorted by ts, seq)
        rev = oid[::-1]
        uo, ui = np.unique(rev, return_index=True)
        lr = rows[::-1][ui]  # row of each order's latest state in the batch
        newer = (ts[lr] > O.ts[uo]) | ((ts[lr] == O.ts[uo]) & (seq[lr] > O.seq[uo]))
        uo, lr = uo[newer], lr[newer]
        if not len(uo):
            return
        self._sales_apply(uo, -1)
        self.frontier.difference_update(uo.tolist())
        sub = table.take(pa.array(lr))
        status = _col(sub, "status").to_pylist()
        attribution = _col(sub, "attribution").to_pylist()
        O.ts[uo], O.seq[uo] = ts[lr], seq[lr]
        O.user[uo], O.product[uo] = uid[lr], pid[lr]
        O.qty[uo] = _np(_col(sub, "quantity"))
        O.amt[uo] = money_micros(_col(sub, "amount"))
        O.paid[uo] = [s in ("paid", "refunded") for s in status]
        O.refunded[uo] = [s == "refunded" for s in status]
        O.direct[uo] = [a == "direct" for a in attribution]
        # credit: the buyer's latest viewer_enter at or before the order's ts (this batch, else the state)
        credit = U.last_enter_ch[np.maximum(uid[lr], 0)].copy()
        credit[uid[lr] < 0] = -1
        er = np.flatnonzero(enter)
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
        O.channel[uo] = credit
        self._sales_apply(uo, +1)
        if self.max_ts != prev_max:
            self.frontier = set()
        at_max = uo[(O.ts[uo] == self.max_ts) & O.paid[uo]]
        self.frontier.update(at_max.tolist())

    def _fold_views(self, ts, seq, is_t, uid) -> None:
        U = self.u
        mk = np.flatnonzero(is_t["viewer_enter"] | is_t["viewer_leave"])
        mk = mk[uid[mk] >= 0]
        close = self.close_ts
        E = self.end
        if self.pending_end is not None and close > self.pending_end[0]:
            pt, pn = self.pending_end
            self.m.add("ends", _ceil_minute(np.array([pt]), self.origin).repeat(pn))
            self.pending_end = None
        if not len(mk):
            self._settle_pcu(np.zeros(0, np.int64), np.zeros(0, np.int64))
            return
        u, t, is_enter = uid[mk], ts[mk], is_t["viewer_enter"][mk]
        tc_ = np.minimum(t, close) if E is not None else t  # clipped to close_ts
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
        prev_open[first], prev_start[first] = U.open[su[first]], U.open_vstart[su[first]]
        # views closed by these marks
        vs, ve = prev_start[prev_open], st[prev_open]
        ve = np.maximum(ve, vs)
        self.closed_view_us += int((ve - vs).sum())
        done = ve < close
        self.m.add("ends", _ceil_minute(ve[done], self.origin))
        at_close = int(np.count_nonzero(~done))
        if at_close:
            if self.pending_end is not None and self.pending_end[0] == close:
                self.pending_end = (close, self.pending_end[1] + at_close)
            else:
                self.pending_end = (close, at_close)
        # views opened by enters
        self.m.add("starts", _ceil_minute(tc_[is_enter], self.origin))
        # open state after the batch
        closed_state = first & U.open[su]
        self.n_open -= int(np.count_nonzero(closed_state))
        self.sum_open_vstart -= int(U.open_vstart[su[closed_state]].sum())
        lu = su[last]
        U.open[lu] = se[last]
        U.open_vstart[lu] = np.where(se[last], st[last], 0)
        opened = se[last]
        self.n_open += int(np.count_nonzero(opened))
        self.sum_open_vstart += int(st[last][opened].sum())
        # concurrency after each mark, in time order
        delta = np.empty(len(mk), np.int64)
        delta[by_user] = se.astype(np.int64) - prev_open.astype(np.int64)
        self._settle_pcu(t, delta)

    def _settle_pcu(self, t: np.ndarray, delta: np.ndarray) -> None:
        close, max_ts = self.close_ts, self.max_ts
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

    def _fold_feeds(self, table, ts, seq, is_t, minute, pid) -> None:
        cr = np.flatnonzero(is_t["comment"])
        if len(cr):
            cr = cr[-COMMENTS_KEPT:]
            sub = table.take(pa.array(cr))
            for k, (u, text) in enumerate(
                zip(_col(sub, "user_id").to_pylist(), _col(sub, "text").to_pylist(), strict=True)
            ):
                r = int(cr[k])
                self.comment_feed.append({"ts": int(ts[r]), "minute": int(minute[r]), "user_id": u, "text": text})
        vr = np.flatnonzero(is_t["violation"])
        if len(vr):
            sub = table.take(pa.array(vr))
            cols = {c: _col(sub, c).to_pylist() for c in ("violation_id", "policy", "severity", "detail")}
            for k, r in enumerate(vr.tolist()):
                self.violation_list.append(
                    {"ts": int(ts[r]), "minute": int(minute[r])} | {c: v[k] for c, v in cols.items()}
                )
        mr = np.flatnonzero(is_t["product_pin"] | is_t["giveaway_start"] | is_t["violation"])
        if len(mr):
            sub = table.take(pa.array(mr))
            cols = {
                c: _col(sub, c).to_pylist()
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

    # ------------------------------------------------------------------ snapshots

    def view_seconds_us(self) -> int:
        if self.max_ts is None:
            return 0
        close = self.close_ts
        return self.closed_view_us + self.n_open * close - self.sum_open_vstart

    def summary_base(self) -> pd.DataFrame:
        """One row of the base metrics, as ``queries.SESSION_BASE`` gives them."""
        c = self.counts
        close = self.close_ts
        row = {
            "session_id": self.session_id,
            "title": self.meta.get("title"),
            "account_id": self.meta.get("account_id"),
            "live_event_id": self.meta.get("live_event_id"),
            "currency": self.meta.get("currency"),  # unknown stays unknown (a recorder)
            "start": _ts(self.start),
            "end": _ts(self.end),
            "duration_s": (close - self.start) / MICRO if self.start is not None and close is not None else None,
            "last_ts": _ts(self.max_ts),
            "gmv": money(self.gmv),
            "direct_gmv": money(self.direct_gmv),
            "refunded_gmv": money(self.refunded_gmv),
            "items_sold": self.items_sold,
            "sku_orders": self.sku_orders,
            "customers": self.customers,
            "impressions": int(c[T["impression"]]),
            "views": int(c[T["viewer_enter"]]),
            "viewers": self.viewers,
            "pcu": self.pcu_confirmed,
            "view_seconds": self.view_seconds_us() / MICRO,
            "comments": int(c[T["comment"]]),
            "likes": self.likes,
            "shares": int(c[T["share"]]),
            "new_followers": self.new_followers,
            "gift_diamonds": self.gift_diamonds,
            "engaged_viewers": self.engaged_viewers,
            "product_impressions": int(c[T["product_impression"]]),
            "product_clicks": int(c[T["product_click"]]),
            "violations": int(c[T["violation"]]),
            "featured_products": len(self.pinned_products),
            "giveaways": sum(1 for g in self.g.values() if g["start"] is not None),
            "winners": self.winners,
            "event_count": self.event_count,
            "late_order_updates": (
                int(np.count_nonzero(self.o.ts[: len(self.orders_ids)] > self.end)) if self.end is not None else 0
            ),
        }
        df = pd.DataFrame([row])
        for m in ("gmv", "direct_gmv", "refunded_gmv"):
            df[m] = pd.array([row[m]], dtype=pd.ArrowDtype(MONEY_OUT))
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
        cols = ["minute", "ts", "gmv", "sku_orders", "items_sold", "views", "impressions", "product_impressions"]
        cols += ["product_clicks", "comments", "likes", "shares", "new_followers", "gift_diamonds", "online"]
        if self.max_ts is None:
            return pd.DataFrame(columns=cols)
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
                "gmv": pd.array([money(x) for x in c["gmv"].tolist()], dtype=pd.ArrowDtype(MONEY_OUT)),
            }
        )
        for k in cols[3:-1]:
            df[k] = c[k]
        df["online"] = online
        return df

    def trend_fast(self) -> pd.DataFrame:
        """``trend()`` with GMV as float (for drawing; avoids Decimal objects per minute)."""
        df = self.trend()
        if len(df):
            df["gmv"] = self.m.cols["gmv"][: len(df)] / MICRO
        return df

    def products(self) -> pd.DataFrame:
        """Per product, the columns of ``queries.products()``, in its order."""
        P = self.p
        n = len(self.products_ids)
        keep = np.flatnonzero(P.traffic[:n] | (P.sku[:n] > 0) | (P.pins[:n] > 0))
        close = self.close_ts
        feat = P.featured_us[:n].copy()
        if self.cur_pin is not None:
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
                    "start": _ts(g["start"]),
                    "end": _ts(g["end"]),
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
