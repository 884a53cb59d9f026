"""Shared fixtures: an isolated Jupyter environment, Voilà servers, headless Chromium via Playwright, and the
fake Shop API of tests/test_shop_*.py.

Browser tests are marked ``browser`` and need Debian's Chromium at /usr/bin/chromium
(``apt-get install -y --no-install-recommends chromium``; never ``playwright install``). Without it they
are skipped loudly, or fail when the ``CI`` environment variable is set.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fake_shop import FakeShop, make_lives
from shop_helpers import FAST_ENV

from liveboard.serve import find_free_port, stop_process, voila_command, voila_env, wait_for_port

REPO_ROOT = Path(__file__).resolve().parents[1]
FIXTURE_NOTEBOOKS = Path(__file__).resolve().parent / "fixtures" / "notebooks"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_INSTALL = "apt-get install -y --no-install-recommends chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
NO_CHROMIUM_REASON = (
    f"BROWSER TEST NOT RUN: {CHROMIUM} is missing. Install it with `{CHROMIUM_INSTALL}` (never `playwright install`)."
)
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}

VOILA_START_TIMEOUT = 60.0  # seconds until the TCP port must be open
PORT_ATTEMPTS = 3  # free ports tried when the one picked was taken before Voilà could bind it
PORT_TAKEN = "is already in use"  # Voilà's log line then: "The port N is already in use, trying another port."
PAGE_TIMEOUT_MS = 120_000  # navigation + rendering; 2 cores, kernels start cold, a loaded machine is slow


# --------------------------------------------------------------------------- chromium availability


def require_chromium() -> None:
    """Skip (locally) or fail (``CI`` set) when Chromium is not installed."""
    if CHROMIUM.exists():
        return
    if os.environ.get("CI"):
        pytest.fail(f"{NO_CHROMIUM_REASON} CI is set, so this is a failure, not a skip.", pytrace=False)
    pytest.skip(NO_CHROMIUM_REASON)


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("browser") is not None:
        require_chromium()


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    # Under xdist this runs in the controller, whose stats hold every worker's reports (skips keep their
    # (path, line, reason) tuple through xdist's serialisation).
    skipped = [
        rep
        for rep in terminalreporter.stats.get("skipped", [])
        if isinstance(rep.longrepr, tuple) and NO_CHROMIUM_REASON in str(rep.longrepr[-1])
    ]
    if skipped:
        terminalreporter.write_sep(
            "!",
            f"WARNING: {len(skipped)} browser test(s) SKIPPED because {CHROMIUM} is missing — "
            f"install it with: {CHROMIUM_INSTALL}",
            red=True,
            bold=True,
        )


# --------------------------------------------------------------------------- parallel runs (pytest-xdist)


#: A module-scoped fixture defined in a test module (its store, Spark session, the wheel's venv, …), or one
#: from here that the module uses (``module_voila_server``).
MODULE_FIXTURE = re.compile(r"""@pytest\.fixture\([^)]*\bscope\s*=\s*["']module["']|\bmodule_voila_server\b""")


@functools.cache
def defines_module_fixture(path: Path) -> bool:
    try:
        return MODULE_FIXTURE.search(path.read_text(encoding="utf-8")) is not None
    except OSError:
        return False


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """``--dist loadgroup`` (pyproject's addopts): each test goes to whichever worker is free, except that a
    module defining a module-scoped fixture runs whole on one worker, so the fixture is built once, not once
    per worker that got one of its tests; explicit ``xdist_group`` marks are honoured as usual.

    (pytest-xdist 3.8 groups by a suffix it writes into ``item._nodeid``, which pytest 9.2 no longer reads,
    so ``xdist_group`` marks alone do not group anything here; this scheduler works from the node ids.)
    """
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    class ModuleFixtureGroups(LoadGroupScheduling):
        def _split_scope(self, nodeid: str) -> str:
            scope = super()._split_scope(nodeid)
            if scope != nodeid:  # an explicit xdist_group
                return scope
            module = nodeid.split("::", 1)[0]
            return module if defines_module_fixture(config.rootpath / module) else nodeid

    return ModuleFixtureGroups(config, log)


# --------------------------------------------------------------------------- jupyter environment


@pytest.fixture(scope="session", autouse=True)
def jupyter_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Point Jupyter's and IPython's per-user folders at a temporary folder for the whole session.

    Applied to ``os.environ`` (so in-process papermill/nbval runs and child processes inherit it) and
    returned as a dict. Only the *user* folders move: ``jupyter_path()`` still lists
    ``sys.prefix/share/jupyter``, where the installed labextensions (widgets, bqplot) and Voilà's
    templates live, so nothing has to be copied.
    """
    root = tmp_path_factory.mktemp("jupyter-home")
    env = {
        "JUPYTER_CONFIG_DIR": str(root / "config"),
        "JUPYTER_DATA_DIR": str(root / "data"),
        "JUPYTER_RUNTIME_DIR": str(root / "runtime"),
        "IPYTHONDIR": str(root / "ipython"),
        "XDG_CACHE_HOME": str(root / "cache"),
    }
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            Path(value).mkdir(parents=True, exist_ok=True)
            mp.setenv(key, value)
        # A user-level JUPYTER_PATH or JUPYTER_CONFIG_PATH would leak the user's config back in.
        mp.delenv("JUPYTER_PATH", raising=False)
        mp.delenv("JUPYTER_CONFIG_PATH", raising=False)
        yield env


# --------------------------------------------------------------------------- voila servers


class VoilaServers:
    """Factory fixture: ``voila_server(notebook_or_dir, store=..., env=...)`` → base URL.

    Runs :func:`liveboard.serve.voila_command` (what ``serve`` runs) on a free port bound to
    127.0.0.1 and waits for the TCP port (not an HTTP GET: each GET starts a kernel). Teardown:
    terminate → wait 5 s → kill, since Voilà 0.5.13 can ignore SIGTERM.
    """

    def __init__(self, tmp_path: Path, jupyter_env: dict[str, str], *, reuse: bool = False):
        self._tmp_path = tmp_path
        self._jupyter_env = jupyter_env
        self._procs: list[tuple[subprocess.Popen, Path]] = []
        self.logs: dict[str, Path] = {}
        self.startup_seconds: dict[str, float] = {}
        #: ``reuse``: a call with the same arguments as an earlier one gets that server's URL (one server for
        #: the tests of a module that only read the same store), instead of a new server.
        self._reuse: dict[tuple, str] | None = {} if reuse else None

    def __call__(
        self,
        notebook_or_dir: Path | str,
        *,
        store: Path | None = None,
        env: dict[str, str] | None = None,
        preheat: bool = True,
        extra: tuple[str, ...] = (),
        timeout: float = VOILA_START_TIMEOUT,
    ) -> str:
        host = "127.0.0.1"
        store = store if store is not None else self._tmp_path / "store"
        key = (str(Path(notebook_or_dir).resolve()), str(store), tuple(sorted((env or {}).items())), preheat, extra)
        if self._reuse is not None and key in self._reuse:
            return self._reuse[key]
        base_env = {**os.environ, **self._jupyter_env, **(env or {})}
        started = time.monotonic()
        for attempt in range(1, PORT_ATTEMPTS + 1):
            # A port free a moment ago can be taken before Voilà binds it (another xdist worker, a kernel's
            # or the browser's connection); Voilà runs with port_retries=0, so it says so and exits: try another.
            port = find_free_port(host)
            log_path = self._tmp_path / f"voila-{port}.log"
            cmd = voila_command(Path(notebook_or_dir).resolve(), port=port, host=host, preheat=preheat, extra=extra)
            with log_path.open("wb") as log:
                proc = subprocess.Popen(
                    cmd, env=voila_env(store, base=base_env), stdout=log, stderr=subprocess.STDOUT, cwd=self._tmp_path
                )
            self._procs.append((proc, log_path))
            try:
                wait_for_port(host, port, timeout, proc=proc)
                break
            except (TimeoutError, RuntimeError) as exc:
                stop_process(proc)
                text = log_path.read_text(errors="replace")
                if attempt < PORT_ATTEMPTS and PORT_TAKEN in text and isinstance(exc, RuntimeError):
                    continue
                raise RuntimeError(f"voila did not start: {exc}\n--- voila log ---\n{text}") from exc
        url = f"http://{host}:{port}"
        self.logs[url] = log_path
        self.startup_seconds[url] = time.monotonic() - started
        if self._reuse is not None:
            self._reuse[key] = url
        return url

    def log(self, url: str) -> str:
        return self.logs[url].read_text(errors="replace")

    def stop_all(self) -> None:
        """Stop every server, in the background: the next test need not wait the 5 s a Voilà that ignores
        SIGTERM takes to be killed (``pytest_sessionfinish`` waits for them all)."""
        procs = [proc for proc, _ in self._procs]
        self._procs.clear()
        for proc in procs:
            thread = threading.Thread(target=stop_process, args=(proc,), kwargs={"timeout": 5.0}, daemon=True)
            thread.start()
            STOPPING.append(thread)


#: Servers being stopped in the background (:meth:`VoilaServers.stop_all`).
STOPPING: list[threading.Thread] = []


def pytest_sessionfinish(session: pytest.Session, exitstatus) -> None:
    for thread in STOPPING:
        thread.join()


@pytest.fixture
def voila_server(tmp_path: Path, jupyter_env: dict[str, str]) -> Iterator[VoilaServers]:
    """A new server per call, stopped after the test."""
    servers = VoilaServers(tmp_path, jupyter_env)
    try:
        yield servers
    finally:
        servers.stop_all()


@pytest.fixture(scope="module")
def module_voila_server(
    tmp_path_factory: pytest.TempPathFactory, jupyter_env: dict[str, str]
) -> Iterator[VoilaServers]:
    """Like ``voila_server``, but one server per set of arguments for the whole module, stopped after its last
    test: for tests that only read a store (every page view still gets a kernel of its own). A module using
    it runs whole on one xdist worker (:data:`MODULE_FIXTURE`). The kernels of its page views add up until
    culled (idle for 120 s) and count against the server's cap of kernels (``DEFAULT_MAX_KERNELS``, 8, the
    preheated one included): a module's tests share a server only while their page views stay below it."""
    servers = VoilaServers(tmp_path_factory.mktemp("voila"), jupyter_env, reuse=True)
    try:
        yield servers
    finally:
        servers.stop_all()


