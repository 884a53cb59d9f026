"""The incremental live state gives, batch after batch, the figures the batch SQL gives over the same events."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from live_compare import assert_same, sql_frames

from liveboard.events import AGES, CHANNELS, EVENT_SCHEMA, GENDERS
from liveboard.live.state import LiveState
from liveboard.simulator import simulate_session

BASE = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
USERS = [f"u{i}" for i in range(8)]
PRODUCTS = ["p0", "p1", "p2"]
ORDERS = [f"o{i}" for i in range(6)]
GIVEAWAYS = ["g0", "g1"]
KINDS = [
    "impression",
    "viewer_enter",
    "viewer_enter",
    "viewer_leave",
    "viewer_leave",
    "comment",
    "like",
    "share",
    "follow",
    "gift",
    "product_pin",
    "product_unpin",
    "product_impression",
    "product_click",
    "order",
    "order",
    "giveaway_start",
    "giveaway_view",
    "giveaway_click",
    "giveaway_join",
    "giveaway_end",
    "violation",
]


@st.composite
def event_logs(draw):
    """A random session: a start at 0, then events at coarse times (many ties), maybe a session_end last."""
    n = draw(st.integers(0, 60))
    rows = [{"type": "session_start", "t": 0.0, "account_id": "a", "title": "T", "currency": "USD"}]
    for _ in range(n):
        kind = draw(st.sampled_from(KINDS))
        t = draw(st.integers(0, 400)) / draw(st.sampled_from([1, 2, 10]))
        e = {"type": kind, "t": float(t)}
        u = draw(st.sampled_from(USERS))
        if kind == "impression":
            e |= {"channel": draw(st.sampled_from(CHANNELS)), "user_id": draw(st.sampled_from([None, u]))}
        elif kind == "viewer_enter":
            e |= {
                "user_id": u,
                "channel": draw(st.sampled_from(CHANNELS[:4])),
                "is_follower": draw(st.booleans()),
                "gender": draw(st.sampled_from((None,) + GENDERS)),
                "age": draw(st.sampled_from((None,) + AGES)),
                "region": draw(st.sampled_from([None, "US-CA", "MY"])),
            }
        elif kind in ("viewer_leave", "share", "follow"):
            e["user_id"] = u
        elif kind == "comment":
            e |= {"user_id": u, "text": draw(st.sampled_from(["hi", "<b>x</b>"]))}
        elif kind == "like":
            e |= {"user_id": u, "count": draw(st.sampled_from([None, 1, 7]))}
        elif kind == "gift":
            e |= {"user_id": u, "gift_name": "Rose", "diamonds": draw(st.integers(0, 30)), "count": 2}
        elif kind == "product_pin":
            e |= {
                "product_id": draw(st.sampled_from(PRODUCTS)),
                "name": draw(st.sampled_from([None, "Serum", "Lip"])),
                "price": draw(st.sampled_from([None, Decimal("9.995"), Decimal("12.5")])),
            }
        elif kind == "product_unpin":
            e["product_id"] = draw(st.sampled_from(PRODUCTS))
        elif kind in ("product_impression", "product_click"):
            e |= {"user_id": u, "product_id": draw(st.sampled_from(PRODUCTS))}
        elif kind == "order":
            e |= {
                "order_id": draw(st.sampled_from(ORDERS)),
                "user_id": u,
                "product_id": draw(st.sampled_from(PRODUCTS)),
                "quantity": draw(st.integers(1, 3)),
                "amount": draw(
                    st.sampled_from([Decimal("10"), Decimal("0.005"), Decimal("3.333333"), Decimal("7.25")])
                ),
                "status": draw(st.sampled_from(["created", "paid", "refunded"])),
                "attribution": draw(st.sampled_from(["direct", "indirect"])),
            }
        elif kind == "giveaway_start":
            e |= {"giveaway_id": draw(st.sampled_from(GIVEAWAYS)), "prize": "Box", "winners_planned": 1}
        elif kind in ("giveaway_view", "giveaway_click", "giveaway_join"):
            e |= {"giveaway_id": draw(st.sampled_from(GIVEAWAYS)), "user_id": u}
        elif kind == "giveaway_end":
            e |= {"giveaway_id": draw(st.sampled_from(GIVEAWAYS)), "winner_ids": draw(st.sampled_from([[], [u]]))}
        elif kind == "violation":
            e |= {"violation_id": "v", "policy": "Harassment", "severity": "low", "detail": "d"}
        rows.append(e)
    if draw(st.booleans()):
        last = max(r["t"] for r in rows)
        rows.append({"type": "session_end", "t": last + draw(st.sampled_from([0.0, 0.5, 30.0]))})
    # read order: by time, ties in drawn order (session_start first of its instant)
    order = sorted(range(len(rows)), key=lambda i: (rows[i]["t"], i))
    events = []
    for seq, i in enumerate(order):
        r = dict(rows[i])
        t = r.pop("t")
        events.append({"session_id": "s1", "id": f"e{i}", "ts": BASE + dt.timedelta(seconds=t), "seq": seq} | r)
    return pa.Table.from_pylist(events, schema=EVENT_SCHEMA)


@st.composite
def split_batches(draw, table: pa.Table):
    """Contiguous batches (boundaries may fall between events of the same instant), shuffled inside."""
    n = table.num_rows
    cuts = sorted(set(draw(st.lists(st.integers(1, max(n - 1, 1)), max_size=6)))) if n > 1 else []
    bounds = [0, *cuts, n]
    batches = []
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        idx = list(range(a, b))
        idx = draw(st.permutations(idx))
        batches.append(table.take(pa.array(idx, pa.int64())))
    return batches


def check(state: LiveState, events: pa.Table) -> None:
    sql = sql_frames(events)
    assert_same("summary", state.summary(), sql["summary"].iloc[0])
    for name in ("trend", "products", "channels", "giveaways", "audience"):
        assert_same(name, getattr(state, name)(), sql[name])


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_state_equals_sql_after_batches(data):
    """At the end, and after one batch drawn at random in the middle (a live session seen half-way)."""
    events = data.draw(event_logs())
    batches = data.draw(split_batches(events))
    probe = data.draw(st.integers(0, len(batches) - 1))
    state = LiveState()
    seen = []
    for i, b in enumerate(batches):
        state.fold(b)
        seen.append(b)
        if i == probe or i == len(batches) - 1:
            check(state, pa.concat_tables(seen))


def test_simulated_session_in_small_batches():
    events = simulate_session("s-sim", "glowlab.official", BASE, 1800, seed=11, scale=0.6)
    state = LiveState()
    for off in range(0, events.num_rows, 613):
        state.fold(events.slice(off, 613))
    check(state, events)


def test_simulated_session_without_end_then_end():
    events = simulate_session("s-open", "techdeals.us", BASE, 900, seed=5, scale=0.5, end_event=False)
    state = LiveState()
    half = events.num_rows // 2
    state.fold(events.slice(0, half))
    check(state, events.slice(0, half))
    state.fold(events.slice(half))
    check(state, events)
    assert not state.ended


def test_other_sessions_are_ignored():
    a = simulate_session("s-a", "glowlab.official", BASE, 300, seed=1, scale=0.3)
    b = simulate_session("s-b", "glowlab.official", BASE, 300, seed=2, scale=0.3)
    state = LiveState("s-a")
    state.fold(pa.concat_tables([a, b]).sort_by([("ts", "ascending")]))
    check(state, a)


@pytest.mark.parametrize("n", [0])
def test_empty_state(n):
    state = LiveState()
    assert state.summary().empty
    assert state.trend().empty


def test_giveaway_end_moving_later_credits_orders_already_folded():
    """A second ``giveaway_end`` widens the window over a paid order folded in an earlier batch."""

    def ev(i, t, typ, **kw):
        return {"session_id": "s1", "id": f"e{i}", "ts": BASE + dt.timedelta(seconds=t), "seq": i, "type": typ} | kw

    rows = [
        ev(0, 0, "session_start", account_id="a", title="T", currency="USD"),
        ev(1, 0, "giveaway_start", giveaway_id="g0", prize="Box", winners_planned=1),
        ev(2, 0, "giveaway_end", giveaway_id="g0", winner_ids=[]),
        ev(3, 1, "order", order_id="o0", user_id="u0", product_id="p0", quantity=1, amount=Decimal("10"))
        | {"status": "paid", "attribution": "direct"},
        ev(4, 2, "giveaway_end", giveaway_id="g0", winner_ids=["u0"]),
        ev(5, 3, "giveaway_start", giveaway_id="g1", prize="Box", winners_planned=1),
    ]
    events = pa.Table.from_pylist(rows, schema=EVENT_SCHEMA)
    state = LiveState()
    state.fold(events.slice(0, 4))
    check(state, events.slice(0, 4))
    state.fold(events.slice(4))
    check(state, events)
    assert float(state.giveaways()["gmv_during"].iloc[0]) == 10.0
