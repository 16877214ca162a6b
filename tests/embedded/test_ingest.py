"""Ingest pipelines on the embedded engine: what a user indexing through pipelines sees."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import ApiError, BadRequestError, Elasticsearch

from es360.embedded.ingest import install
from es360.embedded.server import RunningServer, start_server


def _start(data_dir: Path) -> RunningServer:
    server = start_server(data_dir)
    importlib.import_module("es360.embedded.api.ingest")  # registers the _ingest routes
    install(server.engine)  # no-op once the engine installs its extensions itself
    return server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    srv = _start(tmp_path_factory.mktemp("ingest"))
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def es(server: RunningServer) -> Elasticsearch:
    return Elasticsearch(server.url, request_timeout=30)


NORMALIZE = {
    "description": "normalize CRM contacts",
    "processors": [
        {"trim": {"field": "email"}},
        {"lowercase": {"field": "email"}},
        {"gsub": {"field": "phone", "pattern": "[^0-9+]", "replacement": ""}},
        {"date": {"field": "signup", "formats": ["dd/MM/yyyy HH:mm", "ISO8601"], "timezone": "Europe/Amsterdam"}},
        {"fingerprint": {"fields": ["email", "phone"], "target_field": "contact_fp", "method": "SHA-256"}},
        {"set": {"field": "_id", "copy_from": "contact_fp"}},
        {"set": {"field": "source_system", "value": "{{_index}}"}},
        {"uppercase": {"field": "country", "if": "ctx.country != null && ctx.country.length() == 2"}},
    ],
}


def test_normalization_pipeline_produces_the_expected_document(es: Elasticsearch) -> None:
    es.ingest.put_pipeline(id="normalize", body=NORMALIZE)
    resp = es.index(index="contacts", document={"email": "  Ann@Example.COM ", "phone": "(555) 123-4567",
                                                "signup": "12/06/2010 14:30", "country": "nl"},
                    pipeline="normalize", op_type="index", refresh=True)
    doc = es.get(index="contacts", id=resp["_id"])["_source"]
    assert doc["email"] == "ann@example.com"
    assert doc["phone"] == "5551234567"
    assert doc["@timestamp"] == "2010-06-12T14:30:00.000+02:00"
    assert doc["country"] == "NL"
    assert doc["source_system"] == "contacts"
    # the fingerprint is a deterministic _id: the same contact written twice is one document
    assert resp["_id"] == doc["contact_fp"]
    again = es.index(index="contacts", document={"email": "ann@example.com", "phone": "555-123-4567",
                                                 "signup": "2010-06-12T12:30:00Z", "country": "Netherlands"},
                     pipeline="normalize", op_type="index", refresh=True)
    assert again["_id"] == resp["_id"] and again["result"] == "updated"
    assert es.get(index="contacts", id=resp["_id"])["_source"]["country"] == "Netherlands"


def test_fingerprint_matches_elasticsearch(es: Elasticsearch) -> None:
    # the example from Elasticsearch's fingerprint processor documentation
    out = es.ingest.simulate(body={
        "pipeline": {"processors": [{"fingerprint": {"fields": ["user"]}}]},
        "docs": [{"_source": {"user": {"last_name": "Smith", "first_name": "John", "date_of_birth": "1980-01-15",
                                       "is_active": True}}}],
    })
    assert out["docs"][0]["doc"]["_source"]["fingerprint"] == "WbSUPW4zY1PBPehh2AA/sSxiRjw="


def test_default_and_final_pipelines_apply_from_index_settings(es: Elasticsearch) -> None:
    es.ingest.put_pipeline(id="tag-default", processors=[{"set": {"field": "via", "value": "default"}}])
    es.ingest.put_pipeline(id="tag-final", processors=[{"append": {"field": "seen", "value": ["final"]}}])
    es.indices.create(index="settings-pipelines", settings={"index.default_pipeline": "tag-default",
                                                            "index.final_pipeline": "tag-final"})
    es.index(index="settings-pipelines", id="1", document={"a": 1})
    assert es.get(index="settings-pipelines", id="1")["_source"] == {"a": 1, "via": "default", "seen": ["final"]}
    es.index(index="settings-pipelines", id="2", document={"a": 2}, pipeline="_none")
    assert es.get(index="settings-pipelines", id="2")["_source"] == {"a": 2, "seen": ["final"]}


def test_on_failure_captures_the_failure(es: Elasticsearch) -> None:
    es.ingest.put_pipeline(id="with-on-failure", body={
        "processors": [
            {"rename": {"field": "missing", "target_field": "x", "tag": "rename-missing"}},
            {"set": {"field": "never", "value": True}},
        ],
        "on_failure": [
            {"set": {"field": "error.message", "value": "{{ _ingest.on_failure_message }}"}},
            {"set": {"field": "error.processor", "value": "{{_ingest.on_failure_processor_type}}:"
                                                         "{{_ingest.on_failure_processor_tag}}"}},
        ],
    })
    es.index(index="failures", id="1", document={"a": 1}, pipeline="with-on-failure")
    doc = es.get(index="failures", id="1")["_source"]
    assert doc == {"a": 1, "error": {"message": "field [missing] doesn't exist",
                                     "processor": "rename:rename-missing"}}


def test_a_failing_document_fails_only_its_bulk_item(es: Elasticsearch) -> None:
    es.ingest.put_pipeline(id="to-int", processors=[{"convert": {"field": "n", "type": "integer"}}])
    resp = es.bulk(operations=[
        {"index": {"_index": "bulk-ingest", "_id": "ok"}}, {"n": "42"},
        {"index": {"_index": "bulk-ingest", "_id": "bad"}}, {"n": "forty-two"},
        {"index": {"_index": "bulk-ingest", "_id": "ok2"}}, {"n": "7"},
    ], pipeline="to-int", refresh=True)
    assert resp["errors"] is True
    ok, bad, ok2 = (item["index"] for item in resp["items"])
    assert ok["status"] == 201 and ok2["status"] == 201
    assert bad["status"] == 400
    assert bad["error"]["type"] == "illegal_argument_exception"
    assert bad["error"]["reason"] == "unable to convert [forty-two] to integer"
    assert es.get(index="bulk-ingest", id="ok")["_source"] == {"n": 42}
    assert not es.exists(index="bulk-ingest", id="bad")


def test_drop_and_fail_processors(es: Elasticsearch) -> None:
    es.ingest.put_pipeline(id="gate", processors=[
        {"drop": {"if": "ctx.status == 'spam'"}},
        {"fail": {"if": "ctx.status == 'bad'", "message": "rejected {{status}} record {{_id}}"}},
    ])
    dropped = es.index(index="gated", id="1", document={"status": "spam"}, pipeline="gate")
    assert dropped["result"] == "noop"
    assert not es.exists(index="gated", id="1")
    with pytest.raises(ApiError) as info:
        es.index(index="gated", id="2", document={"status": "bad"}, pipeline="gate")
    assert info.value.body["error"]["type"] == "fail_processor_exception"
    assert info.value.body["error"]["reason"] == "rejected bad record 2"
    es.index(index="gated", id="3", document={"status": "fine"}, pipeline="gate")
    assert es.exists(index="gated", id="3")


def test_painless_if_conditions_and_script_processor(es: Elasticsearch) -> None:
    es.ingest.put_pipeline(id="scripted", processors=[
        {"script": {"source": "ctx.total = 0; for (def line : ctx.lines) { ctx.total += line.qty * params.unit } "
                              "ctx.big = ctx.total > 100", "params": {"unit": 10}}},
        {"set": {"field": "tier", "value": "gold", "if": "ctx.big == true && ctx?.customer?.vip == true"}},
        {"set": {"field": "tier", "value": "standard", "if": "ctx.tier == null"}},
    ])
    out = es.ingest.simulate(id="scripted", docs=[
        {"_source": {"lines": [{"qty": 5}, {"qty": 7}], "customer": {"vip": True}}},
        {"_source": {"lines": [{"qty": 1}]}},
    ])
    first, second = (d["doc"]["_source"] for d in out["docs"])
    assert first["total"] == 120 and first["tier"] == "gold"
    assert second["total"] == 10 and second["tier"] == "standard"


def test_script_errors_have_elasticsearch_shape(es: Elasticsearch) -> None:
    out = es.ingest.simulate(body={
        "pipeline": {"processors": [{"script": {"source": "ctx.a.b.c = 1"}}]},
        "docs": [{"_source": {"a": {}}}],
    })
    error = out["docs"][0]["error"]
    assert error["type"] == "script_exception"
    assert error["reason"] == "runtime error"
    assert error["lang"] == "painless"
    assert error["script"] == "ctx.a.b.c = 1"
    assert error["script_stack"][1].endswith("^---- HERE")
    assert error["caused_by"]["type"] == "null_pointer_exception"
    with pytest.raises(BadRequestError) as info:
        es.ingest.put_pipeline(id="bad-script", processors=[{"script": {"source": "ctx.x = "}}])
    root = info.value.body["error"]["root_cause"][0]
    assert root["type"] == "script_exception"
    assert root["reason"] == "compile error"
    assert root["processor_type"] == "script"


def test_invalid_definitions_are_rejected_at_put(es: Elasticsearch) -> None:
    with pytest.raises(BadRequestError) as info:
        es.ingest.put_pipeline(id="bad", processors=[{"frobnicate": {"field": "x"}}])
    root = info.value.body["error"]["root_cause"][0]
    assert root == {"type": "parse_exception", "reason": "No processor type exists with name [frobnicate]",
                    "processor_type": "frobnicate"}
    with pytest.raises(BadRequestError) as info:
        es.ingest.put_pipeline(id="bad", processors=[{"set": {"field": "x", "value": 1, "foo": 2, "tag": "t"}}])
    root = info.value.body["error"]["root_cause"][0]
    assert root["reason"] == "processor [set] doesn't support one or more provided configuration parameters [foo]"
    assert root["processor_type"] == "set" and root["processor_tag"] == "t"
    with pytest.raises(BadRequestError) as info:
        es.ingest.put_pipeline(id="bad", processors=[{"rename": {"field": "x"}}])
    root = info.value.body["error"]["root_cause"][0]
    assert root["reason"] == "[target_field] required property is missing"
    assert root["property_name"] == "target_field"
    with pytest.raises(ApiError):
        es.ingest.get_pipeline(id="bad")


def test_simulate_verbose_shape(es: Elasticsearch) -> None:
    out = es.ingest.simulate(verbose=True, body={
        "pipeline": {"processors": [
            {"set": {"field": "a", "value": 1, "tag": "first"}},
            {"rename": {"field": "nope", "target_field": "b", "ignore_failure": True}},
            {"drop": {"if": "ctx.a == 2"}},
        ]},
        "docs": [{"_index": "i", "_id": "1", "_source": {}}],
    })
    first, ignored, skipped = out["docs"][0]["processor_results"]
    assert first["processor_type"] == "set" and first["status"] == "success" and first["tag"] == "first"
    assert first["doc"]["_source"] == {"a": 1}
    assert first["doc"]["_index"] == "i" and first["doc"]["_id"] == "1"
    assert set(first["doc"]["_ingest"]) == {"timestamp", "pipeline"}
    assert ignored["status"] == "error_ignored"
    assert ignored["ignored_error"]["error"]["reason"] == "field [nope] doesn't exist"
    assert skipped == {"processor_type": "drop", "status": "skipped", "if": {"condition": "ctx.a == 2",
                                                                             "result": False}}


def test_pipeline_processor_and_cycles(es: Elasticsearch) -> None:
    es.ingest.put_pipeline(id="inner", processors=[{"append": {"field": "trail", "value": "{{_ingest.pipeline}}"}}])
    es.ingest.put_pipeline(id="outer", processors=[{"append": {"field": "trail", "value": "{{_ingest.pipeline}}"}},
                                                   {"pipeline": {"name": "inner"}}])
    out = es.ingest.simulate(id="outer", docs=[{"_source": {}}])
    assert out["docs"][0]["doc"]["_source"]["trail"] == ["outer", "inner"]
    es.ingest.put_pipeline(id="loop-a", processors=[{"pipeline": {"name": "loop-b"}}])
    es.ingest.put_pipeline(id="loop-b", processors=[{"pipeline": {"name": "loop-a"}}])
    with pytest.raises(ApiError) as info:
        es.index(index="loops", document={}, pipeline="loop-a")
    assert info.value.body["error"]["reason"] == "Cycle detected for pipeline: loop-a"


def test_foreach_dissect_kv_csv_and_json(es: Elasticsearch) -> None:
    out = es.ingest.simulate(pipeline={"processors": [
        {"foreach": {"field": "tags", "processor": {"trim": {"field": "_ingest._value"}}}},
        {"dissect": {"field": "line", "pattern": "%{ts} [%{level}] %{msg}"}},
        {"kv": {"field": "query", "field_split": "&", "value_split": "=", "target_field": "params"}},
        {"csv": {"field": "row", "target_fields": ["first", "last"]}},
        {"json": {"field": "payload", "target_field": "parsed"}},
        {"grok": {"field": "access", "patterns": ["%{IP:client} %{WORD:verb} %{NUMBER:bytes:int}"]}},
    ]}, docs=[{"_source": {"tags": [" a ", "b "], "line": "2024-01-01 [WARN] disk low", "query": "a=1&b=2",
                           "row": '"Ann","O\'Neil"', "payload": '{"k": [1, 2]}', "access": "10.0.0.1 GET 512"}}])
    src = out["docs"][0]["doc"]["_source"]
    assert src["tags"] == ["a", "b"]
    assert (src["ts"], src["level"], src["msg"]) == ("2024-01-01", "WARN", "disk low")
    assert src["params"] == {"a": "1", "b": "2"}
    assert (src["first"], src["last"]) == ("Ann", "O'Neil")
    assert src["parsed"] == {"k": [1, 2]}
    assert (src["client"], src["verb"], src["bytes"]) == ("10.0.0.1", "GET", 512)


def test_update_api_scripts(es: Elasticsearch) -> None:
    es.index(index="counters", id="1", document={"count": 1, "tags": []}, refresh=True)
    es.update(index="counters", id="1", script={"source": "ctx._source.count += params.by; "
                                                          "ctx._source.tags.add('x')", "params": {"by": 2}})
    assert es.get(index="counters", id="1")["_source"] == {"count": 3, "tags": ["x"]}
    noop = es.update(index="counters", id="1", script="if (ctx._source.count > 1) { ctx.op = 'noop' }")
    assert noop["result"] == "noop"
    deleted = es.update(index="counters", id="1", script="ctx.op = 'delete'")
    assert deleted["result"] == "deleted"
    with pytest.raises(BadRequestError) as info:
        es.index(index="counters", id="2", document={"count": 1})
        es.update(index="counters", id="2", script="ctx._source.count.foo()")
    assert info.value.body["error"]["type"] == "script_exception"


def test_pipeline_crud_wildcards_and_persistence(tmp_path: Path) -> None:
    srv = _start(tmp_path)
    client = Elasticsearch(srv.url)
    try:
        client.ingest.put_pipeline(id="p-one", description="one", version=3,
                                   processors=[{"set": {"field": "x", "value": 1}}], meta={"owner": "es360"})
        client.ingest.put_pipeline(id="p-two", processors=[])
        assert set(client.ingest.get_pipeline(id="p-*")) == {"p-one", "p-two"}
    finally:
        srv.stop()
    srv = _start(tmp_path)
    client = Elasticsearch(srv.url)
    try:
        got = client.ingest.get_pipeline(id="p-one")["p-one"]
        assert got == {"description": "one", "version": 3, "processors": [{"set": {"field": "x", "value": 1}}],
                       "_meta": {"owner": "es360"}}
        client.index(index="after-restart", id="1", document={}, pipeline="p-one", refresh=True)
        assert client.get(index="after-restart", id="1")["_source"] == {"x": 1}
        client.ingest.delete_pipeline(id="p-*")
        with pytest.raises(ApiError) as info:
            client.ingest.delete_pipeline(id="p-*")
        assert info.value.status_code == 404
        assert info.value.body["error"]["reason"] == "pipeline [p-*] is missing"
    finally:
        srv.stop()


def test_missing_pipeline_is_reported(es: Elasticsearch) -> None:
    with pytest.raises(BadRequestError) as info:
        es.index(index="anything", document={"a": 1}, pipeline="does-not-exist")
    assert info.value.body["error"]["reason"] == "pipeline with id [does-not-exist] does not exist"


def _source(resp: Any) -> Any:
    return resp["_source"]
