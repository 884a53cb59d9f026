"""Smoke tests of ``liveboard.serve``: the Voilà command line, a real Voilà server driven by Chromium, and
stopping it. The kernel cap is tested in tests/test_kernel_cap.py, the close-page shutdown in
tests/test_page_close.py."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from voila_helpers import SMOKE, TRACEBACK_MARKERS, _kernels, _wait_until

from liveboard import serve

ERROR = "smoke_error.ipynb"


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


# --------------------------------------------------------------------------- stopping


def test_voila_command_caps_kernels(tmp_path: Path) -> None:
    cmd = serve.voila_command(tmp_path, port=9999)
    assert f"--VoilaConfiguration.multi_kernel_manager_class={serve.KERNEL_MANAGER}" in cmd
    assert f"--CappedKernelManager.max_kernels={serve.DEFAULT_MAX_KERNELS}" in cmd
    assert "--CappedKernelManager.max_kernels=3" in serve.voila_command(tmp_path, port=9999, max_kernels=3)


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
