"""A session being drawn: its plan, its one random stream, its clock and the events drawn so far.

Every phase takes the :class:`SessionDraft` and draws from ``draft.rng`` in turn; the order of the phases is
the order of the draws, so it is what makes a seed give the same session every time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from liveboard.simulator.assembly import EventBuilder
from liveboard.simulator.catalogue import Product, product_catalogue
from liveboard.simulator.markets import Market, market_for
from liveboard.simulator.model import SessionModel
from liveboard.simulator.plan import SessionPlan
from liveboard.simulator.randomness import seeded_rng, stable_hash

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class SessionDraft:
    """The state every phase shares while one session is drawn."""

    def __init__(self, plan: SessionPlan, seed: int) -> None:
        self.plan = plan
        self.seed = seed
        self.rng = seeded_rng("session", seed, plan.session_id)
        self.market: Market = market_for(plan.currency)
        self.catalogue: list[Product] = product_catalogue(plan.account_id, seed=seed, currency=plan.currency)
        self.start_us = int((plan.start - EPOCH) // timedelta(microseconds=1))
        self.end_us = self.start_us + plan.duration_s * 1_000_000
        self.events = EventBuilder()
        #: the seconds of the session, 0..duration-1 (per-second rates are arrays over them)
        self.seconds = np.arange(plan.duration_s, dtype=np.float64)

    @property
    def model(self) -> SessionModel:
        return self.plan.model

    @property
    def duration_s(self) -> int:
        return self.plan.duration_s

    @property
    def tag(self) -> str:
        """Six hex digits of the session that make its giveaway and violation ids unique."""
        return f"{stable_hash('gw', self.seed, self.plan.session_id) % 16**6:06x}"

    def to_us(self, seconds: np.ndarray) -> np.ndarray:
        """Seconds into the session -> epoch µs, strictly inside the session (start and end are their own)."""
        micros = self.start_us + np.round(np.asarray(seconds) * 1e6).astype(np.int64)
        return np.clip(micros, self.start_us + 1, self.end_us - 1)
