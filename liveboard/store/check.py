"""``liveboard store check``: every table's log read and replayed, every data file a version still in the log
references verified against the SHA-256 in its name and its Parquet footer (see :mod:`liveboard.store_admin`)."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from liveboard import tables
from liveboard.defaults import default_store_path
from liveboard.store.delta_log import Damage, _head_names, _strip, file_problem, replay, scan_log
from liveboard.store.layout import ALL_TABLES, DAMAGED, DATA_TABLES, HEAD, MISSING_NOTE, _open_root


def _accounted(root: Path, table: str, rel: str) -> bool:
    """Whether ``repair`` took this file out of its table (it is in ``_damaged``, or noted missing there)."""
    aside = root / DAMAGED
    if not aside.is_dir():
        return False
    return any((d / table / rel).exists() or (d / table / f"{rel}{MISSING_NOTE}").exists() for d in aside.iterdir())


@dataclass
class CheckResult:
    """What ``check`` found (``damage``) and how much it read."""

    damage: list[Damage] = field(default_factory=list)
    entries: int = 0
    checkpoints: int = 0
    files: int = 0
    bytes: int = 0
    version: int | None = None

    @property
    def ok(self) -> bool:
        return not self.damage


def check(root: Path) -> CheckResult:
    root = _open_root(root)
    res = CheckResult()
    logs = {name: scan_log(name, root / name) for name in ALL_TABLES}
    files = {name: replay(lg) for name, lg in logs.items()}  # may flag checkpoints, so before damage()
    for lg in logs.values():
        res.damage += lg.damage()
        res.entries += len(lg.entries) + len(lg.bad_entries)
        res.checkpoints += len(lg.checkpoints)
    head = logs[HEAD]
    if not head.missing and head.latest >= 0:
        v = head.latest
        res.version = v
        if v in head.entries:
            named = _head_names(head.entries[v])
            if named is None:
                res.damage.append(
                    Damage(HEAD, head.entry_path(v), "does not name the versions of the tables", "head", v)
                )
            else:
                for name in DATA_TABLES:
                    if not logs[name].readable(named[name]):
                        res.damage.append(
                            Damage(
                                HEAD,
                                head.entry_path(v),
                                f"names version {named[name]} of {name}, which cannot be read",
                                "head",
                                v,
                            )
                        )
    for name, lg in logs.items():
        if lg.missing:
            continue
        fs = files[name]
        for rel in sorted(fs.referenced | set(fs.needed)):
            path = lg.path / rel
            # a file of the newest version must be there and intact; one only older versions read may be
            # gone once `repair` took it out of the table (it says so in _damaged/)
            excused = rel not in fs.active and _accounted(root, name, rel)
            if not path.exists():
                if rel in fs.needed and not excused:
                    res.damage.append(Damage(name, path, fs.needed[rel], "file"))
                continue
            why = file_problem(path)
            if why and not excused:
                res.damage.append(Damage(name, path, why, "file"))
            res.files += 1
            res.bytes += path.stat().st_size
        # and delta-rs itself must load the newest version (it reads more than the paths)
        if not lg.bad_entries and not lg.bad_checkpoints and not lg.last_checkpoint_bad and lg.latest >= 0:
            try:
                tables.load(lg.path)
            except tables.TableDamage as exc:
                res.damage.append(Damage(name, lg.log, _strip(str(exc), lg.path), "table"))
    return res


def cmd_store_check(args) -> int:
    root = Path(args.store or default_store_path())
    res = check(root)
    for d in res.damage:
        print(d.line())
    if res.damage:
        print(
            f"{len(res.damage)} problem(s) in {root}; `liveboard store repair --store {root}` rolls back to the last "
            f"good version (what it takes out is kept in {root / DAMAGED})",
            file=sys.stderr,
        )
        return 1
    print(
        f"{root}: OK — version {res.version}, {len(ALL_TABLES)} tables, {res.entries} log entries, "
        f"{res.checkpoints} checkpoint(s), {res.files} data file(s) ({res.bytes / 1e6:,.1f} MB) verified"
    )
    return 0
