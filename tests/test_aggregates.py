"""liveboard/aggregates.py: the plain aggregates are the registry's formulas and the summary's base columns."""

from __future__ import annotations

from liveboard import metrics
from liveboard.aggregates import AGGREGATE, AGGREGATES, SESSION_BASE_COLUMNS
from liveboard.live import codes


def test_plain_metrics_take_their_formula_from_the_aggregate():
    for m in metrics.METRICS:
        if m.name in AGGREGATE:
            assert m.formula == AGGREGATE[m.name].formula, m.name
    assert AGGREGATE["gift_diamonds"].formula == "Σ diamonds × count over gift"
    assert AGGREGATE["direct_gmv"].formula == "Σ amount over paid orders with attribution = direct"


def test_session_base_columns_hold_every_aggregate_once():
    assert len(set(SESSION_BASE_COLUMNS)) == len(SESSION_BASE_COLUMNS)
    assert {a.name for a in AGGREGATES} <= set(SESSION_BASE_COLUMNS)
    assert codes.SUMMARY_BASE_COLUMNS == SESSION_BASE_COLUMNS
    base = {m.name for m in metrics.METRICS if not m.derived}
    assert base <= set(SESSION_BASE_COLUMNS)


def test_trend_columns_are_aggregates_but_online():
    assert [c for c in metrics.TREND_COLUMNS if c not in AGGREGATE] == ["online"]


def test_every_user_count_maps_its_users_in_the_fold():
    for a in AGGREGATES:
        if a.of_users and a.over == "events":
            assert set(a.types) <= set(codes.USER_TYPES), a.name
