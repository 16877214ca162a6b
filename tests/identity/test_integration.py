"""es360 resolve / explain / backfill enrich against the session engine, end to end.

Tests in this module build on each other (they share one index prefix), in file order.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from elasticsearch import Elasticsearch, helpers
from typer.testing import CliRunner

from es360.identity.commands import register
from es360.identity.explain import explain
from es360.identity.overrides import forget_override, record_override
from es360.identity.resolve import resolve
from es360.identity.synthetic import World, generate_world
from es360.setup import run_setup

PREFIX = "idtest-"


@pytest.fixture(scope="module")
def world(es: Elasticsearch) -> World:
    run_setup(es, PREFIX)
    w = generate_world(150, seed=31)
    helpers.bulk(es, ({"_index": f"{PREFIX}records", "_id": d["record_id"], "_source": d} for d in w.records),
                 refresh=True)
    return w


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("es360home")


@pytest.fixture(scope="module")
def first_run(es: Elasticsearch, world: World, home: Path) -> dict[str, Any]:
    truth = home / "truth.jsonl"
    world.write_truth(truth)
    return resolve(es, PREFIX, home, truth=truth).as_dict()


def _records(es: Elasticsearch) -> dict[str, dict[str, Any]]:
    hits = helpers.scan(es, index=f"{PREFIX}records", query={"query": {"match_all": {}}})
    return {h["_source"]["record_id"]: h["_source"] for h in hits}


def _customer_of(es: Elasticsearch, record_id: str) -> str:
    return _records(es)[record_id]["customer_id"]


def test_resolve_writes_customers_identity_and_customer_ids(es: Elasticsearch, world: World,
                                                            first_run: dict[str, Any]) -> None:
    assert first_run["records"] == len(world.records)
    assert first_run["evaluation"]["precision"] >= 0.95 and first_run["evaluation"]["recall"] >= 0.9
    assert es.count(index=f"{PREFIX}customers")["count"] == first_run["customers"] == first_run["new_customers"]
    records = _records(es)
    assert all(r.get("customer_id", "").startswith("cus_") for r in records.values())
    some = next(r for r in records.values() if r.get("email"))
    identity = es.get(index=f"{PREFIX}identity", id=f"email:{some['email']}")["_source"]
    assert identity["type"] == "email"
    source_key = es.get(index=f"{PREFIX}identity", id=some["record_id"])["_source"]
    assert source_key["customer_id"] == some["customer_id"]
    customer = es.get(index=f"{PREFIX}customers", id=some["customer_id"])["_source"]
    assert some["record_id"] in customer["record_ids"] and customer["record_count"] == len(customer["record_ids"])


def test_the_first_run_logs_every_merge_of_records_with_its_links(es: Elasticsearch,
                                                                  first_run: dict[str, Any]) -> None:
    multi = es.count(index=f"{PREFIX}customers", query={"range": {"record_count": {"gte": 2}}})["count"]
    assert multi > 0 and first_run["record_merges"] == multi
    log = es.search(index=f"{PREFIX}merge-log", query={"term": {"action": "merge"}}, size=1000)["hits"]["hits"]
    entries = [h["_source"] for h in log]
    assert len(entries) == multi and all(e["evidence"]["kind"] == "new_customer" for e in entries)
    entry = entries[0]
    customer = es.get(index=f"{PREFIX}customers", id=entry["customer_id"])["_source"]
    assert entry["record_ids"] == customer["record_ids"] and entry["other_customer_ids"] == []
    links = entry["evidence"]["links"]
    assert len(links) == len(customer["record_ids"]) - 1  # a spanning set of joins
    assert {link["a"] for link in links} | {link["b"] for link in links} == set(customer["record_ids"])
    assert all(set(link["levels"]) >= {"first_name", "email"} for link in links)


def test_a_rerun_on_unchanged_data_writes_nothing(es: Elasticsearch, home: Path, first_run: dict[str, Any]) -> None:
    again = resolve(es, PREFIX, home).as_dict()
    assert again["customers"] == first_run["customers"] and again["new_customers"] == 0
    written = again["written"]
    assert (written["customers_written"], written["identity_written"], written["records_updated"]) == (0, 0, 0)
    assert (again["merges"], again["splits"]) == (0, 0)


def test_a_new_record_joins_its_existing_customer(es: Elasticsearch, home: Path, first_run: dict[str, Any]) -> None:
    records = _records(es)
    anchor = next(r for r in records.values() if r["source"] == "crm" and r.get("email") and r.get("name"))
    doc = {"source": "marketing", "source_id": "M-NEW-1", "email": anchor["email"],
           "name": {"first": anchor["name"]["first"], "last": anchor["name"]["last"]}, "created_at": "2026-01-01T00:00:00Z"}
    es.index(index=f"{PREFIX}records", id="marketing:M-NEW-1", document=doc, refresh=True)
    report = resolve(es, PREFIX, home).as_dict()
    assert report["new_customers"] == 0 and (report["merges"], report["record_merges"]) == (0, 1)
    assert _customer_of(es, "marketing:M-NEW-1") == anchor["customer_id"]
    log = es.search(index=f"{PREFIX}merge-log", query={"term": {"record_ids": "marketing:M-NEW-1"}})["hits"]["hits"]
    (entry,) = [h["_source"] for h in log]
    assert (entry["action"], entry["customer_id"], entry["evidence"]["kind"]) == \
        ("merge", anchor["customer_id"], "new_records")
    assert entry["evidence"]["strongest_pair"]["b"] != "marketing:M-NEW-1" and entry["match_weight"] > 0


def test_a_steward_split_gets_a_new_id_and_undoing_it_merges_back_under_the_older_id(
        es: Elasticsearch, home: Path, first_run: dict[str, Any]) -> None:
    customer = es.search(index=f"{PREFIX}customers", query={"range": {"record_count": {"gte": 2}}},
                         sort=[{"customer_id": "asc"}], size=1)["hits"]["hits"][0]["_source"]
    old_id = customer["customer_id"]
    records = _records(es)
    ordered = sorted(customer["record_ids"], key=lambda rid: (records[rid].get("created_at") or "9", rid))
    oldest, leaving = ordered[0], ordered[-1]
    for other in ordered[1:]:  # separate `leaving` from every other record of the customer
        if other != leaving:
            record_override(home, "do_not_merge", other, leaving)
    record_override(home, "do_not_merge", oldest, leaving)
    split = resolve(es, PREFIX, home).as_dict()
    assert split["splits"] == 1
    new_id = _customer_of(es, leaving)
    assert _customer_of(es, oldest) == old_id and new_id != old_id
    log = es.search(index=f"{PREFIX}merge-log", query={"term": {"action": "split"}})["hits"]["hits"]
    entry = next(h["_source"] for h in log if h["_source"]["customer_id"] == new_id)
    assert entry["other_customer_ids"] == [old_id] and entry["record_ids"] == [leaving]
    assert "strongest_pair" in entry["evidence"]

    for other in ordered[:-1]:
        forget_override(home, other, leaving)
    record_override(home, "must_merge", oldest, leaving)
    merged = resolve(es, PREFIX, home).as_dict()
    assert merged["merges"] == 1
    assert _customer_of(es, leaving) == old_id  # the older customer's id wins
    assert not es.exists(index=f"{PREFIX}customers", id=new_id)
    log = es.search(index=f"{PREFIX}merge-log", query={"bool": {"filter": [
        {"term": {"action": "merge"}}, {"term": {"customer_id": old_id}}, {"exists": {"field": "other_customer_ids"}}]}}
    )["hits"]["hits"]
    entry = next(h["_source"] for h in log)
    assert entry["other_customer_ids"] == [new_id] and entry["evidence"]["kind"] == "customers"
    assert new_id in es.get(index=f"{PREFIX}customers", id=old_id)["_source"]["resolution"]["merged_from"]


def test_explain_shows_evidence_and_the_decision(es: Elasticsearch, home: Path, first_run: dict[str, Any]) -> None:
    customer = es.search(index=f"{PREFIX}customers", query={"range": {"record_count": {"gte": 2}}},
                         sort=[{"customer_id": "desc"}], size=1)["hits"]["hits"][0]["_source"]
    a, b = customer["record_ids"][:2]
    same = explain(es, PREFIX, home, a, b)
    assert same.decision == "same_customer" and set(same.evidence["fields"]) >= {"first_name", "email"}
    other = es.search(index=f"{PREFIX}customers", query={"bool": {"must_not": {"term": {"customer_id":
                                                                                       customer["customer_id"]}}}},
                      size=1)["hits"]["hits"][0]["_source"]["record_ids"][0]
    apart = explain(es, PREFIX, home, a, other)
    assert apart.decision == "different_customers" and apart.reason


def test_explain_shows_a_name_read_from_the_email(es: Elasticsearch, home: Path, first_run: dict[str, Any]) -> None:
    records = _records(es)
    anchor = next(r for r in records.values() if r["source"] == "crm" and r.get("name", {}).get("last"))
    first, last = anchor["name"]["first"], anchor["name"]["last"]
    mailbox = f"{first}.{last}".lower().replace(" ", "") + "77@example.org"
    es.index(index=f"{PREFIX}records", id="marketing:M-NEW-2", refresh=True,
             document={"source": "marketing", "source_id": "M-NEW-2", "email": mailbox, "name": {"first": first}})
    result = explain(es, PREFIX, home, "marketing:M-NEW-2", anchor["record_id"])
    assert result.a["name_from_email"] == ["last"] and result.a["compared_name"]["last"] == last.lower()
    assert result.evidence["fields"]["last_name"]["level"] == "exact"
    runner = CliRunner()
    app = typer.Typer()
    register(app)
    env = {"ES360_ES_URL": es.transport.node_pool.get().base_url, "ES360_PREFIX": PREFIX, "ES360_HOME": str(home)}
    shown = runner.invoke(app, ["explain", "marketing:M-NEW-2", anchor["record_id"]], env=env)
    assert shown.exit_code == 0, shown.output
    assert "read from the email address" in shown.output
    es.delete_by_query(index=f"{PREFIX}records", query={"term": {"record_id": "marketing:M-NEW-2"}}, refresh=True)


def test_backfill_enrich_tags_existing_activity_and_tickets(es: Elasticsearch, home: Path,
                                                            first_run: dict[str, Any]) -> None:
    records = _records(es)
    shop = next(r for r in records.values() if r["source"] == "shop" and r.get("email"))
    events = [{"event": {"id": f"O-{i}", "dataset": "shop.orders", "category": "order", "action": "order"},
               "@timestamp": "2025-01-02T03:04:05Z", "order": {"amount": 10, "currency": "EUR"},
               "identity": {"source": "shop", "source_id": shop["source_id"]}} for i in range(3)]
    helpers.bulk(es, ({"_index": f"{PREFIX}activity", "_source": e} for e in events), refresh=True)
    es.index(index=f"{PREFIX}tickets", document={"ticket_id": "T-1", "created_at": "2025-01-02T03:04:05Z",
                                                "requester": {"email": shop["email"]}, "subject": "hi"}, refresh=True)
    es.update_by_query(index=f"{PREFIX}activity", script={"source": "ctx._source.remove('customer_id')"}, refresh=True)

    runner = CliRunner()
    app = typer.Typer()
    register(app)
    env = {"ES360_ES_URL": es.transport.node_pool.get().base_url, "ES360_PREFIX": PREFIX, "ES360_HOME": str(home)}
    result = runner.invoke(app, ["backfill", "enrich", "--json"], env=env)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["failures"] == 0
    activity = es.search(index=f"{PREFIX}activity", query={"term": {"identity.source_id": shop["source_id"]}})
    assert {h["_source"].get("customer_id") for h in activity["hits"]["hits"]} == {shop["customer_id"]}
    ticket = es.search(index=f"{PREFIX}tickets", query={"term": {"ticket_id": "T-1"}})["hits"]["hits"][0]
    assert ticket["_source"]["customer_id"] == shop["customer_id"]

    explained = runner.invoke(app, ["explain", shop["record_id"], shop["record_id"].replace("shop:", "crm:"), "--json"],
                              env=env)
    assert explained.exit_code == 1 and "No record" in explained.output
    resolved = runner.invoke(app, ["resolve", "--json", "--dry-run"], env=env)
    assert resolved.exit_code == 0, resolved.output
    assert json.loads(resolved.stdout)["dry_run"] is True
    printed = runner.invoke(app, ["resolve", "--dry-run"], env=env)
    assert printed.exit_code == 0, printed.output
    text = " ".join(printed.output.split())  # the console wraps long lines
    assert "groups of new records merged" in text and "dry run" in text
