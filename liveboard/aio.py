"""Running a coroutine to completion from synchronous code, wherever that code is called from.

``asyncio.run`` refuses to start while an event loop is running in the thread — and one is, in a Jupyter
kernel (an analyst calling the sync or the recorder from a notebook) and under Playwright's sync API. Then
the coroutine runs in a worker thread with a loop of its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(coro)``, in a worker thread when this thread already runs a loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with ThreadPoolExecutor(1, thread_name_prefix="liveboard-aio") as pool:
        return pool.submit(asyncio.run, coro).result()
