"""A report's files in its folder: safe names, the ``.json`` side file that lists a report, the
listing of a folder's reports and its ``index.html``.

The side file is written last, so a folder never lists half a report; a reader that finds a side file without
its page skips it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from liveboard import atomic
from liveboard.markup import Col
from liveboard.quoting import safe_name
from liveboard.report.markup import page, render, snippets, table
from liveboard.report.options import ReportOptions
from liveboard.views import format as fmt


def report_name(session_id: str) -> str:
    """A file name stem for a session's report: readable, safe, and distinct for distinct ids."""
    sid = str(session_id)
    safe = safe_name(sid, "session")
    if safe != sid:
        safe += "-" + hashlib.sha1(sid.encode()).hexdigest()[:8]
    return safe


def list_reports(out_dir: str | os.PathLike) -> pd.DataFrame:
    """Reports in a folder (from their ``.json`` side files), newest session first."""
    cols = ["session_id", "title", "account_id", "start", "currency", "gmv", "html", "notebook", "generated_at"]
    rows = []
    for p in sorted(Path(out_dir).glob("*.json")):
        try:
            meta = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(meta, dict) or meta.get("kind") != "liveboard-report":
            continue
        if not (Path(out_dir) / str(meta.get("html", ""))).is_file():
            continue
        rows.append({c: meta.get(c) for c in cols})
    df = pd.DataFrame(rows, columns=cols)
    if not df.empty:
        df = df.sort_values(["start", "session_id"], ascending=[False, True], na_position="last").reset_index(drop=True)
    return df


def write_index(out_dir: str | os.PathLike, failures: Sequence[tuple[str, str]] = ()) -> Path:
    """``index.html``: every report in the folder (escaped titles, relative links), and this run's failures."""
    out = Path(out_dir)
    df = list_reports(out)
    link = snippets().link
    rows = [
        [
            link(r.html, r.title or r.session_id),
            r.session_id,
            r.account_id or fmt.MISSING,
            fmt.when(r.start),
            fmt.money(r.gmv, r.currency or "USD"),
            link(r.notebook, "notebook"),
        ]
        for r in df.itertuples()
    ]
    columns = [Col("title", "Title"), Col("session", "Session"), Col("account", "Account"), Col("start", "Start (UTC)")]
    columns += [Col("gmv", "GMV", numeric=True), Col("notebook", "Notebook")]
    failed = (
        table([Col("session", "Session"), Col("error", "Error")], [[s, e] for s, e in failures]) if failures else ""
    )
    body = render("index", count=len(df), table=table(columns, rows), failures=failed)
    path = out / "index.html"
    atomic.write_text(path, page("Post-LIVE reports", body))
    return path


def _side_file(session_id: str, meta: dict, options: ReportOptions, html_path: Path, nb_path: Path) -> dict:
    """The ``.json`` beside a report: what a reports list shows (and needs to find the files) without opening them."""

    def text(key: str) -> str | None:
        return None if fmt.is_missing(meta.get(key)) else str(meta.get(key))

    return {
        "kind": "liveboard-report",
        "session_id": str(session_id),
        "title": text("title"),
        "account_id": text("account_id"),
        "start": None if fmt.is_missing(meta.get("start")) else pd.Timestamp(meta.get("start")).isoformat(),
        "currency": text("currency"),
        "gmv": None if (gmv := meta.get("gmv")) is None or fmt.is_missing(gmv) else float(gmv),
        "html": html_path.name,
        "notebook": nb_path.name,
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "options": options.parameters(),
    }
