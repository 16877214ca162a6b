"""The shard request cache as Elasticsearch runs it: which searches it keeps, hit/miss counts in
`_stats`, and what makes an entry stale (a refresh that changes what search sees, a mapping
update, a changed terms-lookup document, `_cache/clear`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from elasticsearch import Elasticsearch

PREFIX = "conf-search-rc"
INDEX = f"{PREFIX}-main"
AGGS = {"m": {"terms": {"field": "tag"}}}


@pytest.fixture()
def client(es: Elasticsearch) -> Iterator[Elasticsearch]:
    es.indices.create(index=INDEX, mappings={"properties": {"tag": {"type": "keyword"},
                                                            "at": {"type": "date"}}})
    es.index(index=INDEX, id="1", document={"tag": "a", "at": "2024-01-01"})
    es.index(index=INDEX, id="2", document={"tag": "b", "at": "2024-01-02"}, refresh=True)
    yield es
    es.options(ignore_status=404).indices.delete(index=f"{PREFIX}*", expand_wildcards="all")


def _counts(es: Elasticsearch, index: str = INDEX) -> tuple[int, int]:
    stats: dict[str, Any] = es.indices.stats(index=index, metric="request_cache")["indices"][index]["total"]
    return stats["request_cache"]["hit_count"], stats["request_cache"]["miss_count"]


def test_size_zero_search_misses_then_hits_with_the_same_answer(client: Elasticsearch) -> None:
    first = client.search(index=INDEX, size=0, aggs=AGGS)
    assert _counts(client) == (0, 1)
    second = client.search(index=INDEX, size=0, aggs=AGGS)
    assert _counts(client) == (1, 1)
    assert second["aggregations"] == first["aggregations"]
    assert second["hits"]["total"] == {"value": 2, "relation": "eq"}
    mem = client.indices.stats(index=INDEX, metric="request_cache")["indices"][INDEX]["total"]
    assert mem["request_cache"]["memory_size_in_bytes"] > 0


def test_hits_are_not_cached_unless_asked(client: Elasticsearch) -> None:
    client.search(index=INDEX, query={"match_all": {}})
    client.search(index=INDEX, query={"match_all": {}})
    assert _counts(client) == (0, 0)
    client.search(index=INDEX, query={"match_all": {}}, request_cache=True)
    again = client.search(index=INDEX, query={"match_all": {}}, request_cache=True)
    assert _counts(client) == (1, 1)
    assert len(again["hits"]["hits"]) == 2
    client.search(index=INDEX, size=0, aggs=AGGS, request_cache=False)
    assert _counts(client) == (1, 1)


def test_a_refresh_that_changes_the_index_makes_a_new_entry(client: Elasticsearch) -> None:
    client.search(index=INDEX, size=0, aggs=AGGS)
    client.index(index=INDEX, id="3", document={"tag": "c"})
    stale = client.search(index=INDEX, size=0, aggs=AGGS)  # not refreshed yet: same reader
    assert _counts(client) == (1, 1)
    assert stale["hits"]["total"]["value"] == 2
    client.indices.refresh(index=INDEX)
    fresh = client.search(index=INDEX, size=0, aggs=AGGS)
    assert _counts(client) == (1, 2)
    assert fresh["hits"]["total"]["value"] == 3
    assert {b["key"] for b in fresh["aggregations"]["m"]["buckets"]} == {"a", "b", "c"}


def test_now_and_unseeded_random_are_never_cached(client: Elasticsearch) -> None:
    for _ in range(2):
        client.search(index=INDEX, size=0, query={"range": {"at": {"lte": "now"}}})
        client.search(index=INDEX, size=0, query={"function_score": {"random_score": {}}})
    assert _counts(client) == (0, 0)


def test_mapping_update_and_clear_cache_start_over(client: Elasticsearch) -> None:
    client.search(index=INDEX, size=0, aggs=AGGS)
    client.indices.put_mapping(index=INDEX, properties={"extra": {"type": "keyword"}})
    client.search(index=INDEX, size=0, aggs=AGGS)
    assert _counts(client) == (0, 2)
    client.indices.clear_cache(index=INDEX, request=True)
    client.search(index=INDEX, size=0, aggs=AGGS)
    assert _counts(client) == (0, 3)


def test_terms_lookup_document_is_part_of_the_key(client: Elasticsearch) -> None:
    lookup = f"{PREFIX}-lookup"
    client.index(index=lookup, id="l", document={"tags": ["a"]}, refresh=True)
    query = {"terms": {"tag": {"index": lookup, "id": "l", "path": "tags"}}}
    assert client.search(index=INDEX, size=0, query=query)["hits"]["total"]["value"] == 1
    assert client.search(index=INDEX, size=0, query=query)["hits"]["total"]["value"] == 1
    assert _counts(client) == (1, 1)
    client.index(index=lookup, id="l", document={"tags": ["a", "b"]})  # a lookup reads in real time
    assert client.search(index=INDEX, size=0, query=query)["hits"]["total"]["value"] == 2
    assert _counts(client) == (1, 2)


def test_index_setting_disables_default_caching(client: Elasticsearch) -> None:
    client.indices.put_settings(index=INDEX, settings={"index.requests.cache.enable": False})
    client.search(index=INDEX, size=0, aggs=AGGS)
    client.search(index=INDEX, size=0, aggs=AGGS)
    assert _counts(client) == (0, 0)
    client.search(index=INDEX, size=0, aggs=AGGS, request_cache=True)
    assert _counts(client) == (0, 1)


def test_an_alias_filter_is_part_of_the_key(client: Elasticsearch) -> None:
    client.indices.put_alias(index=INDEX, name=f"{PREFIX}-only-a", filter={"term": {"tag": "a"}})
    assert client.search(index=INDEX, size=0)["hits"]["total"]["value"] == 2
    assert client.search(index=f"{PREFIX}-only-a", size=0)["hits"]["total"]["value"] == 1
    assert _counts(client) == (0, 2)
