"""LIVE Analytics in Voilà, driven by headless Chromium: the list, filters, a session's board, escaping,
downloads, and screenshots (``test-artifacts/``; ``docs/screenshots/`` with LIVEBOARD_UPDATE_SCREENSHOTS=1)."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pyarrow.compute as pc
import pytest
from analytics_helpers import HOSTILE_COMMENTS, HOSTILE_TITLE, build_store
from conftest import publish_screenshot

import liveboard
from liveboard.eventlog import read_event_log
from liveboard.serve import NOTEBOOKS_DIR
from liveboard.views.widgets import decode_data_url

pytestmark = pytest.mark.browser

NOTEBOOK = NOTEBOOKS_DIR / "live_analytics.ipynb"
ROWS = ".lb-sessions-table table.lb-sessions tbody tr"


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    # relative to the real clock: the page's time ranges count back from now
    now = datetime.now(UTC).replace(microsecond=0)
    path = build_store(tmp_path_factory.mktemp("analytics-browser") / "store", scale=0.02, now=now)
    return path


@pytest.fixture(scope="module")
def sessions(store):
    return liveboard.open(store).sessions()


def save_shot(page, artifacts_dir, name: str, **kw) -> None:
    path = artifacts_dir / name
    page.screenshot(path=str(path), **kw)
    publish_screenshot(path)


def row_count(page) -> int:
    return page.locator(ROWS).count() - page.locator(f"{ROWS} td.lb-muted").count()


def wait_rows(page, predicate_js: str) -> None:
    page.wait_for_function(
        f"""() => {{
            const rows = [...document.querySelectorAll('{ROWS}')].filter(r => !r.querySelector('td.lb-muted'));
            const n = rows.length; return {predicate_js};
        }}"""
    )


def assert_no_injected_elements(page) -> None:
    for tag in ("img", "b", "script", "svg[onload]"):
        assert page.locator(f".lb-app {tag}").count() == 0, tag


def test_list_search_and_range(module_voila_server, page, open_voila, store, sessions, artifacts_dir, console_errors):
    url = module_voila_server(NOTEBOOK, store=store)
    seconds = open_voila(page, url, ".lb-accounts-table")  # several accounts: the page opens on Accounts
    page.get_by_role("button", name="All LIVE videos", exact=True).click()
    page.wait_for_selector(".lb-sessions-table table", state="visible")
    total = len(sessions)
    assert row_count(page) == total == 12
    table_text = page.locator(".lb-sessions-table").inner_text()
    assert HOSTILE_TITLE in table_text  # literal text, not an element
    assert "Start time" in table_text and "CTOR" in table_text
    assert_no_injected_elements(page)
    page.set_viewport_size({"width": 1280, "height": 1100})
    save_shot(page, artifacts_dir, "analytics-list.png", full_page=False)

    # search narrows (debounced in the kernel)
    page.locator(".lb-search input").fill("marathon")
    expected = int(sessions["title"].str.lower().str.contains("marathon").sum())
    assert 2 <= expected < total
    wait_rows(page, f"n === {expected}")
    assert "marathon" in page.locator(".lb-sessions-table").inner_text().lower()
    page.locator(".lb-search input").fill("")
    wait_rows(page, f"n === {total}")

    # the time range narrows
    cutoff = datetime.now(UTC) - timedelta(days=28)
    in_range = int((sessions["start"] >= cutoff).sum())
    assert 0 < in_range < total
    page.locator(".lb-range select").select_option(label="Last 28 days")
    wait_rows(page, f"n === {in_range}")

    # a header click sorts (▼ first, ▲ on the second click); the sort dropdown follows
    page.locator(".lb-sessions-head .lb-head-gmv").click()
    page.wait_for_selector(".lb-sessions-head .lb-head-gmv.lb-sorted", state="visible")
    assert page.locator(".lb-sort select").input_value() == "GMV"  # the dropdown shows its label
    in_range_gmv = sessions.loc[sessions["start"] >= cutoff].sort_values("gmv", ascending=False, kind="stable")
    wait_rows(page, f"n === {in_range} && rows[0].innerText.includes({in_range_gmv['session_id'].iloc[0]!r})")
    assert "▼" in page.locator(".lb-head-gmv").inner_text()
    page.locator(".lb-sessions-head .lb-head-gmv").click()
    page.wait_for_function("() => document.querySelector('.lb-head-gmv').innerText.includes('▲')")
    wait_rows(page, f"rows[0].innerText.includes({in_range_gmv['session_id'].iloc[-1]!r})")
    # the column chooser is checkboxes behind a "Columns ▾" toggle (closed at first): ticking PCU adds its header
    pcu = page.locator(".lb-columns .lb-choice-pcu input[type=checkbox]")
    assert pcu.is_hidden()
    closed = page.locator(".lb-columns").bounding_box()
    assert closed is not None and closed["height"] < 80, closed  # closed, the chooser is one line
    shown = page.locator(".lb-columns .lb-choice-summary").inner_text()
    assert re.fullmatch(r"\d+ of \d+ shown", shown), shown
    page.locator(".lb-columns .lb-choice-toggle").click()
    pcu.wait_for(state="visible")
    pcu.check()
    page.wait_for_selector(".lb-sessions-head .lb-head-pcu", state="visible")
    more = f"{int(shown.split()[0]) + 1} of {shown.split()[2]} shown"
    page.wait_for_function(
        "t => document.querySelector('.lb-columns .lb-choice-summary').innerText.includes(t)", arg=more
    )
    assert page.locator(".lb-columns select[multiple]").count() == 0

    # a title links to the session's own page (?session=ID), no custom JS
    href = page.locator(".lb-sessions-table a.lb-open-link").first.get_attribute("href")
    assert href.startswith("?session=")

    # Data overview: averages and a chart of a metric across the sessions of the range
    page.get_by_role("button", name="Data overview", exact=True).click()
    page.wait_for_selector(".lb-overview .lb-overview-cards", state="visible")
    page.wait_for_function(
        """() => [...document.querySelectorAll('.lb-overview-chart svg path.line')]
              .some(p => (p.getAttribute('d') || '').length > 10)"""
    )
    assert "Avg. Items sold" in page.locator(".lb-overview").inner_text()
    assert "average" in page.locator(".lb-overview-table").inner_text()
    save_shot(page, artifacts_dir, "analytics-overview.png")

    # LIVE events tab: the multi-session event with its sessions nested
    page.locator(".lb-range select").first.wait_for(state="detached")  # the list view is swapped out
    page.get_by_role("button", name="LIVE events", exact=True).click()
    page.wait_for_selector(".lb-events-tab table.lb-events", state="visible")
    page.get_by_role("button", name="All LIVE videos", exact=True).click()
    page.locator(".lb-range select").select_option(label="All time")
    wait_rows(page, f"n === {total}")
    page.get_by_role("button", name="LIVE events", exact=True).click()
    page.wait_for_function("() => document.querySelectorAll('.lb-events-tab tr.lb-nested').length >= 2")
    events_text = page.locator(".lb-events-tab").inner_text()
    assert "LIVE event le-" in events_text and "Featured products" in events_text and "Winners" in events_text
    assert_no_injected_elements(page)
    save_shot(page, artifacts_dir, "analytics-events.png")

    # "Open session" in the page (no reload): the board is built in the kernel and drawn
    page.locator(".lb-events-tab button", has_text="Open session").click()
    page.wait_for_selector(".lb-session-detail .lb-core-data", state="visible")
    page.wait_for_function(
        """() => [...document.querySelectorAll('.lb-session-detail .lb-trend-chart svg path.line')]
              .some(p => (p.getAttribute('d') || '').length > 20)"""
    )
    assert_no_injected_elements(page)

    # a click on a row opens that session in the page (no reload, no custom JS: the row is a widget)
    page.get_by_role("button", name="All LIVE videos", exact=True).click()
    first_row = page.locator(".lb-session-row").first
    wanted = first_row.locator(".lb-id").inner_text().strip()
    first_row.click()  # lands on the row's figures: the row's Button covers them
    page.wait_for_function(
        "id => (document.querySelector('.lb-session-detail .lb-session-title')?.parentElement?.innerText || '')"
        ".includes(id)",
        arg=wanted,
    )
    assert wanted in page.locator(".lb-session-detail").inner_text()

    # clicking a title in the list opens that session's page
    page.get_by_role("button", name="All LIVE videos", exact=True).click()
    page.locator("a.lb-open-link", has_text="part 1/").first.click()
    page.wait_for_url("**?session=*")
    page.wait_for_selector(".lb-session-detail .lb-session-title", state="visible")
    assert "part 1/" in page.locator(".lb-session-title").inner_text()
    print(f"list ready in {seconds:.2f} s")


def test_session_board(module_voila_server, page, open_voila, store, sessions, artifacts_dir, tmp_path):
    sid = sessions.loc[sessions["title"].str.contains(HOSTILE_TITLE, regex=False), "session_id"].iloc[0]
    url = module_voila_server(NOTEBOOK, store=store)
    open_voila(page, f"{url}/?session={sid}", ".lb-session-detail")
    for cls in (
        "lb-core-data",
        "lb-traffic",
        "lb-channels",
        "lb-trends",
        "lb-products",
        "lb-violations",
        "lb-giveaways",
        "lb-comments",
        "lb-audience",
    ):
        assert page.locator(f".lb-session-detail .{cls}").count() >= 1, cls
    # charts drawn with data: line paths with a non-empty "d", bars with a height
    page.wait_for_function(
        """() => ['.lb-traffic-chart', '.lb-trend-chart'].every(sel =>
              [...document.querySelectorAll(sel + ' svg path.line')].some(p => (p.getAttribute('d') || '').length > 20))"""
    )
    page.wait_for_function(
        """() => [...document.querySelectorAll('.lb-channel-chart svg rect.bar')]
              .some(r => parseFloat(r.getAttribute('height') || '0') > 0)"""
    )
    assert page.locator(".lb-session-detail .bqplot svg path").count() > 0
    # the metric picker is checkboxes (no listbox): ticking one more charts it, the summary follows
    assert page.locator(".lb-session-detail select[multiple]").count() == 0
    summary = page.locator(".lb-trend-pick .lb-choice-summary").inner_text()
    assert re.fullmatch(r"2 of \d+ charted", summary), summary
    page.locator(".lb-trend-pick input[type=checkbox]:not(:checked)").first.check()
    page.wait_for_function(
        "t => document.querySelector('.lb-trend-pick .lb-choice-summary').innerText === t",
        arg=summary.replace("2 of", "3 of", 1),
    )

    # hostile title and comment are literal text, and created no elements
    assert HOSTILE_TITLE in page.locator(".lb-session-title").inner_text()
    assert "<b>bold</b> hello" in page.locator(".lb-comments").inner_text()
    assert_no_injected_elements(page)
    core = page.locator(".lb-core-data").inner_text()
    for label in ("GMV", "Direct GMV", "Items sold", "Customers", "Viewers", "Views", "PCU", "Engagement rate"):
        assert label in core

    # downloads: read the data URLs, decode, parse
    href = page.locator("a.lb-download-events").get_attribute("href")
    path = tmp_path / "events.jsonl"
    path.write_bytes(decode_data_url(href))
    back = read_event_log(path)
    assert back.bad.num_rows == 0 and back.events.num_rows == liveboard.open(store).session(sid).events().num_rows
    texts = set(back.events.filter(pc.equal(back.events["type"], "comment"))["text"].to_pylist())
    assert set(HOSTILE_COMMENTS) <= texts
    assert page.locator("a.lb-download-events").get_attribute("download") == f"{sid}.jsonl"
    rows = list(
        csv.DictReader(
            io.StringIO(decode_data_url(page.locator("a.lb-download-comments").get_attribute("href")).decode())
        )
    )
    got = {r["text"] for r in rows}
    assert "'+SUM(1)" in got and "<b>bold</b> hello" in got
    assert not any(r["text"].startswith(("=", "+", "-", "@")) for r in rows)

    # comment search (escaped, in the kernel): the simulator writes "<b>bold</b>" comments of its own too, so
    # the count shown must be what a plain, case-insensitive substring search of the stored comments gives
    texts = list(liveboard.open(store).session(sid).comments()["text"])
    matching = sum(isinstance(t, str) and "<b>" in t.lower() for t in texts)
    assert 1 <= matching < len(texts)
    note = "() => document.querySelector('.lb-comments-table .lb-note').innerText"
    page.locator(".lb-comment-search input").fill("<b>")
    page.wait_for_function(f"want => ({note})().startsWith(want)", arg=f"{matching:,} of {len(texts):,} comments")
    page.locator(".lb-comment-search input").fill("")
    page.wait_for_function(f"want => ({note})().startsWith(want)", arg=f"{len(texts):,} of {len(texts):,} comments")
    # Voilà scrolls inside its own container: make the viewport as tall as the page for one picture
    height = page.evaluate("() => document.querySelector('.lb-app').scrollHeight")
    page.set_viewport_size({"width": 1280, "height": min(int(height) + 120, 9000)})
    page.locator(".lb-session-detail").first.scroll_into_view_if_needed()
    save_shot(page, artifacts_dir, "analytics-session.png", full_page=True)


def test_bad_session_parameter(module_voila_server, page, open_voila, store):
    url = module_voila_server(NOTEBOOK, store=store)
    open_voila(page, f"{url}/?session=no-such-session", ".lb-error")
    text = page.locator(".lb-app .lb-error").first.inner_text()
    assert "no session" in text.lower() and "Traceback" not in page.content()
    open_voila(page, f"{url}/?session={'x' * 300}", ".lb-error")
    assert "at most 128" in page.locator(".lb-app .lb-error").first.inner_text()  # the one rule (liveboard.ids)
    open_voila(page, f"{url}/?session=a%00b", ".lb-error")
    assert "session id" in page.locator(".lb-app .lb-error").first.inner_text()


def test_missing_store_message(voila_server, page, open_voila, tmp_path):
    url = voila_server(NOTEBOOK, store=tmp_path / "no-store-here")
    open_voila(page, url, ".lb-error")
    assert "liveboard simulate" in page.locator(".lb-error").first.inner_text()
