"""One bad bulk item never fails the request: immense keyword terms and engine faults stay per item."""

from __future__ import annotations

from typing import Any

import pytest
from elasticsearch import Elasticsearch


def test_a_keyword_over_lucenes_term_limit_rejects_only_its_document(es: Elasticsearch) -> None:
    es.indices.create(index="immense", mappings={"properties": {
        "k": {"type": "keyword"},
        "t": {"type": "text", "fields": {"raw": {"type": "keyword"}}},
        "short": {"type": "keyword", "ignore_above": 10}}})
    huge = "é" * 20_000  # 40,000 UTF-8 bytes, 20,000 characters
    resp = es.bulk(refresh=True, operations=[
        {"index": {"_index": "immense", "_id": "1"}}, {"k": huge},
        {"index": {"_index": "immense", "_id": "2"}}, {"t": huge},
        {"index": {"_index": "immense", "_id": "3"}}, {"short": huge, "k": "ok"},
        {"index": {"_index": "immense", "_id": "4"}}, {"k": "x" * 32_766},
    ])
    items = [i["index"] for i in resp["items"]]
    for item, field in ((items[0], "k"), (items[1], "t.raw")):
        assert item["status"] == 400
        assert item["error"]["type"] == "illegal_argument_exception"
        assert f'immense term in field="{field}"' in item["error"]["reason"]
        assert item["error"]["caused_by"]["type"] == "max_bytes_length_exceeded_exception"
        assert "got 40000" in item["error"]["caused_by"]["reason"]
    assert items[2]["status"] == 201 and items[3]["status"] == 201  # ignore_above skips; 32,766 bytes fit
    assert es.count(index="immense")["count"] == 2


def test_an_engine_fault_in_one_item_is_that_items_error(es: Elasticsearch, engine: Any,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from es360.embedded.api import bulk

    real = bulk.index_document

    def faulty(engine_: Any, index_name: str, doc_id: str | None, source: Any, **kwargs: Any) -> Any:
        if doc_id == "boom":
            raise RuntimeError("simulated engine fault")
        return real(engine_, index_name, doc_id, source, **kwargs)

    monkeypatch.setattr(bulk, "index_document", faulty)
    resp = es.bulk(refresh=True, operations=[
        {"index": {"_index": "faulty", "_id": "ok"}}, {"n": 1},
        {"index": {"_index": "faulty", "_id": "boom"}}, {"n": 2},
    ])
    ok, boom = (i["index"] for i in resp["items"])
    assert resp["errors"] is True and ok["status"] == 201
    assert boom["status"] == 500 and "simulated engine fault" in boom["error"]["reason"]
