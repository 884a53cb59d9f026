"""The words and weights of the simulated world: channels, demographics, comments, gifts, policies, titles.

Pure data (plus the default title): the phases draw from these tables, the model (:mod:`.model`) holds the rates.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np

from liveboard.events import CHANNELS

#: Position of each channel in :data:`~liveboard.events.CHANNELS` (the channel codes of the events).
CHANNEL_INDEX = {channel: index for index, channel in enumerate(CHANNELS)}
#: Share of first arrivals per channel (before per-session jitter).
CHANNEL_MIX = {
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
ENTER_RATE = {
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
FOLLOWER_SHARE = {
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
#: Weights of the genders (female, male, unknown) and the age bands, as :mod:`liveboard.events` orders them.
GENDER_WEIGHTS = (0.58, 0.34, 0.08)
AGE_WEIGHTS = (0.27, 0.35, 0.20, 0.11, 0.07)

#: Endings a phrase may get (mostly none).
EMOJI_SUFFIXES = ("", "", "", " 🔥", " 😍", " ❤️", " 👍", " 🙏", " 😂", " 💯", " 🛒", " ✨")
#: Comment phrases per language.
COMMENTS: dict[str, tuple[str, ...]] = {
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
#: Comments that are nothing but emoji.
EMOJI_ONLY = ("🔥🔥🔥", "❤️❤️", "😍", "👏👏👏", "💯", "🥰🥰", "😭😭 want", "🛒🛒", "✨✨✨", "🙌")
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

#: Gifts as (name, diamonds, weight).
GIFTS = (
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

#: Violations as (policy, detail).
POLICIES = (
    ("Misleading claims", "Host claimed the serum cures acne in 3 days"),
    ("Off-platform transaction", "Host asked viewers to pay via an external link"),
    ("Prohibited products", "Unregistered supplement shown on camera"),
    ("Intellectual property", "Unlicensed music playing in the background"),
    ("Minor safety", "A minor appeared on camera without supervision"),
    ("Harassment", "Host insulted a commenter"),
    ("Misleading pricing", "Advertised discount not applied at checkout"),
    ("Dangerous acts", "Unsafe use of a hair tool demonstrated"),
)
#: Weights of the severities (low, medium, high).
SEVERITY_WEIGHTS = (0.6, 0.3, 0.1)

#: Titles of the sessions that were given none.
TITLE_TEMPLATES = (
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

#: Giveaway prizes that are not one of the products.
PRIZES = ("Mystery box 📦", "Free shipping voucher", "Shop voucher", "Signed thank-you card + sample set", "Gift card")


def default_title(rng: np.random.Generator, start: datetime) -> str:
    """A title from the templates, dated: what a session planned without one is called."""
    template = TITLE_TEMPLATES[int(rng.integers(len(TITLE_TEMPLATES)))]
    return f"{template.format(weekday=start.strftime('%A'))} · {start.strftime('%b')} {start.day}"
