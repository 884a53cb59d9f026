"""The session catalog (table ``sessions``): one row per session, its events summary overlaid with what
every source said of it, recomputed for the sessions a commit changed."""

from __future__ import annotations

import duckdb
import pyarrow as pa

from liveboard import provenance, queries
from liveboard.store.commit import Committing, _Commit
from liveboard.store.layout import FILES_SCHEMA, Snapshot


class SessionCatalog(Committing):
    """The catalog's rows, built from events summaries and source rows."""

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
        gone: dict[str, str] = {}
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
