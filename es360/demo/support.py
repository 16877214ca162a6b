"""Support desk: support/tickets.jsonl and truth/tickets.jsonl."""

from __future__ import annotations

import math
from collections.abc import Callable
from random import Random

from es360.demo import tickets_text as T
from es360.demo.behaviour import Plan, ticket_times
from es360.demo.ids import MAX_TICKETS
from es360.demo.people import Person
from es360.demo.phones import format_phone
from es360.demo.places import fill_pattern, format_street
from es360.demo.ticket_phrases import ISSUE_TYPES
from es360.demo.timefmt import DAY, iso_z
from es360.demo.world import OrderInfo, World

MEAN_TICKETS = {"loyal": 2.1, "declining": 4.0, "churned": 3.8, "new": 1.9, "reactivated": 2.8, "one_time": 1.7}
PRESENCE_FACTOR = {"loyal": 0.8, "declining": 1.4, "churned": 1.3, "new": 0.8, "reactivated": 1.0,
                   "one_time": 0.8}
_BASE_MIX = {"billing": 10, "delivery": 14, "refund": 10, "login": 10, "product_defect": 10, "cancellation": 5,
             "account_change": 9, "shipping_address": 9, "payment_failed": 8, "warranty": 7}
_SEGMENT_BOOST = {
    "churned": {"cancellation": 4.0, "refund": 1.8, "product_defect": 1.5, "delivery": 1.4, "billing": 1.3},
    "declining": {"delivery": 1.6, "product_defect": 1.5, "billing": 1.4, "refund": 1.4, "cancellation": 1.8},
    "loyal": {"account_change": 1.5, "shipping_address": 1.4, "warranty": 1.5, "cancellation": 0.3},
    "new": {"login": 2.0, "payment_failed": 2.0, "delivery": 1.3, "account_change": 1.2, "cancellation": 0.4},
    "reactivated": {"login": 1.5, "account_change": 1.3},
    "one_time": {"delivery": 1.3, "refund": 1.5, "product_defect": 1.3},
}
MOODS = {"loyal": (0.55, 0.3, 0.12, 0.03), "new": (0.45, 0.35, 0.15, 0.05), "reactivated": (0.4, 0.35, 0.18, 0.07),
         "one_time": (0.3, 0.35, 0.25, 0.1), "declining": (0.2, 0.3, 0.32, 0.18), "churned": (0.1, 0.2, 0.35, 0.35)}
CSAT = {"loyal": (2, 3, 8, 27, 60), "new": (4, 6, 15, 30, 45), "reactivated": (5, 7, 18, 30, 40),
        "one_time": (10, 10, 20, 30, 30), "declining": (18, 20, 27, 20, 15), "churned": (35, 25, 20, 12, 8)}
CHANNELS = (("email", 45), ("web", 20), ("chat", 20), ("phone", 15))
CATEGORY_TAG = {"billing": "payments", "payment_failed": "payments", "refund": "returns", "delivery": "shipping",
                "shipping_address": "shipping", "login": "account", "account_change": "account",
                "cancellation": "retention", "product_defect": "quality", "warranty": "quality"}
CARRIERS = {"US": ("USPS", "UPS", "FedEx"), "GB": ("Royal Mail", "DPD", "Evri"), "DE": ("DHL", "Hermes", "DPD"),
            "FR": ("La Poste", "Colissimo", "Chronopost"), "NL": ("PostNL", "DHL"), "ES": ("Correos", "SEUR"),
            "IT": ("Poste Italiane", "BRT"), "PL": ("InPost", "DPD"), "AU": ("Australia Post",)}
ORDER_ISSUES = ("billing", "delivery", "refund", "product_defect", "warranty", "cancellation", "shipping_address")


def support_presence(segment: str, base: float) -> float:
    """Chance that a person of this segment ever contacted support."""
    return min(1.0, base * PRESENCE_FACTOR[segment])


def write_tickets(w: World, p: Person, plan: Plan, orders: list[OrderInfo]) -> None:
    """The person's tickets; their requester emails become the person's support records."""
    rng = w.rng
    scale = w.rates.volume.tickets_per_support_person / 2.9
    n = min(MAX_TICKETS, 1 + _poisson(rng, max(0.0, MEAN_TICKETS[plan.segment] * scale - 1)))
    mix = _mix(plan.segment)
    emails: list[str] = []
    for i, created in enumerate(ticket_times(rng, plan, n)):
        issue = _weighted(rng, mix)
        email = _write_ticket(w, p, plan, orders, issue, created, i)
        if email and email not in emails:
            emails.append(email)
    for email in emails:
        p.records.append({"source": "support", "email": email})


