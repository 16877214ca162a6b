"""The indexing path's short cuts give exactly what the general code gives: grouped analyses,
positional postings with implicit frequencies, character-class char filters by table, and the
parse of multi-valued fields with multi-fields."""

from __future__ import annotations

import json
import random
from array import array
from pathlib import Path
from typing import Any

import pytest

from es360.embedded import mapping as mapping_mod
from es360.embedded.analysis import AnalysisRegistry, group_positions
from es360.embedded.index import Index
from es360.embedded.mapping import Mapping
from es360.embedded.segment import InvertedField, Postings

ROOT = Path(__file__).resolve().parents[2]
ANALYSIS = json.loads((ROOT / "mappings/component/es360-person.json").read_text())["template"]["settings"][
    "index"]["analysis"]
EXTRA = {
    "tokenizer": {"dash": {"type": "char_group", "tokenize_on_chars": ["-", "whitespace"]},
                  "short": {"type": "standard", "max_token_length": 3}},
    "filter": {"grams_kept": {"type": "edge_ngram", "min_gram": 2, "max_gram": 4, "preserve_original": True},
               "inner": {"type": "ngram", "min_gram": 1, "max_gram": 2},
               "long_only": {"type": "length", "min": 3}},
    "analyzer": {"stop_prefix": {"type": "custom", "tokenizer": "standard", "filter": ["lowercase", "stop", "grams_kept"]},
                 "inner_grams": {"type": "custom", "tokenizer": "whitespace", "filter": ["inner"]},
                 "dash_prefix": {"type": "custom", "tokenizer": "dash", "filter": ["lowercase", "grams_kept"]},
                 "short_tokens": {"type": "custom", "tokenizer": "short", "filter": ["long_only"]},
                 "url_email": {"type": "custom", "tokenizer": "uax_url_email", "filter": ["lowercase"]},
                 "letters": {"type": "custom", "tokenizer": "letter", "filter": ["asciifolding"]},
                 "lower_tok": {"type": "custom", "tokenizer": "lowercase", "filter": ["reverse", "grams_kept"]}},
}
ANALYZERS = ["es360_prefix", "es360_phone_suffix", "es360_keyword_prefix", "es360_folded_text", "es360_email_local",
             "es360_email_domain", "es360_phone_reversed", "es360_keyword_folded", "es360_nickname_search",
             "stop_prefix", "inner_grams", "dash_prefix", "short_tokens", "url_email", "letters", "lower_tok",
             "standard", "simple", "whitespace", "english", "keyword", "stop"]


def _registry() -> AnalysisRegistry:
    merged = {kind: {**ANALYSIS.get(kind, {}), **EXTRA.get(kind, {})} for kind in {*ANALYSIS, *EXTRA}}
    return AnalysisRegistry(merged)


def _texts(rng: random.Random, n: int) -> list[str]:
    fixed = ["Ann Drumor", "a.drugor2000@yahoo.com", "+31 012 904 047", "", "  ", "Élodie O'Brien-Smith",
             "the quick brown fox and the dog", "a an the", "aaa aaa", "Straße 12", "İstanbul", "ΣΊΣΥΦΟΣ",
             "see https://x.io/a?b=1 or mail ann@x.io", "abcdefghij" * 30, "x-y-z q", "Ünïcödé 𝔘𝔫𝔦"]
    alphabet = "ab the C1-2 .@éß'İ𝔘:/"
    return fixed + ["".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 40))) for _ in range(n)]


@pytest.mark.parametrize("name", ANALYZERS)
def test_grouped_analysis_is_the_token_stream_grouped_by_term(name: str) -> None:
    analyzer = _registry().analyzer(name)
    for text in _texts(random.Random(name), 300):
        expected = group_positions(analyzer.positions(text))
        assert analyzer.grouped(text) == expected, text
        assert analyzer.grouped(text) == expected, text  # again: remembered n-grams


