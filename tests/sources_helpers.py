"""What the tests of sources in the store share (tests/test_provenance.py, tests/test_sources_store.py): summary
rows of a source as ``Store.put_source`` takes them, their times in minutes after logbuilder's BASE, a session of
events imported beside them, and the store they go into (``<tmp_path>/s``)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pyarrow as pa
from logbuilder import BASE, LogBuilder, import_files

import liveboard
from liveboard.store import Store

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


def _trend(key: str, interval: int, n: int, **figures) -> pa.Table:
    return pa.table(
        {
            "source_key": [key] * n,
            "t": pa.array([at(i * interval / 60) for i in range(n)], TS),
            "interval_s": [interval] * n,
            **{k: [v] * n for k, v in figures.items()},
        }
    )
