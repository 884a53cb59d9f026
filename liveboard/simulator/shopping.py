"""The shop in the room: pins, product impressions, clicks and orders (created, paid, refunded).

The pinned product gets a pinned card: many more impressions, and more clicks and orders per impression.
Orders are ``created`` then mostly ``paid`` a few seconds later, some never paid, a few refunded later on;
``amount`` is exactly ``quantity x price`` (integer minor units, no floats).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from liveboard.simulator.audience import Views
from liveboard.simulator.draft import SessionDraft
from liveboard.simulator.randomness import events_in_views, lognormal, pick_by_weights
from liveboard.simulator.script import Script

MAX_SHARE = 0.9  # a click or order probability never exceeds this, however keen the buyer
CLICK_DELAY = (3.0, 0.6)  # lognormal seconds after the impression, after 0.3 s
ORDER_DELAY = (35.0, 0.7)  # lognormal seconds after the click, after 3 s
PAY_DELAY = (6.0, 0.6)  # lognormal seconds after the order, after 1 s
REFUND_AFTER_S = (60, 1500)
QUANTITY_WEIGHTS = (0.74, 0.17, 0.05, 0.025, 0.015)  # 1..5 of a product
ORDER_ID_BASE = 576_000_000_000_000_000
ORDER_STATUSES = ("created", "paid", "refunded")
ATTRIBUTIONS = ("direct", "indirect")


@dataclass(frozen=True)
class Products:
    """The catalogue as event codes: the first product_id and name codes, and the prices in minor units."""

    first_id_code: int
    first_name_code: int
    prices: np.ndarray


def add_pins(draft: SessionDraft, script: Script) -> Products:
    """Register the catalogue; ``product_pin`` and ``product_unpin`` events as the script has them."""
    events, catalogue = draft.events, draft.catalogue
    products = Products(
        first_id_code=events.strings("product_id", [p.product_id for p in catalogue]),
        first_name_code=events.strings("name", [p.name for p in catalogue]),
        prices=np.array([p.price_minor for p in catalogue], dtype=np.int64),
    )
    if script.pins:
        pin_time = np.array([time for time, _product in script.pins])
        pinned = np.array([product for _time, product in script.pins])
        events.add(
            "product_pin",
            draft.to_us(pin_time),
            product_id=products.first_id_code + pinned,
            name=products.first_name_code + pinned,
            price=products.prices[pinned],
        )
    if script.unpins:
        events.add(
            "product_unpin",
            draft.to_us(np.array([time for time, _product in script.unpins])),
            product_id=products.first_id_code + np.array([product for _time, product in script.unpins]),
        )
    return products


def add_shopping(draft: SessionDraft, views: Views, script: Script, products: Products) -> None:
    """Product impressions, then the clicks among them, then the orders among the clicks."""
    impressions = _add_product_impressions(draft, views, script, products)
    clicks = _add_clicks(draft, views, impressions, products)
    _add_orders(draft, views, clicks, products)


@dataclass(frozen=True)
class _Looks:
    """Impressions or clicks: the view, the time, the product and whether it was the pinned card."""

    view: np.ndarray
    time: np.ndarray
    product: np.ndarray
    pinned_card: np.ndarray


def _add_product_impressions(draft: SessionDraft, views: Views, script: Script, products: Products) -> _Looks:
    """Impressions of the catalogue by popularity, and of the pinned card while a product is pinned."""
    rng, model = draft.rng, draft.model
    catalogue_rate, card_rate = model.product_impressions_per_s, model.pinned_card_impressions_per_s
    view, time = events_in_views(
        rng, views.enter, views.end, (catalogue_rate + card_rate) * (0.6 + 0.4 * np.minimum(views.buying, 3.0))
    )
    pinned_now = script.pinned_by_second[np.minimum(time.astype(np.int64), draft.duration_s - 1)]
    # one draw thins the combined rate: below card_rate a pinned card (none when nothing is pinned)
    uniform = rng.random(view.size) * (catalogue_rate + card_rate)
    keep = (pinned_now >= 0) | (uniform >= card_rate)
    view, time, pinned_now, uniform = view[keep], time[keep], pinned_now[keep], uniform[keep]
    pinned_card = (pinned_now >= 0) & (uniform < card_rate)
    product = np.where(pinned_card, pinned_now, pick_by_weights(rng.random(view.size), script.popularity))
    draft.events.add(
        "product_impression",
        draft.to_us(time),
        user_id=views.user[view],
        product_id=products.first_id_code + product,
    )
    return _Looks(view, time, product, pinned_card)


def _add_clicks(draft: SessionDraft, views: Views, impressions: _Looks, products: Products) -> _Looks:
    rng, model = draft.rng, draft.model
    share = np.where(impressions.pinned_card, model.pinned_click_share, model.click_share)
    clicked = rng.random(impressions.view.size) < np.minimum(share * views.buying[impressions.view], MAX_SHARE)
    view, product, pinned_card = (
        impressions.view[clicked],
        impressions.product[clicked],
        impressions.pinned_card[clicked],
    )
    time = impressions.time[clicked] + 0.3 + lognormal(rng, *CLICK_DELAY, view.size)
    inside = time < views.end[view]
    clicks = _Looks(view[inside], time[inside], product[inside], pinned_card[inside])
    draft.events.add(
        "product_click",
        draft.to_us(clicks.time),
        user_id=views.user[clicks.view],
        product_id=products.first_id_code + clicks.product,
    )
    return clicks


def _add_orders(draft: SessionDraft, views: Views, clicks: _Looks, products: Products) -> None:
    """Each order's ``created`` event, then ``paid`` for most, then ``refunded`` for a few."""
    rng, model, duration_s, events = draft.rng, draft.model, draft.duration_s, draft.events
    share = np.where(clicks.pinned_card, model.pinned_order_share, model.order_share)
    bought = rng.random(clicks.view.size) < np.minimum(share * views.buying[clicks.view], MAX_SHARE)
    view, product = clicks.view[bought], clicks.product[bought]
    time = clicks.time[bought] + 3.0 + lognormal(rng, *ORDER_DELAY, int(bought.sum()))
    in_time = time < duration_s - 2
    view, product, time = view[in_time], product[in_time], time[in_time]
    count = view.size
    quantity = 1 + pick_by_weights(rng.random(count), QUANTITY_WEIGHTS)
    amount = quantity * products.prices[product]
    attribution = np.where(rng.random(count) < model.direct_share, 0, 1)
    order_ids = ORDER_ID_BASE + rng.choice(10**15, size=count, replace=False)
    first_order_code = events.strings("order_id", [str(x) for x in order_ids.tolist()])
    events.strings("status", ORDER_STATUSES)
    events.strings("attribution", ATTRIBUTIONS)
    paid_time = time + 1.0 + lognormal(rng, *PAY_DELAY, count)
    is_paid = (rng.random(count) >= model.unpaid_share) & (paid_time < duration_s - 1)
    refund_time = paid_time + rng.uniform(*REFUND_AFTER_S, count)
    is_refunded = is_paid & (rng.random(count) < model.refund_share) & (refund_time < duration_s - 1)
    by_status = [np.arange(count), np.flatnonzero(is_paid), np.flatnonzero(is_refunded)]
    rows = np.concatenate(by_status)
    status = np.concatenate([np.full(len(orders), code) for code, orders in enumerate(by_status)])
    events.add(
        "order",
        draft.to_us(np.concatenate([time, paid_time[is_paid], refund_time[is_refunded]])),
        order_id=first_order_code + rows,
        user_id=views.user[view[rows]],
        product_id=products.first_id_code + product[rows],
        quantity=quantity[rows],
        amount=amount[rows],
        status=status,
        attribution=attribution[rows],
    )
