"""Shop accounts and orders: shop/customers.jsonl and shop/orders.csv."""

from __future__ import annotations

from random import Random

from es360.demo.behaviour import Plan
from es360.demo.catalog import Product
from es360.demo.ids import MAX_ORDERS
from es360.demo.people import Person
from es360.demo.places import utc_offset
from es360.demo.timefmt import DAY, iso_offset
from es360.demo.world import Account, OrderInfo, World

FX = {"EUR": 1.0, "USD": 1.08, "GBP": 0.86}
_HOURS = (7, 8, 9, 10, 11, 12, 12, 13, 14, 15, 16, 17, 18, 19, 19, 20, 20, 21, 21, 22, 22, 23)
_TIERS = ((2500.0, "platinum"), (900.0, "gold"), (300.0, "silver"), (0.0, "bronze"))


def write_shop(w: World, p: Person, plan: Plan, taken: set[str]) -> tuple[list[Account], list[OrderInfo]]:
    """A person's account(s) and order history; `taken` holds emails already used by the household."""
    rng, now = w.rng, w.now
    noise = w.rates.noise
    offset = utc_offset(p.country, p.address.city, plan.orders[0])
    times = sorted(min(plan.end, now - 300, _local_time(rng, t, offset)) for t in plan.orders[-MAX_ORDERS:])
    signup = times[0] - int(rng.random() * (3600 if plan.segment == "new" else 2 * DAY))
    accounts = [_account(w, p, signup, taken)]
    dup_from = None
    if len(times) > 2 and rng.random() < noise.shop_duplicate:
        dup_from = 1 + int(rng.random() * (len(times) - 1))
        accounts.append(_account(w, p, times[dup_from] - 600, taken, other=True))
    orders: list[OrderInfo] = []
    spend = 0.0
    currency = p.country.currency
    for i, ts in enumerate(times):
        if rng.random() < noise.guest_order:
            account = None
        elif dup_from is not None and i >= dup_from and rng.random() < 0.5:
            account = accounts[1]
        else:
            account = accounts[0]
        cur = currency
        if rng.random() < noise.currency_mismatch:
            cur = ("EUR", "USD", "GBP")[int(rng.random() * 3)]
        info = _order(w, p, ts, cur, account, plan)
        orders.append(info)
        spend += info.amount / FX[cur]
    for account in accounts:
        _write_customer(w, p, account, spend, rng)
    return accounts, orders


def _local_time(rng: Random, ts: int, offset: int) -> int:
    """Move an order to a plausible local hour of its day in the customer's time zone (offset in minutes)."""
    day = ts - ts % DAY
    return day + _HOURS[int(rng.random() * len(_HOURS))] * 3600 + int(rng.random() * 3600) - offset * 60


def _account(w: World, p: Person, created: int, taken: set[str], other: bool = False) -> Account:
    v = w.views
    mailbox = v.address_of(p, work_bias=0.5 if other else 0.0)
    if other and p.work_email and mailbox != p.work_email:
        mailbox = p.work_email
    if mailbox.lower() in taken:
        mailbox = p.email if p.email.lower() not in taken else (p.work_email or p.email)
    taken.add(mailbox.lower())
    return Account(w.ids.customer(), v.variant(mailbox), created)


def _items(w: World) -> list[tuple[Product, int]]:
    rng, pick = w.rng, w.catalog.pick
    first = pick(rng)
    lines = [(first, 1 if rng.random() < 0.8 else 2 + int(rng.random() * 2))]
    if rng.random() >= 0.55:
        seen = {first.id}
        for _ in range(1 + int(rng.random() * 3)):
            product = pick(rng)
            if product.id not in seen:
                seen.add(product.id)
                lines.append((product, 1 if rng.random() < 0.8 else 2 + int(rng.random() * 2)))
    return lines


def _order(w: World, p: Person, ts: int, currency: str, account: Account | None, plan: Plan) -> OrderInfo:
    rng, v = w.rng, w.views
    lines = _items(w)
    fx = FX[currency]
    subtotal = 0.0
    for prod, qty in lines:
        subtotal += prod.price * qty
    subtotal *= fx
    amount = round(subtotal + (4.95 * fx if subtotal < 50 else 0.0), 2)
    if account is None:
        email, number = v.variant(p.email), ""
    elif rng.random() < w.rates.noise.order_email_differs:
        email, number = v.email(p, work_bias=0.3), account.number
    else:
        email, number = account.email, account.number
    order_id = w.ids.order()
    items = ";".join([f"{prod.id}:{qty}" for prod, qty in lines])
    offset = utc_offset(p.country, p.address.city, ts)
    status = "paid"
    refund = None
    r = rng.random()
    volume = w.rates.volume
    if r < volume.cancelled:
        status = "cancelled"
    elif r < volume.cancelled + volume.refund:
        refund_ts = ts + int((3 + 27 * rng.random()) * DAY)
        if refund_ts < min(plan.end, w.now - 600):
            if rng.random() < 0.65 or len(lines) == 1 and lines[0][1] == 1:
                status, refund = "refunded", (refund_ts, amount, items)
            else:
                prod, _ = lines[int(rng.random() * len(lines))]
                refund = (refund_ts, round(prod.price * fx, 2), f"{prod.id}:1")
    write = w.sinks.orders.write
    write((order_id, number, email, iso_offset(ts, offset), "order", "", status, f"{amount:.2f}", currency, items))
    if refund is not None:
        rts, ramount, ritems = refund
        write((w.ids.order(), number, email, iso_offset(rts, offset), "refund", order_id, "refunded",
               f"{ramount:.2f}", currency, ritems))
    return OrderInfo(order_id, ts, lines, amount, currency, account)


def _write_customer(w: World, p: Person, account: Account, spend: float, rng: Random) -> None:
    v = w.views
    street, city, postcode = v.address(p)
    tier = None
    if rng.random() > 0.1:
        tier = next(name for floor, name in _TIERS if spend >= floor)
    x = rng.random()
    consent = True if x < 0.55 else (False if x < 0.85 else None)
    phone = v.phone(p)
    w.sinks.customers.write({
        "customer_number": account.number,
        "name": v.full_name(p),
        "email": account.email or None,
        "phone": phone or None,
        "shipping_address": {"line1": street, "city": city, "zip": postcode or None, "country": p.country.code},
        "signup_ts": account.created,
        "marketing_consent": consent,
        "loyalty_tier": tier,
    })
    p.records.append({"source": "shop", "id": account.number})
