"""Writing a resolution: pipelined bulk requests keep every item's outcome in order; customers are
written from a lazy stream of profiles, unchanged ones skipped and vanished ones deleted."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from elasticsearch import Elasticsearch

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
