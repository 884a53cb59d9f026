"""Tests of liveboard/kernel_cap.py: a real Voilà server refuses page views beyond its kernel cap, then recovers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from voila_helpers import SMOKE, TRACEBACK_MARKERS, _kernels, _wait_until

from liveboard import serve


def _start_voila(tmp_path: Path, notebooks: Path, *, preheat: bool, max_kernels: int, extra=()) -> tuple:
    import subprocess

    port = serve.find_free_port()
    cmd = serve.voila_command(notebooks, port=port, preheat=preheat, max_kernels=max_kernels)
    # traitlets refuses a setting given twice: the test's own cull timing replaces the default one
    cmd = [a for a in cmd if not a.startswith(("--MappingKernelManager.cull_idle", "--MappingKernelManager.cull_int"))]
    cmd.extend(extra)
    log_path = tmp_path / f"voila-{port}.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            cmd, env=serve.voila_env(tmp_path / "store", base=dict(os.environ)), stdout=log, stderr=subprocess.STDOUT
        )
    try:
        serve.wait_for_port("127.0.0.1", port, timeout=90, proc=proc)
    except (TimeoutError, RuntimeError):
        serve.stop_process_tree(proc)
        raise AssertionError(f"voila did not start:\n{log_path.read_text(errors='replace')}") from None
    return proc, f"http://127.0.0.1:{port}", log_path


def _stop_and_check(proc) -> None:
    """:func:`serve.stop_process_tree`, then every process Voilà had is gone."""
    import psutil

    try:
        tree = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        tree = []
    serve.stop_process_tree(proc)
    _gone, alive = psutil.wait_procs(tree, timeout=15)
    assert alive == [], [p.pid for p in alive]


#: Idle kernels are culled after 3 s (checked every second), so that a test sees the cap free up again.
FAST_CULL = ("--MappingKernelManager.cull_idle_timeout=3", "--MappingKernelManager.cull_interval=1")


@pytest.mark.slow
def test_kernel_cap_refuses_page_views_beyond_it(tmp_path: Path, fixture_notebooks: Path) -> None:
    import httpx

    proc, base, log_path = _start_voila(tmp_path, fixture_notebooks, preheat=False, max_kernels=2, extra=FAST_CULL)
    url = f"{base}/voila/render/{SMOKE}"
    try:
        with httpx.Client(timeout=300) as client:
            assert [client.get(url).status_code for _ in range(2)] == [200, 200]
            busy = client.get(url)
            if busy.status_code == 200:  # one of the first two was culled already: the cap was never hit
                pytest.fail("a kernel was culled before the third page view; the cap was not tested")
            assert busy.status_code == 503, busy.text[:500]
            assert "Too many dashboards open" in busy.text
            assert not any(m in busy.text for m in TRACEBACK_MARKERS)
            assert len(_kernels(proc.pid)) <= 2
            # once idle kernels are culled, page views work again
            _wait_until(lambda: client.get(url).status_code == 200, 120, "a page view works after culling")
        assert "kernels running (the cap)" in log_path.read_text(errors="replace")
    finally:
        _stop_and_check(proc)


@pytest.mark.slow
def test_kernel_cap_counts_preheated_kernels_and_refills_the_pool(tmp_path: Path, fixture_notebooks: Path) -> None:
    """Folder mode preheats one kernel per notebook (2 here): with a cap of 2, the first page view uses its
    pooled kernel, the pool cannot be refilled (the next view gets 503), and once the used kernel is culled
    the pool is topped up and page views work again."""
    import httpx

    proc, base, log_path = _start_voila(tmp_path, fixture_notebooks, preheat=True, max_kernels=2, extra=FAST_CULL)
    url = f"{base}/voila/render/{SMOKE}"
    try:
        _wait_until(lambda: len(_kernels(proc.pid)) == 2, 120, "two preheated kernels")
        with httpx.Client(timeout=300) as client:
            first = client.get(url)
            assert first.status_code == 200, first.text[:500]
            second = client.get(url)
            assert second.status_code in (503, 200), second.text[:500]
            if second.status_code == 200:
                pytest.fail("the second view got a kernel: the first one was culled already, the cap was not tested")
            assert "Too many dashboards open" in second.text
            assert len(_kernels(proc.pid)) <= 2
            _wait_until(lambda: client.get(url).status_code == 200, 180, "page views work again after culling")
        assert len(_kernels(proc.pid)) <= 2
        assert "kernels running (the cap)" in log_path.read_text(errors="replace")
    finally:
        _stop_and_check(proc)
