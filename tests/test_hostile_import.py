"""Hostile input at the import (issue 11): folders, paths, conflicts, late updates and figures that cannot
overflow, through the command as a user runs it; and a property test that mutates valid logs at random.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import tempfile
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from live_compare import assert_same, sql_frames
from logbuilder import BASE, LogBuilder, hostile_sum_rows, import_files, write_lines

import liveboard
from liveboard import queries
from liveboard.cli import main
from liveboard.eventlog import read_event_log
from liveboard.live.state import LiveState
from liveboard.store import Store


def run(capsys, *args) -> tuple[int, str, str]:
    """``liveboard …`` in this process: (exit code, stdout, stderr)."""
    capsys.readouterr()
    rc = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return rc, out, err


def small_session(session_id: str, t0: float = 0, end: bool = True) -> LogBuilder:
    b = LogBuilder(session_id)
    b.start(t0, id=f"{session_id}-start")
    b.order(t0 + 10, "o1", "u1", amount="2.50", id=f"{session_id}-o1")
    if end:
        b.end(t0 + 60, id=f"{session_id}-end")
    return b


def _events(b: LogBuilder) -> pa.Table:
    """The builder's events as the reader gives them (all valid)."""
    with tempfile.TemporaryDirectory() as d:
        r = read_event_log(b.write(Path(d) / "log.jsonl"))
    assert r.bad.num_rows == 0, r.bad.to_pylist()
    return r.events


def session_ids(root) -> list[str]:
    return sorted(liveboard.open(root).sessions()["session_id"])


# ---------------------------------------------------------------- folders and paths (items 12, 13)


