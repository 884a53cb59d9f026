"""A seeded, deterministic, vectorised simulator of TikTok Shop LIVE sessions.

Every session comes back as one :class:`pyarrow.Table` of :data:`~liveboard.events.EVENT_SCHEMA`, sorted by
``ts`` with ``seq`` = 0..n-1. The work is done with numpy arrays per event type (loops only per session, per
pin, per giveaway, per violation), so a 3-hour "mega" session of more than 5 million events takes seconds.

The model, in short:

* viewers arrive as a Poisson process whose rate follows a ramp-up, a slow random drift, a wind-down and
  boosts while a giveaway runs; each arrival comes through a traffic channel (``feed`` biggest, ``promoted``
  the paid share) and is preceded by an ``impression`` of the same user on the same channel, among many
  impressions that never convert (enter-room rate per channel from ~4 % to ~25 %);
* dwell times are a heavy-tailed lognormal mixture (most views short, some very long; followers stay longer);
  every view gets a ``viewer_leave`` unless it is still open at the end, and a few viewers re-enter;
* comments (seven languages, emoji, a little hostile text), like bursts, shares, follows and gifts are
  drawn inside views, scaled by a per-viewer engagement propensity and lifted during giveaways;
* each account has a catalogue of 5-20 products (:func:`product_catalogue`); pinned products get a pinned
  card (many more ``product_impression``), a higher click rate and a higher order rate while pinned;
* orders are ``created`` then mostly ``paid`` a few seconds later, some never paid, a few refunded later on;
  ``amount`` is exactly ``quantity x price`` (integer minor units turned into decimals without floats).
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from liveboard.events import AGES, CHANNELS, EVENT_SCHEMA, GENDERS, MONEY, SEVERITIES, TS

__all__ = [
    "DEFAULT_NOW",
    "HOSTILE_TEXTS",
    "MEGA_EVENTS_MIN",
    "Product",
    "product_catalogue",
    "simulate",
    "simulate_session",
    "write_simulation",
]

#: ``simulate()`` places sessions in the ~90 days before this instant unless told otherwise (deterministic).
DEFAULT_NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
#: The mega session has at least this many events.
MEGA_EVENTS_MIN = 5_000_000
MEGA_DURATION_S = 3 * 3600
_MEGA_SCALE = 28.0  # audience scale of the mega session (about 5.6-6.5 M events in 3 h)

# First arrivals per second at scale 1 (~2,500 views an hour before drift and giveaway boosts).
_BASE_ARRIVALS_PER_S = 0.65

# ----------------------------------------------------------------- vocabulary

_CH = {c: i for i, c in enumerate(CHANNELS)}
#: Share of first arrivals per channel (before per-session jitter).
_CHANNEL_MIX = {
    "feed": 0.40,
    "follow": 0.12,
    "promoted": 0.12,
    "search": 0.05,
    "profile": 0.06,
    "video": 0.11,
    "shop": 0.07,
    "share": 0.04,
    "other": 0.03,
}
#: Enter-room rate (views / impressions) per channel.
_ENTER_RATE = {
    "feed": 0.07,
    "follow": 0.24,
    "promoted": 0.045,
    "search": 0.17,
    "profile": 0.21,
    "video": 0.09,
    "shop": 0.12,
    "share": 0.20,
    "other": 0.10,
}
#: Probability that a viewer arriving through the channel already follows the creator.
_FOLLOWER_P = {
    "feed": 0.08,
    "follow": 1.0,
    "promoted": 0.04,
    "search": 0.15,
    "profile": 0.55,
    "video": 0.12,
    "shop": 0.06,
    "share": 0.25,
    "other": 0.10,
}
_GENDER_P = (0.58, 0.34, 0.08)
_AGE_P = (0.27, 0.35, 0.20, 0.11, 0.07)

_EMOJI_SUFFIXES = ("", "", "", " 🔥", " 😍", " ❤️", " 👍", " 🙏", " 😂", " 💯", " 🛒", " ✨")
_COMMENTS: dict[str, tuple[str, ...]] = {
    "en": (
        "how much is this?",
        "link please",
        "does it ship to Texas?",
        "just ordered!",
        "love this",
        "can you show the back?",
        "is there a discount code",
        "what size are you wearing",
        "hi from Ohio",
        "restock when??",
        "pin the serum pls",
        "my order came so fast",
        "is it cruelty free?",
        "joined the giveaway",
        "bought two already",
    ),
    "ms": (
        "berapa harga ni?",
        "cantiknya",
        "dah order!",
        "boleh pos ke Sabah?",
        "ada warna lain tak",
        "nak satu",
        "terima kasih kak",
        "murahnya",
        "sesuai untuk kulit sensitif?",
    ),
    "th": (
        "ราคาเท่าไหร่คะ",
        "สวยมาก",
        "สั่งแล้วค่ะ",
        "มีสีอื่นไหม",
        "ส่งฟรีไหมคะ",
        "ขอลิงก์หน่อย",
        "รอของอยู่นะ",
        "ชอบมากค่ะ",
    ),
    "vi": (
        "giá bao nhiêu vậy shop",
        "đẹp quá",
        "đã đặt hàng",
        "có màu khác không",
        "ship về Hà Nội được không",
        "xin link với ạ",
        "hàng chính hãng không shop",
        "cảm ơn shop",
    ),
    "id": (
        "harganya berapa kak?",
        "bagus banget",
        "sudah checkout!",
        "ada warna lain?",
        "gratis ongkir?",
        "mau dong kak",
        "original kan?",
        "spill linknya kak",
    ),
    "es": (
        "¿cuánto cuesta?",
        "me encanta",
        "ya lo pedí",
        "¿envían a México?",
        "qué bonito",
        "saludos desde Miami",
        "¿tienen otra talla?",
    ),
    "zh": (
        "多少钱？",
        "好漂亮",
        "已下单",
        "有其他颜色吗",
        "包邮吗",
        "求链接",
        "质量怎么样",
        "主播好美",
    ),
}
_EMOJI_ONLY = ("🔥🔥🔥", "❤️❤️", "😍", "👏👏👏", "💯", "🥰🥰", "😭😭 want", "🛒🛒", "✨✨✨", "🙌")
#: Untrusted text that must come out of every renderer and exporter harmless.
HOSTILE_TEXTS = (
    "<img src=x onerror=alert(1)>",
    "<b>bold</b>",
    "<script>alert(1)</script>",
    '=HYPERLINK("http://x","y")',
    "+SUM(1)",
    "-1+1",
    "@cmd",
    '"><svg onload=alert(1)>',
    "'; DROP TABLE events; --",
)
_HOSTILE_P = 0.012
_EMOJI_ONLY_P = 0.08

_GIFTS = (
    ("Rose", 1, 0.34),
    ("TikTok", 1, 0.16),
    ("Finger Heart", 5, 0.16),
    ("Heart Me", 1, 0.08),
    ("Doughnut", 30, 0.08),
    ("Hand Hearts", 100, 0.06),
    ("Corgi", 299, 0.04),
    ("Money Gun", 500, 0.03),
    ("Galaxy", 1000, 0.025),
    ("Lion", 29999, 0.004),
    ("Universe", 44999, 0.001),
)

_POLICIES = (
    ("Misleading claims", "Host claimed the serum cures acne in 3 days"),
    ("Off-platform transaction", "Host asked viewers to pay via an external link"),
    ("Prohibited products", "Unregistered supplement shown on camera"),
    ("Intellectual property", "Unlicensed music playing in the background"),
    ("Minor safety", "A minor appeared on camera without supervision"),
    ("Harassment", "Host insulted a commenter"),
    ("Misleading pricing", "Advertised discount not applied at checkout"),
    ("Dangerous acts", "Unsafe use of a hair tool demonstrated"),
)
_SEVERITY_P = (0.6, 0.3, 0.1)

_TITLE_TEMPLATES = (
    "{weekday} flash sale 🔥",
    "Skincare restock",
    "Payday deals — up to 50% off",
    "New arrivals try-on 👗",
    "Late-night bundle drop 🌙",
    "Q&A + giveaway 🎁",
    "Glass skin routine live",
    "Buy 1 get 1 free hour",
    "Clearance madness ⚡",
    "Gadget unboxing & deals",
    "Weekend haul 🛍️",
    "Morning coffee & shopping ☕",
    "Best-sellers only",
    "Mystery box opening 📦",
    "Free shipping all day 🚚",
    "Back-in-stock party 🎉",
)

_PRIZES = ("Mystery box 📦", "Free shipping voucher", "Shop voucher", "Signed thank-you card + sample set", "Gift card")


@dataclass(frozen=True)
class _Market:
    regions: tuple[str, ...]
    region_w: tuple[float, ...]
    langs: tuple[tuple[str, float], ...]
    fx: float  # local major units per USD
    step: int  # prices are rounded to this many hundredths of the major unit
    shave: int  # ... and lowered by this many hundredths (24.99 rather than 25.00)


_MARKETS = {
    "USD": _Market(
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
    "MYR": _Market(
        ("MY", "MY-10", "MY-14", "MY-01", "MY-07", "SG", "ID"),
        (50, 14, 12, 7, 5, 8, 4),
        (("ms", 0.45), ("en", 0.30), ("zh", 0.20), ("id", 0.05)),
        4.4,
        10,
        0,
    ),
    "THB": _Market(
        ("TH", "TH-10", "TH-50", "TH-20", "MY", "LA"),
        (55, 25, 8, 6, 3, 3),
        (("th", 0.86), ("en", 0.09), ("zh", 0.05)),
        35.0,
        1000,
        100,
    ),
    "VND": _Market(
        ("VN", "VN-SG", "VN-HN", "VN-DN"),
        (45, 30, 20, 5),
        (("vi", 0.9), ("en", 0.1)),
        25_000.0,
        100_000,
        0,
    ),
    "IDR": _Market(
        ("ID", "ID-JK", "ID-JB", "ID-JI", "MY"),
        (45, 25, 15, 10, 5),
        (("id", 0.9), ("en", 0.07), ("ms", 0.03)),
        16_000.0,
        100_000,
        0,
    ),
    "PHP": _Market(
        ("PH", "PH-00", "PH-CEB", "US-CA"),
        (55, 30, 12, 3),
        (("en", 0.92), ("es", 0.05), ("zh", 0.03)),
        58.0,
        1000,
        100,
    ),
    "SGD": _Market(
        ("SG", "MY", "ID"),
        (85, 10, 5),
        (("en", 0.6), ("zh", 0.33), ("ms", 0.07)),
        1.35,
        10,
        0,
    ),
}

_NICHES: dict[str, tuple[tuple[str, ...], float]] = {
    "beauty": (
        (
            "Hydrating Hyaluronic Serum 30ml",
            "Vitamin C Brightening Serum",
            "Velvet Matte Lip Tint",
            "Cushion Foundation SPF50",
            "Retinol Night Cream",
            "Sheet Mask Set (10 pcs)",
            "Sunscreen Gel SPF50+ PA++++",
            "Argan Hair Repair Oil",
            "Waterproof Liquid Eyeliner",
            "Long-wear Setting Spray",
            "Melting Cleansing Balm",
            "Brow Pencil Duo",
            "Niacinamide Toner 200ml",
            "Lip & Cheek Palette",
            "Collagen Eye Patches (60 pcs)",
            "Snail Mucin Essence",
            "Heatless Curling Set",
            "Jade Gua Sha",
            "Tinted Lip Oil",
            "Salicylic Acne Patches",
        ),
        18.0,
    ),
    "fashion": (
        (
            "Oversized Cotton Tee",
            "High-waist Wide-leg Jeans",
            "Ribbed Knit Cardigan",
            "Satin Slip Dress",
            "Cargo Parachute Pants",
            "Chunky Platform Sneakers",
            "Crossbody Mini Bag",
            "Linen Button-down Shirt",
            "Seamless Sports Bra",
            "Pleated Tennis Skirt",
            "Puffer Vest",
            "Gold Hoop Earrings (3 pairs)",
            "Bucket Hat",
            "Modest Maxi Dress",
            "Silk Hijab Scarf",
            "Denim Jacket",
            "Yoga Flare Leggings",
            "Canvas Tote Bag",
            "Hair Claw Clips (6 pcs)",
            "Baggy Sweatpants",
        ),
        24.0,
    ),
    "electronics": (
        (
            "Wireless Earbuds ANC",
            "20,000mAh Power Bank",
            "Magnetic Phone Stand",
            "RGB Mechanical Keyboard",
            "Mini Projector 1080p",
            "Smart Watch Fitness Band",
            "LED Ring Light 10in",
            "USB-C Fast Charger 65W",
            "Portable Bluetooth Speaker",
            "Clip-on Lavalier Mic",
            "4K Action Camera",
            "Gaming Mouse 26K DPI",
            "Car Phone Holder",
            "Smart Plug (2-pack)",
            "Noise-cancelling Headphones",
            "Tablet Stylus Pen",
            "Retro Handheld Console",
            "Webcam 2K",
        ),
        35.0,
    ),
    "home": (
        (
            "Stackable Storage Bins (4 pcs)",
            "Electric Milk Frother",
            "Air Fryer 5L",
            "Silicone Cooking Utensil Set",
            "Memory Foam Pillow",
            "Cordless Handheld Vacuum",
            "Aroma Diffuser 300ml",
            "Non-stick Frying Pan 28cm",
            "Blackout Curtains",
            "Cold Brew Coffee Maker",
            "Vacuum Storage Bags (6 pcs)",
            "Shower Filter Head",
            "Knife Set with Block",
            "Mini Waffle Maker",
            "Glass Food Containers (10 pcs)",
            "Cooling Bed Sheet Set",
        ),
        28.0,
    ),
    "snacks": (
        (
            "Spicy Seaweed Snack (12 packs)",
            "Salted Egg Fish Skin",
            "Mango Sticky Rice Chips",
            "Durian Crepe Box",
            "Matcha Cookies Tin",
            "Instant Tom Yum Noodles (5-pack)",
            "Dried Mango 500g",
            "Salt & Vinegar Chips",
            "Protein Bars (12-pack)",
            "Kopi Instant Coffee (30 sachets)",
            "Chili Crisp Oil",
            "Milk Tea Powder",
            "Coconut Rolls",
            "Honey Butter Almonds",
        ),
        9.0,
    ),
}

_ACCOUNTS = (
    ("glowlab.official", "USD", "beauty"),
    ("kedai.cantik.my", "MYR", "beauty"),
    ("baan.snack.th", "THB", "snacks"),
    ("techdeals.us", "USD", "electronics"),
    ("thoitrang.xinh.vn", "VND", "fashion"),
    ("tokobaju.id", "IDR", "fashion"),
    ("manila.home.finds", "PHP", "home"),
    ("sg.homeliving", "SGD", "home"),
)

# ----------------------------------------------------------------- helpers


def _h64(*parts: object) -> int:
    """A stable 64-bit hash of the parts (Python's ``hash`` is salted per process)."""
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def _rng(*parts: object) -> np.random.Generator:
    return np.random.default_rng(_h64(*parts))


def _mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: a well-mixed uint64 per input, vectorised."""
    z = x.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def _unit(x: np.ndarray, salt: int) -> np.ndarray:
    """A deterministic uniform [0, 1) number per integer (same user -> same number)."""
    return (_mix64(x.astype(np.uint64) ^ np.uint64(salt)) >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def _cdf_pick(u: np.ndarray, weights) -> np.ndarray:
    w = np.asarray(weights, dtype=np.float64)
    cdf = np.cumsum(w / w.sum())
    cdf[-1] = 1.0
    return np.searchsorted(cdf, u, side="right").astype(np.int64)


def _market(currency: str) -> _Market:
    return _MARKETS.get(currency, _MARKETS["USD"])


def _niche(account_id: str) -> str:
    for handle, _cur, niche in _ACCOUNTS:
        if handle == account_id:
            return niche
    names = sorted(_NICHES)
    return names[_h64("niche", account_id) % len(names)]


# ----------------------------------------------------------------- catalogue


@dataclass(frozen=True)
class Product:
    product_id: str
    name: str
    price_minor: int  # price in hundredths of the currency's major unit

    @property
    def price(self) -> str:
        """The price as a decimal string with two decimals."""
        return f"{self.price_minor // 100}.{self.price_minor % 100:02d}"


def product_catalogue(account_id: str, *, seed: int = 0, currency: str = "USD") -> list[Product]:
    """The account's catalogue (5-20 products), the same for every session of the account and seed."""
    rng = _rng("catalogue", seed, account_id)
    names, usd_median = _NICHES[_niche(account_id)]
    n = int(rng.integers(5, min(20, len(names)) + 1))
    picked = rng.choice(len(names), size=n, replace=False)
    market = _market(currency)
    usd = np.exp(rng.normal(np.log(usd_median), 0.55, n)).clip(2.0, 400.0)
    base = 1_000_000_000 + _h64("account-num", account_id) % 8_000_000_000
    out = []
    for i, (k, p) in enumerate(zip(picked, usd, strict=True)):
        minor = p * market.fx * 100
        # round to the market's "nice" step, then shave off a little: 24.99, 79.90, 299, 149,000
        minor = max(int(round(minor / market.step)), 1) * market.step - market.shave
        out.append(Product(f"17{base:010d}{i:03d}", names[int(k)], int(minor)))
    return out


# ----------------------------------------------------------------- event assembly

_TYPE_ORDER = (
    "session_start",
    "impression",
    "viewer_enter",
    "product_pin",
    "product_unpin",
    "giveaway_start",
    "giveaway_view",
    "giveaway_click",
    "giveaway_join",
    "giveaway_end",
    "comment",
    "like",
    "share",
    "follow",
    "gift",
    "product_impression",
    "product_click",
    "order",
    "violation",
    "viewer_count",
    "viewer_leave",
    "session_end",
)


class _Builder:
    """Collects per-type numpy blocks and assembles one sorted Arrow table of EVENT_SCHEMA."""

    def __init__(self) -> None:
        self.blocks: list[tuple[str, np.ndarray, dict[str, np.ndarray]]] = []
        self.vocab: dict[str, list[str]] = {}
        self.lists: list[list[str]] = []

    def strings(self, column: str, values) -> int:
        """Register string values for a column; returns the code of the first one."""
        voc = self.vocab.setdefault(column, [])
        off = len(voc)
        voc.extend(values)
        return off

    def add(self, etype: str, t_us: np.ndarray, **cols: np.ndarray) -> None:
        t_us = np.asarray(t_us, dtype=np.int64)
        if len(t_us):
            self.blocks.append((etype, t_us, {k: np.asarray(v) for k, v in cols.items()}))

    def build(self, session_id: str, id_salt: int) -> pa.Table:
        self.blocks.sort(key=lambda b: _TYPE_ORDER.index(b[0]))  # causal order for (unlikely) equal ts
        sizes = [len(b[1]) for b in self.blocks]
        n = int(sum(sizes))
        offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        ts = np.concatenate([b[1] for b in self.blocks])
        order = _stable_argsort(ts)
        pos = np.empty(n, dtype=np.int64)
        pos[order] = np.arange(n, dtype=np.int64)
        ts_sorted = ts[order]
        del ts, order

        def gather(col: str) -> tuple[np.ndarray, np.ndarray]:
            """(sorted positions, values) of the rows that have a value (>= 0) in ``col``."""
            ps, vs = [], []
            for (_et, _t, cols), lo, hi in zip(self.blocks, offsets[:-1], offsets[1:], strict=True):
                if col in cols:
                    v = np.broadcast_to(cols[col], (hi - lo,))
                    ok = v >= 0
                    ps.append(pos[lo:hi][ok])
                    vs.append(v[ok])
            if not ps:
                return np.empty(0, np.int64), np.empty(0, np.int64)
            p, v = np.concatenate(ps), np.concatenate(vs).astype(np.int64)
            if len(p) > n // 4:  # scatter instead of sorting a large array
                present = np.zeros(n, dtype=bool)
                present[p] = True
                tmp = np.zeros(n, dtype=np.int64)
                tmp[p] = v
                p = np.flatnonzero(present)
                return p, tmp[p]
            o = np.argsort(p, kind="stable")
            return p[o], v[o]

        type_codes = np.empty(n, dtype=np.int8)
        for (et, _t, _c), lo, hi in zip(self.blocks, offsets[:-1], offsets[1:], strict=True):
            type_codes[pos[lo:hi]] = _TYPE_ORDER.index(et)

        arrays: dict[str, pa.Array] = {
            "session_id": pa.repeat(pa.scalar(session_id, pa.string()), n),
            "id": _hex_ids(np.arange(n, dtype=np.uint64), id_salt),
            "type": pa.array(_TYPE_ORDER, pa.string()).take(pa.array(type_codes)),
            "ts": pa.array(ts_sorted, TS),
            "seq": pa.array(np.arange(n, dtype=np.int64)),
            "extra": pa.nulls(n, pa.string()),
        }
        del type_codes, ts_sorted
        for field in EVENT_SCHEMA:
            name, typ = field.name, field.type
            if name in arrays:
                continue
            if name == "winner_ids":
                arrays[name] = self._winner_column(n, pos, offsets)
                continue
            p, v = gather(name)
            if typ == pa.string():
                if name == "user_id":
                    dense = pc.binary_join_element_wise(pa.scalar("u"), pa.array(v).cast(pa.string()), pa.scalar(""))
                else:
                    dense = pa.array(self.vocab.get(name, []), pa.string()).take(pa.array(v.astype(np.int32)))
                arrays[name] = _spread_strings(n, p, dense)
            elif typ == pa.int64():
                data = np.zeros(n, dtype=np.int64)
                data[p] = v
                arrays[name] = pa.Array.from_buffers(typ, n, _validity(n, p) + [pa.py_buffer(data)], n - len(p))
            elif typ == pa.bool_():
                bits = np.zeros(n, dtype=bool)
                bits[p] = v == 1
                data = pa.py_buffer(np.packbits(bits, bitorder="little"))
                arrays[name] = pa.Array.from_buffers(typ, n, _validity(n, p) + [data], n - len(p))
            elif typ == MONEY:
                words = np.zeros(2 * n, dtype=np.int64)
                words[2 * p] = v * 10_000  # hundredths -> millionths; values are non-negative
                arrays[name] = pa.Array.from_buffers(typ, n, _validity(n, p) + [pa.py_buffer(words)], n - len(p))
            else:  # pragma: no cover - schema grew a kind we do not produce
                arrays[name] = pa.nulls(n, typ)
        return pa.Table.from_arrays([arrays[f.name] for f in EVENT_SCHEMA], schema=EVENT_SCHEMA)

    def _winner_column(self, n: int, pos: np.ndarray, offsets: np.ndarray) -> pa.Array:
        lengths = np.zeros(n, dtype=np.int32)
        valid = np.zeros(n, dtype=bool)
        rows: list[tuple[int, list[str]]] = []
        for (et, _t, cols), lo, hi in zip(self.blocks, offsets[:-1], offsets[1:], strict=True):
            if et != "giveaway_end":
                continue
            for p, li in zip(pos[lo:hi], cols["winner_list"], strict=True):
                rows.append((int(p), self.lists[int(li)]))
        rows.sort()
        values: list[str] = []
        for p, winners in rows:
            lengths[p] = len(winners)
            valid[p] = True
            values.extend(winners)
        offs = np.zeros(n + 1, dtype=np.int32)
        np.cumsum(lengths, out=offs[1:])
        return pa.ListArray.from_arrays(
            pa.array(offs), pa.array(values, pa.string()), type=pa.list_(pa.string()), mask=pa.array(~valid)
        )


def _stable_argsort(ts: np.ndarray) -> np.ndarray:
    """Stable argsort of int64 timestamps: an LSD radix sort in 16-bit digits (numpy radix-sorts uint16)."""
    rel = ts - ts.min() if len(ts) else ts
    top = int(rel.max()) if len(rel) else 0
    if len(rel) < 200_000 or top >= 1 << 48:
        return np.argsort(ts, kind="stable")
    perm = np.argsort((rel & 0xFFFF).astype(np.uint16), kind="stable")
    for shift in (16, 32):
        if top >> shift == 0:
            break
        digit = ((rel[perm] >> shift) & 0xFFFF).astype(np.uint16)
        perm = perm[np.argsort(digit, kind="stable")]
    return perm


def _hex_ids(seq: np.ndarray, salt: int) -> pa.Array:
    """12-hex-digit event ids: a bijective scramble of ``seq`` (so unique), built without Python strings."""
    width = 12
    mask = np.uint64((1 << (4 * width)) - 1)
    v = (seq * np.uint64(0x9E3779B1) + np.uint64(salt)) & mask  # odd multiplier: a bijection mod 2**48
    lut = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
    n = len(seq)
    chars = np.empty((n, width), dtype=np.uint8)
    for j in range(width):
        chars[:, j] = lut[((v >> np.uint64(4 * (width - 1 - j))) & np.uint64(0xF)).astype(np.intp)]
    offs = np.arange(0, width * n + 1, width, dtype=np.int32)
    return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offs), pa.py_buffer(chars)])


