"""Who comes: arrivals over the session, their channels, followers, traits, how long they stay, who comes back.

Viewers arrive as a Poisson process whose rate follows a ramp-up, a slow random drift, a wind-down and the
giveaway boosts; each view has a user, a channel, whether the user follows the creator, the user's engagement
and buying propensities, and its enter and leave times. A few viewers re-enter once after leaving.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from liveboard.events import CHANNELS
from liveboard.simulator.draft import SessionDraft
from liveboard.simulator.randomness import lognormal, pick_by_weights, unit_per_number, user_numbers
from liveboard.simulator.script import Script
from liveboard.simulator.vocabulary import CHANNEL_INDEX, CHANNEL_MIX, FOLLOWER_SHARE

RAMP_UP_S = 240.0  # the arrival rate rises from 35 % to full over the first minutes
WIND_DOWN_S = 300  # ... and falls to 60 % over the last five
MAX_DRIFT = 0.7  # the drift stays within exp(±0.7)
FOLLOWER_POOL_FACTOR = 2.5  # the account's followers: 2.5 times those who came, at least 200
MIN_FOLLOWER_POOL = 200
NON_FOLLOWER_BASE = 20_000_000  # audience indices of non-followers start here ...
NON_FOLLOWER_AUDIENCE = 500_000_000  # ... and span this many
#: Dwell times in seconds: lognormal (median, sigma) of long and of short views, plus a second and a half.
LONG_DWELL = (420.0, 0.9)
SHORT_DWELL = (20.0, 1.0)
MIN_DWELL_S = 1.5
REENTRY_DELAY = (120.0, 1.0)  # lognormal seconds between leaving and coming back, after 5 s


@dataclass(frozen=True)
class Views:
    """Every view of the session (first views, then re-entries), one array element per view."""

    user: np.ndarray  # user number
    channel: np.ndarray  # channel code
    is_follower: np.ndarray
    enter: np.ndarray  # seconds into the session
    leave: np.ndarray  # may be after the end: the view is still open then
    engagement: np.ndarray  # the user's engagement propensity (0 for those who never engage)
    buying: np.ndarray  # the user's buying propensity
    is_first: np.ndarray  # the user's first view of the session
    has_leave: np.ndarray  # the view closes before the end (a ``viewer_leave``)
    end: np.ndarray  # where events inside the view must stop
    follower_pool: int  # how many followers the account has (impressions reach them too)
    arrival_rate: np.ndarray  # expected first arrivals each second (impressions have its shape)


@dataclass(frozen=True)
class _Arrivals:
    enter: np.ndarray
    channel: np.ndarray
    is_follower: np.ndarray
    channel_mix: np.ndarray


def draw_views(draft: SessionDraft, script: Script) -> Views:
    """All views: first arrivals with their users and traits, then the re-entries."""
    arrival_rate = _arrival_rate(draft, script)
    arrivals = _first_arrivals(draft, arrival_rate)
    users, follower_pool = _users(draft, arrivals.is_follower)
    engagement, buying = _traits(draft, users, arrivals.is_follower)
    leave = arrivals.enter + _dwell(draft, arrivals.is_follower)
    again, enter_again, channel_again = _reentries(draft, leave, arrivals)
    leave_again = enter_again + _dwell(draft, arrivals.is_follower[again])
    duration_s = draft.duration_s
    leave_all = np.concatenate([leave, leave_again])
    return Views(
        user=np.concatenate([users, users[again]]),
        channel=np.concatenate([arrivals.channel, channel_again]),
        is_follower=np.concatenate([arrivals.is_follower, arrivals.is_follower[again]]),
        enter=np.concatenate([arrivals.enter, enter_again]),
        leave=leave_all,
        engagement=np.concatenate([engagement, engagement[again]]),
        buying=np.concatenate([buying, buying[again]]),
        is_first=np.concatenate([np.ones(users.size, bool), np.zeros(again.size, bool)]),
        has_leave=leave_all < duration_s - 0.5,
        end=np.minimum(leave_all, duration_s - 0.25),
        follower_pool=follower_pool,
        arrival_rate=arrival_rate,
    )


def _arrival_rate(draft: SessionDraft, script: Script) -> np.ndarray:
    """Expected first arrivals each second: scale x popularity x drift x ramp-up x wind-down x giveaway boost."""
    rng, model, duration_s, seconds = draft.rng, draft.model, draft.duration_s, draft.seconds
    if model.popularity_spread is None:
        popularity = 1.0
    else:
        popularity = float(np.exp(rng.normal(0.0, model.popularity_spread)))
    minutes = duration_s // 60 + 2
    walk = np.cumsum(rng.normal(0.0, model.arrival_drift_per_minute, minutes))
    walk -= walk.mean()
    drift = np.exp(np.clip(np.interp(seconds / 60.0, np.arange(minutes), walk), -MAX_DRIFT, MAX_DRIFT))
    ramp = 0.35 + 0.65 * (1.0 - np.exp(-seconds / RAMP_UP_S))
    tail = np.where(seconds > duration_s - WIND_DOWN_S, 0.6 + 0.4 * (duration_s - seconds) / WIND_DOWN_S, 1.0)
    base = model.base_arrivals_per_s * draft.plan.scale * popularity * drift * ramp * tail
    return base * script.arrival_boost


def _first_arrivals(draft: SessionDraft, arrival_rate: np.ndarray) -> _Arrivals:
    """Arrival times, each through a channel (the session's own mix), and whether the viewer follows."""
    rng, model = draft.rng, draft.model
    counts = rng.poisson(arrival_rate)
    enter = np.repeat(draft.seconds, counts) + rng.random(int(counts.sum()))
    channel_mix = np.array([CHANNEL_MIX[c] for c in CHANNELS]) * np.exp(
        rng.normal(0.0, model.channel_spread, len(CHANNELS))
    )
    channel_mix[CHANNEL_INDEX["promoted"]] *= float(rng.uniform(*model.promoted_range))
    channel_mix /= channel_mix.sum()
    channel = pick_by_weights(rng.random(enter.size), channel_mix)
    follower_share = np.array([FOLLOWER_SHARE[c] for c in CHANNELS])
    is_follower = rng.random(enter.size) < follower_share[channel]
    return _Arrivals(enter, channel, is_follower, channel_mix)


def _users(draft: SessionDraft, is_follower: np.ndarray) -> tuple[np.ndarray, int]:
    """(user number of each first arrival, follower pool): followers from the pool, others from the world."""
    rng = draft.rng
    follower_count = int(is_follower.sum())
    follower_pool = max(int(follower_count * FOLLOWER_POOL_FACTOR), MIN_FOLLOWER_POOL)
    audience_index = np.empty(is_follower.size, dtype=np.int64)
    audience_index[is_follower] = rng.choice(follower_pool, size=follower_count, replace=False)
    audience_index[~is_follower] = NON_FOLLOWER_BASE + rng.choice(
        NON_FOLLOWER_AUDIENCE, size=is_follower.size - follower_count, replace=False
    )
    return user_numbers(audience_index, draft.plan.account_id), follower_pool


def _traits(draft: SessionDraft, users: np.ndarray, is_follower: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(engagement, buying) propensity per user; whether one engages at all is fixed per user number."""
    rng, model, count = draft.rng, draft.model, users.size
    engaged = unit_per_number(users, 11) < np.where(is_follower, model.engaged_follower_share, model.engaged_share)
    engagement = np.where(engaged, np.exp(rng.normal(0.0, 0.8, count)), 0.0) * np.where(
        is_follower, model.follower_engagement_lift, 1.0
    )
    buying = np.exp(rng.normal(-0.1, 0.5, count)) * np.where(is_follower, model.follower_buying_lift, 1.0)
    return engagement, buying


def _dwell(draft: SessionDraft, is_follower: np.ndarray) -> np.ndarray:
    """Seconds each view lasts: a heavy-tailed mixture, most short, some long (followers stay longer)."""
    rng, model, count = draft.rng, draft.model, is_follower.size
    long_view = rng.random(count) < np.where(is_follower, model.long_view_follower_share, model.long_view_share)
    dwell = np.where(long_view, lognormal(rng, *LONG_DWELL, count), lognormal(rng, *SHORT_DWELL, count))
    return dwell + MIN_DWELL_S


def _reentries(
    draft: SessionDraft, leave: np.ndarray, arrivals: _Arrivals
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(index of the first view, enter time, channel) of each view by a viewer who came back."""
    rng, model, duration_s = draft.rng, draft.model, draft.duration_s
    again = np.flatnonzero((leave < duration_s - 30) & (rng.random(leave.size) < model.reentry_share))
    enter_again = leave[again] + 5.0 + lognormal(rng, *REENTRY_DELAY, again.size)
    in_time = enter_again < duration_s - 5
    again, enter_again = again[in_time], enter_again[in_time]
    channel_again = np.where(
        rng.random(again.size) < model.reentry_same_channel_share,
        arrivals.channel[again],
        pick_by_weights(rng.random(again.size), arrivals.channel_mix),
    )
    return again, enter_again, channel_again
