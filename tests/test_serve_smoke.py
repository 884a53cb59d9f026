"""Smoke tests of ``liveboard.serve``: the Voilà command line, and a real Voilà server driven by Chromium."""

from __future__ import annotations

import sys
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
    assert env == {"PATH": "/bin", "LIVEBOARD_STORE": str(tmp_path / "store")}


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
    seconds = open_voila(page, f"{base}/voila/render/{SMOKE}", ".lb-smoke", timeout=90_000)
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
    open_voila(page, base, ".lb-before-error", timeout=90_000)
    text = page.inner_text("body")
    page.screenshot(
        path=str(artifacts_dir / f"serve_smoke_error_{'preheat' if preheat else 'cold'}.png"), full_page=True
    )
    assert "There was an error when executing cell" in text
    html = page.content()
    for marker in TRACEBACK_MARKERS:
        assert marker not in text, f"{marker!r} visible in the page"
        assert marker not in html, f"{marker!r} sent to the browser"
