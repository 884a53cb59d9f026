"""Tests of liveboard/atomic.py: the one atomic writer (whole files or the old file, never half of one)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import liveboard
from liveboard import atomic

PACKAGE = Path(liveboard.__file__).parent


def _temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_atomic_write_replaces_whole_and_keeps_the_usual_mode(tmp_path) -> None:
    target = tmp_path / "deep" / "a.json"
    atomic.write_text(target, "one")
    atomic.write_bytes(target, [b"tw", memoryview(b"o")])
    assert target.read_text() == "two" and _temporaries(target.parent) == []
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask


def test_a_write_that_fails_midway_leaves_the_old_file(tmp_path) -> None:
    target = tmp_path / "report.html"
    target.write_text("old")

    def chunks():
        yield b"half of the new"
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space"):
        atomic.write_bytes(target, chunks())
    assert target.read_text() == "old" and _temporaries(tmp_path) == []


def test_a_failed_fsync_leaves_the_old_file(tmp_path, monkeypatch) -> None:
    target = tmp_path / "x.jsonl"
    target.write_text("old")
    monkeypatch.setattr(atomic.os, "fsync", lambda fd: (_ for _ in ()).throw(OSError(5, "Input/output error")))
    with pytest.raises(OSError, match="Input/output"):
        atomic.write_text(target, "new")
    assert target.read_text() == "old" and _temporaries(tmp_path) == []


def test_an_atomic_file_is_discarded_unless_published(tmp_path) -> None:
    with atomic.AtomicFile(tmp_path / "part", suffix=".tmp") as pending:
        pending.path.write_bytes(b"data")
        assert pending.path.name.startswith(".part.") and _temporaries(tmp_path) == [pending.path.name]
    assert list(tmp_path.iterdir()) == []
    with atomic.AtomicFile(tmp_path / "part") as pending:
        pending.path.write_bytes(b"data")
        final = pending.publish(tmp_path / "part-abc.parquet")  # a name known once the file is whole
    assert [p.name for p in tmp_path.iterdir()] == ["part-abc.parquet"] and final.read_bytes() == b"data"


def test_one_atomic_writer() -> None:
    """``os.replace`` of a written file happens in liveboard/atomic.py only (moves of whole files are not writes)."""
    moves = {"store/event_files.py", "store/aside.py"}  # staged files put into place, damaged files set aside
    holders = [
        p.relative_to(PACKAGE).as_posix()
        for p in PACKAGE.rglob("*.py")
        if "os.replace(" in p.read_text(encoding="utf-8")
        and p.relative_to(PACKAGE).as_posix() not in {"atomic.py", *moves}
        and not p.relative_to(PACKAGE).as_posix().startswith("views/")
    ]
    assert holders == []
