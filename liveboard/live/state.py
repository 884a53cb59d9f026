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

The plain aggregates (counts, sums, distinct counts) are the registry's, :data:`liveboard.aggregates.AGGREGATES`:
each is a running total in ``state.totals`` (``totals["gmv"]``, ``totals["viewers"]``), folded by
``fold_counts`` (and, over paid orders, ``fold_orders``) from that one description.

The state is one object composed of a fold step class per concern (``fold_bounds``, ``fold_counts``,
``fold_viewers``, ``fold_audience``, ``fold_products``, ``fold_giveaways``, ``fold_orders``, ``fold_views``,
``fold_feeds`` beside this module) and ``snapshots``; ``fold`` runs the steps in the order they depend on.
The fields they share are declared, with their types, once (``fields``); ``__init__`` below sets them.
"""

from __future__ import annotations

from collections import deque

import numpy as np
import pyarrow as pa

from liveboard.events import CHANNELS
from liveboard.live.batch import Batch, in_time_order, session_rows, type_codes, type_masks
from liveboard.live.codes import (  # noqa: F401 (re-exported: the names this module always had)
    COMMENTS_KEPT,
    EVENT_TOTALS,
    FOLLOWER,
    MIN_US,
    NT,
    ORDER_FLAGS,
    PAID_TOTALS,
    SUMMARY_BASE_COLUMNS,
    TYPES,
    UNATTRIBUTED,
    USER_COUNTS,
    USER_LUT,
    USER_TYPES,
    VALUE_COUNTS,
    T,
)
from liveboard.live.columns import (  # noqa: F401 (re-exported)
    GrowableColumns,
    IdMap,
    MinuteColumns,
    as_numpy,
    ceil_minute,
    column,
    timestamp,
)
from liveboard.live.fields import OrderColumns, ProductColumns, UserColumns
from liveboard.live.fold_audience import AudienceFold
from liveboard.live.fold_bounds import BoundsFold
from liveboard.live.fold_counts import CountsFold, user_flag
from liveboard.live.fold_feeds import FeedFold
from liveboard.live.fold_giveaways import GiveawayFold
from liveboard.live.fold_orders import OrderFold
from liveboard.live.fold_products import ProductFold
from liveboard.live.fold_viewers import ViewerFold
from liveboard.live.fold_views import ViewFold
from liveboard.live.money import CENT, MICRO, MONEY_OUT, money, money_micros  # noqa: F401 (re-exported)
from liveboard.live.snapshots import Snapshots
from liveboard.metrics import TREND_COLUMNS

# the names these had when they were private to this module
_FOLLOWER = FOLLOWER
_Ids, _Cols, _Minutes = IdMap, GrowableColumns, MinuteColumns
_ts, _ceil_minute, _col, _np = timestamp, ceil_minute, column, as_numpy


class LiveState(
    BoundsFold,
    CountsFold,
    ViewerFold,
    AudienceFold,
    ProductFold,
    GiveawayFold,
    OrderFold,
    ViewFold,
    FeedFold,
    Snapshots,
):
    """Live metric state of one session (the first session seen unless ``session_id`` is given)."""

    def __init__(self, session_id: str | None = None) -> None:
        self.session_id = session_id
        self.late_events = 0
        self.batches = 0
        self.origin_moved = False
        # bounds and meta
        self.start = None
        self.end = None
        self.min_ts = None
        self.max_ts = None
        self.origin = None
        self.meta_key = None
        self.meta = {}
        # the plain aggregates (liveboard.aggregates): a running total each (gmv…, viewers…, event_count),
        # the values seen of a distinct count of ids, the users seen per minute of a per-minute user count;
        # customers, a distinct count of paid orders' users, is kept by the orders' own step
        self.totals = {a.name: 0 for a in EVENT_TOTALS + USER_COUNTS + PAID_TOTALS}
        self.customers = 0
        self.distinct_values = {a.name: set() for a in VALUE_COUNTS}
        # ids
        self.users = IdMap()
        self.products_ids = IdMap()
        self.orders_ids = IdMap()
        self.channels_ids = IdMap()
        for c in CHANNELS:
            self.channels_ids.index[c] = len(self.channels_ids.names)
            self.channels_ids.names.append(c)
        self.regions = IdMap()
        self.u = UserColumns(
            **{user_flag(a): (np.bool_, False) for a in USER_COUNTS},
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
        self.pcu_pending = None  # (t, open count after all marks at t)
        self.pending_end = None  # (t, views closed at t == close_ts)
        # orders
        self.o = OrderColumns(
            ts=(np.int64, np.iinfo(np.int64).min),
            seq=(np.int64, np.iinfo(np.int64).min),
            user=(np.int64, -1),
            product=(np.int64, -1),
            qty=(np.int64, 0),
            amt=(np.int64, 0),
            paid=(np.bool_, False),
            **{flag: (np.bool_, False) for flag in ORDER_FLAGS},
            channel=(np.int64, -1),
        )
        self.frontier = set()  # paid orders whose state ts == max_ts
        # per minute
        # the trend's columns (``online`` comes from view starts and ends) from the one list in metrics
        self.m = MinuteColumns(tuple(c for c in TREND_COLUMNS if c != "online") + ("starts", "ends"))
        self.minute_users = {a.name: set() for a in USER_COUNTS if a.name in self.m.cols}
        # products
        self.p = ProductColumns(
            impressions=(np.int64, 0),
            clicks=(np.int64, 0),
            traffic=(np.bool_, False),
            sku=(np.int64, 0),
            items=(np.int64, 0),
            gmv=(np.int64, 0),
            pins=(np.int64, 0),
            featured_us=(np.int64, 0),
        )
        self.p_name = {}
        self.p_price = {}
        self.cur_pin = None  # (product, ts, seq)
        # giveaways
        self.g = {}
        # audience: (audience, dimension, value) -> users
        self.aud = {}
        # feeds
        self.comment_feed = deque(maxlen=COMMENTS_KEPT)
        self.violation_list = []
        self.marker_list = []

    @property
    def event_count(self) -> int:
        """Events of this session folded so far."""
        return self.totals["event_count"]

    @property
    def close_ts(self) -> int | None:
        return self.end if self.end is not None else self.max_ts

    @property
    def ended(self) -> bool:
        return self.end is not None

    def fold(self, table: pa.Table) -> int:
        """Fold one micro-batch; returns the number of events of this session in it."""
        batch = self._start_batch(table)
        if batch is None:
            return 0
        self._fold_bounds(batch)
        batch.minute = self._batch_minutes(batch)
        self._fold_counts(batch)
        batch.uid = self._map_users(batch)
        batch.ch = self._map_channels(batch)
        self._fold_users(batch)
        self._fold_viewers(batch)
        self._fold_channel_impressions(batch)
        batch.pid = self._map_products(batch)
        self._fold_product_traffic(batch)
        self._fold_catalog(batch)
        self._fold_giveaways(batch)  # before orders: windows must be known
        self._fold_orders(batch)
        self._remember_last_enters(batch)  # after orders were credited
        self._fold_views(batch)
        self._fold_pins(batch)
        self._fold_feeds(batch)
        return batch.n

    def _start_batch(self, table: pa.Table) -> Batch | None:
        """This session's rows of ``table`` in time order, counted; None when there are none."""
        if table.num_rows == 0:
            return None
        if self.session_id is None:
            self.session_id = column(table, "session_id")[0].as_py()
        table = session_rows(table, self.session_id)
        if table.num_rows == 0:
            return None
        table, ts, seq = in_time_order(table)
        self.batches += 1
        prev_max = self.max_ts
        if prev_max is not None:
            self.late_events += int(np.count_nonzero(ts < prev_max))
        tc = type_codes(table)
        return Batch(table=table, ts=ts, seq=seq, tc=tc, is_t=type_masks(tc), prev_max=prev_max)
