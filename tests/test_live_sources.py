"""Live sources: FollowFile (partial lines, rotation, truncation, restart, bad lines), Replay, SimulatedLive."""

from __future__ import annotations

import datetime as dt
import json
import os

import numpy as np
import pyarrow as pa
import pytest

from liveboard.eventlog import to_json_lines
from liveboard.live.sources import FollowFile, Replay, SimulatedLive, SourceError, parse_speed
from liveboard.simulator import simulate_session

BASE = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


def _lines(n: int = 40, session: str = "s-f") -> list[str]:
    ev = simulate_session(session, "glowlab.official", BASE, 600, seed=2, scale=0.3)
    return to_json_lines(ev).to_pylist()[:n]


def _ids(batches: list[pa.Table]) -> list[str]:
    return [i for b in batches for i in b["id"].to_pylist()]


class Clock:
    def __init__(self, t: float = 1000.0):
        self.t = t

    def __call__(self) -> float:
        return self.t


def test_follow_partial_lines_and_bad_lines(tmp_path):
    lines = _lines(6)
    path = tmp_path / "live.jsonl"
    f = FollowFile(path)
    assert f.poll().num_rows == 0  # no file yet
    path.write_text(lines[0] + "\n" + lines[1][:25])
    assert _ids([f.poll()]) == [json.loads(lines[0])["id"]]
    with path.open("a") as fh:
        fh.write(lines[1][25:] + "\n{not json\n\n" + lines[2] + "\n")
    b = f.poll()
    assert _ids([b]) == [json.loads(lines[1])["id"], json.loads(lines[2])["id"]]
    assert f.bad_count == 1 and f.bad["line"].to_pylist() == [3]
    assert any(p.startswith(f"{path}:3:") for p in f.problems)
    assert b["seq"].to_pylist() == [2, 5]  # line numbers (blank line 4 counted, skipped)


def test_follow_rotation_truncation_and_restart(tmp_path):
    lines = _lines(30)
    path, state = tmp_path / "live.jsonl", tmp_path / "follow.json"
    path.write_text("\n".join(lines[:5]) + "\n")
    f = FollowFile(path, state_path=state)
    got = [f.poll()]
    # rotation: the writer adds two lines to the old file, renames it, starts a new one
    with path.open("a") as fh:
        fh.write("\n".join(lines[5:7]) + "\n")
    os.rename(path, tmp_path / "live.jsonl.1")
    path.write_text("\n".join(lines[7:10]) + "\n")
    got.append(f.poll())
    assert _ids(got) == [json.loads(x)["id"] for x in lines[:10]]
    seqs = np.concatenate([b["seq"].to_numpy() for b in got])
    assert np.all(np.diff(seqs) > 0), "seq keeps growing across rotations"
    # restart: a new follower with the same state file continues without re-reading
    with path.open("a") as fh:
        fh.write("\n".join(lines[10:12]) + "\n" + lines[12][:10])
    f.poll()
    f2 = FollowFile(path, state_path=state)
    with path.open("a") as fh:
        fh.write(lines[12][10:] + "\n")
    assert _ids([f2.poll()]) == [json.loads(lines[12])["id"]]
    # truncation: the file is emptied and written again from the start
    path.write_text("\n".join(lines[20:22]) + "\n")
    b = f2.poll()
    assert _ids([b]) == [json.loads(x)["id"] for x in lines[20:22]]
    assert any("truncated" in p for p in f2.problems)


def test_follow_session_filter_and_end(tmp_path):
    a = _lines(10, "s-a")
    path = tmp_path / "x.jsonl"
    end = json.dumps({"id": "zz", "type": "session_end", "session_id": "s-a", "ts": "2026-03-01T12:10:00+00:00"})
    other = json.dumps({"id": "o1", "type": "share", "session_id": "s-b", "user_id": "u", "ts": 1772366400000})
    path.write_text("\n".join(a + [other, end]) + "\n")
    f = FollowFile(path, session_id="s-a")
    b = f.poll()
    assert set(b["session_id"].to_pylist()) == {"s-a"} and b.num_rows == 11
    assert f.ended


