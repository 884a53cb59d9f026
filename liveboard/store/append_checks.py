"""The checks of an append, each over the batch in the connection: ids already stored (duplicates and
conflicts), ids repeated in the batch, ``session_end`` before the start, sealed sessions; and the quarantine
rows of what they rejected."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa

from liveboard.eventlog import BAD_ROW_SCHEMA, to_json_lines
from liveboard.events import EVENT_SCHEMA
from liveboard.store.reading import StoreReading
from liveboard.store.sql import parquet_source

if TYPE_CHECKING:
    from liveboard.store.append import ImportReport


class AppendChecks(StoreReading):
    """What :meth:`Store.append` rejects, and why (``fresh``: the batch less the rows set aside so far)."""

    def _check_stored(
        self, con, report: ImportReport, rejected: dict[int, str], *, recent_only: bool, bulk: bool
    ) -> None:
        """Ids already stored: a duplicate when the content is the same, else a conflict (the stored one wins).
        Leaves temp table ``matched`` (the batch rows whose id is stored, with the fields that differ)."""
        touched = [r[0] for r in con.execute("SELECT DISTINCT session_id FROM batch_raw ORDER BY 1").fetchall()]
        con.execute("CREATE TEMP TABLE matched (_row BIGINT, diff VARCHAR[])")
        if self.event_files(con, touched):
            since = con.execute("SELECT min(ts) FROM batch_raw").fetchall()[0][0] if recent_only else None
            self.define_events(con, touched, since=since, native=bulk)
            con.execute(
                "CREATE TEMP TABLE hit AS SELECT b._row, b.session_id, b.id FROM batch_raw b "
                "SEMI JOIN (SELECT session_id, id FROM ev) s ON b.session_id = s.session_id AND b.id = s.id"
            )
            if con.execute("SELECT count(*) FROM hit").fetchall()[0][0]:
                con.execute(
                    f"INSERT INTO matched SELECT b._row, {_diff_sql('b', 's')} FROM hit h "
                    "JOIN batch_raw b USING (_row) JOIN ev s ON s.session_id = h.session_id AND s.id = h.id"
                )
        conflicts: dict[int, str] = {}
        for row, sid, eid, diff in con.execute(
            "SELECT m._row, b.session_id, b.id, m.diff FROM matched m JOIN batch_raw b USING (_row) "
            "WHERE len(m.diff) > 0 ORDER BY m._row"
        ).fetchall():
            conflicts[row] = (
                f"event {eid!r} of session {sid} differs from the stored event with this id "
                f"({_fields(diff)}): rejected, the stored one is kept"
            )
        rejected.update(conflicts)
        report.conflicts = len(conflicts)
        report.duplicates = con.execute("SELECT count(*) FROM matched WHERE len(diff) = 0").fetchall()[0][0]

    def _check_repeats(
        self, con, report: ImportReport, rejected: dict[int, str], located: dict[int, dict], origin
    ) -> None:
        """Ids new to the store: repeated verbatim is a duplicate (the first is kept); two versions reject
        every version."""
        # distinct hashes prove distinct ids (the usual case) at half the cost of grouping by the ids
        repeated = (
            con.execute("SELECT count(*) > count(DISTINCT hash(session_id, id)) FROM fresh").fetchall()[0][0]
            and con.execute(
                "SELECT count(*) FROM (SELECT 1 FROM fresh GROUP BY session_id, id HAVING count(*) > 1)"
            ).fetchall()[0][0]
        )
        if repeated:
            clashing = self._batch_conflicts(con, origin, located)
            rejected.update(clashing)
            report.conflicts += len(clashing)
            before = con.execute("SELECT count(*) FROM fresh").fetchall()[0][0]
            _drop(con, list(clashing))
            con.execute(
                "CREATE TEMP TABLE _repeats AS WITH rep AS (SELECT session_id, id FROM fresh "
                "GROUP BY session_id, id HAVING count(*) > 1) "
                "SELECT f._row FROM fresh f SEMI JOIN rep r ON f.session_id = r.session_id AND f.id = r.id "
                "QUALIFY row_number() OVER (PARTITION BY f.session_id, f.id ORDER BY f.seq, f._row) > 1"
            )
            con.execute("INSERT INTO dropped SELECT _row FROM _repeats")
            after = con.execute("SELECT count(*) FROM fresh").fetchall()[0][0]
            report.duplicates += before - len(clashing) - after

    def _refuse_sealed(self, con, report: ImportReport, rejected: dict[int, str]) -> set[str]:
        """Sealed sessions take late updates of their own orders, and nothing else. Returns the sealed sessions
        of the batch."""
        sealed = {
            r[0]
            for r in con.execute(
                "SELECT session_id FROM sessions WHERE sealed AND session_id IN (SELECT session_id FROM fresh)"
            ).fetchall()
        }
        if sealed:
            refused, late = self._sealed_split(con, sorted(sealed))
            report.refused = len(refused)
            report.late_updates = late
            rejected.update(refused)
            _drop(con, list(refused))
            by_session = Counter(
                r[0]
                for r in con.execute(
                    "SELECT session_id FROM batch_raw WHERE _row IN (SELECT unnest(?))", [list(refused)]
                ).fetchall()
            )
            for sid, n in sorted(by_session.items()):
                report.problems.append(
                    f"session {sid} is sealed (it has ended): refused {n} new event(s); past sessions take "
                    "only late updates of their own orders"
                )
        return sealed

    def _batch_conflicts(self, con, origin, located: dict[int, dict]) -> dict[int, str]:
        """Rows of ids new to the store that come in two or more versions: every version, with a reason
        naming another version's place and the fields that differ (chosen by place, not by read order)."""
        content = ", ".join(f'"{c}"' for c in _CONTENT)
        table = con.sql(
            f"WITH clash AS (SELECT session_id, id FROM fresh GROUP BY session_id, id "
            f"HAVING count(DISTINCT ({content})) > 1) "
            "SELECT f.* FROM fresh f SEMI JOIN clash c ON f.session_id = c.session_id AND f.id = c.id ORDER BY f._row"
        ).to_arrow_table()
        if not table.num_rows:
            return {}
        recs = table.to_pylist()
        for r, loc in zip(recs, _locate(origin, [r["seq"] for r in recs]), strict=True):
            located[r["_row"]] = loc
        groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
        for r in recs:
            groups[(r["session_id"], r["id"])].append(r)
        out: dict[int, str] = {}
        for (sid, eid), members in groups.items():
            members.sort(key=lambda m: _place_key(located[m["_row"]], m))
            first = members[0]
            other = next((m for m in members if _content(m) != _content(first)), first)
            for r in members:
                o = other if _content(r) == _content(first) else first
                diff = [c for c in _CONTENT if r[c] != o[c]] or ["content"]
                out[r["_row"]] = (
                    f"event {eid!r} of session {sid} has another version at {_place(located[o['_row']], o)} "
                    f"({_fields(diff)}): every version of this id is rejected"
                )
        return out

    def _ends_before_start(self, con) -> dict[int, str]:
        """``session_end`` rows earlier than their session's start (from this batch or stored events)."""
        ids = [r[0] for r in con.execute("SELECT DISTINCT session_id FROM fresh WHERE type = 'session_end'").fetchall()]
        if not ids:
            return {}
        files = self.event_files(con, ids)
        self._verify(files)
        stored = (
            f"SELECT session_id, ts FROM {parquet_source(files)} "
            "WHERE type = 'session_start' AND session_id IN (SELECT unnest($ids))"
            if files
            else "SELECT NULL::VARCHAR AS session_id, NULL::TIMESTAMPTZ AS ts WHERE false"
        )
        rows = con.execute(
            "WITH starts AS (SELECT session_id, min(ts) AS start FROM ("
            "SELECT session_id, ts FROM fresh WHERE type = 'session_start' AND session_id IN (SELECT unnest($ids)) "
            f"UNION ALL {stored}) GROUP BY session_id) "
            "SELECT f._row, epoch_us(f.ts), epoch_us(s.start) FROM fresh f JOIN starts s USING (session_id) "
            "WHERE f.type = 'session_end' AND f.ts < s.start ORDER BY f._row",
            {"ids": ids},
        ).fetchall()
        return {
            row: f"session_end at {_iso(end)} is before the session's start at {_iso(start)}"
            for row, end, start in rows
        }

    def _sealed_split(self, con, sealed: list[str]) -> tuple[dict[int, str], dict[str, int]]:
        """Of the fresh rows of sealed sessions: the refused ones (with reasons), and per session the number
        of late order updates taken (``order`` events of an order the session already has)."""
        files = self.event_files(con, sealed)
        self._verify(files)
        known = (
            f"SELECT DISTINCT session_id, order_id FROM {parquet_source(files)} "
            "WHERE type = 'order' AND session_id IN (SELECT unnest($ids))"
            if files
            else "SELECT NULL::VARCHAR AS session_id, NULL::VARCHAR AS order_id WHERE false"
        )
        con.execute(f"CREATE OR REPLACE TEMP TABLE _known_orders AS {known}", {"ids": sealed} if files else {})
        rows = con.execute(
            "SELECT f._row, f.session_id, f.id, f.type, k.order_id IS NOT NULL AS late FROM fresh f "
            "LEFT JOIN _known_orders k ON f.type = 'order' AND k.session_id = f.session_id AND k.order_id = f.order_id "
            "WHERE f.session_id IN (SELECT unnest($ids)) ORDER BY f._row",
            {"ids": sealed},
        ).fetchall()
        refused = {
            row: f"session {sid} is sealed: event {eid} ({etype}) refused"
            + (" — not an update of one of its orders" if etype == "order" else "")
            for row, sid, eid, etype, late in rows
            if not late
        }
        late = Counter(sid for _, sid, _, _, is_late in rows if is_late)
        return refused, dict(sorted(late.items()))

    def _not_yet_quarantined(self, con, source_sql: str) -> int:
        """Temp table ``_new_q``: the rows of ``source_sql`` not already in quarantine (same file, line and
        raw text) nor repeated, in order (``_i``); returns their number."""
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _new_q_all AS SELECT *, row_number() OVER () AS _i FROM ({source_sql})"
        )
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _new_q AS SELECT file, line, reason, raw, _i FROM _new_q_all q "
            "WHERE NOT EXISTS (SELECT 1 FROM quarantine o "
            "WHERE o.file IS NOT DISTINCT FROM q.file AND o.line IS NOT DISTINCT FROM q.line "
            "AND o.raw IS NOT DISTINCT FROM q.raw) "
            "QUALIFY row_number() OVER (PARTITION BY file, line, raw ORDER BY _i) = 1"
        )
        return con.execute("SELECT count(*) FROM _new_q").fetchall()[0][0]


