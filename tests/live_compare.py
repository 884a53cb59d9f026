"""Helpers for comparing the live state with the batch SQL (used by tests/test_live_*.py and the benchmark)."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from liveboard import queries

#: Columns summed as doubles by the SQL (and as integer microseconds by the live state).
FLOAT_SUMS = {"view_seconds", "acu", "avg_view_duration_s", "featured_s"}


def sql_frames(events: pa.Table) -> dict[str, pd.DataFrame]:
    """What LIVE Analytics computes from these events (de-duplicated by id as the store does)."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.register("raw", events)
    con.execute(
        "CREATE TEMP TABLE ev AS SELECT * EXCLUDE (rn) FROM (SELECT *, row_number() OVER "
        "(PARTITION BY session_id, id ORDER BY seq) AS rn FROM raw) WHERE rn = 1"
    )
    out = {"summary": con.sql(queries.session_summaries()).df()}
    for name in ("trend", "products", "channels", "giveaways", "audience"):
        out[name] = con.sql(getattr(queries, name)()).df().drop(columns=["session_id"], errors="ignore")
    return out


def _norm(v):
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float) and np.isnan(v):
        return None
    if isinstance(v, pd.Timestamp):
        return v.tz_convert("UTC") if v.tzinfo else v.tz_localize("UTC")
    if isinstance(v, (list, np.ndarray)):
        return list(v)
    if hasattr(v, "as_integer_ratio") and not isinstance(v, (int, bool)):
        return float(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return None if np.isnan(v) else float(v)
    return v


def assert_same(name: str, live: pd.DataFrame | pd.Series, sql: pd.DataFrame | pd.Series) -> None:
    if isinstance(sql, pd.Series):
        live, sql = live.to_frame().T, sql.to_frame().T
    live = live.reset_index(drop=True)
    sql = sql.reset_index(drop=True)
    assert len(live) == len(sql), f"{name}: {len(live)} rows live vs {len(sql)} in SQL\n{live}\n{sql}"
    missing = [c for c in sql.columns if c not in live.columns and c != "session_id"]
    assert not missing, f"{name}: live lacks columns {missing}"
    for c in sql.columns:
        if c == "session_id" and c not in live.columns:
            continue
        for i in range(len(sql)):
            a, b = _norm(live[c].iloc[i]), _norm(sql[c].iloc[i])
            if isinstance(a, float) and isinstance(b, float):
                tol = 1e-9 if c in FLOAT_SUMS else 1e-12
                ok = a == b or abs(a - b) <= tol * max(abs(a), abs(b), 1e-300)
            else:
                ok = a == b
            assert ok, f"{name}[{i}].{c}: live {a!r} != SQL {b!r}"
