"""Seller Center export import benchmark: a "LIVE analysis" export of 10,000 sessions (xlsx and csv).

Measures, on a generated file shaped like the real one (title rows, every cell text, 25 columns):
reading + checking it (``seller_center.parse_export``), the whole ``import`` into an empty store
(parse + ``Store.put_source`` + commit), and a re-import (a no-op). Baselines in the same run, on the
same file: a plain ``pandas.read_excel`` with openpyxl (no checks at all), the same with calamine, and a
row-by-row openpyxl loop (``iter_rows(values_only=True)``, read-only mode).

Run: ``.venv/bin/python -m benchmarks.bench_export [--rows 10000]``. Figures are printed and appended to
``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pandas as pd

from benchmarks.results import record
from liveboard.seller_center import import_export, parse_export
from liveboard.store import Store

HEADERS = (
    "Creator ID,Creator,Nickname,Launched Time,Duration,LIVE gross merchandise value (RM),Products added,"
    "Different Products Sold,Created SKU orders,LIVE SKU orders,LIVE items sold,Unique customers,"
    "Average Price (RM),Click-to-order rate (LIVE),LIVE attributed GMV (RM),Viewers,Views,"
    "Average viewing duration (LIVE streams),Comments,Shares,LIVE likes,New followers (Creator video),"
    "Product Impressions,Product Clicks,CTR"
).split(",")
TZ = ZoneInfo("Asia/Kuala_Lumpur")


def rows(n: int, seed: int = 3) -> list[list[str]]:
    """``n`` sessions of 50 accounts, two a day each at most, every cell text as the export writes it."""
    rng = random.Random(seed)
    out = []
    day0 = dt.datetime(2025, 1, 1, 9, 0)
    for i in range(n):
        acct = i % 50
        start = day0 + dt.timedelta(days=i // 100, hours=(i // 50) % 2 * 8, minutes=rng.randrange(0, 59))
        views = rng.randrange(200, 50_000)
        clicks = rng.randrange(0, views // 10 + 1)
        orders = rng.randrange(0, clicks + 1)
        items = orders + rng.randrange(0, 5)
        gmv = round(items * rng.uniform(5, 80), 2)
        h, m = divmod(rng.randrange(20, 300), 60)
        out.append(
            [
                str(7_100_000_000_000_000_000 + acct),
                f"Creator {acct}",
                f"creator.{acct}",
                start.strftime("%Y/%m/%d/ %H:%M"),
                f"{h}h {m}min" if h else f"{m}min",
                f"{gmv * 0.8:.2f}",
                str(rng.randrange(1, 40)),
                str(rng.randrange(0, 20)),
                str(orders + rng.randrange(0, 3)),
                str(orders),
                str(items),
                str(max(0, orders - rng.randrange(0, 3))),
                f"{gmv / items:.2f}" if items else "",
                f"{100 * orders / clicks:.2f}%" if clicks else "",
                f"{gmv:.2f}",
                str(views // 3),
                str(views),
                str(rng.randrange(20, 300)),
                str(rng.randrange(0, 2000)),
                str(rng.randrange(0, 200)),
                str(rng.randrange(0, 90_000)),
                str(rng.randrange(0, 300)),
                str(views * 2),
                str(clicks),
                f"{100 * clicks / views:.2f}%",
            ]
        )
    return out


def write_xlsx(path: Path, data: list[list[str]]) -> None:
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Sheet1")
    ws.append(["Date Range: 2025-01-01 ~ 2025-04-10"])
    ws.append([])
    ws.append(HEADERS)
    for r in data:
        ws.append(r)
    wb.save(path)


def write_csv(path: Path, data: list[list[str]]) -> None:
    import csv

    with path.open("w", newline="", encoding="utf-8-sig") as fh:
        w = csv.writer(fh)
        w.writerow(["Date Range: 2025-01-01 ~ 2025-04-10"])
        w.writerow([])
        w.writerow(HEADERS)
        w.writerows(data)


def best_of(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def openpyxl_loop(path: Path) -> int:
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    n = 0
    for row in wb.active.iter_rows(values_only=True):
        n += sum(1 for c in row if c is not None)
    wb.close()
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    n = args.rows
    data = rows(n)
    lines: list[str] = []
    with tempfile.TemporaryDirectory(prefix="lb-bench-export-") as tmp:
        work = Path(tmp)
        xlsx, csv_path = work / "live.xlsx", work / "live.csv"
        write_xlsx(xlsx, data)
        write_csv(csv_path, data)
        lines.append(
            f"- export: **{n:,} sessions** × {len(HEADERS)} columns, every cell text, title rows; "
            f"xlsx {xlsx.stat().st_size / 1e6:.1f} MB, csv {csv_path.stat().st_size / 1e6:.1f} MB; best of {args.repeat}"
        )
        parsed = parse_export(xlsx, tz=TZ)
        assert parsed.summaries.num_rows == n and parsed.bad.num_rows == 0, (parsed.summaries.num_rows, parsed.bad)
        t_parse_x = best_of(lambda: parse_export(xlsx, tz=TZ), args.repeat)
        t_parse_c = best_of(lambda: parse_export(csv_path, tz=TZ), args.repeat)
        imports, reimports = [], []
        for k in range(args.repeat):
            store = Store(work / f"store-{k}", create=True)
            t = time.perf_counter()
            r = import_export(store, xlsx, tz=TZ)
            imports.append(time.perf_counter() - t)
            assert len(r.report.new) == n, len(r.report.new)
            t = time.perf_counter()
            again = import_export(store, xlsx, tz=TZ)
            reimports.append(time.perf_counter() - t)
            assert not again.report.committed and len(again.report.unchanged) == n
        t_import, t_reimport = min(imports), min(reimports)
        t_pd_openpyxl = best_of(lambda: pd.read_excel(xlsx, engine="openpyxl", header=None, dtype=object), args.repeat)
        t_pd_calamine = best_of(lambda: pd.read_excel(xlsx, engine="calamine", header=None, dtype=object), args.repeat)
        t_loop = best_of(lambda: openpyxl_loop(xlsx), args.repeat)
        t_pd_csv = best_of(lambda: pd.read_csv(csv_path, header=None, skiprows=3, dtype=object), args.repeat)
    lines += [
        f"- read + check (`parse_export`), xlsx: {t_parse_x:.2f} s (**{n / t_parse_x:,.0f} rows/s**)",
        f"- read + check (`parse_export`), csv: {t_parse_c:.2f} s (**{n / t_parse_c:,.0f} rows/s**)",
        f"- import into an empty store (parse + `put_source` + commit), xlsx: {t_import:.2f} s "
        f"(**{n / t_import:,.0f} rows/s**); store part {t_import - t_parse_x:.2f} s",
        f"- re-import of the same file (a no-op, nothing committed): {t_reimport:.2f} s ({n / t_reimport:,.0f} rows/s)",
        f"- baseline `pd.read_excel(engine='openpyxl')`, no checks, no store: {t_pd_openpyxl:.2f} s "
        f"({n / t_pd_openpyxl:,.0f} rows/s) → `parse_export` is **{t_pd_openpyxl / t_parse_x:.1f}×** that speed",
        f"- baseline `pd.read_excel(engine='calamine')`, no checks: {t_pd_calamine:.2f} s ({n / t_pd_calamine:,.0f} rows/s)"
        f" → checking every cell costs {t_parse_x - t_pd_calamine:.2f} s",
        f"- baseline openpyxl read-only `iter_rows` loop: {t_loop:.2f} s ({n / t_loop:,.0f} rows/s)",
        f"- baseline `pd.read_csv`, no checks: {t_pd_csv:.2f} s ({n / t_pd_csv:,.0f} rows/s)",
    ]
    record(f"Seller Center export import, {n:,} sessions (`benchmarks/bench_export.py`)", lines)


if __name__ == "__main__":
    main()