def test_es360_analyzers_group_without_a_token_list() -> None:
    registry = _registry()
    assert all(registry.analyzer(n)._fast_grouped is not None
               for n in ("es360_prefix", "es360_phone_suffix", "es360_keyword_prefix", "es360_folded_text",
                         "es360_email_local", "es360_email_domain", "inner_grams"))


def _reference(ops: list[tuple[int, list[int]]]) -> list[tuple[int, list[int]]]:
    """What postings hold after adding `ops` in order: (doc, positions) per doc."""
    out: list[tuple[int, list[int]]] = []
    for doc, positions in ops:
        if out and out[-1][0] == doc:
            out[-1][1].extend(positions)
        else:
            out.append((doc, list(positions)))
    return out


def _read(p: Any) -> list[tuple[int, list[int]]]:
    docs, freqs, starts = list(p.docs), list(p.freqs), list(p.pos_start)
    assert list(p.doc_array()) == docs and list(p.freq_array()) == freqs
    assert starts == [sum(freqs[:i]) for i in range(len(freqs))]
    assert len(p.positions) == sum(freqs)
    return [(doc, list(p.positions_of(i))) for i, doc in enumerate(docs)]


def test_positional_postings_read_the_same_with_implicit_or_explicit_frequencies() -> None:
    rng = random.Random(3)
    for _ in range(400):
        postings = Postings(True)
        ops: list[tuple[int, list[int]]] = []
        doc = 0
        for _ in range(rng.randrange(1, 12)):
            doc += rng.choice([0, 1, 1, 1, 4]) if ops else rng.randrange(3)
            if rng.random() < 0.5:
                pos = rng.randrange(50)
                postings.add_one(doc, pos)
                ops.append((doc, [pos]))
            else:
                positions = sorted(rng.sample(range(50), rng.choice([1, 1, 2, 3])))
                postings.add(doc, positions)
                ops.append((doc, positions))
            assert _read(postings) == _reference(ops)
        assert (postings._freqs is None) == all(len(p) == 1 for _, p in _reference(ops))


def test_positionless_postings_count_frequencies() -> None:
    postings = Postings(False)
    postings.add(1, [0])
    postings.add(1, [0, 0])
    postings.add(4, [0])
    assert (list(postings.docs), list(postings.freqs), postings.pos_start) == ([1, 4], [3, 1], None)
    with pytest.raises(TypeError):
        postings.positions_of(0)


def test_grouped_tokens_build_the_postings_that_single_tokens_build() -> None:
    rng = random.Random(9)
    grouped, single = InvertedField(True), InvertedField(True)
    for doc in range(300):
        base = 0
        for _ in range(rng.randrange(0, 3)):  # values of one doc
            tokens = [(rng.choice("abcdefgh"), p) for p in range(rng.randrange(1, 5))]
            terms, positions, count, last = group_positions(tokens)
            grouped.add_grouped(doc, terms, positions, base, count)
            single.add(doc, [(t, p + base) for t, p in tokens], count)
            base += last + 101
    assert grouped.doc_count == single.doc_count and grouped.sum_ttf == single.sum_ttf
    assert list(grouped.lengths) == list(single.lengths)
    assert {t: _read(p) for t, p in grouped.terms.items()} == {t: _read(p) for t, p in single.terms.items()}


@pytest.mark.parametrize("pattern", ["[^\\p{L}\\p{Nd}]", "[\\p{L}]", "[^\\p{Lu}\\p{Nd}_]", "[^0-9]"])
@pytest.mark.parametrize("replacement", ["", "#", "\\\\"])
def test_character_class_filters_replace_as_the_regex(pattern: str, replacement: str) -> None:
    registry = AnalysisRegistry({"char_filter": {"c": {"type": "pattern_replace", "pattern": pattern,
                                                       "replacement": replacement}},
                                 "analyzer": {"a": {"type": "custom", "tokenizer": "keyword", "char_filter": ["c"]}}})
    cf = registry.analyzer("a").char_filters[0]
    assert (cf._table is not None) == (pattern != "[^0-9]")  # small classes stay with the regex
    rng = random.Random(pattern + replacement)
    alphabet = "aZ09_-: \t.ÉßİΣ٠²Ⅳ𝔘😀\u0301\n"
    for text in ["".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 30))) for _ in range(300)]:
        assert cf.fast(text) == cf.pattern.sub(cf._sub_with, text) == cf.apply(text)[0], text


