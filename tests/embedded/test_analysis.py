"""Text analysis: tokenizers, filters, analyzers, registry validation and the `_analyze` response."""

from __future__ import annotations

import random
import time
from typing import Any

import pytest

from es360.embedded.analysis import (
    DEFAULT_REGISTRY,
    AnalysisRegistry,
    Analyzer,
    Token,
    analyze_request,
    porter_stem,
)
from es360.embedded.errors import EsError


def terms(analyzer: Analyzer, text: str) -> list[str]:
    return [t.term for t in analyzer.analyze(text)]


def positions(analyzer: Analyzer, text: str) -> list[tuple[str, int]]:
    return [(t.term, t.position) for t in analyzer.analyze(text)]


def tokens(body: dict[str, Any], registry: AnalysisRegistry | None = None) -> list[tuple[Any, ...]]:
    """(token, position, start, end[, positionLength]) for each token of an `_analyze` response."""
    out = []
    for tok in analyze_request(body, registry)["tokens"]:
        row = (tok["token"], tok["position"], tok["start_offset"], tok["end_offset"])
        out.append(row + ((tok["positionLength"],) if "positionLength" in tok else ()))
    return out


def raises(fn: Any, *args: Any, **kwargs: Any) -> EsError:
    with pytest.raises(EsError) as info:
        fn(*args, **kwargs)
    return info.value


# --- standard tokenizer / analyzer --------------------------------------------------------------------------

STANDARD = DEFAULT_REGISTRY.analyzer("standard")


def test_standard_splits_emails_like_lucene() -> None:
    assert terms(STANDARD, "Mail john.smith@example.com now") == ["mail", "john.smith", "example.com", "now"]


def test_standard_keeps_decimal_numbers_as_num_tokens() -> None:
    toks = STANDARD.analyze("pi is 3.14, about 1,000.50 dollars")
    assert [(t.term, t.type) for t in toks] == [
        ("pi", "<ALPHANUM>"),
        ("is", "<ALPHANUM>"),
        ("3.14", "<NUM>"),
        ("about", "<ALPHANUM>"),
        ("1,000.50", "<NUM>"),
        ("dollars", "<ALPHANUM>"),
    ]


def test_standard_keeps_inner_apostrophes_and_drops_outer_ones() -> None:
    assert terms(STANDARD, "O'Neil said 'don't'") == ["o'neil", "said", "don't"]


def test_standard_word_break_rules() -> None:
    text = "The 2 QUICK Brown-Foxes jumped over the lazy dog's bone. U.S.A. foo_bar v1.2 wi-fi"
    assert terms(STANDARD, text) == [
        "the", "2", "quick", "brown", "foxes", "jumped", "over", "the", "lazy", "dog's", "bone",
        "u.s.a", "foo_bar", "v1.2", "wi", "fi",
    ]  # fmt: skip


def test_standard_handles_accents_and_combining_marks() -> None:
    assert terms(STANDARD, "José Müller café\u0301 naïve Straße") == [
        "josé",
        "müller",
        "café\u0301",
        "naïve",
        "straße",
    ]


def test_standard_offsets_and_positions() -> None:
    toks = STANDARD.analyze("  Hello,  World! ")
    assert toks == [Token("hello", 0, 2, 7), Token("world", 1, 10, 15)]


def test_standard_types_for_cjk_scripts_and_emoji() -> None:
    toks = STANDARD.analyze("東京 ひらがな カタカナ 한국어 😀")
    types = {t.term: t.type for t in toks}
    assert types["東"] == "<IDEOGRAPHIC>" and types["京"] == "<IDEOGRAPHIC>"
    assert types["ひ"] == "<HIRAGANA>"
    assert types["カタカナ"] == "<KATAKANA>"
    assert types["한국어"] == "<HANGUL>"
    assert types["😀"] == "<EMOJI>"


def test_standard_lowercases_per_code_point_like_java() -> None:
    assert terms(STANDARD, "ΟΔΟΣ İstanbul") == ["οδοσ", "istanbul"]


def test_max_token_length_splits_long_tokens() -> None:
    registry = AnalysisRegistry({"analyzer": {"short": {"type": "standard", "max_token_length": 5}}})
    toks = registry.analyzer("short").analyze("jumped")
    assert [(t.term, t.position, t.start_offset, t.end_offset) for t in toks] == [
        ("jumpe", 0, 0, 5),
        ("d", 1, 5, 6),
    ]


