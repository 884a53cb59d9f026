"""The sync and the recorder run their coroutines from any caller: a script, or a notebook's running loop."""

from __future__ import annotations

import asyncio
import threading

from liveboard import aio


async def _where() -> str:
    await asyncio.sleep(0)
    return threading.current_thread().name


def test_run_without_a_loop_runs_here():
    assert aio.run(_where()) == threading.current_thread().name


def test_run_inside_a_running_loop_uses_a_worker_thread():
    async def notebook_cell() -> str:  # what a Jupyter kernel (or Playwright's sync API) looks like
        return aio.run(_where())

    assert asyncio.run(notebook_cell()).startswith("liveboard-aio")
