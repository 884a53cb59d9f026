"""An append: a batch of events (and the reader's bad rows) checked against the store and itself, then
committed, in one atomic commit; :class:`ImportReport`, what it did."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from liveboard import staging
from liveboard.eventlog import BAD_ROW_SCHEMA
from liveboard.store.append_checks import AppendChecks, _drop, _rejected_rows
from liveboard.store.catalog import SessionCatalog
from liveboard.store.commit import _Commit
from liveboard.store.event_files import EventFileWriting
from liveboard.store.layout import FILES_SCHEMA


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


class Appending(SessionCatalog, AppendChecks, EventFileWriting):
    """``append`` and what every append does once its batch is in the connection (``_append``)."""

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
        rejected: dict[int, str] = {}  # batch row -> why it is not taken
        located: dict[int, dict] = {}  # batch row -> its file, line and raw text, where asked already
        # 1. ids already stored: a duplicate when the content is the same, else a conflict (the stored one wins)
        self._check_stored(con, report, rejected, recent_only=recent_only, bulk=bulk)
        # 2. ids new to the store: repeated verbatim is a duplicate; two versions reject every version
        # `fresh` is the batch less the rows set aside so far: a view, so a big batch stays on disk
        con.execute("CREATE TEMP TABLE dropped AS SELECT _row FROM matched")
        con.execute("CREATE TEMP VIEW fresh AS SELECT * FROM batch_raw ANTI JOIN dropped USING (_row)")
        self._check_repeats(con, report, rejected, located, origin)
        # 3. a session_end before the session's start (in this batch or stored) is a bad row
        ends_early = self._ends_before_start(con)
        rejected.update(ends_early)
        report.bad += len(ends_early)
        _drop(con, list(ends_early))
        # 4. sealed sessions take late updates of their own orders, and nothing else
        sealed = self._refuse_sealed(con, report, rejected)
        report.rejected = _rejected_rows(con, rejected, located, origin)
        con.register("_rejected", report.rejected)
        n_quarantine = self._not_yet_quarantined(con, "SELECT * FROM batch_bad UNION ALL SELECT * FROM _rejected")
        n_fresh = con.execute("SELECT count(*) FROM fresh").fetchall()[0][0]
        report.imported = n_fresh
        if n_fresh == 0 and n_quarantine == 0:
            report.version = c.snap.version
            return report
        return self._commit_append(c, con, report, n_quarantine, sealed, summarize=summarize, bulk=bulk, staged=staged)

    def _commit_append(
        self,
        c: _Commit,
        con,
        report: ImportReport,
        n_quarantine: int,
        was_sealed: set[str],
        *,
        summarize: bool,
        bulk: bool,
        staged: staging.EventStager | None,
    ) -> ImportReport:
        """The commit of a checked batch: the rows of ``fresh`` as event files (the staged ones, when they are
        what the rewrite would write), their sessions' catalog rows and the new quarantine rows."""
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
        now_sealed = set(pc.filter(sessions["session_id"], sessions["sealed"]).to_pylist())
        report.sealed = sorted((now_sealed - was_sealed) & set(changed))
        report.version = c.commit()
        return report
