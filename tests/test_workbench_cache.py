"""What ``Workbench`` keeps of a snapshot (the session catalog as a frame, the latest accounts tables): the same
frames as the queries alone, down to the dtypes; a commit between two calls is seen; and a returned frame is
the caller's own — changing it changes no later result."""

from __future__ import annotations

import datetime as dt
import threading

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from logbuilder import summary_table

import liveboard
from liveboard.simulator import simulate
from liveboard.store import Store
from liveboard.workbench import EXTRA_COLUMNS, SESSION_COLUMNS, SESSION_ORDER, Workbench, session_filter

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)


def summaries(rows: list[dict]) -> pa.Table:
    """Summary-only sessions; a figure left out of a row stays missing."""
    return summary_table(rows)


def row(sid: str, days: float, account: str | None, **figures) -> dict:
    return {"session_id": sid, "start": NOW - dt.timedelta(days=days), "account_id": account} | figures


ROWS = [
    # every figure: no null in this account's integer columns
    row("full-1", 1, "full.shop", currency="USD", title="Été sale ÉTÉ", duration_s=3600.0, gmv=10.5, items_sold=3)
    | dict(views=100, viewers=80, product_clicks=10, sku_orders=2, live_event_id="le-full"),
    row("full-2", 2, "full.shop", currency="USD", title="Straße 100% off_now", duration_s=1800.0, gmv=1.25)
    | dict(items_sold=1, views=50, viewers=40, product_clicks=5, sku_orders=1, live_event_id="le-full"),
    # figures missing: nulls in integer columns, no live event, no title
    row("gap-1", 3, "gaps.shop", currency="MYR", gmv=99.99, views=10),
    row("gap-2", 40, "gaps.shop", currency="MYR", title="İstanbul night", duration_s=600.0),
    row("nobody", 5, None, title="who?", gmv=7.0),
    row("old", 400, "old.shop", currency="THB", title="old", duration_s=7200.0, gmv=999.0, items_sold=9, views=90),
]

FILTERS = [
    {},
    {"since": "2026-11-18"},
    {"until": "2026-11-18"},
    {"since": "2026-11-01", "until": "2026-11-19"},
    {"since": "2030-01-01"},  # no row
    {"search": "été"},
    {"search": "STRASSE"},
    {"search": "100%"},
    {"search": "off_"},
    {"search": "i̇stanbul"},
    {"search": "full-"},
    {"search": "no such title"},
    {"account": "full.shop"},  # no null in its integer columns: int64, not Int64
    {"account": "gaps.shop"},  # no live event: an all-null text column
    {"account": "no.such.shop"},
    {"live_event": "le-full"},
    {"account": "full.shop", "since": "2026-11-19", "search": "sale"},
]


def build(path) -> Store:
    store = Store(path, create=True)
    for table in simulate(1, accounts=1, sessions=2, scale=0.005, now=NOW):
        store.append(table)
    store.put_summaries(summaries(ROWS))
    return store


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Store:
    return build(tmp_path_factory.mktemp("wbcache") / "store")


def queried(wb: Workbench, **filters) -> pd.DataFrame:
    """What :meth:`Workbench.sessions` gave before it kept the catalog: the query itself, as a DataFrame."""
    where, params = session_filter(**filters)
    con = wb._con()
    cols = {r[0] for r in con.execute("DESCRIBE sessions").fetchall()}
    select = ", ".join(f'"{c}"' for c in SESSION_COLUMNS + EXTRA_COLUMNS if c in cols)
    return con.execute(f"SELECT {select} FROM sessions WHERE {where} ORDER BY {SESSION_ORDER}", params).df()


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: ",".join(f"{k}={v}" for k, v in f.items()) or "all")
def test_a_kept_catalog_gives_the_frames_of_the_query(store, filters):
    first = liveboard.open(store.root)
    one_off = first.sessions(**filters)  # a first filtered read: the query alone
    want = queried(first, **filters)
    pd.testing.assert_frame_equal(one_off, want, check_exact=True)
    wb = liveboard.open(store.root)
    wb.sessions()  # the catalog is kept from here on
    for _ in range(2):
        pd.testing.assert_frame_equal(wb.sessions(**filters), want, check_exact=True)


