"""The glossary page and the plain aggregates: docs/metrics.md is the registry's, and the registry is whole."""

from __future__ import annotations

from pathlib import Path

from liveboard import metrics, queries
from liveboard.aggregates import AGGREGATE, AGGREGATES, SESSION_BASE_COLUMNS
from liveboard.live import codes

ROOT = Path(__file__).resolve().parents[1]


def test_committed_glossary_is_the_generated_one():
    committed = (ROOT / metrics.GLOSSARY_PATH).read_text(encoding="utf-8")
    assert committed == metrics.glossary_markdown(), (
        f"{metrics.GLOSSARY_PATH} differs from the registry: regenerate it with `{metrics.GLOSSARY_COMMAND}`"
    )


def test_glossary_lists_every_metric_once():
    rows = [line for line in metrics.glossary_markdown().splitlines() if line.startswith("| `")]
    assert [r.split("`")[1] for r in rows] == list(metrics.SESSION_METRICS)


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


def test_generated_sql_reads_as_before():
    """Spot checks that the generated pieces spell the hand-written SQL they replaced."""
    base = queries.SESSION_BASE
    assert "TRY_CAST(coalesce(sum(\"count\"::HUGEINT) FILTER (WHERE type = 'like'), 0) AS BIGINT) AS likes" in base
    assert "bool_or(type IN ('comment', 'like', 'share', 'follow', 'gift')) AS has_engaged_viewers" in base
    assert 'if(s.sku_orders IS NULL, 0, s.items_sold)::BIGINT AS "items_sold"' in base
    trend = queries.trend()
    assert "count(DISTINCT user_id) FILTER (WHERE type = 'follow') AS new_followers" in trend
    assert 'if(e.minute IS NULL, 0, e.gift_diamonds)::BIGINT AS "gift_diamonds"' in trend
