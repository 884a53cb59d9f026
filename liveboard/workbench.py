"""The analyst's entry point: ``wb = liveboard.open("data/store")`` and tidy DataFrames from there.

Every figure comes from :mod:`liveboard.queries` over one snapshot of the store, so a notebook, a
dashboard and the CLI print the same numbers for the same data.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from collections import OrderedDict
from functools import cached_property

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from liveboard import provenance, queries
from liveboard.columns import EXTRA_COLUMNS, IDENTITY_COLUMNS, SESSION_COLUMNS  # noqa: F401 - re-exported
from liveboard.errors import InputError
from liveboard.events import EVENT_SCHEMA
from liveboard.ids import check_session_id
from liveboard.metrics import TREND_COLUMNS
from liveboard.store import Snapshot, Store, default_store_path

#: Columns :meth:`Workbench.sessions` filters on; the cached catalog keeps them in DuckDB too, with each row's
#: position, so that a filter is the same SQL as ever and only the rows it finds are taken from the frame.
FILTER_COLUMNS = ("start", "title", "session_id", "account_id", "live_event_id")
#: The order of :meth:`Workbench.sessions`: newest first.
SESSION_ORDER = "start DESC NULLS LAST, session_id"
#: Results of :meth:`Workbench.accounts` / :meth:`Workbench.account_series` kept per snapshot (the latest used).
RESULTS_KEPT = 32


def parse_date(value: str | dt.date | dt.datetime | None, name: str, *, end_of_day: bool = False):
    """A date or datetime from user input, as an aware UTC datetime (dates: start or end of that day)."""
    try:
        return _parse_date(value, name, end_of_day=end_of_day)
    except OverflowError:  # e.g. --until 9999-12-31: the day after is past datetime.max
        raise InputError(f"{name}: {value!s} is out of range") from None


def _parse_date(value, name: str, *, end_of_day: bool):
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        ts = value
    elif isinstance(value, dt.date):
        ts = dt.datetime.combine(value, dt.time.min)
        if end_of_day:
            ts += dt.timedelta(days=1)
    else:
        text = str(value).strip()
        try:
            ts = dt.datetime.fromisoformat(text)
        except ValueError:
            raise InputError(f"{name}: {text!r} is not a date (use YYYY-MM-DD or an ISO 8601 time)") from None
        if end_of_day and len(text) <= 10:
            ts += dt.timedelta(days=1)
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=dt.UTC)
    return ts.astimezone(dt.UTC)


#: The columns of :meth:`Workbench.accounts`.
ACCOUNT_COLUMNS = (
    ("account_id", "currency", "sessions", "first_live", "last_live")
    + tuple(m for m in queries.ACCOUNT_METRICS if m != "sessions")
    + tuple(f"{m}_sessions" for m in queries.ACCOUNT_METRICS if m != "sessions")
    + tuple(f"{m}_prev" for m in queries.ACCOUNT_METRICS)
    + tuple(f"{m}_change" for m in queries.ACCOUNT_METRICS)
)
MAX_SERIES_ACCOUNTS = 20


def account_range(since, until, now) -> tuple[dt.datetime | None, dt.datetime | None, tuple | None]:
    """The range [since, until) of :meth:`Workbench.accounts` checked, and the previous range of the same
    length ([since − length, since); ``None`` without ``since``). An open end is ``now`` (default: the time)."""
    start = parse_date(since, "since")
    stop = parse_date(until, "until", end_of_day=True)
    if start and stop and start >= stop:
        raise InputError(f"since ({since}) must be before until ({until})")
    if start is None:
        return start, stop, None
    end = stop or parse_date(now, "now") or dt.datetime.now(dt.UTC)
    length = end - start
    if length <= dt.timedelta(0):  # a range that begins in the future has no "before" of its length
        return start, stop, None
    try:
        return start, stop, (start - length, start)
    except OverflowError:  # before year 1
        return start, stop, None


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def session_filter(since=None, until=None, search=None, account=None, live_event=None) -> tuple[str, dict]:
    """The SQL condition (over :data:`FILTER_COLUMNS`) and parameters of :meth:`Workbench.sessions`' filters."""
    start = parse_date(since, "since")
    stop = parse_date(until, "until", end_of_day=True)
    if start and stop and start >= stop:
        raise InputError(f"since ({since}) must be before until ({until})")
    where, params = ["true"], {}
    if start:
        where.append("start >= $since")
        params["since"] = start
    if stop:
        where.append("start < $until")
        params["until"] = stop
    if search:
        where.append("(title ILIKE $search ESCAPE '\\' OR session_id ILIKE $search ESCAPE '\\')")
        params["search"] = _like_pattern(str(search))
    if account:
        where.append("account_id = $account")
        params["account"] = str(account)
    if live_event:
        where.append("live_event_id = $live_event")
        params["live_event"] = str(live_event)
    return " AND ".join(where), params


