"""The store the post-LIVE report tests share (tests/test_report.py, tests/test_reports_pages.py): 20 simulated
sessions of 2 accounts, the newest with a hostile title (and earlier sessions of its account to compare with).

Each test module builds its own in a module-scoped fixture, so that pytest-xdist keeps the module on one
worker (tests/conftest.py).
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from liveboard.simulator import simulate
from liveboard.store import Store

HOSTILE_TITLE = "<script>alert(1)</script> Flash sale & \"quotes\" 'x'"
N_SESSIONS = 20


def build_report_store(root: Path) -> Path:
    """The store at ``root``."""
    tables = list(simulate(seed=11, accounts=2, sessions=N_SESSIONS, scale=0.1))
    # the newest session gets a hostile title (and has earlier sessions of its account to compare with)
    last = tables[-1]
    title = pc.if_else(
        pc.equal(last["type"], "session_start"), pa.scalar(HOSTILE_TITLE, last["title"].type), last["title"]
    )
    tables[-1] = last.set_column(last.schema.get_field_index("title"), "title", title)
    Store(root, create=True).append(pa.concat_tables(tables))
    return root
