"""The fast write path (bulk, ingest, mapping, indexing, storage) gives the answers the generic path gives."""

from __future__ import annotations

import gc
import random
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch

from es360.embedded import dates
from es360.embedded.ingest.processors import DEFAULT_OUTPUT_FORMAT, _print_utc_millis, fingerprint
from es360.embedded.mapping import iso_millis
from es360.embedded.segment import KeywordPostings, Postings, TermDict, add_keyword_doc
from es360.embedded.server import start_server


def _random_iso(rng: random.Random) -> str:
    text = f"{rng.choice([rng.randrange(0, 10000), 1970, 2000, 2024]):04d}-{rng.randrange(0, 14):02d}-" \
           f"{rng.randrange(0, 33):02d}"
    if rng.random() < 0.8:
        text += f"T{rng.randrange(0, 26):02d}:{rng.randrange(0, 61):02d}:{rng.randrange(0, 61):02d}"
        if rng.random() < 0.5:
            text += "." + "".join(rng.choice("0123456789") for _ in range(rng.choice([1, 3, 3, 4, 9])))
        text += rng.choice(["", "Z", f"+{rng.randrange(0, 20):02d}:{rng.randrange(0, 61):02d}",
                            f"-{rng.randrange(0, 20):02d}:{rng.randrange(0, 61):02d}"])
    if rng.random() < 0.1:
        i = rng.randrange(len(text))
        text = text[:i] + rng.choice("x:-T+Z 9") + text[i + 1:]
    return text


def test_iso_fast_path_reads_dates_as_the_date_parser_does() -> None:
    rng = random.Random(7)
    samples = [_random_iso(rng) for _ in range(20_000)] + [
        "2024-02-29", "2023-02-29", "1900-02-29", "2000-02-29", "2025-04-31", "0000-01-01", "２０２５-01-01",
        "2025-01-01T10:22:33.123+0200", "2025-01-01T10:22:33z", "2025-01-01t10:22:33Z", "2025-03-04T24:00:00Z"]
    read = 0
    for text in samples:
        fast = iso_millis(text)
        if fast is not None:
            read += 1
            assert fast == dates._fast_iso(text), text
    assert read > 5_000


def test_date_processor_prints_utc_instants_as_the_formatter_does() -> None:
    formatter = dates.get_formatter(DEFAULT_OUTPUT_FORMAT)
    rng = random.Random(3)
    for millis in [0, -1, 253402300799999, -62135596800000, *(rng.randrange(-62135596800000, 253402300799999)
                                                               for _ in range(20_000))]:
        assert _print_utc_millis(millis) == formatter.format(millis, "UTC")


@pytest.mark.parametrize("method", ["MD5", "SHA-1", "SHA-256", "SHA-512", "MurmurHash3"])
def test_fingerprint_of_strings_matches_the_value_walk(method: str) -> None:
    assert fingerprint(["a", "b"], method) != fingerprint(["ab"], method)
    assert fingerprint(["x", "é"], method, "salt") == fingerprint([["x"], "é"], method, "salt")


def test_keyword_postings_match_positional_postings() -> None:
    rng = random.Random(11)
    for _ in range(2_000):
        reference = Postings(False)
        terms = TermDict()
        doc = 0
        for _ in range(rng.randrange(1, 10)):
            doc += rng.choice([0, 1, 4])
            count = rng.choice([1, 1, 2, 3])
            reference.add(doc, [0] * count)
            add_keyword_doc(terms, "t", doc, count)
        postings = terms["t"]
        assert list(postings.docs) == list(reference.docs)
        assert list(postings.freqs) == list(reference.freqs)
        assert postings.doc_array().tolist() == reference.doc_array().tolist()
        assert postings.freq_array().tolist() == reference.freq_array().tolist()
        assert postings.positions is None
    terms = TermDict()
    add_keyword_doc(terms, "one", 5)
    assert dict.get(terms, "one") == 5  # a term in a single doc is stored as the docnum
    assert terms.get("one").doc_array().tolist() == [5] and terms.get("none") is None
    assert [(t, p.docs.tolist()) for t, p in terms.items()] == [("one", [5])]
    assert [p.freqs.tolist() for p in terms.values()] == [[1]] and "one" in terms and len(terms) == 1
    assert isinstance(KeywordPostings(1).docs.tolist(), list)


