"""The SQL the store builds: Parquet sources, literals, typed empty selects, and tables put into a DuckDB
connection."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa

from liveboard import provenance
from liveboard.quoting import sql_literal


def _register(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table, schema: pa.Schema) -> None:
    con.register(name, table if table.num_columns else schema.empty_table())


def _materialize(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table, schema: pa.Schema) -> None:
    """A table of the in-memory database (visible to every cursor, unlike a registered Arrow table)."""
    if not table.num_rows and not table.num_columns:
        con.execute(f"CREATE TABLE {name} AS {provenance.empty_select(schema)}")
        return
    con.register("_incoming", table)
    try:
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM _incoming")
    finally:
        con.unregister("_incoming")


def _empty_select(schema: pa.Schema) -> str:
    """A typed, empty SELECT: a view built from it is visible to every cursor (registered tables are not)."""
    types = {pa.string(): "VARCHAR", pa.large_string(): "VARCHAR", pa.int64(): "BIGINT"}
    cols = ", ".join(f"NULL::{types.get(f.type, 'TIMESTAMPTZ')} AS {f.name}" for f in schema)
    return f"SELECT {cols} WHERE false"


def parquet_source(paths: list[Path] | Path) -> str:
    """SQL reading Parquet files as they are: partition folders are layout, not extra columns."""
    items = paths if isinstance(paths, list) else [paths]
    return "read_parquet([" + ", ".join(sql_literal(p) for p in items) + "], hive_partitioning = false)"
