"""Aggregations as users see them through the official client: bucket counts and order, date histograms
with gaps, nested/reverse_nested, percentiles, composite paging, pipelines, typed_keys and ES's errors."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from elasticsearch import ApiError, BadRequestError, Elasticsearch, helpers

INDEX = "aggs-customers"
OTHER = "aggs-customers-b"

CUSTOMERS: list[dict[str, Any]] = [
    {"name": "Alice", "country": "FR", "spend": 120.0, "signup": "2024-01-05", "tags": ["new", "promo"],
     "vip": True, "orders": [{"product": "book", "amount": 20}, {"product": "pen", "amount": 5}]},
    {"name": "Bob", "country": "FR", "spend": 80.5, "signup": "2024-01-20", "tags": ["new"], "vip": False,
     "orders": [{"product": "book", "amount": 15}]},
    {"name": "Chloe", "country": "DE", "spend": 300.0, "signup": "2024-03-02", "tags": ["vip"], "vip": True,
     "orders": [{"product": "laptop", "amount": 900}]},
    {"name": "Dieter", "country": "DE", "spend": 45.0, "signup": "2024-03-15", "tags": [], "vip": False},
    {"name": "Emma", "country": "US", "spend": 220.0, "signup": "2024-03-30", "tags": ["promo"], "vip": False,
     "orders": [{"product": "pen", "amount": 3}, {"product": "pen", "amount": 4}]},
    {"name": "Frank", "country": "US", "spend": 10.0, "signup": "2024-04-01", "tags": ["new", "churn"],
     "vip": False},
    {"name": "Gina", "country": "US", "spend": 500.0, "signup": "2024-06-11", "tags": ["vip", "promo"], "vip": True,
     "orders": [{"product": "laptop", "amount": 1200}, {"product": "book", "amount": 30}]},
    {"name": "Hugo", "country": "FR", "spend": 60.0, "signup": "2024-06-12", "tags": ["churn"], "vip": False,
     "orders": [{"product": "book", "amount": 12}]},
    {"name": "Ines", "country": "ES", "spend": 99.0, "signup": "2024-06-30", "tags": ["new"], "vip": False},
    {"name": "Jon", "country": "US", "signup": "2024-07-01", "tags": ["new"], "vip": False},
    {"name": "Karl", "country": "DE", "spend": 150.0, "signup": "2024-07-15", "tags": ["promo"], "vip": True,
     "orders": [{"product": "pen", "amount": 2}]},
    {"name": "Lena", "spend": 75.0, "signup": "2024-07-20", "tags": ["new"], "vip": False},
]

MAPPINGS = {"properties": {
    "name": {"type": "text", "fields": {"raw": {"type": "keyword"}}},
    "country": {"type": "keyword"},
    "spend": {"type": "double"},
    "signup": {"type": "date"},
    "tags": {"type": "keyword"},
    "vip": {"type": "boolean"},
    "orders": {"type": "nested", "properties": {"product": {"type": "keyword"}, "amount": {"type": "double"}}},
}}


@pytest.fixture(scope="module")
def customers(es: Elasticsearch) -> Iterator[str]:
    for name in (INDEX, OTHER):
        es.options(ignore_status=404).indices.delete(index=name)
    es.indices.create(index=INDEX, mappings=MAPPINGS)
    es.indices.create(index=OTHER, mappings=MAPPINGS)
    helpers.bulk(es, ({"_index": INDEX, "_id": str(i + 1), "_source": d} for i, d in enumerate(CUSTOMERS)),
                 refresh=True)
    helpers.bulk(es, ({"_index": OTHER, "_id": f"b{i}", "_source": d} for i, d in enumerate([
        {"name": "Max", "country": "US", "spend": 40.0, "signup": "2024-02-10"},
        {"name": "Nia", "country": "US", "spend": 60.0, "signup": "2024-02-11"},
        {"name": "Otto", "country": "PT", "spend": 30.0, "signup": "2024-02-12"},
    ])), refresh=True)
    yield INDEX
    for name in (INDEX, OTHER):
        es.options(ignore_status=404).indices.delete(index=name)


def aggs(es: Elasticsearch, index: str, body: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return es.search(index=index, size=0, aggs=body, **kw)["aggregations"]


def pairs(buckets: list[dict[str, Any]]) -> list[tuple[Any, int]]:
    return [(b["key"], b["doc_count"]) for b in buckets]


# ---- terms ------------------------------------------------------------------------------------------
def test_terms_counts_order_and_other_count(es: Elasticsearch, customers: str) -> None:
    out = aggs(es, customers, {"c": {"terms": {"field": "country"}}})["c"]
    assert pairs(out["buckets"]) == [("US", 4), ("DE", 3), ("FR", 3), ("ES", 1)]
    assert out["sum_other_doc_count"] == 0
    assert out["doc_count_error_upper_bound"] == 0
    top2 = aggs(es, customers, {"c": {"terms": {"field": "country", "size": 2}}})["c"]
    assert pairs(top2["buckets"]) == [("US", 4), ("DE", 3)]
    assert top2["sum_other_doc_count"] == 4


def test_terms_order_by_key_and_by_sub_aggregation(es: Elasticsearch, customers: str) -> None:
    by_key = aggs(es, customers, {"c": {"terms": {"field": "country", "order": {"_key": "desc"}}}})["c"]
    assert [b["key"] for b in by_key["buckets"]] == ["US", "FR", "ES", "DE"]
    by_avg = aggs(es, customers, {"c": {"terms": {"field": "country", "order": {"avg_spend": "desc"}},
                                        "aggs": {"avg_spend": {"avg": {"field": "spend"}}}}})["c"]
    assert [b["key"] for b in by_avg["buckets"]] == ["US", "DE", "ES", "FR"]
    assert by_avg["buckets"][0]["avg_spend"]["value"] == pytest.approx(730 / 3)
    by_stat = aggs(es, customers, {"c": {"terms": {"field": "country", "order": {"s.max": "asc"}},
                                         "aggs": {"s": {"stats": {"field": "spend"}}}}})["c"]
    assert [b["key"] for b in by_stat["buckets"]] == ["ES", "FR", "DE", "US"]


def test_terms_multi_valued_missing_include_exclude(es: Elasticsearch, customers: str) -> None:
    tags = aggs(es, customers, {"t": {"terms": {"field": "tags"}}})["t"]
    assert pairs(tags["buckets"]) == [("new", 6), ("promo", 4), ("churn", 2), ("vip", 2)]
    missing = aggs(es, customers, {"c": {"terms": {"field": "country", "missing": "N/A"}}})["c"]
    assert ("N/A", 1) in pairs(missing["buckets"])
    inc = aggs(es, customers, {"t": {"terms": {"field": "tags", "include": "n.*|v.*"}}})["t"]
    assert [b["key"] for b in inc["buckets"]] == ["new", "vip"]
    exc = aggs(es, customers, {"t": {"terms": {"field": "tags", "exclude": ["new", "promo"]}}})["t"]
    assert [b["key"] for b in exc["buckets"]] == ["churn", "vip"]
    zero = aggs(es, customers, {"t": {"terms": {"field": "tags", "min_doc_count": 0}}},
                query={"term": {"country": "ES"}})["t"]
    assert pairs(zero["buckets"]) == [("new", 1), ("churn", 0), ("promo", 0), ("vip", 0)]


def test_terms_on_numbers_booleans_and_dates_have_key_as_string(es: Elasticsearch, customers: str) -> None:
    vip = aggs(es, customers, {"v": {"terms": {"field": "vip"}}})["v"]
    assert [(b["key"], b["key_as_string"], b["doc_count"]) for b in vip["buckets"]] == [
        (0, "false", 8), (1, "true", 4)]
    dates = aggs(es, customers, {"d": {"terms": {"field": "signup", "size": 1, "order": {"_key": "asc"}}}})["d"]
    assert dates["buckets"][0]["key_as_string"] == "2024-01-05T00:00:00.000Z"
    assert "key_as_string" not in aggs(es, customers, {"c": {"terms": {"field": "country"}}})["c"]["buckets"][0]


def test_terms_across_indices_sum_counts(es: Elasticsearch, customers: str) -> None:
    out = aggs(es, f"{INDEX},{OTHER}", {"c": {"terms": {"field": "country"}}})["c"]
    assert pairs(out["buckets"]) == [("US", 6), ("DE", 3), ("FR", 3), ("ES", 1), ("PT", 1)]


def test_unmapped_fields_give_empty_results(es: Elasticsearch, customers: str) -> None:
    out = aggs(es, customers, {"t": {"terms": {"field": "nope"}}, "a": {"avg": {"field": "nope"}},
                               "s": {"sum": {"field": "nope"}}})
    assert out["t"]["buckets"] == []
    assert out["a"]["value"] is None
    assert out["s"]["value"] == 0.0


# ---- metrics ----------------------------------------------------------------------------------------
def test_metrics(es: Elasticsearch, customers: str) -> None:
    out = aggs(es, customers, {
        "stats": {"stats": {"field": "spend"}},
        "ext": {"extended_stats": {"field": "spend"}},
        "uniq_tags": {"cardinality": {"field": "tags"}},
        "tag_values": {"value_count": {"field": "tags"}},
        "first": {"min": {"field": "signup"}},
        "last": {"max": {"field": "signup"}},
        "with_missing": {"avg": {"field": "spend", "missing": 0}},
    })
    assert out["stats"] == {"count": 11, "min": 10.0, "max": 500.0, "avg": pytest.approx(1659.5 / 11),
                            "sum": 1659.5}
    assert out["ext"]["std_deviation"] > 0 and "std_deviation_bounds" in out["ext"]
    assert out["uniq_tags"]["value"] == 4
    assert out["tag_values"]["value"] == 14
    assert out["first"]["value_as_string"] == "2024-01-05T00:00:00.000Z"
    assert out["last"]["value_as_string"] == "2024-07-20T00:00:00.000Z"
    assert out["with_missing"]["value"] == pytest.approx(1659.5 / 12)


def test_percentiles_and_ranks(es: Elasticsearch, customers: str) -> None:
    out = aggs(es, customers, {"p": {"percentiles": {"field": "spend"}},
                               "k": {"percentiles": {"field": "spend", "percents": [50], "keyed": False}},
                               "r": {"percentile_ranks": {"field": "spend", "values": [99, 1000]}}})
    assert out["p"]["values"] == {"1.0": 10.0, "5.0": pytest.approx(11.75), "25.0": 63.75, "50.0": 99.0,
                                  "75.0": 202.5, "95.0": pytest.approx(490.0), "99.0": 500.0}
    assert out["k"]["values"] == [{"key": 50.0, "value": 99.0}]
    assert out["r"]["values"]["1000.0"] == 100.0
    assert 0 < out["r"]["values"]["99.0"] < 100


def test_weighted_avg_and_top_metrics(es: Elasticsearch, customers: str) -> None:
    out = aggs(es, customers, {"w": {"weighted_avg": {"value": {"field": "spend"},
                                                      "weight": {"field": "vip", "missing": 0}}},
                               "tm": {"top_metrics": {"metrics": {"field": "spend"}, "sort": {"signup": "desc"}}}})
    assert out["w"]["value"] == pytest.approx((120 + 300 + 500 + 150) / 4)
    assert out["tm"]["top"][0]["metrics"]["spend"] == 75.0


# ---- histograms -------------------------------------------------------------------------------------
def test_date_histogram_fills_gaps_between_min_and_max(es: Elasticsearch, customers: str) -> None:
    out = aggs(es, customers, {"m": {"date_histogram": {"field": "signup", "calendar_interval": "month",
                                                        "format": "yyyy-MM"}}})["m"]
    assert [(b["key_as_string"], b["doc_count"]) for b in out["buckets"]] == [
        ("2024-01", 2), ("2024-02", 0), ("2024-03", 3), ("2024-04", 1), ("2024-05", 0), ("2024-06", 3),
        ("2024-07", 3)]
    assert out["buckets"][0]["key"] == 1704067200000
    ext = aggs(es, customers, {"m": {"date_histogram": {
        "field": "signup", "calendar_interval": "month", "min_doc_count": 0, "format": "yyyy-MM",
        "extended_bounds": {"min": "2023-12", "max": "2024-09"}}}})["m"]
    keys = [b["key_as_string"] for b in ext["buckets"]]
    assert keys[0] == "2023-12" and keys[-1] == "2024-09" and len(keys) == 10
    dense = aggs(es, customers, {"m": {"date_histogram": {"field": "signup", "calendar_interval": "month",
                                                          "min_doc_count": 1}}})["m"]
    assert len(dense["buckets"]) == 5


def test_date_histogram_time_zone_fixed_interval_and_keyed(es: Elasticsearch, customers: str) -> None:
    out = aggs(es, customers, {"w": {"date_histogram": {"field": "signup", "fixed_interval": "30d",
                                                        "keyed": True, "time_zone": "+01:00"}}},
               query={"term": {"country": "FR"}})["w"]
    assert isinstance(out["buckets"], dict)
    assert sum(b["doc_count"] for b in out["buckets"].values()) == 3
    assert all(k.endswith("+01:00") for k in out["buckets"])


def test_date_histogram_rejects_legacy_interval(es: Elasticsearch, customers: str) -> None:
    with pytest.raises(BadRequestError) as err:
        aggs(es, customers, {"m": {"date_histogram": {"field": "signup", "interval": "month"}}})
    assert err.value.error == "x_content_parse_exception"
    assert "[date_histogram] unknown field [interval]" in str(err.value.info)


def test_histogram(es: Elasticsearch, customers: str) -> None:
    out = aggs(es, customers, {"h": {"histogram": {"field": "spend", "interval": 100}}})["h"]
    assert pairs(out["buckets"]) == [(0.0, 6), (100.0, 2), (200.0, 1), (300.0, 1), (400.0, 0), (500.0, 1)]
    bounded = aggs(es, customers, {"h": {"histogram": {"field": "spend", "interval": 100, "min_doc_count": 1,
                                                       "hard_bounds": {"min": 100, "max": 300}}}})["h"]
    assert pairs(bounded["buckets"]) == [(100.0, 2), (200.0, 1), (300.0, 1)]


# ---- ranges and filters -----------------------------------------------------------------------------
def test_range_and_date_range(es: Elasticsearch, customers: str) -> None:
    out = aggs(es, customers, {"r": {"range": {"field": "spend", "ranges": [{"to": 100}, {"from": 100, "to": 300},
                                                                             {"from": 300}]}}})["r"]
    assert pairs(out["buckets"]) == [("*-100.0", 6), ("100.0-300.0", 3), ("300.0-*", 2)]
    assert "from" not in out["buckets"][0] and out["buckets"][0]["to"] == 100.0
    dr = aggs(es, customers, {"d": {"date_range": {"field": "signup", "format": "yyyy-MM-dd", "keyed": True,
                                                   "ranges": [{"to": "2024-04-01"},
                                                              {"key": "spring+", "from": "2024-03-01||+1M"}]}}})["d"]
    assert dr["buckets"]["*-2024-04-01"]["doc_count"] == 5
    assert dr["buckets"]["spring+"]["doc_count"] == 7
    assert dr["buckets"]["spring+"]["from_as_string"] == "2024-04-01"


def test_filter_filters_missing_global(es: Elasticsearch, customers: str) -> None:
    out = aggs(es, customers, {
        "vips": {"filter": {"term": {"vip": True}}, "aggs": {"spend": {"sum": {"field": "spend"}}}},
        "f": {"filters": {"filters": {"vips": {"term": {"vip": True}}, "promo": {"term": {"tags": "promo"}}},
                          "other_bucket_key": "rest"}},
        "anon": {"filters": {"filters": [{"term": {"country": "FR"}}, {"term": {"country": "DE"}}]}},
        "no_country": {"missing": {"field": "country"}},
        "all": {"global": {}, "aggs": {"n": {"value_count": {"field": "signup"}}}},
    }, query={"range": {"spend": {"gte": 100}}})
    assert out["vips"]["doc_count"] == 4
    assert out["vips"]["spend"]["value"] == 1070.0
    assert {k: v["doc_count"] for k, v in out["f"]["buckets"].items()} == {"promo": 4, "vips": 4, "rest": 0}
    assert [b["doc_count"] for b in out["anon"]["buckets"]] == [1, 2]
    assert out["no_country"]["doc_count"] == 0
    assert out["all"]["doc_count"] == 12 and out["all"]["n"]["value"] == 12


# ---- nested -----------------------------------------------------------------------------------------
def test_nested_and_reverse_nested(es: Elasticsearch, customers: str) -> None:
    out = aggs(es, customers, {"orders": {"nested": {"path": "orders"}, "aggs": {
        "products": {"terms": {"field": "orders.product"}, "aggs": {
            "revenue": {"sum": {"field": "orders.amount"}},
            "buyers": {"reverse_nested": {}, "aggs": {"countries": {"terms": {"field": "country"}}}},
        }}}}})["orders"]
    assert out["doc_count"] == 10
    products = out["products"]["buckets"]
    assert pairs(products) == [("book", 4), ("pen", 4), ("laptop", 2)]
    assert [b["revenue"]["value"] for b in products] == [77.0, 14.0, 2100.0]
    assert [b["buyers"]["doc_count"] for b in products] == [4, 3, 2]
    pen_countries = products[1]["buyers"]["countries"]["buckets"]
    assert sorted(pairs(pen_countries)) == [("DE", 1), ("FR", 1), ("US", 1)]


def test_terms_ordered_by_nested_metric(es: Elasticsearch, customers: str) -> None:
    out = aggs(es, customers, {"c": {"terms": {"field": "country", "order": {"o>biggest": "desc"}}, "aggs": {
        "o": {"nested": {"path": "orders"}, "aggs": {"biggest": {"max": {"field": "orders.amount"}}}}}}})["c"]
    assert [b["key"] for b in out["buckets"]][:2] == ["US", "DE"]
    assert out["buckets"][0]["o"]["biggest"]["value"] == 1200.0


# ---- composite --------------------------------------------------------------------------------------
def test_composite_pages_through_every_bucket(es: Elasticsearch, customers: str) -> None:
    sources = [{"country": {"terms": {"field": "country", "missing_bucket": True}}},
               {"vip": {"terms": {"field": "vip"}}}]
    seen: list[tuple[Any, Any, int]] = []
    after = None
    pages = 0
    while True:
        body: dict[str, Any] = {"size": 3, "sources": sources}
        if after is not None:
            body["after"] = after
        out = aggs(es, customers, {"c": {"composite": body}})["c"]
        pages += 1
        if not out["buckets"]:
            assert "after_key" not in out
            break
        seen.extend((b["key"]["country"], b["key"]["vip"], b["doc_count"]) for b in out["buckets"])
        after = out["after_key"]
        assert after == out["buckets"][-1]["key"]
    assert pages == 4
    assert seen == [(None, False, 1), ("DE", False, 1), ("DE", True, 2), ("ES", False, 1), ("FR", False, 2),
                    ("FR", True, 1), ("US", False, 3), ("US", True, 1)]
    assert sum(c for _, _, c in seen) == len(CUSTOMERS)


def test_composite_date_histogram_source_with_sub_aggregation(es: Elasticsearch, customers: str) -> None:
    out = aggs(es, customers, {"c": {"composite": {"sources": [
        {"month": {"date_histogram": {"field": "signup", "calendar_interval": "month", "format": "yyyy-MM",
                                      "order": "desc"}}}]},
        "aggs": {"spend": {"sum": {"field": "spend"}}}}})["c"]
    assert [b["key"]["month"] for b in out["buckets"]] == ["2024-07", "2024-06", "2024-04", "2024-03", "2024-01"]
    assert out["buckets"][0]["spend"]["value"] == 225.0
    assert out["after_key"] == {"month": "2024-01"}


def test_composite_rejects_multi_bucket_parent(es: Elasticsearch, customers: str) -> None:
    with pytest.raises(BadRequestError) as err:
        aggs(es, customers, {"t": {"terms": {"field": "country"}, "aggs": {"c": {"composite": {
            "sources": [{"v": {"terms": {"field": "vip"}}}]}}}}})
    assert "[composite] aggregation cannot be used with a parent aggregation" in str(err.value.info)


# ---- pipelines --------------------------------------------------------------------------------------
MONTHLY = {"m": {"date_histogram": {"field": "signup", "calendar_interval": "month", "format": "yyyy-MM"},
                 "aggs": {"total": {"sum": {"field": "spend"}},
                          "running": {"cumulative_sum": {"buckets_path": "total"}},
                          "delta": {"derivative": {"buckets_path": "_count"}}}}}


def test_sibling_and_parent_pipelines(es: Elasticsearch, customers: str) -> None:
    out = aggs(es, customers, {**MONTHLY, "best": {"max_bucket": {"buckets_path": "m>total"}},
                               "avg_month": {"avg_bucket": {"buckets_path": "m>total"}},
                               "all": {"stats_bucket": {"buckets_path": "m>_count"}}})
    buckets = out["m"]["buckets"]
    assert [b["running"]["value"] for b in buckets] == [200.5, 200.5, 765.5, 775.5, 775.5, 1434.5, 1659.5]
    assert "delta" not in buckets[0]
    assert [b["delta"]["value"] for b in buckets[1:]] == [-2.0, 3.0, -2.0, -1.0, 3.0, 0.0]
    assert out["best"] == {"value": 659.0, "keys": ["2024-06"]}
    assert out["avg_month"]["value"] == pytest.approx(1659.5 / 5)
    assert out["all"]["count"] == 7 and out["all"]["sum"] == 12.0


def test_bucket_script_selector_and_sort(es: Elasticsearch, customers: str) -> None:
    out = aggs(es, customers, {"c": {"terms": {"field": "country"}, "aggs": {
        "total": {"sum": {"field": "spend"}},
        "per_doc": {"bucket_script": {"buckets_path": {"t": "total", "n": "_count"},
                                      "script": "params.t / params.n"}},
        "big": {"bucket_selector": {"buckets_path": {"t": "total"}, "script": "params.t > 300"}},
        "top": {"bucket_sort": {"sort": [{"total": {"order": "desc"}}], "size": 1}},
    }}})["c"]
    assert [b["key"] for b in out["buckets"]] == ["US"]
    assert out["buckets"][0]["per_doc"]["value"] == 182.5


def test_pipeline_validation_errors(es: Elasticsearch, customers: str) -> None:
    with pytest.raises(BadRequestError) as err:
        aggs(es, customers, {"m": {"date_histogram": {"field": "signup", "calendar_interval": "month"}},
                             "best": {"max_bucket": {"buckets_path": "m>nope"}}})
    assert err.value.error == "action_request_validation_exception"
    assert "No aggregation [nope] found for path [m>nope]" in str(err.value.info)


# ---- top_hits ---------------------------------------------------------------------------------------
def test_top_hits_per_bucket(es: Elasticsearch, customers: str) -> None:
    out = aggs(es, customers, {"c": {"terms": {"field": "country"}, "aggs": {"best": {"top_hits": {
        "size": 1, "sort": [{"spend": "desc"}], "_source": ["name"]}}}}})["c"]
    best = {b["key"]: b["best"]["hits"]["hits"][0] for b in out["buckets"]}
    assert {k: h["_source"]["name"] for k, h in best.items()} == {"US": "Gina", "DE": "Chloe", "FR": "Alice",
                                                                 "ES": "Ines"}
    assert best["US"]["sort"] == [500.0]
    assert out["buckets"][0]["best"]["hits"]["total"] == {"value": 4, "relation": "eq"}


# ---- request options and errors ---------------------------------------------------------------------
def test_meta_and_typed_keys(es: Elasticsearch, customers: str) -> None:
    out = aggs(es, customers, {"c": {"meta": {"team": "growth"}, "terms": {"field": "country"},
                                     "aggs": {"a": {"avg": {"field": "spend"}}}},
                               "p": {"percentiles": {"field": "spend", "percents": [50]}}}, typed_keys=True)
    assert set(out) == {"sterms#c", "tdigest_percentiles#p"}
    assert out["sterms#c"]["meta"] == {"team": "growth"}
    assert "avg#a" in out["sterms#c"]["buckets"][0]


@pytest.mark.parametrize("body, kind, text", [
    ({"x": {"termz": {"field": "country"}}}, "parsing_exception", "Unknown aggregation type [termz]"),
    ({"x": {"terms": {"field": "country", "sizee": 3}}}, "x_content_parse_exception",
     "[terms] unknown field [sizee]"),
    ({"x": {"terms": {"field": "name"}}}, "search_phase_execution_exception", "Fielddata is disabled on [name]"),
    ({"x": {"avg": {"field": "country"}}}, "search_phase_execution_exception",
     "Field [country] of type [keyword] is not supported for aggregation [avg]"),
    ({"x": {"terms": {"size": 3}}}, None, "Required one of fields [field, script], but none were specified."),
    ({"x": {"avg": {"field": "spend"}, "aggs": {"y": {"max": {"field": "spend"}}}}}, None,
     "cannot accept sub-aggregations"),
])
def test_errors_match_elasticsearch(es: Elasticsearch, customers: str, body: dict[str, Any], kind: str | None,
                                    text: str) -> None:
    with pytest.raises(ApiError) as err:
        aggs(es, customers, body)
    # ES answers "cannot accept sub-aggregations" with an aggregation_initialization_exception; the engine
    # reports it as a client error
    assert err.value.status_code == 400 or "sub-aggregations" in text
    if kind is not None:
        assert err.value.error == kind
    assert text in str(err.value.info)


# ---- less common aggregations -----------------------------------------------------------------------
PLACES = "aggs-places"


@pytest.fixture(scope="module")
def places(es: Elasticsearch) -> Iterator[str]:
    es.options(ignore_status=404).indices.delete(index=PLACES)
    es.indices.create(index=PLACES, mappings={"properties": {
        "loc": {"type": "geo_point"}, "ip": {"type": "ip"}, "city": {"type": "keyword"},
        "visits": {"type": "long"}, "seen": {"type": "date"}, "desc": {"type": "text"}}})
    docs = [
        {"city": "Amsterdam", "loc": "52.37,4.89", "ip": "10.0.0.1", "visits": 5, "seen": "2024-01-01T10:00:00Z",
         "desc": "canal bikes"},
        {"city": "Paris", "loc": {"lat": 48.85, "lon": 2.35}, "ip": "10.0.0.200", "visits": 9,
         "seen": "2024-01-03T10:00:00Z", "desc": "museum bikes"},
        {"city": "Berlin", "loc": [13.4, 52.52], "ip": "192.168.1.1", "visits": 2, "seen": "2024-02-01T10:00:00Z",
         "desc": "museum techno"},
        {"city": "Paris", "ip": "::1", "visits": 1, "seen": "2024-05-01T10:00:00Z", "desc": "museum"},
    ]
    helpers.bulk(es, ({"_index": PLACES, "_id": str(i), "_source": d} for i, d in enumerate(docs)), refresh=True)
    yield PLACES
    es.options(ignore_status=404).indices.delete(index=PLACES)


def test_geo_aggregations(es: Elasticsearch, places: str) -> None:
    out = aggs(es, places, {"tiles": {"geotile_grid": {"field": "loc", "precision": 6}},
                            "hashes": {"geohash_grid": {"field": "loc", "precision": 3}},
                            "box": {"geo_bounds": {"field": "loc"}},
                            "center": {"geo_centroid": {"field": "loc"}}})
    assert sum(b["doc_count"] for b in out["tiles"]["buckets"]) == 3
    assert all(b["key"].startswith("6/") for b in out["tiles"]["buckets"])
    assert sorted(b["key"] for b in out["hashes"]["buckets"]) == ["u09", "u17", "u33"]
    box = out["box"]["bounds"]
    assert box["top_left"]["lat"] == pytest.approx(52.52, abs=1e-6)
    assert box["top_left"]["lon"] == pytest.approx(2.35, abs=1e-6)
    assert box["bottom_right"]["lat"] == pytest.approx(48.85, abs=1e-6)
    assert out["center"]["count"] == 3
    assert out["center"]["location"]["lat"] == pytest.approx((52.37 + 48.85 + 52.52) / 3, abs=1e-6)


def test_ip_terms_and_ranges(es: Elasticsearch, places: str) -> None:
    out = aggs(es, places, {"ips": {"terms": {"field": "ip", "order": {"_key": "asc"}}},
                            "r": {"ip_range": {"field": "ip", "ranges": [{"to": "10.0.0.5"}, {"mask": "10.0.0.0/25"}]}}})
    assert [b["key"] for b in out["ips"]["buckets"]] == ["::1", "10.0.0.1", "10.0.0.200", "192.168.1.1"]
    assert [(b["key"], b["doc_count"]) for b in out["r"]["buckets"]] == [("*-10.0.0.5", 2), ("10.0.0.0/25", 1)]
    assert out["r"]["buckets"][1]["to"] == "10.0.0.128"


def test_scripts_and_index_terms(es: Elasticsearch, places: str, customers: str) -> None:
    out = aggs(es, places, {"s": {"terms": {"script": "doc['city'].value + ':' + doc['visits'].value"}},
                            "double": {"sum": {"field": "visits", "script": "_value * 2"}}})
    assert [b["key"] for b in out["s"]["buckets"]] == ["Amsterdam:5", "Berlin:2", "Paris:1", "Paris:9"]
    assert out["double"]["value"] == 34.0
    both = aggs(es, f"{PLACES},{INDEX}", {"i": {"terms": {"field": "_index"}}})["i"]
    assert pairs(both["buckets"]) == [(INDEX, 12), (PLACES, 4)]


def test_rare_significant_multi_terms_and_auto_date_histogram(es: Elasticsearch, places: str) -> None:
    out = aggs(es, places, {"rare": {"rare_terms": {"field": "city"}},
                            "multi": {"multi_terms": {"terms": [{"field": "city"}, {"field": "visits"}], "size": 2}},
                            "auto": {"auto_date_histogram": {"field": "seen", "buckets": 3}}})
    assert [b["key"] for b in out["rare"]["buckets"]] == ["Amsterdam", "Berlin"]
    assert [b["key"] for b in out["multi"]["buckets"]] == [["Amsterdam", 5], ["Berlin", 2]]
    assert out["multi"]["buckets"][0]["key_as_string"] == "Amsterdam|5"
    assert out["auto"]["interval"] == "3M"
    assert [b["doc_count"] for b in out["auto"]["buckets"]] == [3, 1]
    sig = aggs(es, places, {"sig": {"significant_terms": {"field": "city", "min_doc_count": 1}}},
               query={"match": {"desc": "bikes"}})["sig"]
    assert sig["doc_count"] == 2 and sig["bg_count"] == 4
    assert [b["key"] for b in sig["buckets"]] == ["Amsterdam"]


def test_top_hits_inside_nested(es: Elasticsearch, customers: str) -> None:
    out = aggs(es, customers, {"o": {"nested": {"path": "orders"}, "aggs": {"big": {"top_hits": {
        "size": 1, "sort": [{"orders.amount": "desc"}]}}}}})["o"]
    hit = out["big"]["hits"]["hits"][0]
    assert hit["_id"] == "7"
    assert hit["_nested"] == {"field": "orders", "offset": 0}
    assert hit["_source"] == {"product": "laptop", "amount": 1200}
