"""Serve the liveboard dashboards with Voilà.

Voilà runs as a child process (``sys.executable -m voila``) so that Ctrl-C, exit codes and the
interpreter/venv are exactly what the user has. Tests build their command with :func:`voila_command`
too, so they run what users run.

Security posture (see the project's stack notes): Voilà has no authentication by default and every
page view starts a kernel, so we bind to 127.0.0.1 unless told otherwise, cull idle kernels, cap how many
run at once (:mod:`liveboard.kernel_cap`), and never send Python tracebacks to the browser. Put an
authenticating reverse proxy in front for anything wider.

Voilà runs in a session (process group) of its own, and so does each of its kernels (jupyter_client starts
them that way), so on SIGTERM or Ctrl-C :func:`serve` stops the whole tree itself: SIGTERM to Voilà's group,
wait, SIGKILL; then any kernel left — nothing keeps running, and the port is free.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import liveboard
from liveboard.defaults import STORE_ENV

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8866

#: Folder of the dashboards, shipped inside the package (``<repo>/notebooks`` links to it, for developers).
NOTEBOOKS_DIR = Path(liveboard.__file__).resolve().parent / "notebooks"

#: Kernels are culled when idle for 2 min (checked every 30 s), even with a browser tab still
#: connected: a tab that crashes or loses its network never sends Voilà's close-page shutdown, so kernels would
#: otherwise pile up.
#: ``MappingKernelManager`` config applies to Voilà's kernel manager, a subclass of
#: jupyter_server's ``AsyncMappingKernelManager``.
CULL_ARGS: tuple[str, ...] = (
    "--MappingKernelManager.cull_idle_timeout=120",
    "--MappingKernelManager.cull_interval=30",
    "--MappingKernelManager.cull_connected=True",
)

#: Preheated kernels: Voilà keeps ``pool_size`` kernels per notebook that have already executed the
#: notebook, so a page view only streams the result. Measured on a 2-core machine with a notebook that
#: imports pandas/duckdb/pyarrow: first render 4.7 s cold → 2.3 s preheated (median of 3); for a
#: notebook with only ipywidgets/bqplot no gain (2.3–2.6 s either way: the front end dominates).
#: Contract for dashboards: the notebook runs *before* any request, so anything that depends on the
#: request (``QUERY_STRING``) or must be fresh at page-view time comes after
#: ``voila.utils.wait_for_request()``. Pooled kernels are never culled, and in folder mode every
#: notebook under the folder gets a pool (executed at server start). Incompatible with
#: ``prelaunch_hook`` and ``progressive_rendering``.
#: The two dashboards are preheated; the report template and the walkthrough are not dashboards. The live board
#: starts its stream (the demo LIVE's clock, or a replay) only once the request has come (its page reads the
#: query string first, :func:`liveboard.pages.params.request_query_string`), so a pooled kernel holds the
#: imports, never a stream started ahead of time.
PREHEAT_ARGS: tuple[str, ...] = (
    "--preheat_kernel=True",
    "--pool_size=1",
    "--VoilaKernelManager.preheat_denylist=['session_report', 'analyst_walkthrough']",
)

#: Kernels running at once (preheated ones included) before a page view gets HTTP 503 (see
#: :mod:`liveboard.kernel_cap`: neither Voilà nor jupyter_server has such a limit of its own).
DEFAULT_MAX_KERNELS = 8
KERNEL_MANAGER = "liveboard.kernel_cap.CappedKernelManager"
#: Sets the ``_xsrf`` cookie that Voilà's close-page shutdown needs (see :mod:`liveboard.page_close`).
IDENTITY_PROVIDER = "liveboard.page_close.XsrfCookieIdentityProvider"


#: The Voilà template the pages use (shipped in the package: lab's, without its CDN stylesheets).
TEMPLATE = "liveboard"
#: A Jupyter data directory inside the package: ``voila/templates/liveboard`` is found through JUPYTER_PATH.
TEMPLATE_ROOT = Path(__file__).resolve().parent / "jupyter"


def voila_command(
    notebook_or_dir: Path | str,
    *,
    port: int,
    host: str = DEFAULT_HOST,
    open_browser: bool = False,
    preheat: bool = True,
    max_kernels: int = DEFAULT_MAX_KERNELS,
    extra: Iterable[str] = (),
) -> list[str]:
    """The exact command line used to run Voilà, by :func:`serve` and by the test fixtures.

    ``max_kernels``: kernels running at once before a page view gets HTTP 503 (0: no cap)."""
    cmd = [
        sys.executable,
        "-m",
        "voila",
        str(notebook_or_dir),
        f"--Voila.ip={host}",
        f"--port={int(port)}",
        # Fail if the port is taken instead of silently moving to the next one (Voilà's default is 50
        # retries): proxies, bookmarks and the tests' TCP wait all assume the port asked for.
        "--Voila.port_retries=0",
        "--show_tracebacks=False",
        f"--template={TEMPLATE}",
        *CULL_ARGS,
        f"--Voila.identity_provider_class={IDENTITY_PROVIDER}",
        f"--VoilaConfiguration.multi_kernel_manager_class={KERNEL_MANAGER}",
        f"--CappedKernelManager.max_kernels={int(max_kernels)}",
    ]
    if preheat:
        cmd.extend(PREHEAT_ARGS)
    if not open_browser:
        cmd.append("--no-browser")
    cmd.extend(extra)
    return cmd


def voila_env(store: Path, base: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for the Voilà process (inherited by its kernels) with ``LIVEBOARD_STORE`` set.

    The store path is made absolute: kernels run with the notebook's folder as working directory.
    """
    env = dict(os.environ if base is None else base)
    env[STORE_ENV] = str(Path(store).expanduser().resolve())
    paths = [str(TEMPLATE_ROOT), *(p for p in env.get("JUPYTER_PATH", "").split(os.pathsep) if p)]
    env["JUPYTER_PATH"] = os.pathsep.join(dict.fromkeys(paths))  # Voilà finds the page template here
    return env


