"""Damage is detected, never served or spread: ``liveboard store check`` names every damaged log entry,
checkpoint or data file and exits 1; readers refuse what fails its checksum; writers refuse to write over a
damaged log and delete nothing; ``liveboard store repair`` rolls back to the last good version, keeps what
it takes out in ``_damaged/``, and afterwards the check passes and writes work again.

Each case damages a copy of one small store (built once) the way a disk or a hostile world would.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import shutil
from pathlib import Path

import pyarrow as pa
import pytest
from logbuilder import BASE, LogBuilder

from liveboard import tables
from liveboard.cli import main
from liveboard.eventlog import BAD_ROW_SCHEMA, write_event_log
from liveboard.simulator import simulate_session
from liveboard.store import ALL_TABLES, Store
from liveboard.store_admin import DAMAGED

TS = pa.timestamp("us", tz="UTC")


def sim(sid: str, account: str, hours: float, seed: int) -> pa.Table:
    return simulate_session(sid, account, BASE + dt.timedelta(hours=hours), 900, seed=seed, scale=0.15)


def at(minutes: float) -> dt.datetime:
    return BASE + dt.timedelta(minutes=minutes)


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """Four commits that leave every table with a newest log entry of its own: a1 and a2 (two days) with bad
    rows, b1 (another account), the API's summaries, trend and products, a recorder's gap."""
    tmp = tmp_path_factory.mktemp("damage")
    root = tmp / "store"
    s = Store(root, create=True)
    bad = pa.table(
        {"file": ["a.jsonl"], "line": [4], "reason": ["line 4: not JSON"], "raw": pa.array(["{x"], pa.large_string())},
        schema=BAD_ROW_SCHEMA,
    )
    s.append(pa.concat_tables([sim("a1", "glow.lab", 0, 1), sim("a2", "glow.lab", 26, 2)]), bad)
    b1 = sim("b1", "chef.sam", 1, 3)
    s.append(b1)
    s.put_source(
        "api",
        pa.table({"source_key": ["7300000000000000002"], "account_id": ["kedai"], "start": pa.array([at(9000)], TS)}),
        trends=pa.table(
            {"source_key": ["7300000000000000002"], "t": pa.array([at(9000)], TS), "interval_s": [60], "gmv": [1.0]}
        ),
        products=pa.table({"source_key": ["7300000000000000002"], "product_id": ["p1"], "clicks": [5]}),
    )
    s.put_source(
        "recorder",
        pa.table({"source_key": ["a2"], "account_id": ["glow.lab"], "start": pa.array([at(26 * 60)], TS)}),
        gaps=pa.table(
            {
                "source_key": ["a2"],
                "gap_start": pa.array([at(26 * 60 + 2)], TS),
                "gap_end": pa.array([at(26 * 60 + 3)], TS),
                "reason": ["connection lost"],
            }
        ),
    )
    for name in ALL_TABLES:
        assert tables.latest_version(root / name) >= 1, name
    b1_log = tmp / "b1.jsonl"
    write_event_log(b1, b1_log)
    return root, b1_log


@pytest.fixture
def store(base, tmp_path) -> Path:
    root = tmp_path / "store"
    shutil.copytree(base[0], root)
    return root


def run(capsys, *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def assert_nothing_lost(root: Path, before: set[str]) -> None:
    """Every file that was there is still there, or kept in ``_damaged/<time>/`` under the same path."""
    for rel in before:
        if rel == "_lock" or (root / rel).exists():
            continue
        assert list((root / DAMAGED).glob(f"*/{rel}")), f"{rel} was deleted"


def without_after_repair(root: Path, capsys) -> str:
    """`liveboard sessions --format csv` without the row of the session `repaired` imported."""
    rc, out, _ = run(capsys, "sessions", "--format", "csv", "--store", str(root))
    assert rc == 0
    return "".join(line for line in out.splitlines(keepends=True) if not line.startswith("after-repair,"))


def newest_entry(root: Path, table: str) -> Path:
    return root / table / tables.LOG / f"{tables.latest_version(root / table):020d}.json"


def truncate(path: Path, at_line_break: bool = False) -> None:
    """Cut a file in half, or (``at_line_break``) after its last line but one: what is left still parses."""
    data = path.read_bytes()
    if at_line_break:
        lines = data.splitlines(keepends=True)
        assert len(lines) >= 2, path
        path.write_bytes(b"".join(lines[:-1]))
    else:
        path.write_bytes(data[: len(data) // 2])


def flip(path: Path, at: int | None = None, n: int = 64) -> None:
    data = bytearray(path.read_bytes())
    start = len(data) // 2 if at is None else at
    for i in range(start, start + n):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))


def event_file(root: Path, session: str) -> Path:
    """The one data file holding a session's events (each session here has a partition of its own)."""
    (path,) = Store(root).event_files(Store(root).connect()[0], [session])
    return path


