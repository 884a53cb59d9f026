"""Seeded randomness: stable hashes, per-user numbers, weighted picks and Poisson events inside views.

Everything is derived from stable hashes of names (never Python's salted ``hash``), so the same arguments give
the same session in every process.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np


def stable_hash(*parts: object) -> int:
    """A stable 64-bit hash of the parts (Python's ``hash`` is salted per process)."""
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def seeded_rng(*parts: object) -> np.random.Generator:
    """A generator seeded by the stable hash of the parts: one independent stream per name."""
    return np.random.default_rng(stable_hash(*parts))


def _splitmix64(numbers: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: a well-mixed uint64 per input, vectorised."""
    mixed = numbers.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    mixed = (mixed ^ (mixed >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    mixed = (mixed ^ (mixed >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return mixed ^ (mixed >> np.uint64(31))


def unit_per_number(numbers: np.ndarray, salt: int) -> np.ndarray:
    """A deterministic uniform [0, 1) number per integer (same user -> same number)."""
    mixed = _splitmix64(numbers.astype(np.uint64) ^ np.uint64(salt))
    return (mixed >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def pick_by_weights(uniform: np.ndarray, weights: Sequence[float] | np.ndarray) -> np.ndarray:
    """The index each uniform number falls on in the cumulative weights (weights need not sum to 1)."""
    weight_array = np.asarray(weights, dtype=np.float64)
    cumulative = np.cumsum(weight_array / weight_array.sum())
    cumulative[-1] = 1.0
    return np.searchsorted(cumulative, uniform, side="right").astype(np.int64)


def lognormal(rng: np.random.Generator, median: float, sigma: float, count: int) -> np.ndarray:
    """``count`` lognormal draws with this median: durations and delays with a long tail."""
    return np.exp(rng.normal(np.log(median), sigma, count))


def events_in_views(
    rng: np.random.Generator,
    enter: np.ndarray,
    end: np.ndarray,
    rate: np.ndarray | float,
    boost: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Poisson events inside views: (view index, time); ``boost`` is a per-second rate multiplier (thinning)."""
    duration = np.maximum(end - enter, 0.0)
    top = float(boost.max()) if boost is not None else 1.0
    counts = rng.poisson(np.asarray(rate) * duration * top)
    view_index = np.repeat(np.arange(len(enter)), counts)
    times = enter[view_index] + rng.random(view_index.size) * duration[view_index]
    if boost is not None and view_index.size:
        keep = rng.random(view_index.size) * top < boost[np.minimum(times.astype(np.int64), len(boost) - 1)]
        view_index, times = view_index[keep], times[keep]
    return view_index, times


def user_numbers(audience_index: np.ndarray, account_id: str) -> np.ndarray:
    """Map an account-level audience index to a user number (a bijection; u100000..u1000099936)."""
    prime = 999_999_937
    offset = stable_hash("users", account_id) % prime
    return 100_000 + (audience_index.astype(np.int64) * 387_420_489 + offset) % prime