def test_folder_imports_upper_case_names_and_every_good_file_despite_a_broken_gzip(tmp_path, capsys):
    logs = tmp_path / "logs"
    small_session("s1").write(logs / "A.JSONL")
    (logs / "sub").mkdir(parents=True)
    (logs / "sub" / "B.JSONL.GZ").write_bytes(
        gzip.compress("".join(x + "\n" for x in small_session("s2", 500).lines()).encode())
    )
    small_session("s3", 900).write(logs / "c.jsonl")
    whole = gzip.compress(b"".join((json.dumps(e) + "\n").encode() for e in small_session("s4", 1300).events))
    broken = logs / "broken.jsonl.gz"
    broken.write_bytes(whole[: len(whole) // 2])
    (logs / "notes.txt").write_text("not a log")
    rc, out, err = run(capsys, "import", logs, "--store", tmp_path / "st")
    assert rc == 1
    assert f"{broken}: damaged or truncated gzip file" in err
    assert "imported 9 · duplicate 0 · bad 0" in out and "1 file(s) could not be read" in out
    assert session_ids(tmp_path / "st") == ["s1", "s2", "s3"]


def test_a_path_that_does_not_exist_or_loops_is_refused_before_any_store_is_made(tmp_path, capsys):
    loop = tmp_path / "loop.jsonl"
    loop.symlink_to(loop)
    for path, words in ((tmp_path / "missing.jsonl", "no such file or folder"), (loop, "symlink loop")):
        rc, _, err = run(capsys, "import", path, "--store", tmp_path / "st")
        assert rc == 2 and f"{path}: {words}" in err and "Traceback" not in err
        assert not (tmp_path / "st").exists()


def test_symlink_loops_inside_a_folder_are_reported_and_do_not_stop_the_rest(tmp_path, capsys):
    logs = tmp_path / "logs"
    small_session("s1").write(logs / "a.jsonl")
    (logs / "self.jsonl").symlink_to(logs / "self.jsonl")
    (logs / "back").symlink_to(logs)  # a folder loop: walked once
    rc, out, err = run(capsys, "import", logs, "--store", tmp_path / "st")
    assert rc == 1
    assert f"{logs / 'self.jsonl'}: symlink loop" in err
    assert "imported 3 · duplicate 0" in out
    assert session_ids(tmp_path / "st") == ["s1"]


# ---------------------------------------------------------------- conflicts and late updates (items 1, 2)


def test_cli_reports_late_updates_and_conflicts_by_file_and_line(tmp_path, capsys):
    store = tmp_path / "st"
    first = small_session("s1")
    run(capsys, "import", first.write(tmp_path / "live.jsonl"), "--store", store)
    refund = LogBuilder("s1")
    refund.order(86400, "o1", "u1", amount="2.50", status="refunded", id="s1-o1-refund")
    rc, out, err = run(capsys, "import", refund.write(tmp_path / "refund.jsonl"), "--store", store)
    assert rc == 0, err
    assert "imported 1 " in out and "late order updates 1 into ended session(s) s1" in out
    con, _ = Store(store).connect()
    assert con.sql("SELECT late_order_updates, refunded_gmv FROM sessions").fetchall() == [(1, Decimal("2.50"))]
    clash = json.loads(first.lines()[1]) | {"amount": "9.99"}
    path = write_lines(tmp_path / "clash.jsonl", [first.lines()[0], json.dumps(clash)])
    rc, out, err = run(capsys, "import", path, "--store", store)
    assert rc == 1
    assert "· conflict 1" in out and "imported 0 · duplicate 1" in out
    assert f"{path}:2: event 's1-o1' of session s1 differs from the stored event" in err
    assert "field 'amount' differs" in err
    rc, out, _ = run(capsys, "quarantine", "--store", store)
    assert f"{path}:2: event 's1-o1'" in out and "(import)" not in out


def test_live_state_agrees_with_sql_on_late_order_updates():
    b = LogBuilder("s1")
    b.start(0)
    b.order(10, "o1", "u1", amount="3.00", status="created")
    b.order(20, "o2", "u2", amount="4.00", status="paid")
    b.end(60)
    b.order(3600, "o1", "u1", amount="3.00", status="paid")
    b.order(7200, "o2", "u2", amount="4.00", status="refunded")
    b.order(7300, "o2", "u2", amount="4.00", status="refunded")
    events = _events(b)
    state = LiveState()
    state.fold(events)
    sql = sql_frames(events)
    assert sql["summary"]["late_order_updates"].tolist() == [2]
    assert_same("summary", state.summary(), sql["summary"].iloc[0])
    assert_same("trend", state.trend(), sql["trend"])


# ---------------------------------------------------------------- implausible times, huge numbers (items 3, 10)


def test_a_far_but_valid_event_does_not_make_a_trend_of_years():
    b = LogBuilder("s1")
    b.start(0)
    b.enter(5, "u1")
    b.ev("comment", 30, user_id="u1", text="hi")
    b.ev("comment", (dt.datetime(2099, 12, 31, tzinfo=dt.UTC) - BASE).total_seconds(), user_id="u1", text="far")
    events = _events(b)
    sql = sql_frames(events)
    assert len(sql["trend"]) == queries.TREND_MAX_MINUTES  # 48 hours of minutes, not 73 years
    assert sql["trend"]["comments"].sum() == 1  # the far comment falls outside, as after an end
    state = LiveState()
    state.fold(events)
    assert_same("trend", state.trend(), sql["trend"])
    assert_same("summary", state.summary(), sql["summary"].iloc[0])


def test_a_comment_in_the_year_3000_is_a_bad_row_and_the_trend_covers_the_session(tmp_path):
    b = LogBuilder("s1")
    b.start(0)
    b.ev("comment", 30, user_id="u1", text="hi")
    b.ev("comment", 0, user_id="u1", text="far", id="far")
    b.events[-1]["ts"] = "3000-01-01T00:00:00+00:00"
    _, rep = import_files(tmp_path / "st", [b.write(tmp_path / "log.jsonl")])
    assert rep.bad == 1 and rep.imported == 2
    assert len(liveboard.open(tmp_path / "st").session("s1").trend()) == 1


def test_sums_are_wide_so_no_hostile_row_aborts_a_query():
    """Rows past the reader's bounds (as another source could write them): figures go missing, never crash."""
    con = duckdb.connect()
    con.register("ev", hostile_sum_rows("s1", BASE))
    [summary] = con.sql(queries.session_summaries()).to_arrow_table().to_pylist()
    assert summary["gift_diamonds"] is None and summary["likes"] is None and summary["items_sold"] is None
    assert summary["sku_orders"] == 2 and summary["gmv"] == Decimal("2.00")
    trend = con.sql(queries.trend()).to_arrow_table()
    assert trend["gift_diamonds"].null_count == 1 and trend.num_rows == 1
    products = con.sql(queries.products()).to_arrow_table()
    assert products["items_sold"].to_pylist() == [None]


# ---------------------------------------------------------------- random mutations of valid logs

MUTATIONS = ("flip", "truncate", "duplicate", "swap", "wrong_type", "huge", "not_utf8", "brace")
#: kinds whose result is certain: "bad" is always a bad row; "good" (and "dup") always an event
CERTAIN_BAD = {"truncate", "swap", "wrong_type", "huge", "not_utf8", "brace"}


@st.composite
def valid_log(draw) -> LogBuilder:
    b = LogBuilder("s1", fmt=draw(st.sampled_from(["utc", "ms", "+08"])))
    b.start(0)
    t = 0.0
    for kind in draw(st.lists(st.sampled_from(["enter", "comment", "like", "order", "gift", "leave"]), max_size=14)):
        t += draw(st.integers(1, 90_000)) / 1000
        user = draw(st.sampled_from(["u1", "u2", "u3"]))
        if kind == "enter":
            b.enter(t, user, "feed", draw(st.booleans()))
        elif kind == "leave":
            b.leave(t, user)
        elif kind == "comment":
            b.ev("comment", t, user_id=user, text=draw(st.sampled_from(["hi", "ü 🎉", "<b>=1+1</b>"])))
        elif kind == "like":
            b.ev("like", t, user_id=user, count=draw(st.integers(1, 9)))
        elif kind == "gift":
            b.ev("gift", t, user_id=user, gift_name="rose", diamonds=draw(st.integers(0, 50)), count=2)
        else:
            b.order(t, draw(st.sampled_from(["o1", "o2"])), user, status=draw(st.sampled_from(["paid", "refunded"])))
    if draw(st.booleans()):
        b.end(t + 1)
    return b


def mutate(text: str, kind: str, r: int) -> list[bytes]:
    """The line(s) a mutation of one event line gives (``r`` picks where and how)."""
    raw = text.encode()
    e = json.loads(text)
    if kind == "flip":
        p, bit = r % len(raw), 1 << (r // len(raw) % 8)
        b = raw[p] ^ bit
        if b in (10, 13):  # a new line would renumber every line after it: flip another bit
            b = raw[p] ^ (bit >> 1 or 0x40)
        return [raw[:p] + bytes([b]) + raw[p + 1 :]]
    if kind == "truncate":
        return [raw[: 1 + r % (len(raw) - 1)]]
    if kind == "duplicate":
        return [raw, raw]
    if kind == "swap":
        e["id"], e["ts"] = e["ts"], e["id"]
    elif kind == "wrong_type":
        field, value = [("id", 7), ("type", [1]), ("session_id", {"a": 1}), ("ts", True), ("ts", 1.5)][r % 5]
        e[field] = value
    elif kind == "huge":
        numeric = [k for k in ("count", "quantity", "diamonds") if k in e]
        e[numeric[0] if numeric and r % 2 else "ts"] = [10**30, 2**63, 2**63 - 1, -(2**63)][r % 4]
    elif kind == "not_utf8":
        p = 1 + r % (len(raw) - 1)
        return [raw[:p] + b"\xff" + raw[p:]]
    elif kind == "brace":
        return [raw[1:] if r % 2 else raw[:-1]]
    return [json.dumps(e).encode()]


@st.composite
def mutated_logs(draw):
    """(file bytes, per line number its kind: "good", "dup", "maybe" (a byte flip) or one of CERTAIN_BAD)."""
    b = draw(valid_log())
    texts = b.lines()
    plan = dict(draw(st.lists(st.tuples(st.integers(0, len(texts) - 1), st.sampled_from(MUTATIONS)), max_size=6)))
    lines: list[bytes] = []
    kinds: dict[int, str] = {}
    for i, text in enumerate(texts):
        kind = plan.get(i)
        out = [text.encode()] if kind is None else mutate(text, kind, draw(st.integers(0, 2**20)))
        for j, raw in enumerate(out):
            lines.append(raw)
            kinds[len(lines)] = {None: "good", "duplicate": "dup", "flip": "maybe"}.get(kind, kind)
            if kind == "duplicate" and j == 0:
                kinds[len(lines)] = "good"
    return b"".join(x + b"\n" for x in lines), kinds, lines


def _id_of(raw: bytes) -> tuple | None:
    try:
        e = json.loads(raw.decode("utf-8"), strict=False)
        return (e.get("session_id"), e.get("id")) if isinstance(e, dict) else None
    except (ValueError, UnicodeDecodeError):
        return None


@settings(
    max_examples=int(os.environ.get("LIVEBOARD_HOSTILE_EXAMPLES", "12")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)
@given(case=mutated_logs(), gz=st.booleans())
def test_mutated_logs_import_every_good_row_and_report_every_bad_line(tmp_path_factory, case, gz):
    data, kinds, lines = case
    tmp = tmp_path_factory.mktemp("hostile")
    path = tmp / ("log.jsonl.gz" if gz else "log.jsonl")
    path.write_bytes(gzip.compress(data) if gz else data)
    result, rep = import_files(tmp / "st", [path])  # no traceback, whatever the bytes

    # every line is accounted for once: an event, a bad row (with its number), or an unknown type
    bad_lines = result.bad["line"].to_pylist()
    assert len(bad_lines) == len(set(bad_lines))
    assert set(bad_lines).isdisjoint(result.events["seq"].to_pylist())
    assert result.events.num_rows + len(bad_lines) + sum(result.unknown_types.values()) == len(lines)
    certain = {n for n, k in kinds.items() if k in CERTAIN_BAD}
    maybe = {n for n, k in kinds.items() if k == "maybe"}
    assert certain <= set(bad_lines) <= certain | maybe, (kinds, result.bad.to_pylist())
    for row in result.bad.to_pylist():
        assert row["file"] == str(path) and row["reason"]
        try:
            assert row["raw"] == lines[row["line"] - 1].decode("utf-8").rstrip("\r\n")
        except UnicodeDecodeError:
            assert row["reason"] == "not UTF-8 text"

    # every good row is imported, once (unless a flipped line took its id, or moved its session's start)
    stored = Store(tmp / "st").events()
    keys = list(zip(stored["session_id"].to_pylist(), stored["id"].to_pylist(), strict=True))
    assert len(keys) == len(set(keys)) == rep.imported
    taken = {_id_of(lines[n - 1]) for n in maybe}
    start_flipped = any(kinds[n] == "maybe" and b'"session_start"' in lines[n - 1] for n in kinds)
    for n, kind in kinds.items():
        key = _id_of(lines[n - 1])
        if kind in ("good", "dup") and key not in taken and not (start_flipped and b"session_end" in lines[n - 1]):
            assert key in set(keys), (n, lines[n - 1], rep.rejected.to_pylist())
    counted = rep.imported + rep.duplicates + rep.conflicts + rep.refused + (rep.bad - result.bad.num_rows)
    assert counted == result.events.num_rows

    # the same file again: nothing imported, nothing quarantined twice, nothing committed
    quarantined = len(liveboard.open(tmp / "st").quarantine())
    _, again = import_files(tmp / "st", [path])
    assert again.imported == 0 and again.version == rep.version
    assert len(liveboard.open(tmp / "st").quarantine()) == quarantined
