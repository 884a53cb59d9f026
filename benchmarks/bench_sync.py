"""TikTok Shop API sync benchmark: 500 sessions (list + per-minute + products) against the local fake.

    .venv/bin/python -m benchmarks.bench_sync [--sessions 500] [--latency 0.05] [--skip-baseline]

The fake (``tests/fake_shop.py``) runs in its own process, like a remote API: it checks every signature,
answers after ``--latency`` seconds, and throttles each API above 50 requests per sliding second (429).
Measured, each against a fresh fake:

1. ``sync_shop`` as ``liveboard sync shop`` runs it (per-API token bucket 40/s + burst 5, 16 requests in
   flight per API, asyncio + httpx) into an empty store; then the same sync again (nothing changes);
2. the same with failures: 2 % of answers 503 and one session whose per-minute API answers 500 forever;
3. baseline: the same client one request at a time (``max_in_flight=1``), reading only.

Requests, 429s and the peak one-second rate per API are counted by the server. Figures are printed and
appended to ``benchmarks/RESULTS.md`` through ``benchmarks.results.record``.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from benchmarks.results import record
from liveboard.shop_api import RetryPolicy, ShopConfig
from liveboard.shop_sync import fetch_shop, sync_shop
from liveboard.store import Store

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from fake_shop import T0, FakeShop  # noqa: E402

SPACING_S = 4 * 3600


class Fake:
    """The fake API in a child process (so its threads do not share the client's GIL)."""

    def __init__(self, sessions: int, latency: float, fail_503: float = 0.0, broken: int = 0):
        cmd = [sys.executable, str(ROOT / "tests" / "fake_shop.py"), "--sessions", str(sessions)]
        cmd += ["--latency", str(latency), "--fail-503", str(fail_503), "--broken", str(broken)]
        cmd += ["--affiliate-every", "0", "--spacing-s", str(SPACING_S)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        self.url = self.proc.stdout.readline().strip()
        if not self.url.startswith("http://"):
            raise RuntimeError("the fake did not start")

    def stats(self) -> dict:
        with urllib.request.urlopen(self.url + "/_fake/stats", timeout=10) as r:
            return json.loads(r.read())

    def config(self) -> ShopConfig:
        f = FakeShop()  # the fake's default credentials
        env = {
            "TIKTOK_SHOP_APP_KEY": f.app_key,
            "TIKTOK_SHOP_APP_SECRET": f.app_secret,
            "TIKTOK_SHOP_ACCESS_TOKEN": f.access_token,
            "TIKTOK_SHOP_CIPHER": f.cipher,
            "TIKTOK_SHOP_REFRESH_TOKEN": f.refresh_token,
            "TIKTOK_SHOP_API_BASE": self.url,
            "TIKTOK_SHOP_AUTH_BASE": self.url,
        }
        return ShopConfig.from_env(env)

    def __enter__(self) -> Fake:
        return self

    def __exit__(self, *exc) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def dates(sessions: int) -> tuple[dt.date, dt.date]:
    first = dt.datetime.fromtimestamp(T0, dt.UTC).date()
    last = dt.datetime.fromtimestamp(T0 + (sessions - 1) * SPACING_S, dt.UTC).date()
    return first, last


def server_line(stats: dict) -> str:
    apis = ("sessions", "per_minute", "products")
    req = " / ".join(f"{stats['requests'].get(a, 0):,}" for a in apis)
    peak = " / ".join(f"{stats['peak_per_s'].get(a, 0)}" for a in apis)
    throttled = sum(stats["throttled"].values())
    return f"server saw (list / per-minute / products): requests {req}; peak per second {peak}; 429s {throttled}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sessions", type=int, default=500)
    ap.add_argument("--latency", type=float, default=0.05, help="the fake's answer time in seconds (default 0.05)")
    ap.add_argument("--skip-baseline", action="store_true")
    ap.add_argument("--skip-failures", action="store_true")
    args = ap.parse_args()
    since, until = dates(args.sessions)
    policy = RetryPolicy(attempts=5, base_s=0.2, max_s=5.0, jitter_s=0.2)
    lines = [
        f"Command: `python -m benchmarks.bench_sync --sessions {args.sessions} --latency {args.latency}` · "
        f"fake API in its own process, {args.latency * 1000:.0f} ms per answer, 50 requests/s per API "
        "(sliding second, 429 above); every session official (list + per-minute + products)"
    ]
    with tempfile.TemporaryDirectory(prefix="lb-bench-sync-") as tmp:
        with Fake(args.sessions, args.latency) as fake:
            store = Store(Path(tmp) / "store", create=True)
            t = time.perf_counter()
            result = sync_shop(store, since=since, until=until, config=fake.config(), policy=policy)
            total = time.perf_counter() - t
            n_req = sum(result.stats.requests.values())
            fast_read = result.fetch_seconds
            rep = result.report
            lines += [
                f"- **liveboard sync** (asyncio + httpx, token bucket 40/s + 5 per API, 16 in flight per API): "
                f"{len(result.fetched.summaries)} sessions, {n_req:,} requests in **{result.fetch_seconds:.1f} s** "
                f"({n_req / result.fetch_seconds:.0f} requests/s, {len(result.fetched.summaries) / result.fetch_seconds:.1f} "
                f"sessions/s); store commit {total - result.fetch_seconds:.1f} s; total {total:.1f} s; "
                f"new {len(rep.new)}, trend rows {result.fetched.trend_table().num_rows:,}, "
                f"product rows {result.fetched.product_table().num_rows:,}; client retries "
                f"{sum(result.stats.retries.values())}",
                f"  - {server_line(fake.stats())}",
            ]
            t = time.perf_counter()
            again = sync_shop(store, since=since, until=until, config=fake.config(), policy=policy)
            total2 = time.perf_counter() - t
            lines.append(
                f"- re-sync, nothing changed: {total2:.1f} s (read {again.fetch_seconds:.1f} s); "
                f"changed {len(again.report.changed)}, unchanged {len(again.report.unchanged)}, "
                f"store version {rep.version} → {again.report.version}"
            )
        if not args.skip_failures:
            with Fake(args.sessions, args.latency, fail_503=0.02, broken=1) as fake:
                store = Store(Path(tmp) / "store-failures", create=True)
                t = time.perf_counter()
                result = sync_shop(store, since=since, until=until, config=fake.config(), policy=policy)
                total = time.perf_counter() - t
                retried = ", ".join(f"{k} ×{v}" for k, v in sorted(result.stats.retries.items()))
                lines += [
                    f"- with failures (2 % 503, one session's per-minute API 500 forever): {total:.1f} s; "
                    f"retried: {retried}; sessions with something missing: {len(result.fetched.missing)}; "
                    f"exit code {result.exit_code}",
                    f"  - {server_line(fake.stats())}",
                ]
        if not args.skip_baseline:
            with Fake(args.sessions, args.latency) as fake:
                t = time.perf_counter()
                fetched, stats = asyncio.run(
                    fetch_shop(fake.config(), since, until, policy=policy, max_in_flight=1, concurrency=1)
                )
                base = time.perf_counter() - t
                n_base = sum(stats.requests.values())
                lines += [
                    f"- **baseline, one request at a time** (same client, `max_in_flight=1`), reading only: "
                    f"{len(fetched.summaries)} sessions, {n_base:,} requests in **{base:.1f} s** "
                    f"({n_base / base:.0f} requests/s) → liveboard sync reads **{base / fast_read:.1f}×** faster",
                    f"  - {server_line(fake.stats())}",
                ]
    record("TikTok Shop API sync (`benchmarks/bench_sync.py`)", lines)


if __name__ == "__main__":
    main()
