"""``liveboard store info | check | repair``: what a store holds, whether it is as written, and the way back
to the last good version when it is not.

``check`` reads every table's ``_delta_log`` itself (each entry parsed, each checkpoint read and compared
with the entries it sums up, ``_last_checkpoint``), replays it to find every data file a version still in
the log references, and verifies each file against the SHA-256 in its name and its Parquet footer. A
file removed by a commit may be missing once a ``vacuum`` (logged as ``VACUUM START``) or the retention
window (:data:`liveboard.store.VACUUM_RETAIN_HOURS`) allows it, or when ``repair`` moved it aside.

``repair`` never deletes: what it takes out of the store goes to ``<store>/_damaged/<UTC time>/<table>/``.
Damaged or missing log entries go there with every later entry (a later entry cannot be read without
them), with the checkpoints at or after them; the head is rolled back to its newest entry whose named
versions can all be read; a damaged or missing data file of the current version is moved there and
removed from its table in a new commit, and the catalog rows of the sessions whose events it held are
recomputed from what is left.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from liveboard import provenance, queries, tables
from liveboard.errors import os_error_message
from liveboard.store import (
    ALL_TABLES,
    COMMITS_SCHEMA,
    DATA_TABLES,
    HEAD,
    OLD_LAYOUT_HINT,
    VACUUM_RETAIN_HOURS,
    OldLayoutError,
    Store,
    StoreError,
    _safe_part,
    default_store_path,
    event_file_rows,
    is_old_layout,
    writer_lock,
)

DAMAGED = "_damaged"
_ENTRY = re.compile(r"(\d{20})\.json")
_CHECKPOINT = re.compile(r"(\d{20})\.checkpoint(?:\.\d+\.\d+)?\.parquet")
#: What ``repair`` leaves next to a file it took out of a table but could not move (it was missing).
MISSING_NOTE = ".missing"


def _open_root(root: Path) -> Path:
    root = Path(root)
    if is_old_layout(root):
        raise OldLayoutError(
            f"{root}: this store is in the layout of an older liveboard; " + OLD_LAYOUT_HINT.format(root=root)
        )
    if not root.is_dir() or not any((root / n).exists() for n in ALL_TABLES):
        raise StoreError(f"{root}: no liveboard store here")
    return root


# ------------------------------------------------------------------ reading a log


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


def _accounted(root: Path, table: str, rel: str) -> bool:
    """Whether ``repair`` took this file out of its table (it is in ``_damaged``, or noted missing there)."""
    aside = root / DAMAGED
    if not aside.is_dir():
        return False
    return any((d / table / rel).exists() or (d / table / f"{rel}{MISSING_NOTE}").exists() for d in aside.iterdir())


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


# ------------------------------------------------------------------ check


@dataclass
class CheckResult:
    damage: list[Damage] = field(default_factory=list)
    entries: int = 0
    checkpoints: int = 0
    files: int = 0
    bytes: int = 0
    version: int | None = None

    @property
    def ok(self) -> bool:
        return not self.damage


def _head_names(info: list[dict]) -> dict | None:
    for a in info:
        if "commitInfo" in a:
            named = ((a["commitInfo"] or {}).get("liveboard") or {}).get("tables")
            if isinstance(named, dict) and all(isinstance(named.get(n), int) for n in DATA_TABLES):
                return named
    return None


def check(root: Path) -> CheckResult:
    root = _open_root(root)
    res = CheckResult()
    logs = {name: scan_log(name, root / name) for name in ALL_TABLES}
    files = {name: replay(lg) for name, lg in logs.items()}  # may flag checkpoints, so before damage()
    for lg in logs.values():
        res.damage += lg.damage()
        res.entries += len(lg.entries) + len(lg.bad_entries)
        res.checkpoints += len(lg.checkpoints)
    head = logs[HEAD]
    if not head.missing and head.latest >= 0:
        v = head.latest
        res.version = v
        if v in head.entries:
            named = _head_names(head.entries[v])
            if named is None:
                res.damage.append(
                    Damage(HEAD, head.entry_path(v), "does not name the versions of the tables", "head", v)
                )
            else:
                for name in DATA_TABLES:
                    if not logs[name].readable(named[name]):
                        res.damage.append(
                            Damage(
                                HEAD,
                                head.entry_path(v),
                                f"names version {named[name]} of {name}, which cannot be read",
                                "head",
                                v,
                            )
                        )
    for name, lg in logs.items():
        if lg.missing:
            continue
        fs = files[name]
        for rel in sorted(fs.referenced | set(fs.needed)):
            path = lg.path / rel
            # a file of the newest version must be there and intact; one only older versions read may be
            # gone once `repair` took it out of the table (it says so in _damaged/)
            excused = rel not in fs.active and _accounted(root, name, rel)
            if not path.exists():
                if rel in fs.needed and not excused:
                    res.damage.append(Damage(name, path, fs.needed[rel], "file"))
                continue
            why = file_problem(path)
            if why and not excused:
                res.damage.append(Damage(name, path, why, "file"))
            res.files += 1
            res.bytes += path.stat().st_size
        # and delta-rs itself must load the newest version (it reads more than the paths)
        if not lg.bad_entries and not lg.bad_checkpoints and not lg.last_checkpoint_bad and lg.latest >= 0:
            try:
                tables.load(lg.path)
            except tables.TableDamage as exc:
                res.damage.append(Damage(name, lg.log, _strip(str(exc), lg.path), "table"))
    return res


def cmd_store_check(args) -> int:
    root = Path(args.store or default_store_path())
    res = check(root)
    for d in res.damage:
        print(d.line())
    if res.damage:
        print(
            f"{len(res.damage)} problem(s) in {root}; `liveboard store repair --store {root}` rolls back to the last "
            f"good version (what it takes out is kept in {root / DAMAGED})",
            file=sys.stderr,
        )
        return 1
    print(
        f"{root}: OK — version {res.version}, {len(ALL_TABLES)} tables, {res.entries} log entries, "
        f"{res.checkpoints} checkpoint(s), {res.files} data file(s) ({res.bytes / 1e6:,.1f} MB) verified"
    )
    return 0


# ------------------------------------------------------------------ info


def _last_checkpoint(path: Path) -> int | None:
    try:
        return int(json.loads((path / tables.LOG / "_last_checkpoint").read_text())["version"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _ms(ms: object) -> str | None:
    if not isinstance(ms, int | float):
        return None
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def info(root: Path) -> dict:
    root = _open_root(root)
    store = Store(root)
    snap = store.snapshot()
    out: dict = {"store": str(root), "version": snap.version, "tables": []}
    for name in ALL_TABLES:
        path = root / name
        version = snap.version if name == HEAD else snap.of(name)
        try:
            t = tables.files(path, version)
        except tables.TableDamage as exc:
            raise StoreError(f"{exc}; {store.damage_hint()}") from None
        rows = t["num_records"] if "num_records" in t.column_names else pa.array([], pa.int64())
        out["tables"].append(
            {
                "table": name,
                "version": version,
                "latest": tables.latest_version(path),
                "files": t.num_rows,
                "bytes": int(pc.sum(t["size_bytes"]).as_py() or 0) if t.num_rows else 0,
                "rows": int(pc.sum(rows).as_py() or 0) if t.num_rows else 0,
                "checkpoint": _last_checkpoint(path),
            }
        )
    sessions = store.read_table("sessions", snap)
    out["sessions"] = {
        "count": sessions.num_rows,
        "accounts": len(set(sessions["account_id"].to_pylist())) if sessions.num_rows else 0,
        "sealed": int(pc.sum(sessions["sealed"].cast(pa.int64())).as_py() or 0) if sessions.num_rows else 0,
    }
    head = tables.load(root / HEAD, snap.version)
    created = head.metadata().created_time
    last = tables.commit_info(root / HEAD, snap.version).get("timestamp")
    out["created"] = _ms(created)
    out["last_commit"] = _ms(last)
    return out


def cmd_store_info(args) -> int:
    root = Path(args.store or default_store_path())
    data = info(root)
    if args.format == "json":
        json.dump(data, sys.stdout, indent=1)
        sys.stdout.write("\n")
        return 0
    header = ("table", "version", "files", "bytes", "rows", "checkpoint")
    rows = [
        (
            t["table"],
            f"{t['version']}" + (f" (+{t['latest'] - t['version']})" if t["latest"] > t["version"] else ""),
            f"{t['files']:,}",
            _size(t["bytes"]),
            f"{t['rows']:,}",
            "-" if t["checkpoint"] is None else str(t["checkpoint"]),
        )
        for t in data["tables"]
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, *rows]:
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))))
    s = data["sessions"]
    print(f"sessions: {s['count']:,} ({s['sealed']:,} sealed) of {s['accounts']:,} account(s)")
    print(f"store version {data['version']}; created {data['created']}; last commit {data['last_commit']}")
    return 0


def _size(n: int) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1000
    return str(n)


# ------------------------------------------------------------------ repair


@dataclass
class Repair:
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
    out = []
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
    if not isinstance(lb, dict) or (info.get("operationParameters") or {}).get("mode") != "Append":
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


def _cut(rep: Repair, lg: Log, keep_through: int | None, why: str) -> list[Path]:
    """Move aside every entry after ``keep_through`` (all when None: -1), the checkpoints after it and a
    ``_last_checkpoint`` pointing past it; returns the moved entries' new paths."""
    last = -1 if keep_through is None else keep_through
    moved = []
    for v in sorted({*lg.entries, *lg.bad_entries}):
        if v > last and lg.entry_path(v).exists():
            moved.append(rep.move(lg.name, lg.entry_path(v)))
    for v, parts in sorted(lg.checkpoints.items()):
        if v > last:
            for part in parts:
                if part.exists():
                    rep.move(lg.name, part)
    lc = lg.log / "_last_checkpoint"
    if lc.exists() and (lg.last_checkpoint is None or lg.last_checkpoint > last):
        rep.move(lg.name, lc)
    if moved:
        first, end = int(moved[0].name[:20]), int(moved[-1].name[:20])
        which = f"entry {first}" if first == end else f"entries {first}–{end}"
        rep.say(f"{lg.name}: moved aside log {which} ({why}); the table is back at version {last}")
    return moved


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