def repaired(root: Path, capsys) -> str:
    """Run repair; then the check passes and an import works."""
    before = files(root)
    rc, out, err = run(capsys, "store", "repair", "--store", str(root))
    assert rc == 0, err
    assert_nothing_lost(root, before)
    rc, check_out, err = run(capsys, "store", "check", "--store", str(root))
    assert rc == 0, (out, check_out, err)
    after = simulate_session("after-repair", "new.one", BASE + dt.timedelta(days=9), 60, seed=9, scale=0.02)
    assert Store(root).append(after).imported == after.num_rows
    return out


# ------------------------------------------------------------------ torn log entries


@pytest.mark.parametrize("at_line_break", [False, True], ids=["mid-line", "at-a-line-break"])
@pytest.mark.parametrize("table", ALL_TABLES)
def test_a_truncated_newest_log_entry_is_named_refused_and_rolled_back(table, at_line_break, store, capsys):
    entry = newest_entry(store, table)
    truncate(entry, at_line_break)
    rc, out, err = run(capsys, "store", "check", "--store", str(store))
    assert rc == 1
    assert f"{entry}: {'torn' if at_line_break else 'damaged'}" in out.splitlines()[0]
    assert "liveboard store repair" in err
    # readers say so (no silent rollback to an older version)
    rc, out, err = run(capsys, "sessions", "--format", "csv", "--store", str(store))
    assert rc == 1 and out == "" and str(entry) in err and "store check" in err, (out, err)
    report = repaired(store, capsys)
    assert "moved aside log entry" in report and f"{DAMAGED}/" in report
    assert list((store / DAMAGED).glob(f"*/{table}/{tables.LOG}/{entry.name}"))  # kept, not deleted


@pytest.mark.parametrize("at_line_break", [False, True], ids=["mid-line", "at-a-line-break"])
def test_an_import_after_a_torn_events_entry_refuses_names_it_and_deletes_nothing(store, base, capsys, at_line_break):
    entry = newest_entry(store, "events")
    truncate(entry, at_line_break)
    before = files(store)
    log = LogBuilder("c1")
    log.start(0, account_id="glow.lab", id="c1-start")
    path = log.write(store.parent / "c1.jsonl")
    rc, out, err = run(capsys, "import", str(path), "--store", str(store))
    assert rc != 0
    assert str(entry) in err and "liveboard store repair" in err and "Traceback" not in err
    assert files(store) == before
    # repair rolls the store back to before b1's commit and puts b1's intact files back in a commit of its own
    report = repaired(store, capsys)
    assert "sessions b1:" in report and "committed again" in report and "re-import" not in report
    assert len(Store(store).events(["b1"])) == len(Store(base[0]).events(["b1"]))
    assert_nothing_lost(store, before)
    rc, out, err = run(capsys, "import", str(base[1]), "--store", str(store))
    assert rc == 0 and "imported 0" in out, (out, err)  # all there already: every event a duplicate


