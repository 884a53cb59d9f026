"""Tests of liveboard/shop_fields.py: each bad field of the Shop API is named and reads as unknown."""

from __future__ import annotations

from fake_shop import DELETE
from shop_helpers import fetch, ids

from liveboard.shop_sync import PRODUCTS_PATH, SESSIONS_PATH


def test_bad_fields_are_named_and_the_rest_goes_on(fake):
    a, b, c, d = ids(fake)[:4]
    fake.lives[a].patches.append(("sales_performance.gmv.amount", "abc"))
    fake.lives[b].patches.append(("username", DELETE))
    fake.lives[c].product_patches.append((0, "traffic.produt_clicks", {"n": 1}))
    fake.lives[d].patches.append(("interaction_performance.views", -4))
    fetched, _ = fetch(fake)
    text = "\n".join(map(str, fetched.problems))
    assert (
        f"{SESSIONS_PATH}, session {a}: field sales_performance.gmv.amount: an amount was expected, got 'abc'" in text
    )
    assert f"session {b}: field username: missing" in text
    assert f"{PRODUCTS_PATH}, session {c}: field products[0].traffic.produt_clicks: a whole number was expected" in text
    assert f"session {d}: field interaction_performance.views: a count cannot be negative" in text
    assert fetched.summaries[a]["gmv"] is None and fetched.summaries[a]["items_sold"] is not None
    assert b not in fetched.summaries
    assert fetched.summaries[d]["views"] is None
    assert len(fetched.summaries) == 7 and len(fetched.trends) == 6  # 8 sessions, 1 affiliate, 1 left out
