"""The ``liveboard`` command: simulate, import, list, export, explain metrics, serve the dashboards."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import stat
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from liveboard.defaults import default_store_path
from liveboard.errors import DEBUG_ENV, LiveboardError, UserError

if TYPE_CHECKING:
    from liveboard.store import Store

# Each command imports what it needs (pandas, the store, DuckDB …) when it runs: building the parser and
# starting loads none of it, so `liveboard report` starts its kernel first (tests/test_main.py checks it).

#: Set to a file name to send the traceback of an unexpected error there instead of to stderr.
LOG_ENV = "LIVEBOARD_LOG"
log = logging.getLogger("liveboard.cli")


class UsageError(UserError):
    """A mistake in how the command was called: shown as one line, exit code 2."""


def _store_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--store", type=Path, default=None, help="store folder (default: $LIVEBOARD_STORE or ./data/store)")


def _store(args, create: bool = False) -> Store:
    from liveboard.store import Store

    return Store(args.store or default_store_path(), create=create)


def cmd_simulate(args) -> int:
    from liveboard.simulator import write_simulation

    if args.accounts < 1 or args.sessions < 1:
        raise UsageError("--accounts and --sessions must be at least 1")
    if not 0 < args.scale <= 100:
        raise UsageError("--scale must be in (0, 100]")
    paths = write_simulation(
        args.out,
        seed=args.seed,
        accounts=args.accounts,
        sessions=args.sessions,
        mega=args.mega,
        scale=args.scale,
        progress=True,
    )
    print(f"wrote {len(paths)} session log(s) to {args.out}")
    return 0


def is_event_log(name: str) -> bool:
    """An event-log file name: ``.jsonl`` or ``.jsonl.gz``, in any case (``LOG.JSONL`` too)."""
    return name.lower().endswith((".jsonl", ".jsonl.gz"))


def _kept_in(found: list[Path]) -> Callable[[OSError], None]:
    """An ``os.walk`` error handler that keeps the path it could not read in ``found``."""
    return lambda e: found.append(Path(e.filename))


def event_log_files(paths: list[Path]) -> list[Path]:
    """The files named on the command line, folders expanded to every event log inside (symlinked folders
    followed once: a loop ends there). Checked before anything is written: a path that does not exist or
    loops is a :class:`UsageError`, so a typo never leaves an empty store behind."""
    from liveboard.eventlog import os_problem

    files: list[Path] = []
    for p in paths:
        try:
            is_dir = stat.S_ISDIR(os.stat(p).st_mode)
        except OSError as exc:
            raise UsageError(os_problem(p, exc)) from None
        if not is_dir:
            files.append(p)
            continue
        found: list[Path] = []
        seen: set[str] = set()
        # an unreadable subfolder is kept as a path: reading it fails, and the failure is reported
        for root, dirs, names in os.walk(p, followlinks=True, onerror=_kept_in(found)):
            real = os.path.realpath(root)
            if real in seen:
                dirs[:] = []
                continue
            seen.add(real)
            found += [Path(root) / n for n in names if is_event_log(n)]
        if not found:
            raise UsageError(f"{p}: no .jsonl or .jsonl.gz files in this folder")
        files += sorted(found)
    return files


def import_paths(store: Store, paths: list[Path], *, progress: bool = True, keep_bad: int = 20):
    """Read event-log files (folders: every .jsonl / .jsonl.gz inside, any case) and append them in one commit,
    streamed: the reader hands the store bounded parts, which it stages to disk, so no file is whole in memory.

    Returns the stream (``file_errors``: files that could not be read, the others are imported; ``bad_read``),
    the first ``keep_bad`` bad rows, and the store's report.
    """
    import pyarrow as pa

    from liveboard.eventlog import BAD_ROW_SCHEMA, iter_event_logs

    stream = iter_event_logs(event_log_files(paths), progress=progress, ordered=False)
    first_bad: list = []

    def parts():
        kept = 0
        for events, bad in stream:
            if kept < keep_bad and bad.num_rows:
                first_bad.append(bad.slice(0, keep_bad - kept))
                kept += first_bad[-1].num_rows
            yield events, bad

    report = store.append_parts(parts(), origin=stream.locate)
    report.unknown_types = stream.unknown_types
    return stream, pa.concat_tables(first_bad) if first_bad else BAD_ROW_SCHEMA.empty_table(), report


def cmd_import(args) -> int:
    from liveboard import seller_center

    exports, args.paths = seller_center.split_paths(args.paths)  # Seller Center .xlsx/.xls/.csv go to their importer
    event_log_files(args.paths)  # checked before the store is created: a typo leaves no empty store behind
    store = _store(args, create=True)
    export_rc = seller_center.run_imports(store, exports, tz=args.tz, account=args.account, show_bad=args.show_bad)
    if not args.paths:
        return export_rc
    result, first_bad, report = import_paths(store, args.paths, keep_bad=max(args.show_bad, 0))
    for problem in result.file_errors:
        print(problem, file=sys.stderr)
    shown = first_bad.to_pylist()
    shown += report.rejected.slice(0, max(args.show_bad - len(shown), 0)).to_pylist()
    for row in shown:
        print(f"{row['file']}:{'' if row['line'] is None else row['line']}: {row['reason']}", file=sys.stderr)
    if result.bad_read + report.rejected.num_rows > len(shown):
        more = result.bad_read + report.rejected.num_rows - len(shown)
        print(f"… and {more} more bad rows (see `liveboard quarantine`)", file=sys.stderr)
    for problem in report.problems:
        print(problem, file=sys.stderr)
    unknown = ", ".join(f"{t} ×{n}" for t, n in sorted(report.unknown_types.items()))
    print(
        f"imported {report.imported} · duplicate {report.duplicates} · bad {report.bad} · "
        f"refused {report.refused} · unknown type {report.unknown}"
        + (f" ({unknown})" if unknown else "")
        + (f" · conflict {report.conflicts}" if report.conflicts else "")
    )
    if report.late_updates:
        print(
            f"late order updates {sum(report.late_updates.values())} into ended session(s) "
            f"{', '.join(report.late_updates)} (orders changed after the LIVE)"
        )
    if report.sealed:
        print(f"sealed {len(report.sealed)} ended session(s)")
    if result.file_errors:
        print(f"{len(result.file_errors)} file(s) could not be read (named above); the others were imported")
    return max(export_rc, 0 if report.ok and not result.file_errors else 1)


def cmd_sessions(args) -> int:
    import pandas as pd

    from liveboard import listings
    from liveboard.workbench import Workbench

    if args.spark_master is not None and args.engine != "spark":
        raise UsageError("--spark-master needs --engine spark")
    wb = Workbench(_store(args), engine=args.engine, spark_master=args.spark_master)
    df = wb.sessions(since=args.since, until=args.until, search=args.search, account=args.account)
    if args.format in ("csv", "json"):
        listings.write_records(listings.sessions_csv_frame(df), args.format)
    else:
        if df.empty:
            print("no sessions")
            return 0
        cols = ["session_id", "title", "start", "duration_s", "gmv", "items_sold", "viewers", "live_ctr", "ctor"]
        view = listings.format_for_table(df[cols])
        view["start"] = df["start"].dt.strftime("%Y-%m-%d %H:%M")
        with pd.option_context("display.max_rows", 500, "display.width", 160, "display.max_colwidth", 40):
            print(view.to_string(index=False))
        print(f"{len(df)} session(s)")
    return 0


def cmd_accounts(args) -> int:
    import pandas as pd

    from liveboard import listings
    from liveboard.workbench import Workbench

    wb = Workbench(_store(args))
    df = wb.accounts(since=args.since, until=args.until, search=args.search)
    if args.format in ("csv", "json"):
        listings.write_records(listings.accounts_csv_frame(df), args.format)
    else:
        if df.empty:
            print("no sessions in this range")
            return 0
        view, partial = listings.accounts_table(df)
        with pd.option_context("display.max_rows", 2000, "display.width", 160, "display.max_colwidth", 40):
            print(view.to_string(index=False))
        print(
            f"{len(df)} account row(s), {int(df['sessions'].sum()):,} session(s); money per account and currency; "
            "CTR and CTOR from the summed counts"
            + ("; gmv_change against the previous range of the same length" if args.since else "")
        )
        if partial:
            print("* only some of the account's sessions have this figure (--format csv: <figure>_sessions)")
    return 0


def cmd_export(args) -> int:
    from liveboard.eventlog import write_event_log
    from liveboard.ids import check_session_id
    from liveboard.workbench import Workbench

    session_id = check_session_id(args.session_id, "session_id")
    if args.out.is_dir():
        raise UsageError(f"--out {args.out}: this is a folder; give a file name, e.g. {args.out / session_id}.jsonl.gz")
    wb = Workbench(_store(args))
    session = wb.session(session_id)
    _writable_folder(args.out.parent, "--out", target=args.out)
    n = write_event_log(session.events(), args.out)
    print(f"wrote {n} events of {session.id} to {args.out}")
    return 0


def cmd_metrics(args) -> int:
    from liveboard.csvsafe import to_safe_csv
    from liveboard.metrics import glossary

    g = glossary()
    if args.format == "csv":
        sys.stdout.write(to_safe_csv(g))
    elif args.format == "json":
        print(g.to_json(orient="records", force_ascii=False, indent=1))
    else:
        for row in g.itertuples():
            print(f"{row.metric:<22} {row.label} ({row.unit})\n{'':<22} = {row.formula}\n{'':<22} {row.description}")
    return 0


def cmd_quarantine(args) -> int:
    import pandas as pd

    from liveboard.workbench import Workbench

    df = Workbench(_store(args)).quarantine()
    if df.empty:
        print("no rows set aside")
        return 0
    for row in df.itertuples():
        print(f"{row.file}:{'' if pd.isna(row.line) else int(row.line)}: {row.reason}")
    return 0


def cmd_serve(args) -> int:
    from liveboard.serve import serve
    from liveboard.store import Store, is_old_layout

    if args.max_kernels < 0:
        raise UsageError("--max-kernels must be 0 (no cap) or more")
    store = args.store or default_store_path()
    if args.demo and not (Path(store) / "commits").is_dir() and not (Path(store) / "_log").is_dir():
        build_demo_store(Path(store))
    if is_old_layout(Path(store)):
        Store(store)  # raises OldLayoutError: the one line that says how to upgrade
    base = f"http://{args.host}:{args.port}/voila/render"
    print(
        f"liveboard: serving the dashboards of {store}\n"
        f"  LIVE Analytics  {base}/live_analytics.ipynb\n"
        f"  LIVE Board      {base}/live_board.ipynb   (demo LIVE; ?session=ID&speed=N replays a stored one)\n"
        f"  all notebooks   http://{args.host}:{args.port}/\n"
        + (
            f"At most {args.max_kernels} pages run at once (--max-kernels); more get “busy” (HTTP 503).\n"
            if args.max_kernels
            else ""
        )
        + "Ctrl-C stops.",
        flush=True,
    )
    return serve(
        store=Path(store), host=args.host, port=args.port, open_browser=args.open, max_kernels=args.max_kernels
    )


def cmd_report(args) -> int:
    """Post-LIVE reports: papermill runs of notebooks/session_report.ipynb, exported as HTML without code."""
    from liveboard import report
    from liveboard.ids import check_session_id

    if args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    args.session_ids = [check_session_id(s, "session_id") for s in args.session_ids]
    if args.out.exists() and not args.out.is_dir():
        raise UsageError(f"--out {args.out}: not a folder")
    options = report.check_options(args.window_days, args.currency_display, args.timezone)
    store = args.store or default_store_path()
    _writable_folder(args.out, "--out")
    # Reports made in this process (one by one, or a single one) start their kernel first: it boots while this
    # process loads pandas, DuckDB and the store, and reads the store.
    with report.kernel_started(args.out, enabled=args.jobs == 1 or len(args.session_ids) == 1):
        from liveboard.store import Store
        from liveboard.workbench import Workbench

        report.parse_since(args.since, "--since")
        report.parse_since(args.until, "--until")
        wb = Workbench(Store(store))
        sessions = report.select_sessions(
            wb, args.session_ids, since=args.since, until=args.until, account=args.account
        )
        results = report.run_batch(sessions, args.out, store, options, jobs=args.jobs, progress=not args.quiet)
    failed = [r for r in results if not r.ok]
    for r in failed:
        print(f"liveboard: report failed for {r.session_id}: {r.error}", file=sys.stderr)
    print(f"{len(results) - len(failed)} report(s) written to {args.out} (index: {Path(args.out) / 'index.html'})")
    if failed:
        print(f"{len(failed)} of {len(results)} report(s) failed", file=sys.stderr)
    return 1 if failed else 0


def cmd_sync_shop(args) -> int:
    """TikTok Shop Analytics API → the store as source "api"; exit 1 when something is missing."""
    from liveboard.shop_api import ShopConfig, ShopStop
    from liveboard.shop_sync import date_range, sync_shop

    try:
        since, until = date_range(args.since, args.until)
        config = ShopConfig.from_env()
        store = _store(args, create=True)
        result = sync_shop(store, since=since, until=until, config=config, progress=sys.stderr.isatty())
    except ShopStop as exc:
        print(f"liveboard: sync shop: {exc}", file=sys.stderr)
        return exc.exit_code
    for line in result.lines():
        loud = line.startswith(("problem:", "missing:", "partial sync:", "…"))
        print(line, file=sys.stderr if loud else sys.stdout)
    return result.exit_code


def cmd_record(args) -> int:
    """Follow a TikTok LIVE into the store (TikTokLive extra), or replay a capture of one."""
    from liveboard import recorder

    if args.replay is not None:
        if args.handle or args.capture:
            raise UsageError("record --replay FILE takes no @handle and no --capture")
        report = recorder.replay_capture(args.replay, _store(args, create=True))
        for i, line in enumerate(report.lines()):
            print(line, file=sys.stderr if i else sys.stdout)
        return 0
    if not args.handle:
        raise UsageError("record needs an @handle to follow (or --replay FILE)")
    recorder.parse_handle(args.handle)  # before a store folder is made for it
    recorder.require()
    return recorder.record_live(args.handle, _store(args, create=True), capture=args.capture)


def build_demo_store(store: Path, seed: int = 0) -> None:
    """Generate the demo sessions straight into a store: what the README's first command shows."""
    from tqdm.auto import tqdm

    from liveboard.simulator import simulate
    from liveboard.store import Store

    target = Store(store, create=True)
    events = 0
    for table in tqdm(simulate(seed=seed), total=12, desc="building demo store", unit="session"):
        events += target.append(table).imported
    print(f"demo store ready at {store}: {events:,} events in 12 sessions")


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="liveboard", description=__doc__)
    sub = ap.add_subparsers(dest="command", required=True)

    p = sub.add_parser("simulate", help="generate realistic LIVE sessions as event logs")
    p.add_argument("--out", type=Path, required=True, help="output folder")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--accounts", type=int, default=3)
    p.add_argument("--sessions", type=int, default=12)
    p.add_argument("--scale", type=float, default=1.0, help="audience size multiplier (default 1)")
    p.add_argument("--mega", action="store_true", help="add a 3-hour session of 5 million events or more")
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("import", help="import event logs and Seller Center exports (.xlsx, .csv) into the store")
    p.add_argument("paths", nargs="+", type=Path)
    p.add_argument("--show-bad", type=int, default=20, help="bad rows to print (default 20)")
    p.add_argument("--tz", help="exports: the shop's time zone their local times are in, e.g. Asia/Kuala_Lumpur")
    p.add_argument("--account", help="exports: the account (handle) of a LIVE Board 5-minute export")
    _store_arg(p)
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("sessions", help="list sessions with their metrics")
    _store_arg(p)
    p.add_argument("--since", help="first start date (YYYY-MM-DD)")
    p.add_argument("--until", help="last start date, inclusive (YYYY-MM-DD)")
    p.add_argument("--search", help="text in the title")
    p.add_argument("--account", help="account id")
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")
    p.add_argument(
        "--engine",
        choices=["duckdb", "spark"],
        default="duckdb",
        help="what computes the figures: the embedded DuckDB (default) or Apache Spark (extra liveboard[spark])",
    )
    p.add_argument("--spark-master", metavar="URL", help="with --engine spark: a master URL (default local[*])")
    p.set_defaults(func=cmd_sessions)

    p = sub.add_parser("accounts", help="one row per account: sessions, hours, GMV, CTR, CTOR, change")
    _store_arg(p)
    p.add_argument("--since", help="first start date (YYYY-MM-DD); the change is against as many days before")
    p.add_argument("--until", help="last start date, inclusive (YYYY-MM-DD)")
    p.add_argument("--search", help="text in the account id")
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")
    p.set_defaults(func=cmd_accounts)

    p = sub.add_parser("export", help="write a session back as event-log-v1")
    p.add_argument("session_id")
    p.add_argument("--out", type=Path, required=True, help="file (.jsonl or .jsonl.gz)")
    _store_arg(p)
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("metrics", help="the metric glossary")
    p.add_argument("--format", choices=["text", "csv", "json"], default="text")
    p.set_defaults(func=cmd_metrics)

    p = sub.add_parser("quarantine", help="rows set aside by imports, with file, line and reason")
    _store_arg(p)
    p.set_defaults(func=cmd_quarantine)

    p = sub.add_parser("serve", help="serve the dashboards with Voilà")
    _store_arg(p)
    p.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8866)
    p.add_argument("--demo", action="store_true", help="build a demo store first if the store is empty")
    p.add_argument("--open", action="store_true", help="open a browser")
    p.add_argument(
        "--max-kernels",
        type=int,
        default=8,
        help="kernels running at once (one per open page, ~250 MB each); a page beyond gets HTTP 503 (default 8)",
    )
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("report", help="post-LIVE reports: executed notebook + standalone HTML per session")
    p.add_argument("session_ids", nargs="*", metavar="SESSION_ID", help="sessions to report on")
    p.add_argument("--since", help="without ids: sessions starting on or after this date (YYYY-MM-DD)")
    p.add_argument("--until", help="without ids: sessions starting on or before this date (YYYY-MM-DD)")
    p.add_argument("--account", help="without ids: sessions of this account")
    p.add_argument("--out", type=Path, default=Path("reports"), help="output folder (default: reports/)")
    p.add_argument("--jobs", type=int, default=1, help="reports run at the same time (default 1)")
    p.add_argument("--window-days", default=28, help="compare with the account's sessions of this many days before")
    p.add_argument("--timezone", default="UTC", help="display time zone, e.g. Asia/Kuala_Lumpur (default UTC)")
    p.add_argument("--currency-display", choices=["symbol", "code"], default="symbol")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    _store_arg(p)
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("sync", help="pull LIVE sessions from an online source into the store")
    sync = p.add_subparsers(dest="source", required=True)
    q = sync.add_parser(
        "shop",
        help="TikTok Shop Analytics API: sessions, per-minute trends, products",
        description="Reads TIKTOK_SHOP_APP_KEY, TIKTOK_SHOP_APP_SECRET, TIKTOK_SHOP_ACCESS_TOKEN and TIKTOK_SHOP_CIPHER "
        "(optional: TIKTOK_SHOP_REFRESH_TOKEN, TIKTOK_SHOP_API_BASE) from the environment. Exit code 1 when "
        "something is missing (named in the last lines), 2 for a missing variable.",
    )
    q.add_argument("--since", help="first LIVE date, YYYY-MM-DD (default: 30 days before --until)")
    q.add_argument("--until", help="last LIVE date, inclusive, YYYY-MM-DD (default: today, UTC)")
    _store_arg(q)
    q.set_defaults(func=cmd_sync_shop)

    p = sub.add_parser("record", help="record a TikTok LIVE's engagement into the store (extra liveboard[tiktok])")
    p.add_argument("handle", nargs="?", help="the creator's @handle")
    p.add_argument("--capture", type=Path, help="also save what is received to this file (replayable)")
    p.add_argument("--replay", type=Path, metavar="FILE", help="turn a capture into its session, offline")
    _store_arg(p)
    p.set_defaults(func=cmd_record)

    _add_store_commands(sub)
    return ap


