"""``liveboard store upgrade``: a store in the layout before Delta Lake, moved onto Delta tables in place.

The old layout: Parquet files, a commit log ``_log/<12 digits>.json`` naming each version's catalog files
(``catalog/sessions-v<N>.parquet``, ``catalog/files-v<N>.parquet``, ``catalog/<source table>-v<N>.parquet``),
event files ``events/account=<a>/date=<d>/v<N>-<n>.parquet`` and ``quarantine/v<N>.parquet``.

The upgrade, under the store's ``_lock`` (the lock old and new writers take):

1. read the newest old snapshot by the old rules, every file it names checked readable — a damaged
   ``_log`` entry newer than it is a refusal, never a silent step back to an older version;
2. start over: remove what an interrupted upgrade made (``_delta_log`` folders, files named after their
   hash, the half-made head), never an old file;
3. write and commit each data table (events streamed file by file in bounded batches, in the partitions
   of the old folders; sessions, quarantine and the source tables whole);
4. create the head table ``commits/`` naming those versions: built in a hidden folder and renamed into
   place, the one atomic step. Before it the store is the old one (old code reads it as before, new code
   says to upgrade), after it the new one;
5. remove the old pieces (``_log/``, ``catalog/``, the old event and quarantine files). A run killed here
   leaves a working new store; ``liveboard store upgrade`` again finishes the clean-up.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from liveboard import provenance, tables
from liveboard.errors import os_error_message
from liveboard.eventlog import BAD_ROW_SCHEMA
from liveboard.events import EVENT_SCHEMA
from liveboard.store import (
    ALL_TABLES,
    COMMITS_SCHEMA,
    DATA_TABLES,
    HEAD,
    PARTITIONS,
    StoreError,
    is_old_layout,
    table_schema,
    writer_lock,
)

#: The hidden folder the head is built in before it is renamed to ``commits/``.
HEAD_BUILD = ".commits.upgrade"
#: Rows per batch when an old event file is rewritten (a big store is never held in memory).
BATCH_ROWS = 64_000
#: Upgraded files are named as a commit of store version 0 would name them.
PREFIX = "c000000000"

_OLD_LOG = re.compile(r"\d+\.json")
_OLD_EVENT = re.compile(r"v\d{12}-\d{5}\.parquet")
_OLD_QUARANTINE = re.compile(r"v\d{12}\.parquet")
_OLD_CATALOG = re.compile(r"[a-z_]+-v\d{12}\.parquet")
#: Temporary files of the old writer (``_write_parquet``: ``.<name>.tmp``; ``atomic_write_bytes``:
#: ``.<name>.<random>.tmp``).
_OLD_TMP = re.compile(r"\.(v\d{12}(-\d{5})?\.parquet|[a-z_]+-v\d{12}\.parquet|\d+\.json)(\.[^/]*)?\.tmp")


@dataclass
class OldSnapshot:
    """The newest version of an old store: the files it names (absolute paths)."""

    version: int
    sessions: Path | None = None
    event_files: list[Path] = field(default_factory=list)
    quarantine: list[Path] = field(default_factory=list)
    sources: dict[str, Path] = field(default_factory=dict)


@dataclass
class UpgradeReport:
    old_version: int = 0
    sessions: int = 0
    events: int = 0
    event_files: int = 0
    quarantined: int = 0
    source_rows: dict[str, int] = field(default_factory=dict)
    versions: dict[str, int] = field(default_factory=dict)
    removed: int = 0
    kept: list[str] = field(default_factory=list)  # old folders left because they hold unknown files
    already: bool = False  # the store was in the new layout already

    def lines(self, root: Path) -> list[str]:
        if self.already:
            out = [f"{root}: already in the Delta Lake layout; nothing to upgrade"]
            if self.removed:
                out.append(f"finished an interrupted upgrade: removed {self.removed} file(s) of the old layout")
        else:
            sources = ", ".join(f"{n} {r:,}" for n, r in self.source_rows.items() if r) or "none"
            out = [
                f"upgraded {root} to the Delta Lake layout (from version {self.old_version} of the old layout): "
                f"{self.sessions:,} session(s), {self.events:,} event(s) in {self.event_files:,} file(s), "
                f"{self.quarantined:,} quarantined row(s); source rows: {sources}",
                f"removed {self.removed} file(s) of the old layout",
            ]
        for k in self.kept:
            out.append(f"kept {k}: it holds files the old layout did not write (look at them, then remove it)")
        return out


# ------------------------------------------------------------------ reading the old store


def _inside(root: Path, rel: object, what: str) -> Path:
    """A path an old ``_log`` entry names, checked to lie inside the store (an outside value)."""
    if not isinstance(rel, str) or not rel or rel.startswith("/") or ".." in Path(rel).parts:
        raise StoreError(f"{root}/_log: {what} {rel!r} is not a path inside the store; refusing to upgrade")
    return root / rel


def read_old_snapshot(root: Path) -> OldSnapshot:
    """The newest version of an old store, by the old rules, with every file it names checked to exist.

    The old code silently took an older version when the newest ``_log`` entry could not be read; the
    upgrade refuses instead (its clean-up would delete the files of the version skipped)."""
    log = root / "_log"
    try:
        names = sorted(n for n in os.listdir(log) if _OLD_LOG.fullmatch(n))
    except OSError as exc:
        raise StoreError(f"cannot read the old commit log: {os_error_message(exc, str(log))}") from None
    unreadable: list[str] = []
    for name in sorted(names, key=lambda n: int(n[:-5]), reverse=True):
        try:
            entry = json.loads((log / name).read_text(encoding="utf-8"))
            if not isinstance(entry, dict):
                raise ValueError("not a JSON object")
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            unreadable.append(f"{log / name} ({tables._first_line(exc)})")
            continue
        if unreadable:
            raise StoreError(
                f"refusing to upgrade: the newest old commit log entry cannot be read: {'; '.join(unreadable)}. "
                f"The old liveboard read this store as version {int(name[:-5])}, without it. To upgrade that "
                "version, move the damaged entry out of _log/ (keep it), then run `liveboard store upgrade` again"
            )
        snap = OldSnapshot(int(name[:-5]))
        if entry.get("sessions"):
            snap.sessions = _inside(root, entry["sessions"], "sessions file")
        quarantine = entry.get("quarantine") or []
        if not isinstance(quarantine, list):
            raise StoreError(f"{log / name}: 'quarantine' is not a list; refusing to upgrade")
        snap.quarantine = [_inside(root, q, "quarantine file") for q in quarantine]
        if entry.get("files"):
            files = _inside(root, entry["files"], "file list")
            _must_exist(files)
            try:
                paths = pq.read_table(files, columns=["path"])["path"].unique().to_pylist()
            except (OSError, pa.ArrowException) as exc:
                raise StoreError(f"{files}: cannot be read ({tables._first_line(exc)}); refusing to upgrade") from None
            snap.event_files = sorted(_inside(root, p, "event file") for p in paths)
        snap.sources = _old_source_tables(root, snap.version)
        for p in [snap.sessions, *snap.quarantine, *snap.event_files, *snap.sources.values()]:
            if p is not None:
                _must_exist(p)
        return snap
    if unreadable:
        raise StoreError(f"refusing to upgrade: no entry of the old commit log can be read: {'; '.join(unreadable)}")
    return OldSnapshot(0)


def _old_source_tables(root: Path, version: int) -> dict[str, Path]:
    """Of each source table, the file of the newest version at or before ``version`` (the old rule)."""
    best: dict[str, tuple[int, Path]] = {}
    catalog = root / "catalog"
    for p in catalog.glob("*-v*.parquet") if catalog.is_dir() else []:
        name, _, rest = p.name.rpartition("-v")
        ver = rest.removesuffix(".parquet")
        if name in provenance.TABLE_NAMES and ver.isdigit() and int(ver) <= version:
            if name not in best or int(ver) > best[name][0]:
                best[name] = (int(ver), p)
    return {n: best[n][1] for n in provenance.TABLE_NAMES if n in best}


def _must_exist(path: Path) -> None:
    if not path.is_file():
        raise StoreError(f"refusing to upgrade: {path} is named by the old store's newest version but is missing")


def _read_whole(path: Path) -> pa.Table:
    try:
        return pq.read_table(path)
    except (OSError, pa.ArrowException) as exc:
        raise StoreError(f"refusing to upgrade: {path} cannot be read ({tables._first_line(exc)})") from None


def _batches(path: Path, schema: pa.Schema, counted: list[int]) -> Iterator[pa.RecordBatch]:
    """An old file's rows in bounded batches, in ``schema``; ``counted[0]`` grows by the rows read."""
    try:
        for batch in pq.ParquetFile(path).iter_batches(batch_size=BATCH_ROWS, columns=schema.names):
            counted[0] += batch.num_rows
            yield batch if batch.schema == schema else batch.cast(schema)
    except (OSError, pa.ArrowException, KeyError) as exc:
        raise StoreError(f"refusing to upgrade: {path} cannot be read ({tables._first_line(exc)})") from None


