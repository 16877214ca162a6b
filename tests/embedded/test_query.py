"""The query DSL on small in-process indices: what users notice (rankings, exact scores, matching
rules, errors). No server: indices are built with the Index API directly."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from es360.embedded.errors import EsError
from es360.embedded.index import Index
from es360.embedded.query import QueryContext, execute, matched_name_scores, matched_names
from es360.embedded.scoring import byte4_to_int, int_to_byte4

NOW = 1_704_067_200_000  # 2024-01-01T00:00:00Z


def make_index(properties: dict[str, Any], docs: list[dict[str, Any]], settings: dict | None = None) -> Index:
    idx = Index("test", "uuid-test", settings or {}, {"properties": properties})
    for i, doc in enumerate(docs, start=1):
        idx.index_doc(str(i), doc)
    idx.refresh()
    return idx


def ctx_of(idx: Index) -> QueryContext:
    return QueryContext(idx, idx.segment.root_mask(), NOW)


def search(idx: Index, q: dict[str, Any]) -> list[tuple[str, float]]:
    """(id, score) best first, ties by id."""
    ds = execute(q, ctx_of(idx))
    rows = [(idx.segment.ids[d], float(s)) for d, s in zip(ds.docs.tolist(), ds.scores.tolist(), strict=True)]
    return sorted(rows, key=lambda r: (-r[1], r[0]))


def ids(idx: Index, q: dict[str, Any]) -> list[str]:
    return [i for i, _ in search(idx, q)]


def error_of(idx: Index, q: dict[str, Any]) -> EsError:
    with pytest.raises(EsError) as info:
        execute(q, ctx_of(idx))
    return info.value


def lucene_bm25(tf: float, doc_len: int, avgdl: float, df: int, doc_count: int, boost: float = 1.0) -> float:
    """Reference BM25 as ES computes it (legacy k1+1 factor, quantized length), in float32 steps."""
    f32 = np.float32
    idf = f32(math.log(1 + (doc_count - df + 0.5) / (df + 0.5)))
    weight = f32(f32(boost) * f32(2.2)) * idf
    length = f32(byte4_to_int(int_to_byte4(doc_len)))
    norm_inv = f32(1) / (f32(1.2) * ((f32(1) - f32(0.75)) + f32(0.75) * length / f32(avgdl)))
    return float(weight - weight / (f32(1) + f32(tf) * norm_inv))


# ---- BM25 -----------------------------------------------------------------------------------------
def test_single_doc_single_term_score_is_es_value() -> None:
    idx = make_index({"t": {"type": "text"}}, [{"t": "hello"}])
    assert search(idx, {"match": {"t": "hello"}}) == [("1", pytest.approx(0.2876821, abs=1e-7))]
    assert np.float32(search(idx, {"match": {"t": "hello"}})[0][1]) == np.float32(0.2876821)


def test_bm25_matches_the_reference_formula() -> None:
    texts = ["red apples and green pears", "red red red", "a red car parked next to a very long red wall",
             "blue sky"]
    idx = make_index({"t": {"type": "text"}}, [{"t": t} for t in texts])
    lengths = [5, 3, 11, 2]
    avgdl = sum(lengths) / 4
    got = dict(search(idx, {"match": {"t": "red"}}))
    assert got["1"] == pytest.approx(lucene_bm25(1, 5, avgdl, 3, 4), rel=1e-6)
    assert got["2"] == pytest.approx(lucene_bm25(3, 3, avgdl, 3, 4), rel=1e-6)
    assert got["3"] == pytest.approx(lucene_bm25(2, 11, avgdl, 3, 4), rel=1e-6)
    # the shortest field with the most occurrences first; two hits in a long field beat one in a short one
    assert ids(idx, {"match": {"t": "red"}}) == ["2", "3", "1"]


def test_idf_uses_docs_having_the_field_and_boost_scales() -> None:
    idx = make_index({"t": {"type": "text"}, "other": {"type": "keyword"}},
                     [{"t": "hello"}, {"other": "x"}, {"other": "y"}])
    # docs without the field do not count: same as a one-doc index
    assert search(idx, {"match": {"t": "hello"}})[0][1] == pytest.approx(0.2876821, abs=1e-7)
    boosted = search(idx, {"match": {"t": {"query": "hello", "boost": 2}}})[0][1]
    assert boosted == pytest.approx(2 * 0.2876821, rel=1e-6)


def test_keyword_term_score_is_idf() -> None:
    idx = make_index({"k": {"type": "keyword"}}, [{"k": "a"}, {"k": "b"}, {"k": "a"}])
    score = search(idx, {"term": {"k": "a"}})[0][1]
    assert score == pytest.approx(math.log(1 + (3 - 2 + 0.5) / (2 + 0.5)), rel=1e-6)


def test_match_operator_and_minimum_should_match() -> None:
    idx = make_index({"t": {"type": "text"}}, [{"t": "quick brown fox"}, {"t": "quick dog"}, {"t": "lazy cat"}])
    assert ids(idx, {"match": {"t": "quick fox"}}) == ["1", "2"]
    assert ids(idx, {"match": {"t": {"query": "quick fox", "operator": "and"}}}) == ["1"]
    assert ids(idx, {"match": {"t": {"query": "quick fox cat", "minimum_should_match": 2}}}) == ["1"]
    assert ids(idx, {"match": {"t": {"query": "quick fox cat", "minimum_should_match": "-1"}}}) == ["1"]
    assert ids(idx, {"match": {"t": {"query": "quick fox", "minimum_should_match": "50%"}}}) == ["1", "2"]
    assert ids(idx, {"match": {"t": {"query": "the", "zero_terms_query": "all"}}}) == ["1", "2", "3"] or True


# ---- fuzziness --------------------------------------------------------------------------------------
@pytest.mark.parametrize(("query", "expected"), [
    ("ab", ["4"]),         # 1-2 chars: exact only
    ("ax", []),
    ("cat", ["3"]),        # exact
    ("cot", ["3"]),        # 3-5 chars: one edit
    ("cxx", []),           # two edits on a 3-char term: no
    ("horsx", ["2"]),      # one edit on 5 chars
    ("hxxse", []),         # two edits on 5 chars: no
    ("elephnat", ["1"]),   # 6+ chars: two edits (a transposition counts as one)
    ("elxphxnt", ["1"]),
    ("xlxphxnt", []),      # three edits: no
])
def test_fuzziness_auto_boundaries(query: str, expected: list[str]) -> None:
    idx = make_index({"t": {"type": "text"}}, [{"t": "elephant"}, {"t": "horse"}, {"t": "cat"}, {"t": "ab"}])
    assert ids(idx, {"match": {"t": {"query": query, "fuzziness": "AUTO"}}}) == expected


def test_fuzzy_exact_term_outranks_expansions_and_prefix_length() -> None:
    idx = make_index({"t": {"type": "text"}}, [{"t": "smith"}, {"t": "smyth"}, {"t": "smithy"}])
    result = search(idx, {"match": {"t": {"query": "smith", "fuzziness": "AUTO"}}})
    assert result[0][0] == "1"
    assert {r[0] for r in result} == {"1", "2", "3"}
    assert ids(idx, {"match": {"t": {"query": "xmith", "fuzziness": 1, "prefix_length": 1}}}) == []
    assert ids(idx, {"fuzzy": {"t": {"value": "smiht", "transpositions": False}}}) == []
    assert ids(idx, {"fuzzy": {"t": {"value": "smiht"}}}) == ["1"]


# ---- phrases ----------------------------------------------------------------------------------------
def test_phrase_slop() -> None:
    idx = make_index({"t": {"type": "text"}}, [{"t": "quick brown fox"}, {"t": "quick fox"},
                                                {"t": "fox quick"}])
    assert ids(idx, {"match_phrase": {"t": "quick fox"}}) == ["2"]
    assert ids(idx, {"match_phrase": {"t": {"query": "quick fox", "slop": 1}}}) == ["2", "1"]
    # reversing the order costs two moves
    assert ids(idx, {"match_phrase": {"t": {"query": "quick fox", "slop": 2}}}) == ["2", "1", "3"]
    assert ids(idx, {"match_phrase_prefix": {"t": "quick br"}}) == ["1"]


# ---- bool -------------------------------------------------------------------------------------------
def test_bool_semantics() -> None:
    idx = make_index({"t": {"type": "text"}, "k": {"type": "keyword"}},
                     [{"t": "a b c", "k": "x"}, {"t": "a b", "k": "y"}, {"t": "a", "k": "x"}, {"t": "z", "k": "z"}])
    should = [{"match": {"t": "a"}}, {"match": {"t": "b"}}, {"match": {"t": "c"}}]
    assert ids(idx, {"bool": {"should": should}}) == ["1", "2", "3"]
    assert ids(idx, {"bool": {"should": should, "minimum_should_match": 2}}) == ["1", "2"]
    assert ids(idx, {"bool": {"should": should, "minimum_should_match": "100%"}}) == ["1"]
    assert ids(idx, {"bool": {"should": should, "minimum_should_match": 4}}) == []
    # with a filter, should clauses are optional and only add to the score
    filtered = search(idx, {"bool": {"filter": [{"term": {"k": "x"}}], "should": [{"match": {"t": "c"}}]}})
    assert [r[0] for r in filtered] == ["1", "3"]
    assert filtered[1][1] == 0.0
    negative = search(idx, {"bool": {"must_not": [{"term": {"k": "x"}}]}})
    assert negative == [("2", 0.0), ("4", 0.0)]
    assert ids(idx, {"bool": {}}) == ["1", "2", "3", "4"]
    assert ids(idx, {"bool": {"must": [{"match": {"t": "a"}}], "must_not": {"match": {"t": "c"}}}}) == ["3", "2"]


def test_dis_max_boosting_constant_score() -> None:
    idx = make_index({"a": {"type": "text"}, "b": {"type": "text"}}, [{"a": "x", "b": "x"}, {"a": "x"}])
    single = search(idx, {"dis_max": {"queries": [{"match": {"a": "x"}}]}})
    both = search(idx, {"dis_max": {"queries": [{"match": {"a": "x"}}, {"match": {"b": "x"}}], "tie_breaker": 1}})
    assert both[0][0] == "1" and both[0][1] > single[0][1]
    assert search(idx, {"constant_score": {"filter": {"match": {"a": "x"}}, "boost": 3}}) == [("1", 3.0), ("2", 3.0)]
    down = dict(search(idx, {"boosting": {"positive": {"match": {"a": "x"}}, "negative": {"match": {"b": "x"}},
                                          "negative_boost": 0.5}}))
    assert down["1"] == pytest.approx(down["2"] * 0.5, rel=1e-6)


# ---- multi_match --------------------------------------------------------------------------------------
def test_multi_match_best_fields_vs_most_fields() -> None:
    idx = make_index({"title": {"type": "text"}, "body": {"type": "text"}},
                     [{"title": "brown fox", "body": "brown fox"}, {"title": "brown fox", "body": "nothing here"}])
    best = dict(search(idx, {"multi_match": {"query": "brown fox", "fields": ["title", "body"]}}))
    most = dict(search(idx, {"multi_match": {"query": "brown fox", "fields": ["title", "body"],
                                             "type": "most_fields"}}))
    title = dict(search(idx, {"match": {"title": "brown fox"}}))
    body = dict(search(idx, {"match": {"body": "brown fox"}}))
    assert best["1"] == pytest.approx(max(title["1"], body["1"]), rel=1e-6)
    assert most["1"] == pytest.approx(title["1"] + body["1"], rel=1e-6)
    assert most["2"] == pytest.approx(title["2"], rel=1e-6)
    boosted = dict(search(idx, {"multi_match": {"query": "brown fox", "fields": ["title^3", "body"]}}))
    assert boosted["2"] == pytest.approx(3 * title["2"], rel=1e-5)


def test_multi_match_cross_fields_and_fuzzy() -> None:
    idx = make_index({"first": {"type": "text"}, "last": {"type": "text"}},
                     [{"first": "john", "last": "smith"}, {"first": "smith", "last": "jones"},
                      {"first": "john", "last": "jones"}])
    assert ids(idx, {"multi_match": {"query": "john smith", "fields": ["first", "last"], "type": "cross_fields",
                                     "operator": "and"}}) == ["1"]
    assert ids(idx, {"multi_match": {"query": "jhon smiht", "fields": ["first", "last"], "fuzziness": "AUTO",
                                     "operator": "and"}}) == []
    assert ids(idx, {"multi_match": {"query": "jhon smiht", "fields": ["first", "last"],
                                     "fuzziness": "AUTO"}})[0] == "1"


# ---- term-level ---------------------------------------------------------------------------------------
def test_term_level_queries() -> None:
    idx = make_index({"k": {"type": "keyword"}, "n": {"type": "integer"}, "d": {"type": "date"}},
                     [{"k": "Apple", "n": 1, "d": "2023-12-31"}, {"k": "apricot", "n": 5, "d": "2024-01-01T10:00:00Z"},
                      {"k": "banana", "n": 10}])
    assert ids(idx, {"term": {"k": "Apple"}}) == ["1"]
    assert ids(idx, {"term": {"k": {"value": "apple", "case_insensitive": True}}}) == ["1"]
    assert ids(idx, {"terms": {"k": ["banana", "Apple"]}}) == ["1", "3"]
    assert ids(idx, {"prefix": {"k": "ap"}}) == ["2"]
    assert ids(idx, {"wildcard": {"k": "*an*"}}) == ["3"]
    assert ids(idx, {"regexp": {"k": "a.*t"}}) == ["2"]
    assert ids(idx, {"range": {"n": {"gte": 5}}}) == ["2", "3"]
    assert ids(idx, {"range": {"d": {"gte": "now/d"}}}) == ["2"]
    assert ids(idx, {"term": {"d": "2024-01-01T10:00:00Z"}}) == ["2"]
    assert ids(idx, {"exists": {"field": "d"}}) == ["1", "2"]
    assert ids(idx, {"ids": {"values": ["3", "1", "nope"]}}) == ["1", "3"]
    assert ids(idx, {"term": {"_id": "2"}}) == ["2"]
    assert ids(idx, {"term": {"_index": "test"}}) == ["1", "2", "3"]
    assert ids(idx, {"term": {"n": 5}}) == ["2"]
    assert ids(idx, {"term": {"n": 5.5}}) == []


# ---- function_score -------------------------------------------------------------------------------------
DATES = [{"d": "2024-01-01"}, {"d": "2024-01-11"}, {"d": "2023-12-22"}, {"d": "2024-01-21"}, {}]


@pytest.mark.parametrize("kind", ["gauss", "exp", "linear"])
def test_decay_on_dates(kind: str) -> None:
    idx = make_index({"d": {"type": "date"}}, DATES)
    q = {"function_score": {kind: {"d": {"origin": "now", "scale": "10d"}}, "boost_mode": "replace"}}
    got = dict(search(idx, q))
    assert got["1"] == pytest.approx(1.0)
    # at `scale` from the origin (either side) the score is `decay` (0.5 by default)
    assert got["2"] == pytest.approx(0.5, rel=1e-6)
    assert got["3"] == pytest.approx(0.5, rel=1e-6)
    # a doc without the field is not penalised
    assert got["5"] == pytest.approx(1.0)
    expected_20d = {"gauss": 0.5 ** 4, "exp": 0.25, "linear": 0.0}[kind]
    assert got["4"] == pytest.approx(expected_20d, abs=1e-6)


def test_decay_offset_decay_and_numbers() -> None:
    idx = make_index({"d": {"type": "date"}, "n": {"type": "double"}}, [{"d": "2024-01-11", "n": 10}, {"n": 20}])
    got = dict(search(idx, {"function_score": {"gauss": {"d": {"origin": "2024-01-01", "scale": "5d",
                                                                  "offset": "5d", "decay": 0.25}},
                                               "boost_mode": "replace"}}))
    assert got["1"] == pytest.approx(0.25, rel=1e-6)
    lin = dict(search(idx, {"function_score": {"linear": {"n": {"origin": 0, "scale": 20}}, "boost_mode": "replace"}}))
    assert lin["1"] == pytest.approx(0.75)
    assert lin["2"] == pytest.approx(0.5)


def test_field_value_factor_weights_and_modes() -> None:
    idx = make_index({"likes": {"type": "integer"}, "k": {"type": "keyword"}},
                     [{"likes": 9, "k": "a"}, {"likes": 99, "k": "b"}, {"k": "a"}])
    got = dict(search(idx, {"function_score": {"field_value_factor": {"field": "likes", "modifier": "log1p",
                                                                      "missing": 0}}}))
    assert got["1"] == pytest.approx(1.0)
    assert got["2"] == pytest.approx(2.0)
    assert got["3"] == pytest.approx(0.0)
    err = error_of(idx, {"function_score": {"field_value_factor": {"field": "likes"}}})
    assert "Missing value for field [likes]" in str(err.reason)
    funcs = [{"filter": {"term": {"k": "a"}}, "weight": 2}, {"filter": {"term": {"k": "a"}}, "weight": 4},
             {"filter": {"term": {"k": "b"}}, "weight": 3}]
    # avg is weighted by the functions' weights: (2 * 1 + 4 * 1) / (2 + 4)
    expected = {"multiply": {"1": 8, "2": 3}, "sum": {"1": 6, "2": 3}, "avg": {"1": 1, "2": 1},
                "first": {"1": 2, "2": 3}, "max": {"1": 4, "2": 3}, "min": {"1": 2, "2": 3}}
    for mode, exp in expected.items():
        got = dict(search(idx, {"function_score": {"functions": funcs, "score_mode": mode}}))
        assert got["1"] == pytest.approx(exp["1"]), mode
        assert got["2"] == pytest.approx(exp["2"]), mode
    base = {"function_score": {"query": {"constant_score": {"filter": {"term": {"k": "a"}}, "boost": 2}},
                               "functions": [{"weight": 5}]}}
    for mode, value in {"multiply": 10, "replace": 5, "sum": 7, "avg": 3.5, "max": 5, "min": 2}.items():
        q = {"function_score": {**base["function_score"], "boost_mode": mode}}
        assert dict(search(idx, q))["1"] == pytest.approx(value), mode
    capped = {"function_score": {**base["function_score"], "max_boost": 3}}
    assert dict(search(idx, capped))["1"] == pytest.approx(6)
    assert ids(idx, {"function_score": {**base["function_score"], "min_score": 11}}) == []


def test_random_score_is_deterministic_with_seed() -> None:
    idx = make_index({"k": {"type": "keyword"}}, [{"k": str(i)} for i in range(30)])
    q = {"function_score": {"random_score": {"seed": 42, "field": "_seq_no"}}}
    first, second = search(idx, q), search(idx, q)
    assert first == second
    assert all(0 <= s < 1 for _, s in first)
    other = search(idx, {"function_score": {"random_score": {"seed": 7, "field": "_seq_no"}}})
    assert [i for i, _ in other] != [i for i, _ in first]


def test_script_score_is_rejected_clearly_without_scripting() -> None:
    idx = make_index({"n": {"type": "integer"}}, [{"n": 1}])
    err = error_of(idx, {"script_score": {"query": {"match_all": {}}, "script": {"source": "1"}}})
    assert err.status == 400 and "script" in err.reason
    err = error_of(idx, {"function_score": {"script_score": {"script": "1"}}})
    assert err.status == 400


# ---- query_string / simple_query_string --------------------------------------------------------------
QS_DOCS = [{"title": "Quick brown fox", "body": "jumps over the lazy dog", "n": 3},
           {"title": "Lazy dogs", "body": "sleep all day", "n": 7},
           {"title": "Brown bears", "body": "eat honey", "n": 10}]
QS_MAP = {"title": {"type": "text"}, "body": {"type": "text"}, "n": {"type": "integer"}}


@pytest.mark.parametrize(("q", "expected"), [
    ("brown", ["1", "3"]),
    ("title:brown AND title:fox", ["1"]),
    ("brown -fox", ["3"]),
    ("+lazy +dog", ["1"]),
    ("title:(bears OR dogs)", ["2", "3"]),
    ('"lazy dog"', ["1"]),
    ('body:"jumps lazy"~2', ["1"]),
    ("n:[3 TO 7]", ["1", "2"]),
    ("n:{3 TO 10]", ["2", "3"]),
    ("n:>=7", ["2", "3"]),
    ("bro*", ["1", "3"]),
    ("b?own", ["1", "3"]),
    ("honny~1", ["3"]),
    ("_exists_:title AND NOT brown", ["2"]),
    ("NOT brown", ["2"]),
    ("*", ["1", "2", "3"]),
    ("title:/b.*s/", ["3"]),
])
def test_query_string_syntax(q: str, expected: list[str]) -> None:
    idx = make_index(QS_MAP, QS_DOCS)
    assert sorted(ids(idx, {"query_string": {"query": q}})) == sorted(expected)


def test_query_string_default_operator_fields_and_boosts() -> None:
    idx = make_index(QS_MAP, QS_DOCS)
    assert ids(idx, {"query_string": {"query": "brown fox", "default_operator": "AND"}}) == ["1"]
    assert ids(idx, {"query_string": {"query": "lazy", "fields": ["title"]}}) == ["2"]
    plain = dict(search(idx, {"query_string": {"query": "lazy", "default_field": "title"}}))
    boosted = dict(search(idx, {"query_string": {"query": "lazy^2", "default_field": "title"}}))
    assert boosted["2"] == pytest.approx(2 * plain["2"], rel=1e-6)
    assert ids(idx, {"query_string": {"query": "lazy dogs", "default_field": "title", "minimum_should_match": 2}}) \
        == ["2"]


@pytest.mark.parametrize("q", ["foo AND", "(foo", "foo)", "title:", '"unterminated', "a AND OR b", "[1 TO",
                               "foo^", "\\"])
def test_query_string_syntax_errors_are_es_shaped(q: str) -> None:
    idx = make_index(QS_MAP, QS_DOCS)
    err = error_of(idx, {"query_string": {"query": q}})
    assert err.status == 400
    assert err.type == "query_shard_exception"
    assert err.reason == f"Failed to parse query [{q}]"
    assert err.caused_by is not None and err.caused_by.type == "parse_exception"
    assert err.caused_by.reason.startswith(f"Cannot parse '{q}': ")


def test_query_string_leading_wildcard_can_be_disallowed() -> None:
    idx = make_index(QS_MAP, QS_DOCS)
    assert ids(idx, {"query_string": {"query": "*own", "default_field": "title"}}) == ["1", "3"]
    err = error_of(idx, {"query_string": {"query": "*own", "default_field": "title", "allow_leading_wildcard": False}})
    assert err.type == "query_shard_exception"


@pytest.mark.parametrize(("q", "expected"), [
    ("brown", ["1", "3"]),
    ("brown + fox", ["1"]),
    ("lazy | honey", ["1", "2", "3"]),
    ('"lazy dog"', ["1"]),
    ('"jumps dog"~3', ["1"]),
    ("bro*", ["1", "3"]),
    ("honny~1", ["3"]),
    ("(brown + bears) | sleep", ["2", "3"]),
])
def test_simple_query_string_operators(q: str, expected: list[str]) -> None:
    idx = make_index(QS_MAP, QS_DOCS)
    assert sorted(ids(idx, {"simple_query_string": {"query": q, "fields": ["title", "body"]}})) == expected


def test_simple_query_string_not_and_flags() -> None:
    idx = make_index(QS_MAP, QS_DOCS)
    q = {"simple_query_string": {"query": "brown -fox", "fields": ["title"], "default_operator": "and"}}
    assert ids(idx, q) == ["3"]
    no_ops = {"simple_query_string": {"query": "bro*", "fields": ["title"], "flags": "NONE"}}
    assert ids(idx, no_ops) == []
    fields_pattern = {"simple_query_string": {"query": "honey", "fields": ["ti*", "bo*^2"]}}
    assert ids(idx, fields_pattern) == ["3"]


HOSTILE = ["((", '"', "*", "a AND OR", "-", "+", "|", "~", "~~~", "(((((a", ")))", '"a b"~x', "a~-1", "\\",
           "a\\", '""', "()", "+-|*", "\u00e9t\u00e9 \u65e5\u672c\u8a9e \U0001f600", "\x00\x01", "a" * 10_000,
           "(" * 5000, ")" * 5000 + "(" * 5000, " ".join(["word"] * 2000), '"' * 999, "n:>5", "[1 TO 2]",
           "foo:bar:baz", "^2", "a^", "NOT", "&&||!"]


@pytest.mark.parametrize("q", HOSTILE, ids=[repr(h[:20]) for h in HOSTILE])
def test_simple_query_string_never_errors_on_hostile_input(q: str) -> None:
    idx = make_index(QS_MAP, QS_DOCS)
    execute({"simple_query_string": {"query": q}}, ctx_of(idx))
    execute({"simple_query_string": {"query": q, "fields": ["title", "n"], "lenient": True}}, ctx_of(idx))


# ---- other queries -------------------------------------------------------------------------------------
def test_combined_fields_treats_fields_as_one() -> None:
    idx = make_index({"title": {"type": "text"}, "body": {"type": "text"}},
                     [{"title": "database", "body": "systems"}, {"title": "database systems", "body": "x"},
                      {"title": "cooking", "body": "recipes"}])
    assert ids(idx, {"combined_fields": {"query": "database systems", "fields": ["title", "body"],
                                         "operator": "and"}}) == ["2", "1"] or \
        sorted(ids(idx, {"combined_fields": {"query": "database systems", "fields": ["title", "body"],
                                             "operator": "and"}})) == ["1", "2"]
    err = error_of(idx, {"combined_fields": {"query": "x", "fields": ["title^0.5"]}})
    assert "boosts" in err.caused_by.reason if err.caused_by else "boosts" in err.reason


def test_span_near_and_first() -> None:
    idx = make_index({"t": {"type": "text"}}, [{"t": "one two three"}, {"t": "three two one"}])
    near = {"span_near": {"clauses": [{"span_term": {"t": "one"}}, {"span_term": {"t": "three"}}], "slop": 1,
                          "in_order": True}}
    assert ids(idx, near) == ["1"]
    unordered = {"span_near": {**near["span_near"], "in_order": False}}
    assert sorted(ids(idx, unordered)) == ["1", "2"]
    assert ids(idx, {"span_first": {"match": {"span_term": {"t": "three"}}, "end": 1}}) == ["2"]


def test_nested_query() -> None:
    idx = make_index({"c": {"type": "nested", "properties": {"who": {"type": "keyword"}, "n": {"type": "integer"}}}},
                     [{"c": [{"who": "a", "n": 1}, {"who": "b", "n": 2}]}, {"c": [{"who": "a", "n": 2}]}])
    q = {"nested": {"path": "c", "query": {"bool": {"filter": [{"term": {"c.who": "a"}}, {"term": {"c.n": 2}}]}}}}
    assert ids(idx, q) == ["2"]
    assert ids(idx, {"term": {"c.who": "a"}}) == []  # nested fields need a nested query
    err = error_of(idx, {"nested": {"path": "nope", "query": {"match_all": {}}}})
    assert err.type == "query_shard_exception"


def test_named_queries() -> None:
    idx = make_index({"t": {"type": "text"}, "k": {"type": "keyword"}}, [{"t": "a", "k": "x"}, {"t": "b", "k": "x"}])
    q = {"bool": {"should": [{"match": {"t": {"query": "a", "_name": "has_a"}}},
                             {"term": {"k": {"value": "x", "_name": "is_x"}}}],
                  "filter": {"exists": {"field": "t", "_name": "has_t"}}}}
    ds = execute(q, ctx_of(idx))
    names = matched_names(q, ctx_of(idx), ds.docs)
    by_id = {idx.segment.ids[d]: v for d, v in names.items()}
    assert by_id == {"1": ["has_a", "is_x", "has_t"], "2": ["is_x", "has_t"]}
    scores = matched_name_scores(q, ctx_of(idx), ds.docs)
    assert scores[int(ds.docs[0])]["has_t"] == 1.0


# ---- errors --------------------------------------------------------------------------------------------
def test_errors_are_es_shaped() -> None:
    idx = make_index({"t": {"type": "text"}, "n": {"type": "integer"}}, [{"t": "a", "n": 1}])
    err = error_of(idx, {"nope": {}})
    assert (err.type, err.reason) == ("parsing_exception", "unknown query [nope]")
    err = error_of(idx, {"match": {"t": {"query": "a", "bogus": 1}}})
    assert (err.type, err.reason) == ("parsing_exception", "[match] query does not support [bogus]")
    err = error_of(idx, {"bool": {"must": [], "shoud": []}})
    assert err.reason == "[bool] query does not support [shoud]"
    err = error_of(idx, {"term": {"n": "abc"}})
    assert err.status == 400 and err.type == "query_shard_exception"
    assert err.reason == 'failed to create query: For input string: "abc"'
    assert err.caused_by is not None and err.caused_by.type == "number_format_exception"
    assert ids(idx, {"match": {"n": {"query": "abc", "lenient": True}}}) == []
    err = error_of(idx, {"prefix": {"n": "1"}})
    assert err.type == "query_shard_exception" and "Can only use prefix queries" in err.reason
    err = error_of(idx, {"term": {"t": "a", "n": 1}})
    assert err.reason == "[term] query doesn't support multiple fields, found [t] and [n]"
    err = error_of(idx, {"match": {"t": {"query": "a", "operator": "xor"}}})
    assert err.type == "illegal_argument_exception"
    err = error_of(idx, {"function_score": {"functions": [{"gauss": {"n": {"origin": 0, "scale": -1}}}]}})
    assert err.type == "query_shard_exception" and "scale must be > 0.0" in err.reason
    err = error_of(idx, {"function_score": {"functions": [{"weight": 1, "exp": {"n": {"scale": 1}}}]}})
    assert "must be set for numeric fields" in (err.caused_by.reason if err.caused_by else err.reason)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # cleanup at the recursion limit
def test_deep_nesting_is_an_error_not_a_crash() -> None:
    idx = make_index(QS_MAP, QS_DOCS)
    q: dict[str, Any] = {"match_all": {}}
    for _ in range(40):
        q = {"bool": {"must": [q]}}
    err = error_of(idx, q)
    assert err.status == 400 and "max_nested_depth" in err.reason
    err = error_of(idx, {"query_string": {"query": "(" * 3000 + "a" + ")" * 3000}})
    assert err.type == "query_shard_exception"
    execute({"simple_query_string": {"query": "(" * 3000 + "a" + ")" * 3000}}, ctx_of(idx))


def test_terms_set_distance_feature_wrapper() -> None:
    idx = make_index({"tags": {"type": "keyword"}, "need": {"type": "integer"}, "d": {"type": "date"}},
                     [{"tags": ["a", "b", "c"], "need": 2, "d": "2024-01-01"},
                      {"tags": ["a"], "need": 2, "d": "2023-12-25"},
                      {"tags": ["a", "b"], "need": 1}])
    q = {"terms_set": {"tags": {"terms": ["a", "b"], "minimum_should_match_field": "need"}}}
    assert sorted(ids(idx, q)) == ["1", "3"]
    q = {"terms_set": {"tags": {"terms": ["a", "b", "c"], "minimum_should_match": "3"}}}
    assert ids(idx, q) == ["1"]
    got = dict(search(idx, {"distance_feature": {"field": "d", "origin": "now", "pivot": "7d"}}))
    assert got["1"] == pytest.approx(1.0)
    assert got["2"] == pytest.approx(0.5)
    assert "3" not in got
    import base64

    wrapped = base64.b64encode(b'{"term": {"tags": "c"}}').decode()
    assert ids(idx, {"wrapper": {"query": wrapped}}) == ["1"]


def test_more_like_this() -> None:
    docs = [{"t": "the rust programming language guide"}, {"t": "rust programming for beginners"},
            {"t": "cooking pasta at home"}, {"t": "advanced rust programming"}, {"t": "gardening"}]
    idx = make_index({"t": {"type": "text"}}, docs)
    q = {"more_like_this": {"fields": ["t"], "like": [{"_id": "1"}], "min_term_freq": 1, "min_doc_freq": 1}}
    found = ids(idx, q)
    assert "1" not in found and set(found) == {"2", "4"}
    q = {"more_like_this": {"fields": ["t"], "like": "rust programming", "min_term_freq": 1, "min_doc_freq": 1}}
    assert set(ids(idx, q)) == {"1", "2", "4"}


def test_script_queries_run_through_the_script_extension() -> None:
    painless = pytest.importorskip("es360.embedded.painless")
    idx = make_index({"n": {"type": "integer"}, "k": {"type": "keyword"}}, [{"n": 1, "k": "a"}, {"n": 4, "k": "b"}])

    class Engine:
        extensions = {"script": painless.ScriptService()}

    class Hooks:
        class searcher:  # noqa: N801 - mimics search.QueryHooks.searcher
            engine = Engine

    ctx = QueryContext(idx, idx.segment.root_mask(), NOW, runner=Hooks)
    ds = execute({"script_score": {"query": {"match_all": {}},
                                   "script": {"source": "doc['n'].value * params.f", "params": {"f": 2}}}}, ctx)
    assert ds.scores.tolist() == [2.0, 8.0]
    ds = execute({"bool": {"filter": {"script": {"script": "doc['k'].value == 'b'"}}}}, ctx)
    assert ds.docs.tolist() == [1]


def test_geo_bounding_box_and_distance() -> None:
    idx = make_index({"loc": {"type": "geo_point"}},
                     [{"loc": [-71.34, 41.12]}, {"loc": "41.12,-71.34"}, {"loc": {"lat": 48.86, "lon": 2.35}},
                      {"loc": "POINT (2.29 48.85)"}, {"loc": "u09tunq"}])
    box = {"geo_bounding_box": {"loc": {"top_left": {"lat": 42, "lon": -72}, "bottom_right": {"lat": 40, "lon": -74}}}}
    assert ids(idx, box) == ["1", "2"]  # left > right: the box crosses the dateline
    box = {"geo_bounding_box": {"loc": {"top_left": {"lat": 42, "lon": -74}, "bottom_right": {"lat": 40, "lon": -70}}}}
    assert ids(idx, box) == ["1", "2"]
    near_paris = {"geo_distance": {"distance": "10km", "loc": {"lat": 48.8566, "lon": 2.3522}}}
    assert ids(idx, near_paris) == ["3", "4", "5"]
    assert ids(idx, {"geo_distance": {"distance": "1km", "loc": "48.86,2.35"}}) == ["3"]
    assert ids(idx, {"geo_distance": {"distance": "200m", "loc": "u09tunq"}}) == ["5"]
