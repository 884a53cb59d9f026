"""Post-LIVE reports in the dashboards, as widgets: the reports of a folder, and a "Generate report" button.

The widgets run nothing themselves: the page (:mod:`liveboard.pages.reports`) hands them the callbacks that
list a folder's reports and generate one (papermill run + HTML export), so that no view imports the report
runner or the store.

Voilà serves no files (``/files`` answers 403), so a report reaches the browser as a download link with a
data URL, and can be previewed in a sandboxed ``<iframe srcdoc>`` (no scripts; the report's own CSP forbids
them and any fetch too). Only names listed from the folder are ever opened: a widget value is never a path.

Pages never show the server's absolute paths: folders are named relative to the folder that holds the store
(``reports/``), and error messages are cleaned the same way before they reach the browser.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

import ipywidgets as W
import pandas as pd

from liveboard import markup
from liveboard.errors import InputError
from liveboard.views import format as fmt
from liveboard.views.widgets import Column, download_link, html_table, macros

#: Where dashboards write and list reports unless told otherwise.
REPORTS_ENV = "LIVEBOARD_REPORTS"
MAX_INLINE_BYTES = 8_000_000
TEMPLATE = "analytics/page.html.j2"


def default_reports_dir(store_root: str | os.PathLike | None = None) -> Path:
    """``$LIVEBOARD_REPORTS``; else ``reports`` beside the store (``data/store`` → ``data/reports``), since a
    dashboard kernel's working folder is the notebooks folder; else ``./reports`` as ``liveboard report``."""
    if os.environ.get(REPORTS_ENV):
        return Path(os.environ[REPORTS_ENV])
    if store_root is not None:
        return Path(store_root).resolve().parent / "reports"
    return Path("reports")


#: An absolute POSIX path inside a message (not the ``//`` of a URL): shown as ``…/<last part>``.
_ABSOLUTE_PATH = re.compile(r"(?<![\w:/.~])/(?:[^\s'\"/<>]+/)+([^\s'\"/<>]*)")


def _store_parent(store_root: str | os.PathLike | None) -> Path | None:
    """The folder that holds the store, the base of the names pages show (none when it is ``/``)."""
    if store_root is None:
        return None
    base = Path(store_root).resolve().parent
    return None if base.parent == base else base


def shown_folder(folder: str | os.PathLike, store_root: str | os.PathLike | None = None) -> str:
    """How a page names a server folder: relative to the folder that holds the store (``reports/``), else
    by its own name; never as an absolute path of the server."""
    path = Path(folder)
    base = _store_parent(store_root)
    if base is not None:
        try:
            rel = path.resolve().relative_to(base)
        except ValueError:
            pass
        else:
            return f"{rel.as_posix()}/" if rel.parts else "./"
    if not path.is_absolute() and ".." not in path.parts:
        return f"{path.as_posix()}/"
    return f"{path.resolve().name or '.'}/"


def public_text(text: object, store_root: str | os.PathLike | None = None, *folders: str | os.PathLike) -> str:
    """``text`` (an error message) with the server's paths replaced: the store's parent folder and the given
    folders by their :func:`shown_folder` names, any other absolute path by its last part."""
    out = str(text)
    known: list[tuple[str, str]] = []
    for folder in [f for f in folders if f is not None] + ([store_root] if store_root is not None else []):
        shown = shown_folder(folder, store_root)
        for form in {str(Path(folder)), str(Path(folder).resolve())}:
            if Path(form).is_absolute():
                known.append((form, shown.rstrip("/") or "."))
    base = _store_parent(store_root)
    if base is not None:
        known.append((str(base) + os.sep, ""))
        known.append((str(base), "."))
    for absolute, shown in sorted(known, key=lambda p: -len(p[0])):
        out = out.replace(absolute, shown)
    return _ABSOLUTE_PATH.sub(lambda m: "…/" + m.group(1), out)


def report_link(
    path: str | os.PathLike, label: str = "Download report (.html)", store_root: str | os.PathLike | None = None
) -> markup.Markup:
    """A download link (data URL) for a generated report, or a note naming it (folder relative to the store)
    when it is too large."""
    p = Path(path)
    data = p.read_bytes()
    if len(data) > MAX_INLINE_BYTES:
        where = shown_folder(p.parent, store_root) + p.name
        return macros(TEMPLATE).status(f"Report written to {where} ({len(data) / 1e6:.0f} MB).")
    return download_link(data, p.name, "text/html", f"{label} · {len(data) / 1024:,.0f} KB", "lb-report-download")


