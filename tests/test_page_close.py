"""Tests of liveboard/page_close.py: a closed tab shuts its kernel down at once (a real Voilà server, Chromium)."""

from __future__ import annotations

import time

import pytest
from voila_helpers import SMOKE


@pytest.mark.browser
@pytest.mark.slow
def test_a_closed_tab_shuts_its_kernel_down(voila_server, page, open_voila, fixture_notebooks, tmp_path) -> None:
    """Voilà's close-page shutdown carries the ``_xsrf`` cookie (liveboard.page_close), so it is not refused
    with 403 and the kernel stops at once, rather than holding a place under the kernel cap until culled."""
    base = voila_server(fixture_notebooks, store=tmp_path / "store", preheat=False)
    open_voila(page, f"{base}/voila/render/{SMOKE}", ".lb-smoke", timeout=180_000)
    assert "_xsrf" in {c["name"] for c in page.context.cookies()}
    kernel = page.evaluate("() => JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId")
    page.close(run_before_unload=True)
    log = voila_server.log(base)
    deadline = time.monotonic() + 30  # the beacon's answer comes after the kernel has stopped
    while f"Kernel shutdown: {kernel}" not in log and "403 POST" not in log and time.monotonic() < deadline:
        log = voila_server.log(base)
    assert "403 POST" not in log, log[-2000:]
    assert f"Kernel shutdown: {kernel}" in log, log[-2000:]
