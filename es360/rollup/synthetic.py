"""Synthetic activity with known behaviour, for tests and benchmarks of the rollup and churn signals.

Each customer follows one pattern — loyal, declining, churned, new, reactivated, one_time or
prospect — and emits activity documents shaped like es360-activity after its ingest pipeline
(EUR amounts already signed, deterministic ids), so they can be bulk-indexed with or without the
pipeline. The pattern is the label: `churned` customers are the positives for the churn AUC.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

DAY = 86_400
SEGMENTS: tuple[tuple[str, float], ...] = (
    ("loyal", 0.25), ("declining", 0.15), ("churned", 0.20), ("new", 0.10), ("reactivated", 0.08),
    ("one_time", 0.17), ("prospect", 0.05),
)


@dataclass(frozen=True)
class SyntheticCustomer:
    """One synthetic customer: id, behaviour pattern and whether it churned (the label)."""

    customer_id: str
    segment: str

    @property
    def churned(self) -> bool:
        return self.segment == "churned"


def iso(ts: float) -> str:
    """Epoch seconds as the ISO-8601 UTC text activity documents carry."""
    return datetime.fromtimestamp(int(ts), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class _Emitter:
    def __init__(self, customer_id: str, rng: random.Random, now: float) -> None:
        self.cid = customer_id
        self.rng = rng
        self.now = now
        self.n = 0
        self.docs: list[dict[str, Any]] = []

    def event(self, ts: float, category: str, action: str, **extra: Any) -> dict[str, Any]:
        self.n += 1
        doc = {"_id": f"{self.cid}-{self.n}", "@timestamp": iso(min(ts, self.now - 120)), "customer_id": self.cid,
               "event": {"id": f"{self.cid}-{self.n}", "kind": "event", "category": category, "action": action,
                         "dataset": f"synthetic.{category}"}}
        doc.update(extra)
        self.docs.append(doc)
        return doc

    def order(self, ts: float) -> None:
        amount = round(self.rng.lognormvariate(4.2, 0.6), 2)
        oid = f"{self.cid}-o{self.n + 1}"
        self.event(ts, "order", "order", order={"id": oid, "amount": amount, "currency": "EUR",
                                                "net_amount_eur": amount, "items": self.rng.randint(1, 4)})
        if self.rng.random() < 0.06:
            refund = round(amount * self.rng.choice((1.0, 0.5)), 2)
            self.event(ts + self.rng.uniform(2, 20) * DAY, "order", "refund",
                       order={"id": f"{oid}-r", "refund_of": oid, "amount": refund, "currency": "EUR",
                              "net_amount_eur": -refund})

    def sessions(self, start: float, end: float, per_month: float) -> None:
        t = start
        while per_month > 0:
            t += self.rng.expovariate(per_month / 30.0) * DAY
            if t >= end:
                break
            sid = f"{self.cid}-s{self.n}"
            self.event(t, "web", "session_start", session={"id": sid, "device": self.rng.choice(("web", "app"))})
            self.event(t + 60, "web", "page_view", session={"id": sid}, url={"path": "/"})

    def emails(self, start: float, end: float, open_rate: float, click_rate: float) -> None:
        t = start + self.rng.uniform(0, 14) * DAY
        while t < end:
            self.event(t, "email", "send", email={"campaign": {"id": f"c{int(t // (14 * DAY))}"}})
            if self.rng.random() < open_rate:
                self.event(t + 3600, "email", "open")
                if self.rng.random() < click_rate / max(open_rate, 1e-9):
                    self.event(t + 3700, "email", "click")
            t += 14 * DAY

    def ticket(self, ts: float, unhappy: bool) -> None:
        csat = self.rng.choice((1, 2)) if unhappy else self.rng.choice((3, 4, 5, 5))
        ticket = {"id": f"{self.cid}-t{self.n}", "escalated": unhappy and self.rng.random() < 0.4}
        if self.rng.random() < 0.7:
            ticket["csat"] = csat
        self.event(ts, "support", "ticket_opened", ticket=ticket)


def _orders_between(em: _Emitter, start: float, end: float, gap_days: float) -> None:
    t = start
    while t < end:
        em.order(t)
        t += em.rng.uniform(0.5, 1.5) * gap_days * DAY


def customer_events(customer: SyntheticCustomer, rng: random.Random, now: float) -> list[dict[str, Any]]:
    """The activity documents of one synthetic customer, following its segment's pattern."""
    em = _Emitter(customer.customer_id, rng, now)
    seg = customer.segment
    start = now - rng.uniform(400, 1000) * DAY
    gap = rng.uniform(20, 70)
    active_until = now
    if seg == "loyal":
        _orders_between(em, start, now, gap)
    elif seg == "declining":
        turn = now - rng.uniform(150, 300) * DAY
        _orders_between(em, start, turn, gap)
        _orders_between(em, turn + gap * 2 * DAY, now - rng.uniform(10, 60) * DAY, gap * rng.uniform(2.5, 4))
    elif seg == "churned":
        active_until = now - rng.uniform(120, 600) * DAY
        _orders_between(em, start, active_until, gap)
        if len([d for d in em.docs if d["event"]["action"] == "order"]) == 0:
            em.order(active_until - DAY)
    elif seg == "new":
        start = now - rng.uniform(5, 85) * DAY
        _orders_between(em, start, now, rng.uniform(15, 40))
    elif seg == "reactivated":
        pause = now - rng.uniform(320, 500) * DAY
        _orders_between(em, min(start, pause - 200 * DAY), pause, gap)
        _orders_between(em, now - rng.uniform(10, 60) * DAY, now, gap)
    elif seg == "one_time":
        start = now - rng.uniform(20, 900) * DAY
        em.order(start)
        active_until = start + rng.uniform(0, 60) * DAY
    if seg != "one_time" or rng.random() < 0.3:
        em.sessions(start - 30 * DAY, active_until, rng.uniform(1, 5) if seg != "churned" else rng.uniform(1, 3))
    if rng.random() < 0.6:
        engaged = active_until >= now - DAY
        em.emails(max(start, now - 450 * DAY), now, 0.35 if engaged else 0.08, 0.06 if engaged else 0.005)
        if seg == "churned" and rng.random() < 0.35:
            em.event(active_until + rng.uniform(0, 60) * DAY, "email", "unsubscribe")
    tickets = rng.choice((0, 0, 0, 1, 1, 2))
    for _ in range(tickets):
        em.ticket(rng.uniform(start, max(start + DAY, active_until)),
                  unhappy=rng.random() < (0.5 if seg in ("churned", "declining") else 0.15))
    return em.docs


