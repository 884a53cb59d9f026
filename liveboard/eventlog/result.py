"""What a whole read gives: events, bad rows, unknown types, and the way back from an event to its line."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pyarrow as pa

from liveboard.eventlog.lines import locate


@dataclass
class ReadResult:
    """Good events (in :data:`EVENT_SCHEMA`, ``seq`` = read order), bad rows, and unknown types seen.

    ``sources`` maps ``seq`` back to a file: ``(path, offset)`` with ``line = seq - offset`` for the last
    offset at or below ``seq``; :meth:`locate` uses it to quarantine an event the store refuses with its
    file, line and raw text. ``file_errors`` are files that could not be read at all (one line each).
    """

    events: pa.Table
    bad: pa.Table
    unknown_types: Counter = field(default_factory=Counter)
    sources: list[tuple[str, int]] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)

    @property
    def bad_count(self) -> int:
        return self.bad.num_rows

    def locate(self, seqs: list[int]) -> pa.Table:
        """File, line and raw text (in :data:`BAD_ROW_SCHEMA`, reason empty) of events given by ``seq``.

        The raw text is read again from the file (only the files concerned, only when asked), so an import
        never keeps every line's text in memory; a file gone since is located without its text.
        """
        return locate(self.sources, seqs)
