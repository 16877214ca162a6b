"""Writing a resolution: pipelined bulk requests keep every item's outcome in order; customers are
written from a lazy stream of profiles, unchanged ones skipped and vanished ones deleted."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from elastic_transport import ApiResponseMeta, HttpHeaders
from elasticsearch import ApiError, Elasticsearch

from es360.identity import store
from es360.identity.store import WriteReport, write_customers


@pytest.fixture()
def strict_index(es: Elasticsearch) -> str:
    name = "store-writes"
    es.options(ignore_status=404).indices.delete(index=name)
    es.indices.create(index=name, mappings={"dynamic": "strict", "properties": {"n": {"type": "integer"},
                                                                                 "resolution": {"properties": {"run_id": {"type": "keyword"}}}}})
    return name


def test_pipelined_requests_report_each_item_in_order(es: Elasticsearch, strict_index: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store, "CHUNK_SIZE", 7)  # many small requests, several in flight
    bad = {5, 23, 40}
    actions = [{"_index": strict_index, "_id": str(i), "_source": {"n": i} if i not in bad else {"other": i}}
               for i in range(50)]
    outcomes = list(store._pipelined(es, actions, {}))
    assert len(outcomes) == 50
    assert [i for i, (ok, _info) in enumerate(outcomes) if not ok] == sorted(bad)
    assert [info["index"]["_id"] for _ok, info in outcomes] == [str(i) for i in range(50)]
    failed = outcomes[23][1]["index"]
    assert failed["status"] == 400 and failed["error"]["type"] == "strict_dynamic_mapping_exception"
    report = WriteReport()
    assert store._bulk(es, iter(actions), report) == 47
    assert len(report.errors) == 3 and report.errors[0].startswith(f"{strict_index}/5:")


def test_customers_from_a_lazy_stream(es: Elasticsearch, strict_index: str) -> None:
    es.index(index=strict_index, id="keep", document={"n": 1, "resolution": {"run_id": "old"}})
    es.index(index=strict_index, id="gone", document={"n": 2, "resolution": {"run_id": "old"}})
    es.index(index=strict_index, id="change", document={"n": 3, "resolution": {"run_id": "old"}}, refresh=True)
    existing = {h["_id"]: h["_source"] for h in es.search(index=strict_index, size=10)["hits"]["hits"]}
    built: list[str] = []

    def profiles() -> Iterator[tuple[str, dict[str, Any]]]:
        for cid, n in (("keep", 1), ("change", 30), ("new", 4)):
            built.append(cid)
            yield cid, {"n": n, "resolution": {}}

    report = WriteReport()
    write_customers(es, strict_index, profiles(), existing, "run-2", report)
    es.indices.refresh(index=strict_index)
    now = {h["_id"]: h["_source"] for h in es.search(index=strict_index, size=10)["hits"]["hits"]}
    assert built == ["keep", "change", "new"]
    assert (report.customers_written, report.customers_deleted, report.errors) == (2, 1, [])
    assert now == {"keep": {"n": 1, "resolution": {"run_id": "old"}},
                   "change": {"n": 30, "resolution": {"run_id": "run-2"}},
                   "new": {"n": 4, "resolution": {"run_id": "run-2"}}}


class _Busy:
    """A stand-in client whose bulk answers 429 for chosen items (or whole requests) a few times."""

    def __init__(self, item_refusals: int = 0, request_refusals: int = 0, status: int = 429) -> None:
        self.item_refusals, self.request_refusals, self.status = item_refusals, request_refusals, status
        self.bodies: list[bytes] = []

    def bulk(self, operations: bytes, **params: Any) -> dict[str, Any]:
        self.bodies.append(operations)
        if self.request_refusals:
            self.request_refusals -= 1
            meta = ApiResponseMeta(status=self.status, http_version="1.1", headers=HttpHeaders(), duration=0.0,
                                   node=None)  # type: ignore[arg-type]
            raise ApiError("refused", meta, {"error": {"type": "x", "reason": "cluster says no"}})
        lines = [line for line in operations.split(b"\n") if line]
        ids = [json.loads(line)[op]["_id"] for line in lines for op in ("index", "delete", "update")
               if op in json.loads(line)]
        items = []
        for doc_id in ids:
            busy = self.item_refusals and doc_id == "1"
            items.append({"index": {"_id": doc_id, "status": 429 if busy else 201}})
        if self.item_refusals:
            self.item_refusals -= 1
        return {"items": items}


def test_items_refused_with_429_are_sent_again_and_keep_their_place() -> None:
    client = _Busy(item_refusals=2)
    actions = [{"_index": "x", "_id": str(i), "_source": {"n": i}} for i in range(3)]
    waits: list[float] = []
    outcomes = store._send(client, actions, {}, sleep=waits.append)  # type: ignore[arg-type]
    assert [ok for ok, _ in outcomes] == [True, True, True]
    assert [info["index"]["_id"] for _, info in outcomes] == ["0", "1", "2"]
    assert waits == [1.0, 2.0] and len(client.bodies) == 3 and client.bodies[1].count(b'"_id":"1"') == 1


def test_a_request_refused_as_a_whole_fails_each_item_with_the_reason() -> None:
    client = _Busy(request_refusals=1, status=400)
    actions = [{"_op_type": "delete", "_index": "x", "_id": "a"},
               {"_op_type": "update", "_index": "x", "_id": "b", "doc": {"n": 1}}]
    outcomes = store._send(client, actions, {}, sleep=lambda s: None)  # type: ignore[arg-type]
    assert [ok for ok, _ in outcomes] == [False, False]
    assert outcomes[1][1]["update"] == {"_index": "x", "_id": "b", "status": 400, "error": "cluster says no"}
    busy = _Busy(request_refusals=99)
    outcomes = store._send(busy, actions[:1], {}, sleep=lambda s: None)  # type: ignore[arg-type]
    assert outcomes[0][1]["delete"]["status"] == 429 and len(busy.bodies) == store.MAX_RETRIES + 1
