"""A support requester's record is completed from all of the requester's tickets, not only the last."""

from __future__ import annotations

from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

from es360.identity.explain import explain
from es360.identity.requesters import Requester, complete_requesters, requester_details
from es360.identity.resolve import resolve
from tests.identity.conftest import customer_of, ingest_sources, make_rec

PREFIX = "treqtest-"
CUSTOMERS = [{"customer_number": "S-000301", "name": "Ximena Delgado", "email": "ximena.d@gmail.com",
              "phone": "+34 628 578 259", "shipping_address": {"line1": "Calle Mayor 1", "zip": "28013", "country": "ES"}}]
TICKETS = [
    # an email with her full name and phone, then a chat with a first name only (the record keeps the chat's)
    {"ticket_id": "T-1", "requester_email": "xdelgado@work.example", "requester_name": "Ximena Delgado",
     "requester_phone": "+34 628 578 259", "subject": "Late parcel", "description": "Still waiting.",
     "created": "2026-03-01T09:00:00Z"},
    {"ticket_id": "T-2", "requester_email": "xdelgado@work.example", "requester_name": "Ximena",
     "subject": "Chat", "description": "Any news?", "created": "2026-03-02T09:00:00Z"},
    # a family mailbox: two people sign its tickets, so no name is chosen for it
    {"ticket_id": "T-3", "requester_email": "thegarcias@example.com", "requester_name": "Ana Garcia",
     "subject": "Refund", "description": "Please refund.", "created": "2026-03-01T10:00:00Z"},
    {"ticket_id": "T-4", "requester_email": "thegarcias@example.com", "requester_name": "Luis Garcia",
     "subject": "Refund", "description": "Again.", "created": "2026-03-02T10:00:00Z"},
    {"ticket_id": "T-5", "requester_email": "thegarcias@example.com", "subject": "Call", "description": "?",
     "created": "2026-03-03T10:00:00Z"},
]


@pytest.fixture(scope="module")
def loaded(es: Elasticsearch, tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("treqhome")
    ingest_sources(es, PREFIX, home, {"shop-customers": CUSTOMERS, "support": TICKETS})
    return home


def test_every_ticket_s_name_and_phone_is_read(es: Elasticsearch, loaded: Path) -> None:
    details = requester_details(es, f"{PREFIX}tickets")
    assert details["xdelgado@work.example"] == Requester({"Ximena Delgado", "Ximena"}, {"+34628578259"})
    assert details["thegarcias@example.com"].names == {"Ana Garcia", "Luis Garcia"}
    assert set(requester_details(es, f"{PREFIX}tickets", ["thegarcias@example.com"])) == {"thegarcias@example.com"}
    assert requester_details(es, "nosuchprefix-tickets") == {}


def test_a_requester_record_gets_the_fullest_agreed_name_and_the_only_phone() -> None:
    chat = make_rec(0, "support:XDelgado@work.example", "", "", email="xdelgado@work.example",
                    name={"full": "Ximena", "last": "Ximena"})
    family = make_rec(1, "support:thegarcias@example.com", email="thegarcias@example.com")
    crm = make_rec(2, "crm:C-1", "Ana", "", email="xdelgado@work.example")  # not a requester record
    records = [chat, family, crm]
    details = {"xdelgado@work.example": Requester({"Ximena Delgado", "Ximena"}, {"+34628578259"}),
               "thegarcias@example.com": Requester({"Ana Garcia", "Luis Garcia"}, {"+15550100", "+15550199"})}
    assert complete_requesters(records, details) == 1
    assert (records[0].first, records[0].last, records[0].phone) == ("ximena", "delgado", "+34628578259")
    assert records[1] is family and records[2] is crm  # two names, two phones: nothing chosen
    assert complete_requesters(records, {"xdelgado@work.example": Requester({"Zoe Smith"}, set())}) == 0


def test_resolve_joins_the_requester_through_a_phone_only_an_earlier_ticket_gave(es: Elasticsearch, loaded: Path) -> None:
    stored = es.search(index=f"{PREFIX}records", query={"term": {"record_id": "support:xdelgado@work.example"}})
    assert "phone" not in stored["hits"]["hits"][0]["_source"]  # the chat's version of the requester
    report = resolve(es, PREFIX, loaded)
    assert report.requesters_completed == 1
    customer = customer_of(es, PREFIX)
    assert customer["support:xdelgado@work.example"] == customer["shop:S-000301"]
    shown = explain(es, PREFIX, loaded, "support:xdelgado@work.example", "shop:S-000301")
    assert shown.a["completed_from_tickets"] == ["name", "phone"] and shown.a["name"] == "Ximena Delgado"
