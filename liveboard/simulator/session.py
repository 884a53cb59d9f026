"""One session: its plan drawn through the phases, in order, into one table of EVENT_SCHEMA.

The phases are the script (pins, giveaways), the audience (who comes, how long they stay), the room's events
(enters and leaves, impressions), engagement, shopping, giveaways, violations, viewer counts, then the start and
end. Each draws from the session's one random stream in turn, so their order is part of the output.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pyarrow as pa

from liveboard.simulator.audience import draw_views
from liveboard.simulator.draft import SessionDraft
from liveboard.simulator.engagement import add_engagement
from liveboard.simulator.giveaways import add_giveaways
from liveboard.simulator.model import DEFAULT_MODEL, SessionModel
from liveboard.simulator.plan import SessionPlan
from liveboard.simulator.randomness import stable_hash
from liveboard.simulator.script import draw_script
from liveboard.simulator.shopping import add_pins, add_shopping
from liveboard.simulator.viewing import add_impressions, add_view_events, add_viewer_counts
from liveboard.simulator.violations import add_violations
from liveboard.simulator.vocabulary import default_title


def simulate_session(
    session_id: str,
    account_id: str,
    start: datetime,
    duration_s: int,
    *,
    seed: int,
    title: str | None = None,
    live_event_id: str | None = None,
    currency: str = "USD",
    scale: float = 1.0,
    end_event: bool = True,
    model: SessionModel = DEFAULT_MODEL,
) -> pa.Table:
    """All events of one LIVE session, sorted by ``ts``, ``seq`` = 0..n-1, as a table of EVENT_SCHEMA.

    ``scale`` multiplies the audience (scale 1 gives a few tens of thousands of events an hour); ``model`` holds
    the rates (:data:`~liveboard.simulator.model.MEGA_MODEL` for a session exactly as big as its scale). The same
    arguments always give the same table.
    """
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError("start must be timezone-aware")
    duration_s = int(duration_s)
    if duration_s < 60:
        raise ValueError("duration_s must be at least 60 seconds")
    if scale <= 0:
        raise ValueError("scale must be positive")
    plan = SessionPlan(
        session_id=session_id,
        account_id=account_id,
        currency=currency,
        start=start,
        duration_s=duration_s,
        title=title,
        live_event_id=live_event_id,
        scale=scale,
        model=model,
    )
    return draw_session(plan, seed=seed, end_event=end_event)


def simulate_plan(plan: SessionPlan, *, seed: int) -> pa.Table:
    """The planned session; drawn again with a larger audience while it has fewer than ``plan.min_events``.

    Rare (a quiet draw of the mega session), and still deterministic: the next draw's scale follows from the
    last one's size.
    """
    table: pa.Table | None = None
    scale = plan.scale
    while table is None or table.num_rows < plan.min_events:
        if table is not None:
            scale *= 1.05 * plan.min_events / table.num_rows
        table = simulate_session(
            plan.session_id,
            plan.account_id,
            plan.start,
            plan.duration_s,
            seed=seed,
            title=plan.title,
            live_event_id=plan.live_event_id,
            currency=plan.currency,
            scale=scale,
            model=plan.model,
        )
    return table


def draw_session(plan: SessionPlan, *, seed: int, end_event: bool = True) -> pa.Table:
    """The phases in the order of their draws (checked arguments: see :func:`simulate_session`)."""
    draft = SessionDraft(plan, seed)
    script = draw_script(draft)
    views = draw_views(draft, script)
    add_view_events(draft, views)
    add_impressions(draft, views)
    add_engagement(draft, views, script)
    products = add_pins(draft, script)
    add_shopping(draft, views, script, products)
    add_giveaways(draft, views, script, products)
    add_violations(draft)
    add_viewer_counts(draft, views)
    _add_start_and_end(draft, end_event)
    return draft.events.build(plan.session_id, stable_hash("ids", seed, plan.session_id))


def _add_start_and_end(draft: SessionDraft, end_event: bool) -> None:
    """``session_start`` (account, title, LIVE event, currency) and, unless still running, ``session_end``."""
    plan, events = draft.plan, draft.events
    title = plan.title if plan.title is not None else default_title(draft.rng, plan.start)
    live_event = events.strings("live_event_id", [plan.live_event_id]) if plan.live_event_id else -1
    events.add(
        "session_start",
        np.array([draft.start_us]),
        account_id=np.array([events.strings("account_id", [plan.account_id])]),
        title=np.array([events.strings("title", [title])]),
        live_event_id=np.array([live_event]),
        currency=np.array([events.strings("currency", [plan.currency])]),
    )
    if end_event:
        events.add("session_end", np.array([draft.end_us]))
