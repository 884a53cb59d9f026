"""What the Shop API tests share (tests/test_shop_*.py): quick retries, the synced dates, one sync's reading.

Their fixtures ``fake`` (a FakeShop of 8 sessions) and ``shop_env`` are in tests/conftest.py.
"""

from __future__ import annotations

import datetime as dt

from fake_shop import FakeShop

from liveboard import aio
from liveboard.shop_api import RetryPolicy, ShopConfig
from liveboard.shop_sync import fetch_shop

FAST = RetryPolicy(attempts=3, base_s=0.01, max_s=0.05, jitter_s=0.01)
SINCE, UNTIL = dt.date(2026, 11, 1), dt.date(2026, 12, 31)
FAST_ENV = {"LIVEBOARD_SHOP_BACKOFF_S": "0.01", "LIVEBOARD_SHOP_ATTEMPTS": "3"}


def fetch(fake: FakeShop, since=SINCE, until=UNTIL, env: dict | None = None, **options):
    """One sync's reading (no store): (Fetched, ClientStats)."""
    options.setdefault("policy", FAST)
    config = ShopConfig.from_env(fake.env(**(env or {})))
    return aio.run(fetch_shop(config, since, until, **options))


def ids(fake: FakeShop) -> list[str]:
    return list(fake.lives)
