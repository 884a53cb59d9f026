"""Post-LIVE reports in the dashboards: list the generated reports of a folder, and generate one.

For the LIVE Analytics page's session detail (or any notebook)::

    from liveboard.views.reports import generate_report, report_button, ReportList

    path = generate_report(wb, session_id, out_dir)  # blocking, ~3-6 s: papermill run + HTML export
    report_button(wb, session_id)                     # a "Generate report" button with its status and link
    ReportList(out_dir)                               # the reports of a folder, each viewable and downloadable

Without ``out_dir``, reports go to ``$LIVEBOARD_REPORTS``, else to ``reports/`` beside the store.

Voilà serves no files (``/files`` answers 403), so a report reaches the browser as a download link with a
data URL, and can be previewed in a sandboxed ``<iframe srcdoc>`` (no scripts; the report's own CSP forbids
them and any fetch too). Only names listed from the folder are ever opened: a widget value is never a path.
"""

from __future__ import annotations

import os
from pathlib import Path

import ipywidgets as W

from liveboard import report as rp
from liveboard.store import Store
from liveboard.views import format as fmt
from liveboard.views.widgets import download_link
from liveboard.workbench import InputError, Workbench

#: Where dashboards write and list reports unless told otherwise.
REPORTS_ENV = "LIVEBOARD_REPORTS"
MAX_INLINE_BYTES = 8_000_000


def default_reports_dir(store_root: str | os.PathLike | None = None) -> Path:
    """``$LIVEBOARD_REPORTS``; else ``reports`` beside the store (``data/store`` → ``data/reports``), since a
    dashboard kernel's working folder is the notebooks folder; else ``./reports`` as ``liveboard report``."""
    if os.environ.get(REPORTS_ENV):
        return Path(os.environ[REPORTS_ENV])
    if store_root is not None:
        return Path(store_root).resolve().parent / "reports"
    return Path("reports")


def _store_root(wb_store: Workbench | Store | str | os.PathLike | None) -> Path:
    if isinstance(wb_store, Workbench):
        return Path(wb_store.store.root)
    if isinstance(wb_store, Store):
        return Path(wb_store.root)
    from liveboard.store import default_store_path

    return Path(wb_store) if wb_store is not None else default_store_path()


def generate_report(
    wb_store: Workbench | Store | str | os.PathLike | None,
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
    path. Raises :class:`~liveboard.workbench.InputError` for an unknown session or bad options (checked
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


def report_link(path: str | os.PathLike, label: str = "Download report (.html)") -> str:
    """A download link (data URL) for a generated report, or a note with its path when it is too large."""
    p = Path(path)
    data = p.read_bytes()
    if len(data) > MAX_INLINE_BYTES:
        return f'<span class="lb-note">Report written to {fmt.esc(p)} ({len(data) / 1e6:.0f} MB).</span>'
    return download_link(data, p.name, "text/html", f"{label} · {len(data) / 1024:,.0f} KB", "lb-report-download")


def report_frame(path: str | os.PathLike, height: int = 900) -> str:
    """The report inside a sandboxed iframe (no scripts, no same-origin), for a preview in the page."""
    text = Path(path).read_text(encoding="utf-8")
    return (
        f'<iframe class="lb-report-frame" sandbox="" style="width:100%;height:{int(height)}px;border:1px solid #e5e7eb" '
        f'srcdoc="{fmt.esc(text)}"></iframe>'
    )


def report_button(
    wb_store: Workbench | Store | str | os.PathLike | None,
    session_id: str,
    out_dir: str | os.PathLike | None = None,
    **options,
) -> W.VBox:
    """A "Generate report" button for one session, with its status and, once done, a download link."""
    if "timezone" in options:  # a display zone from a URL or widget: an unknown one falls back to UTC, as on pages
        options["timezone"] = str(fmt.zone(options["timezone"]))
    button = W.Button(description="Generate report", icon="file-text", tooltip="Post-LIVE report (HTML)")
    button.add_class("lb-report-button")
    status = W.HTML()
    status.add_class("lb-report-status")

    def on_click(_=None) -> None:
        button.disabled = True
        status.value = '<span class="lb-note">Generating the report…</span>'
        try:
            path = generate_report(wb_store, session_id, out_dir, **options)
        except (InputError, rp.ReportError) as exc:
            status.value = f'<span class="lb-error">Report failed: {fmt.esc(exc)}</span>'
        else:
            status.value = report_link(path)
        finally:
            button.disabled = False

    button.on_click(on_click)
    box = W.VBox([button, status])
    box.add_class("lb-report")
    box.generate = on_click  # for tests and scripted use
    return box


class ReportList:
    """The reports of a folder: a table, a chooser, and for the chosen one a download link and a preview."""

    def __init__(self, out_dir: str | os.PathLike | None = None, *, store: str | os.PathLike | None = None):
        self.out_dir = Path(out_dir) if out_dir is not None else default_reports_dir(store)
        self.table = W.HTML()
        self.table.add_class("lb-report-list")
        self.choice = W.Dropdown(description="Report", options=[], layout=W.Layout(width="520px"))
        self.refresh_button = W.Button(description="Refresh", icon="refresh")
        self.view_button = W.Button(description="View", icon="eye")
        self.detail = W.HTML()
        self.detail.add_class("lb-report-detail")
        self.refresh_button.on_click(lambda _: self.refresh())
        self.view_button.on_click(lambda _: self.view(self.choice.value))
        self.widget = W.VBox([self.table, W.HBox([self.choice, self.view_button, self.refresh_button]), self.detail])
        self.widget.add_class("lb-reports")
        self._names: dict[str, str] = {}
        self.refresh()

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    def refresh(self) -> None:
        df = rp.list_reports(self.out_dir)
        self._names = {str(r.html): str(r.title or r.session_id) for r in df.itertuples()}
        if df.empty:
            self.table.value = f'<p class="lb-note">No reports in {fmt.esc(self.out_dir)} yet.</p>'
            self.choice.options = []
            return
        rows = "".join(
            f"<tr><td>{fmt.esc(r.title or r.session_id)}</td><td>{fmt.esc(r.session_id)}</td>"
            f"<td>{fmt.esc(fmt.when(r.start))}</td><td>{fmt.esc(fmt.money(r.gmv, r.currency or 'USD'))}</td>"
            f"<td>{fmt.esc(r.generated_at or '')}</td></tr>"
            for r in df.itertuples()
        )
        self.table.value = (
            "<table class='lb-table'><thead><tr><th>Title</th><th>Session</th><th>Start (UTC)</th><th>GMV</th>"
            f"<th>Generated</th></tr></thead><tbody>{rows}</tbody></table>"
        )
        self.choice.options = [(title[:80], name) for name, title in self._names.items()]

    def view(self, name: object) -> bool:
        """Show one listed report; anything not listed (a client can set any widget value) is refused."""
        if not isinstance(name, str) or name not in self._names:
            self.detail.value = '<span class="lb-note">Choose a report from the list.</span>'
            return False
        path = self.out_dir / name
        if not path.is_file():
            self.refresh()
            self.detail.value = '<span class="lb-note">That report is gone; the list was refreshed.</span>'
            return False
        self.detail.value = report_link(path) + (report_frame(path) if path.stat().st_size <= MAX_INLINE_BYTES else "")
        return True
