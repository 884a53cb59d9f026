"""The embedded store: Delta Lake tables under one folder, read with DuckDB.

Layout (each folder a Delta table: Parquet files plus a ``_delta_log``)::

    events/account=<id>/date=<YYYY-MM-DD>/   event rows (EVENT_SCHEMA), one partition per account and start day
    sessions/                                the catalog: one row per session, with its summary
    quarantine/                              bad rows kept aside (file, line, reason, raw)
    source_summaries/ source_trends/         what the API, exports and the recorder said of each session
    source_products/ gaps/                   (liveboard.provenance)
    commits/                                 the store's own log: one row per commit, naming the version of
                                             every other table that commit left

Guarantees (each is tested in tests/test_store*.py, test_kill_import.py, test_store_damage.py):

- **One commit, all tables.** A commit writes its files, commits each changed table, then appends its row
  to ``commits``; readers take the versions named by the newest ``commits`` entry, so they see the store
  before or after a commit, never half of one. A table ahead of that entry (a writer killed between two
  tables) is restored to the named version by the next writer, before it writes anything.
- **Readers are never blocked**; writers take an exclusive lock and wait up to 30 s for it, then say who
  holds the store.
- **What is read is verified.** Every data file carries Parquet page checksums (checked on each read) and
  is named after the SHA-256 of its bytes (``liveboard store check`` checks every file of every readable
  version against its name). A torn or damaged log entry is an error naming it, never a silent rollback;
  writers refuse to write over one (``liveboard store repair`` rolls back to the last good version and
  keeps the damaged files aside).
- **Nothing a readable version references is deleted**, except by ``vacuum``, which only removes files that
  no version of the last :data:`VACUUM_RETAIN_HOURS` hours needs.
- Idempotent imports, sealed sessions, late order updates and conflicts: see :meth:`Store.append`.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from liveboard import provenance, queries, staging, tables
from liveboard.errors import os_error_message
from liveboard.eventlog import BAD_ROW_SCHEMA, to_json_lines
from liveboard.events import DICTIONARY_COLUMNS, EVENT_SCHEMA

DEFAULT_STORE = Path("data/store")
#: ``vacuum`` keeps every file a version of this many recent hours needs (a page open that long still reads).
VACUUM_RETAIN_HOURS = 1
#: DuckDB's memory for the checks and the commit of a bulk import (it spills to disk past this): with the
#: reader's own bounded parts, what keeps an import of any size under the issue's 1.5 GB.
IMPORT_MEMORY = "512MB"
#: Rows per batch (and Parquet row group) of an event file as it is written.
WRITE_BATCH = 65_536
PARTITIONS = ["account", "date"]
HEAD = "commits"
#: The tables of a store, in the order a commit commits them (the head last).
DATA_TABLES = ("events", "quarantine", *provenance.TABLE_NAMES, "sessions")
ALL_TABLES = (*DATA_TABLES, HEAD)
#: Operations delta-rs commits by itself that change no table's content (the head skips them).
MAINTENANCE = ("VACUUM START", "VACUUM END")
OLD_LAYOUT_HINT = "run `liveboard store upgrade --store {root}` once to move it to the Delta Lake layout"

EVENTS_TABLE_SCHEMA = pa.schema(list(EVENT_SCHEMA) + [pa.field("account", pa.string()), pa.field("date", pa.string())])
COMMITS_SCHEMA = pa.schema(
    [
        pa.field("version", pa.int64()),
        pa.field("created", pa.timestamp("us", tz="UTC")),
        pa.field("operation", pa.string()),
    ]
    + [pa.field(f"{name}_version", pa.int64()) for name in DATA_TABLES]
)
#: ``event_files``: which data file may hold which sessions (from the Delta log's per-file statistics).
FILES_SCHEMA = pa.schema(
    [
        pa.field("path", pa.string()),
        pa.field("min_session", pa.string()),
        pa.field("max_session", pa.string()),
        pa.field("rows", pa.int64()),
        pa.field("min_ts", EVENT_SCHEMA.field("ts").type),
        pa.field("max_ts", EVENT_SCHEMA.field("ts").type),
    ]
)


class StoreError(Exception):
    """A user-facing problem with the store (locked, unreadable, damaged, refused write)."""


class NoStoreError(StoreError):
    """There is no store at the path (a page offers to create one; a damaged store is another StoreError)."""


class OldLayoutError(StoreError):
    """A store written by liveboard before the Delta Lake layout."""


def default_store_path() -> Path:
    return Path(os.environ.get("LIVEBOARD_STORE") or DEFAULT_STORE)


def table_schema(name: str) -> pa.Schema:
    if name == "events":
        return EVENTS_TABLE_SCHEMA
    if name == "sessions":
        return provenance.catalog_schema()
    if name == "quarantine":
        return BAD_ROW_SCHEMA
    if name == HEAD:
        return COMMITS_SCHEMA
    return provenance.table_schemas()[name]


def is_old_layout(root: Path) -> bool:
    return (root / "_log").is_dir() and not tables.exists(root / HEAD)


@dataclass
class ImportReport:
    """What an import did.

    ``refused`` are new events for sealed sessions, ``conflicts`` events whose id is stored or repeated with
    other content; ``bad`` counts the reader's bad rows and ``session_end`` rows before their start. All
    of them are in ``rejected`` (the store's part, with file, line and reason) and in quarantine.
    ``late_updates``: per sealed session, the late order updates (refunds, payments) taken.
    """

    imported: int = 0
    duplicates: int = 0
    bad: int = 0
    refused: int = 0
    conflicts: int = 0
    late_updates: dict[str, int] = field(default_factory=dict)
    rejected: pa.Table = field(default_factory=BAD_ROW_SCHEMA.empty_table)
    unknown_types: Counter = field(default_factory=Counter)
    sessions: list[str] = field(default_factory=list)
    sealed: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    version: int = 0

    @property
    def unknown(self) -> int:
        return sum(self.unknown_types.values())

    @property
    def ok(self) -> bool:
        return self.bad == 0 and self.refused == 0 and self.conflicts == 0


_safe_part = staging.safe_part


@dataclass(frozen=True)
class Snapshot:
    """One committed version of the store: the version of each table that commit left."""

    root: Path
    version: int
    versions: tuple[tuple[str, int], ...] = ()
    #: Added to the commit number in new events' ``seq`` (read order): a store upgraded from the old layout
    #: continues its numbering, so events of later commits still sort after the old ones at equal ``ts``.
    seq_base: int = 0
    #: When the head's commit was written (ms): a version number that ``store repair`` wrote again, with
    #: other content, is another snapshot (what caches of a snapshot key on).
    stamp: int = 0

    def of(self, name: str) -> int:
        return self.version if name == HEAD else dict(self.versions)[name]


class _Commit:
    """What one store commit does to each table, collected while the writer holds the lock."""

    def __init__(self, store: Store, snap: Snapshot, operation: str, base: dict[str, int]):
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
    up to ``timeout`` seconds; ``what`` the caller does to the store, for the messages."""
    lock_path = root / "_lock"
    try:
        fh = open(lock_path, "a+")  # noqa: SIM115 - closed below, after the caller's block
    except OSError as exc:
        raise StoreError(f"cannot {what} the store: {os_error_message(exc, str(lock_path))}") from None
    with fh:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise StoreError(
                        f"{root}: another liveboard command (an import, a sync or a live recording) has been "
                        f"writing to this store for {timeout:.0f} s; try again when it is done"
                    ) from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _partitions(name: str) -> list[str] | None:
    return PARTITIONS if name == "events" else None


class Store:
    def __init__(self, root: str | os.PathLike | None = None, *, create: bool = False):
        self.root = Path(root) if root is not None else default_store_path()
        if is_old_layout(self.root):
            raise OldLayoutError(
                f"{self.root}: this store is in the layout of an older liveboard; "
                + OLD_LAYOUT_HINT.format(root=self.root)
            )
        if not tables.exists(self.root / HEAD):
            if not create:
                raise NoStoreError(
                    f"{self.root}: no liveboard store here (import an event log, or run `liveboard simulate`)"
                )
            self._create()

    def _create(self) -> None:
        """Empty tables, then the head naming their version 0 (a store half-created is created again)."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            for name in DATA_TABLES:
                if not tables.exists(self.root / name):
                    tables.create(self.root / name, table_schema(name), _partitions(name))
            if not tables.exists(self.root / HEAD):
                tables.create(
                    self.root / HEAD, COMMITS_SCHEMA, None, {"liveboard": {"tables": dict.fromkeys(DATA_TABLES, 0)}}
                )
        except OSError as exc:
            raise StoreError(f"cannot create the store: {os_error_message(exc, str(self.root))}") from None

    # ------------------------------------------------------------ reading

    def snapshot(self) -> Snapshot:
        """The newest committed version (version 0 is the empty store)."""
        head = self.root / HEAD
        try:
            v = tables.latest_version(head)
            info = tables.commit_info(head, v)
            while info.get("operation") in MAINTENANCE and v > 0:  # vacuum's commits change no content
                v -= 1
                info = tables.commit_info(head, v)
        except tables.TableDamage as exc:
            raise StoreError(f"{exc}; {self.damage_hint()}") from None
        except OSError as exc:
            where = str(exc.filename or head)
            raise StoreError(f"cannot read the store's commit log: {os_error_message(exc, where)}") from None
        named = (info.get("liveboard") or {}).get("tables")
        if not isinstance(named, dict) or not all(isinstance(named.get(n), int) for n in DATA_TABLES):
            raise StoreError(f"{head}: commit {v} does not name its tables' versions; {self.damage_hint()}")
        meta = info["liveboard"]
        seq_base = meta.get("seq_base", meta.get("upgraded_from", 0))
        stamp = info.get("timestamp")
        return Snapshot(
            self.root,
            v,
            tuple((n, named[n]) for n in DATA_TABLES),
            int(seq_base or 0),
            stamp if isinstance(stamp, int) else 0,
        )

    def damage_hint(self) -> str:
        return f"run `liveboard store check --store {self.root}` to see what is damaged, then `liveboard store repair`"

    def _files(self, name: str, snap: Snapshot) -> list[Path]:
        try:
            return tables.file_paths(self.root / name, snap.of(name))
        except tables.TableDamage as exc:
            raise StoreError(f"{exc}; {self.damage_hint()}") from None

    def read_table(self, name: str, snap: Snapshot | None = None) -> pa.Table:
        """A small table of one snapshot, whole, each file verified against its checksum."""
        snap = snap or self.snapshot()
        try:
            out = tables.read(self._files(name, snap), None)
        except tables.TableDamage as exc:
            raise StoreError(f"{exc}; {self.damage_hint()}") from None
        return out if out is not None else table_schema(name).empty_table()

    def table_files(self, name: str, snap: Snapshot | None = None) -> list[Path]:
        """The Parquet files of table ``name`` in one snapshot, from its Delta log: what another engine reads."""
        if name not in DATA_TABLES:
            raise StoreError(f"no table {name!r} (tables: {', '.join(DATA_TABLES)})")
        return self._files(name, snap or self.snapshot())

    def _event_files_table(self, snap: Snapshot) -> pa.Table:
        try:
            t = tables.files(self.root / "events", snap.of("events"))
        except tables.TableDamage as exc:
            raise StoreError(f"{exc}; {self.damage_hint()}") from None
        if not t.num_rows:
            return FILES_SCHEMA.empty_table()
        ts = FILES_SCHEMA.field("min_ts").type
        return pa.table(
            {
                "path": pc.binary_join_element_wise("events/", t["path"], ""),
                "min_session": t["min.session_id"].cast(pa.string()),
                "max_session": t["max.session_id"].cast(pa.string()),
                "rows": t["num_records"].cast(pa.int64()),
                "min_ts": t["min.ts"].cast(ts),
                "max_ts": t["max.ts"].cast(ts),
            },
            schema=FILES_SCHEMA,
        )

    def source_tables(self, snap: Snapshot) -> provenance.SourceTables:
        out = provenance.SourceTables()
        for name in provenance.TABLE_NAMES:
            table = self.read_table(name, snap)
            out.tables[name] = provenance.conform(table, provenance.table_schemas()[name])
        return out

    def connect(
        self, snap: Snapshot | None = None, *, private: bool = False
    ) -> tuple[duckdb.DuckDBPyConnection, Snapshot]:
        """A DuckDB connection on one snapshot: tables ``sessions``, ``event_files`` and the source tables,
        view ``quarantine``. They are copied into the connection's database, so every cursor of it sees
        them; ``private`` (one user, e.g. a writer) registers them instead, which costs nothing."""
        snap = snap or self.snapshot()
        con = duckdb.connect()
        put = _register if private else _materialize
        put(con, "sessions", self.read_table("sessions", snap), provenance.catalog_schema())
        put(con, "event_files", self._event_files_table(snap), FILES_SCHEMA)
        quarantine = self._files("quarantine", snap)
        if quarantine:
            con.execute(f"CREATE VIEW quarantine AS SELECT * FROM {parquet_source(quarantine)}")
        else:
            con.execute(f"CREATE VIEW quarantine AS {_empty_select(BAD_ROW_SCHEMA)}")
        for name, schema in provenance.table_schemas().items():
            put(con, name, provenance.conform(self.read_table(name, snap), schema), schema)
        return con, snap

    def event_files(
        self, con: duckdb.DuckDBPyConnection, session_ids: list[str] | None, *, since: object = None
    ) -> list[Path]:
        """Files that may hold events of these sessions (by the files' min/max session ids)."""
        where, params = ["true"], {}
        if session_ids is not None:
            where.append(
                "EXISTS (SELECT 1 FROM (SELECT unnest($ids) AS s) WHERE s BETWEEN min_session AND max_session)"
            )
            params["ids"] = list(session_ids)
        if since is not None:
            where.append("max_ts >= $since")
            params["since"] = since
        rows = con.execute(
            f"SELECT DISTINCT path FROM event_files WHERE {' AND '.join(where)} ORDER BY path", params
        ).fetchall()
        return [self.root / r[0] for r in rows]

    def define_events(
        self,
        con: duckdb.DuckDBPyConnection,
        session_ids: list[str] | None,
        *,
        materialize: bool = False,
        since: object = None,
        native: bool = False,
    ) -> None:
        """Create ``ev``, the events of the given sessions (all when None): a view, or a temp table.

        Pages are verified against their checksums as they are read. ``since`` keeps only files holding
        events at or after that instant (whole files, not rows). ``native`` verifies each file against the
        hash in its name first, then reads it with DuckDB's own reader, which stays within the connection's
        memory limit (for sessions of millions of events; pyarrow's scanner reads far ahead).
        """
        files = self.event_files(con, session_ids, since=since)
        con.execute("DROP VIEW IF EXISTS ev")
        con.execute("DROP TABLE IF EXISTS ev")
        kind = "TEMP TABLE" if materialize else "TEMP VIEW"
        if not files:
            con.register("_empty_ev", EVENT_SCHEMA.empty_table())
            con.execute(f"CREATE {kind} ev AS SELECT * FROM _empty_ev")
            return
        if native:
            self._verify(files)
            con.execute(f"CREATE OR REPLACE TEMP VIEW _ev_files AS SELECT * FROM {parquet_source(files)}")
        else:
            con.register("_ev_files", tables.dataset(files, EVENT_SCHEMA))
        where = ""
        if session_ids is not None:
            where = f"WHERE session_id IN ({', '.join(_lit(s) for s in session_ids)})"
        try:
            con.execute(f"CREATE {kind} ev AS SELECT * FROM _ev_files {where}")
        except duckdb.Error as exc:
            raise self.damaged(exc, files) from None

    def _verify(self, files: list[Path]) -> None:
        """Files about to be read by DuckDB's own reader (which does not check Parquet page checksums),
        checked against the hash in their names first."""
        bad = [f"{p}: {why}" for p in files if (why := tables.verify_file(p))]
        if bad:
            raise StoreError("damaged data: " + "; ".join(bad[:5]) + f"; {self.damage_hint()}")

    def damaged(self, exc: BaseException, files: list[Path]) -> Exception:
        """The error to raise for a failed read: a StoreError naming the damaged files, if any are."""
        bad = [f"{p}: {why}" for p in files if (why := tables.verify_file(p))]
        if bad:
            return StoreError("damaged data: " + "; ".join(bad[:5]) + f"; {self.damage_hint()}")
        return exc if isinstance(exc, Exception) else StoreError(str(exc))

    def events(self, session_ids: list[str] | None = None) -> pa.Table:
        con, _ = self.connect(private=True)
        self.define_events(con, session_ids)
        files = self.event_files(con, session_ids)
        try:
            return con.sql("SELECT * FROM ev ORDER BY session_id, ts, seq").to_arrow_table().cast(EVENT_SCHEMA)
        except duckdb.Error as exc:
            raise self.damaged(exc, files) from None

    def catalog_from_summaries(self, events: pa.Table | None, snap: Snapshot | None = None) -> pa.Table:
        """The whole session table from events summaries (``queries.session_summaries()`` over every
        session's events, by any engine) and the snapshot's source rows: how the store builds its own."""
        snap = snap or self.snapshot()
        summaries = self.source_tables(snap).summaries
        con = duckdb.connect()
        con.execute("SET TimeZone = 'UTC'")
        if events is not None:
            con.register("summaries", events)
            events = con.sql(
                "SELECT *, \"end\" IS NOT NULL AS sealed, 'events' AS source, false AS stale FROM summaries"
            ).to_arrow_table()
        ids = set(summaries["session_id"].to_pylist())
        if events is not None:
            ids |= set(events["session_id"].to_pylist())
        con.register("rows", provenance.catalog_rows(events, summaries, sorted(ids)))
        return con.sql("SELECT * FROM rows ORDER BY start, session_id").to_arrow_table()

    # ------------------------------------------------------------ writing

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
            p.unlink(missing_ok=True)  # a file being written when a writer was killed; no commit names it
        return base

    def append(
        self,
        events: pa.Table,
        bad: pa.Table | None = None,
        *,
        summarize: bool = True,
        recent_only: bool = False,
        origin: Callable[[list[int]], pa.Table] | None = None,
    ) -> ImportReport:
        """Add events (and bad rows to keep aside) in one atomic commit.

        Events whose ``(session_id, id)`` is stored with the same content, or repeated verbatim in the batch,
        are duplicates (no-ops). The same id with different content is a conflict, whatever the order of the
        files: the stored version wins; within the batch every version of that id is rejected. New events
        for a sealed session are refused, except ``order`` events of an order the session already has
        (late status changes: a refund days later); a ``session_end`` before the session's start is a bad
        row. Everything rejected is quarantined with its file, line and raw text when ``origin`` (the
        reader's ``ReadResult.locate``) can tell them; a bad row already in quarantine is not added again.
        ``summarize=False`` skips recomputing session summaries (the live writer commits every second and
        summarises at the end). ``recent_only=True`` checks for stored duplicates only in files that reach
        the batch's time range (so a commit costs the batch, not the session): for a writer that skipped
        what was stored before it resumed, where a repeated event can only be a recent one.
        """
        bad = bad.cast(BAD_ROW_SCHEMA) if bad is not None else BAD_ROW_SCHEMA.empty_table()
        with self._writer("append") as c:
            con, _ = self.connect(c.snap, private=True)
            con.register("batch_raw", events.append_column("_row", pa.array(range(events.num_rows), pa.int64())))
            con.register("batch_bad", bad)
            return self._append(c, con, bad.num_rows, summarize, recent_only, origin)

    def append_parts(
        self,
        parts: Iterable[tuple[pa.Table, pa.Table | None]],
        *,
        summarize: bool = True,
        origin: Callable[[list[int]], pa.Table] | None = None,
    ) -> ImportReport:
        """:meth:`append` for a stream of ``(events, bad rows)`` parts, in bounded memory: each part is
        staged to disk as it arrives (``_staging/`` in the store), the checks run over the staged files out
        of core, and everything is one commit. The writer's lock is taken once reading is done."""
        _clear_stale_staging(self.root / "_staging")
        stage = self.root / "_staging" / f"{os.getpid()}-{time.time_ns()}"
        stage.mkdir(parents=True)
        stager = None
        try:
            stager = self._stager(stage / "events")
            n_bad = 0
            bad_files = []
            # parts are written in a thread (the GIL is let go while Parquet is encoded), so that the reader's
            # next part is taken meanwhile; at most two wait
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="liveboard-stage") as pool:
                waiting: deque = deque()
                for i, (events, bad) in enumerate(parts):
                    if events.num_rows:
                        waiting.append(pool.submit(stager.write, events.cast(EVENT_SCHEMA)))
                    if bad is not None and bad.num_rows:
                        bad_files.append(stage / f"bad-{i:06d}.parquet")
                        waiting.append(pool.submit(_stage, bad.cast(BAD_ROW_SCHEMA), bad_files[-1]))
                        n_bad += bad.num_rows
                    while len(waiting) > 2:
                        waiting.popleft().result()
                for job in waiting:
                    job.result()
            stager.close()
            pa.default_memory_pool().release_unused()  # what reading held goes back before the checks run
            with self._writer("import") as c:
                con, _ = self.connect(c.snap, private=True)
                _bounded(con, stage / "spill")
                ev = stager.paths()
                # the staged rows as the checks know them: seq as read, and a row number (seq is unique)
                raw = (
                    f"SELECT * REPLACE (seq - {stager.shift} AS seq), seq - {stager.shift} AS _row "
                    f"FROM {parquet_source(ev)}"
                )
                batch_schema = pa.schema(list(EVENT_SCHEMA) + [pa.field("_row", pa.int64())])
                con.execute(f"CREATE TEMP VIEW batch_raw AS {raw if ev else _empty_select(batch_schema)}")
                bad_sql = f"SELECT * FROM {parquet_source(bad_files)}" if bad_files else _empty_select(BAD_ROW_SCHEMA)
                con.execute(f"CREATE TEMP VIEW batch_bad AS {bad_sql}")
                return self._append(c, con, n_bad, summarize, False, origin, bulk=True, staged=stager)
        except BaseException:
            if stager is not None:
                stager.abort()
            raise
        finally:
            _rmtree(stage)

    def _stager(self, folder: Path) -> staging.EventStager:
        """Staged event files for the commit a bulk import expects to make (the next version, if no other
        writer commits first) and the stored sessions' places."""
        snap = self.snapshot()
        version = tables.latest_version(self.root / HEAD) + 1
        rows = self.read_table("sessions", snap).select(["session_id", "account_id", "start"]).to_pylist()
        known = {r["session_id"]: (r["account_id"], r["start"]) for r in rows}
        return staging.EventStager(folder, version=version, shift=(version + snap.seq_base) << 32, known=known)

    def _append(
        self,
        c: _Commit,
        con,
        n_bad: int,
        summarize: bool,
        recent_only: bool,
        origin,
        *,
        bulk: bool = False,
        staged: staging.EventStager | None = None,
    ) -> ImportReport:
        """The checks and the commit of :meth:`append`, over ``batch_raw`` (events with ``_row``) and
        ``batch_bad`` (the reader's bad rows), tables or views of ``con``. ``bulk``: a batch of any size
        (files written in read order, events read by DuckDB's own reader within the connection's memory)."""
        report = ImportReport(bad=n_bad)
        snap = c.snap
        rejected: dict[int, str] = {}  # batch row -> why it is not taken
        located: dict[int, dict] = {}  # batch row -> its file, line and raw text, where asked already
        touched = [r[0] for r in con.execute("SELECT DISTINCT session_id FROM batch_raw ORDER BY 1").fetchall()]
        # 1. ids already stored: a duplicate when the content is the same, else a conflict (the stored one wins)
        con.execute("CREATE TEMP TABLE matched (_row BIGINT, diff VARCHAR[])")
        if self.event_files(con, touched):
            since = con.execute("SELECT min(ts) FROM batch_raw").fetchall()[0][0] if recent_only else None
            self.define_events(con, touched, since=since, native=bulk)
            con.execute(
                "CREATE TEMP TABLE hit AS SELECT b._row, b.session_id, b.id FROM batch_raw b "
                "SEMI JOIN (SELECT session_id, id FROM ev) s ON b.session_id = s.session_id AND b.id = s.id"
            )
            if con.execute("SELECT count(*) FROM hit").fetchall()[0][0]:
                con.execute(
                    f"INSERT INTO matched SELECT b._row, {_diff_sql('b', 's')} FROM hit h "
                    "JOIN batch_raw b USING (_row) JOIN ev s ON s.session_id = h.session_id AND s.id = h.id"
                )
        for row, sid, eid, diff in con.execute(
            "SELECT m._row, b.session_id, b.id, m.diff FROM matched m JOIN batch_raw b USING (_row) "
            "WHERE len(m.diff) > 0 ORDER BY m._row"
        ).fetchall():
            rejected[row] = (
                f"event {eid!r} of session {sid} differs from the stored event with this id "
                f"({_fields(diff)}): rejected, the stored one is kept"
            )
        report.conflicts = len(rejected)
        report.duplicates = con.execute("SELECT count(*) FROM matched WHERE len(diff) = 0").fetchall()[0][0]
        # 2. ids new to the store: repeated verbatim is a duplicate; two versions reject every version
        # `fresh` is the batch less the rows set aside so far: a view, so a big batch stays on disk
        con.execute("CREATE TEMP TABLE dropped AS SELECT _row FROM matched")
        con.execute("CREATE TEMP VIEW fresh AS SELECT * FROM batch_raw ANTI JOIN dropped USING (_row)")
        # distinct hashes prove distinct ids (the usual case) at half the cost of grouping by the ids
        repeated = (
            con.execute("SELECT count(*) > count(DISTINCT hash(session_id, id)) FROM fresh").fetchall()[0][0]
            and con.execute(
                "SELECT count(*) FROM (SELECT 1 FROM fresh GROUP BY session_id, id HAVING count(*) > 1)"
            ).fetchall()[0][0]
        )
        if repeated:
            clashing = self._batch_conflicts(con, origin, located)
            rejected.update(clashing)
            report.conflicts += len(clashing)
            before = con.execute("SELECT count(*) FROM fresh").fetchall()[0][0]
            _drop(con, list(clashing))
            con.execute(
                "CREATE TEMP TABLE _repeats AS WITH rep AS (SELECT session_id, id FROM fresh "
                "GROUP BY session_id, id HAVING count(*) > 1) "
                "SELECT f._row FROM fresh f SEMI JOIN rep r ON f.session_id = r.session_id AND f.id = r.id "
                "QUALIFY row_number() OVER (PARTITION BY f.session_id, f.id ORDER BY f.seq, f._row) > 1"
            )
            con.execute("INSERT INTO dropped SELECT _row FROM _repeats")
            after = con.execute("SELECT count(*) FROM fresh").fetchall()[0][0]
            report.duplicates += before - len(clashing) - after
        # 3. a session_end before the session's start (in this batch or stored) is a bad row
        ends_early = self._ends_before_start(con)
        rejected.update(ends_early)
        report.bad += len(ends_early)
        _drop(con, list(ends_early))
        # 4. sealed sessions take late updates of their own orders, and nothing else
        sealed = {
            r[0]
            for r in con.execute(
                "SELECT session_id FROM sessions WHERE sealed AND session_id IN (SELECT session_id FROM fresh)"
            ).fetchall()
        }
        if sealed:
            refused, late = self._sealed_split(con, sorted(sealed))
            report.refused = len(refused)
            report.late_updates = late
            rejected.update(refused)
            _drop(con, list(refused))
            by_session = Counter(
                r[0]
                for r in con.execute(
                    "SELECT session_id FROM batch_raw WHERE _row IN (SELECT unnest(?))", [list(refused)]
                ).fetchall()
            )
            for sid, n in sorted(by_session.items()):
                report.problems.append(
                    f"session {sid} is sealed (it has ended): refused {n} new event(s); past sessions take "
                    "only late updates of their own orders"
                )
        report.rejected = _rejected_rows(con, rejected, located, origin)
        con.register("_rejected", report.rejected)
        n_quarantine = self._not_yet_quarantined(con, "SELECT * FROM batch_bad UNION ALL SELECT * FROM _rejected")
        n_fresh = con.execute("SELECT count(*) FROM fresh").fetchall()[0][0]
        report.imported = n_fresh
        if n_fresh == 0 and n_quarantine == 0:
            report.version = snap.version
            return report
        changed = [r[0] for r in con.execute("SELECT DISTINCT session_id FROM fresh ORDER BY 1").fetchall()]
        new_files = self._staged_files(con, c, staged) if staged else None
        if new_files is None:
            new_files = self._write_event_files(con, c, sort=not bulk)
        committed = con.sql("SELECT * FROM event_files").to_arrow_table().cast(FILES_SCHEMA)
        report.sessions = changed
        files = pa.concat_tables([committed, new_files])
        sessions = self._sessions_catalog(con, c, files, changed, summarize, native=bulk)
        if sessions is None:  # a live append to a session whose (stale) row stays as it is
            sessions = con.sql("SELECT session_id, sealed FROM sessions").to_arrow_table()
        else:
            c.replace("sessions", sessions)
        if n_quarantine:
            rows = con.sql("SELECT file, line, reason, raw FROM _new_q ORDER BY _i").to_arrow_reader()
            c.add("quarantine", rows, schema=BAD_ROW_SCHEMA)
        was_sealed = sealed
        now_sealed = set(pc.filter(sessions["session_id"], sessions["sealed"]).to_pylist())
        report.sealed = sorted((now_sealed - was_sealed) & set(changed))
        report.version = c.commit()
        return report

    def _batch_conflicts(self, con, origin, located: dict[int, dict]) -> dict[int, str]:
        """Rows of ids new to the store that come in two or more versions: every version, with a reason
        naming another version's place and the fields that differ (chosen by place, not by read order)."""
        content = ", ".join(f'"{c}"' for c in _CONTENT)
        table = con.sql(
            f"WITH clash AS (SELECT session_id, id FROM fresh GROUP BY session_id, id "
            f"HAVING count(DISTINCT ({content})) > 1) "
            "SELECT f.* FROM fresh f SEMI JOIN clash c ON f.session_id = c.session_id AND f.id = c.id ORDER BY f._row"
        ).to_arrow_table()
        if not table.num_rows:
            return {}
        recs = table.to_pylist()
        for r, loc in zip(recs, _locate(origin, [r["seq"] for r in recs]), strict=True):
            located[r["_row"]] = loc
        groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
        for r in recs:
            groups[(r["session_id"], r["id"])].append(r)
        out: dict[int, str] = {}
        for (sid, eid), members in groups.items():
            members.sort(key=lambda m: _place_key(located[m["_row"]], m))
            first = members[0]
            other = next((m for m in members if _content(m) != _content(first)), first)
            for r in members:
                o = other if _content(r) == _content(first) else first
                diff = [c for c in _CONTENT if r[c] != o[c]] or ["content"]
                out[r["_row"]] = (
                    f"event {eid!r} of session {sid} has another version at {_place(located[o['_row']], o)} "
                    f"({_fields(diff)}): every version of this id is rejected"
                )
        return out

    def _ends_before_start(self, con) -> dict[int, str]:
        """``session_end`` rows earlier than their session's start (from this batch or stored events)."""
        ids = [r[0] for r in con.execute("SELECT DISTINCT session_id FROM fresh WHERE type = 'session_end'").fetchall()]
        if not ids:
            return {}
        files = self.event_files(con, ids)
        self._verify(files)
        stored = (
            f"SELECT session_id, ts FROM {parquet_source(files)} "
            "WHERE type = 'session_start' AND session_id IN (SELECT unnest($ids))"
            if files
            else "SELECT NULL::VARCHAR AS session_id, NULL::TIMESTAMPTZ AS ts WHERE false"
        )
        rows = con.execute(
            "WITH starts AS (SELECT session_id, min(ts) AS start FROM ("
            "SELECT session_id, ts FROM fresh WHERE type = 'session_start' AND session_id IN (SELECT unnest($ids)) "
            f"UNION ALL {stored}) GROUP BY session_id) "
            "SELECT f._row, epoch_us(f.ts), epoch_us(s.start) FROM fresh f JOIN starts s USING (session_id) "
            "WHERE f.type = 'session_end' AND f.ts < s.start ORDER BY f._row",
            {"ids": ids},
        ).fetchall()
        return {
            row: f"session_end at {_iso(end)} is before the session's start at {_iso(start)}"
            for row, end, start in rows
        }

    def _sealed_split(self, con, sealed: list[str]) -> tuple[dict[int, str], dict[str, int]]:
        """Of the fresh rows of sealed sessions: the refused ones (with reasons), and per session the number
        of late order updates taken (``order`` events of an order the session already has)."""
        files = self.event_files(con, sealed)
        self._verify(files)
        known = (
            f"SELECT DISTINCT session_id, order_id FROM {parquet_source(files)} "
            "WHERE type = 'order' AND session_id IN (SELECT unnest($ids))"
            if files
            else "SELECT NULL::VARCHAR AS session_id, NULL::VARCHAR AS order_id WHERE false"
        )
        con.execute(f"CREATE OR REPLACE TEMP TABLE _known_orders AS {known}", {"ids": sealed} if files else {})
        rows = con.execute(
            "SELECT f._row, f.session_id, f.id, f.type, k.order_id IS NOT NULL AS late FROM fresh f "
            "LEFT JOIN _known_orders k ON f.type = 'order' AND k.session_id = f.session_id AND k.order_id = f.order_id "
            "WHERE f.session_id IN (SELECT unnest($ids)) ORDER BY f._row",
            {"ids": sealed},
        ).fetchall()
        refused = {
            row: f"session {sid} is sealed: event {eid} ({etype}) refused"
            + (" — not an update of one of its orders" if etype == "order" else "")
            for row, sid, eid, etype, late in rows
            if not late
        }
        late = Counter(sid for _, sid, _, _, is_late in rows if is_late)
        return refused, dict(sorted(late.items()))

    def _not_yet_quarantined(self, con, source_sql: str) -> int:
        """Temp table ``_new_q``: the rows of ``source_sql`` not already in quarantine (same file, line and
        raw text) nor repeated, in order (``_i``); returns their number."""
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _new_q_all AS SELECT *, row_number() OVER () AS _i FROM ({source_sql})"
        )
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _new_q AS SELECT file, line, reason, raw, _i FROM _new_q_all q "
            "WHERE NOT EXISTS (SELECT 1 FROM quarantine o "
            "WHERE o.file IS NOT DISTINCT FROM q.file AND o.line IS NOT DISTINCT FROM q.line "
            "AND o.raw IS NOT DISTINCT FROM q.raw) "
            "QUALIFY row_number() OVER (PARTITION BY file, line, raw ORDER BY _i) = 1"
        )
        return con.execute("SELECT count(*) FROM _new_q").fetchall()[0][0]

    def put_source(
        self,
        source: str,
        summaries: pa.Table,
        *,
        trends: pa.Table | None = None,
        products: pa.Table | None = None,
        gaps: pa.Table | None = None,
    ) -> provenance.SourceReport:
        """Store what one source ("api", "export", "recorder") knows of its sessions: one LIVE, one session.

        Each summary row joins a session by :mod:`liveboard.provenance`'s matching rule, and the session's
        catalog row becomes its events summary overlaid with every source's figures by precedence.
        ``trends`` / ``products`` / ``gaps`` replace this source's rows of the sessions they name. The
        same call twice commits nothing the second time; what changed is in the report.
        """
        return self._put_source(source, summaries, trends, products, gaps)

    def _put_source(self, source, summaries, trends, products, gaps, *, exact_only: bool = False):
        with self._writer(f"put {source}") as c:
            snap, v = c.snap, c.version
            stored = self.source_tables(snap)
            mine = pc.equal(stored.summaries["source"], source)
            known = pc.filter(stored.summaries["source_key"], mine).to_pylist()
            try:
                batch = provenance.read_batch(
                    source, summaries, trends, products, gaps, known_keys=known, exact_only=exact_only
                )
            except provenance.SourceError as e:
                raise StoreError(str(e)) from None
            con, _ = self.connect(snap, private=True)
            catalog = con.sql("SELECT session_id, account_id, start FROM sessions").to_arrow_table()
            plan = provenance.plan_put(batch, stored, catalog, v, exact_only=exact_only)
            if not plan.dirty:
                return plan.report
            if plan.affected:
                c.replace("sessions", self._rebuilt_catalog(con, plan.tables, plan.affected))
            for name in plan.dirty:
                c.replace(name, plan.tables.arrow(name))
            plan.report.version = c.commit()
            plan.report.committed = True
            return plan.report

    def put_summaries(self, summaries: pa.Table) -> int:
        """Add sessions known by their figures, keyed by ``session_id`` (the older API; an "export" source).

        ``summaries`` has ``session_id`` and ``start`` and any identity or metric columns of the session
        table; a figure the source does not give stays missing (null), never 0. A ``session_id`` of a
        stored session links to it (for a session with events, its figures merge with the events' by
        precedence); there is no matching by time. Returns the store version.
        """
        from liveboard.workbench import EXTRA_COLUMNS, SESSION_COLUMNS

        allowed = set(SESSION_COLUMNS) | set(EXTRA_COLUMNS) | {"currency"}
        unknown = sorted(set(summaries.column_names) - allowed)
        if unknown:
            raise StoreError(f"summary columns not in the session table: {', '.join(unknown)}")
        for col in ("session_id", "start"):
            if col not in summaries.column_names or summaries[col].null_count:
                raise StoreError(f"every summary row needs '{col}'")
        state = {"sealed", "source", "stale", "event_count", "sources", "figure_sources"}
        table = summaries.drop_columns([c for c in summaries.column_names if c in state])
        table = table.rename_columns(["source_key" if c == "session_id" else c for c in table.column_names])
        return self._put_source("export", table, None, None, None, exact_only=True).version

    def summarize(self, session_ids: list[str] | None = None) -> int:
        """Recompute session summaries (after live appends made with ``summarize=False``)."""
        with self._writer("summarize") as c:
            con, _ = self.connect(c.snap, private=True)
            ids = session_ids or [
                r[0] for r in con.execute("SELECT session_id FROM sessions WHERE source = 'events'").fetchall()
            ]
            if not ids:
                return c.snap.version
            files = con.sql("SELECT * FROM event_files").to_arrow_table().cast(FILES_SCHEMA)
            c.replace("sessions", self._sessions_catalog(con, c, files, sorted(ids), True))
            return c.commit()

    def _rebuilt_catalog(self, con, source_tables: provenance.SourceTables, ids: set[str]) -> pa.Table:
        """The session table with the rows of ``ids`` recomputed from their events and source rows."""
        ids_list = sorted(ids)
        self.define_events(con, ids_list)
        events = None
        if con.execute("SELECT count(*) FROM (SELECT 1 FROM ev LIMIT 1)").fetchall()[0][0]:
            events = con.sql(
                "SELECT *, \"end\" IS NOT NULL AS sealed, 'events' AS source, false AS stale "
                f"FROM ({queries.session_summaries()})"
            ).to_arrow_table()
        con.register("new_rows", provenance.catalog_rows(events, source_tables.summaries, ids_list))
        return con.sql(
            "SELECT * FROM sessions WHERE session_id NOT IN (SELECT unnest($ids)) "
            "UNION ALL BY NAME SELECT * FROM new_rows ORDER BY start, session_id",
            params={"ids": ids_list},
        ).to_arrow_table()

    def compact(self, session_ids: list[str]) -> int:
        """Rewrite the many small files of live-written sessions as one file per partition (Delta's
        ``optimize``), then ``vacuum``.

        Only files that hold nothing but one of these sessions are rewritten. The old files stay readable by
        snapshots taken before, until a vacuum at least :data:`VACUUM_RETAIN_HOURS` later deletes them.
        """
        with self._writer("compact") as c:
            con, _ = self.connect(c.snap, private=True)
            con.execute("SET TimeZone = 'UTC'")
            old = [
                r[0]
                for r in con.execute(
                    "SELECT path FROM event_files WHERE min_session = max_session "
                    "AND min_session IN (SELECT unnest($ids)) ORDER BY path",
                    {"ids": list(session_ids)},
                ).fetchall()
            ]
            if len(old) < 2:
                return c.snap.version
            con.register("_old_files", tables.dataset([self.root / p for p in old], EVENT_SCHEMA))
            con.execute("CREATE OR REPLACE TEMP VIEW fresh AS SELECT * FROM _old_files")
            self._write_event_files(con, c, new=False)
            c.remove("events", [p.removeprefix("events/") for p in old])
            v = c.commit()
        self.vacuum()
        return v

    def vacuum(self, retention_hours: float = VACUUM_RETAIN_HOURS) -> dict[str, int]:
        """Delete data files no version of the last ``retention_hours`` needs; per table, how many.

        The head's and the catalog's history is kept as long (time travel within that window)."""
        with self._writer("vacuum") as c:
            out = {}
            for name in ALL_TABLES:
                try:
                    out[name] = len(tables.vacuum(self.root / name, retention_hours))
                except tables.TableDamage as exc:
                    raise StoreError(f"{exc}; {self.damage_hint()}") from None
            del c
            return out

    def _write_event_files(
        self, con: duckdb.DuckDBPyConnection, c: _Commit, *, new: bool = True, sort: bool = True
    ) -> pa.Table:
        """The rows of ``fresh`` as one Parquet file per (account, date) partition, in one streamed pass
        (the date is the session's start date, UTC); returns their ``event_files`` rows. ``new`` events get
        this commit's ``seq`` range (read order within a commit, commits in order); rewritten ones keep
        theirs. ``sort`` orders each file by session, time and ``seq`` (readers never rely on it: a bulk
        import skips it and writes in the order it reads)."""
        where = _places(con)
        keys = sorted(set(where.values()))
        number = {k: n for n, k in enumerate(keys)}
        con.register(
            "_parts",
            pa.table(
                {
                    "session_id": pa.array(list(where), pa.string()),
                    "_part": pa.array([number[k] for k in where.values()], pa.int64()),
                }
            ),
        )
        seq_shift = c.seq_shift if new else 0
        cols = ", ".join(f'f."{n}"' for n in EVENT_SCHEMA.names if n != "seq")
        order = " ORDER BY p._part, f.session_id, f.ts, f.seq" if sort else ""
        reader = con.sql(
            f"SELECT {cols}, f.seq + {seq_shift} AS seq, p._part FROM fresh f JOIN _parts p USING (session_id){order}"
        ).to_arrow_reader(WRITE_BATCH)
        writers: dict[int, tables.FileWriter] = {}
        try:
            # Encoding (zstd) runs in a thread while DuckDB produces the next batches; one thread keeps each
            # file's batches in order, and at most two batches wait.
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="liveboard-events-writer") as pool:
                waiting: deque = deque()
                for batch in reader:
                    part = batch.column("_part")
                    events = batch.select(EVENT_SCHEMA.names)
                    values = pc.unique(part).to_pylist()
                    for n in values:
                        if n not in writers:
                            account, day = keys[n]
                            writers[n] = c.open(
                                "events",
                                partition={"account": account, "date": day},
                                n=n,
                                schema=EVENT_SCHEMA,
                                dictionary=DICTIONARY_COLUMNS,
                            )
                        piece = events if len(values) == 1 else events.filter(pc.equal(part, n))
                        waiting.append(pool.submit(writers[n].write, piece))
                        while len(waiting) > 2:
                            waiting.popleft().result()
                for job in waiting:
                    job.result()
            done = [writers[n].close() for n in sorted(writers)]
        except BaseException:
            for w in writers.values():
                w.abort()
            raise
        for f in done:
            c.added("events", f)
        return event_file_rows(done)

    def _staged_files(self, con, c: _Commit, staged: staging.EventStager) -> pa.Table | None:
        """The staged files taken as this commit's event files, when they are what the rewrite would write:
        the commit has the version they were named and shifted for, nothing was set aside, and every
        session's rows are in its partition. Else None (the rows of ``fresh`` are rewritten)."""
        if (c.version, c.seq_shift) != (staged.version, staged.shift) or not staged.files:
            return None
        if con.execute("SELECT count(*) FROM dropped").fetchall()[0][0] or not staged.fits(_places(con)):
            return None
        for f in staged.files:
            target = self.root / "events" / f.path
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged.folder / f.path, target)
            c.added("events", f)
        return event_file_rows(staged.files)

    def _sessions_catalog(
        self, con, c: _Commit, files: pa.Table, changed: list[str], summarize: bool, *, native: bool = False
    ):
        """The session table with ``changed`` sessions' rows replaced (None: it stays as it is).

        With ``summarize`` (or for a session that just ended) a row is recomputed from all its events;
        otherwise (live appends) a known session keeps its last summary, marked ``stale``, so that the
        cost of a commit does not grow with the session.
        """
        recompute = list(changed)
        keep_old: list[str] = []
        if not summarize:
            ended = {
                r[0] for r in con.execute("SELECT DISTINCT session_id FROM fresh WHERE type = 'session_end'").fetchall()
            }
            known = {
                r[0]
                for r in con.execute(
                    "SELECT session_id FROM sessions WHERE source = 'events' AND session_id IN (SELECT unnest(?))",
                    [changed],
                ).fetchall()
            }  # a session known only by a summary gets its first events summary now
            keep_old = sorted((known & set(changed)) - ended)
            recompute = sorted(set(changed) - set(keep_old))
            if not recompute:
                fresh_stale = con.execute(
                    "SELECT count(*) FROM sessions WHERE session_id IN (SELECT unnest(?)) AND NOT stale", [keep_old]
                ).fetchall()[0][0]
                if not fresh_stale:
                    return None
        c2 = con.cursor()  # the same database (one memory limit), its own registered and temporary names
        c2.register("event_files", files)
        self.define_events(c2, recompute, native=native)
        c2.register("fresh_summary", c2.sql(queries.session_summaries()).to_arrow_table())
        c2.execute(
            "CREATE TEMP TABLE fresh2 AS SELECT *, \"end\" IS NOT NULL AS sealed, 'events' AS source, "
            f"{'false' if summarize else 'NOT sealed'} AS stale FROM fresh_summary"
        )
        merged, gone = self._with_sources(con, c, c2.sql("SELECT * FROM fresh2").to_arrow_table())
        con.register("fresh3", merged)
        return con.sql(
            "SELECT * REPLACE (stale OR session_id IN (SELECT unnest($keep)) AS stale) FROM sessions "
            "WHERE session_id NOT IN (SELECT session_id FROM fresh3) AND session_id NOT IN (SELECT unnest($gone)) "
            "UNION ALL BY NAME SELECT * FROM fresh3 ORDER BY start, session_id",
            params={"keep": keep_old, "gone": gone},
        ).to_arrow_table()

    def _with_sources(self, con, c: _Commit, fresh: pa.Table) -> tuple[pa.Table, list[str]]:
        """Fresh events summaries overlaid with their sessions' source rows (one LIVE, one session).

        A session known only by source rows whose LIVE just got events under another id (a recorder
        started after the API or an export named it) is merged into the events session: its rows are
        re-linked (this commit's ``source_summaries``) and its id is returned, to drop.
        """
        summaries = provenance.conform(
            con.sql("SELECT * FROM source_summaries").to_arrow_table(), provenance.table_schemas()["source_summaries"]
        )
        if fresh.num_rows == 0:
            return provenance.catalog_rows(None, summaries.slice(0, 0), []), []
        gone = {}
        if summaries.num_rows:
            arrived = fresh.select(["session_id", "account_id", "start"])
            has_events = set(arrived["session_id"].to_pylist())
            has_events |= {
                r[0] for r in con.execute("SELECT session_id FROM sessions WHERE source = 'events'").fetchall()
            }
            summaries, gone = provenance.relink(summaries, arrived, has_events)
            if gone:
                c.replace("source_summaries", summaries)
        rows = provenance.catalog_rows(fresh, summaries, fresh["session_id"].to_pylist())
        return rows, sorted(gone)


