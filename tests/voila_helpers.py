"""What the tests of a real Voilà server share (tests/test_serve_smoke.py, test_kernel_cap.py, test_page_close.py):
the fixture notebooks' names, what a traceback looks like, and the kernels below a server."""

from __future__ import annotations

SMOKE = "smoke_widgets.ipynb"
TRACEBACK_MARKERS = ("Traceback", "ValueError", "lb-traceback-marker", "lb_private_helper", 'File "')
KERNEL_MARK = "ipykernel"


def _kernels(pid: int) -> list:
    import psutil

    try:
        kids = psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    out = []
    for p in kids:
        try:
            if any(KERNEL_MARK in part for part in p.cmdline()):
                out.append(p)
        except psutil.Error:
            continue
    return out


def _wait_until(condition, timeout: float, what: str):
    """Poll ``condition`` until it returns something truthy; fail (naming ``what``) after ``timeout`` s."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:.0f} s: {what}")
        time.sleep(0.2)
