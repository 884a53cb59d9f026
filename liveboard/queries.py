"""Every SQL query of the product, in one place.

Queries read a relation named ``ev`` (events of :data:`liveboard.events.EVENT_SCHEMA`, already restricted
to the sessions at hand and de-duplicated by ``(session_id, id)``) and are written in portable SQL
(CTEs, window functions, ``FILTER``), so a distributed engine can run them over the same Parquet files.
The definitions follow event-log-v1 section 3; :mod:`liveboard.metrics` holds their names and labels.
"""

from __future__ import annotations

import re

from liveboard.aggregates import (
    AGGREGATE,
    SESSION_BASE_COLUMNS,
    event_aggregates,
    outer_sql,
    paid_aggregates,
    select_list,
    users_select,
)
from liveboard.events import PAID_CHANNELS
from liveboard.metrics import DERIVED, PRODUCT_DERIVED, SESSION_METRICS, TREND_COLUMNS, derived_select

MICROS = 1_000_000
#: A trend covers at most this many minutes from the start (48 h): a far-off but valid event never makes
#: it ask for years of rows; events beyond fall outside the trend, as events after the end do.
TREND_MAX_MINUTES = 48 * 60

#: Sums of integers (likes, items, diamonds × count) run in HUGEINT and come back as BIGINT, or null (an
#: unknown figure, not an error) beyond it: the reader's bounds keep real sessions far below that. In
#: ``session_summaries`` the HUGEINT is spelled out (and lists are measured with ``array_length``), so the
#: query means the same on Spark, whose own sum of BIGINT stays BIGINT (:mod:`liveboard.spark_engine`).

#: Shared building blocks: session bounds, order states, paid orders, views.
BASE_CTES = """
bounds AS (
    SELECT session_id,
           min(ts) FILTER (WHERE type = 'session_start') AS start,
           max(ts) FILTER (WHERE type = 'session_end') AS "end",
           min(ts) AS first_ts,
           max(ts) AS last_ts,
           coalesce(max(ts) FILTER (WHERE type = 'session_end'), max(ts)) AS close_ts,
           coalesce(min(ts) FILTER (WHERE type = 'session_start'), min(ts)) AS origin
    FROM ev GROUP BY session_id
),
order_states AS (
    SELECT * FROM (
        SELECT session_id, order_id, user_id, product_id, quantity, amount, status, attribution, ts, seq,
               row_number() OVER (PARTITION BY session_id, order_id ORDER BY ts DESC, seq DESC) AS rn
        FROM ev WHERE type = 'order'
    ) WHERE rn = 1
),
paid AS (SELECT * FROM order_states WHERE status IN ('paid', 'refunded')),
view_marks AS (
    SELECT session_id, user_id, type, ts, seq, channel,
           lead(ts) OVER (PARTITION BY session_id, user_id ORDER BY ts, seq) AS next_ts
    FROM ev WHERE type IN ('viewer_enter', 'viewer_leave')
),
views AS (
    SELECT m.session_id, m.user_id, m.channel,
           least(m.ts, b.close_ts) AS vstart,
           greatest(least(coalesce(m.next_ts, b.close_ts), b.close_ts), least(m.ts, b.close_ts)) AS vend,
           b.close_ts, b.origin
    FROM view_marks m JOIN bounds b USING (session_id)
    WHERE m.type = 'viewer_enter'
),
view_deltas AS (
    SELECT session_id, vstart AS t, 1 AS d FROM views WHERE vend > vstart
    UNION ALL
    SELECT session_id, vend AS t, -1 AS d FROM views WHERE vend > vstart
),
concurrency AS (
    SELECT session_id, max(open_views) AS pcu FROM (
        SELECT session_id,
               sum(d) OVER (PARTITION BY session_id ORDER BY t, d ROWS UNBOUNDED PRECEDING) AS open_views
        FROM view_deltas
    ) GROUP BY session_id
)
"""


def _secs(a: str, b: str) -> str:
    """Seconds from ``a`` to ``b`` as a double (portable: epoch microseconds difference)."""
    return f"((epoch_us({b}) - epoch_us({a})) / {MICROS}.0)"


