"""FROZEN copy of liveboard/store.py before the Delta Lake layout (git 9973089): builds stores in the old
layout for tests/test_store_upgrade.py. Do not modernise it — it must write what the old liveboard wrote;
only these first lines are new.

The embedded store: Parquet files under one folder, a commit log, and DuckDB to read them.

Layout::

    events/account=<id>/date=<YYYY-MM-DD>/v<version>-<n>.parquet   event rows (EVENT_SCHEMA)
    catalog/sessions-v<version>.parquet                               one row per session, with its summary
    catalog/files-v<version>.parquet                                  which event file holds which session
    quarantine/v<version>.parquet                                     bad rows kept aside (file, line, reason, raw)
    catalog/<table>-v<version>.parquet                                source_summaries, source_trends,
                                                                      source_products, gaps (liveboard.provenance)
    _log/<version>.json                                               a commit: the catalog files of that version

A snapshot of version N reads, of each source table, the file of the newest version <= N (a table is
written only by the commits that change it; a file of a version without its ``_log`` entry is ignored,
then removed by the next writer).

A commit becomes visible in one ``rename`` of its ``_log`` entry; readers only read files named by the
newest entry, so they see the store before or after an import, never half of it. Files of a version
that never got its ``_log`` entry (a killed import) are removed by the next writer. Writers take an
exclusive lock; readers take none.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from liveboard import provenance, queries
from liveboard.errors import os_error_message
from liveboard.eventlog import BAD_ROW_SCHEMA, atomic_write_bytes, to_json_lines
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
    tables: tuple[tuple[str, Path], ...] = ()  # provenance.TABLE_NAMES present in this version

    def table(self, name: str) -> Path | None:
        return dict(self.tables).get(name)


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
        try:
            names = os.listdir(log)  # not Path.glob: it reads an unreadable folder as an empty one
        except OSError as exc:
            raise StoreError(f"cannot read the store's commit log: {os_error_message(exc, str(log))}") from None
        versions = sorted(int(n[:-5]) for n in names if n.endswith(".json") and n[:-5].isdigit())
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
                self._source_tables(v),
            )
        return Snapshot(self.root, 0, None, None, ())

    def _source_tables(self, version: int) -> tuple[tuple[str, Path], ...]:
        """Of each source table, the file of the newest version at or before ``version``."""
        best: dict[str, tuple[int, Path]] = {}
        for p in (self.root / "catalog").glob("*-v*.parquet"):
            name, _, rest = p.name.rpartition("-v")
            ver = rest.removesuffix(".parquet")
            if name in provenance.TABLE_NAMES and ver.isdigit() and int(ver) <= version:
                if name not in best or int(ver) > best[name][0]:
                    best[name] = (int(ver), p)
        return tuple((n, best[n][1]) for n in provenance.TABLE_NAMES if n in best)

    def connect(self, snap: Snapshot | None = None) -> tuple[duckdb.DuckDBPyConnection, Snapshot]:
        """A DuckDB connection with views ``sessions``, ``event_files`` and ``quarantine`` of one snapshot."""
        snap = snap or self.snapshot()
        con = duckdb.connect()
        if snap.sessions_path:
            con.execute(f"CREATE VIEW sessions AS SELECT * FROM {parquet_source(snap.sessions_path)}")
        else:
            con.execute(f"CREATE VIEW sessions AS {provenance.empty_select(provenance.catalog_schema())}")
        if snap.files_path:
            con.execute(f"CREATE VIEW event_files AS SELECT * FROM {parquet_source(snap.files_path)}")
        else:
            con.execute(f"CREATE VIEW event_files AS {_empty_select(FILES_SCHEMA)}")
        if snap.quarantine:
            con.execute(f"CREATE VIEW quarantine AS SELECT * FROM {parquet_source(list(snap.quarantine))}")
        else:
            con.execute(f"CREATE VIEW quarantine AS {_empty_select(BAD_ROW_SCHEMA)}")
        for name, schema in provenance.table_schemas().items():
            path = snap.table(name)
            body = f"SELECT * FROM {parquet_source(path)}" if path else provenance.empty_select(schema)
            con.execute(f"CREATE VIEW {name} AS {body}")
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

    def table_files(self, name: str, snap: Snapshot | None = None) -> list[Path]:
        """The Parquet files of table ``name`` ("events") in one snapshot: what another engine reads."""
        if name != "events":
            raise StoreError(f"no table {name!r}")
        con, _ = self.connect(snap)
        return self.event_files(con, None)

    def catalog_from_summaries(self, events: pa.Table | None, snap: Snapshot | None = None) -> pa.Table:
        """The whole session table from events summaries (``queries.session_summaries()`` over every
        session's events, by any engine) and the snapshot's source rows: how the store builds its own."""
        snap = snap or self.snapshot()
        tables = provenance.SourceTables.load(dict(snap.tables))
        if events is not None:
            con = duckdb.connect()
            con.execute("SET TimeZone = 'UTC'")
            con.register("summaries", events)
            events = con.sql(
                "SELECT *, \"end\" IS NOT NULL AS sealed, 'events' AS source, false AS stale FROM summaries"
            ).to_arrow_table()
        ids = set(tables.summaries["session_id"].to_pylist())
        if events is not None:
            ids |= set(events["session_id"].to_pylist())
        rows = provenance.catalog_rows(events, tables.summaries, sorted(ids))
        con = duckdb.connect()
        con.execute("SET TimeZone = 'UTC'")
        con.register("rows", rows)
        return con.sql("SELECT * FROM rows ORDER BY start, session_id").to_arrow_table()

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
        report = ImportReport()
        bad = bad.cast(BAD_ROW_SCHEMA) if bad is not None else BAD_ROW_SCHEMA.empty_table()
        report.bad = bad.num_rows
        with self._writer() as snap:
            v = snap.version + 1
            con, _ = self.connect(snap)
            con.register("batch_raw", events.append_column("_row", pa.array(range(events.num_rows), pa.int64())))
            rejected: dict[int, str] = {}  # batch row -> why it is not taken
            located: dict[int, dict] = {}  # batch row -> its file, line and raw text, where asked already
            touched = [r[0] for r in con.execute("SELECT DISTINCT session_id FROM batch_raw ORDER BY 1").fetchall()]
            # 1. ids already stored: a duplicate when the content is the same, else a conflict (the stored one wins)
            con.execute("CREATE TEMP TABLE matched (_row BIGINT, diff VARCHAR[])")
            if self.event_files(con, touched):
                self.define_events(con, touched, since=_min_ts(events) if recent_only else None)
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
            con.execute("CREATE TEMP TABLE fresh AS SELECT * FROM batch_raw ANTI JOIN matched USING (_row)")
            repeated = con.execute(
                "SELECT count(*) FROM (SELECT 1 FROM fresh GROUP BY session_id, id HAVING count(*) > 1)"
            ).fetchall()[0][0]
            if repeated:
                clashing = self._batch_conflicts(con, origin, located)
                rejected.update(clashing)
                report.conflicts += len(clashing)
                before = con.execute("SELECT count(*) FROM fresh").fetchall()[0][0]
                con.execute("DELETE FROM fresh WHERE _row IN (SELECT unnest(?))", [list(clashing)])
                con.execute(
                    "DELETE FROM fresh WHERE _row IN (SELECT _row FROM fresh "
                    "QUALIFY row_number() OVER (PARTITION BY session_id, id ORDER BY seq, _row) > 1)"
                )
                after = con.execute("SELECT count(*) FROM fresh").fetchall()[0][0]
                report.duplicates += before - len(clashing) - after
            # 3. a session_end before the session's start (in this batch or stored) is a bad row
            ends_early = self._ends_before_start(con)
            rejected.update(ends_early)
            report.bad += len(ends_early)
            con.execute("DELETE FROM fresh WHERE _row IN (SELECT unnest(?))", [list(ends_early)])
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
                con.execute("DELETE FROM fresh WHERE _row IN (SELECT unnest(?))", [list(refused)])
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
            bad = self._not_yet_quarantined(con, pa.concat_tables([bad, report.rejected]))
            fresh = (
                con.sql(
                    f"SELECT * EXCLUDE (_row) REPLACE (seq + {v << 32} AS seq) FROM fresh ORDER BY session_id, ts, seq"
                )
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

    def _not_yet_quarantined(self, con, rows: pa.Table) -> pa.Table:
        """``rows`` without those already in quarantine (same file, line and raw text) or repeated."""
        if not rows.num_rows:
            return rows
        con.register("_new_q", rows.append_column("_i", pa.array(range(rows.num_rows), pa.int64())))
        try:
            return (
                con.sql(
                    "SELECT file, line, reason, raw FROM _new_q q WHERE NOT EXISTS (SELECT 1 FROM quarantine o "
                    "WHERE o.file IS NOT DISTINCT FROM q.file AND o.line IS NOT DISTINCT FROM q.line "
                    "AND o.raw IS NOT DISTINCT FROM q.raw) "
                    "QUALIFY row_number() OVER (PARTITION BY file, line, raw ORDER BY _i) = 1 ORDER BY _i"
                )
                .to_arrow_table()
                .cast(BAD_ROW_SCHEMA)
            )
        finally:
            con.unregister("_new_q")

    def summarize(self, session_ids: list[str] | None = None) -> int:
        """Recompute session summaries (after live appends made with ``summarize=False``)."""
        with self._writer() as snap:
            if not snap.sessions_path or not snap.files_path:
                return snap.version
            con, _ = self.connect(snap)
            files = pq.read_table(snap.files_path)
            ids = session_ids or [
                r[0] for r in con.execute("SELECT session_id FROM sessions WHERE source = 'events'").fetchall()
            ]
            return self._commit_catalog(snap, self._sessions_catalog(con, snap, files, sorted(ids), True))

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
        with self._writer() as snap:
            v = snap.version + 1
            stored = provenance.SourceTables.load(dict(snap.tables))
            mine = pc.equal(stored.summaries["source"], source)
            known = pc.filter(stored.summaries["source_key"], mine).to_pylist()
            try:
                batch = provenance.read_batch(
                    source, summaries, trends, products, gaps, known_keys=known, exact_only=exact_only
                )
            except provenance.SourceError as e:
                raise StoreError(str(e)) from None
            con, _ = self.connect(snap)
            catalog = con.sql("SELECT session_id, account_id, start FROM sessions").to_arrow_table()
            plan = provenance.plan_put(batch, stored, catalog, v, exact_only=exact_only)
            if not plan.dirty:
                return plan.report
            sessions = self._rebuilt_catalog(con, snap, plan.tables, plan.affected) if plan.affected else None
            tables = {name: plan.tables.arrow(name) for name in plan.dirty}
            plan.report.version = self._commit_catalog(snap, sessions, tables=tables)
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

    def _rebuilt_catalog(self, con, snap: Snapshot, tables: provenance.SourceTables, ids: set[str]) -> pa.Table:
        """The session table with the rows of ``ids`` recomputed from their events and source rows."""
        ids_list = sorted(ids)
        with_events = [
            r[0]
            for r in con.execute(
                "SELECT DISTINCT session_id FROM event_files WHERE session_id IN (SELECT unnest(?))", [ids_list]
            ).fetchall()
        ]
        events = None
        if with_events:
            self.define_events(con, with_events)
            events = con.sql(
                "SELECT *, \"end\" IS NOT NULL AS sealed, 'events' AS source, false AS stale "
                f"FROM ({queries.session_summaries()})"
            ).to_arrow_table()
        rows = provenance.catalog_rows(events, tables.summaries, ids_list)
        con.register("new_rows", rows)
        if not snap.sessions_path:
            return con.sql("SELECT * FROM new_rows ORDER BY start, session_id").to_arrow_table()
        return con.sql(
            f"SELECT * FROM {parquet_source(snap.sessions_path)} WHERE session_id NOT IN (SELECT unnest($ids)) "
            "UNION ALL BY NAME SELECT * FROM new_rows ORDER BY start, session_id",
            params={"ids": ids_list},
        ).to_arrow_table()

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
        self,
        snap: Snapshot,
        sessions: pa.Table | None,
        *,
        files_rel: str | None = None,
        obsolete=(),
        tables: dict[str, pa.Table] | None = None,
    ) -> int:
        """Commit a new session table and/or file list and/or source tables; what is not given stays."""
        v = snap.version + 1
        for name, table in (tables or {}).items():
            _write_parquet(table, self.root / f"catalog/{name}-v{v:012d}.parquet")
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
                    "SELECT session_id FROM sessions WHERE source = 'events' AND session_id IN (SELECT unnest(?))",
                    [changed],
                ).fetchall()
            }  # a session known only by a summary gets its first events summary now
            keep_old = sorted((known & set(changed)) - ended)
            recompute = sorted(set(changed) - set(keep_old))
        self.define_events(c2, recompute)
        c2.register("fresh_summary", c2.sql(queries.session_summaries()).to_arrow_table())
        c2.execute(
            "CREATE TEMP TABLE fresh2 AS SELECT *, \"end\" IS NOT NULL AS sealed, 'events' AS source, "
            f"{'false' if summarize else 'NOT sealed'} AS stale FROM fresh_summary"
        )
        merged, gone = self._with_sources(snap, c2.sql("SELECT * FROM fresh2").to_arrow_table())
        c2.register("fresh3", merged)
        if not snap.sessions_path:
            return c2.sql("SELECT * FROM fresh3 ORDER BY start, session_id").to_arrow_table()
        old = parquet_source(snap.sessions_path)
        return c2.sql(
            f"SELECT * REPLACE (stale OR session_id IN (SELECT unnest($keep)) AS stale) FROM {old} "
            "WHERE session_id NOT IN (SELECT session_id FROM fresh3) AND session_id NOT IN (SELECT unnest($gone)) "
            "UNION ALL BY NAME SELECT * FROM fresh3 ORDER BY start, session_id",
            params={"keep": keep_old, "gone": gone},
        ).to_arrow_table()

    def _with_sources(self, snap: Snapshot, fresh: pa.Table) -> tuple[pa.Table, list[str]]:
        """Fresh events summaries overlaid with their sessions' source rows (one LIVE, one session).

        A session known only by source rows whose LIVE just got events under another id (a recorder
        started after the API or an export named it) is merged into the events session: its rows are
        re-linked (written as this version's ``source_summaries``) and its id is returned, to drop.
        """
        path = snap.table("source_summaries")
        empty = provenance.table_schemas()["source_summaries"].empty_table()
        if fresh.num_rows == 0:
            return provenance.catalog_rows(None, empty, []), []
        tables = provenance.SourceTables.load({"source_summaries": path}) if path else provenance.SourceTables()
        summaries, gone = tables.summaries, {}
        if summaries.num_rows:
            arrived = fresh.select(["session_id", "account_id", "start"])
            has_events = set(arrived["session_id"].to_pylist())
            if snap.sessions_path:
                sql = f"SELECT session_id FROM {parquet_source(snap.sessions_path)} WHERE source = 'events'"
                has_events |= set(provenance.sql(sql)["session_id"].to_pylist())
            summaries, gone = provenance.relink(summaries, arrived, has_events)
            if gone:
                rel = f"catalog/source_summaries-v{snap.version + 1:012d}.parquet"
                _write_parquet(summaries, self.root / rel)  # committed with the catalog
        rows = provenance.catalog_rows(fresh, summaries, fresh["session_id"].to_pylist())
        return rows, sorted(gone)

    def _prune(self, v: int) -> None:
        """Drop catalog versions and log entries older than the last :data:`KEEP_VERSIONS`."""
        floor = v - KEEP_VERSIONS
        if floor <= 0:
            return
        # still read by a kept version: files a kept commit names (carried forward from an older one),
        # and of each source table the newest file at or before the oldest kept version
        in_use = {str(p.relative_to(self.root)) for _, p in self._source_tables(floor)}
        for p in (self.root / "_log").glob("*.json"):
            if p.stem.isdigit() and int(p.stem) >= floor:
                try:
                    entry = json.loads(p.read_text())
                except (OSError, ValueError):
                    continue
                in_use |= {entry.get("sessions"), entry.get("files")}
        for p in list((self.root / "_log").glob("*.json")) + list((self.root / "catalog").glob("*.parquet")):
            m = _VERSION_RE.search(p.name) if p.parent.name == "catalog" else None
            ver = int(m.group(1)) if m else (int(p.stem) if p.stem.isdigit() else None)
            if p.parent.name == "catalog" and str(p.relative_to(self.root)) in in_use:
                continue
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


#: What makes two events with the same ``(session_id, id)`` the same event (``seq`` is only read order).
_CONTENT = tuple(n for n in EVENT_SCHEMA.names if n not in ("session_id", "id", "seq"))


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
