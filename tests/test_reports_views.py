"""liveboard/views/reports.py: the report widgets of the dashboards (the reports of a folder, the "Generate
report" button, the preview frame), which run nothing themselves and never show the server's paths."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from analytics_helpers import HOSTILE_TITLE

from liveboard.errors import InputError
from liveboard.views.reports import REPORTS_ENV, ReportList, default_reports_dir, report_button, shown_folder
from liveboard.views.widgets import decode_data_url


def test_report_list_frame_and_store_message_escape_text(tmp_path):
    """The templates of the Reports tab and of the page's messages escape what they show."""
    from liveboard.pages.analytics import store_missing_message
    from liveboard.views.reports import ReportList, report_frame

    page = tmp_path / "r.html"
    page.write_text('<p title="a&b">x</p><script>alert(1)</script>', encoding="utf-8")
    listing = pd.DataFrame(
        {
            "html": ["r.html"],
            "title": [HOSTILE_TITLE],
            "session_id": ["s1"],
            "start": [pd.Timestamp("2026-10-01", tz="UTC")],
            "gmv": [12.5],
            "currency": ["USD"],
            "generated_at": ["2026-10-02T00:00:00Z"],
        }
    )
    lst = ReportList(lambda _folder: listing, tmp_path)
    assert "&lt;img src=x onerror=alert(1)&gt;" in lst.table.value and "<img" not in lst.table.value
    assert "lb-table" in lst.table.value and "$12.50" in lst.table.value
    frame = report_frame(page)
    assert frame.startswith('<iframe class="lb-report-frame" sandbox=""') and "<script" not in frame
    assert "&lt;script&gt;" in frame and "&amp;" in frame
    msg = store_missing_message("<b>/x&y</b>")
    assert "&lt;b&gt;/x&amp;y&lt;/b&gt;" in msg and "<b>" not in msg and "liveboard simulate" in msg


def test_a_folder_is_named_beside_the_store_never_by_its_absolute_path(tmp_path):
    root = tmp_path / "data" / "store"
    assert shown_folder(tmp_path / "data" / "reports", root) == "reports/"
    assert shown_folder(tmp_path / "data" / "reports" / "march", root) == "reports/march/"
    assert shown_folder(tmp_path / "data", root) == "./"
    assert shown_folder(tmp_path / "elsewhere" / "r", root) == "r/"  # outside: by its own name only
    assert shown_folder("reports") == "reports/" and shown_folder(tmp_path / "x" / ".." / "y") == "y/"
    assert default_reports_dir(root) == (tmp_path / "data" / "reports").resolve()


def test_the_button_shows_the_report_or_a_one_line_failure_without_server_paths(tmp_path, monkeypatch):
    monkeypatch.delenv(REPORTS_ENV, raising=False)
    root = tmp_path / "data" / "store"
    page = tmp_path / "data" / "reports" / "s1.html"
    page.parent.mkdir(parents=True)
    page.write_text("<!DOCTYPE html><title>s1</title>", encoding="utf-8")
    box = report_button(lambda: page, store_root=root)
    button, status = box.children
    assert button.description == "Generate report" and status.value == ""
    box.generate()
    href = re.search(r'class="lb-report-download"[^>]*href="([^"]+)"', status.value)
    assert href and decode_data_url(href.group(1)) == page.read_bytes() and not button.disabled

    def refused():
        raise InputError(f"unknown session 's2' in {root}; see {tmp_path}/data/reports/s2.html")

    box = report_button(refused, store_root=root)
    box.generate()
    status = box.children[1].value
    assert "Report failed: unknown session &#39;s2&#39; in store" in status and "lb-error" in status
    assert "reports/s2.html" in status and str(tmp_path) not in status

    def broken():
        raise RuntimeError("a bug")  # not one of the failures it reports: raised, the button usable again

    box = report_button(broken, store_root=root)
    with pytest.raises(RuntimeError):
        box.generate()
    assert not box.children[0].disabled


def test_the_list_opens_only_the_reports_it_listed(tmp_path):
    from liveboard.report import list_reports

    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "s1.html").write_text('<!DOCTYPE html><p title="a&b">Report of s1</p>', encoding="utf-8")
    meta = {"kind": "liveboard-report", "session_id": "s1", "title": "Morning <b>LIVE</b>", "html": "s1.html"}
    (folder / "s1.json").write_text(json.dumps(meta), encoding="utf-8")
    (folder / "stray.json").write_text(json.dumps({"kind": "something else", "html": "s1.html"}), encoding="utf-8")
    reports = ReportList(list_reports, folder)
    assert reports.choice.options == (("Morning <b>LIVE</b>", "s1.html"),)
    assert "Morning &lt;b&gt;LIVE&lt;/b&gt;" in reports.table.value and "<b>LIVE" not in reports.table.value
    for name in ("../../etc/passwd", str(folder / "s1.html"), "stray.json", None):
        assert not reports.view(name) and "Choose a report from the list" in reports.detail.value
    assert reports.view("s1.html")
    assert 'sandbox=""' in reports.detail.value and "lb-report-download" in reports.detail.value
    (folder / "s1.html").unlink()  # gone since it was listed
    assert not reports.view("s1.html") and "the list was refreshed" in reports.detail.value
    assert reports.choice.options == () and "No reports in reports/ yet" in reports.table.value
