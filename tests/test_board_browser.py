"""The LIVE Board in Chromium: figures move during a simulated LIVE; a fast replay ends on LIVE Analytics' figures."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import publish_screenshot
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

import liveboard
from liveboard.simulator import simulate_session
from liveboard.store import Store
from liveboard.views import format as fmt

pytestmark = pytest.mark.browser

NOTEBOOK = "notebooks/live_board.ipynb"
#: The GMV and views cards' texts, as a JS expression list.
CARDS_JS = ", ".join(
    f"document.querySelector('.lb-card-{k} .lb-card-value').innerText.trim()" for k in ("gmv", "views")
)
#: Resolves after the browser has painted two more frames (ResizeObserver callbacks and re-layout done).
NEXT_FRAMES_JS = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(() => done(true))))"


def _value(page, key: str) -> str:
    return page.inner_text(f".lb-card-{key} .lb-card-value").strip()


def test_demo_figures_change_over_time(voila_server, page, open_voila, tmp_path):
    from conftest import REPO_ROOT

    url = voila_server(
        REPO_ROOT / NOTEBOOK,
        store=tmp_path / "store",
        env={"LIVEBOARD_DEMO_SCALE": "8", "LIVEBOARD_DEMO_SPEED": "4"},
    )
    open_voila(page, f"{url}/", ".lb-card-views .lb-card-value")
    page.wait_for_function("document.querySelector('.lb-card-views .lb-card-value').innerText.trim() !== '0'")
    first = (_value(page, "gmv"), _value(page, "views"), page.inner_text(".lb-status"))
    try:  # no sleep: wait until a figure moves (the page's own timeout bounds the wait)
        page.wait_for_function(f"was => JSON.stringify([{CARDS_JS}]) !== JSON.stringify(was)", arg=list(first[:2]))
    except PlaywrightTimeoutError:
        pass  # the assertion below says what was seen
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
    expected = {
        "gmv": fmt.metric("gmv", summary["gmv"], summary["currency"]),
        "items": fmt.metric("items_sold", summary["items_sold"]),
        "viewers": fmt.metric("viewers", summary["viewers"]),
        "views": fmt.metric("views", summary["views"]),
        "pcu": fmt.metric("pcu", summary["pcu"]),
    }
    try:  # the last redraw after "ended" may still be on its way: wait for it, no sleep
        page.wait_for_function(
            """want => Object.entries(want).every(([key, value]) =>
                  (document.querySelector(`.lb-card-${key} .lb-card-value`)?.innerText || '').trim() === value)""",
            arg=expected,
            timeout=60_000,
        )
    except PlaywrightTimeoutError:
        pass  # the assertions below say which figure differs
    assert _value(page, "gmv") == expected["gmv"]
    assert _value(page, "items") == expected["items"]
    assert _value(page, "viewers") == expected["viewers"]
    assert _value(page, "views") == expected["views"]
    assert _value(page, "pcu") == expected["pcu"]
    for css in ("lb-products", "lb-channels", "lb-trends", "lb-giveaways", "lb-comments-feed", "lb-alerts"):
        assert page.locator(f".{css}").count() == 1
    assert "<script>" not in page.inner_html(".lb-comments-feed")
    # the metric picker is checkboxes that wrap (no listbox); ticking one more charts it, the summary follows
    assert page.locator(".lb-board select[multiple]").count() == 0
    chosen = int(page.locator(".lb-metric-pick .lb-choice-summary").inner_text().split()[0])
    page.locator(".lb-metric-pick input[type=checkbox]:not(:checked)").first.check()
    page.wait_for_function(
        "t => document.querySelector('.lb-metric-pick .lb-choice-summary').innerText.startsWith(t)",
        arg=f"{chosen + 1} of",
    )
    page.set_viewport_size({"width": 1280, "height": 1900})
    page.evaluate(NEXT_FRAMES_JS)  # the re-layout after the resize is painted (the picture is for looking only)
    wide = _layout(page)
    assert wide["columns_side_by_side"], "at 1280 px the board has two columns"
    assert not wide["overflowing"], wide
    shot = artifacts_dir / "board.png"
    page.screenshot(path=str(shot), full_page=True)
    publish_screenshot(shot)
    # a second window of 800 × 900 beside LIVE Manager: KPI cards first, no horizontal scroll
    page.set_viewport_size({"width": 800, "height": 900})
    page.evaluate(NEXT_FRAMES_JS)
    seen = _layout(page)
    assert seen["scroll_width"] <= 800, seen
    assert seen["cards_bottom"] <= 900 and seen["cards_top"] < seen["traffic_top"], seen
    assert not seen["columns_side_by_side"] and not seen["overflowing"], seen
    page.screenshot(path=str(artifacts_dir / "board-800.png"), full_page=False)
    publish_screenshot(artifacts_dir / "board-800.png")


#: Where the board's parts are, as the browser laid them out.
LAYOUT_JS = """() => {
    const box = s => document.querySelector(s).getBoundingClientRect();
    const cards = [...document.querySelectorAll('.lb-kpis .lb-card')].map(c => c.getBoundingClientRect());
    return {
        scroll_width: document.documentElement.scrollWidth,
        cards_top: Math.min(...cards.map(r => r.top)) + window.scrollY,
        cards_bottom: Math.max(...cards.map(r => r.bottom)) + window.scrollY,
        traffic_top: box('.lb-traffic').top + window.scrollY,
        columns_side_by_side: box('.lb-board-side').top < box('.lb-board-main').bottom - 1,
        // tables wider than the widget that frames them (which would scroll sideways inside it)
        overflowing: [...document.querySelectorAll('.lb-board table.lb-table')]
            .filter(t => t.getBoundingClientRect().width > t.closest('.widget-html').clientWidth + 1)
            .map(t => `${[...t.closest('.widget-html').classList].filter(c => c.startsWith('lb-')).join(' ')}: `
                + `${Math.round(t.getBoundingClientRect().width)} px in ${t.closest('.widget-html').clientWidth} px`),
    };
}"""


def _layout(page) -> dict:
    page.evaluate("() => window.scrollTo(0, 0)")
    return page.evaluate(LAYOUT_JS)


@pytest.fixture(scope="module")
def empty_store(tmp_path_factory):
    store = tmp_path_factory.mktemp("board-browser") / "store"
    Store(store, create=True)
    return store


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?session=nope", "Unknown session"),
        ("?session=s-x&speed=500", "from 1 to 100"),
        ("?speed=fast", "from 1 to 100"),
    ],
)
def test_bad_parameters_say_why(module_voila_server, page, open_voila, empty_store, query, message):
    from conftest import REPO_ROOT

    url = module_voila_server(REPO_ROOT / NOTEBOOK, store=empty_store)  # one server for the three cases
    open_voila(page, f"{url}/{query}", ".lb-error")
    assert message in page.inner_text(".lb-error")
