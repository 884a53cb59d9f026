"""liveboard/pages/analytics.py: the LIVE Analytics page — ``app`` (the store opened, the URL's session or
account, a message instead of a traceback) and ``view`` (the reports wired), on the simulated store of
tests/analytics_helpers.py."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from analytics_helpers import build_store, hostile_id

import liveboard
from liveboard.pages.analytics import app
from liveboard.store import Store


@pytest.fixture(scope="module")
def store_path(tmp_path_factory):
    return build_store(tmp_path_factory.mktemp("analytics") / "store")


@pytest.fixture(scope="module")
def wb(store_path):
    return liveboard.open(store_path)


def test_app_reads_query_string(store_path, monkeypatch, wb):
    sid = hostile_id(wb)
    monkeypatch.setenv("QUERY_STRING", f"session={sid}")
    w = app(store_path)
    assert "lb-analytics" in w._dom_classes
    body = w.children[-1]
    detail = body.children[0].children[-1]
    assert "lb-session-detail" in detail._dom_classes
    monkeypatch.setenv("QUERY_STRING", "session=" + "y" * 300)
    w = app(store_path)
    assert "at most 128" in w.children[-1].children[0].children[0].value


def test_app_without_store(tmp_path):
    w = app(tmp_path / "missing")
    text = w.children[-1].value
    assert "lb-error" in text and "liveboard simulate" in text and "liveboard import" in text


def test_reports_tab_lists_generated_reports(tmp_path):
    from liveboard.pages.analytics import view as live_analytics
    from liveboard.pages.reports import generate_report
    from liveboard.simulator import simulate_session

    store = tmp_path / "store"
    start = datetime(2026, 3, 1, 12, tzinfo=UTC)
    Store(store, create=True).append(simulate_session("r1", "shop", start, 600, seed=1, scale=0.05, title="<b>T</b>"))
    view = live_analytics(liveboard.open(store))
    view.nav.value = "reports"
    listing = view.views["reports"].children[1]
    assert "No reports" in listing.children[0].value
    generate_report(store, "r1")  # reports/ beside the store: what the tab lists
    view.nav.value = "list"
    view.nav.value = "reports"  # listed afresh when the tab opens again
    table = listing.children[0].value
    assert "r1" in table and "&lt;b&gt;T&lt;/b&gt;" in table and "<b>T" not in table
