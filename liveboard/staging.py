"""A bulk import's events set down while they are read, already as the store's event files would hold them.

An import of millions of events cannot wait for its checks (duplicates, conflicts, sealed sessions) with its
events in memory, so it sets them down first. Written in the layout of the commit they are meant for (one
Parquet file per account and start date, the ``seq`` this commit gives them, checksums, statistics), the
staged files need no second pass in the usual case: when the checks set nothing aside, every session's
rows landed in its final partition and no other writer committed meanwhile, the commit takes the files as
they are. Otherwise they are the input of the store's ordinary rewrite, which is always right.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from liveboard import tables
from liveboard.events import DICTIONARY_COLUMNS, EVENT_SCHEMA
from liveboard.quoting import safe_name

#: A partition of the events table: (account folder value, UTC date of the session's start).
Partition = tuple[str, str]


def safe_part(value: str | None) -> str:
    """A partition folder value: readable, and never a path separator or a dot-dot."""
    if not value:
        return "_unknown"
    return safe_name(value, "_unknown")


def day_of(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%d")


class EventStager:
    """Events of a bulk import written part by part into ``folder`` (``account=…/date=…/`` files named for
    commit ``version``), with ``seq`` shifted by ``shift``. ``known``: sessions already in the store, with
    their account and start (what places their new events). One thread writes, in the order of the parts."""

    def __init__(
        self, folder: Path, *, version: int, shift: int, known: dict[str, tuple[str | None, dt.datetime | None]]
    ):
        self.folder, self.version, self.shift, self.known = folder, version, shift, known
        self.placed: dict[str, set[Partition]] = defaultdict(set)  # session -> partitions its rows went to
        self.files: list[tables.DataFile] = []
        self._seen: dict[str, list] = {}  # session -> [first session_start ts, its account, first ts]
        self._writers: dict[Partition, tables.FileWriter] = {}
        self._con = duckdb.connect()
        self._con.execute("SET TimeZone = 'UTC'")
        self._seq = EVENT_SCHEMA.get_field_index("seq")

    def partition(self, session_id: str) -> Partition:
        """Where the session's events go, from what has been read so far (the rule of the store's writer:
        the account of its first session_start, else the stored one; the stored start, else the first
        session_start, else its first event)."""
        start, account, first = self._seen[session_id]
        known_account, known_start = self.known.get(session_id, (None, None))
        return safe_part(account if account is not None else known_account), day_of(known_start or start or first)

    def write(self, events: pa.Table) -> None:
        if not events.num_rows:
            return
        self._con.register("part", events)
        try:
            rows = self._con.execute(
                "SELECT session_id, min(ts) FILTER (WHERE type = 'session_start'), "
                "arg_min(account_id, ts) FILTER (WHERE type = 'session_start'), min(ts) FROM part GROUP BY ALL"
            ).fetchall()
        finally:
            self._con.unregister("part")
        for sid, start, account, first in rows:
            seen = self._seen.setdefault(sid, [start, account, first])
            if start is not None and (seen[0] is None or start < seen[0]):
                seen[0], seen[1] = start, account
            seen[2] = min(seen[2], first)
        where = {sid: self.partition(sid) for sid, *_ in rows}
        seq = pc.add(events["seq"], pa.scalar(self.shift, pa.int64()))
        events = events.set_column(self._seq, EVENT_SCHEMA.field("seq"), seq)
        keys = sorted(set(where.values()))
        if len(keys) == 1:
            pieces = [(keys[0], events)]
        else:
            sids = list(where)
            number = np.array([keys.index(where[s]) for s in sids])
            of_row = number[pc.index_in(events["session_id"], pa.array(sids, pa.string())).to_numpy()]
            pieces = [(k, events.filter(pa.array(of_row == n))) for n, k in enumerate(keys)]
        for key, piece in pieces:
            self._writer(key).write(piece)
        for sid, key in where.items():
            self.placed[sid].add(key)

    def _writer(self, key: Partition) -> tables.FileWriter:
        if key not in self._writers:
            account, day = key
            self._writers[key] = tables.FileWriter(
                self.folder,
                prefix=f"c{self.version:09d}-{len(self._writers):05d}",
                partition={"account": account, "date": day},
                schema=EVENT_SCHEMA,
                dictionary=DICTIONARY_COLUMNS,
            )
        return self._writers[key]

    def close(self) -> list[tables.DataFile]:
        self.files = [w.close() for w in self._writers.values()]
        self._writers.clear()
        return self.files

    def abort(self) -> None:
        for w in self._writers.values():
            w.abort()
        self._writers.clear()

    def paths(self) -> list[Path]:
        return [self.folder / f.path for f in self.files]

    def fits(self, partitions: dict[str, Partition]) -> bool:
        """Whether every session's rows landed in the one partition the commit gives it."""
        return set(partitions) == set(self.placed) and all(self.placed[sid] == {key} for sid, key in partitions.items())
