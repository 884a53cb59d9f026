"""Seller Center exports into the store (``liveboard import FILE.xlsx|FILE.csv``), as source "export".

A "LIVE analysis" export's rows become summary-only sessions, or join the session of the same LIVE
(same account, start within 30 minutes: the store's rule). A LIVE Board 5-minute file has no session id:
it is attached to the session of its account (``--account``, or an ``@handle`` in its title rows) that
starts within 30 minutes of its first ``Datetime``; with none, it is stored as a new session, whose key a
later "LIVE analysis" row of that LIVE takes over. Bad rows go to the quarantine once (a re-import does not
add them again); re-importing a file stores nothing new.
"""

from __future__ import annotations

import datetime as dt
import sys
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow as pa

from liveboard import cells
from liveboard.errors import InputError
from liveboard.eventlog import BAD_ROW_SCHEMA
from liveboard.export_reader import (
    EXPORT_SUFFIXES,
    ExportError,
    NotAnExport,
    Parsed,
    parse_export,
    source_key,
    summaries_table,
    zone,
)
from liveboard.provenance import SourceReport

__all__ = ["EXPORT_SUFFIXES", "ExportError", "ExportResult", "import_export", "parse_export", "run_imports"]

MATCH_WINDOW = dt.timedelta(minutes=30)


# ------------------------------------------------------------------ storing


@dataclass
class ExportResult:
    """What importing one export did: the parsed file, the store's report, the rows newly set aside."""

    parsed: Parsed
    report: SourceReport | None = None
    quarantined: int = 0
    target: str | None = None  # trend: the session it was attached to


def import_export(store, path: str | Path, *, tz: ZoneInfo | None = None, account: str | None = None) -> ExportResult:
    """Parse ``path`` and store it: sessions (or one session's trend and products), then the bad rows."""
    parsed = parse_export(path, tz=tz, account=account)
    result = ExportResult(parsed)
    if parsed.kind == "sessions" and parsed.summaries.num_rows:
        summaries = _reuse_keys(store, parsed.summaries)
        result.report = store.put_source("export", summaries)
    elif parsed.kind == "trend" and parsed.trends is not None and parsed.trends.num_rows:
        key, summaries, target = _trend_target(store, parsed)
        result.target = target
        trends = _with_key(parsed.trends, key)
        products = _with_key(parsed.products, key) if parsed.products is not None else None
        result.report = store.put_source("export", summaries, trends=trends, products=products)
    result.quarantined = _quarantine(store, parsed.bad)
    return result


def _with_key(table: pa.Table, key: str) -> pa.Table:
    return table.add_column(0, "source_key", pa.array([key] * table.num_rows, pa.string()))


def stored_export_rows(store) -> list[dict]:
    """The export rows the store holds: source_key, session_id, account_id, start."""
    con, _ = store.connect(private=True)
    sql = "SELECT source_key, session_id, account_id, start FROM source_summaries WHERE source = 'export'"
    return con.sql(sql).to_arrow_table().to_pylist()


def _reuse_keys(store, summaries: pa.Table) -> pa.Table:
    """A row whose key is new takes over the key of a stored export row of the same LIVE (same account,
    start within 30 minutes, nearest first, not claimed by another row of this file): the row a 5-minute
    file made, or one whose launch time moved by a minute in a newer export. One LIVE stays one session."""
    stored = stored_export_rows(store)
    keys = summaries["source_key"].to_pylist()
    known = {r["source_key"] for r in stored}
    if not stored or all(k in known for k in keys):
        return summaries
    accounts = summaries["account_id"].to_pylist()
    starts = summaries["start"].to_pylist()
    by_account: dict[str, list[dict]] = {}
    for r in stored:
        if r["start"] is not None:
            by_account.setdefault(r["account_id"], []).append(r)
    pairs = sorted(
        (abs(r["start"] - start), i, r["source_key"])
        for i, (key, acc, start) in enumerate(zip(keys, accounts, starts, strict=True))
        if key not in known
        for r in by_account.get(acc, ())
        if abs(r["start"] - start) <= MATCH_WINDOW
    )
    taken = set(keys)
    for _, i, old in pairs:
        if keys[i] not in known and old not in taken:
            taken.add(old)
            keys[i] = old
            known.add(old)
    return summaries.set_column(0, "source_key", pa.array(keys, pa.string()))


def _trend_target(store, parsed: Parsed) -> tuple[str, pa.Table, str | None]:
    """The source_key a 5-minute file's rows go under, the summary row to send (none if the key is stored)."""
    from liveboard.workbench import Workbench

    handle, first = parsed.account, parsed.first_t
    assert handle is not None and first is not None  # a trend with rows has its account and first time
    empty = summaries_table([], [], None)
    exports = [r for r in stored_export_rows(store) if r.get("account_id") == handle and r.get("start")]
    near = sorted(
        (abs(r["start"] - first), r["source_key"], r["session_id"])
        for r in exports
        if abs(r["start"] - first) <= MATCH_WINDOW
    )
    if near:
        _, key, sid = near[0]
        return key, empty, sid
    sessions = Workbench(store).sessions(account=handle)
    best = None
    for sid, start in zip(sessions["session_id"], sessions["start"], strict=True):
        if start is None or start != start:
            continue
        gap = abs(start.to_pydatetime() - first)
        if gap <= MATCH_WINDOW and (best is None or gap < best[0]):
            best = (gap, sid, start.to_pydatetime())
    start = best[2] if best else first
    key = source_key(handle, start)
    table = summaries_table([{"source_key": key, "account_id": handle, "start": start}], [], parsed.currency)
    if best is None:
        parsed.notes.append(
            f"{parsed.path.name}: no session of @{handle} starts within 30 minutes of "
            f"{first:%Y-%m-%d %H:%M} UTC: stored as a new session (the LIVE analysis export of that day adds "
            "its figures)"
        )
    return key, table, best[1] if best else None


