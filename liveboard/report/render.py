"""Rendering one report: papermill runs the template for a session, nbconvert's ``HTMLExporter`` turns the
executed notebook into a page of outputs only (no code, no prompts, no stderr), and the page, the notebook and
the side file are written atomically. A failure is one :class:`ReportError` with a one-line reason.
"""

from __future__ import annotations

import copy
import functools
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import liveboard
from liveboard import atomic
from liveboard.errors import LiveboardError
from liveboard.report.files import _side_file, report_name
from liveboard.report.kernels import ReusedKernel, _quiet_kernel_stderr
from liveboard.report.markup import page
from liveboard.report.options import EXECUTION_TIMEOUT_S, TEMPLATE, ReportOptions
from liveboard.views import format as fmt


@functools.cache
def _exporter():
    """One exporter per process, made on first use: nbconvert is imported only when a report is rendered."""
    from nbconvert import HTMLExporter

    return HTMLExporter(
        template_name="basic", exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True
    )


def notebook_to_html(nb, title: str) -> str:
    """The executed notebook as a standalone page: outputs only (no code, no prompts, no stderr)."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.get("cell_type") == "code":
            cell["outputs"] = [
                o
                for o in cell.get("outputs", [])
                if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
            ]
        elif cell.get("cell_type") in ("markdown", "raw"):
            cell["source"] = ""
    body, _ = _exporter().from_notebook_node(nb)
    return page(title, body, {"generator": f"liveboard {liveboard.__version__}"})


class ReportError(LiveboardError):
    """One session's report failed; the message is one line."""

    def __init__(self, session_id: str, message: str):
        super().__init__(f"{session_id}: {message}")
        self.session_id = session_id
        self.message = message


@dataclass
class ReportResult:
    """One session's outcome in a batch: the files written, or the one-line error."""

    session_id: str
    ok: bool
    html: Path | None = None
    notebook: Path | None = None
    seconds: float = 0.0
    error: str = ""


def _one_line(text: object, limit: int = 300) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def render_report(
    session_id: str,
    out_dir: str | os.PathLike,
    store: str | os.PathLike,
    options: ReportOptions | None = None,
    *,
    meta: dict | None = None,
    template: str | os.PathLike | None = None,
    kernel_name: str | None = None,
    timeout: int = EXECUTION_TIMEOUT_S,
    kernel: ReusedKernel | None = None,
) -> ReportResult:
    """Run the template for one session and write ``<name>.ipynb``, ``<name>.html`` and ``<name>.json``
    into ``out_dir``, each atomically. Raises :class:`ReportError` with a one-line reason on failure.

    With ``kernel`` (a :class:`ReusedKernel`), the notebook runs in that already started kernel, its
    namespace reset first, instead of a fresh kernel: batches pay kernel start and imports once per worker."""
    import nbformat
    import papermill as pm

    started = time.monotonic()
    options = options or ReportOptions()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    store = str(Path(store).resolve())
    name = report_name(session_id)
    template = Path(template) if template else TEMPLATE
    if not template.is_file():
        raise ReportError(session_id, f"report template {template} is missing")
    if meta is None:
        info = liveboard.open(store).session(session_id).info
        meta = {k: info.get(k) for k in ("title", "account_id", "start", "currency", "gmv")}
    try:
        pending_nb = atomic.AtomicFile(out / f"{name}.ipynb", suffix=".tmp.ipynb")  # papermill writes a path
    except OSError as exc:
        raise ReportError(session_id, _one_line(f"{type(exc).__name__}: {exc}")) from None
    tmp_nb = pending_nb.path
    params = {"session_id": str(session_id), "store": store, **options.parameters()}
    _exporter()  # nbconvert imported while a reused kernel may still be booting, not after the run
    with pending_nb:
        try:
            _execute(template, tmp_nb, params, out, kernel=kernel, kernel_name=kernel_name, timeout=timeout)
            nb = nbformat.read(tmp_nb, as_version=4)
            title = str(session_id) if fmt.is_missing(meta.get("title")) else str(meta.get("title"))
            html_text = notebook_to_html(nb, f"{title} · post-LIVE report")
        except pm.PapermillExecutionError as exc:  # an error in a cell: the kernel itself is fine
            raise ReportError(session_id, _one_line(f"{exc.ename}: {exc.evalue}")) from None
        except Exception as exc:  # a kernel that died or timed out, a template that does not parse, a full disk …
            if kernel is not None:
                kernel.broken = True
            raise ReportError(session_id, _one_line(f"{type(exc).__name__}: {exc}")) from None
        html_path, nb_path = _write_report(out, name, html_text, pending_nb, session_id, meta, options)
    return ReportResult(str(session_id), True, html_path, nb_path, time.monotonic() - started)


def _execute(
    template: Path,
    tmp_nb: Path,
    params: dict,
    out: Path,
    *,
    kernel: ReusedKernel | None,
    kernel_name: str | None,
    timeout: int,
) -> None:
    """Run the template into ``tmp_nb``: in the reused ``kernel`` (reset first), else in a fresh kernel whose
    start-up chatter on stderr is kept off the terminal."""
    import papermill as pm

    if kernel is not None:
        kernel.prepare()
        pm.execute_notebook(
            str(template),
            str(tmp_nb),
            parameters=params,
            kernel_name=kernel.kernel_name,
            progress_bar=False,
            log_output=False,
            execution_timeout=timeout,
            km=kernel.km,
            kc=kernel.kc,
        )
        kernel.runs += 1
        return
    with _quiet_kernel_stderr():
        pm.execute_notebook(
            str(template),
            str(tmp_nb),
            parameters=params,
            kernel_name=kernel_name,
            progress_bar=False,
            log_output=False,
            execution_timeout=timeout,
            cwd=str(out),
        )


def _write_report(
    out: Path,
    name: str,
    html_text: str,
    notebook: atomic.AtomicFile,
    session_id: str,
    meta: dict,
    options: ReportOptions,
) -> tuple[Path, Path]:
    """html, then notebook, then the side file that lists the report: a reader never sees half a report."""
    html_path, nb_path = out / f"{name}.html", out / f"{name}.ipynb"
    atomic.write_text(html_path, html_text)
    notebook.publish(nb_path)
    atomic.write_text(
        out / f"{name}.json",
        json.dumps(_side_file(session_id, meta, options, html_path, nb_path), ensure_ascii=False, indent=1),
    )
    return html_path, nb_path
