"""Churn truth: each segment's activity over time (orders, browsing, engagement, ticket timing).

Segments (see truth/README.md): loyal, declining, churned, new, reactivated, one_time.
"""

from __future__ import annotations

from dataclasses import dataclass
from random import Random

from es360.demo.timefmt import DAY

SEGMENTS = ("loyal", "declining", "churned", "new", "reactivated", "one_time")
CHURNED_SEGMENTS = ("churned", "one_time")
BROWSE_GAP_DAYS = {"loyal": 75.0, "declining": 75.0, "churned": 90.0, "new": 15.0, "reactivated": 60.0,
                   "one_time": 25.0}
DECLINE_DAYS = 180
CHURN_FADE_DAYS = 90


@dataclass(slots=True)
class Plan:
    """When a person is active: first activity, last possible activity, order times, phases."""

    segment: str
    now: int
    start: int
    end: int
    orders: list[int]
    churn_at: int | None = None
    decline_from: int | None = None
    gap: tuple[int, int] | None = None

    @property
    def churned(self) -> bool:
        return self.segment in CHURNED_SEGMENTS

    def engagement(self, ts: int) -> float:
        """How engaged the person is at time ts (0..1): scales email opens and browsing."""
        if ts > self.end:
            return 0.0
        if ts < self.start:
            return 0.6
        seg = self.segment
        if seg == "declining" and self.decline_from is not None and ts > self.decline_from:
            return max(0.1, 1.0 - 0.9 * (ts - self.decline_from) / (self.now - self.decline_from))
        if seg == "churned" and self.churn_at is not None:
            fade_from = self.churn_at - CHURN_FADE_DAYS * DAY
            if ts > fade_from:
                return max(0.15, 1.0 - 0.85 * (ts - fade_from) / (CHURN_FADE_DAYS * DAY))
        if seg == "reactivated" and self.gap is not None and self.gap[0] <= ts < self.gap[1]:
            return 0.03
        if seg == "one_time":
            return max(0.05, 1.0 - (ts - self.start) / (40 * DAY))
        return 1.0


def _days(rng: Random, lo: float, hi: float) -> int:
    return int((lo + (hi - lo) * rng.random()) * DAY)


def poisson_times(rng: Random, lo: int, hi: int, mean_gap_days: float) -> list[int]:
    """Event times of a Poisson process with the given mean gap in [lo, hi)."""
    out = []
    rate = 1.0 / (mean_gap_days * DAY)
    t = lo + int(rng.expovariate(rate))
    while t < hi:
        out.append(t)
        t += int(rng.expovariate(rate)) + 3600
    return out


def plan_for(rng: Random, segment: str, now: int) -> Plan:
    """A person's activity plan for their segment."""
    last_ok = now - 300
    if segment == "loyal":
        start = now - _days(rng, 365, 1200)
        orders = [start] + poisson_times(rng, start + DAY, last_ok, 45 + 75 * rng.random())
        if orders[-1] < now - 60 * DAY:
            orders.append(now - _days(rng, 2, 50))
        return Plan(segment, now, start, now, orders)
    if segment == "declining":
        start = now - _days(rng, 365, 1200)
        decline_from = now - DECLINE_DAYS * DAY
        plan = Plan(segment, now, start, now, [], decline_from=decline_from)
        raw = [start] + poisson_times(rng, start + DAY, last_ok, 45 + 55 * rng.random())
        plan.orders = [t for t in raw if t <= decline_from or rng.random() < plan.engagement(t)]
        while sum(1 for t in plan.orders if t <= decline_from) < 3:
            plan.orders.append(start + int(rng.random() * (decline_from - start)))
        plan.orders.sort()
        return plan
    if segment == "churned":
        churn_at = now - _days(rng, 121, 400)
        start = min(now - _days(rng, 520, 1500), churn_at - _days(rng, 150, 400))
        plan = Plan(segment, now, start, churn_at, [], churn_at=churn_at)
        raw = [start] + poisson_times(rng, start + DAY, churn_at, 50 + 70 * rng.random())
        plan.orders = [t for t in raw if rng.random() < plan.engagement(t)] or [start]
        if len(plan.orders) < 2:
            plan.orders.append(start + int(rng.random() * (churn_at - start)))
            plan.orders.sort()
        return plan
    if segment == "new":
        start = now - _days(rng, 1, 58)
        orders = ([start] + poisson_times(rng, start + DAY, last_ok, 10 + 20 * rng.random()))[:3]
        return Plan(segment, now, start, now, orders)
    if segment == "reactivated":
        start = now - _days(rng, 800, 1500)
        gap_from = now - _days(rng, 300, 700)
        back = now - _days(rng, 10, 100)
        first = [start] + poisson_times(rng, start + DAY, gap_from, 45 + 55 * rng.random())
        second = [back] + poisson_times(rng, back + DAY, last_ok, 20 + 25 * rng.random())
        return Plan(segment, now, start, now, first + second, gap=(first[-1] + DAY, back))
    if segment == "one_time":
        start = now - _days(rng, 200, 1400)
        return Plan(segment, now, start, start + 45 * DAY, [start])
    raise ValueError(f"unknown segment {segment!r}")


def browse_times(rng: Random, plan: Plan, lo: int) -> list[int]:
    """Start times of browsing sessions (not counting checkout sessions) from lo until the plan ends."""
    if plan.segment != "new":
        lo = max(lo, plan.start - 20 * DAY)
    else:
        lo = max(lo, plan.start)
    hi = min(plan.end, plan.now - 600)
    raw = poisson_times(rng, lo, hi, BROWSE_GAP_DAYS[plan.segment])
    return [t for t in raw if rng.random() < plan.engagement(t)]


def ticket_times(rng: Random, plan: Plan, n: int) -> list[int]:
    """When a person's n tickets were opened: unhappy segments complain near their decline or churn."""
    now = plan.now
    lo = max(plan.start, now - 730 * DAY)
    hi = min(plan.end + 14 * DAY, now - 600)
    if plan.segment == "churned" and plan.churn_at is not None:
        lo = max(lo, plan.churn_at - 150 * DAY)
    if plan.segment == "one_time":
        hi = min(hi, plan.start + 60 * DAY)
    if hi <= lo:
        lo = hi - DAY
    out = []
    for _ in range(n):
        if plan.segment == "declining" and plan.decline_from and rng.random() < 0.7:
            a = max(lo, plan.decline_from)
        else:
            a = lo
        out.append(a + int(rng.random() * (hi - a)))
    out.sort()
    return out
