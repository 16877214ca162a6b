"""Each churn segment behaves the way the truth says it does."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime
from statistics import mean
from typing import Any

import pytest

from es360.demo.generator import DEFAULT_NOW
from tests.demo.conftest import Loaded

NOW = DEFAULT_NOW.timestamp()
DAY = 86_400.0


def _ts(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def _days_ago(text: str) -> float:
    return (NOW - _ts(text)) / DAY


class Activity:
    """Orders, web events and email events of each person, found through the truth."""

    def __init__(self, world: Loaded) -> None:
        self.people = world.people
        owner: dict[tuple[str, str], str] = {}
        for p in world.people:
            for rec in p["records"]:
                key = rec.get("id") or rec.get("anonymous_id") or rec["email"]
                owner[(rec["source"], key)] = p["person_id"]
        self.orders: dict[str, list[dict[str, str]]] = defaultdict(list)
        for o in world.orders:
            if o["customer_number"]:
                self.orders[owner[("shop", o["customer_number"])]].append(o)
        self.web: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for e in world.web:
            pid = owner.get(("web", e["anonymous_id"]))
            if pid:
                self.web[pid].append(e)
        self.emails: dict[str, list[dict[str, str]]] = defaultdict(list)
        for e in world.email_events:
            self.emails[owner[("marketing", e["subscriber_id"])]].append(e)
        self.tickets: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for t in world.tickets:
            self.tickets[world.ticket_truth[t["ticket_id"]]["person_id"]].append(t)

    def of(self, segment: str) -> list[dict[str, Any]]:
        return [p for p in self.people if p["segment"] == segment]


@pytest.fixture(scope="module")
def activity(world: Loaded) -> Activity:
    return Activity(world)


def test_every_segment_is_present(world: Loaded) -> None:
    counts = Counter(p["segment"] for p in world.people)
    assert set(counts) == {"loyal", "declining", "churned", "new", "reactivated", "one_time"}
    assert all(n >= 40 for n in counts.values())
    assert all(p["churned"] == (p["segment"] in ("churned", "one_time")) for p in world.people)


def test_churned_people_have_no_orders_or_sessions_in_the_last_120_days(activity: Activity) -> None:
    churned = activity.of("churned")
    with_orders = 0
    for p in churned:
        pid = p["person_id"]
        assert all(_days_ago(o["order_ts"]) > 120 for o in activity.orders[pid])
        assert all(_days_ago(e["ts"]) > 120 for e in activity.web[pid])
        with_orders += bool(activity.orders[pid])
    assert with_orders > len(churned) / 2


def test_new_people_started_in_the_last_60_days(world: Loaded, activity: Activity) -> None:
    for p in activity.of("new"):
        pid = p["person_id"]
        assert all(_days_ago(o["order_ts"]) <= 60 for o in activity.orders[pid])
        assert all(_days_ago(e["ts"]) <= 60 for e in activity.web[pid])
        assert all(_days_ago(c["created_at"]) <= 60 for c in world.records(p, "crm"))
        assert all((NOW - c["signup_ts"]) / DAY <= 61 for c in world.records(p, "shop"))


def test_one_time_buyers_ordered_once_long_ago(activity: Activity) -> None:
    buyers = [p for p in activity.of("one_time") if activity.orders[p["person_id"]]]
    assert buyers
    for p in buyers:
        orders = [o for o in activity.orders[p["person_id"]] if o["type"] == "order"]
        assert len(orders) == 1 and _days_ago(orders[0]["order_ts"]) > 150


def test_loyal_people_keep_ordering(activity: Activity) -> None:
    shoppers = [p for p in activity.of("loyal") if activity.orders[p["person_id"]]]
    recent = [p for p in shoppers if min(_days_ago(o["order_ts"]) for o in activity.orders[p["person_id"]]) <= 61]
    assert len(recent) >= 0.9 * len(shoppers)
    assert mean(len(activity.orders[p["person_id"]]) for p in shoppers) >= 5


def test_reactivated_people_came_back_after_a_long_gap(activity: Activity) -> None:
    shoppers = [p for p in activity.of("reactivated") if len(activity.orders[p["person_id"]]) >= 2]
    back = 0
    for p in shoppers:
        days = sorted(_days_ago(o["order_ts"]) for o in activity.orders[p["person_id"]] if o["type"] == "order")
        gaps = [b - a for a, b in zip(days, days[1:], strict=False)]
        back += days[0] <= 101 and max(gaps, default=0) > 180
    assert back >= 0.85 * len(shoppers)


def test_declining_people_order_and_open_less_over_the_last_six_months(activity: Activity) -> None:
    recent = before = 0
    opens_recent = sends_recent = opens_before = sends_before = 0
    for p in activity.of("declining"):
        pid = p["person_id"]
        for o in activity.orders[pid]:
            age = _days_ago(o["order_ts"])
            recent += age <= 180
            before += 180 < age <= 360
        for e in activity.emails[pid]:
            age = _days_ago(e["ts"])
            is_open, is_send = e["event"] == "open", e["event"] == "send"
            if age <= 180:
                opens_recent += is_open
                sends_recent += is_send
            elif age <= 450:
                opens_before += is_open
                sends_before += is_send
    assert recent < 0.75 * before
    assert opens_recent / sends_recent < 0.75 * opens_before / sends_before


def test_unhappy_segments_rate_support_lower_and_unsubscribe_more(world: Loaded, activity: Activity) -> None:
    def csat(segment: str) -> float:
        return mean(t["csat"] for p in activity.of(segment) for t in activity.tickets[p["person_id"]] if t["csat"])

    assert csat("churned") < csat("declining") < csat("loyal")

    def unsubscribed(segment: str) -> float:
        subs = [s for p in activity.of(segment) for s in world.records(p, "marketing")]
        return sum(s["status"] == "unsubscribed" for s in subs) / len(subs)

    assert unsubscribed("churned") > 3 * unsubscribed("loyal")


def test_churned_people_ask_to_cancel_more_often(world: Loaded, activity: Activity) -> None:
    def share(segment: str) -> float:
        types = [world.ticket_truth[t["ticket_id"]]["issue_type"] for p in activity.of(segment)
                 for t in activity.tickets[p["person_id"]]]
        return types.count("cancellation") / len(types)

    assert share("churned") > 2 * share("loyal")