def _partition(root: Path, path: Path) -> dict[str, str]:
    """``{"account", "date"}`` from an old event file's folders ``events/account=<a>/date=<d>/``."""
    rel = path.relative_to(root / "events").parts
    if len(rel) != 3 or not rel[0].startswith("account=") or not rel[1].startswith("date="):
        raise StoreError(f"refusing to upgrade: {path} is not in an events/account=…/date=…/ folder")
    return {"account": rel[0].removeprefix("account="), "date": rel[1].removeprefix("date=")}


# ------------------------------------------------------------------ the steps


def start_over(root: Path) -> None:
    """Remove what an interrupted upgrade made: new tables' logs, hashed data files, the half-built head.
    Old files are never touched (their names carry no hash)."""
    shutil.rmtree(root / HEAD_BUILD, ignore_errors=True)
    for name in ALL_TABLES:
        folder = root / name
        if not folder.is_dir():
            continue
        shutil.rmtree(folder / tables.LOG, ignore_errors=True)
        for p in folder.rglob("*"):
            if p.is_file() and (
                (p.suffix == ".parquet" and tables.named_hash(p) is not None)
                or (p.name.startswith(".c") and p.name.endswith(".tmp") and not _OLD_TMP.fullmatch(p.name))
            ):
                p.unlink()
        if name not in ("events", "quarantine"):  # folders only the new layout has: empty now
            _remove_empty_dirs(folder)


