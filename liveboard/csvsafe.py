"""CSV exports that a spreadsheet cannot turn into formulas.

A cell starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return is prefixed with ``'`` (spec
section 4). Numbers are written as numbers; only text cells are touched.

A cell holding a line break is two things at once: one quoted field for a CSV reader, and several lines for
a spreadsheet importer that splits on line breaks first. So every field holding ``\\r`` or ``\\n`` is quoted
(the ``csv`` module, writing ``\\n`` rows, would leave a bare ``\\r`` unquoted), and every line inside a
cell that begins with a formula character gets the ``'`` too, after its line break:
``hi\\r@SUM(1+1)`` is written ``"hi\\r'@SUM(1+1)"``.
"""

from __future__ import annotations

import re

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

_PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")
#: A line break inside a cell followed by what a spreadsheet would run (quotes in front are stripped by
#: naive importers, so they do not protect).
_INNER_LINE = re.compile(r'([\r\n]+)(?="*[=+\-@\t])')
_CELL_START = re.compile(r'"*[=+\-@\t\r]')
#: In CSV text written with ``\r\n`` row ends: a quoted field (kept as is) or a row end (made ``\n``).
_QUOTED_OR_ROW_END = re.compile(r'("[^"]*(?:""[^"]*)*")|\r\n')


def neutralise(value: object) -> object:
    """Prefix text a spreadsheet would run as a formula, at the cell's start and after each line break
    inside it; a plain number (``-5.00``) stays a number."""
    if not isinstance(value, str) or _PLAIN_NUMBER.fullmatch(value):
        return value
    if "\r" in value or "\n" in value:
        value = _INNER_LINE.sub(r"\1'", value)
    if _CELL_START.match(value):
        value = "'" + value
    return value


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy with every text cell neutralised (column names too)."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(neutralise)
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out


def to_safe_csv(df: pd.DataFrame) -> str:
    """The frame as CSV text with ``\\n`` row ends, every field holding ``\\r`` or ``\\n`` quoted.

    Written with ``\\r\\n`` row ends first, because the ``csv`` module quotes a field holding any character
    of the row terminator; then the row ends outside quoted fields become ``\\n``.
    """
    text = safe_frame(df).to_csv(index=False, lineterminator="\r\n")
    return _QUOTED_OR_ROW_END.sub(lambda m: m.group(1) or "\n", text)
