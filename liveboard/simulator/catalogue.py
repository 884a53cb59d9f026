"""Each account's catalogue of products: names from its niche, prices in its market's currency.

The catalogue depends only on the account, the seed and the currency, so every session of an account sells the
same products at the same prices.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from liveboard.simulator.markets import ACCOUNTS, market_for
from liveboard.simulator.randomness import seeded_rng, stable_hash

#: Product names per niche, and the niche's median price in USD.
NICHES: dict[str, tuple[tuple[str, ...], float]] = {
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


def niche_of(account_id: str) -> str:
    """The account's niche: its own for a known account, else one chosen by a stable hash of the handle."""
    for handle, _currency, niche in ACCOUNTS:
        if handle == account_id:
            return niche
    names = sorted(NICHES)
    return names[stable_hash("niche", account_id) % len(names)]


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
    rng = seeded_rng("catalogue", seed, account_id)
    names, usd_median = NICHES[niche_of(account_id)]
    count = int(rng.integers(5, min(20, len(names)) + 1))
    picked = rng.choice(len(names), size=count, replace=False)
    market = market_for(currency)
    usd_prices = np.exp(rng.normal(np.log(usd_median), 0.55, count)).clip(2.0, 400.0)
    account_number = 1_000_000_000 + stable_hash("account-num", account_id) % 8_000_000_000
    products = []
    for index, (name_index, usd_price) in enumerate(zip(picked, usd_prices, strict=True)):
        minor = usd_price * market.units_per_usd * 100
        # round to the market's "nice" step, then shave off a little: 24.99, 79.90, 299, 149,000
        minor = max(int(round(minor / market.price_step)), 1) * market.price_step - market.price_shave
        products.append(Product(f"17{account_number:010d}{index:03d}", names[int(name_index)], int(minor)))
    return products
