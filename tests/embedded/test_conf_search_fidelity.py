"""Search behaviours matched to Elasticsearch: `stats` on _count, field aliases in leaf queries and
collapse inner hits, optional fractions in `date_time` formats, partial shard failures from an
aggregation's value_type, and keyword `split_queries_on_whitespace` in match queries."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from elasticsearch import BadRequestError, Elasticsearch

PREFIX = "conf-search-fid"


@pytest.fixture()
def client(es: Elasticsearch) -> Iterator[Elasticsearch]:
    yield es
    es.options(ignore_status=404).indices.delete(index=f"{PREFIX}*", expand_wildcards="all")


def test_count_accepts_stats_groups(client: Elasticsearch) -> None:
    client.index(index=f"{PREFIX}-c", document={"a": 1}, refresh=True)
    body = {"query": {"match_all": {}}, "stats": ["g1", "g2"]}
    assert client.count(index=f"{PREFIX}-c", body=body)["count"] == 1
    with pytest.raises(BadRequestError) as bad:
        client.count(index=f"{PREFIX}-c", body={"stats": [1]})
    assert bad.value.body["error"]["type"] == "parsing_exception"
    with pytest.raises(BadRequestError):
        client.count(index=f"{PREFIX}-c", body={"aggs": {}})


@pytest.mark.parametrize("query", [
    {"term": {"n": 1}}, {"terms": {"n": [1]}}, {"range": {"n": {"gte": 1, "lte": 1}}},
    {"match": {"k": "x"}}, {"prefix": {"k": "x"}}, {"wildcard": {"k": "x*"}}, {"term": {"k": {"value": "x"}}},
])
def test_leaf_queries_read_the_target_of_a_field_alias(client: Elasticsearch, query: dict) -> None:
    name = f"{PREFIX}-alias"
    client.indices.create(index=name, mappings={"properties": {
        "n": {"type": "alias", "path": "num"}, "num": {"type": "integer"},
        "k": {"type": "alias", "path": "kw"}, "kw": {"type": "keyword"}}})
    client.index(index=name, id="1", document={"num": 1, "kw": "x"})
    client.index(index=name, id="2", document={"num": 2, "kw": "y"}, refresh=True)
    hits = client.search(index=name, query=query)["hits"]
    assert [h["_id"] for h in hits["hits"]] == ["1"]


def test_collapse_inner_hits_count_docs_of_an_alias_in_another_index(client: Elasticsearch) -> None:
    client.indices.create(index=f"{PREFIX}-g1", mappings={"properties": {"g": {"type": "integer"}}})
    client.indices.create(index=f"{PREFIX}-g2", mappings={"properties": {
        "g": {"type": "alias", "path": "other"}, "other": {"type": "integer"}}})
    client.index(index=f"{PREFIX}-g1", document={"g": 1, "s": 3})
    client.index(index=f"{PREFIX}-g1", document={"g": 1, "s": 2})
    client.index(index=f"{PREFIX}-g2", document={"other": 1, "s": 1}, refresh=True)
    client.indices.refresh(index=f"{PREFIX}-g1")
    res = client.search(index=f"{PREFIX}-g1,{PREFIX}-g2", sort=[{"s": "desc"}],
                        collapse={"field": "g", "inner_hits": {"name": "all"}})
    assert len(res["hits"]["hits"]) == 1
    assert res["hits"]["hits"][0]["inner_hits"]["all"]["hits"]["total"]["value"] == 3


def test_date_time_formats_take_an_optional_fraction(client: Elasticsearch) -> None:
    name = f"{PREFIX}-dates"
    client.indices.create(index=name, mappings={"properties": {
        "d": {"type": "date", "format": "strict_date_time||strict_date"}}})
    for value in ("2021-05-01T07:10:00Z", "2021-05-02T08:34:00.5+01:00", "2021-05-06"):
        client.index(index=name, document={"d": value})
    client.indices.refresh(index=name)
    res = client.search(index=name, size=0, aggs={"r": {"range": {"field": "d", "ranges": [
        {"from": "2021-05-01T00:00:00Z", "to": "2021-05-05T00:00:00Z"}]}}})
    bucket = res["aggregations"]["r"]["buckets"][0]
    assert bucket["doc_count"] == 2
    assert bucket["from_as_string"] == "2021-05-01T00:00:00.000Z"
    with pytest.raises(BadRequestError):
        client.index(index=name, document={"d": "2021-05-01T07:10Z"})


def test_value_type_mismatch_fails_only_that_index(client: Elasticsearch) -> None:
    client.indices.create(index=f"{PREFIX}-vt1", mappings={"properties": {"ip": {"type": "keyword"}}})
    client.indices.create(index=f"{PREFIX}-vt2", mappings={"properties": {"ip": {"type": "ip"}}})
    client.index(index=f"{PREFIX}-vt1", document={"ip": "10.0.0.1"}, refresh=True)
    client.index(index=f"{PREFIX}-vt2", document={"ip": "127.0.0.1"}, refresh=True)
    aggs = {"t": {"terms": {"field": "ip", "value_type": "ip"}}}
    res = client.search(index=f"{PREFIX}-vt1,{PREFIX}-vt2", size=10, aggs=aggs)
    shards = res["_shards"]
    assert (shards["total"], shards["successful"], shards["failed"]) == (2, 1, 1)
    assert shards["failures"][0]["index"] == f"{PREFIX}-vt1"
    assert "incompatible with specified value_type" in shards["failures"][0]["reason"]["reason"]
    assert res["hits"]["total"]["value"] == 1
    assert [h["_index"] for h in res["hits"]["hits"]] == [f"{PREFIX}-vt2"]
    assert [b["key"] for b in res["aggregations"]["t"]["buckets"]] == ["127.0.0.1"]
    with pytest.raises(BadRequestError) as every:
        client.search(index=f"{PREFIX}-vt1", size=0, aggs=aggs)
    assert every.value.body["error"]["type"] == "search_phase_execution_exception"


def test_keyword_split_queries_on_whitespace(client: Elasticsearch) -> None:
    name = f"{PREFIX}-split"
    client.indices.create(index=name, mappings={"properties": {
        "plain": {"type": "keyword"}, "split": {"type": "keyword", "split_queries_on_whitespace": True}}})
    for value in ("foo", "bar", "foo bar"):
        client.index(index=name, document={"plain": value, "split": value})
    client.indices.refresh(index=name)
    count = client.count(index=name, query={"match": {"plain": "foo bar"}})["count"]
    assert count == 1
    assert client.count(index=name, query={"match": {"split": "foo bar"}})["count"] == 2
    assert client.count(index=name, query={"match": {"split": {"query": "foo bar", "operator": "and"}}})[
        "count"] == 0


def _walk(node: dict) -> list[dict]:
    return [node, *[n for d in node["details"] for n in _walk(d)]]


def test_explain_gives_lucene_bm25_breakdowns(client: Elasticsearch) -> None:
    name = f"{PREFIX}-explain"
    client.indices.create(index=name, mappings={"properties": {"text": {"type": "text"}, "tag": {"type": "keyword"}}})
    for text, tag in (("the quick brown fox", "a"), ("jumped over the lazy dog", "b"), ("the end", "a")):
        client.index(index=name, document={"text": text, "tag": tag})
    client.indices.refresh(index=name)
    hit = client.search(index=name, explain=True, query={"match": {"text": {"query": "the", "boost": 2}}})[
        "hits"]["hits"][0]
    top = hit["_explanation"]
    assert top["value"] == hit["_score"]
    assert top["description"].startswith("weight(text:the in ") and top["description"].endswith(
        ") [PerFieldSimilarity], result of:")
    by_text = {n["description"].split(",")[0]: n["value"] for n in _walk(top)}
    assert by_text["boost"] == pytest.approx(4.4)
    assert (by_text["n"], by_text["N"]) == (3, 3)
    assert by_text["k1"] == pytest.approx(1.2) and by_text["b"] == pytest.approx(0.75)
    tf = next(n for n in _walk(top) if n["description"].startswith("tf,"))["value"]
    idf = next(n for n in _walk(top) if n["description"].startswith("idf,"))["value"]
    assert top["value"] == pytest.approx(4.4 * idf * tf, rel=1e-5)

    two = client.search(index=name, explain=True, query={"match": {"text": "quick fox"}})["hits"]["hits"][0]
    assert two["_explanation"]["description"] == "sum of:"
    assert len(two["_explanation"]["details"]) == 2

    kw = client.search(index=name, explain=True, query={"term": {"tag": "a"}})["hits"]["hits"][0]["_explanation"]
    assert kw["description"].startswith("weight(tag:a in ")
    assert any(n["description"] == "b, field omits length norms" for n in _walk(kw))


def test_filter_path_exclusions_reach_any_depth() -> None:
    from es360.embedded.server import filter_path

    body = {"hits": {"hits": [{"_id": "1", "_source": {"properties": {"size": 1}, "name": "a"}}]}}
    assert filter_path(body, "-**._source.properties") == {"hits": {"hits": [{"_id": "1", "_source": {"name": "a"}}]}}
    assert filter_path(body, "**._id") == {"hits": {"hits": [{"_id": "1"}]}}
    assert filter_path(body, "hits.hits._source,-hits.hits._source.name") == {
        "hits": {"hits": [{"_source": {"properties": {"size": 1}}}]}}
