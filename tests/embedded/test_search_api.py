"""The search API as users see it: highlighting, kNN, hybrid and RRF ranking, point in time, scroll,
msearch, search_after, collapse, rescore, the fields API and ES's validation errors."""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest
from elasticsearch import ApiError, Elasticsearch, NotFoundError, helpers

DOCS = [
    {"title": "The quick brown fox jumps over the lazy dog", "tag": "animal", "n": 1, "vec": [1.0, 0.0, 0.0],
     "born": "2020-01-02"},
    {"title": "A quick guide to brown bread", "tag": "food", "n": 2, "vec": [0.0, 1.0, 0.0], "born": "2021-03-04"},
    {"title": "Slow green turtles", "tag": "animal", "n": 3, "vec": [0.8, 0.6, 0.0], "born": "2022-05-06"},
    {"title": "Bread and butter", "tag": "food", "n": 4, "vec": [0.0, 0.0, 1.0], "born": "2023-07-08"},
]


@pytest.fixture()
def books(es: Elasticsearch) -> Iterator[str]:
    name = "sa-books"
    es.options(ignore_status=404).indices.delete(index=name)
    es.indices.create(index=name, mappings={"properties": {
        "title": {"type": "text"}, "tag": {"type": "keyword"}, "n": {"type": "integer"},
        "vec": {"type": "dense_vector", "dims": 3, "index": True, "similarity": "cosine"},
        "born": {"type": "date"}, "lines": {"type": "text"},
        "chapters": {"type": "nested", "properties": {"name": {"type": "text"}, "pages": {"type": "integer"}}},
    }})
    helpers.bulk(es, ({"_index": name, "_id": str(i + 1), "_source": d} for i, d in enumerate(DOCS)), refresh=True)
    yield name
    es.options(ignore_status=404).indices.delete(index=name)


def ids(resp: dict) -> list[str]:
    return [h["_id"] for h in resp["hits"]["hits"]]


# ---- highlighting ---------------------------------------------------------------------------------
def test_highlight_wraps_matched_terms_in_em(es: Elasticsearch, books: str) -> None:
    resp = es.search(index=books, query={"match": {"title": "quick fox"}}, highlight={"fields": {"title": {}}})
    by_id = {h["_id"]: h["highlight"]["title"] for h in resp["hits"]["hits"]}
    assert by_id["1"] == ["The <em>quick</em> brown <em>fox</em> jumps over the lazy dog"]
    assert by_id["2"] == ["A <em>quick</em> guide to brown bread"]


def test_highlight_phrase_custom_tags_and_multi_values(es: Elasticsearch, books: str) -> None:
    es.index(index=books, id="m", document={"title": "x", "lines": ["brown bread is good", "no match here",
                                                                   "more brown bread"]}, refresh=True)
    resp = es.search(index=books, query={"match_phrase": {"lines": "brown bread"}},
                     highlight={"pre_tags": ["<b>"], "post_tags": ["</b>"], "fields": {"lines": {}}})
    assert ids(resp) == ["m"]
    fragments = resp["hits"]["hits"][0]["highlight"]["lines"]
    assert len(fragments) == 2 and all("<b>" in f and "bread" in f for f in fragments)
    assert not any("no match" in f for f in fragments)


def test_highlight_no_match_size_and_whole_field(es: Elasticsearch, books: str) -> None:
    long_text = "alpha " * 40 + "needle " + "omega " * 40
    es.index(index=books, id="long", document={"title": long_text, "lines": "nothing relevant at all"}, refresh=True)
    resp = es.search(index=books, query={"match": {"title": "needle"}},
                     highlight={"fields": {"title": {"fragment_size": 30}, "lines": {"no_match_size": 7}},
                                "require_field_match": False})
    hl = resp["hits"]["hits"][0]["highlight"]
    assert "<em>needle</em>" in hl["title"][0] and len(hl["title"][0]) < len(long_text)
    assert hl["lines"] == ["nothing"]
    whole = es.search(index=books, query={"match": {"title": "needle"}},
                      highlight={"fields": {"title": {"number_of_fragments": 0}}})
    assert whole["hits"]["hits"][0]["highlight"]["title"][0].replace("<em>", "").replace("</em>", "") == long_text


