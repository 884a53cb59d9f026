"""Streaming import of the mega log (issue 8, item 3): speed and peak memory against DuckDB's own conversion.

Each figure comes from a process of its own (peak RSS is that process's ``ru_maxrss``), all in the same run:

a. DuckDB alone: ``COPY (SELECT * FROM read_json(log, format='newline_delimited')) TO 'x.parquet'`` — plain
   first; when plain fails on the file (its sample of 20,480 lines misses a field), DuckDB's own advice
   ``sample_size=-1``; and, as a stricter bar, the same with the columns given (no sampling at all).
b. The reader alone: ``iter_event_logs`` drained (decompress, cut lines, validate every field).
c. The whole ``liveboard import LOG --store NEW`` (read, validate, stage, de-duplicate, commit).
d. b and c again for the log doubled (the mega log, then a copy with its session renamed: twice the events
   in one file), to show that memory does not grow with the file (target: < 10 %).

Run: ``.venv/bin/python benchmarks/bench_import.py [--log MEGA.jsonl.gz] [--work DIR] [--skip-double]
[--rounds N]`` (``--rounds``: a and c again, alternately, and their medians: fairer on a busy machine).
Without ``--log`` the mega session is simulated first. Figures are printed and appended to
``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.results import record  # noqa: E402

CLI = "import sys; from liveboard.cli import main; sys.exit(main(sys.argv[1:]))"


def measure(cmd: list[str], **kw) -> dict:
    """Run ``cmd`` in a child of a fresh process: wall seconds, its exit code, output, and its peak RSS."""
    probe = [sys.executable, __file__, "--measure-child", json.dumps(cmd)]
    out = subprocess.run(probe, capture_output=True, text=True, cwd=ROOT, **kw)
    if out.returncode != 0:
        raise RuntimeError(f"measuring {cmd[:3]} failed: {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _child(cmd: list[str]) -> None:
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    print(
        json.dumps(
            {
                "seconds": seconds,
                "rc": proc.returncode,
                "stdout": proc.stdout[-4000:],
                "stderr": proc.stderr[-4000:],
                "peak": peak,
            }
        )
    )


def python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def duckdb_copy(log: Path, out: Path, options: str) -> list[str]:
    sql = f"COPY (SELECT * FROM read_json('{log}', format='newline_delimited'{options})) TO '{out}' (FORMAT parquet)"
    return python(
        "import duckdb; con = duckdb.connect(); "
        f"con.execute({sql!r}); "
        f"print(con.execute(\"SELECT count(*) FROM '{out}'\").fetchall()[0][0])"
    )


def typed_columns(parquet: Path) -> str:
    import duckdb

    cols = duckdb.connect().execute(f"DESCRIBE SELECT * FROM '{parquet}'").fetchall()
    return ", columns={" + ", ".join(f"'{name}': '{kind}'" for name, kind, *_ in cols) + "}"


def reader(log: Path) -> list[str]:
    return python(
        "from liveboard.eventlog import iter_event_logs\n"
        f"s = iter_event_logs([{str(log)!r}])\n"
        "n = b = parts = most = 0\n"
        "for ev, bad in s:\n"
        "    n += ev.num_rows; b += bad.num_rows; parts += 1; most = max(most, ev.num_rows + bad.num_rows)\n"
        "assert not s.file_errors, s.file_errors\n"
        "print(n, b, parts, most)"
    )


def importer(log: Path, store: Path) -> list[str]:
    return [sys.executable, "-c", CLI, "import", str(log), "--store", str(store)]


def doubled(log: Path, out: Path) -> Path:
    """The log, then a copy of it with every session id renamed: one gzip file of two members."""
    if out.exists():
        return out
    tmp = out.with_suffix(".tmp")
    with open(tmp, "wb") as dst:
        with open(log, "rb") as src:
            shutil.copyfileobj(src, dst, 1 << 24)
        with gzip.open(log, "rb") as src, gzip.GzipFile(fileobj=dst, mode="wb", compresslevel=1) as z:
            pending = b""
            while block := src.read(1 << 24):
                data = pending + block
                cut = data.rfind(b"\n") + 1
                z.write(re.sub(rb'"session_id":\s*"([^"]+)"', rb'"session_id":"\1-b"', data[:cut]))
                pending = data[cut:]
            z.write(re.sub(rb'"session_id":\s*"([^"]+)"', rb'"session_id":"\1-b"', pending))
    tmp.rename(out)
    return out


def mb(n: int) -> str:
    return f"{n / 2**20:,.0f} MB"


def rate(n: int, seconds: float) -> str:
    return f"{n / seconds:,.0f} events/s"


def median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def bench(log: Path, work: Path, double: bool, rounds: int = 1) -> list[str]:
    lines = [f"- log: `{log.name}`, {log.stat().st_size / 1e6:,.0f} MB gzipped"]
    figures: dict[str, dict] = {}

    # a. DuckDB's own conversion
    plain = measure(duckdb_copy(log, work / "plain.parquet", ""))
    base_options = ""
    if plain["rc"] == 0:
        base, base_label = plain, "plain `read_json`"
    else:
        errors = [x for x in plain["stderr"].splitlines() if "Error" in x] or ["failed"]
        why = errors[-1].strip().split(": ", 1)[-1][:140]
        lines.append(f"- DuckDB plain `read_json` (default sample of 20,480 lines) fails on this file: `{why}`")
        base_options = ", sample_size=-1"
        base = measure(duckdb_copy(log, work / "plain.parquet", base_options))
        base_label = "`read_json(..., sample_size=-1)`"
        lines.append(
            "  (so the baseline is DuckDB's own advice for that error: `sample_size=-1`, a whole-file sampling pass)"
        )
    assert base["rc"] == 0, base["stderr"]
    n = int(base["stdout"].split()[-1])
    typed = measure(duckdb_copy(log, work / "typed.parquet", typed_columns(work / "plain.parquet")))
    assert typed["rc"] == 0, typed["stderr"]
    lines.append(
        f"- a. DuckDB {base_label} → Parquet (no validation, no de-duplication, no atomicity): "
        f"**{base['seconds']:.1f} s** ({rate(n, base['seconds'])}), peak RSS {mb(base['peak'])}"
    )
    lines.append(
        f"- a'. the same with the columns given (no sampling pass; a stricter bar): {typed['seconds']:.1f} s "
        f"({rate(n, typed['seconds'])}), peak RSS {mb(typed['peak'])}"
    )

    def read_and_import(path: Path, label: str) -> tuple[dict, dict, int]:
        r = measure(reader(path))
        assert r["rc"] == 0, r["stderr"]
        events, bad, parts, most = (int(x) for x in r["stdout"].split()[-4:])
        store = work / f"store-{label}"
        shutil.rmtree(store, ignore_errors=True)
        imp = measure(importer(path, store))
        assert imp["rc"] == 0, imp["stderr"][-2000:]
        m = re.search(r"imported (\d+)", imp["stdout"])
        assert m and int(m.group(1)) == events, imp["stdout"]
        shutil.rmtree(store, ignore_errors=True)
        r.update(events=events, bad=bad, parts=parts, most=most)
        return r, imp, events

    r, imp, events = read_and_import(log, "one")
    assert events == n, (events, n)
    figures["one"] = {"reader": r, "import": imp}
    if rounds > 1:  # the baseline and the import again, one after the other: medians of both
        bases, imps = [base["seconds"]], [imp["seconds"]]
        for k in range(rounds - 1):
            bases.append(measure(duckdb_copy(log, work / "plain.parquet", base_options))["seconds"])
            store = work / f"store-round-{k}"
            shutil.rmtree(store, ignore_errors=True)
            again = measure(importer(log, store))
            assert again["rc"] == 0, again["stderr"][-2000:]
            shutil.rmtree(store, ignore_errors=True)
            imps.append(again["seconds"])
        lines.append(
            f"- {rounds} rounds, DuckDB then the import each time: DuckDB {', '.join(f'{x:.1f}' for x in bases)} s; "
            f"import {', '.join(f'{x:.1f}' for x in imps)} s → medians **{median(bases):.1f} s** and "
            f"**{median(imps):.1f} s**: the import at **{median(bases) / median(imps):.2f}×** DuckDB's speed"
        )
    lines.append(
        f"- b. reader alone (`iter_event_logs`: decompress, cut lines, validate): **{r['seconds']:.1f} s** "
        f"({rate(events, r['seconds'])}), peak RSS **{mb(r['peak'])}**; {r['parts']} parts of at most "
        f"{r['most']:,} lines"
    )
    lines.append(
        f"- c. whole `liveboard import` into a new store (read, validate, stage, de-duplicate, commit): "
        f"**{imp['seconds']:.1f} s** ({rate(events, imp['seconds'])}), peak RSS **{mb(imp['peak'])}** "
        f"→ **{base['seconds'] / imp['seconds']:.2f}×** the speed of DuckDB's {base_label}, "
        f"{typed['seconds'] / imp['seconds']:.2f}× that of the typed one"
    )
    if double:
        big = doubled(log, work / "double.jsonl.gz")
        r2, imp2, events2 = read_and_import(big, "double")
        assert events2 == 2 * events, (events2, events)
        lines.append(
            f"- d. the log doubled ({events2:,} events, {big.stat().st_size / 1e6:,.0f} MB): reader "
            f"{r2['seconds']:.1f} s ({rate(events2, r2['seconds'])}), peak RSS {mb(r2['peak'])} "
            f"(**{(r2['peak'] / r['peak'] - 1) * 100:+.0f} %**); whole import {imp2['seconds']:.1f} s "
            f"({rate(events2, imp2['seconds'])}), peak RSS {mb(imp2['peak'])} "
            f"(**{(imp2['peak'] / imp['peak'] - 1) * 100:+.0f} %**; target < +10 %)"
        )
    return lines


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--measure-child":
        _child(json.loads(sys.argv[2]))
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--log", type=Path, help="the mega log (.jsonl.gz); simulated when not given")
    ap.add_argument("--work", type=Path, help="folder for the doubled log and scratch files (kept)")
    ap.add_argument("--skip-double", action="store_true")
    ap.add_argument(
        "--rounds", type=int, default=1, help="repeat the baseline and the import this many times (medians)"
    )
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="lb-bench-import-") as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        log = args.log
        if log is None:
            subprocess.run(
                [sys.executable, "-c", CLI, "simulate", "--out", str(work / "sim"), "--sessions", "1", "--mega"],
                check=True,
                cwd=ROOT,
            )
            log = next((work / "sim").glob("mega-*.jsonl.gz"))
        lines = bench(log.resolve(), work, not args.skip_double, args.rounds)
        for name in ("plain.parquet", "typed.parquet"):
            (work / name).unlink(missing_ok=True)
    lines.append(f"- CPU cores: {os.cpu_count()}; every figure from its own process, one after another")
    record("Streaming import of the mega log against DuckDB's own conversion (`benchmarks/bench_import.py`)", lines)


if __name__ == "__main__":
    main()
