"""The one SQL literal quoter and the one safe-name rule: every module that puts a value into SQL text or a
value into a file or folder name goes through these, so there is one place to get them right."""

from __future__ import annotations

import os
import re

#: What a safe name may hold: ASCII letters, digits and ``_ . @ -`` (never a path separator).
UNSAFE_NAME_CHARS = re.compile(r"[^A-Za-z0-9_.@-]")


def sql_literal(value: str | os.PathLike) -> str:
    """A SQL string literal for DuckDB: single quotes around the text, a quote inside doubled."""
    return "'" + str(value).replace("'", "''") + "'"


def safe_name(value: str, default: str, limit: int = 80) -> str:
    """``value`` as a file or folder name: any other character becomes ``_``, at most ``limit`` characters,
    no leading dot (never hidden, never ``..``); ``default`` when nothing is left. Distinct values may
    share a safe name: add a hash where they must not (:func:`liveboard.report.report_name`)."""
    return UNSAFE_NAME_CHARS.sub("_", value)[:limit].lstrip(".") or default