# ---- kNN, hybrid, RRF -----------------------------------------------------------------------------
def test_knn_returns_nearest_in_order_with_cosine_score(es: Elasticsearch, books: str) -> None:
    resp = es.search(index=books, knn={"field": "vec", "query_vector": [1.0, 0.1, 0.0], "k": 3,
                                       "num_candidates": 10}, source=False)
    assert ids(resp) == ["1", "3", "2"]
    assert resp["hits"]["total"]["value"] == 3
    q = [1.0, 0.1, 0.0]
    cos = (0.8 * q[0] + 0.6 * q[1]) / math.sqrt(q[0] ** 2 + q[1] ** 2)
    assert resp["hits"]["hits"][1]["_score"] == pytest.approx((1 + cos) / 2, rel=1e-5)


def test_knn_filter_and_validation(es: Elasticsearch, books: str) -> None:
    resp = es.search(index=books, knn={"field": "vec", "query_vector": [1.0, 0.0, 0.0], "k": 2,
                                       "num_candidates": 10, "filter": {"term": {"tag": "food"}}})
    assert ids(resp) == ["2", "4"]
    with pytest.raises(ApiError) as err:
        es.search(index=books, knn={"field": "vec", "query_vector": [1.0, 0.0], "k": 2, "num_candidates": 10})
    assert err.value.meta.status == 400 and "different number of dimensions" in str(err.value.body)
    with pytest.raises(ApiError) as err:
        es.search(index=books, knn={"field": "vec", "query_vector": [1.0, 0.0, 0.0], "k": 20, "num_candidates": 10})
    assert err.value.meta.status == 400 and "[num_candidates] cannot be less than [k]" in str(err.value.body)


def test_hybrid_query_plus_knn_sums_scores(es: Elasticsearch, books: str) -> None:
    query = {"match": {"title": "bread"}}
    knn = {"field": "vec", "query_vector": [0.0, 1.0, 0.0], "k": 1, "num_candidates": 10}
    text = {h["_id"]: h["_score"] for h in es.search(index=books, query=query)["hits"]["hits"]}
    vec = {h["_id"]: h["_score"] for h in es.search(index=books, knn=knn)["hits"]["hits"]}
    both = es.search(index=books, query=query, knn=knn)
    assert both["hits"]["total"]["value"] == len(set(text) | set(vec))
    for hit in both["hits"]["hits"]:
        assert hit["_score"] == pytest.approx(text.get(hit["_id"], 0) + vec.get(hit["_id"], 0), rel=1e-5)
    assert ids(both)[0] == "2"


def test_rrf_retriever_fuses_ranks(es: Elasticsearch, books: str) -> None:
    resp = es.search(index=books, retriever={"rrf": {"retrievers": [
        {"standard": {"query": {"match": {"title": "quick fox"}}}},
        {"knn": {"field": "vec", "query_vector": [0.0, 1.0, 0.0], "k": 2, "num_candidates": 10}},
    ], "rank_constant": 60, "rank_window_size": 10}})
    top = resp["hits"]["hits"][0]
    assert top["_id"] == "2"  # second in the text ranking, first in the vector ranking
    assert top["_score"] == pytest.approx(1 / 62 + 1 / 61, rel=1e-5)
    with pytest.raises(ApiError) as err:
        es.search(index=books, query={"match_all": {}}, retriever={"standard": {"query": {"match_all": {}}}})
    assert "cannot specify [retriever] and [query]" in str(err.value.body)


