"""Validation of event-log lines as one DuckDB pass per table of lines: typed events, and a reason for each
bad row (the checks of event-log-v1, generated from the event vocabulary)."""

from __future__ import annotations

from collections import Counter

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from liveboard.eventlog.problems import BAD_ROW_SCHEMA
from liveboard.eventlog.result import ReadResult
from liveboard.events import COMMON_FIELDS, EVENT_SCHEMA, EVENT_TYPES, PAYLOAD_COLUMNS, Field
from liveboard.ids import SESSION_ID_PATTERN
from liveboard.quoting import sql_literal

#: Epoch milliseconds of 2000-01-01 and 2100-01-01 UTC: a ``ts`` from ``_MS_MIN`` up to (not including)
#: ``_MS_MAX`` is plausible for a LIVE; any other is a bad row (an integer in seconds, a typo'd year).
_MS_MIN, _MS_MAX = 946_684_800_000, 4_102_444_800_000
TS_RANGE = "2000-01-01 to 2100-01-01 (UTC)"

#: The largest value each integer field may take (by event type where they differ): a bigger one is a bad
#: row, so that no sum over a session (likes, items sold, diamonds × count) can overflow 64 bits.
INT_MAXIMUM = {"quantity": 1_000_000, "diamonds": 1_000_000, "count": 1_000_000, "winners_planned": 1_000_000}
INT_MAXIMUM_BY_TYPE = {("viewer_count", "count"): 1_000_000_000}
#: The largest money amount (major units) of one order line or price: DECIMAL(24, 6) holds it exactly.
MONEY_MAXIMUM = 1_000_000_000_000


def _maximum(etype: str, name: str) -> int:
    return INT_MAXIMUM_BY_TYPE.get((etype, name), INT_MAXIMUM.get(name, 1_000_000_000))


def _field_check(f: Field, t: str, v: str, etype: str = "") -> list[tuple[str, str]]:
    """(failing-condition SQL, reason) pairs for one field; ``t`` is its JSON type, ``v`` its text."""
    absent = f"({t} IS NULL OR {t} = 'NULL')"
    checks: list[tuple[str, str]] = []
    if f.required:
        checks.append((absent, f"missing required field '{f.name}'"))
    present = f"NOT {absent}"
    if f.kind == "str":
        checks.append((f"{present} AND {t} <> 'VARCHAR'", f"field '{f.name}' must be a string"))
        if f.choices:
            allowed = ", ".join(sql_literal(c) for c in f.choices)
            checks.append(
                (f"{present} AND {v} NOT IN ({allowed})", f"field '{f.name}' must be one of {', '.join(f.choices)}")
            )
    elif f.kind == "int":
        checks.append(
            (
                f"{present} AND ({t} NOT IN ('UBIGINT', 'BIGINT') OR TRY_CAST({v} AS BIGINT) IS NULL)",
                f"field '{f.name}' must be an integer",
            )
        )
        if f.minimum is not None:
            checks.append(
                (
                    f"{present} AND {t} IN ('UBIGINT', 'BIGINT') AND TRY_CAST({v} AS HUGEINT) < {f.minimum}",
                    f"field '{f.name}' must be at least {f.minimum}",
                )
            )
        top = _maximum(etype, f.name)
        checks.append(
            (
                f"{present} AND TRY_CAST({v} AS HUGEINT) > {top}",
                f"field '{f.name}' must be at most {top:,}",
            )
        )
    elif f.kind == "bool":
        checks.append((f"{present} AND {t} <> 'BOOLEAN'", f"field '{f.name}' must be true or false"))
    elif f.kind == "money":
        checks.append(
            (
                f"{present} AND {t} NOT IN ('VARCHAR', 'UBIGINT', 'BIGINT', 'DOUBLE')",
                f"field '{f.name}' must be a decimal number",
            )
        )
        checks.append(
            (
                f"{present} AND abs(TRY_CAST(trim({v}) AS DOUBLE)) > {MONEY_MAXIMUM}",
                f"field '{f.name}' must be at most {MONEY_MAXIMUM:,}",
            )
        )
        checks.append(
            (
                f"{present} AND TRY_CAST(trim({v}) AS DECIMAL(24, 6)) IS NULL",
                f"field '{f.name}' must be a decimal number",
            )
        )
        checks.append(
            (
                f"{present} AND TRY_CAST(trim({v}) AS DECIMAL(24, 6)) < 0",
                f"field '{f.name}' must not be negative (refunds are a status, not a negative amount)",
            )
        )
    elif f.kind == "str_list":
        checks.append((f"{present} AND {t} <> 'ARRAY'", f"field '{f.name}' must be a list of strings"))
    return checks


