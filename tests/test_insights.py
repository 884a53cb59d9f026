"""liveboard/insights.py: the tips as rules on plain DataFrames, each with the numbers behind it."""

from __future__ import annotations

import math

import pandas as pd

from liveboard import insights


def products(**over) -> pd.DataFrame:
    base = {
        "product_id": ["p1", "p2", "p3"],
        "name": ["Star serum", "Lure lipstick", "Plain soap"],
        "impressions": [1000, 1000, 1000],
        "clicks": [200, 200, 50],
        "ctr": [0.2, 0.2, 0.05],
        "sku_orders": [60, 5, 10],
        "ctor": [0.3, 0.025, 0.2],
        "featured_s": [900.0, 600.0, 300.0],
    }
    return pd.DataFrame(base | over)


def test_product_tips_judge_products_against_the_sessions_median():
    tips = insights.product_tips(products())
    assert [(t.kind, t.subject) for t in tips] == [("extend_display", "p1"), ("giveaway_or_explain", "p2")]
    assert tips[0].title == "Star serum: high CTR and CTOR" and tips[1].severity == "warning"
    assert tips[1].evidence["CTOR"] == "2.50% (median 20.00%)"
    assert "CTR 20.00% (median 20.00%)" in tips[1].evidence_text()


def test_products_shown_too_little_are_not_judged():
    few = products(impressions=[1000, insights.MIN_IMPRESSIONS - 1, 1000], clicks=[200, 200, 5])
    assert insights.product_tips(few) == []


def test_compare_to_average_skips_missing_values_and_other_currencies():
    sessions = pd.DataFrame(
        {"gmv": [100.0, 300.0, 10_000.0, None], "views": [10, 30, 50, None], "currency": ["USD", "USD", "THB", "USD"]}
    )
    session = pd.Series({"gmv": 250.0, "views": 40, "currency": "USD"})
    got = insights.compare_to_average(session, sessions, ["gmv", "views"]).set_index("metric")
    assert got.loc["gmv", "average"] == 200.0  # USD sessions only, the missing one not counted as 0
    assert got.loc["gmv", "diff"] == 50.0 and got.loc["gmv", "diff_pct"] == 0.25
    assert got.loc["views", "average"] == 30.0  # not money: every session
    missing = insights.compare_to_average(pd.Series({"gmv": None, "currency": "USD"}), sessions, ["gmv"])
    assert math.isnan(missing.loc[0, "diff"])


def test_event_impact_compares_the_minutes_after_a_feature_with_those_before():
    trend = pd.DataFrame({"minute": range(10), "gmv": [1.0] * 5 + [3.0] * 5, "online": [10.0] * 5 + [20.0] * 5})
    markers = pd.DataFrame(
        {"minute": [5, 7], "ts": [pd.Timestamp("2026-03-01 12:05")] * 2, "kind": ["product", "violation"]}
        | {"label": ["p1", "x"]}
    )
    got = insights.event_impact(trend, markers)
    assert len(got) == 1  # a violation is not a feature
    row = got.iloc[0]
    assert (row.gmv_before, row.gmv_after, row.gmv_change) == (1.0, 3.0, 2.0)
    assert row.online_change == 10.0
    assert insights.event_impact(trend, markers.iloc[0:0]).empty


def test_live_alerts_warn_when_gmv_falls_while_traffic_holds():
    minutes = pd.date_range("2026-03-01 12:00", periods=11, freq="min", tz="UTC")
    trend = pd.DataFrame({"ts": minutes, "gmv": [10.0] * 5 + [2.0] * 6, "views": [5.0] * 11})
    empty = pd.DataFrame(columns=["giveaway_id", "prize", "start", "end", "gmv_during", "participants"])
    [tip] = insights.live_alerts(trend, empty, products().iloc[0:0])
    assert tip.kind == "gmv_drop" and tip.severity == "warning"
    assert tip.evidence["views/min"] == "5.0 (was 5.0)"
    steady = trend.assign(gmv=[10.0] * 11)
    assert insights.live_alerts(steady, empty, products().iloc[0:0]) == []


def test_violation_advice_reads_policy_names_as_spelt_anywhere():
    assert insights.violation_advice("Misleading-Claim") == insights.VIOLATION_ADVICE["misleading_claim"]
    assert insights.violation_advice("something new").startswith("Read the policy")
