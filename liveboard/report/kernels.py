"""Kernels for reports: a fresh kernel's stderr kept off the terminal; :class:`ReusedKernel`, one kernel kept
for many reports of a batch (reset between them) instead of one start-up and import per report; and this
process's one (:class:`ProcessKernel`, :func:`kernel_started`).

Light to import (no pandas, DuckDB or store): ``liveboard report`` starts its kernel before it loads those.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from liveboard.report.options import TEMPLATE


@contextlib.contextmanager
def _quiet_kernel_stderr() -> Iterator[None]:
    """Send this process's fd 2 (inherited by kernels: ipykernel's start-up warning) to a temp file."""
    if os.environ.get("LIVEBOARD_REPORT_DEBUG"):
        yield
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        yield
        return
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


#: What a reused kernel imports as it boots: the report's modules (pandas, DuckDB, the store) and the charts'
#: matplotlib (its first chart would import it otherwise, in the middle of the report).
WARM_UP = (
    "import liveboard.report.session_report, liveboard.report.charts\nliveboard.report.charts.matplotlib_modules()"
)


def template_kernel_name() -> str:
    """The report template's kernel, read as plain JSON: nbformat's import waits until the kernel is spawned."""
    with TEMPLATE.open(encoding="utf-8") as f:
        return str(json.load(f).get("metadata", {}).get("kernelspec", {}).get("name", "python3"))


class ReusedKernel:
    """One kernel kept for many reports in one process (batches).

    A fresh papermill kernel costs ~2 s of start-up and imports per report on a 2-core machine; here that is
    paid once per worker. Before each report the kernel's namespace and execution counter are reset
    (``get_ipython().reset(new_session=True)``), so every executed notebook reads as a clean run. A kernel
    that died or timed out is marked ``broken`` and replaced; it is also replaced after ``max_runs`` reports.
    """

    def __init__(self, kernel_name: str | None = None, cwd: str | os.PathLike | None = None, max_runs: int = 100):
        from jupyter_client.manager import KernelManager

        if kernel_name is None:
            kernel_name = template_kernel_name()
        self.kernel_name = kernel_name
        self.max_runs = max_runs
        self.runs = 0
        self.broken = False
        self.km = KernelManager(kernel_name=kernel_name)
        with _quiet_kernel_stderr():
            self.km.start_kernel(cwd=str(cwd) if cwd else None)
        self.kc = self.km.client()
        self.kc.start_channels()
        # The kernel boots and imports the report module and matplotlib while this process goes on (reads the
        # store, imports papermill and nbconvert): ready is awaited in prepare(), just before the first report.
        self.kc.execute(WARM_UP, silent=True, store_history=False)
        self.ready = False

    @property
    def usable(self) -> bool:
        return not self.broken and self.runs < self.max_runs and self.km.is_alive()

    def prepare(self) -> None:
        """Wait until the kernel is ready; after a report, reset its namespace (through nbclient, the same path
        papermill uses on this client: the blocking client's own replies are not read between runs)."""
        if not self.ready:
            try:
                self.kc.wait_for_ready(timeout=120)
            except RuntimeError:
                self.broken = True
                raise
            self.ready = True
        if self.runs == 0:
            return
        import nbformat
        from nbclient import NotebookClient

        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("get_ipython().reset(new_session=True)")])
        NotebookClient(nb, km=self.km, kc=self.kc, timeout=60).execute()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.kc.stop_channels()
        with contextlib.suppress(Exception):
            self.km.shutdown_kernel(now=True)


class ProcessKernel:
    """This process's reused kernel: started when first needed, replaced when it broke or has run its
    ``max_runs`` reports, closed at the end of a batch (and when a worker process exits)."""

    def __init__(self) -> None:
        self.kernel: ReusedKernel | None = None

    def get(self, cwd: str) -> ReusedKernel:
        if self.kernel is None or not self.kernel.usable:
            if self.kernel is not None:
                self.kernel.close()
            self.kernel = None  # a kernel that fails to start leaves none behind, not the closed one
            self.kernel = ReusedKernel(cwd=cwd)
        return self.kernel

    def close(self) -> None:
        if self.kernel is not None:
            self.kernel.close()
            self.kernel = None


_PROCESS_KERNEL = ProcessKernel()


@contextlib.contextmanager
def kernel_started(cwd: str | os.PathLike, enabled: bool = True) -> Iterator[None]:
    """Boot this process's reused kernel now, so that it starts while the caller goes on (opens the store, picks
    the sessions): ``liveboard report ID`` pays its start-up alongside that work instead of after it. A
    :func:`run_batch` inside uses the kernel; it is closed on leaving, whatever happened."""
    if enabled:
        Path(cwd).mkdir(parents=True, exist_ok=True)  # the reports' folder, which run_batch makes too
        _PROCESS_KERNEL.get(str(cwd))
    try:
        yield
    finally:
        _PROCESS_KERNEL.close()
