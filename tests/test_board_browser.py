"""The LIVE Board in Chromium: figures move during a simulated LIVE; a fast replay ends on LIVE Analytics' figures."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from conftest import publish_screenshot

import liveboard
from liveboard.simulator import simulate_session
from liveboard.store import Store
from liveboard.views import format as fmt

pytestmark = pytest.mark.browser

NOTEBOOK = "notebooks/live_board.ipynb"


def _value(page, key: str) -> str:
    return page.inner_text(f".lb-card-{key} .lb-value").strip()


def test_demo_figures_change_over_time(voila_server, page, open_voila, tmp_path):
    from conftest import REPO_ROOT

    url = voila_server(
        REPO_ROOT / NOTEBOOK,
        store=tmp_path / "store",
        env={"LIVEBOARD_DEMO_SCALE": "8", "LIVEBOARD_DEMO_SPEED": "4"},
    )
    open_voila(page, f"{url}/", ".lb-card-views .lb-value")
    page.wait_for_function("document.querySelector('.lb-card-views .lb-value').innerText.trim() !== '0'")
    first = (_value(page, "gmv"), _value(page, "views"), page.inner_text(".lb-status"))
    time.sleep(4)
    second = (_value(page, "gmv"), _value(page, "views"), page.inner_text(".lb-status"))
    assert first[:2] != second[:2], f"figures did not move: {first} → {second}"
    assert "LIVE" in second[2] and "simulated" in second[2]


def test_replay_ends_on_analytics_figures(voila_server, page, open_voila, tmp_path, artifacts_dir):
    from conftest import REPO_ROOT

    store = tmp_path / "store"
    ev = simulate_session(
        "s-replay", "glowlab.official", dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC), 1800, seed=21, scale=0.8
    )
    Store(store, create=True).append(ev)
    summary = liveboard.open(store).session("s-replay").summary()
    url = voila_server(REPO_ROOT / NOTEBOOK, store=store)
    open_voila(page, f"{url}/?session=s-replay&speed=100", ".lb-status")
    page.wait_for_function("document.querySelector('.lb-status').innerText.includes('ended')", timeout=60_000)
    page.wait_for_timeout(1500)  # the last slow redraw (tables, charts)
    assert _value(page, "gmv") == fmt.metric("gmv", summary["gmv"], summary["currency"])
    assert _value(page, "items") == fmt.metric("items_sold", summary["items_sold"])
    assert _value(page, "viewers") == fmt.metric("viewers", summary["viewers"])
    assert _value(page, "views") == fmt.metric("views", summary["views"])
    assert _value(page, "pcu") == fmt.metric("pcu", summary["pcu"])
    for css in ("lb-products", "lb-channels", "lb-trends", "lb-giveaways", "lb-comments-feed", "lb-alerts"):
        assert page.locator(f".{css}").count() == 1
    assert "<script>" not in page.inner_html(".lb-comments-feed")
    page.set_viewport_size({"width": 1280, "height": 1900})
    page.wait_for_timeout(1500)
    shot = artifacts_dir / "board.png"
    page.screenshot(path=str(shot), full_page=True)
    publish_screenshot(shot)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?session=nope", "Unknown session"),
        ("?session=s-x&speed=500", "from 1 to 100"),
        ("?speed=fast", "from 1 to 100"),
    ],
)
def test_bad_parameters_say_why(voila_server, page, open_voila, tmp_path, query, message):
    from conftest import REPO_ROOT

    store = tmp_path / "store"
    Store(store, create=True)
    url = voila_server(REPO_ROOT / NOTEBOOK, store=store)
    open_voila(page, f"{url}/{query}", ".lb-error")
    assert message in page.inner_text(".lb-error")
