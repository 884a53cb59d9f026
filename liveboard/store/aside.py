"""What ``liveboard store repair`` sets aside (``<store>/_damaged/<UTC time>/<table>/``, never deleted), and
what the log entries it moved held: the files they added, the event files that can be committed again, and the
sessions whose events they had."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from liveboard.store import Store
from liveboard.store.delta_log import _rel, file_problem
from liveboard.store.errors import StoreError
from liveboard.store.layout import DAMAGED, MISSING_NOTE, _safe_part


@dataclass
class Repair:
    """One run of ``repair``: where it sets things aside (``aside``), what it says, what it may commit again."""

    root: Path
    stamp: str
    lines: list[str] = field(default_factory=list)
    #: event files of moved or rolled-back log entries that only added files, to commit again:
    #: (path in the table, its add line or None, where a copy of it is kept)
    salvage: list[tuple[str, dict | None, Path]] = field(default_factory=list)

    @property
    def aside(self) -> Path:
        return self.root / DAMAGED / self.stamp

    def move(self, table: str, path: Path) -> Path:
        """Move a file of a table (a log entry or a data file) aside, keeping its path inside the table."""
        target = self.aside / table / path.relative_to(self.root / table)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, target)
        return target

    def note_missing(self, table: str, rel: str, why: str) -> None:
        target = self.aside / table / f"{rel}{MISSING_NOTE}"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(f"{rel}: {why} when `liveboard store repair` ran; it was removed from the table\n")

    def keep_copy(self, table: str, path: Path, sub: str) -> None:
        """A hard link (or copy) of a data file a rollback no longer reads, so no vacuum can lose it."""
        target = self.aside / table / sub / path.relative_to(self.root / table)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(path, target)
        except OSError:
            shutil.copy2(path, target)

    def say(self, line: str) -> None:
        self.lines.append(line)


def _lenient_actions(path: Path) -> list[dict]:
    """The actions of a damaged entry that still parse (its lines one by one)."""
    out: list[dict] = []
    try:
        text = path.read_bytes().decode("utf-8", errors="replace")
    except OSError:
        return out
    for line in text.splitlines():
        try:
            a = json.loads(line)
        except ValueError:
            continue
        if isinstance(a, dict):
            out.append(a)
    return out


def _only_adds(actions: list[dict]) -> list[str] | None:
    """The files a moved entry adds, when its first line (commitInfo, see :func:`liveboard.tables.commit`)
    says it adds them and removes nothing, however much of the rest is torn; else None."""
    info = actions[0].get("commitInfo") if actions and "commitInfo" in actions[0] else None
    lb = (info or {}).get("liveboard") if isinstance(info, dict) else None
    if (
        not isinstance(info, dict)
        or not isinstance(lb, dict)
        or (info.get("operationParameters") or {}).get("mode") != "Append"
    ):
        return None
    stated, adds = lb.get("actions") or {}, lb.get("adds")
    if stated.get("remove") != 0 or not isinstance(adds, list) or len(adds) != stated.get("add"):
        return None
    return [a for a in adds if isinstance(a, str)]


def _salvageable(entries: list[list[dict]], kept: Path) -> list[tuple[str, dict | None, Path]]:
    """Event files of moved or rolled-back entries (their actions) that can be committed again: those of
    entries that only added files (an import or a live append; a compaction or a rewrite is rolled back
    whole). ``kept``: the folder holding the copies, by their paths in the table."""
    out = []
    for actions in entries:
        named = _only_adds(actions)
        if named is None:
            continue
        lines = {_rel(a["add"]["path"]): a["add"] for a in actions if isinstance(a.get("add"), dict)}
        out += [(rel, lines.get(rel), kept / rel) for rel in named]
    return out


def _sessions_of(adds: list[dict], catalog: pa.Table | None) -> list[str]:
    """The sessions whose events may be in these files (from the Delta statistics and partitions)."""
    out: set[str] = set()
    for a in adds:
        try:
            stats = json.loads(a.get("stats") or "{}")
        except ValueError:
            stats = {}
        lo = (stats.get("minValues") or {}).get("session_id")
        hi = (stats.get("maxValues") or {}).get("session_id")
        account = (a.get("partitionValues") or {}).get("account")
        if lo is None or hi is None:
            continue
        if lo == hi:
            out.add(lo)
            continue
        if catalog is not None and catalog.num_rows:
            for sid, acct in zip(catalog["session_id"].to_pylist(), catalog["account_id"].to_pylist(), strict=True):
                if lo <= sid <= hi and (account is None or _safe_part(acct) == account):
                    out.add(sid)
        else:
            out.add(f"{lo}…{hi}")
    return sorted(out)


def _sessions_in(paths: list[Path], adds: list[dict], catalog: pa.Table | None) -> list[str]:
    """The sessions of event files, read from the files that are intact, else from the statistics."""
    out: set[str] = set()
    for path in paths:
        if file_problem(path) is None:
            out |= set(pq.read_table(path, columns=["session_id"])["session_id"].unique().to_pylist())
    intact = {p.name for p in paths if file_problem(p) is None}
    out |= set(_sessions_of([a for a in adds if Path(_rel(a.get("path", ""))).name not in intact], catalog))
    return sorted(out)


def _catalog_or_none(store: Store) -> pa.Table | None:
    try:
        return store.read_table("sessions")
    except StoreError:
        return None
