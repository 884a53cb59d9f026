"""Smoke tests of ``liveboard.serve``: the Voilà command line, and a real Voilà server driven by Chromium."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from liveboard import serve

SMOKE = "smoke_widgets.ipynb"
ERROR = "smoke_error.ipynb"
TRACEBACK_MARKERS = ("Traceback", "ValueError", "lb-traceback-marker", "lb_private_helper", 'File "')


# --------------------------------------------------------------------------- unit: the command line


def test_voila_command_flags(tmp_path: Path) -> None:
    cmd = serve.voila_command(tmp_path, port=9999, host="127.0.0.1")
    assert cmd[:3] == [sys.executable, "-m", "voila"]
    assert cmd[3] == str(tmp_path)
    assert "--Voila.ip=127.0.0.1" in cmd
    assert "--port=9999" in cmd
    assert "--no-browser" in cmd
    assert "--show_tracebacks=False" in cmd
    assert "--MappingKernelManager.cull_idle_timeout=120" in cmd
    assert "--MappingKernelManager.cull_interval=30" in cmd
    assert "--MappingKernelManager.cull_connected=True" in cmd
    assert not any(a.startswith("--show_tracebacks=True") or a == "--debug" for a in cmd)
    assert "--preheat_kernel=True" in cmd and "--pool_size=1" in cmd
    assert "--Voila.port_retries=0" in cmd


def test_voila_command_defaults_and_extra(tmp_path: Path) -> None:
    cmd = serve.voila_command(tmp_path, port=8866, open_browser=True, preheat=False, extra=("--theme=dark",))
    assert "--Voila.ip=127.0.0.1" in cmd  # bound to loopback unless asked
    assert "--no-browser" not in cmd
    assert not any(a.startswith("--preheat_kernel") for a in cmd)
    assert cmd[-1] == "--theme=dark"


def test_voila_env_sets_absolute_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    env = serve.voila_env(Path("store"), base={"PATH": "/bin"})
    assert env == {"PATH": "/bin", "LIVEBOARD_STORE": str(tmp_path / "store"), "JUPYTER_PATH": str(serve.TEMPLATE_ROOT)}


def test_default_notebooks_dir_is_repo_notebooks() -> None:
    # one copy: the developers' notebooks/ is a link to the package's dashboards
    assert serve.NOTEBOOKS_DIR == (Path(__file__).resolve().parents[1] / "notebooks").resolve()
    assert (serve.NOTEBOOKS_DIR / "live_board.ipynb").is_file()


def test_wait_for_port_times_out_fast() -> None:
    port = serve.find_free_port()
    with pytest.raises(TimeoutError):
        serve.wait_for_port("127.0.0.1", port, timeout=0.3)


# --------------------------------------------------------------------------- browser: a real server


PREHEAT = pytest.mark.parametrize("preheat", [True, False], ids=["preheat", "cold"])


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


@pytest.mark.browser
@pytest.mark.slow
@PREHEAT
def test_smoke_widgets_render(
    voila_server, page, open_voila, fixture_notebooks, artifacts_dir, console_errors, tmp_path, preheat
) -> None:
    store = tmp_path / "the-store"
    base = voila_server(fixture_notebooks, store=store, preheat=preheat)
    seconds = open_voila(page, f"{base}/voila/render/{SMOKE}", ".lb-smoke", timeout=180_000)
    print(
        f"[preheat={preheat}] voila port open {voila_server.startup_seconds[base]:.2f} s; first render {seconds:.2f} s"
    )

    assert page.inner_text(".lb-smoke") == "lb smoke figure: 20 points"

    page.wait_for_selector(".bqplot svg path.line", state="attached")
    d_values = page.eval_on_selector_all(".bqplot svg path.line", "els => els.map(e => e.getAttribute('d') || '')")
    assert any(d.strip() for d in d_values), d_values

    # LIVEBOARD_STORE reached the kernel, as an absolute path.
    assert page.inner_text(".lb-store") == str(store.resolve())

    page.screenshot(
        path=str(artifacts_dir / f"serve_smoke_widgets_{'preheat' if preheat else 'cold'}.png"), full_page=True
    )
    assert not [e for e in console_errors if "ERR_FAILED" not in e], console_errors


@pytest.mark.browser
@pytest.mark.slow
@PREHEAT
def test_error_notebook_hides_traceback(
    voila_server, page, open_voila, fixture_notebooks, artifacts_dir, preheat
) -> None:
    base = voila_server(fixture_notebooks / ERROR, preheat=preheat)
    # cold: the page comes only once the kernel has run to the error (imports included), slow on a loaded machine
    open_voila(page, base, ".lb-before-error", timeout=180_000)
    text = page.inner_text("body")
    page.screenshot(
        path=str(artifacts_dir / f"serve_smoke_error_{'preheat' if preheat else 'cold'}.png"), full_page=True
    )
    assert "There was an error when executing cell" in text
    html = page.content()
    for marker in TRACEBACK_MARKERS:
        assert marker not in text, f"{marker!r} visible in the page"
        assert marker not in html, f"{marker!r} sent to the browser"


# --------------------------------------------------------------------------- stopping, and the kernel cap

KERNEL_MARK = "ipykernel"


def test_voila_command_caps_kernels(tmp_path: Path) -> None:
    cmd = serve.voila_command(tmp_path, port=9999)
    assert f"--VoilaConfiguration.multi_kernel_manager_class={serve.KERNEL_MANAGER}" in cmd
    assert f"--CappedKernelManager.max_kernels={serve.DEFAULT_MAX_KERNELS}" in cmd
    assert "--CappedKernelManager.max_kernels=3" in serve.voila_command(tmp_path, port=9999, max_kernels=3)


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


def _port_free(port: int) -> bool:
    """A new server could listen on ``port``: nothing listens there any more.

    With SO_REUSEADDR, as every server sets it (tornado, so Voilà, too): a connection that lingers in
    TIME_WAIT on that port number does not count. That one may not even be Voilà's: the port was free for
    anyone when Voilà stopped, and another process's outgoing connection (Chromium, a kernel, another test
    on another xdist worker) can get it as its ephemeral port.
    """
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            s.listen()
        except OSError:
            return False
    return True


def _tiny_store(root: Path) -> Path:
    from logbuilder import LogBuilder, import_files

    log = LogBuilder("serve1")
    log.start(0, account_id="shop.name", title="Tiny LIVE")
    log.enter(5, "u1")
    log.order(30, "o1", "u1", amount="9.90")
    log.end(600)
    import_files(root, [log.write(root.parent / "serve1.jsonl")])
    return root


@pytest.mark.slow
@pytest.mark.parametrize(
    ("signum", "page"), [(15, True), (2, False)], ids=["sigterm-after-a-page-view", "sigint-preheated-only"]
)
def test_serve_stops_voila_and_its_kernels(tmp_path: Path, signum: int, page: bool) -> None:
    """``liveboard serve`` on SIGTERM / Ctrl-C: it exits, no kernel or Voilà process is left, the port is free."""
    import subprocess

    import httpx
    import psutil

    store = _tiny_store(tmp_path / "store")
    port = serve.find_free_port()
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "liveboard", "serve", "--store", str(store), "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
        )
    try:
        serve.wait_for_port("127.0.0.1", port, timeout=90, proc=proc)
        if page:  # a plain GET of a dashboard: it runs in a kernel (the preheated one, then a refill starts)
            r = httpx.get(f"http://127.0.0.1:{port}/voila/render/live_analytics.ipynb", timeout=300)
            assert r.status_code == 200, r.text[:500]
        kernels = _wait_until(lambda: _kernels(proc.pid), 120, "a kernel runs (LIVE Analytics is preheated)")
        tree = psutil.Process(proc.pid).children(recursive=True)
        assert len(tree) > len(kernels)  # Voilà itself, and its kernels
        proc.send_signal(signum)
        assert proc.wait(timeout=60) == 128 + signum, log_path.read_text(errors="replace")
        _gone, alive = psutil.wait_procs(tree, timeout=15)
        assert alive == [], [p.cmdline() for p in alive if p.is_running()]
        _wait_until(lambda: _port_free(port), 15, f"port {port} free again")
        text = log_path.read_text(errors="replace")
        assert "stopping Voilà and its kernels" in text, text
        # no traceback of ours (a kernel stopped while it still imports may print its KeyboardInterrupt)
        assert "liveboard/serve.py" not in text and "liveboard/cli.py" not in text, text
    finally:
        serve.stop_process_tree(proc)  # after a failure: the CLI, Voilà below it and every kernel


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


STUBBORN = r"""
import os, signal, subprocess, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)  # like Voilà 0.5.13 with its event loop pinned
env = {**os.environ, "JPY_PARENT_PID": str(os.getpid())}
# a "kernel": its own session, as jupyter_client starts kernels, and it ignores SIGTERM too
kid = subprocess.Popen([sys.executable, "-c", "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
                        "print('ipykernel-stand-in', flush=True); time.sleep(600)"], env=env, start_new_session=True)
print(kid.pid, flush=True)
time.sleep(600)
"""


def test_stop_process_tree_kills_a_stubborn_server_and_its_kernels(tmp_path: Path) -> None:
    """A server that ignores SIGTERM, with a kernel in a session of its own: both are gone afterwards."""
    import subprocess

    import psutil

    proc = subprocess.Popen([sys.executable, "-c", STUBBORN], stdout=subprocess.PIPE, text=True, start_new_session=True)
    kernel = psutil.Process(int(proc.stdout.readline()))
    assert kernel.is_running() and os.getpgid(kernel.pid) != os.getpgid(proc.pid)
    assert serve.stop_process_tree(proc, timeout=1.0) == -9  # SIGTERM ignored: killed
    _gone, alive = psutil.wait_procs([kernel], timeout=10)
    proc.stdout.close()
    assert alive == []
