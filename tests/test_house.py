"""House rules a machine can check (docs/DEVELOPING.md): no module over 700 lines, no function over 120, and
tests that mirror the modules (``liveboard/x.py`` → ``tests/test_x.py``).

The modules and functions still over the limits, and the modules still tested in a file named otherwise, are
listed by name. The lists may only shrink: a test fails when something new goes over (or a new module has no
test file of its own), and another when a listed one has come under (or got its own test file), so its entry
is taken out.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "liveboard"
MODULE_LINES = 700
FUNCTION_LINES = 120

#: Modules over MODULE_LINES today (issue "One house" takes them apart).
STILL_LONG_MODULES: set[str] = set()
#: Functions over FUNCTION_LINES today, as ``module:qualified name``.
STILL_LONG_FUNCTIONS: set[str] = set()


def _modules() -> dict[str, str]:
    return {p.relative_to(PACKAGE).as_posix(): p.read_text(encoding="utf-8") for p in sorted(PACKAGE.rglob("*.py"))}


def _functions(text: str) -> dict[str, int]:
    """Qualified name → length in lines of every function and method (nested ones too)."""
    found: dict[str, int] = {}

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = f"{prefix}{child.name}"
                found[name] = child.end_lineno - child.lineno + 1
                visit(child, f"{name}.")
            elif isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.")
            else:
                visit(child, prefix)

    visit(ast.parse(text), "")
    return found


def _long_modules() -> set[str]:
    return {name for name, text in _modules().items() if len(text.splitlines()) > MODULE_LINES}


def _long_functions() -> set[str]:
    return {
        f"{name}:{func}"
        for name, text in _modules().items()
        for func, length in _functions(text).items()
        if length > FUNCTION_LINES
    }


def test_the_checker_measures_what_it_says():
    text = "class A:\n    def f(self):\n" + "        x = 1\n" * 130 + "def g():\n    return 1\n"
    lengths = _functions(text)
    assert lengths == {"A.f": 131, "g": 2}


@pytest.mark.parametrize(
    ("found", "listed", "what"),
    [
        (_long_modules, STILL_LONG_MODULES, f"module over {MODULE_LINES} lines"),
        (_long_functions, STILL_LONG_FUNCTIONS, f"function over {FUNCTION_LINES} lines"),
    ],
    ids=["modules", "functions"],
)
def test_nothing_new_goes_over_and_the_lists_only_shrink(found, listed, what):
    now = found()
    assert not now - listed, f"new {what} (split it): {sorted(now - listed)}"
    assert not listed - now, f"no longer a {what}: take it out of the list in this file: {sorted(listed - now)}"


def test_environment_yml_lists_every_dependency():
    """``environment.yml`` stays in step with ``pyproject.toml``: every run-time dependency is listed by name."""
    import re
    import tomllib

    root = PACKAGE.parent
    deps = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    wanted = {re.split(r"[<>=!~\[; ]", d, maxsplit=1)[0].lower() for d in deps}
    listed = {
        m.group(1).lower()
        for m in re.finditer(
            r"^\s+- ([A-Za-z0-9_.-]+)\s*(?:#.*)?$", (root / "environment.yml").read_text("utf-8"), re.M
        )
    }
    assert wanted <= listed, sorted(wanted - listed)


# --------------------------------------------------------------------------- tests mirror the modules

TESTS = PACKAGE.parent / "tests"
#: Subpackages tested as one unit: every module in them is covered by ``tests/test_<subpackage>*.py``.
UNITS = {"eventlog", "live", "provenance", "recorder", "report", "simulator", "store"}

#: Modules (or units, as ``name/``) without a test file named after them, with the file that tests them today.
#: The list may only shrink: give a module its own ``tests/test_<module>.py`` and take its entry out.
TESTED_ELSEWHERE: dict[str, str] = {}


def _units() -> set[str]:
    """Every module of the package (``__init__.py`` aside), a subpackage of UNITS as one ``name/``."""
    found = set()
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE)
        if rel.name == "__init__.py":
            continue
        found.add(f"{rel.parts[0]}/" if rel.parts[0] in UNITS else rel.as_posix())
    return found


#: Modules whose name makes no test name: ``liveboard/__main__.py`` (``python -m liveboard``) is mirrored by
#: ``tests/test_main.py``, not ``test___main__.py``.
MIRROR_NAMES = {"__main__": "main"}


def _own_test_files(unit: str) -> list[Path]:
    """The test files named after a unit: ``test_<m>.py`` / ``test_<m>_*.py`` for a module ``m.py`` or a unit
    ``m/``; for ``pkg/m.py`` also ``test_<pkg>_<m>*.py``, ``test_<m>_<pkg>*.py`` or ``test_<m>.py``. A top-level
    module of MIRROR_NAMES goes by its name there (``__main__.py`` → ``test_main.py``)."""
    parts = unit.removesuffix("/").removesuffix(".py").split("/")
    if len(parts) == 1:
        name = MIRROR_NAMES.get(parts[0], parts[0])
        patterns = [f"test_{name}.py", f"test_{name}_*.py"]
    else:
        pkg, name = parts[-2], parts[-1]
        patterns = [f"test_{pkg}_{name}*.py", f"test_{name}_{pkg}*.py", f"test_{name}.py"]
    return sorted({p for pattern in patterns for p in TESTS.glob(pattern)})


def _mentions(text: str, unit: str) -> bool:
    """Whether a test file names the unit: ``liveboard.a.b`` or ``from liveboard.a import b`` (``python -m
    liveboard`` for ``__main__.py``)."""
    import re

    parts = ["liveboard", *unit.removesuffix("/").removesuffix(".py").split("/")]
    if parts[-1] == "__main__":
        return bool(re.search(r"""-m["',\s]+liveboard\b""", text))
    dotted = re.escape(".".join(parts))
    parent, name = re.escape(".".join(parts[:-1])), re.escape(parts[-1])
    imported = rf"from {parent} import (?:\([^)]*\b{name}\b[^)]*\)|[^\n(]*\b{name}\b)"
    return bool(re.search(rf"\b{dotted}\b", text) or re.search(imported, text))


