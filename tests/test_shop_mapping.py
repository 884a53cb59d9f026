"""Tests of liveboard/shop_mapping.py: the Shop API's sessions, minutes and products as rows and tables."""

from __future__ import annotations

import datetime as dt

from shop_helpers import fetch


def test_mapping_of_sessions_minutes_and_products(fake):
    lives = list(fake.lives.values())
    lives[7].ended = False  # still live: summary only, asked again at the next sync
    fetched, _ = fetch(fake)
    assert fetched.live == {lives[7].id} and fetched.summaries[lives[7].id]["end"] is None
    assert not any(lives[7].id in r.path for r in fake.requests)
    assert fetched.latest_available == "2026-12-01"
    official, affiliate = lives[0], lives[6]
    assert affiliate.affiliate and not official.affiliate
    s = fetched.summaries[official.id]
    assert s["account_id"] == "mayshop.my" and fetched.summaries[lives[1].id]["account_id"] == "beauty.hub"
    assert s["start"] == dt.datetime.fromtimestamp(official.start, dt.UTC)
    assert s["duration_s"] == 60 * len(official.minutes)
    assert s["gmv"] == official.total("gmv") and s["currency"] == "MYR"
    assert s["views"] == official.total("views") and s["avg_view_duration_s"] == 46.0
    assert s["ctor"] is None  # recomputed from the counts by the store
    # items_sold under each of its three names
    for live in lives[:3]:
        assert fetched.summaries[live.id]["items_sold"] == live.total("items_sold"), live.items_key
    # direct GMV = the products' direct GMV
    assert s["direct_gmv"] == sum(p["direct_gmv"] for p in official.products)
    assert s["direct_gmv"] < s["gmv"]
    # affiliates: interaction figures unknown, not 0; the rate kept since its counts are unknown
    a = fetched.summaries[affiliate.id]
    for name in ("views", "viewers", "pcu", "acu", "comments", "likes", "product_clicks", "avg_view_duration_s"):
        assert a[name] is None, name
    assert a["gmv"] == affiliate.total("gmv") and a["ctor"] is not None and 0 <= a["ctor"] <= 1
    assert affiliate.id in fetched.affiliates and affiliate.id not in fetched.trends
    # minutes: all pages (40 per page), 60 s each
    trend = sorted(fetched.trends[official.id], key=lambda r: r["t"])
    assert len(trend) == len(official.minutes) > 40
    assert {r["interval_s"] for r in trend} == {60}
    assert sum(r["gmv"] for r in trend) == official.total("gmv")
    assert trend[5]["likes"] == official.minutes[5]["likes"]
    assert trend[5]["impressions"] == official.minutes[5]["impressions"]
    # products: clicks are produt_clicks, never add_to_cart_count
    products = {p["product_id"]: p for p in fetched.products[official.id]}
    for p in official.products:
        assert products[p["id"]]["clicks"] == p["clicks"] != p["add_to_cart"]
        assert products[p["id"]]["name"] == p["name"] and products[p["id"]]["gmv"] == p["direct_gmv"]
    tables = fetched.summary_table(), fetched.trend_table(), fetched.product_table()
    detailed = [v for v in lives if not v.affiliate and v.ended]
    assert [t.num_rows for t in tables] == [
        8,
        sum(len(v.minutes) for v in detailed),
        sum(len(v.products) for v in detailed),
    ]
