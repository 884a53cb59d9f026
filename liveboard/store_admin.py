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

This module is the command group; the work is in :mod:`liveboard.store.delta_log` (reading a log),
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
    "add_commands",
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


def add_commands(sub, store_arg) -> None:
    """``liveboard store upgrade | info | check | repair``."""
    from liveboard.store_upgrade import cmd_store_upgrade

    p = sub.add_parser("store", help="the store itself: upgrade an old layout, info, check, repair")
    group = p.add_subparsers(dest="store_command", required=True)
    q = group.add_parser("upgrade", help="move a store of an older liveboard onto Delta Lake tables, in place")
    store_arg(q)
    q.set_defaults(func=cmd_store_upgrade)
    q = group.add_parser("info", help="versions, files, sizes and rows of each table; sessions")
    store_arg(q)
    q.add_argument("--format", choices=["table", "json"], default="table")
    q.set_defaults(func=cmd_store_info)
    q = group.add_parser("check", help="verify every log entry and data file; exit 1 naming what is damaged")
    store_arg(q)
    q.set_defaults(func=cmd_store_check)
    q = group.add_parser("repair", help="roll back to the last good version; damaged files are kept in _damaged/")
    store_arg(q)
    q.set_defaults(func=cmd_store_repair)
