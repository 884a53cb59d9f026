"""``liveboard store upgrade``: a store written by the liveboard before Delta Lake (tests/legacy_store.py, a frozen
copy of that code) becomes a Delta store in place, with the same sessions CSV byte for byte, the same
exported events and the same quarantine; a kill at any point leaves the old store or the new one; every other
command on an old store says how to upgrade.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import legacy_store
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from logbuilder import BASE, LogBuilder, write_lines

from liveboard import store_upgrade, tables
from liveboard.cli import main
from liveboard.csvsafe import to_safe_csv
from liveboard.eventlog import BAD_ROW_SCHEMA, write_event_log
from liveboard.events import EVENT_SCHEMA
from liveboard.listings import sessions_csv_frame
from liveboard.simulator import simulate_session
from liveboard.store import OldLayoutError, Store, is_old_layout
from liveboard.workbench import Workbench

TS = pa.timestamp("us", tz="UTC")


def at(minutes: float) -> dt.datetime:
    return BASE + dt.timedelta(minutes=minutes)


def _session(
    sid: str, account: str, t0: float, *, end: bool = True, n: int = 6, title: str | None = None
) -> LogBuilder:
    log = LogBuilder(sid)
    log.start(t0, account_id=account, title=title or f"LIVE {sid}", id=f"{sid}-start")
    for i in range(n):
        log.enter(t0 + 5 + i, f"u{i}", id=f"{sid}-enter-{i}")
        log.order(t0 + 20 + i, f"{sid}-o{i}", f"u{i}", amount=f"{3 + i}.25", id=f"{sid}-order-{i}")
    if end:
        log.end(t0 + 600, id=f"{sid}-end")
    return log


def sim(sid: str, account: str, hours: float, *, seed: int, end: bool = True, title: str | None = None) -> pa.Table:
    return simulate_session(
        sid, account, BASE + dt.timedelta(hours=hours), 1200, seed=seed, scale=0.15, end_event=end, title=title
    )


def bad_rows(file: str, lines: list[int]) -> pa.Table:
    return pa.table(
        {
            "file": [file] * len(lines),
            "line": lines,
            "reason": [f"line {n}: not JSON" for n in lines],
            "raw": pa.array([f"{{not json {n}" for n in lines], pa.large_string()),
        },
        schema=BAD_ROW_SCHEMA,
    )


def build_old_store(root: Path) -> None:
    """A store in the old layout, written by the old code: several accounts and days, bad rows and a
    conflict in quarantine, a late refund into a sealed session, a live session (stale summary) compacted,
    and the API's summaries, trends and products plus a recorder's gap."""
    s = legacy_store.Store(root, create=True)
    a1 = sim("a1", "glow.lab", 0, seed=1)
    s.append(pa.concat_tables([a1, sim("a2", "glow.lab", 26, seed=2)]), bad_rows("a.jsonl", [3, 9]))
    s.append(sim("b1", "chef sam", 1, seed=3, title="Chef's <LIVE> & co"))
    order = a1.filter(pc.equal(a1["type"], "order")).slice(0, 1).to_pylist()[0]
    other = a1.filter(pc.equal(a1["type"], "comment")).slice(0, 1).to_pylist()[0]
    late = [
        order | {"id": "a1-refund", "status": "refunded", "ts": order["ts"] + dt.timedelta(hours=2)},
        other | {"text": "edited later"},  # the same id with other content: a conflict, quarantined
    ]
    rep = s.append(pa.Table.from_pylist(late, schema=EVENT_SCHEMA))
    assert rep.late_updates == {"a1": 1} and rep.conflicts == 1
    live = sim("live1", "glow.lab", 50, seed=4, end=False)
    half = live.num_rows // 2
    s.append(live.slice(0, half), summarize=False)
    s.append(live.slice(half), summarize=False)
    assert s.compact(["live1"]) > 0
    s.put_source(
        "api",
        pa.table(
            {
                "source_key": ["7300000000000000001", "7300000000000000002"],
                "account_id": ["glow.lab", "kedai"],
                "start": pa.array([at(2), at(5 * 24 * 60)], TS),
                "currency": ["MYR", "MYR"],
                "gmv": [99.5, 4350.0],
                "items_sold": [7, 150],
                "views": [900, 600],
            }
        ),
        trends=pa.table(
            {
                "source_key": ["7300000000000000002"] * 3,
                "t": pa.array([at(5 * 24 * 60 + i) for i in range(3)], TS),
                "interval_s": [60] * 3,
                "gmv": [1.0, 2.0, 3.0],
            }
        ),
        products=pa.table(
            {"source_key": ["7300000000000000002"], "product_id": ["p1"], "name": ["Serum"], "clicks": [50]}
        ),
    )
    s.put_source(
        "recorder",
        pa.table({"source_key": ["b1"], "account_id": ["chef sam"], "start": pa.array([at(60)], TS)}),
        gaps=pa.table(
            {
                "source_key": ["b1"],
                "gap_start": pa.array([at(62)], TS),
                "gap_end": pa.array([at(63)], TS),
                "reason": ["connection lost"],
            }
        ),
    )


def read_view(store, tmp: Path, *, exports: bool = True) -> dict:
    """What the old store shows, through the same Workbench and CSV code as the CLI."""
    wb = Workbench(store)
    df = wb.sessions()
    out_files = {}
    for sid in df["session_id"] if exports else ():
        sd = wb.session(sid)
        if sd.has_events:
            out = tmp / f"{sid}.jsonl"
            write_event_log(sd.events(), out)
            out_files[sid] = out.read_bytes()
    csv = to_safe_csv(sessions_csv_frame(df))
    return {"csv": csv, "frame": df, "exports": out_files, "quarantine": wb.quarantine()}


def legacy_csv(root: Path) -> str:
    return to_safe_csv(sessions_csv_frame(Workbench(legacy_store.Store(root)).sessions()))


def files_of(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def old_pieces(root: Path) -> list[str]:
    names = [str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()]
    return [
        n
        for n in names
        if n.startswith(("_log/", "catalog/"))
        or store_upgrade._OLD_EVENT.fullmatch(Path(n).name)
        or store_upgrade._OLD_QUARANTINE.fullmatch(Path(n).name)
    ]


@pytest.fixture(scope="module")
def old(tmp_path_factory):
    """The old store (built once; tests upgrade copies of it) and what it shows."""
    base = tmp_path_factory.mktemp("old")
    root = base / "store"
    build_old_store(root)
    view = read_view(legacy_store.Store(root), base / "expected")
    assert len(view["exports"]) == 4 and len(view["frame"]) == 5  # a1 a2 b1 live1 + the API-only session
    con, _ = legacy_store.Store(root).connect()
    assert con.sql("SELECT session_id FROM sessions WHERE stale").fetchall() == [("live1",)]
    assert len(view["quarantine"]) == 3
    assert any(store_upgrade._OLD_EVENT.fullmatch(p.name) for p in root.rglob("*.parquet"))
    return root, view


@pytest.fixture
def store(old, tmp_path):
    root = tmp_path / "store"
    shutil.copytree(old[0], root)
    return root


def assert_same(root: Path, view: dict, tmp: Path, capsys, *, exports: bool = True) -> None:
    """The upgraded store shows what the old one did: `liveboard sessions --format csv` byte for byte,
    `liveboard export` of every session, the quarantine, every column of the catalog."""
    capsys.readouterr()
    assert main(["sessions", "--format", "csv", "--store", str(root)]) == 0
    assert capsys.readouterr().out == view["csv"]
    for sid, expected in view["exports"].items() if exports else ():
        out = tmp / "exports" / f"{sid}.jsonl"
        assert main(["export", sid, "--out", str(out), "--store", str(root)]) == 0
        assert out.read_bytes() == expected, sid
    wb = Workbench(Store(root))
    pd.testing.assert_frame_equal(wb.quarantine(), view["quarantine"])
    pd.testing.assert_frame_equal(wb.sessions(), view["frame"], check_dtype=False)
    capsys.readouterr()


# ------------------------------------------------------------------ the upgrade


def test_upgrade_gives_the_same_store_and_removes_the_old_pieces(store, old, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(store_upgrade, "BATCH_ROWS", 1000)  # event files rewritten in several batches each
    old_files = old_pieces(store)
    assert is_old_layout(store)
    assert main(["store", "upgrade", "--store", str(store)]) == 0
    out = capsys.readouterr().out
    assert "upgraded" in out and "5 session(s)" in out and f"removed {len(old_files)} file(s)" in out
    assert not is_old_layout(store)
    assert old_pieces(store) == []
    assert not (store / "_log").exists() and not (store / "catalog").exists()
    assert_same(store, old[1], tmp_path, capsys)
    # every table is a Delta table another engine can open; the head names their versions
    for name in ("events", "sessions", "quarantine", "source_summaries", "source_trends", "source_products", "gaps"):
        assert tables.latest_version(store / name) == 1, name
    assert main(["store", "check", "--store", str(store)]) == 0
    # writes work on the upgraded store, and the old rules still hold (a1 is sealed: only late updates)
    extra = LogBuilder("c1")
    extra.start(10 * 86400, account_id="glow.lab", id="c1-start")
    sealed = LogBuilder("a1")
    sealed.ev("comment", 700, user_id="u3", text="after the end", id="a1-new-comment")
    path = write_lines(tmp_path / "new.jsonl", extra.lines() + sealed.lines())
    assert main(["import", str(path), "--store", str(store)]) == 1
    assert "imported 1 " in capsys.readouterr().out
    assert len(Workbench(Store(store)).sessions()) == 6
    # read order continues the old store's: an event committed now sorts after every old one at equal ts
    seqs = Store(store).events()
    new_seq = pc.max(pc.filter(seqs["seq"], pc.equal(seqs["session_id"], "c1"))).as_py()
    old_seq = pc.max(pc.filter(seqs["seq"], pc.not_equal(seqs["session_id"], "c1"))).as_py()
    assert new_seq > old_seq
    # and again: a new store is said to be one
    assert main(["store", "upgrade", "--store", str(store)]) == 0
    assert "already in the Delta Lake layout" in capsys.readouterr().out


def test_an_upgrade_stopped_before_the_head_leaves_the_old_store_and_starts_over(store, old, tmp_path, capsys):
    """The real steps up to the switch: the store is still the old one, for old and new code alike; an old
    writer may even commit to it; a new upgrade removes only what the first one made."""
    before = files_of(store)
    snap = store_upgrade.read_old_snapshot(store)
    store_upgrade.start_over(store)
    store_upgrade.write_tables(store, snap, store_upgrade.UpgradeReport(), lambda _: None)
    after = files_of(store)
    assert {k: v for k, v in after.items() if k in before} == before  # no old file touched
    assert set(after) > set(before)
    assert is_old_layout(store)
    with pytest.raises(OldLayoutError, match="liveboard store upgrade"):
        Store(store)
    assert legacy_csv(store) == old[1]["csv"]
    # the old code goes on writing meanwhile
    late = sim("d1", "kedai", 80, seed=5)
    assert legacy_store.Store(store).append(late).imported == late.num_rows
    expected = read_view(legacy_store.Store(store), tmp_path / "expected", exports=False)
    assert main(["store", "upgrade", "--store", str(store)]) == 0
    assert old_pieces(store) == []
    assert_same(store, expected, tmp_path, capsys)
    assert Store(store).events(["d1"]).num_rows == late.num_rows
    assert main(["store", "check", "--store", str(store)]) == 0


def test_an_upgrade_stopped_after_the_head_is_a_new_store_and_a_rerun_cleans_up(store, old, tmp_path, capsys):
    snap = store_upgrade.read_old_snapshot(store)
    report = store_upgrade.UpgradeReport()
    versions = store_upgrade.write_tables(store, snap, report, lambda _: None)
    store_upgrade.switch(store, versions, snap.version)
    assert old_pieces(store)  # not yet removed
    assert not is_old_layout(store)
    assert_same(store, old[1], tmp_path, capsys, exports=False)
    assert main(["store", "upgrade", "--store", str(store)]) == 0
    out = capsys.readouterr().out
    assert "already in the Delta Lake layout" in out and "finished an interrupted upgrade" in out
    assert old_pieces(store) == []
    assert_same(store, old[1], tmp_path, capsys, exports=False)


def test_upgrade_refuses_a_damaged_newest_old_entry_and_changes_nothing(store, capsys):
    log = sorted((store / "_log").glob("*.json"))[-1]
    log.write_bytes(log.read_bytes()[:20])
    before = files_of(store)
    assert main(["store", "upgrade", "--store", str(store)]) == 1
    err = capsys.readouterr().err
    assert str(log) in err and "refusing to upgrade" in err and "move the damaged entry" in err
    assert files_of(store) == before


def test_upgrade_refuses_an_old_store_whose_files_are_missing(store, capsys):
    victim = next(p for p in (store / "events").rglob("*.parquet") if store_upgrade._OLD_EVENT.fullmatch(p.name))
    files = pd.read_parquet(sorted((store / "catalog").glob("files-v*.parquet"))[-1])
    if str(victim.relative_to(store)) not in set(files["path"]):
        pytest.fail("the first old event file is not part of the newest version")
    victim.unlink()
    before = files_of(store)
    assert main(["store", "upgrade", "--store", str(store)]) == 1
    assert f"{victim} is named by the old store's newest version but is missing" in capsys.readouterr().err
    assert files_of(store) == before


def test_kill_9_at_a_random_point_leaves_the_old_store_or_the_new_one(store, old, tmp_path, capsys):
    """One trial: the kill lands anywhere in the upgrade's work (from its first new table to its exit, as
    timed on a copy): the store is then the old one or the new one, and a re-run completes it."""

    def start(root: Path) -> tuple[subprocess.Popen, float]:
        proc = subprocess.Popen(
            [sys.executable, "-m", "liveboard", "store", "upgrade", "--store", str(root)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        begun = root / "events" / tables.LOG  # the lock is held and the first new table is being made
        while proc.poll() is None and not begun.exists():
            time.sleep(0.002)
        return proc, time.monotonic()

    ref = tmp_path / "ref"
    shutil.copytree(store, ref)
    proc, t0 = start(ref)
    assert proc.wait(timeout=120) == 0, proc.stderr.read()
    work = time.monotonic() - t0
    seed = int(os.environ.get("LIVEBOARD_KILL_SEED", random.randrange(1 << 30)))
    delay = work * random.Random(seed).uniform(0.0, 1.1)
    proc, _ = start(store)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    note = f"seed {seed}, killed {delay:.3f} s into {work:.3f} s of work (rc {proc.returncode})"
    with capsys.disabled():  # pytest -s shows where the kill landed
        print(f"\n{note}: {'the old store' if is_old_layout(store) else 'the new store'}")
    if is_old_layout(store):
        with pytest.raises(OldLayoutError):
            Store(store)
        assert legacy_csv(store) == old[1]["csv"], note
        assert legacy_store.Store(store).events().equals(legacy_store.Store(old[0]).events()), note
    else:
        assert_same(store, old[1], tmp_path, capsys, exports=False)
    assert main(["store", "upgrade", "--store", str(store)]) == 0, note
    assert old_pieces(store) == [], note
    assert_same(store, old[1], tmp_path, capsys, exports=False)
    assert Store(store).events().equals(Store(ref).events()), note
    assert main(["store", "check", "--store", str(store)]) == 0, note
    leftovers = [p for p in store.rglob("*") if p.name.endswith(".tmp") or store_upgrade.HEAD_BUILD in p.parts]
    assert not leftovers, (note, leftovers)


# ------------------------------------------------------------------ an old store everywhere else


@pytest.fixture
def shop_env(monkeypatch):
    for name in ("TIKTOK_SHOP_APP_KEY", "TIKTOK_SHOP_APP_SECRET", "TIKTOK_SHOP_ACCESS_TOKEN", "TIKTOK_SHOP_CIPHER"):
        monkeypatch.setenv(name, "x")
    monkeypatch.setenv("TIKTOK_SHOP_API_BASE", "http://127.0.0.1:9")  # never reached


@pytest.mark.parametrize(
    "argv",
    [
        ["sessions"],
        ["sessions", "--format", "csv"],
        ["accounts"],
        ["import", "{log}"],
        ["report", "a1", "--out", "{tmp}/reports", "--quiet"],
        ["export", "a1", "--out", "{tmp}/a1.jsonl"],
        ["quarantine"],
        ["sync", "shop", "--since", "2026-03-01", "--until", "2026-03-02"],
        ["store", "info"],
        ["store", "check"],
        ["store", "repair"],
    ],
    ids=lambda a: " ".join(a[:2]),
)
def test_every_command_on_an_old_store_says_how_to_upgrade(argv, store, tmp_path, capsys, shop_env):
    log = _session("z1", "glow.lab", 0).write(tmp_path / "z1.jsonl")
    args = [a.format(log=log, tmp=tmp_path) for a in argv] + ["--store", str(store)]
    before = files_of(store)
    capsys.readouterr()
    assert main(args) == 1
    out, err = capsys.readouterr()
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert f"run `liveboard store upgrade --store {store}` once" in lines[0]
    assert "Traceback" not in err and out == ""
    assert files_of(store) == before
    assert not (tmp_path / "a1.jsonl").exists()


def test_serve_on_an_old_store_says_how_to_upgrade(store):
    done = subprocess.run(
        [sys.executable, "-m", "liveboard", "serve", "--store", str(store), "--port", "9"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "liveboard store upgrade" in done.stderr and "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1 and "serving" not in done.stdout


def test_the_pages_say_how_to_upgrade(store):
    from liveboard.pages.analytics import app
    from liveboard.pages.board import build_page

    page = app(str(store))
    text = " ".join(getattr(w, "value", "") for w in page.children if isinstance(getattr(w, "value", None), str))
    assert "liveboard store upgrade --store" in text and "No liveboard store" not in text
    widget, board = build_page(session="a1", store=str(store))
    assert board is None
    assert "liveboard store upgrade --store" in widget.value and "Unknown session" not in widget.value
