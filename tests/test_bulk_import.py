"""A bulk import (``liveboard import``: parts staged to disk, checked out of core, files written unsorted in one
pass) gives the store exactly what one in-memory batch (``Store.append``) gives: the same events, catalog,
quarantine and counts, whatever the size of the parts (staged by liveboard.staging)."""

from __future__ import annotations

import pyarrow as pa
import pytest
from logbuilder import LogBuilder, write_lines

from liveboard import eventlog
from liveboard.cli import import_paths
from liveboard.eventlog import read_event_logs
from liveboard.store import Store

COUNTS = ("imported", "duplicates", "conflicts", "bad", "refused", "late_updates", "sealed")


def sealed_session() -> LogBuilder:
    """Imported first: a session that has ended, with an order that a later file updates."""
    log = LogBuilder("s0")
    log.start(0, account_id="acct0")
    log.order(60, "o1", id="o1-created")
    log.end(600)
    return log


def mixed_lines() -> list[str]:
    """Two sessions of two accounts interleaved, with every kind of trouble a batch can hold."""
    a, b = LogBuilder("s1"), LogBuilder("s2")
    a.start(0, account_id="acct1")
    b.start(86_400 * 2, account_id="acct2")  # another day: another partition
    for i in range(40):
        a.ev("comment", 10 + i, id=f"a{i}", user_id=f"u{i % 7}", text=f"hi {i}")
        b.ev("like", 86_400 * 2 + 10 + i, id=f"b{i}", user_id=f"v{i % 5}", count=1 + i % 3)
    lines = [line for pair in zip(a.lines(), b.lines(), strict=False) for line in pair]
    lines += a.lines()[5:9]  # verbatim repeats, far from their first copies: duplicates
    clash = LogBuilder("s1")
    clash.ev("comment", 30, id="a20", user_id="u6", text="another text")  # a second version: both rejected
    late = LogBuilder("s0")
    late.order(900, "o1", id="o1-refund", status="refunded")  # a late update of a sealed session's order
    late.ev("comment", 700, id="late-comment", user_id="u2", text="too late")  # refused: s0 is sealed
    early = LogBuilder("s3")
    early.start(1000, account_id="acct3")
    early.end(500)  # before its start: a bad row
    return lines[:30] + clash.lines() + ["{not json"] + lines[30:] + late.lines() + early.lines()


def _events(store: Store) -> list[dict]:
    return sorted(store.events().to_pylist(), key=lambda r: (r["session_id"], r["id"]))


def _table(store: Store, name: str, key: tuple[str, ...]) -> list[dict]:
    return sorted(store.read_table(name).to_pylist(), key=lambda r: tuple(str(r[k]) for k in key))


@pytest.mark.parametrize("part_lines", [3, 10_000])
def test_bulk_import_equals_one_batch(tmp_path, monkeypatch, part_lines):
    first = sealed_session().write(tmp_path / "first.jsonl")
    path = write_lines(tmp_path / "mixed.jsonl", mixed_lines())

    one = Store(tmp_path / "one", create=True)
    for p in (first, path):
        result = read_event_logs([p])
        want = one.append(result.events, result.bad, origin=result.locate)

    bulk = Store(tmp_path / "bulk", create=True)
    import_paths(bulk, [first], progress=False)
    monkeypatch.setattr(eventlog.lines, "CHUNK_LINES", part_lines)
    stream, _, got = import_paths(bulk, [path], progress=False)
    if part_lines == 3:
        assert stream.events_read > 30  # really many parts

    assert {k: getattr(got, k) for k in COUNTS} == {k: getattr(want, k) for k in COUNTS}
    assert got.imported > 80 and got.duplicates == 4 and got.conflicts == 2 and got.refused == 1
    assert got.late_updates == {"s0": 1} and got.bad >= 2
    assert _events(bulk) == _events(one)
    assert _table(bulk, "sessions", ("session_id",)) == _table(one, "sessions", ("session_id",))
    assert _table(bulk, "quarantine", ("file", "line", "reason")) == _table(
        one, "quarantine", ("file", "line", "reason")
    )
    # one file per partition touched: s0's first import, then s0's late update, s1, s2 (another account and
    # day) and s3 (its start; its early end is a bad row)
    files = [p.relative_to(bulk.root / "events").parent.as_posix() for p in bulk.table_files("events")]
    assert sorted(files) == ["account=acct0/date=2026-03-01"] * 2 + [
        "account=acct1/date=2026-03-01",
        "account=acct2/date=2026-03-03",
        "account=acct3/date=2026-03-01",
    ]
    assert not any((bulk.root / "_staging").iterdir())  # the staged parts are gone

    # the same file again: against the stored events now (all duplicates, the same rejections)
    result = read_event_logs([path])
    want = one.append(result.events, result.bad, origin=result.locate)
    got = import_paths(bulk, [path], progress=False)[2]
    assert {k: getattr(got, k) for k in COUNTS} == {k: getattr(want, k) for k in COUNTS}
    assert got.imported == 0 and got.duplicates > 80
    assert _events(bulk) == _events(one)
    assert _table(bulk, "quarantine", ("file", "line", "reason")) == _table(
        one, "quarantine", ("file", "line", "reason")
    )