def _sum_secs(a: str, b: str) -> str:
    """Σ seconds from ``a`` to ``b``, summed exactly in integer microseconds: a sum of doubles depends on
    the order the engine's threads add them in, and the same log must always give the same figure."""
    return f"(sum(greatest(epoch_us({b}) - epoch_us({a}), 0)) / {MICROS}.0)"


#: The plain aggregates of a session by the CTE that computes them (:mod:`liveboard.aggregates`).
_COUNTED = event_aggregates(users=False)
_USERS = event_aggregates(users=True)
_SOLD = paid_aggregates()
_USER_FLAGS, _USER_COUNTS = users_select(_USERS)
#: The columns of SESSION_BASE that are not plain aggregates, written once here.
_SESSION_FIGURES = {
    "session_id": "b.session_id",
    "title": "meta.title",
    "account_id": "meta.account_id",
    "live_event_id": "meta.live_event_id",
    "currency": "meta.currency",
    "start": "b.start",
    "end": 'b."end"',
    "duration_s": _secs("b.start", "b.close_ts"),
    "last_ts": "b.last_ts",
    "pcu": "coalesce(cc.pcu, 0)::BIGINT",
    "view_seconds": "coalesce(w.view_seconds, 0)",
    "late_order_updates": "coalesce(l.late_order_updates, 0)",
}


def _session_columns() -> str:
    """The SELECT list of SESSION_BASE in :data:`~liveboard.aggregates.SESSION_BASE_COLUMNS` order."""
    guard = next(a.name for a in _SOLD if a.kind == "count")
    cols = []
    for name in SESSION_BASE_COLUMNS:
        a = AGGREGATE.get(name)
        if a is None:
            expr = _SESSION_FIGURES[name]
        elif a in _COUNTED:
            expr = f"c.{name}"  # counts has a row per session (inner join)
        else:
            expr = outer_sql(a, "pp" if a in _USERS else "s", guard)
        cols.append(f'{expr} AS "{name}"')
    return ",\n       ".join(cols)


SESSION_BASE = f"""
WITH {BASE_CTES},
meta AS (
    SELECT * FROM (
        SELECT session_id, account_id, title, live_event_id, currency,
               row_number() OVER (PARTITION BY session_id ORDER BY ts, seq) AS rn
        FROM ev WHERE type = 'session_start'
    ) WHERE rn = 1
),
people AS (
    -- each user once per session, with what they did: one grouping instead of a distinct count per metric
    SELECT session_id,
           {_USER_COUNTS}
    FROM (
        SELECT session_id, user_id,
               {_USER_FLAGS}
        FROM ev WHERE user_id IS NOT NULL GROUP BY session_id, user_id
    ) GROUP BY session_id
),
counts AS (
    SELECT session_id,
           {select_list(_COUNTED)}
    FROM ev GROUP BY session_id
),
sales AS (
    SELECT session_id,
           {select_list(_SOLD)}
    FROM paid GROUP BY session_id
),
watch AS (
    SELECT session_id, {_sum_secs("vstart", "vend")} AS view_seconds FROM views GROUP BY session_id
),
late AS (
    SELECT o.session_id, count(*) AS late_order_updates
    FROM order_states o JOIN bounds b USING (session_id) WHERE o.ts > b."end" GROUP BY o.session_id
)
SELECT {_session_columns()}
FROM bounds b
JOIN counts c USING (session_id)
LEFT JOIN people pp USING (session_id)
LEFT JOIN meta USING (session_id)
LEFT JOIN sales s USING (session_id)
LEFT JOIN concurrency cc USING (session_id)
LEFT JOIN watch w USING (session_id)
LEFT JOIN late l USING (session_id)
"""


def session_summaries() -> str:
    """One row per session: identity, bounds, every base and derived metric of spec section 3."""
    return f"SELECT *, {derived_select()} FROM ({SESSION_BASE}) base ORDER BY start, session_id"


def _minute(ts: str, origin: str = "b.origin") -> str:
    return f"greatest(0, floor((epoch_us({ts}) - epoch_us({origin})) / {60 * MICROS}))::BIGINT"


#: The plain aggregates of the trend, per minute (every trend column but ``online``).
_TREND_EVENTS = event_aggregates(TREND_COLUMNS)
_TREND_SOLD = paid_aggregates(TREND_COLUMNS)


