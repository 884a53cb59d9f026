"""One store commit, all tables: the writer's lock, the recovery of a killed commit, and :class:`_Commit`,
what a commit does to each table (the head last)."""

from __future__ import annotations

import datetime as dt
import errno
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
from filelock import FileLock, Timeout

from liveboard import tables
from liveboard.errors import os_error_message
from liveboard.store.errors import StoreError
from liveboard.store.layout import COMMITS_SCHEMA, DATA_TABLES, HEAD, STAGING, Snapshot, _partitions, table_schema
from liveboard.store.reading import StoreReading


class _Commit:
    """What one store commit does to each table, collected while the writer holds the lock."""

    def __init__(self, store: StoreReading, snap: Snapshot, operation: str, base: dict[str, int]):
        self.store, self.snap, self.operation, self.base = store, snap, operation, base
        self.version = tables.latest_version(store.root / HEAD) + 1  # the writer holds the lock
        self.pending: dict[str, tables.Pending] = {}

    def _p(self, name: str) -> tables.Pending:
        return self.pending.setdefault(name, tables.Pending())

    def add(
        self,
        name: str,
        table: pa.Table | Iterable[pa.RecordBatch],
        *,
        partition=None,
        n: int = 0,
        schema: pa.Schema | None = None,
    ) -> tables.DataFile:
        f = tables.write_file(self.store.root / name, table, prefix=self._prefix(n), partition=partition, schema=schema)
        self.added(name, f)
        return f

    @property
    def seq_shift(self) -> int:
        """What this commit adds to its new events' ``seq`` (read order): commits in order, then lines."""
        return (self.version + self.snap.seq_base) << 32

    def _prefix(self, n: int) -> str:
        """Data files of this commit are named ``c<commit>-<n>-<hash>.parquet``."""
        return f"c{self.version:09d}-{n:05d}"

    def open(
        self, name: str, *, partition=None, n: int = 0, schema: pa.Schema, dictionary: bool | tuple[str, ...] = True
    ) -> tables.FileWriter:
        """A file of this commit written a batch at a time; :meth:`added` once it is closed."""
        return tables.FileWriter(
            self.store.root / name, prefix=self._prefix(n), partition=partition, schema=schema, dictionary=dictionary
        )

    def added(self, name: str, f: tables.DataFile) -> None:
        self._p(name).adds.append(f)

    def replace(self, name: str, table: pa.Table) -> None:
        """The table's new content, whole (catalog and source tables)."""
        p = self._p(name)
        p.removes = [str(x.relative_to(self.store.root / name)) for x in self.store._files(name, self.snap)]
        p.adds = []
        self.add(name, table)
        p.schema = tables.delta_schema(table.schema)

    def remove(self, name: str, paths: list[str]) -> None:
        self._p(name).removes.extend(paths)

    def commit(self) -> int:
        root = self.store.root
        versions = dict(self.base)
        for name in DATA_TABLES:
            p = self.pending.get(name)
            if p and (p.adds or p.removes or p.schema is not None):
                versions[name] = tables.commit(root / name, p, table_schema(name), _partitions(name))
        row = {"version": self.version, "created": dt.datetime.now(dt.UTC), "operation": self.operation}
        row |= {f"{n}_version": versions[n] for n in DATA_TABLES}
        head = tables.Pending()
        rows = pa.Table.from_pylist([row], COMMITS_SCHEMA)
        if self.operation == "compact":  # one file for the whole history instead of one per commit
            earlier = self.store._files(HEAD, self.snap)
            head.removes = [str(p.relative_to(root / HEAD)) for p in earlier]
            rows = pa.concat_tables([tables.read(earlier, COMMITS_SCHEMA), rows])
        head.adds.append(tables.write_file(root / HEAD, rows, prefix=f"c{self.version:09d}"))
        meta = {"liveboard": {"tables": versions, "seq_base": self.snap.seq_base}}
        got = tables.commit(root / HEAD, head, COMMITS_SCHEMA, None, meta)
        if got != self.version:
            raise StoreError(f"{root}: the commit log moved under a writer (expected {self.version}, got {got})")
        return self.version


@contextmanager
def writer_lock(root: Path, what: str, timeout: float = 30.0) -> Iterator[None]:
    """The store's writer lock (``_lock``, which every writer takes: commits, upgrade, repair), waited for
    up to ``timeout`` seconds; ``what`` the caller does to the store, for the messages.

    An ``flock`` (through :mod:`filelock`): the kernel lets go of it when its holder dies, even by SIGKILL,
    so a killed writer never leaves the store locked; old liveboard writers take the same lock."""
    lock_path = root / "_lock"
    lock = FileLock(lock_path, timeout=timeout, thread_local=False)
    try:
        if not root.is_dir():  # filelock would create the folder: a store that is gone is not made anew
            raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), str(root))
        lock.acquire()
    except Timeout:
        raise StoreError(
            f"{root}: another liveboard command (an import, a sync or a live recording) has been "
            f"writing to this store for {timeout:.0f} s; try again when it is done"
        ) from None
    except OSError as exc:
        raise StoreError(f"cannot {what} the store: {os_error_message(exc, str(lock_path))}") from None
    try:
        yield
    finally:
        lock.release()


class Committing(StoreReading):
    """The way into a commit: :meth:`_writer` takes the lock and restores what a killed writer left."""

    @contextmanager
    def _writer(self, operation: str, timeout: float = 30.0) -> Iterator[_Commit]:
        with writer_lock(self.root, "write to", timeout):
            snap = self.snapshot()
            base = self._recover(snap)
            yield _Commit(self, snap, operation, base)

    def _recover(self, snap: Snapshot) -> dict[str, int]:
        """Before writing: every table back at the version the head names (undoing a killed commit), or
        refuse. Returns the version of each table to build on (with the same content as the named one)."""
        base = {}
        for name in DATA_TABLES:
            path, named = self.root / name, snap.of(name)
            try:
                latest = tables.latest_version(path)
                if latest < named:
                    raise tables.TableDamage(
                        f"{path}: the store's head names version {named}, the table ends at {latest}"
                    )
                for v in range(named + 1, latest + 1):
                    tables.commit_entry(path, v)  # a damaged entry after the head: refuse, never guess
                if latest > named and sorted(tables.file_paths(path, latest)) != sorted(tables.file_paths(path, named)):
                    tables.restore(path, named)
                    latest = tables.latest_version(path)
            except tables.TableDamage as exc:
                raise StoreError(f"refusing to write: {exc}; {self.damage_hint()}") from None
            base[name] = latest
        for p in self.root.rglob(".*.tmp"):
            # a file being written when a writer was killed; no commit names it. A running import stages
            # outside the lock, so its folder is not ours (a killed import's is cleared by the next import).
            if STAGING not in p.relative_to(self.root).parts:
                p.unlink(missing_ok=True)
        return base