def test_builtin_analyzers() -> None:
    text = "The QUICK brown-fox's 2 jumps"
    assert terms(DEFAULT_REGISTRY.analyzer("simple"), text) == ["the", "quick", "brown", "fox", "s", "jumps"]
    assert terms(DEFAULT_REGISTRY.analyzer("whitespace"), text) == [
        "The",
        "QUICK",
        "brown-fox's",
        "2",
        "jumps",
    ]
    assert terms(DEFAULT_REGISTRY.analyzer("keyword"), text) == [text]
    assert positions(DEFAULT_REGISTRY.analyzer("stop"), text) == [
        ("quick", 1),
        ("brown", 2),
        ("fox", 3),
        ("s", 4),
        ("jumps", 5),
    ]


def test_english_analyzer_stems_and_leaves_stopword_holes() -> None:
    english = DEFAULT_REGISTRY.analyzer("english")
    assert positions(english, "dancing with the stars") == [("danc", 0), ("star", 3)]
    assert terms(english, "dance with star") == ["danc", "star"]
    assert terms(english, "John's") == ["john"]


@pytest.mark.parametrize(
    ("word", "stem"),
    [
        ("caresses", "caress"),
        ("ponies", "poni"),
        ("cats", "cat"),
        ("agreed", "agre"),
        ("plastered", "plaster"),
        ("motoring", "motor"),
        ("sing", "sing"),
        ("hopping", "hop"),
        ("falling", "fall"),
        ("filing", "file"),
        ("happy", "happi"),
        ("relational", "relat"),
        ("generalization", "gener"),
        ("hopeful", "hope"),
        ("goodness", "good"),
        ("adjustable", "adjust"),
        ("controlling", "control"),
        ("is", "is"),
    ],
)
def test_porter_stemmer(word: str, stem: str) -> None:
    assert porter_stem(word) == stem


# --- token filters --------------------------------------------------------------------------------------------


def test_asciifolding_folds_accents() -> None:
    registry = AnalysisRegistry(
        {"analyzer": {"folded": {"tokenizer": "standard", "filter": ["lowercase", "asciifolding"]}}}
    )
    assert terms(registry.analyzer("folded"), "José Müller Ærøskøbing Łódź") == [
        "jose",
        "muller",
        "aeroskobing",
        "lodz",
    ]


def test_asciifolding_preserve_original_stacks_tokens() -> None:
    body = {
        "tokenizer": "standard",
        "filter": [{"type": "asciifolding", "preserve_original": True}],
        "text": "açaí à la carte",
    }
    assert [(t[0], t[1]) for t in tokens(body)] == [
        ("acai", 0),
        ("açaí", 0),
        ("a", 1),
        ("à", 1),
        ("la", 2),
        ("carte", 3),
    ]


def test_edge_ngram_filter_for_autocomplete() -> None:
    registry = AnalysisRegistry(
        {
            "filter": {"autocomplete": {"type": "edge_ngram", "min_gram": "2", "max_gram": "5"}},
            "analyzer": {"ac": {"tokenizer": "standard", "filter": ["lowercase", "autocomplete"]}},
        }
    )
    toks = registry.analyzer("ac").analyze("Quick Fo")
    assert [(t.term, t.position, t.start_offset, t.end_offset) for t in toks] == [
        ("qu", 0, 0, 5),
        ("qui", 0, 0, 5),
        ("quic", 0, 0, 5),
        ("quick", 0, 0, 5),
        ("fo", 1, 6, 8),
    ]


def test_edge_ngram_tokenizer_with_token_chars() -> None:
    body = {
        "tokenizer": {"type": "edge_ngram", "min_gram": 2, "max_gram": 3, "token_chars": ["letter"]},
        "text": "2 Quick-Foxes",
    }
    assert [t[0] for t in tokens(body)] == ["Qu", "Qui", "Fo", "Fox"]


def test_ngram_tokenizer_orders_by_start_then_length() -> None:
    assert [t[0] for t in tokens({"tokenizer": "ngram", "text": "abc"})] == ["a", "ab", "b", "bc", "c"]


def test_stop_filter_leaves_position_holes() -> None:
    body = {
        "tokenizer": "whitespace",
        "filter": [{"type": "stop", "stopwords": "_english_"}],
        "text": "the fox and a dog",
    }
    assert [(t[0], t[1]) for t in tokens(body)] == [("fox", 1), ("dog", 4)]


