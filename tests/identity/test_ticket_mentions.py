"""Mailboxes named in a ticket's text ('my login is ...') count as the requester's own."""

from __future__ import annotations

from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

from es360.identity.explain import explain
from es360.identity.mentions import attach_mentioned_mailboxes, mentioned_mailboxes
from es360.identity.resolve import resolve
from es360.reindex import reindex
from tests.identity.conftest import customer_of, ingest_sources, make_rec

PREFIX = "tmentest-"
CUSTOMERS = [
    {"customer_number": "S-000201", "name": "Samuel Okafor", "email": "sam.okafor@gmail.com"},
    {"customer_number": "S-000202", "name": "Zed Quill", "email": "zq@example.com"},
]
TICKETS = [
    # from a work mailbox, naming the shop login (and the work mailbox itself, which is not news)
    {"ticket_id": "T-1", "requester_email": "S.Okafor@Work.example", "requester_name": "Sam",
     "subject": "Cannot log in", "description": "My login is Sam.Okafor@gmail.com. Reply to s.okafor@work.example.",
     "created": "2026-03-05T09:00:00Z"},
    # four different people name the shop's helpdesk address: nobody's own
    *[{"ticket_id": f"T-{n}", "requester_email": f"person{n}@example.org", "requester_name": f"Person {n}",
       "subject": "Refund", "description": "I already wrote to help@shop.example twice.",
       "created": "2026-03-05T10:00:00Z"} for n in range(2, 6)],
]


@pytest.fixture(scope="module")
def loaded(es: Elasticsearch, tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("tmenhome")
    ingest_sources(es, PREFIX, home, {"shop-customers": CUSTOMERS, "support": TICKETS})
    return home


def _ticket(es: Elasticsearch, ticket_id: str) -> dict:
    return es.search(index=f"{PREFIX}tickets", query={"term": {"ticket_id": ticket_id}})["hits"]["hits"][0]["_source"]


def test_tickets_keep_the_other_mailboxes_they_name(es: Elasticsearch, loaded: Path) -> None:
    assert _ticket(es, "T-1")["mentioned_emails"] == ["sam.okafor@gmail.com"]  # the requester's own is left out
    assert _ticket(es, "T-2")["mentioned_emails"] == ["help@shop.example"]


def test_a_mailbox_many_requesters_name_is_nobodys(es: Elasticsearch, loaded: Path) -> None:
    assert mentioned_mailboxes(es, f"{PREFIX}tickets") == {"s.okafor@work.example": {"samokafor@gmail.com"}}
    # asked for one requester, the helpdesk address is still counted over every ticket
    assert mentioned_mailboxes(es, f"{PREFIX}tickets", ["person2@example.org"]) == {}
    assert mentioned_mailboxes(es, f"{PREFIX}tickets", ["s.okafor@work.example"]) == {
        "s.okafor@work.example": {"samokafor@gmail.com"}}
    assert mentioned_mailboxes(es, "nosuchprefix-tickets") == {}


def test_records_of_the_requesters_mailbox_gain_the_named_one() -> None:
    support = make_rec(0, "support:S.Okafor@Work.example", "Sam", "", email="S.Okafor@Work.example")
    other = make_rec(1, "crm:C-1", "Ann", "Lee", email="ann@example.com")
    assert attach_mentioned_mailboxes([support, other], {"s.okafor@work.example": {"samokafor@gmail.com"}}) == 1
    assert support.alt_emails == {"samokafor@gmail.com"} and not other.alt_emails


def test_resolve_and_explain_join_the_requester_to_the_account(es: Elasticsearch, loaded: Path) -> None:
    resolve(es, PREFIX, loaded)
    customer = customer_of(es, PREFIX)
    assert customer["support:S.Okafor@Work.example"] == customer["shop:S-000201"]
    assert customer["support:person2@example.org"] != customer["support:person3@example.org"]
    result = explain(es, PREFIX, loaded, "support:S.Okafor@Work.example", "shop:S-000201")
    assert result.evidence["fields"]["email"]["level"] == "exact" and result.decision == "same_customer"
    assert result.a["mailboxes_seen"] == ["samokafor@gmail.com"]  # explain says where the agreement comes from


def test_stored_tickets_gain_the_field_when_reindexed_through_the_pipeline(es: Elasticsearch, loaded: Path) -> None:
    """Tickets ingested before the pipeline read mentions get them from `es360 reindex tickets --pipeline`."""
    es.update(index=f"{PREFIX}tickets", id=_ticket_id(es, "T-1"), script={"source": "ctx._source.remove('mentioned_emails')"},
              refresh=True)
    assert "mentioned_emails" not in _ticket(es, "T-1")
    report = reindex(es, PREFIX, "tickets", pipeline=f"{PREFIX}tickets")
    assert report.from_count == report.to_count == len(TICKETS)
    es.indices.refresh(index=f"{PREFIX}tickets")
    ticket = _ticket(es, "T-1")
    assert ticket["mentioned_emails"] == ["sam.okafor@gmail.com"]
    assert ticket["requester"]["email"] == "s.okafor@work.example"


def _ticket_id(es: Elasticsearch, ticket_id: str) -> str:
    return es.search(index=f"{PREFIX}tickets", query={"term": {"ticket_id": ticket_id}})["hits"]["hits"][0]["_id"]