def _trend_columns() -> str:
    """The trend's plain aggregates in TREND_COLUMNS order; a minute without events or sales has 0."""
    cols = [
        f'{outer_sql(AGGREGATE[n], "e" if AGGREGATE[n] in _TREND_EVENTS else "s", "minute")} AS "{n}"'
        for n in TREND_COLUMNS
        if n in AGGREGATE
    ]
    return ",\n       ".join(cols)


def trend() -> str:
    """Per session and minute since start: counts, GMV and ``online`` (views open at the minute's end).

    ``online`` at the end of minute m counts views with ``vstart <= t`` and not yet closed at ``t``; views
    still open when the session closes count as online in its last minute.
    """
    return f"""
WITH {BASE_CTES},
minutes AS (
    SELECT b.session_id, b.origin, b.close_ts, m.minute
    FROM bounds b,
         LATERAL (SELECT range AS minute
                  FROM range(0, least({_minute("b.close_ts")}, {TREND_MAX_MINUTES - 1}) + 1)) m
),
ev_min AS (
    SELECT ev.session_id, {_minute("ev.ts")} AS minute,
           {select_list(_TREND_EVENTS)}
    FROM ev JOIN bounds b USING (session_id) GROUP BY ALL
),
sales_min AS (
    SELECT p.session_id, {_minute("p.ts")} AS minute,
           {select_list(_TREND_SOLD)}
    FROM paid p JOIN bounds b USING (session_id) GROUP BY ALL
),
starts_min AS (
    SELECT session_id, greatest(0, ceil((epoch_us(vstart) - epoch_us(origin)) / {60 * MICROS}) - 1)::BIGINT AS minute,
           count(*) AS n
    FROM views GROUP BY ALL
),
ends_min AS (
    SELECT session_id, greatest(0, ceil((epoch_us(vend) - epoch_us(origin)) / {60 * MICROS}) - 1)::BIGINT AS minute,
           count(*) AS n
    FROM views WHERE vend < close_ts GROUP BY ALL
)
SELECT m.session_id, m.minute,
       m.origin + to_microseconds(m.minute * {60 * MICROS}) AS ts,
       {_trend_columns()},
       (sum(coalesce(st.n, 0)) OVER w - sum(coalesce(en.n, 0)) OVER w)::BIGINT AS online
FROM minutes m
LEFT JOIN ev_min e USING (session_id, minute)
LEFT JOIN sales_min s USING (session_id, minute)
LEFT JOIN starts_min st USING (session_id, minute)
LEFT JOIN ends_min en USING (session_id, minute)
WINDOW w AS (PARTITION BY m.session_id ORDER BY m.minute ROWS UNBOUNDED PRECEDING)
ORDER BY m.session_id, m.minute
"""


PINS_CTE = """
pin_marks AS (
    SELECT session_id, type, product_id, name, price, ts, seq,
           lead(ts) OVER (PARTITION BY session_id ORDER BY ts, seq) AS next_pin_ts
    FROM ev WHERE type = 'product_pin'
),
pins AS (
    SELECT p.session_id, p.product_id, p.name, p.price, p.ts AS pin_start,
           least(coalesce(p.next_pin_ts, b.close_ts), b.close_ts,
                 coalesce((SELECT min(u.ts) FROM ev u
                           WHERE u.session_id = p.session_id AND u.type = 'product_unpin'
                             AND u.product_id = p.product_id AND (u.ts, u.seq) > (p.ts, p.seq)), b.close_ts)
           ) AS pin_end
    FROM pin_marks p JOIN bounds b USING (session_id)
)
"""


def pins() -> str:
    """Featured-product intervals: a pin lasts until its unpin, the next pin, or the end."""
    return f"""
WITH {BASE_CTES}, {PINS_CTE}
SELECT session_id, product_id, name, price::DECIMAL(38, 2) AS price, pin_start AS start,
       greatest(pin_end, pin_start) AS "end", greatest({_secs("pin_start", "pin_end")}, 0) AS featured_s
FROM pins ORDER BY session_id, start
"""