def _validity(n: int, present: np.ndarray) -> list:
    """A one-element buffer list: the validity bitmap of ``n`` rows with values at ``present`` (None if all)."""
    if len(present) == n:
        return [None]
    bits = np.zeros(n, dtype=bool)
    bits[present] = True
    return [pa.py_buffer(np.packbits(bits, bitorder="little"))]


def _spread_strings(n: int, present: np.ndarray, dense: pa.Array) -> pa.Array:
    """A string array of ``n`` rows: ``dense``'s values at the sorted positions ``present``, null elsewhere."""
    if len(present) == n:
        return dense
    if len(present) == 0:
        return pa.nulls(n, pa.string())
    if dense.offset or dense.null_count:
        dense = pa.concat_arrays([dense.fill_null("")])  # fresh buffers whose offsets start at 0
    dense_offsets = np.frombuffer(dense.buffers()[1], dtype=np.int32, count=len(dense) + 1)
    if dense_offsets[0]:
        dense_offsets = dense_offsets - dense_offsets[0]
        dense = pa.concat_arrays([dense])
    lengths = np.diff(dense_offsets)
    offs = np.zeros(n + 1, dtype=np.int32)
    offs[present + 1] = lengths
    np.cumsum(offs, out=offs)
    return pa.Array.from_buffers(
        pa.string(), n, _validity(n, present) + [pa.py_buffer(offs), dense.buffers()[2]], n - len(present)
    )