def _write_ticket(w: World, p: Person, plan: Plan, orders: list[OrderInfo], issue: str, created: int,
                  index: int) -> str:
    rng, v, now = w.rng, w.views, w.now
    channel = _weighted(rng, CHANNELS)
    mood = _index(rng, MOODS[plan.segment])
    length = 0 if channel == "chat" and rng.random() < 0.6 else _index(rng, (0.3, 0.5, 0.2))
    signature = _signature(rng, p)
    style = T.TicketStyle(channel, mood, length, signature)
    subject, body = T.compose(rng, issue, style, _slots(w, p, orders, created))
    status, solved_at, updated = _lifecycle(rng, created, now)
    csat = None
    if solved_at is not None and rng.random() < 0.55:
        weights = CSAT[plan.segment]
        csat = 1 + _index(rng, tuple(x / sum(weights) for x in weights))
        if mood == 3 and csat > 1 and rng.random() < 0.4:
            csat -= 1
    priority = _priority(rng, issue, mood)
    escalated = rng.random() < 0.04 + 0.12 * (mood == 3) + 0.08 * (priority in ("high", "urgent"))
    tags = _tags(rng, issue, plan, mood, index, escalated)
    # Emailed and web-form tickets always have an address, and so does a person's first ticket (the
    # helpdesk keys requesters by email); later calls and chats sometimes come without one.
    no_email = {"phone": 0.12, "chat": 0.06}.get(channel, 0.0)
    email = "" if index and rng.random() < no_email else v.variant(v.address_of(p))
    phone = v.phone(p) if rng.random() < (0.85 if channel == "phone" else 0.2) else ""
    name = v.full_name(p) if rng.random() < 0.8 else (v.names(p)[0] if rng.random() < 0.5 else "")
    ticket_id = w.ids.ticket()
    w.sinks.tickets.write({
        "ticket_id": ticket_id, "requester_email": email or None, "requester_name": name or None,
        "requester_phone": phone or None, "subject": subject, "description": body, "status": status,
        "priority": priority, "channel": channel, "created": iso_z(created), "updated": iso_z(updated),
        "solved_at": iso_z(solved_at) if solved_at is not None else None, "csat": csat, "escalated": escalated,
        "tags": tags,
    })
    w.sinks.truth_tickets.write({"ticket_id": ticket_id, "issue_type": issue, "person_id": p.pid})
    return email


def _signature(rng: Random, p: Person) -> str:
    r = rng.random()
    if r < 0.5:
        return p.first
    if r < 0.8:
        return f"{p.first} {p.last}"
    if r < 0.9:
        return f"{p.first[0]}. {p.last}"
    return f"{p.first}\n{p.address.city.name}"


class LazySlots(dict[str, str]):
    """Slot values made on first use, so a ticket only pays for the slots its phrases mention."""

    def __init__(self, makers: dict[str, Callable[[], str]]) -> None:
        super().__init__()
        self._makers = makers

    def __missing__(self, key: str) -> str:
        value = self._makers[key]()
        self[key] = value
        return value


