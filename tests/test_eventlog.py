"""Reading, validating and writing event-log-v1 files."""

from __future__ import annotations

import gzip
import json
import tracemalloc
from decimal import Decimal

import pyarrow as pa
import pytest
from logbuilder import LogBuilder, at, import_files, ts, write_lines

import liveboard
from liveboard import eventlog
from liveboard.eventlog import EventLogError, read_event_log, read_event_logs, write_event_log
from liveboard.events import EVENT_SCHEMA

GOOD = {
    "id": "g",
    "type": "comment",
    "session_id": "s1",
    "ts": "2026-03-01T12:00:00+00:00",
    "user_id": "u",
    "text": "x",
}


def line(**over) -> str:
    e = dict(GOOD)
    for k, v in over.items():
        if v is ...:
            e.pop(k)
        else:
            e[k] = v
    return json.dumps(e)


#: (line text, words the reason must contain); each is one kind of bad row.
BAD_ROWS = [
    ("{not json", ["JSON"]),
    ('["a", "list"]', ["object"]),
    ("42", ["object"]),
    (line(id=...), ["id"]),
    (line(id=7), ["id"]),
    (line(type=...), ["type"]),
    (line(session_id=...), ["session_id"]),
    (line(ts=...), ["ts"]),
    (line(ts="2026-03-01T12:00:00"), ["ts", "offset"]),
    (line(ts="yesterday+08:00"), ["ts"]),
    (line(ts=1.5e12), ["ts"]),
    (line(ts=9223372036854775807), ["ts"]),
    (line(ts=18446744073709551615), ["ts"]),
    (line(text=...), ["text"]),
    (line(text=5), ["text", "string"]),
    (line(user_id=None), ["user_id"]),
    (
        json.dumps(
            {
                "id": "v",
                "type": "viewer_enter",
                "session_id": "s1",
                "ts": 1772366400000,
                "user_id": "u",
                "channel": "feed",
                "is_follower": "yes",
            }
        ),
        ["is_follower"],
    ),
    (
        json.dumps(
            {
                "id": "v",
                "type": "viewer_enter",
                "session_id": "s1",
                "ts": 1772366400000,
                "user_id": "u",
                "channel": "tv",
                "is_follower": True,
            }
        ),
        ["channel", "feed"],
    ),
    (
        json.dumps(
            {
                "id": "v",
                "type": "viewer_enter",
                "session_id": "s1",
                "ts": 1772366400000,
                "user_id": "u",
                "channel": "feed",
                "is_follower": True,
                "age": "12",
            }
        ),
        ["age"],
    ),
    (
        json.dumps({"id": "l", "type": "like", "session_id": "s1", "ts": 1772366400000, "user_id": "u", "count": 0}),
        ["count", "1"],
    ),
    (
        json.dumps({"id": "l", "type": "like", "session_id": "s1", "ts": 1772366400000, "user_id": "u", "count": 2.5}),
        ["count"],
    ),
    (
        json.dumps(
            {"id": "l", "type": "like", "session_id": "s1", "ts": 1772366400000, "user_id": "u", "count": 2**64 - 1}
        ),
        ["count"],
    ),
    (
        json.dumps(
            {
                "id": "o",
                "type": "order",
                "session_id": "s1",
                "ts": 1772366400000,
                "order_id": "o",
                "user_id": "u",
                "product_id": "p",
                "quantity": 1,
                "amount": "12,50",
                "status": "paid",
                "attribution": "direct",
            }
        ),
        ["amount"],
    ),
    (
        json.dumps(
            {
                "id": "o",
                "type": "order",
                "session_id": "s1",
                "ts": 1772366400000,
                "order_id": "o",
                "user_id": "u",
                "product_id": "p",
                "quantity": 1,
                "amount": True,
                "status": "paid",
                "attribution": "direct",
            }
        ),
        ["amount"],
    ),
    (
        json.dumps(
            {
                "id": "o",
                "type": "order",
                "session_id": "s1",
                "ts": 1772366400000,
                "order_id": "o",
                "user_id": "u",
                "product_id": "p",
                "quantity": "2",
                "amount": "1",
                "status": "paid",
                "attribution": "direct",
            }
        ),
        ["quantity"],
    ),
    (
        json.dumps(
            {
                "id": "o",
                "type": "order",
                "session_id": "s1",
                "ts": 1772366400000,
                "order_id": "o",
                "user_id": "u",
                "product_id": "p",
                "quantity": 1,
                "amount": "1",
                "status": "shipped",
                "attribution": "direct",
            }
        ),
        ["status"],
    ),
    (
        json.dumps(
            {
                "id": "w",
                "type": "giveaway_end",
                "session_id": "s1",
                "ts": 1772366400000,
                "giveaway_id": "g",
                "winner_ids": "u",
            }
        ),
        ["winner_ids"],
    ),
]


