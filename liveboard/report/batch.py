"""Batches of reports: one by one in this process, or ``jobs`` at a time in spawned worker processes, with a
tqdm bar; a failing session becomes a failed :class:`ReportResult` and the rest go on; ``index.html`` last.

Each process keeps one :class:`~liveboard.report.kernels.ReusedKernel` for its reports
(:class:`~liveboard.report.kernels.ProcessKernel`): a pool's initializer and its jobs share state only through
their process, so that holder is the one per-process object.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pandas as pd

from liveboard.report.files import write_index
from liveboard.report.kernels import _PROCESS_KERNEL
from liveboard.report.options import ReportOptions
from liveboard.report.render import ReportError, ReportResult, _one_line, render_report

#: One report to make: session id, out folder, store, options, the session's row for the side file, reuse.
Job = tuple[str, str, str, ReportOptions, dict, bool]


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
