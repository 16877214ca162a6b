"""Email marketing: marketing/subscribers.csv and marketing/email_events.csv."""

from __future__ import annotations

import bisect
from random import Random

from es360.demo.behaviour import DECLINE_DAYS, Plan
from es360.demo.noise import mistyped_domain
from es360.demo.people import Person
from es360.demo.timefmt import DAY, iso_z
from es360.demo.world import World

OPEN_RATE = 0.42
CLICK_RATE = 0.25
WINBACK_REACH = 0.7


def write_marketing(w: World, p: Person, plan: Plan, taken: set[str]) -> None:
    """One subscription per person (sometimes two, with different addresses) and its email events."""
    rng, v = w.rng, w.views
    noise = w.rates.noise
    copies = 2 if rng.random() < noise.marketing_duplicate else 1
    for k in range(copies):
        mailbox = v.address_of(p, work_bias=0.6 if k else 0.0)
        if mailbox.lower() in taken:
            candidates = [e for e in (p.email, p.work_email) if e and e.lower() not in taken]
            if not candidates:
                return
            mailbox = candidates[0]
        taken.add(mailbox.lower())
        email = v.variant(mailbox)
        bounced = rng.random() < noise.bounce
        if bounced:
            email = mistyped_domain(rng, email)
        _subscriber(w, p, plan, email, bounced, second=k == 1)


def _subscribed_at(rng: Random, plan: Plan, now: int) -> int:
    if plan.segment == "new":
        return min(now - 3600, plan.start + int(rng.random() * 3 * DAY))
    return min(now - 3600, plan.end, plan.start + int((rng.random() * 110 - 90) * DAY))


def _unsubscribe_target(rng: Random, plan: Plan, now: int) -> int | None:
    seg, x = plan.segment, rng.random()
    if seg == "churned" and x < 0.6 and plan.churn_at:
        return plan.churn_at + int((rng.random() * 90 - 30) * DAY)
    if seg == "declining" and x < 0.2:
        return now - int(rng.random() * (DECLINE_DAYS - 10) * DAY)
    if seg == "one_time" and x < 0.35:
        return plan.start + int((20 + rng.random() * 380) * DAY)
    if seg == "reactivated" and x < 0.12 and plan.gap:
        return plan.gap[0] + int(rng.random() * (plan.gap[1] - plan.gap[0]))
    if seg in ("loyal", "new") and x < 0.03:
        return plan.start + int(rng.random() * (now - plan.start))
    return None


def _subscriber(w: World, p: Person, plan: Plan, email: str, bounced: bool, second: bool) -> None:
    rng, v, now = w.rng, w.views, w.now
    subscribed = _subscribed_at(rng, plan, now)
    if second:
        subscribed = min(now - 3600, subscribed + int(rng.random() * 300 * DAY))
    target = None if bounced else _unsubscribe_target(rng, plan, now)
    if target is not None and (target <= subscribed or target >= now):
        target = None if target >= now else subscribed + DAY
    sid = w.ids.subscriber()
    events: list[tuple[str, str, str, int]] = []
    unsubscribed = _events(w, plan, subscribed, target, bounced, 0.5 if second else 1.0, events)
    status = "bounced" if bounced else ("unsubscribed" if unsubscribed is not None else "subscribed")
    first, last = v.names(p)
    if rng.random() < 0.1:
        first = ""
    if rng.random() < 0.4:
        last = ""
    x = rng.random()
    country = p.country.code if x < 0.7 else (p.country.labels[0] if x < 0.9 else "")
    w.sinks.subscribers.write((sid, email, first, last, country, iso_z(subscribed),
                               iso_z(unsubscribed) if unsubscribed is not None else "", status))
    sink = w.sinks.email_events
    for cid, cname, event, ts in events:
        sink.write((w.ids.email_event(), sid, email, cid, cname, event, iso_z(ts)))
    p.records.append({"source": "marketing", "id": sid})


def _events(w: World, plan: Plan, subscribed: int, target: int | None, bounced: bool, reach_factor: float,
            out: list[tuple[str, str, str, int]]) -> int | None:
    """Fill `out` with (campaign_id, name, event, ts); return the unsubscribe time, if any."""
    rng, now = w.rng, w.now
    campaigns = w.campaigns
    reach = w.rates.volume.campaign_reach * reach_factor
    i = bisect.bisect_left(w.campaign_ts, subscribed)
    for c in campaigns[i:]:
        if target is not None and c.ts > target + 30 * DAY:
            return target  # left through the preference centre, not from an email
        engagement = plan.engagement(c.ts)
        if c.kind == "winback":
            if rng.random() >= (WINBACK_REACH if engagement < 0.35 else 0.03):
                continue
        elif rng.random() >= reach:
            continue
        send = c.ts + int(rng.random() * 1800)
        out.append((c.id, c.name, "send", send))
        if bounced:
            out.append((c.id, c.name, "bounce", send + 5 + int(rng.random() * 60)))
            return None
        if target is not None and c.ts >= target:
            t = min(now - 60, send + 3600 + int(rng.random() * (2 * DAY)))
            out.append((c.id, c.name, "unsubscribe", t))
            return t
        if rng.random() < OPEN_RATE * engagement:
            opened = min(now - 60, send + 60 + int(min(7 * DAY, rng.expovariate(1 / 21600))))
            out.append((c.id, c.name, "open", opened))
            if rng.random() < CLICK_RATE:
                out.append((c.id, c.name, "click", min(now - 30, opened + 5 + int(rng.random() * 1800))))
    if target is not None:
        return target
    return None