def test_the_mirror_checker_reads_names_as_it_says():
    assert _mentions("from liveboard import cells, sheets\n", "sheets.py")
    assert _mentions("from liveboard.views import (\n    charts,\n    widgets,\n)\n", "views/widgets.py")
    assert _mentions("import liveboard.provenance.plan\n", "provenance/")
    assert not _mentions("from liveboard import cells\nx = '{}'.format(1)\n", "format.py")
    assert not _mentions("from liveboard.views import format\n", "format.py")
    assert [p.name for p in _own_test_files("views/board.py")] == ["test_board_views.py"]
    assert [p.name for p in _own_test_files("__main__.py")] == ["test_main.py"]
    assert _mentions('[sys.executable, "-m", "liveboard", "sessions"]', "__main__.py")


def test_every_module_has_a_test_file_named_after_it_or_is_listed():
    units = _units()
    bare = sorted(u for u in units if not _own_test_files(u) and u not in TESTED_ELSEWHERE)
    assert not bare, f"modules without tests/test_<module>.py (write one, or list it in TESTED_ELSEWHERE): {bare}"
    mirrored = sorted(u for u in TESTED_ELSEWHERE if _own_test_files(u))
    assert not mirrored, f"these have their own test file now: take them out of TESTED_ELSEWHERE: {mirrored}"
    assert not set(TESTED_ELSEWHERE) - units, f"no such module: {sorted(set(TESTED_ELSEWHERE) - units)}"
    wrong = {
        u: f
        for u, f in TESTED_ELSEWHERE.items()
        if not (PACKAGE.parent / f).is_file() or not _mentions((PACKAGE.parent / f).read_text(encoding="utf-8"), u)
    }
    assert not wrong, f"listed test files that are missing or do not name their module: {wrong}"
