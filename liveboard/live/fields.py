"""The live state's fields, declared once, with their types.

:class:`~liveboard.live.state.LiveState` is composed of a fold step class per concern (``fold_bounds``,
``fold_counts``, …, ``snapshots``); each step reads and writes the state's fields, and some call a step of
another concern. Every step class derives from :class:`StateFields`, which declares those fields (set by
``LiveState.__init__``) and, for the type checker only, the steps one concern calls in another's class;
at run time it adds nothing.
"""

from __future__ import annotations

from collections import deque
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import numpy as np

from liveboard.live.batch import Batch
from liveboard.live.columns import GrowableColumns, IdMap, MinuteColumns


class UserColumns(GrowableColumns):
    """Per user: the aggregates' flags (``user_flag(a)``, read by name), views and channel credit, profile."""

    chmask: np.ndarray
    open: np.ndarray
    open_vstart: np.ndarray
    last_enter_ts: np.ndarray
    last_enter_ch: np.ndarray
    paid: np.ndarray
    prof: np.ndarray
    p_follower: np.ndarray
    p_gender: np.ndarray
    p_age: np.ndarray
    p_region: np.ndarray


class OrderColumns(GrowableColumns):
    """Per order: its latest state (and one flag per filter of a paid aggregate, read by name)."""

    ts: np.ndarray
    seq: np.ndarray
    user: np.ndarray
    product: np.ndarray
    qty: np.ndarray
    amt: np.ndarray
    paid: np.ndarray
    channel: np.ndarray


class ProductColumns(GrowableColumns):
    """Per product: traffic, sales, pins and featured time."""

    impressions: np.ndarray
    clicks: np.ndarray
    traffic: np.ndarray
    sku: np.ndarray
    items: np.ndarray
    gmv: np.ndarray
    pins: np.ndarray
    featured_us: np.ndarray


class StateFields:
    """The fields of :class:`~liveboard.live.state.LiveState` (its ``__init__`` sets them; see there)."""

    session_id: str | None
    late_events: int
    batches: int
    origin_moved: bool
    # bounds and meta
    start: int | None
    end: int | None
    min_ts: int | None
    max_ts: int | None
    origin: int | None
    meta_key: tuple[int, int] | None
    meta: dict[str, Any]
    # the plain aggregates
    totals: dict[str, int]
    customers: int
    distinct_values: dict[str, set[Any]]
    # ids
    users: IdMap
    products_ids: IdMap
    orders_ids: IdMap
    channels_ids: IdMap
    regions: IdMap
    u: UserColumns
    # per channel
    ch_viewers: np.ndarray
    ch_impressions: np.ndarray
    ch_views: np.ndarray
    ch_gmv: np.ndarray
    ch_paid: np.ndarray
    # views
    n_open: int
    sum_open_vstart: int
    closed_view_us: int
    pcu_confirmed: int
    pcu_pending: tuple[int, int] | None  # (t, open count after all marks at t)
    pending_end: tuple[int, int] | None  # (t, views closed at t == close_ts)
    # orders
    o: OrderColumns
    frontier: set[int]  # paid orders whose state ts == max_ts
    # per minute
    m: MinuteColumns
    minute_users: dict[str, set[int]]
    # products
    p: ProductColumns
    p_name: dict[int, tuple[tuple[int, int], str]]
    p_price: dict[int, tuple[tuple[int, int], Decimal]]
    cur_pin: tuple[int, int, int] | None  # (product, ts, seq)
    # giveaways
    g: dict[str, dict[str, Any]]
    # audience: (audience, dimension, value) -> users
    aud: dict[tuple[str, str, str], int]
    # feeds
    comment_feed: deque[dict[str, Any]]
    violation_list: list[dict[str, Any]]
    marker_list: list[dict[str, Any]]

    if TYPE_CHECKING:
        # Defined by LiveState and by the step classes named; declared here so that the others may call them.

        @property
        def close_ts(self) -> int | None: ...  # LiveState

        def _minute(self, t: np.ndarray) -> np.ndarray: ...  # BoundsFold

        def _fold_profiles(self, batch: Batch) -> None: ...  # AudienceFold

        def _aud_add(self, audience: str, follower: int, gender: int, age: int, region: int, k: int) -> None: ...

        def _profile(self, u: int) -> tuple[int, int, int, int]: ...  # AudienceFold

        def _giveaway_apply(self, orders: np.ndarray, sign: int) -> None: ...  # GiveawayFold

        def view_seconds_us(self) -> int: ...  # ViewFold
