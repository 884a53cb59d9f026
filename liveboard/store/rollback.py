"""Phase 1 of ``liveboard store repair``, under the store's lock: every table's log cut back to its last
readable version (what is cut goes aside), then the head to its newest entry whose named versions can all be
read; the data files no remaining entry names, and those of rolled-back versions, kept aside."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from liveboard import tables
from liveboard.store import Store
from liveboard.store.aside import Repair, _catalog_or_none, _lenient_actions, _salvageable, _sessions_in
from liveboard.store.delta_log import Log, _head_names, _rel, file_problem, replay, scan_log
from liveboard.store.errors import StoreError
from liveboard.store.layout import ALL_TABLES, COMMITS_SCHEMA, DATA_TABLES, HEAD


def _cut(rep: Repair, lg: Log, keep_through: int | None, why: str) -> list[Path]:
    """Move aside every entry after ``keep_through`` (all when None: -1), the checkpoints after it and a
    ``_last_checkpoint`` pointing past it; returns the moved entries' new paths."""
    last = -1 if keep_through is None else keep_through
    moved = []
    for v in sorted({*lg.entries, *lg.bad_entries}):
        if v > last and lg.entry_path(v).exists():
            moved.append(rep.move(lg.name, lg.entry_path(v)))
    for v, parts in sorted(lg.checkpoints.items()):
        if v > last:
            for part in parts:
                if part.exists():
                    rep.move(lg.name, part)
    lc = lg.log / "_last_checkpoint"
    if lc.exists() and (lg.last_checkpoint is None or lg.last_checkpoint > last):
        rep.move(lg.name, lc)
    if moved:
        first, end = int(moved[0].name[:20]), int(moved[-1].name[:20])
        which = f"entry {first}" if first == end else f"entries {first}–{end}"
        rep.say(f"{lg.name}: moved aside log {which} ({why}); the table is back at version {last}")
    return moved


def _repair_logs(rep: Repair) -> dict[str, int] | None:
    """Phase 1, under the store's lock: every table's log cut back to its last readable version, then the
    head to its newest entry whose named versions can all be read. Returns the named versions (None: the
    head was fine)."""
    root = rep.root
    logs = {name: scan_log(name, root / name) for name in ALL_TABLES}
    was = logs[HEAD].latest
    for lg in logs.values():
        replay(lg)  # flags checkpoints that disagree with their entries
        if lg.missing:
            raise StoreError(f"{lg.path}: not a Delta table (its {tables.LOG} folder is missing); cannot repair it")
    moved_adds: dict[str, list[dict]] = {}
    for name, lg in logs.items():
        adds = _cut_back(rep, lg)
        if adds is not None:
            moved_adds[name] = adds
        logs[name] = scan_log(name, root / name)
    chosen, named = _roll_head_back(rep, logs, was)
    # data files no remaining entry names (those of the moved entries, whose add lines may be torn, and
    # any a killed writer left): kept aside, since a vacuum deletes untracked files
    store = Store(root)
    catalog = _catalog_or_none(store)
    _keep_untracked(rep, logs, moved_adds, catalog)
    # table versions after the ones the head names: rolled back by the next writer; keep their files
    _keep_rolled_back(rep, logs, named, chosen, catalog)
    # damaged files of the head table itself (its rows are a record; the store reads its log)
    _repair_head_files(rep, logs[HEAD], named)
    return named


def _cut_back(rep: Repair, lg: Log) -> list[dict] | None:
    """One table's log cut back to its last readable version: damaged checkpoints (and a ``_last_checkpoint``
    naming one) moved aside, then every entry from the first version that cannot be read. Returns the add
    actions of the moved entries (None: nothing was cut)."""
    name = lg.name
    for v in sorted(lg.bad_checkpoints):
        for part in lg.checkpoints.get(v, []):
            if part.exists():
                rep.move(name, part)
        rep.say(f"{name}: moved aside checkpoint {v} ({lg.bad_checkpoints[v]})")
        del lg.checkpoints[v]
    if lg.last_checkpoint_bad or (lg.last_checkpoint is not None and lg.last_checkpoint in lg.bad_checkpoints):
        if (lg.log / "_last_checkpoint").exists():
            rep.move(name, lg.log / "_last_checkpoint")
            rep.say(f"{name}: moved aside _last_checkpoint ({lg.last_checkpoint_bad or 'its checkpoint'})")
        lg.last_checkpoint = None
    lg.bad_checkpoints.clear()
    good = lg.readable_versions()
    if not good:
        raise StoreError(f"{lg.path}: no version of this table can be read any more; cannot repair it")
    # the first version after the oldest readable one that cannot be read: cut there
    cut = next((v for v in range(good[0], lg.latest + 1) if not lg.readable(v)), None)
    below = [v for v in lg.bad_entries if v < good[0]]  # unreadable history before a good checkpoint
    for v in below:
        if lg.entry_path(v).exists():
            rep.move(name, lg.entry_path(v))
            rep.say(f"{name}: moved aside log entry {v} ({lg.bad_entries[v]}; no readable version needs it)")
    if cut is not None:
        first_bad = min((v for v in lg.bad_entries if v >= cut), default=cut)
        why = lg.bad_entries.get(first_bad, "cannot be read")
        moved = _cut(rep, lg, cut - 1, why if first_bad == cut else f"entry {first_bad}: {why}")
        adds = [a["add"] for p in moved for a in _lenient_actions(p) if isinstance(a.get("add"), dict)]
        if name == "events":
            rep.salvage += _salvageable([_lenient_actions(p) for p in moved], rep.aside / name)
        return adds
    return None


