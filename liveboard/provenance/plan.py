"""What a put_source call changes: each incoming row linked to a session, the side tables replaced where
they differ, and the :class:`SourceReport` that says so."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from liveboard.provenance.batch import _LABEL, Batch
from liveboard.provenance.engine import sql
from liveboard.provenance.matching import _match
from liveboard.provenance.schemas import table_schemas
from liveboard.provenance.stored import SourceTables


@dataclass
class SourceReport:
    """What a put_source call did.

    ``new``: sessions that got a row of this source for the first time (``linked`` those of them that
    already existed, e.g. with events); ``changed``: {session_id: [figures that changed]} for rows seen
    before (``trend``, ``products``, ``gaps`` when those were replaced by different rows); ``unchanged``:
    rows seen before and identical; ``sessions``: {source_key: session_id}; ``version``: the store
    version after the call (the same as before when nothing changed).
    """

    source: str
    new: list[str] = field(default_factory=list)
    linked: list[str] = field(default_factory=list)
    changed: dict[str, list[str]] = field(default_factory=dict)
    unchanged: list[str] = field(default_factory=list)
    sessions: dict[str, str] = field(default_factory=dict)
    version: int = 0
    committed: bool = False


@dataclass
class Plan:
    """What :func:`plan_put` decided: the source tables after the call, the tables to write (``dirty``), the
    sessions whose catalog rows change (``affected``) and the report."""

    tables: SourceTables
    dirty: set[str]
    affected: set[str]
    report: SourceReport


COMPARED = tuple(c for c in table_schemas()["source_summaries"].names if c not in ("session_id", "version"))


def plan_put(batch: Batch, stored: SourceTables, catalog: pa.Table, version: int, *, exact_only=False) -> Plan:
    """Link each incoming row to a session, and tell what changes; ``version`` is the one to commit.

    ``catalog``: ``session_id``, ``account_id``, ``start`` of the stored sessions. A recorder's rows link
    by id only: its source_key is the id its events are written under.
    """
    source = batch.source
    exact_only = exact_only or source == "recorder"
    report = SourceReport(source=source, version=version - 1)
    inc, old = batch.summaries, stored.summaries
    keys = inc["source_key"].to_pylist()
    n = len(keys)
    seen = _seen_before(inc, old, source)  # row -> (session_id, version, differing columns)
    ids = set(catalog["session_id"].to_pylist()) | set(old["session_id"].to_pylist())
    sids: list[str | None] = [None] * n
    versions = [version] * n
    pending: list[int] = []
    for i, key in enumerate(keys):
        if i in seen:
            sids[i], ver, diff = seen[i]
            versions[i] = version if diff else ver
        elif key in ids:
            sids[i] = key
            report.linked.append(key)
        elif exact_only:
            sids[i] = key
        else:
            pending.append(i)
    if pending:
        assigned = _match(inc, old, catalog, source, sids, pending)
        for i in pending:
            linked = sids[i] = assigned.get(i, keys[i])
            if i in assigned:
                report.linked.append(linked)
    inc = inc.set_column(inc.schema.get_field_index("session_id"), "session_id", pa.array(sids, pa.string()))
    inc = inc.set_column(inc.schema.get_field_index("version"), "version", pa.array(versions, pa.int64()))
    # side tables replaced per source_key, where they differ from the stored ones
    new_tables = SourceTables(dict(stored.tables))
    table_diffs: dict[str, list[str]] = {}
    dirty: set[str] = set()
    for name in ("source_trends", "source_products", "gaps"):
        given = batch.side(name)
        if given is None or not given.num_rows:
            continue
        replaced = _replaced_keys(given, stored.tables[name], source)
        if replaced:
            dirty.add(name)
            gone = pc.and_(
                pc.equal(stored.tables[name]["source"], source),
                pc.is_in(stored.tables[name]["source_key"], value_set=pa.array(sorted(replaced), pa.string())),
            )
            kept = stored.tables[name].filter(pc.invert(gone))
            added = given.filter(pc.is_in(given["source_key"], value_set=pa.array(sorted(replaced), pa.string())))
            new_tables.tables[name] = pa.concat_tables([kept, added])
            for k in replaced:
                table_diffs.setdefault(k, []).append(_LABEL[name])
    affected: set[str] = set()
    any_diff = False
    for i, key in enumerate(keys):
        sid = sids[i]
        assert sid is not None  # every row was linked above
        report.sessions[key] = sid
        if i not in seen:
            report.new.append(sid)
            affected.add(sid)
            continue
        diff = seen[i][2]
        any_diff = any_diff or bool(diff)
        if diff or key in table_diffs:
            report.changed[sid] = diff + table_diffs.get(key, [])
            if diff:
                affected.add(sid)
        else:
            report.unchanged.append(sid)
    if report.new or any_diff:
        dirty.add("source_summaries")
        mine = pc.and_(pc.equal(old["source"], source), pc.is_in(old["source_key"], value_set=inc["source_key"]))
        waiting = set(pending)
        order = [i for i in range(n) if i not in waiting] + pending  # rows kept in place first, then matched
        new_tables.tables["source_summaries"] = pa.concat_tables(
            [old.filter(pc.invert(pc.fill_null(mine, False))), inc.take(pa.array(order, pa.int64()))]
        )
    return Plan(new_tables, dirty, affected, report)


def _seen_before(inc: pa.Table, old: pa.Table, source: str) -> dict[int, tuple[str, int, list[str]]]:
    """Incoming rows this source gave before: their session, version and the columns that differ."""
    if not old.num_rows or not inc.num_rows:
        return {}
    cases = ", ".join(f'CASE WHEN i."{c}" IS DISTINCT FROM o."{c}" THEN \'{c}\' END' for c in COMPARED)
    rows = sql(
        f"SELECT i._i, o.session_id, o.version, list_filter([{cases}], lambda x: x IS NOT NULL) AS diff "
        "FROM inc i JOIN (SELECT * FROM old WHERE source = $source) o ON o.source_key = i.source_key",
        {"source": source},
        inc=inc.append_column("_i", pa.array(np.arange(inc.num_rows), pa.int64())),
        old=old,
    )
    return {
        i: (sid, ver, diff)
        for i, sid, ver, diff in zip(
            rows["_i"].to_pylist(),
            rows["session_id"].to_pylist(),
            rows["version"].to_pylist(),
            rows["diff"].to_pylist(),
            strict=True,
        )
    }


def _replaced_keys(given: pa.Table, stored: pa.Table, source: str) -> set[str]:
    """The source_keys whose given rows are not exactly the stored rows of this source."""
    if not stored.num_rows:
        return set(given["source_key"].to_pylist())
    mine = stored.filter(
        pc.and_(
            pc.equal(stored["source"], source), pc.is_in(stored["source_key"], value_set=pc.unique(given["source_key"]))
        )
    )
    if not mine.num_rows:
        return set(given["source_key"].to_pylist())
    diff = sql(
        "SELECT DISTINCT source_key FROM ((SELECT * FROM given EXCEPT SELECT * FROM mine) "
        "UNION ALL (SELECT * FROM mine EXCEPT SELECT * FROM given))",
        given=given,
        mine=mine,
    )
    return set(diff["source_key"].to_pylist())
