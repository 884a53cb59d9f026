"""Import and start-up times that every user pays: the modules a report and a Voilà server import, and
``liveboard report ID`` as a command, each in a fresh process (median of ``--repeat`` runs).

    .venv/bin/python -m benchmarks.bench_imports [--repeat 5] [--no-write]

Why: jsonschema 4.25's ``format-nongpl`` extra imports rfc3987-syntax, which builds ~35 Lark parsers at
import (jsonschema issue #1428); nbformat (so papermill) and jupyter_server (so Voilà) import it. pyproject.toml
keeps jsonschema below 4.25; this script shows what that buys, against :data:`BEFORE` (the same script with
jsonschema 4.26.0 and rfc3987-syntax 1.1.0 installed, run on this machine just before).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import liveboard
from benchmarks.bench_report import build_store
from benchmarks.results import record

#: ``liveboard`` and ``liveboard.report`` load their names on first use (lazy_loader): what ``liveboard.open``
#: loads is ``liveboard.workbench``, what a report's kernel loads is ``liveboard.report.session_report``.
MODULES = (
    "nbformat",
    "papermill",
    "jupyter_server.serverapp",
    "voila.app",
    "liveboard",
    "liveboard.workbench",
    "liveboard.report.session_report",
)
#: Seconds, the same script with jsonschema 4.26.0 + rfc3987-syntax 1.1.0 (2026-12-03 17:40 UTC, commit f78db80).
BEFORE: dict[str, float] = {
    "python (nothing imported)": 0.04,
    "import nbformat": 1.50,
    "import papermill": 1.89,
    "import jupyter_server.serverapp": 1.96,
    "import voila.app": 2.08,
    # "import liveboard" was 0.75 and "import liveboard.report" 0.79: both load their names on first use now
    # (lazy_loader), so those rows compare with nothing here.
    "liveboard report ID (command)": 7.52,
}


def wall(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - start


def median_wall(cmd: list[str], repeat: int) -> tuple[float, list[float]]:
    runs = [wall(cmd) for _ in range(repeat)]
    return statistics.median(runs), runs


def installed(dist: str) -> str:
    try:
        return version(dist)
    except PackageNotFoundError:
        return "not installed"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--no-write", action="store_true", help="print only; do not append to RESULTS.md")
    args = ap.parse_args()

    figures: dict[str, tuple[float, list[float]]] = {}
    figures["python (nothing imported)"] = median_wall([sys.executable, "-c", "pass"], args.repeat)
    for module in MODULES:
        figures[f"import {module}"] = median_wall([sys.executable, "-c", f"import {module}"], args.repeat)
    liveboard_cli = str(Path(sys.executable).with_name("liveboard"))
    figures["liveboard --help (command)"] = median_wall([liveboard_cli, "--help"], args.repeat)
    with tempfile.TemporaryDirectory(prefix="bench-imports-") as tmp:
        store = Path(tmp) / "store"
        build_store(store, 1, 0.2)
        sid = str(liveboard.open(store).sessions()["session_id"].iloc[0])
        cmd = [liveboard_cli, "report", sid, "--store", str(store), "--out", str(Path(tmp) / "out"), "--quiet"]
        figures["liveboard report ID (command)"] = median_wall(cmd, max(3, args.repeat // 2))

    lines = [
        f"- jsonschema {installed('jsonschema')}, rfc3987-syntax {installed('rfc3987-syntax')}; each figure a "
        f"fresh process, median of {args.repeat} (the report command: of {max(3, args.repeat // 2)}, one "
        "simulated session at scale 0.2)",
        '- the report command\'s "before" also predates lazy loading and its kernel booting first (2026-12-04): '
        "its gain is not only jsonschema's",
        "",
        "| what | median (s) | runs (s) | before (jsonschema 4.26 + rfc3987-syntax) |",
        "|---|---|---|---|",
    ]
    for what, (med, runs) in figures.items():
        before = f"{BEFORE[what]:.2f} (×{med / BEFORE[what]:.2f})" if what in BEFORE else "—"
        lines.append(f"| {what} | {med:.2f} | {', '.join(f'{r:.2f}' for r in runs)} | {before} |")
    if args.no_write:
        print("\n".join(lines))
    else:
        record("Import time (`benchmarks/bench_imports.py`)", lines)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
