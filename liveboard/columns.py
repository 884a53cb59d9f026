"""The columns of the session table, named once below both the store (which checks a source's columns
against them) and the workbench (which selects them), so that neither has to import the other."""

from __future__ import annotations

from liveboard import provenance
from liveboard.metrics import SESSION_METRICS

IDENTITY_COLUMNS = ("session_id", "title", "account_id", "live_event_id", "start", "end", "duration_s")
SESSION_COLUMNS = IDENTITY_COLUMNS + tuple(m for m in SESSION_METRICS if m not in IDENTITY_COLUMNS)
EXTRA_COLUMNS = (
    ("currency", "featured_products", "giveaways", "winners", "event_count", "sealed", "source", "creator_id")
    + tuple(provenance.SOURCE_FIGURES)
    + ("sources", "figure_sources", "late_order_updates")
)