@dataclass(frozen=True)
class _Command:
    """The command ``module:function``, imported when it runs: building the parser loads no store code."""

    target: str

    def resolve(self) -> Callable[[argparse.Namespace], int]:
        module, name = self.target.split(":")
        return getattr(importlib.import_module(module), name)

    def __call__(self, args: argparse.Namespace) -> int:
        return self.resolve()(args)


def _add_store_commands(sub) -> None:
    """``liveboard store upgrade | info | check | repair`` (the work: :mod:`liveboard.store_admin`)."""
    p = sub.add_parser("store", help="the store itself: upgrade an old layout, info, check, repair")
    group = p.add_subparsers(dest="store_command", required=True)
    q = group.add_parser("upgrade", help="move a store of an older liveboard onto Delta Lake tables, in place")
    _store_arg(q)
    q.set_defaults(func=_Command("liveboard.store_upgrade:cmd_store_upgrade"))
    q = group.add_parser("info", help="versions, files, sizes and rows of each table; sessions")
    _store_arg(q)
    q.add_argument("--format", choices=["table", "json"], default="table")
    q.set_defaults(func=_Command("liveboard.store.info:cmd_store_info"))
    q = group.add_parser("check", help="verify every log entry and data file; exit 1 naming what is damaged")
    _store_arg(q)
    q.set_defaults(func=_Command("liveboard.store.check:cmd_store_check"))
    q = group.add_parser("repair", help="roll back to the last good version; damaged files are kept in _damaged/")
    _store_arg(q)
    q.set_defaults(func=_Command("liveboard.store.repair:cmd_store_repair"))


