"""A cap on the number of kernels Voilà runs at once.

Every page view of a dashboard starts a kernel (~250 MB with pandas, DuckDB and bqplot loaded), so ten open
tabs cost gigabytes. Neither Voilà 0.5.13 (``VoilaConfiguration``, ``VoilaKernelManager``) nor
jupyter_server 2.21 / jupyter_client 8 (``MappingKernelManager``, ``MultiKernelManager``) has a limit on
the kernel count — only idle culling, which ``liveboard serve`` also turns on. So ``liveboard serve`` gives
Voilà this kernel manager (``--VoilaConfiguration.multi_kernel_manager_class``): once ``max_kernels``
kernels run (preheated ones included), a new page view gets "503 Too many dashboards open" instead of a
kernel, until one is culled (idle 2 min) or its tab is closed.

A preheated pool that could not be refilled at the cap (its next page view gets the 503) is refilled as soon
as a kernel shuts down (culled, or its tab closed), so preheating survives a busy moment.
"""

from __future__ import annotations

import asyncio

from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from tornado import web
from traitlets import Integer

#: The reason phrase of the 503 page.
BUSY_REASON = "Too many dashboards open"


class CappedKernelManager(AsyncMappingKernelManager):
    """jupyter_server's kernel manager with a maximum number of kernels running at once."""

    max_kernels = Integer(
        8,
        config=True,
        help="Most kernels running at once, preheated ones included; a page view beyond gets HTTP 503. 0: no cap.",
    )

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._reserved: set[str] = set()  # kernels being started: counted before they are registered
        self._stopping = False

    def kernel_count(self) -> int:
        """Kernels running, starting or being started."""
        return len(set(self._kernels) | set(self._pending_kernels) | self._reserved)

    # jupyter_client types start_kernel, shutdown_kernel and shutdown_all as the sync MultiKernelManager's
    # (run_sync wrappers); in the async managers this class derives from they are coroutines, as here.
    async def start_kernel(self, *, kernel_id: str | None = None, **kwargs) -> str:  # type: ignore[override]
        if kernel_id is not None and kernel_id in self:
            return await super().start_kernel(kernel_id=kernel_id, **kwargs)
        if self.max_kernels > 0 and self.kernel_count() >= self.max_kernels:
            self.log.warning("liveboard: %d kernels running (the cap): page view refused with 503", self.max_kernels)
            raise web.HTTPError(503, "kernel cap of %d reached", self.max_kernels, reason=BUSY_REASON)
        kernel_id = kernel_id or self.new_kernel_id(**kwargs)
        self._reserved.add(kernel_id)  # before the first await: concurrent page views see it
        try:
            return await super().start_kernel(kernel_id=kernel_id, **kwargs)
        finally:
            self._reserved.discard(kernel_id)

    async def shutdown_kernel(self, kernel_id: str, *args, **kwargs):  # type: ignore[override]  # (see above)
        result = await super().shutdown_kernel(kernel_id, *args, **kwargs)
        self._refill_pools()
        return result

    async def shutdown_all(self, *args, **kwargs) -> None:  # type: ignore[override]  # (see above)
        self._stopping = True  # the server stops: no pool is topped up any more
        await super().shutdown_all(*args, **kwargs)

    def _refill_pools(self) -> None:
        """Room again: drop pool entries that failed at the cap, and let Voilà's preheating top up each pool
        (a pool whose failed entry a page view already took is empty, and Voilà refills only after a use)."""
        pools = getattr(self, "_pools", None)  # set by Voilà's preheating subclass of this class
        fill = getattr(self, "fill_if_needed", None)
        if not pools or fill is None or self._stopping:
            return
        for name, pool in list(pools.items()):
            pool[:] = [t for t in pool if not (isinstance(t, asyncio.Future) and t.done() and _failed(t))]
            fill(notebook_name=name)  # starts only what is missing


def _failed(task: asyncio.Future) -> bool:
    return task.cancelled() or task.exception() is not None
