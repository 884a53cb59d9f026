"""The product's metric SQL on Apache Spark (the optional extra ``liveboard[spark]``; Java 17 or newer).

Spark reads the event files of one snapshot (:meth:`Store.table_files`, taken from the store's table log, so a
file a compaction replaced is never read), registers them as the view ``ev`` and runs
:func:`liveboard.queries.session_summaries` — the one metric query of the product, transpiled from DuckDB's
dialect to Spark's by sqlglot, never a second hand-written copy. The summaries come back as Arrow and
:meth:`Store.catalog_from_summaries` turns them into the session table, which is what the embedded engine
shows, column for column, type for type.

sqlglot translates the syntax; where the two engines give the same spelling two meanings, the rules of
:func:`to_spark_sql` keep DuckDB's meaning (each rule is one difference of the dialects, not a metric):

- ``epoch_us(t)`` is Spark's ``unix_micros(t)`` (sqlglot passes the DuckDB name through unchanged);
- ``HUGEINT`` (sums of integers that must not overflow) is ``DECIMAL(38, 0)``: Spark has no 128-bit integer;
- ``a / b`` is always a DOUBLE division in DuckDB, a DECIMAL one in Spark when a decimal is involved: the
  dividend is cast to DOUBLE, so GMV per item is the same double in both;
- ``round(x, n)`` of a double rounds the double's exact binary value in DuckDB, its shortest decimal text in
  Spark (10.01 / 2 = 5.005 gives 5.0 and 5.01; 1770.70 / 20 gives 88.53 and 88.54): it becomes DuckDB's
  arithmetic spelled in Spark SQL (integers and DECIMAL(38, 0); see ``_ROUND_TEMPLATE``).

Spark also runs with ANSI mode on (an overflow is an error, as in DuckDB; sums that may overflow are HUGEINT in
the query, so they come back null, as in DuckDB) and the session time zone UTC.

Spark runs in local mode by default (all cores of this machine, few shuffle partitions, UTC, quiet logs, no
web UI); ``master`` takes any master URL (``spark://host:7077``, ``yarn``, ``k8s://…``) — the executors of a
cluster must then reach the store's files under the same paths (a shared folder or object storage).
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
import re
import shutil
import subprocess
import tempfile
import threading
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from liveboard import provenance, queries
from liveboard.errors import EnvironmentProblem, InputError
from liveboard.events import EVENT_SCHEMA

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

INSTALL_PYSPARK = 'pip install "liveboard[spark]"'
INSTALL_JAVA = "apt-get install -y --no-install-recommends openjdk-17-jre-headless"
MIN_JAVA = 17
MIN_PYSPARK = 4
LOCAL_MASTER = "local[*]"
#: Shuffle partitions in local mode: a handful per core, not Spark's 200 (meant for clusters).
LOCAL_SHUFFLE_PARTITIONS = 2 * (os.cpu_count() or 2)
ENGINES = ("duckdb", "spark")
#: The driver's JVM in local mode: the quick (C1) compiler only and the serial collector. A CLI run is one
#: query in a fresh JVM, where the optimising compiler costs more CPU than it saves (it halves the first run).
LOCAL_JAVA_OPTIONS = ["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"]
#: The driver's heap in local mode (Spark's default, 1g, is tight for the events of 10,000 sessions).
LOCAL_DRIVER_MEMORY = "2g"

_MASTER_RE = re.compile(
    r"local(\[(\*|[1-9]\d{0,3})(,[1-9]\d{0,3})?\])?"  # local, local[4], local[*], local[4,2] (retries)
    r"|(spark|k8s|mesos)://[A-Za-z0-9._:/,\[\]@-]{1,400}"  # a standalone, Kubernetes or Mesos master
    r"|yarn"
)
#: Quiet logs on the console (errors only, on stderr); Spark's default is every INFO and WARN line.
_LOG4J2 = """\
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
logger.repl.name = org.apache.spark.repl.Main
logger.repl.level = error
logger.gateway.name = org.apache.spark.api.python.PythonGatewayServer
logger.gateway.level = error
logger.submit.name = org.apache.spark.deploy.SparkSubmit
logger.submit.level = error
logger.query.name = org.apache.spark.sql.catalyst.util.SQLQueryContextLogger
logger.query.level = off
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = spark %p %c{1}: %m%n
"""


_PANDAS_WARNING = "PySpark does not yet fully support pandas"


@contextlib.contextmanager
def _quiet_pyspark():
    """pyspark 4.3 warns, on importing some of its modules, that it "does not yet fully support pandas >= 3":
    this module uses none of pyspark's pandas parts (Arrow only)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_PANDAS_WARNING, category=FutureWarning)
        yield


