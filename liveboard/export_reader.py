"""Seller Center export files read into the tables ``Store.put_source("export", ...)`` takes, without a store.

The "LIVE analysis" list (one row per session) becomes summaries keyed ``<handle>-<start UTC, minute>``; the
LIVE Board 5-minute file of one session becomes a trend (and products, from its "Product" sheet). Layouts
come from :mod:`liveboard.export_layouts`, cells from :mod:`liveboard.cells`, sheets from
:mod:`liveboard.sheets`. A row with a bad cell becomes a bad row (file, row, ``field 'X': reason``, raw text);
a file that is not an export, or a per-day one, is refused as a whole with :class:`ExportError`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pyarrow as pa

from liveboard import cells, sheets
from liveboard import export_layouts as layouts
from liveboard.errors import InputError
from liveboard.eventlog import BAD_ROW_SCHEMA
from liveboard.ids import is_session_id

EXPORT_SUFFIXES = sheets.EXCEL_SUFFIXES + sheets.CSV_SUFFIXES
#: Seller Center figures of recent LIVEs may still change for this long.
FRESHNESS = dt.timedelta(days=2)
MAX_RAW_CHARS = 65_536
TOTAL_LABELS = frozenset({"total", "totals", "grand total", "sum", "รวม", "ทั้งหมด"})

#: Zones to suggest when ``--tz`` is missing, by the currency the headers carry (a hint, never assumed).
ZONE_HINTS = {
    "MYR": "Asia/Kuala_Lumpur",
    "THB": "Asia/Bangkok",
    "PHP": "Asia/Manila",
    "IDR": "Asia/Jakarta",
    "VND": "Asia/Ho_Chi_Minh",
    "SGD": "Asia/Singapore",
    "GBP": "Europe/London",
    "USD": "America/Los_Angeles",
}

_TYPES = {
    "money": pa.decimal128(24, 6),
    "count": pa.int64(),
    "rate": pa.float64(),
    "duration": pa.float64(),
    "handle": pa.string(),
    "numeric_id": pa.string(),
    "text": pa.string(),
    "local_time": pa.timestamp("us", tz="UTC"),
}
#: Fields the store does not take from an export (no column for them in the session table).
_NOT_STORED = frozenset({"creator_name", "date", "ignored", "indirect_gmv"})


class ExportError(InputError):
    """A file refused as a whole (wrong layout, needs ``--tz``, two currencies); one line, naming the file."""


class NotAnExport(ExportError):
    """A file whose headers are not those of a known Seller Center export (skipped in a folder import)."""


def kind_of(name: str) -> str:
    return layouts.KINDS.get(name, "count")


@dataclass
class Parsed:
    """An export read into the tables ``put_source`` takes, plus the rows set aside."""

    path: Path
    kind: str  # "sessions" | "trend"
    summaries: pa.Table
    trends: pa.Table | None = None
    products: pa.Table | None = None
    bad: pa.Table = field(default_factory=BAD_ROW_SCHEMA.empty_table)
    rows: int = 0
    duplicates: int = 0
    currency: str | None = None
    notes: list[str] = field(default_factory=list)
    account: str | None = None
    first_t: dt.datetime | None = None
    interval_s: int | None = None


class _Bad:
    def __init__(self, path: Path, grid: sheets.Grid):
        self.path, self.grid = path, grid
        self.rows: list[dict[str, object]] = []

    def add(self, i: int, reason: str) -> None:
        raw = self.grid.raw_text(i)
        if len(raw) > MAX_RAW_CHARS:
            raw = raw[:MAX_RAW_CHARS] + f"… ({len(raw):,} characters)"
        self.rows.append({"file": str(self.path), "line": self.grid.numbers[i], "reason": reason, "raw": raw})

    def table(self) -> pa.Table:
        return pa.Table.from_pylist(self.rows, schema=BAD_ROW_SCHEMA)


def zone(name: str | None) -> ZoneInfo | None:
    """``--tz`` as a zone; an unknown name is an :class:`InputError`."""
    if name is None:
        return None
    try:
        return ZoneInfo(str(name).strip())
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InputError(
            f"--tz {str(name)[:60]!r}: not a time zone (use an IANA name such as Asia/Kuala_Lumpur or America/New_York)"
        ) from None


# ------------------------------------------------------------------ reading


def parse_export(path: str | Path, *, tz: ZoneInfo | None = None, account: str | None = None) -> Parsed:
    """Read a Seller Center export into tables for ``put_source("export", ...)``; no store involved."""
    path = Path(path)
    grids = sheets.read_grids(path, layouts.header_score)
    found = [(g, layouts.detect(g.rows, sheets.HEADER_ROWS)) for g in grids]
    notes = [n for g in grids for n in g.notes]
    for grid, layout in found:
        if layout.kind == "sessions":
            return _parse_sessions(path, grid, layout, tz, account, notes)
    for grid, layout in found:
        if layout.kind == "trend":
            products = next(
                (g for g, lay in found if g is not grid and g.name.strip().casefold() in ("product", "products")), None
            )
            return _parse_trend(path, grid, layout, products, tz, account, notes)
    where = ""
    grid, layout = max(found, key=lambda x: (x[1].kind != "unknown", x[1].columns.score))
    if len(grids) > 1 and grid.name:
        where = f" (sheet {grid.name!r})"
    seen = layouts.found_headers(grid.rows, layout)
    if layout.kind == "per-day":
        raise ExportError(
            f"{path}{where}: a per-day export (one row per date, no 'Launched Time' per session): liveboard "
            "stores sessions, so it is not imported; export the list of LIVE sessions instead "
            "(the one with a 'Launched Time' column)"
        )
    if layout.kind == "no-start":
        raise ExportError(
            f"{path}{where}: LIVE figures but no 'Launched Time' column, so the rows cannot be told apart as "
            f"sessions; expected columns: {layouts.EXPECTED}; found: {seen}"
        )
    raise NotAnExport(
        f"{path}{where}: not a Seller Center LIVE export liveboard can read; expected columns: {layouts.EXPECTED}; "
        f"found: {seen}"
    )


def _currency(path: Path, columns: layouts.Columns) -> str | None:
    money = {label: code for label, code in columns.currencies.items() if label in _money_labels(columns)}
    codes = sorted(set(money.values()))
    if len(codes) > 1:
        detail = ", ".join(f"'{label}'" for label in money)
        raise ExportError(
            f"{path}: the headers name {len(codes)} currencies ({', '.join(codes)} in {detail}); "
            "one export holds one currency"
        )
    return codes[0] if codes else None


def _money_labels(columns: layouts.Columns) -> set[str]:
    return {columns.labels[f] for f in columns.fields if kind_of(f) == "money"}


def _needs_zone(path: Path, column: str, sample: object, currency: str | None) -> ExportError:
    hint = ZONE_HINTS.get(currency or "", "Asia/Kuala_Lumpur")
    why = f" (the amounts are in {currency})" if currency in ZONE_HINTS else ""
    return ExportError(
        f"{path}: '{column}' holds local times ({cells.cell_text(sample)!r}) with no time zone: pass --tz with the "
        f"shop's time zone, e.g. --tz {hint}{why}"
    )


def _readers(columns: layouts.Columns, tz: ZoneInfo | None) -> list[tuple[str, int, str, object]]:
    """(field, column index, header text, cell reader) of each recognised column."""
    return [(name, j, columns.labels[name], cells.reader(kind_of(name), tz)) for name, j in columns.fields.items()]


def _read_row(row: list[object], readers, path, currency, lost: set[str]) -> tuple[dict, list[str]]:
    """One row's fields and the reasons of its bad cells; ids that lost digits are left out (named in ``lost``)."""
    rec, errors = {}, []
    width = len(row)
    for name, j, label, read in readers:
        value = row[j] if j < width else None
        try:
            rec[name] = read(value)
        except cells.NeedsZone:
            raise _needs_zone(path, label, value, currency) from None
        except cells.LostDigits:
            rec[name] = None
            lost.add(label)
        except cells.CellError as exc:
            errors.append(f"field '{label}': {exc}")
    return rec, errors


