"""The ``liveboard`` command: simulate, import, list, export, explain metrics, serve the dashboards."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

from liveboard.csvsafe import to_safe_csv
from liveboard.eventlog import EventLogError, read_event_logs, write_event_log
from liveboard.metrics import MONEY_METRICS, REGISTRY, glossary
from liveboard.store import Store, StoreError, default_store_path
from liveboard.workbench import SESSION_COLUMNS, InputError, Workbench


class UsageError(Exception):
    """A mistake in how the command was called: shown as one line, exit code 2."""


def _store_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--store", type=Path, default=None, help="store folder (default: $LIVEBOARD_STORE or ./data/store)")


def _store(args, create: bool = False) -> Store:
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


def import_paths(store: Store, paths: list[Path], *, progress: bool = True):
    """Read event-log files (folders: every .jsonl / .jsonl.gz inside) and append them in one commit."""
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            found = sorted(list(p.rglob("*.jsonl")) + list(p.rglob("*.jsonl.gz")))
            if not found:
                raise UsageError(f"{p}: no .jsonl or .jsonl.gz files in this folder")
            files += found
        elif p.exists():
            files.append(p)
        else:
            raise UsageError(f"{p}: no such file or folder")
    result = read_event_logs(files, progress=progress)
    report = store.append(result.events, result.bad)
    report.unknown_types = result.unknown_types
    return result, report


def cmd_import(args) -> int:
    store = _store(args, create=True)
    result, report = import_paths(store, args.paths)
    for row in result.bad.slice(0, args.show_bad).to_pylist():
        print(f"{row['file']}:{row['line']}: {row['reason']}", file=sys.stderr)
    if result.bad.num_rows > args.show_bad:
        print(
            f"… and {result.bad.num_rows - args.show_bad} more bad rows (see `liveboard quarantine`)", file=sys.stderr
        )
    for problem in report.problems:
        print(problem, file=sys.stderr)
    unknown = ", ".join(f"{t} ×{n}" for t, n in sorted(report.unknown_types.items()))
    print(
        f"imported {report.imported} · duplicate {report.duplicates} · bad {report.bad} · "
        f"refused {report.refused} · unknown type {report.unknown}" + (f" ({unknown})" if unknown else "")
    )
    if report.sealed:
        print(f"sealed {len(report.sealed)} ended session(s)")
    return 0 if report.ok else 1


def _format_for_table(df: pd.DataFrame) -> pd.DataFrame:
    """Readable figures for the terminal, through the same formatting as the dashboards."""
    from liveboard.views import format as fmt

    out = df.copy()
    for col in out.columns:
        if col in MONEY_METRICS:
            out[col] = out[col].map(lambda x: fmt.MISSING if pd.isna(x) else f"{x:,.2f}")
        elif col in REGISTRY and REGISTRY[col].unit in ("rate", "seconds"):
            out[col] = out[col].map(lambda x, c=col: fmt.metric(c, x))
    return out


def sessions_csv_frame(df: pd.DataFrame) -> pd.DataFrame:
    """The CSV shape: spec column names, money with 2 decimals, ISO times, empty cells for nulls."""
    out = df[list(SESSION_COLUMNS)].copy()
    for col in ("start", "end"):
        out[col] = out[col].map(lambda t: "" if pd.isna(t) else t.isoformat())
    for col in MONEY_METRICS:
        out[col] = out[col].map(lambda x: "" if pd.isna(x) else f"{x:.2f}")
    return out


def cmd_sessions(args) -> int:
    wb = Workbench(_store(args))
    df = wb.sessions(since=args.since, until=args.until, search=args.search, account=args.account)
    if args.format == "csv":
        sys.stdout.write(to_safe_csv(sessions_csv_frame(df)))
    elif args.format == "json":
        frame = sessions_csv_frame(df).replace({"": None})
        records = json.loads(frame.to_json(orient="records", force_ascii=False))
        json.dump(records, sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    else:
        if df.empty:
            print("no sessions")
            return 0
        cols = ["session_id", "title", "start", "duration_s", "gmv", "items_sold", "viewers", "live_ctr", "ctor"]
        view = _format_for_table(df[cols])
        view["start"] = df["start"].dt.strftime("%Y-%m-%d %H:%M")
        with pd.option_context("display.max_rows", 500, "display.width", 160, "display.max_colwidth", 40):
            print(view.to_string(index=False))
        print(f"{len(df)} session(s)")
    return 0


def cmd_export(args) -> int:
    wb = Workbench(_store(args))
    session = wb.session(args.session_id)
    n = write_event_log(session.events(), args.out)
    print(f"wrote {n} events of {session.id} to {args.out}")
    return 0


def cmd_metrics(args) -> int:
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
    df = Workbench(_store(args)).quarantine()
    if df.empty:
        print("no rows set aside")
        return 0
    for row in df.itertuples():
        print(f"{row.file}:{'' if pd.isna(row.line) else int(row.line)}: {row.reason}")
    return 0


def cmd_serve(args) -> int:
    from liveboard.serve import serve

    store = args.store or default_store_path()
    if args.demo and not (Path(store) / "_log").is_dir():
        build_demo_store(Path(store))
    base = f"http://{args.host}:{args.port}/voila/render"
    print(
        f"liveboard: serving the dashboards of {store}\n"
        f"  LIVE Analytics  {base}/live_analytics.ipynb\n"
        f"  LIVE Board      {base}/live_board.ipynb   (demo LIVE; ?session=ID&speed=N replays a stored one)\n"
        f"  all notebooks   http://{args.host}:{args.port}/\n"
        "Ctrl-C stops.",
        flush=True,
    )
    return serve(store=Path(store), host=args.host, port=args.port, open_browser=args.open)


def cmd_report(args) -> int:
    """Post-LIVE reports: papermill runs of notebooks/session_report.ipynb, exported as HTML without code."""
    from liveboard import report

    if args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    if args.out.exists() and not args.out.is_dir():
        raise UsageError(f"--out {args.out}: not a folder")
    options = report.check_options(args.window_days, args.currency_display, args.timezone)
    report.parse_since(args.since, "--since")
    report.parse_since(args.until, "--until")
    store = args.store or default_store_path()
    wb = Workbench(Store(store))
    sessions = report.select_sessions(wb, args.session_ids, since=args.since, until=args.until, account=args.account)
    results = report.run_batch(sessions, args.out, store, options, jobs=args.jobs, progress=not args.quiet)
    failed = [r for r in results if not r.ok]
    for r in failed:
        print(f"liveboard: report failed for {r.session_id}: {r.error}", file=sys.stderr)
    print(f"{len(results) - len(failed)} report(s) written to {args.out} (index: {Path(args.out) / 'index.html'})")
    if failed:
        print(f"{len(failed)} of {len(results)} report(s) failed", file=sys.stderr)
    return 1 if failed else 0


def build_demo_store(store: Path, seed: int = 0) -> None:
    """Generate the demo sessions straight into a store: what the README's first command shows."""
    from tqdm.auto import tqdm

    from liveboard.simulator import simulate

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

    p = sub.add_parser("import", help="import event-log files or folders into the store")
    p.add_argument("paths", nargs="+", type=Path)
    p.add_argument("--show-bad", type=int, default=20, help="bad rows to print (default 20)")
    _store_arg(p)
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("sessions", help="list sessions with their metrics")
    _store_arg(p)
    p.add_argument("--since", help="first start date (YYYY-MM-DD)")
    p.add_argument("--until", help="last start date, inclusive (YYYY-MM-DD)")
    p.add_argument("--search", help="text in the title")
    p.add_argument("--account", help="account id")
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")
    p.set_defaults(func=cmd_sessions)

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
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (UsageError, InputError) as exc:
        print(f"liveboard: {exc}", file=sys.stderr)
        return 2
    except (StoreError, EventLogError) as exc:
        print(f"liveboard: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("liveboard: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
