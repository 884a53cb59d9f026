"""Serve the liveboard dashboards with Voilà.

Voilà runs as a child process (``sys.executable -m voila``) so that Ctrl-C, exit codes and the
interpreter/venv are exactly what the user has. Tests build their command with :func:`voila_command`
too, so they run what users run.

Security posture (see the project's stack notes): Voilà has no authentication by default and every
page view starts a kernel, so we bind to 127.0.0.1 unless told otherwise, cull idle kernels, and never
send Python tracebacks to the browser. Put an authenticating reverse proxy in front for anything wider.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import liveboard

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8866

#: Folder of the dashboards, shipped inside the package (``<repo>/notebooks`` links to it, for developers).
NOTEBOOKS_DIR = Path(liveboard.__file__).resolve().parent / "notebooks"

#: Kernels are culled when idle for 2 min (checked every 30 s), even with a browser tab still
#: connected: Voilà's own shutdown request on page close fails, so kernels would otherwise pile up.
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
#: Only the LIVE Analytics page is preheated: the report template and the walkthrough are not dashboards,
#: and the live board starts a stream per page view, which a pooled kernel must not do ahead of time.
PREHEAT_ARGS: tuple[str, ...] = (
    "--preheat_kernel=True",
    "--pool_size=1",
    "--VoilaKernelManager.preheat_denylist=['session_report', 'analyst_walkthrough', 'live_board']",
)

#: Environment variable through which kernels find the event store.
STORE_ENV = "LIVEBOARD_STORE"


def voila_command(
    notebook_or_dir: Path | str,
    *,
    port: int,
    host: str = DEFAULT_HOST,
    open_browser: bool = False,
    preheat: bool = True,
    extra: Iterable[str] = (),
) -> list[str]:
    """The exact command line used to run Voilà, by :func:`serve` and by the test fixtures."""
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
        *CULL_ARGS,
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


def serve(
    notebooks: Path | None = None,
    *,
    store: Path,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    open_browser: bool = False,
    preheat: bool = True,
    extra: Sequence[str] = (),
) -> int:
    """Run Voilà on ``notebooks`` (default: the package's dashboards) until it exits.

    ``preheat`` keeps one executed kernel per notebook ready (see :data:`PREHEAT_ARGS` for the
    contract it puts on notebooks). Returns Voilà's exit code (130 after Ctrl-C). Jupyter and IPython directories are left at their
    defaults, so the user's own configuration and installed extensions apply.
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
    cmd = voila_command(target, port=port, host=host, open_browser=open_browser, preheat=preheat, extra=extra)
    proc = subprocess.Popen(cmd, env=voila_env(store))
    try:
        return proc.wait()
    except KeyboardInterrupt:
        # The child got the same SIGINT from the terminal; give it time to shut its kernels down.
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            stop_process(proc)
        return 128 + signal.SIGINT
