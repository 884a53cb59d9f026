"""The live fold's vocabulary as integers: event-type codes and the constants every fold step shares.

The fold works on numpy arrays, so event types become small integer codes once per batch; these tables
are the one place those codes, and the figures' fixed sizes, are defined.
"""

from __future__ import annotations

import numpy as np

from liveboard.aggregates import AGGREGATES, SESSION_BASE_COLUMNS, Aggregate
from liveboard.events import EVENT_TYPES

TYPES = tuple(EVENT_TYPES)
T = {name: i for i, name in enumerate(TYPES)}
NT = len(TYPES)
MIN_US = 60_000_000
COMMENTS_KEPT = 50
#: event types whose figures need the user: the order-dependent ones (views, order credit, giveaway UVs)
#: and those of every distinct count of users
USER_TYPES = tuple(
    dict.fromkeys(
        ("viewer_enter", "viewer_leave", "order", "giveaway_view", "giveaway_click", "giveaway_join")
        + tuple(t for a in AGGREGATES if a.of_users for t in a.types)
    )
)
USER_LUT = np.zeros(NT + 1, bool)  # indexed by type code; code -1 (unknown type) is the last slot
USER_LUT[[T[t] for t in USER_TYPES]] = True
FOLLOWER = ("follower", "non-follower")
#: the channel slot (the last of 64) that holds orders with no viewer_enter before them
UNATTRIBUTED = 63

#: The summary's columns, in the order of ``queries.SESSION_BASE``.
SUMMARY_BASE_COLUMNS = SESSION_BASE_COLUMNS

# The plain aggregates (:mod:`liveboard.aggregates`) by the way the fold computes them.
#: counts and sums over events, row by row (one vectorised pass per batch)
EVENT_TOTALS = tuple(a for a in AGGREGATES if a.over == "events" and a.kind != "count_distinct")
#: distinct users over events: a flag per user and aggregate
USER_COUNTS = tuple(a for a in AGGREGATES if a.over == "events" and a.of_users)
#: distinct values of another field over events (products pinned, giveaways started): a set of the values
VALUE_COUNTS = tuple(a for a in AGGREGATES if a.over == "events" and a.kind == "count_distinct" and not a.of_users)
#: counts and sums over paid orders, added and retracted as orders change state (customers stay by hand)
PAID_TOTALS = tuple(a for a in AGGREGATES if a.over == "paid" and a.kind in ("count", "sum"))
#: per order, a flag for each filter of a paid aggregate: ``attribution_direct`` → (attribution, direct)
ORDER_FLAGS: dict[str, tuple[str, str]] = {f"{a.where[0]}_{a.where[1]}": a.where for a in PAID_TOTALS if a.where}


def rows_of(a: Aggregate, is_t: dict[str, np.ndarray], n: int) -> np.ndarray:
    """The rows of a batch an aggregate over events reads (every row when it names no type)."""
    if not a.types:
        return np.ones(n, bool)
    rows = is_t[a.types[0]]
    for t in a.types[1:]:
        rows = rows | is_t[t]
    return rows