class SparkUnavailable(EnvironmentProblem):
    """pyspark or Java is missing (or too old): one line saying what to install."""


def check_master(master: str | None) -> str:
    """The master URL to use: ``local[*]`` when none is given; anything else must look like a master URL."""
    if master is None or master == "":
        return LOCAL_MASTER
    text = str(master)
    if not _MASTER_RE.fullmatch(text):
        raise InputError(
            f"spark master {str(master)[:80]!r} is not a master URL (local, local[N], local[*], spark://HOST:PORT, "
            "yarn, k8s://URL)"
        )
    return text


def check_engine(engine: str) -> str:
    if engine not in ENGINES:
        raise InputError(f"engine {str(engine)[:40]!r}: use one of {', '.join(ENGINES)}")
    return engine


# ------------------------------------------------------------------ availability


def _java() -> str | None:
    home = os.environ.get("JAVA_HOME")
    if home and os.access(Path(home) / "bin" / "java", os.X_OK):
        return str(Path(home) / "bin" / "java")  # what spark-submit runs when JAVA_HOME is set
    return shutil.which("java")


@functools.cache
def _java_major(java: str) -> int | None:
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if not m:
        return None
    major = int(m.group(1))
    return int(m.group(2) or 0) if major == 1 else major  # "1.8.0" is Java 8


def check_available() -> None:
    """Raise :class:`SparkUnavailable` unless pyspark 4 and Java 17+ are installed."""
    try:
        import pyspark
    except ImportError:
        raise SparkUnavailable(f"the Spark engine needs pyspark: {INSTALL_PYSPARK}") from None
    major = int(pyspark.__version__.split(".")[0])
    if major < MIN_PYSPARK:
        raise SparkUnavailable(
            f"the Spark engine needs pyspark {MIN_PYSPARK} or newer (found {pyspark.__version__}): {INSTALL_PYSPARK}"
        )
    java = _java()
    if java is None:
        raise SparkUnavailable(f"the Spark engine needs Java {MIN_JAVA} or newer, and there is none: {INSTALL_JAVA}")
    found = _java_major(java)
    if found is None or found < MIN_JAVA:
        what = f"Java {found}" if found else f"{java}, which does not run"
        raise SparkUnavailable(f"the Spark engine needs Java {MIN_JAVA} or newer (found {what}): {INSTALL_JAVA}")


# ------------------------------------------------------------------ the session

_lock = threading.Lock()
_active: dict[str, SparkSession] = {}  # master -> its session (Spark allows one per process)


def spark_session(master: str | None = None):
    """The SparkSession of this process for ``master`` (started on first use, reused after).

    Spark allows one SparkContext per process: asking for another master stops the one running first.
    """
    master = check_master(master)
    check_available()
    with _lock:
        if master in _active:
            spark = _active[master]
            jsc = spark.sparkContext._jsc  # None once stopped (pyspark has no public "is stopped")
            if jsc is not None and not jsc.sc().isStopped():
                return spark
            del _active[master]
        for other in list(_active):
            _active.pop(other).stop()
        with _quiet_pyspark():
            spark = _start(master)
        _active[master] = spark
        return spark


def _start(master: str):
    from pyspark import SparkConf, SparkContext
    from pyspark.java_gateway import launch_gateway
    from pyspark.sql import SparkSession

    work = Path(tempfile.mkdtemp(prefix="liveboard-spark-"))
    atexit.register(shutil.rmtree, work, ignore_errors=True)
    (work / "log4j2.properties").write_text(_LOG4J2)
    local = master.startswith("local")
    conf = (
        SparkConf()
        .setMaster(master)
        .setAppName("liveboard")
        .set("spark.sql.session.timeZone", "UTC")
        .set("spark.sql.ansi.enabled", "true")  # overflow is an error, never a wrapped number (as in DuckDB)
        .set("spark.sql.legacy.sizeOfNull", "false")  # size(NULL) is NULL, not -1
        .set("spark.sql.execution.arrow.useLargeVarTypes", "false")
        .set("spark.log.structuredLogging.enabled", "false")
        .set("spark.ui.enabled", "false")
        .set("spark.ui.showConsoleProgress", "false")
        .set("spark.hadoop.parquet.page.verify-checksum.enabled", "true")  # the store writes page checksums
        .set("spark.sql.warehouse.dir", str(work / "warehouse"))  # never a spark-warehouse/ in the user's folder
        .set("spark.local.dir", str(work / "local"))
    )
    java_options = [f"-Dlog4j2.configurationFile={(work / 'log4j2.properties').as_uri()}"]
    if local:
        conf.set("spark.sql.shuffle.partitions", str(LOCAL_SHUFFLE_PARTITIONS))
        # On one machine, re-planning after each of the query's ~25 stages costs more than it finds.
        conf.set("spark.sql.adaptive.enabled", "false")
        conf.set("spark.driver.host", "127.0.0.1").set("spark.driver.bindAddress", "127.0.0.1")
        conf.set("spark.driver.memory", LOCAL_DRIVER_MEMORY)
        java_options += LOCAL_JAVA_OPTIONS
    conf.set("spark.driver.extraJavaOptions", " ".join(java_options))
    # The JVM writes to our stderr, never our stdout: `liveboard sessions --format csv` prints only the CSV.
    try:
        gateway = launch_gateway(conf, popen_kwargs={"stdout": 2})
        sc = SparkContext(conf=conf, gateway=gateway)
    except Exception as exc:  # pyspark raises its own types (the JVM's reason is on stderr)
        raise SparkUnavailable(
            f"Spark did not start ({' '.join(str(exc).split())[:200]}); Java {MIN_JAVA}+: {INSTALL_JAVA}; "
            f"pyspark: {INSTALL_PYSPARK}"
        ) from exc
    sc.setLogLevel("ERROR")
    return SparkSession(sc)


