"""liveboard/queries.py: the SQL generated from the aggregates spells the queries it replaced."""

from __future__ import annotations

from liveboard import queries


def test_generated_sql_reads_as_before():
    """Spot checks that the generated pieces spell the hand-written SQL they replaced."""
    base = queries.SESSION_BASE
    assert "TRY_CAST(coalesce(sum(\"count\"::HUGEINT) FILTER (WHERE type = 'like'), 0) AS BIGINT) AS likes" in base
    assert "bool_or(type IN ('comment', 'like', 'share', 'follow', 'gift')) AS has_engaged_viewers" in base
    assert 'if(s.sku_orders IS NULL, 0, s.items_sold)::BIGINT AS "items_sold"' in base
    trend = queries.trend()
    assert "count(DISTINCT user_id) FILTER (WHERE type = 'follow') AS new_followers" in trend
    assert 'if(e.minute IS NULL, 0, e.gift_diamonds)::BIGINT AS "gift_diamonds"' in trend
