"""The layout of a store: its tables, their schemas, the folders beside them, and :class:`Snapshot` (one
committed version of every table)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from liveboard import provenance, staging, tables
from liveboard.eventlog import BAD_ROW_SCHEMA
from liveboard.events import EVENT_SCHEMA
from liveboard.store.errors import OldLayoutError, StoreError

#: ``vacuum`` keeps every file a version of this many recent hours needs (a page open that long still reads).
VACUUM_RETAIN_HOURS = 1
PARTITIONS = ["account", "date"]
HEAD = "commits"
STAGING = "_staging"  # bulk imports set their parts down here, outside the writer's lock
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
#: Where ``liveboard store repair`` keeps what it takes out of the store (``<store>/_damaged/<UTC time>/``).
DAMAGED = "_damaged"
#: What ``repair`` leaves next to a file it took out of a table but could not move (it was missing).
MISSING_NOTE = ".missing"


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


def _partitions(name: str) -> list[str] | None:
    return PARTITIONS if name == "events" else None


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


def _open_root(root: Path) -> Path:
    """A store's folder for ``liveboard store info | check | repair``, which read it without :class:`Store`."""
    root = Path(root)
    if is_old_layout(root):
        raise OldLayoutError(
            f"{root}: this store is in the layout of an older liveboard; " + OLD_LAYOUT_HINT.format(root=root)
        )
    if not root.is_dir() or not any((root / n).exists() for n in ALL_TABLES):
        raise StoreError(f"{root}: no liveboard store here")
    return root