@pytest.fixture()
def index(es: Elasticsearch, request: pytest.FixtureRequest) -> str:
    name = "wp-" + request.node.name.lower().replace("_", "-")[:60]
    es.options(ignore_status=404).indices.delete(index=name)
    es.indices.create(index=name, mappings={"properties": {
        "tags": {"type": "keyword"},
        "title": {"type": "text", "fields": {"raw": {"type": "keyword", "ignore_above": 10}}},
        "amount": {"type": "scaled_float", "scaling_factor": 100},
        "ratio": {"type": "float"},
        "count": {"type": "byte"},
        "at": {"type": "date"},
        "who": {"properties": {"email": {"type": "keyword"}}},
    }})
    return name


def test_bulk_values_are_indexed_and_searchable(es: Elasticsearch, index: str) -> None:
    name = index
    docs: list[dict[str, Any]] = [
        {"tags": ["a", "a", "b"], "title": "Short one", "amount": 12.345, "ratio": 0.1, "count": 3,
         "at": "2025-03-04T10:22:00+02:00", "who": {"email": "x@y.z"}},
        {"tags": "b", "title": "A much longer title", "amount": 7, "ratio": 2, "count": 127,
         "at": "2025-03-04", "who": {"email": "x@y.z"}},
        {"tags": ["c"], "title": "Short one", "at": "1741076520000"},
    ]
    body = [line for i, doc in enumerate(docs) for line in ({"index": {"_index": name, "_id": str(i)}}, doc)]
    assert es.bulk(operations=body, refresh=True)["errors"] is False
    count = es.count
    assert count(index=name, query={"term": {"tags": "a"}})["count"] == 1
    assert count(index=name, query={"term": {"tags": "b"}})["count"] == 2
    assert count(index=name, query={"term": {"title.raw": "Short one"}})["count"] == 2
    assert count(index=name, query={"term": {"title.raw": "A much longer title"}})["count"] == 0  # ignore_above
    assert count(index=name, query={"match": {"title": "longer"}})["count"] == 1
    assert count(index=name, query={"term": {"who.email": "x@y.z"}})["count"] == 2
    assert count(index=name, query={"range": {"amount": {"gte": 12.3, "lte": 12.4}}})["count"] == 1
    assert count(index=name, query={"range": {"at": {"gte": "2025-03-04T08:22:00Z",
                                                     "lte": "2025-03-04T08:22:00Z"}}})["count"] == 2
    assert [h["_id"] for h in es.search(index=name, query={"term": {"tags": "a"}})["hits"]["hits"]] == ["0"]
    buckets = es.search(index=name, size=0, aggs={"t": {"terms": {"field": "tags"}}})["aggregations"]["t"]
    assert {b["key"]: b["doc_count"] for b in buckets["buckets"]} == {"a": 1, "b": 2, "c": 1}
    stats = es.search(index=name, size=0, aggs={"s": {"sum": {"field": "amount"}}})["aggregations"]["s"]
    assert stats["value"] == pytest.approx(19.34)


def test_bad_values_still_fail_their_item_only(es: Elasticsearch, index: str) -> None:
    name = index
    body: list[dict[str, Any]] = [
        {"index": {"_index": name, "_id": "ok"}}, {"count": 5, "ratio": 1.5},
        {"index": {"_index": name, "_id": "range"}}, {"count": 300},
        {"index": {"_index": name, "_id": "date"}}, {"at": "not a date"},
        {"index": {"_index": name, "_id": "object"}}, {"tags": {"x": 1}},
        {"index": {"_index": name, "_id": "inf"}}, {"amount": "NaN"},
    ]
    items = es.bulk(operations=body)["items"]
    statuses = {item["index"]["_id"]: item["index"]["status"] for item in items}
    assert statuses == {"ok": 201, "range": 400, "date": 400, "object": 400, "inf": 400}
    assert items[1]["index"]["error"]["type"] == "document_parsing_exception"
    assert gc.isenabled()