def products() -> str:
    """Per session and product: impressions, clicks, CTR, orders, items, GMV, CTOR and featured seconds."""
    return f"""
WITH {BASE_CTES}, {PINS_CTE},
catalog AS (
    SELECT session_id, product_id,
           arg_max(name, (ts, seq)) FILTER (WHERE name IS NOT NULL) AS name,
           arg_max(price, (ts, seq)) FILTER (WHERE price IS NOT NULL) AS price
    FROM ev WHERE product_id IS NOT NULL GROUP BY ALL
),
traffic AS (
    SELECT session_id, product_id,
           count(*) FILTER (WHERE type = 'product_impression') AS impressions,
           count(*) FILTER (WHERE type = 'product_click') AS clicks
    FROM ev WHERE type IN ('product_impression', 'product_click') GROUP BY ALL
),
sales AS (
    SELECT session_id, product_id, count(*) AS sku_orders, TRY_CAST(sum(quantity) AS BIGINT) AS items_sold,
           sum(amount) AS gmv
    FROM paid GROUP BY ALL
),
featured AS (
    SELECT session_id, product_id, {_sum_secs("pin_start", "pin_end")} AS featured_s,
           count(*) AS pins
    FROM pins GROUP BY ALL
),
ids AS (
    SELECT session_id, product_id FROM traffic UNION SELECT session_id, product_id FROM sales
    UNION SELECT session_id, product_id FROM featured
)
SELECT session_id, product_id, name, price, impressions, clicks, ctr, sku_orders, items_sold, gmv, ctor,
       featured_s, pins
FROM (
    SELECT *, {derived_select(PRODUCT_DERIVED)} FROM (
        SELECT i.session_id, i.product_id, c.name, c.price::DECIMAL(38, 2) AS price,
               coalesce(t.impressions, 0) AS impressions, coalesce(t.clicks, 0) AS clicks,
               coalesce(s.sku_orders, 0) AS sku_orders,
               if(s.sku_orders IS NULL, 0, s.items_sold)::BIGINT AS items_sold,
               coalesce(s.gmv, 0)::DECIMAL(38, 2) AS gmv,
               coalesce(f.featured_s, 0) AS featured_s, coalesce(f.pins, 0) AS pins
        FROM ids i
        LEFT JOIN catalog c USING (session_id, product_id)
        LEFT JOIN traffic t USING (session_id, product_id)
        LEFT JOIN sales s USING (session_id, product_id)
        LEFT JOIN featured f USING (session_id, product_id)
    ) base
)
ORDER BY session_id, gmv DESC, clicks DESC, product_id
"""


def channels() -> str:
    """Per session and traffic channel: impressions, views, distinct viewers, and GMV.

    Each paid order is credited to the channel of its buyer's latest ``viewer_enter`` at or before the
    order's time, or to ``unattributed``.
    """
    return f"""
WITH {BASE_CTES},
marks AS (
    SELECT session_id, user_id, ts, seq, 0 AS kind, channel, NULL::DECIMAL(24, 6) AS amount
    FROM ev WHERE type = 'viewer_enter'
    UNION ALL
    SELECT session_id, user_id, ts, seq, 1 AS kind, NULL AS channel, amount FROM paid
),
credited AS (
    SELECT session_id, amount,
           coalesce(last_value(channel IGNORE NULLS) OVER (
               PARTITION BY session_id, user_id ORDER BY ts, kind, seq ROWS UNBOUNDED PRECEDING), 'unattributed')
               AS channel
    FROM marks
),
sales AS (SELECT session_id, channel, sum(amount) AS gmv FROM credited WHERE amount IS NOT NULL GROUP BY ALL),
traffic AS (
    SELECT session_id, channel,
           count(*) FILTER (WHERE type = 'impression') AS impressions,
           count(*) FILTER (WHERE type = 'viewer_enter') AS views,
           count(DISTINCT user_id) FILTER (WHERE type = 'viewer_enter') AS viewers
    FROM ev WHERE type IN ('impression', 'viewer_enter') GROUP BY ALL
)
SELECT coalesce(t.session_id, s.session_id) AS session_id, coalesce(t.channel, s.channel) AS channel,
       CASE WHEN coalesce(t.channel, s.channel) IN ({", ".join(f"'{c}'" for c in PAID_CHANNELS)}) THEN 'promoted'
            WHEN coalesce(t.channel, s.channel) = 'unattributed' THEN 'unattributed'
            ELSE 'organic' END AS "group",
       coalesce(t.impressions, 0) AS impressions, coalesce(t.views, 0) AS views,
       coalesce(t.viewers, 0) AS viewers, coalesce(s.gmv, 0)::DECIMAL(38, 2) AS gmv
FROM traffic t FULL OUTER JOIN sales s USING (session_id, channel)
ORDER BY session_id, views DESC, channel
"""


