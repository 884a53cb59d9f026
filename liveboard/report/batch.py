"""Batches of reports: one by one in this process, or ``jobs`` at a time in spawned worker processes, with a
tqdm bar; a failing session becomes a failed :class:`ReportResult` and the rest go on; ``index.html`` last.

Each process keeps one :class:`ReusedKernel` for its reports (:class:`ProcessKernel`): a pool's initializer
and its jobs share state only through their process, so that holder is the one per-process object here.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from liveboard.report.files import write_index
from liveboard.report.kernels import ReusedKernel
from liveboard.report.options import ReportOptions
from liveboard.report.render import ReportError, ReportResult, _one_line, render_report

#: One report to make: session id, out folder, store, options, the session's row for the side file, reuse.
Job = tuple[str, str, str, ReportOptions, dict, bool]


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


def _worker(job: Job) -> ReportResult:
    session_id, out_dir, store, options, meta, reuse = job
    started = time.monotonic()
    try:
        kernel = _PROCESS_KERNEL.get(out_dir) if reuse else None
        return render_report(session_id, out_dir, store, options, meta=meta, kernel=kernel)
    except ReportError as exc:
        return ReportResult(session_id, False, seconds=time.monotonic() - started, error=exc.message)
    except Exception as exc:  # never let one session take the batch down
        return ReportResult(
            session_id, False, seconds=time.monotonic() - started, error=_one_line(f"{type(exc).__name__}: {exc}")
        )


def _worker_init() -> None:
    # Keep the workers' (and their kernels') stray output off the progress bar; errors come back as results.
    if not os.environ.get("LIVEBOARD_REPORT_DEBUG"):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
    from multiprocessing.util import Finalize

    Finalize(None, _PROCESS_KERNEL.close, exitpriority=10)  # workers exit without running atexit
    import nbconvert  # noqa: F401 - warm the imports once per worker
    import papermill  # noqa: F401


def run_batch(
    sessions: pd.DataFrame,
    out_dir: str | os.PathLike,
    store: str | os.PathLike,
    options: ReportOptions | None = None,
    *,
    jobs: int = 1,
    progress: bool = True,
    reuse_kernels: bool = True,
) -> list[ReportResult]:
    """Reports for every row of ``sessions`` (from :func:`select_sessions`), ``jobs`` at a time in worker
    processes (``jobs=1``: one by one in this process). A failing session is recorded and the rest go on.
    Writes ``index.html`` at the end. Results come back in the order of ``sessions``.

    ``reuse_kernels`` (default) runs each process's reports in one :class:`ReusedKernel`; ``False`` starts
    a fresh kernel per report (papermill's default, slower)."""
    from tqdm.auto import tqdm

    options = options or ReportOptions()
    store = str(Path(store).resolve())
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    meta_cols = ["title", "account_id", "start", "currency", "gmv"]
    work = [
        (str(r["session_id"]), str(out), store, options, {c: r.get(c) for c in meta_cols}, reuse_kernels)
        for _, r in sessions.iterrows()
    ]
    results: dict[str, ReportResult] = {}
    bar = tqdm(total=len(work), desc="reports", unit="report", disable=not progress)
    try:
        if jobs <= 1 or len(work) <= 1:
            _run_here(work, results, bar)
        else:
            _run_in_pool(work, jobs, results, bar)
    finally:
        bar.close()
        _PROCESS_KERNEL.close()
        ordered = [results[job[0]] for job in work if job[0] in results]
        write_index(out, [(r.session_id, r.error) for r in ordered if not r.ok])
    return ordered


def _run_here(work: list[Job], results: dict[str, ReportResult], bar) -> None:
    """One report after another in this process (into ``results`` as they come, so a Ctrl-C keeps them)."""
    for job in work:
        res = _worker(job)
        results[res.session_id] = res
        bar.update(1)
        if not res.ok:
            bar.write(f"failed: {res.session_id}: {res.error}")


def _run_in_pool(work: list[Job], jobs: int, results: dict[str, ReportResult], bar) -> None:
    """``jobs`` reports at a time in spawned worker processes; a worker that died fails its session only."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    ctx = multiprocessing.get_context("spawn")  # no fork of a process holding DuckDB/zmq threads
    with ProcessPoolExecutor(max_workers=min(jobs, len(work)), mp_context=ctx, initializer=_worker_init) as pool:
        futures = {pool.submit(_worker, job): job[0] for job in work}
        for fut in as_completed(futures):
            sid = futures[fut]
            try:
                res = fut.result()
            except Exception as exc:  # a worker process that died
                res = ReportResult(sid, False, error=_one_line(f"{type(exc).__name__}: {exc}"))
            results[sid] = res
            bar.update(1)
            if not res.ok:
                bar.write(f"failed: {sid}: {res.error}")
