"""The columnar pivot (aggs/pivot.py) writes exactly what the paged, rendered-JSON pivot writes."""

from __future__ import annotations

import copy
import json
import random
from typing import Any

import numpy as np
import pytest
from elasticsearch import Elasticsearch, helpers

from es360.embedded.aggs.formats import DateFormat
from es360.embedded.aggs.pivot import format_date_keys, format_values, iso_dates
from es360.embedded.dates import get_formatter
from es360.embedded.transforms import TransformService, TransformState, parse_config, service

INDEX = "tfp-events"
DAY = 86_400_000
BASE = 1_700_000_000_000

AGGS: dict[str, Any] = {
    "spend.total": {"sum": {"field": "amount"}},
    "spend.avg": {"avg": {"field": "amount"}},
    "spend.max": {"max": {"field": "amount"}},
    "count": {"value_count": {"field": "amount"}},
    "seen.first": {"min": {"field": "@timestamp"}},
    "seen.last": {"max": {"field": "@timestamp"}},
    "score.avg": {"avg": {"field": "score"}},  # no value for some entities: null
    "refunds": {"filter": {"term": {"action": "refund"}}},
    "recent": {"filter": {"range": {"@timestamp": {"gte": BASE + 20 * DAY}}},
               "aggs": {"first_at": {"min": {"field": "@timestamp"}},
                        "big": {"filter": {"range": {"amount": {"gte": 50}}}}}},
    "kinds": {"cardinality": {"field": "action"}},  # rendered per bucket (no columnar reader)
    "latest": {"top_metrics": {"metrics": {"field": "amount"}, "sort": {"@timestamp": "desc"}}},
}


@pytest.fixture(scope="module")
def events(es: Elasticsearch) -> str:
    es.options(ignore_status=404).indices.delete(index=INDEX)
    es.indices.create(index=INDEX, mappings={"properties": {
        "customer": {"type": "keyword"}, "action": {"type": "keyword"}, "amount": {"type": "double"},
        "score": {"type": "integer"}, "@timestamp": {"type": "date"}}})
    rng = random.Random(5)
    docs = []
    for i in range(600):
        doc: dict[str, Any] = {"action": rng.choice(["order", "refund", "visit"]), "amount": rng.randint(1, 99),
                               "@timestamp": BASE + rng.randint(0, 40 * DAY)}
        if i % 13:
            doc["customer"] = f"c{rng.randint(0, 60):03d}"
        if i % 3 == 0:
            doc["score"] = rng.randint(1, 5)
        docs.append({"_index": INDEX, "_id": str(i), "_source": doc})
    helpers.bulk(es, docs, refresh=True)
    return INDEX


def both_ways(engine: Any, config: dict[str, Any], limit: int | None = None,
              ) -> tuple[list[tuple[str, dict[str, Any]]], list[tuple[str, dict[str, Any]]]]:
    """(columnar result, paged-JSON result) of one pivot."""
    svc = service(engine)
    cfg = parse_config(copy.deepcopy(config), "tfp")
    query = {"bool": {"filter": [cfg["source"].get("query", {"match_all": {}})]}}
    columnar = svc._pivot_docs("tfp", cfg, query, TransformState(), limit=limit)
    original = TransformService._pivot_columns
    try:
        TransformService._pivot_columns = lambda *args, **kwargs: None  # type: ignore[method-assign]
        paged = svc._pivot_docs("tfp", cfg, query, TransformState(), limit=limit)
    finally:
        TransformService._pivot_columns = original  # type: ignore[method-assign]
    return columnar, paged


def pivot_config(group_by: dict[str, Any], aggs: dict[str, Any], **settings: Any) -> dict[str, Any]:
    return {"source": {"index": INDEX}, "dest": {"index": "tfp-out"},
            "pivot": {"group_by": group_by, "aggregations": aggs}, "settings": {"max_page_search_size": 10, **settings}}


def same(a: Any, b: Any) -> bool:
    return json.dumps(a) == json.dumps(b)  # key order included: it is the destination _source's order


@pytest.mark.parametrize("group_by", [
    {"customer": {"terms": {"field": "customer"}}},
    {"customer": {"terms": {"field": "customer", "missing_bucket": True}},
     "day": {"date_histogram": {"field": "@timestamp", "calendar_interval": "1d"}}},
    {"week": {"date_histogram": {"field": "@timestamp", "fixed_interval": "7d", "format": "yyyy-MM-dd"}},
     "amount_band": {"histogram": {"field": "amount", "interval": 25}}},
])
def test_columnar_pivot_matches_the_paged_pivot(engine: Any, events: str, group_by: dict[str, Any]) -> None:
    columnar, paged = both_ways(engine, pivot_config(group_by, AGGS))
    assert len(columnar) > 10  # several pages of the paged path
    assert same(columnar, paged)