def generate(customers: int, seed: int = 7, now: datetime | None = None,
             prefix: str = "syn") -> tuple[list[SyntheticCustomer], Iterator[dict[str, Any]]]:
    """`customers` synthetic customers (with labels) and a lazy stream of all their activity documents."""
    rng = random.Random(seed)
    names, weights = zip(*SEGMENTS, strict=True)
    people = [SyntheticCustomer(f"{prefix}-{i:07d}", rng.choices(names, weights)[0]) for i in range(customers)]
    moment = (now or datetime.now(UTC)).timestamp()

    def stream() -> Iterator[dict[str, Any]]:
        for person in people:
            yield from customer_events(person, random.Random(f"{seed}:{person.customer_id}"), moment)

    return people, stream()


ACTIONS: tuple[tuple[str, str, float], ...] = (
    ("order", "order", 0.15), ("order", "refund", 0.01), ("web", "session_start", 0.2), ("web", "page_view", 0.3),
    ("email", "send", 0.2), ("email", "open", 0.08), ("email", "click", 0.02), ("support", "ticket_opened", 0.04),
)


def flat_events(docs: int, customers: int, seed: int = 11, now: datetime | None = None,
                days: int = 730) -> Iterator[dict[str, Any]]:
    """`docs` activity documents spread uniformly over `customers` and `days` (for speed benchmarks)."""
    rng = random.Random(seed)
    moment = (now or datetime.now(UTC)).timestamp()
    kinds = [(c, a) for c, a, _ in ACTIONS]
    weights = [w for _, _, w in ACTIONS]
    for i in range(docs):
        category, action = rng.choices(kinds, weights)[0]
        cid = f"flat-{rng.randrange(customers):07d}"
        doc: dict[str, Any] = {"_id": f"f{i}", "@timestamp": iso(moment - 120 - rng.random() * days * DAY), "customer_id": cid,
                     "event": {"id": f"f{i}", "kind": "event", "category": category, "action": action,
                               "dataset": "synthetic.flat"}}
        if category == "order":
            amount = round(rng.lognormvariate(4.2, 0.6), 2)
            doc["order"] = {"id": f"o{i}", "amount": amount, "currency": "EUR",
                            "net_amount_eur": -amount if action == "refund" else amount}
        elif category == "support":
            doc["ticket"] = {"id": f"t{i}", "csat": rng.randint(1, 5), "escalated": rng.random() < 0.1}
        yield doc