#: What makes two events with the same ``(session_id, id)`` the same event (``seq`` is only read order).
_CONTENT = tuple(n for n in EVENT_SCHEMA.names if n not in ("session_id", "id", "seq"))


def _places(con: duckdb.DuckDBPyConnection) -> dict[str, staging.Partition]:
    """Each session of ``fresh``, with the events partition its rows go to: the account of its first
    session_start (else the stored one) and the UTC date of its stored start (else its first session_start,
    else its first event)."""
    con.execute("SET TimeZone = 'UTC'")
    rows = con.execute(
        """
        WITH starts AS (
            SELECT session_id, min(ts) FILTER (WHERE type = 'session_start') AS start,
                   arg_min(account_id, ts) FILTER (WHERE type = 'session_start') AS account_id, min(ts) AS first
            FROM fresh GROUP BY session_id
        ), known AS (SELECT session_id, account_id, start FROM sessions)
        SELECT s.session_id,
               coalesce(s.account_id, k.account_id) AS account_id,
               strftime(coalesce(k.start, s.start, s.first) AT TIME ZONE 'UTC', '%Y-%m-%d') AS day
        FROM starts s LEFT JOIN known k USING (session_id)
        """
    ).fetchall()
    return {sid: (_safe_part(account), day) for sid, account, day in rows}


