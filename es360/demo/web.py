"""Web and app analytics: web/events.jsonl (logged-in for shop customers, anonymous otherwise)."""

from __future__ import annotations

from random import Random

from es360.demo.behaviour import Plan, browse_times
from es360.demo.catalog import Product
from es360.demo.people import Person
from es360.demo.timefmt import DAY, iso_z
from es360.demo.world import Account, OrderInfo, World

SITE = "https://shop.example.com"
DEVICES = (("desktop", 40), ("mobile", 40), ("tablet", 8), ("app", 12))
PAGES = ("/", "/", "/sale", "/new-in", "/account", "/account/orders", "/help/returns", "/help/shipping",
         "/help/contact", "/wishlist", "/stores", "/blog/gift-guide")
SEARCHES = ("headphones", "jacket", "gift for dad", "blender", "running shoes", "sale", "yoga mat", "lamp",
            "power bank", "board game", "kettle", "perfume")
CATEGORIES = ("audio", "kitchen", "home", "outdoor", "fitness", "tech", "beauty", "toys")


class _Session:
    """Writes the events of one session in order."""

    def __init__(self, w: World, ts: int, device: tuple[str, str], number: str | None) -> None:
        self.ts = ts
        self.session_id = w.ids.session()
        self.anonymous_id, self.device = device
        self.number = number
        self._write = w.sinks.web.write
        self._event_id = w.ids.web_event
        self._random = w.rng.random

    def event(self, kind: str, url: str, product: Product | None = None, duration: int | None = None,
              email: str | None = None) -> None:
        self._write({
            "event_id": self._event_id(), "ts": iso_z(self.ts), "session_id": self.session_id,
            "anonymous_id": self.anonymous_id, "customer_number": self.number, "email": email, "type": kind,
            "url": url, "product_id": product.id if product else None, "device": self.device,
            "duration_s": duration,
        })
        self.ts += 5 + (duration or int(self._random() * 40))


def _device(w: World) -> tuple[str, str]:
    rng = w.rng
    x = rng.random() * 100
    for name, weight in DEVICES:
        x -= weight
        if x < 0:
            return w.ids.device(), name
    return w.ids.device(), "desktop"


def _landing(rng: Random, product: Product | None) -> str:
    r = rng.random()
    if product is not None and r < 0.4:
        return f"{SITE}/p/{product.id}-{product.slug}"
    if r < 0.55:
        return f"{SITE}/?utm_source=newsletter&utm_medium=email"
    if r < 0.7:
        return f"{SITE}/search?q={SEARCHES[int(rng.random() * len(SEARCHES))].replace(' ', '+')}"
    if r < 0.85:
        return f"{SITE}/c/{CATEGORIES[int(rng.random() * len(CATEGORIES))]}"
    return f"{SITE}/"


def _start(w: World, s: _Session, landing: str, login_email: str | None, number: str | None) -> None:
    """session_start, then a login when the visitor signs in (later events carry the customer number)."""
    s.event("session_start", landing)
    if login_email is not None:
        s.number = number
        s.event("login", f"{SITE}/login", email=login_email)


def _browse_pages(w: World, s: _Session, cart_rate: float) -> None:
    rng = w.rng
    for _ in range(1 + int(rng.random() * 2)):
        if rng.random() < 0.55:
            product = w.catalog.pick(rng)
            s.event("product_view", f"{SITE}/p/{product.id}-{product.slug}", product, 5 + int(rng.random() * 180))
            if rng.random() < cart_rate:
                s.event("add_to_cart", f"{SITE}/cart", product)
        else:
            s.event("page_view", SITE + PAGES[int(rng.random() * len(PAGES))], None, 3 + int(rng.random() * 120))


def _checkout_pages(w: World, s: _Session, order: OrderInfo) -> None:
    rng = w.rng
    for product, _ in order.products:
        s.event("product_view", f"{SITE}/p/{product.id}-{product.slug}", product, 10 + int(rng.random() * 200))
        s.event("add_to_cart", f"{SITE}/cart", product)
    s.event("page_view", f"{SITE}/checkout", None, 30 + int(rng.random() * 240))
    s.event("page_view", f"{SITE}/checkout/confirmation?order={order.order_id}", None, 5 + int(rng.random() * 30))


def write_web(w: World, p: Person, plan: Plan, accounts: list[Account], orders: list[OrderInfo]) -> None:
    """Sessions of one person over the analytics window; their cookie ids become web records."""
    rng, now = w.rng, w.now
    lo = now - w.rates.volume.web_days * DAY
    devices = [_device(w) for _ in range(1 + (rng.random() < 0.45) + (rng.random() < 0.15))]
    used: list[str] = []
    tracked = w.rates.volume.web_tracked
    sessions: list[tuple[int, OrderInfo | None]] = [(t, None) for t in browse_times(rng, plan, lo)
                                                    if rng.random() < tracked]
    sessions += [(o.ts - 300 - int(rng.random() * 1800), o) for o in orders if o.ts >= lo and rng.random() < tracked]
    sessions.sort(key=lambda item: item[0])
    for ts, order in sessions:
        device = devices[int(rng.random() * len(devices))]
        account = order.account if order is not None else (accounts[0] if accounts else None)
        number = None
        if account is not None and (order is not None or device[1] == "app" or rng.random() < 0.55):
            number = account.number
        app = device[1] == "app"
        login_email = None
        if number is not None and account is not None and not app:
            login_email = account.email.strip().lower() if rng.random() < 0.8 else account.email
        s = _Session(w, ts, device, number if app else None)
        if order is not None:
            _start(w, s, _landing(rng, order.products[0][0]), login_email, number)
            _checkout_pages(w, s, order)
        else:
            _start(w, s, _landing(rng, None), login_email, number)
            _browse_pages(w, s, 0.12)
        if device[0] not in used:
            used.append(device[0])
    for anonymous_id in used:
        p.records.append({"source": "web", "anonymous_id": anonymous_id})


def write_visitors(w: World, n: int) -> None:
    """Background traffic: anonymous visitors who are nobody in particular."""
    rng, now = w.rng, w.now
    lo = now - w.rates.volume.web_days * DAY
    for _ in range(n):
        device = _device(w)
        for _ in range(1 + (rng.random() < 0.3)):
            s = _Session(w, lo + int(rng.random() * (now - lo - 3600)), device, None)
            _start(w, s, _landing(rng, None), None, None)
            _browse_pages(w, s, 0.08)
