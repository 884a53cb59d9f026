"""liveboard/pages/reports.py: the report runner of the dashboards (papermill run of the template, HTML export)
wired to the report widgets — generate a report, a "Generate report" button, the list of a folder's reports —
on the store of tests/report_helpers.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from report_helpers import build_report_store

import liveboard
from liveboard import report as rp
from liveboard.pages.reports import generate_report
from liveboard.store import Store
from liveboard.workbench import InputError


@pytest.fixture(scope="module")
def store_path(tmp_path_factory) -> Path:
    return build_report_store(tmp_path_factory.mktemp("report-store") / "store")


@pytest.fixture(scope="module")
def sessions(store_path):
    return liveboard.open(store_path).sessions()


@pytest.mark.notebook
def test_dashboard_generate_and_list(store_path, sessions, tmp_path):
    from liveboard.pages import reports as vr
    from liveboard.views.widgets import decode_data_url

    sid = str(sessions["session_id"].iloc[3])
    wb = liveboard.open(store_path)
    path = vr.generate_report(wb, sid, tmp_path)
    assert path.is_file() and (tmp_path / "index.html").is_file()
    with pytest.raises(InputError):
        vr.generate_report(wb, "not-a-session", tmp_path)

    box = vr.report_button(store_path, sid, tmp_path / "b")
    box.generate()
    status = box.children[1].value
    assert "lb-report-download" in status and "data:text/html;base64," in status
    href = status.split('href="', 1)[1].split('"', 1)[0]
    assert decode_data_url(href).startswith(b"<!DOCTYPE html>")

    lst = vr.ReportList(tmp_path)
    assert len(lst.choice.options) == 1 and sid in lst.table.value
    assert lst.view(lst.choice.options[0][1]) and 'sandbox=""' in lst.detail.value
    assert not lst.view("../../etc/passwd") and not lst.view(str(path))
    assert "No reports" in vr.ReportList(tmp_path / "empty").table.value


def test_dashboard_reports_folder_defaults(tmp_path, monkeypatch):
    from liveboard.pages import reports as vr

    monkeypatch.delenv(vr.REPORTS_ENV, raising=False)
    assert vr.default_reports_dir(tmp_path / "data" / "store") == (tmp_path / "data" / "reports").resolve()
    assert vr.default_reports_dir() == Path("reports")
    monkeypatch.setenv(vr.REPORTS_ENV, str(tmp_path / "r"))
    assert vr.default_reports_dir(tmp_path / "data" / "store") == tmp_path / "r"


@pytest.mark.notebook
def test_analytics_session_detail_has_a_report_button(store_path, sessions, tmp_path, monkeypatch):
    from liveboard.pages import reports as vr
    from liveboard.pages.analytics import view as live_analytics

    monkeypatch.setenv(vr.REPORTS_ENV, str(tmp_path))
    view = live_analytics(liveboard.open(store_path), tz="Not/AZone")
    sid = str(sessions["session_id"].iloc[1])
    assert view.open_session(sid)
    boxes = [w for w in view.detail_box.children if "lb-report" in getattr(w, "_dom_classes", ())]
    assert len(boxes) == 1
    boxes[0].generate()
    assert "lb-report-download" in boxes[0].children[1].value, boxes[0].children[1].value
    assert (tmp_path / f"{rp.report_name(sid)}.html").is_file()


def test_bad_options_and_unknown_sessions_are_refused_before_any_kernel_starts(store_path, sessions, tmp_path):
    """A workbench, a store or a store's path: each is refused the same way, in one line, and nothing is written."""
    sid = str(sessions["session_id"].iloc[0])
    out = tmp_path / "out"
    for store in (liveboard.open(store_path), Store(store_path), store_path, str(store_path)):
        with pytest.raises(InputError, match="window_days"):
            generate_report(store, sid, out, window_days=0)
        with pytest.raises(InputError, match="timezone"):
            generate_report(store, sid, out, timezone="Mars/Olympus")
        with pytest.raises(InputError, match="unknown session 'nope'"):
            generate_report(store, "nope", out)
        with pytest.raises(InputError, match="session id"):
            generate_report(store, "../../etc/x' OR '1'='1", out)
    assert not out.exists()