def test_buffered_writes_keep_their_order_across_a_restart(tmp_path: Path) -> None:
    server = start_server(tmp_path)
    es = Elasticsearch(server.url)
    body: list[dict[str, Any]] = [
        {"index": {"_index": "order", "_id": "a"}}, {"n": 1},
        {"delete": {"_index": "order", "_id": "a"}},
        {"index": {"_index": "order", "_id": "b"}}, {"n": 1},
        {"delete": {"_index": "order", "_id": "b"}},
        {"index": {"_index": "order", "_id": "b"}}, {"n": 2},
        {"index": {"_index": "order", "_id": "c"}}, {"n": 1},
        {"index": {"_index": "order", "_id": "c"}}, {"n": 3},
    ]
    assert es.bulk(operations=body)["errors"] is False
    server.stop()
    server = start_server(tmp_path)
    try:
        es = Elasticsearch(server.url)
        assert es.options(ignore_status=404).get(index="order", id="a")["found"] is False
        assert es.get(index="order", id="b")["_source"] == {"n": 2}
        assert es.get(index="order", id="c")["_source"] == {"n": 3}
        assert es.count(index="order")["count"] == 2
    finally:
        server.stop()


def test_pipeline_changes_do_not_leak_into_other_requests(es: Elasticsearch) -> None:
    es.ingest.put_pipeline(id="wp-stamp", processors=[
        {"set": {"field": "stamped", "value": "{{who}}-{{_ingest.pipeline}}"}},
        {"date": {"field": "at", "target_field": "day", "formats": ["ISO8601"], "timezone": "UTC"}},
        {"script": {"source": "ctx.n = ctx.n * 2"}},
    ])
    es.options(ignore_status=404).indices.delete(index="wp-stamped")
    doc = {"who": "ann", "at": "2025-03-04T10:22:00+02:00", "n": 2}
    es.index(index="wp-stamped", id="1", document=doc, pipeline="wp-stamp", refresh=True)
    assert es.bulk(operations=[{"index": {"_index": "wp-stamped", "_id": "2", "pipeline": "wp-stamp"}}, doc],
                   refresh=True)["errors"] is False
    for doc_id in ("1", "2"):
        assert es.get(index="wp-stamped", id=doc_id)["_source"] == {
            "who": "ann", "at": "2025-03-04T10:22:00+02:00", "n": 4, "stamped": "ann-wp-stamp",
            "day": "2025-03-04T08:22:00.000Z"}