def event_file_rows(done: list[tables.DataFile]) -> pa.Table:
    """``event_files`` rows (:data:`FILES_SCHEMA`) of event files about to be committed."""
    rows = []
    for f in done:
        stats = json.loads(f.stats)
        lo, hi = stats.get("minValues", {}), stats.get("maxValues", {})
        rows.append(
            {
                "path": f"events/{f.path}",
                "min_session": lo.get("session_id"),
                "max_session": hi.get("session_id"),
                "rows": f.rows,
                "min_ts": _parse_ts(lo.get("ts")),
                "max_ts": _parse_ts(hi.get("ts")),
            }
        )
    return pa.Table.from_pylist(rows, schema=FILES_SCHEMA)


def _diff_sql(a: str, b: str) -> str:
    """The names of the content columns in which rows ``a`` and ``b`` differ, as a list."""
    cases = ", ".join(f'CASE WHEN {a}."{c}" IS DISTINCT FROM {b}."{c}" THEN \'{c}\' END' for c in _CONTENT)
    return f"list_filter([{cases}], lambda x: x IS NOT NULL) AS diff"


def _fields(diff: list[str]) -> str:
    names = ", ".join(f"'{d}'" for d in diff)
    return f"field {names} differs" if len(diff) == 1 else f"fields {names} differ"


