"""The layers hold (issue "One house"): the import-linter contracts of pyproject.toml are kept, a broken one
is caught, and the package has no import cycle.

Imports inside functions count as much as those at the top of a module (they run too); imports under
``if TYPE_CHECKING:`` do not (they never run).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = ROOT / "pyproject.toml"


def _lint(config: Path) -> tuple[int, str]:
    """``lint-imports`` on ``config``: its code and report.

    In a process of its own: import-linter configures logging with a ``dictConfig`` that disables every
    logger already made, which would silence other tests' loggers (httpx's) in this worker.
    """
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    run = subprocess.run(
        [sys.executable, "-c", "from importlinter.cli import lint_imports_command as c; c()"]
        + ["--config", str(config), "--no-cache"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,
    )
    return run.returncode, run.stdout + run.stderr


@pytest.fixture(autouse=True)
def _package_on_path(monkeypatch):
    """The package analysed is this checkout's (the one the tests import)."""
    monkeypatch.syspath_prepend(str(ROOT))


def test_the_contracts_in_pyproject_are_kept():
    code, report = _lint(PYPROJECT)
    assert code == 0, report
    assert "2 kept, 0 broken" in report, report


def test_a_broken_contract_fails(tmp_path):
    """The same machinery fails on a contract the code breaks: the pages above the views, turned upside down."""
    config = tmp_path / "broken.toml"
    config.write_text(
        '[tool.importlinter]\nroot_package = "liveboard"\n\n'
        '[[tool.importlinter.contracts]]\nname = "views above pages (wrong on purpose)"\ntype = "layers"\n'
        'layers = ["liveboard.views", "liveboard.pages"]\n',
        encoding="utf-8",
    )
    code, report = _lint(config)
    assert code == 1 and "BROKEN" in report and "liveboard.pages" in report, report


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, ()))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                part = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    part.append(top)
                    if top == node:
                        break
                if len(part) > 1:
                    found.append(sorted(part))
    return found


def test_the_cycle_finder_finds_cycles():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    sys.path.insert(0, str(ROOT))
    try:
        return grimp.build_graph("liveboard", exclude_type_checking_imports=True, cache_dir=None)
    finally:
        sys.path.remove(str(ROOT))


def test_no_import_cycles_between_modules(graph):
    edges = {m: set(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    assert _cycles(edges) == []


def test_no_import_cycles_between_subpackages(graph):
    """``liveboard.store`` ↔ ``liveboard.workbench`` was one: a subpackage counts as one node here."""

    def part(module: str) -> str:
        return ".".join(module.split(".")[:2])

    edges: dict[str, set[str]] = defaultdict(set)
    for m in graph.modules:
        for imported in graph.find_modules_directly_imported_by(m):
            if part(m) != part(imported):
                edges[part(m)].add(part(imported))
    assert _cycles(dict(edges)) == []