class Workbench:
    """Read access to one store; cheap to create, reads the newest snapshot on each call.

    What it reads of a snapshot (the session catalog as a frame, the latest accounts tables) is kept until
    the store has a new commit; every call returns a new frame, which the caller may change."""

    def __init__(self, store: Store, *, engine: str = "duckdb", spark_master: str | None = None):
        """``engine="spark"`` computes the session table's event figures on Spark (:mod:`liveboard.spark_engine`,
        extra ``liveboard[spark]``; ``spark_master``: a master URL, default local mode); everything else, and
        the default engine, is DuckDB."""
        from liveboard.spark_engine import check_engine, check_master

        self.store = store
        self.engine = check_engine(engine)
        if spark_master is not None and engine != "spark":
            raise InputError("spark_master needs engine='spark'")
        self.spark_master = check_master(spark_master) if engine == "spark" else None
        self._snapshot: _SnapshotCache | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        if self.engine == "spark":
            return f"liveboard.open({str(self.store.root)!r}, engine='spark', spark_master={self.spark_master!r})"
        return f"liveboard.open({str(self.store.root)!r})"

    def _state(self) -> _SnapshotCache:
        """What is kept of the newest snapshot (its connection, its catalog, recent results); built again
        when the store has a new commit. The key is the snapshot: the version of every table and the time
        of the head's commit (a version number written again by ``store repair`` is another key)."""
        snap = self.store.snapshot()
        key = snap
        state = self._snapshot
        if state is not None and state.key == key:
            return state
        with self._lock:
            state = self._snapshot
            if state is None or state.key != key:
                con, _ = self.store.connect(snap)
                con.execute("SET TimeZone = 'UTC'")
                if self.engine == "spark":
                    self._use_spark_catalog(con, snap)
                state = self._snapshot = _SnapshotCache(key, con)
            return state

    def _con(self) -> duckdb.DuckDBPyConnection:
        """A cursor on the catalog of the newest snapshot; the connection is reused until a new commit."""
        return self._state().cursor()

    def _use_spark_catalog(self, con: duckdb.DuckDBPyConnection, snap) -> None:
        """Make ``sessions`` the session table whose event figures Spark computed over the snapshot."""
        from liveboard import spark_engine

        catalog = spark_engine.session_catalog(self.store, snap, master=self.spark_master)
        kinds = con.execute(
            "SELECT 'TABLE' FROM duckdb_tables() WHERE table_name = 'sessions' "
            "UNION ALL SELECT 'VIEW' FROM duckdb_views() WHERE view_name = 'sessions' AND NOT internal"
        ).fetchall()
        for (kind,) in kinds:
            con.execute(f"DROP {kind} sessions")
        con.register("_spark_catalog", catalog)
        con.execute("CREATE TABLE sessions AS SELECT * FROM _spark_catalog")  # a table: seen by every cursor
        con.unregister("_spark_catalog")

    def _private_con(self) -> duckdb.DuckDBPyConnection:
        """A connection of its own, for work that creates tables (one session's events)."""
        con, _ = self.store.connect()
        con.execute("SET TimeZone = 'UTC'")
        return con

    def sessions(
        self,
        since: str | dt.date | None = None,
        until: str | dt.date | None = None,
        search: str | None = None,
        account: str | None = None,
        live_event: str | None = None,
    ) -> pd.DataFrame:
        """One row per session, newest first, with every session metric of the spec.

        ``since`` / ``until`` bound the start time (``until`` as a date includes that whole day); ``search``
        matches the title, case-insensitively, as plain text.

        The catalog is converted once per snapshot; a filter is its SQL over the kept rows, and the rows it
        finds are taken from the kept frame with the dtypes the query alone would give them.
        """
        state = self._state()
        where, params = session_filter(since, until, search, account, live_event)
        if not state.keeps_catalog(filtered=bool(params)):
            sql = state.sessions_sql(where)
            if sql is not None:
                return state.cursor().execute(sql, params).df()
        frame = state.catalog()
        if frame is None:  # no catalog yet: the empty frame still has every column
            return pd.DataFrame(columns=list(SESSION_COLUMNS + EXTRA_COLUMNS))
        if not params:
            return frame.copy()
        rows = state.positions(where, params)
        return _as_queried(frame.take(rows).reset_index(drop=True))

    def _has_catalog(self, con: duckdb.DuckDBPyConnection) -> bool:
        try:
            cols = {r[0] for r in con.execute("DESCRIBE sessions").fetchall()}
        except duckdb.Error:
            return False
        return {"start", "gmv", "account_id"} <= cols

    def accounts(
        self,
        since: str | dt.date | None = None,
        until: str | dt.date | None = None,
        search: str | None = None,
        *,
        now: str | dt.datetime | None = None,
    ) -> pd.DataFrame:
        """One row per account (and currency: money is never added across currencies) over the sessions
        starting in the range: sessions, first and last LIVE, hours live, GMV, GMV per hour, items sold,
        viewers, CTR and CTOR (:data:`ACCOUNT_COLUMNS`; :func:`liveboard.queries.accounts` says how each is
        computed), how many sessions have each figure, and the change against the previous range of the
        same length (``<figure>_prev``, ``<figure>_change``; null without a previous range or figure).

        ``since`` / ``until`` bound the start time as in :meth:`sessions`; a range open at the end ends
        ``now`` (default: the current time) for the length of the previous range; without ``since`` there
        is no previous range. ``search`` matches the account id, case-insensitively, as plain text.
        """
        state = self._state()
        start, stop, prev = account_range(since, until, now)
        params: dict[str, object] = {}
        if start:
            params["since"] = start
        if stop:
            params["until"] = stop
        if prev:
            params["prev_since"], params["prev_until"] = prev
        if search:
            params["search"] = _like_pattern(str(search))
        sql = queries.accounts(since=bool(start), until=bool(stop), previous=bool(prev), search=bool(search))
        try:
            return state.query(sql, params)
        except duckdb.Error:
            if self._has_catalog(state.cursor()):
                raise
            return pd.DataFrame(columns=list(ACCOUNT_COLUMNS))  # no catalog yet: the empty frame has every column

    def account_series(
        self,
        accounts: list[str] | tuple[str, ...],
        since: str | dt.date | None = None,
        until: str | dt.date | None = None,
        every: str = "day",
    ) -> pd.DataFrame:
        """Per account of ``accounts`` (at most :data:`MAX_SERIES_ACCOUNTS`), currency and day or week
        (``every``; weeks begin on Monday, UTC): sessions, hours live, GMV, items sold and viewers of the
        sessions starting then — the sums of :meth:`accounts`, over time, for a chart of the top accounts."""
        if every not in ("day", "week"):
            raise InputError(f"every: {every!r} is not 'day' or 'week'")
        if isinstance(accounts, str) or not all(isinstance(a, str) for a in accounts):
            raise InputError("accounts: give a list of account ids")
        if len(accounts) > MAX_SERIES_ACCOUNTS:
            raise InputError(f"accounts: at most {MAX_SERIES_ACCOUNTS} accounts in one chart, not {len(accounts)}")
        start, stop, _prev = account_range(since, until, None)
        empty = pd.DataFrame(columns=["account_id", "currency", "period", *queries.ACCOUNT_SERIES])
        if not accounts:
            return empty
        state = self._state()
        params: dict[str, object] = {"accounts": list(accounts)}
        if start:
            params["since"] = start
        if stop:
            params["until"] = stop
        sql = queries.account_series(since=bool(start), until=bool(stop), every=every)
        try:
            return state.query(sql, params)
        except duckdb.Error:
            if self._has_catalog(state.cursor()):
                raise
            return empty

    def live_events(self, account: str | None = None) -> pd.DataFrame:
        """LIVE events with their sessions: a session without ``live_event_id`` is its own event."""
        df = self.sessions(account=account)
        if df.empty:
            return df.assign(event_id=pd.Series(dtype=str))
        df = df.assign(event_id=df["live_event_id"].fillna(df["session_id"]))
        return df.sort_values(["start"], ascending=False)

    def session(self, session_id: str) -> SessionData:
        session_id = check_session_id(session_id, "session")  # one id rule, wherever the id comes from
        con = self._con()
        row = con.execute("SELECT * FROM sessions WHERE session_id = ?", [session_id]).df()
        if row.empty:
            raise InputError(f"no session {session_id!r} in {self.store.root}")
        return SessionData(self, row.iloc[0])

    def quarantine(self) -> pd.DataFrame:
        """Rows set aside by imports: file, line, reason, and the raw text."""
        return self._con().sql("SELECT * FROM quarantine").df()


