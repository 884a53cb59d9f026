"""Errors shown to users as one line (never a traceback), and the one hierarchy they belong to.

Every error liveboard raises on purpose is a :class:`LiveboardError`: the CLI prints its message as one line and
exits with its ``exit_code`` — 2 for a :class:`UserError` (how the command was called, a value from outside), 1
for the rest (:class:`EnvironmentProblem`: the machine; :class:`DataProblem`: a file or the store holds what
cannot be used). Anything else is a bug: logged with its traceback. :class:`InputError` is a parameter from
outside that cannot be used. :func:`environment_message` turns what
the machine does to us — a full disk, a read-only or unreadable folder, a file where a folder should be, a
damaged Parquet file in the store — into one line that names the path, says what is wrong and what to do.
Our own bugs are not dressed up as environment problems: anything it does not recognise stays a traceback.
"""

from __future__ import annotations

import errno
import os
import re


class LiveboardError(Exception):
    """An error liveboard raises on purpose: its message is one line for the user, ``exit_code`` the CLI's."""

    exit_code: int = 1


class UserError(LiveboardError):
    """How liveboard was called cannot work (an option, a path, a value from outside): one line, exit 2."""

    exit_code = 2


class InputError(UserError, ValueError):
    """A parameter from outside (CLI, URL, widget) that cannot be used; the message says which and why.

    A :class:`ValueError` too: callers that check values catch that."""


class EnvironmentProblem(LiveboardError):
    """The machine refuses what a command needs (a folder it cannot write, a full disk): one line, exit 1."""


class DataProblem(LiveboardError):
    """A file or the store holds what cannot be used (damaged, refused, locked): one line naming it, exit 1."""


#: Set to 1 to see the traceback behind a one-line message (for bug reports).
DEBUG_ENV = "LIVEBOARD_DEBUG"

#: errno → (what is wrong, what to do).
OS_ADVICE: dict[int, tuple[str, str]] = {
    errno.ENOSPC: ("no space left on the disk", "free some space (or use another disk) and run the command again"),
    errno.EDQUOT: ("the disk quota is used up", "free some space (or use another disk) and run the command again"),
    errno.EROFS: ("the file system is read-only", "use a folder on a writable disk, or remount it read-write"),
    errno.EACCES: ("permission denied", "check the owner and permissions of this path (ls -ld), or run as its owner"),
    errno.EPERM: ("operation not permitted", "check the owner and permissions of this path (ls -ld)"),
    errno.ENOTDIR: ("a part of this path is a file, not a folder", "check the path"),
    errno.EISDIR: ("this is a folder where a file was expected", "give the name of a file"),
    errno.ELOOP: ("too many symbolic links (a link loop?)", "fix or remove the symbolic link"),
    errno.ENOENT: ("no such file or folder", "check the path"),
    errno.EEXIST: ("this already exists", "remove it or choose another name"),
    errno.ENAMETOOLONG: ("the name is too long", "choose a shorter path"),
    errno.EMFILE: ("too many open files", "raise the limit (ulimit -n) or close other programs"),
    errno.ENFILE: ("too many open files on this machine", "close other programs and run the command again"),
    errno.EIO: ("input/output error", "the disk may be failing: check it (dmesg) and run the command again"),
}

#: Texts of the C library's errors as they appear inside DuckDB and Arrow messages.
_ERRNO_TEXTS = {os.strerror(code).lower(): code for code in OS_ADVICE} | {"no files found that match": errno.ENOENT}
_QUOTED_PATH = re.compile(r"""["']([^"'\n]*[/\\][^"'\n]*|[^"'\n]+\.(?:parquet|json|jsonl(?:\.gz)?))["']""")
_TEMP_NAME = re.compile(r"^\..+\.tmp(\.\w+)?$")
#: What DuckDB and Arrow say about a file that is not (or no longer) valid Parquet.
_DAMAGE = re.compile(
    r"parquet|magic bytes|footer|thrift|corrupt|checksum|don't know what type|unexpected end|truncated",
    re.IGNORECASE,
)


