"""The same metrics on Apache Spark (local mode) against the embedded DuckDB, on a 10,000-session store.

The store is synthesised: ``simulate(seed=11, accounts=25, sessions=--base, scale=--scale)`` once, then those
event tables copied with new session ids, event ids, accounts (cycling through 250) and start times (one
day later per copy) until there are ``--sessions`` sessions, appended in batches of about 1,000 sessions.
Simulating 10,000 sessions one by one takes minutes and measures the simulator; these are real events of
every type, and each copy is a distinct session to both engines.

Both engines compute the same thing: ``queries.session_summaries()`` over every event of the snapshot
(DuckDB over ``Store.define_events``; Spark over ``Store.table_files``, the query transpiled by
``liveboard.spark_engine``), then the same ``Store.catalog_from_summaries``. Measured: DuckDB (median of 3),
Spark's start (the JVM, once per process), Spark's first run and a warm run, and whether the two session tables
are identical (every column, values, nulls and types).

Run: ``.venv/bin/python -m benchmarks.bench_spark [--sessions 10000] [--base 100] [--scale 0.002]
[--master local[*]] [--no-write]``. Figures are printed and appended to ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from benchmarks.results import record
from liveboard import queries, spark_engine
from liveboard.simulator import simulate
from liveboard.store import Store

DAY_US = 86_400 * 1_000_000


def copies(base: list[pa.Table], sessions: int, accounts: int = 250):
    """Event tables of ``sessions`` sessions: the simulated ones, then renamed copies one day later each."""
    n = 0
    k = 0
    while n < sessions:
        for table in base:
            if n >= sessions:
                return
            if k == 0:
                yield table
            else:
                sid = pc.binary_join_element_wise(pa.scalar(f"c{k:04d}-"), table["session_id"], "")
                eid = pc.binary_join_element_wise(pa.scalar(f"c{k:04d}-"), table["id"], "")
                account = pa.scalar(f"agency-{(n % accounts):03d}")
                acc = pc.if_else(pc.is_null(table["account_id"]), table["account_id"], account)
                ts = pc.add(table["ts"].cast(pa.int64()), k * DAY_US).cast(table.schema.field("ts").type)
                for name, col in (("session_id", sid), ("id", eid), ("account_id", acc), ("ts", ts)):
                    i = table.schema.get_field_index(name)
                    table = table.set_column(i, table.schema.field(name), col.cast(table.schema.field(name).type))
                yield table
            n += 1
        k += 1


def build(root: Path, sessions: int, base_n: int, scale: float) -> tuple[Store, int, float]:
    t0 = time.perf_counter()
    base = list(simulate(seed=11, accounts=25, sessions=base_n, scale=scale))
    store = Store(root, create=True)
    batch: list[pa.Table] = []
    events = 0
    for table in copies(base, sessions):
        batch.append(table)
        events += table.num_rows
        if len(batch) >= 1000:
            store.append(pa.concat_tables(batch))
            batch = []
    if batch:
        store.append(pa.concat_tables(batch))
    return store, events, time.perf_counter() - t0


def duckdb_catalog(store: Store, snap) -> pa.Table:
    con, _ = store.connect(snap)
    con.execute("SET TimeZone = 'UTC'")
    store.define_events(con, None)
    return store.catalog_from_summaries(con.sql(queries.session_summaries()).to_arrow_table(), snap)


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sessions", type=int, default=10_000)
    ap.add_argument("--base", type=int, default=100, help="sessions simulated for real before copying")
    ap.add_argument("--scale", type=float, default=0.002, help="the simulator's audience scale")
    ap.add_argument("--master", default=None, help="Spark master URL (default local[*])")
    ap.add_argument("--no-write", action="store_true", help="print only; do not append to RESULTS.md")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="lb-bench-spark-") as tmp:
        store, events, t_build = build(Path(tmp) / "store", args.sessions, args.base, args.scale)
        snap = store.snapshot()
        files = store.table_files("events", snap)
        size = sum(Path(p).stat().st_size for p in files)
        duck_runs = []
        for _ in range(3):
            duck, t = timed(lambda: duckdb_catalog(store, snap))
            duck_runs.append(t)
        t_duck = statistics.median(duck_runs)
        _, t_start = timed(lambda: spark_engine.spark_session(args.master))
        first, t_first = timed(lambda: spark_engine.session_catalog(store, snap, master=args.master))
        warm, t_warm = timed(lambda: spark_engine.session_catalog(store, snap, master=args.master))
        same = first.equals(duck) and warm.equals(duck)
        diff = [] if same else [c for c in duck.column_names if not first[c].equals(duck[c])]
        master = spark_engine.check_master(args.master)
        spark_engine.stop()
    lines = [
        f"Command: `python -m benchmarks.bench_spark --sessions {args.sessions} --base {args.base} "
        f"--scale {args.scale}` · Spark {master}, {spark_engine.LOCAL_SHUFFLE_PARTITIONS} shuffle partitions",
        f"- store: **{args.sessions:,} sessions** ({args.base} simulated, the rest renamed copies a day apart, "
        f"250 accounts), {events:,} events in {len(files)} Parquet files ({size / 1e6:.0f} MB), built in {t_build:.0f} s",
        f"- **DuckDB** (embedded): session table from the events in **{t_duck:.2f} s** "
        f"(median of 3: {', '.join(f'{t:.2f}' for t in duck_runs)})",
        f"- **Spark** local: start (JVM) {t_start:.1f} s; first run **{t_first:.1f} s**; warm run **{t_warm:.1f} s** "
        f"→ DuckDB is {t_warm / t_duck:.0f}× faster warm on this machine",
        f"- result identical (every column of the {duck.num_rows:,}-row session table, values, nulls and types): "
        + ("**yes**" if same else f"**NO** — columns differ: {', '.join(diff) or 'row order or schema'}"),
    ]
    if args.no_write:
        print("\n".join(lines))
    else:
        record("The same metrics on Apache Spark (`benchmarks/bench_spark.py`)", lines)


if __name__ == "__main__":
    main()