#: The event types common enough in a LIVE's log to be read by a branch of their own (only their fields
#: parsed: fast per line, but each branch costs some milliseconds to plan); the rest share one branch.
_OWN_BRANCH = ("impression", "product_impression", "like", "viewer_enter", "viewer_leave", "comment", "product_click")


def _ct(name: str) -> str:
    """The column holding a common field's JSON type."""
    return f"t_{name}"


def _cs(name: str) -> str:
    """The column holding a common field's text."""
    return f"v_{name}"


def _payload_defaults() -> dict[str, object]:
    """Each payload column's default when absent."""
    # the first type owning a column gives its default for every type (as the one-CASE reader had it)
    owners = {
        name: [et for et, fs in EVENT_TYPES.items() if any(f.name == name for f in fs)] for name in PAYLOAD_COLUMNS
    }
    return {
        name: next((f.default for et in owners[name] for f in EVENT_TYPES[et] if f.name == name), None)
        for name in PAYLOAD_COLUMNS
    }


def _common_checks() -> list[tuple[str, str]]:
    """(failing-condition SQL, reason SQL) of the checks every event meets, over the common fields, in order."""
    ms = "ts_ms"
    is_int = f"{_ct('ts')} <> 'VARCHAR'"
    ts_prefix = sql_literal("'ts' ")

    def looks_like(unit: str, scale: float) -> tuple[str, str]:
        lo, hi = int(_MS_MIN * scale), int(_MS_MAX * scale)
        return (
            f"{is_int} AND {ms} >= {lo} AND {ms} < {hi}",
            f"{ts_prefix} || {_cs('ts')} || {sql_literal(f' looks like epoch {unit} (use milliseconds)')}",
        )

    return [
        (f"{_ct('id')} IS DISTINCT FROM 'VARCHAR'", sql_literal("missing or non-string 'id'")),
        (f"{_ct('type')} IS DISTINCT FROM 'VARCHAR'", sql_literal("missing or non-string 'type'")),
        (f"{_ct('session_id')} IS DISTINCT FROM 'VARCHAR'", sql_literal("missing or non-string 'session_id'")),
        (f"{_ct('ts')} IS NULL OR {_ct('ts')} = 'NULL'", sql_literal("missing 'ts'")),
        (
            f"{_ct('ts')} NOT IN ('VARCHAR', 'UBIGINT', 'BIGINT')",
            sql_literal("'ts' must be an ISO 8601 string with a UTC offset or integer epoch milliseconds"),
        ),
        looks_like("seconds", 1e-3),
        looks_like("microseconds", 1e3),
        looks_like("nanoseconds", 1e6),
        (
            f"{is_int} AND NOT coalesce({ms} >= {_MS_MIN} AND {ms} < {_MS_MAX}, false)",
            sql_literal(f"'ts' out of range: epoch milliseconds from {TS_RANGE} expected"),
        ),
        (
            f"{_ct('ts')} = 'VARCHAR' AND (NOT regexp_matches({_cs('ts')}, '(Z|z|[+-]\\d\\d(:?\\d\\d)?)$') "
            f"OR ts_cast IS NULL)",
            sql_literal("'ts' is not an ISO 8601 timestamp with a UTC offset"),
        ),
        (
            f"{_ct('ts')} = 'VARCHAR' AND NOT coalesce(epoch_ms(ts_cast) BETWEEN {_MS_MIN} AND {_MS_MAX - 1}, false)",
            sql_literal(f"'ts' out of range: a time from {TS_RANGE} expected"),
        ),
        (f"{_cs('id')} = '' OR {_cs('session_id')} = ''", sql_literal("'id' and 'session_id' must not be empty")),
        (
            f"NOT regexp_full_match({_cs('session_id')}, {sql_literal(SESSION_ID_PATTERN)}) OR contains({_cs('session_id')}, '..')",
            sql_literal(
                "'session_id' is not a valid session id (at most 128 letters, digits and . _ @ : + -, "
                "starting with a letter, digit or _; no '..')"
            ),
        ),
    ]


