"""`es360 reindex`: next versioned index from the current assets, verified copy, atomic alias swap, rollback."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
import typer
from elasticsearch import Elasticsearch, helpers
from typer.testing import CliRunner

from es360.errors import Es360Error
from es360.reindex import reindex, rollback
from es360.search.commands import register
from es360.search.customers import search_customers
from es360.setup import run_setup
from tests.search.data import load_world

PREFIX = "rxtest-"
ALIAS = f"{PREFIX}customers"
EXTRA = 3000


@pytest.fixture(scope="module")
def world(es: Elasticsearch) -> int:
    """The test world plus EXTRA customers, so the copy takes long enough to search through it."""
    load_world(es, PREFIX)
    helpers.bulk(es, ({"_index": ALIAS, "_id": f"X-{i}", "pipeline": "_none",
                       "_source": {"customer_id": f"X-{i}", "name": {"first": "Extra", "last": f"Person{i}",
                                                                      "full": f"Extra Person{i}"},
                                   "phones": [f"+4930{1000000 + i}"]}} for i in range(EXTRA)), refresh=True)
    return int(es.count(index=ALIAS)["count"])


def behind(es: Elasticsearch, alias: str) -> dict[str, Any]:
    return es.indices.get_alias(name=alias)


def test_reindex_swaps_atomically_while_searches_run(es: Elasticsearch, es_url: str, world: int) -> None:
    stop = threading.Event()
    seen: list[int] = []
    errors: list[str] = []

    def search_forever() -> None:
        client = Elasticsearch(es_url, request_timeout=60)
        while not stop.is_set():
            try:
                resp = client.search(index=ALIAS, size=1, track_total_hits=True,
                                     query={"match": {"names": "Samuel"}}, aggs={"n": {"value_count": {"field": "customer_id"}}})
                seen.append(resp["hits"]["total"]["value"])
                seen.append(int(client.count(index=ALIAS)["count"]))
            except Exception as exc:  # noqa: BLE001 - any failure is what this test looks for
                errors.append(repr(exc))

    thread = threading.Thread(target=search_forever)
    thread.start()
    try:
        report = reindex(es, PREFIX, "customers")
    finally:
        stop.set()
        thread.join()
    assert errors == []
    assert len(seen) > 4 and set(seen) == {1, world}  # every search saw one complete index, never an empty one
    assert (report.from_index, report.to_index) == (f"{ALIAS}-000001", f"{ALIAS}-000002")
    assert report.from_count == report.to_count == world and report.kept_for_rollback == f"{ALIAS}-000001"
    assert behind(es, ALIAS) == {f"{ALIAS}-000002": {"aliases": {ALIAS: {"is_write_index": True}}}}
    # the previous index is kept, read-only, for --rollback; new writes go to the new one
    assert es.indices.exists(index=f"{ALIAS}-000001")
    es.index(index=ALIAS, id="new-1", document={"customer_id": "new-1"}, refresh=True, pipeline="_none")
    assert es.count(index=f"{ALIAS}-000002")["count"] == world + 1
    es.delete(index=ALIAS, id="new-1", refresh=True)
    assert search_customers(es, PREFIX, "sammy smith 4471").hits[0].customer_id == "C-0001"


def test_rollback_swaps_back_and_reindex_again_moves_on(es: Elasticsearch, world: int) -> None:
    report = rollback(es, PREFIX, "customers")
    assert (report.from_index, report.to_index, report.action) == (f"{ALIAS}-000002", f"{ALIAS}-000001", "rolled_back")
    assert behind(es, ALIAS) == {f"{ALIAS}-000001": {"aliases": {ALIAS: {"is_write_index": True}}}}
    es.index(index=ALIAS, id="after-rollback", document={"customer_id": "after-rollback"}, refresh=True,
             pipeline="_none")  # the restored index takes writes again
    es.delete(index=ALIAS, id="after-rollback", refresh=True)
    with pytest.raises(Es360Error, match="no previous index"):
        rollback(es, PREFIX, "customers")
    again = reindex(es, PREFIX, "customers")
    assert again.to_index == f"{ALIAS}-000003" and again.deleted == [f"{ALIAS}-000002"]
    assert rollback(es, PREFIX, "customers").to_index == f"{ALIAS}-000001"


def test_refuses_to_swap_when_counts_differ(es: Elasticsearch, world: int) -> None:
    es.ingest.put_pipeline(id=f"{PREFIX}drop-extras", processors=[
        {"drop": {"if": "ctx.customer_id != null && ctx.customer_id.startsWith('X-1')"}}])
    before = behind(es, ALIAS)
    with pytest.raises(Es360Error, match=r"Refusing to swap rxtest-customers: rxtest-customers-\d+ has [\d,]+ "
                                         r"documents but rxtest-customers-\d+ has [\d,]+ after the copy"):
        reindex(es, PREFIX, "customers", pipeline=f"{PREFIX}drop-extras")
    assert behind(es, ALIAS) == before
    current = next(iter(before))
    assert sorted(es.indices.get_alias(index=f"{ALIAS}-*")) == sorted({current, f"{ALIAS}-000003"})
    es.index(index=ALIAS, id="still-writable", document={"customer_id": "w"}, pipeline="_none", refresh=True)
    es.delete(index=ALIAS, id="still-writable", refresh=True)
    with pytest.raises(Es360Error, match="no ingest pipeline named 'nope'"):
        reindex(es, PREFIX, "customers", pipeline="nope")


def test_reindex_applies_the_current_mappings(es: Elasticsearch) -> None:
    prefix = "rxold-"
    alias = f"{prefix}customers"
    # an index from before search subfields existed: plain keyword phones, no es360 templates yet
    es.indices.create(index=f"{alias}-000001", aliases={alias: {"is_write_index": True}},
                      mappings={"properties": {"customer_id": {"type": "keyword"}, "phones": {"type": "keyword"},
                                               "name": {"properties": {"full": {"type": "text"}}}}})
    es.index(index=alias, id="C-1", document={"customer_id": "C-1", "phones": ["+447700904471"],
                                              "name": {"full": "Samuel Smith"}}, refresh=True)
    report = reindex(es, prefix, "customers")
    assert f"{prefix}customers" in report.templates_updated
    assert es.count(index=alias, query={"match": {"phones.suffix": "4471"}})["count"] == 1
    run_setup(es, prefix)  # setup afterwards finds everything in place
    assert search_customers(es, prefix, "ends in 4471").hits[0].customer_id == "C-1"


def test_every_kind_can_be_reindexed(es: Elasticsearch, world: int) -> None:
    for kind in ("activity", "tickets", "records", "identity", "rollup", "merge-log", "ingest-log"):
        report = reindex(es, PREFIX, kind)
        assert report.from_count == report.to_count, kind
    activity = reindex(es, PREFIX, "activity", pipeline=f"{PREFIX}activity")
    assert activity.to_count == activity.from_count == 6


def test_cli_reindex(es_url: str, world: int, es: Elasticsearch) -> None:
    app = typer.Typer()
    register(app)
    env = {"ES360_ES_URL": es_url, "ES360_PREFIX": PREFIX}
    result = CliRunner().invoke(app, ["reindex", "merge-log", "--json"], env=env)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["action"] == "reindexed" and doc["alias"] == f"{PREFIX}merge-log" and doc["to_count"] == 1
    result = CliRunner().invoke(app, ["reindex", "merge-log", "--rollback"], env=env)
    assert result.exit_code == 0 and "rolled back" in result.stdout
    result = CliRunner().invoke(app, ["reindex", "merge-log"], env=env)
    assert result.exit_code == 0 and "alias swapped atomically" in result.stdout and "--rollback" in result.stdout
    result = CliRunner().invoke(app, ["reindex", "widgets"], env=env)
    assert result.exit_code == 1 and "Unknown index kind 'widgets'" in result.stderr
    result = CliRunner().invoke(app, ["reindex", "customers", "--pipeline", "nope"], env=env)
    assert result.exit_code == 1 and "no ingest pipeline named 'nope'" in result.stderr
    result = CliRunner().invoke(app, ["reindex", "customers"], env={**env, "ES360_PREFIX": "nosuch-"})
    assert result.exit_code == 1 and "run `es360 setup` first" in result.stderr
