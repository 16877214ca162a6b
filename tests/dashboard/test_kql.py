"""The KQL subset: the DSL Kibana would build, the hits it finds, and one-sentence errors for the rest."""

from __future__ import annotations

import pytest
from elasticsearch import Elasticsearch, helpers

from es360.dashboard.kql import KqlError, kql_to_dsl, query_to_dsl


@pytest.mark.parametrize(("kql", "dsl"), [
    ("", {"match_all": {}}),
    ("   ", {"match_all": {}}),
    ("status : open", {"match": {"status": "open"}}),
    ('status : "on hold"', {"match_phrase": {"status": "on hold"}}),
    ("churn.risk : *", {"exists": {"field": "churn.risk"}}),
    ("url.path : /cart*", {"wildcard": {"url.path": {"value": "/cart*"}}}),
    ("churn.risk >= 50", {"range": {"churn.risk": {"gte": "50"}}}),
    ("churn.risk > 50", {"range": {"churn.risk": {"gt": "50"}}}),
    ("x < 2", {"range": {"x": {"lt": "2"}}}),
    ("@timestamp <= \"2026-01-01\"", {"range": {"@timestamp": {"lte": "2026-01-01"}}}),
    ("a : 1 and b : 2", {"bool": {"filter": [{"match": {"a": "1"}}, {"match": {"b": "2"}}]}}),
    ("a : 1 AND b : 2", {"bool": {"filter": [{"match": {"a": "1"}}, {"match": {"b": "2"}}]}}),
    ("not a : 1", {"bool": {"must_not": {"match": {"a": "1"}}}}),
    ("a : 1 or b : 2 and c : 3",  # and binds tighter than or
     {"bool": {"should": [{"match": {"a": "1"}},
                          {"bool": {"filter": [{"match": {"b": "2"}}, {"match": {"c": "3"}}]}}],
               "minimum_should_match": 1}}),
    ("(a : 1 or b : 2) and c : 3",
     {"bool": {"filter": [{"bool": {"should": [{"match": {"a": "1"}}, {"match": {"b": "2"}}],
                                    "minimum_should_match": 1}},
                          {"match": {"c": "3"}}]}}),
    ("stage : (at_risk or \"churned\")",
     {"bool": {"should": [{"match": {"stage": "at_risk"}}, {"match_phrase": {"stage": "churned"}}],
               "minimum_should_match": 1}}),
    (r"name : O\:Brien\ Jr", {"match": {"name": "O:Brien Jr"}}),
    ('name : "say \\"hi\\""', {"match_phrase": {"name": 'say "hi"'}}),
    ("code : 007", {"match": {"code": "007"}}),  # values stay strings: leading zeros survive
])
def test_kql_builds_kibanas_dsl(kql: str, dsl: dict) -> None:
    assert kql_to_dsl(kql) == dsl


@pytest.mark.parametrize(("kql", "fragment"), [
    ("hello", "free text"),
    ("a : \"open", "quoted value is not closed"),
    ("(a : 1", "parenthesis is not closed"),
    ("a : 1)", "unexpected"),
    ("event.* : x", "wildcards in field names"),
    ("items : { id : 1 }", "nested field queries"),
    ("a : 1 or", "expected a field name"),
    ("a : (1 or)", "expected a value"),
    ("a >= *", "single value"),
    ("and : 1", "expected a field name"),
])
def test_unsupported_kql_fails_with_one_sentence(kql: str, fragment: str) -> None:
    with pytest.raises(KqlError) as err:
        kql_to_dsl(kql)
    message = str(err.value)
    assert fragment in message
    assert message.endswith(".") and "\n" not in message


def test_query_objects_accept_only_kuery() -> None:
    assert query_to_dsl({"language": "kuery", "query": "a : 1"}) == {"match": {"a": "1"}}
    assert query_to_dsl(None) == {"match_all": {}}
    assert query_to_dsl({"language": "lucene", "query": ""}) == {"match_all": {}}
    with pytest.raises(KqlError, match="Only KQL"):
        query_to_dsl({"language": "lucene", "query": "a:1 AND b:2"})


def test_kql_finds_what_kibana_would(es: Elasticsearch) -> None:
    index = "dashkql-docs"
    if es.indices.exists(index=index):
        es.indices.delete(index=index)
    es.indices.create(index=index, mappings={"properties": {"stage": {"type": "keyword"}, "risk": {"type": "integer"},
                                                            "path": {"type": "keyword"}}})
    docs = [{"stage": "at_risk", "risk": 80, "path": "/cart/1"}, {"stage": "active", "risk": 10, "path": "/home"},
            {"stage": "churned", "risk": 95}, {"stage": "at risk", "risk": 50, "path": "/cart/2"}]
    helpers.bulk(es, ({"_index": index, "_id": str(i), "_source": d} for i, d in enumerate(docs)), refresh=True)

    def ids(kql: str) -> set[str]:
        hits = es.search(index=index, query=kql_to_dsl(kql), size=10)["hits"]["hits"]
        return {h["_id"] for h in hits}

    assert ids("stage : at_risk") == {"0"}
    assert ids('stage : "at risk"') == {"3"}
    assert ids("risk >= 50 and not stage : churned") == {"0", "3"}
    assert ids("path : *") == {"0", "1", "3"}
    assert ids("path : /cart*") == {"0", "3"}
    assert ids("stage : (active or churned)") == {"1", "2"}
    assert ids("") == {"0", "1", "2", "3"}