def _slots(w: World, p: Person, orders: list[OrderInfo], created: int) -> LazySlots:
    rng, now = w.rng, w.now
    before = [o for o in orders if o.ts <= created]
    order = before[-1] if before and rng.random() < 0.85 else (orders[int(rng.random() * len(orders))] if orders else None)
    if order is not None:
        product, _ = order.products[int(rng.random() * len(order.products))]
        order_id, amount, currency, ordered = order.order_id, order.amount, order.currency, order.ts
    else:
        product = w.catalog.pick(rng)
        order_id = f"W{1_000_000 + int(rng.random() * 9_000_000)}"  # a legacy web-shop reference
        amount, currency = round(product.price, 2), p.country.currency
        ordered = created - int(rng.random() * 20 * DAY)
    carriers = CARRIERS.get(p.country.code, ("DHL", "UPS", "FedEx", "GLS"))
    phone = p.mobile or p.landline
    country = p.country

    def pick(options: tuple[str, ...]) -> str:
        return options[int(rng.random() * len(options))]

    return LazySlots({
        "order": lambda: T.order_ref(rng, order_id),
        "product": lambda: product.name if rng.random() < 0.7 else f"the {product.noun}",
        "date": lambda: T.human_date(rng, min(ordered, created), now),
        "amount": lambda: T.money(rng, amount, currency),
        "card": lambda: T.card(rng),
        "carrier": lambda: pick(carriers),
        "days": lambda: T.days_phrase(rng, max(2, (created - ordered) // DAY) if rng.random() < 0.7 else 10),
        "tracking": lambda: f"1Z{int(rng.random() * 16**8):08X}{int(rng.random() * 10**8):08d}",
        "email": lambda: p.email,
        "oldemail": lambda: p.work_email or p.email,
        "phone": lambda: format_phone(rng, phone) if phone else "the number on file",
        "fullname": lambda: f"{p.first} {p.last}",
        "newaddr": lambda: format_street(rng, country.street_style, pick(country.streets)),
        "city": lambda: p.address.city.name,
        "postcode": lambda: fill_pattern(rng, p.address.city.postcode),
        "code": lambda: T.error_code(rng),
        "rma": lambda: f"RMA-{int(rng.random() * 10**6):06d}",
        "serial": lambda: f"SN{int(rng.random() * 36**8):X}",
    })


def _lifecycle(rng: Random, created: int, now: int) -> tuple[str, int | None, int]:
    age_days = (now - created) / DAY
    x = rng.random()
    if age_days < 3:
        status = "open" if x < 0.5 else ("pending" if x < 0.8 else "solved")
    elif age_days < 14:
        status = "open" if x < 0.15 else ("pending" if x < 0.45 else ("solved" if x < 0.9 else "closed"))
    elif age_days < 30:
        status = "pending" if x < 0.1 else ("solved" if x < 0.6 else "closed")
    else:
        status = "open" if x < 0.01 else ("solved" if x < 0.2 else "closed")
    if status in ("open", "pending"):
        return status, None, min(now - 60, created + int(rng.random() * min(age_days, 5) * DAY))
    hours = min(20 * 24.0, rng.lognormvariate(math.log(20), 1.0))
    solved = min(now - 60, created + int(hours * 3600))
    updated = solved if status == "solved" else min(now - 60, solved + 4 * DAY)
    return status, solved, updated


def _priority(rng: Random, issue: str, mood: int) -> str:
    weights = [20, 55, 18, 7]
    if mood == 3:
        weights = [5, 40, 35, 20]
    if issue in ("payment_failed", "login"):
        weights[2] += 10
    return ("low", "normal", "high", "urgent")[_index(rng, tuple(x / sum(weights) for x in weights))]


def _tags(rng: Random, issue: str, plan: Plan, mood: int, index: int, escalated: bool) -> list[str]:
    tags = []
    if rng.random() < 0.6:
        tags.append(CATEGORY_TAG[issue])
    if issue in ORDER_ISSUES and rng.random() < 0.3:
        tags.append("order_issue")
    if plan.segment == "loyal" and rng.random() < 0.3:
        tags.append("vip")
    if mood >= 2 and rng.random() < 0.3:
        tags.append("macro:apology")
    if index and rng.random() < 0.25:
        tags.append("repeat_contact")
    if escalated:
        tags.append("escalated")
    if rng.random() < 0.08:
        tags.append("follow_up")
    return tags


def _mix(segment: str) -> tuple[tuple[str, float], ...]:
    boost = _SEGMENT_BOOST.get(segment, {})
    return tuple((t, _BASE_MIX[t] * boost.get(t, 1.0)) for t in ISSUE_TYPES)


def _weighted(rng: Random, options: tuple[tuple[str, float], ...]) -> str:
    total = sum(w for _, w in options)
    x = rng.random() * total
    for value, weight in options:
        x -= weight
        if x < 0:
            return value
    return options[-1][0]


def _index(rng: Random, probs: tuple[float, ...]) -> int:
    x = rng.random()
    for i, pr in enumerate(probs):
        x -= pr
        if x < 0:
            return i
    return len(probs) - 1


def _poisson(rng: Random, mean: float) -> int:
    limit, k, prod = math.exp(-mean), 0, rng.random()
    while prod > limit:
        k += 1
        prod *= rng.random()
    return k
