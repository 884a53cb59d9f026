"""The wheel is the product: built from this checkout, installed into a fresh venv, run from an empty folder.

Nothing here imports the checkout: the venv has the wheel (not an editable install) and its dependencies
from the package index, pinned by constraints.txt, and every command runs from a temporary folder, so a
notebook or template that is looked up outside the installed package makes these tests fail.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from liveboard.serve import find_free_port, wait_for_port

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def _run(cmd: list[str], *, cwd: Path, env: dict[str, str] | None = None, timeout: float = 900) -> str:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} exited {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc.stdout


#: Never built from: caches anywhere, and at the top the checkout's venv, build output and what tests and
#: the demo leave there (the git-ignored paths).
ANYWHERE = {"__pycache__", ".hypothesis", ".pytest_cache", ".ruff_cache"}
AT_TOP = {".git", ".venv", "build", "dist", "test-artifacts", "reports"}
IN_DATA = {"store", "demo"}


def _not_source(folder: str, names: list[str]) -> set[str]:
    here = Path(folder)
    skip = {n for n in names if n in ANYWHERE or n.endswith(".egg-info")}
    if here == REPO:
        skip |= AT_TOP & set(names)
    elif here == REPO / "data":
        skip |= IN_DATA & set(names)
    return skip


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A fresh venv holding the wheel of this checkout; returns its ``liveboard`` and ``python``.

    The wheel is built from a copy of the checkout's files: setuptools builds in the source tree (``build/``,
    ``liveboard.egg-info/``), which would let an old ``build/lib`` leak files into the wheel and would
    rewrite files other tests (on other xdist workers) may be reading. The venv is made without pip: this
    interpreter's pip installs into it (``--python``), the wheel and every dependency from the package
    index, as a user's ``pip install`` does (byte-compiled too: with PYTHONDONTWRITEBYTECODE set, as here,
    every later process would compile what it imports again).
    """
    root = tmp_path_factory.mktemp("wheel")
    src = root / "src"
    shutil.copytree(REPO, src, symlinks=True, ignore=_not_source)
    dist = root / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist), str(src)], cwd=root)
    wheels = list(dist.glob("liveboard-*.whl"))
    assert len(wheels) == 1, wheels
    venv = root / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=root)
    python = venv / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "-q"]
    _run([*pip, "-c", str(REPO / "constraints.txt"), str(wheels[0])], cwd=root)
    # only the wheel and what it depends on: not the checkout, nor the test tools of this venv
    listed = _run([*pip[:5], "list", "--format", "json"], cwd=root)
    names = {d["name"].lower() for d in json.loads(listed)}
    assert "liveboard" in names and "voila" in names and "pytest" not in names, sorted(names)
    return {"wheel": wheels[0], "python": python, "liveboard": venv / "bin" / "liveboard"}


def test_wheel_ships_every_notebook(installed) -> None:
    names = zipfile.ZipFile(installed["wheel"]).namelist()
    shipped = {Path(n).name for n in names if n.endswith(".ipynb")}
    assert shipped == {p.name for p in (REPO / "notebooks").glob("*.ipynb")}
    # the presentation layer: every template, the one stylesheet, and the Voilà page template
    package = REPO / "liveboard"
    wanted = {
        p.relative_to(REPO).as_posix()
        for pattern in ("templates/**/*.j2", "static/*", "jupyter/voila/templates/liveboard/*")
        for p in package.glob(pattern)
    }
    assert "liveboard/static/liveboard.css" in wanted and "liveboard/templates/components.html.j2" in wanted
    assert wanted <= set(names), sorted(wanted - set(names))
    # the installed package is not the checkout
    where = _run(
        [str(installed["python"]), "-c", "import liveboard, pathlib; print(pathlib.Path(liveboard.__file__).parent)"],
        cwd=installed["python"].parents[2],
    ).strip()
    assert "site-packages" in where and not where.startswith(str(REPO))


def test_installed_report_runs_from_any_folder(installed, tmp_path: Path) -> None:
    work = tmp_path / "somewhere"
    work.mkdir()
    lb = str(installed["liveboard"])
    _run([lb, "simulate", "--out", "logs", "--sessions", "1", "--accounts", "1", "--scale", "0.2"], cwd=work)
    _run([lb, "import", "logs", "--store", "store"], cwd=work)
    sessions = json.loads(_run([lb, "sessions", "--store", "store", "--format", "json"], cwd=work))
    sid = sessions[0]["session_id"]
    out = _run([lb, "report", sid, "--store", "store", "--out", "reports", "--quiet"], cwd=work)
    assert "1 report(s) written" in out
    pages = [p for p in (work / "reports").glob("*.html") if p.name != "index.html"]
    assert len(pages) == 1 and (work / "reports" / "index.html").is_file()
    assert "<svg" in pages[0].read_text()  # the charts were drawn, from the installed template


@pytest.mark.browser
def test_installed_serve_shows_the_dashboards(installed, tmp_path: Path, page, open_voila, open_sessions_list) -> None:
    work = tmp_path / "elsewhere"
    work.mkdir()
    port = find_free_port()
    env = {**os.environ, "LIVEBOARD_DEMO_PERSIST": "0"}
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen(
        [str(installed["liveboard"]), "serve", "--demo", "--store", "store", "--port", str(port)],
        cwd=work,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_for_port("127.0.0.1", port, timeout=300, proc=proc)
        base = f"http://127.0.0.1:{port}/voila/render"
        open_sessions_list(page, f"{base}/live_analytics.ipynb")
        assert "LIVE" in page.locator(".lb-sessions-table").inner_text()
        open_voila(page, f"{base}/live_board.ipynb", ".lb-board")
    finally:
        os.killpg(proc.pid, 15)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait(timeout=10)
        log.close()
