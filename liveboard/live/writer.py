"""Persisting a live session: micro-batches are committed to the store about once a second.

A crash loses at most the last ``interval`` seconds (what was not committed yet); a restarted writer
calls :meth:`LiveWriter.resume` and skips the events the store already holds (by id), so nothing is
written twice; the ``session_end`` event seals the session (the store refuses later changes) and the
session's summary is computed (``Store.summarize``). Replays of stored sessions are never written.

``python -m liveboard.live.writer --store DIR --session ID --start ISO ...`` runs a simulated LIVE into a
store (the process the crash tests kill); it prints one JSON line per commit.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import threading
import time
from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from liveboard.store import Store


class LiveWriter:
    def __init__(
        self,
        store: Store,
        session_id: str | None = None,
        *,
        interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        on_commit: Callable[[dict], None] | None = None,
        autoflush: bool = True,
    ) -> None:
        self.autoflush = autoflush
        self._lock = threading.Lock()
        self.store = store
        self.session_id = session_id
        self.interval = float(interval)
        self.clock = clock
        self.on_commit = on_commit
        self._buffer: list[pa.Table] = []
        self._buffered = 0
        self._last_commit = clock()
        self._skip: set[str] | None = None
        self._skip_until: int | None = None
        self.committed = 0
        self.skipped = 0
        self.commits = 0
        self.sealed = False
        self.last_commit_s = 0.0
        self.problems: list[str] = []
        self.end_seen = False

    def resume(self) -> int:
        """Load the ids of the session's stored events, to skip them; returns how many are stored."""
        if self.session_id is None:
            return 0
        con, _ = self.store.connect(private=True)
        self.store.define_events(con, [self.session_id])
        rows = con.execute("SELECT id, epoch_us(ts) FROM ev").fetchall()
        if not rows:
            return 0
        self._skip = {r[0] for r in rows}
        self._skip_until = max(r[1] for r in rows)
        sealed = con.execute("SELECT bool_or(sealed) FROM sessions WHERE session_id = ?", [self.session_id]).fetchone()
        self.sealed = bool(sealed and sealed[0])
        return len(rows)

    def add(self, batch: pa.Table) -> None:
        """Buffer a batch; commits when ``interval`` has passed since the last commit, or at session_end."""
        if batch.num_rows == 0:
            self.maybe_flush()
            return
        if self.session_id is None:
            self.session_id = batch["session_id"][0].as_py()
        if self._skip is not None:
            ts = batch["ts"].cast(pa.int64()).to_numpy()
            if ts.min() > self._skip_until:
                self._skip = None  # past everything stored: stop checking, free the ids
            else:
                known = pc.is_in(batch["id"], pa.array(list(self._skip), pa.string())) if self._skip else None
                if known is not None:
                    keep = pc.invert(known)
                    self.skipped += batch.num_rows - pc.sum(keep.cast(pa.int64())).as_py()
                    batch = batch.filter(keep)
        ends = bool(batch.num_rows) and pc.any(pc.equal(batch["type"], "session_end")).as_py()
        if batch.num_rows:
            with self._lock:
                self._buffer.append(batch)
                self._buffered += batch.num_rows
                self.end_seen = self.end_seen or ends
        if not self.autoflush:
            return
        if ends:
            self.flush(seal=True)
        else:
            self.maybe_flush()

    @property
    def due(self) -> bool:
        """Something to commit and ``interval`` has passed (or the session ended)."""
        return bool(self._buffered) and (self.end_seen or self.clock() - self._last_commit >= self.interval)

    def maybe_flush(self) -> bool:
        if self._buffered and self.clock() - self._last_commit >= self.interval:
            self.flush()
            return True
        return False

    def flush(self, seal: bool | None = None) -> None:
        """Commit what is buffered (thread-safe: the board runs it in a worker thread)."""
        with self._lock:
            buffer, self._buffer, self._buffered = self._buffer, [], 0
            if seal is None:
                seal = self.end_seen
        if self.sealed:
            return
        if buffer:
            table = pa.concat_tables(buffer)
            t0 = time.perf_counter()
            report = self.store.append(table, summarize=False, recent_only=True)
            self.last_commit_s = time.perf_counter() - t0
            self.committed += report.imported
            self.commits += 1
            self.problems += report.problems
            ts = table["ts"].cast(pa.int64()).to_numpy()
            info = {"committed": self.committed, "through_us": int(np.max(ts)), "wall": time.time()}
            if self.on_commit:
                self.on_commit(info)
        self._last_commit = self.clock()
        if seal and self.session_id is not None:
            self.store.compact([self.session_id])  # one file instead of one per second of the LIVE
            self.store.summarize([self.session_id])
            self.sealed = True
            if self.on_commit:
                self.on_commit({"committed": self.committed, "sealed": True, "wall": time.time()})


def run_simulated(args: argparse.Namespace) -> int:
    from liveboard.live.sources import SimulatedLive

    store = Store(args.store, create=True)
    start = dt.datetime.fromisoformat(args.start)
    source = SimulatedLive(
        args.session, args.account, args.duration, seed=args.seed, scale=args.scale, speed=args.speed, start=start
    )

    def report(info: dict) -> None:
        print(json.dumps(info), flush=True)

    writer = LiveWriter(store, source.session_id, interval=args.interval, on_commit=report)
    stored = writer.resume()
    print(json.dumps({"resumed": stored, "sealed": writer.sealed}), flush=True)
    while not writer.sealed:
        writer.add(source.poll())
        if source.ended and not writer.sealed:
            writer.flush(seal=False)
            break
        time.sleep(0.05)
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m liveboard.live.writer", description=__doc__.split("\n")[0])
    p.add_argument("--store", required=True)
    p.add_argument("--session", required=True)
    p.add_argument("--account", default="glowlab.official")
    p.add_argument("--start", required=True, help="session start, ISO 8601 with offset")
    p.add_argument("--duration", type=int, default=120)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--speed", type=float, default=1.0)
    p.add_argument("--interval", type=float, default=1.0)
    return run_simulated(p.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
