"""Delta Lake tables as the store uses them: files we write and can verify, commits we can pin.

Every data file is written by pyarrow with Parquet page checksums (verified on each read) and named after
its content: ``<prefix>-<sha256, 32 hex>.parquet``, so any file can be checked against its name without an
index, by ``liveboard store check`` or by hand (``sha256sum``). Commits go through delta-rs
(``create_write_transaction``) with explicit add and remove actions and the per-file statistics other
engines use to skip files (``numRecords``, min/max of the key columns).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from deltalake import CommitProperties, DeltaTable
from deltalake.exceptions import DeltaError, TableNotFoundError
from deltalake.transaction import AddAction, RemoveAction

from liveboard import atomic
from liveboard.errors import DataProblem

#: A checkpoint every this many commits: opening a table reads the newest checkpoint and at most this many
#: commit files, however long the table's history.
CHECKPOINT_INTERVAL = 20
HASH_CHARS = 32
LOG = "_delta_log"
STATS_COLUMNS = ("session_id", "account_id", "ts", "start")


class TableDamage(DataProblem):
    """A table's log or one of its files cannot be read as written; the message names it."""


@dataclass(frozen=True)
class DataFile:
    """A Parquet file written for a commit (not yet part of the table)."""

    path: str  # relative to the table's folder, with partition folders
    size: int
    rows: int
    partition: dict[str, str | None]
    stats: str


@dataclass
class Pending:
    """What one commit will do to one table: files to add, paths to remove, a new schema."""

    adds: list[DataFile] = field(default_factory=list)
    removes: list[str] = field(default_factory=list)
    schema: pa.Schema | None = None


# ------------------------------------------------------------------ files


