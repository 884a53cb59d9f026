"""The in-memory DuckDB that provenance's joins run on: one database per process, one cursor per query."""

from __future__ import annotations

import os
import threading

import duckdb
import pyarrow as pa

_ENGINE: dict[int, duckdb.DuckDBPyConnection] = {}  # pid -> an in-memory database for these queries
_ENGINE_LOCK = threading.Lock()


def sql(query: str, params: dict | None = None, **tables) -> pa.Table:
    """One query over Arrow tables, times in UTC.

    Each query runs on its own cursor (its own registrations) of one in-memory database per process:
    a cursor costs a millisecond, a new database a hundred on a busy machine.
    """
    with _ENGINE_LOCK:
        engine = _ENGINE.get(os.getpid())
        if engine is None:
            _ENGINE.clear()  # a forked child does not share its parent's database
            engine = _ENGINE[os.getpid()] = duckdb.connect()
        con = engine.cursor()
    try:
        con.execute("SET TimeZone = 'UTC'")
        for name, table in tables.items():
            con.register(name, table)
        return con.sql(query, params=params).to_arrow_table()
    finally:
        con.close()
