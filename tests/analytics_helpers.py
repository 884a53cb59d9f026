"""The simulated store the LIVE Analytics tests share (tests/test_analytics_views.py, test_analytics_pages.py,
test_analytics_tabs_views.py, test_session_detail_views.py, test_reports_views.py, test_analytics_notebook.py,
test_analytics_browser.py): 12 sessions of 3 accounts (RM, ฿ and $ shops), one of them with a hostile title
and hostile comments.

Each test module builds its own store in a module-scoped fixture (``build_store(tmp / "store")``), so that
pytest-xdist keeps the module on one worker (tests/conftest.py).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.compute as pc

from liveboard.simulator import simulate
from liveboard.store import Store

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
HOSTILE_TITLE = "<img src=x onerror=alert(1)>"
HOSTILE_COMMENTS = ["<b>bold</b> hello", '=HYPERLINK("http://x","y")', "+SUM(1)"]


def hostile_comments(table: pa.Table, texts: list[str] = HOSTILE_COMMENTS) -> pa.Table:
    """Overwrite the first comments of a simulated session with hostile text."""
    idx = pc.indices_nonzero(pc.equal(table["type"], "comment")).to_pylist()[: len(texts)]
    text = table["text"].to_pylist()
    for i, t in zip(idx, texts, strict=False):
        text[i] = t
    col = table.schema.get_field_index("text")
    return table.set_column(col, table.schema.field("text"), pa.array(text, table.schema.field("text").type))


def build_store(path, *, sessions=12, accounts=3, scale=0.02, now=NOW, seed=0):
    store = Store(path, create=True)
    for table in simulate(seed, accounts=accounts, sessions=sessions, scale=scale, now=now):
        title = table.filter(pc.equal(table["type"], "session_start"))["title"][0].as_py()
        if HOSTILE_TITLE in title:
            table = hostile_comments(table)
        store.append(table)
    return path


def hostile_id(wb) -> str:
    df = wb.sessions()
    return df.loc[df["title"].str.contains(HOSTILE_TITLE, regex=False), "session_id"].iloc[0]
