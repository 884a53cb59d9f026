"""``liveboard store info | check | repair``: what a store holds, whether it is as written, and the way back
to the last good version when it is not.

``check`` reads every table's ``_delta_log`` itself (each entry parsed, each checkpoint read and compared
with the entries it sums up, ``_last_checkpoint``), replays it to find every data file a version still in
the log references, and verifies each file against the SHA-256 in its name and its Parquet footer. A
file removed by a commit may be missing once a ``vacuum`` (logged as ``VACUUM START``) or the retention
window (:data:`liveboard.store.VACUUM_RETAIN_HOURS`) allows it, or when ``repair`` moved it aside.

``repair`` never deletes: what it takes out of the store goes to ``<store>/_damaged/<UTC time>/<table>/``.
Damaged or missing log entries go there with every later entry (a later entry cannot be read without
them), with the checkpoints at or after them; the head is rolled back to its newest entry whose named
versions can all be read; a damaged or missing data file of the current version is moved there and
removed from its table in a new commit, and the catalog rows of the sessions whose events it held are
recomputed from what is left.

This module is the command group's work (its parser is in :mod:`liveboard.cli`, which imports each command
when it runs); the work is in :mod:`liveboard.store.delta_log` (reading a log),
:mod:`liveboard.store.check`, :mod:`liveboard.store.info` and :mod:`liveboard.store.repair` (with
:mod:`liveboard.store.rollback` and :mod:`liveboard.store.aside`), whose names are importable from here too.
"""

from __future__ import annotations

from liveboard.store.aside import Repair
from liveboard.store.check import CheckResult, check, cmd_store_check
from liveboard.store.delta_log import Damage, Files, Log, file_problem, replay, scan_log
from liveboard.store.info import cmd_store_info, info
from liveboard.store.layout import DAMAGED, MISSING_NOTE
from liveboard.store.repair import cmd_store_repair, repair

__all__ = [
    "DAMAGED",
    "MISSING_NOTE",
    "CheckResult",
    "Damage",
    "Files",
    "Log",
    "Repair",
    "check",
    "cmd_store_check",
    "cmd_store_info",
    "cmd_store_repair",
    "file_problem",
    "info",
    "repair",
    "replay",
    "scan_log",
]