# ---- point in time, scroll, search_after -----------------------------------------------------------
def test_point_in_time_keeps_a_stable_view(es: Elasticsearch, books: str) -> None:
    pit = es.open_point_in_time(index=books, keep_alive="1m")["id"]
    try:
        es.index(index=books, id="new", document={"title": "added later", "n": 9}, refresh=True)
        es.delete(index=books, id="1", refresh=True)
        frozen = es.search(pit={"id": pit, "keep_alive": "1m"}, size=20, sort=[{"n": "asc"}])
        assert ids(frozen) == ["1", "2", "3", "4"]
        assert frozen["pit_id"] == pit
        assert frozen["hits"]["hits"][0]["_source"]["title"].startswith("The quick")
        assert len(frozen["hits"]["hits"][0]["sort"]) == 2  # the implicit _shard_doc tiebreaker
        page = es.search(pit={"id": pit}, size=2, sort=[{"n": "asc"}],
                         search_after=frozen["hits"]["hits"][1]["sort"])
        assert ids(page) == ["3", "4"]
        live = es.search(index=books, size=20, sort=[{"n": "asc"}])
        assert ids(live) == ["2", "3", "4", "new"]
        with pytest.raises(ApiError) as err:
            es.search(index=books, pit={"id": pit})
        assert err.value.meta.status == 400
    finally:
        assert es.close_point_in_time(id=pit)["succeeded"] is True
    with pytest.raises(NotFoundError):
        es.search(pit={"id": pit})


def test_point_in_time_survives_a_compaction(es: Elasticsearch, engine: object, books: str) -> None:
    pit = es.open_point_in_time(index=books, keep_alive="1m")["id"]
    es.delete(index=books, id="2", refresh=True)
    engine.indices[books].compact()  # type: ignore[attr-defined]  # a merge drops deleted docs for good
    es.index(index=books, id="5", document={"title": "after the merge", "n": 5}, refresh=True)
    frozen = es.search(pit={"id": pit}, size=20, sort=[{"n": "asc"}])
    assert ids(frozen) == ["1", "2", "3", "4"]
    assert frozen["hits"]["hits"][1]["_source"]["title"] == "A quick guide to brown bread"
    assert ids(es.search(index=books, size=20, sort=[{"n": "asc"}])) == ["1", "3", "4", "5"]
    es.close_point_in_time(id=pit)


def test_scroll_pages_through_everything_exactly_once(es: Elasticsearch) -> None:
    name = "sa-scroll"
    es.options(ignore_status=404).indices.delete(index=name)
    helpers.bulk(es, ({"_index": name, "_id": str(i), "_source": {"n": i}} for i in range(23)), refresh=True)
    resp = es.search(index=name, scroll="1m", size=5, sort=["n"])
    scroll_id = resp["_scroll_id"]
    seen = ids(resp)
    es.index(index=name, id="late", document={"n": -1}, refresh=True)  # not part of the frozen result
    while True:
        resp = es.scroll(scroll_id=scroll_id, scroll="1m")
        if not resp["hits"]["hits"]:
            break
        seen += ids(resp)
        assert resp["hits"]["total"]["value"] == 23
    assert seen == [str(i) for i in range(23)]
    assert es.clear_scroll(scroll_id=scroll_id)["num_freed"] == 1
    with pytest.raises(NotFoundError):
        es.scroll(scroll_id=scroll_id, scroll="1m")
    es.indices.delete(index=name)


def test_search_after_pages_without_overlap(es: Elasticsearch) -> None:
    name = "sa-after"
    es.options(ignore_status=404).indices.delete(index=name)
    es.indices.create(index=name, mappings={"properties": {"score": {"type": "integer"}, "key": {"type": "keyword"}}})
    helpers.bulk(es, ({"_index": name, "_id": str(i), "_source": {"score": i % 4, "key": f"k{i:02d}"}}
                      for i in range(17)), refresh=True)
    sort = [{"score": "desc"}, {"key": "asc"}]
    pages, after = [], None
    while True:
        resp = es.search(index=name, size=5, sort=sort, **({"search_after": after} if after else {}))
        if not resp["hits"]["hits"]:
            break
        pages.append(ids(resp))
        after = resp["hits"]["hits"][-1]["sort"]
    flat = [i for p in pages for i in p]
    assert len(flat) == 17 and len(set(flat)) == 17
    assert [len(p) for p in pages] == [5, 5, 5, 2]
    es.indices.delete(index=name)


# ---- msearch, collapse, rescore, fields -----------------------------------------------------------
def test_msearch_reports_errors_per_item(es: Elasticsearch, books: str) -> None:
    resp = es.msearch(searches=[{"index": books}, {"query": {"match": {"title": "bread"}}},
                                {"index": "sa-missing"}, {"query": {"match_all": {}}},
                                {"index": books}, {"query": {"bogus": {}}}])
    first, missing, bad = resp["responses"]
    assert first["status"] == 200 and sorted(ids(first)) == ["2", "4"]
    assert missing["status"] == 404 and missing["error"]["type"] == "index_not_found_exception"
    assert bad["status"] == 400 and bad["error"]["type"] == "parsing_exception"


