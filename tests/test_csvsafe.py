"""CSV exports cannot be turned into formulas: not by a cell's start, not by a line break inside a cell.

Every CSV is checked twice: read back with Python's ``csv`` module (the values survive, neutralised), and
split into physical lines the way a naive spreadsheet importer does (no line starts a formula).
"""

from __future__ import annotations

import csv
import io
import re

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from logbuilder import LogBuilder, load

from liveboard.cli import main
from liveboard.csvsafe import neutralise, to_safe_csv

HOSTILE = [
    "hi\r@SUM(1+1)",
    'hi\n=HYPERLINK("http://x")',
    "a\r\n+1",
    "\r=1+1",
    "\t=1",
    "-1+1",
    'say "hi"\n-2+3',
    'x\n"=1+1',
    "ok\r\r\n\n@x",
    "plain text, with a comma",
    "multi\nline\nno formula",
]
_PLAIN_NUMBER = re.compile(r'"*-?\d+(\.\d+)?"*')


def records(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def naive_lines(text: str) -> list[str]:
    """Physical lines, split on every ``\\r``, ``\\n`` or ``\\r\\n`` (what a careless importer does)."""
    return re.split(r"\r\n|\r|\n", text)


def formula_lines(text: str) -> list[str]:
    """Physical lines whose first cell (quotes stripped, as naive importers do) starts a formula."""
    bad = []
    for line in naive_lines(text):
        first = line.split(",", 1)[0]
        if _PLAIN_NUMBER.fullmatch(first):  # a number cell: written as a number on purpose
            continue
        if first.lstrip('"')[:1] in ("=", "+", "-", "@", "\t"):
            bad.append(line)
    return bad


def test_bare_carriage_return_is_quoted_and_each_line_neutralised() -> None:
    text = to_safe_csv(pd.DataFrame({"text": ["hi\r@SUM(1+1)"], "n": [1]}))
    assert text == 'text,n\n"hi\r\'@SUM(1+1)",1\n'
    assert records(text) == [["text", "n"], ["hi\r'@SUM(1+1)", "1"]]
    assert formula_lines(text) == []


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_cells(value: str) -> None:
    df = pd.DataFrame({"id": ["row1"], "text": [value], "gmv": [-5.0]})
    text = to_safe_csv(df)
    got = records(text)
    assert got[1][0] == "row1" and got[1][2] == "-5.0"
    assert got[1][1] == neutralise(value)
    assert formula_lines(text) == [], text
    # rows end with \n only; every \r left is inside a quoted field
    assert text.endswith("\n") and len(got) == 2
    if "\r" in value or "\n" in value:  # the field is quoted
        assert text.removeprefix("id,text,gmv\n").startswith('row1,"'), text


def test_neutralise_keeps_plain_numbers_and_text() -> None:
    assert neutralise("-5.00") == "-5.00"
    assert neutralise("12") == "12"
    assert neutralise("multi\nline") == "multi\nline"
    assert neutralise("x\n-5") == "x\n'-5"  # a line that starts with '-' inside text is not a number cell
    assert neutralise('"=1') == "'\"=1"  # a naive importer strips the quote
    assert neutralise(3) == 3 and neutralise(None) is None


def test_column_names_are_neutralised_too() -> None:
    text = to_safe_csv(pd.DataFrame({"=cmd\r@x": ["v"]}))
    assert records(text)[0] == ["'=cmd\r'@x"]
    assert formula_lines(text) == []


CELL_TEXT = st.text(alphabet=list('ab1 ,"=+-@\t\r\n.'), max_size=12)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(CELL_TEXT, CELL_TEXT), min_size=1, max_size=5))
def test_any_text_round_trips_and_starts_no_formula(cells: list[tuple[str, str]]) -> None:
    df = pd.DataFrame(cells, columns=["a", "b"])
    text = to_safe_csv(df)
    got = records(text)
    assert got[0] == ["a", "b"]
    assert [tuple(r) for r in got[1:]] == [(neutralise(a), neutralise(b)) for a, b in cells]
    assert formula_lines(text) == [], text


# --------------------------------------------------------------------------- the two real paths


def hostile_session() -> LogBuilder:
    log = LogBuilder("csv1")
    log.start(0, title="hi\r@SUM(1+1)")
    log.enter(5, "u1")
    for i, text in enumerate(HOSTILE):
        log.ev("comment", 10 + i, user_id="u1", text=text)
    log.end(600)
    return log


def test_sessions_csv_quotes_bare_carriage_return(tmp_path, capsys) -> None:
    wb = load(tmp_path, hostile_session())
    capsys.readouterr()
    assert main(["sessions", "--store", str(wb.store.root), "--format", "csv"]) == 0
    out = capsys.readouterr().out
    rows = list(csv.DictReader(io.StringIO(out, newline="")))
    assert len(rows) == 1
    assert rows[0]["title"] == "hi\r'@SUM(1+1)"
    assert formula_lines(out) == [], out


def test_comments_download_quotes_and_neutralises(tmp_path) -> None:
    from liveboard.views.session_detail import SessionDetail

    wb = load(tmp_path, hostile_session())
    payload = SessionDetail(wb.session("csv1")).comments_payload()
    assert not isinstance(payload, str), payload
    data, name, mime = payload
    text = data.decode("utf-8")
    assert name.endswith("-comments.csv") and mime == "text/csv"
    got = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [r["text"] for r in got] == [neutralise(t) for t in HOSTILE]
    assert formula_lines(text) == [], text
