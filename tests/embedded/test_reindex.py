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


def test_version_conflicts_answer_409_with_failures(es: Elasticsearch, people: str) -> None:
    es.index(index="rx-taken", id="3", document={"name": "already here"}, refresh=True)
    with pytest.raises(ApiError) as err:
        es.reindex(source={"index": people}, dest={"index": "rx-taken", "op_type": "create"})
    assert err.value.status_code == 409
    body = err.value.body
    assert body["version_conflicts"] == 1 and body["failures"][0]["index"] == "rx-taken"
    assert body["failures"][0]["cause"]["type"] == "version_conflict_engine_exception"
    proceed = es.reindex(source={"index": people}, dest={"index": "rx-taken", "op_type": "create"},
                         conflicts="proceed", refresh=True)
    assert proceed["version_conflicts"] == 25 - proceed["created"] and proceed["failures"] == []


def test_changes_after_the_last_refresh_conflict(es: Elasticsearch) -> None:
    es.options(ignore_status=404).indices.delete(index="rx-nrt")
    es.indices.create(index="rx-nrt", settings={"index.refresh_interval": -1})
    es.index(index="rx-nrt", id="1", document={"v": 1})
    es.indices.refresh(index="rx-nrt")
    es.index(index="rx-nrt", id="1", document={"v": 2})  # not visible to search yet
    with pytest.raises(ApiError) as err:
        es.update_by_query(index="rx-nrt")
    assert err.value.status_code == 409
    assert "required seqNo" in err.value.body["failures"][0]["cause"]["reason"]
    proceed = es.delete_by_query(index="rx-nrt", query={"match_all": {}}, conflicts="proceed")
    assert proceed["deleted"] == 0 and proceed["version_conflicts"] == 1
    assert es.get(index="rx-nrt", id="1")["_source"] == {"v": 2}


def test_reindex_source_filtering_and_scripts(es: Elasticsearch, people: str) -> None:
    resp = es.reindex(source={"index": people, "_source": {"excludes": ["spend"]}, "query": {"ids": {
        "values": ["1", "2", "3"]}}}, dest={"index": "rx-scripted"}, refresh=True, script={"source": """
            if (ctx._id == '2') { ctx.op = 'noop'; return; }
            ctx._id = 'p' + ctx._id;
            ctx._source.country = ctx._source.country.toLowerCase();"""})
    assert resp["created"] == 2 and resp["noops"] == 1
    doc = es.get(index="rx-scripted", id="p1")["_source"]
    assert doc == {"name": "person 1", "country": "de"}


def test_update_by_query_script_ops_and_slices(es: Elasticsearch, people: str) -> None:
    resp = es.update_by_query(index=people, refresh=True, slices=2, script={"source": """
        if (ctx._source.spend >= 20) { ctx.op = 'delete' } else if (ctx._source.spend >= 10) { ctx.op = 'noop' }
        else { ctx._source.spend += 100 }"""})
    assert (resp["updated"], resp["noops"], resp["deleted"]) == (10, 10, 5)
    assert len(resp["slices"]) == 2 and sum(s["total"] for s in resp["slices"]) == 25
    assert es.get(index=people, id="3")["_source"]["spend"] == 103
    with pytest.raises(ApiError) as err:
        es.update_by_query(index=people, script={"source": "ctx._id = 'x'"})
    assert err.value.status_code == 400


def test_max_docs_rethrottle_and_task_status(es: Elasticsearch, people: str) -> None:
    with pytest.raises(ApiError):
        es.delete_by_query(index=people, query={"match_all": {}}, max_docs=-2)
    resp = es.update_by_query(index=people, max_docs=4, requests_per_second=50)
    assert resp["total"] == 4 and resp["updated"] == 4 and resp["requests_per_second"] == 50
    started = es.reindex(source={"index": people}, dest={"index": "rx-task"}, wait_for_completion=False)
    rethrottled = es.reindex_rethrottle(task_id=started["task"], requests_per_second=-1)
    assert started["task"] in next(iter(rethrottled["nodes"].values()))["tasks"]
    done = es.tasks.get(task_id=started["task"], wait_for_completion=True)
    assert done["completed"] is True and done["response"]["created"] == 25
