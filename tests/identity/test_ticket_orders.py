"""Order numbers quoted in tickets tie the requester's mailbox to the account that placed the order."""

from __future__ import annotations

from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

from es360.identity.orders import ORDER_DIGITS, mailboxes_seen, ticket_order_emails
from es360.identity.resolve import resolve
from tests.identity.conftest import customer_of, ingest_sources

PREFIX = "tordtest-"
ORDERS = """order_id,customer_number,email,order_ts,type,refund_of,status,amount,currency,items
O-104233,S-000101,anna1961@gmail.com,2026-03-01T10:00:00Z,order,,paid,40.00,EUR,P-1:1
O-104234,S-000102,bob@example.com,2026-03-02T10:00:00Z,order,,paid,12.50,EUR,P-2:1
X-104234,S-000103,carl@example.com,2026-03-03T10:00:00Z,order,,paid,9.00,EUR,P-3:1
O-104235,S-000101,anna1961@gmail.com,2026-03-04T10:00:00Z,order,,paid,15.00,EUR,P-4:2
"""
CUSTOMERS = [
    {"customer_number": "S-000101", "name": "Anna van Leeuwen", "email": "anna1961@gmail.com",
     "shipping_address": {"line1": "Keizersgracht 102", "city": "Gent", "zip": "9084", "country": "BE"}},
    {"customer_number": "S-000102", "name": "Bob Brown", "email": "bob@example.com"},
]
TICKETS = [
    # quotes Anna's order in three spellings, from her work mailbox
    {"ticket_id": "T-1", "requester_email": "A.vanLeeuwen@Work.example", "requester_name": "Anna van Leeuwen",
     "subject": "Kettle leaks (ref O-104233)", "description": "Order #104233 arrived cracked. See also 104235.",
     "created": "2026-03-05T09:00:00Z"},
    # quotes a number two accounts' orders carry: no evidence
    {"ticket_id": "T-2", "requester_email": "someone@else.example", "requester_name": "Sam Else",
     "subject": "Where is 104234?", "description": "Tracking says nothing.", "created": "2026-03-05T10:00:00Z"},
    # quotes numbers no order carries (a phone number, a date): no evidence
    {"ticket_id": "T-3", "requester_email": "zed@example.com", "requester_name": "Zed",
     "subject": "Call me", "description": "On 0049 30 1234567 after 2026-03-06, about W9999999.",
     "created": "2026-03-05T11:00:00Z"},
]


@pytest.fixture(scope="module")
def loaded(es: Elasticsearch, tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("tordhome")
    ingest_sources(es, PREFIX, home, {"shop-customers": CUSTOMERS, "shop-orders": ORDERS, "support": TICKETS})
    return home


def test_tickets_keep_quoted_numbers_and_orders_give_their_digits_at_search_time(es: Elasticsearch, loaded: Path) -> None:
    ticket = es.search(index=f"{PREFIX}tickets", query={"term": {"ticket_id": "T-1"}})["hits"]["hits"][0]["_source"]
    assert ticket["order_refs"] == ["104233", "104235"]
    phone = es.search(index=f"{PREFIX}tickets", query={"term": {"ticket_id": "T-3"}})["hits"]["hits"][0]["_source"]
    assert phone["order_refs"] == ["1234567", "9999999"]  # candidates; only real orders count later
    orders = es.search(index=f"{PREFIX}activity", runtime_mappings=ORDER_DIGITS, fields=["order_digits", "order.id"],
                       query={"term": {"order_digits": "104234"}})["hits"]["hits"]
    assert sorted(h["fields"]["order.id"][0] for h in orders) == ["O-104234", "X-104234"]
    assert all(h["fields"]["order_digits"] == ["104234"] for h in orders)


def test_the_requester_mailbox_joins_the_account_that_placed_the_order(es: Elasticsearch, loaded: Path) -> None:
    found = ticket_order_emails(es, f"{PREFIX}tickets", f"{PREFIX}activity")
    assert found == {"shop:S-000101": {"a.vanleeuwen@work.example"}}


def test_only_the_records_asked_for(es: Elasticsearch, loaded: Path) -> None:
    assert ticket_order_emails(es, f"{PREFIX}tickets", f"{PREFIX}activity", ["shop:S-000101"]) == {
        "shop:S-000101": {"a.vanleeuwen@work.example"}}
    assert ticket_order_emails(es, f"{PREFIX}tickets", f"{PREFIX}activity", ["shop:S-000102"]) == {}


def test_mailboxes_seen_combines_activity_and_quoted_orders(es: Elasticsearch, loaded: Path) -> None:
    seen = mailboxes_seen(es, PREFIX)
    assert seen["shop:S-000101"] == {"anna1961@gmail.com", "a.vanleeuwen@work.example"}
    assert seen["shop:S-000103"] == {"carl@example.com"}


def test_resolve_joins_the_requester_to_the_account(es: Elasticsearch, loaded: Path) -> None:
    resolve(es, PREFIX, loaded)
    customer = customer_of(es, PREFIX)
    assert customer["support:A.vanLeeuwen@Work.example"] == customer["shop:S-000101"]
    assert customer["support:someone@else.example"] != customer["shop:S-000102"]


def test_without_tickets_there_is_no_evidence(es: Elasticsearch) -> None:
    assert ticket_order_emails(es, "nosuchprefix-tickets", "nosuchprefix-activity") == {}

