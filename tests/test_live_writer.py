"""The live writer survives SIGKILL: a restart loses nothing beyond the last second, duplicates nothing,
and the session is sealed at its end."""

from __future__ import annotations

import datetime as dt
import json
import queue
import signal
import subprocess
import sys
import threading
import time

import pyarrow.compute as pc
from live_compare import assert_same, sql_frames

import liveboard
from liveboard.live.sources import SimulatedLive
from liveboard.store import Store

INTERVAL = 1.0


def _cmd(store, start: dt.datetime) -> list[str]:
    return [
        sys.executable,
        "-m",
        "liveboard.live.writer",
        "--store",
        str(store),
        "--session",
        "s-crash",
        "--start",
        start.isoformat(),
        "--duration",
        "300",
        "--seed",
        "7",
        "--scale",
        "0.6",
        "--speed",
        "10",
        "--interval",
        str(INTERVAL),
    ]


#: Seconds a line of the writer may take at most (a deadline for a wait, not a measurement: a loaded machine is slow).
LINE_DEADLINE = 120.0


def _lines(proc: subprocess.Popen) -> queue.Queue:
    """The writer's stdout lines as they come ("" once it is closed), read by a thread, to wait on with a deadline."""
    lines: queue.Queue = queue.Queue()

    def read() -> None:
        for line in proc.stdout:
            lines.put(line)
        lines.put("")

    threading.Thread(target=read, daemon=True).start()
    return lines


def _read_json(proc: subprocess.Popen, lines: queue.Queue) -> dict:
    try:
        line = lines.get(timeout=LINE_DEADLINE)
    except queue.Empty:
        raise AssertionError(f"the writer printed nothing for {LINE_DEADLINE:.0f} s") from None
    assert line, f"writer exited early: {proc.stderr.read()}"
    return json.loads(line)


def test_kill_and_restart(tmp_path):
    store = tmp_path / "store"
    start = dt.datetime.fromtimestamp(int(time.time()), dt.UTC)
    proc = subprocess.Popen(_cmd(store, start), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = _lines(proc)
        assert _read_json(proc, lines) == {"resumed": 0, "sealed": False}
        commits = [_read_json(proc, lines) for _ in range(4)]
        # killed mid-LIVE, at once after the writer reported its 4th commit: that commit is the last one
        # before the crash unless another interval went by first
        assert proc.poll() is None
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    last = commits[-1]
    assert "sealed" not in last
    # what the simulated LIVE is (same arguments, same events)
    sim = SimulatedLive("s-crash", duration_s=300, seed=7, scale=0.6, speed=10, start=start).events
    sim_ts = sim["ts"].cast("int64").to_numpy()
    stored = Store(store).events(["s-crash"])
    ids = stored["id"].to_pylist()
    assert len(ids) == len(set(ids))
    # everything up to the last reported commit is there; at most what arrived after it is lost
    upto = set(sim.filter(pc.less_equal(sim["ts"].cast("int64"), last["through_us"]))["id"].to_pylist())
    assert upto <= set(ids)
    assert set(ids) <= set(sim["id"].to_pylist())
    # the loss window: events released after the last commit that reported in (the process was killed
    # as soon as that commit reported in, above: what a crash between two commits loses)
    lost = (sim_ts > last["through_us"]).sum() - (len(ids) - len(upto))
    assert lost >= 0

    # restart: resumes, skips what is stored, runs to the end and seals
    proc = subprocess.run(_cmd(store, start), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    out = [json.loads(x) for x in proc.stdout.splitlines()]
    assert out[0]["resumed"] == len(ids)
    assert out[-1].get("sealed") is True
    final = Store(store).events(["s-crash"])
    fids = final["id"].to_pylist()
    assert len(fids) == len(set(fids)) == sim.num_rows
    assert set(fids) == set(sim["id"].to_pylist())
    wb = liveboard.open(store)
    row = wb.sessions()
    assert bool(row.loc[row["session_id"] == "s-crash", "sealed"].iloc[0])
    assert_same("summary", wb.session("s-crash").summary(), sql_frames(sim)["summary"].iloc[0])
    # sealed is sealed: a late event is refused
    rep = Store(store).append(
        sim.slice(0, 1).set_column(1, "id", pc.binary_join_element_wise(sim.slice(0, 1)["id"], "x", ""))
    )
    assert rep.refused == 1
