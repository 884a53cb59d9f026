"""Spark == DuckDB: the session table computed on Apache Spark (extra ``liveboard[spark]``, a real local-mode
Spark) equals the embedded engine's on every column — values, nulls and types — for a simulated store with
hand-built edge cases, and ``liveboard sessions --engine spark`` prints the same CSV, byte for byte.

Spark needs pyspark and Java 17+. Without them these tests are skipped loudly, or fail when the ``CI``
environment variable is set (as the browser tests do without Chromium); `.ci/run` installs Java.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import random
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from logbuilder import BASE, LogBuilder, hostile_sum_rows, import_files
from test_metrics import rich_log

import liveboard
from liveboard import provenance, queries, spark_engine
from liveboard.simulator import simulate
from liveboard.store import Store
from liveboard.workbench import Workbench

LIVEBOARD = Path(sys.executable).with_name("liveboard")
NO_SPARK_REASON = "SPARK TEST NOT RUN"


def require_spark() -> None:
    """Skip (locally) or fail (``CI`` set) when pyspark or Java is missing."""
    try:
        spark_engine.check_available()
    except spark_engine.SparkUnavailable as exc:
        reason = f"{NO_SPARK_REASON}: {exc}"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}. CI is set, so this is a failure, not a skip.", pytrace=False)
        pytest.skip(reason)


@pytest.fixture(scope="module")
def spark():
    """One SparkSession (local mode) for the whole module."""
    require_spark()
    session = spark_engine.spark_session()
    yield session
    spark_engine.stop()


# ---------------------------------------------------------------- the store: simulated + edge cases


def edge_logs() -> list[LogBuilder]:
    """Sessions that have broken engines before: each one a case the two engines could read differently."""
    logs = [rich_log()]

    b = LogBuilder("open-live")  # no session_end: it closes at its last event; `end` is null
    b.start(0, title="Still live", account_id="acct-open")
    b.enter(5, "u1")
    b.enter(6, "u2", channel="promoted")
    b.leave(30, "u1")
    b.order(40, "o1", user_id="u2", amount="19.99", quantity=2)
    b.ev("like", 41, user_id="u2", count=7)
    logs.append(b)

    b = LogBuilder("zero-views")  # impressions but not one view: every rate over views is null, not 0 or inf
    b.start(0, title="Nobody came", account_id="acct-zero")
    for t in range(1, 4):
        b.impression(t)
    b.pin(5, "p1", name="Lonely", price="9.99")
    b.end(60)
    logs.append(b)

    b = LogBuilder("refunds")  # paid then refunded, created only, indirect, an update after the end
    b.start(0, title="Refund day", account_id="acct1")
    b.enter(1, "u1")
    b.enter(2, "u2")
    b.click(3, "u1")
    b.click(4, "u2")
    b.pimpression(4, "u2")
    b.order(10, "o1", user_id="u1", amount="100.00")
    b.order(20, "o1", user_id="u1", amount="100.00", status="refunded")
    b.order(11, "o2", user_id="u2", amount="0.015", quantity=3, attribution="indirect")
    b.order(12, "o3", user_id="u2", amount="5.00", status="created")
    b.end(100)
    b.order(150, "o2", user_id="u2", amount="0.015", quantity=3, status="refunded", attribution="indirect")
    logs.append(b)

    b = LogBuilder("idr-sale", fmt="+08")  # another currency, offsets in the log, half cents, ties of rounding
    b.start(0, title="Rupiah", account_id="acct-id", currency="IDR", live_event_id="evt-9")
    for i in range(7):
        b.enter(i, f"v{i}")
    b.impression(1)
    b.order(11, "b", user_id="v2", amount="0.125")
    b.order(12, "c", user_id="v3", amount="123456789.123456", quantity=3)
    b.ev("gift", 13, user_id="v4", gift_name="rose", diamonds=99, count=1000)
    b.ev("giveaway_start", 14, giveaway_id="g1", prize="phone", winners_planned=2)
    b.ev("giveaway_end", 20, giveaway_id="g1", winner_ids=["v1", "v2"])
    b.ev("giveaway_start", 21, giveaway_id="g2", prize="nothing", winners_planned=0)
    b.ev("giveaway_end", 22, giveaway_id="g2", winner_ids=[])
    b.ev("violation", 23, violation_id="x1", policy="p", severity="low", detail="d")
    b.end(3600)
    logs.append(b)

    b = LogBuilder("eur-hostile")  # user text the CSV must escape the same way, whichever engine computed it
    b.start(0, title='=HYPERLINK("http://x"),"quoted";\n🔥 Ünïcödé — שלום 漢字 \t tab', account_id="acct,comma")
    b.events[-1]["currency"] = "EUR"
    b.ev("comment", 0, user_id="u1", text="@SUM(A1)")
    b.enter(0, "u1")
    b.end(0)  # a zero-length session: duration 0, ACU over 0 is null
    logs.append(b)

    for sid, amount, quantity in (("avg-5005", "10.01", 2), ("avg-88535", "1770.70", 20)):
        b = LogBuilder(sid)  # GMV per item on a tie of the decimal text: DuckDB rounds the double's exact value
        b.start(0, title=sid, account_id="acct3")
        b.order(1, "o1", amount=amount, quantity=quantity)
        b.end(2)
        logs.append(b)

    b = LogBuilder("no-orders")  # views and clicks but no order at all: gmv 0.00, items 0, avg price null
    b.start(0, title="Window shopping", account_id="acct1")
    b.enter(1, "u1")
    b.enter(1, "u2")
    b.leave(1, "u2")
    b.enter(2, "u1")  # entered twice without leaving
    b.click(3, "u1")
    b.ev("share", 4, user_id="u1")
    b.ev("follow", 5, user_id="u1")
    b.end(10)
    logs.append(b)

    b = LogBuilder("same-start")  # starts at the same instant as the rich session: the order breaks on the id
    b.start(0, title="Twin", account_id="acct2")
    b.end(5)
    logs.append(b)
    return logs


def build_store(root: Path, work: Path) -> Store:
    store = Store(root, create=True)
    for table in simulate(seed=5, accounts=2, sessions=4, scale=0.01):
        store.append(table)
    store.append(hostile_sum_rows("hostile-sums", BASE + dt.timedelta(days=2)))
    paths = [log.write(work / f"{log.session_id}.jsonl") for log in edge_logs()]
    import_files(root, paths)
    start = pa.array([BASE - dt.timedelta(days=1), BASE + dt.timedelta(seconds=1)], pa.timestamp("us", tz="UTC"))
    store.put_summaries(  # one session known only by its figures, one export row merged into a session with events
        pa.table(
            {
                "session_id": ["export-only", "refunds"],
                "title": ["From an export", None],
                "account_id": ["acct-x", "acct1"],
                "start": start,
                "gmv": [1234.5, 99.0],
                "views": [900, None],
            }
        )
    )
    return store


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Store:
    work = tmp_path_factory.mktemp("spark")
    return build_store(work / "store [ü] x", work)  # glob characters and a space in the store's path


@pytest.fixture(scope="module")
def spark_summaries(spark, store) -> pa.Table:
    """The events summaries of the whole store, computed once by Spark for the tests that compare them."""
    return spark_engine.session_summaries(store)


def duckdb_summaries(store: Store) -> pa.Table:
    con, _ = store.connect()
    con.execute("SET TimeZone = 'UTC'")
    store.define_events(con, None)
    return con.sql(queries.session_summaries()).to_arrow_table()


def duckdb_catalog(store: Store) -> pa.Table:
    con, _ = store.connect()
    con.execute("SET TimeZone = 'UTC'")
    return con.sql("SELECT * FROM sessions ORDER BY start, session_id").to_arrow_table()


def assert_same_tables(got: pa.Table, want: pa.Table) -> None:
    assert got.schema == want.schema
    assert got.num_rows == want.num_rows
    for name in want.column_names:
        assert got[name].equals(want[name]), (name, got[name].to_pylist(), want[name].to_pylist())


# ---------------------------------------------------------------- the tests


def test_spark_summaries_equal_duckdb_on_every_column(spark_summaries, store):
    want = duckdb_summaries(store)
    got = spark_summaries
    assert want.num_rows >= 12  # the simulated sessions and every edge case have events
    assert got.schema == provenance.events_summary_schema()
    assert_same_tables(got, want.cast(provenance.events_summary_schema()))
    by_id = {r["session_id"]: r for r in got.to_pylist()}
    assert by_id["avg-5005"]["avg_price"] == 5.0 and by_id["avg-88535"]["avg_price"] == 88.53  # not 5.01, 88.54
    assert by_id["zero-views"]["live_ctr"] is None and by_id["zero-views"]["enter_room_rate"] == 0.0
    assert by_id["open-live"]["end"] is None and by_id["eur-hostile"]["acu"] is None
    assert by_id["idr-sale"]["winners"] == 2 and by_id["idr-sale"]["currency"] == "IDR"
    hostile = by_id["hostile-sums"]
    assert hostile["gift_diamonds"] is None and hostile["likes"] is None and hostile["items_sold"] is None
    assert hostile["sku_orders"] == 2 and hostile["gmv"] == Decimal("2.00")


def test_spark_catalog_equals_the_stored_one(spark_summaries, store):
    got = store.catalog_from_summaries(spark_summaries)  # what spark_engine.session_catalog returns
    want = duckdb_catalog(store)
    assert_same_tables(got, want)
    ids = set(got["session_id"].to_pylist())
    assert {"export-only", "refunds", "open-live"} <= ids


def test_workbench_on_spark_equals_the_embedded_engine(spark, store):
    duck = Workbench(store)
    wb = liveboard.open(store.root, engine="spark")
    assert wb.engine == "spark" and "spark" in repr(wb)
    pd.testing.assert_frame_equal(wb.sessions(), duck.sessions(), check_exact=True)
    pd.testing.assert_frame_equal(
        wb.sessions(search="live", since="2026-01-01"),
        duck.sessions(search="live", since="2026-01-01"),
        check_exact=True,
    )
    assert wb.session("refunds").info["gmv"] == duck.session("refunds").info["gmv"]


def test_cli_csv_is_byte_for_byte_the_embedded_engines(spark, store):
    def run(*extra: str) -> subprocess.CompletedProcess:
        cmd = [str(LIVEBOARD), "sessions", "--store", str(store.root), "--format", "csv", *extra]
        return subprocess.run(cmd, capture_output=True, timeout=600)

    duck, on_spark = run(), run("--engine", "spark", "--spark-master", "local[2]")
    assert duck.returncode == 0 and on_spark.returncode == 0, on_spark.stderr.decode(errors="replace")
    assert on_spark.stdout == duck.stdout
    assert duck.stdout.count(b"\n") >= 14 and "🔥".encode() in duck.stdout
    assert b"Traceback" not in on_spark.stderr


def test_an_empty_store_gives_an_empty_table(spark, tmp_path):
    store = Store(tmp_path / "empty", create=True)
    assert spark_engine.session_summaries(store).num_rows == 0
    assert liveboard.open(store.root, engine="spark").sessions().empty


def duckdb_round_cases() -> list[float | None]:
    rng = random.Random(8)
    xs: list[float | None] = [0.125, -0.125, 0.375, 2.675, 88.535, 5.005, -5.005, 1.005, 0.285, 0.0, -0.0]
    xs += [None, math.nan, math.inf, -math.inf, 5e-324, 1e-15, 9.9e-16, 2.0**52, 2.0**53 + 2, 1e300, 9e13 + 0.125]
    xs += [rng.randint(1, 10**9) / 100 / rng.choice([1, 2, 3, 7, 20, 1000]) for _ in range(20_000)]
    xs += [rng.uniform(-1, 1) * 10.0 ** rng.randint(-16, 17) for _ in range(20_000)]
    xs += [math.ldexp(rng.randint(1, 2**24), -rng.randint(0, 14)) for _ in range(10_000)]  # exact binary ties
    return xs


def test_round_of_a_double_is_duckdbs_on_spark(spark, tmp_path):
    """DuckDB rounds the exact value of a double (2.675 → 2.67), Spark's own round its shortest text (2.68):
    the transpiled round must give DuckDB's answer, bit for bit, ties and extremes included."""
    xs = duckdb_round_cases()
    path = tmp_path / "xs.parquet"
    pq.write_table(pa.table({"i": pa.array(range(len(xs)), pa.int64()), "x": pa.array(xs, pa.float64())}), path)
    spark.read.parquet(str(path)).createOrReplaceTempView("xs")
    sql = "SELECT i, round(x / 1, 1) AS r1, round(x / 1, 2) AS r2, round(x / 1, 3) AS r3 FROM xs ORDER BY i"
    want = duckdb.sql(sql.replace("FROM xs", f"FROM read_parquet('{path}')")).to_arrow_table()
    got = spark.sql(spark_engine.to_spark_sql(sql)).toArrow()
    for col in ("r1", "r2", "r3"):
        pairs = zip(xs, want[col].to_pylist(), got[col].to_pylist(), strict=True)
        wrong = [(x, w, g) for x, w, g in pairs if not same_double(w, g)]
        assert not wrong, (col, len(wrong), wrong[:5])