# ----------------------------------------------------------------- one session


def _lognormal(rng: np.random.Generator, median: float, sigma: float, n: int) -> np.ndarray:
    return np.exp(rng.normal(np.log(median), sigma, n))


def _in_views(
    rng: np.random.Generator,
    enter: np.ndarray,
    end: np.ndarray,
    rate: np.ndarray | float,
    mult: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Poisson events inside views: (view index, time); ``mult`` is a per-second rate multiplier (thinning)."""
    dur = np.maximum(end - enter, 0.0)
    top = float(mult.max()) if mult is not None else 1.0
    k = rng.poisson(np.asarray(rate) * dur * top)
    idx = np.repeat(np.arange(len(enter)), k)
    t = enter[idx] + rng.random(idx.size) * dur[idx]
    if mult is not None and idx.size:
        keep = rng.random(idx.size) * top < mult[np.minimum(t.astype(np.int64), len(mult) - 1)]
        idx, t = idx[keep], t[keep]
    return idx, t


def _user_numbers(k: np.ndarray, account_id: str) -> np.ndarray:
    """Map an account-level audience index to a user number (a bijection; u100000..u1000099936)."""
    p = 999_999_937
    b = _h64("users", account_id) % p
    return 100_000 + (k.astype(np.int64) * 387_420_489 + b) % p


def simulate_session(
    session_id: str,
    account_id: str,
    start: datetime,
    duration_s: int,
    *,
    seed: int,
    title: str | None = None,
    live_event_id: str | None = None,
    currency: str = "USD",
    scale: float = 1.0,
    end_event: bool = True,
) -> pa.Table:
    """All events of one LIVE session, sorted by ``ts``, ``seq`` = 0..n-1, as a table of EVENT_SCHEMA.

    ``scale`` multiplies the audience (scale 1 gives a few tens of thousands of events an hour). The same
    arguments always give the same table.
    """
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError("start must be timezone-aware")
    D = int(duration_s)
    if D < 60:
        raise ValueError("duration_s must be at least 60 seconds")
    if scale <= 0:
        raise ValueError("scale must be positive")
    rng = _rng("session", seed, session_id)
    market = _market(currency)
    catalogue = product_catalogue(account_id, seed=seed, currency=currency)
    n_cat = len(catalogue)
    start_us = int((start - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1))
    end_us = start_us + D * 1_000_000
    mega = session_id.startswith("mega-")
    b = _Builder()

    def us(t: np.ndarray) -> np.ndarray:
        return np.clip(start_us + np.round(np.asarray(t) * 1e6).astype(np.int64), start_us + 1, end_us - 1)

    secs = np.arange(D, dtype=np.float64)

    # ---- script: pins, giveaways -------------------------------------------------------------
    n_feat = int(min(n_cat, rng.integers(3, 9)))
    featured = rng.choice(n_cat, size=n_feat, replace=False)
    popularity = rng.dirichlet(np.full(n_cat, 1.5))
    popularity[featured] += 0.6 / n_feat
    popularity /= popularity.sum()

    pinned_sec = np.full(D, -1, dtype=np.int64)
    pin_rows: list[tuple[float, int]] = []
    unpin_rows: list[tuple[float, int]] = []
    t = float(rng.uniform(20, 150))
    last = -1
    while t < D - 60:
        choices = [int(f) for f in featured if int(f) != last] or [int(featured[0])]
        p = choices[int(rng.integers(len(choices)))]
        stop = min(t + float(rng.uniform(150, 600)), float(D))
        pin_rows.append((t, p))
        pinned_sec[int(np.ceil(t)) : int(np.ceil(stop))] = p
        last = p
        if stop >= D - 1:
            break
        if rng.random() < 0.55:
            unpin_rows.append((stop, p))
            t = stop + float(rng.uniform(30, 300))
        else:
            t = stop  # the next pin replaces this one

    giveaways: list[tuple[float, float]] = []
    n_g = int(min(4, rng.poisson(D / 3600 * 0.7))) + (1 if D >= 1200 else 0)
    for j in range(n_g):
        lo, hi = D * j / n_g, D * (j + 1) / n_g
        length = float(rng.uniform(180, 540))
        if hi - lo < length + 120:
            continue
        gs = float(rng.uniform(max(lo, 60.0), hi - length - 30))
        giveaways.append((gs, gs + length))
    in_gw = np.zeros(D, dtype=bool)
    for gs, ge in giveaways:
        in_gw[int(np.ceil(gs)) : int(np.ceil(ge))] = True
    arrive_mult = np.where(in_gw, 2.6, 1.0)
    engage_mult = np.where(in_gw, 2.8, 1.0)

    # ---- arrivals ----------------------------------------------------------------------------
    popularity_factor = 1.0 if mega else float(np.exp(rng.normal(0.0, 0.3)))
    minutes = D // 60 + 2
    drift_steps = rng.normal(0.0, 0.07, minutes)
    walk = np.cumsum(drift_steps)
    walk -= walk.mean()
    drift = np.exp(np.clip(np.interp(secs / 60.0, np.arange(minutes), walk), -0.7, 0.7))
    ramp = 0.35 + 0.65 * (1.0 - np.exp(-secs / 240.0))
    tail = np.where(secs > D - 300, 0.6 + 0.4 * (D - secs) / 300.0, 1.0)
    base = _BASE_ARRIVALS_PER_S * scale * popularity_factor * drift * ramp * tail
    lam = base * arrive_mult
    counts = rng.poisson(lam)
    enter1 = np.repeat(secs, counts) + rng.random(int(counts.sum()))
    n1 = enter1.size

    mix = np.array([_CHANNEL_MIX[c] for c in CHANNELS]) * np.exp(rng.normal(0.0, 0.25, len(CHANNELS)))
    mix[_CH["promoted"]] *= float(rng.uniform(0.4, 1.8))
    mix /= mix.sum()
    ch1 = _cdf_pick(rng.random(n1), mix)
    fol_p = np.array([_FOLLOWER_P[c] for c in CHANNELS])
    fol1 = rng.random(n1) < fol_p[ch1]

    n_f = int(fol1.sum())
    follower_pool = max(int(n_f * 2.5), 200)
    users1 = np.empty(n1, dtype=np.int64)
    users1[fol1] = rng.choice(follower_pool, size=n_f, replace=False)
    users1[~fol1] = 20_000_000 + rng.choice(500_000_000, size=n1 - n_f, replace=False)
    users1 = _user_numbers(users1, account_id)

    # per-user traits (deterministic per user id)
    engaged = _unit(users1, 11) < np.where(fol1, 0.55, 0.3)
    propensity = np.where(engaged, np.exp(rng.normal(0.0, 0.8, n1)), 0.0) * np.where(fol1, 1.6, 1.0)
    buyer = np.exp(rng.normal(-0.1, 0.5, n1)) * np.where(fol1, 1.4, 1.0)

    def dwell(n: int, fol: np.ndarray) -> np.ndarray:
        long_ = rng.random(n) < np.where(fol, 0.25, 0.11)
        d = np.where(long_, _lognormal(rng, 420.0, 0.9, n), _lognormal(rng, 20.0, 1.0, n))
        return d + 1.5

    leave1 = enter1 + dwell(n1, fol1)
    # a few viewers re-enter once after leaving
    again = (leave1 < D - 30) & (rng.random(n1) < 0.07)
    src = np.flatnonzero(again)
    enter2 = leave1[src] + 5.0 + _lognormal(rng, 120.0, 1.0, src.size)
    ok = enter2 < D - 5
    src, enter2 = src[ok], enter2[ok]
    ch2 = np.where(rng.random(src.size) < 0.5, ch1[src], _cdf_pick(rng.random(src.size), mix))
    leave2 = enter2 + dwell(src.size, fol1[src])

    v_user = np.concatenate([users1, users1[src]])
    v_ch = np.concatenate([ch1, ch2])
    v_fol = np.concatenate([fol1, fol1[src]])
    v_enter = np.concatenate([enter1, enter2])
    v_leave = np.concatenate([leave1, leave2])
    v_prop = np.concatenate([propensity, propensity[src]])
    v_buyer = np.concatenate([buyer, buyer[src]])
    v_first = np.concatenate([np.ones(n1, bool), np.zeros(src.size, bool)])
    has_leave = v_leave < D - 0.5
    v_end = np.minimum(v_leave, D - 0.25)
    nv = v_user.size

    gender = _cdf_pick(_unit(v_user, 21), _GENDER_P)
    age = _cdf_pick(_unit(v_user, 22), _AGE_P)
    region_off = b.strings("region", market.regions)
    region = region_off + _cdf_pick(_unit(v_user, 23), market.region_w)
    gender = np.where(_unit(v_user, 24) < 0.04, -1, gender)
    age = np.where(_unit(v_user, 25) < 0.07, -1, age)
    region = np.where(_unit(v_user, 26) < 0.12, -1, region)
    b.strings("gender", GENDERS)
    b.strings("age", AGES)
    b.strings("channel", CHANNELS)
    b.add(
        "viewer_enter",
        us(v_enter),
        user_id=v_user,
        channel=v_ch,
        is_follower=v_fol.astype(np.int8),
        gender=gender,
        age=age,
        region=region,
    )
    b.add("viewer_leave", us(v_leave[has_leave]), user_id=v_user[has_leave])

    # ---- impressions ---------------------------------------------------------------------------
    imp_t = v_enter - np.minimum(_lognormal(rng, 4.0, 0.8, nv), v_enter * 0.5)
    err = np.array([_ENTER_RATE[c] for c in CHANNELS]) * np.exp(rng.normal(0.0, 0.15, len(CHANNELS)))
    views_per_ch = np.bincount(v_ch, minlength=len(CHANNELS))
    extra = rng.poisson(views_per_ch * (1.0 / err - 1.0))
    cdf = np.cumsum(lam)
    cdf /= cdf[-1]
    n_extra = int(extra.sum())
    x_t = np.searchsorted(cdf, rng.random(n_extra)).astype(np.float64) + rng.random(n_extra)
    x_ch = np.repeat(np.arange(len(CHANNELS)), extra)
    x_fol = x_ch == _CH["follow"]
    x_k = np.where(x_fol, rng.integers(0, follower_pool, n_extra), 20_000_000 + rng.integers(0, 500_000_000, n_extra))
    x_user = np.where(rng.random(n_extra) < 0.15, -1, _user_numbers(x_k, account_id))
    b.add(
        "impression",
        us(np.concatenate([imp_t, np.minimum(x_t, D - 0.01)])),
        user_id=np.concatenate([v_user, x_user]),
        channel=np.concatenate([v_ch, x_ch]),
    )

    # ---- engagement ----------------------------------------------------------------------------
    text_vocab: list[str] = []
    lang_slices: dict[str, tuple[int, int]] = {}
    for lang, phrases in _COMMENTS.items():
        lo = len(text_vocab)
        text_vocab.extend(p + e for p in phrases for e in _EMOJI_SUFFIXES)
        lang_slices[lang] = (lo, len(text_vocab))
    emoji_lo = len(text_vocab)
    text_vocab.extend(_EMOJI_ONLY)
    hostile_lo = len(text_vocab)
    text_vocab.extend(HOSTILE_TEXTS)
    b.strings("text", text_vocab)

    ci, ct = _in_views(rng, v_enter, v_end, v_prop / 110.0, engage_mult)
    nc = ci.size
    langs = list(_COMMENTS)
    home = dict(market.langs)
    # mostly the market's languages, plus a few cross-border viewers writing in any of the others
    lang_w = [0.95 * home.get(lang, 0.0) + 0.05 / len(langs) for lang in langs]
    lang_pick = _cdf_pick(rng.random(nc), lang_w)
    lo_arr = np.array([lang_slices[lang][0] for lang in langs])
    size_arr = np.array([lang_slices[lang][1] - lang_slices[lang][0] for lang in langs])
    text = lo_arr[lang_pick] + (rng.random(nc) * size_arr[lang_pick]).astype(np.int64)
    kind = rng.random(nc)
    text = np.where(kind < _EMOJI_ONLY_P, emoji_lo + rng.integers(0, len(_EMOJI_ONLY), nc), text)
    text = np.where(kind > 1 - _HOSTILE_P, hostile_lo + rng.integers(0, len(HOSTILE_TEXTS), nc), text)
    b.add("comment", us(ct), user_id=v_user[ci], text=text)

    # likes: bursts of several like events a second or two apart, each with a tap count
    bi, bt = _in_views(rng, v_enter, v_end, v_prop / 150.0, engage_mult)
    per = rng.geometric(0.35, bi.size)
    li = np.repeat(bi, per)
    first = np.repeat(np.cumsum(per) - per, per)
    step = np.arange(li.size) - first
    gaps = rng.uniform(0.6, 2.5, li.size)
    cum = np.cumsum(gaps)
    lt = np.repeat(bt, per) + np.where(step > 0, cum - np.repeat(cum[np.cumsum(per) - per], per), 0.0)
    keep = lt < v_end[li]
    li, lt = li[keep], lt[keep]
    like_count = np.minimum(rng.geometric(0.16, li.size), 99)
    b.add("like", us(lt), user_id=v_user[li], count=like_count)

    si, st = _in_views(rng, v_enter, v_end, v_prop / 1500.0, engage_mult)
    b.add("share", us(st), user_id=v_user[si])

    non_f = v_first & ~v_fol
    fi, ft = _in_views(rng, v_enter, v_end, np.where(non_f, (0.15 + v_prop) / 1800.0, 0.0), engage_mult * 1.0)
    fi_u, first_idx = np.unique(v_user[fi], return_index=True)
    b.add("follow", us(ft[first_idx]), user_id=fi_u)

    gifter = _unit(v_user, 31) < 0.08
    gi, gt = _in_views(rng, v_enter, v_end, np.where(gifter, (0.2 + v_prop) / 500.0, 0.0), engage_mult)
    gift_pick = _cdf_pick(rng.random(gi.size), [g[2] for g in _GIFTS])
    b.strings("gift_name", [g[0] for g in _GIFTS])
    diamonds = np.array([g[1] for g in _GIFTS], dtype=np.int64)[gift_pick]
    gift_count = np.where(
        rng.random(gi.size) < 0.7, 1, np.minimum(rng.geometric(0.12, gi.size), 999 // np.maximum(diamonds, 1) + 1)
    )
    b.add("gift", us(gt), user_id=v_user[gi], gift_name=gift_pick, diamonds=diamonds, count=gift_count)

    # ---- products --------------------------------------------------------------------------------
    pid_off = b.strings("product_id", [p.product_id for p in catalogue])
    name_off = b.strings("name", [p.name for p in catalogue])
    prices = np.array([p.price_minor for p in catalogue], dtype=np.int64)
    if pin_rows:
        pt = np.array([r[0] for r in pin_rows])
        pp = np.array([r[1] for r in pin_rows])
        b.add("product_pin", us(pt), product_id=pid_off + pp, name=name_off + pp, price=prices[pp])
    if unpin_rows:
        b.add(
            "product_unpin",
            us(np.array([r[0] for r in unpin_rows])),
            product_id=pid_off + np.array([r[1] for r in unpin_rows]),
        )

    r_base, r_pin = 1.0 / 100.0, 1.0 / 30.0
    pi, ptm = _in_views(rng, v_enter, v_end, (r_base + r_pin) * (0.6 + 0.4 * np.minimum(v_buyer, 3.0)))
    pinned_now = pinned_sec[np.minimum(ptm.astype(np.int64), D - 1)]
    u = rng.random(pi.size) * (r_base + r_pin)
    keep = (pinned_now >= 0) | (u >= r_pin)
    pi, ptm, pinned_now, u = pi[keep], ptm[keep], pinned_now[keep], u[keep]
    pin_card = (pinned_now >= 0) & (u < r_pin)
    prod = np.where(pin_card, pinned_now, _cdf_pick(rng.random(pi.size), popularity))
    b.add("product_impression", us(ptm), user_id=v_user[pi], product_id=pid_off + prod)

    click_p = np.minimum(np.where(pin_card, 0.04, 0.015) * v_buyer[pi], 0.9)
    clicked = rng.random(pi.size) < click_p
    k_i, k_prod, k_pin = pi[clicked], prod[clicked], pin_card[clicked]
    k_t = ptm[clicked] + 0.3 + _lognormal(rng, 3.0, 0.6, k_i.size)
    ok = k_t < v_end[k_i]
    k_i, k_prod, k_pin, k_t = k_i[ok], k_prod[ok], k_pin[ok], k_t[ok]
    b.add("product_click", us(k_t), user_id=v_user[k_i], product_id=pid_off + k_prod)

    buy_p = np.minimum(np.where(k_pin, 0.12, 0.06) * v_buyer[k_i], 0.9)
    bought = rng.random(k_i.size) < buy_p
    o_i, o_prod, o_t = k_i[bought], k_prod[bought], k_t[bought] + 3.0 + _lognormal(rng, 35.0, 0.7, int(bought.sum()))
    ok = o_t < D - 2
    o_i, o_prod, o_t = o_i[ok], o_prod[ok], o_t[ok]
    no = o_i.size
    qty = 1 + _cdf_pick(rng.random(no), (0.74, 0.17, 0.05, 0.025, 0.015))
    amount = qty * prices[o_prod]
    attribution = np.where(rng.random(no) < 0.8, 0, 1)
    ids = 576_000_000_000_000_000 + rng.choice(10**15, size=no, replace=False)
    oid_off = b.strings("order_id", [str(x) for x in ids.tolist()])
    b.strings("status", ("created", "paid", "refunded"))
    b.strings("attribution", ("direct", "indirect"))
    paid_t = o_t + 1.0 + _lognormal(rng, 6.0, 0.6, no)
    is_paid = (rng.random(no) >= 0.1) & (paid_t < D - 1)
    refund_t = paid_t + rng.uniform(60, 1500, no)
    is_ref = is_paid & (rng.random(no) < 0.05) & (refund_t < D - 1)
    sel = [np.arange(no), np.flatnonzero(is_paid), np.flatnonzero(is_ref)]
    rows = np.concatenate(sel)
    status = np.concatenate([np.full(len(s), k) for k, s in enumerate(sel)])
    o_ts = np.concatenate([o_t, paid_t[is_paid], refund_t[is_ref]])
    b.add(
        "order",
        us(o_ts),
        order_id=oid_off + rows,
        user_id=v_user[o_i[rows]],
        product_id=pid_off + o_prod[rows],
        quantity=qty[rows],
        amount=amount[rows],
        status=status,
        attribution=attribution[rows],
    )

    # ---- giveaways -------------------------------------------------------------------------------
    sess_tag = f"{_h64('gw', seed, session_id) % 16**6:06x}"
    for j, (gs, ge) in enumerate(giveaways):
        gid = b.strings("giveaway_id", [f"gw-{sess_tag}-{j + 1}"])
        if rng.random() < 0.6:
            p = int(rng.choice(featured))
            prize, prize_pid = f"Free {catalogue[p].name}", pid_off + p
        else:
            prize, prize_pid = str(_PRIZES[int(rng.integers(len(_PRIZES)))]), -1
            if prize in ("Shop voucher", "Gift card"):
                prize = f"{prize} {int(rng.choice([10, 20, 50, 100])) * int(max(market.fx, 1))} {currency}"
        planned = int(rng.integers(1, 6))
        b.add(
            "giveaway_start",
            us(np.array([gs])),
            giveaway_id=np.array([gid]),
            prize=np.array([b.strings("prize", [prize])]),
            product_id=np.array([prize_pid]),
            winners_planned=np.array([planned]),
        )
        w = np.flatnonzero((v_enter < ge) & (v_end > gs))
        w = w[rng.random(w.size) < 0.88]
        vt = np.maximum(v_enter[w], gs) + rng.uniform(0.5, 8.0, w.size)
        ok = vt < np.minimum(v_end[w], ge)
        w, vt = w[ok], vt[ok]
        b.add("giveaway_view", us(vt), giveaway_id=np.full(w.size, gid), user_id=v_user[w])
        c = rng.random(w.size) < 0.45
        cw, c_t = w[c], vt[c] + 0.5 + _lognormal(rng, 4.0, 0.5, int(c.sum()))
        ok = c_t < np.minimum(v_end[cw], ge)
        cw, c_t = cw[ok], c_t[ok]
        b.add("giveaway_click", us(c_t), giveaway_id=np.full(cw.size, gid), user_id=v_user[cw])
        jn = rng.random(cw.size) < 0.7
        jw, j_t = cw[jn], c_t[jn] + 0.5 + _lognormal(rng, 3.0, 0.5, int(jn.sum()))
        ok = j_t < np.minimum(v_end[jw], ge)
        jw, j_t = jw[ok], j_t[ok]
        b.add("giveaway_join", us(j_t), giveaway_id=np.full(jw.size, gid), user_id=v_user[jw])
        pool = np.unique(v_user[jw])
        winners = rng.choice(pool, size=min(planned, pool.size), replace=False) if pool.size else pool
        b.lists.append([f"u{x}" for x in winners.tolist()])
        b.add("giveaway_end", us(np.array([ge])), giveaway_id=np.array([gid]), winner_list=np.array([len(b.lists) - 1]))

    # ---- violations ------------------------------------------------------------------------------
    n_viol = int(rng.poisson(0.8 * D / 3600))
    if D >= 5400:
        n_viol = max(n_viol, 1)  # long LIVEs collect at least one warning
    if n_viol:
        vt = np.sort(rng.uniform(120, D - 60, n_viol))
        pol = rng.integers(0, len(_POLICIES), n_viol)
        sev = _cdf_pick(rng.random(n_viol), _SEVERITY_P)
        vid = b.strings("violation_id", [f"vio-{sess_tag}-{k + 1}" for k in range(n_viol)])
        p_off = b.strings("policy", [_POLICIES[int(x)][0] for x in pol])
        d_off = b.strings("detail", [_POLICIES[int(x)][1] for x in pol])
        s_off = b.strings("severity", SEVERITIES)
        rng_k = np.arange(n_viol)
        b.add(
            "violation",
            us(vt),
            violation_id=vid + rng_k,
            policy=p_off + rng_k,
            severity=s_off + sev,
            detail=d_off + rng_k,
        )

    # ---- viewer_count readings -----------------------------------------------------------------
    ticks = np.arange(10.0, D - 0.5, 10.0) + rng.uniform(-0.4, 0.4, max(len(np.arange(10.0, D - 0.5, 10.0)), 0))
    ticks = ticks[(ticks > 0) & (ticks < D - 0.1)]
    online = np.searchsorted(np.sort(v_enter), ticks) - np.searchsorted(np.sort(v_leave[has_leave]), ticks)
    reading = np.maximum(np.round(online * rng.uniform(0.96, 1.06, ticks.size)), 0).astype(np.int64)
    b.add("viewer_count", us(ticks), count=reading)

    # ---- start / end -----------------------------------------------------------------------------
    if title is None:
        title = _default_title(rng, start)
    b.add(
        "session_start",
        np.array([start_us]),
        account_id=np.array([b.strings("account_id", [account_id])]),
        title=np.array([b.strings("title", [title])]),
        live_event_id=np.array([b.strings("live_event_id", [live_event_id]) if live_event_id else -1]),
        currency=np.array([b.strings("currency", [currency])]),
    )
    if end_event:
        b.add("session_end", np.array([end_us]))
    return b.build(session_id, _h64("ids", seed, session_id))


def _default_title(rng: np.random.Generator, start: datetime) -> str:
    tpl = _TITLE_TEMPLATES[int(rng.integers(len(_TITLE_TEMPLATES)))]
    return f"{tpl.format(weekday=start.strftime('%A'))} · {start.strftime('%b')} {start.day}"


# ----------------------------------------------------------------- many sessions


@dataclass(frozen=True)
class _Planned:
    session_id: str
    account_id: str
    currency: str
    start: datetime
    duration_s: int
    title: str
    live_event_id: str | None
    scale: float


def _slug(account_id: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in account_id.split(".")[0]).strip("-") or "acct"


def _plan(seed: int, accounts: int, sessions: int, mega: bool, scale: float, now: datetime) -> list[_Planned]:
    if accounts < 1:
        raise ValueError("accounts must be at least 1")
    rng = _rng("plan", seed)
    order = rng.permutation(len(_ACCOUNTS)) if seed else np.arange(len(_ACCOUNTS))
    accts = []
    for i in range(accounts):
        handle, cur, _niche_name = _ACCOUNTS[int(order[i % len(_ACCOUNTS)])]
        if i >= len(_ACCOUNTS):
            handle = f"{handle}{i // len(_ACCOUNTS) + 1}"
        accts.append((handle, cur))
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    # ~90 days of history; a larger fleet reaches further back so an account never has two LIVEs a day
    horizon = max(90, -(-sessions // accounts) + 10)
    free_days = {a: list(rng.permutation(np.arange(1, horizon))) for a, _c in accts}
    out: list[_Planned] = []

    def take_day(acct: str) -> int:
        return int(free_days[acct].pop()) if free_days[acct] else int(rng.integers(1, horizon))

    mega_day = min(9, 89)
    if mega:
        a0 = accts[0][0]
        if mega_day in free_days[a0]:
            free_days[a0].remove(mega_day)

    # one multi-session LIVE event: 2-3 parts on one day, same account, short breaks between
    k_parts = min(sessions, int(rng.integers(2, 4)))
    if k_parts >= 2:
        acct, cur = accts[int(rng.integers(len(accts)))]
        day = take_day(acct)
        t0 = today - timedelta(days=day) + timedelta(hours=int(rng.integers(10, 14)))
        le_id = f"le-{t0:%Y%m%d}-{_slug(acct)}"
        theme = ["Payday", "Mega sale", "Double-day", "Anniversary"][int(rng.integers(4))]
        for part in range(k_parts):
            dur = int(rng.integers(30, 91)) * 60
            out.append(
                _Planned(
                    f"{t0:%Y%m%d-%H%M}-{_slug(acct)}",
                    acct,
                    cur,
                    t0,
                    dur,
                    f"{theme} marathon {t0:%b} {t0.day} — part {part + 1}/{k_parts} 🛒",
                    le_id,
                    scale,
                )
            )
            t0 = t0 + timedelta(seconds=dur, minutes=int(rng.integers(10, 41)))
    hostile = ["<img src=x onerror=alert(1)> ", "<b>Bold</b> "]
    for i in range(sessions - len(out)):
        acct, cur = accts[i % len(accts)] if i < len(accts) else accts[int(rng.integers(len(accts)))]
        day = take_day(acct)
        dur = int(rng.integers(30, 241)) * 60
        # start on a quarter hour such that the session ends the same day (no overlaps within an account)
        quarter = int(rng.integers(0, (24 * 3600 - dur) // 900))
        start = today - timedelta(days=day) + timedelta(seconds=quarter * 900)
        title = _default_title(rng, start)
        title = (hostile[i] if i < len(hostile) else "") + title + f" #{i + 1 + k_parts}"
        out.append(_Planned(f"{start:%Y%m%d-%H%M}-{_slug(acct)}", acct, cur, start, dur, title, None, scale))
    if mega:
        acct, cur = accts[0]
        start = today - timedelta(days=mega_day) + timedelta(hours=12)
        out.append(
            _Planned(
                f"mega-{start:%Y%m%d}-{_slug(acct)}",
                acct,
                cur,
                start,
                MEGA_DURATION_S,
                f"MEGA SALE 3-hour marathon {start:%b} {start.day} 🔥🔥🔥",
                None,
                _MEGA_SCALE,
            )
        )
    out.sort(key=lambda p: (p.start, p.session_id))
    seen: dict[str, int] = {}
    for i, p in enumerate(out):  # a crowded fleet can put two LIVEs of an account in one minute
        n = seen[p.session_id] = seen.get(p.session_id, 0) + 1
        if n > 1:
            out[i] = dataclasses.replace(p, session_id=f"{p.session_id}-{n}")
    return out


def simulate(
    seed: int = 0,
    accounts: int = 3,
    sessions: int = 12,
    *,
    mega: bool = False,
    scale: float = 1.0,
    now: datetime | None = None,
) -> Iterator[pa.Table]:
    """One table per session: ``sessions`` sessions of ``accounts`` accounts over the ~90 days before ``now``.

    At least one multi-session LIVE event (2-3 sessions sharing ``live_event_id``) is included when
    ``sessions >= 2``; ``mega=True`` adds a 3-hour session of at least 5 million events (``mega-...``),
    whose size does not depend on ``scale``. Tables come in order of start time.
    """
    now = now or DEFAULT_NOW
    for p in _plan(seed, accounts, sessions, mega, scale, now):
        table, p_scale = None, p.scale
        while table is None or (p.session_id.startswith("mega-") and table.num_rows < MEGA_EVENTS_MIN):
            if table is not None:  # rare: a quiet draw; grow the audience and draw again (still deterministic)
                p_scale *= 1.05 * MEGA_EVENTS_MIN / table.num_rows
            table = simulate_session(
                p.session_id,
                p.account_id,
                p.start,
                p.duration_s,
                seed=seed,
                title=p.title,
                live_event_id=p.live_event_id,
                currency=p.currency,
                scale=p_scale,
            )
        yield table


def write_simulation(
    out: Path,
    seed: int = 0,
    accounts: int = 3,
    sessions: int = 12,
    *,
    mega: bool = False,
    scale: float = 1.0,
    progress: bool = False,
) -> list[Path]:
    """Write one ``<session_id>.jsonl.gz`` per simulated session into ``out``; returns the paths."""
    from tqdm.auto import tqdm

    from liveboard.eventlog import write_event_log

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    total = sessions + (1 if mega else 0)
    for table in tqdm(
        simulate(seed, accounts, sessions, mega=mega, scale=scale),
        total=total,
        desc="simulating",
        unit="session",
        disable=not progress,
    ):
        sid = table["session_id"][0].as_py()
        path = out / f"{sid}.jsonl.gz"
        write_event_log(table, path)
        paths.append(path)
    return paths