# --------------------------------------------------------------------------- browser


@pytest.fixture(scope="session")
def browser():
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def console_errors() -> list[str]:
    """Console errors and uncaught page errors seen by the ``page`` fixture."""
    return []


@pytest.fixture
def blocked_requests() -> list[str]:
    """URLs the ``page`` fixture refused to fetch (anything not on localhost)."""
    return []


@pytest.fixture
def page(browser, console_errors: list[str], blocked_requests: list[str]):
    """A fresh page in its own context that can only reach localhost; a test whose pages asked for anything
    else fails (issue "One house": no icon or font from a CDN, what the pages need is shipped).

    Voilà's lab template loads Font Awesome from cdn.jsdelivr.net; liveboard's template (serve.TEMPLATE) does not.
    """
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(PAGE_TIMEOUT_MS)

    def only_local(route) -> None:
        url = route.request.url
        if urlsplit(url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            blocked_requests.append(url)
            route.abort()

    def block(route) -> None:
        blocked_requests.append(route.request.url)
        route.abort()

    # Later registrations are tried first: the explicit CDN block, then the catch-all.
    context.route("**/*", only_local)
    context.route("**/cdn.jsdelivr.net/**", block)
    page = context.new_page()

    def on_console(msg) -> None:
        if msg.type == "error":
            location = msg.location.get("url", "") if msg.location else ""
            console_errors.append(f"{msg.text} ({location})" if location else msg.text)

    page.on("console", on_console)
    page.on("pageerror", lambda exc: console_errors.append(f"pageerror: {exc}"))
    try:
        yield page
    finally:
        context.close()
    assert not blocked_requests, f"the page asked for URLs off localhost: {sorted(set(blocked_requests))}"


def open_voila(page, url: str, ready_selector: str, timeout: float = PAGE_TIMEOUT_MS) -> float:
    """Open a Voilà page and wait until it is ready; return the seconds it took. No sleeps.

    Voilà streams the executed notebook in the HTML response, so ``domcontentloaded`` means all cells
    ran; then its ``#loading`` overlay goes away once widgets are rendered, then ``ready_selector`` (a
    selector of the notebook's own widget) must become visible.
    """
    start = time.monotonic()
    page.goto(url, wait_until="domcontentloaded", timeout=timeout)
    page.wait_for_selector("#loading", state="hidden", timeout=timeout)
    page.wait_for_selector(ready_selector, state="visible", timeout=timeout)
    return time.monotonic() - start


def open_sessions_list(page, url: str, timeout: float = PAGE_TIMEOUT_MS) -> float:
    """Open LIVE Analytics on its list of sessions: a store of several accounts opens on the Accounts tab,
    one of one account on the list itself."""
    seconds = open_voila(page, url, ".lb-sessions-table table, .lb-accounts-table", timeout)
    if page.locator(".lb-accounts-table").first.is_visible():
        page.get_by_role("button", name="All LIVE videos", exact=True).click()
        page.wait_for_selector(".lb-sessions-table table", state="visible", timeout=timeout)
    return seconds


@pytest.fixture(name="open_sessions_list")
def open_sessions_list_fixture() -> Callable[..., float]:
    return open_sessions_list


@pytest.fixture(name="open_voila")
def open_voila_fixture() -> Callable[..., float]:
    """The :func:`open_voila` helper, as a fixture (test modules should not import conftest)."""
    return open_voila


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """``<repo>/test-artifacts/`` (git-ignored) for screenshots and other things to look at."""
    path = REPO_ROOT / "test-artifacts"
    path.mkdir(exist_ok=True)
    return path


@pytest.fixture(scope="session")
def fixture_notebooks() -> Path:
    return FIXTURE_NOTEBOOKS


# --------------------------------------------------------------------------- README screenshots

DOCS_SCREENSHOTS = REPO_ROOT / "docs" / "screenshots"


def publish_screenshot(path: Path) -> None:
    """Copy a test screenshot into ``docs/screenshots/`` (the README's) when LIVEBOARD_UPDATE_SCREENSHOTS=1.

    Off by default, so that running the tests never changes tracked files.
    """
    if os.environ.get("LIVEBOARD_UPDATE_SCREENSHOTS") == "1":
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS_SCREENSHOTS / path.name)


