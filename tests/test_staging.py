"""liveboard/staging.py: a bulk import's parts written straight into partition files, and whether they fit."""

from __future__ import annotations

import datetime as dt

import pyarrow.parquet as pq
from logbuilder import BASE, LogBuilder

from liveboard.eventlog import read_event_logs
from liveboard.events import EVENT_SCHEMA
from liveboard.staging import EventStager, day_of, safe_part


def part(tmp_path, log: LogBuilder, name: str):
    return read_event_logs([log.write(tmp_path / name)]).events


def test_partition_values_are_safe_folder_names_and_utc_days():
    assert safe_part(None) == safe_part("") == "_unknown"
    for hostile in ("../../etc", "a/b", ".."):
        value = safe_part(hostile)
        assert "/" not in value and value not in (".", "..")
    assert safe_part("acct1") == "acct1"
    late_evening = dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    assert day_of(late_evening) == "2026-03-02"


def test_parts_land_in_their_sessions_partitions_with_seq_shifted(tmp_path):
    a, b = LogBuilder("s1"), LogBuilder("s2")
    a.start(0, account_id="acct1")
    a.ev("comment", 10, user_id="u", text="hi")
    b.start(86_400, account_id="acct2")
    b.ev("like", 86_410, user_id="v", count=2)
    events = part(tmp_path, a, "a.jsonl")
    more = part(tmp_path, b, "b.jsonl")
    stager = EventStager(tmp_path / "stage", version=7, shift=100, known={})
    stager.write(events)
    stager.write(more)
    files = stager.close()
    assert sorted(f.path.rsplit("/", 1)[0] for f in files) == [
        "account=acct1/date=2026-03-01",
        "account=acct2/date=2026-03-02",
    ]
    assert all(f.path.rsplit("/", 1)[1].startswith("c000000007-") for f in files)
    assert sum(f.rows for f in files) == 4
    read = [pq.read_table(p, schema=EVENT_SCHEMA) for p in stager.paths()]
    seqs = sorted(s for t in read for s in t["seq"].to_pylist())
    expected = sorted(s + 100 for t in (events, more) for s in t["seq"].to_pylist())
    assert seqs == expected
    assert stager.fits({"s1": ("acct1", "2026-03-01"), "s2": ("acct2", "2026-03-02")})
    assert not stager.fits({"s1": ("acct1", "2026-03-01"), "s2": ("acct2", "2026-03-01")})
    assert not stager.fits({"s1": ("acct1", "2026-03-01")})


def test_a_session_start_read_late_moves_the_session_and_the_staged_rows_no_longer_fit(tmp_path):
    log = LogBuilder("s9")
    log.ev("comment", 86_400, user_id="u", text="early in the file, late in time")
    first = part(tmp_path, log, "first.jsonl")
    late = LogBuilder("s9")
    late.start(0, account_id="acct9")
    stager = EventStager(tmp_path / "stage", version=1, shift=0, known={})
    stager.write(first)
    assert stager.partition("s9") == ("_unknown", "2026-03-02")
    stager.write(part(tmp_path, late, "late.jsonl"))
    assert stager.partition("s9") == ("acct9", "2026-03-01")
    stager.close()
    assert not stager.fits({"s9": ("acct9", "2026-03-01")})


def test_a_known_session_keeps_its_stored_account_and_start(tmp_path):
    log = LogBuilder("old")
    log.ev("comment", 86_400 * 3, user_id="u", text="days later")
    known = {"old": ("acct-old", BASE)}
    stager = EventStager(tmp_path / "stage", version=2, shift=0, known=known)
    stager.write(part(tmp_path, log, "old.jsonl"))
    assert stager.partition("old") == ("acct-old", "2026-03-01")
    [f] = stager.close()
    assert f.path.startswith("account=acct-old/date=2026-03-01/")