def test_a_full_character_table_still_maps_every_character(monkeypatch: pytest.MonkeyPatch) -> None:
    from es360.embedded import analysis

    monkeypatch.setattr(analysis, "_CHAR_TABLE_LIMIT", 3)
    registry = AnalysisRegistry({"char_filter": {"c": {"type": "pattern_replace", "pattern": "[^\\p{L}\\p{Nd}]",
                                                       "replacement": ""}},
                                 "analyzer": {"a": {"type": "custom", "tokenizer": "keyword", "char_filter": ["c"]}}})
    cf = registry.analyzer("a").char_filters[0]
    assert cf.fast("a-b c:D٠²") == "abcD٠"
    assert len(cf._table) == 3


MULTI_MAPPING = {"properties": {
    "emails": {"type": "keyword", "fields": {"folded": {"type": "keyword", "normalizer": "n"},
                                             "prefix": {"type": "text"}, "short": {"type": "keyword", "ignore_above": 6}}},
    "names": {"type": "text", "fields": {"raw": {"type": "keyword", "ignore_above": 5}}},
    "ids": {"type": "keyword", "ignore_above": 8, "fields": {"compact": {"type": "keyword"}}},
    "born": {"type": "date", "fields": {"text": {"type": "keyword"}}},
    "tags": {"type": "keyword"},
}}


def _random_list(rng: random.Random) -> Any:
    items: list[Any] = ["ann@x.io", "B", "bob@example.com", "", "é" * 3, "x" * 9, None, 7, ["nested", "list"],
                        "2024-01-02", {"o": 1}, True, "abcde", "Abcdef", "a" * 8]  # and lengths at the limits
    weights = [5, 5, 5, 2, 2, 2, 1, 1, 1, 3, 1, 1, 3, 3, 3]
    if rng.random() < 0.2:
        return rng.choices(items, weights)[0]
    return rng.choices(items, weights, k=rng.randrange(0, 4))


def _parse(mapping: Mapping, doc: dict[str, Any]) -> Any:
    try:
        parsed, update = mapping.parse_document(doc)
    except Exception as err:  # noqa: BLE001 - the outcome compared, errors included
        return ("error", type(err).__name__, str(err))
    return list(parsed.values.items()), parsed.ignored, update


def test_lists_of_fields_with_multi_fields_parse_as_the_generic_path(monkeypatch: pytest.MonkeyPatch) -> None:
    registry = AnalysisRegistry({"normalizer": {"n": {"type": "custom", "filter": ["lowercase"]}}})
    mapping = Mapping(MULTI_MAPPING, registry)
    rng = random.Random(17)
    docs = [{key: _random_list(rng) for key in rng.sample(sorted(MULTI_MAPPING["properties"]), rng.randrange(1, 5))}
            for _ in range(600)]
    fast = [_parse(mapping, doc) for doc in docs]
    monkeypatch.setattr(mapping_mod.Mapping, "parse_plan", lambda self, prefix, obj_def: {})
    generic = [_parse(mapping, doc) for doc in docs]
    assert fast == generic