def _head_sql(common: list[str], common_paths: str) -> str:
    """The CTEs up to ``judged``: each line parsed once for the common fields, and the common checks' reason."""
    cidx = {name: i + 1 for i, name in enumerate(common)}
    checks = _common_checks()
    whens = [
        "WHEN pre_reason IS NOT NULL THEN pre_reason",
        "WHEN NOT is_json THEN 'not valid JSON'",
        "WHEN root <> 'OBJECT' THEN 'not a JSON object'",
    ] + [f"WHEN {cond} THEN {reason}" for cond, reason in checks]
    ts_expr = (
        f"CASE WHEN {_ct('ts')} = 'VARCHAR' THEN ts_cast "
        f"WHEN ts_ms BETWEEN {_MS_MIN} AND {_MS_MAX - 1} THEN make_timestamptz(ts_ms * 1000) END"
    )
    known_types = ", ".join(sql_literal(x) for x in EVENT_TYPES)
    # a list element is read once into a column of its own: each check then reads it without a copy
    scalars = ", ".join(f"ct[{i}] AS {_ct(n)}, cs[{i}] AS {_cs(n)}" for n, i in cidx.items())
    return f"""
    WITH checked AS (
        SELECT line_no, line, pre_reason, try(json_type(line, {common_paths})) AS ct FROM lines
    ), valid AS (
        SELECT line_no, line, pre_reason, ct IS NOT NULL AS is_json, CASE WHEN ct IS NOT NULL THEN line ELSE '{{}}' END AS j,
               ct FROM checked
    ), parsed AS (
        SELECT line_no, line, pre_reason, is_json, CASE WHEN left(j, 1) = '{{' THEN 'OBJECT' ELSE json_type(j) END AS root, j,
               ct, json_extract_string(j, {common_paths}) AS cs
        FROM valid
    ), scalars AS (
        SELECT line_no, line, pre_reason, is_json, root, j, {scalars} FROM parsed
    ), timed AS (
        SELECT *, TRY_CAST({_cs("ts")} AS TIMESTAMPTZ) AS ts_cast, TRY_CAST({_cs("ts")} AS BIGINT) AS ts_ms FROM scalars
    ), reasoned AS (
        SELECT line_no, CASE WHEN NOT is_json OR pre_reason IS NOT NULL THEN line END AS odd_line, j,
               {_cs("id")} AS e_id, {_cs("type")} AS e_type, {_cs("session_id")} AS e_sid, {ts_expr} AS e_ts,
               CASE {" ".join(whens)} END AS reason
        FROM timed
    ), judged AS MATERIALIZED (
        SELECT *, CASE WHEN reason IS NULL AND e_type IN ({known_types}) THEN e_type END AS etype FROM reasoned
    )"""


