"""The live fold's vocabulary as integers: event-type codes and the constants every fold step shares.

The fold works on numpy arrays, so event types become small integer codes once per batch; these tables
are the one place those codes, and the figures' fixed sizes, are defined.
"""

from __future__ import annotations

import numpy as np

from liveboard.events import EVENT_TYPES

TYPES = tuple(EVENT_TYPES)
T = {name: i for i, name in enumerate(TYPES)}
NT = len(TYPES)
MIN_US = 60_000_000
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
FOLLOWER = ("follower", "non-follower")
#: the channel slot (the last of 64) that holds orders with no viewer_enter before them
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
#: trend columns that are plain counts of one event type per minute
TREND_COUNTS = (
    ("views", "viewer_enter"),
    ("impressions", "impression"),
    ("product_impressions", "product_impression"),
    ("product_clicks", "product_click"),
    ("comments", "comment"),
    ("shares", "share"),
)
