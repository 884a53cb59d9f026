"""Post-LIVE reports for the pages: the report runner (papermill run of the template, then HTML export)
wired to the report widgets of :mod:`liveboard.views.reports`.

For the LIVE Analytics page's session detail (or any notebook)::

    from liveboard.pages.reports import generate_report, report_button, ReportList

    path = generate_report(wb, session_id, out_dir)  # blocking, ~3-6 s: papermill run + HTML export
    report_button(wb, session_id)                     # a "Generate report" button with its status and link
    ReportList(out_dir)                               # the reports of a folder, each viewable and downloadable

Without ``out_dir``, reports go to ``$LIVEBOARD_REPORTS``, else to ``reports/`` beside the store.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import ipywidgets as W

from liveboard import report as rp
from liveboard.errors import InputError
from liveboard.store import Store, default_store_path
from liveboard.views import format as fmt
from liveboard.views import reports as views
from liveboard.views.reports import (
    MAX_INLINE_BYTES,
    REPORTS_ENV,
    default_reports_dir,
    public_text,
    report_frame,
    report_link,
    shown_folder,
)
from liveboard.workbench import Workbench

__all__ = [
    "MAX_INLINE_BYTES",
    "REPORTS_ENV",
    "ReportList",
    "default_reports_dir",
    "generate_report",
    "public_text",
    "report_button",
    "report_frame",
    "report_link",
    "shown_folder",
]

StoreLike = Workbench | Store | str | os.PathLike | None


def _store_root(wb_store: StoreLike) -> Path:
    if isinstance(wb_store, Workbench):
        return Path(wb_store.store.root)
    if isinstance(wb_store, Store):
        return Path(wb_store.root)
    return Path(wb_store) if wb_store is not None else default_store_path()


def generate_report(
    wb_store: StoreLike,
    session_id: str,
    out_dir: str | os.PathLike | None = None,
    *,
    window_days: int = 28,
    currency_display: str = "symbol",
    timezone: str = "UTC",
) -> Path:
    """Generate the post-LIVE report of one session (papermill run of the template, then HTML export) and
    refresh the folder's ``index.html``. Returns the path of the HTML report.

    ``wb_store`` is a :class:`~liveboard.workbench.Workbench`, a :class:`~liveboard.store.Store` or a store
    path. Raises :class:`~liveboard.errors.InputError` for an unknown session or bad options (checked
    before any kernel starts) and :class:`liveboard.report.ReportError` (one-line message) when the run fails.
    Blocks for a few seconds: call it from a button callback, not in a loop.
    """
    root = _store_root(wb_store)
    wb = wb_store if isinstance(wb_store, Workbench) else Workbench(Store(root))
    options = rp.check_options(window_days, currency_display, timezone)
    row = rp.select_sessions(wb, [str(session_id)]).iloc[0]
    out = Path(out_dir) if out_dir is not None else default_reports_dir(root)
    meta = {k: row.get(k) for k in ("title", "account_id", "start", "currency", "gmv")}
    result = rp.render_report(str(session_id), out, root, options, meta=meta)
    rp.write_index(out)
    assert result.html is not None
    return result.html


def report_button(
    wb_store: StoreLike, session_id: str, out_dir: str | os.PathLike | None = None, **options: Any
) -> W.VBox:
    """A "Generate report" button for one session, with its status and, once done, a download link."""
    if "timezone" in options:  # a display zone from a URL or widget: an unknown one falls back to UTC, as on pages
        options["timezone"] = str(fmt.zone(options["timezone"]))
    return views.report_button(
        lambda: generate_report(wb_store, session_id, out_dir, **options),
        store_root=_store_root(wb_store),
        out_dir=out_dir,
        failures=(InputError, rp.ReportError),
    )


class ReportList(views.ReportList):
    """The reports of a folder (``$LIVEBOARD_REPORTS``, else ``reports/`` beside the store), as
    :func:`liveboard.report.list_reports` finds them."""

    def __init__(self, out_dir: str | os.PathLike | None = None, *, store: str | os.PathLike | None = None):
        super().__init__(rp.list_reports, out_dir, store=store)