def _lost_note(path: Path, lost: set[str]) -> list[str]:
    return [
        f"{path.name}: '{label}' was saved as numbers by a spreadsheet and lost digits: not stored "
        "(import the original export, where ids are text)"
        for label in sorted(lost)
    ]


def _blank(row: list[object]) -> bool:
    return all(cells.is_missing(c) for c in row)


def _is_total(row: list[object]) -> bool:
    first = next((c for c in row if not cells.is_missing(c)), None)
    return isinstance(first, str) and first.strip().rstrip(":").casefold() in TOTAL_LABELS


def source_key(handle: str, start: dt.datetime) -> str:
    """The stable key of an export row: ``<handle>-<start UTC to the minute>`` (a valid session id)."""
    stamp = start.astimezone(dt.UTC).strftime("%Y%m%dT%H%MZ")
    key = f"{handle}-{stamp}"
    if is_session_id(key):
        return key
    digest = hashlib.sha1(handle.encode()).hexdigest()[:12]  # a handle starting with '.' or '_', or with '..'
    return f"export-{digest}-{stamp}"


def _parse_sessions(path, grid, layout, tz, account, notes) -> Parsed:
    cols = layout.columns
    currency = _currency(path, cols)
    given = cells.handle(account) if account else None
    if "account_id" not in cols.fields and not given:
        raise ExportError(f"{path}: no 'Nickname' column, so the account is not known: pass --account HANDLE")
    if "account_id" in cols.fields and given:
        notes.append(f"{path.name}: --account is not used: the 'Nickname' column names each row's account")
    if cols.repeated:
        notes.append(f"{path.name}: repeated column(s) {', '.join(cols.repeated)}: the first of each is read")
    bad = _Bad(path, grid)
    out: list[dict] = []
    seen: dict[str, tuple[int, dict]] = {}
    rows = dupes = 0
    now = dt.datetime.now(dt.UTC)
    start_label = cols.labels["start"]
    readers = _readers(cols, tz)
    lost: set[str] = set()
    for i in range(layout.header + 1, len(grid.rows)):
        row = grid.rows[i]
        if _blank(row):
            continue
        if _is_total(row) and cells.is_missing(row[cols.fields["start"]] if cols.fields["start"] < len(row) else None):
            notes.append(f"{path.name}: row {grid.numbers[i]} is a totals row: not a session, skipped")
            continue
        rows += 1
        rec, errors = _read_row(row, readers, path, currency, lost)
        handle = rec.get("account_id") if "account_id" in cols.fields else given
        if not errors:
            if rec.get("start") is None:
                errors.append(f"field '{start_label}': missing (every session has a launch time)")
            elif rec["start"] > now + dt.timedelta(days=1):
                errors.append(f"field '{start_label}': in the future ({cells.cell_text(row[cols.fields['start']])!r})")
            if handle is None:
                errors.append(f"field '{cols.labels.get('account_id', 'Nickname')}': missing (the account's handle)")
        if errors:
            bad.add(i, "; ".join(errors))
            continue
        assert handle is not None  # else an error above
        rec = {k: v for k, v in rec.items() if k not in _NOT_STORED}
        rec["account_id"] = handle
        key = source_key(handle, rec["start"])
        if key in seen:
            first, before = seen[key]
            if before == rec:
                dupes += 1
            else:
                bad.add(i, f"same account and launch time as row {first}, with other figures: which one is right?")
            continue
        seen[key] = (grid.numbers[i], rec)
        out.append({"source_key": key, **rec})
    fields = [f for f in cols.fields if f not in _NOT_STORED]
    table = summaries_table(out, fields, currency)
    notes += _lost_note(path, lost)
    if out and max(r["start"] for r in out) > now - FRESHNESS:
        notes.append(
            "Seller Center figures of the last 1–2 days may still change: import a newer export later to update them"
        )
    return Parsed(path, "sessions", table, bad=bad.table(), rows=rows, duplicates=dupes, currency=currency, notes=notes)