def _first_line(text: object, limit: int = 240) -> str:
    line = str(text).strip().splitlines()[0] if str(text).strip() else ""
    line = " ".join(line.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _errno_in(text: str) -> int | None:
    low = text.lower()
    for words, code in _ERRNO_TEXTS.items():
        if words in low:
            return code
    return None


def _shown_path(name: object, fallback: str | None) -> str | None:
    """The path to name: a temporary file of an atomic write (``.x.jsonl.abc.tmp``) is named by the target."""
    if name is None or name == "":
        return fallback
    text = os.fsdecode(name) if isinstance(name, bytes) else str(name)
    if _TEMP_NAME.match(os.path.basename(text)) and fallback:
        return fallback
    return text


def os_error_message(exc: OSError, fallback: str | None = None) -> str:
    """One line for an :class:`OSError`: ``<path>: <what is wrong> — <what to do>``."""
    code = exc.errno if exc.errno in OS_ADVICE else _errno_in(str(exc))
    path = _shown_path(exc.filename2 if exc.filename2 and code != errno.ENOENT else exc.filename, fallback)
    unknown = (_first_line(exc.strerror or exc) or type(exc).__name__, "check the path")
    what, todo = OS_ADVICE.get(code, unknown) if code is not None else unknown
    return f"{path + ': ' if path else ''}{what} — {todo}"


def _damaged_message(detail: str, store: str | None) -> str:
    path = next((m.group(1) for m in _QUOTED_PATH.finditer(detail)), None)
    where = path or (f"the store {store}" if store else "a store file")
    return (
        f"{where}: cannot be read ({detail}) — a file of the store may be damaged: `liveboard store check` names "
        f"what is damaged, `liveboard store repair` rolls back to the last good version; {DEBUG_ENV}=1 shows "
        "the traceback"
    )


def environment_message(exc: BaseException, *, fallback: str | None = None, store: str | None = None) -> str | None:
    """The one-line message for an error of the environment, or ``None`` when ``exc`` is not one (a bug).

    ``fallback`` names the path being written when the error names none (a full disk during a write);
    ``store`` the store folder, named when DuckDB or Arrow cannot read one of its files.
    """
    if isinstance(exc, MemoryError):
        return "out of memory — close other programs, or work on fewer or smaller files at once"
    if isinstance(exc, OSError) and not _is_arrow_or_duckdb(exc):
        return os_error_message(exc, fallback)
    if not _is_arrow_or_duckdb(exc):
        return None
    detail = _first_line(exc)
    code = exc.errno if isinstance(exc, OSError) and exc.errno in OS_ADVICE else _errno_in(detail)
    if code is not None:
        path = next((m.group(1) for m in _QUOTED_PATH.finditer(detail)), None)
        what, todo = OS_ADVICE[code]
        where = _shown_path(path, fallback) or (fallback if code in (errno.ENOSPC, errno.EDQUOT) else store)
        return f"{where + ': ' if where else ''}{what} — {todo}"
    if _is_programming_error(exc) or not _DAMAGE.search(detail):
        return None
    return _damaged_message(detail, store)


def _is_arrow_or_duckdb(exc: BaseException) -> bool:
    return any(c.__module__.split(".")[0] in ("_duckdb", "duckdb", "pyarrow") for c in type(exc).__mro__)


def _is_programming_error(exc: BaseException) -> bool:
    """DuckDB errors about our SQL (binder, catalog, parser…) and Arrow type errors are bugs, not damage."""
    names = {c.__name__ for c in type(exc).__mro__}
    bugs = {
        "BinderException",
        "CatalogException",
        "ParserException",
        "SyntaxException",
        "NotImplementedException",
        "ArrowNotImplementedError",
        "ArrowTypeError",
    }
    return bool(names & bugs)