def event(etype: str, **fields) -> str:
    """One event line of ``etype`` at 2026-03-01 12:00 UTC with ``fields``."""
    return json.dumps({"id": "h", "type": etype, "session_id": "s1", "ts": 1772366400000, **fields})


ORDER = {"order_id": "o", "user_id": "u", "product_id": "p", "quantity": 1, "amount": "1", "status": "paid"}
ORDER["attribution"] = "direct"
GIFT = {"user_id": "u", "gift_name": "rose", "diamonds": 1, "count": 1}

#: Implausible timestamps and numbers beyond their bounds (issue 11, items 3 and 10): bad rows whose reason
#: says what is wrong, and what the bound is.
HOSTILE_ROWS = [
    (line(ts=1793592060), ["ts", "1793592060", "looks like epoch seconds (use milliseconds)"]),
    (line(ts=1793592060123456), ["ts", "looks like epoch microseconds"]),
    (line(ts=1), ["ts", "2000-01-01 to 2100-01-01"]),
    (line(ts=4102444800000), ["ts", "2100-01-01"]),
    (line(ts=-5), ["ts", "2000-01-01"]),
    (line(ts="3000-01-01T00:00:00Z"), ["ts", "2000-01-01 to 2100-01-01"]),
    (line(ts="1999-12-31T23:59:59.999Z"), ["ts", "2000-01-01"]),
    (line(ts="10000-01-01T00:00:00+00:00"), ["ts"]),
    (event("gift", **(GIFT | {"diamonds": 2**62, "count": 4})), ["diamonds", "at most 1,000,000"]),
    (event("gift", **(GIFT | {"count": 1_000_001})), ["count", "at most 1,000,000"]),
    (event("like", user_id="u", count=2**63 - 1), ["count", "at most 1,000,000"]),
    (event("order", **(ORDER | {"quantity": 2**63 - 1})), ["quantity", "at most 1,000,000"]),
    (event("order", **(ORDER | {"amount": "1000000000000.01"})), ["amount", "at most 1,000,000,000,000"]),
    (event("order", **(ORDER | {"amount": 1e300})), ["amount", "at most"]),
    (event("order", **(ORDER | {"amount": "1e30"})), ["amount", "at most"]),
    (event("product_pin", product_id="p", price="99999999999999999999"), ["price", "at most"]),
    (event("giveaway_start", giveaway_id="g", prize="x", winners_planned=10**7), ["winners_planned", "at most"]),
    (event("viewer_count", count=10**9 + 1), ["count", "at most 1,000,000,000"]),
]


@pytest.mark.parametrize(("text", "words"), HOSTILE_ROWS, ids=[f"hostile{i}" for i in range(len(HOSTILE_ROWS))])
def test_implausible_times_and_numbers_are_bad_rows_with_their_bound(tmp_path, text, words):
    path = write_lines(tmp_path / "log.jsonl", [line(id="a"), text, line(id="b")])
    r = read_event_log(path)
    assert r.bad.to_pylist() == [{"file": str(path), "line": 2, "reason": r.bad["reason"][0].as_py(), "raw": text}]
    for w in words:
        assert w in r.bad["reason"][0].as_py(), (w, r.bad["reason"][0].as_py())
    assert r.events["id"].to_pylist() == ["a", "b"]


def test_values_at_their_bounds_are_accepted(tmp_path):
    lines = [
        line(id="t0", ts=946684800000),  # 2000-01-01T00:00:00Z
        line(id="t1", ts=4102444799999),  # the last millisecond before 2100
        line(id="t2", ts="2099-12-31T23:59:59.999Z"),
        event("gift", **(GIFT | {"diamonds": 1_000_000, "count": 1_000_000})).replace('"h"', '"g1"', 1),
        event("order", **(ORDER | {"quantity": 1_000_000, "amount": "1000000000000"})).replace('"h"', '"o1"', 1),
        event("viewer_count", count=1_000_000_000).replace('"h"', '"v1"', 1),
    ]
    r = read_event_log(write_lines(tmp_path / "log.jsonl", lines))
    assert r.bad.num_rows == 0, r.bad.to_pylist()
    assert r.events["id"].to_pylist() == ["t0", "t1", "t2", "g1", "o1", "v1"]
    assert r.events["amount"][4].as_py() == Decimal("1000000000000")