#: What makes two events with the same ``(session_id, id)`` the same event (``seq`` is only read order).
_CONTENT = tuple(n for n in EVENT_SCHEMA.names if n not in ("session_id", "id", "seq"))


def _diff_sql(a: str, b: str) -> str:
    """The names of the content columns in which rows ``a`` and ``b`` differ, as a list."""
    cases = ", ".join(f'CASE WHEN {a}."{c}" IS DISTINCT FROM {b}."{c}" THEN \'{c}\' END' for c in _CONTENT)
    return f"list_filter([{cases}], lambda x: x IS NOT NULL) AS diff"


def _fields(diff: list[str]) -> str:
    names = ", ".join(f"'{d}'" for d in diff)
    return f"field {names} differs" if len(diff) == 1 else f"fields {names} differ"


def _content(row: dict) -> tuple:
    return tuple(row[c] for c in _CONTENT)


def _place_key(loc: dict, row: dict) -> tuple:
    return (loc["file"] or "", loc["line"] or 0, row["seq"])


def _place(loc: dict, row: dict) -> str:
    return f"{loc['file']}:{loc['line']}" if loc["file"] else f"the event read as number {row['seq']}"


def _iso(us: int) -> str:
    return dt.datetime.fromtimestamp(us / 1_000_000, dt.UTC).isoformat().replace("+00:00", "Z")


