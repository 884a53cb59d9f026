"""Every metric of event-log-v1 section 3 on small hand-built logs; expected values are computed by hand."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal

import pandas as pd
import pytest
from logbuilder import LogBuilder, at, import_files, load

import liveboard


def money(x) -> Decimal:
    """A money cell as the exact 2-decimal value it stands for (fails on anything not on a cent)."""
    d = Decimal(repr(float(x)))
    assert d == d.quantize(Decimal("0.01")), f"{x!r} is not a whole number of cents"
    return d.quantize(Decimal("0.01"))


def row(wb, session_id: str = "s1") -> pd.Series:
    df = wb.sessions()
    hit = df[df["session_id"] == session_id]
    assert len(hit) == 1, df
    return hit.iloc[0]


def approx(x):
    return pytest.approx(x, rel=1e-12, abs=1e-12)


# ---------------------------------------------------------------------------- one rich session


def rich_log() -> LogBuilder:
    """A 10-minute session touching every session metric (expected values in the test below)."""
    b = LogBuilder()
    b.start(0, title="Rich", live_event_id="ev1")
    for ch in ("feed", "feed", "feed", "promoted", "search"):
        b.impression(1, channel=ch)
    b.enter(10, "u1", "feed", True, gender="female", age="25-34", region="US")
    b.enter(20, "u2", "promoted", False, gender="male", age="18-24", region="GB")
    b.enter(30, "u3", "search", False)
    b.ev("comment", 40, user_id="u1", text="hello")
    b.ev("comment", 50, user_id="u3", text="<b>hi</b> 🎉")
    b.ev("like", 60, user_id="u1", count=5)
    b.ev("like", 61, user_id="u1")  # count defaults to 1
    b.ev("share", 62, user_id="u1")
    b.ev("follow", 85, user_id="u3")
    b.ev("follow", 86, user_id="u3")  # the same follower again: distinct users
    b.ev("gift", 87, user_id="u1", gift_name="rose", diamonds=10, count=3)
    b.leave(90, "u3")  # u3: 30 → 90 = 60 s
    b.leave(110, "u1")  # u1: 10 → 110 = 100 s
    b.pimpression(111, "u1", "p1")
    b.pimpression(112, "u2", "p1")
    b.pimpression(113, "u3", "p2")
    b.pimpression(114, "u1", "p2")
    b.click(115, "u1", "p1")
    b.click(116, "u2", "p1")
    b.order(120, "o1", "u1", "p1", amount="30.00", quantity=2, attribution="direct")
    b.order(130, "o2", "u2", "p1", amount="15.50", status="created", attribution="indirect")
    b.order(140, "o2", "u2", "p1", amount="15.50", status="paid", attribution="indirect")
    b.order(150, "o3", "u3", "p2", amount="9.99", status="created")
    b.order(160, "o4", "u2", "p2", amount="12.00", quantity=3, status="paid")
    b.enter(200, "u1", "follow", True)  # u1 again: 200 → 600 = 400 s
    b.order(300, "o4", "u2", "p2", amount="12.00", quantity=3, status="refunded")
    b.ev("violation", 310, violation_id="v1", policy="minors", severity="low", detail="check")
    b.end(600)  # u2 never leaves: 20 → 600 = 580 s
    return b


def test_every_session_metric(tmp_path):
    wb = load(tmp_path, rich_log())
    r = row(wb)
    assert r["title"] == "Rich" and r["account_id"] == "acct1" and r["live_event_id"] == "ev1"
    assert r["start"] == at(0) and r["end"] == at(600)
    assert r["duration_s"] == 600
    # paid orders: o1 (30.00 direct ×2), o2 (15.50 indirect ×1), o4 (12.00 direct ×3, refunded); o3 created only
    assert money(r["gmv"]) == Decimal("57.50")
    assert money(r["direct_gmv"]) == Decimal("42.00")
    assert money(r["refunded_gmv"]) == Decimal("12.00")
    assert r["items_sold"] == 6
    assert r["sku_orders"] == 3
    assert r["customers"] == 2
    assert money(r["avg_price"]) == Decimal("9.58")  # 57.50 / 6 = 9.5833…
    assert r["impressions"] == 5
    assert r["views"] == 4
    assert r["viewers"] == 3
    assert r["enter_room_rate"] == approx(4 / 5)
    assert r["pcu"] == 3  # u1, u2, u3 between t=30 and t=90
    view_seconds = 100 + 580 + 60 + 400
    assert r["acu"] == approx(view_seconds / 600)
    assert r["avg_view_duration_s"] == approx(view_seconds / 4)
    assert r["comments"] == 2
    assert r["likes"] == 6
    assert r["shares"] == 1
    assert r["new_followers"] == 1
    assert r["gift_diamonds"] == 30
    assert r["engaged_viewers"] == 2  # u1, u3
    assert r["engagement_rate"] == approx(2 / 3)
    assert r["product_impressions"] == 4
    assert r["product_clicks"] == 2
    assert r["live_ctr"] == approx(2 / 4)
    assert r["product_ctr"] == approx(2 / 4)
    assert r["ctor"] == approx(3 / 2)
    assert money(r["watch_gpm"]) == Decimal("14375.00")  # 1000 × 57.50 / 4
    assert money(r["show_gpm"]) == Decimal("11500.00")  # 1000 × 57.50 / 5
    assert r["violations"] == 1
    assert bool(r["sealed"]) is True


def test_fresh_summary_matches_stored_row(tmp_path):
    wb = load(tmp_path, rich_log())
    stored = row(wb)
    fresh = wb.session("s1").summary()
    for name in liveboard.metrics.SESSION_METRICS:
        a, b = stored[name], fresh[name]
        if pd.isna(a):
            assert pd.isna(b), name
        else:
            assert a == b, name


def test_session_metric_columns_follow_registry(tmp_path):
    wb = load(tmp_path, rich_log())
    cols = list(wb.sessions().columns)
    for name in liveboard.metrics.SESSION_METRICS:
        assert name in cols


# ---------------------------------------------------------------------------- de-duplication, orders


def test_same_id_other_content_is_a_conflict_verbatim_repeat_a_duplicate(tmp_path):
    b = LogBuilder()
    b.start(0)
    b.order(10, "o1", amount="10.00", id="dup")
    b.order(20, "o2", amount="99.00", id="dup")  # same (session_id, id), other content: both rejected
    b.ev("comment", 30, user_id="u1", text="x", id="c")
    b.ev("comment", 30, user_id="u1", text="x", id="c")  # a verbatim repeat: a no-op
    b.end(60)
    path = b.write(tmp_path / "log.jsonl")
    _, report = import_files(tmp_path / "store", [path])
    assert report.imported == 3 and report.duplicates == 1 and report.conflicts == 2 and not report.ok
    r = row(liveboard.open(tmp_path / "store"))
    assert money(r["gmv"]) == Decimal("0.00")
    assert r["sku_orders"] == 0
    assert r["comments"] == 1


def test_order_created_then_paid_counted_once(tmp_path):
    b = LogBuilder()
    b.start(0)
    b.order(10, "o1", amount="20.00", status="created", quantity=2)
    b.order(20, "o1", amount="20.00", status="paid", quantity=2)
    b.end(60)
    r = row(load(tmp_path, b))
    assert money(r["gmv"]) == Decimal("20.00")
    assert r["sku_orders"] == 1 and r["items_sold"] == 2 and r["customers"] == 1
    assert money(r["refunded_gmv"]) == Decimal("0.00")


def test_order_paid_then_refunded_in_gmv_and_refunded(tmp_path):
    b = LogBuilder()
    b.start(0)
    b.order(10, "o1", amount="20.00", status="paid")
    b.order(20, "o1", amount="20.00", status="refunded")
    b.order(30, "o2", amount="5.00", status="paid")
    b.end(60)
    r = row(load(tmp_path, b))
    assert money(r["gmv"]) == Decimal("25.00")
    assert money(r["refunded_gmv"]) == Decimal("20.00")
    assert r["sku_orders"] == 2


def test_order_created_only_is_not_a_sale(tmp_path):
    b = LogBuilder()
    b.start(0)
    b.order(10, "o1", amount="20.00", status="created")
    b.click(5, "u1")
    b.end(60)
    r = row(load(tmp_path, b))
    assert money(r["gmv"]) == Decimal("0.00")
    assert r["sku_orders"] == 0 and r["items_sold"] == 0 and r["customers"] == 0
    assert pd.isna(r["avg_price"])  # 0 items sold
    assert r["ctor"] == 0  # 0 orders / 1 click is a real zero


def test_order_state_is_latest_ts_not_file_order(tmp_path):
    b = LogBuilder()
    b.start(0)
    b.order(20, "o1", amount="7.00", status="paid")
    b.order(10, "o1", amount="7.00", status="created")  # read later, but earlier in time
    b.end(60)
    r = row(load(tmp_path, b))
    assert money(r["gmv"]) == Decimal("7.00")


@pytest.mark.parametrize(
    ("first", "last", "gmv"),
    [("paid", "created", "0.00"), ("created", "paid", "8.00"), ("paid", "refunded", "8.00")],
)
def test_order_ties_on_ts_last_read_wins(tmp_path, first, last, gmv):
    b = LogBuilder()
    b.start(0)
    b.order(10, "o1", amount="8.00", status=first)
    b.order(10, "o1", amount="8.00", status=last)
    b.end(60)
    r = row(load(tmp_path, b))
    assert money(r["gmv"]) == Decimal(gmv)
    assert money(r["refunded_gmv"]) == Decimal("8.00" if last == "refunded" else "0.00")


def test_order_ties_across_files_follow_argument_order(tmp_path):
    b = LogBuilder()
    b.start(0)
    b.end(60)
    b.order(10, "o1", amount="8.00", status="paid")
    b.order(10, "o1", amount="8.00", status="created")
    f1 = b.write(tmp_path / "a.jsonl", b.events[:2] + [b.events[3]])  # created
    f2 = b.write(tmp_path / "b.jsonl", [b.events[2]])  # paid, read last
    import_files(tmp_path / "store", [f1, f2])
    assert money(row(liveboard.open(tmp_path / "store"))["gmv"]) == Decimal("8.00")


# ---------------------------------------------------------------------------- views


def test_enter_twice_without_leave(tmp_path):
    b = LogBuilder()
    b.start(0)
    b.enter(0, "u1")
    b.enter(60, "u1", channel="follow")  # closes the first view at 60
    b.leave(120, "u1")
    b.end(300)
    r = row(load(tmp_path, b))
    assert r["views"] == 2 and r["viewers"] == 1
    assert r["pcu"] == 1  # never twice in the room
    assert r["avg_view_duration_s"] == approx(120 / 2)
    assert r["acu"] == approx(120 / 300)


def test_leave_without_enter_is_ignored(tmp_path):
    b = LogBuilder()
    b.start(0)
    b.leave(5, "u9")  # never entered
    b.leave(10, "u1")  # before u1 entered
    b.enter(20, "u1")
    b.leave(40, "u1")
    b.leave(50, "u1")  # no open view any more
    b.end(100)
    r = row(load(tmp_path, b))
    assert r["views"] == 1 and r["viewers"] == 1 and r["pcu"] == 1
    assert r["avg_view_duration_s"] == approx(20)
    assert r["acu"] == approx(20 / 100)


def test_session_without_end_closes_at_last_event(tmp_path):
    b = LogBuilder()
    b.start(0)
    b.enter(10, "u1")
    b.enter(20, "u2")
    b.leave(30, "u2")
    b.ev("comment", 250, user_id="u2", text="still here?")
    r = row(load(tmp_path, b))
    assert pd.isna(r["end"])
    assert bool(r["sealed"]) is False
    assert r["duration_s"] == 250  # documented reading: the last event stands in for the end
    view_seconds = (250 - 10) + (30 - 20)
    assert r["acu"] == approx(view_seconds / 250)
    assert r["avg_view_duration_s"] == approx(view_seconds / 2)
    assert r["pcu"] == 2


def test_pcu_counts_overlaps_only(tmp_path):
    b = LogBuilder()
    b.start(0)
    b.enter(0, "a")
    b.leave(10, "a")
    b.enter(10, "b")  # starts exactly when a leaves: not concurrent
    b.enter(15, "c")
    b.enter(16, "d")
    b.leave(17, "c")
    b.leave(18, "d")
    b.leave(30, "b")
    b.end(40)
    r = row(load(tmp_path, b))
    assert r["pcu"] == 3  # b, c, d at t=16
    assert r["acu"] == approx((10 + 20 + 2 + 2) / 40)


# ---------------------------------------------------------------------------- empty denominators


def test_zero_denominators_are_null(tmp_path):
    b = LogBuilder()
    b.start(0)
    b.ev("comment", 10, user_id="u1", text="nobody here")
    b.end(100)
    r = row(load(tmp_path, b))
    for name in (
        "enter_room_rate",
        "avg_view_duration_s",
        "engagement_rate",
        "live_ctr",
        "product_ctr",
        "ctor",
        "avg_price",
        "watch_gpm",
        "show_gpm",
    ):
        assert pd.isna(r[name]), name
    assert r["impressions"] == 0 and r["views"] == 0 and r["product_clicks"] == 0
    assert money(r["gmv"]) == Decimal("0.00")


def test_no_clicks_gives_null_ctor_but_views_give_rates(tmp_path):
    b = LogBuilder()
    b.start(0)
    b.impression(1)
    b.impression(2)
    b.enter(3, "u1")
    b.pimpression(4, "u1")
    b.end(60)
    r = row(load(tmp_path, b))
    assert pd.isna(r["ctor"])
    assert r["live_ctr"] == 0
    assert r["product_ctr"] == 0
    assert r["enter_room_rate"] == approx(1 / 2)


def test_zero_denominator_cells_empty_in_csv(tmp_path):
    b = LogBuilder()
    b.start(0)
    b.end(100)
    load(tmp_path, b)
    out = subprocess.run(
        [sys.executable, "-m", "liveboard", "sessions", "--store", str(tmp_path / "store"), "--format", "csv"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    header, line = out.splitlines()
    cells = dict(zip(header.split(","), line.split(","), strict=True))
    for name in ("enter_room_rate", "ctor", "live_ctr", "product_ctr", "watch_gpm", "show_gpm", "avg_price"):
        assert cells[name] == "", name
    assert cells["impressions"] == "0"
    assert cells["gmv"] == "0.00"


# ---------------------------------------------------------------------------- money, timestamps


def test_money_sums_exactly(tmp_path):
    b = LogBuilder()
    b.start(0)
    b.order(10, "o1", amount="0.1")
    b.order(11, "o2", amount=0.2)  # a JSON number
    for i in range(10):
        b.order(20 + i, f"t{i}", product_id="p2", amount=0.1)
    b.end(60)
    wb = load(tmp_path, b)
    r = row(wb)
    assert money(r["gmv"]) == Decimal("1.30")
    prods = wb.session("s1").products().set_index("product_id")
    assert money(prods.loc["p1", "gmv"]) == Decimal("0.30")
    assert money(prods.loc["p2", "gmv"]) == Decimal("1.00")
    out = subprocess.run(
        [sys.executable, "-m", "liveboard", "sessions", "--store", str(tmp_path / "store"), "--format", "csv"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    header, line = out.splitlines()
    cells = dict(zip(header.split(","), line.split(","), strict=True))
    assert cells["gmv"] == "1.30"
    assert Decimal(cells["gmv"]) == Decimal("0.1") + Decimal("0.2") + 10 * Decimal("0.1")


def test_money_point_one_plus_point_two_in_csv(tmp_path):
    b = LogBuilder()
    b.start(0)
    b.order(10, "o1", amount="0.1")
    b.order(11, "o2", amount=0.2)
    b.end(60)
    load(tmp_path, b)
    out = subprocess.run(
        [sys.executable, "-m", "liveboard", "sessions", "--store", str(tmp_path / "store"), "--format", "csv"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    header, line = out.splitlines()
    cells = dict(zip(header.split(","), line.split(","), strict=True))
    assert cells["gmv"] == "0.30"
    assert Decimal(cells["gmv"]) == Decimal("0.30")
    assert cells["avg_price"] == "0.15"


def test_mixed_timestamp_formats_in_one_session(tmp_path):
    b = LogBuilder()
    b.start(0, fmt="+08")
    b.enter(30, "u1", fmt="z")
    b.order(60, "o1", user_id="u1", amount="5.00", fmt="ms")
    b.leave(90, "u1", fmt="-05")
    b.enter(100, "u2", fmt="utc")
    b.end(120, fmt="ms")
    # spot-check the builder wrote what we meant
    assert b.events[0]["ts"] == "2026-03-01T20:00:00.000+08:00"
    assert b.events[1]["ts"] == "2026-03-01T12:00:30.000Z"
    assert b.events[3]["ts"] == "2026-03-01T07:01:30.000-05:00"
    assert b.events[2]["ts"] == 1772366460000
    wb = load(tmp_path, b)
    r = row(wb)
    assert r["start"] == at(0) and r["end"] == at(120)
    assert r["duration_s"] == 120
    assert r["avg_view_duration_s"] == approx((60 + 20) / 2)
    trend = wb.session("s1").trend().set_index("minute")
    assert money(trend.loc[1, "gmv"]) == Decimal("5.00")
    assert money(trend.loc[0, "gmv"]) == Decimal("0.00")
    assert trend.loc[0, "views"] == 1 and trend.loc[1, "views"] == 1


def test_fractional_seconds_and_offsets_without_colon(tmp_path):
    b = LogBuilder()
    b.start(0)
    b.ev("viewer_enter", 0, user_id="u1", channel="feed", is_follower=False)
    b.events[-1]["ts"] = "2026-03-01T20:00:00.250+0800"
    b.ev("viewer_leave", 0, user_id="u1")
    b.events[-1]["ts"] = "2026-03-01T12:00:10.750Z"
    b.end(20)
    r = row(load(tmp_path, b))
    assert r["avg_view_duration_s"] == approx(10.5)


# ---------------------------------------------------------------------------- products and pins


def test_featured_seconds_pin_unpin_next_pin_end(tmp_path):
    b = LogBuilder()
    b.start(0)
    b.pin(10, "p1", name="Lipstick", price="9.90")
    b.unpin(40, "p1")  # p1: 30 s
    b.pin(50, "p2")
    b.pin(80, "p3")  # p2: 30 s
    b.unpin(90, "p2")  # p2 is no longer featured: no effect on p3
    b.pin(100, "p1")  # p3: 20 s
    b.end(200)  # p1: 100 s more
    wb = load(tmp_path, b)
    prods = wb.session("s1").products().set_index("product_id")
    assert prods.loc["p1", "featured_s"] == approx(130)
    assert prods.loc["p2", "featured_s"] == approx(30)
    assert prods.loc["p3", "featured_s"] == approx(20)
    assert prods.loc["p1", "name"] == "Lipstick"
    pins = wb.session("s1").pins()
    assert list(pins["product_id"]) == ["p1", "p2", "p3", "p1"]
    assert list(pins["featured_s"]) == approx([30, 30, 20, 100])


def test_pin_without_session_end_runs_to_last_event(tmp_path):
    b = LogBuilder()
    b.start(0)
    b.pin(10, "p1")
    b.ev("comment", 70, user_id="u1", text="x")
    prods = load(tmp_path, b).session("s1").products().set_index("product_id")
    assert prods.loc["p1", "featured_s"] == approx(60)


def test_per_product_figures(tmp_path):
    b = LogBuilder()
    b.start(0)
    for u in ("u1", "u2", "u3", "u4"):
        b.pimpression(1, u, "p1")
    b.pimpression(2, "u1", "p2")
    b.click(3, "u1", "p1")
    b.click(4, "u2", "p1")
    b.click(5, "u1", "p2")
    b.order(10, "o1", "u1", "p1", amount="10.00", quantity=2)
    b.order(11, "o2", "u2", "p1", amount="5.00", status="created")
    b.order(12, "o3", "u2", "p3", amount="3.00", status="refunded")  # p3: sold, never shown
    b.end(60)
    prods = load(tmp_path, b).session("s1").products().set_index("product_id")
    p1, p2, p3 = prods.loc["p1"], prods.loc["p2"], prods.loc["p3"]
    assert (p1["impressions"], p1["clicks"], p1["sku_orders"], p1["items_sold"]) == (4, 2, 1, 2)
    assert p1["ctr"] == approx(2 / 4) and p1["ctor"] == approx(1 / 2)
    assert money(p1["gmv"]) == Decimal("10.00")
    assert (p2["impressions"], p2["clicks"], p2["sku_orders"]) == (1, 1, 0)
    assert p2["ctor"] == 0 and money(p2["gmv"]) == Decimal("0.00")
    assert p3["impressions"] == 0 and p3["clicks"] == 0 and p3["sku_orders"] == 1
    assert pd.isna(p3["ctr"]) and pd.isna(p3["ctor"])
    assert money(p3["gmv"]) == Decimal("3.00")


# ---------------------------------------------------------------------------- channels


def test_channel_gmv_credited_to_latest_enter(tmp_path):
    b = LogBuilder()
    b.start(0)
    b.impression(1, "feed")
    b.impression(2, "feed")
    b.impression(3, "promoted")
    b.enter(10, "u1", "feed")
    b.leave(20, "u1")
    b.order(40, "o1", "u1", amount="10.00")  # latest enter of u1 at or before 40: feed (even though u1 left)
    b.order(50, "o2", "u1", amount="20.00")  # read before the enter at the same ts: still promoted
    b.enter(50, "u1", "promoted")
    b.order(5, "o4", "u2", amount="8.00")  # u2 enters only later: unattributed
    b.enter(30, "u2", "search")
    b.enter(31, "u3", "search")
    b.order(45, "o3", "u9", amount="4.00")  # u9 never entered: unattributed
    b.order(46, "o5", "u3", amount="100.00", status="created")  # not a sale
    b.end(60)
    ch = load(tmp_path, b).session("s1").channels().set_index("channel")
    assert money(ch.loc["feed", "gmv"]) == Decimal("10.00")
    assert money(ch.loc["promoted", "gmv"]) == Decimal("20.00")
    assert money(ch.loc["unattributed", "gmv"]) == Decimal("12.00")
    assert money(ch.loc["search", "gmv"]) == Decimal("0.00")
    assert (ch.loc["feed", "impressions"], ch.loc["feed", "views"], ch.loc["feed", "viewers"]) == (2, 1, 1)
    assert (ch.loc["promoted", "impressions"], ch.loc["promoted", "views"]) == (1, 1)
    assert (ch.loc["search", "views"], ch.loc["search", "viewers"]) == (2, 2)
    assert ch.loc["promoted", "group"] == "promoted"
    assert ch.loc["feed", "group"] == "organic" and ch.loc["search", "group"] == "organic"
    assert ch.loc["unattributed", "views"] == 0


def test_channel_viewers_distinct(tmp_path):
    b = LogBuilder()
    b.start(0)
    b.enter(1, "u1", "feed")
    b.enter(2, "u1", "feed")
    b.enter(3, "u2", "feed")
    b.end(10)
    ch = load(tmp_path, b).session("s1").channels().set_index("channel")
    assert ch.loc["feed", "views"] == 3 and ch.loc["feed", "viewers"] == 2
    assert "unattributed" not in ch.index


# ---------------------------------------------------------------------------- giveaways


def test_giveaway_figures_and_inclusive_window(tmp_path):
    b = LogBuilder()
    b.start(0)
    b.ev("giveaway_start", 100, giveaway_id="g1", prize="Mug", product_id="p1", winners_planned=2)
    for t, typ, u in [
        (101, "giveaway_view", "u1"),
        (102, "giveaway_view", "u1"),
        (103, "giveaway_view", "u2"),
        (104, "giveaway_click", "u1"),
        (105, "giveaway_join", "u1"),
        (106, "giveaway_join", "u2"),
        (107, "giveaway_join", "u3"),
        (108, "giveaway_join", "u3"),
    ]:
        b.ev(typ, t, giveaway_id="g1", user_id=u)
    b.order(99, "o0", amount="1.00")  # before: out
    b.order(100, "o1", amount="2.00")  # at start: in
    b.order(150, "o2", amount="4.00", status="created")  # not a sale
    b.order(200, "o3", amount="8.00", status="refunded")  # at end: in (refunded counts in GMV)
    b.order(201, "o4", amount="16.00")  # after: out
    b.ev("giveaway_end", 200, giveaway_id="g1", winner_ids=["u1", "u3"])
    b.end(300)
    g = load(tmp_path, b).session("s1").giveaways().set_index("giveaway_id").loc["g1"]
    assert g["start"] == at(100) and g["end"] == at(200)
    assert (g["view_uv"], g["click_uv"], g["participants"], g["winners"]) == (2, 1, 3, 2)
    assert money(g["gmv_during"]) == Decimal("10.00")
    assert g["prize"] == "Mug" and g["winners_planned"] == 2


# ---------------------------------------------------------------------------- audience


def test_audience_shares_from_first_enter(tmp_path):
    b = LogBuilder()
    b.start(0)
    b.enter(1, "u1", "feed", True, gender="female", age="25-34", region="US")
    b.enter(50, "u1", "feed", False, gender="male", age="55+", region="FR")  # later profile: ignored
    b.enter(2, "u2", "feed", False, gender="male", age="18-24")  # no region
    b.enter(3, "u3", "follow", True, gender="female", age="25-34", region="US")
    b.order(10, "o1", "u1", amount="5.00")
    b.order(11, "o2", "u2", amount="5.00", status="created")  # not a customer
    b.order(12, "o3", "u9", amount="5.00")  # a customer who never entered: unknown profile
    b.end(60)
    aud = load(tmp_path, b).session("s1").audience()

    def shares(audience, dimension):
        sub = aud[(aud["audience"] == audience) & (aud["dimension"] == dimension)]
        return {v: s for v, s in zip(sub["value"], sub["share"], strict=True)}

    assert shares("viewers", "follower") == approx({"follower": 2 / 3, "non-follower": 1 / 3})
    assert shares("viewers", "gender") == approx({"female": 2 / 3, "male": 1 / 3})
    assert shares("viewers", "age") == approx({"25-34": 2 / 3, "18-24": 1 / 3})
    assert shares("viewers", "region") == approx({"US": 2 / 3, "unknown": 1 / 3})
    assert shares("customers", "follower") == approx({"follower": 1 / 2, "unknown": 1 / 2})
    assert shares("customers", "gender") == approx({"female": 1 / 2, "unknown": 1 / 2})
    assert shares("customers", "region") == approx({"US": 1 / 2, "unknown": 1 / 2})
    users = aud[(aud["audience"] == "viewers") & (aud["dimension"] == "gender")].set_index("value")["users"]
    assert users.to_dict() == {"female": 2, "male": 1}


# ---------------------------------------------------------------------------- trend


def test_trend_per_minute(tmp_path):
    b = LogBuilder()
    b.start(0)
    b.enter(10, "u1")
    b.enter(30, "u2")  # never leaves
    b.ev("comment", 35, user_id="u2", text="a")
    b.ev("like", 36, user_id="u2", count=4)
    b.order(20, "o2", "u2", amount="3.00", status="created")
    b.order(65, "o1", "u1", amount="5.00")
    b.leave(70, "u1")
    b.enter(90, "u3")
    b.ev("follow", 95, user_id="u3")
    b.leave(100, "u3")
    b.impression(110)
    b.order(130, "o2", "u2", amount="3.00", status="paid")  # counted at its paid time
    b.enter(130, "u4")
    b.click(131, "u4")
    b.leave(170, "u4")
    b.end(180)
    tr = load(tmp_path, b).session("s1").trend().set_index("minute")
    assert list(tr.index) == [0, 1, 2, 3]  # the end at 180 s falls in minute 3
    assert list(tr["views"]) == [2, 1, 1, 0]
    assert list(tr["online"]) == [2, 1, 1, 1]  # at 60 s: u1, u2; at 120 s: u2; at 180 s: u2
    assert [money(x) for x in tr["gmv"]] == [Decimal("0.00"), Decimal("5.00"), Decimal("3.00"), Decimal("0.00")]
    assert list(tr["sku_orders"]) == [0, 1, 1, 0]
    assert list(tr["comments"]) == [1, 0, 0, 0]
    assert list(tr["likes"]) == [4, 0, 0, 0]
    assert list(tr["new_followers"]) == [0, 1, 0, 0]
    assert list(tr["impressions"]) == [0, 1, 0, 0]
    assert list(tr["product_clicks"]) == [0, 0, 1, 0]
    assert tr.loc[2, "ts"] == at(120)


def test_trend_online_with_reentry_is_not_double(tmp_path):
    b = LogBuilder()
    b.start(0)
    b.enter(10, "u1")
    b.enter(70, "u1")  # re-enter without leaving
    b.end(150)
    tr = load(tmp_path, b).session("s1").trend().set_index("minute")
    assert list(tr["online"]) == [1, 1, 1]
    assert list(tr["views"]) == [1, 1, 0]


# ---------------------------------------------------------------------------- lists


def test_comments_violations_markers(tmp_path):
    b = LogBuilder()
    b.start(0)
    b.ev("comment", 10, user_id="u1", text="Great DEAL")
    b.ev("comment", 70, user_id="u2", text="=cmd|' /C calc'!A0")
    b.pin(20, "p1", name="Mug")
    b.ev("giveaway_start", 30, giveaway_id="g1", prize="Cap", winners_planned=1)
    b.ev("violation", 80, violation_id="v1", policy="prohibited", severity="high", detail="x")
    b.end(100)
    s = load(tmp_path, b).session("s1")
    com = s.comments()
    assert list(com["text"]) == ["Great DEAL", "=cmd|' /C calc'!A0"]
    assert list(com["minute"]) == [0, 1]
    assert list(s.comments(search="deal")["user_id"]) == ["u1"]
    v = s.violations()
    assert list(v["severity"]) == ["high"] and list(v["minute"]) == [1]
    m = s.markers()
    assert list(m["kind"]) == ["product", "giveaway", "violation"]
    assert list(m["label"]) == ["Mug", "Cap", "prohibited"]
    assert s.events().num_rows == 7


def test_same_id_in_two_sessions_is_not_a_duplicate(tmp_path):
    b = LogBuilder()
    for sid in ("s1", "s2"):
        b.start(0, session_id=sid, id="start")
        b.order(10, "o1", amount="3.00", session_id=sid, id="x")
        b.end(20, session_id=sid, id="end")
    path = b.write(tmp_path / "log.jsonl")
    _, report = import_files(tmp_path / "store", [path])
    assert report.imported == 6 and report.duplicates == 0
    wb = liveboard.open(tmp_path / "store")
    assert money(row(wb, "s1")["gmv"]) == Decimal("3.00") and money(row(wb, "s2")["gmv"]) == Decimal("3.00")


def test_giveaway_without_end_runs_to_session_end(tmp_path):
    b = LogBuilder()
    b.start(0)
    b.ev("giveaway_start", 10, giveaway_id="g1", prize="Cap", winners_planned=1)
    b.order(50, "o1", amount="2.00")
    b.order(100, "o2", amount="3.00")  # at the session's end: still inside
    b.end(100)
    g = load(tmp_path, b).session("s1").giveaways().iloc[0]
    assert pd.isna(g["end"])
    assert money(g["gmv_during"]) == Decimal("5.00")
    assert g["participants"] == 0 and (pd.isna(g["winners"]) or g["winners"] == 0)  # no draw yet