@pytest.mark.parametrize(("text", "words"), BAD_ROWS, ids=[f"bad{i}" for i in range(len(BAD_ROWS))])
def test_each_bad_row_kind_reported_with_line_and_field(tmp_path, text, words):
    path = write_lines(tmp_path / "log.jsonl", [line(id="a"), "", text, line(id="b")])
    r = read_event_log(path)
    assert r.bad.num_rows == 1, r.bad.to_pylist()
    bad = r.bad.to_pylist()[0]
    assert bad["file"] == str(path)
    assert bad["line"] == 3  # the blank line 2 still counts
    assert bad["raw"] == text
    for w in words:
        assert w in bad["reason"], (w, bad["reason"])
    assert sorted(r.events["id"].to_pylist()) == ["a", "b"]


def test_line_numbers_count_blank_lines(tmp_path):
    lines = ["", line(id="a"), "   ", "", "oops", "\t", line(id="b", ts="nope"), line(id="c")]
    r = read_event_log(write_lines(tmp_path / "log.jsonl", lines))
    assert r.bad["line"].to_pylist() == [5, 7]
    assert r.events["id"].to_pylist() == ["a", "c"]
    assert r.events["seq"].to_pylist() == [2, 8]


def test_crlf_lines(tmp_path):
    path = tmp_path / "log.jsonl"
    path.write_bytes((line(id="a") + "\r\n\r\n" + "bad\r\n" + line(id="b") + "\r\n").encode())
    r = read_event_log(path)
    assert r.events["id"].to_pylist() == ["a", "b"]
    assert r.bad["line"].to_pylist() == [3]
    assert r.bad["raw"].to_pylist() == ["bad"]


def test_byte_order_mark_is_not_a_bad_row(tmp_path):
    path = tmp_path / "log.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + (line(id="a") + "\n").encode())
    r = read_event_log(path)
    assert r.bad.num_rows == 0 and r.events["id"].to_pylist() == ["a"]


def test_good_rows_still_imported_and_bad_rows_quarantined(tmp_path):
    b = LogBuilder()
    b.start(0)
    b.ev("comment", 10, user_id="u1", text="ok")
    lines = b.lines() + ["not json", line(id="x", ts="2026-03-01T12:00:00")]
    path = write_lines(tmp_path / "log.jsonl", lines)
    result, report = import_files(tmp_path / "store", [path])
    assert report.imported == 2 and report.bad == 2 and not report.ok
    wb = liveboard.open(tmp_path / "store")
    assert wb.sessions()["comments"].tolist() == [1]
    q = wb.quarantine().sort_values("line")
    assert q["line"].tolist() == [3, 4]
    assert q["raw"].tolist() == lines[2:]
    assert all(f == str(path) for f in q["file"])


def test_unknown_type_counted_not_fatal(tmp_path):
    b = LogBuilder()
    b.start(0)
    b.ev("super_like", 5, user_id="u1")
    b.ev("super_like", 6, user_id="u2")
    b.ev("poll_vote", 7, user_id="u2")
    b.ev("comment", 8, user_id="u1", text="x")
    result, report = import_files(tmp_path / "store", [b.write(tmp_path / "log.jsonl")])
    assert result.unknown_types == {"super_like": 2, "poll_vote": 1}
    assert result.bad.num_rows == 0
    assert report.imported == 2 and report.ok
    assert liveboard.open(tmp_path / "store").sessions()["comments"].tolist() == [1]


def test_unknown_extra_fields_kept_and_exported(tmp_path):
    b = LogBuilder()
    b.start(0, studio="B", tags=["x", "y"])
    b.ev("comment", 5, user_id="u1", text="hi", lang="en", meta={"device": "ios", "n": 3})
    b.order(6, "o1", amount="1.50", coupon=None, note="gift wrap")
    b.end(10)
    import_files(tmp_path / "store", [b.write(tmp_path / "log.jsonl")])
    wb = liveboard.open(tmp_path / "store")
    out = tmp_path / "export.jsonl"
    write_event_log(wb.session("s1").events(), out)
    back = {e["id"]: e for e in map(json.loads, out.read_text().splitlines())}
    assert back["e1"]["studio"] == "B" and back["e1"]["tags"] == ["x", "y"]
    assert back["e2"]["lang"] == "en" and back["e2"]["meta"] == {"device": "ios", "n": 3}
    assert back["e3"]["note"] == "gift wrap"
    assert Decimal(str(back["e3"]["amount"])) == Decimal("1.50")
    assert back["e2"]["text"] == "hi" and back["e2"]["user_id"] == "u1"
    # and the export reads back as the same events
    again = read_event_log(out)
    assert again.bad.num_rows == 0 and again.events.num_rows == 4


