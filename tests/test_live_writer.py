"""The live writer survives SIGKILL: a restart loses nothing beyond the last second, duplicates nothing,
and the session is sealed at its end."""

from __future__ import annotations

import datetime as dt
import json
import signal
import subprocess
import sys
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


def _read_json(proc: subprocess.Popen) -> dict:
    line = proc.stdout.readline()
    assert line, f"writer exited early: {proc.stderr.read()}"
    return json.loads(line)


def test_kill_and_restart(tmp_path):
    store = tmp_path / "store"
    start = dt.datetime.fromtimestamp(int(time.time()), dt.UTC)
    proc = subprocess.Popen(_cmd(store, start), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert _read_json(proc) == {"resumed": 0, "sealed": False}
        commits = [_read_json(proc) for _ in range(4)]
    finally:
        proc.send_signal(signal.SIGKILL)
        killed_at = time.time()
        proc.wait()
    last = commits[-1]
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
    # the loss window: events released after the last commit that reported in; that commit is at most
    # one interval (plus the commit's own time) old when the process dies
    assert killed_at - last["wall"] < INTERVAL + 2.0
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