def test_shingles_fill_stopword_holes() -> None:
    body = {
        "tokenizer": "whitespace",
        "filter": [{"type": "stop", "stopwords": ["a"]}, {"type": "shingle", "filler_token": "+"}],
        "text": "fox jumps a lazy dog",
    }
    assert [(t[0], t[1]) for t in tokens(body)] == [
        ("fox", 0),
        ("fox jumps", 0),
        ("jumps", 1),
        ("jumps +", 1),
        ("+ lazy", 2),
        ("lazy", 3),
        ("lazy dog", 3),
        ("dog", 4),
    ]


def test_misc_term_filters() -> None:
    body = {
        "tokenizer": "whitespace",
        "filter": [
            "trim",
            {"type": "length", "min": 2},
            {"type": "truncate", "length": 4},
            {"type": "pattern_replace", "pattern": "(\\d+)", "replacement": "<$1>"},
            "unique",
            "uppercase",
        ],
        "text": "a 12345 abcdef abcdxyz x9",
    }
    assert [t[0] for t in tokens(body)] == ["<1234>", "ABCD", "X<9>"]


def test_elision_and_reverse() -> None:
    body = {"tokenizer": "standard", "filter": ["elision", "reverse"], "text": "l'avion j'aime"}
    assert [t[0] for t in tokens(body)] == ["noiva", "emia"]


def test_word_delimiter_graph_splits_case_and_numbers() -> None:
    body = {"tokenizer": "keyword", "filter": ["word_delimiter_graph"], "text": "PowerShot-500"}
    assert tokens(body) == [("Power", 0, 0, 5), ("Shot", 1, 5, 9), ("500", 2, 10, 13)]


def test_word_delimiter_graph_catenations_span_positions() -> None:
    body = {
        "tokenizer": "whitespace",
        "filter": [{"type": "word_delimiter_graph", "catenate_words": True, "preserve_original": True}],
        "text": "Neil's super-duper-xl-500",
    }
    assert tokens(body) == [
        ("Neil's", 0, 0, 6),
        ("Neil", 0, 0, 4),
        ("super-duper-xl-500", 1, 7, 25, 4),
        ("superduperxl", 1, 7, 21, 3),
        ("super", 1, 7, 12),
        ("duper", 2, 13, 18),
        ("xl", 3, 19, 21),
        ("500", 4, 22, 25),
    ]


def test_synonym_equivalence_puts_all_words_on_one_position() -> None:
    for kind in ("synonym", "synonym_graph"):
        body = {
            "tokenizer": "standard",
            "filter": ["lowercase", {"type": kind, "synonyms": ["Sam, Samuel, Sammy"]}],
            "text": "Sam is here",
        }
        result = analyze_request(body)["tokens"]
        at_zero = sorted(t["token"] for t in result if t["position"] == 0)
        assert at_zero == ["sam", "sammy", "samuel"], kind
        assert {t["type"] for t in result if t["token"] != "sam" and t["position"] == 0} == {"SYNONYM"}
        assert [(t["token"], t["position"]) for t in result if t["position"] > 0] == [("is", 1), ("here", 2)]


def test_explicit_synonym_replaces_the_input() -> None:
    body = {
        "tokenizer": "standard",
        "filter": [{"type": "synonym", "synonyms": ["bill => william"]}],
        "text": "bill gates",
    }
    result = analyze_request(body)["tokens"]
    assert [(t["token"], t["position"], t["type"]) for t in result] == [
        ("william", 0, "SYNONYM"),
        ("gates", 1, "<ALPHANUM>"),
    ]


def test_multi_word_synonym_graph_has_position_length() -> None:
    body = {
        "tokenizer": "standard",
        "filter": ["lowercase", {"type": "synonym_graph", "synonyms": ["ny, new york"]}],
        "text": "NY city",
    }
    assert tokens(body) == [("new", 0, 0, 2), ("ny", 0, 0, 2, 2), ("york", 1, 0, 2), ("city", 2, 3, 7)]


def test_synonym_rules_that_lose_words_fail_unless_lenient() -> None:
    settings: dict[str, Any] = {
        "filter": {"syn": {"type": "synonym", "synonyms": ["the beatles, fab four"]}},
        "analyzer": {"a": {"tokenizer": "standard", "filter": ["stop", "syn"]}},
    }
    err = raises(AnalysisRegistry, settings)
    assert (err.status, err.type, err.reason) == (
        400,
        "illegal_argument_exception",
        "failed to build synonyms",
    )
    settings["filter"]["syn"]["lenient"] = True
    assert terms(AnalysisRegistry(settings).analyzer("a"), "fab four") == ["fab", "four"]


