"""Sessions known by their figures (the older put_summaries): missing stays missing; events merge."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from logbuilder import LogBuilder, import_files

import liveboard
from liveboard.store import Store, StoreError


def _summary(**cols) -> pa.Table:
    base = {
        "session_id": ["x1"],
        "title": ["From an export"],
        "account_id": ["shop"],
        "start": pa.array([dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)], pa.timestamp("us", tz="UTC")),
        "gmv": [1234.5],
        "views": [900],
    }
    base.update(cols)
    return pa.table(base)


def test_summary_only_session_is_listed_with_missing_figures_missing(tmp_path):
    store = Store(tmp_path / "s", create=True)
    store.put_summaries(_summary())
    df = liveboard.open(tmp_path / "s").sessions()
    row = df.iloc[0]
    # not sealed: the LIVE's events may still come (they merge into this session)
    assert row["session_id"] == "x1" and row["source"] == "summary" and not bool(row["sealed"])
    assert float(row["gmv"]) == 1234.5 and int(row["views"]) == 900
    assert row[["viewers", "pcu", "live_ctr", "customers"]].isna().all()  # not given: missing, never 0
    s = liveboard.open(tmp_path / "s").session("x1")
    assert s.trend().empty and s.products().empty


def test_summaries_sit_beside_sessions_with_events(tmp_path):
    log = LogBuilder("e1")
    log.start(0)
    log.enter(5, "u1")
    log.end(60)
    import_files(tmp_path / "s", [log.write(tmp_path / "e1.jsonl")])
    store = Store(tmp_path / "s")
    store.put_summaries(_summary())
    df = liveboard.open(tmp_path / "s").sessions()
    assert sorted(df["session_id"]) == ["e1", "x1"]
    assert int(df.set_index("session_id").loc["e1", "views"]) == 1
    # a summary of a session with events merges into it (one LIVE, one session): its figures win over
    # the events' (an export ranks above events), the events keep what the summary does not give
    store.put_summaries(_summary(session_id=["e1"], account_id=["acct1"]))
    df = liveboard.open(tmp_path / "s").sessions().set_index("session_id")
    assert sorted(df.index) == ["e1", "x1"]
    assert int(df.loc["e1", "views"]) == 900 and float(df.loc["e1", "gmv"]) == 1234.5
    assert int(df.loc["e1", "viewers"]) == 1 and df.loc["e1", "source"] == "events"
    assert list(df.loc["e1", "sources"]) == ["events", "export"]


def test_bad_summary_tables_are_refused_whole(tmp_path):
    store = Store(tmp_path / "s", create=True)
    with pytest.raises(StoreError, match="not in the session table: nonsense"):
        store.put_summaries(_summary(nonsense=[1]))
    with pytest.raises(StoreError, match="needs 'start'"):
        store.put_summaries(_summary().drop_columns(["start"]))
    assert liveboard.open(tmp_path / "s").sessions().empty
