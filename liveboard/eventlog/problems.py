"""What is wrong with an event-log file as a whole, and the shape of a bad row."""

from __future__ import annotations

import errno
from pathlib import Path

import pyarrow as pa

from liveboard.errors import DataProblem

BAD_ROW_SCHEMA = pa.schema(
    [
        pa.field("file", pa.string()),
        pa.field("line", pa.int64()),
        pa.field("reason", pa.string()),
        pa.field("raw", pa.large_string()),
    ]
)


class EventLogError(DataProblem):
    """A user-facing problem with an event-log file as a whole (missing, unreadable, damaged, too big).

    ``problem`` (without the path) and ``hint`` are set when the problem can come after some of the file
    was read: a stream that has handed on some of its lines already says so with them.
    """

    def __init__(self, message: str, *, problem: str | None = None, hint: str = "") -> None:
        super().__init__(message)
        self.problem = problem
        self.hint = hint


def os_problem(path: Path, exc: OSError) -> str:
    """One line saying what is wrong with a path the system refused to read."""
    known: dict[int | None, str] = {
        errno.ENOENT: "no such file or folder",
        errno.ELOOP: "symlink loop (a link that points back to itself)",
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
        errno.EISDIR: "is a folder, not a file",
        errno.ENOTDIR: "no such file (a part of the path is not a folder)",
    }
    why = known.get(exc.errno, f"cannot read ({exc.strerror or exc})")
    return f"{path}: {why}"