def giveaways() -> str:
    """Per giveaway: times, prize, view/click UV, participants, winners and GMV of paid orders during it."""
    return f"""
WITH {BASE_CTES},
starts AS (
    SELECT session_id, giveaway_id, min(ts) AS start,
           arg_min(prize, ts) AS prize, arg_min(product_id, ts) AS product_id,
           arg_min(winners_planned, ts) AS winners_planned
    FROM ev WHERE type = 'giveaway_start' GROUP BY ALL
),
ends AS (
    SELECT session_id, giveaway_id, max(ts) AS "end", arg_max(winner_ids, (ts, seq)) AS winner_ids
    FROM ev WHERE type = 'giveaway_end' GROUP BY ALL
),
uv AS (
    SELECT session_id, giveaway_id,
           count(DISTINCT user_id) FILTER (WHERE type = 'giveaway_view') AS view_uv,
           count(DISTINCT user_id) FILTER (WHERE type = 'giveaway_click') AS click_uv,
           count(DISTINCT user_id) FILTER (WHERE type = 'giveaway_join') AS participants
    FROM ev WHERE type IN ('giveaway_view', 'giveaway_click', 'giveaway_join') GROUP BY ALL
),
g AS (
    SELECT s.*, e."end", e.winner_ids FROM starts s LEFT JOIN ends e USING (session_id, giveaway_id)
)
SELECT g.session_id, g.giveaway_id, g.prize, g.product_id, g.winners_planned, g.start, g."end",
       coalesce(uv.view_uv, 0) AS view_uv, coalesce(uv.click_uv, 0) AS click_uv,
       coalesce(uv.participants, 0) AS participants,
       len(g.winner_ids) AS winners, g.winner_ids,
       (SELECT coalesce(sum(p.amount), 0) FROM paid p
        WHERE p.session_id = g.session_id AND p.ts >= g.start
          AND p.ts <= coalesce(g."end", b.close_ts))::DECIMAL(38, 2) AS gmv_during
FROM g JOIN bounds b USING (session_id)
LEFT JOIN uv USING (session_id, giveaway_id)
ORDER BY g.session_id, g.start
"""


def audience() -> str:
    """Shares of follower status, gender, age and region over viewers and over paying customers.

    A viewer's profile is their first ``viewer_enter``; a missing field counts as ``unknown``.
    """
    return f"""
WITH {BASE_CTES},
profiles AS (
    SELECT session_id, user_id,
           arg_min(CASE WHEN is_follower THEN 'follower' ELSE 'non-follower' END, (ts, seq)) AS follower,
           arg_min(coalesce(gender, 'unknown'), (ts, seq)) AS gender,
           arg_min(coalesce(age, 'unknown'), (ts, seq)) AS age,
           arg_min(coalesce(region, 'unknown'), (ts, seq)) AS region
    FROM ev WHERE type = 'viewer_enter' GROUP BY ALL
),
buyers AS (SELECT DISTINCT session_id, user_id FROM paid),
people AS (
    SELECT 'viewers' AS audience, * FROM profiles
    UNION ALL
    SELECT 'customers' AS audience, b.session_id, b.user_id,
           coalesce(p.follower, 'unknown'), coalesce(p.gender, 'unknown'),
           coalesce(p.age, 'unknown'), coalesce(p.region, 'unknown')
    FROM buyers b LEFT JOIN profiles p USING (session_id, user_id)
),
long AS (
    UNPIVOT people ON follower, gender, age, region INTO NAME dimension VALUE value
)
SELECT session_id, audience, dimension, value, count(*) AS users,
       count(*) / sum(count(*)) OVER (PARTITION BY session_id, audience, dimension) AS share
FROM long GROUP BY session_id, audience, dimension, value
ORDER BY session_id, audience DESC, dimension, users DESC, value
"""