def _remove_empty_dirs(folder: Path) -> None:
    for d in sorted((p for p in folder.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
        try:
            d.rmdir()
        except OSError:
            pass
    try:
        folder.rmdir()
    except OSError:
        pass


def write_tables(root: Path, old: OldSnapshot, report: UpgradeReport, progress: Callable[[str], None]) -> dict:
    """Every data table written and committed from the old snapshot; returns the version of each."""
    versions: dict[str, int] = {}
    for name in DATA_TABLES:
        tables.create(root / name, table_schema(name), PARTITIONS if name == "events" else None)
        versions[name] = 0

    # events: one new file per old file, in its partition, streamed
    adds = []
    for n, src in enumerate(old.event_files):
        counted = [0]
        f = tables.write_file(
            root / "events",
            _batches(src, EVENT_SCHEMA, counted),
            prefix=f"{PREFIX}-{n:05d}",
            partition=_partition(root, src),
            schema=EVENT_SCHEMA,
        )
        expected = pq.ParquetFile(src).metadata.num_rows
        if f.rows != expected or counted[0] != expected:
            raise StoreError(f"{src}: {expected} rows, {f.rows} rewritten; the upgrade stops (the store stays old)")
        adds.append(f)
        report.events += f.rows
        if (n + 1) % 100 == 0:
            progress(f"rewrote {n + 1} of {len(old.event_files)} event files")
    report.event_files = len(adds)
    if adds:
        versions["events"] = tables.commit(
            root / "events", tables.Pending(adds=adds), table_schema("events"), PARTITIONS
        )

    # quarantine: every old file, in the old order, as one file (the order `liveboard quarantine` shows)
    if old.quarantine:
        counted = [0]

        def rows() -> Iterator[pa.RecordBatch]:
            for q in old.quarantine:
                yield from _batches(q, BAD_ROW_SCHEMA, counted)

        f = tables.write_file(root / "quarantine", rows(), prefix=f"{PREFIX}-00000", schema=BAD_ROW_SCHEMA)
        report.quarantined = f.rows
        if f.rows:
            versions["quarantine"] = tables.commit(
                root / "quarantine", tables.Pending(adds=[f]), table_schema("quarantine"), None
            )
        else:
            (root / "quarantine" / f.path).unlink()

    # the source tables and the catalog: whole, as a commit that replaces the empty table
    for name, path in [*old.sources.items(), ("sessions", old.sessions)]:
        if path is None:
            continue
        table = _read_whole(path)
        if name in provenance.TABLE_NAMES:
            table = provenance.conform(table, provenance.table_schemas()[name])
            report.source_rows[name] = table.num_rows
        else:
            report.sessions = table.num_rows
        f = tables.write_file(root / name, table, prefix=f"{PREFIX}-00000")
        pending = tables.Pending(adds=[f], schema=tables.delta_schema(table.schema))
        versions[name] = tables.commit(root / name, pending, table_schema(name), None)
    return versions


def switch(root: Path, versions: dict[str, int], old_version: int) -> None:
    """Create the head naming ``versions``: built aside, renamed into place (the store is new from here)."""
    build = root / HEAD_BUILD
    shutil.rmtree(build, ignore_errors=True)
    if (root / HEAD).is_dir():
        try:
            (root / HEAD).rmdir()  # an empty folder (never a head: it has no log)
        except OSError:
            raise StoreError(f"{root / HEAD}: a folder that is not a Delta table is in the way; move it") from None
    meta = {"liveboard": {"tables": {n: versions[n] for n in DATA_TABLES}, "upgraded_from": old_version}}
    tables.create(build, COMMITS_SCHEMA, None, meta)
    os.rename(build, root / HEAD)
    fd = os.open(root, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_old_pieces(root: Path, report: UpgradeReport) -> None:
    """Delete the old layout's files (never one a new table references), then its folders when empty."""
    referenced = set()
    for name in ("events", "quarantine"):
        if tables.exists(root / name):
            referenced |= {p.resolve() for p in tables.file_paths(root / name, tables.latest_version(root / name))}

    def drop(p: Path) -> None:
        if p.resolve() not in referenced:
            p.unlink(missing_ok=True)
            report.removed += 1

    events = root / "events"
    for p in sorted(events.rglob("*")) if events.is_dir() else []:
        if p.is_file() and (_OLD_EVENT.fullmatch(p.name) or _OLD_TMP.fullmatch(p.name)):
            drop(p)
    quarantine = root / "quarantine"
    for p in sorted(quarantine.iterdir()) if quarantine.is_dir() else []:
        if p.is_file() and (_OLD_QUARANTINE.fullmatch(p.name) or _OLD_TMP.fullmatch(p.name)):
            drop(p)
    for folder, pattern in (("catalog", _OLD_CATALOG), ("_log", _OLD_LOG)):  # the log last: the marker
        d = root / folder
        if not d.is_dir():
            continue
        for p in sorted(d.iterdir()):
            if p.is_file() and (pattern.fullmatch(p.name) or _OLD_TMP.fullmatch(p.name)):
                drop(p)
        try:
            d.rmdir()
        except OSError:
            report.kept.append(str(d))


def has_old_pieces(root: Path) -> bool:
    if (root / "_log").exists() or (root / "catalog").exists():
        return True
    quarantine = root / "quarantine"
    if quarantine.is_dir() and any(_OLD_QUARANTINE.fullmatch(p.name) for p in quarantine.iterdir()):
        return True
    events = root / "events"
    return events.is_dir() and any(_OLD_EVENT.fullmatch(p.name) for p in events.rglob("v*.parquet"))


def upgrade(root: Path, progress: Callable[[str], None] = lambda _: None) -> UpgradeReport:
    """Upgrade the store at ``root`` in place (see the module docstring); a new store is left as it is."""
    root = Path(root)
    report = UpgradeReport()
    if tables.exists(root / HEAD):
        report.already = True
        if has_old_pieces(root):  # an upgrade killed after the switch: finish its clean-up
            with writer_lock(root, "upgrade"):
                remove_old_pieces(root, report)
        return report
    if not is_old_layout(root):
        raise StoreError(f"{root}: no liveboard store here (nothing to upgrade)")
    with writer_lock(root, "upgrade"):
        if tables.exists(root / HEAD):  # upgraded meanwhile by another process
            report.already = True
            return report
        old = read_old_snapshot(root)
        report.old_version = old.version
        start_over(root)
        report.versions = write_tables(root, old, report, progress)
        switch(root, report.versions, old.version)
        remove_old_pieces(root, report)
    return report


def cmd_store_upgrade(args) -> int:
    import sys

    from liveboard.store import default_store_path

    root = Path(args.store or default_store_path())
    report = upgrade(root, progress=lambda line: print(line, file=sys.stderr, flush=True))
    for line in report.lines(root):
        print(line)
    return 0
