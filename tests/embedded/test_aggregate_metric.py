"""aggregate_metric_double: mapping validation, indexing, queries on the default metric, metric aggs."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from elasticsearch import BadRequestError, Elasticsearch

_names = itertools.count()

METRIC = {"type": "aggregate_metric_double", "metrics": ["min", "max", "sum", "value_count"],
          "default_metric": "max"}


def make_index(es: Elasticsearch, props: dict[str, Any], docs: list[dict[str, Any]] | None = None) -> str:
    name = f"agg-metric-{next(_names)}"
    es.indices.create(index=name, mappings={"properties": props})
    for i, doc in enumerate(docs or []):
        es.index(index=name, id=str(i), document=doc)
    es.indices.refresh(index=name)
    return name


@pytest.fixture()
def metrics_index(es: Elasticsearch) -> str:
    return make_index(es, {"group": {"type": "keyword"}, "m": METRIC}, [
        {"group": "a", "m": {"min": 1.0, "max": 10.0, "sum": 20.0, "value_count": 4}},
        {"group": "a", "m": {"min": -2.0, "max": 5.0, "sum": 6.0, "value_count": 2}},
        {"group": "b", "m": {"min": 3.0, "max": 3.0, "sum": 3.0, "value_count": 1}},
        {"group": "b"},
    ])


@pytest.mark.parametrize(("definition", "reason"), [
    ({"type": "aggregate_metric_double"}, "Property [metrics] is required for field [m]."),
    ({"type": "aggregate_metric_double", "metrics": ["min", "median"], "default_metric": "min"},
     "Metric [median] is not supported."),
    ({"type": "aggregate_metric_double", "metrics": ["min", "max"]},
     "Property [default_metric] is required for field [m]."),
    ({"type": "aggregate_metric_double", "metrics": ["min", "max"], "default_metric": "sum"},
     "Default metric [sum] is not defined in the metrics of field [m]."),
    ({"type": "aggregate_metric_double", "metrics": ["min"], "format": "x"},
     "unknown parameter [format] on mapper [m] of type [aggregate_metric_double]"),
    ({"type": "keyword", "fields": {"agg": {"type": "aggregate_metric_double", "metrics": ["min"]}}},
     "Field [agg] of type [aggregate_metric_double] can't be used in multifields"),
])
def test_invalid_mappings_are_refused(es: Elasticsearch, definition: dict[str, Any], reason: str) -> None:
    with pytest.raises(BadRequestError) as caught:
        es.indices.create(index=f"agg-metric-bad-{next(_names)}", mappings={"properties": {"m": definition}})
    assert caught.value.error == "mapper_parsing_exception"
    assert reason in str(caught.value.info)


def test_single_metric_is_the_default_and_mapping_round_trips(es: Elasticsearch) -> None:
    name = make_index(es, {"m": {"type": "aggregate_metric_double", "metrics": ["sum"]}},
                      [{"m": {"sum": 4.5}}])
    mapping = es.indices.get_mapping(index=name)[name]["mappings"]["properties"]["m"]
    assert mapping == {"type": "aggregate_metric_double", "metrics": ["sum"], "default_metric": "sum"}
    assert es.count(index=name, query={"term": {"m": 4.5}})["count"] == 1


def test_mapping_lists_metrics_in_es_order_and_merges_idempotently(es: Elasticsearch) -> None:
    definition = {"type": "aggregate_metric_double", "metrics": ["value_count", "min"], "default_metric": "min"}
    name = make_index(es, {"m": definition})
    es.indices.put_mapping(index=name, properties={"m": definition})
    mapping = es.indices.get_mapping(index=name)[name]["mappings"]["properties"]["m"]
    assert mapping["metrics"] == ["min", "value_count"]
    with pytest.raises(BadRequestError):
        es.indices.put_mapping(index=name, properties={"m": {**definition, "default_metric": "value_count"}})


@pytest.mark.parametrize(("value", "reason"), [
    ({"min": 1.0, "max": 2.0, "sum": 3.0}, "Aggregate metric field [m] must contain all metrics "
                                           "[min, max, sum, value_count]"),
    ({"min": 1.0, "max": 2.0, "sum": 3.0, "value_count": -1}, "Aggregate metric [value_count] of field [m] "
                                                              "cannot be a negative number"),
    (5, "expecting token of type [START_OBJECT] but found [VALUE_NUMBER]"),
    ({"min": "1", "max": 2.0, "sum": 3.0, "value_count": 1}, "expecting token of type [VALUE_NUMBER]"),
])
def test_malformed_values_fail_the_document(es: Elasticsearch, value: Any, reason: str) -> None:
    name = make_index(es, {"m": METRIC})
    with pytest.raises(BadRequestError) as caught:
        es.index(index=name, document={"m": value})
    assert caught.value.error == "document_parsing_exception"
    assert reason in str(caught.value.info)


def test_unmapped_metric_is_refused_unless_ignore_malformed(es: Elasticsearch) -> None:
    strict = make_index(es, {"m": {"type": "aggregate_metric_double", "metrics": ["min", "max"],
                                   "default_metric": "min"}})
    with pytest.raises(BadRequestError) as caught:
        es.index(index=strict, document={"m": {"min": 1, "max": 2, "sum": 3}})
    assert "Aggregate metric [sum] does not exist in the mapping of field [m]" in str(caught.value.info)
    lenient = make_index(es, {"m": {"type": "aggregate_metric_double", "metrics": ["min", "max"],
                                    "default_metric": "min", "ignore_malformed": True}})
    es.index(index=lenient, id="1", document={"m": {"min": 1, "max": 2, "sum": 3}}, refresh=True)
    assert es.count(index=lenient, query={"exists": {"field": "m"}})["count"] == 0
    assert es.count(index=lenient, query={"exists": {"field": "_ignored"}})["count"] == 1


def test_queries_use_the_default_metric(es: Elasticsearch, metrics_index: str) -> None:
    def ids(query: dict[str, Any]) -> list[str]:
        hits = es.search(index=metrics_index, query=query, sort=["_doc"])["hits"]["hits"]
        return [h["_id"] for h in hits]

    assert ids({"term": {"m": 10}}) == ["0"]
    assert ids({"term": {"m": 1}}) == []  # 1 is a min, not the default (max) metric
    assert ids({"terms": {"m": [5, 3]}}) == ["1", "2"]
    assert ids({"range": {"m": {"gte": 4, "lt": 10}}}) == ["1"]
    assert ids({"exists": {"field": "m"}}) == ["0", "1", "2"]


def test_metric_aggregations_read_their_sub_metric(es: Elasticsearch, metrics_index: str) -> None:
    aggs = {"min": {"min": {"field": "m"}}, "max": {"max": {"field": "m"}}, "sum": {"sum": {"field": "m"}},
            "count": {"value_count": {"field": "m"}}, "avg": {"avg": {"field": "m"}}}
    body = es.search(index=metrics_index, size=0, aggs={"g": {"terms": {"field": "group"}, "aggs": aggs}})
    buckets = {b["key"]: b for b in body["aggregations"]["g"]["buckets"]}
    a, b = buckets["a"], buckets["b"]
    assert (a["min"]["value"], a["max"]["value"], a["sum"]["value"]) == (-2.0, 10.0, 26.0)
    assert a["count"]["value"] == 6
    assert a["avg"]["value"] == pytest.approx(26.0 / 6)
    assert (b["min"]["value"], b["max"]["value"], b["sum"]["value"], b["count"]["value"]) == (3.0, 3.0, 3.0, 1)
    assert b["avg"]["value"] == 3.0


def test_avg_mixes_aggregate_metrics_with_plain_numbers(es: Elasticsearch, metrics_index: str) -> None:
    plain = make_index(es, {"m": {"type": "double"}}, [{"m": 4.0}, {"m": [1.0, 1.0]}])
    body = es.search(index=[metrics_index, plain], size=0,
                     aggs={"avg": {"avg": {"field": "m"}}, "count": {"value_count": {"field": "m"}}})
    assert body["aggregations"]["count"]["value"] == 7 + 3
    assert body["aggregations"]["avg"]["value"] == pytest.approx((29.0 + 6.0) / 10)


@pytest.mark.parametrize("agg", [{"terms": {"field": "m"}}, {"cardinality": {"field": "m"}},
                                 {"percentiles": {"field": "m"}}, {"stats": {"field": "m"}}])
def test_other_aggregations_are_unsupported(es: Elasticsearch, metrics_index: str, agg: dict[str, Any]) -> None:
    kind = next(iter(agg))
    with pytest.raises(BadRequestError) as caught:
        es.search(index=metrics_index, size=0, aggs={"x": agg})
    assert f"Field [m] of type [aggregate_metric_double] is not supported for aggregation [{kind}]" \
        in str(caught.value.info)


def test_latest_transform_refuses_an_aggregate_metric_unique_key(es: Elasticsearch, metrics_index: str) -> None:
    with pytest.raises(BadRequestError) as caught:
        es.transform.preview_transform(source={"index": metrics_index},
                                       latest={"unique_key": ["m"], "sort": "group"})
    assert "Field [m] of type [aggregate_metric_double] is not supported for aggregation [terms]" \
        in str(caught.value.info)