def test_parse_fast_path_matches_the_generic_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    from es360.embedded.errors import EsError
    from es360.embedded.mapping import Mapping

    mapping_json = {"properties": {
        "k": {"type": "keyword"}, "k10": {"type": "keyword", "ignore_above": 10},
        "t": {"type": "text", "fields": {"raw": {"type": "keyword", "ignore_above": 5}, "en": {"type": "text"}}},
        "i": {"type": "integer"}, "b": {"type": "byte"}, "d": {"type": "double"}, "f": {"type": "float"},
        "s": {"type": "scaled_float", "scaling_factor": 10}, "bo": {"type": "boolean"},
        "at": {"type": "date"}, "day": {"type": "date", "format": "yyyy-MM-dd"},
        "o": {"properties": {"k": {"type": "keyword"}, "n": {"properties": {"i": {"type": "long"}}}}},
        "off": {"type": "object", "enabled": False}, "cp": {"type": "keyword", "copy_to": "k"},
    }}
    rng = random.Random(5)
    values: list[Any] = ["x", "a long string value", "", "12", "1.5", 7, -3, 300, 2**40, 1.25, 1e39, float("nan"),
                         True, False, None, [], ["a", "b"], ["a", None], [1, [2]], {"k": "v"}, "2025-03-04",
                         "2025-03-04T10:22:00Z", "2025-03-04T10:22:00.123+02:00", "nope", "1741076520000"]
    fields = ["k", "k10", "t", "i", "b", "d", "f", "s", "bo", "at", "day", "o", "off", "cp", "dyn"]

    def parse(doc: dict[str, Any], fast: bool) -> Any:
        mapping = Mapping(mapping_json)
        if not fast:
            monkeypatch.setattr(Mapping, "parse_plan", lambda self, prefix, obj_def: {})
        try:
            parsed, update = mapping.parse_document(doc)
            return repr((parsed.values, parsed.ignored, update))
        except EsError as err:
            return repr(err.to_dict())
        finally:
            monkeypatch.undo()

    for _ in range(3_000):
        doc: dict[str, Any] = {}
        for name in rng.sample(fields, rng.randrange(1, 6)):
            value = rng.choice(values)
            if name == "o" and rng.random() < 0.7:
                value = {"k": rng.choice(values), "n": {"i": rng.choice(values)} if rng.random() < 0.5 else 1}
            doc[name] = value
        assert parse(doc, True) == parse(doc, False), doc


def test_field_indexers_build_what_the_generic_indexer_builds(monkeypatch: pytest.MonkeyPatch) -> None:
    from es360.embedded.index import Index

    mapping = {"properties": {
        "k": {"type": "keyword"}, "nd": {"type": "keyword", "doc_values": False},
        "ni": {"type": "keyword", "index": False}, "t": {"type": "text", "fields": {"kw": {"type": "keyword"}}},
        "n": {"type": "long"}, "bo": {"type": "boolean"}, "at": {"type": "date"},
        "low": {"type": "keyword", "normalizer": "lowercase"}, "fl": {"type": "flattened"},
    }}
    rng = random.Random(9)
    words = ["a", "b", "c", "Mixed Case", "the quick fox", "fox"]
    docs = []
    for i in range(400):
        doc: dict[str, Any] = {}
        for name in rng.sample(["k", "nd", "ni", "t", "n", "bo", "at", "low", "fl"], rng.randrange(1, 6)):
            if name in ("k", "nd", "ni", "t", "low"):
                doc[name] = rng.choice([rng.choice(words), [rng.choice(words), rng.choice(words)], f"u{i}"])
            elif name == "n":
                doc[name] = rng.choice([i, [i, 3, -1]])
            elif name == "bo":
                doc[name] = rng.choice([True, False, [True, False]])
            elif name == "at":
                doc[name] = f"2025-01-{rng.randrange(1, 29):02d}"
            else:
                doc[name] = {"x": rng.choice(words), "y": [1, "z"]}
        docs.append(doc)

    def build(fast: bool) -> Any:
        index = Index("eq", "uuid", {}, mapping)
        if not fast:
            def generic(self: Index, path: str) -> Any:
                f = self.mapping.field(path)
                if f is None:
                    return lambda docnum, values: None

                def run(docnum: int, values: list[Any]) -> None:
                    self.segment.mark_present(path, docnum)
                    self._index_field(docnum, f, path, values)
                return run
            monkeypatch.setattr(Index, "_make_indexer", generic)
        try:
            for i, doc in enumerate(docs):
                index.index_doc(str(i % 300), doc)  # some updates too
        finally:
            monkeypatch.undo()
        seg = index.segment
        return (
            {p: (inv.doc_count, inv.sum_ttf, list(inv.lengths), inv.with_positions,
                 {t: (list(x.docs), list(x.freqs), list(x.positions) if x.positions is not None else None)
                  for t, x in inv.terms.items()}) for p, inv in seg.inverted.items()},
            {p: (col.kind, list(col.docs), list(col.values), col.vocab) for p, col in seg.columns.items()},
            {p: list(a) for p, a in seg.present.items()},
        )

    assert build(True) == build(False)