def summaries_table(rows: list[dict], fields: list[str], currency: str | None) -> pa.Table:
    """Summary rows as a put_source table: identity, `end` from the duration, then the file's own figures."""
    names = ["source_key", "account_id", "start"]
    types = {"source_key": pa.string(), "account_id": pa.string(), "start": _TYPES["local_time"]}
    if "duration_s" in fields:
        names.append("end")
        types["end"] = _TYPES["local_time"]
        for r in rows:
            d = r.get("duration_s")
            r["end"] = r["start"] + dt.timedelta(seconds=d) if d is not None else None
    if currency:
        names.append("currency")
        types["currency"] = pa.string()
    for f in fields:
        if f not in types:
            names.append(f)
            types[f] = _TYPES[kind_of(f)]
    data = {n: [r.get(n, currency if n == "currency" else None) for r in rows] for n in names}
    return pa.table({n: pa.array(data[n], types[n]) for n in names})


def _account_from_title(rows: list[list[object]], header: int) -> str | None:
    """A single ``@handle`` in the title rows above the header, if the file names its account there."""
    found = set()
    for row in rows[:header]:
        for c in row:
            if isinstance(c, str):
                found |= {m.lower() for m in re.findall(r"(?<![\w.])@([A-Za-z0-9._]{2,64})", c)}
    return found.pop() if len(found) == 1 else None