class _SnapshotCache:
    """One snapshot of the store as the workbench reads it: a DuckDB connection holding its tables (each call
    takes a cursor), the session catalog converted once to the frame :meth:`Workbench.sessions` returns, and
    the latest query results. Nothing here changes while the snapshot is the newest; callers get copies."""

    def __init__(self, key: Snapshot, con: duckdb.DuckDBPyConnection):
        self.key = key
        self.con = con
        self._lock = threading.Lock()  # the counters and the results
        self._catalog_lock = threading.Lock()  # held while the catalog is converted
        self._types: dict[str, str] | None = None
        self._catalog: pd.DataFrame | None = None
        self._catalog_read = False
        self._reads = 0
        self._results: OrderedDict[tuple, pd.DataFrame] = OrderedDict()

    def cursor(self) -> duckdb.DuckDBPyConnection:
        cur = self.con.cursor()
        cur.execute("SET TimeZone = 'UTC'")
        return cur

    def _column_types(self) -> dict[str, str]:
        """The catalog's column types (read once; none when there is no catalog)."""
        if self._types is None:
            try:
                self._types = {r[0]: r[1] for r in self.cursor().execute("DESCRIBE sessions").fetchall()}
            except duckdb.Error:
                self._types = {}
        return self._types

    def sessions_sql(self, where: str) -> str | None:
        """The query of :meth:`Workbench.sessions` with condition ``where`` (None: no catalog yet)."""
        types = self._column_types()
        if not {"start", "gmv"} <= types.keys():
            return None
        select = ", ".join(f'"{c}"' for c in SESSION_COLUMNS + EXTRA_COLUMNS if c in types)
        return f"SELECT {select} FROM sessions WHERE {where} ORDER BY {SESSION_ORDER}"

    def keeps_catalog(self, filtered: bool) -> bool:
        """Whether this read of the sessions goes through :meth:`catalog`: not the first read of a snapshot
        when it is filtered (a one-off command reads only its rows, as the query alone costs less than
        converting the whole catalog); every other."""
        with self._lock:
            self._reads += 1
            return self._catalog_read or not filtered or self._reads > 1

    def catalog(self) -> pd.DataFrame | None:
        """Every session, newest first, as :meth:`Workbench.sessions` gives it (None: no catalog yet).

        Read once per snapshot. Its list cells (``sources``) are made read-only: a copy of the frame shares
        them, and changing one in place would change every later result."""
        if self._catalog_read:
            return self._catalog
        with self._catalog_lock:
            if self._catalog_read:
                return self._catalog
            cur = self.cursor()
            sql = self.sessions_sql("true")
            frame = None
            if sql is not None:
                frame = cur.execute(sql).df()
                types = self._column_types()
                _freeze_cells(frame, [c for c in frame.columns if types[c].endswith("[]")])
                self._index(cur, frame)
            self._catalog, self._catalog_read = frame, True
            return frame

    def _index(self, cur: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> None:
        """Table ``_session_rows``: each row's position in ``frame`` and the columns filters read (typed as in
        ``sessions``), so that a filter is the same SQL and finds exactly the frame's rows."""
        cols = [c for c in FILTER_COLUMNS if c in frame.columns]
        rows = pa.table(
            {"_pos": pa.array(np.arange(len(frame), dtype=np.int64))}
            | {c: pa.Array.from_pandas(frame[c]) for c in cols}
        )
        cur.register("_incoming_rows", rows)
        try:
            types = self._column_types()
            typed = ", ".join(["_pos"] + [f'CAST("{c}" AS {types[c]}) AS "{c}"' for c in cols])
            cur.execute(f"CREATE OR REPLACE TABLE _session_rows AS SELECT {typed} FROM _incoming_rows")
        finally:
            cur.unregister("_incoming_rows")

    def positions(self, where: str, params: dict) -> np.ndarray:
        """The positions in :meth:`catalog` of its rows matching ``where`` (SQL over :data:`FILTER_COLUMNS`)."""
        sql = f"SELECT _pos FROM _session_rows WHERE {where} ORDER BY _pos"
        return np.asarray(self.cursor().execute(sql, params).fetchnumpy()["_pos"], dtype=np.int64)

    def query(self, sql: str, params: dict) -> pd.DataFrame:
        """``sql`` with ``params`` as a DataFrame, run once per snapshot while it stays among the latest
        :data:`RESULTS_KEPT`; each caller gets its own copy."""
        key = (sql, tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in params.items())))
        with self._lock:
            out = self._results.get(key)
            if out is not None:
                self._results.move_to_end(key)
        if out is None:
            out = self.cursor().execute(sql, params).df()
            with self._lock:
                self._results[key] = out
                while len(self._results) > RESULTS_KEPT:
                    self._results.popitem(last=False)
        return out.copy()


