"""The files of a world follow the contract the ingest team maps: headers, keys, formats, ids, truth."""

from __future__ import annotations

import re
from collections import Counter

from es360.demo.generator import DEFAULT_NOW
from es360.demo.sinks import CSV_HEADERS
from tests.demo.conftest import PEOPLE, Loaded

ISO_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
ISO_OFFSET = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$")
AMOUNT = re.compile(r"^\d+\.\d{2}$")
ITEMS = re.compile(r"^P-\d+:\d+(;P-\d+:\d+)*$")
NOW = DEFAULT_NOW.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_csv_headers_are_the_contract(world: Loaded) -> None:
    for name, header in CSV_HEADERS.items():
        first = (world.root / name).read_bytes().split(b"\r\n", 1)[0].decode()
        assert first == ",".join(header)


def test_jsonl_keys_are_the_contract(world: Loaded) -> None:
    assert set(next(iter(world.customers.values()))) == {
        "customer_number", "name", "email", "phone", "shipping_address", "signup_ts", "marketing_consent",
        "loyalty_tier"}
    assert all(set(c["shipping_address"]) == {"line1", "city", "zip", "country"} for c in world.customers.values())
    assert {tuple(t) for t in world.tickets} == {(
        "ticket_id", "requester_email", "requester_name", "requester_phone", "subject", "description", "status",
        "priority", "channel", "created", "updated", "solved_at", "csat", "escalated", "tags")}
    assert {tuple(e) for e in world.web} == {(
        "event_id", "ts", "session_id", "anonymous_id", "customer_number", "email", "type", "url", "product_id",
        "device", "duration_s")}
    assert {tuple(p) for p in world.people} == {("person_id", "segment", "churned", "records", "household_id")}


def test_minimums_scale_to_the_default_world(world: Loaded) -> None:
    # The default world has 6k people and must hold >= 5k people, >= 50k activity events, >= 5k tickets.
    scale = PEOPLE / 6000
    assert len(world.people) == PEOPLE
    assert world.summary.activity_events >= 50_000 * scale
    assert world.summary.tickets >= 5_000 * scale
    in_systems = [p for p in world.people if {r["source"] for r in p["records"]} & {"crm", "shop", "support",
                                                                                     "marketing"}]
    assert len(in_systems) == PEOPLE
    counts = world.summary.counts
    assert counts["crm/contacts.csv"] == len(world.contacts)
    assert counts["web/events.jsonl"] == len(world.web)
    assert counts["shop/orders.csv"] == len(world.orders)


def test_presence_per_system_is_near_the_brief(world: Loaded) -> None:
    share = Counter()
    for p in world.people:
        for source in {r["source"] for r in p["records"]}:
            share[source] += 1 / PEOPLE
    assert 0.62 < share["crm"] < 0.78
    assert 0.74 < share["shop"] < 0.88
    assert 0.28 < share["support"] < 0.42
    assert 0.53 < share["marketing"] < 0.67


def test_every_id_is_unique(world: Loaded) -> None:
    for ids in ([o["order_id"] for o in world.orders], [t["ticket_id"] for t in world.tickets],
                [e["event_id"] for e in world.web], [e["event_id"] for e in world.email_events],
                [p["person_id"] for p in world.people]):
        assert len(ids) == len(set(ids))
    for name, rows in (("crm/contacts.csv", world.contacts), ("shop/customers.jsonl", world.customers),
                       ("marketing/subscribers.csv", world.subscribers)):
        assert len(rows) == world.summary.counts[name]  # dict keyed by id: a duplicate id would be lost


def test_truth_points_at_real_rows_and_covers_them(world: Loaded) -> None:
    requester_emails = {t["requester_email"] for t in world.tickets}
    anonymous_ids = {e["anonymous_id"] for e in world.web}
    owners: Counter[tuple[str, str]] = Counter()
    for person in world.people:
        for rec in person["records"]:
            source = rec["source"]
            if source == "crm":
                assert rec["id"] in world.contacts
            elif source == "shop":
                assert rec["id"] in world.customers
            elif source == "marketing":
                assert rec["id"] in world.subscribers
            elif source == "support":
                assert rec["email"] in requester_emails
            else:
                assert source == "web" and rec["anonymous_id"] in anonymous_ids
            if source in ("crm", "shop", "marketing"):
                owners[(source, rec["id"])] += 1
    assert all(n == 1 for n in owners.values())
    assert len(owners) == len(world.contacts) + len(world.customers) + len(world.subscribers)


