"""Spreadsheet files as grids of cells: xlsx/xls through pandas + python-calamine, csv through the csv module.

Whatever is wrong with a file as a whole (not a workbook, truncated, not UTF-8, too big) becomes one
:class:`SheetError` line naming the file: never a traceback. Cells are never evaluated: a cell reading
``=HYPERLINK(...)`` is that text (a formula in a workbook reads as the value it last showed, or blank).
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from liveboard.errors import InputError

#: Rows read per sheet at most (title rows included); a bigger file is refused, not half-read.
MAX_ROWS = 1_000_000
#: Bytes a file may have at most.
MAX_FILE_BYTES = 512 * 1024**2
#: Rows searched for the header line.
HEADER_ROWS = 20
EXCEL_SUFFIXES = (".xlsx", ".xls")
CSV_SUFFIXES = (".csv",)
DELIMITERS = (",", ";", "\t")


class SheetError(InputError):
    """A file that cannot be read as a spreadsheet at all; the message names the file and says what to do."""


@dataclass
class Grid:
    """One sheet: its rows of cells, each row's number as a spreadsheet shows it, and (csv) its raw text."""

    name: str
    rows: list[list[object]]
    numbers: list[int]
    raw: list[str] | None = None
    delimiter: str = ","
    notes: list[str] = field(default_factory=list)

    def raw_text(self, i: int) -> str:
        """Row ``i`` as text, for the quarantine: the file's own line(s) for csv, cells joined for a workbook."""
        if self.raw is not None:
            return self.raw[i]
        from liveboard.cells import cell_text

        buf = io.StringIO()
        csv.writer(buf, delimiter=self.delimiter, lineterminator="").writerow([cell_text(v) for v in self.rows[i]])
        return buf.getvalue()


def read_grids(path: Path, score: Callable[[Sequence[object]], int]) -> list[Grid]:
    """Every sheet of ``path``; ``score`` rates a row as a header (it picks the csv delimiter)."""
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(8)
    except FileNotFoundError:
        raise SheetError(f"{path}: no such file") from None
    except OSError as exc:
        raise SheetError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if size == 0:
        raise SheetError(f"{path}: empty file")
    if size > MAX_FILE_BYTES:
        raise SheetError(
            f"{path}: {size / 1024**2:,.0f} MB; an export may have at most {MAX_FILE_BYTES // 1024**2} MB "
            "(export a shorter date range)"
        )
    suffix = path.suffix.lower()
    is_zip, is_ole = head.startswith(b"PK\x03\x04"), head.startswith(b"\xd0\xcf\x11\xe0")
    if suffix in EXCEL_SUFFIXES:
        if is_zip or is_ole:
            return read_workbook(path)
        data = path.read_bytes()
        text = _decode(path, data, strict=False)
        if text is None:
            raise SheetError(f"{path}: not an Excel workbook (no xlsx or xls content): download the export again")
        if text.lstrip().startswith("<"):
            raise SheetError(f"{path}: a web page (HTML), not a spreadsheet: download the export again")
        grid = read_csv_text(path, text, score)
        grid.notes.append(f"{path.name} is named {suffix} but holds CSV text: read as CSV")
        return [grid]
    if is_zip or is_ole:
        raise SheetError(f"{path}: an Excel workbook named {path.suffix}: rename it .xlsx")
    data = path.read_bytes()
    text = _decode(path, data, strict=True)
    assert text is not None  # strict: an error instead of None
    return [read_csv_text(path, text, score)]


def read_workbook(path: Path) -> list[Grid]:
    """All sheets of an xlsx/xls file, cells as pandas + calamine give them (str, int, float, datetime, NaN)."""
    import pandas as pd
    from python_calamine import CalamineError

    try:
        sheets = pd.read_excel(path, engine="calamine", header=None, dtype=object, sheet_name=None, nrows=MAX_ROWS + 1)
    except (CalamineError, zipfile.BadZipFile, ValueError, KeyError, OSError, EOFError) as exc:
        raise SheetError(
            f"{path}: cannot read this workbook ({_one_line(exc)}): it may be truncated, damaged or "
            "password-protected; download the export again"
        ) from None
    except Exception as exc:  # a panic in the Rust reader surfaces as an odd exception type
        raise SheetError(
            f"{path}: cannot read this workbook ({type(exc).__name__}): download the export again"
        ) from None
    except BaseException as exc:  # pyo3's PanicException derives from BaseException
        if type(exc).__name__ != "PanicException":
            raise
        raise SheetError(f"{path}: cannot read this workbook (the reader failed on it): download it again") from None
    grids = []
    for name, df in sheets.items():
        if len(df) > MAX_ROWS:
            raise SheetError(f"{path}: sheet {name!r} has more than {MAX_ROWS:,} rows; export a shorter date range")
        rows = df.to_numpy(dtype=object).tolist()
        grids.append(Grid(str(name), rows, list(range(1, len(rows) + 1))))
    return grids


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 120 else text[:117] + "…"


def _decode(path: Path, data: bytes, *, strict: bool) -> str | None:
    """UTF-8 (with or without a BOM) or UTF-16 with a BOM; anything else is refused (``strict``) or None."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            text = None
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            if not strict:
                return None
            raise SheetError(
                f"{path}: not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start:,}): save the file "
                'as "CSV UTF-8" from your spreadsheet, or import the original .xlsx export'
            ) from None
    if text is None or "\x00" in text:
        if not strict:
            return None
        raise SheetError(f"{path}: binary data, not CSV text: import the original export file")
    return text


def read_csv_text(path: Path, text: str, score: Callable[[Sequence[object]], int]) -> Grid:
    """Records of a csv text, split with the delimiter (``,``, ``;`` or tab) whose header row scores best."""
    head = "\n".join(text.splitlines()[: HEADER_ROWS + 5])
    best, best_score = ",", -1
    for delim in DELIMITERS:
        try:
            sample = list(csv.reader(io.StringIO(head), delimiter=delim))
        except csv.Error:
            continue
        s = max((score(r) for r in sample[:HEADER_ROWS]), default=0)
        if s > best_score:
            best, best_score = delim, s
    lines = _LineTap(text)
    reader = csv.reader(lines, delimiter=best)
    rows: list[list[object]] = []
    numbers: list[int] = []
    raw: list[str] = []
    try:
        for record in reader:
            if len(rows) >= MAX_ROWS:
                raise SheetError(f"{path}: more than {MAX_ROWS:,} rows; export a shorter date range")
            numbers.append(lines.record_start)
            raw.append(lines.take())
            rows.append([None if c == "" else c for c in record])
    except csv.Error as exc:
        raise SheetError(f"{path}: line {lines.line}: not readable as CSV ({_one_line(exc)})") from None
    return Grid("", rows, numbers, raw, best)


class _LineTap:
    """The lines a csv reader consumes, so each record keeps its raw text and first line number."""

    def __init__(self, text: str):
        self._it = iter(io.StringIO(text, newline=""))
        self._taken: list[str] = []
        self.line = 0
        self.record_start = 1

    def __iter__(self):
        return self

    def __next__(self) -> str:
        line = next(self._it)
        if not self._taken:
            self.record_start = self.line + 1
        self.line += 1
        self._taken.append(line)
        return line

    def take(self) -> str:
        out = "".join(self._taken).rstrip("\r\n")
        self._taken = []
        return out