def test_gzip_read(tmp_path):
    b = LogBuilder()
    b.start(0)
    b.ev("comment", 5, user_id="u1", text="zipped ✓")
    path = write_lines(tmp_path / "log.jsonl.gz", b.lines() + ["", "bad"])
    assert gzip.decompress(path.read_bytes())  # really compressed
    r = read_event_log(path)
    assert r.events["text"].to_pylist() == [None, "zipped ✓"]
    assert r.bad["line"].to_pylist() == [4]


def test_missing_file_is_an_error(tmp_path):
    with pytest.raises(EventLogError, match="no such file"):
        read_event_log(tmp_path / "nope.jsonl")


def test_non_utf8_line_is_a_bad_row_and_the_rest_is_kept(tmp_path):
    p = tmp_path / "latin1.jsonl"
    p.write_bytes((line(id="a") + "\n").encode() + b'{"x": "\xe9"}\n' + (line(id="b") + "\n").encode())
    r = read_event_log(p)
    assert r.events["id"].to_pylist() == ["a", "b"]
    assert r.bad["line"].to_pylist() == [2]
    assert r.bad["reason"].to_pylist() == ["not UTF-8 text"]
    assert "\\xe9" in r.bad["raw"][0].as_py()  # the raw bytes are kept, visibly


def test_timestamps_normalised_to_utc(tmp_path):
    b = LogBuilder()
    for fmt in ("z", "utc", "+08", "-05", "ms"):
        b.ev("share", 90.5, user_id="u", fmt=fmt)
    r = read_event_log(b.write(tmp_path / "log.jsonl"))
    assert r.bad.num_rows == 0
    assert set(r.events["ts"].to_pylist()) == {at(90.5)}


def test_defaults_applied(tmp_path):
    b = LogBuilder()
    b.start(0)
    b.ev("like", 1, user_id="u")
    r = read_event_log(b.write(tmp_path / "log.jsonl"))
    assert r.events["currency"].to_pylist() == ["USD", None]
    assert r.events["count"].to_pylist() == [None, 1]


def full_log() -> LogBuilder:
    b = LogBuilder(fmt="+08")
    b.start(0, title="Round ⇄ trip", live_event_id="E", currency="EUR")
    b.impression(1, "promoted", user_id="u1")
    b.impression(1, "feed")
    b.enter(2, "u1", "promoted", True, gender="female", age="35-44", region="DE")
    b.ev("comment", 3, user_id="u1", text='<script>alert("x")</script> 🎉 =1+1')
    b.ev("like", 4, user_id="u1", count=3)
    b.ev("share", 5, user_id="u1")
    b.ev("follow", 6, user_id="u1")
    b.ev("gift", 7, user_id="u1", gift_name="rose", diamonds=1, count=5)
    b.pin(8, "p1", name="Mug", price="12.90")
    b.pimpression(9, "u1", "p1")
    b.click(10, "u1", "p1")
    b.order(11.123, "o1", "u1", "p1", amount="12.90", quantity=1, status="created", attribution="indirect")
    b.order(12, "o1", "u1", "p1", amount=12.9, quantity=1, status="paid", attribution="indirect")
    b.unpin(13, "p1")
    b.ev("giveaway_start", 14, giveaway_id="g", prize="Cap", product_id="p1", winners_planned=1)
    b.ev("giveaway_view", 15, giveaway_id="g", user_id="u1")
    b.ev("giveaway_click", 15, giveaway_id="g", user_id="u1")
    b.ev("giveaway_join", 15, giveaway_id="g", user_id="u1")
    b.ev("giveaway_end", 16, giveaway_id="g", winner_ids=["u1"])
    b.ev("violation", 17, violation_id="v", policy="p", severity="medium", detail="d")
    b.ev("viewer_count", 18, count=1)
    b.leave(19, "u1")
    b.end(20, fmt="ms")
    return b


def _comparable(t: pa.Table) -> list[dict]:
    rows = t.drop_columns(["seq"]).to_pylist()
    return sorted(rows, key=lambda r: (r["session_id"], r["ts"], r["id"]))


