"""`es360 forget` end to end: every index, search, show, aggregations, enrich, audit, suppression."""

from __future__ import annotations

import json
from typing import Any

import pytest
from elasticsearch import Elasticsearch

from es360.errors import Es360Error
from es360.ingest.mapping import load_mapping
from es360.ingest.run import IngestRun
from es360.privacy.forget import ForgetReport, forget
from es360.search.customers import search_customers
from es360.show import show_customer
from es360.tickets.search import search_tickets
from tests.privacy.conftest import SAM_PII, World
from tests.tickets.fakes import HashEmbedder

KINDS = ("records", "activity", "tickets", "customers", "identity", "rollup", "merge-log")


def totals(es: Elasticsearch, prefix: str) -> dict[str, int]:
    es.indices.refresh(index=f"{prefix}*")
    return {k: es.count(index=f"{prefix}{k}")["count"] for k in (*KINDS, "suppression", "audit")}


def everything(es: Elasticsearch, prefix: str, kind: str) -> list[dict[str, Any]]:
    return [h["_source"] for h in es.search(index=f"{prefix}{kind}", size=1000)["hits"]["hits"]]


@pytest.fixture(scope="module")
def forgotten(es: Elasticsearch, world: World) -> tuple[ForgetReport, dict[str, int]]:
    before = totals(es, world.prefix)
    report = forget(es, world.prefix, world.home, "sam.smith@example.com")  # found through the identity index
    return report, before


def test_unknown_customer_is_one_sentence_and_deletes_nothing(es: Elasticsearch, world: World) -> None:
    before = totals(es, world.prefix)
    for who in ("nobody@example.com", "cus_0000000000000000", "crm:C-404", "+44 20 0000 0000"):
        with pytest.raises(Es360Error, match="nothing was changed") as info:
            forget(es, world.prefix, world.home, who)
        assert "\n" not in str(info.value)
    assert totals(es, world.prefix) == before


def test_dry_run_counts_without_deleting(es: Elasticsearch, world: World) -> None:
    before = totals(es, world.prefix)
    report = forget(es, world.prefix, world.home, "crm:C-2", dry_run=True)
    assert report.dry_run and report.customer_id == world.anna and report.audit_id is None
    counts = {c.kind: c.count for c in report.indices}
    assert counts["customers"] == 1 and counts["records"] == 2 and counts["tickets"] == 1, counts
    for other_name in ("+49 30 1234567", "ANNA.JONES@example.org ", world.anna):
        assert forget(es, world.prefix, world.home, other_name, dry_run=True).customer_id == world.anna
    assert totals(es, world.prefix) == before


def test_forget_removes_the_person_from_every_index(es: Elasticsearch, world: World,
                                                      forgotten: tuple[ForgetReport, dict[str, int]]) -> None:
    report, before = forgotten
    assert report.customer_id == world.sam and report.verified and report.enrich_executed
    removed = {c.kind: c.count for c in report.indices}
    # crm record + the support requester record (never resolved: found by its email)
    assert removed["records"] == 2 and removed["customers"] == 1 and removed["rollup"] == 1, removed
    assert removed["tickets"] == 1 and removed["activity"] == 3 and removed["identity"] >= 3, removed
    assert removed["merge-log"] == 2, removed  # the merge into Sam and the split naming his record
    assert all(c.remaining == 0 for c in report.indices)
    after = totals(es, world.prefix)
    for kind in KINDS:
        assert after[kind] == before[kind] - removed[kind], kind
        dump = json.dumps(everything(es, world.prefix, kind))
        leaks = [s for s in SAM_PII if s in dump]
        assert not leaks, (kind, leaks)
        assert es.count(index=f"{world.prefix}{kind}", query={"term": {"customer_id": world.sam}})["count"] == 0
    assert world.anna in json.dumps(everything(es, world.prefix, "customers"))  # the others are untouched


