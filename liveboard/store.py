"""The embedded store: Parquet files under one folder, a commit log, and DuckDB to read them.

Layout::

    events/account=<id>/date=<YYYY-MM-DD>/v<version>-<n>.parquet   event rows (EVENT_SCHEMA)
    catalog/sessions-v<version>.parquet                               one row per session, with its summary
    catalog/files-v<version>.parquet                                  which event file holds which session
    quarantine/v<version>.parquet                                     bad rows kept aside (file, line, reason, raw)
    _log/<version>.json                                               a commit: the catalog files of that version

A commit becomes visible in one ``rename`` of its ``_log`` entry; readers only read files named by the
newest entry, so they see the store before or after an import, never half of it. Files of a version
that never got its ``_log`` entry (a killed import) are removed by the next writer. Writers take an
exclusive lock; readers take none.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from liveboard import queries
from liveboard.eventlog import BAD_ROW_SCHEMA, atomic_write_bytes
from liveboard.events import EVENT_SCHEMA

DEFAULT_STORE = Path("data/store")
KEEP_VERSIONS = 20
_VERSION_RE = re.compile(r"v(\d+)")

FILES_SCHEMA = pa.schema(
    [
        pa.field("path", pa.string()),
        pa.field("session_id", pa.string()),
        pa.field("rows", pa.int64()),
        pa.field("min_ts", EVENT_SCHEMA.field("ts").type),
        pa.field("max_ts", EVENT_SCHEMA.field("ts").type),
    ]
)


class StoreError(Exception):
    """A user-facing problem with the store (locked, unreadable, refused write)."""


def default_store_path() -> Path:
    return Path(os.environ.get("LIVEBOARD_STORE") or DEFAULT_STORE)


@dataclass
class ImportReport:
    """What an import did; ``refused`` are new events for sealed sessions (also quarantined)."""

    imported: int = 0
    duplicates: int = 0
    bad: int = 0
    refused: int = 0
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
        return self.bad == 0 and self.refused == 0


def _safe_part(value: str | None) -> str:
    """A partition folder value: readable, and never a path separator or a dot-dot."""
    if not value:
        return "_unknown"
    return re.sub(r"[^A-Za-z0-9_.@-]", "_", value)[:80].lstrip(".") or "_unknown"


@dataclass(frozen=True)
class Snapshot:
    """One committed version of the store."""

    root: Path
    version: int
    sessions_path: Path | None
    files_path: Path | None
    quarantine: tuple[Path, ...]


class Store:
    def __init__(self, root: str | os.PathLike | None = None, *, create: bool = False):
        self.root = Path(root) if root is not None else default_store_path()
        if create:
            for sub in ("events", "catalog", "quarantine", "_log"):
                (self.root / sub).mkdir(parents=True, exist_ok=True)
        elif not (self.root / "_log").is_dir():
            raise StoreError(f"{self.root}: no liveboard store here (import an event log, or run `liveboard simulate`)")

    # ------------------------------------------------------------ reading

    def snapshot(self) -> Snapshot:
        """The newest committed version (version 0 is the empty store)."""
        log = self.root / "_log"
        versions = sorted(int(p.stem) for p in log.glob("*.json") if p.stem.isdigit())
        for v in reversed(versions):
            try:
                entry = json.loads((log / f"{v:012d}.json").read_text())
            except (OSError, ValueError):
                continue  # pruned or torn by a writer between listing and reading: take the one before
            return Snapshot(
                self.root,
                v,
                self.root / entry["sessions"] if entry.get("sessions") else None,
                self.root / entry["files"] if entry.get("files") else None,
                tuple(self.root / q for q in entry.get("quarantine", [])),
            )
        return Snapshot(self.root, 0, None, None, ())

    def connect(self, snap: Snapshot | None = None) -> tuple[duckdb.DuckDBPyConnection, Snapshot]:
        """A DuckDB connection with views ``sessions``, ``event_files`` and ``quarantine`` of one snapshot."""
        snap = snap or self.snapshot()
        con = duckdb.connect()
        if snap.sessions_path:
            con.execute(f"CREATE VIEW sessions AS SELECT * FROM {parquet_source(snap.sessions_path)}")
        else:
            con.execute(
                "CREATE VIEW sessions AS SELECT NULL::VARCHAR AS session_id, NULL::VARCHAR AS account_id, "
                "NULL::TIMESTAMPTZ AS start, NULL::BOOLEAN AS sealed WHERE false"
            )
        if snap.files_path:
            con.execute(f"CREATE VIEW event_files AS SELECT * FROM {parquet_source(snap.files_path)}")
        else:
            con.execute(f"CREATE VIEW event_files AS {_empty_select(FILES_SCHEMA)}")
        if snap.quarantine:
            con.execute(f"CREATE VIEW quarantine AS SELECT * FROM {parquet_source(list(snap.quarantine))}")
        else:
            con.execute(f"CREATE VIEW quarantine AS {_empty_select(BAD_ROW_SCHEMA)}")
        return con, snap

    def event_files(
        self, con: duckdb.DuckDBPyConnection, session_ids: list[str] | None, *, since: object = None
    ) -> list[Path]:
        where, params = ["true"], {}
        if session_ids is not None:
            where.append("session_id IN (SELECT unnest($ids))")
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
    ) -> None:
        """Create ``ev``, the events of the given sessions (all when None): a view, or a temp table.

        ``since`` keeps only files holding events at or after that instant (whole files, not rows).
        """
        files = self.event_files(con, session_ids, since=since)
        con.execute("DROP VIEW IF EXISTS ev")
        con.execute("DROP TABLE IF EXISTS ev")
        kind = "TEMP TABLE" if materialize else "VIEW"
        if not files:
            con.register("_empty_ev", EVENT_SCHEMA.empty_table())
            con.execute(f"CREATE {kind} ev AS SELECT * FROM _empty_ev")
            return
        where = ""
        if session_ids is not None:
            where = f"WHERE session_id IN ({', '.join(_lit(s) for s in session_ids)})"
        con.execute(f"CREATE {kind} ev AS SELECT * FROM {parquet_source(files)} {where}")

    def events(self, session_ids: list[str] | None = None) -> pa.Table:
        con, _ = self.connect()
        self.define_events(con, session_ids)
        return con.sql("SELECT * FROM ev ORDER BY session_id, ts, seq").to_arrow_table().cast(EVENT_SCHEMA)

    # ------------------------------------------------------------ writing

    @contextmanager
    def _writer(self, timeout: float = 30.0) -> Iterator[Snapshot]:
        lock_path = self.root / "_lock"
        with open(lock_path, "a+") as fh:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise StoreError(f"{self.root}: another import is writing to this store") from None
                    time.sleep(0.05)
            try:
                snap = self.snapshot()
                self._remove_uncommitted(snap.version)
                yield snap
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    def _remove_uncommitted(self, version: int) -> None:
        """Delete files of versions after the last commit: leftovers of an import that was killed."""
        for sub in ("events", "catalog", "quarantine"):
            for p in (self.root / sub).rglob("*"):
                if p.is_file():
                    m = _VERSION_RE.search(p.name)
                    if p.name.endswith(".tmp") or (m and int(m.group(1)) > version):
                        p.unlink(missing_ok=True)

    def append(
        self, events: pa.Table, bad: pa.Table | None = None, *, summarize: bool = True, recent_only: bool = False
    ) -> ImportReport:
        """Add events (and bad rows to keep aside) in one atomic commit.

        Events whose ``(session_id, id)`` is stored or earlier in the batch are duplicates (no-ops); new
        events for a sealed session are refused and quarantined. ``summarize=False`` skips recomputing
        session summaries (the live writer commits every second and summarises at the end).
        ``recent_only=True`` checks for stored duplicates only in files that reach the batch's time range
        (so a commit costs the batch, not the session): for a writer that skipped what was stored before it
        resumed, where a repeated event can only be a recent one.
        """
        report = ImportReport()
        bad = bad if bad is not None else BAD_ROW_SCHEMA.empty_table()
        with self._writer() as snap:
            v = snap.version + 1
            con, _ = self.connect(snap)
            con.register("batch_raw", events)
            # de-duplicate within the batch (the first occurrence wins); the sort is paid only if needed
            repeated = con.execute(
                "SELECT count(*) FROM (SELECT 1 FROM batch_raw GROUP BY session_id, id HAVING count(*) > 1)"
            ).fetchone()[0]
            if repeated:
                con.execute(
                    "CREATE TEMP TABLE batch AS SELECT * FROM batch_raw "
                    "QUALIFY row_number() OVER (PARTITION BY session_id, id ORDER BY seq) = 1"
                )
            else:
                con.execute("CREATE TEMP VIEW batch AS SELECT * FROM batch_raw")
            touched = [r[0] for r in con.execute("SELECT DISTINCT session_id FROM batch ORDER BY 1").fetchall()]
            if self.event_files(con, touched):
                self.define_events(con, touched, since=_min_ts(events) if recent_only else None)
                con.execute(
                    "CREATE TEMP TABLE fresh AS SELECT b.* FROM batch b "
                    "ANTI JOIN (SELECT session_id, id FROM ev) s ON b.session_id = s.session_id AND b.id = s.id"
                )
            else:
                con.execute("CREATE TEMP TABLE fresh AS SELECT * FROM batch")
            report.duplicates = events.num_rows - con.execute("SELECT count(*) FROM fresh").fetchone()[0]
            sealed = {
                r[0]
                for r in con.execute(
                    "SELECT session_id FROM sessions WHERE sealed AND session_id IN (SELECT session_id FROM batch)"
                ).fetchall()
            }
            refused = pa.table({})
            if sealed:
                ids = list(sealed)
                refused = con.sql(
                    "SELECT session_id, id, type FROM fresh WHERE session_id IN (SELECT unnest($ids))",
                    params={"ids": ids},
                ).to_arrow_table()
                con.execute("DELETE FROM fresh WHERE session_id IN (SELECT unnest(?))", [ids])
                report.refused = refused.num_rows
                for sid in sorted(sealed & set(refused["session_id"].to_pylist())):
                    n = pc.sum(pc.equal(refused["session_id"], sid)).as_py()
                    report.problems.append(
                        f"session {sid} is sealed (it has ended): refused {n} new event(s); "
                        "past sessions cannot be edited"
                    )
            if report.refused:
                bad = pa.concat_tables([bad, _refused_rows(refused)])
            report.bad = bad.num_rows - report.refused
            fresh = (
                con.sql(f"SELECT * REPLACE (seq + {v << 32} AS seq) FROM fresh ORDER BY session_id, ts, seq")
                .to_arrow_table()
                .cast(EVENT_SCHEMA)
            )
            report.imported = fresh.num_rows
            if fresh.num_rows == 0 and bad.num_rows == 0:
                report.version = snap.version
                return report
            new_files = self._write_event_files(con, fresh, v)
            files = self._merged_files(con, snap, new_files)
            changed = sorted(set(fresh["session_id"].to_pylist()))
            report.sessions = changed
            sessions = self._sessions_catalog(con, snap, files, changed, summarize)
            entry: dict = {"version": v, "created": time.time()}
            sessions_rel = f"catalog/sessions-v{v:012d}.parquet"
            files_rel = f"catalog/files-v{v:012d}.parquet"
            _write_parquet(sessions, self.root / sessions_rel)
            _write_parquet(files, self.root / files_rel)
            entry["sessions"], entry["files"] = sessions_rel, files_rel
            quarantine = [str(q.relative_to(self.root)) for q in snap.quarantine]
            if bad.num_rows:
                q_rel = f"quarantine/v{v:012d}.parquet"
                _write_parquet(bad, self.root / q_rel)
                quarantine.append(q_rel)
            entry["quarantine"] = quarantine
            was_sealed = sealed
            now_sealed = set(pc.filter(sessions["session_id"], sessions["sealed"]).to_pylist())
            report.sealed = sorted((now_sealed - was_sealed) & set(changed))
            atomic_write_bytes(self.root / "_log" / f"{v:012d}.json", [json.dumps(entry).encode()])
            report.version = v
            self._prune(v)
        return report

    def summarize(self, session_ids: list[str] | None = None) -> int:
        """Recompute session summaries (after live appends made with ``summarize=False``)."""
        with self._writer() as snap:
            if not snap.sessions_path:
                return snap.version
            con, _ = self.connect(snap)
            files = pq.read_table(snap.files_path)
            ids = session_ids or [
                r[0] for r in con.execute("SELECT session_id FROM sessions WHERE source = 'events'").fetchall()
            ]
            return self._commit_catalog(snap, self._sessions_catalog(con, snap, files, sorted(ids), True))

    def put_summaries(self, summaries: pa.Table) -> int:
        """Add sessions known only by their figures (a Seller Center or API export): no events.

        ``summaries`` has ``session_id`` and ``start`` and any identity or metric columns of the session
        table; a figure the source does not give stays missing (null), never 0. Such sessions are sealed.
        A session that already has events is refused: its figures come from its events.
        """
        from liveboard.workbench import EXTRA_COLUMNS, SESSION_COLUMNS

        allowed = set(SESSION_COLUMNS) | set(EXTRA_COLUMNS) | {"currency"}
        unknown = sorted(set(summaries.column_names) - allowed)
        if unknown:
            raise StoreError(f"summary columns not in the session table: {', '.join(unknown)}")
        for col in ("session_id", "start"):
            if col not in summaries.column_names or summaries[col].null_count:
                raise StoreError(f"every summary row needs '{col}'")
        with self._writer() as snap:
            con, _ = self.connect(snap)
            con.register("incoming", summaries)
            clash = (
                [
                    r[0]
                    for r in con.execute(
                        "SELECT session_id FROM sessions WHERE source = 'events' "
                        "AND session_id IN (SELECT session_id FROM incoming)"
                    ).fetchall()
                ]
                if snap.sessions_path
                else []
            )
            if clash:
                raise StoreError(f"session(s) {', '.join(clash[:5])} have events; their figures come from them")
            con.register("_no_events", EVENT_SCHEMA.empty_table())
            con.execute("CREATE TEMP VIEW ev AS SELECT * FROM _no_events")
            template = con.sql(queries.session_summaries()).to_arrow_table()  # every column, typed
            con.register("template", template)
            incoming = (
                "SELECT * FROM template UNION ALL BY NAME "
                "SELECT *, true AS sealed, 'summary' AS source, false AS stale FROM incoming"
            )
            if snap.sessions_path:
                sql = (
                    f"SELECT * FROM {parquet_source(snap.sessions_path)} "
                    "WHERE session_id NOT IN (SELECT session_id FROM incoming) "
                    f"UNION ALL BY NAME {incoming} ORDER BY start, session_id"
                )
            else:
                sql = f"{incoming} ORDER BY start, session_id"
            return self._commit_catalog(snap, con.sql(sql).to_arrow_table())

    def compact(self, session_ids: list[str]) -> int:
        """Rewrite the many small files of live-written sessions as one file per partition.

        Only files that hold nothing but these sessions are rewritten. The old files stay readable by
        older snapshots and are deleted when the last commit naming them is pruned.
        """
        with self._writer() as snap:
            if snap.files_path is None:
                return snap.version
            v = snap.version + 1
            con, _ = self.connect(snap)
            con.execute("SET TimeZone = 'UTC'")
            old = [
                r[0]
                for r in con.execute(
                    "SELECT path FROM event_files GROUP BY path HAVING bool_and(session_id IN (SELECT unnest($ids)))",
                    {"ids": list(session_ids)},
                ).fetchall()
            ]
            if len(old) < 2:
                return snap.version
            events = (
                con.sql(f"SELECT * FROM {parquet_source([self.root / p for p in old])} ORDER BY session_id, ts, seq")
                .to_arrow_table()
                .cast(EVENT_SCHEMA)
            )
            new_files = self._write_event_files(con, events, v)
            kept = con.sql(
                "SELECT * FROM event_files WHERE path NOT IN (SELECT unnest($old))", params={"old": old}
            ).to_arrow_table()
            files = pa.concat_tables([kept.cast(FILES_SCHEMA), new_files])
            files_rel = f"catalog/files-v{v:012d}.parquet"
            _write_parquet(files, self.root / files_rel)
            return self._commit_catalog(snap, None, files_rel=files_rel, obsolete=old)

    def _commit_catalog(
        self, snap: Snapshot, sessions: pa.Table | None, *, files_rel: str | None = None, obsolete=()
    ) -> int:
        """Commit a new session table and/or file list; what is not given stays as it was."""
        v = snap.version + 1
        if sessions is not None:
            sessions_rel = f"catalog/sessions-v{v:012d}.parquet"
            _write_parquet(sessions, self.root / sessions_rel)
        else:
            sessions_rel = str(snap.sessions_path.relative_to(self.root)) if snap.sessions_path else None
        if files_rel is None and snap.files_path:
            files_rel = str(snap.files_path.relative_to(self.root))
        entry = {
            "version": v,
            "created": time.time(),
            "sessions": sessions_rel,
            "files": files_rel,
            "quarantine": [str(q.relative_to(self.root)) for q in snap.quarantine],
            "obsolete": list(obsolete),
        }
        atomic_write_bytes(self.root / "_log" / f"{v:012d}.json", [json.dumps(entry).encode()])
        self._prune(v)
        return v

    def _write_event_files(self, con: duckdb.DuckDBPyConnection, fresh: pa.Table, v: int) -> pa.Table:
        """One Parquet file per (account, date) partition; the date is the session's start date (UTC)."""
        con.register("fresh_sorted", fresh)
        parts = con.execute(
            """
            WITH starts AS (
                SELECT session_id, min(ts) FILTER (WHERE type = 'session_start') AS start,
                       arg_min(account_id, ts) FILTER (WHERE type = 'session_start') AS account_id, min(ts) AS first
                FROM fresh_sorted GROUP BY session_id
            ), known AS (SELECT session_id, account_id, start FROM sessions)
            SELECT s.session_id,
                   coalesce(s.account_id, k.account_id) AS account_id,
                   strftime(coalesce(k.start, s.start, s.first) AT TIME ZONE 'UTC', '%Y-%m-%d') AS day
            FROM starts s LEFT JOIN known k USING (session_id)
            """
        ).fetchall()
        by_part: dict[tuple[str, str], list[str]] = {}
        for sid, account, day in parts:
            by_part.setdefault((_safe_part(account), day), []).append(sid)
        rows = []
        for n, ((account, day), sids) in enumerate(sorted(by_part.items())):
            rel = f"events/account={account}/date={day}/v{v:012d}-{n:05d}.parquet"
            mask = pc.is_in(fresh["session_id"], pa.array(sids))
            part = fresh.filter(mask)
            _write_parquet(part, self.root / rel)
            con.register("part_tbl", part)
            rows += con.execute(
                "SELECT ? AS path, session_id, count(*) AS rows, min(ts) AS min_ts, max(ts) AS max_ts "
                "FROM part_tbl GROUP BY session_id",
                [rel],
            ).fetchall()
            con.unregister("part_tbl")
        con.unregister("fresh_sorted")
        return pa.Table.from_pylist([dict(zip(FILES_SCHEMA.names, r, strict=True)) for r in rows], schema=FILES_SCHEMA)

    def _merged_files(self, con, snap: Snapshot, new_files: pa.Table) -> pa.Table:
        if snap.files_path is None:
            return new_files
        return pa.concat_tables([pq.read_table(snap.files_path).cast(FILES_SCHEMA), new_files])

    def _sessions_catalog(self, con, snap: Snapshot, files: pa.Table, changed: list[str], summarize: bool):
        """The session table with ``changed`` sessions' rows replaced.

        With ``summarize`` (or for a session that just ended) a row is recomputed from all its events;
        otherwise (live appends) a known session keeps its last summary, marked ``stale``, so that the
        cost of a commit does not grow with the session.
        """
        c2 = duckdb.connect()
        c2.register("event_files", files)
        recompute = list(changed)
        keep_old: list[str] = []
        if not summarize and snap.sessions_path:
            con.execute(
                "CREATE OR REPLACE TEMP TABLE _ended AS SELECT DISTINCT session_id FROM fresh "
                "WHERE type = 'session_end'"
            )
            ended = {r[0] for r in con.execute("SELECT session_id FROM _ended").fetchall()}
            known = {
                r[0]
                for r in con.execute(
                    "SELECT session_id FROM sessions WHERE session_id IN (SELECT unnest(?))", [changed]
                ).fetchall()
            }
            keep_old = sorted((known & set(changed)) - ended)
            recompute = sorted(set(changed) - set(keep_old))
        self.define_events(c2, recompute)
        c2.register("fresh_summary", c2.sql(queries.session_summaries()).to_arrow_table())
        c2.execute(
            "CREATE TEMP TABLE fresh2 AS SELECT *, \"end\" IS NOT NULL AS sealed, 'events' AS source, "
            f"{'false' if summarize else 'NOT sealed'} AS stale FROM fresh_summary"
        )
        if not snap.sessions_path:
            return c2.sql("SELECT * FROM fresh2 ORDER BY start, session_id").to_arrow_table()
        old = parquet_source(snap.sessions_path)
        return c2.sql(
            f"SELECT * REPLACE (stale OR session_id IN (SELECT unnest($keep)) AS stale) FROM {old} "
            "WHERE session_id NOT IN (SELECT session_id FROM fresh2) "
            "UNION ALL BY NAME SELECT * FROM fresh2 ORDER BY start, session_id",
            params={"keep": keep_old},
        ).to_arrow_table()

    def _prune(self, v: int) -> None:
        """Drop catalog versions and log entries older than the last :data:`KEEP_VERSIONS`."""
        floor = v - KEEP_VERSIONS
        if floor <= 0:
            return
        for p in list((self.root / "_log").glob("*.json")) + list((self.root / "catalog").glob("*.parquet")):
            m = _VERSION_RE.search(p.name) if p.parent.name == "catalog" else None
            ver = int(m.group(1)) if m else (int(p.stem) if p.stem.isdigit() else None)
            if ver is not None and ver < floor:
                if p.parent.name == "_log":
                    # files a compaction replaced: no snapshot still kept names them once this entry goes
                    try:
                        for rel in json.loads(p.read_text()).get("obsolete", []):
                            (self.root / rel).unlink(missing_ok=True)
                    except (OSError, ValueError):
                        pass
                p.unlink(missing_ok=True)


def _min_ts(events: pa.Table):
    return pc.min(events["ts"]).as_py() if events.num_rows else None


def _refused_rows(refused: pa.Table) -> pa.Table:
    n = refused.num_rows
    return pa.table(
        {
            "file": pa.array(["(import)"] * n, pa.string()),
            "line": pa.nulls(n, pa.int64()),
            "reason": pa.array(
                [
                    f"session {s} is sealed: event {i} ({t}) refused"
                    for s, i, t in zip(
                        refused["session_id"].to_pylist(),
                        refused["id"].to_pylist(),
                        refused["type"].to_pylist(),
                        strict=True,
                    )
                ],
                pa.string(),
            ),
            "raw": pa.nulls(n, pa.large_string()),
        },
        schema=BAD_ROW_SCHEMA,
    )


def _write_parquet(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    pq.write_table(table, tmp, compression="zstd")
    with open(tmp, "rb+") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)


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