def _content(row: dict) -> tuple:
    return tuple(row[c] for c in _CONTENT)


def _place_key(loc: dict, row: dict) -> tuple:
    return (loc["file"] or "", loc["line"] or 0, row["seq"])


def _place(loc: dict, row: dict) -> str:
    return f"{loc['file']}:{loc['line']}" if loc["file"] else f"the event read as number {row['seq']}"


def _iso(us: int) -> str:
    return dt.datetime.fromtimestamp(us / 1_000_000, dt.UTC).isoformat().replace("+00:00", "Z")


def _locate(origin, seqs: list[int]) -> list[dict]:
    """File, line and raw text of batch events by ``seq`` (all unknown without an ``origin``)."""
    if origin is None or not seqs:
        return [{"file": None, "line": None, "raw": None} for _ in seqs]
    return origin(list(seqs)).select(["file", "line", "raw"]).to_pylist()


def _rejected_rows(con, rejected: dict[int, str], located: dict[int, dict], origin) -> pa.Table:
    """Quarantine rows of the batch rows the store rejected: file, line and raw text where the reader can
    tell them, else ``(import)`` and the event as event-log JSON (never an empty raw)."""
    if not rejected:
        return BAD_ROW_SCHEMA.empty_table()
    rows = sorted(rejected)
    need = [r for r in rows if r not in located]
    if need:
        seqs = [
            s
            for (s,) in con.execute(
                "SELECT seq FROM batch_raw WHERE _row IN (SELECT unnest(?)) ORDER BY _row", [need]
            ).fetchall()
        ]
        for r, loc in zip(need, _locate(origin, seqs), strict=True):
            located[r] = loc
    no_raw = [r for r in rows if located[r]["raw"] is None]
    if no_raw:
        sub = con.sql(
            "SELECT * EXCLUDE (_row) FROM batch_raw WHERE _row IN (SELECT unnest($rows)) ORDER BY _row",
            params={"rows": no_raw},
        ).to_arrow_table()
        for r, text in zip(no_raw, to_json_lines(sub.cast(EVENT_SCHEMA), sort=False).to_pylist(), strict=True):
            located[r]["raw"] = text
    return pa.table(
        {
            "file": pa.array([located[r]["file"] or "(import)" for r in rows], pa.string()),
            "line": pa.array([located[r]["line"] for r in rows], pa.int64()),
            "reason": pa.array([rejected[r] for r in rows], pa.string()),
            "raw": pa.array([located[r]["raw"] for r in rows], pa.large_string()),
        },
        schema=BAD_ROW_SCHEMA,
    )


