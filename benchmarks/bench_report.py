"""Post-LIVE report timings: seconds per report, and a batch of 20 with ``--jobs 2`` against one by one.

    .venv/bin/python benchmarks/bench_report.py [--scale 1.0] [--sessions 20] [--jobs 2] [--no-write]

Builds a store of simulated sessions in a temporary folder, then measures

* the parts of one report: a papermill run of an empty notebook (kernel start), the report's own work
  in-process (load the session, build every section), and the HTML export;
* one report end to end as ``liveboard report ID`` runs it (``run_batch``, one job: papermill + export +
  atomic writes), a few times;
* a batch of N sessions one by one (the baseline) and with ``--jobs`` worker processes.

Prints the figures and replaces the "Post-LIVE reports" section of ``benchmarks/RESULTS.md`` (machine,
cores, date and load average included: the load of other work on the machine moves these numbers).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pyarrow as pa

import liveboard
from liveboard import report as rp
from liveboard.report.kernels import _quiet_kernel_stderr
from liveboard.simulator import simulate
from liveboard.store import Store

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
HEADING = "## Post-LIVE reports (issue 5) — `benchmarks/bench_report.py`"
#: The same script's figures before the report's templates and matplotlib charts (issue "One house"): hand-written
#: f-string HTML and SVG, run 2026-11-24 15:23 UTC on this machine (load 2.6).
BEFORE = {"sections": 0.58, "one": 2.10, "per_report_jobs": 1.05, "size_kb": 130.0}


def build_store(root: Path, sessions: int, scale: float) -> tuple[Store, int]:
    tables = list(simulate(seed=5, accounts=2, sessions=sessions, scale=scale))
    events = sum(t.num_rows for t in tables)
    store = Store(root, create=True)
    store.append(pa.concat_tables(tables))
    return store, events


def uname() -> str:
    try:
        return subprocess.run(["uname", "-a"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return " ".join(platform.uname())


def timed(fn, *args, **kw) -> tuple[float, object]:
    t = time.perf_counter()
    out = fn(*args, **kw)
    return time.perf_counter() - t, out


def kernel_only(tmp: Path) -> float:
    import papermill as pm

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]})])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    src = tmp / "empty.ipynb"
    nbformat.write(nb, src)
    with _quiet_kernel_stderr():
        secs, _ = timed(
            pm.execute_notebook, str(src), str(tmp / "empty-out.ipynb"), parameters={"x": 2}, progress_bar=False
        )
    return secs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--scale", type=float, default=1.0, help="simulator audience scale (default 1: typical sessions)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3, help="single-report runs (default 3)")
    ap.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmpdir:
        tmp = Path(tmpdir)
        secs, (store, events) = timed(build_store, tmp / "store", args.sessions, args.scale)
        print(f"store: {args.sessions} sessions, {events:,} events, scale {args.scale} (built in {secs:.1f} s)")
        wb = liveboard.open(store.root)
        sessions = wb.sessions()
        sid = str(sessions["session_id"].iloc[0])
        one = sessions.iloc[[0]]

        k = statistics.median(kernel_only(tmp) for _ in range(2))
        t_load, rep = timed(rp.SessionReport.load, sid, store.root)
        t_sections, _ = timed(rep.html)
        rp.run_batch(one, tmp / "warm", store.root, jobs=1, progress=False)  # warm caches and imports
        nb = nbformat.read(next((tmp / "warm").glob("*.ipynb")), as_version=4)
        rp.notebook_to_html(nb, "warm")
        t_export, _ = timed(rp.notebook_to_html, nb, "x")
        singles = []
        for i in range(args.repeat):
            secs, res = timed(rp.run_batch, one, tmp / f"single{i}", store.root, jobs=1, progress=False)
            assert res[0].ok, res[0].error
            singles.append(secs)
        commands = []
        for i in range(args.repeat):
            cmd = [sys.executable, "-m", "liveboard", "report", sid, "--store", str(store.root)]
            secs, proc = timed(subprocess.run, [*cmd, "--out", str(tmp / f"cli{i}"), "--quiet"], capture_output=True)
            assert proc.returncode == 0, proc.stderr
            commands.append(secs)
        cli_secs = statistics.median(commands)
        fresh_secs, fresh = timed(
            rp.run_batch, sessions, tmp / "fresh", store.root, jobs=1, progress=False, reuse_kernels=False
        )
        seq_secs, seq = timed(rp.run_batch, sessions, tmp / "seq", store.root, jobs=1, progress=False)
        par_secs, par = timed(rp.run_batch, sessions, tmp / "par", store.root, jobs=args.jobs, progress=False)
        assert all(r.ok for r in seq) and all(r.ok for r in par) and all(r.ok for r in fresh)
        size_kb = (
            statistics.median((tmp / "par" / f"{rp.report_name(r.session_id)}.html").stat().st_size for r in par) / 1024
        )

    n = len(sessions)
    per = statistics.median(singles)
    load = os.getloadavg()
    lines = [
        f"- papermill run of an empty notebook (kernel start + shutdown): **{k:.2f} s**",
        f"- report work in-process (no kernel): open store, summary and history {t_load:.2f} s; query the session "
        f"(events materialised once) and build every section {t_sections:.2f} s",
        f"- HTML export (nbconvert, no inputs): {t_export:.2f} s; median report size {size_kb:,.0f} KB",
        f"- **one report**, cold (kernel start + papermill + export + atomic writes, median of {args.repeat}): "
        f"**{per:.2f} s** "
        f"(runs: {', '.join(f'{s:.2f}' for s in singles)})",
        f"- **`liveboard report ID`** as a user runs it (a new process: its imports, the store opened, the kernel "
        f"started, the report), median of {args.repeat}: **{cli_secs:.2f} s** "
        f"(runs: {', '.join(f'{s:.2f}' for s in commands)})",
        f"- batch of {n}, one by one, a fresh papermill kernel per report (baseline): **{fresh_secs:.1f} s** "
        f"({fresh_secs / n:.2f} s/report)",
        f"- batch of {n}, one by one, one reused kernel (`--jobs 1`): **{seq_secs:.1f} s** ({seq_secs / n:.2f} s/report, "
        f"×{fresh_secs / seq_secs:.2f} vs baseline)",
        f"- batch of {n}, `--jobs {args.jobs}` (spawned workers, a reused kernel each): **{par_secs:.1f} s** "
        f"({par_secs / n:.2f} s/report, ×{fresh_secs / par_secs:.2f} vs baseline, ×{seq_secs / par_secs:.2f} vs `--jobs 1`)",
        f"- against the report before templates and matplotlib charts (hand-written HTML and SVG, 2026-11-24, "
        f"this script): sections {t_sections:.2f} s vs {BEFORE['sections']:.2f} s "
        f"(×{t_sections / BEFORE['sections']:.2f}); one report {per:.2f} s vs {BEFORE['one']:.2f} s "
        f"(×{per / BEFORE['one']:.2f}); `--jobs {args.jobs}` {par_secs / n:.2f} vs {BEFORE['per_report_jobs']:.2f} s/report; "
        f"median size {size_kb:,.0f} KB vs {BEFORE['size_kb']:,.0f} KB (×{size_kb / BEFORE['size_kb']:.2f})",
        f"- target ≤ 5 s per report: `liveboard report ID` {'met' if cli_secs <= 5 else 'NOT met'} ({cli_secs:.2f} s); "
        f"single cold report in a running process {'met' if per <= 5 else 'NOT met'}; "
        f"in a `--jobs {args.jobs}` batch {'met' if par_secs / n <= 5 else 'NOT met'} ({par_secs / n:.2f} s)",
    ]
    header = [
        "",
        HEADING,
        "",
        f"Run {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')} · `{uname()}` · "
        f"nproc {os.cpu_count()} · load average at the end {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} "
        "(other work on the machine counts) · "
        f"{n} simulated sessions ({events:,} events, scale {args.scale}), 2 accounts.",
        "",
    ]
    text = "\n".join(header + lines) + "\n"
    print(text)
    if not args.no_write:
        old = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
        pattern = re.compile(r"\n*" + re.escape(HEADING) + r"\n.*?(?=\n## |\Z)", re.S)
        section = "\n\n" + text.strip("\n") + "\n"
        new = pattern.sub(lambda _: section, old) if pattern.search(old) else old.rstrip("\n") + section
        RESULTS.write_text(new if new.endswith("\n") else new + "\n")
        print(f"updated {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
