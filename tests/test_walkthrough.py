"""The analyst's walkthrough notebook runs under nbval against a seeded simulated store."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest

from liveboard.simulator import simulate
from liveboard.store import Store

REPO = Path(__file__).resolve().parents[1]
WALKTHROUGH = REPO / "notebooks" / "analyst_walkthrough.ipynb"


def build_walkthrough_store(root: Path) -> Path:
    """The store the walkthrough's stored outputs were made with: seed 0, 12 sessions, small audience."""
    Store(root, create=True).append(pa.concat_tables(list(simulate(seed=0, scale=0.02))))
    return root


@pytest.mark.notebook
def test_walkthrough_runs_under_nbval(tmp_path, jupyter_env):
    store = build_walkthrough_store(tmp_path / "store")
    env = {**os.environ, **jupyter_env, "LIVEBOARD_STORE": str(store)}
    proc = subprocess.run(
        # -o addopts=: not the project's pytest options (pyproject's xdist workers, for one notebook)
        [
            sys.executable,
            "-m",
            "pytest",
            "--nbval-lax",
            "-p",
            "no:cacheprovider",
            "-o",
            "addopts=",
            "-q",
            str(WALKTHROUGH),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert " passed" in proc.stdout and "failed" not in proc.stdout
