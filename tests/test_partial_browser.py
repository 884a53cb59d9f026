"""Partial sessions in a real Voilà + Chromium: LIVE Analytics on a store holding a Seller Center export
session (figures only), an API session (figures and a trend, no events) and a recording (engagement, no
sales); each shows its figures, says what is missing, and shows no 0 for a missing figure. The LIVE Board
of a session without events says why there is no replay. Screenshots: ``test-artifacts/partial-*.png``."""

from __future__ import annotations

import re

import pytest
from test_partial_sessions import API_ID, BOTH_ID, EXPORT_ID, REC_ID, build_partial_store

from liveboard.serve import NOTEBOOKS_DIR
from liveboard.views import format as fmt

pytestmark = pytest.mark.browser

ANALYTICS = NOTEBOOKS_DIR / "live_analytics.ipynb"
BOARD = NOTEBOOKS_DIR / "live_board.ipynb"
ROWS = ".lb-sessions-table table.lb-sessions tbody tr"
ZERO = re.compile(r"^(?:\$|RM)?0(?:\.00)?%?$")


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("partial-browser") / "store"
    build_partial_store(path)
    return path


def _card(page, metric: str) -> tuple[str, str, str]:
    """(value, sub-line, tooltip) of a core-data card of the session board."""
    card = page.locator(f".lb-core-data .lb-card.lb-core-{metric}")
    return (
        card.locator(".lb-card-value").inner_text().strip(),
        card.locator(".lb-card-sub").inner_text().strip() if card.locator(".lb-card-sub").count() else "",
        card.get_attribute("title") or "",
    )


def _no_zero_cards(page) -> None:
    values = [v.strip() for v in page.locator(".lb-core-data .lb-card-value").all_inner_texts()]
    assert values and not [v for v in values if ZERO.match(v)], values


def _full_page_shot(page, path) -> None:
    height = page.evaluate("() => document.querySelector('.lb-app, .lb-board').scrollHeight")
    page.set_viewport_size({"width": 1280, "height": min(int(height) + 140, 7000)})
    page.screenshot(path=str(path), full_page=True)


def test_analytics_shows_partial_sessions(
    voila_server, page, open_voila, open_sessions_list, store, artifacts_dir, console_errors
):
    url = voila_server(ANALYTICS, store=store)
    open_sessions_list(page, url)
    assert page.locator(ROWS).count() == 4
    head = page.locator(".lb-sessions-table .lb-sessions-head").inner_text()
    assert "Sources" in head
    rows = {sid: page.locator(ROWS, has_text=sid) for sid in (EXPORT_ID, API_ID, REC_ID, BOTH_ID)}
    assert rows[EXPORT_ID].locator(".lb-src-export").inner_text() == "export"
    assert rows[API_ID].locator(".lb-src-api").inner_text() == "API"
    assert rows[REC_ID].locator(".lb-src-recorder").inner_text() == "recorder"
    assert rows[BOTH_ID].locator(".lb-src").count() == 2
    rec_numbers = [t.strip() for t in rows[REC_ID].locator("td.lb-num").all_inner_texts()]
    assert rec_numbers and set(rec_numbers) == {fmt.MISSING}  # no sales seen: never 0
    assert "RM1,234.50" in rows[EXPORT_ID].inner_text() and "$777.00" in rows[BOTH_ID].inner_text()
    numbers = [t.strip() for t in page.locator(f"{ROWS} td.lb-num").all_inner_texts()]
    assert not [n for n in numbers if ZERO.match(n)], numbers
    page.screenshot(path=str(artifacts_dir / "partial-list.png"))

    # export: figures only — no chart at all, and plain reasons
    open_voila(page, f"{url}/?session={EXPORT_ID}", ".lb-session-detail .lb-core-data")
    assert _card(page, "gmv")[0] == "RM1,234.50" and "source: export" in _card(page, "gmv")[1]
    assert "From a Seller Center export" in _card(page, "gmv")[2]
    value, sub, tip = _card(page, "pcu")
    assert value == fmt.MISSING and "not in the Seller Center export" in sub and "Not known" in tip
    _no_zero_cards(page)
    text = page.locator(".lb-session-detail").inner_text()
    assert "one row per session: no trend" in text and "gives no comment text" in text
    assert "Not known: a Seller Center export gives no violations" in text
    assert page.locator(".lb-session-detail .bqplot").count() == 0  # no empty chart frames
    _full_page_shot(page, artifacts_dir / "partial-export-session.png")

    # API: its per-minute trend is drawn; no comment text, said plainly
    page.set_viewport_size({"width": 1280, "height": 900})
    open_voila(page, f"{url}/?session={API_ID}", ".lb-session-detail .lb-core-data")
    page.wait_for_function(
        """() => [...document.querySelectorAll('.lb-session-detail .lb-trend-chart svg path.line')]
              .some(p => (p.getAttribute('d') || '').length > 20)"""
    )
    text = page.locator(".lb-session-detail").inner_text()
    assert "The API gives no comment text" in text and "Serum" in text
    assert page.locator(".lb-session-detail .lb-channel-chart").count() == 0
    _no_zero_cards(page)
    _full_page_shot(page, artifacts_dir / "partial-api-session.png")

    # recording: engagement as seen by the recorder, no sales, its gap
    page.set_viewport_size({"width": 1280, "height": 900})
    open_voila(page, f"{url}/?session={REC_ID}", ".lb-session-detail .lb-core-data")
    value, sub, tip = _card(page, "gmv")
    assert value == fmt.MISSING and "a recorder sees no orders or GMV" in sub and "Not known" in tip
    value, sub, _tip = _card(page, "views")
    assert value == "20" and "as seen by the recorder" in sub
    _no_zero_cards(page)
    text = page.locator(".lb-session-detail").inner_text()
    assert "1 recorder gap" in text and "connection lost; reconnected" in text
    assert "as received by the recorder" in text
    page.wait_for_function(
        """() => [...document.querySelectorAll('.lb-session-detail .lb-trend-chart svg path.line')]
              .some(p => (p.getAttribute('d') || '').length > 20)"""
    )
    _full_page_shot(page, artifacts_dir / "partial-recorder-session.png")
    assert not [e for e in console_errors if "pageerror" in e], console_errors


def test_board_of_a_session_without_events(voila_server, page, open_voila, store, artifacts_dir):
    url = voila_server(BOARD, store=store)
    open_voila(page, f"{url}/?session={EXPORT_ID}", ".lb-no-replay-page")
    text = page.locator(".lb-no-replay-page").inner_text()
    assert "No replay for this session" in text and "one row per session: no trend" in text
    assert "RM1,234.50" in page.locator(".lb-card-gmv").inner_text()
    assert fmt.MISSING in page.locator(".lb-card-pcu").inner_text()
    values = [v.strip() for v in page.locator(".lb-no-replay-page .lb-card-value").all_inner_texts()]
    assert values and not [v for v in values if ZERO.match(v)], values
    assert page.locator(".lb-no-replay-page .bqplot").count() == 0
    href = page.locator(".lb-no-replay a").get_attribute("href")
    assert href == f"live_analytics.ipynb?session={EXPORT_ID}"
    page.screenshot(path=str(artifacts_dir / "partial-board-no-replay.png"), full_page=True)
