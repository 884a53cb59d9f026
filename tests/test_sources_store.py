"""One LIVE, one session: Store.put_source links rows of the API, an export and a recorder to one session
(checked against the session table's columns, liveboard.columns; figures merged by liveboard.provenance).

Matching (either order), precedence of figures, derived metrics, missing stays missing, idempotency,
what a change reports, and the reads (trend, products, gaps) of sessions known by their sources.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from decimal import Decimal

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from logbuilder import BASE, LogBuilder, import_files

import liveboard
from liveboard.cli import main, sessions_csv_frame
from liveboard.eventlog import read_event_log
from liveboard.store import Store, StoreError

TS = pa.timestamp("us", tz="UTC")


def at(minutes: float) -> dt.datetime:
    return BASE + dt.timedelta(minutes=minutes)


def summaries(rows: list[dict]) -> pa.Table:
    """A summaries table from rows; ``start``/``end`` given in minutes after BASE."""
    out = []
    for r in rows:
        r = dict(r)
        for col in ("start", "end"):
            if col in r and not isinstance(r[col], dt.datetime):
                r[col] = at(r[col])
        out.append(r)
    table = pa.Table.from_pylist(out)
    for col in ("start", "end"):
        if col in table.column_names:
            table = table.set_column(table.schema.get_field_index(col), col, table[col].cast(TS))
    return table


def api_row(key="7300000000000000001", start=3, account="acct1", **figures) -> dict:
    return {"source_key": key, "account_id": account, "start": start, **figures}


def events_session(tmp_path, sid="room42", account="acct1", t0_min=0.0, viewers=("u1",), end_s=600):
    log = LogBuilder(sid)
    t0 = t0_min * 60
    log.start(t0, account_id=account, title=f"LIVE {sid}", id=f"{sid}-start")
    for n, u in enumerate(viewers):
        log.enter(t0 + 5 + n, u, id=f"{sid}-enter-{u}")
        log.leave(t0 + 65 + n, u, id=f"{sid}-leave-{u}")
    log.ev("comment", t0 + 30, user_id=viewers[0], text="hi", id=f"{sid}-comment")
    if end_s is not None:
        log.end(t0 + end_s, id=f"{sid}-end")
    _, report = import_files(tmp_path / "s", [log.write(tmp_path / f"{sid}-{t0_min}.jsonl")])
    return report


def sessions(tmp_path) -> pd.DataFrame:
    return liveboard.open(tmp_path / "s").sessions().set_index("session_id")


def store(tmp_path) -> Store:
    return Store(tmp_path / "s", create=True)


# ------------------------------------------------------------------ matching


def test_api_summary_then_recorder_events_become_one_session(tmp_path):
    rep = store(tmp_path).put_source("api", summaries([api_row(gmv="1234.50", items_sold=10, views=900)]))
    assert rep.new == ["7300000000000000001"] and rep.committed
    assert list(sessions(tmp_path).index) == ["7300000000000000001"]
    events_session(tmp_path, "room42", t0_min=0)  # the API said 12:03; the recorder's events start at 12:00
    df = sessions(tmp_path)
    assert list(df.index) == ["room42"]  # the summary-only session merged into the events session
    row = df.loc["room42"]
    assert row["source"] == "events" and list(row["sources"]) == ["events", "api"]
    assert float(row["gmv"]) == 1234.5 and int(row["views"]) == 900 and int(row["comments"]) == 1
    # the link is kept: the same API row again changes nothing and stays on room42
    again = Store(tmp_path / "s").put_source("api", summaries([api_row(gmv="1234.50", items_sold=10, views=900)]))
    assert again.unchanged == ["room42"] and not again.committed and again.sessions == {"7300000000000000001": "room42"}


def test_either_order_gives_the_same_session(tmp_path):
    api = summaries([api_row(start=2, gmv="80.00", items_sold=4, views=300, avg_view_duration_s=31.0)])
    store(tmp_path / "a").put_source("api", api)
    events_session(tmp_path / "a", "room42", t0_min=0)
    events_session(tmp_path / "b", "room42", t0_min=0)
    store(tmp_path / "b").put_source("api", api)
    a, b = sessions(tmp_path / "a"), sessions(tmp_path / "b")
    assert list(a.index) == ["room42"]
    pd.testing.assert_frame_equal(a, b)


def test_a_recorder_row_links_by_id_only(tmp_path):
    events_session(tmp_path, "imported", t0_min=0)
    rep = store(tmp_path).put_source("recorder", summaries([api_row("room42", start=1)]))
    assert rep.sessions == {"room42": "room42"} and rep.linked == []  # its events come under room42


def test_events_then_export_links_by_account_and_time(tmp_path):
    events_session(tmp_path, "room42", t0_min=0)
    rep = store(tmp_path).put_source(
        "export", summaries([{"source_key": "acct1-20260301T1210Z", "account_id": "@ACCT1", "start": 10, "gmv": 50}])
    )
    assert rep.new == ["room42"] and rep.linked == ["room42"]
    assert rep.sessions == {"acct1-20260301T1210Z": "room42"}
    df = sessions(tmp_path)
    assert list(df.index) == ["room42"] and list(df.loc["room42", "sources"]) == ["events", "export"]


def test_nearest_session_wins(tmp_path):
    events_session(tmp_path, "early", t0_min=0)
    events_session(tmp_path, "late", t0_min=40)
    rep = store(tmp_path).put_source("export", summaries([api_row("x-1225", start=25)]))
    assert rep.sessions == {"x-1225": "late"}  # 15 min from late, 25 from early


def test_nearest_row_wins_when_two_rows_of_one_source_fit_one_session(tmp_path):
    events_session(tmp_path, "room42", t0_min=15)
    rep = store(tmp_path).put_source("api", summaries([api_row("1001", start=0), api_row("1002", start=20)]))
    # both are within 30 min of room42; the nearer links, the other LIVE stays its own session
    assert rep.sessions == {"1001": "1001", "1002": "room42"}
    assert sorted(sessions(tmp_path).index) == ["1001", "room42"]


def test_match_window_is_30_minutes_inclusive(tmp_path):
    events_session(tmp_path, "room42", t0_min=0)
    rep = store(tmp_path).put_source("export", summaries([api_row("in", start=30)]))
    assert rep.sessions == {"in": "room42"}


def test_just_outside_the_window_is_a_new_session(tmp_path):
    events_session(tmp_path, "room42", t0_min=0)
    late = at(30) + dt.timedelta(seconds=1)
    rep = store(tmp_path).put_source("export", summaries([api_row("out", start=late)]))
    assert rep.sessions == {"out": "out"} and rep.linked == []
    assert sorted(sessions(tmp_path).index) == ["out", "room42"]


def test_another_account_never_matches(tmp_path):
    events_session(tmp_path, "room42", account="acct1", t0_min=0)
    rep = store(tmp_path).put_source("api", summaries([api_row("9", start=0, account="acct2")]))
    assert rep.sessions == {"9": "9"}
    events_session(tmp_path, "room43", account="acct3", t0_min=1)  # events of a third account arrive
    assert sorted(sessions(tmp_path).index) == ["9", "room42", "room43"]


def test_source_key_equal_to_a_session_id_links_to_it(tmp_path):
    events_session(tmp_path, "room42", account="acct1", t0_min=0)
    rep = store(tmp_path).put_source("recorder", summaries([api_row("room42", start=300, account="other")]))
    assert rep.sessions == {"room42": "room42"} and rep.linked == ["room42"]


def test_recorder_registration_before_its_events(tmp_path):
    s = store(tmp_path)
    gaps = pa.table(
        {
            "source_key": ["room42"],
            "gap_start": pa.array([at(2)], TS),
            "gap_end": pa.array([at(3)], TS),
            "reason": ["reconnect"],
        }
    )
    s.put_source("recorder", summaries([api_row("room42", start=0, creator_id="123")]), gaps=gaps)
    row = sessions(tmp_path).loc["room42"]
    assert row["source"] == "summary" and not bool(row["sealed"])  # the recorder can still write it
    report = events_session(tmp_path, "room42", t0_min=0)
    assert report.refused == 0 and report.imported > 0
    row = sessions(tmp_path).loc["room42"]
    assert row["source"] == "events" and list(row["sources"]) == ["recorder"] and row["creator_id"] == "123"
    session = liveboard.open(tmp_path / "s").session("room42")
    assert session.sources() == ["recorder"]
    assert session.figure_sources()["comments"] == "recorder"
    # what TikTokLive cannot see is unknown in a recorder's session, not 0 (its events hold no orders)
    assert row[["gmv", "sku_orders", "customers", "product_clicks", "live_ctr", "impressions"]].isna().all()
    assert int(row["comments"]) == 1 and int(row["views"]) == 1
    Store(tmp_path / "s").put_source("api", summaries([api_row("1", start=0, gmv="7.00", sku_orders=2)]))
    row = sessions(tmp_path).loc["room42"]
    assert float(row["gmv"]) == 7.0 and int(row["sku_orders"]) == 2 and pd.isna(row["customers"])
    gaps_df = session.gaps()
    assert list(gaps_df.columns[:3]) == ["gap_start", "gap_end", "reason"]
    assert gaps_df["reason"].tolist() == ["reconnect"] and gaps_df["gap_start"].iloc[0] == pd.Timestamp(at(2))


def test_events_with_the_id_of_a_summary_only_session_join_it(tmp_path):
    store(tmp_path).put_source("api", summaries([api_row("room42", start=0, gmv="5.00")]))
    report = events_session(tmp_path, "room42", t0_min=0)
    assert report.refused == 0 and report.imported > 0  # a session known by its figures takes its events
    row = sessions(tmp_path).loc["room42"]
    assert row["source"] == "events" and bool(row["sealed"]) and list(row["sources"]) == ["events", "api"]
    assert float(row["gmv"]) == 5.0 and int(row["comments"]) == 1


def test_live_recorder_session_gets_its_api_summary_when_summarised(tmp_path):
    """Written live (summarize=False), then summarised: the API row stored earlier joins it."""
    s = store(tmp_path)
    s.put_source("api", summaries([api_row("555", start=1, gmv=10)]))
    log = LogBuilder("room9")
    log.start(0, account_id="acct1", id="a")
    log.enter(5, "u1", id="b")
    s.append(read_event_log(log.write(tmp_path / "room9.jsonl")).events, summarize=False)
    s.summarize(["room9"])
    df = sessions(tmp_path)
    assert list(df.index) == ["room9"] and float(df.loc["room9", "gmv"]) == 10


# ------------------------------------------------------------------ figures


def test_precedence_api_over_export_over_events(tmp_path):
    events_session(tmp_path, "room42", t0_min=0, viewers=("u1", "u2"))
    s = store(tmp_path)
    s.put_source("export", summaries([api_row("x", start=0, gmv="99.00", customers=7, views=50, title="Export")]))
    s.put_source("api", summaries([api_row("1", start=1, gmv="120.00", views=60)]))
    row = sessions(tmp_path).loc["room42"]
    assert float(row["gmv"]) == 120.0 and int(row["views"]) == 60  # api
    assert int(row["customers"]) == 7 and row["title"] == "Export"  # export where the api is silent
    assert int(row["viewers"]) == 2 and int(row["comments"]) == 1  # events where both are silent
    fs = json.loads(row["figure_sources"])
    assert (fs["gmv"], fs["customers"], fs["viewers"]) == ("api", "export", "events")
    assert list(row["sources"]) == ["events", "api", "export"]


def test_derived_metrics_are_recomputed_from_merged_figures(tmp_path):
    s = store(tmp_path)
    s.put_source(
        "export",
        summaries([api_row("x", start=0, gmv="100.00", items_sold=8, avg_price=99.0, product_clicks=40, sku_orders=4)]),
    )
    s.put_source("api", summaries([api_row("1", start=0, gmv="120.00", items_sold=10, acu=12.5, duration_s=3600.0)]))
    row = sessions(tmp_path).loc["x"]
    assert row["avg_price"] == pytest.approx(12.0)  # the api's gmv / items_sold, not the export's 99
    assert row["ctor"] == pytest.approx(0.1)  # export's sku_orders / product_clicks
    assert row["acu"] == pytest.approx(12.5)  # no view_seconds anywhere: the api's own figure
    fs = json.loads(row["figure_sources"])
    assert (fs["avg_price"], fs["ctor"], fs["acu"]) == ("api", "export", "api")


def test_a_ratio_does_not_mix_the_recorder_with_the_api(tmp_path):
    events_session(tmp_path, "room42", t0_min=0, viewers=("u1", "u2"))  # 2 views of 60 s each
    store(tmp_path).put_source("api", summaries([api_row("1", start=0, views=900, avg_view_duration_s=46.0)]))
    row = sessions(tmp_path).loc["room42"]
    assert row["avg_view_duration_s"] == pytest.approx(46.0)  # not 120 s of the recorder over 900 API views
    assert json.loads(row["figure_sources"])["avg_view_duration_s"] == "api"


def test_missing_figures_stay_missing(tmp_path):
    store(tmp_path).put_source("export", summaries([api_row("x", start=0, gmv=5.5, views=100)]))
    row = sessions(tmp_path).loc["x"]
    assert row[["viewers", "pcu", "customers", "live_ctr", "comments", "event_count", "acu"]].isna().all()
    assert float(row["watch_gpm"]) == 55.0  # both bases known
    assert set(json.loads(row["figure_sources"])) == {"start", "gmv", "views", "watch_gpm"}


def test_extra_source_figures_are_kept(tmp_path):
    store(tmp_path).put_source(
        "api", summaries([api_row("1", start=0, created_sku_orders=12, products_added=3, gmv_24h="10.10")])
    )
    df = liveboard.open(tmp_path / "s").sessions()
    row = df.iloc[0]
    assert int(row["created_sku_orders"]) == 12 and int(row["products_added"]) == 3
    assert float(row["gmv_24h"]) == 10.1 and pd.isna(row["different_products_sold"])


# ------------------------------------------------------------------ idempotency and changes


def test_same_put_twice_commits_nothing(tmp_path):
    s = store(tmp_path)
    table = summaries([api_row("1", start=0, gmv="10.00", title="A"), api_row("2", start=120, views=3)])
    trend = pa.table({"source_key": ["1"], "t": pa.array([at(0)], TS), "interval_s": [60], "gmv": ["10.00"]})
    first = s.put_source("api", table, trends=trend)
    files = sorted(p.name for p in (tmp_path / "s").rglob("*") if p.is_file())
    again = s.put_source("api", table, trends=trend)
    assert again.version == first.version and not again.committed
    assert again.changed == {} and again.new == [] and sorted(again.unchanged) == ["1", "2"]
    assert sorted(p.name for p in (tmp_path / "s").rglob("*") if p.is_file()) == files


def test_changed_figures_are_reported_and_win(tmp_path):
    s = store(tmp_path)
    s.put_source("api", summaries([api_row("1", start=0, gmv="10.00", title="A", views=5)]))
    trend = pa.table({"source_key": ["1"], "t": pa.array([at(0)], TS), "interval_s": [60], "views": [5]})
    rep = s.put_source("api", summaries([api_row("1", start=0, gmv="12.00", title="B", views=5)]), trends=trend)
    assert rep.changed == {"1": ["title", "gmv", "trend"]} and rep.committed
    row = sessions(tmp_path).loc["1"]
    assert float(row["gmv"]) == 12.0 and row["title"] == "B"
    only_trend = pa.table({"source_key": ["1"], "t": pa.array([at(0)], TS), "interval_s": [60], "views": [6]})
    rep = s.put_source("api", summaries([api_row("1", start=0, gmv="12.00", title="B", views=5)]), trends=only_trend)
    assert rep.changed == {"1": ["trend"]}


def test_money_given_as_float_or_text_is_the_same_figure(tmp_path):
    s = store(tmp_path)
    s.put_source("api", summaries([api_row("1", start=0, gmv=10.5)]))
    rep = s.put_source("api", summaries([api_row("1", start=0, gmv="10.50")]))
    assert rep.unchanged == ["1"] and not rep.committed


# ------------------------------------------------------------------ reads


def _trend(key: str, interval: int, n: int, **figures) -> pa.Table:
    return pa.table(
        {
            "source_key": [key] * n,
            "t": pa.array([at(i * interval / 60) for i in range(n)], TS),
            "interval_s": [interval] * n,
            **{k: [v] * n for k, v in figures.items()},
        }
    )


def test_trend_of_a_session_without_events_prefers_the_api(tmp_path):
    s = store(tmp_path)
    s.put_source("export", summaries([api_row("x", start=0)]), trends=_trend("x", 300, 2, views=50))
    trend = liveboard.open(tmp_path / "s").session("x").trend()
    assert trend["interval_s"].tolist() == [300, 300] and trend["source"].tolist() == ["export", "export"]
    assert trend["minute"].tolist() == [0, 5]
    s.put_source("api", summaries([api_row("1", start=0)]), trends=_trend("1", 60, 3, views=10, gmv="1.00"))
    trend = liveboard.open(tmp_path / "s").session("x").trend()
    assert trend["source"].tolist() == ["api"] * 3 and trend["views"].tolist() == [10, 10, 10]
    assert {"ts", "gmv", "sku_orders", "views", "online", "interval_s", "source"} <= set(trend.columns)
    assert trend["sku_orders"].isna().all()  # not given: missing, not 0


def test_trend_of_a_session_with_events_comes_from_its_events(tmp_path):
    events_session(tmp_path, "room42", t0_min=0)
    store(tmp_path).put_source("api", summaries([api_row("1", start=0)]), trends=_trend("1", 60, 3, views=99))
    trend = liveboard.open(tmp_path / "s").session("room42").trend()
    assert "source" not in trend.columns and int(trend["views"].sum()) == 1


def test_products_fall_back_to_the_source_and_fill_names(tmp_path):
    products = pa.table(
        {
            "source_key": ["x", "x"],
            "product_id": ["p1", "p2"],
            "name": ["Lipstick", "Serum"],
            "clicks": [10, 4],
            "impressions": [100, None],
            "gmv": ["20.00", "5.00"],
        }
    )
    s = store(tmp_path)
    s.put_source("export", summaries([api_row("x", start=0)]), products=products)
    df = liveboard.open(tmp_path / "s").session("x").products()
    assert df["product_id"].tolist() == ["p1", "p2"] and df["name"].tolist() == ["Lipstick", "Serum"]
    assert df.loc[0, "ctr"] == pytest.approx(0.1) and pd.isna(df.loc[1, "ctr"]) and pd.isna(df.loc[0, "price"])
    assert df["source"].tolist() == ["export", "export"]
    # events that lack a product's name get it from a source of the same LIVE
    log = LogBuilder("room42")
    log.start(0, account_id="acct1", id="s0")
    log.click(10, "u1", "p1", id="c1")
    log.end(60, id="e0")
    import_files(tmp_path / "s", [log.write(tmp_path / "room42.jsonl")])
    df = liveboard.open(tmp_path / "s").session("room42").products()
    assert df["name"].tolist() == ["Lipstick"] and int(df["clicks"].iloc[0]) == 1


def test_source_tables_outlive_pruning(tmp_path):
    s = store(tmp_path)
    s.put_source("api", summaries([api_row("1", start=0)]), trends=_trend("1", 60, 2, views=1))
    events_session(tmp_path, "other", account="acct9", t0_min=0)
    named = s.snapshot().of("source_summaries")
    for _ in range(25):  # commits that do not touch the source tables (more than a checkpoint interval)
        s.summarize(["other"])
    assert s.snapshot().of("source_summaries") == named
    session = liveboard.open(tmp_path / "s").session("1")
    assert session.trend()["views"].tolist() == [1, 1] and session.sources() == ["api"]
    assert s.put_source("api", summaries([api_row("1", start=0)])).unchanged == ["1"]


def test_sessions_cli_formats_work_with_summary_sessions(tmp_path, capsys):
    events_session(tmp_path, "room42", t0_min=0)
    store(tmp_path).put_source("export", summaries([api_row("far", start=600, gmv="3.00")]))
    frame = sessions_csv_frame(liveboard.open(tmp_path / "s").sessions())
    assert frame.set_index("session_id").loc["far", "gmv"] == "3.00"
    assert pd.isna(frame.set_index("session_id").loc["far", "viewers"])
    capsys.readouterr()
    assert main(["sessions", "--store", str(tmp_path / "s"), "--format", "csv"]) == 0
    far = [r for r in csv.DictReader(io.StringIO(capsys.readouterr().out)) if r["session_id"] == "far"]
    assert far[0]["gmv"] == "3.00" and far[0]["viewers"] == ""
    assert main(["sessions", "--store", str(tmp_path / "s"), "--format", "json"]) == 0
    records = {r["session_id"]: r for r in json.loads(capsys.readouterr().out)}
    assert records["far"]["gmv"] == "3.00" and records["far"]["viewers"] is None


# ------------------------------------------------------------------ atomicity and bad input


def test_files_no_commit_names_are_ignored_and_kept(tmp_path):
    from liveboard import tables

    s = store(tmp_path)
    s.put_source("api", summaries([api_row("1", start=0, gmv=1)]))
    # what a put killed before its commit leaves behind: a data file in the table's folder, in no version
    stray = tables.write_file(tmp_path / "s" / "source_summaries", pa.table({"source": ["api"]}), prefix="stray")
    stray_path = tmp_path / "s" / "source_summaries" / stray.path
    assert liveboard.open(tmp_path / "s").session("1").sources() == ["api"]
    assert float(sessions(tmp_path).loc["1", "gmv"]) == 1.0
    s.put_source("api", summaries([api_row("1", start=0, gmv=2)]))
    assert float(sessions(tmp_path).loc["1", "gmv"]) == 2.0
    assert pq.read_table(stray_path).num_rows == 1  # nothing deletes a file it did not write


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (summaries([{"source_key": "1", "start": 0}]), "column 'account_id' is required"),
        (summaries([api_row("1"), {"source_key": "2", "account_id": None, "start": 5}]), "row 2: column 'account_id'"),
        (summaries([api_row("1", nonsense=1, other=2)]), "unknown column\\(s\\) nonsense, other"),
        (summaries([api_row("1", gmv="ten")]), "row 1: column 'gmv': 'ten' is not an amount"),
        (summaries([api_row("1"), api_row("1")]), "rows 1 and 2: the same source_key"),
        (summaries([api_row("../x")]), "row 1: source_key '../x' is not a valid id"),
    ],
)
def test_bad_input_is_refused_whole(tmp_path, table, message):
    with pytest.raises(StoreError, match=message):
        store(tmp_path).put_source("api", table)
    assert Store(tmp_path / "s").snapshot().version == 0


def test_bad_side_tables_and_sources_are_refused(tmp_path):
    s = store(tmp_path)
    with pytest.raises(StoreError, match="unknown source 'tiktok'"):
        s.put_source("tiktok", summaries([api_row("1")]))
    with pytest.raises(StoreError, match="trends row 1: source_key 'nope' has no summary row from api"):
        s.put_source("api", summaries([api_row("1")]), trends=_trend("nope", 60, 1))
    naive = pa.table({"source_key": ["1"], "t": pa.array([dt.datetime(2026, 3, 1)], pa.timestamp("us"))})
    with pytest.raises(StoreError, match="trends: column 't' has times without a time zone"):
        s.put_source("api", summaries([api_row("1")]), trends=naive.append_column("interval_s", pa.array([60])))
    with pytest.raises(StoreError, match="products: column 'product_id' is required"):
        s.put_source("api", summaries([api_row("1")]), products=pa.table({"source_key": ["1"]}))
    assert s.snapshot().version == 0


# ------------------------------------------------------------------ whole columns at once


def test_cells_of_every_form_are_read_as_the_same_figures(tmp_path):
    """Text, floats, decimals and ints mean what one cell alone means: commas, percent rates, cents
    rounded half to even, padding stripped, NaN missing, "1e3" a number."""
    table = pa.table(
        {
            "source_key": ["1", "2", "3", "4"],
            "account_id": pa.array(["@Acct1", " acct1 ", "ACCT1", "acct1"]).dictionary_encode(),
            "start": pa.array([at(0), at(60), at(120), at(180)], TS),
            "title": [" Sale 🔥 ", "plain", "\u3000wide\u3000", "   "],
            "views": ["1,234", "1e3", " 12 ", ""],
            "gmv": pa.array([Decimal(v) for v in ("10.005", "10.015", "-0.125", "7")], pa.decimal128(24, 6)),
            "live_ctr": ["8.33%", "0.5", None, "1,000"],
            "acu": pa.array([1.5, float("nan"), 2.0, None], pa.float32()),
            "items_sold": pa.array([3.0, float("nan"), None, 2.0]),
            "creator_id": pa.array([123, None, 7, 8], pa.int64()),
        }
    )
    store(tmp_path).put_source("api", table)
    df = sessions(tmp_path).sort_index()
    assert df["title"].tolist()[:3] == ["Sale 🔥", "plain", "wide"] and pd.isna(df.loc["4", "title"])
    assert df["account_id"].tolist() == ["acct1"] * 4
    assert [None if pd.isna(v) else int(v) for v in df["views"]] == [1234, 1000, 12, None]
    assert [float(v) for v in df["gmv"]] == [10.0, 10.02, -0.12, 7.0]  # half to even, to the cent
    assert df["live_ctr"].tolist()[:2] == [pytest.approx(0.0833), 0.5] and pd.isna(df.loc["3", "live_ctr"])
    assert df.loc["4", "live_ctr"] == 1000.0
    assert df.loc["1", "acu"] == 1.5 and pd.isna(df.loc["2", "acu"])
    assert df.loc["1", "items_sold"] == 3 and pd.isna(df.loc["2", "items_sold"])
    assert df["creator_id"].tolist()[0] == "123"


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        # the first bad cell in row order, then column order (source_key before views in the schema)
        ({"views": ["7", "x"], "comments": ["1.5", "2"]}, "row 1: column 'comments': '1.5' is not a whole number"),
        ({"views": ["x", "7"], "gmv": ["1", "ten"]}, "row 1: column 'views': 'x' is not a whole number"),
        ({"views": [" 1e3 ", "1.5"]}, "row 2: column 'views': '1.5' is not a whole number"),
        ({"gmv": [1.5, float("inf")]}, "row 2: column 'gmv': inf is not an amount"),
        ({"acu": [1.0, float("inf")]}, "row 2: column 'acu': inf is not a number"),
        ({"title": [1.5, None]}, "row 1: column 'title': 1.5 is not text"),
        ({"views": [True, False]}, "row 1: column 'views': True is not a number"),
        ({"start": ["2026-03-01T12:00:00Z", "noon"]}, "row 2: column 'start': 'noon' is not an ISO 8601 time"),
        (
            {"start": ["2026-03-01T12:00:00Z", "2026-03-01T12:30:00"]},
            "row 2: column 'start'.* not a time with a time zone",
        ),
        ({"source_key": ["1", " "]}, "row 2: column 'source_key' is empty"),
        # a number that cannot be stored is named, after every other problem
        ({"views": [1e20, 1.0], "comments": [1, 2.5]}, "row 2: column 'comments': 2.5 is not a whole number"),
        ({"views": [1e20, 1.0]}, "row 1: column 'views': 1e\\+20 is out of range for int64"),
        ({"views": ["123456789012345678901", "1"]}, "row 1: column 'views': '123456789012345678901' is out of range"),
    ],
)
def test_the_first_bad_cell_is_named(tmp_path, columns, message):
    table = {"source_key": ["1", "2"], "account_id": ["a", "a"], "start": pa.array([at(0), at(90)], TS)}
    table.update(columns)
    with pytest.raises(StoreError, match=message):
        store(tmp_path).put_source("api", pa.table(table))
    assert Store(tmp_path / "s").snapshot().version == 0


def test_many_rows_match_their_nearest_sessions(tmp_path):
    """Hundreds of rows of several accounts against hundreds of sessions: each row links to the nearest
    session of its account within 30 min, one row per session; the rest become sessions of their own."""
    accounts = [f"acct{a}" for a in range(4)]
    export = [
        {"source_key": f"x-{a}-{i}", "account_id": f"@{acc.upper()}", "start": at(i * 240 + a * 7)}
        for a, acc in enumerate(accounts)
        for i in range(60)
    ]
    s = store(tmp_path)
    s.put_source("export", summaries(export))
    api, expected = [], {}
    for a, acc in enumerate(accounts):
        for i in range(60):
            key = f"9{a}{i:03d}"
            offset = (-29, 5, 30, 31, -45)[i % 5]  # minutes from the export's start
            api.append({"source_key": key, "account_id": acc, "start": at(i * 240 + a * 7 + offset)})
            expected[key] = f"x-{a}-{i}" if abs(offset) <= 30 else key
    # a second row near an already matched session: the nearer of the two wins, the other stays alone
    api.append({"source_key": "rival", "account_id": "acct0", "start": at(0 * 240 + 4)})
    expected["rival"] = "x-0-0"
    expected["90000"] = "90000"
    api.append({"source_key": "elsewhere", "account_id": "acct9", "start": at(5)})  # no session of acct9
    expected["elsewhere"] = "elsewhere"
    rep = s.put_source("api", summaries(api))
    assert rep.sessions == expected
    assert sorted(rep.linked) == sorted(v for k, v in expected.items() if v != k)
    df = sessions(tmp_path)
    assert len(df) == 240 + sum(1 for k, v in expected.items() if v == k)
    assert df.loc["x-0-0", "sources"].tolist() == ["api", "export"]
    again = Store(tmp_path / "s").put_source("api", summaries(api))
    assert not again.committed and again.sessions == expected and len(again.unchanged) == len(api)


def test_the_session_id_rule_applies_to_workbench_session(tmp_path):
    store(tmp_path).put_source("api", summaries([api_row("7300000000000000001", start=0)]))
    wb = liveboard.open(tmp_path / "s")
    assert wb.session("7300000000000000001").sources() == ["api"]
    with pytest.raises(liveboard.InputError, match=re.escape("session: a session id cannot contain '..'")):
        wb.session("../7300000000000000001")
    with pytest.raises(liveboard.InputError, match="session: a session id cannot contain ' '"):
        wb.session("a b")
    with pytest.raises(liveboard.InputError, match="session: no session id given"):
        wb.session("")


def test_an_unreadable_commit_log_is_an_error_not_an_empty_store(tmp_path):
    """EACCES on ``_log`` (which ``Path.glob`` would read as an empty folder) names the folder in one line.
    Root ignores file modes, so the read runs in a child without CAP_DAC_OVERRIDE (as the environment
    tests do)."""
    import subprocess
    import sys

    from test_environment_errors import no_dac_override

    prefix = no_dac_override()
    store(tmp_path).put_source("api", summaries([api_row("1", start=0)]))
    log = tmp_path / "s" / "commits" / "_delta_log"
    code = (
        "import sys\nfrom liveboard.store import Store, StoreError\n"
        "try:\n    Store(sys.argv[1]).snapshot()\n"
        "except StoreError as e:\n    print(e)\n    sys.exit(3)\n"
        "print('read as version', Store(sys.argv[1]).snapshot().version)\n"
    )
    log.chmod(0)
    try:
        proc = subprocess.run(
            [*prefix, sys.executable, "-c", code, str(tmp_path / "s")], capture_output=True, text=True
        )
    finally:
        log.chmod(0o755)
    assert proc.returncode == 3, (proc.returncode, proc.stdout, proc.stderr)
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1 and str(log) in lines[0] and "permission denied" in lines[0], lines
    assert Store(tmp_path / "s").snapshot().version == 1  # readable again: the store is intact
