"""Keeping a store small: live-written sessions compacted into one file per partition, and ``vacuum``."""

from __future__ import annotations

from liveboard import tables
from liveboard.events import EVENT_SCHEMA
from liveboard.store.commit import Committing
from liveboard.store.errors import StoreError
from liveboard.store.event_files import EventFileWriting
from liveboard.store.layout import ALL_TABLES, VACUUM_RETAIN_HOURS


class Maintenance(Committing, EventFileWriting):
    """``compact`` and ``vacuum``."""

    def compact(self, session_ids: list[str]) -> int:
        """Rewrite the many small files of live-written sessions as one file per partition (Delta's
        ``optimize``), then ``vacuum``.

        Only files that hold nothing but one of these sessions are rewritten. The old files stay readable by
        snapshots taken before, until a vacuum at least :data:`VACUUM_RETAIN_HOURS` later deletes them.
        """
        with self._writer("compact") as c:
            con, _ = self.connect(c.snap, private=True)
            con.execute("SET TimeZone = 'UTC'")
            old = [
                r[0]
                for r in con.execute(
                    "SELECT path FROM event_files WHERE min_session = max_session "
                    "AND min_session IN (SELECT unnest($ids)) ORDER BY path",
                    {"ids": list(session_ids)},
                ).fetchall()
            ]
            if len(old) < 2:
                return c.snap.version
            con.register("_old_files", tables.dataset([self.root / p for p in old], EVENT_SCHEMA))
            con.execute("CREATE OR REPLACE TEMP VIEW fresh AS SELECT * FROM _old_files")
            self._write_event_files(con, c, new=False)
            c.remove("events", [p.removeprefix("events/") for p in old])
            v = c.commit()
        self.vacuum()
        return v

    def vacuum(self, retention_hours: float = VACUUM_RETAIN_HOURS) -> dict[str, int]:
        """Delete data files no version of the last ``retention_hours`` needs; per table, how many.

        The head's and the catalog's history is kept as long (time travel within that window)."""
        with self._writer("vacuum") as c:
            out = {}
            for name in ALL_TABLES:
                try:
                    out[name] = len(tables.vacuum(self.root / name, retention_hours))
                except tables.TableDamage as exc:
                    raise StoreError(f"{exc}; {self.damage_hint()}") from None
            del c
            return out
