"""A table's ``_delta_log`` read without delta-rs (which stops at the first problem): every entry parsed,
every checkpoint read and compared with the entries it sums up, ``_last_checkpoint``; and a replay of the log
that says which data files must exist."""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

import pyarrow as pa
import pyarrow.parquet as pq

from liveboard import tables
from liveboard.errors import os_error_message
from liveboard.store.errors import StoreError
from liveboard.store.layout import DATA_TABLES, VACUUM_RETAIN_HOURS

_ENTRY = re.compile(r"(\d{20})\.json")
_CHECKPOINT = re.compile(r"(\d{20})\.checkpoint(?:\.\d+\.\d+)?\.parquet")


@dataclass
class Damage:
    """One damaged thing: a log entry, a checkpoint, ``_last_checkpoint``, the head, or a data file."""

    table: str
    path: Path
    what: str
    kind: str  # "entry", "checkpoint", "last_checkpoint", "head", "file", "table"
    version: int | None = None

    def line(self) -> str:
        return f"{self.path}: {self.what}"


@dataclass
class Log:
    """What one table's ``_delta_log`` holds, read without delta-rs (which stops at the first problem)."""

    name: str
    path: Path
    entries: dict[int, list[dict]] = field(default_factory=dict)
    bad_entries: dict[int, str] = field(default_factory=dict)
    checkpoints: dict[int, list[Path]] = field(default_factory=dict)
    bad_checkpoints: dict[int, str] = field(default_factory=dict)
    last_checkpoint: int | None = None
    last_checkpoint_bad: str | None = None
    missing: bool = False  # no _delta_log at all

    @property
    def log(self) -> Path:
        return self.path / tables.LOG

    @property
    def latest(self) -> int:
        versions = [*self.entries, *self.bad_entries, *self.checkpoints]
        return max(versions) if versions else -1

    def entry_path(self, v: int) -> Path:
        return self.log / f"{v:020d}.json"

    def readable(self, v: int) -> bool:
        """Whether version ``v`` can be loaded: from the newest checkpoint at or before it (which must be
        good), or from version 0, with every entry after that one readable."""
        if v < 0 or v > self.latest:
            return False
        before = [c for c in self.checkpoints if c <= v]
        if before:
            c = max(before)
            return c not in self.bad_checkpoints and all(x in self.entries for x in range(c + 1, v + 1))
        return all(x in self.entries for x in range(0, v + 1))

    def readable_versions(self) -> list[int]:
        return [v for v in range(self.latest + 1) if self.readable(v)]

    def damage(self) -> list[Damage]:
        out = []
        if self.missing:
            out.append(Damage(self.name, self.path, f"not a Delta table: its {tables.LOG} folder is missing", "table"))
        for v, why in sorted(self.bad_entries.items()):
            out.append(Damage(self.name, self.entry_path(v), why, "entry", v))
        for v, why in sorted(self.bad_checkpoints.items()):
            path = self.checkpoints[v][0] if self.checkpoints.get(v) else self.log / f"{v:020d}.checkpoint.parquet"
            out.append(Damage(self.name, path, why, "checkpoint", v))
        if self.last_checkpoint_bad:
            out.append(Damage(self.name, self.log / "_last_checkpoint", self.last_checkpoint_bad, "last_checkpoint"))
        return out


def _strip(message: str, path: Path) -> str:
    return message.removeprefix(f"{path}: ")


def scan_log(name: str, path: Path) -> Log:
    lg = Log(name, path)
    try:
        names = os.listdir(lg.log)
    except FileNotFoundError:
        lg.missing = True
        return lg
    except OSError as exc:
        raise StoreError(f"cannot read {lg.log}: {os_error_message(exc, str(lg.log))}") from None
    versions = sorted(int(m[1]) for n in names if (m := _ENTRY.fullmatch(n)))
    for v in versions:
        try:
            lg.entries[v] = tables.commit_entry(path, v)
        except tables.TableDamage as exc:
            lg.bad_entries[v] = _strip(str(exc), lg.entry_path(v))
    for v in range(versions[0] + 1, versions[-1]) if versions else ():
        if v not in lg.entries and v not in lg.bad_entries:
            lg.bad_entries[v] = "missing (the log has entries before and after it)"
    for n in sorted(names):
        if m := _CHECKPOINT.fullmatch(n):
            lg.checkpoints.setdefault(int(m[1]), []).append(lg.log / n)
    for v, parts in lg.checkpoints.items():
        for part in parts:
            try:
                pq.read_table(part).validate(full=True)  # full: strings are valid UTF-8, offsets in range
            except (OSError, pa.ArrowException) as exc:
                lg.bad_checkpoints[v] = f"damaged checkpoint: cannot be read ({tables._first_line(exc)})"
                break
    last = lg.log / "_last_checkpoint"
    if last.exists():
        try:
            lg.last_checkpoint = int(json.loads(last.read_text(encoding="utf-8"))["version"])
        except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
            lg.last_checkpoint_bad = f"damaged ({tables._first_line(exc)})"
        else:
            if lg.last_checkpoint not in lg.checkpoints:
                lg.last_checkpoint_bad = f"points at checkpoint {lg.last_checkpoint}, which is missing"
    return lg