def file_hash(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()[:HASH_CHARS]


def named_hash(path: str | Path) -> str | None:
    """The content hash a file's name records (``None`` for a name without one)."""
    stem = Path(path).name.removesuffix(".parquet")
    tail = stem.rpartition("-")[2]
    return tail if len(tail) == HASH_CHARS and all(c in "0123456789abcdef" for c in tail) else None


def verify_file(path: Path) -> str | None:
    """Why a data file is not as written (missing, or its bytes differ from its name's hash), or None.

    A file that cannot be opened (permissions) raises :class:`OSError`: that is the machine, not damage."""
    try:
        actual = file_hash(path)
    except FileNotFoundError:
        return "missing"
    expected = named_hash(path)
    if expected is not None and actual != expected:
        return "damaged: its content does not match the checksum in its name"
    return None


def data_file(table_dir: Path, rel: str, stats: str | None = None) -> DataFile:
    """A table's existing file (``rel``: its path in the table's folder, partition folders first) as an
    add: partition from the folders, statistics as given or computed from the file."""
    path = table_dir / rel
    pairs = (part.split("=", 1) for part in Path(rel).parts[:-1] if "=" in part)
    partition: dict[str, str | None] = {key: value for key, value in pairs}
    meta = pq.read_metadata(path)
    if stats is None:
        names = [n for n in STATS_COLUMNS if n in meta.schema.names]
        stats = _stats(pq.read_table(path, columns=names)) if names else json.dumps({"numRecords": meta.num_rows})
    return DataFile(rel, path.stat().st_size, meta.num_rows, partition, stats)


def _stats_value(value):
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    return value


def _stats(table: pa.Table) -> str:
    """Delta file statistics of the key columns (timestamps to the millisecond: max rounded up)."""
    mins, maxs, nulls = {}, {}, {}
    for name in STATS_COLUMNS:
        if name not in table.column_names:
            continue
        col = table[name]
        nulls[name] = col.null_count
        if col.null_count == len(col):
            continue
        lo, hi = pc.min(col).as_py(), pc.max(col).as_py()
        if isinstance(hi, dt.datetime):
            hi = hi.replace(microsecond=(hi.microsecond // 1000) * 1000) + (
                dt.timedelta(milliseconds=1) if hi.microsecond % 1000 else dt.timedelta()
            )
        mins[name], maxs[name] = _stats_value(lo), _stats_value(hi)
    return json.dumps({"numRecords": table.num_rows, "minValues": mins, "maxValues": maxs, "nullCount": nulls})


def delta_schema(schema: pa.Schema) -> pa.Schema:
    """Delta knows one zone for instants, "UTC"; DuckDB may call it "Etc/UTC"."""
    return pa.schema(
        [
            pa.field(f.name, pa.timestamp(f.type.unit, tz="UTC"), f.nullable)
            if pa.types.is_timestamp(f.type) and f.type.tz
            else f
            for f in schema
        ]
    )


def write_file(
    table_dir: Path,
    table: pa.Table | Iterable[pa.RecordBatch],
    *,
    prefix: str,
    partition: dict | None = None,
    schema: pa.Schema | None = None,
) -> DataFile:
    """Write a Parquet file into a table's folder under a temporary name, then rename it after its hash.

    ``table`` may be an iterable of record batches (bounded memory); the statistics then come from the
    batches as they pass.
    """
    if isinstance(table, pa.Table):
        writer = FileWriter(table_dir, prefix=prefix, partition=partition, schema=delta_schema(table.schema))
        with writer.aborting():
            writer.write(table)
            return writer.close()
    writer = FileWriter(table_dir, prefix=prefix, partition=partition, schema=schema)
    with writer.aborting():
        for batch in table:
            writer.write(batch)
        return writer.close()


def _listed(dictionary: bool | tuple[str, ...]) -> bool | list[str]:
    return dictionary if isinstance(dictionary, bool) else list(dictionary)


class FileWriter:
    """One data file being written, a batch at a time (so several can be open at once, one per partition):
    a temporary name until :meth:`close` names it after its hash and returns its :class:`DataFile`."""

    def __init__(
        self,
        table_dir: Path,
        *,
        prefix: str,
        partition: dict | None,
        schema: pa.Schema,
        dictionary: bool | tuple[str, ...] = True,
    ):
        self.partition = dict(partition or {})
        self.sub = "/".join(f"{k}={v}" for k, v in self.partition.items())
        self.folder = table_dir / self.sub if self.sub else table_dir
        self.folder.mkdir(parents=True, exist_ok=True)
        self.prefix, self.schema = prefix, delta_schema(schema)
        self._file = atomic.AtomicFile(self.folder / prefix)  # named after its hash once whole
        self.tmp = self._file.path
        try:
            self._writer = pq.ParquetWriter(
                self.tmp, self.schema, compression="zstd", write_page_checksum=True, use_dictionary=_listed(dictionary)
            )
        except BaseException:
            self._file.discard()
            raise
        self.rows = 0
        self._nulls = dict.fromkeys(STATS_COLUMNS, 0)
        self._bounds: dict[str, list] = {}

    def write(self, data: pa.RecordBatch | pa.Table) -> None:
        if not data.num_rows:
            return
        if data.schema != self.schema:
            data = data.cast(self.schema)
        if isinstance(data, pa.RecordBatch):
            self._writer.write_batch(data)
        else:
            self._writer.write_table(data)
        self.rows += data.num_rows
        for name in STATS_COLUMNS:
            if name in data.schema.names:
                col = data.column(name)
                self._nulls[name] += col.null_count
                if col.null_count < len(col):
                    mm = pc.min_max(col).as_py()
                    self._bounds.setdefault(name, []).extend([mm["min"], mm["max"]])

    def close(self) -> DataFile:
        self._writer.close()
        ends = {k: pa.array([min(v), max(v)], self.schema.field(k).type) for k, v in self._bounds.items()}
        stats = json.loads(_stats(pa.table(ends)))
        stats["numRecords"] = self.rows
        stats["nullCount"] = {k: n for k, n in self._nulls.items() if k in self.schema.names}
        name = f"{self.prefix}-{file_hash(self.tmp)}.parquet"
        self._file.publish(self.folder / name)
        path = f"{self.sub}/{name}" if self.sub else name
        return DataFile(path, (self.folder / name).stat().st_size, self.rows, self.partition, json.dumps(stats))

    def abort(self) -> None:
        """Drop the unfinished file (its temporary name never reaches a commit)."""
        try:
            self._writer.close()
        finally:
            self._file.discard()

    @contextmanager
    def aborting(self) -> Iterator[None]:
        try:
            yield
        except BaseException:
            self.abort()
            raise


# ------------------------------------------------------------------ tables


def create(path: Path, schema: pa.Schema, partition_by: list[str] | None = None, metadata: dict | None = None) -> None:
    DeltaTable.create(
        str(path),
        schema,
        partition_by=partition_by or None,
        configuration={"delta.checkpointInterval": str(CHECKPOINT_INTERVAL)},
        commit_properties=CommitProperties(custom_metadata=metadata) if metadata else None,
    )


def exists(path: Path) -> bool:
    return (path / LOG).is_dir()


_CACHE: OrderedDict[tuple, DeltaTable] = OrderedDict()
_CACHE_LOCK = threading.Lock()


def load(path: Path, version: int | None = None) -> DeltaTable:
    """A table at a version (the newest when None); loaded tables are kept per version, they never change."""
    try:
        if version is None:
            return DeltaTable(str(path))
        try:  # a version number reused after `store repair` is another entry: another key
            stamp = (path / LOG / f"{version:020d}.json").stat().st_mtime_ns
        except OSError:
            stamp = None
        key = (str(path), version, stamp)
        with _CACHE_LOCK:
            if key in _CACHE:
                _CACHE.move_to_end(key)
                return _CACHE[key]
        if stamp is not None:  # once per version loaded: a torn or damaged entry is never served
            commit_entry(path, version)
        table = DeltaTable(str(path), version=version)
        with _CACHE_LOCK:
            _CACHE[key] = table
            while len(_CACHE) > 64:
                _CACHE.popitem(last=False)
        return table
    except TableNotFoundError:
        raise TableDamage(f"{path}: not a Delta table (its {LOG} folder is missing or empty)") from None
    except (DeltaError, OSError, ValueError) as exc:
        named = _damaged_entry(path, version)
        raise TableDamage(named or f"{path}: its commit log cannot be read ({_first_line(exc)})") from None


def _damaged_entry(path: Path, version: int | None) -> str | None:
    """The first log entry (up to ``version``) that cannot be read, to name in an error instead of the table."""
    try:
        for v in iter_log_versions(path):
            if version is None or v <= version:
                commit_entry(path, v)
    except TableDamage as exc:
        return f"{exc}: the table's commit log cannot be read past it"
    return None


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]


def latest_version(path: Path) -> int:
    """The newest committed version, found from ``_last_checkpoint`` upwards (no full listing)."""
    log = path / LOG
    start = 0
    try:
        start = int(json.loads((log / "_last_checkpoint").read_text())["version"])
    except (OSError, ValueError, KeyError, TypeError):
        start = 0
    v = start
    while (log / f"{v + 1:020d}.json").exists():
        v += 1
    if not (log / f"{v:020d}.json").exists() and not (log / f"{v:020d}.checkpoint.parquet").exists():
        names = [n for n in _list(log) if n.endswith(".json") and n[:-5].isdigit()]
        if not names:
            raise TableDamage(f"{path}: its commit log is empty")
        v = max(int(n[:-5]) for n in names)
    return v


def _list(folder: Path) -> list[str]:
    try:
        return os.listdir(folder)
    except OSError as exc:
        raise TableDamage(f"{folder}: cannot be read ({exc.strerror or exc})") from None


def commit_entry(path: Path, version: int) -> list[dict]:
    """The actions of one commit, as JSON objects; raises :class:`TableDamage` for a torn or damaged one."""
    name = path / LOG / f"{version:020d}.json"
    try:
        text = name.read_bytes().decode("utf-8")
        actions = [json.loads(line) for line in text.splitlines() if line.strip()]
    except FileNotFoundError:
        raise TableDamage(f"{name}: missing") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise TableDamage(f"{name}: damaged ({_first_line(exc)})") from None
    if not actions or not all(isinstance(a, dict) and len(a) == 1 for a in actions):
        raise TableDamage(f"{name}: damaged (not a list of Delta actions)")
    if version == 0 and not {"protocol", "metaData"} <= {k for a in actions for k in a}:
        raise TableDamage(f"{name}: torn (the table's first entry lacks its protocol or its metadata)")
    # an entry cut at a line break still parses: the counts our commits state first tell it is torn
    info = actions[0].get("commitInfo") if "commitInfo" in actions[0] else None
    stated = ((info or {}).get("liveboard") or {}).get("actions") if isinstance(info, dict) else None
    if isinstance(stated, dict):
        found = {kind: sum(kind in a for a in actions) for kind in ("add", "remove")}
        if any(found[k] != stated.get(k) for k in found):
            raise TableDamage(
                f"{name}: torn (it names {found['add']} of the {stated.get('add')} files it adds and "
                f"{found['remove']} of the {stated.get('remove')} it removes)"
            )
    return actions


def commit_info(path: Path, version: int) -> dict:
    for action in commit_entry(path, version):
        if "commitInfo" in action:
            return action["commitInfo"]
    return {}


def commit(
    path: Path, pending: Pending, schema: pa.Schema, partition_by: list[str] | None, metadata: dict | None = None
) -> int:
    """Commit adds and removes to the newest version of a table; returns the new version.

    With ``pending.schema`` the commit is an overwrite: the adds replace every file, under that schema."""
    table = load(path)
    now = int(time.time() * 1000)
    actions: list[AddAction | RemoveAction] = [
        AddAction(f.path, f.size, f.partition, now, True, f.stats) for f in pending.adds
    ]
    if pending.schema is None:  # an overwrite removes every file of the version it is made on
        actions += [RemoveAction(p, True, now, None, None) for p in pending.removes]
        removed = len(pending.removes)
    else:
        removed = len(table.file_uris())
    # the entry's first line (commitInfo) says how many files it adds and removes: see commit_entry
    stated = dict(metadata or {})
    stated["liveboard"] = {
        **(stated.get("liveboard") or {}),
        "actions": {"add": len(pending.adds), "remove": removed},
        "adds": [f.path for f in pending.adds],  # so that files of a torn entry can still be found
    }
    table.create_write_transaction(
        actions,
        mode="overwrite" if pending.schema is not None else "append",
        schema=pending.schema or schema,
        partition_by=partition_by or None,
        commit_properties=CommitProperties(custom_metadata=stated),
    )
    return latest_version(path)


def files(path: Path, version: int) -> pa.Table:
    """The data files of a version with their statistics (flattened: ``min.ts``, ``partition.account`` …)."""
    table = pa.table(load(path, version).get_add_actions(flatten=True))
    return table


def file_paths(path: Path, version: int) -> list[Path]:
    return [path / p for p in files(path, version)["path"].to_pylist()]


@functools.cache
def _verified_format() -> ds.ParquetFileFormat:
    return ds.ParquetFileFormat(
        default_fragment_scan_options=ds.ParquetFragmentScanOptions(page_checksum_verification=True)
    )


def dataset(paths: list[Path], schema: pa.Schema) -> ds.Dataset:
    """The files as one dataset whose every page is checked against its checksum as it is read."""
    return ds.dataset([str(p) for p in paths], schema=schema, format=_verified_format())


_READ_CACHE: OrderedDict[tuple, pa.Table] = OrderedDict()
READ_CACHE_BYTES = 256 << 20


def read(paths: list[Path], schema: pa.Schema | None) -> pa.Table | None:
    """Small tables, read whole: each file is verified against its name's hash first (None: no files).

    Files never change once written, so a table read is kept (per file, size and modification time: a file
    changed since is read and verified again) — a live writer re-reads the catalog every second."""
    if not paths:
        return schema.empty_table() if schema is not None else None
    try:
        key = (str(schema), *((str(p), (st := p.stat()).st_size, st.st_mtime_ns) for p in paths))
    except FileNotFoundError as exc:
        raise TableDamage(f"{exc.filename}: missing") from None
    with _CACHE_LOCK:
        if key in _READ_CACHE:
            _READ_CACHE.move_to_end(key)
            return _READ_CACHE[key]
    parts = []
    for p in paths:
        problem = verify_file(p)
        if problem:
            raise TableDamage(f"{p}: {problem}")
        try:
            parts.append(pq.read_table(p, schema=schema, page_checksum_verification=True))
        except (OSError, pa.ArrowException) as exc:
            raise TableDamage(f"{p}: cannot be read ({_first_line(exc)})") from None
    table = pa.concat_tables(parts)
    with _CACHE_LOCK:
        _READ_CACHE[key] = table
        while sum(t.nbytes for t in _READ_CACHE.values()) > READ_CACHE_BYTES and len(_READ_CACHE) > 1:
            _READ_CACHE.popitem(last=False)
    return table


def restore(path: Path, version: int) -> None:
    """Undo commits after ``version`` (a killed multi-table commit) with a new commit equal to it."""
    load(path).restore(version)


def vacuum(path: Path, retention_hours: float) -> list[str]:
    """Delete files that no version of the last ``retention_hours`` needs."""
    return load(path).vacuum(retention_hours=int(retention_hours), dry_run=False, enforce_retention_duration=False)


def iter_log_versions(path: Path) -> Iterator[int]:
    for n in sorted(_list(path / LOG)):
        if n.endswith(".json") and n[:-5].isdigit():
            yield int(n[:-5])