# --- char filters and offsets -----------------------------------------------------------------------------------


def test_html_strip_offsets_point_into_the_original_text() -> None:
    text = "<p>I&apos;m so <b>happy</b>!</p>"
    body = {"tokenizer": "standard", "char_filter": ["html_strip"], "text": text}
    result = tokens(body)
    assert [t[0] for t in result] == ["I'm", "so", "happy"]
    for term, _pos, start, end in result:
        assert text[start:end].startswith(term[0])
    assert result[2][2] == text.index("happy")
    keyword = tokens({"tokenizer": "keyword", "char_filter": ["html_strip"], "text": text})
    assert keyword == [("\nI'm so happy!\n", 0, 0, len(text))]


def test_mapping_and_pattern_replace_char_filters_keep_offsets() -> None:
    registry = AnalysisRegistry(
        {
            "char_filter": {
                "amp": {"type": "mapping", "mappings": ["& => and", "ph => f"]},
                "dash": {"type": "pattern_replace", "pattern": "(\\d+)-(?=\\d)", "replacement": "$1_"},
            },
            "analyzer": {
                "a": {"tokenizer": "standard", "char_filter": ["amp", "dash"], "filter": ["lowercase"]}
            },
        }
    )
    text = "Phone & fax 123-456"
    toks = registry.analyzer("a").analyze(text)
    assert [(t.term, t.start_offset, t.end_offset) for t in toks] == [
        ("phone", 0, 5),
        ("and", 6, 7),
        ("fax", 8, 11),
        ("123_456", 12, 19),
    ]


# --- normalizers ------------------------------------------------------------------------------------------------


def test_custom_normalizer_lowercases_and_folds() -> None:
    registry = AnalysisRegistry(
        {"normalizer": {"folded": {"type": "custom", "filter": ["lowercase", "asciifolding"]}}}
    )
    normalizer = registry.normalizer("folded")
    assert normalizer.terms("José MÜLLER") == ["jose muller"]
    assert normalizer.normalize("Ærø") == "aero"
    assert registry.normalizer("lowercase").terms("ÉCOLE") == ["école"]
    assert registry.has_normalizer("folded") and not registry.has_normalizer("nope")


def test_normalizer_rejects_non_normalizing_filters() -> None:
    err = raises(AnalysisRegistry, {"normalizer": {"n": {"filter": ["lowercase", "ngram"]}}})
    assert (err.type, err.reason) == (
        "illegal_argument_exception",
        "Custom normalizer [n] may not use filter [ngram]",
    )
    err = raises(AnalysisRegistry, {"normalizer": {"n": {"char_filter": ["html_strip"]}}})
    assert err.reason == "Custom normalizer [n] may not use char filter [html_strip]"


def test_analyzer_normalize_applies_only_normalizing_filters() -> None:
    assert DEFAULT_REGISTRY.analyzer("standard").normalize("Quick FOX") == "quick fox"
    assert DEFAULT_REGISTRY.analyzer("whitespace").normalize("Quick FOX") == "Quick FOX"


# --- registry validation -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "reason"),
    [
        ({"tokenizer": {"my_tok": {"type": "foo"}}}, "Unknown tokenizer type [foo] for [my_tok]"),
        ({"filter": {"f": {"type": "bar"}}}, "Unknown filter type [bar] for [f]"),
        ({"char_filter": {"c": {"type": "baz"}}}, "Unknown char_filter type [baz] for [c]"),
        ({"analyzer": {"a": {"type": "klingon"}}}, "Unknown analyzer type [klingon] for [a]"),
        (
            {"analyzer": {"a": {"tokenizer": "standard", "filter": ["foo"]}}},
            "Custom Analyzer [a] failed to find filter under name [foo]",
        ),
        (
            {"analyzer": {"a": {"tokenizer": "nope"}}},
            "Custom Analyzer [a] failed to find tokenizer under name [nope]",
        ),
        (
            {"analyzer": {"a": {"filter": ["lowercase"]}}},
            "analyzer [a] must specify either an analyzer type, or a tokenizer",
        ),
        (
            {"analyzer": {"a": {"type": "custom", "filter": ["lowercase"]}}},
            "Custom Analyzer [a] must be configured with a tokenizer",
        ),
        (
            {"analyzer": {"_a": {"tokenizer": "standard"}}},
            "analyzer name must not start with '_'. got \"_a\"",
        ),
        (
            {"filter": {"g": {"type": "ngram", "min_gram": 1, "max_gram": 4}}},
            "The difference between max_gram and min_gram in NGram Tokenizer must be less than or equal to: [1] "
            "but was [3]. This limit can be set by changing the [index.max_ngram_diff] index level setting.",
        ),
    ],
)
def test_registry_validation_errors(settings: dict[str, Any], reason: str) -> None:
    err = raises(AnalysisRegistry, settings)
    assert (err.status, err.type, err.reason) == (400, "illegal_argument_exception", reason)