def wait_for_port(host: str, port: int, timeout: float = 30.0, *, proc: subprocess.Popen | None = None) -> float:
    """Wait until a TCP connect to ``host:port`` succeeds; return the seconds waited.

    A plain TCP connect, not an HTTP GET: every GET of a Voilà notebook starts a kernel.
    If ``proc`` is given and exits first, raise ``RuntimeError`` instead of waiting out the timeout.
    """
    start = time.monotonic()
    deadline = start + timeout
    while True:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return time.monotonic() - start
        except OSError:
            pass
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with code {proc.returncode} before {host}:{port} opened")
        if time.monotonic() >= deadline:
            raise TimeoutError(f"nothing listening on {host}:{port} after {timeout:.0f} s")
        time.sleep(0.05)


def find_free_port(host: str = DEFAULT_HOST) -> int:
    """A TCP port that was free on ``host`` a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def stop_process(proc: subprocess.Popen, timeout: float = 5.0) -> int | None:
    """Terminate, wait ``timeout`` seconds, then kill: Voilà 0.5.13 can ignore SIGTERM."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=timeout)
    return proc.returncode


def _signal_group(proc: subprocess.Popen, signum: int) -> None:
    """``signum`` to the process group ``proc`` leads (``start_new_session=True``), else to ``proc`` alone."""
    try:
        if os.getpgid(proc.pid) == proc.pid:
            os.killpg(proc.pid, signum)
        else:
            proc.send_signal(signum)
    except (ProcessLookupError, PermissionError):
        pass  # gone already


def _kernels_of(pid: int) -> list:
    """Processes started for Voilà ``pid`` that may have outlived it: jupyter_client gives every kernel
    ``JPY_PARENT_PID`` and a session of its own, so they are not in Voilà's process group."""
    import psutil

    found = []
    for p in psutil.process_iter():
        try:
            if p.environ().get("JPY_PARENT_PID") == str(pid):
                found.append(p)
        except (psutil.Error, OSError):
            continue
    return found


def stop_process_tree(proc: subprocess.Popen, timeout: float = 5.0) -> int | None:
    """Stop Voilà (started with ``start_new_session=True``), its process group and every kernel it started.

    SIGTERM to the group (Voilà then shuts its kernels down itself) → wait ``timeout`` → SIGKILL to the
    group (Voilà 0.5.13 can ignore SIGTERM); then each kernel still alive gets the same terminate → wait → kill.
    """
    import psutil

    try:
        tree = psutil.Process(proc.pid).children(recursive=True)
    except psutil.Error:
        tree = []
    if proc.poll() is None:
        _signal_group(proc, signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _signal_group(proc, signal.SIGKILL)
            proc.wait(timeout=timeout)
    left = {p for p in tree + _kernels_of(proc.pid) if p.is_running()}
    for p in left:
        try:
            p.terminate()
        except psutil.Error:
            pass
    _gone, alive = psutil.wait_procs(list(left), timeout=timeout)
    for p in alive:
        try:
            p.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(alive, timeout=timeout)
    return proc.returncode


class _Stop(Exception):
    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def serve(
    notebooks: Path | None = None,
    *,
    store: Path,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    open_browser: bool = False,
    preheat: bool = True,
    max_kernels: int = DEFAULT_MAX_KERNELS,
    extra: Sequence[str] = (),
) -> int:
    """Run Voilà on ``notebooks`` (default: the package's dashboards) until it exits or we get SIGTERM/SIGINT.

    ``preheat`` keeps one executed kernel per notebook ready (see :data:`PREHEAT_ARGS` for the
    contract it puts on notebooks); ``max_kernels`` caps the kernels running at once. Returns Voilà's exit
    code, or 128 + the signal number (143 after SIGTERM, 130 after Ctrl-C) once Voilà, its process group and
    its kernels are stopped. Jupyter and IPython directories are left at their defaults, so the user's own
    configuration and installed extensions apply.
    """
    target = Path(notebooks) if notebooks is not None else NOTEBOOKS_DIR
    if not target.exists():
        raise FileNotFoundError(f"no notebook or folder at {target}")
    if host not in ("127.0.0.1", "localhost", "::1"):
        log.warning(
            "Voilà has no authentication and starts a kernel for every page view; "
            "binding to %s exposes that to the network — prefer 127.0.0.1 behind an authenticating proxy",
            host,
        )
    cmd = voila_command(
        target, port=port, host=host, open_browser=open_browser, preheat=preheat, max_kernels=max_kernels, extra=extra
    )

    def on_signal(signum, _frame) -> None:
        raise _Stop(signum)

    proc: subprocess.Popen | None = None
    previous = {}
    if threading.current_thread() is threading.main_thread():  # signal handlers can only be set there
        previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        # Its own session: a terminal's Ctrl-C reaches only us, and we stop the whole tree, once.
        proc = subprocess.Popen(cmd, env=voila_env(store), start_new_session=True)
        code = proc.wait()
    except (_Stop, KeyboardInterrupt) as exc:
        signum = exc.signum if isinstance(exc, _Stop) else signal.SIGINT
        for s in previous:
            signal.signal(s, signal.SIG_IGN)  # a second signal must not cut the clean-up short
        print("liveboard: stopping Voilà and its kernels…", file=sys.stderr, flush=True)
        if proc is not None:
            stop_process_tree(proc)
        return 128 + signum
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    stop_process_tree(proc)  # Voilà exited by itself: no kernel of it stays behind
    return code
