"""Live sessions are written in many small commits; compaction and recent-only dedupe keep that cheap."""

from __future__ import annotations

import datetime as dt

import liveboard
from liveboard.simulator import simulate_session
from liveboard.store import Store

START = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)


def _live(tmp_path, n_batches=8):
    table = simulate_session("live1", "shop", START, 1800, seed=3, scale=0.05)
    store = Store(tmp_path / "s", create=True)
    step = -(-table.num_rows // n_batches)
    for i in range(0, table.num_rows, step):
        store.append(table.slice(i, step), summarize=False, recent_only=True)
    return store, table


def test_recent_only_appends_equal_a_single_import(tmp_path):
    store, table = _live(tmp_path)
    whole = Store(tmp_path / "w", create=True)
    whole.append(table)
    store.summarize(["live1"])
    a = liveboard.open(store.root).sessions().drop(columns=["sealed", "source"], errors="ignore")
    b = liveboard.open(whole.root).sessions().drop(columns=["sealed", "source"], errors="ignore")
    assert a.equals(b)
    # a recent batch sent twice is still a no-op
    again = store.append(table.slice(table.num_rows - 50, 50), summarize=False, recent_only=True)
    assert again.imported == 0 and again.duplicates == 50


def test_compaction_merges_files_and_keeps_every_event(tmp_path):
    store, table = _live(tmp_path)
    con, _ = store.connect()
    before = len(store.event_files(con, ["live1"]))
    assert before >= 8
    sessions_before = liveboard.open(store.root).sessions()
    old_snapshot = store.snapshot()
    store.compact(["live1"])
    con, _ = store.connect()
    assert len(store.event_files(con, ["live1"])) == 1
    assert liveboard.open(store.root).sessions().equals(sessions_before)
    assert store.events(["live1"]).num_rows == table.num_rows
    # an older snapshot still reads: the replaced files are kept until their last commit is pruned
    con_old, _ = store.connect(old_snapshot)
    store.define_events(con_old, ["live1"])
    assert con_old.execute("SELECT count(*) FROM ev").fetchone()[0] == table.num_rows


def test_replaced_files_are_kept_for_old_readers_then_vacuumed(tmp_path):
    store, table = _live(tmp_path, n_batches=3)
    small = sorted(p.name for p in (store.root / "events").rglob("*.parquet"))
    old_snapshot = store.snapshot()
    store.compact(["live1"])  # vacuums with the default retention: the small files are recent, they stay
    assert set(small) <= {p.name for p in (store.root / "events").rglob("*.parquet")}
    con_old, _ = store.connect(old_snapshot)
    store.define_events(con_old, ["live1"])
    assert con_old.execute("SELECT count(*) FROM ev").fetchone()[0] > 0
    removed = store.vacuum(retention_hours=0)
    assert removed["events"] == len(small)
    left = sorted(p.name for p in (store.root / "events").rglob("*.parquet"))
    assert len(left) == 1 and left[0] not in small
    assert store.events(["live1"]).num_rows == table.num_rows