def _parse_trend(path, grid, layout, product_grid, tz, account, notes) -> Parsed:
    cols = layout.columns
    currency = _currency(path, cols)
    handle = cells.handle(account) if account else _account_from_title(grid.rows, layout.header)
    if handle is None:
        raise ExportError(
            f"{path}: a LIVE Board 5-minute export does not say whose LIVE it is: pass --account HANDLE "
            "(the creator's Nickname, without @)"
        )
    ignored = [cols.labels[f] for f in cols.fields if f == "ignored"] + cols.unknown
    if ignored:
        notes.append(f"{path.name}: column(s) not stored: {', '.join(ignored)}")
    bad = _Bad(path, grid)
    points: dict[dt.datetime, dict] = {}
    first_row: dict[dt.datetime, int] = {}
    rows = 0
    t_label = cols.labels["t"]
    readers = _readers(cols, tz)
    lost: set[str] = set()
    for i in range(layout.header + 1, len(grid.rows)):
        row = grid.rows[i]
        if _blank(row) or _is_total(row):
            continue
        rows += 1
        rec, errors = _read_row(row, readers, path, currency, lost)
        if not errors and rec.get("t") is None:
            errors.append(f"field '{t_label}': missing (every row is a 5-minute interval)")
        if not errors and rec["t"] in points:
            errors.append(f"field '{t_label}': the same time as row {first_row[rec['t']]}")
        if errors:
            bad.add(i, "; ".join(errors))
            continue
        points[rec["t"]] = {k: v for k, v in rec.items() if k not in _NOT_STORED}
        first_row[rec["t"]] = grid.numbers[i]
    times = sorted(points)
    interval = 300
    if len(times) > 1:
        step = median((b - a).total_seconds() for a, b in zip(times, times[1:], strict=False))
        if step >= 86_400:
            raise ExportError(
                f"{path}: a per-day export (rows a day apart, no 'Launched Time' per session): liveboard stores "
                "sessions, so it is not imported"
            )
        if step != 300:
            if not 60 <= step <= 3600:
                raise ExportError(f"{path}: rows {step:,.0f} s apart: not a 5-minute LIVE Board export")
            interval = int(step)
            notes.append(f"{path.name}: rows are {interval} s apart (not 5 minutes): stored with that interval")
    fields = [f for f in cols.fields if f not in _NOT_STORED and f != "t"]
    trend_rows = [{"t": t, "interval_s": interval, **{f: points[t].get(f) for f in fields}} for t in times]
    trends = pa.table(
        {
            "t": pa.array([r["t"] for r in trend_rows], _TYPES["local_time"]),
            "interval_s": pa.array([r["interval_s"] for r in trend_rows], pa.int64()),
        }
        | {f: pa.array([r[f] for r in trend_rows], _TYPES[kind_of(f)]) for f in fields}
    )
    products, bad_products = (None, None)
    if product_grid is not None:
        products, bad_products = _parse_products(path, product_grid, notes)
    bad_table = bad.table() if bad_products is None else pa.concat_tables([bad.table(), bad_products])
    return Parsed(
        path,
        "trend",
        summaries_table([], [], currency),
        trends=trends,
        products=products,
        bad=bad_table,
        rows=rows,
        currency=currency,
        notes=notes,
        account=handle,
        first_t=times[0] if times else None,
        interval_s=interval,
    )


def _parse_products(path: Path, grid: sheets.Grid, notes: list[str]) -> tuple[pa.Table | None, pa.Table | None]:
    """The "Product" sheet, when it has one row per product (an id, a name, figures); else a note."""
    best = max(
        ((i, layouts.match(r, layouts.PRODUCT_HEADERS)) for i, r in enumerate(grid.rows[: sheets.HEADER_ROWS])),
        key=lambda x: x[1].score,
        default=(0, layouts.Columns()),
    )
    header, cols = best
    timed = any(layouts.normalise(c)[0] in ("datetime", "time") for c in (grid.rows[header] if grid.rows else []))
    figures = [f for f in cols.fields if f not in ("product_id", "name")]
    if timed or "product_id" not in cols.fields or not figures:
        why = "rows per time, not per product" if timed else "no product id and figures"
        found = layouts.found_headers(grid.rows, layouts.Layout("unknown", header, cols))
        notes.append(f"{path.name}: sheet {grid.name!r} not read ({why}; found: {found}): no products stored")
        return None, None
    bad = _Bad(path, grid)
    out: dict[str, dict] = {}
    first: dict[str, int] = {}
    for i in range(header + 1, len(grid.rows)):
        row = grid.rows[i]
        if _blank(row) or _is_total(row):
            continue
        rec: dict[str, Any] = {}
        errors: list[str] = []
        for name, j in cols.fields.items():
            value = row[j] if j < len(row) else None
            kind = "text" if name in ("product_id", "name") else kind_of(name)
            try:
                rec[name] = cells.PARSERS[kind](value)
            except cells.CellError as exc:
                errors.append(f"field '{cols.labels[name]}': {exc}")
        pid = rec.get("product_id")
        if not errors and pid is None:
            errors.append(f"field '{cols.labels['product_id']}': missing")
        if not errors and pid in out:
            errors.append(f"field '{cols.labels['product_id']}': the same product as row {first[pid]}")
        if errors:
            bad.add(i, "sheet " + repr(grid.name) + ": " + "; ".join(errors))
            continue
        assert pid is not None  # else an error above
        out[pid] = rec
        first[pid] = grid.numbers[i]
    names = ["product_id", "name", *figures]
    table = pa.table(
        {
            n: pa.array(
                [r.get(n) for r in out.values()], pa.string() if n in ("product_id", "name") else _TYPES[kind_of(n)]
            )
            for n in names
        }
    )
    return table, bad.table()
