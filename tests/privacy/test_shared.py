"""Erasing one member of a household: the mailbox they share stays with the other, unsuppressed."""

from __future__ import annotations

import json

from elasticsearch import Elasticsearch

from es360.ingest.mapping import load_mapping
from es360.ingest.run import IngestRun
from es360.privacy.forget import forget
from es360.search.customers import search_customers
from tests.privacy.conftest import World, customer_of


def test_shared_mailbox_stays_with_the_other_customer(es: Elasticsearch, world: World) -> None:
    lia, max_ = customer_of(es, world.prefix, "crm:C-4"), customer_of(es, world.prefix, "crm:C-5")
    assert lia != max_  # resolution keeps mother and son apart
    report = forget(es, world.prefix, world.home, "crm:C-5")
    assert report.customer_id == max_ and report.verified
    assert report.identifiers == {"email": 0, "phone": 1, "record": 1, "shared_kept": 1}
    es.indices.refresh(index=f"{world.prefix}*")
    records = [h["_source"] for h in es.search(index=f"{world.prefix}records", size=100)["hits"]["hits"]]
    assert {r["record_id"] for r in records if r.get("email") == "family@example.net"} == {
        "crm:C-4", "support:family@example.net"}
    tickets = es.search(index=f"{world.prefix}tickets", query={"term": {"ticket_id": "T-3"}})["hits"]["hits"]
    assert tickets and tickets[0]["_source"]["customer_id"] == lia
    assert [h.customer_id for h in search_customers(es, world.prefix, "family@example.net").hits] == [lia]
    assert "Max" not in json.dumps(records) and "2222222" not in json.dumps(records)
    suppressed = [h["_source"]["type"] for h in es.search(index=f"{world.prefix}suppression")["hits"]["hits"]]
    assert sorted(suppressed) == ["phone", "record"]
    again = IngestRun(es, load_mapping("crm"), world.prefix, world.home).run([str(world.crm)])
    assert (again.read, again.duplicates, again.suppressed) == (5, 4, 1) and again.reconciles
