"""The shop's product catalog and the marketing team's campaign calendar."""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from random import Random

from es360.demo.timefmt import DAY, ymd


@dataclass(frozen=True, slots=True)
class Product:
    """One product: id, display name, the plain noun people use for it, price in EUR."""

    id: str
    name: str
    noun: str
    category: str
    price: float
    slug: str


@dataclass(frozen=True, slots=True)
class Campaign:
    """One email campaign: id, name, send time and kind (newsletter, promo, winback)."""

    id: str
    name: str
    ts: int
    kind: str


_CATEGORIES: tuple[tuple[str, tuple[str, ...], float, float], ...] = (
    ("audio", ("Wireless Headphones", "Noise-Cancelling Earbuds", "Bluetooth Speaker", "Soundbar", "Turntable"), 30, 350),
    ("kitchen", ("Blender", "Espresso Machine", "Cast Iron Skillet", "Knife Set", "Electric Kettle", "Toaster",
                 "Air Fryer"), 20, 450),
    ("home", ("Desk Lamp", "Throw Blanket", "Bed Linen Set", "Wall Clock", "Scented Candle", "Bath Towel Set"), 15, 150),
    ("outdoor", ("Down Jacket", "Hiking Boots", "2-Person Tent", "Sleeping Bag", "Daypack", "Water Bottle"), 20, 400),
    ("fitness", ("Yoga Mat", "Dumbbell Set", "Fitness Tracker", "Running Shoes", "Resistance Bands"), 15, 250),
    ("tech", ("Phone Case", "USB-C Charger", "Power Bank", "Smart Watch", "Wireless Mouse", "Mechanical Keyboard"), 15, 300),
    ("beauty", ("Hair Dryer", "Electric Toothbrush", "Face Cream", "Eau de Parfum"), 15, 200),
    ("toys", ("Building Blocks Set", "Board Game", "Remote Control Car", "Plush Bear"), 10, 120),
)
_BRANDS = ("Aurora", "Nimbus", "Terra", "Alpine", "Vela", "Orbit", "Kodiak", "Lumen", "Sora", "Fjord", "Cobalt",
           "Ember", "Pulse", "Drift", "Solace", "Zephyr")
_EDITIONS = ("", "", "", " Pro", " Mini", " 2", " Max", " Lite", " XL")


class Catalog:
    """A fixed catalog of about 300 products with skewed popularity."""

    def __init__(self, size: int = 300) -> None:
        rng = Random("es360-catalog")
        seen: set[str] = set()
        products: list[Product] = []
        while len(products) < size:
            category, nouns, lo, hi = _CATEGORIES[int(rng.random() * len(_CATEGORIES))]
            noun = nouns[int(rng.random() * len(nouns))]
            name = f"{_BRANDS[int(rng.random() * len(_BRANDS))]} {noun}{_EDITIONS[int(rng.random() * len(_EDITIONS))]}"
            if name in seen:
                continue
            seen.add(name)
            price = round(lo + (hi - lo) * rng.random() ** 2, 0) - 0.01
            slug = name.lower().replace(" ", "-")
            products.append(Product(f"P-{1001 + len(products)}", name, noun.lower(), category, price, slug))
        self.products = tuple(products)
        cum, total = [], 0.0
        for rank in range(size):
            total += 1.0 / (rank + 8)
            cum.append(total)
        self._cum = cum
        self._total = total

    def pick(self, rng: Random) -> Product:
        """A product, popular ones more often."""
        return self.products[bisect.bisect(self._cum, rng.random() * self._total)]


_PROMOS = {1: ("January Sale",), 2: ("Valentine's gift ideas",), 3: ("Spring Collection is here",),
           4: ("Easter deals",), 5: ("Mother's Day gifts",), 6: ("Summer Sale",), 7: ("Summer Sale - last chance",),
           8: ("Back to School",), 9: ("New Season Arrivals",), 10: ("Autumn Sale",),
           11: ("Black Friday Preview", "Cyber Monday"), 12: ("Christmas Gift Guide", "Last-minute gifts")}
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


def campaign_calendar(now: int, days: int, every_days: int) -> tuple[Campaign, ...]:
    """Campaigns sent over the last `days` days: newsletters, a promotion per month, monthly win-backs."""
    start = now - days * DAY
    out: list[tuple[int, str, str]] = []
    t = start - start % DAY + 9 * 3600
    n = 0
    while t < now - DAY:
        y, m, _ = ymd(t)
        n += 1
        if n % 2:
            out.append((t, f"Newsletter {_MONTHS[m - 1]} {y}" + (" #2" if n % 4 == 3 else ""), "newsletter"))
        else:
            promos = _PROMOS[m]
            out.append((t, f"{promos[(n // 2) % len(promos)]} {y}", "promo"))
        if n % 2 == 0:
            out.append((t + 3 * DAY + 7200, f"We miss you - 15% off ({_MONTHS[m - 1]} {y})", "winback"))
        t += every_days * DAY
    out.sort()
    return tuple(Campaign(f"CMP-{i + 1:04d}", name, ts, kind) for i, (ts, name, kind) in enumerate(out))