def comments() -> str:
    """Comments with their minute; text is untrusted and must be escaped by whoever shows it."""
    return f"""
WITH {BASE_CTES}
SELECT ev.session_id, ev.ts, {_minute("ev.ts")} AS minute, ev.user_id, ev.text
FROM ev JOIN bounds b USING (session_id) WHERE ev.type = 'comment'
ORDER BY ev.session_id, ev.ts, ev.seq
"""


def violations() -> str:
    return f"""
WITH {BASE_CTES}
SELECT ev.session_id, ev.ts, {_minute("ev.ts")} AS minute, ev.violation_id, ev.policy, ev.severity, ev.detail
FROM ev JOIN bounds b USING (session_id) WHERE ev.type = 'violation'
ORDER BY ev.session_id, ev.ts, ev.seq
"""


def markers() -> str:
    """Moments to mark on time axes: product features, giveaways, violations."""
    return f"""
WITH {BASE_CTES}
SELECT ev.session_id, ev.ts, {_minute("ev.ts")} AS minute,
       CASE ev.type WHEN 'product_pin' THEN 'product' WHEN 'giveaway_start' THEN 'giveaway'
                    ELSE 'violation' END AS kind,
       CASE ev.type WHEN 'product_pin' THEN coalesce(ev.name, ev.product_id)
                    WHEN 'giveaway_start' THEN ev.prize ELSE ev.policy END AS label,
       coalesce(ev.product_id, ev.giveaway_id, ev.violation_id) AS ref
FROM ev JOIN bounds b USING (session_id)
WHERE ev.type IN ('product_pin', 'giveaway_start', 'violation')
ORDER BY ev.session_id, ev.ts, ev.seq
"""


# ------------------------------------------------------------------ sessions known by their sources


def _rank_sql(rank: dict[str, int], column: str = "source") -> str:
    cases = " ".join(f"WHEN '{s}' THEN {r}" for s, r in rank.items())
    return f"CASE {column} {cases} ELSE 0 END"


def _best_source(table: str, rank: dict[str, int]) -> str:
    """CTEs ``mine`` (source rows of session ``$sid``) and ``best``: the source with rows in ``table``
    that ranks highest (the newest of its rows when one source linked two)."""
    return f"""
mine AS (SELECT source, source_key, version FROM source_summaries WHERE session_id = $sid),
best AS (
    SELECT m.source, m.source_key FROM mine m
    WHERE EXISTS (SELECT 1 FROM {table} x WHERE x.source = m.source AND x.source_key = m.source_key)
    ORDER BY {_rank_sql(rank, "m.source")} DESC, m.version DESC, m.source_key LIMIT 1
)"""


def source_trend(rank: dict[str, int], trend_columns: tuple[str, ...], extra: tuple[str, ...]) -> str:
    """The trend a source gave of session ``$sid`` (``$start``: its start), shaped like :func:`trend`:
    ``minute`` since the start (or the first interval, if earlier), ``ts`` the interval's start, the event trend's columns (null where the
    source gives none), the source's extra columns, ``interval_s`` and ``source``."""
    have = set(extra)
    cols = ", ".join(f'"{c}"' if c in have else f'NULL::BIGINT AS "{c}"' for c in trend_columns)
    more = ", ".join(f'"{c}"' for c in extra if c not in trend_columns)
    return f"""
WITH {_best_source("source_trends", rank)}
SELECT floor((epoch_us(t.t) - epoch_us(least(coalesce($start, min(t.t) OVER ()), min(t.t) OVER ())))
             / {60 * MICROS})::BIGINT AS minute,
       t.t AS ts, {cols}{", " + more if more else ""}, t.interval_s, t.source
FROM source_trends t JOIN best USING (source, source_key)
ORDER BY ts
"""


def source_products(rank: dict[str, int]) -> str:
    """The products a source gave of session ``$sid``, shaped like :func:`products` plus the source's
    ``customers``, ``created_sku_orders`` and ``source`` (no pins or prices: a source gives none)."""
    return f"""
WITH {_best_source("source_products", rank)}
SELECT product_id, name, NULL::DECIMAL(38, 2) AS price, impressions, clicks, {PRODUCT_DERIVED["ctr"]} AS ctr,
       sku_orders, items_sold, gmv, {PRODUCT_DERIVED["ctor"]} AS ctor, NULL::DOUBLE AS featured_s,
       NULL::BIGINT AS pins, customers, created_sku_orders, p.source
FROM source_products p JOIN best USING (source, source_key)
ORDER BY gmv DESC NULLS LAST, clicks DESC NULLS LAST, product_id
"""


