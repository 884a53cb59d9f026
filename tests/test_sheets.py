"""liveboard/sheets.py: spreadsheet files as grids of cells, through ``liveboard import``: encodings, a CSV
named .xlsx, files that are no spreadsheet or are cut short, and the row caps."""

from __future__ import annotations

import subprocess
import sys

import pytest
from seller_center_helpers import HEADERS, KL, ROW_A, ROW_B, csv_text, imp, sessions, write_csv, write_xlsx

from liveboard import cells, sheets


def test_utf16_tab_separated_text(tmp_path, capsys):
    """Excel's "Unicode Text" save: UTF-16 with a byte-order mark, tab-separated."""
    f = tmp_path / "live.csv"
    f.write_bytes(csv_text([ROW_A], sep="\t").encode("utf-16"))
    rc, _, err = imp(capsys, tmp_path / "st", f)
    assert rc == 0, err
    assert list(sessions(tmp_path / "st").index) == ["annb-20260418T1414Z"]


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("junk.xlsx", bytes(range(256)) * 20, "not an Excel workbook"),
        ("junk.csv", bytes(range(256)) * 20, "not UTF-8 text"),
        ("empty.xlsx", b"", "empty file"),
        ("page.xls", b"<html><body><table></table></body></html>", "a web page (HTML), not a spreadsheet"),
        (
            "latin1.csv",
            "Nickname;Launched Time\ncafé;2026/04/18/ 22:14\n".encode("cp1252"),
            'save the file as "CSV UTF-8"',
        ),
    ],
)
def test_unreadable_files_one_line(tmp_path, capsys, name, content, message):
    f = tmp_path / name
    f.write_bytes(content)
    rc, _, err = imp(capsys, tmp_path / "st", f)
    assert rc == 2
    assert message in err and str(f) in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_truncated_xlsx_one_line_no_traceback(tmp_path):
    full = write_xlsx(tmp_path / "full.xlsx", {"S": [HEADERS, ROW_A, ROW_B]})
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    proc = subprocess.run(
        [sys.executable, "-m", "liveboard", "import", str(cut), "--tz", KL, "--store", str(tmp_path / "st")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "cannot read this workbook" in proc.stderr and "download the export again" in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1


def test_csv_text_named_xlsx_is_read_as_csv(tmp_path, capsys):
    f = tmp_path / "live.xlsx"
    f.write_text(csv_text([ROW_A]))
    rc, _, err = imp(capsys, tmp_path / "st", f)
    assert rc == 0 and "holds CSV text: read as CSV" in err
    assert len(sessions(tmp_path / "st")) == 1


def test_row_cap_and_cell_cap(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(sheets, "MAX_ROWS", 50)
    many = [list(ROW_A) for _ in range(60)]
    rc, _, err = imp(capsys, tmp_path / "st", write_csv(tmp_path / "many.csv", many))
    assert rc == 2 and "more than 50 rows; export a shorter date range" in err
    rc, _, err = imp(capsys, tmp_path / "st", write_xlsx(tmp_path / "many.xlsx", {"S": [HEADERS, *many]}))
    assert rc == 2 and "more than 50 rows" in err
    long = list(ROW_A)
    long[HEADERS.index("Creator")] = "x" * (cells.MAX_CELL_CHARS + 1)
    rc, _, err = imp(capsys, tmp_path / "st", write_csv(tmp_path / "long.csv", [long]))
    assert rc == 1 and "field 'Creator': cell too long (10,001 characters; at most 10,000)" in err


def test_a_million_and_one_rows_are_refused(tmp_path, capsys):
    f = tmp_path / "huge.csv"
    with f.open("w") as fh:
        fh.write(",".join(HEADERS) + "\n")
        fh.write("\n".join(["1"] * sheets.MAX_ROWS) + "\n")
    rc, _, err = imp(capsys, tmp_path / "st", f)
    assert rc == 2 and "more than 1,000,000 rows" in err
