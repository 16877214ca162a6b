"""Write-path shortcuts (remembered analyses, compact postings, n-gram positions, enrich index mappings,
partial updates) give exactly what the generic path gives."""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch

from es360.embedded import index as index_mod
from es360.embedded.analysis import AnalysisRegistry
from es360.embedded.api.documents import deep_merge, merges_to_itself
from es360.embedded.index import Index
from es360.embedded.segment import InvertedField, SinglePositionPostings

ROOT = Path(__file__).resolve().parents[2]
ANALYSIS = json.loads((ROOT / "mappings/component/es360-person.json").read_text())["template"]["settings"][
    "index"]["analysis"]
EXTRA = {
    "filter": {"grams_kept": {"type": "edge_ngram", "min_gram": 2, "max_gram": 4, "preserve_original": True},
               "inner": {"type": "ngram", "min_gram": 2, "max_gram": 3}},
    "analyzer": {"stop_prefix": {"type": "custom", "tokenizer": "standard",
                                 "filter": ["lowercase", "stop", "grams_kept"]},
                 "inner_grams": {"type": "custom", "tokenizer": "whitespace", "filter": ["inner"]},
                 "reversed_prefix": {"type": "custom", "tokenizer": "standard",
                                     "filter": ["stop", "reverse", "grams_kept"]}},
}


def _registry() -> AnalysisRegistry:
    merged = {kind: {**ANALYSIS.get(kind, {}), **EXTRA.get(kind, {})} for kind in {*ANALYSIS, *EXTRA}}
    return AnalysisRegistry(merged)


def _texts(rng: random.Random, n: int) -> list[str]:
    fixed = ["Ann Drumor", "a.drugor2000@yahoo.com", "+31 012 904 047", "", "  ", "Élodie O'Brien-Smith",
             "the quick brown fox and the dog", "a an the", "x y zzzzzzz the qq", "Straße 12", "İstanbul"]
    return fixed + ["".join(rng.choice("ab the C1-2 .@éß'İ") for _ in range(rng.randrange(0, 40))) for _ in range(n)]


@pytest.mark.parametrize("name", ["es360_prefix", "es360_phone_suffix", "es360_keyword_prefix", "es360_folded_text",
                                  "es360_email_local", "es360_email_domain", "es360_phone_reversed",
                                  "es360_nickname_search", "stop_prefix", "inner_grams", "reversed_prefix",
                                  "standard", "simple", "whitespace", "english", "keyword"])
def test_positions_are_those_of_the_full_token_stream(name: str) -> None:
    analyzer = _registry().analyzer(name)
    for text in _texts(random.Random(name), 300):
        toks, _ = analyzer.stream(text)
        position, expected = -1, []
        for tok in toks:
            if tok.inc > 0:
                position += tok.inc
            expected.append((tok.term, position))
        assert analyzer.positions(text) == expected, text


def test_es360_analyzers_have_the_positions_fast_path() -> None:
    registry = _registry()
    assert all(registry.analyzer(n)._fast_positions is not None
               for n in ("es360_prefix", "es360_phone_suffix", "es360_keyword_prefix", "stop_prefix",
                         "es360_folded_text", "es360_email_local", "es360_email_domain"))


def _snapshot(index: Index) -> Any:
    seg = index.segment
    inverted = {}
    for path, inv in seg.inverted.items():
        postings = {}
        for term, p in inv.terms.items():
            pos = None
            if p.positions is not None:
                pos = [list(p.positions_of(i)) for i in range(len(p.docs))]
            postings[term] = (list(p.docs), list(p.freqs), pos)
        inverted[path] = (inv.doc_count, inv.sum_ttf, list(inv.lengths), postings)
    columns = {p: (col.kind, list(col.docs), [col.vocab[v] for v in col.values] if col.kind == "str"
                   else list(col.values)) for p, col in seg.columns.items()}
    return inverted, columns, {p: list(a) for p, a in seg.present.items()}