def stop() -> None:
    """Stop this process's SparkSession, if any."""
    with _lock:
        for master in list(_active):
            _active.pop(master).stop()


# ------------------------------------------------------------------ SQL


def _rule_epoch_us(node):
    from sqlglot import exp

    if isinstance(node, exp.Anonymous) and str(node.this).lower() == "epoch_us" and len(node.expressions) == 1:
        return exp.UnixMicros(this=node.expressions[0])
    return node


def _rule_hugeint(node):
    from sqlglot import exp

    if isinstance(node, exp.DataType) and node.this == exp.DataType.Type.INT128:
        return exp.DataType.build("DECIMAL(38, 0)")
    return node


#: DuckDB's ``round(x, n)`` of a DOUBLE ``x``: ``k / 10^n`` in doubles, where ``k`` is the exact ``x · 10^n``
#: rounded half away from zero (2.675 → 2.67, as the double 2.675 is 2.67499999…; 0.125 → 0.13). Spark's own
#: rounds the shortest decimal text of ``x`` (2.675 → 2.68), so here ``k`` is found in integers: ``|x| = M / 2^s``
#: exactly (``M`` a BIGINT, ``s = 57 - floor(log2 |x|)``: a few off still works), ``k`` by integer division of
#: ``M · 10^n`` by ``2^s`` in DECIMAL(38, 0) and a comparison of the remainder with half of ``2^s``. When the double
#: ``x · 10^n`` reaches 2^52 it is an integer, and DuckDB takes it as ``k``; below 1e-15 the result is a signed
#: zero; a product that overflows keeps ``x`` (as DuckDB does). tests/test_spark_engine.py checks this against DuckDB.
_ROUND_TEMPLATE = """
CASE WHEN {x} IS NULL OR isnan({x}) OR abs({x} * {scale}D) > 1.7976931348623157E308D THEN {x}
     WHEN abs({x} * {scale}D) >= 4503599627370496D THEN ({x} * {scale}D) / {scale}D
     WHEN abs({x}) < 1e-15D THEN {x} * 0D
     ELSE signum({x}) * (CAST({k} AS DOUBLE) / {scale}D)
END"""


def _duckdb_round(x: str, places: int) -> str:
    s = f"(57 - CAST(floor(log2(abs({x}))) AS INT))"
    lo, hi = f"shiftleft(CAST(1 AS BIGINT), least({s}, 62))", f"shiftleft(CAST(1 AS BIGINT), greatest({s} - 62, 0))"
    two_s = f"(CAST({lo} AS DECIMAL(38, 0)) * CAST({hi} AS DECIMAL(38, 0)))"
    m = f"CAST(abs({x}) * CAST({lo} AS DOUBLE) * CAST({hi} AS DOUBLE) AS BIGINT)"
    scaled = f"(CAST({m} AS DECIMAL(38, 0)) * {10**places})"
    q = f"({scaled} div {two_s})"
    k = f"({q} + CASE WHEN 2 * ({scaled} - CAST({q} AS DECIMAL(38, 0)) * {two_s}) >= {two_s} THEN 1 ELSE 0 END)"
    return _ROUND_TEMPLATE.format(x=x, k=k, scale=10**places)