def _branch_sql(group: list[str], defaults: dict[str, object], extra: str, n_common: int) -> str:
    """One branch of the UNION: the events of ``group`` read with only their own fields, checked in order."""
    names = [n for n in PAYLOAD_COLUMNS if any(f.name == n for et in group for f in EVENT_TYPES[et])]
    fidx = {name: i + 1 for i, name in enumerate(names)}
    paths = "[" + ", ".join(sql_literal(f"$.{n}") for n in names) + "]"
    cases = []
    for etype in group:
        type_checks = [
            f"WHEN {cond} THEN {sql_literal(etype + ': ' + reason)}"
            for f in EVENT_TYPES[etype]
            for cond, reason in _field_check(f, f"t{fidx[f.name]}", f"v{fidx[f.name]}", etype)
        ]
        if type_checks:
            cases.append((etype, f"CASE {' '.join(type_checks)} END"))
    if len(group) == 1:
        reason = cases[0][1] if cases else "NULL::VARCHAR"
    else:
        reason = "CASE e_type " + " ".join(f"WHEN {sql_literal(et)} THEN {c}" for et, c in cases) + " END"
    cols = []
    for name in names:
        kind = PAYLOAD_COLUMNS[name]
        t, v = f"t{fidx[name]}", f"v{fidx[name]}"
        absent = f"({t} IS NULL OR {t} = 'NULL')"
        if kind == "str":
            expr = v
        elif kind == "int":
            expr = f"TRY_CAST({v} AS BIGINT)"
        elif kind == "bool":
            expr = f"({v} = 'true')"
        elif kind == "money":
            expr = f"TRY_CAST(trim({v}) AS DECIMAL(24, 6))"
        else:  # str_list
            expr = f"json_extract_string(j, '$.{name}[*]')"
        owning = [et for et in group if any(f.name == name for f in EVENT_TYPES[et])]
        own = "" if len(owning) == len(group) else f"e_type IN ({', '.join(sql_literal(et) for et in owning)}) AND "
        default = defaults[name]
        if default is not None:
            lit = sql_literal(str(default)) if isinstance(default, str) else str(default)
            expr = f"CASE WHEN {absent} THEN {lit} ELSE {expr} END"
            cols.append(f"CASE WHEN {own}TRUE THEN {expr} END AS {name}" if own else f"{expr} AS {name}")
        else:
            cols.append(f"CASE WHEN {own}NOT {absent} THEN {expr} END AS {name}")
    # keys beyond the four common fields and the branch's present ones: maybe extra (the merge tells)
    present = " + ".join(f"(t{i} IS NOT NULL)::INTEGER" for i in fidx.values()) or "0"
    parse = f", json_type(j, {paths}) AS jt, json_extract_string(j, {paths}) AS js" if names else ""
    carry = "".join(f", t{i}, v{i}" for i in fidx.values())
    split = "".join(f", jt[{i}] AS t{i}, js[{i}] AS v{i}" for i in fidx.values())
    which = f"= {sql_literal(group[0])}" if len(group) == 1 else f"IN ({', '.join(sql_literal(et) for et in group)})"
    return (
        "SELECT line_no, CASE WHEN reason IS NOT NULL THEN j END AS line, reason, NULL::VARCHAR AS unknown_type, "
        "e_sid AS session_id, e_id AS id, e_type AS type, e_ts AS ts, "
        + "".join(c + ", " for c in cols)
        + f"CASE WHEN len(json_keys(j)) > {n_common} + {present} THEN {extra} END AS extra "
        f"FROM (SELECT line_no, j, e_id, e_type, e_sid, e_ts{carry}, {reason} AS reason FROM ("
        f"SELECT line_no, j, e_id, e_type, e_sid, e_ts{split} FROM ("
        f"SELECT line_no, j, e_id, e_type, e_sid, e_ts{parse} FROM judged WHERE etype {which})))"
    )


def _validation_sql() -> str:
    """SQL that turns (line_no, line[, pre_reason]) rows into typed event columns plus a ``reason`` for bad rows.

    Each line's JSON is parsed for the four common fields first; the checks every event meets run on those
    (``judged``, computed once). Then each common event type reads only its own fields (a branch of a UNION
    ALL per type, :data:`_OWN_BRANCH`), so most lines do not pay for the thirty fields of every type; the
    rarer types share one branch. The reasons, their order and the values
    are those of one CASE over every field: the common checks first, then the type's fields in their order.
    Rows come out in no particular order (``_i``, each row's position in ``lines``, tells).
    """
    common = list(COMMON_FIELDS)
    common_paths = "[" + ", ".join(sql_literal(f"$.{p}") for p in common) + "]"
    defaults = _payload_defaults()
    known_keys = "{" + ", ".join(f'"{k}": null' for k in common + list(PAYLOAD_COLUMNS)) + "}"
    extra = f"NULLIF(json_merge_patch(j, '{known_keys}')::VARCHAR, '{{}}')"
    head = _head_sql(common, common_paths)
    branches = [
        "SELECT line_no, coalesce(odd_line, j) AS line, reason, "
        "CASE WHEN reason IS NULL THEN e_type END AS unknown_type "
        "FROM judged WHERE etype IS NULL"
    ]
    rest = [et for et in EVENT_TYPES if et not in _OWN_BRANCH]
    branches += [_branch_sql(group, defaults, extra, len(common)) for group in [[et] for et in _OWN_BRANCH] + [rest]]
    # BY NAME: a branch gives its type's columns only, the others are null; _i is the row's input position
    sql = head + "\n    " + "\n    UNION ALL BY NAME ".join(branches)
    return sql.replace("SELECT line_no, ", "SELECT _i, line_no, ")