# --------------------------------------------------------------------------- the fake Shop API (tests/fake_shop.py)


@pytest.fixture
def fake():
    with FakeShop(make_lives(8), minute_page=40) as f:
        yield f
        assert f.errors == []


@pytest.fixture
def shop_env(monkeypatch, fake):
    """The environment of a user pointed at the fake, with quick back-off."""
    for k in ("TIKTOK_SHOP_REFRESH_TOKEN",):
        monkeypatch.delenv(k, raising=False)
    for k, v in {**fake.env(), **FAST_ENV}.items():
        monkeypatch.setenv(k, v)
    return fake


# --------------------------------------------------------------------------- what a failed browser test shows

#: Lines of each Voilà server's log shown with a failed test.
LOG_TAIL_LINES = 60


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """A failed test that used a Voilà server or a page shows the tail of each server's log and the page's
    console errors: a page that never renders on a loaded CI machine is otherwise a bare timeout."""
    report = yield
    if report.failed and call.when == "call":
        funcargs = getattr(item, "funcargs", {})
        for name in ("voila_server", "module_voila_server"):
            servers = funcargs.get(name)
            for url, path in getattr(servers, "logs", {}).items():
                lines = path.read_text(errors="replace").splitlines()[-LOG_TAIL_LINES:]
                report.sections.append((f"voila log {url} (last {len(lines)} lines)", "\n".join(lines)))
        errors = funcargs.get("console_errors")
        if errors:
            report.sections.append(("browser console errors", "\n".join(errors)))
    return report