def test_the_dtypes_follow_the_rows_as_the_query_does(store):
    wb = liveboard.open(store.root)
    full = wb.sessions()
    assert str(full["items_sold"].dtype) == "Int64" and str(full["live_event_id"].dtype) == "str"
    shop = wb.sessions(account="full.shop")
    assert len(shop) == 2 and shop["items_sold"].dtype == np.int64  # no null among its rows
    gaps = wb.sessions(account="gaps.shop")
    assert gaps["live_event_id"].dtype == object and gaps["live_event_id"].tolist() == [None, None]
    none = wb.sessions(since="2030-01-01")
    assert none.empty and list(none.columns) == list(full.columns)
    assert list(wb.sessions(search="i̇stanbul")["session_id"]) == list(queried(wb, search="i̇stanbul")["session_id"])


def test_a_commit_between_two_calls_is_seen(tmp_path):
    store = Store(tmp_path / "store", create=True)
    wb = liveboard.open(store.root)
    assert wb.sessions().empty and wb.accounts().empty
    store.put_summaries(summaries(ROWS[:2]))
    before = {
        "sessions": wb.sessions(),
        "account": wb.sessions(account="full.shop"),
        "accounts": wb.accounts(),
        "since": wb.accounts(since="2026-11-01", now=NOW),
        "series": wb.account_series(["full.shop", "gaps.shop"]),
    }
    assert before["sessions"]["session_id"].tolist() == ["full-1", "full-2"]
    assert before["accounts"]["account_id"].tolist() == ["full.shop"]
    assert wb.sessions().equals(before["sessions"]) and wb.accounts().equals(before["accounts"])  # kept
    store.put_summaries(summaries([ROWS[2], row("full-3", 0.5, "full.shop", currency="USD", title="new", gmv=2.0)]))
    after = liveboard.open(store.root)  # a workbench that never saw the old snapshot
    assert wb.sessions()["session_id"].tolist() == ["full-3", "full-1", "full-2", "gap-1"]
    pd.testing.assert_frame_equal(wb.sessions(), after.sessions(), check_exact=True)
    pd.testing.assert_frame_equal(wb.sessions(account="full.shop"), queried(after, account="full.shop"))
    pd.testing.assert_frame_equal(wb.accounts(), after.accounts(), check_exact=True)
    pd.testing.assert_frame_equal(wb.accounts(since="2026-11-01", now=NOW), after.accounts(since="2026-11-01", now=NOW))
    assert wb.accounts()["account_id"].tolist() == ["full.shop", "gaps.shop"]
    assert int(wb.accounts().set_index("account_id").loc["full.shop", "sessions"]) == 3
    series = wb.account_series(["full.shop", "gaps.shop"])
    assert series["sessions"].sum() == 4 and before["series"]["sessions"].sum() == 2


def test_changing_a_returned_frame_changes_no_later_result(store):
    wb = liveboard.open(store.root)
    calls = {
        "sessions": lambda: wb.sessions(),
        "filtered": lambda: wb.sessions(account="full.shop"),
        "accounts": lambda: wb.accounts(),
        "accounts since": lambda: wb.accounts(since="2026-11-01", now=NOW),
        "series": lambda: wb.account_series(["full.shop", "gaps.shop"]),
    }
    for name, call in calls.items():
        want = call().copy(deep=True)
        got = call()
        got.iloc[0, 0] = "changed"
        for col in got.columns:
            if got[col].dtype.kind in "if":  # int64, Int64, float64: changed in place
                got.loc[got.index[0], col] = 12345
                values = got[col].to_numpy()
                if values.flags.writeable:
                    values[:] = -1
        got["extra"] = 1
        got.pop(got.columns[1])
        pd.testing.assert_frame_equal(call(), want, check_exact=True, obj=name)
    df = wb.sessions()
    cell = df["sources"].iloc[0]
    with pytest.raises(ValueError):  # a list cell is shared with what is kept: read-only, never changed
        cell[0] = "changed"
    assert wb.sessions()["sources"].iloc[0].tolist() == cell.tolist()


def test_threads_reading_a_new_snapshot_get_the_same_frames(store):
    wb = liveboard.open(store.root)
    want = (queried(wb), queried(wb, search="full"), wb.accounts())
    wb = liveboard.open(store.root)
    got, errors = [], []

    def read():
        try:
            got.append((wb.sessions(), wb.sessions(search="full"), wb.accounts()))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=read) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(got) == 4
    for frames in got:
        for a, b in zip(frames, want, strict=True):
            pd.testing.assert_frame_equal(a, b, check_exact=True)