VALIDATION_SQL = _validation_sql()
#: The validation as a table macro, for the cursors of a stream: its text is parsed once per cursor, not once
#: per part (planning the big statement is a good part of a small pass).
VALIDATE_MACRO = f"CREATE TEMP MACRO liveboard_validate() AS TABLE {VALIDATION_SQL}"
VALIDATE_CALL = "SELECT * FROM liveboard_validate()"
LINES_SCHEMA = pa.schema(
    [("line_no", pa.int64()), ("line", pa.large_string()), ("pre_reason", pa.string()), ("_i", pa.int64())]
)


def validated(
    lines: pa.Table, source: str, con: duckdb.DuckDBPyConnection, *, ordered: bool = True, query: str = VALIDATION_SQL
) -> tuple[pa.Table, pa.Table, Counter]:
    """One DuckDB pass over (line_no, line[, pre_reason]): events (``seq`` = line number), bad rows, unknown types.

    Rows come out of the pass grouped by type; ``ordered`` puts the events back in line order (bad rows are
    always in line order). ``query``: :data:`VALIDATION_SQL`, or :data:`VALIDATE_CALL` on a cursor that has the macro."""
    if "pre_reason" not in lines.column_names:
        lines = lines.append_column("pre_reason", pa.nulls(lines.num_rows, pa.string()))
    lines = lines.select(["line_no", "line", "pre_reason"]).append_column("_i", pa.array(np.arange(lines.num_rows)))
    con.register("lines", lines)
    try:
        out = con.sql(query).to_arrow_table()
    finally:
        con.unregister("lines")
    if ordered:
        out = _in_line_order(out)
    reason = out["reason"]
    bad_mask = pc.is_valid(reason)
    bad = out.filter(bad_mask)
    if not ordered and bad.num_rows:
        bad = _in_line_order(bad)
    bad_tbl = pa.table(
        {
            "file": pa.array([source] * bad.num_rows, pa.string()),
            "line": bad["line_no"],
            "reason": bad["reason"],
            "raw": pc.utf8_rtrim(bad["line"].cast(pa.large_string()), "\r\n"),
        },
        schema=BAD_ROW_SCHEMA,
    )
    ok = out.filter(pc.invert(bad_mask)) if bad.num_rows else out
    unknown: Counter[str] = Counter()
    unk_col = ok["unknown_type"]
    if unk_col.null_count < len(unk_col):
        for row in pc.value_counts(unk_col.drop_null()).to_pylist():
            unknown[row["values"]] = row["counts"]
        ok = ok.filter(pc.is_null(unk_col))
    ok = ok.append_column("seq", ok["line_no"])
    events = ok.select(EVENT_SCHEMA.names).cast(EVENT_SCHEMA)
    return events, bad_tbl, unknown


def _in_line_order(out: pa.Table) -> pa.Table:
    order = out["_i"].to_numpy()
    if len(order) > 1 and not (order[1:] > order[:-1]).all():  # rows come out as the branches give them
        out = out.take(pa.array(np.argsort(order)))
    return out


def parse_lines(lines: pa.Table, source: str, con: duckdb.DuckDBPyConnection | None = None) -> ReadResult:
    """Validate a table of (line_no, line[, pre_reason]) from one source into events, bad rows and unknown types."""
    events, bad, unknown = validated(lines, source, con or duckdb.connect())
    return ReadResult(events, bad, unknown)