@pytest.mark.parametrize("torn", ["events", "commits"])
@pytest.mark.parametrize("at_line_break", [False, True], ids=["mid-line", "at-a-line-break"])
def test_a_live_session_in_a_torn_entry_is_not_lost(store, capsys, at_line_break, torn):
    """A live LIVE has no file to import again: repair puts its events back from its own intact files,
    whether its newest events entry is torn or the store's head entry naming it."""
    s = Store(store)
    live = sim("live1", "glow.lab", 50, 7)
    cuts = [0, live.num_rows // 3, 2 * live.num_rows // 3, live.num_rows]
    for lo, hi in itertools.pairwise(cuts):  # three appends, as the live writer makes them
        s.append(live.slice(lo, hi - lo), summarize=False, recent_only=True)
    truncate(newest_entry(store, torn), at_line_break)
    assert run(capsys, "store", "check", "--store", str(store))[0] == 1
    report = repaired(store, capsys)
    assert "sessions live1:" in report and "committed again" in report and "re-import" not in report, report
    assert run(capsys, "store", "check", "--store", str(store))[0] == 0
    again = Store(store)
    assert again.events(["live1"]).num_rows == live.num_rows
    row = [r for r in again.read_table("sessions").to_pylist() if r["session_id"] == "live1"]
    assert row and row[0]["event_count"] == live.num_rows


@pytest.mark.parametrize("at_line_break", [False, True], ids=["mid-line", "at-a-line-break"])
def test_a_torn_head_entry_rolls_the_store_back_naming_the_sessions(store, capsys, at_line_break):
    truncate(newest_entry(store, "commits"), at_line_break)
    rc, _, err = run(capsys, "quarantine", "--store", str(store))  # the head is read by every command
    assert rc == 1 and "commits/_delta_log/" in err and "store check" in err
    report = repaired(store, capsys)
    assert "the store is back at version 3" in report


# ------------------------------------------------------------------ data files


def test_flipped_bytes_in_an_event_file_are_never_served(store, capsys, base):
    victim = event_file(store, "b1")
    flip(victim)
    out_file = store.parent / "b1-export.jsonl"
    rc, out, err = run(capsys, "export", "b1", "--out", str(out_file), "--store", str(store))
    assert rc == 1
    assert str(victim) in err and "store check" in err and "Traceback" not in err
    assert out == "" and not out_file.exists()
    with pytest.raises(Exception, match="damaged"):
        Store(store).events(["b1"])
    rc, out, _ = run(capsys, "store", "check", "--store", str(store))
    assert rc == 1 and out.splitlines() == [f"{victim}: damaged: its content does not match the checksum in its name"]
    report = repaired(store, capsys)
    assert "sessions b1 had events in the removed file(s): re-import their files" in report
    assert list((store / DAMAGED).glob(f"*/events/{victim.relative_to(store / 'events')}"))
    rc, out, _ = run(capsys, "sessions", "--format", "csv", "--store", str(store))
    assert "\nb1," not in out and "\na1," in out
    rc, _, err = run(capsys, "import", str(base[1]), "--store", str(store))
    assert rc == 0, err
    again, first = Store(store).events(["b1"]), Store(base[0]).events(["b1"])
    assert again.drop_columns(["seq"]).equals(first.drop_columns(["seq"]))


def test_a_deleted_event_file_is_named_and_repaired(store, capsys):
    victim = event_file(store, "a2")
    victim.unlink()
    rc, out, _ = run(capsys, "store", "check", "--store", str(store))
    assert rc == 1 and out.startswith(f"{victim}: missing")
    rc, _, err = run(capsys, "export", "a2", "--out", str(store.parent / "a2.jsonl"), "--store", str(store))
    assert rc == 1 and str(victim) in err
    report = repaired(store, capsys)
    assert "sessions a2 had events in the removed file(s)" in report
    rc, out, _ = run(capsys, "sessions", "--format", "csv", "--store", str(store))
    assert "\na1," in out


def test_a_damaged_sessions_file_is_rebuilt_from_the_events(store, base, capsys):
    rc, expected, _ = run(capsys, "sessions", "--format", "csv", "--store", str(base[0]))
    (victim,) = Store(store).table_files("sessions")
    flip(victim, at=200)
    rc, out, err = run(capsys, "sessions", "--store", str(store))
    assert rc == 1 and str(victim) in err
    rc, out, _ = run(capsys, "store", "check", "--store", str(store))
    assert rc == 1 and str(victim) in out
    report = repaired(store, capsys)
    assert "rebuilt from the events" in report
    assert without_after_repair(store, capsys) == expected


# ------------------------------------------------------------------ checkpoints


@pytest.mark.parametrize("damage", ["truncated", "flipped"])
def test_a_damaged_checkpoint_is_named_and_set_aside(damage, store, base, capsys):
    rc, expected, _ = run(capsys, "sessions", "--format", "csv", "--store", str(base[0]))
    tables.load(store / "events").create_checkpoint()  # what every CHECKPOINT_INTERVAL commits do
    (cp,) = (store / "events" / tables.LOG).glob("*.checkpoint.parquet")
    truncate(cp) if damage == "truncated" else flip(cp, at=1000)
    rc, out, _ = run(capsys, "store", "check", "--store", str(store))
    assert rc == 1 and out.splitlines()[0].startswith(f"{cp}: damaged checkpoint")
    rc, _, err = run(capsys, "sessions", "--store", str(store))
    assert rc == 1 and "store check" in err
    report = repaired(store, capsys)
    assert "moved aside checkpoint" in report
    assert without_after_repair(store, capsys) == expected


# ------------------------------------------------------------------ a healthy store


def test_check_info_and_repair_of_a_healthy_store(store, capsys):
    rc, out, _ = run(capsys, "store", "check", "--store", str(store))
    assert rc == 0 and out.startswith(f"{store}: OK — version 4, 8 tables") and out.count("\n") == 1
    before = files(store)
    rc, out, _ = run(capsys, "store", "repair", "--store", str(store))
    assert rc == 0 and "nothing to repair" in out
    assert files(store) == before
    rc, out, _ = run(capsys, "store", "info", "--store", str(store))
    assert rc == 0
    lines = out.splitlines()
    assert lines[0].split() == ["table", "version", "files", "bytes", "rows", "checkpoint"]
    assert lines[-2] == "sessions: 4 (3 sealed) of 3 account(s)"  # a1 a2 b1 sealed, the API-only one not
    assert lines[-1].startswith("store version 4; created 20")
    rc, out, _ = run(capsys, "store", "info", "--format", "json", "--store", str(store))
    data = json.loads(out)
    events = next(t for t in data["tables"] if t["table"] == "events")
    assert events["rows"] == sum(len(Store(store).events([s])) for s in ("a1", "a2", "b1"))
    assert events["files"] == 3 and events["version"] == 2 and events["bytes"] > 0
    assert data["sessions"] == {"count": 4, "accounts": 3, "sealed": 3}


def _page_text(widget) -> str:
    out, todo = [], [widget]
    while todo:
        w = todo.pop()
        todo.extend(getattr(w, "children", ()))
        if isinstance(getattr(w, "value", None), str):
            out.append(w.value)
    return "\n".join(out)


def test_the_pages_name_the_damage_and_the_way_back(store, tmp_path):
    """LIVE Analytics and the LIVE Board say what is damaged and how to repair it (not "no store here")."""
    from liveboard.pages import analytics, board

    entry = newest_entry(store, "commits")
    truncate(entry, at_line_break=True)
    page = _page_text(analytics.app(store))
    assert "lb-error" in page and entry.name in page and "liveboard store repair" in page
    assert "No liveboard store" not in page
    widget, live = board.build_page(session="a1", store=store)
    text = _page_text(widget)
    assert live is None and entry.name in text and "liveboard store repair" in text and "Unknown session" not in text
    missing = _page_text(analytics.app(tmp_path / "nowhere"))
    assert "No liveboard store" in missing
