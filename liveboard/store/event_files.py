"""Event files: the rows of a commit written as one Parquet file per (account, date) partition, or the
files a bulk import staged taken as they are; and their ``event_files`` rows."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections import deque
from concurrent.futures import ThreadPoolExecutor

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from liveboard import staging, tables
from liveboard.events import DICTIONARY_COLUMNS, EVENT_SCHEMA
from liveboard.store.commit import _Commit
from liveboard.store.layout import FILES_SCHEMA, _safe_part
from liveboard.store.reading import StoreReading

#: Rows per batch (and Parquet row group) of an event file as it is written.
WRITE_BATCH = 65_536


class EventFileWriting(StoreReading):
    """A commit's event files."""

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


def _parse_ts(text: str | None):
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None
