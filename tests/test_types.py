"""The package type-checks (issue "One house"): mypy, configured by pyproject.toml's ``[tool.mypy]``, finds no
error in it, and the same check fails on code with a type error.

mypy runs in a process of its own, from the repository root, the way ``mypy`` is run by hand; its cache is
the default ``.mypy_cache`` there (ignored by git), so a second run checks only what changed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = ROOT / "pyproject.toml"


def _mypy(*args: str) -> tuple[int, str]:
    """``python -m mypy`` with ``args`` from the repository root: its code and report."""
    run = subprocess.run(
        [sys.executable, "-m", "mypy", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    return run.returncode, run.stdout + run.stderr


@pytest.mark.slow
def test_the_package_type_checks():
    code, report = _mypy()
    assert code == 0, report
    assert "Success: no issues found" in report, report


def test_a_type_error_fails_the_check(tmp_path):
    """The same configuration fails on a module with a type error (and names it)."""
    bad = tmp_path / "wrong_on_purpose.py"
    bad.write_text('x: int = "a"\n', encoding="utf-8")
    code, report = _mypy("--config-file", str(PYPROJECT), "--cache-dir", str(tmp_path / "cache"), str(bad))
    assert code == 1, report
    assert "wrong_on_purpose.py:1: error: Incompatible types in assignment" in report, report
    assert "liveboard" not in report, report  # only the file given was checked
