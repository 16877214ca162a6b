"""Lens layer → search request (as Kibana's esaggs builds it) and response → table."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from elasticsearch import Elasticsearch, helpers

from es360.dashboard import lens
from es360.dashboard.lens import DataView, LensError, build_search, parse_response
from es360.dashboard.timerange import TimeRange, auto_interval, es_interval, parse_date_math, resolve_range

NOW = datetime(2026, 11, 1, 12, 30, tzinfo=UTC)
YEAR = resolve_range("now-1y", "now", NOW)
VIEW = DataView("dv", "es360-activity", "@timestamp", {}, {"activity.hour": {"type": "long", "script": {
    "source": "emit(doc['@timestamp'].value.getHour())"}}})


def col(op: str, field: str | None = None, **params: Any) -> dict[str, Any]:
    column: dict[str, Any] = {"operationType": op, "sourceField": field, "label": f"{op} {field}",
                              "isBucketed": op in lens.BUCKET_OPS, "params": params.pop("params", params)}
    return column


def layer(*columns: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    return {"columns": dict(columns), "columnOrder": [c for c, _ in columns]}


def test_date_histogram_with_terms_split_nests_like_esaggs() -> None:
    spec = layer(("t", col("date_histogram", "@timestamp", interval="auto", includeEmptyRows=True)),
                 ("ch", col("terms", "event.category", size=5, orderBy={"type": "column", "columnId": "n"},
                            orderDirection="desc")),
                 ("n", col("count", "___records___")))
    body = build_search(spec, VIEW, YEAR, [{"match": {"event.category": "web"}}])
    assert body["size"] == 0
    assert body["query"]["bool"]["filter"] == [
        {"range": {"@timestamp": {"gte": "2025-11-01T12:30:00.000Z", "lte": "2026-11-01T12:30:00.000Z",
                                  "format": "strict_date_optional_time"}}},
        {"match": {"event.category": "web"}}]
    hist = body["aggs"]["c0"]["date_histogram"]
    assert hist["calendar_interval"] == "1w" and hist["min_doc_count"] == 0 and hist["time_zone"] == "UTC"
    assert hist["extended_bounds"] == {"min": int(YEAR.start.timestamp() * 1000), "max": int(YEAR.end.timestamp() * 1000)}
    terms = body["aggs"]["c0"]["aggs"]["c1"]["terms"]
    assert terms == {"field": "event.category", "size": 5, "order": [{"_count": "desc"}, {"_key": "asc"}]}
    assert "aggs" not in body["aggs"]["c0"]["aggs"]["c1"]  # a count needs no metric aggregation
    assert "runtime_mappings" not in body


def test_terms_ordered_by_a_metric_hidden_by_a_deeper_bucket_gets_an_order_copy() -> None:
    spec = layer(("who", col("terms", "customer_id", size=3, orderBy={"type": "column", "columnId": "v"})),
                 ("t", col("date_histogram", "@timestamp", interval="1M")),
                 ("v", col("sum", "order.net_amount_eur")))
    aggs = build_search(spec, VIEW, YEAR, [])["aggs"]["c0"]
    assert aggs["terms"]["order"][0] == {"o": "desc"}
    assert aggs["aggs"]["o"] == {"sum": {"field": "order.net_amount_eur"}}
    assert aggs["aggs"]["c1"]["date_histogram"]["calendar_interval"] == "1M"
    assert aggs["aggs"]["c1"]["aggs"] == {"c2": {"sum": {"field": "order.net_amount_eur"}}}


def test_metrics_filters_ranges_and_column_filters() -> None:
    spec = layer(("f", col("filters", params={"filters": [{"input": {"language": "kuery", "query": "a : 1"},
                                                           "label": "A"},
                                                          {"input": {"language": "kuery", "query": ""}, "label": ""}]})),
                 ("r", col("range", "churn.risk", type="range", ranges=[{"from": None, "to": 20, "label": "low"},
                                                                         {"from": 20, "to": None}])),
                 ("med", col("median", "x")), ("p95", col("percentile", "x", percentile=95)),
                 ("u", col("unique_count", "customer_id")), ("avg", col("average", "x")),
                 ("last", col("last_value", "stage", sortField="computed_at")),
                 ("fc", {**col("count", "___records___"), "filter": {"language": "kuery", "query": "b : 2"}}))
    body = build_search(spec, VIEW, None, [])
    assert body["query"] == {"match_all": {}}  # no time range given: no time filter
    f = body["aggs"]["c0"]
    assert f["filters"]["filters"] == {"f0": {"match": {"a": "1"}}, "f1": {"match_all": {}}}
    r = f["aggs"]["c1"]
    assert r["range"]["ranges"] == [{"key": "r0", "to": 20}, {"key": "r1", "from": 20}]
    metrics = r["aggs"]
    assert metrics["c2"] == {"percentiles": {"field": "x", "percents": [50]}}
    assert metrics["c3"] == {"percentiles": {"field": "x", "percents": [95.0]}}
    assert metrics["c4"] == {"cardinality": {"field": "customer_id"}}
    assert metrics["c5"] == {"avg": {"field": "x"}}
    assert metrics["c6"]["filter"] == {"bool": {"filter": [{"exists": {"field": "stage"}}]}}
    assert metrics["c6"]["aggs"]["v"]["top_hits"]["sort"] == [{"computed_at": {"order": "desc"}}]
    assert metrics["c7"] == {"filter": {"match": {"b": "2"}}}


def test_runtime_fields_are_sent_only_when_used() -> None:
    spec = layer(("h", col("terms", "activity.hour", size=24, orderBy={"type": "alphabetical"})),
                 ("n", col("count", "___records___")))
    body = build_search(spec, VIEW, YEAR, [])
    assert body["runtime_mappings"] == VIEW.runtime_fields
    assert body["aggs"]["c0"]["terms"]["order"] == {"_key": "asc"}


@pytest.mark.parametrize(("columns", "message"), [
    ([("d", col("derivative", "x"))], "Lens operation 'derivative'"),
    ([("m", {**col("sum", "x"), "timeShift": "1w"})], "timeShift"),
    ([("t", col("terms", "x", orderBy={"type": "significant"})), ("n", col("count"))], "significant"),
    ([("t", col("terms", "x", orderBy={"type": "column", "columnId": "zz"})), ("n", col("count"))], "not a metric"),
    ([("s", col("sum"))], "no source field"),
    ([("d", col("date_histogram", "@timestamp", interval="1.5d")), ("n", col("count"))], "not a date histogram"),
])
def test_unsupported_layers_fail_clearly(columns: list, message: str) -> None:
    with pytest.raises(Exception, match=message) as err:
        build_search(layer(*columns), VIEW, YEAR, [])
    assert isinstance(err.value, LensError) or "interval" in str(err.value)


def test_response_becomes_rows_with_empty_as_null() -> None:
    spec = layer(("t", col("date_histogram", "@timestamp", interval="1d")),
                 ("s", col("sum", "amount", emptyAsNull=True)), ("n", col("count", "___records___")))
    response = {"hits": {"total": {"value": 3}}, "aggregations": {"c0": {"buckets": [
        {"key": 1000, "doc_count": 3, "c1": {"value": 12.5}},
        {"key": 2000, "doc_count": 0, "c1": {"value": 0.0}}]}}}
    table = parse_response(spec, response, time_range=YEAR)
    assert [(r["t"], r["s"], r["n"]) for r in table.rows] == [(1000, 12.5, 3), (2000, None, 0)]
    assert table.interval_ms == 86_400_000


def test_last_values_are_read_with_or_without_their_exists_wrapper() -> None:
    spec = layer(("w", col("last_value", "stage", showArrayValues=True)), ("x", col("last_value", "stage")))
    body = build_search(spec, VIEW, YEAR, [])
    assert "top_hits" in body["aggs"]["c0"] and "filter" in body["aggs"]["c1"]
    hit = {"hits": {"hits": [{"_source": {"stage": "at_risk"}}]}}
    response = {"hits": {"total": {"value": 1}}, "aggregations": {"c0": hit, "c1": {"doc_count": 1, "v": hit}}}
    assert parse_response(spec, response).rows == [{"w": "at_risk", "x": "at_risk"}]


def test_other_bucket_is_a_second_search_excluding_the_shown_terms() -> None:
    spec = layer(("c", col("terms", "country", size=2, otherBucket=True, orderBy={"type": "column", "columnId": "n"})),
                 ("n", col("count", "___records___")))
    body = build_search(spec, VIEW, YEAR, [])
    table = parse_response(spec, {"hits": {"total": {"value": 10}}, "aggregations": {"c0": {"buckets": [
        {"key": "DE", "doc_count": 5}, {"key": "GB", "doc_count": 3}]}}})
    other = lens.other_bucket_search(spec, body, table)
    assert other is not None
    assert other["query"]["bool"]["must_not"] == [{"terms": {"country": ["DE", "GB"]}}]
    merged = lens.merge_other(spec, table, {"hits": {"total": {"value": 2}}, "aggregations": {}})
    assert [(r["c"], r["n"]) for r in merged.rows] == [("DE", 5), ("GB", 3), ("Other", 2)]


def test_auto_intervals_follow_kibanas_ladder() -> None:
    def interval(text: str) -> dict[str, str]:
        return es_interval(auto_interval(resolve_range(text, "now", NOW)))

    assert interval("now-1y") == {"calendar_interval": "1w"}
    assert interval("now-5y") == {"calendar_interval": "1M"}
    assert interval("now-30d") == {"fixed_interval": "12h"}
    assert interval("now-7d") == {"fixed_interval": "3h"}
    assert interval("now-1h") == {"calendar_interval": "1m"}
    assert interval("now-15m") == {"fixed_interval": "30s"}
    assert interval("now-60y") == {"calendar_interval": "1y"}


def test_date_math() -> None:
    assert parse_date_math("now-1M/M", NOW) == datetime(2026, 10, 1, tzinfo=UTC)
    assert parse_date_math("now/d", NOW, round_up=True) == datetime(2026, 11, 1, 23, 59, 59, 999000, tzinfo=UTC)
    assert parse_date_math("2026-03-31||-1M", NOW) == datetime(2026, 2, 28, tzinfo=UTC)
    assert parse_date_math("now/w", NOW) == datetime(2026, 10, 26, tzinfo=UTC)  # a Monday
    with pytest.raises(Exception, match="not valid date math"):
        parse_date_math("now-1x", NOW)
    with pytest.raises(Exception, match="is empty"):
        resolve_range("now", "now-1d", NOW)


def test_a_layer_runs_on_the_cluster(es: Elasticsearch) -> None:
    index = "dashlens-orders"
    if es.indices.exists(index=index):
        es.indices.delete(index=index)
    es.indices.create(index=index, mappings={"properties": {"@timestamp": {"type": "date"},
                                                            "country": {"type": "keyword"},
                                                            "amount": {"type": "double"}}})
    docs = [("DE", 10.0, "2026-10-30"), ("DE", 20.0, "2026-10-31"), ("GB", 5.0, "2026-10-31"),
            ("FR", 1.0, "2026-10-01"), ("DE", 99.0, "2020-01-01")]  # the last one is outside the range
    helpers.bulk(es, ({"_index": index, "_source": {"country": c, "amount": a, "@timestamp": t}}
                      for c, a, t in docs), refresh=True)
    spec = layer(("c", col("terms", "country", size=2, otherBucket=True, orderBy={"type": "column", "columnId": "s"})),
                 ("s", col("sum", "amount")), ("n", col("count", "___records___")))
    view = DataView("dv", index, "@timestamp")
    month = TimeRange(datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC))
    body = build_search(spec, view, month, [])
    table = parse_response(spec, dict(es.search(index=index, body=body)), time_range=month)
    other = lens.other_bucket_search(spec, body, table)
    assert other is not None
    table = lens.merge_other(spec, table, dict(es.search(index=index, body=other)), month)
    assert [(r["c"], r["s"], r["n"]) for r in table.rows] == [("DE", 30.0, 2), ("GB", 5.0, 1), ("Other", 1.0, 1)]


def test_histogram_intervals_are_round_and_respect_max_bars() -> None:
    column = lens.layer_columns(layer(("h", col("range", "x", type="histogram", maxBars="auto"))))[0]
    assert lens.histogram_interval(column, 0, 1000) == 10.0
    assert lens.histogram_interval(column, 0, 37) == 0.5
    column.params["maxBars"] = 10
    assert lens.histogram_interval(column, 0, 1000) == 100.0
    assert lens.histogram_interval(column, None, None) == 1.0