def test_registry_rejects_unknown_analysis_sections() -> None:
    err = raises(AnalysisRegistry, {"analyzers": {"a": {"tokenizer": "standard"}}})
    assert err.type == "illegal_argument_exception" and "index.analysis.analyzers" in (err.reason or "")


def test_registry_lookups_and_caching() -> None:
    registry = AnalysisRegistry(
        {
            "analyzer": {
                "default": {"tokenizer": "whitespace", "filter": "lowercase"},
                "gap": {"tokenizer": "standard", "position_increment_gap": "10"},
            }
        }
    )
    assert registry.analyzer("gap") is registry.analyzer("gap")
    assert registry.analyzer("standard") is DEFAULT_REGISTRY.analyzer("standard")
    assert registry.analyzer("gap").position_increment_gap == 10
    assert terms(registry.analyzer("default"), "A-B c") == ["a-b", "c"]
    assert registry.analyzer("default_search") is registry.analyzer("default")
    assert (
        registry.has_analyzer("gap") and registry.has_analyzer("english") and not registry.has_analyzer("x")
    )
    err = raises(registry.analyzer, "nope")
    assert (err.type, err.reason) == ("illegal_argument_exception", "failed to find analyzer [nope]")
    assert raises(registry.normalizer, "nope").reason == "failed to find normalizer under [nope]"


def test_settings_values_may_be_strings_or_dotted_keys() -> None:
    registry = AnalysisRegistry(
        {
            "filter.short.type": "length",
            "filter.short.max": "3",
            "analyzer": {"a": {"tokenizer": "whitespace", "filter": ["short"]}},
        }
    )
    assert terms(registry.analyzer("a"), "a bb cccc ddd") == ["a", "bb", "ddd"]


# --- _analyze ----------------------------------------------------------------------------------------------------


def test_analyze_list_of_texts_continues_positions_and_offsets() -> None:
    body = {"analyzer": "standard", "text": ["THIS IS A TEST", "THE SECOND TEXT"]}
    result = analyze_request(body)
    assert result["tokens"][3] == {
        "token": "test",
        "start_offset": 10,
        "end_offset": 14,
        "type": "<ALPHANUM>",
        "position": 3,
    }
    assert result["tokens"][5] == {
        "token": "second",
        "start_offset": 19,
        "end_offset": 25,
        "type": "<ALPHANUM>",
        "position": 105,
    }
    assert set(result) == {"tokens"}


def test_analyze_custom_chain_uses_no_position_gap() -> None:
    assert tokens({"tokenizer": "whitespace", "text": ["a b", "c"]}) == [
        ("a", 0, 0, 1),
        ("b", 1, 2, 3),
        ("c", 2, 4, 5),
    ]


def test_analyze_filters_only_runs_like_a_normalizer() -> None:
    assert tokens({"filter": ["lowercase", "asciifolding"], "text": "José MÜLLER"}) == [
        ("jose muller", 0, 0, 11)
    ]
    err = raises(analyze_request, {"filter": ["ngram"], "text": "x"})
    assert err.reason == "Custom normalizer may not use filter [ngram]"


def test_analyze_with_index_registry_and_normalizer() -> None:
    registry = AnalysisRegistry({"normalizer": {"folded": {"filter": ["lowercase", "asciifolding"]}}})
    assert tokens({"normalizer": "folded", "text": "Ünïcode"}, registry) == [("unicode", 0, 0, 7)]
    err = raises(analyze_request, {"normalizer": "folded", "text": "x"})
    assert err.type == "action_request_validation_exception"
    assert err.reason == "Validation Failed: 1: index is required if normalizer is specified;"


