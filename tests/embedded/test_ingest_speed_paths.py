"""The write path's short cuts give exactly what the general code gives: document field access,
the runner's per-node modes, IngestService.process's metadata hand-over, bulk body parsing and
response encoding."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest

from es360.embedded.api.bulk import parse_bulk
from es360.embedded.errors import EsError
from es360.embedded.ingest import document as document_mod
from es360.embedded.ingest.document import IngestDocument
from es360.embedded.ingest.pipeline import GENERAL, IngestFailure, Runner, parse_pipeline
from es360.embedded.ingest.processors import FACTORIES
from es360.embedded.server import json_payload

SHAPES: dict[str, Any] = {
    "top": 1, "nul": None, "s": "text", "m": {"a": 1, "n": None, "inner": {"x": "y"}, "l": [1, {"z": 2}]},
    "l": [{"a": 1}, [5, 6], None], "e": {},
}
PATHS = ["top", "nul", "missing", "s.x", "m.a", "m.n", "m.n.x", "m.missing", "m.missing.x", "m.inner.x",
         "m.l.0", "m.l.1.z", "m.l.5", "m.l.x", "l.0.a", "l.1.1", "l.2.a", "l.-1", "l.x", "e.a", "top.a",
         "missing.a.b", "_ingest.timestamp", "_ingest.missing.x", "_source.m.a", "_source.missing.x"]


def _doc() -> IngestDocument:
    return IngestDocument(copy.deepcopy(SHAPES), {"timestamp": "2025-01-01T00:00:00Z"})


def _reference_get(doc: IngestDocument, path: str, ignore_missing: bool) -> Any:
    """ES's getFieldValue: resolve every part (raising where ES raises); when that fails and
    ignore_missing, null if the field does not exist."""
    root, parts = doc._root(path)
    context = root
    try:
        for part in parts:
            context = IngestDocument._resolve(part, path, context)
    except EsError:
        if ignore_missing and not doc.has(path):
            return None
        raise
    return context


def _outcome(fn: Any) -> Any:
    try:
        return ("value", fn())
    except EsError as err:
        return ("error", err.type, err.reason)


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("ignore_missing", [False, True])
def test_get_matches_es_field_resolution(path: str, ignore_missing: bool) -> None:
    doc = _doc()
    assert _outcome(lambda: doc.get(path, ignore_missing)) == _outcome(
        lambda: _reference_get(doc, path, ignore_missing))


@pytest.mark.parametrize("path", PATHS)
def test_present_value_is_has_then_get(path: str) -> None:
    doc = _doc()
    expected = _reference_get(doc, path, False) if doc.has(path) else None
    assert doc.present_value(path) == expected


@pytest.mark.parametrize("path", PATHS)
def test_slot_points_at_fields_reached_through_maps_only(path: str) -> None:
    doc = _doc()
    slot = doc.slot(path)
    if slot is None:
        # not reachable through maps alone: a list, a scalar or a missing key on the way
        root, parts = doc._root(path)
        context = root
        for part in parts:
            if not isinstance(context, dict) or part not in context:
                break
            context = context[part]
        else:
            pytest.fail(f"{path} is reachable through maps but slot() gave None")
        return
    holder, key = slot
    assert holder[key] is _reference_get(doc, path, False)


def test_has_for_top_level_fields() -> None:
    doc = _doc()
    assert doc.has("top") and doc.has("nul") and not doc.has("missing")
    assert doc.has("_ingest.timestamp") and not doc.has("_ingest.other")


@pytest.mark.parametrize("micros, expected", [
    (0, "2023-11-14T22:13:20Z"), (123_000, "2023-11-14T22:13:20.123Z"), (123_456, "2023-11-14T22:13:20.123456Z"),
    (1, "2023-11-14T22:13:20.000001Z"), (100_000, "2023-11-14T22:13:20.100Z"), (999_999, "2023-11-14T22:13:20.999999Z"),
])
def test_ingest_timestamp_prints_as_java_does(monkeypatch: pytest.MonkeyPatch, micros: int, expected: str) -> None:
    monkeypatch.setattr(document_mod.time, "time_ns", lambda: (1_700_000_000_000_000 + micros) * 1000)
    assert document_mod.ingest_timestamp() == expected


# ---------------------------------------------------------------------------------------------- runner modes
PIPELINES: list[list[dict[str, Any]]] = [
    [{"set": {"field": "a", "value": 1}}, {"fail": {"message": "boom", "ignore_failure": True}},
     {"set": {"field": "b", "value": 2}}],
    [{"script": {"source": "ctx.partial = 1; throw new IllegalArgumentException('half way')", "ignore_failure": True}},
     {"set": {"field": "after", "value": "{{partial}}"}}],
    [{"set": {"field": "c", "value": 3, "if": "ctx.a == 1"}}, {"set": {"field": "d", "value": 4, "if": "ctx.a == 2"}}],
    [{"set": {"field": "c", "value": 3, "if": "ctx.a.b.c == 1"}}],
    [{"set": {"field": "c", "value": 3, "if": "return 'yes'"}}],
    [{"fail": {"message": "stop {{a}}", "if": "ctx.a == 1", "tag": "t1"}}],
    [{"fail": {"message": "not run", "if": "ctx.a == 2"}}, {"uppercase": {"field": "s"}}],
    [{"lowercase": {"field": "nope", "if": "ctx.a == 1", "ignore_failure": True}}, {"set": {"field": "x", "value": 1}}],
    [{"lowercase": {"field": "nope"}}],
    [{"lowercase": {"field": "nope", "on_failure": [{"set": {"field": "err",
                                                              "value": "{{_ingest.on_failure_message}}"}}]}}],
    [{"uri_parts": {"field": "url.original", "ignore_missing": True, "ignore_failure": True}},
     {"uri_parts": {"field": "bad", "ignore_failure": True}}, {"drop": {"if": "ctx.a == 1"}}],
    [{"set": {"field": "kind", "value": "event", "override": False}},
     {"set": {"field": "s", "value": "kept", "override": False}},
     {"set": {"field": "n", "value": "filled", "override": False}},
     {"set": {"field": "m.n", "value": "filled", "override": False}},
     {"set": {"field": "l.0", "value": "replaced", "override": False}},
     {"set": {"field": "copy", "copy_from": "missing.x", "ignore_empty_value": True}},
     {"set": {"field": "copy2", "copy_from": "m.k", "ignore_empty_value": True}}],
]


def _run(service: Any, processors: list[dict[str, Any]], general: bool) -> Any:
    pipeline = parse_pipeline("modes", {"processors": processors}, FACTORIES, service)
    if general:
        for node in pipeline.processors:
            node.mode = GENERAL
    doc = IngestDocument.create({"a": 1, "s": "Some", "n": None, "m": {"k": "v", "n": None}, "l": ["first"],
                                 "bad": "a b"}, "idx", "1")
    doc.ingest["timestamp"] = "fixed"
    try:
        result = Runner(service).run_pipeline(pipeline, doc)
    except IngestFailure as failure:
        return ("failure", failure.ptype, failure.tag, failure.error.body())
    return None if result is None else result.to_simulate()


@pytest.mark.parametrize("processors", PIPELINES)
def test_runner_modes_match_the_general_node_runner(engine: Any, processors: list[dict[str, Any]]) -> None:
    service = engine.extensions["ingest"]
    assert _run(service, processors, general=False) == _run(service, processors, general=True)


# ---------------------------------------------------------------------------------------------- process()
METADATA_PIPELINES: list[list[dict[str, Any]]] = [
    [],
    [{"set": {"field": "_index", "value": "speed-other"}}],
    [{"remove": {"field": "_id"}}],
    [{"set": {"field": "_id", "value": 7}}],
    [{"script": {"source": "ctx._id = [1]"}}],
    [{"set": {"field": "_routing", "value": "r1"}}],
    [{"set": {"field": "_version", "value": 5}}],
    [{"remove": {"field": "_version"}}],
    [{"set": {"field": "_version_type", "value": "external"}}, {"set": {"field": "_version", "value": 9}}],
    [{"set": {"field": "_if_seq_no", "value": 3}}, {"set": {"field": "_if_primary_term", "value": 1}}],
    [{"set": {"field": "_dynamic_templates", "value": {"a": "b"}}}],
    [{"set": {"field": "_index", "value": ""}}],
    [{"script": {"source": "ctx.remove('_index')"}}],
]


def _process(engine: Any, processors: list[dict[str, Any]], options: dict[str, Any]) -> Any:
    service = engine.extensions["ingest"]
    service.put_pipeline("speed-meta", {"processors": processors})
    try:
        outcome = service.process(engine, "speed-meta-target", "id-1", {"f": 1}, pipeline="speed-meta",
                                  options=options, owned=True)
    except EsError as err:
        return ("error", err.status, err.type, err.reason)
    if outcome is None:
        return None
    target, doc_id, source = outcome
    return (target if isinstance(target, str) else target.name), doc_id, source, options


@pytest.mark.parametrize("processors", METADATA_PIPELINES)
def test_process_hands_over_metadata_as_the_general_path_does(engine: Any, processors: list[dict[str, Any]]) -> None:
    fast = _process(engine, processors, {})
    # a write option that changes nothing (no routing) takes the general extract-and-retarget path
    assert fast == _process(engine, processors, {"routing": None})


# ---------------------------------------------------------------------------------------------- bulk
@pytest.mark.parametrize("body, message", [
    (b"{}\n{}\n", "Malformed action/metadata line [1], expected FIELD_NAME but found [END_OBJECT]"),
    (b"\n\n[1]\n", "Malformed action/metadata line [3], expected START_OBJECT or END_OBJECT but found [list]"),
    (b'{"index": {}, "create": {}}\n', "Malformed action/metadata line [1], expected a simple value for field "
                                       "[index] but found [START_OBJECT]"),
    (b'{"upsert": {}}\n{}\n', "Malformed action/metadata line [1], expected field [create], [delete], [index] "
                              "or [update] but found [upsert]"),
    (b'{"index": 1}\n{}\n', "Malformed action/metadata line [1], expected START_OBJECT but found [int]"),
    (b'{"index": {"_index": "a"}}\n{}\n{"index": {"_idx": "a"}}\n{}\n',
     "Action/metadata line [3] contains an unknown parameter [_idx]"),
    (b'{"delete": {"_index": "a", "_id": "1"}}\nnot json\n', "Malformed action/metadata line [2], expected "
                                                            "START_OBJECT or END_OBJECT but found [VALUE_STRING]"),
])
def test_parse_bulk_rejects_malformed_action_lines(body: bytes, message: str) -> None:
    with pytest.raises(EsError) as caught:
        parse_bulk(body)
    assert caught.value.type == "illegal_argument_exception" and caught.value.reason == message


def test_parse_bulk_items_blank_lines_and_trailing_action() -> None:
    body = (b'  {"index": {"_index": "a", "_id": "1"}}  \n\n \t\n{"f": 1}\n'
            b'{"delete": {"_index": "a", "_id": "2"}}\n'
            b'{"create": {"_index": "a"}}\n{"broken": \n'
            b'{"index": {"_index": "a"}}\n\n')
    items = parse_bulk(body)
    assert [(a, m) for a, m, _ in items] == [("index", {"_index": "a", "_id": "1"}), ("delete", {"_index": "a", "_id": "2"}),
                                            ("create", {"_index": "a"})]
    assert items[0][2] == {"f": 1} and items[1][2] is None
    assert items[2][2].error.type == "document_parsing_exception"


def test_bulk_of_only_whitespace_is_refused(es_url: str) -> None:
    response = httpx.post(f"{es_url}/_bulk", content=b" \n\t\n", headers={"Content-Type": "application/x-ndjson"})
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "parse_exception"
    assert response.json()["error"]["reason"] == "request body is required"


def test_json_payload_writes_non_string_keys_as_strings() -> None:
    assert json_payload({"a": {1: "x", 2.5: "y"}}) == b'{"a":{"1":"x","2.5":"y"}}'
    assert json_payload({"a": [1, "b"]}) == b'{"a":[1,"b"]}'
    assert json_payload({"a": 1}, pretty=True) == b'{\n  "a": 1\n}'