def _quarantine(store, bad: pa.Table) -> int:
    """Set aside the bad rows not already in the quarantine (same file name, row, reason and raw text)."""
    if not bad.num_rows:
        return 0
    from liveboard.events import EVENT_SCHEMA
    from liveboard.workbench import Workbench

    held = Workbench(store).quarantine()
    seen = {
        (Path(str(f)).name, int(n) if n == n else None, r, w)
        for f, n, r, w in zip(
            held.get("file", []), held.get("line", []), held.get("reason", []), held.get("raw", []), strict=True
        )
    }
    rows = [r for r in bad.to_pylist() if (Path(r["file"]).name, r["line"], r["reason"], r["raw"]) not in seen]
    if rows:
        store.append(EVENT_SCHEMA.empty_table(), pa.Table.from_pylist(rows, schema=BAD_ROW_SCHEMA))
    return len(rows)


# ------------------------------------------------------------------ command line


def split_paths(paths: list[Path]) -> tuple[list[tuple[Path, bool]], list[Path]]:
    """(export files, each with whether it was found in a folder; the other paths, for the event-log reader).

    A folder holding event logs stays in the second list too; one holding only exports does not. An export
    named on the command line that does not exist is an :class:`InputError` before anything is written.
    """
    exports: list[tuple[Path, bool]] = []
    others: list[Path] = []
    for p in paths:
        if p.is_dir():
            found, has_logs = [], False
            for f in sorted(p.rglob("*")):
                name = f.name.lower()
                has_logs = has_logs or name.endswith((".jsonl", ".jsonl.gz"))  # cli.is_event_log's rule
                if name.endswith(EXPORT_SUFFIXES) and not name.startswith(("~$", ".")) and f.is_file():
                    found.append(f)  # "~$x.xlsx" is the lock file of a workbook open in Excel
            exports += [(f, True) for f in found]
            if has_logs or not found:
                others.append(p)
        elif p.suffix.lower() in EXPORT_SUFFIXES:
            if not p.exists():
                raise InputError(f"{p}: no such file")
            exports.append((p, False))
        else:
            others.append(p)
    return exports, others


def summary_line(result: ExportResult, tz: ZoneInfo | None) -> str:
    """The one line ``liveboard import`` prints per export: what it was and what the store did with it."""
    p, r = result.parsed, result.report
    what = "LIVE analysis export" if p.kind == "sessions" else "LIVE Board 5-minute export"
    facts = [x for x in (p.currency, f"times in {tz.key}" if tz else None) if x]
    head = f"{p.path}: {what}" + (f" ({', '.join(facts)})" if facts else "")
    if p.kind == "sessions":
        n = p.summaries.num_rows
        new, changed, same = (len(r.new), len(r.changed), len(r.unchanged)) if r is not None else (0, 0, 0)
        counts = f"{n} session(s): new {new} · updated {changed} · unchanged {same}"
    else:
        n = p.trends.num_rows if p.trends is not None else 0
        target = f"session {result.target}" if result.target else "a new session"
        prods = f", {p.products.num_rows} product(s)" if p.products is not None else ""
        if r is None:
            counts = f"no good interval for @{p.account}: nothing stored"
        else:
            stored = " (stored)" if r.committed else " (unchanged)"
            counts = f"{n} interval(s) of {p.interval_s} s{prods} for @{p.account}, {target}{stored}"
    tail = f" · duplicate rows {p.duplicates}" if p.duplicates else ""
    return f"{head}: {counts}{tail} · bad {p.bad.num_rows}"


def run_imports(
    store, exports: list[tuple[Path, bool]], *, tz: str | None, account: str | None, show_bad: int = 20
) -> int:
    """``liveboard import`` for export files: 0 all good, 1 some rows set aside, 2 a file refused."""
    zone_info = zone(tz)
    if account is not None:
        try:
            account = cells.handle(account)
        except cells.CellError as exc:
            raise InputError(f"--account: {exc}") from None
    rc = 0
    shown = 0
    for path, in_folder in exports:
        try:
            result = import_export(store, path, tz=zone_info, account=account)
        except NotAnExport as exc:
            if in_folder:
                print(f"liveboard: skipped {path}: not a Seller Center LIVE export", file=sys.stderr)
                continue
            print(f"liveboard: {exc}", file=sys.stderr)
            rc = 2
            continue
        except (InputError, cells.CellError) as exc:
            print(f"liveboard: {exc}", file=sys.stderr)
            rc = 2
            continue
        bad = result.parsed.bad
        for row in bad.to_pylist():
            if shown < show_bad:
                print(f"{row['file']}:row {row['line']}: {row['reason']}", file=sys.stderr)
            shown += 1
        for note in dict.fromkeys(result.parsed.notes):
            print(f"note: {note}", file=sys.stderr)
        print(summary_line(result, zone_info))
        if bad.num_rows:
            rc = max(rc, 1)
    if shown > show_bad:
        print(f"… and {shown - show_bad} more bad rows (see `liveboard quarantine`)", file=sys.stderr)
    return rc
