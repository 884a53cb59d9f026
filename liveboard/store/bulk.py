"""A bulk import: a stream of parts staged to disk as they arrive, then checked and committed out of core
(within :data:`IMPORT_MEMORY`) as one commit."""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import pyarrow as pa

from liveboard import staging, tables
from liveboard.eventlog import BAD_ROW_SCHEMA
from liveboard.events import EVENT_SCHEMA
from liveboard.quoting import sql_literal
from liveboard.store.append import Appending, ImportReport
from liveboard.store.layout import HEAD, STAGING
from liveboard.store.sql import _empty_select, parquet_source

#: DuckDB's memory for the checks and the commit of a bulk import (it spills to disk past this): with the
#: reader's own bounded parts, what keeps an import of any size under the issue's 1.5 GB.
IMPORT_MEMORY = "512MB"


class BulkImport(Appending):
    """``append_parts``."""

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
        _clear_stale_staging(self.root / STAGING)
        stage = self.root / STAGING / f"{os.getpid()}-{time.time_ns()}"
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
    con.execute(f"SET memory_limit = {sql_literal(IMPORT_MEMORY)}")
    con.execute(f"SET temp_directory = {sql_literal(spill)}")
    con.execute("SET preserve_insertion_order = false")


def _rmtree(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)
