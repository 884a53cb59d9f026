"""The Accounts tab of LIVE Analytics in Voilà, driven by headless Chromium: the page opens on it, rows,
sort, search, the click that opens an account's sessions, the chart's SVG, escaping, and screenshots
(``test-artifacts/``; ``docs/screenshots/`` with LIVEBOARD_UPDATE_SCREENSHOTS=1). No sleeps: every step
waits on the page's own elements."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import publish_screenshot
from test_accounts import HOSTILE, build

import liveboard
from liveboard.serve import NOTEBOOKS_DIR
from liveboard.simulator import simulate
from liveboard.store import Store

pytestmark = pytest.mark.browser

NOTEBOOK = NOTEBOOKS_DIR / "live_analytics.ipynb"
ROWS = ".lb-accounts-table .lb-account-row"
SESSION_ROWS = ".lb-sessions-table table.lb-sessions tbody tr"
#: The account names of the visible rows, top to bottom.
NAMES_JS = f"""() => [...document.querySelectorAll('{ROWS}')]
    .filter(r => getComputedStyle(r).display !== 'none')
    .map(r => r.querySelector('button.lb-account-name').textContent)"""


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    # relative to the real clock: the page's time ranges count back from now
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    return build(tmp_path_factory.mktemp("accounts-browser") / "store", now=now).root


@pytest.fixture(scope="module")
def wb(store):
    return liveboard.open(store)


def save_shot(page, artifacts_dir, name: str, **kw) -> None:
    path = artifacts_dir / name
    page.screenshot(path=str(path), **kw)
    publish_screenshot(path)


def names(page) -> list[str]:
    return page.evaluate(NAMES_JS)


def wait_names(page, expected: list[str]) -> None:
    page.wait_for_function(f"want => JSON.stringify(({NAMES_JS})()) === JSON.stringify(want)", arg=expected)


def assert_no_injected_elements(page) -> None:
    for tag in ("img", "b", "script", "svg[onload]"):
        assert page.locator(f".lb-app {tag}").count() == 0, tag


def test_accounts_tab(voila_server, page, open_voila, store, wb, artifacts_dir, console_errors):
    url = voila_server(NOTEBOOK, store=store)
    seconds = open_voila(page, url, f"{ROWS} button.lb-account-name")
    table = wb.accounts()
    expected_names = [a if isinstance(a, str) else "(no account)" for a in table["account_id"]]
    # opens on Accounts: one row per account (and currency), the chart drawn with data
    assert "lb-accounts" in page.locator(".lb-app .lb-accounts").first.get_attribute("class")
    assert sorted(names(page)) == sorted(expected_names)
    assert page.locator(".lb-nav button", has_text="Accounts").first.get_attribute("class").count("mod-active")
    page.wait_for_function(
        """() => [...document.querySelectorAll('.lb-accounts-chart svg path.line')]
              .some(p => (p.getAttribute('d') || '').length > 10)"""
    )
    assert page.locator(".lb-accounts-chart svg").count() >= 1
    text = page.locator(".lb-accounts").inner_text()
    assert HOSTILE in text  # literal text, not an element
    for label in ("Sessions", "Hours live", "GMV per hour", "Items sold", "Viewers", "CTR", "CTOR", "Last LIVE"):
        assert label in text
    glow = table[(table["account_id"] == "glowlab.official") & (table["currency"] == "USD")].iloc[0]
    assert f"{glow['hours_live_sessions']} of {glow['sessions']} sessions" in text  # missing is not zero
    assert_no_injected_elements(page)
    page.set_viewport_size({"width": 1280, "height": 1300})
    save_shot(page, artifacts_dir, "analytics-accounts.png")

    # sort: sessions, ascending (ties keep the table's order: by account)
    by_sessions = table.assign(_n=[a if isinstance(a, str) else "(no account)" for a in table["account_id"]])
    page.locator(".lb-account-sort select").select_option(label="Sessions")
    page.locator(".lb-account-order button", has_text="Ascending").click()
    want = list(by_sessions.sort_values("sessions", kind="stable")["_n"])
    wait_names(page, want)
    page.locator(".lb-account-order button", has_text="Descending").click()
    wait_names(page, list(by_sessions.sort_values("sessions", ascending=False, kind="stable")["_n"]))
    assert "Sessions ▼" in page.locator(".lb-accounts-head").inner_text()

    # search (debounced in the kernel)
    page.locator(".lb-account-search input").fill("GLOW")
    page.wait_for_function(f"() => ({NAMES_JS})().length === 2")
    assert set(names(page)) == {"glowlab.official"}
    page.locator(".lb-account-search input").fill("no such account")
    page.wait_for_selector(".lb-acc-none", state="visible")
    page.locator(".lb-account-search input").fill("")
    page.wait_for_function(f"() => ({NAMES_JS})().length === {len(table)}")

    # a click on an account opens its sessions: the account selector set, the LIVE list shown
    baan = wb.sessions(account="baan.snack.th")
    page.locator(f"{ROWS} button.lb-account-name", has_text="baan.snack.th").click()
    page.wait_for_selector(".lb-sessions-table table.lb-sessions", state="visible")
    page.wait_for_function(
        f"""() => document.querySelectorAll('{SESSION_ROWS}').length === {len(baan)}
              && document.querySelector('.lb-account select').value !== ''"""
    )
    selected = page.locator(".lb-account select").evaluate("s => s.options[s.selectedIndex].text")
    assert selected == "baan.snack.th"
    listed = page.locator(".lb-sessions-table").inner_text()
    assert all(str(t) in listed for t in baan["title"])
    save_shot(page, artifacts_dir, "analytics-account-sessions.png")

    # back to Accounts, and the page's range selector narrows it (with changes against the range before)
    page.get_by_role("button", name="Accounts", exact=True).click()
    page.wait_for_selector(f"{ROWS} button.lb-account-name", state="visible")
    cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(days=28)
    in_range = wb.accounts(since=cutoff)
    page.locator(".lb-accounts .lb-range select").select_option(label="Last 28 days")
    page.wait_for_function("() => document.querySelector('.lb-accounts-note').innerText.includes('changes against')")
    assert len(names(page)) == len(in_range)
    assert page.locator(f"{ROWS} small.lb-up, {ROWS} small.lb-down").count() >= 1  # ▲ / ▼ against the range before
    assert_no_injected_elements(page)
    assert not [e for e in console_errors if "bqplot" in e.lower() or "widget" in e.lower()], console_errors
    print(f"accounts tab ready in {seconds:.2f} s")


def test_one_account_opens_on_the_list(voila_server, page, open_voila, tmp_path):
    store = Store(tmp_path / "one", create=True)
    for t in simulate(0, accounts=1, sessions=3, scale=0.01):
        store.append(t)
    url = voila_server(NOTEBOOK, store=store.root)
    open_voila(page, url, ".lb-sessions-table table.lb-sessions")
    assert page.locator(".lb-nav button", has_text="Accounts").count() == 0
    assert page.locator(".lb-accounts").count() == 0
