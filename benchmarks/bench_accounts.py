"""Agency scale: ``sessions`` and ``accounts`` warm at 10,000 and at 100,000 sessions over 1,000 accounts
(targets ≤ 50 ms and ≤ 200 ms), against a pandas group-by of the same catalog in the same run.

The store is built through the public Store API only (so it runs on any store layout): 24 sessions simulated
for real and imported (``Store.append``), then summary-only sessions of 1,000 accounts (``Store.put_summaries``,
what a Seller Center export or the API gives: figures, no events) up to the session count, their starts
spread over a year, each account in one of 7 currencies, 3 % of the rows missing some figures. ``accounts``
reads only the sessions catalog, so it sees exactly what an agency's store of that size gives it.

Measured, warm (the store opened and each query run once before), median of 15 runs:

* ``Workbench.sessions()`` (the whole catalog as a DataFrame) and ``sessions(since=90 days ago)``;
* ``Workbench.accounts()`` (all time) and ``accounts(since=90 days ago)`` (the Accounts tab's usual query:
  the range and the 90 days before it);
* the same ``accounts(since=…)`` with ``now`` a second later on each call, so the query runs afresh (a
  result is kept per snapshot and parameters), and the first ``sessions()`` / ``accounts(since=…)`` of a
  new snapshot (a new workbench each run: the store's connection, the catalog read and converted);
* the Accounts tab's refresh in the kernel (query + one page formatted) and a chart's series query;
* baseline: the same accounts table computed with pandas group-by from the catalog DataFrame already in
  memory (compute only), and read + compute (``sessions()`` then the group-by). The two tables are compared.

Run: ``.venv/bin/python -m benchmarks.bench_accounts [--sizes 10000 100000] [--accounts 1000] [--no-write]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from benchmarks.results import record
from liveboard.simulator import simulate
from liveboard.store import Store
from liveboard.workbench import Workbench

CURRENCIES = ("USD", "MYR", "THB", "IDR", "VND", "PHP", "SGD")
RUNS = 15
REAL_SESSIONS = 24


def summaries(n: int, accounts: int, now: dt.datetime, seed: int = 0) -> pa.Table:
    """``n`` summary-only sessions of ``accounts`` accounts over the year before ``now``."""
    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, accounts + 1) ** 0.8  # a few big accounts, a long tail
    acct = rng.choice(accounts, size=n, p=weights / weights.sum())
    currency = np.array(CURRENCIES)[np.arange(accounts) % len(CURRENCIES)][acct]
    offsets = rng.integers(0, 365 * 24 * 3600, n)
    start = [now - dt.timedelta(seconds=int(s)) for s in offsets]
    duration = rng.integers(20, 240, n) * 60.0
    views = rng.integers(50, 20_000, n)
    viewers = (views * rng.uniform(0.5, 0.9, n)).astype(np.int64)
    clicks = (views * rng.uniform(0.02, 0.3, n)).astype(np.int64)
    orders = (clicks * rng.uniform(0.05, 0.4, n)).astype(np.int64)
    items = orders + rng.integers(0, 5, n) * (orders > 0)
    cents = orders * rng.integers(500, 9_000, n)
    missing = rng.random(n) < 0.03  # summary rows that lack some figures: missing, not zero

    def opt(values, kind=None):
        arr = pa.array(values, kind)
        return pa.array([None if m else v for v, m in zip(arr.to_pylist(), missing, strict=True)], arr.type)

    return pa.table(
        {
            "session_id": pa.array([f"syn-{i:07d}" for i in range(n)]),
            "title": pa.array([f"Agency LIVE #{i}" for i in range(n)]),
            "account_id": pa.array([f"acct-{a:04d}" for a in acct]),
            "currency": pa.array(currency),
            "start": pa.array(start, pa.timestamp("us", tz="UTC")),
            "duration_s": opt(duration),
            "gmv": pa.array([Decimal(int(c)) / 100 for c in cents], pa.decimal128(38, 2)),
            "items_sold": opt(items),
            "sku_orders": pa.array(orders),
            "views": pa.array(views),
            "viewers": opt(viewers),
            "product_clicks": opt(clicks),
        }
    )


def build(root: Path, n: int, accounts: int) -> tuple[Store, float]:
    t0 = time.perf_counter()
    store = Store(root, create=True)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    for table in simulate(3, accounts=3, sessions=REAL_SESSIONS, scale=0.005, now=now):
        store.append(table)
    store.put_summaries(summaries(n - REAL_SESSIONS, accounts, now))
    return store, time.perf_counter() - t0


def median_ms(fn, runs: int = RUNS) -> tuple[float, float, object]:
    """Median and max milliseconds of ``fn`` over ``runs`` calls, after one warm-up call."""
    out = fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), max(times), out


def _rate(num: pd.Series, den: pd.Series, keys: list[pd.Series]) -> pd.Series:
    both = num.notna() & den.notna()
    n = num.where(both).groupby(keys, dropna=False).sum(min_count=1)
    d = den.where(both).groupby(keys, dropna=False).sum(min_count=1)
    return n / d.where(d != 0)


def pandas_accounts(df: pd.DataFrame, lo, hi, prev) -> pd.DataFrame:
    """Baseline: the accounts table (current range, previous range, change) with pandas group-by."""

    def table(part: pd.DataFrame) -> pd.DataFrame:
        keys = [part["account_id"].fillna("\0"), part["currency"].fillna("\0")]
        g = part.groupby(keys, dropna=False)
        gmv = pd.to_numeric(part["gmv"], errors="coerce")
        dur = pd.to_numeric(part["duration_s"], errors="coerce")
        both = gmv.notna() & dur.notna()
        gmv_b = gmv.where(both).groupby(keys).sum(min_count=1)
        hours_b = dur.where(both).groupby(keys).sum(min_count=1) / 3600
        num = {
            c: pd.to_numeric(part[c], errors="coerce").astype("float64")
            for c in ("views", "product_clicks", "sku_orders")
        }
        return pd.DataFrame(
            {
                "sessions": g.size(),
                "first_live": g["start"].min(),
                "last_live": g["start"].max(),
                "hours_live": dur.groupby(keys).sum(min_count=1) / 3600,
                "gmv": gmv.groupby(keys).sum(min_count=1),
                "gmv_per_hour": (gmv_b / hours_b.where(hours_b != 0)).round(2),
                "items_sold": pd.to_numeric(part["items_sold"], errors="coerce").groupby(keys).sum(min_count=1),
                "viewers": pd.to_numeric(part["viewers"], errors="coerce").groupby(keys).sum(min_count=1),
                "live_ctr": _rate(num["product_clicks"], num["views"], keys),
                "ctor": _rate(num["sku_orders"], num["product_clicks"], keys),
            }
        )

    start = df["start"]
    cur = df[((start >= lo) if lo is not None else True) & ((start < hi) if hi is not None else True)]
    out = table(cur)
    if prev is not None:
        before = table(df[(start >= prev[0]) & (start < prev[1])])
        figures = [c for c in out.columns if c not in ("first_live", "last_live")]
        joined = out.merge(before[figures], left_index=True, right_index=True, how="left", suffixes=("", "_prev"))
        for c in figures:
            joined[f"{c}_change"] = (joined[c] - joined[f"{c}_prev"]) / joined[f"{c}_prev"].where(
                joined[f"{c}_prev"] != 0
            )
        out = joined
    return out


def compare(sql: pd.DataFrame, pd_table: pd.DataFrame) -> str:
    """Whether the SQL table and the pandas one hold the same figures (within 1e-9 relative)."""
    left = sql.assign(account_id=sql["account_id"].fillna("\0"), currency=sql["currency"].fillna("\0"))
    left = left.set_index(["account_id", "currency"]).sort_index()
    right = pd_table.sort_index()
    right.index.names = ["account_id", "currency"]
    if len(left) != len(right) or not (left.index == right.index).all():
        return f"DIFFERENT rows ({len(left)} vs {len(right)})"
    worst = 0.0
    for col in ("sessions", "hours_live", "gmv", "gmv_per_hour", "items_sold", "viewers", "live_ctr", "ctor"):
        a = pd.to_numeric(left[col], errors="coerce").astype("float64").to_numpy()
        b = pd.to_numeric(right[col], errors="coerce").astype("float64").to_numpy()
        if not (np.isnan(a) == np.isnan(b)).all():
            return f"DIFFERENT nulls in {col}"
        ok = ~np.isnan(a)
        if col == "gmv_per_hour":  # both rounded to cents: a half cent may round either way
            ok &= np.abs(a - b) > 0.0100001
        if ok.any():
            worst = max(worst, float(np.max(np.abs(a[ok] - b[ok]) / np.maximum(1.0, np.abs(b[ok])))))
    return "same figures" if worst <= 1e-9 else f"DIFFERENT (max relative difference {worst:.2e})"


def bench(work: Path, n: int, accounts: int) -> list[str]:
    from liveboard.views.accounts import AccountsTab

    store, t_build = build(work / f"store-{n}", n, accounts)
    wb = Workbench(store)
    now = pd.Timestamp.now(tz="UTC")
    since = now - pd.Timedelta(days=90)
    lines = [f"- **{n:,} sessions** over {accounts:,} accounts ({REAL_SESSIONS} with events), built in {t_build:.1f} s"]
    res: dict[str, tuple[float, float, object]] = {}
    res["sessions()"] = median_ms(lambda: wb.sessions())
    res["sessions(since=90 days ago)"] = median_ms(lambda: wb.sessions(since=since))
    res["accounts()"] = median_ms(lambda: wb.accounts())
    res["accounts(since=90 days ago)"] = median_ms(lambda: wb.accounts(since=since, now=now))
    for name, (med, worst, out) in res.items():
        target = 50 if n <= 10_000 else 200
        verdict = "✓" if med <= target else "✗"
        lines.append(
            f"- `{name}` warm: median **{med:,.1f} ms**, max {worst:,.1f} ms ({len(out):,} rows; "
            f"target ≤ {target} ms {verdict})"
        )
    moving = iter(range(1, 10_000))
    fresh_med, worst, _ = median_ms(lambda: wb.accounts(since=since, now=now + pd.Timedelta(seconds=next(moving))))
    lines.append(
        f"- `accounts(since=90 days ago)` run afresh (`now` a second later each call): median {fresh_med:,.1f} ms, "
        f"max {worst:,.1f} ms"
    )
    first = {
        "sessions()": lambda: Workbench(store).sessions(),
        "accounts(since=90 days ago)": lambda: Workbench(store).accounts(since=since, now=now),
    }
    for name, fn in first.items():
        med, worst, _ = median_ms(fn, 3)
        lines.append(f"- first `{name}` of a new snapshot (a new workbench): median {med:,.1f} ms, max {worst:,.1f} ms")
    tab = AccountsTab(wb, bounds=lambda: (since, None), now=lambda: now, on_open=lambda _a: None)
    med, worst, _ = median_ms(lambda: tab.refresh(force=True), 5)
    lines.append(
        f"- Accounts tab refresh in the kernel (query + page of {tab.page_size} rows + chart series): "
        f"median {med:,.1f} ms, max {worst:,.1f} ms"
    )
    top = tab.top_accounts()[0]
    med, worst, _ = median_ms(lambda: wb.account_series(top, since=since, every="day"))
    lines.append(f"- `account_series` of the top {len(top)} accounts, per day: median {med:,.1f} ms")
    # baseline: pandas group-by on the catalog frame
    frame = res["sessions()"][2]
    lo, hi, prev = since.to_pydatetime(), None, ((since - (now - since)).to_pydatetime(), since.to_pydatetime())
    med_pd, worst_pd, pd_table = median_ms(lambda: pandas_accounts(frame, lo, hi, prev), 5)
    t_read = res["sessions()"][0]
    lines.append(  # against the query run afresh: a kept result would flatter it
        f"- baseline pandas group-by, same table (range + previous range + change), frame already in memory: "
        f"median **{med_pd:,.1f} ms** (max {worst_pd:,.1f}); read + group-by {t_read + med_pd:,.1f} ms → "
        f"`accounts(since=…)` run afresh is **{(t_read + med_pd) / fresh_med:.1f}×** faster than read + group-by, "
        f"{med_pd / fresh_med:.1f}× the group-by alone; result: {compare(res['accounts(since=90 days ago)'][2], pd_table)}"
    )
    med_pd_s, _w, _ = median_ms(
        lambda: frame[frame["start"] >= since].sort_values(["start", "session_id"], ascending=[False, True]), 5
    )
    lines.append(f"- baseline pandas filter + sort of the in-memory frame for `sessions(since=…)`: {med_pd_s:,.1f} ms")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--accounts", type=int, default=1000)
    ap.add_argument("--no-write", action="store_true", help="print only; do not append to RESULTS.md")
    args = ap.parse_args()
    lines = [
        f"Command: `python -m benchmarks.bench_accounts --sizes {' '.join(map(str, args.sizes))} "
        f"--accounts {args.accounts}` · warm, median of {RUNS} runs (5 for the tab and the baselines)"
    ]
    with tempfile.TemporaryDirectory(prefix="lb-bench-accounts-") as tmp:
        for n in args.sizes:
            lines += bench(Path(tmp), n, args.accounts)
    if args.no_write:
        print("\n".join(lines))
    else:
        record("Agency view: sessions and accounts at agency scale (`benchmarks/bench_accounts.py`)", lines)


if __name__ == "__main__":
    main()
