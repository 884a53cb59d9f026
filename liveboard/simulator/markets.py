"""The markets and accounts of the simulated world: where viewers are, what they write, what money looks like.

A :class:`Market` is chosen by currency (an unknown currency gets the US market); :data:`ACCOUNTS` are the
fleet :func:`~liveboard.simulator.simulate` plans its sessions for, each with a currency and a niche.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Market:
    """Viewers and prices of one currency's market."""

    regions: tuple[str, ...]
    region_weights: tuple[float, ...]
    languages: tuple[tuple[str, float], ...]  # (language, share of the comments)
    units_per_usd: float  # local major units per USD
    price_step: int  # prices are rounded to this many hundredths of the major unit
    price_shave: int  # ... and lowered by this many hundredths (24.99 rather than 25.00)


#: The markets by currency.
MARKETS = {
    "USD": Market(
        (
            "US-CA",
            "US-TX",
            "US-NY",
            "US-FL",
            "US-IL",
            "US-PA",
            "US-OH",
            "US-GA",
            "US-NC",
            "US-WA",
            "US-AZ",
            "US-NJ",
            "CA",
            "MX",
            "GB",
        ),
        (16, 12, 10, 9, 5, 4, 4, 4, 3, 4, 3, 3, 3, 2, 2),
        (("en", 0.85), ("es", 0.12), ("zh", 0.03)),
        1.0,
        100,
        1,
    ),
    "MYR": Market(
        ("MY", "MY-10", "MY-14", "MY-01", "MY-07", "SG", "ID"),
        (50, 14, 12, 7, 5, 8, 4),
        (("ms", 0.45), ("en", 0.30), ("zh", 0.20), ("id", 0.05)),
        4.4,
        10,
        0,
    ),
    "THB": Market(
        ("TH", "TH-10", "TH-50", "TH-20", "MY", "LA"),
        (55, 25, 8, 6, 3, 3),
        (("th", 0.86), ("en", 0.09), ("zh", 0.05)),
        35.0,
        1000,
        100,
    ),
    "VND": Market(
        ("VN", "VN-SG", "VN-HN", "VN-DN"),
        (45, 30, 20, 5),
        (("vi", 0.9), ("en", 0.1)),
        25_000.0,
        100_000,
        0,
    ),
    "IDR": Market(
        ("ID", "ID-JK", "ID-JB", "ID-JI", "MY"),
        (45, 25, 15, 10, 5),
        (("id", 0.9), ("en", 0.07), ("ms", 0.03)),
        16_000.0,
        100_000,
        0,
    ),
    "PHP": Market(
        ("PH", "PH-00", "PH-CEB", "US-CA"),
        (55, 30, 12, 3),
        (("en", 0.92), ("es", 0.05), ("zh", 0.03)),
        58.0,
        1000,
        100,
    ),
    "SGD": Market(
        ("SG", "MY", "ID"),
        (85, 10, 5),
        (("en", 0.6), ("zh", 0.33), ("ms", 0.07)),
        1.35,
        10,
        0,
    ),
}


#: The simulated accounts: (handle, currency, niche).
ACCOUNTS = (
    ("glowlab.official", "USD", "beauty"),
    ("kedai.cantik.my", "MYR", "beauty"),
    ("baan.snack.th", "THB", "snacks"),
    ("techdeals.us", "USD", "electronics"),
    ("thoitrang.xinh.vn", "VND", "fashion"),
    ("tokobaju.id", "IDR", "fashion"),
    ("manila.home.finds", "PHP", "home"),
    ("sg.homeliving", "SGD", "home"),
)


def market_for(currency: str) -> Market:
    """The currency's market; the US market for a currency the simulator does not know."""
    return MARKETS.get(currency, MARKETS["USD"])
