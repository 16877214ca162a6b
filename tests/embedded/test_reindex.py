"""_reindex, _update_by_query, _delete_by_query and tasks, as a data engineer uses them."""

from __future__ import annotations

import time

import pytest
from elasticsearch import ApiError, Elasticsearch, helpers


@pytest.fixture()
def people(es: Elasticsearch) -> str:
    name = "rx-people"
    es.options(ignore_status=404).indices.delete(index="rx-*")
    es.indices.create(index=name, mappings={"properties": {"name": {"type": "text"},
                                                           "country": {"type": "keyword"},
                                                           "spend": {"type": "double"}}})
    helpers.bulk(es, ({"_index": name, "_id": str(i), "_source": {"name": f"person {i}",
                                                                  "country": "DE" if i % 2 else "FR",
                                                                  "spend": float(i)}} for i in range(25)),
                 refresh=True)
    return name


def test_reindex_copies_everything_and_counts_reconcile(es: Elasticsearch, people: str) -> None:
    resp = es.reindex(source={"index": people, "size": 10}, dest={"index": "rx-copy"}, refresh=True)
    assert resp["total"] == 25 and resp["created"] == 25 and resp["updated"] == 0
    assert resp["batches"] == 3 and resp["failures"] == []
    assert es.count(index="rx-copy")["count"] == 25
    assert es.get(index="rx-copy", id="7")["_source"]["name"] == "person 7"
    again = es.reindex(source={"index": people}, dest={"index": "rx-copy"}, refresh=True)
    assert again["updated"] == 25 and again["created"] == 0  # deterministic ids: a re-run is idempotent


def test_reindex_with_query_max_docs_and_create_conflicts(es: Elasticsearch, people: str) -> None:
    resp = es.reindex(source={"index": people, "query": {"term": {"country": "DE"}}}, dest={"index": "rx-de"},
                      max_docs=5, refresh=True)
    assert resp["total"] == 5 and resp["created"] == 5
    proceed = es.reindex(source={"index": people, "query": {"term": {"country": "DE"}}},
                         dest={"index": "rx-de", "op_type": "create"}, conflicts="proceed", refresh=True)
    assert proceed["version_conflicts"] == 5 and proceed["created"] == 7
    with pytest.raises(ApiError) as err:
        es.reindex(source={"index": people}, dest={"index": people})
    assert err.value.status_code == 400


def test_update_and_delete_by_query(es: Elasticsearch, people: str) -> None:
    resp = es.update_by_query(index=people, query={"term": {"country": "FR"}}, refresh=True)
    assert resp["updated"] == 13 and resp["version_conflicts"] == 0
    assert es.get(index=people, id="0")["_version"] == 2
    deleted = es.delete_by_query(index=people, query={"range": {"spend": {"gte": 20}}}, refresh=True)
    assert deleted["deleted"] == 5
    assert es.count(index=people)["count"] == 20


def test_delete_by_query_as_a_task(es: Elasticsearch, people: str) -> None:
    started = es.delete_by_query(index=people, query={"match_all": {}}, wait_for_completion=False, refresh=True)
    task_id = started["task"]
    for _ in range(100):
        status = es.tasks.get(task_id=task_id)
        if status["completed"]:
            break
        time.sleep(0.05)
    assert status["completed"] is True
    assert status["response"]["deleted"] == 25
    assert es.count(index=people)["count"] == 0
