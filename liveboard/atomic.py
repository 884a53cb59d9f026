"""The one atomic writer: a file is written under a temporary name in its own folder, made durable (fsync),
then renamed over its target. A reader sees the old file or the new one, never half of one; a write that
fails leaves the old file as it was and no temporary file behind.

Temporary names are ``.<target name>.<random><suffix>`` (``suffix`` ``.tmp`` unless told): hidden, in the
target's folder (a rename never crosses a disk), and recognisable — the store removes a killed writer's
``.*.tmp`` files, and :func:`liveboard.errors.environment_message` names the target instead of them.
"""

from __future__ import annotations

import functools
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

__all__ = ["AtomicFile", "atomic_write", "write_bytes", "write_text"]


@functools.cache
def _file_mode() -> int:
    """The mode an ordinary new file gets (0666 less the umask): ``mkstemp`` makes 0600."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class AtomicFile:
    """A temporary file (``path``) beside ``target``, for a writer that needs a path (Parquet, papermill).

    :meth:`publish` makes it the target (fsync, mode, rename; a target named only once the file is whole,
    after its hash, is given there); :meth:`discard` removes it. As a context manager it is discarded unless
    published, so an exception never leaves a temporary file.
    """

    def __init__(self, target: str | os.PathLike, *, suffix: str = ".tmp") -> None:
        self.target = Path(target)
        self.target.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{self.target.name}.", suffix=suffix, dir=self.target.parent)
        os.close(fd)
        self.path = Path(name)
        self.published = False

    def publish(self, target: str | os.PathLike | None = None, *, synced: bool = False) -> Path:
        """Rename the written file over ``target`` (default: the one given at the start); returns it."""
        final = self.target if target is None else Path(target)
        if not synced:
            _fsync(self.path)
        os.chmod(self.path, _file_mode())
        os.replace(self.path, final)
        self.published = True
        return final

    def discard(self) -> None:
        """Remove the temporary file (nothing happens to the target)."""
        self.path.unlink(missing_ok=True)

    def __enter__(self) -> AtomicFile:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if not self.published:
            self.discard()


@contextmanager
def atomic_write(path: str | os.PathLike) -> Iterator[BinaryIO]:
    """A binary file to write ``path`` through: renamed into place when the block ends without an error."""
    with AtomicFile(path) as pending:
        with open(pending.path, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        pending.publish(synced=True)


def write_bytes(path: str | os.PathLike, data: bytes | memoryview | Iterable[bytes | memoryview]) -> None:
    """Write ``data`` (bytes, or chunks of them: a big file is never joined in memory) to ``path`` atomically."""
    with atomic_write(path) as fh:
        if isinstance(data, bytes | bytearray | memoryview):
            fh.write(data)
        else:
            for chunk in data:
                fh.write(chunk)


def write_text(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` as UTF-8 to ``path`` atomically."""
    write_bytes(path, text.encode("utf-8"))
