"""The model of a session: the named rates and shares the phases draw with.

A :class:`SessionModel` says how much and how often (arrivals a second, comments a viewer-second, the share of
pinned-card clicks that order, ...); the phases keep the shapes (delays, durations, ranges) next to their code.
:data:`MEGA_MODEL` is the one variant the simulator ships: the mega session is exactly as popular as its scale
says, so its size is what was asked for.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass


@dataclass(frozen=True)
class SessionModel:
    """Rates and shares of one session; rates "per viewer-second" are at an engagement propensity of 1."""

    # ---- arrivals
    #: First arrivals per second at scale 1 (~2,500 views an hour before drift and giveaway boosts).
    base_arrivals_per_s: float = 0.65
    #: Sigma of the session's lognormal popularity (its audience over or under the scale); None: no draw, the
    #: session is exactly as popular as its scale says.
    popularity_spread: float | None = 0.3
    #: Sigma of the per-minute steps of the random walk the arrival rate drifts along.
    arrival_drift_per_minute: float = 0.07
    #: Sigma of the session's lognormal jitter of each channel's share of arrivals.
    channel_spread: float = 0.25
    #: The paid (``promoted``) channel's share is multiplied by a uniform draw in this range.
    promoted_range: tuple[float, float] = (0.4, 1.8)
    #: Share of the viewers who leave early enough that come back once.
    reentry_share: float = 0.07
    #: Share of the re-entries through the channel of the first view (the others: drawn from the mix).
    reentry_same_channel_share: float = 0.5

    # ---- viewers
    #: Share of the followers, and of the others, who engage at all (comment, like, share, gift).
    engaged_follower_share: float = 0.55
    engaged_share: float = 0.3
    #: How much more followers engage, and buy, than the others.
    follower_engagement_lift: float = 1.6
    follower_buying_lift: float = 1.4
    #: Share of the views, of followers and of the others, that are long (most views are short).
    long_view_follower_share: float = 0.25
    long_view_share: float = 0.11

    # ---- engagement (mean seconds between events of a viewer at propensity 1)
    seconds_per_comment: float = 110.0
    seconds_per_like_burst: float = 150.0
    seconds_per_share: float = 1500.0
    seconds_per_follow: float = 1800.0  # of a first view by a non-follower, plus ``follow_base_propensity``
    follow_base_propensity: float = 0.15
    seconds_per_gift: float = 500.0  # of a gifter, plus ``gift_base_propensity``
    gift_base_propensity: float = 0.2
    #: Share of the audience that ever sends gifts.
    gifter_share: float = 0.08
    #: Share of the comments that are emoji only, and that are hostile text.
    emoji_only_share: float = 0.08
    hostile_share: float = 0.012

    # ---- shopping
    #: Product impressions a viewer-second: of the catalogue, and of the pinned product's card.
    product_impressions_per_s: float = 1.0 / 100.0
    pinned_card_impressions_per_s: float = 1.0 / 30.0
    #: Impression -> click, click -> order (before the viewer's buying propensity); pinned cards convert more.
    click_share: float = 0.015
    pinned_click_share: float = 0.04
    order_share: float = 0.06
    pinned_order_share: float = 0.12
    #: Share of the orders never paid, of the paid orders refunded, and of the orders attributed directly.
    unpaid_share: float = 0.1
    refund_share: float = 0.05
    direct_share: float = 0.8
    #: Share of the pins that end with an unpin (the others: the next pin replaces them).
    unpin_share: float = 0.55

    # ---- giveaways
    giveaways_per_hour: float = 0.7
    #: Arrivals and engagement are multiplied by these while a giveaway runs.
    giveaway_arrival_boost: float = 2.6
    giveaway_engagement_boost: float = 2.8
    #: Share of the giveaways whose prize is a featured product.
    product_prize_share: float = 0.6
    #: Viewers in the room who see the giveaway; of them, who click it; of them, who join.
    giveaway_view_share: float = 0.88
    giveaway_click_share: float = 0.45
    giveaway_join_share: float = 0.7

    # ---- violations
    violations_per_hour: float = 0.8


#: The model of every session unless the caller chooses another.
DEFAULT_MODEL = SessionModel()
#: The mega session's model: no popularity draw, so its audience is exactly its scale.
MEGA_MODEL = dataclasses.replace(DEFAULT_MODEL, popularity_spread=None)