def _freeze_cells(frame: pd.DataFrame, columns: list[str]) -> None:
    """Make the arrays in ``columns`` (DuckDB's lists: one array per cell) read-only: a copy of the frame
    does not copy them."""
    for name in columns:
        for value in frame[name].to_numpy():
            if isinstance(value, np.ndarray):
                value.flags.writeable = False


def _as_queried(df: pd.DataFrame) -> pd.DataFrame:
    """Rows taken from the cached catalog, with the dtypes DuckDB's ``.df()`` gives a query returning just
    these rows: it chooses them from the values — an integer or boolean column with a null is a masked
    array (``Int64``, ``boolean``), without one a NumPy array (``int64``, ``bool``); text is ``str`` unless
    no row has any (then ``object``, ``None``, as pandas infers). ``tests/test_workbench_cache.py`` holds
    it to the query itself. Changes ``df`` (a new frame) in place and returns it."""
    for name, dtype in df.dtypes.items():
        if isinstance(dtype, pd.api.extensions.ExtensionDtype) and dtype.kind in "iub":  # Int64, boolean, …
            if not df[name].hasnans:
                df[name] = df[name].to_numpy(dtype=dtype.numpy_dtype)
        elif isinstance(dtype, pd.StringDtype) and df[name].count() == 0:
            df[name] = pd.Series(np.full(len(df), None, dtype=object), index=df.index, dtype=object)
    return df


