"""One tiny event log per edge case (tests/fixtures/logs/), read through the public reader and imported into
a real store, with the figures each must give worked out by hand from the file (docs/event-log-v1.md).

Each fixture is small enough to read in a glance; open it beside its test. Every time in them is UTC
2026-03-01 unless said otherwise, so "12:01:30" below means ``2026-03-01T12:01:30Z``.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

import liveboard
from liveboard.cli import main
from liveboard.eventlog import EventLogError, read_event_log
from liveboard.store import Store

LOGS = Path(__file__).resolve().parent / "fixtures" / "logs"

#: Figures kept as exact decimals in the store (money): compared as :class:`Decimal`, never as floats.
MONEY = ("gmv", "direct_gmv", "refunded_gmv")


def log(name: str) -> Path:
    path = LOGS / name
    assert path.is_file(), f"fixture {name} is missing"
    return path


def raw_line(path: Path, line: int) -> str:
    return path.read_text(encoding="utf-8").splitlines()[line - 1]


def at(hms: str, day: int = 1) -> dt.datetime:
    """2026-03-<day> <hms> UTC."""
    h, m, s = hms.split(":")
    sec = float(s)
    return dt.datetime(2026, 3, day, int(h), int(m), int(sec), int(round((sec % 1) * 1e6)), tzinfo=dt.UTC)


def cli(capsys, *args) -> tuple[int, str, str]:
    """``liveboard …`` in this process: (exit code, stdout, stderr)."""
    capsys.readouterr()
    rc = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return rc, out, err


def import_logs(capsys, store: Path, *names: str) -> tuple[int, str, str]:
    return cli(capsys, "import", *(log(n) for n in names), "--store", store)


def stored_money(store: Path, session_id: str) -> dict[str, Decimal | None]:
    con, _ = Store(store).connect()
    cols = ", ".join(MONEY)
    row = con.execute(f"SELECT {cols} FROM sessions WHERE session_id = ?", [session_id]).fetchone()
    assert row is not None, f"no session {session_id} in the store"
    return dict(zip(MONEY, row, strict=True))


def assert_figures(store: Path, session_id: str, expected: dict) -> None:
    """The session's summary (``liveboard.open(store).session(id).summary()``) holds ``expected``.

    ``None`` means missing (null) — never 0; a float is compared to 1e-9; a :class:`Decimal` is compared
    exactly against the store's decimal column as well as (as a float) against the summary.
    """
    summary = liveboard.open(store).session(session_id).summary()
    money = stored_money(store, session_id)
    wrong = {}
    for name, want in expected.items():
        got = summary[name]
        if want is None:
            ok = pd.isna(got)
        elif pd.isna(got):
            ok = False  # missing where a figure is due
        elif isinstance(want, Decimal):
            ok = money[name] == want and float(got) == float(want)
            got = (money[name], got)
        elif isinstance(want, bool):
            ok = bool(got) is want
        elif isinstance(want, float):
            ok = float(got) == pytest.approx(want, rel=1e-9, abs=1e-9)
        elif isinstance(want, dt.datetime):
            ok = pd.Timestamp(got) == pd.Timestamp(want)
        else:
            ok = got == want
        if not ok:
            wrong[name] = {"expected": want, "got": got}
    assert not wrong, wrong


# ---------------------------------------------------------------- sessions whose figures are known by hand

#: fixture → (session id, figures worked out by hand from the file)
FIGURES = {
    "minimal_session.jsonl": (
        "minimal",
        {
            "start": at("12:00:00"),
            "end": at("12:10:00"),
            "duration_s": 600.0,  # 12:10:00 − 12:00:00
            "sealed": True,
            "gmv": Decimal("44.80"),  # o1 "39.80" (2 × 19.90) + o2 5.00 (a JSON number)
            "direct_gmv": Decimal("39.80"),  # o1 only: o2 is indirect
            "refunded_gmv": Decimal("0.00"),
            "items_sold": 3,  # 2 + 1
            "sku_orders": 2,
            "customers": 2,  # u1, u2
            "avg_price": 14.93,  # 44.80 / 3 = 14.9333…, money to 2 decimals
            "impressions": 2,
            "views": 2,
            "viewers": 2,
            "enter_room_rate": 1.0,  # 2 views / 2 impressions
            "pcu": 2,  # u1 and u2 both in from 12:00:20 to 12:05:00
            "view_seconds": 870.0,  # u1 12:00:10→12:05:00 = 290, u2 12:00:20→end 12:10:00 = 580
            "acu": 1.45,  # 870 / 600
            "avg_view_duration_s": 435.0,  # 870 / 2
            "comments": 1,
            "likes": 3,  # one like event with count 3
            "engaged_viewers": 2,  # u1 commented, u2 liked
            "engagement_rate": 1.0,  # 2 / 2
            "product_impressions": 2,
            "product_clicks": 1,
            "live_ctr": 0.5,  # 1 click / 2 views
            "product_ctr": 0.5,  # 1 click / 2 product impressions
            "ctor": 2.0,  # 2 SKU orders / 1 click
            "watch_gpm": 22400.0,  # 1000 × 44.80 / 2 views
            "show_gpm": 22400.0,  # 1000 × 44.80 / 2 impressions
            "featured_products": 1,
            "violations": 0,
        },
    ),
    "no_end_event.jsonl": (
        "no-end",
        {
            "start": at("12:00:00"),
            "end": None,  # no session_end: empty while it runs
            "sealed": False,
            "duration_s": 130.0,  # the last event (12:02:10) stands in for the end (docs/metrics.md)
            "view_seconds": 120.0,  # u1 12:00:10 → last event 12:02:10, the view closes there
            "avg_view_duration_s": 120.0,  # 120 / 1 view
            "acu": 120 / 130,
            "gmv": Decimal("7.50"),
            "comments": 2,
            "live_ctr": 0.0,  # 0 clicks / 1 view: a real zero, the denominator is not 0
            "product_ctr": None,  # 0 / 0 product impressions
            "ctor": None,  # 0 / 0 clicks
        },
    ),
    "events_out_of_order.jsonl": (
        "shuffled",
        {
            "start": at("12:00:00"),  # session_start is line 7 of 10
            "end": at("12:05:00"),  # session_end is line 1
            "duration_s": 300.0,
            # o1: "paid" at 12:02 (line 2) is later than "created" at 12:01 (line 4): paid, 12.00;
            # o2: "paid" (line 9) and "created" (line 10) share 12:02:30: the one read last wins, not a sale
            "gmv": Decimal("12.00"),
            "sku_orders": 1,
            "items_sold": 1,
            "views": 1,
            "view_seconds": 150.0,  # enter 12:00:30 (line 5) → leave 12:03:00 (line 3, read before it)
            "pcu": 1,
            "product_clicks": 1,
            "ctor": 1.0,  # 1 / 1
            "live_ctr": 1.0,  # 1 click / 1 view
            "comments": 1,
        },
    ),
    "views_reenter_and_stray_leave.jsonl": (
        "views",
        {
            "views": 3,  # three viewer_enter events
            "viewers": 2,  # u1, u2
            # a leave of u9 (never entered) and u1's second leave are ignored; u1's second enter closes
            # the first view: u1 12:00:10→12:00:40 = 30, u1 12:00:40→12:01:40 = 60, u2 12:00:50→end = 70
            "view_seconds": 160.0,  # 30 + 60 + 70
            "pcu": 2,  # never 3: u1 is in the room at most once
            "duration_s": 120.0,
            "acu": 160 / 120,
            "avg_view_duration_s": 160 / 3,
        },
    ),
    "mixed_timestamp_formats.jsonl": (
        "clocks",
        {
            "start": at("12:00:00"),  # 20:00:00.000+08:00
            "end": at("12:02:00.5"),  # …Z with milliseconds
            "duration_s": 120.5,
            # enter 1772366430000 ms = 12:00:30Z; leave 07:01:30-05:00 = 12:01:30Z
            "view_seconds": 60.0,
            "views": 1,
        },
    ),
    "viewers_no_orders.jsonl": (
        "no-orders",
        {
            "views": 2,
            "viewers": 2,
            "gmv": Decimal("0.00"),  # a sum over no orders is 0.00, not missing
            "items_sold": 0,
            "sku_orders": 0,
            "customers": 0,
            "product_clicks": 0,
            "live_ctr": 0.0,  # 0 clicks / 2 views: zero, the denominator is 2
            "watch_gpm": 0.0,  # 1000 × 0 / 2 views
            "engagement_rate": 0.0,  # 0 engaged / 2 viewers
            "product_ctr": None,  # 0 / 0 product impressions: missing, never 0
            "ctor": None,  # 0 SKU orders / 0 clicks: missing, never 0
            "avg_price": None,  # 0.00 / 0 items
            "enter_room_rate": None,  # 2 views / 0 impressions
            "show_gpm": None,  # 1000 × 0 / 0 impressions
            "view_seconds": 120.0,  # 60 + 60
            "acu": 1.0,  # 120 / 120
            "avg_view_duration_s": 60.0,
        },
    ),
    "order_refunded_late.jsonl": (
        "refund",
        {
            # o1 created → paid → refunded the next day (after session_end): refunded still counts in GMV;
            # o2 only ever "created": not a sale; o3 paid, 2 items, indirect
            "gmv": Decimal("29.90"),  # 19.90 + 10.00
            "direct_gmv": Decimal("19.90"),  # o1 only
            "refunded_gmv": Decimal("19.90"),  # o1
            "items_sold": 3,  # 1 + 2
            "sku_orders": 2,  # o1, o3
            "customers": 2,  # u1, u3 (u2 never paid)
            "avg_price": 9.97,  # 29.90 / 3 = 9.9666…
            "late_order_updates": 1,  # o1's refund, after the end at 12:10
            "duration_s": 600.0,  # the refund a day later does not stretch the LIVE
            "sealed": True,
        },
    ),
    "unknown_event_type.jsonl": (
        "unknown",
        {"comments": 1, "event_count": 3, "engaged_viewers": 1},  # start, comment, end; 3 unknown lines skipped
    ),
    "duplicate_event.jsonl": (
        "dup",
        {"comments": 1, "gmv": Decimal("10.00"), "sku_orders": 1, "event_count": 4},  # d2, d3 counted once
    ),
    "conflicting_duplicate.jsonl": (
        "clash",
        # both versions of c2 (10.00 and 99.00) are rejected: only o2's 4.00 is left
        {"gmv": Decimal("4.00"), "sku_orders": 1, "event_count": 2},
    ),
}


@pytest.mark.parametrize("name", list(FIGURES))
def test_session_figures_equal_the_ones_worked_out_by_hand(tmp_path, capsys, name):
    session_id, expected = FIGURES[name]
    rc, out, err = import_logs(capsys, tmp_path / "st", name)
    assert "Traceback" not in err
    assert rc == (1 if name == "conflicting_duplicate.jsonl" else 0), (out, err)
    assert list(liveboard.open(tmp_path / "st").sessions()["session_id"]) == [session_id]
    assert_figures(tmp_path / "st", session_id, expected)


def test_minimal_session_reads_clean_and_credits_gmv_to_the_buyers_channel(tmp_path, capsys):
    path = log("minimal_session.jsonl")
    r = read_event_log(path)
    assert r.bad.num_rows == 0 and not r.unknown_types
    assert r.events["id"].to_pylist() == [f"m{i:02d}" for i in range(1, 16)]
    assert r.events["seq"].to_pylist() == list(range(1, 16))  # seq is the line number
    assert r.events["currency"][0].as_py() == "USD"  # the default when session_start gives none
    import_logs(capsys, tmp_path / "st", "minimal_session.jsonl")
    channels = liveboard.open(tmp_path / "st").session("minimal").channels().set_index("channel")
    # u1 entered from feed and bought o1 (39.80); u2 from search, bought o2 (5.00)
    assert channels.loc["feed", "gmv"] == pytest.approx(39.80) and channels.loc["search", "gmv"] == pytest.approx(5.0)
    assert channels.loc["feed", "views"] == 1 and channels.loc["search", "impressions"] == 1


# ---------------------------------------------------------------- bad lines among good ones

#: fixture → (ids of the events kept, [(line, what the reason must name)], figures of the good rows)
BAD_LINES = {
    "bad_json_line.jsonl": (
        ["b1", "b2", "b4"],
        [(4, "not valid JSON")],  # line 3 is blank (skipped, still counted)
        {"comments": 2},  # b2, b4
    ),
    "missing_required_field.jsonl": (
        ["r1", "r3"],
        [(2, "'text'"), (4, "'ts'"), (5, "'amount'")],
        {"comments": 1, "gmv": Decimal("0.00"), "sku_orders": 0},  # r3 only; the order r5 is set aside
    ),
    "wrong_typed_field.jsonl": (
        ["w1", "w4"],
        [(2, "'quantity' must be an integer"), (3, "'is_follower' must be true or false"), (5, "'count'")],
        {"gmv": Decimal("3.00"), "items_sold": 1, "views": 0, "likes": 0},  # w4 only: w2's "2" is not an int
    ),
    "value_outside_vocabulary.jsonl": (
        ["v1", "v5"],
        [(2, "'status' must be one of created, paid, refunded"), (3, "'channel' must be one of"), (4, "'amount'")],
        {"gmv": Decimal("6.00"), "refunded_gmv": Decimal("0.00"), "views": 0},  # v5 only
    ),
}


@pytest.mark.parametrize("name", list(BAD_LINES))
def test_bad_lines_are_named_by_file_line_and_field_and_the_good_rows_are_kept(tmp_path, name):
    kept, bad_lines, _ = BAD_LINES[name]
    path = log(name)
    r = read_event_log(path)
    assert r.events["id"].to_pylist() == kept
    got = r.bad.to_pylist()
    assert [b["line"] for b in got] == [line for line, _ in bad_lines]
    for b, (line, words) in zip(got, bad_lines, strict=True):
        assert b["file"] == str(path)
        assert words in b["reason"], (line, b["reason"])
        assert b["raw"] == raw_line(path, line)  # what the user gave, kept as it was


@pytest.mark.parametrize("name", list(BAD_LINES))
def test_import_reports_each_bad_line_and_quarantines_it(tmp_path, capsys, name):
    kept, bad_lines, figures = BAD_LINES[name]
    path = log(name)
    rc, out, err = import_logs(capsys, tmp_path / "st", name)
    assert rc == 1, "bad rows make the import's exit code 1"
    assert f"imported {len(kept)} · duplicate 0 · bad {len(bad_lines)} " in out
    for line, words in bad_lines:
        [shown] = [x for x in err.splitlines() if x.startswith(f"{path}:{line}: ")]
        assert words in shown
    q = liveboard.open(tmp_path / "st").quarantine().sort_values("line")
    assert q["line"].tolist() == [line for line, _ in bad_lines]
    assert set(q["file"]) == {str(path)}
    assert q["raw"].tolist() == [raw_line(path, line) for line, _ in bad_lines]
    session_id = json.loads(raw_line(path, 1))["session_id"]
    assert_figures(tmp_path / "st", session_id, figures)
    # the same file again: nothing new, nothing quarantined twice
    rc, out, _ = import_logs(capsys, tmp_path / "st", name)
    assert f"imported 0 · duplicate {len(kept)} " in out
    assert len(liveboard.open(tmp_path / "st").quarantine()) == len(bad_lines)


# ---------------------------------------------------------------- duplicates and conflicts


def test_an_event_repeated_verbatim_is_stored_once(tmp_path, capsys):
    rc, out, err = import_logs(capsys, tmp_path / "st", "duplicate_event.jsonl")
    assert rc == 0, err
    assert "imported 4 · duplicate 2 · bad 0" in out  # lines 4 and 5 repeat lines 2 and 3
    assert sorted(Store(tmp_path / "st").events()["id"].to_pylist()) == ["d1", "d2", "d3", "d4"]
    assert liveboard.open(tmp_path / "st").quarantine().empty


def test_one_id_in_two_versions_rejects_both_and_names_both_lines(tmp_path, capsys):
    path = log("conflicting_duplicate.jsonl")
    rc, out, err = import_logs(capsys, tmp_path / "st", "conflicting_duplicate.jsonl")
    assert rc == 1
    assert "imported 2 · duplicate 0 · bad 0" in out and "conflict 2" in out
    assert f"{path}:2: event 'c2' of session clash has another version at {path}:4" in err
    assert f"{path}:4: event 'c2' of session clash has another version at {path}:2" in err
    assert "field 'amount' differs" in err
    q = liveboard.open(tmp_path / "st").quarantine().sort_values("line")
    assert q["line"].tolist() == [2, 4] and q["raw"].tolist() == [raw_line(path, 2), raw_line(path, 4)]


# ---------------------------------------------------------------- unknown types, empty and damaged files


def test_unknown_event_types_are_skipped_and_counted_not_bad(tmp_path, capsys):
    r = read_event_log(log("unknown_event_type.jsonl"))
    assert r.unknown_types == {"super_like": 2, "poll_vote": 1}
    assert r.bad.num_rows == 0
    assert r.events["id"].to_pylist() == ["k1", "k3", "k6"]
    rc, out, err = import_logs(capsys, tmp_path / "st", "unknown_event_type.jsonl")
    assert rc == 0, err
    assert "imported 3 · duplicate 0 · bad 0 · refused 0 · unknown type 3 (poll_vote ×1, super_like ×2)" in out
    assert liveboard.open(tmp_path / "st").quarantine().empty


def test_an_empty_file_is_no_events_and_no_error(tmp_path, capsys):
    path = log("empty.jsonl")
    assert path.stat().st_size == 0
    r = read_event_log(path)
    assert r.events.num_rows == 0 and r.bad.num_rows == 0 and not r.file_errors
    rc, out, err = import_logs(capsys, tmp_path / "st", "empty.jsonl")
    assert rc == 0 and err == ""
    assert "imported 0 · duplicate 0 · bad 0" in out
    assert liveboard.open(tmp_path / "st").sessions().empty


def test_a_truncated_gzip_is_one_line_naming_the_file_and_nothing_of_it_is_imported(tmp_path, capsys):
    path = log("truncated.jsonl.gz")
    assert path.read_bytes()[:2] == b"\x1f\x8b"  # a real gzip, cut short
    with pytest.raises(EventLogError) as info:
        read_event_log(path)
    message = str(info.value)
    assert message.startswith(f"{path}: damaged or truncated gzip file") and "\n" not in message
    # beside a good file: the good one is imported, the damaged one named, exit code 1
    rc, out, err = import_logs(capsys, tmp_path / "st", "truncated.jsonl.gz", "minimal_session.jsonl")
    assert rc == 1
    assert f"{path}: damaged or truncated gzip file" in err and "Traceback" not in err
    assert "imported 15 · duplicate 0 · bad 0" in out and "1 file(s) could not be read" in out
    assert list(liveboard.open(tmp_path / "st").sessions()["session_id"]) == ["minimal"]


# ---------------------------------------------------------------- user text


def test_hostile_text_is_stored_verbatim_and_neutralised_in_csv(tmp_path, capsys):
    rc, _, err = import_logs(capsys, tmp_path / "st", "hostile_text.jsonl")
    assert rc == 0, err
    s = liveboard.open(tmp_path / "st").session("hostile")
    # stored as given: escaping is the page's job, not the store's
    assert s.comments()["text"].tolist() == [
        '<script>alert("x")</script>',
        '=HYPERLINK("http://evil.example","click")',
        "+1 @here -2 '; DROP TABLE events; --",
    ]
    assert s.comments()["user_id"].tolist()[0] == "<b>u1</b>"
    assert s.summary()["title"] == '=HYPERLINK("http://evil.example","click")'
    assert s.summary()["comments"] == 3  # the SQL-looking text is text
    # the unknown extra field (a nickname) is kept with its event
    events = s.events().to_pylist()
    [enter] = [e for e in events if e["id"] == "h2"]
    assert json.loads(enter["extra"]) == {"nickname": "<img src=x onerror=alert(1)>"}
    # a CSV of the sessions neutralises the formula in the title (section 4)
    rc, out, _ = cli(capsys, "sessions", "--store", tmp_path / "st", "--format", "csv")
    assert rc == 0
    title_cell = out.splitlines()[1].split(",", 1)[1]
    assert title_cell.startswith("\"'=HYPERLINK(") and ",=HYPERLINK(" not in out


def test_unicode_and_emoji_text_round_trips_exactly(tmp_path, capsys):
    rc, _, err = import_logs(capsys, tmp_path / "st", "unicode_text.jsonl")
    assert rc == 0, err
    s = liveboard.open(tmp_path / "st").session("unicode")
    assert s.summary()["title"] == "直播 🎉 Ünïcödé"
    assert s.comments()["text"].tolist() == [
        "👨\u200d👩\u200d👧\u200d👦 family, 🏳️\u200d🌈 flag",  # ZWJ sequences kept whole
        "مرحبا שלום",
        "escaped é 😀 tab\there",  # JSON \u escapes (a surrogate pair too) and \t decoded
    ]
    assert s.comments()["user_id"].tolist()[:2] == ["ユーザー1", "ユーザー1"]
    assert s.summary()["engaged_viewers"] == 2  # ユーザー1, u2
    # +08:00 times: 20:00:00+08:00 is 12:00:00Z
    assert pd.Timestamp(s.summary()["start"]) == pd.Timestamp(at("12:00:00"))
    [product] = s.products().to_dict("records")
    assert product["product_id"] == "p-☕" and product["name"] == "Tasse ☕ « spéciale »"


# ---------------------------------------------------------------- giveaways, products, late updates


def test_a_giveaway_with_no_entries_and_no_winners(tmp_path, capsys):
    rc, _, err = import_logs(capsys, tmp_path / "st", "giveaway_no_winners.jsonl")
    assert rc == 0, err
    s = liveboard.open(tmp_path / "st").session("giveaway")
    [g] = s.giveaways().to_dict("records")
    assert g["giveaway_id"] == "ga1" and g["winners_planned"] == 3
    assert pd.Timestamp(g["start"]) == pd.Timestamp(at("12:01:00"))
    assert pd.Timestamp(g["end"]) == pd.Timestamp(at("12:03:00"))
    assert g["view_uv"] == 2  # u1 (twice), u2: distinct users
    assert g["click_uv"] == 1  # u1
    assert g["participants"] == 0  # no giveaway_join: zero, not missing
    assert g["winners"] == 0 and list(g["winner_ids"]) == []
    assert g["gmv_during"] == pytest.approx(3.00)  # o0 at 12:02 is inside [12:01, 12:03]; o1 at 12:04 is not
    assert_figures(tmp_path / "st", "giveaway", {"giveaways": 1, "winners": 0, "gmv": Decimal("11.00")})  # 3 + 8


def test_a_product_featured_twice_adds_up_both_stretches(tmp_path, capsys):
    rc, _, err = import_logs(capsys, tmp_path / "st", "product_featured_twice.jsonl")
    assert rc == 0, err
    s = liveboard.open(tmp_path / "st").session("pins")
    pins = s.pins()
    assert pins["product_id"].tolist() == ["p1", "p2", "p1"]
    # p1 12:01→12:02 (p2 pinned next) = 60; p2 12:02→12:05 (p1 pinned next) = 180; p1 12:05→12:06 (unpin) = 60
    assert pins["featured_s"].tolist() == [60.0, 180.0, 60.0]
    products = s.products().set_index("product_id")
    assert products.loc["p1", "featured_s"] == 120.0  # 60 + 60
    assert products.loc["p2", "featured_s"] == 180.0
    assert products.loc["p1", "impressions"] == 4 and products.loc["p1", "clicks"] == 2
    assert products.loc["p1", "ctr"] == pytest.approx(0.5)  # 2 / 4
    assert products.loc["p1", "ctor"] == pytest.approx(0.5)  # 1 order / 2 clicks
    assert products.loc["p1", "items_sold"] == 2 and products.loc["p1", "gmv"] == pytest.approx(24.00)
    assert products.loc["p2", "ctr"] == 0.0  # 0 clicks / 1 impression: zero
    assert pd.isna(products.loc["p2", "ctor"])  # 0 orders / 0 clicks: missing, never 0
    assert_figures(
        tmp_path / "st",
        "pins",
        {"featured_products": 2, "product_impressions": 5, "product_clicks": 2, "product_ctr": 0.4},  # 2 / 5
    )


def test_a_refund_in_a_later_file_reaches_the_sealed_session_and_nothing_else_does(tmp_path, capsys):
    store = tmp_path / "st"
    import_logs(capsys, store, "order_refunded_late.jsonl")
    rc, out, err = import_logs(capsys, store, "order_refunded_late_update.jsonl")
    # o3's refund is a late update of an order the session has; the comment is a new event: refused
    assert rc == 1
    assert "imported 1 · duplicate 0 · bad 0 · refused 1" in out
    assert "late order updates 1 into ended session(s) refund" in out
    assert "session refund is sealed" in err
    assert_figures(
        store,
        "refund",
        {
            "gmv": Decimal("29.90"),  # unchanged: refunded orders stay in GMV
            "refunded_gmv": Decimal("29.90"),  # o1 19.90 + o3 10.00
            "direct_gmv": Decimal("19.90"),
            "sku_orders": 2,
            "comments": 0,  # the late comment was refused
            "late_order_updates": 2,  # o1's refund (first file) and o3's (second file)
        },
    )
    q = liveboard.open(store).quarantine()
    assert q["line"].tolist() == [2] and "sealed" in q["reason"].iloc[0]