def report_frame(path: str | os.PathLike, height: int = 900) -> markup.Markup:
    """The report inside a sandboxed iframe (no scripts, no same-origin), for a preview in the page: its HTML
    is the ``srcdoc`` attribute's text (escaped by the template)."""
    return macros(TEMPLATE).report_frame(Path(path).read_text(encoding="utf-8"), height)


def report_button(
    generate: Callable[[], Path],
    *,
    store_root: str | os.PathLike | None = None,
    out_dir: str | os.PathLike | None = None,
    failures: tuple[type[Exception], ...] = (InputError,),
) -> W.VBox:
    """A "Generate report" button: ``generate()`` writes the report and returns its path; the failures it
    raises as one-line errors (``failures``) are shown, cleaned of server paths, as "Report failed: …"."""
    button = W.Button(description="Generate report", tooltip="Post-LIVE report (HTML)")
    button.add_class("lb-report-button")
    status = W.HTML()
    status.add_class("lb-report-status")

    def on_click(_=None) -> None:
        button.disabled = True
        status.value = macros(TEMPLATE).status("Generating the report…")
        try:
            path = generate()
        except failures as exc:
            folder = out_dir if out_dir is not None else default_reports_dir(store_root)
            text = public_text(exc, store_root, folder)
            status.value = macros(TEMPLATE).status(f"Report failed: {text}", "lb-error")
        else:
            status.value = report_link(path, store_root=store_root)
        finally:
            button.disabled = False

    button.on_click(on_click)
    box = W.VBox([button, status])
    box.add_class("lb-report")
    box.generate = on_click  # for tests and scripted use
    return box


class ReportList:
    """The reports of a folder (as ``list_reports(folder)`` finds them): a table, a chooser, and for the chosen one
    a download link and a preview."""

    def __init__(
        self,
        list_reports: Callable[[Path], pd.DataFrame],
        out_dir: str | os.PathLike | None = None,
        *,
        store: str | os.PathLike | None = None,
    ):
        self._list_reports = list_reports
        self.out_dir = Path(out_dir) if out_dir is not None else default_reports_dir(store)
        self.store = store
        self.table = W.HTML()
        self.table.add_class("lb-report-list")
        self.choice = W.Dropdown(description="Report", options=[], layout=W.Layout(width="520px"))
        self.refresh_button = W.Button(description="↻ Refresh")
        self.view_button = W.Button(description="View")
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
        df = self._list_reports(self.out_dir)
        self._names = {str(r.html): str(r.title or r.session_id) for r in df.itertuples()}
        if df.empty:
            where = shown_folder(self.out_dir, self.store)
            self.table.value = markup.components().note(f"No reports in {where} yet.")
            self.choice.options = []
            return
        rows = [
            {
                "title": r.title or r.session_id,
                "session_id": r.session_id,
                "start": fmt.when(r.start),
                "gmv": fmt.money(r.gmv, r.currency or "USD"),
                "generated_at": r.generated_at or "",
            }
            for r in df.itertuples()
        ]
        cols = [
            Column("title", "Title"),
            Column("session_id", "Session"),
            Column("start", "Start (UTC)"),
            Column("gmv", "GMV", numeric=True),
            Column("generated_at", "Generated"),
        ]
        self.table.value = html_table(rows, cols, "lb-reports-data")
        self.choice.options = [(title[:80], name) for name, title in self._names.items()]

    def view(self, name: object) -> bool:
        """Show one listed report; anything not listed (a client can set any widget value) is refused."""
        if not isinstance(name, str) or name not in self._names:
            self.detail.value = macros(TEMPLATE).status("Choose a report from the list.")
            return False
        path = self.out_dir / name
        if not path.is_file():
            self.refresh()
            self.detail.value = macros(TEMPLATE).status("That report is gone; the list was refreshed.")
            return False
        frame = report_frame(path) if path.stat().st_size <= MAX_INLINE_BYTES else markup.Markup("")
        self.detail.value = report_link(path, store_root=self.store) + frame
        return True