def _writable_folder(folder: Path, name: str, target: Path | None = None) -> None:
    """Create ``folder`` and write a probe file in it, so that a bad ``--out`` fails before any work."""
    import tempfile

    from liveboard.errors import EnvironmentProblem, os_error_message

    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        detail = os_error_message(exc).split(" — ")[0].split(": ", 1)[-1]
        where = f"{target}: cannot write in its folder {folder}" if target else f"{folder}: cannot write in this folder"
        raise EnvironmentProblem(f"{name} {where} ({detail}) — choose a folder on a writable disk") from None


def _check_store_arg(args) -> None:
    """A store path that cannot be a store (a file, a dangling or looping link) is named before any work."""
    import os

    if not hasattr(args, "store"):
        return
    path = Path(args.store or default_store_path())
    label = "--store" if args.store else ("$LIVEBOARD_STORE" if os.environ.get("LIVEBOARD_STORE") else "store")
    if path.is_symlink() and not path.exists():
        raise UsageError(f"{label} {path}: a symbolic link that leads nowhere (a loop, or its target is gone)")
    if path.exists() and not path.is_dir():
        raise UsageError(
            f"{label} {path}: this is a file, not a store folder — give the store's folder "
            "(`liveboard import` creates a store in a new folder)"
        )
    for log in ("commits/_delta_log", "_log"):
        if (path / log).is_dir():
            os.listdir(path / log)  # an unreadable commit log must fail loudly, not read as an empty store


