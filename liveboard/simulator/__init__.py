"""A seeded, deterministic, vectorised simulator of TikTok Shop LIVE sessions.

Every session comes back as one :class:`pyarrow.Table` of :data:`~liveboard.events.EVENT_SCHEMA`, sorted by
``ts`` with ``seq`` = 0..n-1. The work is done with numpy arrays per event type (loops only per session, per
pin, per giveaway, per violation), so a 3-hour "mega" session of more than 5 million events takes seconds.

A session is a :class:`~liveboard.simulator.plan.SessionPlan` (who, when, how long, how big an audience, which
:class:`~liveboard.simulator.model.SessionModel` of named rates) drawn through named phases, in order:

* the script (:mod:`.script`): featured products, their pins, the giveaways;
* the audience (:mod:`.audience`): viewers arrive as a Poisson process whose rate follows a ramp-up, a slow
  random drift, a wind-down and boosts while a giveaway runs; each arrival comes through a traffic channel
  (``feed`` biggest, ``promoted`` the paid share); dwell times are a heavy-tailed lognormal mixture (most views
  short, some very long; followers stay longer), and a few viewers re-enter;
* the room (:mod:`.viewing`): every view gets a ``viewer_leave`` unless it is still open at the end and is
  preceded by an ``impression`` of the same user on the same channel, among many impressions that never convert
  (enter-room rate per channel from ~4 % to ~25 %); viewer counts every ten seconds;
* engagement (:mod:`.engagement`): comments (seven languages, emoji, a little hostile text), like bursts,
  shares, follows and gifts inside views, scaled by a per-viewer propensity and lifted during giveaways;
* shopping (:mod:`.shopping`): each account has a catalogue of 5-20 products (:func:`product_catalogue`);
  pinned products get a pinned card (many more ``product_impression``), a higher click rate and a higher order
  rate while pinned; orders are ``created`` then mostly ``paid`` a few seconds later, some never paid, a few
  refunded later on; ``amount`` is exactly ``quantity x price`` (integer minor units, no floats);
* giveaways (:mod:`.giveaways`) and violations (:mod:`.violations`).

The mega session is the plan's choice, not its id's: :func:`simulate` with ``mega=True`` plans it with
:data:`MEGA_MODEL` and :data:`MEGA_EVENTS_MIN`; pass ``model=MEGA_MODEL`` to :func:`simulate_session` for the
same audience model.
"""

from __future__ import annotations

from liveboard.simulator.batch import simulate, write_simulation
from liveboard.simulator.catalogue import Product, product_catalogue
from liveboard.simulator.model import DEFAULT_MODEL, MEGA_MODEL, SessionModel
from liveboard.simulator.plan import (
    DEFAULT_NOW,
    MEGA_DURATION_S,
    MEGA_EVENTS_MIN,
    MEGA_SCALE,
    SessionPlan,
    plan_fleet,
)
from liveboard.simulator.session import simulate_plan, simulate_session
from liveboard.simulator.vocabulary import HOSTILE_TEXTS

#: The fleet planner under its old name (``tests/test_ids.py`` plans a big fleet with it).
_plan = plan_fleet

__all__ = [
    "DEFAULT_MODEL",
    "DEFAULT_NOW",
    "HOSTILE_TEXTS",
    "MEGA_DURATION_S",
    "MEGA_EVENTS_MIN",
    "MEGA_MODEL",
    "MEGA_SCALE",
    "Product",
    "SessionModel",
    "SessionPlan",
    "plan_fleet",
    "product_catalogue",
    "simulate",
    "simulate_plan",
    "simulate_session",
    "write_simulation",
]
