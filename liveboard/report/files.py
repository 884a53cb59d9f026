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
from liveboard.quoting import safe_name
from liveboard.report.markup import _table, page
from liveboard.report.options import ReportOptions
from liveboard.views import format as fmt
from liveboard.views.format import esc


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
    rows = []
    for r in df.itertuples():
        href = esc(r.html)
        rows.append(
            [
                f'<a href="{href}">{esc(r.title or r.session_id)}</a>',
                esc(r.session_id),
                esc(r.account_id or fmt.MISSING),
                esc(fmt.when(r.start)),
                esc(fmt.money(r.gmv, r.currency or "USD")),
                f'<a href="{esc(r.notebook)}">notebook</a>',
            ]
        )
    body = f'<div class="lbr"><h1>Post-LIVE reports</h1><p class="lbr-sub">{len(df)} report(s) in this folder.</p>'
    body += _table(
        ["Title", "Session", "Account", "Start (UTC)", "GMV", "Notebook"],
        rows,
        [False, False, False, False, True, False],
    )
    if failures:
        body += "<h2>Not generated in the last run</h2>" + _table(
            ["Session", "Error"], [[esc(s), esc(e)] for s, e in failures]
        )
    body += "</div>"
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
        "gmv": None if fmt.is_missing(meta.get("gmv")) else float(meta.get("gmv")),
        "html": html_path.name,
        "notebook": nb_path.name,
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "options": options.parameters(),
    }