def test_write_read_round_trip(tmp_path):
    first = read_event_log(full_log().write(tmp_path / "log.jsonl"))
    assert first.bad.num_rows == 0 and first.events.num_rows == 24
    for name in ("out.jsonl", "out.jsonl.gz"):
        n = write_event_log(first.events, tmp_path / name)
        assert n == 24
        second = read_event_log(tmp_path / name)
        assert second.bad.num_rows == 0
        assert second.events.schema == EVENT_SCHEMA
        assert _comparable(second.events) == _comparable(first.events)


def test_written_lines_are_valid_v1(tmp_path):
    first = read_event_log(full_log().write(tmp_path / "log.jsonl"))
    write_event_log(first.events, tmp_path / "out.jsonl")
    for text in (tmp_path / "out.jsonl").read_text().splitlines():
        e = json.loads(text)
        assert {"id", "type", "session_id", "ts"} <= set(e)
        assert e["ts"].endswith("+00:00")
        assert None not in e.values()


def test_write_empty_table(tmp_path):
    assert write_event_log(EVENT_SCHEMA.empty_table(), tmp_path / "empty.jsonl") == 0
    assert read_event_log(tmp_path / "empty.jsonl").events.num_rows == 0


def test_read_event_logs_seq_follows_argument_order(tmp_path):
    a = write_lines(tmp_path / "a.jsonl", [line(id="a1"), line(id="a2")])
    b = write_lines(tmp_path / "b.jsonl", ["", line(id="b1")])
    r = read_event_logs([b, a])
    ids = [i for _, i in sorted(zip(r.events["seq"].to_pylist(), r.events["id"].to_pylist(), strict=True))]
    assert ids == ["b1", "a1", "a2"]


def test_ms_and_iso_same_instant():
    assert ts(0, "ms") == 1772366400000
    assert ts(0, "+08") == "2026-03-01T20:00:00.000+08:00"


def test_negative_amount_is_a_bad_row(tmp_path):
    p = tmp_path / "neg.jsonl"
    order = {
        "id": "o",
        "type": "order",
        "session_id": "s1",
        "ts": 1772366400000,
        "order_id": "o1",
        "user_id": "u",
        "product_id": "p",
        "quantity": 1,
        "amount": "-5",
        "status": "paid",
        "attribution": "direct",
    }
    p.write_text(json.dumps(order) + "\n")
    r = read_event_log(p)
    assert r.events.num_rows == 0
    assert r.bad["reason"].to_pylist() == [
        "order: field 'amount' must not be negative (refunds are a status, not a negative amount)"
    ]


def test_written_logs_are_readable_by_others(tmp_path):
    b = LogBuilder()
    b.start(0)
    out = tmp_path / "out.jsonl"
    write_event_log(read_event_log(b.write(tmp_path / "log.jsonl")).events, out)
    assert out.stat().st_mode & 0o044  # not the 0600 of a temporary file


# ---------------------------------------------------------------- streamed reading (issue 11: items 11, 13)


def test_a_line_over_the_limit_is_a_bad_row_and_the_lines_around_it_are_kept(tmp_path):
    long = line(id="big", text="x" * (2 << 20))
    path = write_lines(tmp_path / "log.jsonl", [line(id="a"), long, line(id="b")])
    r = read_event_log(path)
    [bad] = r.bad.to_pylist()
    assert bad["line"] == 2 and bad["file"] == str(path)
    assert bad["reason"].startswith("line longer than 1 MiB")
    assert long.startswith(bad["raw"].removesuffix("…")) and len(bad["raw"]) < 2000  # its start, not 2 MiB
    assert r.events["id"].to_pylist() == ["a", "b"] and r.events["seq"].to_pylist() == [1, 3]


def _awkward_lines() -> list[bytes]:
    return [
        (line(id="a") + "\r\n").encode(),
        b"\n",
        (line(id="long", text="y" * 500) + "\n").encode(),
        b"   \n",
        b'{"id": "latin", "text": "\xe9"}\n',
        (line(id="b", text="ü 🎉") + "\n").encode(),
        b"not json\n",
        ("{" * 400 + "\n").encode(),
        line(id="c").encode(),  # no newline at the end of the file
    ]


