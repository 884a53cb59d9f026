"""CSV exports that a spreadsheet cannot turn into formulas.

A cell starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return is prefixed with ``'`` (spec
section 4). Numbers are written as numbers; only text cells are touched.
"""

from __future__ import annotations

import re

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


_PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def neutralise(value: object) -> object:
    """Prefix text a spreadsheet would run as a formula; a plain number (``-5.00``) stays a number."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
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
    return safe_frame(df).to_csv(index=False, lineterminator="\n")