def test_no_search_show_or_aggregation_returns_the_person(es: Elasticsearch, world: World,
                                                          forgotten: tuple[ForgetReport, dict[str, int]]) -> None:
    for text in ("Samuel Smith", "sam.smith@example.com", "020 7946 0958", "crm:C-1", world.sam):
        assert all(h.customer_id != world.sam for h in search_customers(es, world.prefix, text).hits), text
    with pytest.raises(Es360Error):
        show_customer(es, world.prefix, world.sam)
    aggs = es.search(index=f"{world.prefix}activity", size=0, aggs={
        "who": {"terms": {"field": "customer_id", "size": 100}},
        "emails": {"terms": {"field": "identity.email", "size": 100}},
        "spend": {"sum": {"field": "order.net_amount_eur"}}})["aggregations"]
    assert world.sam not in [b["key"] for b in aggs["who"]["buckets"]]
    assert "sam.smith@example.com" not in [b["key"] for b in aggs["emails"]["buckets"]]
    assert aggs["spend"]["value"] == pytest.approx(80.0 + 55.5)  # Sam's 120 GBP order is gone
    rollup = es.search(index=f"{world.prefix}rollup", size=0, aggs={"spend": {"sum": {"field": "spend.lifetime_net"}}})
    assert rollup["aggregations"]["spend"]["value"] == pytest.approx(80.0 + 55.5)
    for mode in ("keyword", "hybrid"):
        hits = search_tickets(es, world.prefix, "parcel never arrived", mode=mode, embedder=HashEmbedder()).hits
        assert "T-1" not in [h.ticket_id for h in hits] and hits[0].ticket_id == "T-2", mode


def test_enrich_no_longer_tags_the_person(es: Elasticsearch, world: World,
                                          forgotten: tuple[ForgetReport, dict[str, int]]) -> None:
    docs = [{"_source": {"event": {"id": "X-1", "dataset": "shop.orders", "action": "order"},
                         "@timestamp": "2026-10-01T00:00:00Z",
                         "identity": {"source": "shop", "source_id": "S-9", "email": who}}}
            for who in ("sam.smith@example.com", "anna.jones@example.org")]
    result = es.ingest.simulate(id=f"{world.prefix}activity", docs=docs)["docs"]
    assert "customer_id" not in result[0]["doc"]["_source"]
    assert result[1]["doc"]["_source"]["customer_id"]
    assert forgotten[0].enrich_remaining == 0


def test_audit_entry_has_counts_and_no_personal_data(es: Elasticsearch, world: World,
                                                     forgotten: tuple[ForgetReport, dict[str, int]]) -> None:
    report = forgotten[0]
    entries = es.search(index=f"{world.prefix}audit", query={"term": {"action": "forget"}})["hits"]["hits"]
    assert len(entries) == 1
    entry = entries[0]["_source"]
    assert entry["customer_id"] == world.sam and entry["audit_id"] == report.audit_id
    assert entry["actor"]["name"] and entry["actor"]["source"] in ("os", "elasticsearch")
    assert {i["kind"]: i["count"] for i in entry["indices"]} == {c.kind: c.count for c in report.indices}
    assert entry["total"] == report.total and entry["verified"] is True
    dump = json.dumps(entry) + json.dumps(everything(es, world.prefix, "suppression"))
    assert not [s for s in SAM_PII if s in dump]
    assert "example.com" not in dump and "+44" not in dump


def test_reingesting_old_files_is_suppressed_and_reconciles(es: Elasticsearch, world: World,
                                                           forgotten: tuple[ForgetReport, dict[str, int]]) -> None:
    suppression = everything(es, world.prefix, "suppression")
    assert len(suppression) == forgotten[0].suppression_added >= 4  # 2 email spellings, phone, crm:C-1...
    assert {s["type"] for s in suppression} == {"email", "phone", "record"}
    expected = {"crm": (5, 0, 4, 0, 1), "shop-orders": (4, 0, 2, 0, 2), "support": (3, 0, 2, 0, 1)}
    for source, path in (("crm", world.crm), ("shop-orders", world.orders), ("support", world.support)):
        report = IngestRun(es, load_mapping(source), world.prefix, world.home).run([str(path)])
        got = (report.read, report.indexed, report.duplicates, report.rejected, report.suppressed)
        assert got == expected[source] and report.reconciles, (source, got)
        log = es.search(index=f"{world.prefix}ingest-log", query={"term": {"run_id": report.run_id}}
                        )["hits"]["hits"][0]["_source"]
        assert log["suppressed"] == report.suppressed
        assert log["read"] == log["indexed"] + log["duplicates"] + log["rejected"] + log["suppressed"]
    for kind in ("records", "activity", "tickets"):
        dump = json.dumps(everything(es, world.prefix, kind))
        assert not [s for s in SAM_PII if s in dump], kind
    # another spelling of the same mailbox, in a new file, is suppressed too
    new = world.home / "new.csv"
    new.write_text(world.crm.read_text().splitlines()[0] + "\nC-77,Sam,Smith, SAM.SMITH@example.com ,,,,,,,,,\n")
    report = IngestRun(es, load_mapping("crm"), world.prefix, world.home).run([str(new)])
    assert (report.read, report.suppressed) == (1, 1)
