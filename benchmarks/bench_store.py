"""The store under a live LIVE: commit time as the session grows, and opening time after many commits.

    .venv/bin/python -m benchmarks.bench_store [--seconds 600] [--rate 10000]

A simulated LIVE at about ``--rate`` events/s is appended one second at a time, as the LIVE Board's writer
does (``Store.append(summarize=False, recent_only=True)``): ``--seconds`` commits. Reported: the commit time
of the first and the last 60 commits (it must stay flat), the time to open the store (snapshot + a DuckDB
connection on it, what every page and command does first) after 1 commit and after all of them, and the seal
(summary, compaction into one file per partition, vacuum). Baseline in the same run: the same appends into
the store layout of before the Delta Lake tables (``tests/legacy_store.py``, a frozen copy), when present.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.results import record  # noqa: E402
from liveboard.simulator import simulate_session  # noqa: E402
from liveboard.store import Store  # noqa: E402

EVENTS_PER_S_PER_SCALE = 3_654_745 / 3600 / 52.0  # the simulator's mega audience: scale 52, 3600 s, seed 1
START = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)


def live_session(seconds: int, rate: float) -> pa.Table:
    scale = rate / EVENTS_PER_S_PER_SCALE
    return simulate_session("live1", "shop", START, seconds, seed=7, scale=scale)


def per_second(table: pa.Table, seconds: int) -> list[pa.Table]:
    """The session cut into one batch per second of LIVE time (what the writer commits each second)."""
    offset = pc.divide(pc.subtract(pc.cast(table["ts"], pa.int64()), int(START.timestamp() * 1e6)), 1_000_000)
    sec = pc.min_element_wise(pc.max_element_wise(offset, 0), seconds - 1)
    order = pc.sort_indices(sec)
    table, sec = table.take(order), sec.take(order)
    bounds = [0, *pc.indices_nonzero(pc.not_equal(sec[1:], sec[:-1])).to_pylist(), table.num_rows - 1]
    starts = [0] + [b + 1 for b in bounds[1:-1]] + [table.num_rows]
    return [table.slice(a, b - a) for a, b in zip(starts[:-1], starts[1:], strict=True) if b > a]


def open_time(store_cls, root: Path, repeat: int = 5) -> float:
    """Median seconds to open a store and connect DuckDB to its newest snapshot (a fresh object each time)."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        store_cls(root).connect()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def run(store_cls, root: Path, batches: list[pa.Table]) -> dict:
    store = store_cls(root, create=True)
    commit = []
    opened_after_1 = None
    for i, batch in enumerate(batches):
        t = time.perf_counter()
        store.append(batch, summarize=False, recent_only=True)
        commit.append(time.perf_counter() - t)
        if i == 0:
            opened_after_1 = open_time(store_cls, root)
    opened_after_all = open_time(store_cls, root)
    t = time.perf_counter()
    store.summarize(["live1"])
    store.compact(["live1"])
    seal = time.perf_counter() - t
    # the commit that brings the session_end summarises the whole session (the seal's work, on its own line):
    # it is left out of the live appends' figures
    ending = {i for i, b in enumerate(batches) if pc.any(pc.equal(b["type"], "session_end")).as_py()}
    live = [x for i, x in enumerate(commit) if i not in ending]
    return {
        "commits": len(commit),
        "first60": statistics.mean(live[:60]),
        "last60": statistics.mean(live[-60:]),
        "p95": sorted(live)[int(0.95 * (len(live) - 1))],
        "ending": max((commit[i] for i in ending), default=float("nan")),
        "open1": opened_after_1,
        "open_all": opened_after_all,
        "open_sealed": open_time(store_cls, root),
        "seal": seal,
        "events": sum(b.num_rows for b in batches),
    }


def legacy_store():
    sys.path.insert(0, str(REPO / "tests"))
    try:
        from legacy_store import Store as Legacy
    except ImportError:
        return None
    return Legacy


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=600, help="length of the LIVE = number of commits")
    ap.add_argument("--rate", type=float, default=10_000.0, help="events per second")
    ap.add_argument("--no-baseline", action="store_true")
    args = ap.parse_args()
    t = time.perf_counter()
    table = live_session(args.seconds, args.rate)
    batches = per_second(table, args.seconds)
    print(f"simulated {table.num_rows:,} events in {time.perf_counter() - t:.1f} s, {len(batches)} one-second batches")
    rows = []
    kinds = [("Delta Lake store", Store)]
    legacy = None if args.no_baseline else legacy_store()
    if legacy is not None:
        kinds.append(("baseline: the previous store (Parquet + own commit log)", legacy))
    for label, cls in kinds:
        with tempfile.TemporaryDirectory(prefix="bench-store-") as tmp:
            r = run(cls, Path(tmp) / "store", batches)
        print(
            f"{label}: {r['commits']} commits of {r['events'] / r['commits']:,.0f} events: "
            f"first 60 {r['first60'] * 1000:.0f} ms, last 60 {r['last60'] * 1000:.0f} ms, p95 {r['p95'] * 1000:.0f} ms; "
            f"open after 1 commit {r['open1'] * 1000:.0f} ms, after {r['commits']} {r['open_all'] * 1000:.0f} ms, "
            f"after the seal {r['open_sealed'] * 1000:.0f} ms; the commit with the session_end {r['ending']:.1f} s; "
            f"seal (summary + compaction + vacuum) {r['seal']:.1f} s"
        )
        rows.append(
            f"| {label} | {r['commits']} × {r['events'] / r['commits']:,.0f} | {r['first60'] * 1000:.0f} | "
            f"{r['last60'] * 1000:.0f} | {r['p95'] * 1000:.0f} | {r['open1'] * 1000:.0f} | {r['open_all'] * 1000:.0f} | "
            f"{r['open_sealed'] * 1000:.0f} | {r['ending']:.1f} | {r['seal']:.1f} |"
        )
    body = [
        "",
        f"A LIVE at {args.rate:,.0f} events/s appended one second at a time ({args.seconds} commits, as the"
        " LIVE Board's writer does), then sealed. Commit time must stay flat; opening = a new Store + a DuckDB"
        " connection on its newest snapshot (median of 5). The commit that brings the session_end summarises"
        " the whole session: it is shown on its own and left out of the first/last 60 and the p95.",
        "",
        "| store | commits × events | first 60 commits, ms | last 60, ms | p95, ms | open after 1 commit, ms"
        " | open after all, ms | open after seal, ms | session_end commit, s | seal, s |",
        "|---|---|---|---|---|---|---|---|---|---|",
        *rows,
    ]
    record("Store: live commits and opening time (bench_store)", body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
