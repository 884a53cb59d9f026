"""Partial sessions everywhere, without a browser: a Seller Center export (one row, no events), an API session
(figures, a per-minute trend and products, no events), a TikTokLive recording (engagement, no sales, a gap)
and a recording the API later completed — in LIVE Analytics, the session board, the LIVE Board and the report.

What is known is shown; what is missing says why; a missing figure is never 0; no empty chart frame.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from logbuilder import LogBuilder, import_files

import liveboard
from liveboard import report as rp
from liveboard.pages.board import build_page
from liveboard.store import Store
from liveboard.views import format as fmt
from liveboard.views.analytics import LiveAnalytics
from liveboard.views.coverage import mask_unseen
from liveboard.views.session_detail import SessionDetail
from liveboard.views.widgets import close_tree

TS = pa.timestamp("us", tz="UTC")
T0 = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)
EXPORT_ID = "glowlab.my-20260301T1200Z"
API_ID = "7300000000000000001"  # a 19-digit API live id
REC_ID = "7400000000000000002"  # the recorder's room id
BOTH_ID = "7400000000000000003"  # recorded, then completed by the API
ZEROES = ("$0.00", "RM0.00", "0.00%")


def _ts(*values: dt.datetime) -> pa.Array:
    return pa.array(list(values), TS)


def _recording(sid: str, account: str, start_s: float, comments: int = 20) -> LogBuilder:
    """Engagement events as a recorder writes them: joins, comments, likes, a follow, a pin — no orders."""
    log = LogBuilder(sid)
    log.start(start_s, account_id=account, title=f"Recorded LIVE <b>{sid[-1]}</b>")
    for i in range(comments):
        log.enter(start_s + 10 + i * 30, f"u{i}")
        log.ev("comment", start_s + 15 + i * 30, user_id=f"u{i}", text=f"hello {i} <script>x</script>")
        log.ev("like", start_s + 20 + i * 30, user_id=f"u{i}", count=3)
    log.ev("follow", start_s + 200, user_id="u1")
    log.pin(start_s + 100, "p9", name="Pan", price="19.90")
    log.end(start_s + 900)
    return log


def build_partial_store(path: Path) -> dict[str, str]:
    """A store with one session of each partial kind (and one full event-log session for comparison)."""
    store = Store(path, create=True)
    store.put_source(
        "export",
        pa.table(
            {
                "source_key": [EXPORT_ID],
                "account_id": ["glowlab.my"],
                "start": _ts(T0),
                "title": ["Export only LIVE"],
                "currency": ["MYR"],
                "duration_s": [3600.0],
                "gmv": [1234.5],
                "direct_gmv": [1000.0],
                "items_sold": [40],
                "views": [900],
                "viewers": [700],
                "comments": [55],
            }
        ),
    )
    start = T0 + dt.timedelta(days=1)
    minutes = range(30)
    store.put_source(
        "api",
        pa.table(
            {
                "source_key": [API_ID],
                "account_id": ["kedai.beauty"],
                "start": _ts(start),
                "end": _ts(start + dt.timedelta(minutes=30)),
                "title": ["API LIVE"],
                "currency": ["MYR"],
                "gmv": [4350.0],
                "items_sold": [150],
                "views": [600],
                "viewers": [480],
                "pcu": [40],
            }
        ),
        trends=pa.table(
            {
                "source_key": [API_ID] * 30,
                "t": _ts(*(start + dt.timedelta(minutes=i) for i in minutes)),
                "interval_s": [60] * 30,
                "gmv": [float(10 * i) for i in minutes],
                "views": [5 + i for i in minutes],
                "viewers": [4 + i for i in minutes],
                "product_clicks": list(minutes),
                "sku_orders": [i // 3 for i in minutes],
            }
        ),
        products=pa.table(
            {
                "source_key": [API_ID] * 2,
                "product_id": ["p1", "p2"],
                "name": ["Serum", "Soap"],
                "impressions": [500, 300],
                "clicks": [50, 20],
                "sku_orders": [10, 2],
                "items_sold": [12, 2],
                "gmv": [300.0, 20.0],
            }
        ),
    )
    logs = [_recording(REC_ID, "chef.sam", 2 * 86400), _recording(BOTH_ID, "chef.sam", 3 * 86400)]
    import_files(path, [log.write(path.parent / f"{log.session_id}.jsonl") for log in logs])
    rec_start = T0 + dt.timedelta(days=2)
    store.put_source(
        "recorder",
        pa.table(
            {
                "source_key": [REC_ID, BOTH_ID],
                "account_id": ["chef.sam", "chef.sam"],
                "start": _ts(rec_start, rec_start + dt.timedelta(days=1)),
                "creator_id": ["6800000000000000001"] * 2,
            }
        ),
        gaps=pa.table(
            {
                "source_key": [REC_ID],
                "gap_start": _ts(rec_start + dt.timedelta(minutes=5)),
                "gap_end": _ts(rec_start + dt.timedelta(minutes=6, seconds=30)),
                "reason": ["connection lost; reconnected"],
            }
        ),
    )
    # the API's figures of the second recorded LIVE, after it ended (start 4 minutes off: one LIVE)
    store.put_source(
        "api",
        pa.table(
            {
                "source_key": ["7300000000000000009"],
                "account_id": ["chef.sam"],
                "start": _ts(rec_start + dt.timedelta(days=1, minutes=4)),
                "currency": ["USD"],
                "gmv": [777.0],
                "items_sold": [21],
                "customers": [15],
            }
        ),
    )
    return {"export": EXPORT_ID, "api": API_ID, "recorder": REC_ID, "both": BOTH_ID}


@pytest.fixture(scope="module")
def store_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("partial") / "store"
    build_partial_store(path)
    return path


@pytest.fixture(scope="module")
def wb(store_path):
    return liveboard.open(store_path)


def _text(value: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", value))


def _card_values(html: str) -> dict[str, str]:
    labels = re.findall(r'lb-card-label">([^<]*)<', html)
    values = re.findall(r'lb-card-value">([^<]*)<', html)
    return dict(zip(labels, values, strict=True))


def _figures(widget) -> list:
    """bqplot figures reachable from a widget tree."""
    import bqplot as bq

    out, stack = [], [widget]
    while stack:
        w = stack.pop()
        if isinstance(w, bq.Figure):
            out.append(w)
        stack.extend(getattr(w, "children", ()) or ())
    return out


# ------------------------------------------------------------------ the store, as every surface reads it


def test_store_holds_each_kind(wb):
    df = wb.sessions().set_index("session_id")
    assert list(df.loc[EXPORT_ID, "sources"]) == ["export"] and df.loc[EXPORT_ID, "source"] == "summary"
    assert list(df.loc[API_ID, "sources"]) == ["api"]
    assert list(df.loc[REC_ID, "sources"]) == ["recorder"] and df.loc[REC_ID, "source"] == "events"
    assert list(df.loc[BOTH_ID, "sources"]) == ["recorder", "api"]
    assert int(df.loc[REC_ID, "event_count"]) > 0 and pd.isna(df.loc[API_ID, "event_count"])


def test_recorder_zeros_are_masked_in_the_catalog(wb):
    # a catalog that still holds a recording's 0 GMV (the events' own sums) shows it as not known
    old = pd.DataFrame(
        {
            "session_id": ["r", "e"],
            "sources": [["recorder"], ["events"]],
            "figure_sources": ['{"gmv": "recorder", "views": "recorder"}', '{"gmv": "events"}'],
            "gmv": [0.0, 0.0],
            "views": [12, 30],
        }
    )
    masked = mask_unseen(old)
    assert pd.isna(masked.loc[0, "gmv"]) and masked.loc[1, "gmv"] == 0.0  # an event log's 0 is a real 0
    assert list(masked["views"]) == [12, 30] and old.loc[0, "gmv"] == 0.0  # the input is not changed
    df = mask_unseen(wb.sessions()).set_index("session_id")
    assert pd.isna(df.loc[REC_ID, "gmv"]) and pd.isna(df.loc[REC_ID, "ctor"])
    assert int(df.loc[REC_ID, "views"]) == 20  # what the recorder saw stays
    assert float(df.loc[BOTH_ID, "gmv"]) == 777.0  # the API's GMV of the recorded LIVE
    assert float(df.loc[EXPORT_ID, "gmv"]) == 1234.5


# ------------------------------------------------------------------ LIVE Analytics: list and overview


def test_list_shows_sources_and_never_a_zero_for_missing(wb):
    view = LiveAnalytics(wb, search_delay=0)
    html = view.table.value
    assert ">Sources<" in html
    rows = {sid: row for row in re.findall(r"<tr>(.*?)</tr>", html) for sid in [*build_ids()] if sid in row}
    assert "lb-src-export" in rows[EXPORT_ID] and "lb-src-api" in rows[API_ID]
    assert "lb-src-recorder" in rows[REC_ID] and "lb-src-api" in rows[BOTH_ID] and "lb-src-recorder" in rows[BOTH_ID]
    rec_cells = re.findall(r'<td class="lb-num">([^<]*)</td>', rows[REC_ID])
    assert rec_cells and set(rec_cells) == {fmt.MISSING}  # GMV, direct GMV, CTR, CTOR, items: none seen
    assert "RM1,234.50" in rows[EXPORT_ID] and "$777.00" in rows[BOTH_ID]
    assert not any(z in html for z in ZEROES)
    # sorting by GMV puts what is not known last, not as a zero
    view.sort.value, view.order.value = "gmv", "asc"
    order = [sid for sid in re.findall(r'lb-id">([^<]*)<', view.table.value)]
    assert order[-1] == REC_ID


def build_ids() -> tuple[str, ...]:
    return (EXPORT_ID, API_ID, REC_ID, BOTH_ID)


def test_events_tab_shows_no_zero_for_unseen_counts(wb):
    view = LiveAnalytics(wb, search_delay=0)
    view.nav.value = "events"
    row = next(r for r in re.findall(r"<tr[^>]*>(.*?)</tr>", view.events_html.value) if REC_ID in r)
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", row)
    assert cells[-4:] == [fmt.MISSING, "1", fmt.MISSING, fmt.MISSING]  # GMV, featured products, giveaways, winners


def test_overview_averages_ignore_unseen_figures(wb):
    view = LiveAnalytics(wb, account="chef.sam", search_delay=0)
    view.nav.value = "overview"
    cards = _card_values(view.ov_cards.value)
    assert cards["Avg. GMV"] == "$777.00"  # the recording's unseen GMV is not averaged in as 0
    assert "1 of 2 sessions have it" in view.ov_cards.value
    view.account.value = ""
    assert "2 currencies" in view.ov_currency_note.value  # MYR and USD sessions in the store
    view.account.value = "glowlab.my"
    view.ov_metric.value = "pcu"  # no session of this account has it: no chart, and why
    assert view.ov_chart_box.children and not _figures(view.ov_chart_box)
    note = view.ov_chart_box.children[-1].value
    assert "No chart" in note and "Seller Center export" in note


# ------------------------------------------------------------------ the session board


def test_board_of_an_export_session(wb):
    d = SessionDetail(wb.session(EXPORT_ID), peers=wb.sessions())
    header = _text(d.header.value)
    assert "Sources: export" in header and "one row per session: no trend" in header
    cards = _card_values(d.core.value)
    assert cards["GMV"] == "RM1,234.50" and cards["PCU"] == fmt.MISSING and cards["Customers"] == fmt.MISSING
    assert "source: export" in d.core.value and "not in the Seller Center export" in d.core.value
    assert 'title="From a Seller Center export."' in d.core.value  # the tooltip of a known figure
    assert not set(cards.values()) & set(ZEROES)
    assert _figures(d.widget) == []  # no trend, no channels: no chart frame at all
    sections = {c: w for w in d.widget.children for c in w._dom_classes}
    assert "lb-traffic" not in sections  # one note for the missing trend, not two empty sections
    assert "one row per session: no trend" in _text(sections["lb-trends"].children[1].value)
    assert "Not known" in d.violations_html.value and "No violations" not in d.violations_html.value
    assert "Not known" in d.giveaways_html.value and "No giveaways" not in d.giveaways_html.value
    assert "gives no comment text" in d.comments_html.value and "comment count is known: 55" in d.comments_html.value
    assert "No event log to download" in d.downloads.value and 'class="lb-download-events"' not in d.downloads.value
    assert "— featured products · — giveaways · — winners" in header
    close_tree(d.widget)


def test_board_of_an_api_session_draws_its_trend(wb):
    d = SessionDetail(wb.session(API_ID), peers=wb.sessions())
    assert d.cov.kind == "figures" and "figures and a trend" in d.header.value
    assert "the api gives no comment text" in _text(d.header.value).lower()
    assert set(d.trend_cols) >= {"gmv", "views", "viewers", "product_clicks"} and "online" not in d.trend_cols
    assert [opt for _, opt in d.trend_pick.options] == d.trend_cols  # only what the API gave
    assert d.traffic_cols == ["views", "viewers"]
    assert [len(line.x) for line in d.traffic_chart.lines] == [30, 30]
    assert sum(line.visible for line in d.trend_chart.lines) == 2 and len(d.trend_chart.lines[0].x) == 30
    figs = _figures(d.widget)
    assert d.traffic_chart.figure in figs and d.trend_chart.figure in figs
    assert d.channel_chart.figure not in figs and "Not known" in d.channels_html.value
    assert "Serum" in d.products_html.value and "RM300.00" in d.products_html.value
    assert "the API gives no comment text" in d.comments_html.value.replace("The API", "the API")
    assert "gives no times of product features" in d.trend_legend.value
    close_tree(d.widget)


def test_board_of_a_recording(wb):
    d = SessionDetail(wb.session(REC_ID), peers=wb.sessions())
    cards = _card_values(d.core.value)
    for label in ("GMV", "Direct GMV", "Items sold", "Customers"):
        assert cards[label] == fmt.MISSING, label
    assert cards["Views"] == "20" and cards["Comments"] == "20" and cards["Likes"] == "60"
    assert "a recorder sees no orders or GMV" in d.core.value and "as seen by the recorder" in d.core.value
    assert "as seen by the recorder" in _text(d.header.value).lower()
    assert not set(cards.values()) & set(ZEROES)
    # no sales lines on the trend: what a recorder cannot see is not offered
    offered = {c for _, c in d.trend_pick.options}
    assert offered.isdisjoint({"gmv", "sku_orders", "items_sold", "product_clicks"}) and "views" in offered
    # the gap: in the header and as a marker on the trend
    assert "1 recorder gap" in d.header.value and "connection lost; reconnected" in d.header.value
    assert "gap" in set(d.markers["kind"]) and len(d.trend_chart.markers.x) == len(d.markers)
    assert "recorder gap (1)" in _text(d.trend_legend.value)
    # products: the featured time is known, the rest is not
    assert "Pan" in d.products_html.value and "13min" in d.products_html.value
    assert "no product impressions, clicks or sales" in d.products_html.value
    assert "$0.00" not in d.products_html.value and "0.00%" not in d.products_html.value
    assert "GMV not known: a recorder sees no orders or GMV" in d.channels_html.value
    assert "as received by the recorder" in d.comments_html.value and "&lt;script&gt;" in d.comments_html.value
    assert "a recorder sees no violations" in d.violations_html.value.lower()
    assert 'class="lb-download-events"' in d.downloads.value  # a recording has an event log
    close_tree(d.widget)


def test_board_of_a_recording_the_api_completed(wb):
    d = SessionDetail(wb.session(BOTH_ID), peers=wb.sessions())
    cards = _card_values(d.core.value)
    assert cards["GMV"] == "$777.00" and cards["Customers"] == "15" and cards["Views"] == "20"
    assert "source: API" in d.core.value and "as seen by the recorder" in d.core.value
    assert "Sources: recorder · API" in _text(d.header.value)
    assert "Sales figures come from the TikTok Shop Analytics API" in _text(d.header.value)
    assert "gmv" not in {c for _, c in d.trend_pick.options}  # the events' trend is the recorder's
    close_tree(d.widget)


def test_analytics_opens_every_partial_session(wb):
    view = LiveAnalytics(wb, search_delay=0)
    for sid in build_ids():
        assert view.open_session(sid), sid
        assert "lb-session-detail" in view.detail.widget._dom_classes
        assert "lb-error" not in str([getattr(w, "value", "") for w in view.detail_box.children])


# ------------------------------------------------------------------ the LIVE Board


def test_live_board_without_events_shows_what_is_known(store_path):
    widget, board = build_page(session=EXPORT_ID, store=store_path)
    assert board is None and "lb-no-replay-page" in widget._dom_classes
    text = _text(widget.children[0].value)
    assert "No replay for this session" in text and "one row per session: no trend" in text
    assert "live_analytics.ipynb?session=" + EXPORT_ID in widget.children[0].value
    cards = widget.children[1].value
    assert "RM1,234.50" in cards and "not in the Seller Center export" in cards
    assert "RM0.00" not in cards and ">0<" not in cards
    assert _figures(widget) == []  # no trend: no chart frame
    widget, board = build_page(session=API_ID, store=store_path)
    assert board is None and len(_figures(widget)) == 1  # the API's per-minute trend, drawn
    assert len(_figures(widget)[0].marks[1].x) == 30


def test_live_board_replays_a_recording_without_inventing_sales(store_path):
    widget, board = build_page(session=REC_ID, store=store_path, speed="100")
    assert board is not None and board.recorder
    board.source.seek(board.source.duration_s + 1)
    while board.tick():
        pass
    board.redraw(force=True)
    gmv = _text(board.cards["gmv"].value)
    assert fmt.MISSING in gmv and "a recorder sees no orders or GMV" in gmv and "0.00" not in gmv
    assert "lb-missing" in board.cards["gmv"]._dom_classes and "Not known" in board.cards["gmv"].tooltip
    assert "20" in board.cards["views"].value and "as seen by the recorder" in board.cards["views"].value
    assert "gmv" not in {c for _, c in board.metric_pick.options}
    assert "a recorder sees no giveaways" in board.giveaways.value
    assert "a recorder sees no violations" in board.violations.value
    assert "recorder gap" in board.title.value
    assert len(board.trend_chart.markers.x) == 2  # the pin and the gap
    # the recorded LIVE the API completed: the API's figure is named beside the recorder's unknown
    _, both = build_page(session=BOTH_ID, store=store_path)
    both.source.seek(both.source.duration_s + 1)
    both.tick()
    both.redraw(force=True)
    assert "API after the LIVE: $777.00" in both.cards["gmv"].value


# ------------------------------------------------------------------ the report


@pytest.mark.parametrize("kind", ["export", "api", "recorder", "both"])
def test_report_of_each_partial_session(store_path, kind):
    sid = dict(zip(("export", "api", "recorder", "both"), build_ids(), strict=True))[kind]
    rep = rp.SessionReport.load(sid, store=store_path)
    html = rep.html()
    for key in rp.SECTIONS[1:-1]:
        assert f'id="lbr-{key}"' in html, key
    assert "<script>x" not in html and "lb-chart-empty" not in html  # escaped; no empty chart frames
    core = rep.section("core_data")
    assert "Each figure says where it came from" in core
    assert not any(f">{z}<" in core for z in ZEROES)
    if kind == "export":
        assert "one row per session: no trend" in rep.section("trends")
        assert "Not known" in rep.section("violations") and "none during this LIVE" not in rep.section("takeaways")
        assert "gives no comment text" in rep.section("comments") and "comment count is known: 55" in html
    if kind == "api":
        trends = rep.section("trends")
        assert trends.count("<svg") >= 2 and "Online" not in trends.split("Not charted")[0].split("<h3>Traffic")[0]
        assert "Serum" in rep.section("products")
        assert "the API gives no comment text" in rep.section("comments").replace("The API", "the API")
    if kind == "recorder":
        header = rep.section("header")
        assert "1 recorder gap" in header and "connection lost; reconnected" in header
        trends = rep.section("trends")
        assert "lb-marker-gap" in trends and "GMV: a recorder sees no orders or GMV" in trends
        assert "GMV — (not known: a recorder sees no orders or GMV)" in rep.section("takeaways")
        assert "(as seen by the recorder)" in rep.section("takeaways")
        assert "a recorder sees no violations" in rep.section("violations")
    if kind == "both":
        assert "$777.00" in rep.section("takeaways") and "source: API" in core


@pytest.mark.notebook
def test_report_notebook_of_a_summary_only_session(store_path, tmp_path):
    """The papermill template, end to end, on a session without events."""
    res = rp.render_report(EXPORT_ID, tmp_path, store_path)
    html = res.html.read_text(encoding="utf-8")
    assert res.ok and "one row per session: no trend" in html and "Traceback" not in html
    assert "RM1,234.50" in html and "lb-chart-empty" not in html


def test_late_order_updates_are_said_on_the_session_board_and_in_the_report(tmp_path):
    """A refund days after the LIVE changes a sealed session: both surfaces say how many orders changed."""
    b = LogBuilder("late1")
    b.start(0, id="start")
    b.order(10, "o1", "u1", amount="30.00", status="paid", id="o1-paid")
    b.order(20, "o2", "u2", amount="5.00", status="paid", id="o2-paid")
    b.end(60, id="end")
    root = tmp_path / "store"
    import_files(root, [b.write(tmp_path / "live.jsonl")])
    later = LogBuilder("late1")
    later.order(3 * 86400, "o1", "u1", amount="30.00", status="refunded", id="o1-refunded")
    later.order(4 * 86400, "o2", "u2", amount="5.00", status="refunded", id="o2-refunded")
    import_files(root, [later.write(tmp_path / "later.jsonl")])
    wb = liveboard.open(root)
    assert int(wb.sessions().iloc[0]["late_order_updates"]) == 2
    detail = SessionDetail(wb.session("late1"))
    assert "2 orders changed after the LIVE" in detail._header_html()
    report = rp.SessionReport.load("late1", store=root)
    assert "2 orders changed after the LIVE" in report.header()
    # a session without late updates says nothing about them
    b2 = LogBuilder("calm1")
    b2.start(0)
    b2.end(60)
    import_files(root, [b2.write(tmp_path / "calm.jsonl")])
    assert "changed after the LIVE" not in SessionDetail(liveboard.open(root).session("calm1"))._header_html()
