"""Runtime fields in the embedded engine: search-time `runtime_mappings` and the mapping's `runtime` section."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import ApiError, Elasticsearch

INDEX = "rt-events"
ACTIVITY_VIEW = Path(__file__).resolve().parents[2] / "kibana" / "index-pattern" / "es360-dv-activity.json"
# (timestamp, weekday, hour): 2024-01-01 was a Monday
DOCS = [
    ("2024-01-01T08:15:00Z", "1 Mon", 8, "web", 10.0, "a"),
    ("2024-01-01T09:30:00Z", "1 Mon", 9, "web", 20.0, "b"),
    ("2024-01-03T09:05:00Z", "3 Wed", 9, "app", 5.0, "c"),
    ("2024-01-06T23:59:59Z", "6 Sat", 23, "store", 7.5, "d"),
    ("2024-01-07T00:00:00Z", "7 Sun", 0, "web", 1.0, "e"),
]
HOUR = {"type": "long", "script": {"source": "emit(doc['@timestamp'].value.getHour());"}}


def _activity_runtime() -> dict[str, Any]:
    attrs = json.loads(ACTIVITY_VIEW.read_text())
    attrs = attrs.get("attributes", attrs)
    runtime = attrs["runtimeFieldMap"]
    return json.loads(runtime) if isinstance(runtime, str) else runtime


@pytest.fixture(scope="module")
def events(es: Elasticsearch) -> Elasticsearch:
    es.options(ignore_status=404).indices.delete(index=INDEX)
    es.indices.create(index=INDEX, mappings={"properties": {
        "@timestamp": {"type": "date"}, "channel": {"type": "keyword"}, "amount": {"type": "double"},
        "code": {"type": "keyword"}, "note": {"type": "text"}}})
    ops: list[dict[str, Any]] = []
    for i, (ts, _wd, _h, channel, amount, code) in enumerate(DOCS):
        ops += [{"index": {"_index": INDEX, "_id": str(i)}},
                {"@timestamp": ts, "channel": channel, "amount": amount, "code": code, "raw_count": str(i * 10)}]
    es.bulk(operations=ops, refresh=True)
    return es


def _search(es: Elasticsearch, **body: Any) -> dict[str, Any]:
    return es.search(index=INDEX, **body).body


def test_activity_data_view_scripts(events: Elasticsearch) -> None:
    runtime = _activity_runtime()
    resp = _search(events, runtime_mappings=runtime, size=10, sort=[{"@timestamp": "asc"}],
                   fields=["activity.hour", "activity.weekday"])
    got = [(h["fields"]["activity.weekday"], h["fields"]["activity.hour"]) for h in resp["hits"]["hits"]]
    assert got == [([wd], [hour]) for _ts, wd, hour, *_ in DOCS]
    assert "activity.hour" not in resp["hits"]["hits"][0]["_source"]


def test_heatmap_aggregation(events: Elasticsearch) -> None:
    resp = _search(events, size=0, runtime_mappings=_activity_runtime(), aggs={
        "wd": {"terms": {"field": "activity.weekday", "order": {"_key": "asc"}},
               "aggs": {"h": {"terms": {"field": "activity.hour", "order": {"_key": "asc"}}}}}})
    cells = {(b["key"], h["key"]): h["doc_count"] for b in resp["aggregations"]["wd"]["buckets"]
             for h in b["h"]["buckets"]}
    assert cells == {("1 Mon", 8): 1, ("1 Mon", 9): 1, ("3 Wed", 9): 1, ("6 Sat", 23): 1, ("7 Sun", 0): 1}


def test_queries_on_runtime_fields(events: Elasticsearch) -> None:
    runtime = {**_activity_runtime(), "hour": HOUR}

    def ids(query: dict[str, Any]) -> list[str]:
        resp = _search(events, runtime_mappings=runtime, query=query, sort=[{"@timestamp": "asc"}])
        return [h["_id"] for h in resp["hits"]["hits"]]

    assert ids({"term": {"activity.weekday": "1 Mon"}}) == ["0", "1"]
    assert ids({"terms": {"hour": [9, 23]}}) == ["1", "2", "3"]
    assert ids({"range": {"hour": {"gte": 8, "lt": 10}}}) == ["0", "1", "2"]
    assert ids({"prefix": {"activity.weekday": "6"}}) == ["3"]
    assert ids({"wildcard": {"activity.weekday": "*Su?"}}) == ["4"]
    assert ids({"match": {"activity.weekday": "3 Wed"}}) == ["2"]
    assert ids({"exists": {"field": "hour"}}) == ["0", "1", "2", "3", "4"]
    assert events.count(index=INDEX, query={"term": {"channel": "web"}})["count"] == 3


def test_emit_multiple_values_and_exists(events: Elasticsearch) -> None:
    runtime = {"tags": {"type": "keyword", "script": {
        "source": "if (doc['amount'].value > 6) { emit(doc['channel'].value); emit('big'); }"}}}
    resp = _search(events, runtime_mappings=runtime, query={"exists": {"field": "tags"}},
                   sort=[{"@timestamp": "asc"}], fields=["tags"])
    assert [(h["_id"], h["fields"]["tags"]) for h in resp["hits"]["hits"]] == [
        ("0", ["big", "web"]), ("1", ["big", "web"]), ("3", ["big", "store"])]


def test_histogram_metrics_and_sort(events: Elasticsearch) -> None:
    runtime = {"hour": HOUR, "amount_x2": {"type": "double", "script": {
        "source": "emit(doc['amount'].value * params.factor)", "params": {"factor": 2}}}}
    resp = _search(events, size=5, runtime_mappings=runtime, sort=[{"amount_x2": "desc"}], aggs={
        "by_hour": {"histogram": {"field": "hour", "interval": 12}},
        "total": {"sum": {"field": "amount_x2"}},
        "max_hour": {"max": {"field": "hour"}}})
    assert [h["_id"] for h in resp["hits"]["hits"]] == ["1", "0", "3", "2", "4"]
    assert resp["hits"]["hits"][0]["sort"] == [40.0]
    aggs = resp["aggregations"]
    assert [(b["key"], b["doc_count"]) for b in aggs["by_hour"]["buckets"]] == [(0.0, 4), (12.0, 1)]
    assert aggs["total"]["value"] == pytest.approx(87.0)
    assert aggs["max_hour"]["value"] == 23.0


def test_date_runtime_field_and_date_histogram(events: Elasticsearch) -> None:
    runtime = {"day_start": {"type": "date", "script": {
        "source": "long ms = doc['@timestamp'].value.toInstant().toEpochMilli(); emit(ms - ms % 86400000L)"}},
        "before": {"type": "date", "format": "yyyy-MM-dd HH:mm", "script": {
            "source": "emit(doc['@timestamp'].value.toInstant().minus(5, ChronoUnit.MINUTES).toEpochMilli())"}}}
    resp = _search(events, size=1, runtime_mappings=runtime, sort=[{"@timestamp": "asc"}],
                   fields=["day_start", "before"],
                   aggs={"days": {"date_histogram": {"field": "day_start", "calendar_interval": "day",
                                                     "min_doc_count": 1}}})
    assert resp["hits"]["hits"][0]["fields"] == {"day_start": ["2024-01-01T00:00:00.000Z"],
                                                 "before": ["2024-01-01 08:10"]}
    days = [(b["key_as_string"], b["doc_count"]) for b in resp["aggregations"]["days"]["buckets"]]
    assert days == [("2024-01-01T00:00:00.000Z", 2), ("2024-01-03T00:00:00.000Z", 1),
                    ("2024-01-06T00:00:00.000Z", 1), ("2024-01-07T00:00:00.000Z", 1)]


def test_source_access_and_shadowing(events: Elasticsearch) -> None:
    runtime = {
        "raw_count": {"type": "long"},  # no script: the unmapped-in-type `_source` value, as a long
        "code": {"type": "keyword", "script": {"source": "emit(params._source.code.toUpperCase())"}},
        "is_web": {"type": "boolean", "script": {"source": "emit(params['_source']['channel'] == 'web')"}},
    }
    resp = _search(events, runtime_mappings=runtime, query={"range": {"raw_count": {"gte": 20}}},
                   sort=[{"code": "desc"}], fields=["raw_count", "code", "is_web"])
    hits = [(h["_id"], h["fields"]) for h in resp["hits"]["hits"]]
    assert hits == [("4", {"raw_count": [40], "code": ["E"], "is_web": [True]}),
                    ("3", {"raw_count": [30], "code": ["D"], "is_web": [False]}),
                    ("2", {"raw_count": [20], "code": ["C"], "is_web": [False]})]
    assert _search(events, runtime_mappings=runtime, query={"term": {"is_web": True}})["hits"]["total"]["value"] == 3


def test_composite_aggregation(events: Elasticsearch) -> None:
    resp = _search(events, size=0, runtime_mappings={"hour": HOUR}, aggs={"c": {"composite": {
        "sources": [{"h": {"terms": {"field": "hour"}}}, {"ch": {"terms": {"field": "channel"}}}]}}})
    keys = [(b["key"]["h"], b["key"]["ch"], b["doc_count"]) for b in resp["aggregations"]["c"]["buckets"]]
    assert keys == [(0, "web", 1), (8, "web", 1), (9, "app", 1), (9, "web", 1), (23, "store", 1)]


def test_mapping_runtime_section(es: Elasticsearch) -> None:
    index = "rt-mapped"
    es.options(ignore_status=404).indices.delete(index=index)
    es.indices.create(index=index, mappings={"properties": {"@timestamp": {"type": "date"}},
                                             "runtime": {"hour": HOUR}})
    es.indices.put_mapping(index=index, runtime={"day": {"type": "keyword", "script": {
        "source": "emit(doc['@timestamp'].value.getDayOfWeek().toString())"}}})
    es.index(index=index, id="1", document={"@timestamp": "2024-01-03T09:05:00Z"}, refresh=True)
    mapping = es.indices.get_mapping(index=index)[index]["mappings"]
    assert mapping["runtime"] == {"hour": HOUR, "day": {"type": "keyword", "script": {
        "source": "emit(doc['@timestamp'].value.getDayOfWeek().toString())"}}}
    resp = es.search(index=index, query={"term": {"hour": 9}}, fields=["hour", "day"])
    assert resp["hits"]["hits"][0]["fields"] == {"hour": [9], "day": ["WEDNESDAY"]}
    assert "hour" not in resp["hits"]["hits"][0]["_source"]
    assert es.count(index=index, query={"term": {"day": "WEDNESDAY"}})["count"] == 1
    # the request's runtime_mappings shadow the mapping's
    resp = es.search(index=index, runtime_mappings={"hour": {"type": "long", "script": {"source": "emit(42)"}}},
                     query={"term": {"hour": 42}})
    assert resp["hits"]["total"]["value"] == 1
    es.indices.put_mapping(index=index, runtime={"day": None})
    assert list(es.indices.get_mapping(index=index)[index]["mappings"]["runtime"]) == ["hour"]
    es.indices.delete(index=index)


@pytest.mark.parametrize(("runtime", "error_type", "reason"), [
    ({"f": {"type": "text"}}, "mapper_parsing_exception",
     "The mapper type [text] declared on runtime field [f] does not exist."),
    ({"f": {"script": "emit(1)"}}, "mapper_parsing_exception", "No type specified for runtime field [f]"),
    ({"f": {"type": "long", "bogus": 1}}, "mapper_parsing_exception",
     "unknown parameter [bogus] on runtime field [f] of type [long]"),
    ({"f": {"type": "long", "script": {"source": "emit(doc['amount'].value"}}}, "script_exception", "compile error"),
])
def test_search_errors(events: Elasticsearch, runtime: dict, error_type: str, reason: str) -> None:
    with pytest.raises(ApiError) as info:
        _search(events, runtime_mappings=runtime)
    assert info.value.status_code == 400
    cause = info.value.body["error"]["root_cause"][0]
    assert cause["type"] == error_type
    assert cause["reason"].startswith(reason)


def test_mapping_errors(es: Elasticsearch) -> None:
    with pytest.raises(ApiError) as info:
        es.indices.create(index="rt-bad", mappings={"runtime": {"f": {"type": "geo_shape"}}})
    assert info.value.status_code == 400
    assert info.value.body["error"]["type"] == "mapper_parsing_exception"
    assert "declared on runtime field [f]" in info.value.body["error"]["reason"]
    assert not es.indices.exists(index="rt-bad")


def test_runtime_script_error_is_a_shard_failure(events: Elasticsearch) -> None:
    runtime = {"f": {"type": "long", "script": {"source": "emit('text')"}}}
    with pytest.raises(ApiError) as info:
        _search(events, runtime_mappings=runtime, query={"exists": {"field": "f"}})
    assert info.value.status_code == 400
    assert info.value.body["error"]["type"] == "search_phase_execution_exception"
    assert info.value.body["error"]["root_cause"][0]["type"] == "script_exception"


def test_msearch_scroll_and_point_in_time(events: Elasticsearch) -> None:
    runtime = {"hour": HOUR}
    resp = events.msearch(searches=[{"index": INDEX}, {"runtime_mappings": runtime, "query": {"term": {"hour": 9}}},
                                    {"index": INDEX}, {"query": {"term": {"channel": "web"}}}])
    assert [r["hits"]["total"]["value"] for r in resp["responses"]] == [2, 3]
    page = events.search(index=INDEX, scroll="1m", size=2, runtime_mappings=runtime, sort=[{"hour": "asc"}],
                         fields=["hour"])
    hours = [h["fields"]["hour"][0] for h in page["hits"]["hits"]]
    while page["hits"]["hits"]:
        page = events.scroll(scroll_id=page["_scroll_id"], scroll="1m")
        hours += [h["fields"]["hour"][0] for h in page["hits"]["hits"]]
    assert hours == [0, 8, 9, 9, 23]
    pit = events.open_point_in_time(index=INDEX, keep_alive="1m")["id"]
    try:
        resp = events.search(pit={"id": pit}, runtime_mappings=runtime, query={"range": {"hour": {"gte": 20}}})
        assert [h["_id"] for h in resp["hits"]["hits"]] == ["3"]
    finally:
        events.close_point_in_time(id=pit)


def test_writes_are_seen_by_the_next_search(es: Elasticsearch) -> None:
    index = "rt-writes"
    es.options(ignore_status=404).indices.delete(index=index)
    es.indices.create(index=index, mappings={"properties": {"@timestamp": {"type": "date"}},
                                             "runtime": {"hour": HOUR}})
    es.index(index=index, id="1", document={"@timestamp": "2024-01-03T09:05:00Z"}, refresh=True)

    def hours() -> list[int]:
        resp = es.search(index=index, aggs={"h": {"terms": {"field": "hour"}}}, size=0)
        return sorted(b["key"] for b in resp["aggregations"]["h"]["buckets"])

    assert hours() == [9]
    es.index(index=index, id="2", document={"@timestamp": "2024-01-03T17:00:00Z"}, refresh=True)
    assert hours() == [9, 17]
    es.index(index=index, id="1", document={"@timestamp": "2024-01-03T11:00:00Z"}, refresh=True)
    assert hours() == [11, 17]
    es.delete(index=index, id="2", refresh=True)
    assert hours() == [11]
    es.indices.delete(index=index)


def test_ip_type_on_script_error_and_template(es: Elasticsearch) -> None:
    es.indices.put_index_template(name="rt-tpl", index_patterns=["rt-tpl-*"], template={"mappings": {
        "properties": {"addr": {"type": "keyword"}, "n": {"type": "long"}},
        "runtime": {"ip": {"type": "ip", "script": {"source": "emit(doc['addr'].value)"}},
                    "inv": {"type": "double", "on_script_error": "continue",
                            "script": {"source": "emit(10 / doc['n'].value)"}}}}})
    try:
        es.index(index="rt-tpl-1", id="1", document={"addr": "10.1.2.3", "n": 2}, refresh=True)
        es.index(index="rt-tpl-1", id="2", document={"addr": "192.168.0.9", "n": 0}, refresh=True)
        assert "ip" in es.indices.get_mapping(index="rt-tpl-1")["rt-tpl-1"]["mappings"]["runtime"]
        resp = es.search(index="rt-tpl-1", query={"term": {"ip": "10.1.2.3"}}, fields=["ip", "inv"])
        assert [(h["_id"], h["fields"]) for h in resp["hits"]["hits"]] == [("1", {"ip": ["10.1.2.3"], "inv": [5.0]})]
        assert es.count(index="rt-tpl-1", query={"exists": {"field": "inv"}})["count"] == 1  # n = 0: no value
    finally:
        es.indices.delete(index="rt-tpl-1")
        es.indices.delete_index_template(name="rt-tpl")
    with pytest.raises(ApiError) as info:
        es.indices.create(index="rt-bad-script", mappings={"runtime": {"f": {"type": "long", "script": "emit("}}})
    assert info.value.body["error"]["type"] == "mapper_parsing_exception"
    assert '"script_exception"' in json.dumps(info.value.body["error"]["caused_by"])


def test_painless_arrays_and_date_accessors(events: Elasticsearch) -> None:
    script = ("def t = doc['@timestamp'].value; int[] a = new int[3]; a[0] = t.getYear(); a[1] = t.getMonthValue();"
              " a[2] = t.getDayOfMonth(); String[] parts = new String[a.length];"
              " for (int i = 0; i < a.length; i++) { parts[i] = String.valueOf(a[i]); }"
              " emit(String.join('-', parts) + ' ' + t.getHour() + ':' + t.getMinute() + ' '"
              " + t.getDayOfWeek() + ' ' + (t.toEpochSecond() * 1000 == t.toInstant().toEpochMilli()))")
    resp = _search(events, runtime_mappings={"d": {"type": "keyword", "script": script}},
                   query={"ids": {"values": ["3"]}}, fields=["d"])
    assert resp["hits"]["hits"][0]["fields"]["d"] == ["2024-1-6 23:59 SATURDAY true"]


def test_runtime_fields_reading_each_other(events: Elasticsearch) -> None:
    runtime = {"hour": HOUR, "late": {"type": "boolean", "script": {"source": "emit(doc['hour'].value >= 20)"}},
               "a": {"type": "long", "script": {"source": "emit(doc['b'].value)"}},
               "b": {"type": "long", "script": {"source": "emit(doc['a'].value)"}}}
    resp = _search(events, runtime_mappings=runtime, query={"term": {"late": True}})
    assert [h["_id"] for h in resp["hits"]["hits"]] == ["3"]
    with pytest.raises(ApiError) as info:
        _search(events, runtime_mappings=runtime, query={"exists": {"field": "a"}})
    assert info.value.status_code == 400
    assert "Cyclic dependency" in json.dumps(info.value.body)