def test_a_bulk_import_that_fails_leaves_the_store_as_it_was(tmp_path, monkeypatch):
    store = Store(tmp_path / "s", create=True)
    import_paths(store, [sealed_session().write(tmp_path / "first.jsonl")], progress=False)
    before = (store.snapshot().version, _events(store), [p.name for p in store.table_files("events")])
    path = write_lines(tmp_path / "mixed.jsonl", mixed_lines())

    def broken(self, *args, **kwargs):
        raise OSError("disk full (simulated, after the event files were written)")

    monkeypatch.setattr(Store, "_sessions_catalog", broken)
    with pytest.raises(OSError, match="disk full"):
        import_paths(store, [path], progress=False)
    again = Store(tmp_path / "s")
    assert (again.snapshot().version, _events(again), [p.name for p in again.table_files("events")]) == before
    assert not any((again.root / "_staging").iterdir())
    assert isinstance(again.events(), pa.Table)


def _spy_rewrites(monkeypatch) -> list[int]:
    """Count the store's rewrites of a batch's event files (the real method runs: a spy, not a stand-in)."""
    calls: list[int] = []
    real = Store._write_event_files

    def counted(self, *args, **kwargs):
        calls.append(1)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Store, "_write_event_files", counted)
    return calls


def clean_lines() -> list[str]:
    a, b = LogBuilder("c1"), LogBuilder("c2")
    a.start(0, account_id="acct1")
    b.start(86_400, account_id="acct2")
    for i in range(30):
        a.ev("comment", 10 + i, id=f"a{i}", user_id=f"u{i % 4}", text=f"hi {i}")
        b.ev("like", 86_400 + 10 + i, id=f"b{i}", user_id=f"v{i}", count=2)
    a.end(600)
    return a.lines() + b.lines()


def _one_batch(tmp_path, path) -> Store:
    one = Store(tmp_path / "one", create=True)
    result = read_event_logs([path])
    one.append(result.events, result.bad, origin=result.locate)
    return one


def test_a_clean_import_commits_the_files_it_staged_as_they_are(tmp_path, monkeypatch):
    path = write_lines(tmp_path / "clean.jsonl", clean_lines())
    rewrites = _spy_rewrites(monkeypatch)
    monkeypatch.setattr(eventlog.lines, "CHUNK_LINES", 7)
    bulk = Store(tmp_path / "bulk", create=True)
    got = import_paths(bulk, [path], progress=False)[2]
    assert rewrites == [] and got.imported == 63 and got.sealed == ["c1"]
    one = _one_batch(tmp_path, path)
    assert _events(bulk) == _events(one)
    assert _table(bulk, "sessions", ("session_id",)) == _table(one, "sessions", ("session_id",))
    files = sorted(p.relative_to(bulk.root / "events").parent.as_posix() for p in bulk.table_files("events"))
    assert files == ["account=acct1/date=2026-03-01", "account=acct2/date=2026-03-02"]


