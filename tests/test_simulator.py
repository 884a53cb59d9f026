"""The LIVE session simulator: determinism, schema, realism properties and round trip through event-log-v1."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from liveboard.eventlog import read_event_log, write_event_log
from liveboard.events import CHANNELS, EVENT_SCHEMA, EVENT_TYPES
from liveboard.simulator import (
    DEFAULT_NOW,
    HOSTILE_TEXTS,
    MEGA_EVENTS_MIN,
    product_catalogue,
    simulate,
    simulate_session,
    write_simulation,
)

START = datetime(2026, 10, 2, 18, 0, tzinfo=UTC)
ACCOUNT = "glowlab.official"


def _session(seed: int = 7, duration_s: int = 2 * 3600, scale: float = 0.3, **kw) -> pa.Table:
    return simulate_session("s-test", ACCOUNT, START, duration_s, seed=seed, **kw, scale=scale)


@pytest.fixture(scope="module")
def session() -> pa.Table:
    """A normal two-hour session at a modest scale."""
    return _session()


@pytest.fixture(scope="module")
def big_session() -> pa.Table:
    """A full-size (scale 1) two-hour session for rate comparisons."""
    return _session(seed=3, scale=1.0)


@pytest.fixture(scope="module")
def fleet() -> list[pa.Table]:
    return list(simulate(seed=0, scale=0.02))


def _of(table: pa.Table, etype: str) -> pa.Table:
    return table.filter(pc.equal(table["type"], etype))


def _secs(table: pa.Table, start: datetime = START) -> np.ndarray:
    us = table["ts"].cast(pa.int64()).to_numpy()
    return (us - int(start.timestamp() * 1_000_000)) / 1e6


# ------------------------------------------------------------------ shape and determinism


def test_deterministic_for_a_seed_and_different_across_seeds():
    a = _session(seed=11, duration_s=1800, scale=0.2)
    b = _session(seed=11, duration_s=1800, scale=0.2)
    c = _session(seed=12, duration_s=1800, scale=0.2)
    assert a.equals(b)
    assert not a.equals(c)
    fleet_a = [t.num_rows for t in simulate(seed=5, sessions=4, scale=0.01)]
    fleet_b = [t.num_rows for t in simulate(seed=5, sessions=4, scale=0.01)]
    assert fleet_a == fleet_b


def test_schema_order_and_ids(session):
    assert session.schema.equals(EVENT_SCHEMA)
    n = session.num_rows
    assert session["seq"].to_pylist() == list(range(n))
    ts = session["ts"].cast(pa.int64()).to_numpy()
    assert (np.diff(ts) >= 0).all()
    assert pc.count_distinct(session["id"]).as_py() == n
    assert set(session["session_id"].unique().to_pylist()) == {"s-test"}
    types = session["type"].to_pylist()
    assert types[0] == "session_start" and types[-1] == "session_end"
    assert types.count("session_start") == 1 and types.count("session_end") == 1
    assert session["extra"].null_count == n
    users = pc.drop_null(session["user_id"]).to_pylist()
    assert all(u.startswith("u") and u[1:].isdigit() for u in users)
    start = _of(session, "session_start").to_pylist()[0]
    assert start["account_id"] == ACCOUNT and start["currency"] == "USD" and start["title"]
    end_ts = _of(session, "session_end")["ts"][0].as_py()
    assert end_ts - START == timedelta(hours=2)


def test_fields_not_of_a_type_are_null(session):
    for etype, fields in EVENT_TYPES.items():
        rows = _of(session, etype)
        own = {f.name for f in fields}
        for name in EVENT_SCHEMA.names[5:]:
            if name not in own:
                assert rows[name].null_count == rows.num_rows, (etype, name)
        for f in fields:
            if f.required:
                assert rows[f.name].null_count == 0, (etype, f.name)


def test_every_event_type_appears(session):
    assert set(session["type"].unique().to_pylist()) == set(EVENT_TYPES)


def test_no_end_event_and_scale():
    t = _session(seed=1, duration_s=3600, scale=0.01, end_event=False)
    assert "session_end" not in t["type"].to_pylist()
    assert 100 < t.num_rows < 2000  # a few hundred events


def test_round_trip_through_event_log(session, tmp_path):
    path = tmp_path / "s.jsonl.gz"
    assert write_event_log(session, path) == session.num_rows
    r = read_event_log(path)
    assert r.bad_count == 0
    assert not r.unknown_types
    assert r.events.num_rows == session.num_rows
    cols = [c for c in EVENT_SCHEMA.names if c != "seq"]
    assert r.events.select(cols).equals(session.select(cols))


# ------------------------------------------------------------------ audience


def test_viewers_impressions_and_channels(big_session):
    enters, leaves, imps = (_of(big_session, t) for t in ("viewer_enter", "viewer_leave", "impression"))
    views = Counter(enters["channel"].to_pylist())
    assert set(views) == set(CHANNELS)
    assert views.most_common(1)[0][0] == "feed"
    assert 0.02 < views["promoted"] / enters.num_rows < 0.4
    err = enters.num_rows / imps.num_rows
    assert 0.03 < err < 0.25
    # every enter is preceded by an impression of the same user on the same channel
    first_imp = {}
    for u, ch, t in zip(imps["user_id"].to_pylist(), imps["channel"].to_pylist(), _secs(imps), strict=True):
        if u is not None:
            first_imp.setdefault((u, ch), t)
    for u, ch, t in zip(enters["user_id"].to_pylist(), enters["channel"].to_pylist(), _secs(enters), strict=True):
        assert first_imp[(u, ch)] < t
    # one leave per closed view; a few viewers re-enter; a few never leave
    assert 0.9 * enters.num_rows < leaves.num_rows < enters.num_rows
    per_user = Counter(enters["user_id"].to_pylist())
    assert 0 < sum(1 for c in per_user.values() if c > 1) < 0.2 * len(per_user)
    # a user's leave follows their enter, and nobody is in the room twice
    ev = big_session.filter(pc.is_in(big_session["type"], pa.array(["viewer_enter", "viewer_leave"])))
    inside: dict[str, bool] = {}
    for typ, u in zip(ev["type"].to_pylist(), ev["user_id"].to_pylist(), strict=True):
        if typ == "viewer_enter":
            assert not inside.get(u)
            inside[u] = True
        else:
            assert inside.get(u)
            inside[u] = False
    # dwell: most views short, some long
    enter_t = dict(zip(enters["user_id"].to_pylist(), _secs(enters), strict=False))
    dwell = np.array(
        [t - enter_t[u] for u, t in zip(leaves["user_id"].to_pylist(), _secs(leaves), strict=True) if u in enter_t]
    )
    dwell = dwell[dwell > 0]
    assert np.median(dwell) < 90 and np.percentile(dwell, 95) > 300


def test_demographics(big_session):
    enters = _of(big_session, "viewer_enter")
    fol = enters["is_follower"].to_pylist()
    assert 0.05 < sum(fol) / len(fol) < 0.6
    assert set(pc.drop_null(enters["gender"]).to_pylist()) == {"female", "male", "unknown"}
    assert set(pc.drop_null(enters["age"]).to_pylist()) == {"18-24", "25-34", "35-44", "45-54", "55+"}
    regions = Counter(pc.drop_null(enters["region"]).to_pylist())
    assert "US-CA" in regions and len(regions) > 5
    assert 0 < enters["region"].null_count < 0.3 * enters.num_rows


def test_engagement_events(big_session):
    likes = _of(big_session, "like")
    assert pc.min(likes["count"]).as_py() >= 1 and pc.max(likes["count"]).as_py() > 5
    gifts = _of(big_session, "gift")
    assert gifts.num_rows > 0 and pc.min(gifts["count"]).as_py() >= 1
    assert pc.min(gifts["diamonds"]).as_py() >= 1
    follows = _of(big_session, "follow")
    assert pc.count_distinct(follows["user_id"]).as_py() == follows.num_rows
    entered = set(_of(big_session, "viewer_enter")["user_id"].to_pylist())
    for etype in ("comment", "like", "share", "follow", "gift", "product_click", "order", "giveaway_join"):
        assert set(_of(big_session, etype)["user_id"].to_pylist()) <= entered, etype
    counts = _of(big_session, "viewer_count")
    gaps = np.diff(_secs(counts))
    assert 9 < gaps.mean() < 11 and pc.max(counts["count"]).as_py() > 0


def test_comments_multilingual_and_hostile(big_session, fleet):
    texts = set(_of(big_session, "comment")["text"].to_pylist())
    for t in fleet:
        texts |= set(_of(t, "comment")["text"].to_pylist())
    joined = "\n".join(texts)
    assert any(h in texts for h in HOSTILE_TEXTS)
    assert "<img src=x onerror=alert(1)>" in texts or "<script>alert(1)</script>" in texts
    assert "🔥" in joined
    for probe in ("ราคา", "berapa", "giá", "harganya", "cuánto", "多少", "how much"):
        assert probe in joined, probe


# ------------------------------------------------------------------ commerce


def _catalogue_prices(currency: str = "USD", account: str = ACCOUNT, seed: int = 3) -> dict[str, Decimal]:
    return {p.product_id: Decimal(p.price) for p in product_catalogue(account, seed=seed, currency=currency)}


def test_catalogue():
    cat = product_catalogue(ACCOUNT, seed=0)
    assert 5 <= len(cat) <= 20
    assert len({p.product_id for p in cat}) == len(cat)
    assert all(p.name and p.price_minor > 0 for p in cat)
    assert cat == product_catalogue(ACCOUNT, seed=0)


def test_orders_amounts_and_lifecycle(big_session):
    prices = _catalogue_prices()
    pins = _of(big_session, "product_pin").to_pylist()
    assert pins and all(prices[p["product_id"]] == p["price"] for p in pins)
    orders = _of(big_session, "order")
    rows = orders.to_pylist()
    assert rows
    for r in rows:
        assert r["amount"] == r["quantity"] * prices[r["product_id"]]
        assert r["quantity"] >= 1
    by_id = defaultdict(list)
    for r in rows:
        by_id[r["order_id"]].append(r)
    patterns = Counter(tuple(x["status"] for x in seq) for seq in by_id.values())
    assert set(patterns) <= {("created",), ("created", "paid"), ("created", "paid", "refunded")}
    assert patterns[("created", "paid")] > patterns[("created",)] > 0
    assert patterns[("created", "paid", "refunded")] > 0
    for seq in by_id.values():
        assert len({(x["user_id"], x["product_id"], x["quantity"], x["amount"], x["attribution"]) for x in seq}) == 1
        if len(seq) > 1:
            paid_after = (seq[1]["ts"] - seq[0]["ts"]).total_seconds()
            assert 1 <= paid_after < 120
    attribution = Counter(r["attribution"] for r in rows if r["status"] == "created")
    assert 0.65 < attribution["direct"] / sum(attribution.values()) < 0.95
    # every buyer entered the room before ordering
    enters = _of(big_session, "viewer_enter")
    first_enter = {}
    for u, t in zip(enters["user_id"].to_pylist(), _secs(enters), strict=True):
        first_enter.setdefault(u, t)
    for u, t in zip(orders["user_id"].to_pylist(), _secs(orders), strict=True):
        assert first_enter[u] < t


def _pin_intervals(table: pa.Table) -> dict[str, list[tuple[float, float]]]:
    end = float(_secs(_of(table, "session_end"))[0])
    ev = table.filter(pc.is_in(table["type"], pa.array(["product_pin", "product_unpin"])))
    out: dict[str, list[tuple[float, float]]] = defaultdict(list)
    current = None
    for typ, pid, t in zip(ev["type"].to_pylist(), ev["product_id"].to_pylist(), _secs(ev), strict=True):
        if current is not None:
            out[current[0]].append((current[1], t))
            current = None
        if typ == "product_pin":
            current = (pid, t)
    if current is not None:
        out[current[0]].append((current[1], end))
    return out


def test_pins_lift_product_funnel(big_session):
    intervals = _pin_intervals(big_session)
    assert intervals
    clicks, imps = _of(big_session, "product_click"), _of(big_session, "product_impression")
    minutes = int(_secs(_of(big_session, "session_end"))[0] // 60)
    lifts = []
    for pid, spans in intervals.items():
        pinned = np.zeros(minutes, bool)
        for a, b in spans:
            pinned[int(np.ceil(a / 60)) : int(b // 60)] = True  # minutes pinned throughout
        loose = np.ones(minutes, bool)
        for a, b in spans:
            loose[int(a // 60) : int(np.ceil(b / 60))] = False
        if pinned.sum() < 2 or loose.sum() < 10:
            continue
        for ev, floor in ((clicks, 2.0), (imps, 4.0)):
            m = (_secs(ev.filter(pc.equal(ev["product_id"], pid))) // 60).astype(int)
            per_min = np.bincount(m[m < minutes], minlength=minutes)
            assert per_min[pinned].mean() > floor * max(per_min[loose].mean(), 0.05), (pid, ev["type"][0])
        lifts.append(pid)
    assert len(lifts) >= 2


def test_giveaways_lift_views(big_session):
    starts, ends = _of(big_session, "giveaway_start"), _of(big_session, "giveaway_end")
    assert starts.num_rows >= 1 and starts.num_rows == ends.num_rows
    minutes = int(_secs(_of(big_session, "session_end"))[0] // 60)
    running = np.zeros(minutes, bool)
    for a, b in zip(_secs(starts), _secs(ends), strict=True):
        running[int(np.ceil(a / 60)) : int(b // 60)] = True
    for etype in ("viewer_enter", "comment"):
        m = (_secs(_of(big_session, etype)) // 60).astype(int)
        per_min = np.bincount(m[m < minutes], minlength=minutes)
        assert per_min[running].mean() > 1.5 * per_min[~running][10:].mean(), etype
    for g in starts.to_pylist():
        gid = g["giveaway_id"]
        assert g["prize"] and g["winners_planned"] >= 1
        views, joins = (
            _of(big_session, t).filter(pc.equal(_of(big_session, t)["giveaway_id"], gid))
            for t in ("giveaway_view", "giveaway_join")
        )
        assert views.num_rows > joins.num_rows > 0
        end = ends.filter(pc.equal(ends["giveaway_id"], gid)).to_pylist()[0]
        assert 0 < len(end["winner_ids"]) <= g["winners_planned"]
        assert set(end["winner_ids"]) <= set(joins["user_id"].to_pylist())


def test_violations(session):
    v = _of(session, "violation").to_pylist()
    assert v
    for r in v:
        assert r["violation_id"] and r["policy"] and r["detail"] and r["severity"] in {"low", "medium", "high"}


# ------------------------------------------------------------------ many sessions


def test_simulate_fleet(fleet):
    assert len(fleet) == 12
    starts = [_of(t, "session_start").to_pylist()[0] for t in fleet]
    assert len({s["account_id"] for s in starts}) == 3
    ids = [t["session_id"][0].as_py() for t in fleet]
    assert len(set(ids)) == len(ids)
    titles = [s["title"] for s in starts]
    assert len(set(titles)) == len(titles)
    assert any("<img src=x onerror=alert(1)>" in t for t in titles)
    assert any("<b>" in t for t in titles)
    events = Counter(s["live_event_id"] for s in starts if s["live_event_id"])
    assert events and 2 <= max(events.values()) <= 3
    for t in fleet:
        start = t["ts"][0].as_py()
        end = _of(t, "session_end")["ts"][0].as_py()
        assert timedelta(minutes=30) <= end - start <= timedelta(hours=4)
        assert DEFAULT_NOW - timedelta(days=91) <= start <= DEFAULT_NOW
        assert t.schema.equals(EVENT_SCHEMA)
    assert [t["ts"][0].as_py() for t in fleet] == sorted(t["ts"][0].as_py() for t in fleet)
    # sessions of the same account do not overlap
    spans = defaultdict(list)
    for s, t in zip(starts, fleet, strict=True):
        spans[s["account_id"]].append((t["ts"][0].as_py(), t["ts"][-1].as_py()))
    for lst in spans.values():
        lst.sort()
        assert all(a[1] <= b[0] for a, b in zip(lst, lst[1:], strict=False))


def test_write_simulation(tmp_path):
    paths = write_simulation(tmp_path / "out", seed=2, sessions=3, scale=0.01)
    assert len(paths) == 3 and all(p.name.endswith(".jsonl.gz") and p.exists() for p in paths)
    for p in paths:
        r = read_event_log(p)
        assert r.bad_count == 0 and not r.unknown_types
        assert p.name == f"{r.events['session_id'][0].as_py()}.jsonl.gz"


@pytest.mark.slow
def test_mega_session():
    tables = list(simulate(seed=0, sessions=2, mega=True, scale=0.01))
    mega = [t for t in tables if t["session_id"][0].as_py().startswith("mega-")]
    assert len(mega) == 1
    t = mega[0]
    assert t.num_rows >= MEGA_EVENTS_MIN
    assert t.schema.equals(EVENT_SCHEMA)
    assert (_secs(_of(t, "session_end"), t["ts"][0].as_py()) == [3 * 3600]).all()
    assert pc.count_distinct(t["id"]).as_py() == t.num_rows
