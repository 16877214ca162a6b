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


def wait_for(es: Elasticsearch, tid: str, predicate: Any, timeout: float = 60.0) -> dict[str, Any]:
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
    assert err.value.status_code == 400  # ES reports a missing source as a validation failure
    assert "no such index [tf-nope]" in str(err.value)
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


def _error(call: Any) -> ApiError:
    with pytest.raises(ApiError) as err:
        call()
    return err.value


def test_strict_parsing_and_request_validation(es: Elasticsearch, orders: str) -> None:
    base = {"source": {"index": orders}, "dest": {"index": "tf-v"}, "pivot": PIVOT}
    err = _error(lambda: es.transform.put_transform(transform_id="tf-v", body={**base, "version": "7.3.0"}))
    assert err.status_code == 400 and "Found [version], not allowed for strict parsing" in str(err.body)
    err = _error(lambda: es.transform.put_transform(transform_id="tf-v", body={
        **base, "pivot": {**PIVOT, "max_page_search_size": 5}}))
    assert "pivot.max_page_search_size [5] is out of range" in str(err.body)
    err = _error(lambda: es.transform.put_transform(transform_id="tf-v", body={**base, "dest": {"index": "TF-V"}}))
    assert "Destination index [TF-V] must be lowercase" in str(err.body)
    err = _error(lambda: es.transform.put_transform(transform_id="tf-v", body={
        **base, "pivot": {**PIVOT, "aggregations": {"customer_id.spend": {"sum": {"field": "amount"}}}}}))
    assert "field [customer_id] cannot be both an object and a field" in str(err.body)
    err = _error(lambda: es.transform.put_transform(transform_id="tf-v", body={
        "source": base["source"], "dest": base["dest"], "latest": {"unique_key": [], "sort": "@timestamp"}}))
    assert "latest.unique_key must be non-empty" in str(err.body)
    err = _error(lambda: es.transform.put_transform(transform_id="tf-v", body={
        **base, "dest": {"index": "tf-v", "pipeline": "tf-no-such-pipeline"}}))
    assert "Pipeline with id [tf-no-such-pipeline] could not be found" in str(err.body)
    err = _error(lambda: es.transform.put_transform(transform_id="tf-v", body={**base, "source": {
        "index": "tf-*"}, "dest": {"index": "tf-orders-copy"}}))
    assert "Destination index [tf-orders-copy] is included in source expression [tf-*]" in str(err.body)
    # deferred validation accepts what only the cluster's state makes invalid
    es.transform.put_transform(transform_id="tf-v", defer_validation=True, body={
        **base, "dest": {"index": "tf-v", "pipeline": "tf-no-such-pipeline"}})
    err = _error(lambda: es.transform.start_transform(transform_id="tf-v"))
    assert "Pipeline with id [tf-no-such-pipeline] could not be found" in str(err.body)


def test_get_shows_es_defaults(es: Elasticsearch, orders: str) -> None:
    es.transform.put_transform(transform_id="tf-get", source={"index": orders}, dest={"index": "tf-get"},
                               pivot=PIVOT, sync={"time": {"field": "@timestamp"}})
    got = es.transform.get_transform(transform_id="tf-get")["transforms"][0]
    assert got["source"]["query"] == {"match_all": {}}
    assert got["sync"]["time"]["delay"] == "60s"
    assert got["create_time"] and got["version"] and got["settings"] == {}
    exported = es.transform.get_transform(transform_id="tf-get", exclude_generated=True)["transforms"][0]
    assert "create_time" not in exported and "version" not in exported
    err = _error(lambda: es.transform.get_transform(transform_id="tf-nothing*", allow_no_match=False))
    assert err.status_code == 404
    err = _error(lambda: es.transform.get_transform(transform_id="_all", size=5000))
    assert err.status_code == 400
    err = _error(lambda: es.transform.stop_transform(transform_id="tf-get", force=True, wait_for_checkpoint=True))
    assert "cannot set both [force] and [wait_for_checkpoint] to true" in str(err.body)
    es.transform.stop_transform(transform_id="tf-nothing*")
    err = _error(lambda: es.transform.stop_transform(transform_id="tf-nothing*", allow_no_match=False))
    assert err.status_code == 404


def test_update_rules(es: Elasticsearch, orders: str) -> None:
    es.transform.put_transform(transform_id="tf-upd", source={"index": orders}, dest={"index": "tf-upd"},
                               pivot=PIVOT)
    updated = es.transform.update_transform(transform_id="tf-upd", description="new", frequency="5s")
    assert updated["description"] == "new" and updated["frequency"] == "5s" and updated["create_time"]
    err = _error(lambda: es.transform.update_transform(transform_id="tf-upd", sync={"time": {"field": "x"}}))
    assert "from [null] to [time]" in str(err.body)
    err = _error(lambda: es.transform.update_transform(transform_id="tf-upd", source={"index": "tf-missing"}))
    assert "no such index [tf-missing]" in str(err.body)


def test_preview_orders_and_formats_like_es(es: Elasticsearch, orders: str) -> None:
    es.index(index=orders, document={"customer_id": "c0", "amount": 1, "@timestamp": iso(2), "_hidden": 1},
             refresh=True)
    latest = es.transform.preview_transform(source={"index": orders},
                                            latest={"unique_key": ["customer_id"], "sort": "@timestamp"})
    assert [d["customer_id"] for d in latest["preview"]] == ["c0", "c1", "c2", "c3"]
    assert latest["preview"][1]["amount"] == 150  # c1's newest order
    assert all("_hidden" not in d for d in latest["preview"])
    assert latest["generated_dest_index"]["mappings"]["properties"] == {}
    hourly = es.transform.preview_transform(source={"index": orders}, pivot={
        "group_by": {"customer_id": {"terms": {"field": "customer_id"}},
                     "day": {"date_histogram": {"field": "@timestamp", "calendar_interval": "1d"}}},
        "aggregations": {"last.at": {"max": {"field": "@timestamp"}}}})
    doc = hourly["preview"][0]
    assert doc["day"].endswith("T00:00:00.000Z") and doc["last"]["at"].endswith("Z")
    assert hourly["generated_dest_index"]["mappings"]["properties"]["last.at"]["type"] == "date"


def test_cat_node_stats_and_upgrade(es: Elasticsearch, orders: str) -> None:
    es.transform.put_transform(transform_id="tf-cat", source={"index": orders}, dest={"index": "tf-cat"},
                               pivot=PIVOT, sync={"time": {"field": "@timestamp", "delay": "1h"}})
    rows = es.cat.transforms(transform_id="tf-cat", format="json")
    assert rows[0]["id"] == "tf-cat" and rows[0]["state"] == "stopped"
    text = es.cat.transforms(transform_id="tf-cat", v=True, h="id,docp").body
    assert text.splitlines()[0].split() == ["id", "docp"] and not text.splitlines()[1].endswith(" ")
    before = es.transform.get_node_stats()["total"]["scheduler"]["registered_transform_count"]
    es.transform.start_transform(transform_id="tf-cat")
    assert es.transform.get_node_stats()["total"]["scheduler"]["registered_transform_count"] == before + 1
    es.transform.stop_transform(transform_id="tf-cat", wait_for_completion=True)
    assert es.transform.upgrade_transforms()["needs_update"] == 0