def test_remembered_analyses_index_what_fresh_analyses_index(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = {f"index.analysis.{kind}.{name}.{key}": value
                for kind in {*ANALYSIS, *EXTRA} for name, cfg in {**ANALYSIS.get(kind, {}), **EXTRA.get(kind, {})}.items()
                for key, value in cfg.items()}
    mapping = {"properties": {
        "name": {"type": "text", "analyzer": "es360_folded_text",
                 "fields": {"prefix": {"type": "text", "analyzer": "es360_prefix"},
                            "norm": {"type": "keyword", "normalizer": "es360_folded"}}},
        "phones": {"type": "keyword", "fields": {"suffix": {"type": "text", "analyzer": "es360_phone_suffix"}}},
        "notes": {"type": "text", "analyzer": "stop_prefix", "position_increment_gap": 7},
        "code": {"type": "keyword", "normalizer": "es360_compact", "doc_values": False},
    }}
    rng = random.Random(5)
    names = ["Ann Drumor", "Élodie O'Brien", "the the", "Ann", "", "Zoë Zoë Zoë"]
    docs = []
    for i in range(500):
        doc: dict[str, Any] = {}
        if rng.random() < 0.8:
            doc["name"] = rng.choice([rng.choice(names), [rng.choice(names), rng.choice(names)], f"Unique {i}"])
        if rng.random() < 0.6:
            doc["phones"] = [f"+31 6{rng.randrange(100)}", "+44 20 7946 0000"][: rng.randrange(1, 3)]
        if rng.random() < 0.5:
            doc["notes"] = [rng.choice(names), "and the quick fox", f"x{i % 7}"]
        if rng.random() < 0.5:
            doc["code"] = rng.choice(["AB-1", "ab 1", f"C{i}"])
        docs.append(doc)

    def build(remember: bool) -> Any:
        index = Index("eq", "uuid", settings, mapping)
        if not remember:
            def generic(self: Index, path: str) -> Any:
                f = self.mapping.field(path)

                def run(docnum: int, values: list[Any]) -> None:
                    self.segment.mark_present(path, docnum)
                    self._index_field(docnum, f, path, values)
                return run
            monkeypatch.setattr(Index, "_make_indexer", generic)
        else:
            monkeypatch.setattr(index_mod, "MEMO_LIMIT", 7)  # forgets often, too
        try:
            for i, doc in enumerate(docs):
                index.index_doc(str(i % 350), doc)  # updates re-index remembered values
        finally:
            monkeypatch.undo()
        return _snapshot(index)

    assert build(True) == build(False)


def test_a_term_seen_once_is_compact_and_grows_when_seen_again() -> None:
    inv = InvertedField(with_positions=True)
    inv.add_grouped(0, ("fox", "dog"), (3, (1, 4)), 0, 3)
    stored = dict.get(inv.terms, "fox")
    assert stored == (0, 3)
    view = inv.terms["fox"]
    assert isinstance(view, SinglePositionPostings)
    assert (list(view.docs), list(view.freqs), list(view.positions_of(0))) == ([0], [1], [3])
    inv.add_grouped(0, ("fox",), (9,), 10, 1)  # the same doc again (a second value)
    inv.add_term(2, "fox")
    inv.add(5, [("fox", 2), ("fox", 6)], 2)
    grown = inv.terms["fox"]
    assert list(grown.docs) == [0, 2, 5] and list(grown.freqs) == [2, 1, 2]
    assert [list(grown.positions_of(i)) for i in range(3)] == [[3, 19], [0], [2, 6]]
    dog = inv.terms["dog"]
    assert (list(dog.docs), list(dog.freqs), list(dog.positions_of(0))) == ([0], [2], [1, 4])


def test_phrases_and_scores_on_terms_seen_once(es: Elasticsearch) -> None:
    name = "speedups-phrases"
    es.options(ignore_status=404).indices.delete(index=name)
    es.indices.create(index=name, settings={"number_of_shards": 1}, mappings={"properties": {"t": {"type": "text"}}})
    es.index(index=name, id="1", document={"t": ["quick brown zebra", "lazy dog"]})
    es.index(index=name, id="2", document={"t": "quick brown fox"}, refresh=True)
    hits = es.search(index=name, query={"match_phrase": {"t": "brown zebra"}})["hits"]["hits"]
    assert [h["_id"] for h in hits] == ["1"]
    assert es.search(index=name, query={"match_phrase": {"t": "zebra lazy"}})["hits"]["total"]["value"] == 0
    ranked = es.search(index=name, query={"match": {"t": "fox zebra"}})["hits"]["hits"]
    assert {h["_id"] for h in ranked} == {"1", "2"} and ranked[0]["_score"] > 0


def test_enrich_indices_map_only_the_match_field(es: Elasticsearch) -> None:
    es.options(ignore_status=404).enrich.delete_policy(name="speedups-policy")
    es.options(ignore_status=404).indices.delete(index="speedups-src")
    es.indices.create(index="speedups-src", mappings={"properties": {
        "who": {"properties": {"email": {"type": "keyword"}}}, "tier": {"type": "keyword"},
        "note": {"type": "text"}}})
    es.index(index="speedups-src", id="1", document={"who": {"email": "a@x.io"}, "tier": "gold", "note": "hello"},
             refresh=True)
    es.enrich.put_policy(name="speedups-policy", match={"indices": "speedups-src", "match_field": "who.email",
                                                        "enrich_fields": ["tier", "note"]})
    es.enrich.execute_policy(name="speedups-policy")
    got = es.indices.get_mapping(index=".enrich-speedups-policy-*", expand_wildcards="all")
    mappings = next(iter(got.values()))["mappings"]
    assert mappings["dynamic"] in (False, "false")
    assert mappings["properties"] == {"who": {"properties": {"email": {"type": "keyword", "doc_values": False}}}}
    assert mappings["_meta"]["enrich_policy_type"] == "match"
    found = es.search(index=".enrich-speedups-policy-*", expand_wildcards="all",
                      query={"term": {"who.email": "a@x.io"}})["hits"]["hits"]
    assert [h["_source"] for h in found] == [{"who": {"email": "a@x.io"}, "tier": "gold", "note": "hello"}]
    es.enrich.delete_policy(name="speedups-policy")


def test_partial_updates_merge_detect_noops_and_keep_the_stored_source(es: Elasticsearch) -> None:
    name = "speedups-updates"
    es.options(ignore_status=404).indices.delete(index=name)
    es.index(index=name, id="1", document={"a": {"b": 1, "c": [1, 2]}, "d": "x"}, refresh=True)
    noop = es.update(index=name, id="1", doc={"a": {"b": 1}})
    assert noop["result"] == "noop" and noop["_version"] == 1
    changed = es.update(index=name, id="1", doc={"a": {"e": "new"}, "d": "y"})
    assert changed["result"] == "updated" and changed["_version"] == 2
    assert es.get(index=name, id="1")["_source"] == {"a": {"b": 1, "c": [1, 2], "e": "new"}, "d": "y"}
    forced = es.update(index=name, id="1", doc={"d": "y"}, detect_noop=False)
    assert forced["result"] == "updated" and forced["_version"] == 3


def test_noop_detection_agrees_with_merging() -> None:
    rng = random.Random(11)
    leaves: list[Any] = [1, 1.0, True, "x", "y", None, [1, 2], [], {}]

    def value(depth: int) -> Any:
        if depth < 3 and rng.random() < 0.4:
            return {rng.choice("abc"): value(depth + 1) for _ in range(rng.randrange(0, 3))}
        return copy.deepcopy(rng.choice(leaves))

    for _ in range(3000):
        base = {k: value(0) for k in rng.sample("abcd", rng.randrange(0, 4))}
        patch = {k: value(0) for k in rng.sample("abcd", rng.randrange(0, 3))}
        if rng.random() < 0.3 and base:  # often a patch of values the source already has
            patch = copy.deepcopy({k: base[k] for k in rng.sample(sorted(base), 1)})
        merged = deep_merge(copy.deepcopy(base), copy.deepcopy(patch))
        assert merges_to_itself(base, patch) == (merged == base), (base, patch)


@pytest.mark.parametrize(("pattern", "replacement"), [
    ("[^0-9]", ""), ("[^\\p{L}\\p{Nd}]", ""), ("@.*$", ""), ("^[^@]*@", ""), ("(a)(b)", "$2$1"), ("x", "\\\\"),
    ("y", "\\$"), ("z", "q\\\\1"), ("(\\w+)", "<$1>"), ("a", "\\g<0>"), ("b", "tail\\")])
def test_pattern_replace_fast_path_replaces_as_the_offset_tracking_path(pattern: str, replacement: str) -> None:
    registry = AnalysisRegistry({"char_filter": {"c": {"type": "pattern_replace", "pattern": pattern,
                                                       "replacement": replacement}},
                                 "analyzer": {"a": {"type": "custom", "tokenizer": "keyword", "char_filter": ["c"]}}})
    analyzer = registry.analyzer("a")
    rng = random.Random(pattern)
    for text in ["".join(rng.choice("abxyz019 @.É\\$") for _ in range(rng.randrange(0, 30))) for _ in range(300)]:
        assert [cf.fast(text) for cf in analyzer.char_filters] == [cf.apply(text)[0] for cf in analyzer.char_filters]