def _as_rows(r) -> tuple[list, list]:
    return r.events.drop_columns([]).to_pylist(), r.bad.drop_columns(["file"]).to_pylist()


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("block", [1, 7, 300, 4096])
def test_reading_a_block_at_a_time_gives_the_same_lines_as_reading_at_once(tmp_path, monkeypatch, block, gz):
    monkeypatch.setattr(eventlog.lines, "MAX_LINE_BYTES", 300)
    monkeypatch.setattr(eventlog.lines, "RAW_KEPT", 100)
    data = b"\xef\xbb\xbf" + b"".join(_awkward_lines())
    path = tmp_path / ("log.jsonl.gz" if gz else "log.jsonl")
    path.write_bytes(gzip.compress(data) if gz else data)
    whole = _as_rows(read_event_log(path))
    monkeypatch.setattr(eventlog.lines, "READ_BLOCK", block)
    assert _as_rows(read_event_log(path)) == whole
    events, bad = whole
    assert [e["id"] for e in events] == ["a", "b", "c"] and [e["seq"] for e in events] == [1, 6, 9]
    assert [(b["line"], b["reason"].split(" (")[0].split(":")[0]) for b in bad] == [
        (3, "line longer than 300 bytes"),
        (5, "not UTF-8 text"),
        (7, "not valid JSON"),
        (8, "line longer than 300 bytes"),
    ]


def test_gzip_bomb_is_read_in_bounded_memory(tmp_path):
    """128 MiB of zeros without a newline (128 KiB compressed): one bad row, never the text in memory."""
    path = tmp_path / "bomb.jsonl.gz"
    with gzip.open(path, "wb", compresslevel=9) as fh:
        for _ in range(128):
            fh.write(b"0" * (1 << 20))
        fh.write(b"\n" + line(id="after").encode() + b"\n")
    assert path.stat().st_size < 1 << 20
    tracemalloc.start()
    try:
        r = read_event_log(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert r.bad["line"].to_pylist() == [1] and "line longer than 1 MiB" in r.bad["reason"][0].as_py()
    assert r.events["id"].to_pylist() == ["after"] and r.events["seq"].to_pylist() == [2]
    assert peak < 40 << 20, peak  # the whole text would be 128 MiB


def test_a_file_over_the_size_guard_is_refused_and_the_others_are_read(tmp_path, monkeypatch):
    monkeypatch.setattr(eventlog.lines, "MAX_FILE_BYTES", 1 << 20)
    many = write_lines(tmp_path / "many.jsonl.gz", [line(id=f"m{i}") for i in range(20_000)])  # ~2.4 MiB of text
    good = write_lines(tmp_path / "good.jsonl", [line(id="g")])
    with pytest.raises(EventLogError, match=r"many\.jsonl\.gz: more than 1 MiB of text \(after decompression\)"):
        read_event_log(many)
    r = read_event_logs([many, good])
    assert len(r.file_errors) == 1 and r.file_errors[0].startswith(f"{many}: more than 1 MiB")
    assert r.events["id"].to_pylist() == ["g"]


def test_broken_gzip_files_are_one_line_naming_the_file(tmp_path):
    text = "".join(line(id=f"x{i}") + "\n" for i in range(2000)).encode()
    whole = gzip.compress(text)
    cases = {
        "truncated.jsonl.gz": whole[: len(whole) // 2],
        "corrupt.jsonl.gz": whole[:20] + bytes(b ^ 0x55 for b in whole[20:60]) + whole[60:],
        "plain.jsonl.gz": text,
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(EventLogError) as info:
            read_event_log(tmp_path / name)
        message = str(info.value)
        assert message.startswith(f"{tmp_path / name}: ") and "\n" not in message
        assert ("not a gzip file" if name == "plain.jsonl.gz" else "gzip") in message


def test_symlink_loop_says_so(tmp_path):
    loop = tmp_path / "loop.jsonl"
    loop.symlink_to(loop)
    with pytest.raises(EventLogError, match="symlink loop"):
        read_event_log(loop)
    with pytest.raises(EventLogError, match="no such file"):
        read_event_log(tmp_path / "missing.jsonl")


def test_locate_reads_file_line_and_raw_text_back(tmp_path):
    a = write_lines(tmp_path / "a.jsonl", [line(id="a1"), "", line(id="a2")])
    b = write_lines(tmp_path / "b.jsonl.gz", ["oops", line(id="b1")])
    r = read_event_logs([a, b])
    seqs = dict(zip(r.events["id"].to_pylist(), r.events["seq"].to_pylist(), strict=True))
    where = r.locate([seqs["b1"], seqs["a2"], seqs["a1"]]).to_pylist()
    assert [(w["file"], w["line"], w["raw"]) for w in where] == [
        (str(b), 2, line(id="b1")),
        (str(a), 3, line(id="a2")),
        (str(a), 1, line(id="a1")),
    ]