def source_product_names(rank: dict[str, int]) -> str:
    """Product names any source of session ``$sid`` gave, the best-ranked source's name first."""
    return f"""
SELECT product_id, arg_max(name, {_rank_sql(rank, "p.source")}) AS name
FROM source_products p JOIN source_summaries s USING (source, source_key)
WHERE s.session_id = $sid AND name IS NOT NULL
GROUP BY product_id
"""


def session_gaps() -> str:
    """Where a recorder of session ``$sid`` saw nothing (reconnects, signer back-off)."""
    return """
SELECT g.gap_start, g.gap_end, g.reason, g.source
FROM gaps g JOIN source_summaries s USING (source, source_key)
WHERE s.session_id = $sid
ORDER BY g.gap_start, g.gap_end
"""


# ------------------------------------------------------------------ accounts (the agency view)

#: Figures of the accounts table summed over an account's sessions in the range:
#: name → (the session column, the SQL of its sum). A sum over sessions none of which has the figure is null.
ACCOUNT_SUMS: dict[str, tuple[str, str]] = {
    "hours_live": ("duration_s", "sum(duration_s) / 3600.0"),
    "gmv": ("gmv", "sum(gmv)::DECIMAL(38, 2)"),
    "items_sold": ("items_sold", "TRY_CAST(sum(items_sold) AS BIGINT)"),
    "viewers": ("viewers", "TRY_CAST(sum(viewers) AS BIGINT)"),
}
#: Rates of the accounts table, as SQL over session base figures: CTR and CTOR are the registry's own
#: definitions. Each is evaluated over the account's *summed* base figures — summed over the sessions that
#: have every base figure of that rate — never as an average of the sessions' rates.
ACCOUNT_RATES: dict[str, str] = {
    "gmv_per_hour": "round(gmv / NULLIF(duration_s / 3600.0, 0), 2)",
    "live_ctr": DERIVED["live_ctr"],
    "ctor": DERIVED["ctor"],
}
#: The accounts table's figures, in column order; each has ``<name>_prev`` and ``<name>_change`` too, and
#: each but ``sessions`` has ``<name>_sessions``: how many sessions have the figure ("N of M sessions").
ACCOUNT_METRICS = ("sessions", "hours_live", "gmv", "gmv_per_hour", "items_sold", "viewers", "live_ctr", "ctor")
#: Figures a chart of accounts over time can show (per day or week): the table's sums.
ACCOUNT_SERIES = ("sessions", "hours_live", "gmv", "items_sold", "viewers")
_SESSION_COLUMNS = frozenset(SESSION_METRICS) | {"view_seconds"}


def rate_bases(expr: str) -> tuple[str, ...]:
    """The session columns a rate's SQL reads (``product_clicks / NULLIF(views, 0)`` → product_clicks, views)."""
    return tuple(dict.fromkeys(t for t in re.findall(r"\b[a-z_]+\b", expr) if t in _SESSION_COLUMNS))


def _rate_over_sums(expr: str) -> tuple[str, str]:
    """``expr`` with each base column replaced by its sum over the sessions that have all its bases, and
    the condition saying which sessions those are."""
    bases = rate_bases(expr)
    have = " AND ".join(f"{b} IS NOT NULL" for b in bases)
    summed = re.sub(r"\b(" + "|".join(bases) + r")\b", lambda m: f"sum({m[1]}) FILTER (WHERE {have})", expr)
    return summed, have


def _account_figures() -> str:
    """The aggregate columns of one (account, currency, period) group: figures and how many sessions have each."""
    cols = ["count(*) AS sessions", "min(start) AS first_live", "max(start) AS last_live"]
    for name, (col, total) in ACCOUNT_SUMS.items():
        cols += [f"{total} AS {name}", f"count({col}) AS {name}_sessions"]
    for name, expr in ACCOUNT_RATES.items():
        summed, have = _rate_over_sums(expr)
        cols += [f"({summed})::DOUBLE AS {name}", f"count(*) FILTER (WHERE {have}) AS {name}_sessions"]
    return ",\n           ".join(cols)