def _environment_message(args, exc: BaseException) -> str | None:
    """One line for a full disk, a read-only or unreadable path, a damaged store file; ``None`` for a bug
    (or with LIVEBOARD_DEBUG=1): then the traceback is logged."""
    from liveboard.errors import environment_message

    if os.environ.get(DEBUG_ENV) == "1":
        return None
    store = str(args.store or default_store_path()) if hasattr(args, "store") else None
    written = getattr(args, "out", None)
    return environment_message(exc, fallback=str(written) if written is not None else store, store=store)


def _refused(exc: LiveboardError) -> int:
    """An error raised on purpose: one line, its exit code (with LIVEBOARD_DEBUG=1 the traceback first)."""
    if os.environ.get(DEBUG_ENV) == "1":
        import traceback

        traceback.print_exception(exc, file=sys.stderr)
    print(f"liveboard: {exc}", file=sys.stderr)
    return exc.exit_code


def _unexpected(args, exc: BaseException) -> int:
    """A bug: the traceback logged (to stderr, or to the file ``$LIVEBOARD_LOG`` names), then one short line."""
    handlers: list[logging.Handler] = []
    target = os.environ.get(LOG_ENV)
    if target:
        try:
            handlers.append(logging.FileHandler(target, encoding="utf-8"))
        except OSError:
            target = None  # a log file that cannot be written: the traceback goes to stderr instead
    if not handlers or os.environ.get(DEBUG_ENV) == "1":
        handlers.append(logging.StreamHandler(sys.stderr))
    # The record goes to our handlers directly: a library's logging configuration (a dictConfig that disables
    # existing loggers, a level set on "liveboard") must never swallow a bug's traceback.
    record = log.makeRecord(
        log.name,
        logging.ERROR,
        __file__,
        0,
        "unexpected error in `liveboard %s`",
        (getattr(args, "command", "?"),),
        (type(exc), exc, exc.__traceback__),
    )
    for handler in handlers:
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s: %(message)s"))
        try:
            handler.handle(record)
        finally:
            handler.close()
    detail = " ".join(str(exc).split())[:200]
    where = f"the traceback is in {target}" if target else "the traceback is above"
    print(
        f"liveboard: unexpected error ({type(exc).__name__}{': ' + detail if detail else ''}) — a bug in "
        f"liveboard; {where}: please report it",
        file=sys.stderr,
    )
    return 1


def main(argv: list[str] | None = None) -> int:
    """The command: a :class:`LiveboardError` is one line and its exit code (2 for a user error, 1 for the
    rest), a problem of the machine one line and 1, anything else a logged traceback, one line and 1."""
    args = build_parser().parse_args(argv)
    try:
        _check_store_arg(args)
        return args.func(args)
    except LiveboardError as exc:
        return _refused(exc)
    except KeyboardInterrupt:
        print("liveboard: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # the machine (disk, permissions, damaged files): one line; a bug: logged
        message = _environment_message(args, exc)
        if message is None:
            return _unexpected(args, exc)
        print(f"liveboard: {message}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