def _roll_head_back(rep: Repair, logs: dict[str, Log], was: int) -> tuple[int, dict[str, int]]:
    """The head cut back to its newest entry whose named versions all load; that entry and the versions."""
    root = rep.root
    head = logs[HEAD]
    chosen: int | None = None
    named: dict[str, int] | None = None
    for v in sorted(head.entries, reverse=True):
        n = _head_names(head.entries[v]) if head.readable(v) else None
        if n is not None and all(logs[t].readable(n[t]) for t in DATA_TABLES):
            chosen, named = v, n
            break
    if chosen is None or named is None:  # both are set together
        raise StoreError(f"{root}: no commit of the store names versions that can all be read; cannot repair it")
    if chosen < head.latest:
        _cut(rep, head, chosen, "the versions of the tables they name cannot be read")
        logs[HEAD] = scan_log(HEAD, root / HEAD)
    if chosen < was:
        rep.say(f"the store is back at version {chosen} (it was at {was})")
    return chosen, named


def _keep_untracked(
    rep: Repair, logs: dict[str, Log], moved_adds: dict[str, list[dict]], catalog: pa.Table | None
) -> None:
    """Data files no remaining log entry names moved aside, saying which sessions lost events."""
    root = rep.root
    for name, adds in moved_adds.items():
        still = replay(logs[name]).referenced
        kept = []
        for path in sorted((root / name).rglob("*.parquet")):
            rel = str(path.relative_to(root / name))
            if tables.LOG not in path.parts and rel not in still:
                kept.append(rep.move(name, path))
        if kept:
            rep.say(f"{name}: moved aside {len(kept)} data file(s) no remaining log entry names")
        if name == "events" and (adds or kept):
            saved = {rel for rel, *_ in rep.salvage}
            lost_files = [p for p in kept if str(p.relative_to(rep.aside / name)) not in saved]
            lost_adds = [a for a in adds if _rel(a.get("path", "")) not in saved]
            lost = _sessions_in(lost_files, lost_adds, catalog) if lost_files or lost_adds else []
            if lost:
                rep.say(
                    f"sessions {', '.join(lost)}: the events of the moved entries are no longer in the store — "
                    f"re-import their files (their data files are kept in {rep.aside / name})"
                )


def _keep_rolled_back(
    rep: Repair, logs: dict[str, Log], named: dict[str, int], chosen: int, catalog: pa.Table | None
) -> None:
    """Copies of the files of table versions after the ones the head names (the next writer rolls them
    back), the event files of those that only added files to commit again, saying which sessions lost events."""
    root = rep.root
    for name in DATA_TABLES:
        lg = logs[name]
        current = {str(p.relative_to(root / name)) for p in tables.file_paths(root / name, named[name])}
        later = [
            a["add"]
            for v in range(named[name] + 1, lg.latest + 1)
            for a in lg.entries.get(v, [])
            if "add" in a and _rel(a["add"]["path"]) not in current
        ]
        for a in later:
            path = root / name / _rel(a["path"])
            if path.exists():
                rep.keep_copy(name, path, "rolled-back")
        if later and name == "events":
            rolled = _salvageable(
                [lg.entries.get(v, []) for v in range(named[name] + 1, lg.latest + 1)], rep.aside / name / "rolled-back"
            )
            rep.salvage += rolled
            saved = {rel for rel, *_ in rolled}
            rest = [a for a in later if _rel(a["path"]) not in saved]
            lost = _sessions_in([root / name / _rel(a["path"]) for a in rest], rest, catalog) if rest else []
            if lost:
                rep.say(
                    f"sessions {', '.join(lost)}: events of commits after store version {chosen} are rolled back — "
                    f"re-import their files (copies kept in {rep.aside / name / 'rolled-back'})"
                )


def _repair_head_files(rep: Repair, head: Log, named: dict[str, int]) -> None:
    """Damaged or missing files of the head table moved aside (or noted) and removed from it."""
    root = rep.root
    hf = replay(head)
    bad = [rel for rel in sorted(hf.active) if file_problem(root / HEAD / rel)]
    if bad:
        for rel in bad:
            if (root / HEAD / rel).exists():
                rep.move(HEAD, root / HEAD / rel)
            else:
                rep.note_missing(HEAD, rel, "missing")
        tables.commit(root / HEAD, tables.Pending(removes=bad), COMMITS_SCHEMA, None, {"liveboard": {"tables": named}})
        rep.say(f"{HEAD}: moved aside {len(bad)} damaged file(s) and removed them from the table")
