"""liveboard/provenance: one LIVE, one session — how the rows of the API, a Seller Center export and a recorder
join sessions (matching, either order, the 30-minute window, nearest wins, one account), which figure wins
(precedence api > export > events, derived metrics recomputed, missing stays missing), what a put reports and
when it commits nothing, and how every cell of a source's columns is read or refused.

Most tests go through ``Store.put_source``, the one caller, on the helpers of tests/sources_helpers.py; the last
ones call the package itself.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pandas as pd
import pyarrow as pa
import pytest
from logbuilder import LogBuilder
from sources_helpers import TS, _trend, api_row, at, events_session, sessions, store, summaries

import liveboard
from liveboard import provenance
from liveboard.errors import DataProblem
from liveboard.eventlog import read_event_log
from liveboard.store import Store, StoreError

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


# ------------------------------------------------------------------ bad input


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


# ------------------------------------------------------------------ the package itself


def test_a_catalog_row_is_recomputed_from_the_stored_source_tables(tmp_path):
    """What the store keeps of each source is enough to rebuild every session's catalog row, figure for figure."""
    s = store(tmp_path)
    s.put_source("export", summaries([api_row("x", start=0, gmv="99.00", customers=7, title="Export")]))
    s.put_source("export", summaries([api_row("y", start=300, account="acct2", views=4)]))
    s.put_source("api", summaries([api_row("1", start=1, gmv="120.00", views=60)]))  # joins x
    snap = s.snapshot()
    stored = s.read_table("sessions", snap).sort_by("session_id")
    source_rows = s.source_tables(snap).summaries
    assert provenance.catalog_rows(None, source_rows, ["y", "x"]).equals(stored)
    assert provenance.catalog_rows(None, source_rows, ["y"]).equals(stored.slice(1, 1))
    assert provenance.catalog_rows(None, source_rows, ["gone"]).num_rows == 0  # no rows, no session


def test_a_refusal_is_the_packages_word_for_word(tmp_path):
    """``read_batch`` checks a put before the store opens a writer: the store's one-line refusal is its message."""
    bad = [
        ("api", summaries([api_row("1", gmv="ten")])),
        ("api", summaries([api_row("1"), api_row("1")])),
        ("tiktok", summaries([api_row("1")])),
    ]
    for source, table in bad:
        with pytest.raises(provenance.SourceError) as refused:
            provenance.read_batch(source, table)
        assert isinstance(refused.value, DataProblem) and "\n" not in str(refused.value)
        with pytest.raises(StoreError) as by_store:
            store(tmp_path).put_source(source, table)
        assert str(by_store.value) == str(refused.value)
    assert Store(tmp_path / "s").snapshot().version == 0
    # a good one: in the stored schemas, not linked to a session yet, side rows in the order they are stored in
    trend = _trend("1", 60, 3).take([2, 0, 1])
    good = provenance.read_batch("api", summaries([api_row("2", start=5), api_row("1")]), trends=trend)
    assert good.summaries["source_key"].to_pylist() == ["2", "1"] and good.summaries["session_id"].null_count == 2
    assert good.side("source_trends")["t"].to_pylist() == sorted(trend["t"].to_pylist())
    assert good.side("source_products") is None


def test_accounts_match_without_at_case_or_padding():
    assert {provenance.account_key(a) for a in ("@GlowLab", " glowlab ", "GLOWLAB", "@glowlab")} == {"glowlab"}
    assert provenance.account_key(None) is None and provenance.account_key("") is None