def _repair_logs(rep: Repair) -> dict[str, int] | None:
    """Phase 1, under the store's lock: every table's log cut back to its last readable version, then the
    head to its newest entry whose named versions can all be read. Returns the named versions (None: the
    head was fine)."""
    root = rep.root
    logs = {name: scan_log(name, root / name) for name in ALL_TABLES}
    was = logs[HEAD].latest
    for lg in logs.values():
        replay(lg)  # flags checkpoints that disagree with their entries
        if lg.missing:
            raise StoreError(f"{lg.path}: not a Delta table (its {tables.LOG} folder is missing); cannot repair it")
    moved_adds: dict[str, list[dict]] = {}
    for name, lg in logs.items():
        for v in sorted(lg.bad_checkpoints):
            for part in lg.checkpoints.get(v, []):
                if part.exists():
                    rep.move(name, part)
            rep.say(f"{name}: moved aside checkpoint {v} ({lg.bad_checkpoints[v]})")
            del lg.checkpoints[v]
        if lg.last_checkpoint_bad or (lg.last_checkpoint is not None and lg.last_checkpoint in lg.bad_checkpoints):
            if (lg.log / "_last_checkpoint").exists():
                rep.move(name, lg.log / "_last_checkpoint")
                rep.say(f"{name}: moved aside _last_checkpoint ({lg.last_checkpoint_bad or 'its checkpoint'})")
            lg.last_checkpoint = None
        lg.bad_checkpoints.clear()
        good = lg.readable_versions()
        if not good:
            raise StoreError(f"{lg.path}: no version of this table can be read any more; cannot repair it")
        # the first version after the oldest readable one that cannot be read: cut there
        cut = next((v for v in range(good[0], lg.latest + 1) if not lg.readable(v)), None)
        below = [v for v in lg.bad_entries if v < good[0]]  # unreadable history before a good checkpoint
        for v in below:
            if lg.entry_path(v).exists():
                rep.move(name, lg.entry_path(v))
                rep.say(f"{name}: moved aside log entry {v} ({lg.bad_entries[v]}; no readable version needs it)")
        if cut is not None:
            first_bad = min((v for v in lg.bad_entries if v >= cut), default=cut)
            why = lg.bad_entries.get(first_bad, "cannot be read")
            moved = _cut(rep, lg, cut - 1, why if first_bad == cut else f"entry {first_bad}: {why}")
            adds = [a["add"] for p in moved for a in _lenient_actions(p) if isinstance(a.get("add"), dict)]
            moved_adds[name] = adds
            if name == "events":
                rep.salvage += _salvageable([_lenient_actions(p) for p in moved], rep.aside / name)
        logs[name] = scan_log(name, root / name)
    # the head: its newest entry whose named versions all load
    head = logs[HEAD]
    chosen, named = None, None
    for v in sorted(head.entries, reverse=True):
        n = _head_names(head.entries[v]) if head.readable(v) else None
        if n is not None and all(logs[t].readable(n[t]) for t in DATA_TABLES):
            chosen, named = v, n
            break
    if chosen is None:
        raise StoreError(f"{root}: no commit of the store names versions that can all be read; cannot repair it")
    if chosen < head.latest:
        _cut(rep, head, chosen, "the versions of the tables they name cannot be read")
        logs[HEAD] = scan_log(HEAD, root / HEAD)
    if chosen < was:
        rep.say(f"the store is back at version {chosen} (it was at {was})")
    # data files no remaining entry names (those of the moved entries, whose add lines may be torn, and
    # any a killed writer left): kept aside, since a vacuum deletes untracked files
    store = Store(root)
    catalog = _catalog_or_none(store)
    for name, adds in moved_adds.items():
        still = replay(logs[name]).referenced
        kept = []
        for path in sorted((root / name).rglob("*.parquet")):
            rel = str(path.relative_to(root / name))
            if tables.LOG not in path.parts and rel not in still:
                kept.append(rep.move(name, path))
        if kept:
            rep.say(f"{name}: moved aside {len(kept)} data file(s) no remaining log entry names")
        if name == "events" and (adds or kept):
            saved = {rel for rel, *_ in rep.salvage}
            lost_files = [p for p in kept if str(p.relative_to(rep.aside / name)) not in saved]
            lost_adds = [a for a in adds if _rel(a.get("path", "")) not in saved]
            lost = _sessions_in(lost_files, lost_adds, catalog) if lost_files or lost_adds else []
            if lost:
                rep.say(
                    f"sessions {', '.join(lost)}: the events of the moved entries are no longer in the store — "
                    f"re-import their files (their data files are kept in {rep.aside / name})"
                )
    # table versions after the ones the head names: rolled back by the next writer; keep their files
    for name in DATA_TABLES:
        lg = logs[name]
        current = {str(p.relative_to(root / name)) for p in tables.file_paths(root / name, named[name])}
        later = [
            a["add"]
            for v in range(named[name] + 1, lg.latest + 1)
            for a in lg.entries.get(v, [])
            if "add" in a and _rel(a["add"]["path"]) not in current
        ]
        for a in later:
            path = root / name / _rel(a["path"])
            if path.exists():
                rep.keep_copy(name, path, "rolled-back")
        if later and name == "events":
            rolled = _salvageable(
                [lg.entries.get(v, []) for v in range(named[name] + 1, lg.latest + 1)], rep.aside / name / "rolled-back"
            )
            rep.salvage += rolled
            saved = {rel for rel, *_ in rolled}
            rest = [a for a in later if _rel(a["path"]) not in saved]
            lost = _sessions_in([root / name / _rel(a["path"]) for a in rest], rest, catalog) if rest else []
            if lost:
                rep.say(
                    f"sessions {', '.join(lost)}: events of commits after store version {chosen} are rolled back — "
                    f"re-import their files (copies kept in {rep.aside / name / 'rolled-back'})"
                )
    # damaged files of the head table itself (its rows are a record; the store reads its log)
    hf = replay(logs[HEAD])
    bad = [rel for rel in sorted(hf.active) if file_problem(root / HEAD / rel)]
    if bad:
        for rel in bad:
            if (root / HEAD / rel).exists():
                rep.move(HEAD, root / HEAD / rel)
            else:
                rep.note_missing(HEAD, rel, "missing")
        tables.commit(root / HEAD, tables.Pending(removes=bad), COMMITS_SCHEMA, None, {"liveboard": {"tables": named}})
        rep.say(f"{HEAD}: moved aside {len(bad)} damaged file(s) and removed them from the table")
    return named


