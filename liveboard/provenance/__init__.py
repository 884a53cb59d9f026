"""One LIVE, one session: figures from the API, a Seller Center export, a recorder and event logs, merged.

Each source keeps its own rows — ``source_summaries`` (one per source and ``source_key``, linked to a
``session_id``), ``source_trends``, ``source_products`` and ``gaps`` — so that the merged catalog row of a
session can always be recomputed: the events summary (when the session has events) overlaid, figure by
figure, with the sources' figures by precedence api > export > events. Derived metrics are recomputed from
the merged base figures with the registry's own SQL when those are known, else a source's own figure is
kept (an ACU from the API without view seconds). Missing stays missing: a figure no source knows is null.

Matching a source row to a session: a ``(source, source_key)`` seen before keeps its session; a
``source_key`` equal to a session id links to it; else the session of the same account whose start is
within :data:`MATCH_WINDOW` (nearest wins) and that has no row of this source yet; else a new session.
The same rule runs the other way when a session's events arrive after its summary (:func:`relink`).

Work is done a column at a time (pyarrow casts, DuckDB joins, numpy over layer matrices), because a
daily re-sync repeats thousands of sessions and an agency's store holds tens of thousands: what stays in
Python is per distinct account or per cell that a vectorised rule cannot vouch for
(:func:`liveboard.provenance.cells._value`).

The package, by concern: ``schemas`` (sources, ranks, table and catalog schemas), ``cells`` (what a cell
means), ``batch`` (a put_source call read and checked), ``stored`` (the stored source tables), ``matching``
(which session a row belongs to), ``plan`` (what a put_source call changes), ``layers`` and ``merge`` (the
catalog row by precedence), ``engine`` (the in-memory DuckDB), ``arrays`` (shared Arrow helpers).
"""

from liveboard.provenance.batch import Batch, read_batch, read_input
from liveboard.provenance.engine import sql
from liveboard.provenance.matching import account_key, relink
from liveboard.provenance.merge import catalog_rows
from liveboard.provenance.plan import COMPARED, Plan, SourceReport, plan_put
from liveboard.provenance.schemas import (
    EVENT_ONLY,
    IDENTITY,
    MATCH_WINDOW,
    MONEY,
    PRODUCT_FIGURES,
    RANK,
    RECORDER_UNSEEN,
    SOURCE_FIGURES,
    SOURCES,
    TABLE_NAMES,
    TREND_FIGURES,
    TS,
    SourceError,
    base_figures,
    catalog_schema,
    conform,
    derived_bases,
    empty_select,
    events_summary_schema,
    figure_names,
    input_columns,
    table_schemas,
)
from liveboard.provenance.stored import SourceTables

__all__ = [
    "COMPARED",
    "EVENT_ONLY",
    "IDENTITY",
    "MATCH_WINDOW",
    "MONEY",
    "PRODUCT_FIGURES",
    "RANK",
    "RECORDER_UNSEEN",
    "SOURCES",
    "SOURCE_FIGURES",
    "TABLE_NAMES",
    "TREND_FIGURES",
    "TS",
    "Batch",
    "Plan",
    "SourceError",
    "SourceReport",
    "SourceTables",
    "account_key",
    "base_figures",
    "catalog_rows",
    "catalog_schema",
    "conform",
    "derived_bases",
    "empty_select",
    "events_summary_schema",
    "figure_names",
    "input_columns",
    "plan_put",
    "read_batch",
    "read_input",
    "relink",
    "sql",
    "table_schemas",
]
