"""First render of each page, side by side with a one-figure bqplot notebook on plain Voilà (issue "One house", 7).

Two servers run at once on the same machine:

* **ours**: Voilà exactly as ``liveboard serve`` runs it (:func:`liveboard.serve.voila_command` on the package's
  dashboards: preheated pool, kernel cap, culling) over the demo store ``liveboard serve --demo`` builds;
* **baseline**: plain ``voila`` (its defaults: no pool) on a notebook holding one bqplot figure of three points.

Each round navigates a fresh browser context to the baseline, then to each page of ours, alternately, so the
machine's load falls on both alike. A navigation's time runs from ``goto`` to the page's own marker visible
(Voilà's ``#loading`` gone first). ``--gap`` seconds pass between rounds: a preheated pool refills by
executing the notebook again, and the first figures of the list show whether it did in time. Kernels of closed
pages are shut down as the tab closes (``liveboard.page_close``).

Run: ``.venv/bin/python -m benchmarks.bench_first_render [--rounds 5] [--gap 10] [--no-write]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.results import record
from liveboard.cli import build_demo_store
from liveboard.serve import (
    NOTEBOOKS_DIR,
    find_free_port,
    stop_process_tree,
    voila_command,
    voila_env,
    wait_for_port,
)

BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking"]
ONE_FIGURE = {
    "cells": [
        {
            "cell_type": "code",
            "execution_count": None,
            "metadata": {},
            "outputs": [],
            "source": [
                "import bqplot as bq\n",
                "x = bq.LinearScale(); y = bq.LinearScale()\n",
                "bq.Figure(marks=[bq.Lines(x=[1, 2, 3], y=[1, 3, 2], scales={'x': x, 'y': y})],\n",
                "          axes=[bq.Axis(scale=x), bq.Axis(scale=y, side='left')])",
            ],
        }
    ],
    "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
    "nbformat": 4,
    "nbformat_minor": 5,
}


@dataclass(frozen=True)
class Target:
    name: str
    url: str
    marker: str


def _isolated_env(env: dict[str, str], tmp: Path) -> dict[str, str]:
    """Jupyter's own folders in a scratch place: the user's configuration must not tilt either side."""
    for key, sub in (("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_DATA_DIR", "data"), ("JUPYTER_RUNTIME_DIR", "rt")):
        env[key] = str(tmp / sub)
    env["IPYTHONDIR"] = str(tmp / "ipython")
    return env


def _start(cmd: list[str], env: dict[str, str], tmp: Path, port: int) -> subprocess.Popen:
    log = (tmp / f"voila-{port}.log").open("wb")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=tmp, start_new_session=True)
    wait_for_port("127.0.0.1", port, 90, proc=proc)
    return proc


def navigate(browser, target: Target) -> float:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    ctx.route("**/cdn.jsdelivr.net/**", lambda r: r.abort())
    page = ctx.new_page()
    try:
        t0 = time.monotonic()
        page.goto(target.url, wait_until="domcontentloaded", timeout=180_000)
        page.wait_for_selector("#loading", state="hidden", timeout=180_000)
        page.wait_for_selector(target.marker, state="visible", timeout=180_000)
        return time.monotonic() - t0
    finally:
        page.close(run_before_unload=True)  # as a tab is closed: Voilà shuts its kernel down
        ctx.close()


def run(rounds: int, gap: float) -> dict[str, list[float]]:
    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="bench-first-render-"))
    store = tmp / "store"
    build_demo_store(store)
    (tmp / "plain").mkdir()
    (tmp / "plain" / "one_figure.ipynb").write_text(json.dumps(ONE_FIGURE))
    ours_port, plain_port = find_free_port(), find_free_port()
    ours = _start(
        voila_command(NOTEBOOKS_DIR, port=ours_port), _isolated_env(voila_env(store), tmp / "j1"), tmp, ours_port
    )
    plain_cmd = [sys.executable, "-m", "voila", str(tmp / "plain" / "one_figure.ipynb"), f"--port={plain_port}"]
    plain_cmd += ["--Voila.ip=127.0.0.1", "--no-browser", "--Voila.port_retries=0"]
    plain = _start(plain_cmd, _isolated_env(voila_env(store), tmp / "j2"), tmp, plain_port)
    base = f"http://127.0.0.1:{ours_port}/voila/render"
    targets = [
        Target("baseline: one bqplot figure, plain Voilà", f"http://127.0.0.1:{plain_port}/", ".bqplot svg"),
        Target(
            "LIVE Analytics",
            f"{base}/live_analytics.ipynb",
            ".lb-sessions-table table.lb-sessions, .lb-account-row button.lb-account-name",
        ),
        Target("LIVE Board (demo LIVE)", f"{base}/live_board.ipynb", ".lb-board .lb-card-views .lb-card-value"),
    ]
    times: dict[str, list[float]] = {t.name: [] for t in targets}
    try:
        time.sleep(gap)  # the pool executes the notebook once at start: the first round finds it ready
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=BROWSER_ARGS)
            for i in range(rounds):
                for target in targets:
                    times[target.name].append(navigate(browser, target))
                if i < rounds - 1:
                    time.sleep(gap)
            browser.close()
    finally:
        stop_process_tree(ours)
        stop_process_tree(plain)
    return times


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--gap", type=float, default=10.0, help="seconds between rounds (the pool refills)")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    rounds = max(1, args.rounds)
    times = run(rounds, args.gap)
    baseline = statistics.median(next(iter(times.values())))
    lines = [
        f"- {rounds} rounds, {args.gap:g} s between rounds; each navigation: a fresh Chromium context, `goto` →"
        " `#loading` gone → the page's marker visible",
        "",
        "| page | median (s) | each navigation (s) | against the baseline |",
        "|---|---|---|---|",
    ]
    for name, values in times.items():
        med = statistics.median(values)
        each = ", ".join(f"{v:.2f}" for v in values)
        lines.append(f"| {name} | {med:.2f} | {each} | {med / baseline:.2f}× |")
    if args.no_write:
        print("\n".join(lines))
    else:
        record("First render against a one-figure notebook on plain Voilà (`benchmarks/bench_first_render.py`)", lines)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
