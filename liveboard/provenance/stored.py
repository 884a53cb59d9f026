"""The stored rows of every source, as one set of Arrow tables."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from liveboard.provenance.schemas import TABLE_NAMES, conform, table_schemas


@dataclass
class SourceTables:
    """The stored rows of every source, as Arrow tables in :func:`table_schemas`."""

    tables: dict[str, pa.Table] = field(
        default_factory=lambda: {n: table_schemas()[n].empty_table() for n in TABLE_NAMES}
    )

    @classmethod
    def load(cls, paths: dict[str, Path | None]) -> SourceTables:
        out = cls()
        for name in TABLE_NAMES:
            p = paths.get(name)
            if p is not None:
                out.tables[name] = conform(pq.read_table(p), table_schemas()[name])
        return out

    @property
    def summaries(self) -> pa.Table:
        return self.tables["source_summaries"]

    def arrow(self, name: str) -> pa.Table:
        return self.tables[name]
