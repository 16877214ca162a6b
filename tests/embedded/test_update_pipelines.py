"""Partial updates of existing documents skip ingest pipelines, as in Elasticsearch (elastic/elasticsearch#36219)."""

from __future__ import annotations

from elasticsearch import Elasticsearch


def test_update_of_an_existing_doc_runs_no_default_or_final_pipeline(es: Elasticsearch) -> None:
    es.ingest.put_pipeline(id="upd-stamp", processors=[{"set": {"field": "stamped", "value": "yes"}}])
    es.indices.create(index="upd-pipelines", settings={"index.default_pipeline": "upd-stamp",
                                                       "index.final_pipeline": "upd-stamp"})
    es.index(index="upd-pipelines", id="1", document={"n": 1})
    assert es.get(index="upd-pipelines", id="1")["_source"] == {"n": 1, "stamped": "yes"}
    es.update(index="upd-pipelines", id="1", doc={"n": 2, "stamped": "no"})
    es.bulk(operations=[{"update": {"_index": "upd-pipelines", "_id": "1"}}, {"doc": {"m": 3}}])
    assert es.get(index="upd-pipelines", id="1")["_source"] == {"n": 2, "stamped": "no", "m": 3}
    es.update(index="upd-pipelines", id="2", doc={"n": 5}, doc_as_upsert=True)  # an upsert creates: pipelines run
    assert es.get(index="upd-pipelines", id="2")["_source"]["stamped"] == "yes"