def test_rows_staged_in_a_partition_a_later_part_moves_are_rewritten(tmp_path, monkeypatch):
    # c9's events come first and its session_start (a day earlier) last: the first parts guessed wrong
    log = LogBuilder("c9")
    for i in range(20):
        log.ev("comment", 86_400 + i, id=f"x{i}", user_id="u", text="early in the file, late in time")
    log.start(0, account_id="acct9")
    path = write_lines(tmp_path / "unsorted.jsonl", log.lines())
    rewrites = _spy_rewrites(monkeypatch)
    monkeypatch.setattr(eventlog.lines, "CHUNK_LINES", 5)
    bulk = Store(tmp_path / "bulk", create=True)
    assert import_paths(bulk, [path], progress=False)[2].imported == 21
    assert len(rewrites) == 1
    files = [p.relative_to(bulk.root / "events").parent.as_posix() for p in bulk.table_files("events")]
    assert files == ["account=acct9/date=2026-03-01"]
    one = _one_batch(tmp_path, path)
    assert _events(bulk) == _events(one)
    assert _table(bulk, "sessions", ("session_id",)) == _table(one, "sessions", ("session_id",))


def test_a_commit_made_while_an_import_reads_makes_it_rewrite_its_files(tmp_path, monkeypatch):
    path = write_lines(tmp_path / "clean.jsonl", clean_lines())
    other = LogBuilder("w1")
    other.start(5, account_id="acct1")
    other.ev("comment", 20, id="w-c", user_id="u", text="a live append while the import reads")
    other_events = read_event_logs([other.write(tmp_path / "other.jsonl")]).events
    rewrites = _spy_rewrites(monkeypatch)
    monkeypatch.setattr(eventlog.lines, "CHUNK_LINES", 7)
    bulk = Store(tmp_path / "bulk", create=True)
    stream = eventlog.iter_event_logs([path], ordered=False)

    def parts():
        for i, part in enumerate(stream):
            yield part
            if i == 0:  # another writer commits meanwhile: the version the files were named for is taken
                assert Store(bulk.root).append(other_events).imported == 2
                rewrites.clear()

    got = bulk.append_parts(parts(), origin=stream.locate)
    assert got.imported == 63 and len(rewrites) == 1
    assert {r["session_id"] for r in bulk.read_table("sessions").to_pylist()} == {"c1", "c2", "w1"}
    seqs = [r["seq"] for r in bulk.events().to_pylist()]
    assert len(set(seqs)) == len(seqs) == 65  # the commits' seq ranges do not meet
    assert not any((bulk.root / "_staging").iterdir())


def test_a_commit_leaves_the_file_a_running_import_is_staging(tmp_path):
    """A writer clears the temporary files of writers killed mid-commit, but an import stages outside the
    lock: the part it is writing belongs to a live process and must survive another writer's commit."""
    store = Store(tmp_path / "s", create=True)
    staging = store.root / "_staging" / "1-1" / "events" / "account=a" / "date=2026-03-01"
    staging.mkdir(parents=True)
    being_written = staging / ".c000000001-00000.1.2.tmp"
    being_written.write_bytes(b"a part being encoded")
    killed = store.root / "events" / ".c000000009-00000.1.2.tmp"
    killed.parent.mkdir(parents=True, exist_ok=True)
    killed.write_bytes(b"left by a writer killed mid-commit")
    other = LogBuilder("w1")
    other.start(5, account_id="acct1")
    assert store.append(read_event_logs([other.write(tmp_path / "other.jsonl")]).events).imported == 1
    assert being_written.read_bytes() == b"a part being encoded"
    assert not killed.exists()


def test_what_a_killed_import_staged_is_cleared_by_the_next(tmp_path):
    import subprocess
    import sys

    store = Store(tmp_path / "s", create=True)
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = store.root / "_staging" / f"{int(gone.stdout)}-1"
    alive = store.root / "_staging" / "1-1"  # pid 1 is running: not ours to remove
    for folder in (dead, alive):
        (folder / "events").mkdir(parents=True)
        (folder / "events" / "left.parquet").write_bytes(b"staged by an import that was killed")
    assert import_paths(store, [write_lines(tmp_path / "clean.jsonl", clean_lines())], progress=False)[2].imported
    assert not dead.exists() and alive.exists()