def _drop(con: duckdb.DuckDBPyConnection, rows: list[int]) -> None:
    """Set batch rows aside: they leave the ``fresh`` view."""
    if rows:
        con.execute("INSERT INTO dropped SELECT unnest(?)", [rows])


def _stage(table: pa.Table, path: Path) -> Path:
    """A part of a bulk import set down until the commit, in the Parquet that is quickest to write (lz4, no
    dictionaries, no statistics), for DuckDB's own reader."""
    import pyarrow.parquet as pq

    pq.write_table(table, path, compression="lz4", use_dictionary=False, write_statistics=False)
    return path


def _clear_stale_staging(folder: Path) -> None:
    """Remove what killed imports staged (``<pid>-<time>`` of a process that is gone); a running import's
    folder, or one whose process id is taken again, stays."""
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        pid = name.split("-", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            _rmtree(folder / name)
        except OSError:  # alive, another user's
            pass


def _bounded(con: duckdb.DuckDBPyConnection, spill: Path) -> None:
    """A bulk import's connection: at most :data:`IMPORT_MEMORY`, spilling to ``spill``, in no set order
    (every query that needs an order says so)."""
    con.execute(f"SET memory_limit = {_lit(IMPORT_MEMORY)}")
    con.execute(f"SET temp_directory = {_lit(spill)}")
    con.execute("SET preserve_insertion_order = false")


def _rmtree(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)


def _parse_ts(text: str | None):
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def _register(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table, schema: pa.Schema) -> None:
    con.register(name, table if table.num_columns else schema.empty_table())


def _materialize(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table, schema: pa.Schema) -> None:
    """A table of the in-memory database (visible to every cursor, unlike a registered Arrow table)."""
    if not table.num_rows and not table.num_columns:
        con.execute(f"CREATE TABLE {name} AS {provenance.empty_select(schema)}")
        return
    con.register("_incoming", table)
    try:
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM _incoming")
    finally:
        con.unregister("_incoming")


def _empty_select(schema: pa.Schema) -> str:
    """A typed, empty SELECT: a view built from it is visible to every cursor (registered tables are not)."""
    types = {pa.string(): "VARCHAR", pa.large_string(): "VARCHAR", pa.int64(): "BIGINT"}
    cols = ", ".join(f"NULL::{types.get(f.type, 'TIMESTAMPTZ')} AS {f.name}" for f in schema)
    return f"SELECT {cols} WHERE false"


def parquet_source(paths: list[Path] | Path) -> str:
    """SQL reading Parquet files as they are: partition folders are layout, not extra columns."""
    items = paths if isinstance(paths, list) else [paths]
    return "read_parquet([" + ", ".join(_lit(p) for p in items) + "], hive_partitioning = false)"


def _lit(value: str | os.PathLike) -> str:
    return "'" + str(value).replace("'", "''") + "'"