def _checkpoint_actions(parts: list[Path]) -> tuple[dict[str, dict], dict[str, int | None]]:
    """Adds (path → action) and tombstones (path → deletion time) of a checkpoint (empty when it cannot
    be read: :func:`scan_log` has said so)."""
    try:
        return _read_checkpoint(parts)
    except (OSError, pa.ArrowException, UnicodeDecodeError, KeyError, TypeError):
        return {}, {}


def _read_checkpoint(parts: list[Path]) -> tuple[dict[str, dict], dict[str, int | None]]:
    adds, removes = {}, {}
    for part in parts:
        t = pq.read_table(part, columns=["add", "remove"])
        for a in t["add"].to_pylist():
            if a:
                adds[_rel(a["path"])] = a
        for r in t["remove"].to_pylist():
            if r:
                removes[_rel(r["path"])] = r.get("deletionTimestamp")
    return adds, removes


def _rel(path: str) -> str:
    return unquote(path)


@dataclass
class Files:
    """The data files a table's log references, from a replay of the log."""

    active: dict[str, dict] = field(default_factory=dict)  # path → add action, at the newest readable version
    needed: dict[str, str] = field(default_factory=dict)  # path → why it must exist
    referenced: set[str] = field(default_factory=set)  # every path any entry or checkpoint names


def replay(lg: Log, now_ms: int | None = None) -> Files:
    """Which data files must exist: those of the newest readable version, and those a commit removed that a
    version still in the retention window reads (unless a logged vacuum could have deleted them)."""
    out = Files()
    readable = lg.readable_versions()
    now_ms = now_ms if now_ms is not None else int(time.time() * 1000)
    for entry in lg.entries.values():
        for a in entry:
            for kind in ("add", "remove"):
                if kind in a and isinstance(a[kind], dict) and isinstance(a[kind].get("path"), str):
                    out.referenced.add(_rel(a[kind]["path"]))
    if not readable:
        return out
    top = readable[-1]
    start = 0
    before = [c for c in lg.checkpoints if c <= top]
    removed: dict[str, tuple[int | None, int]] = {}  # path → (deletion time, version that removed it)
    active: dict[str, dict] = {}
    if 0 not in lg.entries or not all(v in lg.entries for v in range(0, top + 1)):
        start = max(before)
        adds, removes = _checkpoint_actions(lg.checkpoints[start])
        active.update(adds)
        removed.update({p: (ts, start) for p, ts in removes.items()})
        out.referenced |= set(adds) | set(removes)
        start += 1
    for v in range(start, top + 1):
        for a in lg.entries[v]:
            if "add" in a:
                p = _rel(a["add"]["path"])
                active[p] = a["add"]
                removed.pop(p, None)
            elif "remove" in a:
                p = _rel(a["remove"]["path"])
                active.pop(p, None)
                removed[p] = (a["remove"].get("deletionTimestamp"), v)
            elif "commitInfo" in a and a["commitInfo"].get("operation") == "VACUUM START":
                params = a["commitInfo"].get("operationParameters") or {}
                keep = params.get("specifiedRetentionMillis") or params.get("defaultRetentionMillis") or 0
                cutoff = int(a["commitInfo"].get("timestamp", 0)) - int(keep)
                removed = {p: r for p, r in removed.items() if r[0] is not None and r[0] >= cutoff}
        if v in lg.checkpoints and v not in lg.bad_checkpoints and start == 0:
            adds, _ = _checkpoint_actions(lg.checkpoints[v])
            if set(adds) != set(active):
                lg.bad_checkpoints[v] = (
                    f"damaged checkpoint: it lists {len(adds)} file(s) where the log's entries add up to {len(active)}"
                )
    out.active = active
    retain = now_ms - int(VACUUM_RETAIN_HOURS * 3600 * 1000)
    for p in active:
        out.needed[p] = f"missing (version {top} of the table reads it)"
    for p, (ts, v) in removed.items():
        if ts is None or ts >= retain:
            out.needed[p] = f"missing (versions before {v} read it; it is within the retention window)"
    return out


def file_problem(path: Path) -> str | None:
    """Why a data file is not as written: missing, its bytes differ from its name's hash, or its footer
    does not parse."""
    why = tables.verify_file(path)
    if why:
        return why
    try:
        pq.ParquetFile(path).metadata  # noqa: B018 - parsing the footer is the check
    except (OSError, pa.ArrowException) as exc:
        return f"damaged: its Parquet footer cannot be read ({tables._first_line(exc)})"
    return None


def _head_names(info: list[dict]) -> dict | None:
    for a in info:
        if "commitInfo" in a:
            named = ((a["commitInfo"] or {}).get("liveboard") or {}).get("tables")
            if isinstance(named, dict) and all(isinstance(named.get(n), int) for n in DATA_TABLES):
                return named
    return None
