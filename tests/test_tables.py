"""liveboard/tables.py: data files named after their content and checked on reading, commits pinned by version."""

from __future__ import annotations

import datetime as dt
import json

import pyarrow as pa
import pytest

from liveboard import tables
from liveboard.tables import TableDamage

TS = pa.timestamp("us", tz="UTC")
SCHEMA = pa.schema([pa.field("session_id", pa.string()), pa.field("ts", TS), pa.field("n", pa.int64())])
T0 = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


def rows(*ids: str) -> pa.Table:
    return pa.table(
        {
            "session_id": list(ids),
            "ts": [T0 + dt.timedelta(seconds=i) for i in range(len(ids))],
            "n": list(range(len(ids))),
        },
        schema=SCHEMA,
    )


def test_a_written_file_is_named_after_its_content_with_its_statistics(tmp_path):
    f = tables.write_file(tmp_path / "t", rows("a", "b", "c"), prefix="part", partition={"account": "x"})
    path = tmp_path / "t" / f.path
    assert f.path.startswith("account=x/part-") and f.partition == {"account": "x"} and f.rows == 3
    assert tables.named_hash(path) == tables.file_hash(path)
    assert tables.verify_file(path) is None
    stats = json.loads(f.stats)
    assert stats["numRecords"] == 3
    assert (stats["minValues"]["session_id"], stats["maxValues"]["session_id"]) == ("a", "c")
    assert stats["minValues"]["ts"] == "2026-03-01T12:00:00.000Z"
    assert tables.named_hash("part-notahash.parquet") is None


def test_a_changed_or_missing_file_is_damage(tmp_path):
    f = tables.write_file(tmp_path / "t", rows("a", "b"), prefix="part")
    path = tmp_path / "t" / f.path
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    assert "does not match the checksum" in tables.verify_file(path)
    with pytest.raises(TableDamage, match="does not match the checksum"):
        tables.read([path], SCHEMA)
    path.unlink()
    assert tables.verify_file(path) == "missing"


def test_commits_add_and_remove_files_and_each_version_reads_as_committed(tmp_path):
    path = tmp_path / "t"
    tables.create(path, SCHEMA)
    assert tables.exists(path) and tables.latest_version(path) == 0
    first = tables.write_file(path, rows("a", "b"), prefix="part")
    assert tables.commit(path, tables.Pending(adds=[first]), SCHEMA, None) == 1
    second = tables.write_file(path, rows("c"), prefix="part")
    pending = tables.Pending(adds=[second], removes=[first.path])
    assert tables.commit(path, pending, SCHEMA, None) == 2
    assert tables.read(tables.file_paths(path, 1), SCHEMA).to_pylist() == rows("a", "b").to_pylist()
    assert tables.read(tables.file_paths(path, 2), SCHEMA)["session_id"].to_pylist() == ["c"]
    assert tables.commit_info(path, 2)["liveboard"]["actions"] == {"add": 1, "remove": 1}
    assert list(tables.iter_log_versions(path)) == [0, 1, 2]
