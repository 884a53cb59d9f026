"""What sources (the Shop API, Seller Center exports, the recorder) say of sessions, put into the store:
one LIVE, one session (:mod:`liveboard.provenance`)."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from liveboard import provenance
from liveboard.store.catalog import SessionCatalog
from liveboard.store.errors import StoreError


class SourcePuts(SessionCatalog):
    """``put_source`` and ``put_summaries``."""

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
        from liveboard.columns import EXTRA_COLUMNS, SESSION_COLUMNS

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