def test_replay_speed_pause_seek():
    ev = simulate_session("s-r", "glowlab.official", BASE, 600, seed=3, scale=0.3)
    clock = Clock()
    r = Replay(None, "s-r", speed=10, clock=clock, events=ev)
    first = r.poll()
    assert first.num_rows >= 1  # the start
    clock.t += 6  # 6 s × 10 = 60 s of session
    b = r.poll()
    ts = b["ts"].cast(pa.int64()).to_numpy()
    assert ts.max() <= int(BASE.timestamp() * 1e6) + 60_000_000
    assert abs(r.elapsed_s - 60) < 1e-6
    r.pause()
    clock.t += 100
    assert r.poll().num_rows == 0 and abs(r.elapsed_s - 60) < 1e-6
    r.resume()
    r.seek(30)  # backwards: the consumer must start over
    assert r.consume_reset() and not r.consume_reset()
    again = r.poll()
    assert again["id"].to_pylist() == ev.slice(0, again.num_rows)["id"].to_pylist()
    r.seek(10_000)
    rest = r.poll()
    assert again.num_rows + rest.num_rows == ev.num_rows and r.ended
    with pytest.raises(SourceError):
        r.set_speed("1000")


@pytest.mark.parametrize("bad", ["0", "101", "fast", "nan", "inf", "-5"])
def test_speed_validation(bad):
    with pytest.raises(SourceError, match="from 1 to 100"):
        parse_speed(bad)


def test_speed_ok():
    assert parse_speed("2.5") == 2.5 and parse_speed(None) == 1.0 and parse_speed("100") == 100


def test_simulated_live_releases_in_time_order():
    clock = Clock(BASE.timestamp())
    s = SimulatedLive("s-live", duration_s=300, seed=4, scale=0.5, speed=5, clock=clock)
    batches, last = [], None
    for _ in range(80):
        clock.t += 1
        b = s.poll()
        if b.num_rows:
            ts = b["ts"].cast(pa.int64()).to_numpy()
            assert np.all(np.diff(ts) >= 0)
            if last is not None:
                assert ts[0] >= last
            assert ts.max() <= s.cursor_us()
            last = ts[-1]
            batches.append(b)
    assert s.ended and sum(b.num_rows for b in batches) == s.events.num_rows
    assert len(batches) > 10


def test_async_iteration():
    import asyncio

    ev = simulate_session("s-a2", "glowlab.official", BASE, 120, seed=3, scale=0.2)

    async def run():
        r = Replay(None, "s-a2", speed=100, events=ev)
        r.seek(10_000)
        return [b async for b in r]

    # a thread of its own: Playwright's sync API (browser tests in the same run) keeps a loop running here
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        batches = pool.submit(asyncio.run, run()).result(timeout=60)
    assert sum(b.num_rows for b in batches) == ev.num_rows


def test_follow_store_sees_each_commit_once_and_ends_when_sealed(tmp_path):
    """The LIVE Board's view of a session another process is recording into the store."""
    from liveboard.live.sources import FollowStore
    from liveboard.live.writer import LiveWriter
    from liveboard.store import Store

    events = simulate_session("rec-1", "glowlab.official", BASE, 600, seed=3, scale=0.3)
    store = Store(tmp_path / "st", create=True)
    writer = LiveWriter(store, "rec-1", autoflush=False)
    follow = FollowStore(store, "rec-1")
    assert follow.poll().num_rows == 0 and not follow.ended
    half = events.num_rows // 2
    writer.add(events.slice(0, half))
    writer.flush()
    first = follow.poll()
    assert first.num_rows == half and not follow.ended
    assert follow.poll().num_rows == 0  # nothing new committed: nothing again
    writer.add(events.slice(half))  # ends with session_end
    writer.flush()
    second = follow.poll()
    assert sorted(_ids([first, second])) == sorted(events["id"].to_pylist())
    assert follow.ended
    assert follow.elapsed_s > 0


def test_replay_of_events_out_of_order_releases_them_by_ts_then_seq():
    """Events already in (ts, seq) order are taken as they are (no sort); any others are sorted."""
    ev = simulate_session("s-order", "acct", BASE, 120, seed=2, scale=0.3)
    ordered = Replay(None, "s-order", speed=10, events=ev)
    assert ordered.events is ev  # in order already: the same table
    rng = np.random.default_rng(0)
    shuffled = ev.take(rng.permutation(ev.num_rows))
    tied = shuffled.set_column(  # ties on ts, so seq must break them
        shuffled.schema.get_field_index("ts"), "ts", pa.array([BASE] * ev.num_rows, pa.timestamp("us", "UTC"))
    )
    for table in (shuffled, tied):
        r = Replay(None, "s-order", speed=10, events=table)
        ts, seq = r.events["ts"].cast(pa.int64()).to_numpy(), r.events["seq"].to_numpy()
        assert np.all(np.lexsort((seq, ts)) == np.arange(len(ts)))
        assert sorted(r.events["id"].to_pylist()) == sorted(ev["id"].to_pylist())