def _whole_catalog(store: Store, snap, skip: dict[str, set[str]]) -> pa.Table:
    """The session table rebuilt from every event and the source rows (what
    :meth:`Store.catalog_from_summaries` computes), without the files in ``skip``."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    ef = store._event_files_table(snap)
    drop = {f"events/{p}" for p in skip.get("events", set())}
    ef = ef.filter(pc.invert(pc.is_in(ef["path"], pa.array(sorted(drop), pa.string())))) if drop else ef
    con.register("_ef", ef)
    con.execute("CREATE TABLE event_files AS SELECT * FROM _ef")
    store.define_events(con, None)
    events = con.sql(
        f"SELECT *, \"end\" IS NOT NULL AS sealed, 'events' AS source, false AS stale FROM ({queries.session_summaries()})"
    ).to_arrow_table()
    sources = _sources_without(store, snap, skip)
    ids = set(sources.summaries["session_id"].to_pylist()) | set(events["session_id"].to_pylist())
    con.register("rows", provenance.catalog_rows(events if events.num_rows else None, sources.summaries, sorted(ids)))
    return con.sql("SELECT * FROM rows ORDER BY start, session_id").to_arrow_table()


def _sources_without(store: Store, snap, skip: dict[str, set[str]]) -> provenance.SourceTables:
    out = provenance.SourceTables()
    for name in provenance.TABLE_NAMES:
        paths = [p for p in store._files(name, snap) if str(p.relative_to(store.root / name)) not in skip.get(name, ())]
        t = tables.read(paths, None)
        if t is not None:
            out.tables[name] = provenance.conform(t, provenance.table_schemas()[name])
    return out


def _repair_files(rep: Repair) -> None:
    """Phase 2, as one store commit: damaged or missing data files of the current version moved aside and
    removed from their tables; the catalog rows of the sessions they held recomputed."""
    store = Store(rep.root)
    snap = store.snapshot()
    damaged: dict[str, dict[str, str]] = {}
    adds: dict[str, list[dict]] = {}
    for name in DATA_TABLES:
        lg = scan_log(name, rep.root / name)
        fs = replay(lg)
        base = tables.files(rep.root / name, snap.of(name))["path"].to_pylist()
        for rel in base:
            why = file_problem(rep.root / name / rel)
            if why:
                damaged.setdefault(name, {})[rel] = why
                if rel in fs.active:
                    adds.setdefault(name, []).append(fs.active[rel])
    if not damaged:
        return
    catalog = _catalog_or_none(store) if "sessions" not in damaged else None
    for name, files in damaged.items():
        for rel, why in files.items():
            path = rep.root / name / rel
            if path.exists():
                rep.move(name, path)
                rep.say(f"{path}: {why} — moved aside and removed from the table")
            else:
                rep.note_missing(name, rel, why)
                rep.say(f"{path}: {why} — removed from the table")
    affected = _sessions_of(adds.get("events", []), catalog)
    skip = {name: set(files) for name, files in damaged.items()}
    with store._writer("repair") as c:
        for name, files in damaged.items():
            if name != "sessions":
                c.remove(name, sorted(files))
        whole = "sessions" in damaged or any(n in damaged for n in provenance.TABLE_NAMES)
        if whole:
            c.replace("sessions", _whole_catalog(store, c.snap, skip))
        elif affected:
            con, _ = store.connect(c.snap)
            drop = [f"events/{p}" for p in skip.get("events", ())]
            con.execute("DELETE FROM event_files WHERE path IN (SELECT unnest(?))", [drop])
            c.replace("sessions", store._rebuilt_catalog(con, store.source_tables(c.snap), set(affected)))
        version = c.commit()
    if "quarantine" in damaged:
        rep.say(
            "quarantine: the rows of the removed file(s) are gone; importing their event logs again brings them back"
        )
    for name in provenance.TABLE_NAMES:
        if name in damaged:
            rep.say(f"{name}: the rows of the removed file(s) are gone; sync or import that source again")
    if whole:
        rep.say("sessions: the catalog was rebuilt from the events and the source rows")
    if affected:
        rep.say(
            f"sessions {', '.join(affected)} had events in the removed file(s): re-import their files "
            f"(their summaries are recomputed from the events left)"
        )
    rep.say(f"committed store version {version}")


def _salvage(rep: Repair) -> None:
    """Phase 3, as one store commit: the intact event files of moved or rolled-back entries that only added
    files (kept aside by phase 1) put back and committed again, the catalog rows of their sessions recomputed. A live
    LIVE has no file to import again: its events come back from its own data files."""
    intact, gone = [], []
    for rel, line, src in rep.salvage:
        (intact if src.exists() and tables.verify_file(src) is None else gone).append((rel, line, src))
    if not intact:
        return
    store = Store(rep.root)
    done = []
    for rel, line, src in intact:
        dest = rep.root / "events" / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(src, dest)  # the copy aside stays, in case this commit does not happen
        except FileExistsError:
            pass
        except OSError:
            shutil.copy2(src, dest)
        done.append(tables.data_file(rep.root / "events", rel, (line or {}).get("stats")))
    with store._writer("repair") as c:
        for f in done:
            c.added("events", f)
        con, _ = store.connect(c.snap)
        con.register("_salvaged", event_file_rows(done))
        con.execute("INSERT INTO event_files SELECT * FROM _salvaged")
        ids: set[str] = set()
        for f in done:
            ids |= set(
                pq.read_table(rep.root / "events" / f.path, columns=["session_id"])["session_id"].unique().to_pylist()
            )
        c.replace("sessions", store._rebuilt_catalog(con, store.source_tables(c.snap), ids))
        version = c.commit()
    rep.say(
        f"sessions {', '.join(sorted(ids))}: {len(done)} intact event file(s) of the moved entries committed "
        f"again (store version {version}): their events are back"
    )
    if gone:
        rep.say(f"{len(gone)} event file(s) of the moved entries are damaged or missing and could not be put back")


def repair(root: Path) -> list[str]:
    root = _open_root(root)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    rep = Repair(root, stamp)
    try:
        with writer_lock(root, "repair"):
            _repair_logs(rep)
        tables._CACHE.clear()  # versions after the cut will be written again, with other content
        _repair_files(rep)
        _salvage(rep)
    finally:
        tables._CACHE.clear()
    if not rep.lines:
        return [f"{root}: nothing to repair (`liveboard store check` finds no damage)"]
    rep.lines.append(f"what was taken out is in {rep.aside}")
    return rep.lines


def cmd_store_repair(args) -> int:
    root = Path(args.store or default_store_path())
    for line in repair(root):
        print(line)
    return 0


# ------------------------------------------------------------------ the command group


def add_commands(sub, store_arg) -> None:
    """``liveboard store upgrade | info | check | repair``."""
    from liveboard.store_upgrade import cmd_store_upgrade

    p = sub.add_parser("store", help="the store itself: upgrade an old layout, info, check, repair")
    group = p.add_subparsers(dest="store_command", required=True)
    q = group.add_parser("upgrade", help="move a store of an older liveboard onto Delta Lake tables, in place")
    store_arg(q)
    q.set_defaults(func=cmd_store_upgrade)
    q = group.add_parser("info", help="versions, files, sizes and rows of each table; sessions")
    store_arg(q)
    q.add_argument("--format", choices=["table", "json"], default="table")
    q.set_defaults(func=cmd_store_info)
    q = group.add_parser("check", help="verify every log entry and data file; exit 1 naming what is damaged")
    store_arg(q)
    q.set_defaults(func=cmd_store_check)
    q = group.add_parser("repair", help="roll back to the last good version; damaged files are kept in _damaged/")
    store_arg(q)
    q.set_defaults(func=cmd_store_repair)
