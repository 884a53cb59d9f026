"""What ``liveboard sessions`` and ``liveboard accounts`` print: formula-safe CSV or JSON records, and tables
for the terminal whose figures read as on the dashboards (a figure no source knows reads as missing)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable

import pandas as pd

from liveboard.csvsafe import to_safe_csv
from liveboard.metrics import MONEY_METRICS, REGISTRY
from liveboard.views import format as fmt
from liveboard.workbench import ACCOUNT_COLUMNS, SESSION_COLUMNS


def format_for_table(df: pd.DataFrame) -> pd.DataFrame:
    """Readable figures for the terminal, through the same formatting as the dashboards."""
    out = df.copy()
    for col in out.columns:
        if col in MONEY_METRICS:
            out[col] = out[col].map(lambda x: fmt.MISSING if pd.isna(x) else f"{x:,.2f}")
        elif col in REGISTRY and REGISTRY[col].unit in ("rate", "seconds"):
            out[col] = out[col].map(lambda x, c=col: fmt.metric(c, x))
        else:  # a figure no source knows reads as missing, never as None, NaN or <NA>
            out[col] = out[col].astype(object).where(out[col].notna(), fmt.MISSING)
    return out


def _csv_frame(df: pd.DataFrame, columns: Iterable[str], times: Iterable[str], money: Iterable[str]) -> pd.DataFrame:
    """``columns`` of ``df`` as CSV cells: ISO times, money with 2 decimals, empty cells for nulls."""
    out = df[list(columns)].copy()
    for col in times:
        out[col] = out[col].map(lambda t: "" if pd.isna(t) else t.isoformat())
    for col in money:
        out[col] = out[col].map(lambda x: "" if pd.isna(x) else f"{x:.2f}")
    return out


def sessions_csv_frame(df: pd.DataFrame) -> pd.DataFrame:
    """The sessions CSV shape: the spec's column names, money with 2 decimals, ISO times, empty cells for nulls."""
    return _csv_frame(df, SESSION_COLUMNS, ("start", "end"), MONEY_METRICS)


def write_records(frame: pd.DataFrame, kind: str) -> None:
    """A CSV-shaped frame on stdout: as formula-safe CSV, or as JSON records (an empty cell is null)."""
    if kind == "csv":
        sys.stdout.write(to_safe_csv(frame))
        return
    records = json.loads(frame.replace({"": None}).to_json(orient="records", force_ascii=False))
    json.dump(records, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")


ACCOUNT_MONEY = ("gmv", "gmv_per_hour", "gmv_prev", "gmv_per_hour_prev")
ACCOUNT_TABLE: tuple[str, ...] = (
    "account_id",
    "currency",
    "sessions",
    "hours_live",
    "gmv",
    "gmv_per_hour",
    "items_sold",
    "viewers",
)
ACCOUNT_TABLE += ("live_ctr", "ctor", "gmv_change")


def accounts_csv_frame(df: pd.DataFrame) -> pd.DataFrame:
    """The accounts CSV shape: every column of ``Workbench.accounts``, money with 2 decimals, ISO times,
    empty cells for nulls (a figure no session of the account has)."""
    return _csv_frame(df, ACCOUNT_COLUMNS, ("first_live", "last_live"), ACCOUNT_MONEY)


def accounts_table(df: pd.DataFrame) -> tuple[pd.DataFrame, bool]:
    """The terminal table; a figure only some of the account's sessions have is marked ``*``."""
    out = pd.DataFrame(index=df.index)
    partial = False
    for col in ACCOUNT_TABLE:
        values = df[col]
        if col in ("gmv", "gmv_per_hour"):
            text = values.map(lambda x: fmt.MISSING if pd.isna(x) else f"{x:,.2f}")
        elif col == "hours_live":
            text = values.map(lambda x: fmt.MISSING if pd.isna(x) else f"{x:,.1f}")
        elif col in ("live_ctr", "ctor"):
            text = values.map(fmt.rate)
        elif col == "gmv_change":
            text = values.map(lambda x: fmt.MISSING if pd.isna(x) else f"{x * 100:+.1f}%")
        else:
            text = values.astype(object).where(values.notna(), fmt.MISSING).astype(str)
        have = f"{col}_sessions"
        if have in df:
            part = (df[have] < df["sessions"]) & values.notna()
            partial |= bool(part.any())
            text = text.where(~part, text + "*")
        out[col] = text
    return out, partial