def test_analyze_errors() -> None:
    err = raises(analyze_request, {"analyzer": "nope", "text": "x"})
    assert (err.status, err.type, err.reason) == (
        400,
        "illegal_argument_exception",
        "failed to find global analyzer [nope]",
    )
    err = raises(analyze_request, {"tokenizer": "standard", "filter": ["nope"], "text": "x"})
    assert err.reason == "failed to find global filter under [nope]"
    err = raises(analyze_request, {"tokenizer": {"type": "nope"}, "text": "x"})
    assert err.reason == "failed to find global tokenizer under [nope]"
    err = raises(analyze_request, {"analyzer": "standard"})
    assert err.reason == "Validation Failed: 1: text is missing;"
    err = raises(analyze_request, {"analyzer": "standard", "tokenizer": "standard", "text": "x"})
    assert err.type == "action_request_validation_exception"
    err = raises(analyze_request, {"analyzer": "standard", "text": "x", "bogus": 1})
    assert err.type == "x_content_parse_exception"


def test_analyze_token_and_char_limits() -> None:
    body = {"analyzer": "standard", "text": "This should fail as it exceeds limit"}
    err = raises(analyze_request, body, None, max_token_count=3)
    assert err.type == "illegal_state_exception"
    assert "exceeded the allowed maximum of [3]" in (err.reason or "")
    assert len(analyze_request({"analyzer": "standard", "text": "a b c"}, max_token_count=3)["tokens"]) == 3
    err = raises(analyze_request, body, None, max_char_count=20)
    assert err.status == 400 and "[index.analyze.max_char_count]" in (err.reason or "")


def test_analyze_explain_shapes() -> None:
    body = {
        "tokenizer": "standard",
        "filter": ["lowercase", {"type": "stop"}],
        "text": "The Fox",
        "explain": True,
    }
    detail = analyze_request(body)["detail"]
    assert detail["custom_analyzer"] is True and detail["charfilters"] == []
    assert detail["tokenizer"]["name"] == "standard"
    assert [f["name"] for f in detail["tokenfilters"]] == ["lowercase", "__anonymous__stop"]
    fox = detail["tokenfilters"][1]["tokens"][0]
    assert fox == {
        "token": "fox",
        "start_offset": 4,
        "end_offset": 7,
        "type": "<ALPHANUM>",
        "position": 1,
        "bytes": "[66 6f 78]",
        "positionLength": 1,
        "termFrequency": 1,
    }
    plain = analyze_request(
        {"analyzer": "english", "text": "stars", "explain": True, "attributes": ["keyword"]}
    )
    assert plain["detail"] == {
        "custom_analyzer": False,
        "analyzer": {
            "name": "english",
            "tokens": [
                {
                    "token": "star",
                    "start_offset": 0,
                    "end_offset": 5,
                    "type": "<ALPHANUM>",
                    "position": 0,
                    "keyword": False,
                }
            ],
        },
    }


def test_analyze_reports_utf16_offsets_like_elasticsearch() -> None:
    assert tokens({"tokenizer": "whitespace", "text": "😀 ab"}) == [("😀", 0, 0, 2), ("ab", 1, 3, 5)]


# --- fast paths ---------------------------------------------------------------------------------------------------


def test_fast_paths_match_the_full_pipeline() -> None:
    registry = AnalysisRegistry(
        {
            "char_filter": {"amp": {"type": "mapping", "mappings": ["& => and"]}},
            "filter": {"st": {"type": "stop", "stopwords": ["the"], "ignore_case": True}},
            "analyzer": {
                "a1": {"tokenizer": "standard", "filter": ["lowercase", "asciifolding", "st", "porter_stem"]},
                "a2": {
                    "tokenizer": "whitespace",
                    "char_filter": ["html_strip", "amp"],
                    "filter": ["uppercase"],
                },
            },
        }
    )
    alphabet = list("abcXYZ éüß İΣ.,;:'-_@&<>123 \n") + ["<b>", "&amp;", "😀", "日本", "カタ", "\u0301"]
    rng = random.Random(11)
    names = ["standard", "simple", "whitespace", "keyword", "stop", "english", "a1", "a2"]
    for _ in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 20)))
        for name in names:
            analyzer = registry.analyzer(name)
            pipeline, _state = analyzer.stream(text)
            expected: list[Token] = []
            position = -1
            for tok in pipeline:
                position += tok.inc
                expected.append(Token(tok.term, position, tok.start, tok.end, tok.type, tok.plen))
            assert analyzer.analyze(text) == expected, (name, text)
            assert analyzer.terms(text) == [t.term for t in expected], (name, text)


def test_standard_terms_is_fast() -> None:
    text = "The quick brown fox jumped over the lazy dog's back"
    STANDARD.terms(text)
    rounds = 2000
    started = time.perf_counter()
    for _ in range(rounds):
        STANDARD.terms(text)
    per_call = (time.perf_counter() - started) / rounds
    assert per_call < 50e-6
