"""What the tests of the ``liveboard`` command share (tests/test_cli.py, tests/test_main.py): the command run as
a user runs it (a subprocess of ``python -m liveboard``), and a store of three sessions imported by it.

Each test module imports its store in a module-scoped fixture (``import_three(tmp)``), so that pytest-xdist keeps
the module on one worker (tests/conftest.py).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from logbuilder import LogBuilder, write_lines

DAY = 24 * 3600


def run(*args, env: dict | None = None, check_rc: int | None = 0) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, "-m", "liveboard", *map(str, args)],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
    )
    if check_rc is not None:
        assert proc.returncode == check_rc, (proc.returncode, proc.stdout, proc.stderr)
    return proc


def three_sessions() -> list[LogBuilder]:
    a = LogBuilder("s1")
    a.start(0, account_id="acctA", title='=HYPERLINK("http://x")')
    a.enter(5, "u1", "feed", True)
    a.order(10, "o1", "u1", amount="0.1")
    a.order(11, "o2", "u1", amount=0.2)
    a.end(100)
    b = LogBuilder("s2", fmt="+08")
    b.start(4 * DAY, account_id="acctB", title="Cooking 100% live", live_event_id="evt")
    b.impression(4 * DAY + 1, "promoted")
    b.enter(4 * DAY + 2, "u2", "promoted", False)
    b.click(4 * DAY + 3, "u2")
    b.end(4 * DAY + 600, fmt="ms")
    c = LogBuilder("s3", fmt="z")
    c.start(9 * DAY, account_id="acctA", title="cooking, part 2")  # no end: still running
    c.ev("comment", 9 * DAY + 30, user_id="u3", text="@everyone +1 -1")
    return [a, b, c]


def import_three(tmp: Path) -> tuple[Path, Path, list[Path], subprocess.CompletedProcess]:
    """The three sessions written as event logs in ``tmp``, with a file of a bad row and a duplicate, and
    imported by ``liveboard import`` into ``tmp/store``: (store, tmp, the log files, the import's process)."""
    logs = three_sessions()
    paths = [b.write(tmp / f"{b.session_id}.jsonl") for b in logs]
    bad = write_lines(tmp / "bad.jsonl", ["", "{oops", logs[0].lines()[0]])  # a bad row and a duplicate
    store = tmp / "store"
    proc = run("import", *paths, bad, "--store", store, check_rc=1)
    return store, tmp, [*paths, bad], proc