def _start_between(lo: str | None, hi: str | None) -> str:
    """``start`` in [lo, hi) — either bound may be absent (``true`` without either)."""
    parts = ([f"start >= {lo}"] if lo else []) + ([f"start < {hi}"] if hi else [])
    return " AND ".join(parts) if parts else "true"


def accounts(*, since: bool, until: bool, previous: bool, search: bool) -> str:
    """One row per account and currency over the sessions of the catalog (view ``sessions``) starting in
    [``$since``, ``$until``): sessions, first and last LIVE, hours live, GMV, GMV per hour, items sold,
    viewers (each session's, added up), CTR and CTOR, with ``<figure>_sessions`` (how many sessions have
    the figure: missing is not zero), and, when ``previous``, ``<figure>_prev`` over [``$prev_since``,
    ``$prev_until``) and ``<figure>_change`` = (now − before) / before (null when the previous range has
    no such figure, or it is 0). Money is never added across currencies: an account with sessions in two
    currencies has a row per currency. ``search`` matches ``$search`` (an ILIKE pattern) in the account id.
    Only accounts with sessions in the range have a row.
    """
    current = _start_between("$since" if since else None, "$until" if until else None)
    before = _start_between("$prev_since", "$prev_until") if previous else "false"
    where = f"(({current}) OR ({before}))" + (" AND account_id ILIKE $search ESCAPE '\\'" if search else "")
    cols = ["account_id", "currency", "start"] + list(
        dict.fromkeys(
            [c for c, _ in ACCOUNT_SUMS.values()] + [b for e in ACCOUNT_RATES.values() for b in rate_bases(e)]
        )
    )
    prev, change = [], []
    for name in ACCOUNT_METRICS:
        p = f"p.{name}" if name != "sessions" or not previous else "coalesce(p.sessions, 0)"
        prev.append(f"{p} AS {name}_prev")
        change.append(f"((c.{name} - p.{name}) / NULLIF(p.{name}, 0))::DOUBLE AS {name}_change")
    counts = ", ".join(f"c.{n}_sessions" for n in ACCOUNT_METRICS if n != "sessions")
    return f"""
WITH scoped AS (
    SELECT {", ".join(cols)}, CASE WHEN {current} THEN 'cur' ELSE 'prev' END AS period
    FROM sessions WHERE {where}
),
agg AS (
    SELECT account_id, currency, period,
           {_account_figures()}
    FROM scoped GROUP BY account_id, currency, period
)
SELECT c.account_id, c.currency, c.sessions, c.first_live, c.last_live,
       {", ".join(f"c.{n}" for n in ACCOUNT_METRICS if n != "sessions")},
       {counts},
       {", ".join(prev)},
       {", ".join(change)}
FROM agg c
LEFT JOIN agg p ON p.period = 'prev' AND p.account_id IS NOT DISTINCT FROM c.account_id
                AND p.currency IS NOT DISTINCT FROM c.currency
WHERE c.period = 'cur'
ORDER BY c.account_id NULLS LAST, c.currency NULLS LAST
"""


def account_series(*, since: bool, until: bool, every: str) -> str:
    """Per account (of ``$accounts``), currency and ``every`` ('day' or 'week', weeks from Monday, UTC):
    the accounts table's sums over the sessions starting in that period (and in [``$since``, ``$until``))."""
    if every not in ("day", "week"):
        raise ValueError(f"every must be 'day' or 'week', not {every!r}")
    where = _start_between("$since" if since else None, "$until" if until else None)
    sums = ",\n       ".join(f"{total} AS {name}" for name, (_col, total) in ACCOUNT_SUMS.items())
    return f"""
SELECT account_id, currency, date_trunc('{every}', start) AS period, count(*) AS sessions,
       {sums}
FROM sessions
WHERE start IS NOT NULL AND account_id IN (SELECT unnest($accounts)) AND {where}
GROUP BY account_id, currency, date_trunc('{every}', start)
ORDER BY account_id, currency, period
"""