def test_indexing_and_updating_customers_like_docs_matches_the_generic_indexers(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = {f"index.analysis.{kind}.{name}.{key}": value
                for kind in ANALYSIS for name, cfg in ANALYSIS[kind].items() for key, value in cfg.items()}
    mapping = json.loads((ROOT / "mappings/index/es360-customers.json").read_text())["template"]["mappings"]
    rng = random.Random(23)
    firsts = ["Mary", "Ann", "Élodie", "Bob"]
    docs = []
    for i in range(300):
        first = rng.choice(firsts)
        doc = {"customer_id": f"cus_{i % 120:04x}", "emails": [f"{first.lower()}{j}@x.io" for j in range(rng.randrange(0, 3))],
               "phones": [f"+44 20 {rng.randrange(10**6):06d}" for _ in range(rng.randrange(0, 3))],
               "names": [f"{first} Vinlom", f"{first.upper()} VINLOM"][: rng.randrange(1, 3)],
               "address": {"street": f"{rng.randrange(300)} Mill Road", "postcode": rng.choice(["LS1 8LE", "ls18le"])},
               "record_ids": [f"crm:C-{rng.randrange(10**5)}"], "record_count": 1,
               "consent": {"email": {"events": [{"status": "opt_in", "source": "crm", "record_id": "crm:C-1",
                                                 "at": "2020-01-01T00:00:00Z", "current": True}] * rng.randrange(0, 3)}}}
        docs.append(doc)

    def build(generic: bool) -> Any:
        index = Index("eq", "uuid", settings, mapping)
        if generic:
            def general(self: Index, path: str) -> Any:
                f = self.mapping.field(path)

                def run(docnum: int, values: list[Any]) -> None:
                    self.segment.mark_present(path, docnum)
                    self._index_field(docnum, f, path, values)
                return run
            monkeypatch.setattr(Index, "_make_indexer", general)
        try:
            for doc in docs:
                index.index_doc(doc["customer_id"], doc)  # ids repeat: updates
        finally:
            monkeypatch.undo()
        seg = index.segment
        inverted = {path: (inv.doc_count, inv.sum_ttf, list(inv.lengths),
                           {t: _read(p) if p.positions is not None else (list(p.docs), list(p.freqs))
                            for t, p in inv.terms.items()})
                    for path, inv in seg.inverted.items()}
        columns = {p: (list(col.docs), [col.vocab[v] for v in col.values] if col.kind == "str" else list(col.values))
                   for p, col in seg.columns.items()}
        return inverted, columns, {p: list(a) for p, a in seg.present.items()}, list(seg.parent), bytes(seg.live)

    assert build(False) == build(True)


def test_postings_arrays_are_int32() -> None:
    postings = Postings(True)
    postings.add_one(2, 5)
    postings.add_one(2, 7)
    assert isinstance(postings.freqs, array) and postings.freqs.typecode == "i"
    assert postings.freq_array().dtype.name == "int32" and postings.doc_array().dtype.name == "int32"
    assert (list(postings.docs), list(postings.freqs), list(postings.positions_of(0))) == ([2], [2], [5, 7])


@pytest.mark.parametrize("date_format", [None, "strict_date||strict_date_optional_time", "epoch_millis||yyyy-MM-dd",
                                         "dd/MM/yyyy HH:mm"])
def test_remembered_dates_convert_as_the_generic_path(monkeypatch: pytest.MonkeyPatch, date_format: str | None) -> None:
    definition: dict[str, Any] = {"type": "date"}
    if date_format:
        definition["format"] = date_format
    mapping = Mapping({"properties": {"at": definition}}, AnalysisRegistry({}))
    shapes = ["2024-02-29", "2023-02-29", "2024-01-02T03:04:05Z", "2024-01-02T03:04:05.123456+02:00", "1700000000000",
              "02/01/2024 10:30", "not a date", "2024-13-01", "2024-01-02T24:00:00Z", "2024-01-02 03:04"]
    rng = random.Random(date_format)
    docs = [{"at": rng.choice(shapes)} for _ in range(200)]  # each shape many times: remembered after the first
    fast = [_parse(mapping, doc) for doc in docs]
    monkeypatch.setattr(mapping_mod.Mapping, "parse_plan", lambda self, prefix, obj_def: {})
    assert fast == [_parse(mapping, doc) for doc in docs]