def _rule_round_double(node):
    import sqlglot
    from sqlglot import exp

    decimals = node.args.get("decimals") if isinstance(node, exp.Round) else None
    if decimals is None or not isinstance(node.this, exp.Div):  # only a quotient is surely a double
        return node
    if not (isinstance(decimals, exp.Literal) and decimals.is_int and 1 <= int(decimals.name) <= 3):
        raise ValueError(f"round(…, {decimals.sql()}): no Spark spelling of DuckDB's rounding for these places")
    template = sqlglot.parse_one(_duckdb_round("__x__", int(decimals.name)), read="spark")
    value = node.this
    return template.transform(
        lambda n: exp.paren(value.copy()) if isinstance(n, exp.Column) and n.name == "__x__" else n
    )


def _rule_double_division(node):
    from sqlglot import exp

    if isinstance(node, exp.Div) and not node.args.get("typed"):
        this = node.this
        if not (isinstance(this, exp.Cast) and this.to.this == exp.DataType.Type.DOUBLE):
            node.set("this", exp.cast(this, exp.DataType.build("DOUBLE")))
    return node


_RULES = (_rule_epoch_us, _rule_hugeint, _rule_round_double, _rule_double_division)


@functools.cache
def to_spark_sql(sql: str) -> str:
    """One DuckDB query in Spark's dialect: sqlglot's transpilation plus the rules of this module's docstring."""
    import sqlglot

    statements = sqlglot.parse(sql, read="duckdb")
    if len(statements) != 1 or statements[0] is None:
        raise ValueError("to_spark_sql takes exactly one statement")
    tree = statements[0]
    for rule in _RULES:
        tree = tree.transform(rule)
    return tree.sql(dialect="spark")


# ------------------------------------------------------------------ reading the store


def _spark_path(path: Path, root: Path) -> str:
    """A file of the store as Spark reads it: absolute, and glob characters escaped (a literal name)."""
    text = str(path)
    if "://" not in text:
        p = path if path.is_absolute() or path.exists() else root / path
        text = "file://" + str(p.resolve())
    return re.sub(r"([\\{}\[\]*?])", r"\\\1", text)


def _event_frame(spark, files: list[Path], root: Path):
    from pyspark.sql.pandas.types import from_arrow_schema

    schema = from_arrow_schema(EVENT_SCHEMA, prefer_timestamp_ntz=False)  # timestamps with time zone, in UTC
    return spark.read.schema(schema).parquet(*[_spark_path(p, root) for p in files]).select(*EVENT_SCHEMA.names)


def session_summaries(store, snap=None, *, master: str | None = None) -> pa.Table:
    """``queries.session_summaries()`` over every event of the snapshot, computed by Spark, as Arrow in the
    exact schema of the embedded engine's (:func:`provenance.events_summary_schema`)."""
    master = check_master(master)
    check_available()
    snap = snap or store.snapshot()
    files = store.table_files("events", snap)
    if not files:  # no events: nothing for Spark to do (the summary of no events has no rows)
        return provenance.events_summary_schema().empty_table()
    from pyspark import StorageLevel

    spark = spark_session(master)
    # The query reads `ev` in ten places, grouped by session every time: read the files once, spread by
    # session (every later grouping, window and join by session then needs no shuffle), kept in memory
    # (spilling to disk).
    with _quiet_pyspark():
        ev = _event_frame(spark, files, Path(store.root)).repartition("session_id")
        ev = ev.persist(StorageLevel.MEMORY_AND_DISK)
        ev.createOrReplaceTempView("ev")
        try:
            table = spark.sql(to_spark_sql(queries.session_summaries())).toArrow()
        finally:
            spark.catalog.dropTempView("ev")
            ev.unpersist()
    return conform_summaries(table)


def conform_summaries(table: pa.Table) -> pa.Table:
    """Spark's summaries in the embedded engine's schema; a column of another type is a bug, never cast away."""
    schema = provenance.events_summary_schema()
    if table.column_names != schema.names:
        raise ValueError(f"Spark's summary columns differ: {table.column_names} != {schema.names}")
    cols = []
    for field, col in zip(schema, table.columns, strict=True):
        same = col.type == field.type or (pa.types.is_large_string(col.type) and pa.types.is_string(field.type))
        if not same:
            raise ValueError(f"Spark's summary column {field.name} is {col.type}, the embedded engine's {field.type}")
        cols.append(col.cast(field.type))
    return pa.Table.from_arrays(cols, schema=schema)


def session_catalog(store, snap=None, *, master: str | None = None) -> pa.Table:
    """The session table of the snapshot, its event figures computed by Spark (see the module docstring)."""
    snap = snap or store.snapshot()
    return store.catalog_from_summaries(session_summaries(store, snap, master=master), snap)
