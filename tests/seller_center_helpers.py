"""Seller Center export files written by hand, and ``liveboard import`` run on them, for the tests of
liveboard/seller_center.py, liveboard/sheets.py and liveboard/export_reader.py."""

from __future__ import annotations

from pathlib import Path

import openpyxl

import liveboard
from liveboard.cli import main

HEADERS = [
    "Creator ID",
    "Creator",
    "Nickname",
    "Launched Time",
    "Duration",
    "LIVE gross merchandise value (RM)",
    "Products added",
    "Different Products Sold",
    "Created SKU orders",
    "LIVE SKU orders",
    "LIVE items sold",
    "Unique customers",
    "Average Price (RM)",
    "Click-to-order rate (LIVE)",
    "LIVE attributed GMV (RM)",
    "Viewers",
    "Views",
    "Average viewing duration (LIVE streams)",
    "Comments",
    "Shares",
    "LIVE likes",
    "New followers (Creator video)",
    "Product Impressions",
    "Product Clicks",
    "CTR",
]


#: A row as the Malaysian export writes it: every cell text.
ROW_A = [
    "7123456789012345678",
    "Ann Bee",
    "annb",
    "2026/04/18/ 22:14",
    "1h 40min",
    "444.23",
    "12",
    "5",
    "40",
    "36",
    "41",
    "30",
    "10.83",
    "8.33%",
    "512.10",
    "5120",
    "14254",
    "107",
    "321",
    "12",
    "4567",
    "45",
    "9876",
    "432",
    "3.03%",
]


ROW_B = (
    ["7123456789012345678", "Ann Bee", "annb", "2026/04/17/ 20:00", "45min"]
    + [""] * 10
    + ["100", "200", "65s"]
    + [""] * 7
)


KL = "Asia/Kuala_Lumpur"


def csv_text(rows: list[list[str]], sep: str = ",", title: bool = True) -> str:
    def cell(c: str) -> str:
        return f'"{c}"' if (sep in c or '"' in c) else c

    lines = ["Date Range: 2026-04-12 ~ 2026-04-18", ""] if title else []
    lines += [sep.join(cell(c) for c in HEADERS)] + [sep.join(cell(c) for c in r) for r in rows]
    return "\n".join(lines) + "\n"


def write_csv(path: Path, rows: list[list[str]], sep: str = ",", bom: bool = False, title: bool = True) -> Path:
    data = csv_text(rows, sep, title).encode()
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


def write_xlsx(path: Path, sheets_rows: dict[str, list[list[object]]]) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets_rows.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
            for cell in ws[ws.max_row]:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"  # text that looks like a formula, as a re-saved export holds it
    wb.save(path)
    return path


def run(capsys, *args) -> tuple[int, str, str]:
    capsys.readouterr()
    rc = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return rc, out, err


def imp(capsys, store: Path, *paths, tz: str | None = KL, extra=()) -> tuple[int, str, str]:
    return run(capsys, "import", *paths, "--store", store, *(["--tz", tz] if tz else []), *extra)


def sessions(store: Path):
    return liveboard.open(store).sessions().set_index("session_id")


def info(store: Path, sid: str):
    return liveboard.open(store).session(sid).info
