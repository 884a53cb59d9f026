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

The package, by concern (each a class :class:`Store` is made of, or functions):

- ``layout`` — the tables, their schemas, :class:`Snapshot`; ``errors`` — :class:`StoreError` and kin;
  ``sql`` — Parquet sources, literals, tables put into a connection;
- ``commit`` — the writer's lock, recovery of a killed commit, one commit of all tables;
- ``reading`` — snapshots, verified tables, connections, the event files of sessions;
- ``append`` and ``append_checks`` — an append and what it rejects (duplicates, conflicts, sealed
  sessions, ``session_end`` before the start); ``bulk`` — a bulk import staged to disk;
- ``event_files`` — a commit's event files; ``catalog`` — the session table; ``sources`` — what the API,
  exports and the recorder say of sessions; ``maintenance`` — compact and vacuum;
- ``liveboard store info | check | repair`` (:mod:`liveboard.store_admin`): ``info``, ``check``, ``repair``
  (with ``rollback`` and ``aside``), over ``delta_log`` (a table's log read without delta-rs).
"""

from __future__ import annotations

import os
from pathlib import Path

from liveboard import tables
from liveboard.defaults import DEFAULT_STORE, default_store_path
from liveboard.errors import os_error_message
from liveboard.eventlog import BAD_ROW_SCHEMA
from liveboard.events import DICTIONARY_COLUMNS, EVENT_SCHEMA
from liveboard.store.append import Appending, ImportReport
from liveboard.store.append_checks import AppendChecks
from liveboard.store.bulk import IMPORT_MEMORY, BulkImport
from liveboard.store.catalog import SessionCatalog
from liveboard.store.commit import Committing, _Commit, writer_lock
from liveboard.store.errors import NoStoreError, OldLayoutError, StoreError
from liveboard.store.event_files import WRITE_BATCH, EventFileWriting, event_file_rows
from liveboard.store.layout import (
    ALL_TABLES,
    COMMITS_SCHEMA,
    DATA_TABLES,
    EVENTS_TABLE_SCHEMA,
    FILES_SCHEMA,
    HEAD,
    MAINTENANCE,
    OLD_LAYOUT_HINT,
    PARTITIONS,
    VACUUM_RETAIN_HOURS,
    Snapshot,
    _partitions,
    _safe_part,
    is_old_layout,
    table_schema,
)
from liveboard.store.maintenance import Maintenance
from liveboard.store.reading import StoreReading
from liveboard.store.sources import SourcePuts
from liveboard.store.sql import parquet_source

__all__ = [
    "ALL_TABLES",
    "BAD_ROW_SCHEMA",
    "COMMITS_SCHEMA",
    "DATA_TABLES",
    "DEFAULT_STORE",
    "DICTIONARY_COLUMNS",
    "EVENTS_TABLE_SCHEMA",
    "EVENT_SCHEMA",
    "FILES_SCHEMA",
    "HEAD",
    "IMPORT_MEMORY",
    "MAINTENANCE",
    "OLD_LAYOUT_HINT",
    "PARTITIONS",
    "VACUUM_RETAIN_HOURS",
    "WRITE_BATCH",
    "ImportReport",
    "NoStoreError",
    "OldLayoutError",
    "Snapshot",
    "Store",
    "StoreError",
    "_Commit",
    "_partitions",
    "_safe_part",
    "default_store_path",
    "event_file_rows",
    "is_old_layout",
    "parquet_source",
    "table_schema",
    "writer_lock",
]


class Store(
    BulkImport,
    Appending,
    SourcePuts,
    SessionCatalog,
    Maintenance,
    Committing,
    AppendChecks,
    EventFileWriting,
    StoreReading,
):
    """A store at ``root`` (default: ``$LIVEBOARD_STORE`` or ``data/store``); ``create`` makes an empty one
    where there is none. Each concern of it is a class of its own module (see the package's docstring), built
    on the concerns it uses (all on :class:`StoreReading`; the writers on :class:`Committing`); they are
    listed here users first."""

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
