"""The sync and the recorder run their coroutines from any caller: a script, or a notebook's running loop."""

from __future__ import annotations

import asyncio
import threading

from liveboard import aio


async def _where() -> str:
    await asyncio.sleep(0)
    return threading.current_thread().name


def _in_a_plain_thread(fn):
    """Run ``fn`` in a new thread with no event loop (pytest's main thread may hold one: Playwright's sync
    API, used by the browser tests of the same session, keeps a loop running there)."""
    out: dict = {}
    t = threading.Thread(target=lambda: out.setdefault("value", fn()), name="plain-caller")
    t.start()
    t.join(60)
    return out.get("value")


def test_run_without_a_loop_runs_here():
    assert _in_a_plain_thread(lambda: aio.run(_where())) == "plain-caller"


def test_run_inside_a_running_loop_uses_a_worker_thread():
    async def notebook_cell() -> str:  # what a Jupyter kernel (or Playwright's sync API) looks like
        return aio.run(_where())

    assert _in_a_plain_thread(lambda: asyncio.run(notebook_cell())).startswith("liveboard-aio")
