"""Transforms as es360's rollup uses them: pivot per customer, batch and continuous."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import ApiError, Elasticsearch, helpers

from es360.embedded.server import start_server

PIVOT = {
    "group_by": {"customer_id": {"terms": {"field": "customer_id"}}},
    "aggregations": {
        "spend": {"sum": {"field": "amount"}},
        "orders": {"value_count": {"field": "amount"}},
        "last_order": {"max": {"field": "@timestamp"}},
        "big_orders": {"filter": {"range": {"amount": {"gte": 100}}}},
    },
}


def iso(delta_days: float) -> str:
    return (datetime.now(UTC) - timedelta(days=delta_days)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def load_orders(es: Elasticsearch, index: str, rows: list[tuple[str, float, float]]) -> None:
    helpers.bulk(es, ({"_index": index, "_source": {"customer_id": c, "amount": a, "@timestamp": iso(d)}}
                      for c, a, d in rows), refresh=True)


def wait_for(es: Elasticsearch, tid: str, predicate: Any, timeout: float = 10.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stats = es.transform.get_transform_stats(transform_id=tid)["transforms"][0]
        if predicate(stats):
            return stats
        time.sleep(0.05)
    raise AssertionError(f"transform {tid} did not reach the expected state: {stats}")


@pytest.fixture()
def orders(es: Elasticsearch) -> str:
    es.options(ignore_status=404).indices.delete(index="tf-*")
    for t in es.transform.get_transform(transform_id="_all")["transforms"]:
        es.transform.delete_transform(transform_id=t["id"], force=True)
    es.indices.create(index="tf-orders", mappings={"properties": {
        "customer_id": {"type": "keyword"}, "amount": {"type": "double"}, "@timestamp": {"type": "date"}}})
    load_orders(es, "tf-orders", [("c1", 50, 10), ("c1", 150, 5), ("c2", 20, 3), ("c3", 300, 1)])
    return "tf-orders"


def test_batch_pivot_builds_one_doc_per_customer(es: Elasticsearch, orders: str) -> None:
    es.transform.put_transform(transform_id="tf-batch", source={"index": orders}, dest={"index": "tf-rollup"},
                               pivot=PIVOT)
    es.transform.start_transform(transform_id="tf-batch")
    stats = wait_for(es, "tf-batch", lambda s: s["state"] == "stopped" and s["checkpointing"]["last"]["checkpoint"])
    assert stats["stats"]["documents_indexed"] == 3
    es.indices.refresh(index="tf-rollup")
    hits = es.search(index="tf-rollup", query={"term": {"customer_id": "c1"}})["hits"]["hits"]
    doc = hits[0]["_source"]
    assert doc["spend"] == 200 and doc["orders"] == 2 and doc["big_orders"] == 1
    mapping = es.indices.get_mapping(index="tf-rollup")["tf-rollup"]["mappings"]["properties"]
    assert mapping["customer_id"]["type"] == "keyword"
    assert mapping["last_order"]["type"] == "date" and mapping["orders"]["type"] == "long"


def test_continuous_checkpoint_touches_only_changed_customers(es: Elasticsearch, orders: str) -> None:
    es.transform.put_transform(transform_id="tf-cont", source={"index": orders}, dest={"index": "tf-live"},
                               pivot=PIVOT, sync={"time": {"field": "@timestamp", "delay": "1s"}},
                               frequency="1s")
    es.transform.start_transform(transform_id="tf-cont")
    first = wait_for(es, "tf-cont", lambda s: s["checkpointing"]["last"]["checkpoint"] >= 1)
    assert first["stats"]["documents_indexed"] == 3
    load_orders(es, orders, [("c2", 80, 0)])  # a new order, newer than the last checkpoint's upper bound
    time.sleep(1.2)  # let it age past the 1 s sync delay
    es.transform.schedule_now_transform(transform_id="tf-cont")
    second = wait_for(es, "tf-cont", lambda s: s["stats"]["documents_indexed"] > 3)
    assert second["stats"]["documents_indexed"] == 4  # only c2 was recomputed
    es.indices.refresh(index="tf-live")
    c2 = es.search(index="tf-live", query={"term": {"customer_id": "c2"}})["hits"]["hits"][0]["_source"]
    assert c2["spend"] == 100 and c2["orders"] == 2
    es.transform.stop_transform(transform_id="tf-cont", wait_for_completion=True)
    assert es.transform.get_transform_stats(transform_id="tf-cont")["transforms"][0]["state"] == "stopped"


def test_preview_and_errors(es: Elasticsearch, orders: str) -> None:
    preview = es.transform.preview_transform(source={"index": orders}, pivot=PIVOT, dest={"index": "tf-x"})
    assert sorted(d["customer_id"] for d in preview["preview"]) == ["c1", "c2", "c3"]
    assert preview["generated_dest_index"]["mappings"]["properties"]["spend"]["type"] == "double"
    with pytest.raises(ApiError) as err:
        es.transform.put_transform(transform_id="tf-missing", source={"index": "tf-nope"},
                                   dest={"index": "tf-y"}, pivot=PIVOT)
    assert err.value.status_code == 404
    with pytest.raises(ApiError) as err:
        es.transform.put_transform(transform_id="tf-bad", source={"index": orders}, dest={"index": "tf-y"},
                                   pivot={**PIVOT, "aggregations": {"x": {"nope": {"field": "amount"}}}})
    assert err.value.status_code == 400


def test_continuous_transform_resumes_after_restart(tmp_path: Path) -> None:
    srv = start_server(tmp_path)
    es = Elasticsearch(srv.url)
    es.indices.create(index="orders", mappings={"properties": {
        "customer_id": {"type": "keyword"}, "amount": {"type": "double"}, "@timestamp": {"type": "date"}}})
    load_orders(es, "orders", [("c1", 10, 2)])
    es.transform.put_transform(transform_id="live", source={"index": "orders"}, dest={"index": "live-rollup"},
                               pivot=PIVOT, sync={"time": {"field": "@timestamp", "delay": "1s"}}, frequency="1s")
    es.transform.start_transform(transform_id="live")
    wait_for(es, "live", lambda s: s["checkpointing"]["last"]["checkpoint"] >= 1)
    srv.stop()
    srv = start_server(tmp_path)
    try:
        es = Elasticsearch(srv.url)
        assert es.transform.get_transform_stats(transform_id="live")["transforms"][0]["state"] in (
            "started", "indexing")
        load_orders(es, "orders", [("c9", 5, 0)])
        time.sleep(1.2)
        es.transform.schedule_now_transform(transform_id="live")
        wait_for(es, "live", lambda s: s["stats"]["documents_indexed"] >= 1 and s["checkpointing"]["last"][
            "checkpoint"] >= 2)
        es.indices.refresh(index="live-rollup")
        assert es.count(index="live-rollup", query={"term": {"customer_id": "c9"}})["count"] == 1
    finally:
        srv.stop()