def test_collapse_keeps_best_hit_per_group_with_inner_hits(es: Elasticsearch, books: str) -> None:
    resp = es.search(index=books, collapse={"field": "tag", "inner_hits": {"name": "all", "size": 5,
                                                                           "sort": [{"n": "asc"}]}},
                     sort=[{"n": "desc"}])
    assert ids(resp) == ["4", "3"]
    assert resp["hits"]["hits"][0]["fields"]["tag"] == ["food"]
    assert resp["hits"]["total"]["value"] == 4
    inner = resp["hits"]["hits"][1]["inner_hits"]["all"]["hits"]
    assert [h["_id"] for h in inner["hits"]] == ["1", "3"]


def test_rescore_reorders_the_window(es: Elasticsearch, books: str) -> None:
    base = es.search(index=books, query={"match": {"title": "quick fox"}})
    assert ids(base) == ["1", "2"]
    resp = es.search(index=books, query={"match": {"title": "quick fox"}}, rescore={
        "window_size": 10, "query": {"rescore_query": {"term": {"tag": "food"}}, "query_weight": 1,
                                     "rescore_query_weight": 5}})
    assert ids(resp) == ["2", "1"]
    assert resp["hits"]["hits"][0]["_score"] > base["hits"]["hits"][0]["_score"]


def test_fields_api_docvalue_fields_and_nested_inner_hits(es: Elasticsearch, books: str) -> None:
    es.index(index=books, id="c", document={"title": "with chapters", "born": "2024-01-01T10:00:00Z",
                                            "chapters": [{"name": "intro", "pages": 3},
                                                         {"name": "middle part", "pages": 30}]}, refresh=True)
    resp = es.search(index=books, query={"ids": {"values": ["c"]}},
                     fields=[{"field": "born", "format": "yyyy/MM/dd"}, "chapters.*"],
                     docvalue_fields=["born"], source=False)
    fields = resp["hits"]["hits"][0]["fields"]
    assert fields["born"][0] in ("2024/01/01", "2024-01-01T10:00:00.000Z")
    assert fields["chapters"] == [{"name": ["intro"], "pages": [3]}, {"name": ["middle part"], "pages": [30]}]
    nested = es.search(index=books, query={"nested": {"path": "chapters", "query": {"match": {"chapters.name": "middle"}},
                                                       "inner_hits": {}}})
    inner = nested["hits"]["hits"][0]["inner_hits"]["chapters"]["hits"]["hits"]
    assert inner[0]["_nested"] == {"field": "chapters", "offset": 1}
    assert inner[0]["_source"] == {"name": "middle part", "pages": 30}


# ---- validation ---------------------------------------------------------------------------------
def test_validation_errors_match_elasticsearch(es: Elasticsearch, books: str) -> None:
    with pytest.raises(ApiError) as err:
        es.search(index=books, from_=9995, size=10)
    assert err.value.meta.status == 400
    assert err.value.body["error"]["type"] == "search_phase_execution_exception"
    assert err.value.body["error"]["root_cause"][0]["reason"].startswith(
        "Result window is too large, from + size must be less than or equal to: [10000] but was [10005].")
    with pytest.raises(ApiError) as err:
        es.search(index=books, size=-1)
    assert err.value.meta.status == 400
    with pytest.raises(ApiError) as err:
        es.search(index=books, body={"query": {"match_all": {}}, "bogus": 1})
    assert err.value.body["error"]["type"] == "parsing_exception"
    with pytest.raises(ApiError) as err:
        es.search(index=books, sort=[{"title": "asc"}])
    assert "Fielddata is disabled on [title]" in str(err.value.body)
    resp = es.search(index=books, track_total_hits=2, query={"match_all": {}})
    assert resp["hits"]["total"] == {"value": 2, "relation": "gte"}
    resp = es.search(index=books, rest_total_hits_as_int=True)
    assert resp["hits"]["total"] == 4
