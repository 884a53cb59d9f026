"""House rules a machine can check (docs/DEVELOPING.md): no module over 700 lines, no function over 120.

The modules and functions still over the limits are listed by name. The lists may only shrink: a test fails
when something new goes over, and another when a listed one has come under (so its entry is taken out).
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
