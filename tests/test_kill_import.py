"""SIGKILL ``liveboard import`` at random points: the store stays consistent and a re-run completes it exactly."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from logbuilder import LogBuilder, import_files

import liveboard
from liveboard.store import Store, writer_lock

pytestmark = pytest.mark.slow

TRIALS = 5


def big_log(path: Path) -> Path:
    """About 50,000 events in two sessions (one ended, one still running), from the simulator if there is one."""
    try:
        from liveboard.eventlog import write_event_log
        from liveboard.simulator import simulate_session
    except ImportError:
        b = LogBuilder("big1")
        b.start(0)
        for i in range(25_000):
            b.enter(i * 0.01, f"u{i % 3000}")
            b.order(i * 0.01 + 0.005, f"o{i % 5000}", f"u{i % 3000}", amount="1.10")
        b.end(300)
        return b.write(path)
    import pyarrow as pa

    start = datetime(2026, 3, 1, 12, tzinfo=UTC)
    a = simulate_session("big1", "acct1", start, 1200, seed=1, scale=0.6)
    b = simulate_session("big2", "acct2", start, 1200, seed=2, scale=0.6, end_event=False)
    write_event_log(pa.concat_tables([a, b]), path)
    return path


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("kill")
    path = big_log(tmp / "big.jsonl")
    per_session: dict[str, set[str]] = {}
    with open(path) as fh:
        for line in fh:
            e = json.loads(line)
            per_session.setdefault(e["session_id"], set()).add(e["id"])
    counts = {sid: len(ids) for sid, ids in per_session.items()}
    assert sum(counts.values()) > 20_000
    return path, counts


def start_import(path: Path, store: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "liveboard", "import", str(path), "--store", str(store)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def seed_store(store: Path, tmp: Path) -> int:
    """A store with one small committed session that every kill must leave untouched."""
    b = LogBuilder("small")
    b.start(0, account_id="acct1")
    b.order(5, "o1", amount="2.50")
    b.end(10)
    _, rep = import_files(store, [b.write(tmp / "small.jsonl")])
    return rep.version


def check_consistent(store: Path, counts: dict[str, int]) -> bool:
    """Either the whole big import is visible or none of it; the small session is always there. Returns which."""
    wb = liveboard.open(store)
    df = wb.sessions().set_index("session_id")
    assert df.loc["small", "event_count"] == 3
    assert float(df.loc["small", "gmv"]) == 2.5
    big_ids = sorted(set(df.index) - {"small", "after"})
    assert big_ids in ([], sorted(counts)), big_ids
    events = Store(store).events(["small", *counts])
    if big_ids:
        for sid, n in counts.items():
            assert df.loc[sid, "event_count"] == n
            assert wb.session(sid).summary()["event_count"] == n
        assert events.num_rows == 3 + sum(counts.values())
    else:
        assert events.num_rows == 3
    return bool(big_ids)


def test_kill_import_at_random_points(big, tmp_path):
    path, counts = big
    total = sum(counts.values())
    # calibrate: how long does an uninterrupted import take here?
    ref = tmp_path / "ref"
    seed_store(ref, tmp_path)
    t0 = time.monotonic()
    proc = start_import(path, ref)
    out, err = proc.communicate(timeout=300)
    duration = time.monotonic() - t0
    assert proc.returncode == 0, err
    assert f"imported {total} " in out
    assert check_consistent(ref, counts)

    rnd = random.Random(20260301)
    outcomes = []
    for trial in range(TRIALS):
        store = tmp_path / f"s{trial}"
        seed_store(store, tmp_path)
        # spread the kills over the whole run: start-up, reading, writing files, committing
        delay = duration * (trial + rnd.random()) / TRIALS
        proc = start_import(path, store)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
        outcomes.append((round(delay, 2), proc.returncode))
        complete = check_consistent(store, counts)
        # a second reader-side look: nothing half-written is visible through the log either
        assert Store(store).snapshot().version in ((2,) if complete else (1,))
        # re-run to completion: nothing lost, nothing doubled
        proc = start_import(path, store)
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, (out, err)
        assert f"imported {0 if complete else total} " in out
        assert check_consistent(store, counts)
        assert Store(store).events().num_rows == 3 + total
        leftovers = [p for p in store.rglob("*") if p.is_file() and p.name.endswith(".tmp")]
        assert not leftovers, leftovers
        # and the result matches the uninterrupted import
        a = liveboard.open(store).sessions().drop(columns=["source"]).sort_values("session_id").reset_index(drop=True)
        b = liveboard.open(ref).sessions().drop(columns=["source"]).sort_values("session_id").reset_index(drop=True)
        assert a.equals(b)
    assert any(rc == -signal.SIGKILL for _, rc in outcomes), outcomes


def test_killed_writer_releases_lock(big, tmp_path):
    path, counts = big
    store = tmp_path / "s"
    seed_store(store, tmp_path)
    proc = start_import(path, store)
    # wait until the import holds the writer lock, then kill it
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if any((store / "events").rglob("c000000002-*")):
            break
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=60)
    check_consistent(store, counts)
    # the lock died with the process: a new writer gets it at once (one try, no waiting for it), and the
    # leftovers are cleaned up
    with writer_lock(store, "write to", timeout=0):
        pass
    b = LogBuilder("after")
    b.start(0, account_id="acct9")
    _, rep = import_files(store, [b.write(tmp_path / "after.jsonl")])
    assert rep.imported == 1
    has_big = check_consistent_after(store, counts)
    assert Store(store).events().num_rows == 3 + 1 + (sum(counts.values()) if has_big else 0)
    if not has_big:  # no version reads the killed import's files; version 2 is now the small import's
        from liveboard import tables

        assert rep.version == 2
        stray = [p for p in tables.load(store / "events").file_uris() if "acct9" not in p and "account=acct1" not in p]
        assert not stray, stray


def check_consistent_after(store: Path, counts: dict[str, int]) -> bool:
    df = liveboard.open(store).sessions().set_index("session_id")
    assert df.loc["after", "event_count"] == 1
    return check_consistent(store, counts)
