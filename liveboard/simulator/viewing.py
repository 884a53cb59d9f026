"""The room's own events: viewers entering (with demographics) and leaving, impressions, viewer counts.

Every view is preceded by an ``impression`` of the same user on the same channel, among many impressions that
never convert (each channel's enter-room rate from ~4 % to ~25 %); the ``viewer_count`` readings every ten
seconds are the number of open views, read a little noisily.
"""

from __future__ import annotations

import numpy as np

from liveboard.events import AGES, CHANNELS, GENDERS
from liveboard.simulator.audience import NON_FOLLOWER_AUDIENCE, NON_FOLLOWER_BASE, Views
from liveboard.simulator.draft import SessionDraft
from liveboard.simulator.randomness import lognormal, pick_by_weights, unit_per_number, user_numbers
from liveboard.simulator.vocabulary import AGE_WEIGHTS, CHANNEL_INDEX, ENTER_RATE, GENDER_WEIGHTS

#: Share of the users whose gender, age band and region are not disclosed (fixed per user number).
UNDISCLOSED_GENDER = 0.04
UNDISCLOSED_AGE = 0.07
UNDISCLOSED_REGION = 0.12
IMPRESSION_LEAD = (4.0, 0.8)  # lognormal seconds from a view's impression to the enter
ENTER_RATE_SPREAD = 0.15  # sigma of the session's lognormal jitter of each channel's enter-room rate
ANONYMOUS_IMPRESSIONS = 0.15  # share of the impressions that never converted with no user
VIEWER_COUNT_EVERY_S = 10.0


def add_view_events(draft: SessionDraft, views: Views) -> None:
    """``viewer_enter`` (channel, follower, gender, age, region) per view; ``viewer_leave`` per closed view."""
    events, user = draft.events, views.user
    gender = pick_by_weights(unit_per_number(user, 21), GENDER_WEIGHTS)
    age = pick_by_weights(unit_per_number(user, 22), AGE_WEIGHTS)
    region_code = events.strings("region", draft.market.regions)
    region = region_code + pick_by_weights(unit_per_number(user, 23), draft.market.region_weights)
    gender = np.where(unit_per_number(user, 24) < UNDISCLOSED_GENDER, -1, gender)
    age = np.where(unit_per_number(user, 25) < UNDISCLOSED_AGE, -1, age)
    region = np.where(unit_per_number(user, 26) < UNDISCLOSED_REGION, -1, region)
    events.strings("gender", GENDERS)
    events.strings("age", AGES)
    events.strings("channel", CHANNELS)
    events.add(
        "viewer_enter",
        draft.to_us(views.enter),
        user_id=user,
        channel=views.channel,
        is_follower=views.is_follower.astype(np.int8),
        gender=gender,
        age=age,
        region=region,
    )
    events.add("viewer_leave", draft.to_us(views.leave[views.has_leave]), user_id=user[views.has_leave])


def add_impressions(draft: SessionDraft, views: Views) -> None:
    """One impression shortly before each view, and the channel's impressions that never became a view."""
    rng, duration_s = draft.rng, draft.duration_s
    before_view = views.enter - np.minimum(lognormal(rng, *IMPRESSION_LEAD, views.user.size), views.enter * 0.5)
    enter_rate = np.array([ENTER_RATE[c] for c in CHANNELS]) * np.exp(rng.normal(0.0, ENTER_RATE_SPREAD, len(CHANNELS)))
    views_per_channel = np.bincount(views.channel, minlength=len(CHANNELS))
    unconverted_per_channel = rng.poisson(views_per_channel * (1.0 / enter_rate - 1.0))
    # unconverted impressions come when the viewers do
    cumulative = np.cumsum(views.arrival_rate)
    cumulative /= cumulative[-1]
    count = int(unconverted_per_channel.sum())
    times = np.searchsorted(cumulative, rng.random(count)).astype(np.float64) + rng.random(count)
    channel = np.repeat(np.arange(len(CHANNELS)), unconverted_per_channel)
    from_follower = channel == CHANNEL_INDEX["follow"]
    audience_index = np.where(
        from_follower,
        rng.integers(0, views.follower_pool, count),
        NON_FOLLOWER_BASE + rng.integers(0, NON_FOLLOWER_AUDIENCE, count),
    )
    user = np.where(rng.random(count) < ANONYMOUS_IMPRESSIONS, -1, user_numbers(audience_index, draft.plan.account_id))
    draft.events.add(
        "impression",
        draft.to_us(np.concatenate([before_view, np.minimum(times, duration_s - 0.01)])),
        user_id=np.concatenate([views.user, user]),
        channel=np.concatenate([views.channel, channel]),
    )


def add_viewer_counts(draft: SessionDraft, views: Views) -> None:
    """A ``viewer_count`` about every ten seconds: the open views, read with a few per cent of noise."""
    rng, duration_s = draft.rng, draft.duration_s
    grid = np.arange(VIEWER_COUNT_EVERY_S, duration_s - 0.5, VIEWER_COUNT_EVERY_S)
    ticks = grid + rng.uniform(-0.4, 0.4, max(len(grid), 0))
    ticks = ticks[(ticks > 0) & (ticks < duration_s - 0.1)]
    online = np.searchsorted(np.sort(views.enter), ticks) - np.searchsorted(
        np.sort(views.leave[views.has_leave]), ticks
    )
    reading = np.maximum(np.round(online * rng.uniform(0.96, 1.06, ticks.size)), 0).astype(np.int64)
    draft.events.add("viewer_count", draft.to_us(ticks), count=reading)
