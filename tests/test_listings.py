"""liveboard/listings.py: what ``liveboard sessions`` and ``liveboard accounts`` print — CSV and JSON records
in the spec's shape, and terminal tables whose figures read as on the dashboards."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest

import liveboard
from liveboard import listings
from liveboard.simulator import simulate_session
from liveboard.store import Store
from liveboard.views import format as fmt
from liveboard.workbench import ACCOUNT_COLUMNS, SESSION_COLUMNS

START = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def wb(tmp_path_factory):
    root = tmp_path_factory.mktemp("listings") / "store"
    st = Store(root, create=True)
    st.append(simulate_session("glow-1", "glow.lab", START, 600, seed=3, scale=0.05))
    st.append(simulate_session("glow-2", "glow.lab", START + dt.timedelta(days=1), 600, seed=4, scale=0.05))
    return liveboard.open(root)


def test_sessions_records_have_the_spec_columns_iso_times_and_money_to_the_cent(wb):
    df = wb.sessions()
    out = listings.sessions_csv_frame(df)
    assert list(out.columns) == list(SESSION_COLUMNS)
    row, src = out.iloc[0], df.iloc[0]
    assert row["start"] == src["start"].isoformat() and row["gmv"] == f"{src['gmv']:.2f}"
    records = _records(out, "json")
    assert records[0]["session_id"] == src["session_id"]
    assert all(r["end"] is None or r["end"].startswith("2026-03-0") for r in records)  # an empty cell is null


def test_csv_records_neutralise_formulas(wb, capsys):
    df = wb.sessions().head(1).copy()
    df["title"] = '=HYPERLINK("http://x")'
    listings.write_records(listings.sessions_csv_frame(df), "csv")
    assert "'=HYPERLINK" in capsys.readouterr().out


def test_the_terminal_table_reads_as_the_dashboards_and_missing_is_never_nan(wb):
    df = wb.sessions()[["session_id", "gmv", "live_ctr", "duration_s"]].copy()
    df.loc[df.index[0], "live_ctr"] = float("nan")
    view = listings.format_for_table(df)
    assert view["gmv"].iloc[1] == f"{df['gmv'].iloc[1]:,.2f}"
    assert view["live_ctr"].iloc[0] == fmt.MISSING and view["live_ctr"].iloc[1] == fmt.metric(
        "live_ctr", df["live_ctr"].iloc[1]
    )
    assert "nan" not in view.to_string().lower()


def test_accounts_csv_and_table_mark_a_figure_only_some_sessions_have(wb):
    acc = wb.accounts()
    assert list(listings.accounts_csv_frame(acc).columns) == list(ACCOUNT_COLUMNS)
    view, partial = listings.accounts_table(acc)
    assert list(view.columns) == list(listings.ACCOUNT_TABLE) and not partial
    assert view["sessions"].iloc[0] == "2"
    fewer = acc.assign(live_ctr_sessions=acc["sessions"] - 1)  # one of the two sessions saw impressions
    view, partial = listings.accounts_table(fewer)
    assert partial and view["live_ctr"].iloc[0].endswith("*")


def _records(frame, kind):
    out = io.StringIO()
    import contextlib

    with contextlib.redirect_stdout(out):
        listings.write_records(frame, kind)
    return json.loads(out.getvalue())
