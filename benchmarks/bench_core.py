"""Session data core benchmarks (issue "Session data core").

1. Generate + import of the 3-hour mega session (>= 5 M events): events/s for generation, writing the
   event log, validating/reading it, and committing it to the store; baseline in the same run: the
   straightforward pandas approach (``pandas.read_json(lines=True)`` then ``to_parquet``).
2. ``sessions`` over a store of 10,000 sessions, warm (target < 200 ms); baseline in the same run: read
   all events with pandas and group by session.

Run: ``.venv/bin/python benchmarks/bench_core.py [--sessions 10000] [--skip-mega] [--skip-baseline]``.
Figures are printed and appended to ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import pandas as pd
import pyarrow as pa

from benchmarks.results import record
from liveboard.eventlog import read_event_log, write_event_log
from liveboard.simulator import simulate
from liveboard.store import Store
from liveboard.workbench import Workbench


def timed(fn, *args, **kw):
    t = time.perf_counter()
    out = fn(*args, **kw)
    return out, time.perf_counter() - t


def bench_mega(work: Path, baseline: bool) -> list[str]:
    tables, t_gen = timed(lambda: [t for t in simulate(seed=7, accounts=1, sessions=1, mega=True)])
    mega = next(t for t in tables if t["session_id"][0].as_py().startswith("mega-"))
    n = mega.num_rows
    log = work / "mega.jsonl.gz"
    _, t_write = timed(write_event_log, mega, log)
    result, t_read = timed(read_event_log, log)
    store = Store(work / "store-mega", create=True)
    report, t_append = timed(store.append, result.events, result.bad)
    assert report.imported == n, (report.imported, n)
    t_import = t_read + t_append
    lines = [
        f"- mega session: **{n:,} events**, log {log.stat().st_size / 1e6:.0f} MB gzipped",
        f"- generate: {t_gen:.1f} s (**{n / t_gen:,.0f} events/s**; all {len(tables)} sessions of the run)",
        f"- write event log (.jsonl.gz): {t_write:.1f} s ({n / t_write:,.0f} events/s)",
        f"- import = read + validate ({t_read:.1f} s) + commit to store ({t_append:.1f} s): "
        f"{t_import:.1f} s (**{n / t_import:,.0f} events/s**)",
        f"- generate + import: {t_gen + t_import:.1f} s ({n / (t_gen + t_import):,.0f} events/s)",
    ]
    if baseline:
        plain = work / "mega.jsonl"
        import gzip

        with gzip.open(log, "rb") as src, open(plain, "wb") as dst:
            shutil.copyfileobj(src, dst)
        df, t_pd_read = timed(pd.read_json, plain, lines=True, dtype=False)
        _, t_pd_write = timed(df.to_parquet, work / "baseline.parquet")
        t_pd = t_pd_read + t_pd_write
        lines.append(
            f"- baseline pandas `read_json(lines=True)` + `to_parquet` (no validation, no dedupe, no atomicity): "
            f"{t_pd:.1f} s ({n / t_pd:,.0f} events/s) → liveboard import is **{t_pd / t_import:.1f}×** that speed"
        )
    return lines


def build_many(work: Path, sessions: int) -> tuple[Store, int, float]:
    store = Store(work / "store-many", create=True)
    t = time.perf_counter()
    batch, n = [], 0
    for table in simulate(seed=11, accounts=25, sessions=sessions, scale=0.002):
        batch.append(table)
        n += table.num_rows
        if len(batch) == 2000:
            store.append(pa.concat_tables(batch))
            batch = []
    if batch:
        store.append(pa.concat_tables(batch))
    return store, n, time.perf_counter() - t


def pandas_sessions(store: Store) -> pd.DataFrame:
    """Baseline: read every event and group by session (a handful of the metrics only)."""
    files = sorted((store.root / "events").rglob("*.parquet"))
    ev = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
    orders = ev[ev["type"] == "order"].sort_values(["ts", "seq"]).groupby(["session_id", "order_id"]).last()
    paid = orders[orders["status"].isin(["paid", "refunded"])].reset_index()
    paid["amount"] = paid["amount"].astype(float)
    g = paid.groupby("session_id").agg(gmv=("amount", "sum"), items_sold=("quantity", "sum"))
    enters = (
        ev[ev["type"] == "viewer_enter"].groupby("session_id").agg(views=("id", "size"), viewers=("user_id", "nunique"))
    )
    starts = ev[ev["type"] == "session_start"].set_index("session_id")[["title", "account_id", "ts"]]
    return starts.join(g).join(enters).sort_values("ts", ascending=False)


def bench_sessions(work: Path, sessions: int, baseline: bool) -> list[str]:
    store, n, t_build = build_many(work, sessions)
    wb = Workbench(store)
    wb.sessions()  # warm: OS cache, DuckDB extension load
    cases = [
        {},
        {"search": "sale"},
        {"since": "2026-10-01", "until": "2026-10-31"},
        {"account": wb.accounts()["account_id"].iloc[0]},
    ]
    lines = [f"- store: {sessions:,} sessions, {n:,} events, built in {t_build:.0f} s"]
    for kw in cases:
        times = []
        for _ in range(15):
            df, t = timed(wb.sessions, **kw)
            times.append(t)
        med = statistics.median(times)
        lines.append(
            f"- `sessions({', '.join(f'{k}={v!r}' for k, v in kw.items())})` warm: median **{med * 1000:.0f} ms**, "
            f"max {max(times) * 1000:.0f} ms ({len(df):,} rows; target < 200 ms)"
        )
    if baseline:
        _, t_pd = timed(pandas_sessions, store)
        lines.append(f"- baseline pandas (read all events, group by; 5 metrics only): {t_pd * 1000:,.0f} ms")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sessions", type=int, default=10_000)
    ap.add_argument("--skip-mega", action="store_true")
    ap.add_argument("--skip-baseline", action="store_true")
    ap.add_argument("--skip-sessions", action="store_true", help="only the mega session")
    args = ap.parse_args()
    lines: list[str] = []
    with tempfile.TemporaryDirectory(prefix="lb-bench-") as tmp:
        work = Path(tmp)
        if not args.skip_mega:
            lines += bench_mega(work, not args.skip_baseline)
        if not args.skip_sessions:
            lines += bench_sessions(work, args.sessions, not args.skip_baseline)
    record("Session data core: generate, import, sessions", lines)


if __name__ == "__main__":
    main()
