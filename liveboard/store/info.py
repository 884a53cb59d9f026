"""``liveboard store info``: versions, files, sizes and rows of each table; sessions."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from liveboard import tables
from liveboard.defaults import default_store_path
from liveboard.store import Store
from liveboard.store.errors import StoreError
from liveboard.store.layout import ALL_TABLES, HEAD, _open_root


def _last_checkpoint(path: Path) -> int | None:
    try:
        return int(json.loads((path / tables.LOG / "_last_checkpoint").read_text())["version"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _ms(ms: object) -> str | None:
    if not isinstance(ms, int | float):
        return None
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def info(root: Path) -> dict:
    root = _open_root(root)
    store = Store(root)
    snap = store.snapshot()
    out: dict = {"store": str(root), "version": snap.version, "tables": []}
    for name in ALL_TABLES:
        path = root / name
        version = snap.version if name == HEAD else snap.of(name)
        try:
            t = tables.files(path, version)
        except tables.TableDamage as exc:
            raise StoreError(f"{exc}; {store.damage_hint()}") from None
        rows = t["num_records"] if "num_records" in t.column_names else pa.array([], pa.int64())
        out["tables"].append(
            {
                "table": name,
                "version": version,
                "latest": tables.latest_version(path),
                "files": t.num_rows,
                "bytes": int(pc.sum(t["size_bytes"]).as_py() or 0) if t.num_rows else 0,
                "rows": int(pc.sum(rows).as_py() or 0) if t.num_rows else 0,
                "checkpoint": _last_checkpoint(path),
            }
        )
    sessions = store.read_table("sessions", snap)
    out["sessions"] = {
        "count": sessions.num_rows,
        "accounts": len(set(sessions["account_id"].to_pylist())) if sessions.num_rows else 0,
        "sealed": int(pc.sum(sessions["sealed"].cast(pa.int64())).as_py() or 0) if sessions.num_rows else 0,
    }
    head = tables.load(root / HEAD, snap.version)
    created = head.metadata().created_time
    last = tables.commit_info(root / HEAD, snap.version).get("timestamp")
    out["created"] = _ms(created)
    out["last_commit"] = _ms(last)
    return out


def cmd_store_info(args) -> int:
    root = Path(args.store or default_store_path())
    data = info(root)
    if args.format == "json":
        json.dump(data, sys.stdout, indent=1)
        sys.stdout.write("\n")
        return 0
    header = ("table", "version", "files", "bytes", "rows", "checkpoint")
    rows = [
        (
            t["table"],
            f"{t['version']}" + (f" (+{t['latest'] - t['version']})" if t["latest"] > t["version"] else ""),
            f"{t['files']:,}",
            _size(t["bytes"]),
            f"{t['rows']:,}",
            "-" if t["checkpoint"] is None else str(t["checkpoint"]),
        )
        for t in data["tables"]
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, *rows]:
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))))
    s = data["sessions"]
    print(f"sessions: {s['count']:,} ({s['sealed']:,} sealed) of {s['accounts']:,} account(s)")
    print(f"store version {data['version']}; created {data['created']}; last commit {data['last_commit']}")
    return 0


def _size(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1000
    return str(n)