class SessionData:
    """Everything about one session; its events are loaded once, on first use."""

    def __init__(self, wb: Workbench, info: pd.Series):
        self.wb = wb
        self.info = info
        self.id: str = str(info["session_id"])

    def __repr__(self) -> str:
        return f"<session {self.id!r}: {self.info.get('title')!r}>"

    @cached_property
    def _con(self) -> duckdb.DuckDBPyConnection:
        con = self.wb._private_con()
        self.wb.store.define_events(con, [self.id], materialize=True)
        return con

    def _q(self, sql: str) -> pd.DataFrame:
        return self._con.sql(sql).df().drop(columns=["session_id"], errors="ignore")

    def summary(self) -> pd.Series:
        """Every session metric: the summary stored at import, or computed afresh while it lags (live)."""
        if not bool(self.info.get("stale", False)):
            return self.info.copy()
        df = self._con.sql(queries.session_summaries()).df()
        if df.empty:
            return self.info.copy()
        return df.iloc[0]

    @property
    def has_events(self) -> bool:
        return self.info.get("source") == "events"

    def _sources_q(self, sql: str, **params) -> pd.DataFrame:
        """A query over the catalog's source tables, for this session."""
        return self.wb._con().execute(sql, {"sid": self.id, **params}).df()

    def trend(self) -> pd.DataFrame:
        """Per minute from the events; for a session without events, the trend a source gave (the API's
        per-minute one before an export's 5-minute one), with ``interval_s`` and ``source``."""
        if self.has_events:
            return self._q(queries.trend())
        start = self.info.get("start")
        sql = queries.source_trend(provenance.RANK, TREND_COLUMNS, tuple(provenance.TREND_FIGURES))
        df = self._sources_q(sql, start=None if pd.isna(start) else start)
        if df.empty:
            return self._q(queries.trend())
        return df

    def products(self) -> pd.DataFrame:
        """Per product from the events (names a source gave fill in those the events lack); for a
        session without events, the products a source gave."""
        if not self.has_events:
            df = self._sources_q(queries.source_products(provenance.RANK))
            return df if not df.empty else self._q(queries.products())
        df = self._q(queries.products())
        if not df.empty and df["name"].isna().any():
            names = self._sources_q(queries.source_product_names(provenance.RANK))
            if not names.empty:
                known = dict(zip(names["product_id"], names["name"], strict=True))
                df["name"] = df["name"].fillna(df["product_id"].map(known))
        return df

    def gaps(self) -> pd.DataFrame:
        """Stretches a recorder of this LIVE missed: gap_start, gap_end, reason (and the source)."""
        return self._sources_q(queries.session_gaps())

    def sources(self) -> list[str]:
        """Where this session's figures come from, e.g. ``["recorder", "api"]``."""
        value = self.info.get("sources")
        if value is None or (not hasattr(value, "__len__") and pd.isna(value)):
            return ["events"] if self.has_events else []
        return [str(v) for v in value]

    def figure_sources(self) -> dict[str, str]:
        """{metric: source} for every figure of the session that some source knows."""
        value = self.info.get("figure_sources")
        if isinstance(value, str):
            return json.loads(value)
        return {n: "events" for n in provenance.figure_names() if n in self.info and not pd.isna(self.info[n])}

    def pins(self) -> pd.DataFrame:
        return self._q(queries.pins())

    def channels(self) -> pd.DataFrame:
        return self._q(queries.channels())

    def giveaways(self) -> pd.DataFrame:
        return self._q(queries.giveaways())

    def audience(self) -> pd.DataFrame:
        return self._q(queries.audience())

    def violations(self) -> pd.DataFrame:
        return self._q(queries.violations())

    def markers(self) -> pd.DataFrame:
        return self._q(queries.markers())

    def comments(self, search: str | None = None) -> pd.DataFrame:
        df = self._q(queries.comments())
        if search:
            df = df[df["text"].str.contains(str(search), case=False, regex=False, na=False)]
        return df.reset_index(drop=True)

    def events(self) -> pa.Table:
        """The session's events in event-log order (for export and replay)."""
        return self._con.sql("SELECT * FROM ev ORDER BY ts, seq").to_arrow_table().cast(EVENT_SCHEMA)


def open(  # noqa: A001 - liveboard.open reads well
    store: str | os.PathLike | None = None, engine: str = "duckdb", spark_master: str | None = None
) -> Workbench:
    """Open a store (default ``$LIVEBOARD_STORE`` or ``./data/store``) for reading; ``engine="spark"``
    computes the session table on Apache Spark (``spark_master``: a master URL; default local mode)."""
    return Workbench(
        Store(store if store is not None else default_store_path()), engine=engine, spark_master=spark_master
    )
