"""``liveboard store repair``: the way back to the last good version (see :mod:`liveboard.store_admin`). Phase 1
(:mod:`liveboard.store.rollback`) cuts the logs back; phase 2 takes damaged data files of the current version
out of their tables; phase 3 commits again the intact event files of the moved entries."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from liveboard import provenance, queries, tables
from liveboard.defaults import default_store_path
from liveboard.store import Store, event_file_rows, writer_lock
from liveboard.store.aside import Repair, _catalog_or_none, _sessions_of
from liveboard.store.delta_log import file_problem, replay, scan_log
from liveboard.store.layout import DATA_TABLES, _open_root
from liveboard.store.rollback import _repair_logs


def _whole_catalog(store: Store, snap, skip: dict[str, set[str]]) -> pa.Table:
    """The session table rebuilt from every event and the source rows (what
    :meth:`Store.catalog_from_summaries` computes), without the files in ``skip``."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    ef = store._event_files_table(snap)
    drop = {f"events/{p}" for p in skip.get("events", set())}
    ef = ef.filter(pc.invert(pc.is_in(ef["path"], pa.array(sorted(drop), pa.string())))) if drop else ef
    con.register("_ef", ef)
    con.execute("CREATE TABLE event_files AS SELECT * FROM _ef")
    store.define_events(con, None)
    events = con.sql(
        f"SELECT *, \"end\" IS NOT NULL AS sealed, 'events' AS source, false AS stale FROM ({queries.session_summaries()})"
    ).to_arrow_table()
    sources = _sources_without(store, snap, skip)
    ids = set(sources.summaries["session_id"].to_pylist()) | set(events["session_id"].to_pylist())
    con.register("rows", provenance.catalog_rows(events if events.num_rows else None, sources.summaries, sorted(ids)))
    return con.sql("SELECT * FROM rows ORDER BY start, session_id").to_arrow_table()


def _sources_without(store: Store, snap, skip: dict[str, set[str]]) -> provenance.SourceTables:
    out = provenance.SourceTables()
    for name in provenance.TABLE_NAMES:
        paths = [p for p in store._files(name, snap) if str(p.relative_to(store.root / name)) not in skip.get(name, ())]
        t = tables.read(paths, None)
        if t is not None:
            out.tables[name] = provenance.conform(t, provenance.table_schemas()[name])
    return out


def _repair_files(rep: Repair) -> None:
    """Phase 2, as one store commit: damaged or missing data files of the current version moved aside and
    removed from their tables; the catalog rows of the sessions they held recomputed."""
    store = Store(rep.root)
    snap = store.snapshot()
    damaged: dict[str, dict[str, str]] = {}
    adds: dict[str, list[dict]] = {}
    for name in DATA_TABLES:
        lg = scan_log(name, rep.root / name)
        fs = replay(lg)
        base = tables.files(rep.root / name, snap.of(name))["path"].to_pylist()
        for rel in base:
            why = file_problem(rep.root / name / rel)
            if why:
                damaged.setdefault(name, {})[rel] = why
                if rel in fs.active:
                    adds.setdefault(name, []).append(fs.active[rel])
    if not damaged:
        return
    catalog = _catalog_or_none(store) if "sessions" not in damaged else None
    for name, files in damaged.items():
        for rel, why in files.items():
            path = rep.root / name / rel
            if path.exists():
                rep.move(name, path)
                rep.say(f"{path}: {why} — moved aside and removed from the table")
            else:
                rep.note_missing(name, rel, why)
                rep.say(f"{path}: {why} — removed from the table")
    affected = _sessions_of(adds.get("events", []), catalog)
    skip = {name: set(files) for name, files in damaged.items()}
    with store._writer("repair") as c:
        for name, files in damaged.items():
            if name != "sessions":
                c.remove(name, sorted(files))
        whole = "sessions" in damaged or any(n in damaged for n in provenance.TABLE_NAMES)
        if whole:
            c.replace("sessions", _whole_catalog(store, c.snap, skip))
        elif affected:
            con, _ = store.connect(c.snap)
            drop = [f"events/{p}" for p in skip.get("events", ())]
            con.execute("DELETE FROM event_files WHERE path IN (SELECT unnest(?))", [drop])
            c.replace("sessions", store._rebuilt_catalog(con, store.source_tables(c.snap), set(affected)))
        version = c.commit()
    if "quarantine" in damaged:
        rep.say(
            "quarantine: the rows of the removed file(s) are gone; importing their event logs again brings them back"
        )
    for name in provenance.TABLE_NAMES:
        if name in damaged:
            rep.say(f"{name}: the rows of the removed file(s) are gone; sync or import that source again")
    if whole:
        rep.say("sessions: the catalog was rebuilt from the events and the source rows")
    if affected:
        rep.say(
            f"sessions {', '.join(affected)} had events in the removed file(s): re-import their files "
            f"(their summaries are recomputed from the events left)"
        )
    rep.say(f"committed store version {version}")


def _salvage(rep: Repair) -> None:
    """Phase 3, as one store commit: the intact event files of moved or rolled-back entries that only added
    files (kept aside by phase 1) put back and committed again, the catalog rows of their sessions recomputed. A live
    LIVE has no file to import again: its events come back from its own data files."""
    intact: list[tuple[str, dict | None, Path]] = []
    gone: list[tuple[str, dict | None, Path]] = []
    for rel, line, src in rep.salvage:
        (intact if src.exists() and tables.verify_file(src) is None else gone).append((rel, line, src))
    if not intact:
        return
    store = Store(rep.root)
    done = []
    for rel, line, src in intact:
        dest = rep.root / "events" / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(src, dest)  # the copy aside stays, in case this commit does not happen
        except FileExistsError:
            pass
        except OSError:
            shutil.copy2(src, dest)
        done.append(tables.data_file(rep.root / "events", rel, (line or {}).get("stats")))
    with store._writer("repair") as c:
        for f in done:
            c.added("events", f)
        con, _ = store.connect(c.snap)
        con.register("_salvaged", event_file_rows(done))
        con.execute("INSERT INTO event_files SELECT * FROM _salvaged")
        ids: set[str] = set()
        for f in done:
            ids |= set(
                pq.read_table(rep.root / "events" / f.path, columns=["session_id"])["session_id"].unique().to_pylist()
            )
        c.replace("sessions", store._rebuilt_catalog(con, store.source_tables(c.snap), ids))
        version = c.commit()
    rep.say(
        f"sessions {', '.join(sorted(ids))}: {len(done)} intact event file(s) of the moved entries committed "
        f"again (store version {version}): their events are back"
    )
    if gone:
        rep.say(f"{len(gone)} event file(s) of the moved entries are damaged or missing and could not be put back")


def repair(root: Path) -> list[str]:
    root = _open_root(root)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    rep = Repair(root, stamp)
    try:
        with writer_lock(root, "repair"):
            _repair_logs(rep)
        tables._CACHE.clear()  # versions after the cut will be written again, with other content
        _repair_files(rep)
        _salvage(rep)
    finally:
        tables._CACHE.clear()
    if not rep.lines:
        return [f"{root}: nothing to repair (`liveboard store check` finds no damage)"]
    rep.lines.append(f"what was taken out is in {rep.aside}")
    return rep.lines


def cmd_store_repair(args) -> int:
    root = Path(args.store or default_store_path())
    for line in repair(root):
        print(line)
    return 0