def _locate(origin, seqs: list[int]) -> list[dict]:
    """File, line and raw text of batch events by ``seq`` (all unknown without an ``origin``)."""
    if origin is None or not seqs:
        return [{"file": None, "line": None, "raw": None} for _ in seqs]
    return origin(list(seqs)).select(["file", "line", "raw"]).to_pylist()


def _rejected_rows(con, rejected: dict[int, str], located: dict[int, dict], origin) -> pa.Table:
    """Quarantine rows of the batch rows the store rejected: file, line and raw text where the reader can
    tell them, else ``(import)`` and the event as event-log JSON (never an empty raw)."""
    if not rejected:
        return BAD_ROW_SCHEMA.empty_table()
    rows = sorted(rejected)
    need = [r for r in rows if r not in located]
    if need:
        seqs = [
            s
            for (s,) in con.execute(
                "SELECT seq FROM batch_raw WHERE _row IN (SELECT unnest(?)) ORDER BY _row", [need]
            ).fetchall()
        ]
        for r, loc in zip(need, _locate(origin, seqs), strict=True):
            located[r] = loc
    no_raw = [r for r in rows if located[r]["raw"] is None]
    if no_raw:
        sub = con.sql(
            "SELECT * EXCLUDE (_row) FROM batch_raw WHERE _row IN (SELECT unnest($rows)) ORDER BY _row",
            params={"rows": no_raw},
        ).to_arrow_table()
        for r, text in zip(no_raw, to_json_lines(sub.cast(EVENT_SCHEMA), sort=False).to_pylist(), strict=True):
            located[r]["raw"] = text
    return pa.table(
        {
            "file": pa.array([located[r]["file"] or "(import)" for r in rows], pa.string()),
            "line": pa.array([located[r]["line"] for r in rows], pa.int64()),
            "reason": pa.array([rejected[r] for r in rows], pa.string()),
            "raw": pa.array([located[r]["raw"] for r in rows], pa.large_string()),
        },
        schema=BAD_ROW_SCHEMA,
    )


def _drop(con: duckdb.DuckDBPyConnection, rows: list[int]) -> None:
    """Set batch rows aside: they leave the ``fresh`` view."""
    if rows:
        con.execute("INSERT INTO dropped SELECT unnest(?)", [rows])
