"""Reading a store: snapshots, tables verified as they are read, DuckDB connections on one snapshot, and the
event files of sessions."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from liveboard import provenance, tables
from liveboard.errors import os_error_message
from liveboard.eventlog import BAD_ROW_SCHEMA
from liveboard.events import EVENT_SCHEMA
from liveboard.quoting import sql_literal
from liveboard.store.errors import StoreError
from liveboard.store.layout import DATA_TABLES, FILES_SCHEMA, HEAD, MAINTENANCE, Snapshot, table_schema
from liveboard.store.sql import _empty_select, _materialize, _register, parquet_source


class StoreReading:
    """What every reader of a store uses (pages, the workbench, the live sources, the writers' checks)."""

    root: Path

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
        where: list[str] = ["true"]
        params: dict[str, object] = {}
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
            where = f"WHERE session_id IN ({', '.join(sql_literal(s) for s in session_ids)})"
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
