"""Giveaways: the start with its prize, who sees, clicks and joins it, and the end with its winners.

The script decides when they run (:mod:`.script`); here the viewers in the room during one take part in turn,
and the winners are drawn among those who joined.
"""

from __future__ import annotations

import numpy as np

from liveboard.simulator.audience import Views
from liveboard.simulator.draft import SessionDraft
from liveboard.simulator.randomness import lognormal
from liveboard.simulator.script import Script
from liveboard.simulator.shopping import Products
from liveboard.simulator.vocabulary import PRIZES

VOUCHER_PRIZES = ("Shop voucher", "Gift card")  # ... worth a value in the local currency
VOUCHER_USD = (10, 20, 50, 100)
WINNERS_PLANNED = (1, 6)  # uniform in [1, 6)
SEE_AFTER_S = (0.5, 8.0)  # a viewer sees the giveaway this long after it starts (or after entering)
CLICK_DELAY = (4.0, 0.5)  # lognormal seconds after seeing it, after 0.5 s
JOIN_DELAY = (3.0, 0.5)  # lognormal seconds after clicking, after 0.5 s


def add_giveaways(draft: SessionDraft, views: Views, script: Script, products: Products) -> None:
    """All events of every giveaway of the script, one giveaway after the other."""
    for index, (start, end) in enumerate(script.giveaways):
        giveaway_code = draft.events.strings("giveaway_id", [f"gw-{draft.tag}-{index + 1}"])
        planned = _add_start(draft, script, products, giveaway_code, start)
        _add_participants_and_end(draft, views, giveaway_code, start, end, planned)


def _prize(draft: SessionDraft, script: Script, products: Products) -> tuple[str, int]:
    """(prize, product_id code or -1): mostly a featured product, else a voucher, a box, a card..."""
    rng = draft.rng
    if rng.random() < draft.model.product_prize_share:
        product = int(rng.choice(script.featured))
        return f"Free {draft.catalogue[product].name}", products.first_id_code + product
    prize = str(PRIZES[int(rng.integers(len(PRIZES)))])
    if prize in VOUCHER_PRIZES:
        value = int(rng.choice(list(VOUCHER_USD))) * int(max(draft.market.units_per_usd, 1))
        prize = f"{prize} {value} {draft.plan.currency}"
    return prize, -1


def _add_start(draft: SessionDraft, script: Script, products: Products, giveaway_code: int, start: float) -> int:
    """The ``giveaway_start`` event; returns the number of winners planned."""
    prize, prize_product = _prize(draft, script, products)
    planned = int(draft.rng.integers(*WINNERS_PLANNED))
    draft.events.add(
        "giveaway_start",
        draft.to_us(np.array([start])),
        giveaway_id=np.array([giveaway_code]),
        prize=np.array([draft.events.strings("prize", [prize])]),
        product_id=np.array([prize_product]),
        winners_planned=np.array([planned]),
    )
    return planned


def _add_participants_and_end(
    draft: SessionDraft, views: Views, giveaway_code: int, start: float, end: float, planned: int
) -> None:
    """Views, clicks and joins of the viewers in the room, then the end with winners among those who joined."""
    rng, model, events = draft.rng, draft.model, draft.events
    seen = np.flatnonzero((views.enter < end) & (views.end > start))
    seen = seen[rng.random(seen.size) < model.giveaway_view_share]
    seen_time = np.maximum(views.enter[seen], start) + rng.uniform(*SEE_AFTER_S, seen.size)
    seen, seen_time = _before(views, seen, seen_time, end)
    events.add(
        "giveaway_view", draft.to_us(seen_time), giveaway_id=np.full(seen.size, giveaway_code), user_id=views.user[seen]
    )
    clicked = rng.random(seen.size) < model.giveaway_click_share
    click, click_time = seen[clicked], seen_time[clicked] + 0.5 + lognormal(rng, *CLICK_DELAY, int(clicked.sum()))
    click, click_time = _before(views, click, click_time, end)
    events.add(
        "giveaway_click",
        draft.to_us(click_time),
        giveaway_id=np.full(click.size, giveaway_code),
        user_id=views.user[click],
    )
    joined = rng.random(click.size) < model.giveaway_join_share
    join, join_time = click[joined], click_time[joined] + 0.5 + lognormal(rng, *JOIN_DELAY, int(joined.sum()))
    join, join_time = _before(views, join, join_time, end)
    events.add(
        "giveaway_join", draft.to_us(join_time), giveaway_id=np.full(join.size, giveaway_code), user_id=views.user[join]
    )
    pool = np.unique(views.user[join])
    winners = rng.choice(pool, size=min(planned, pool.size), replace=False) if pool.size else pool
    winner_list = events.winners([f"u{number}" for number in winners.tolist()])
    events.add(
        "giveaway_end",
        draft.to_us(np.array([end])),
        giveaway_id=np.array([giveaway_code]),
        winner_list=np.array([winner_list]),
    )


def _before(views: Views, view: np.ndarray, time: np.ndarray, end: float) -> tuple[np.ndarray, np.ndarray]:
    """The (view, time) pairs before both the view's end and the giveaway's end."""
    in_time = time < np.minimum(views.end[view], end)
    return view[in_time], time[in_time]
