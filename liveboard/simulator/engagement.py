"""What viewers do in the room: comments, like bursts, shares, follows and gifts.

All are Poisson events inside views, scaled by the viewer's engagement propensity and lifted while a giveaway
runs. Comments are in the market's languages (plus a few cross-border ones), some emoji only, a little hostile.
"""

from __future__ import annotations

import numpy as np

from liveboard.simulator.audience import Views
from liveboard.simulator.draft import SessionDraft
from liveboard.simulator.randomness import events_in_views, pick_by_weights, unit_per_number
from liveboard.simulator.script import Script
from liveboard.simulator.vocabulary import COMMENTS, EMOJI_ONLY, EMOJI_SUFFIXES, GIFTS, HOSTILE_TEXTS

HOME_LANGUAGE_SHARE = 0.95  # of the comments, in the market's languages by their shares ...
CROSS_BORDER_SHARE = 0.05  # ... the others in any language evenly
LIKE_BURST_CONTINUES = 0.35  # geometric p of the number of like events in a burst
LIKE_GAP_S = (0.6, 2.5)
TAPS_PER_LIKE = 0.16  # geometric p of a like event's tap count (at most 99)
SINGLE_GIFT_SHARE = 0.7  # of the gift events, one gift; the others a combo (geometric p 0.12)


def add_engagement(draft: SessionDraft, views: Views, script: Script) -> None:
    """Comments, likes, shares, follows and gifts, in this order (the order of the draws)."""
    _add_comments(draft, views, script)
    _add_likes(draft, views, script)
    rng, model, boost = draft.rng, draft.model, script.engagement_boost
    share_view, share_time = events_in_views(
        rng, views.enter, views.end, views.engagement / model.seconds_per_share, boost
    )
    draft.events.add("share", draft.to_us(share_time), user_id=views.user[share_view])
    _add_follows(draft, views, script)
    _add_gifts(draft, views, script)


def _comment_texts(draft: SessionDraft) -> tuple[dict[str, tuple[int, int]], int, int]:
    """Register every comment text; returns (code range per language, first emoji-only, first hostile code)."""
    texts: list[str] = []
    language_codes: dict[str, tuple[int, int]] = {}
    for language, phrases in COMMENTS.items():
        low = len(texts)
        texts.extend(phrase + suffix for phrase in phrases for suffix in EMOJI_SUFFIXES)
        language_codes[language] = (low, len(texts))
    emoji_only = len(texts)
    texts.extend(EMOJI_ONLY)
    hostile = len(texts)
    texts.extend(HOSTILE_TEXTS)
    draft.events.strings("text", texts)
    return language_codes, emoji_only, hostile


def _add_comments(draft: SessionDraft, views: Views, script: Script) -> None:
    rng, model = draft.rng, draft.model
    language_codes, emoji_only, hostile = _comment_texts(draft)
    view, time = events_in_views(
        rng, views.enter, views.end, views.engagement / model.seconds_per_comment, script.engagement_boost
    )
    count = view.size
    languages = list(COMMENTS)
    home = dict(draft.market.languages)
    # mostly the market's languages, plus a few cross-border viewers writing in any of the others
    weights = [HOME_LANGUAGE_SHARE * home.get(lang, 0.0) + CROSS_BORDER_SHARE / len(languages) for lang in languages]
    language = pick_by_weights(rng.random(count), weights)
    first_code = np.array([language_codes[lang][0] for lang in languages])
    phrase_count = np.array([language_codes[lang][1] - language_codes[lang][0] for lang in languages])
    text = first_code[language] + (rng.random(count) * phrase_count[language]).astype(np.int64)
    kind = rng.random(count)
    text = np.where(kind < model.emoji_only_share, emoji_only + rng.integers(0, len(EMOJI_ONLY), count), text)
    text = np.where(kind > 1 - model.hostile_share, hostile + rng.integers(0, len(HOSTILE_TEXTS), count), text)
    draft.events.add("comment", draft.to_us(time), user_id=views.user[view], text=text)


def _add_likes(draft: SessionDraft, views: Views, script: Script) -> None:
    """Bursts of several like events a second or two apart, each with a tap count."""
    rng, model = draft.rng, draft.model
    burst_view, burst_time = events_in_views(
        rng, views.enter, views.end, views.engagement / model.seconds_per_like_burst, script.engagement_boost
    )
    per_burst = rng.geometric(LIKE_BURST_CONTINUES, burst_view.size)
    view = np.repeat(burst_view, per_burst)
    burst_first = np.cumsum(per_burst) - per_burst  # index of each burst's first like
    step = np.arange(view.size) - np.repeat(burst_first, per_burst)
    elapsed = np.cumsum(rng.uniform(*LIKE_GAP_S, view.size))
    time = np.repeat(burst_time, per_burst) + np.where(
        step > 0, elapsed - np.repeat(elapsed[burst_first], per_burst), 0.0
    )
    inside = time < views.end[view]
    view, time = view[inside], time[inside]
    taps = np.minimum(rng.geometric(TAPS_PER_LIKE, view.size), 99)
    draft.events.add("like", draft.to_us(time), user_id=views.user[view], count=taps)


def _add_follows(draft: SessionDraft, views: Views, script: Script) -> None:
    """Non-followers may follow during their first view; a user follows once."""
    model = draft.model
    rate = np.where(
        views.is_first & ~views.is_follower,
        (model.follow_base_propensity + views.engagement) / model.seconds_per_follow,
        0.0,
    )
    view, time = events_in_views(draft.rng, views.enter, views.end, rate, script.engagement_boost)
    user, first = np.unique(views.user[view], return_index=True)
    draft.events.add("follow", draft.to_us(time[first]), user_id=user)


def _add_gifts(draft: SessionDraft, views: Views, script: Script) -> None:
    """Gifts from the few gifters (fixed per user number): mostly one, sometimes a combo of cheap ones."""
    rng, model, events = draft.rng, draft.model, draft.events
    gifter = unit_per_number(views.user, 31) < model.gifter_share
    rate = np.where(gifter, (model.gift_base_propensity + views.engagement) / model.seconds_per_gift, 0.0)
    view, time = events_in_views(rng, views.enter, views.end, rate, script.engagement_boost)
    gift = pick_by_weights(rng.random(view.size), [weight for _name, _diamonds, weight in GIFTS])
    events.strings("gift_name", [name for name, _diamonds, _weight in GIFTS])
    diamonds = np.array([diamonds for _name, diamonds, _weight in GIFTS], dtype=np.int64)[gift]
    single = rng.random(view.size) < SINGLE_GIFT_SHARE
    count = np.where(single, 1, np.minimum(rng.geometric(0.12, view.size), 999 // np.maximum(diamonds, 1) + 1))
    events.add("gift", draft.to_us(time), user_id=views.user[view], gift_name=gift, diamonds=diamonds, count=count)
