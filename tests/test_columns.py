"""liveboard/columns.py: the session table's columns, which the store checks a source's columns against."""

from __future__ import annotations

import datetime as dt

import pytest
from logbuilder import summary_table

from liveboard import metrics, provenance, workbench
from liveboard.columns import EXTRA_COLUMNS, IDENTITY_COLUMNS, SESSION_COLUMNS
from liveboard.store import Store, StoreError

START = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)


def test_session_columns_are_the_identity_then_every_metric_once():
    assert SESSION_COLUMNS[: len(IDENTITY_COLUMNS)] == IDENTITY_COLUMNS
    assert len(set(SESSION_COLUMNS)) == len(SESSION_COLUMNS)
    assert set(metrics.SESSION_METRICS) <= set(SESSION_COLUMNS)
    assert not set(EXTRA_COLUMNS) & set(SESSION_COLUMNS)
    assert set(provenance.SOURCE_FIGURES) <= set(EXTRA_COLUMNS)
    # the workbench selects the very same columns
    assert workbench.SESSION_COLUMNS is SESSION_COLUMNS and workbench.EXTRA_COLUMNS is EXTRA_COLUMNS


def test_the_store_takes_summary_columns_of_the_session_table_and_refuses_others(tmp_path):
    store = Store(tmp_path / "store", create=True)
    row = {"session_id": "s1", "start": START, "account_id": "acct", "gmv": 12.5}
    store.put_summaries(summary_table([row]))
    assert [r["session_id"] for r in store.read_table("sessions").to_pylist()] == ["s1"]
    with pytest.raises(StoreError, match="summary columns not in the session table: not_a_column"):
        store.put_summaries(summary_table([row | {"not_a_column": "x"}]))
