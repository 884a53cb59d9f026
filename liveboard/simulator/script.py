"""The host's script, drawn first: featured products, when each is pinned, when the giveaways run.

Everything after it reacts to the script: arrivals and engagement are boosted while a giveaway runs, the pinned
product gets a card (more impressions, more clicks, more orders).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from liveboard.simulator.draft import SessionDraft

FEATURED_RANGE = (3, 9)  # featured products: uniform in [3, 9), at most the catalogue
POPULARITY_CONCENTRATION = 1.5  # Dirichlet concentration of the products' popularity
FEATURED_POPULARITY = 0.6  # popularity added to the featured products, shared among them
FIRST_PIN_S = (20, 150)
PIN_LENGTH_S = (150, 600)
PIN_GAP_S = (30, 300)  # between an unpin and the next pin
LAST_PIN_BEFORE_END_S = 60
MAX_DRAWN_GIVEAWAYS = 4
GIVEAWAY_LENGTH_S = (180, 540)


@dataclass(frozen=True)
class Script:
    """What the host will do, second by second."""

    featured: np.ndarray  # catalogue indices of the featured products
    popularity: np.ndarray  # each product's share of the impressions that are not a pinned card
    pinned_by_second: np.ndarray  # catalogue index pinned at each second, -1 for none
    pins: list[tuple[float, int]]  # (time, product)
    unpins: list[tuple[float, int]]
    giveaways: list[tuple[float, float]]  # (start, end)
    arrival_boost: np.ndarray  # per-second multiplier of the arrival rate
    engagement_boost: np.ndarray  # per-second multiplier of engagement


def draw_script(draft: SessionDraft) -> Script:
    """The featured products, their pins, the giveaways and the boosts they give."""
    featured, popularity = _featured_products(draft)
    pinned_by_second, pins, unpins = _pins(draft, featured)
    giveaways = _giveaway_windows(draft)
    running = np.zeros(draft.duration_s, dtype=bool)
    for giveaway_start, giveaway_end in giveaways:
        running[int(np.ceil(giveaway_start)) : int(np.ceil(giveaway_end))] = True
    return Script(
        featured=featured,
        popularity=popularity,
        pinned_by_second=pinned_by_second,
        pins=pins,
        unpins=unpins,
        giveaways=giveaways,
        arrival_boost=np.where(running, draft.model.giveaway_arrival_boost, 1.0),
        engagement_boost=np.where(running, draft.model.giveaway_engagement_boost, 1.0),
    )


def _featured_products(draft: SessionDraft) -> tuple[np.ndarray, np.ndarray]:
    """(featured product indices, popularity of every product): featured products are more popular."""
    rng, catalogue_size = draft.rng, len(draft.catalogue)
    featured_count = min(catalogue_size, int(rng.integers(*FEATURED_RANGE)))
    featured = rng.choice(catalogue_size, size=featured_count, replace=False)
    popularity = rng.dirichlet(np.full(catalogue_size, POPULARITY_CONCENTRATION))
    popularity[featured] += FEATURED_POPULARITY / featured_count
    popularity /= popularity.sum()
    return featured, popularity


def _pins(
    draft: SessionDraft, featured: np.ndarray
) -> tuple[np.ndarray, list[tuple[float, int]], list[tuple[float, int]]]:
    """(product pinned each second, pins, unpins): featured products one after another, never twice in a row."""
    rng, duration_s = draft.rng, draft.duration_s
    pinned_by_second = np.full(duration_s, -1, dtype=np.int64)
    pins: list[tuple[float, int]] = []
    unpins: list[tuple[float, int]] = []
    pin_time = float(rng.uniform(*FIRST_PIN_S))
    last_product = -1
    while pin_time < duration_s - LAST_PIN_BEFORE_END_S:
        choices = [int(f) for f in featured if int(f) != last_product] or [int(featured[0])]
        product = choices[int(rng.integers(len(choices)))]
        stop = min(pin_time + float(rng.uniform(*PIN_LENGTH_S)), float(duration_s))
        pins.append((pin_time, product))
        pinned_by_second[int(np.ceil(pin_time)) : int(np.ceil(stop))] = product
        last_product = product
        if stop >= duration_s - 1:
            break
        if rng.random() < draft.model.unpin_share:
            unpins.append((stop, product))
            pin_time = stop + float(rng.uniform(*PIN_GAP_S))
        else:
            pin_time = stop  # the next pin replaces this one
    return pinned_by_second, pins, unpins


def _giveaway_windows(draft: SessionDraft) -> list[tuple[float, float]]:
    """(start, end) of each giveaway: one per equal slice of the session, when the slice has room for it."""
    rng, duration_s = draft.rng, draft.duration_s
    drawn = int(min(MAX_DRAWN_GIVEAWAYS, rng.poisson(duration_s / 3600 * draft.model.giveaways_per_hour)))
    count = drawn + (1 if duration_s >= 1200 else 0)  # a LIVE of 20 minutes or more has one at least
    windows: list[tuple[float, float]] = []
    for index in range(count):
        low, high = duration_s * index / count, duration_s * (index + 1) / count
        length = float(rng.uniform(*GIVEAWAY_LENGTH_S))
        if high - low < length + 120:
            continue
        start = float(rng.uniform(max(low, 60.0), high - length - 30))
        windows.append((start, start + length))
    return windows
