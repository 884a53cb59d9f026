"""Tests of liveboard/shop_sync.py: one ``liveboard sync shop`` (dates, paging, into the store) against tests/fake_shop.py."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from fake_shop import FakeShop, make_lives
from shop_helpers import SINCE, fetch, ids

import liveboard
from liveboard.cli import main
from liveboard.shop_api import ShopStop
from liveboard.shop_sync import date_range, sync_shop


def test_until_is_inclusive_and_paging_follows_tokens():
    lives = make_lives(230, spacing_s=600, affiliate_every=1)  # affiliates: list pages only
    with FakeShop(lives) as fake:
        last_day = dt.datetime.fromtimestamp(lives[-1].start, dt.UTC).date()
        fetched, _ = fetch(fake, since=SINCE, until=last_day)
        lists = [r for r in fake.requests if r.api == "sessions"]
        assert [r.query["page_size"] for r in lists] == ["100"] * 3
        assert lists[0].query["end_date_lt"] == (last_day + dt.timedelta(days=1)).isoformat()
        assert "page_token" not in lists[0].query and lists[1].query["page_token"]
        assert len(fetched.summaries) == 230  # the last day's sessions are in
        assert fake.count("per_minute") == 0  # affiliates: summary only


def test_date_range_defaults_and_checks():
    assert date_range(None, None, today=dt.date(2026, 12, 1)) == (dt.date(2026, 11, 1), dt.date(2026, 12, 1))
    assert date_range("2026-11-05", "2026-11-05") == (dt.date(2026, 11, 5), dt.date(2026, 11, 5))
    with pytest.raises(liveboard.errors.InputError, match="--since"):
        date_range("2026-11-06", "2026-11-05")
    with pytest.raises(liveboard.errors.InputError, match="--until.*YYYY-MM-DD"):
        date_range(None, "5 Nov")


def test_sync_into_store_end_to_end(shop_env, capsys, tmp_path):
    fake = shop_env
    broken = ids(fake)[3]
    fake.broken_minutes.add(broken)
    store = tmp_path / "store"
    argv = ["sync", "shop", "--since", "2026-11-01", "--until", "2026-12-31", "--store", str(store)]
    assert main(argv) == 1  # partial: one session has no trend
    out = capsys.readouterr()
    assert "api: 8 session(s) from 2026-11-01 to 2026-12-31" in out.out
    last = out.err.strip().splitlines()
    assert (
        last[-2].startswith(f"missing: session {broken} (@") and "per-minute trend: HTTP 500 code 98001001" in last[-2]
    )
    assert last[-1].startswith("partial sync: 1 session(s) with missing data")

    wb = liveboard.open(store)
    sessions = wb.sessions()
    assert len(sessions) == 8
    first = fake.lives[ids(fake)[0]]
    row = sessions.set_index("session_id").loc[first.id]
    assert Decimal(str(row["gmv"])) == first.total("gmv") and row["account_id"] == "mayshop.my"
    assert row["views"] == first.total("views")
    session = wb.session(first.id)
    trend = session.trend()
    assert len(trend) == len(first.minutes) and set(trend["interval_s"]) == {60}
    products = session.products()
    assert sorted(products["product_id"]) == sorted(p["id"] for p in first.products)
    assert wb.session(broken).trend().empty and not wb.session(broken).products().empty
    affiliate = sessions.set_index("session_id").loc[ids(fake)[6]]
    assert pd_isna(affiliate["views"]) and pd_isna(affiliate["comments"])

    # the same figures again: nothing changes
    assert main(argv) == 1
    again = capsys.readouterr().out
    assert "store: new 0 · changed 0 · unchanged 8" in again

    # the API's figures change: the newer win, and the sync says which sessions changed
    fake.broken_minutes.clear()
    fake.change(first.id, gmv="50.00")
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert f"changed: {first.id}: " in out and "gmv" in out.split(f"changed: {first.id}: ")[1].splitlines()[0]
    assert f"changed: {broken}: trend" in out
    assert Decimal(str(liveboard.open(store).sessions().set_index("session_id").loc[first.id, "gmv"])) == first.total(
        "gmv"
    )
    assert len(liveboard.open(store).session(broken).trend()) == len(fake.lives[broken].minutes)


def test_failed_products_keep_the_direct_gmv_of_the_last_sync(shop_env, capsys, tmp_path):
    fake = shop_env
    first = ids(fake)[0]
    argv = ["sync", "shop", "--since", "2026-11-01", "--until", "2026-12-31", "--store", str(tmp_path / "s")]
    assert main(argv) == 0
    expected = sum(p["direct_gmv"] for p in fake.lives[first].products)
    fake.garbage.add(("products", first))
    assert main(argv) == 1
    out = capsys.readouterr()
    assert "changed 0 · unchanged 8" in out.out and f"missing: session {first} (@" in out.err
    wb = liveboard.open(tmp_path / "s")
    assert Decimal(str(wb.sessions().set_index("session_id").loc[first, "direct_gmv"])) == expected
    assert len(wb.session(first).products()) == len(fake.lives[first].products)  # the last sync's rows stay


def pd_isna(value) -> bool:
    import pandas as pd

    return bool(pd.isna(value))


def test_sync_shop_refuses_a_store_without_put_source(shop_env):
    with pytest.raises(ShopStop, match="put_source"):
        sync_shop(object(), since="2026-11-01")