def test_ticket_truth_names_the_requester(world: Loaded) -> None:
    people = {p["person_id"]: p for p in world.people}
    assert set(world.ticket_truth) == {t["ticket_id"] for t in world.tickets}
    for ticket in world.tickets:
        truth = world.ticket_truth[ticket["ticket_id"]]
        person = people[truth["person_id"]]
        if ticket["requester_email"]:
            assert {"source": "support", "email": ticket["requester_email"]} in person["records"]


def test_timestamps_and_amounts_have_their_formats(world: Loaded) -> None:
    for c in world.contacts.values():
        assert ISO_Z.match(c["created_at"]) and ISO_Z.match(c["updated_at"])
        assert c["created_at"] <= c["updated_at"] <= NOW
        assert re.match(r"^(\d{4}-\d{2}-\d{2}|\d{2}/\d{2}/\d{4})?$", c["birth_date"])
        assert c["email_opt_in"] in ("yes", "no", "")
    for o in world.orders:
        assert ISO_OFFSET.match(o["order_ts"]) and AMOUNT.match(o["amount"]) and ITEMS.match(o["items"])
        assert o["type"] in ("order", "refund") and o["status"] in ("paid", "refunded", "cancelled")
        assert o["currency"] in ("EUR", "USD", "GBP")
    for s in world.subscribers.values():
        assert ISO_Z.match(s["subscribed_at"]) and s["status"] in ("subscribed", "unsubscribed", "bounced")
        assert (s["status"] == "unsubscribed") == bool(s["unsubscribed_at"])
    for e in world.email_events:
        assert ISO_Z.match(e["ts"]) and e["ts"] <= NOW and e["event"] in ("send", "open", "click", "unsubscribe",
                                                                         "bounce")
    for t in world.tickets:
        assert ISO_Z.match(t["created"]) and t["created"] <= t["updated"] <= NOW
        assert t["status"] in ("open", "pending", "solved", "closed")
        assert t["priority"] in ("low", "normal", "high", "urgent") and t["channel"] in ("email", "chat", "phone",
                                                                                           "web")
        assert (t["solved_at"] is not None) == (t["status"] in ("solved", "closed"))
        assert t["csat"] is None or (t["solved_at"] is not None and 1 <= t["csat"] <= 5)
    for e in world.web:
        assert ISO_Z.match(e["ts"]) and e["type"] in ("session_start", "page_view", "product_view", "add_to_cart",
                                                      "login")
        assert e["device"] in ("desktop", "mobile", "tablet", "app")
    for c in world.customers.values():
        assert isinstance(c["signup_ts"], int) and re.match(r"^[A-Z]{2}$", c["shipping_address"]["country"])
        assert c["marketing_consent"] in (True, False, None)


def test_refunds_point_at_orders_of_the_same_customer(world: Loaded) -> None:
    orders = {o["order_id"]: o for o in world.orders if o["type"] == "order"}
    refunds = [o for o in world.orders if o["type"] == "refund"]
    assert 0.03 < len(refunds) / len(orders) < 0.10
    for r in refunds:
        original = orders[r["refund_of"]]
        assert original["customer_number"] == r["customer_number"] and original["currency"] == r["currency"]
        assert original["order_ts"][:10] <= r["order_ts"][:10]
        assert float(r["amount"]) <= float(original["amount"])


def test_currency_follows_the_country_with_a_few_mismatches(world: Loaded) -> None:
    country = {n: c["shipping_address"]["country"] for n, c in world.customers.items()}
    expected = {"DE": "EUR", "FR": "EUR", "GB": "GBP", "US": "USD"}
    pairs = [(country[o["customer_number"]], o["currency"]) for o in world.orders
             if o["customer_number"] and country[o["customer_number"]] in expected]
    mismatches = sum(1 for c, cur in pairs if expected[c] != cur)
    assert 0 < mismatches < 0.06 * len(pairs)


def test_web_events_link_to_shop_customers_only_after_login(world: Loaded) -> None:
    numbers = {e["customer_number"] for e in world.web if e["customer_number"]}
    assert numbers <= set(world.customers)
    assert any(e["customer_number"] is None for e in world.web)
    assert all(e["email"] is None for e in world.web if e["type"] != "login")
    sessions: dict[str, list[dict]] = {}
    for e in world.web:
        sessions.setdefault(e["session_id"], []).append(e)
    for events in sessions.values():
        assert events[0]["type"] == "session_start"
        assert len({e["anonymous_id"] for e in events}) == 1