def same_double(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b and math.copysign(1, a) == math.copysign(1, b)


def test_transpiled_sql_names_nothing_only_duckdb_has():
    sql = spark_engine.to_spark_sql(queries.session_summaries())
    for word in ("EPOCH_US", "INT128", "HUGEINT", "LENGTH(winner_ids)", "::"):
        assert word not in sql
    assert "UNIX_MICROS" in sql and "SIZE(winner_ids)" in sql


# ---------------------------------------------------------------- without Spark: one line, what to install


def run_cli(args: list[str], env: dict[str, str] | None = None, pre: str = "") -> subprocess.CompletedProcess:
    code = f"import sys\n{pre}\nfrom liveboard.cli import main\nsys.exit(main({args!r}))"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)


def test_without_java_one_line_says_what_to_install(tmp_path):
    Store(tmp_path / "st", create=True)
    env = {k: v for k, v in os.environ.items() if k != "JAVA_HOME"} | {"PATH": str(Path(sys.executable).parent)}
    r = run_cli(["sessions", "--store", str(tmp_path / "st"), "--engine", "spark"], env=env)
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr.count("\n") == 1 and "apt-get install" in r.stderr and "openjdk-17-jre-headless" in r.stderr


def test_without_pyspark_one_line_says_what_to_install(tmp_path):
    Store(tmp_path / "st", create=True)
    r = run_cli(["sessions", "--store", str(tmp_path / "st"), "--engine", "spark"], pre="sys.modules['pyspark'] = None")
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr.count("\n") == 1 and 'pip install "liveboard[spark]"' in r.stderr


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--engine", "spark", "--spark-master", "local[*]; rm -rf /"], "not a master URL"),
        (["--spark-master", "local[2]"], "--spark-master needs --engine spark"),
    ],
)
def test_bad_spark_arguments_are_usage_errors(tmp_path, args, words):
    Store(tmp_path / "st", create=True)
    r = run_cli(["sessions", "--store", str(tmp_path / "st"), *args])
    assert r.returncode == 2 and words in r.stderr and r.stderr.count("\n") == 1


def test_engine_and_master_are_checked(tmp_path):
    store = Store(tmp_path / "st", create=True)
    with pytest.raises(liveboard.InputError, match="engine"):
        Workbench(store, engine="postgres")
    with pytest.raises(liveboard.InputError, match="needs engine='spark'"):
        Workbench(store, spark_master="local[2]")
    for good in (
        "local",
        "local[*]",
        "local[4]",
        "local[4,2]",
        "spark://h1:7077,h2:7077",
        "yarn",
        "k8s://https://k:6443",
    ):
        assert spark_engine.check_master(good) == good
    for bad in ("local[0]", "sc://host", "spark://", "yarn --conf x=y", "local[*]\n", "file:///etc/passwd"):
        with pytest.raises(liveboard.InputError, match="not a master URL"):
            spark_engine.check_master(bad)
