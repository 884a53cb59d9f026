"""liveboard/views/session_detail.py: one session's page in LIVE Analytics (sections, trends, products and their
tips, downloads of its events and comments), on the simulated store of tests/analytics_helpers.py."""

from __future__ import annotations

import csv
import io
import re

import pyarrow.compute as pc
import pytest
from analytics_helpers import HOSTILE_COMMENTS, NOW, build_store, hostile_id

import liveboard
from liveboard.eventlog import read_event_log
from liveboard.views.analytics import LiveAnalytics
from liveboard.views.session_detail import SessionDetail
from liveboard.views.widgets import decode_data_url


@pytest.fixture(scope="module")
def store_path(tmp_path_factory):
    return build_store(tmp_path_factory.mktemp("analytics") / "store")


@pytest.fixture(scope="module")
def wb(store_path):
    return liveboard.open(store_path)


def test_session_detail_sections(wb):
    sid = hostile_id(wb)
    d = SessionDetail(wb.session(sid), peers=wb.sessions())
    for cls in (
        "lb-session-detail",
        "lb-core",
        "lb-traffic",
        "lb-channels",
        "lb-trends",
        "lb-products",
        "lb-violations",
        "lb-giveaways",
        "lb-comments",
        "lb-audience",
    ):
        assert any(cls in w._dom_classes for w in [d.widget, *d.widget.children]), cls
    assert "lb-core-data" in d.core._dom_classes and "GMV" in d.core.value and "average" in d.core.value
    assert "organic" in d.channels_html.value.lower() and "promoted" in d.channels_html.value.lower()
    assert len(d.traffic_chart.lines[0].x) > 0
    d.trend_pick.value = ("gmv", "views", "online")
    assert sum(line.visible for line in d.trend_chart.lines) == 3
    d.range.value = (5, 10)
    assert len(d.traffic_chart.lines[0].x) == 6
    assert "CTOR" in d.products_html.value
    if wb.session(sid).violations().empty:
        assert "No violations" in d.violations_html.value
    else:
        assert "appeal" in d.violations_html.value.lower()


def test_downloads_decode(wb, tmp_path):
    sid = hostile_id(wb)
    d = SessionDetail(wb.session(sid))
    links = dict(re.findall(r'class="(lb-download-\w+)"[^>]*href="([^"]+)"', d.downloads.value))
    assert set(links) == {"lb-download-events", "lb-download-comments"}
    events = decode_data_url(links["lb-download-events"])
    path = tmp_path / "events.jsonl"
    path.write_bytes(events)
    back = read_event_log(path)
    assert back.bad.num_rows == 0
    assert back.events.num_rows == wb.session(sid).events().num_rows
    assert set(back.events["session_id"].to_pylist()) == {sid}
    texts = set(back.events.filter(pc.equal(back.events["type"], "comment"))["text"].to_pylist())
    assert set(HOSTILE_COMMENTS) <= texts
    comments = list(csv.DictReader(io.StringIO(decode_data_url(links["lb-download-comments"]).decode("utf-8"))))
    assert len(comments) == len(wb.session(sid).comments())
    got = {r["text"] for r in comments}
    assert '\'=HYPERLINK("http://x","y")' in got and "'+SUM(1)" in got and "<b>bold</b> hello" in got
    assert not any(r["text"].startswith(("=", "+", "-", "@")) for r in comments)


def test_downloads_bounded(wb, monkeypatch, tmp_path):
    from liveboard.views import session_detail

    sid = hostile_id(wb)
    # a large session: the events download is built on request, then (smaller limit) refused with the CLI
    monkeypatch.setattr(session_detail, "AUTO_DOWNLOAD_EVENTS", 10)
    d = SessionDetail(wb.session(sid))
    assert "lb-download-events" not in d.downloads.value and "lb-download-comments" in d.downloads.value
    assert d.prepare.layout.display == "" and "events" in d.prepare.description
    monkeypatch.setattr(session_detail, "PLAIN_DOWNLOAD_BYTES", 1000)  # → gzip
    d.prepare.click()
    assert d.prepare.layout.display == "none"
    link = re.search(r'class="lb-download-events" download="([^"]+)" href="([^"]+)"', d.downloads.value)
    assert link and link.group(1) == f"{sid}.jsonl.gz"
    path = tmp_path / "e.jsonl.gz"
    path.write_bytes(decode_data_url(link.group(2)))
    assert read_event_log(path).events.num_rows == wb.session(sid).events().num_rows
    monkeypatch.setattr(session_detail, "MAX_DOWNLOAD_EVENTS", 10)
    d = SessionDetail(wb.session(sid))
    d.prepare.click()
    assert "too many to download" in d.downloads.value and "liveboard export" in d.downloads.value


def test_product_tips_show_their_evidence(wb, monkeypatch):
    import pandas as pd

    from liveboard.workbench import SessionData

    products = pd.DataFrame(
        {
            "product_id": ["p1", "p2", "p3"],
            "name": ["Star serum", "<i>Lure</i> lipstick", "Plain soap"],
            "price": [10.0, 20.0, 5.0],
            "impressions": [1000, 1000, 1000],
            "clicks": [200, 200, 50],
            "ctr": [0.2, 0.2, 0.05],
            "sku_orders": [60, 5, 10],
            "items_sold": [60, 5, 10],
            "gmv": [600.0, 100.0, 50.0],
            "ctor": [0.3, 0.025, 0.2],
            "featured_s": [900.0, 600.0, 300.0],
            "pins": [2, 1, 1],
        }
    )
    monkeypatch.setattr(SessionData, "products", lambda self: products)
    d = SessionDetail(wb.session(hostile_id(wb)))
    h = d.products_html.value
    assert "Star serum: high CTR and CTOR" in h and "Extend its display time" in h
    assert "&lt;i&gt;Lure&lt;/i&gt; lipstick: high CTR, low CTOR" in h and "<i>" not in h
    assert "CTR 20.00% (median 20.00%)" in h and "CTOR 2.50% (median 20.00%)" in h and "featured 15min" in h


def test_download_labels_name_the_file_type_once(wb):
    v = LiveAnalytics(wb, now=NOW, search_delay=0)
    v.open_session(v.pick.value)
    labels = re.findall(r">(Download [^<]*)<", v.detail.downloads.value)
    assert any(t.startswith("Download comments (.csv) · ") for t in labels), labels
    assert all(t.count("(.") == 1 for t in labels), labels