def test_columnar_pivot_matches_with_epoch_millis_and_limits(engine: Any, events: str) -> None:
    group_by = {"customer": {"terms": {"field": "customer"}},
                "day": {"date_histogram": {"field": "@timestamp", "calendar_interval": "1d"}}}
    columnar, paged = both_ways(engine, pivot_config(group_by, AGGS, dates_as_epoch_millis=True))
    assert same(columnar, paged)
    assert isinstance(columnar[0][1]["seen"]["first"], float)
    for limit in (1, 7, 100):
        columnar, paged = both_ways(engine, pivot_config(group_by, AGGS), limit=limit)
        assert len(columnar) == limit and same(columnar, paged)


def test_pipeline_aggregations_keep_the_rendered_path(engine: Any, events: str) -> None:
    aggs = {**AGGS, "ratio": {"bucket_script": {"buckets_path": {"s": "spend.total", "c": "count"},
                                                "script": "params.s / params.c"}}}
    aggs = {k: v for k, v in aggs.items() if "." not in k or k.startswith("seen")}
    aggs["total"] = {"sum": {"field": "amount"}}
    aggs["ratio"]["bucket_script"]["buckets_path"] = {"s": "total", "c": "count"}
    columnar, paged = both_ways(engine, pivot_config({"customer": {"terms": {"field": "customer"}}}, aggs))
    assert same(columnar, paged)
    assert all("ratio" in doc for _, doc in columnar)


def test_pivot_search_stats_count_the_pages_es_would_search(engine: Any, events: str) -> None:
    svc = service(engine)
    cfg = parse_config(pivot_config({"customer": {"terms": {"field": "customer"}}}, AGGS), "tfp")
    state = TransformState()
    docs = svc._pivot_docs("tfp", cfg, {"match_all": {}}, state)
    assert state.stats["search_total"] == len(docs) // 10 + 1


def test_iso_dates_print_as_the_date_formatter_does() -> None:
    rng = random.Random(11)
    millis = [0, 1, 999, 86_399_999, 951_782_400_000, 4_102_444_800_000, 253_402_300_799_999]
    millis += [rng.randint(0, 253_402_300_799_999) for _ in range(500)]
    formatter = get_formatter("strict_date_optional_time")
    expected = [formatter.format(m) for m in millis]
    assert iso_dates("strict_date_optional_time||epoch_millis", None, np.asarray(millis, dtype=np.float64)) \
        == expected
    assert format_values(DateFormat(), np.asarray(millis, dtype=np.float64)) == expected
    assert format_date_keys(None, [*millis[:3], None]) == [*expected[:3], None]


def test_dates_outside_the_fast_path_use_the_formatter() -> None:
    before_1970 = np.asarray([-86_400_000.0, 5.0])
    assert iso_dates("strict_date_optional_time", None, before_1970) is None
    assert format_values(DateFormat(), before_1970) == [DateFormat().format(v) for v in before_1970.tolist()]
    custom = DateFormat("yyyy-MM-dd", "Europe/Paris")
    assert format_values(custom, np.asarray([0.0])) == [custom.format(0.0)]
    assert format_date_keys("yyyy/MM/dd", [86_400_000]) == [get_formatter("yyyy/MM/dd").format(86_400_000)]


@pytest.mark.parametrize("query", [
    {"bool": {"filter": [{"term": {"action": "order"}}, {"range": {"amount": {"gte": 40}}}]}},
    {"bool": {"must": {"range": {"@timestamp": {"gte": BASE + 10 * DAY}}},
              "must_not": [{"term": {"action": "visit"}}, {"exists": {"field": "score"}}]}},
    {"bool": {"must_not": {"term": {"action": "refund"}}}},
    {"bool": {"filter": [{"term": {"action": "order"}}],
              "should": [{"range": {"amount": {"lte": 10}}}], "minimum_should_match": 1}},
    {"bool": {"filter": [{"bool": {"must_not": {"exists": {"field": "customer"}}}}, {"term": {"action": "order"}}]}},
])
def test_filter_aggregations_combine_bool_clauses_as_the_query_does(es: Elasticsearch, events: str,
                                                                    query: dict[str, Any]) -> None:
    aggs = {"f": {"filter": query}, "again": {"filter": query},
            "by": {"terms": {"field": "action"}, "aggs": {"f": {"filter": query}}}}
    body = es.search(index=events, size=0, aggs=aggs, track_total_hits=True)
    expected = es.count(index=events, query=query)["count"]
    assert body["aggregations"]["f"]["doc_count"] == body["aggregations"]["again"]["doc_count"] == expected
    per_action = {b["key"]: b["f"]["doc_count"] for b in body["aggregations"]["by"]["buckets"]}
    for action, count in per_action.items():
        both = {"bool": {"filter": [query, {"term": {"action": action}}]}}
        assert count == es.count(index=events, query=both)["count"]
