"""The engine's ingest fast paths give exactly what the generic code gives: inlined Painless String/List
calls and double division, the plain-digits paths of Integer.parseInt and Double.parseDouble, and the
date processor's output reused by the mapper without parsing it again."""

from __future__ import annotations

from typing import Any

import pytest

from es360.embedded import mapping as mapping_mod
from es360.embedded.painless.runtime import JavaException, _parse_double, _parse_int
from tests.embedded.test_painless_codegen import _ctx, _outcome

INLINED = [
    # String methods without arguments, on strings, other receivers and null
    "ctx.s.trim()", "ctx.s.isEmpty()", "ctx.s.length()", "ctx.s.toString()", "''.isEmpty()", "'\\t x \\n'.trim()",
    "ctx.n.trim()", "ctx.n.isEmpty()", "ctx.n.length()", "ctx.a.toString()", "ctx.list.isEmpty()",
    "ctx.m.isEmpty()", "ctx.list.toString()", "ctx.a.trim()", "ctx.b.length()",
    # List.add with one argument, on lists, sets, maps and null; its value and evaluation order
    "List l = new ArrayList(); boolean r = l.add(ctx.a); l.add(null); return [r, l]",
    "Set s = new HashSet(); s.add(1); s.add(1); return s.size()", "ctx.n.add(1)", "ctx.m.add(1)",
    "ctx.s.add('x')", "List l = new ArrayList(); int i = 0; l.add(i++); l.add(i); return l",
    "List l = null; l.add(ctx.missing.x)", "ctx.list.add(ctx.list.size()); return ctx.list",
    # division: doubles, longs, zeros, mixed and non-numbers
    "ctx.b / 2", "ctx.a / 2", "7 / 2", "-7 / 2", "7.0 / 2", "7 / 2.0", "ctx.b / 0", "ctx.b / 0.0", "-ctx.b / 0.0",
    "0.0 / 0.0", "ctx.a / 0", "ctx.a / 0.0", "ctx.s / 2", "ctx.n / 2.0", "ctx.t / 1.0", "Math.round(ctx.b * 100.0) / 100.0",
]


@pytest.mark.parametrize("source", INLINED)
def test_inlined_calls_match_the_interpreter(source: str) -> None:
    assert _outcome(source, True, {"ctx": _ctx()}) == _outcome(source, False, {"ctx": _ctx()})


@pytest.mark.parametrize("text, expected", [("3", 3), ("0012", 12), ("999999999", 999999999), ("+5", 5),
                                            ("-5", -5), ("2147483647", 2147483647), ("-2147483648", -2147483648)])
def test_parse_int_values(text: str, expected: int) -> None:
    assert _parse_int(text) == expected


@pytest.mark.parametrize("text", ["2147483648", "9999999999", "", " 3", "1_000", "\u0661\u0662", "12a", "3.0"])
def test_parse_int_rejects_what_java_rejects(text: str) -> None:
    with pytest.raises(JavaException) as caught:
        _parse_int(text)
    assert caught.value.es_type == "number_format_exception"


@pytest.mark.parametrize("text, expected", [("329.40", 329.4), ("5.", 5.0), (".5", 0.5), ("007", 7.0),
                                            ("1" * 400, float("inf")), (" 2.5 ", 2.5), ("-1.5", -1.5),
                                            ("1e3", 1000.0), ("2.5f", 2.5), ("NaN", float("nan"))])
def test_parse_double_values(text: str, expected: float) -> None:
    got = _parse_double(text)
    assert got == expected or (got != got and expected != expected)


@pytest.mark.parametrize("text", [".", "", "1.2.3", "1.5x", "1_0.5", "0x10"])
def test_parse_double_rejects_what_java_rejects(text: str) -> None:
    with pytest.raises(JavaException) as caught:
        _parse_double(text)
    assert caught.value.es_type == "number_format_exception"


def _pipeline_index(es: Any, name: str, date_format: str | None) -> None:
    es.ingest.put_pipeline(id=name, processors=[
        {"date": {"field": "when", "target_field": "@timestamp", "formats": ["ISO8601"], "timezone": "UTC"}}])
    field: dict[str, Any] = {"type": "date"}
    if date_format:
        field["format"] = date_format
    es.indices.create(index=name, settings={"default_pipeline": name},
                      mappings={"properties": {"@timestamp": field, "when": {"type": "keyword"}}})


def _timestamps(es: Any, index: str) -> dict[str, Any]:
    hits = es.search(index=index, sort=[{"@timestamp": "asc"}], docvalue_fields=["@timestamp"],
                     size=10)["hits"]["hits"]
    return {hit["_id"]: (hit["_source"]["@timestamp"], hit["sort"][0]) for hit in hits}


def test_date_processor_output_is_indexed_as_its_instant(es: Any) -> None:
    _pipeline_index(es, "fast-dates", None)
    docs = {"a": "2025-03-04T10:22:00+02:00", "b": "2025-03-04T08:22:00.5Z", "c": "1999-12-31T23:59:59.999-01:00"}
    for doc_id, when in docs.items():
        es.index(index="fast-dates", id=doc_id, document={"when": when})
    # the same instant as a plain document (no date processor), parsed by the mapper
    es.index(index="fast-dates", id="d", document={"when": "x", "@timestamp": "2025-03-04T08:22:00.000Z"},
             pipeline="_none", refresh=True)
    assert _timestamps(es, "fast-dates") == {
        "a": ("2025-03-04T08:22:00.000Z", 1741076520000), "d": ("2025-03-04T08:22:00.000Z", 1741076520000),
        "b": ("2025-03-04T08:22:00.500Z", 1741076520500), "c": ("2000-01-01T00:59:59.999Z", 946688399999)}


def test_date_processor_output_in_a_non_iso_mapping_format_is_parsed_by_that_format(es: Any) -> None:
    # the remembered instant only stands in for ISO parsing: a field whose format cannot read the
    # processor's output still rejects it
    _pipeline_index(es, "fast-dates-strict", "epoch_millis")
    with pytest.raises(Exception) as caught:
        es.index(index="fast-dates-strict", id="a", document={"when": "2025-03-04T10:22:00Z"})
    assert "failed to parse field [@timestamp]" in str(caught.value)


def test_remembered_date_only_answers_for_that_very_string() -> None:
    printed = "".join(["2025-03-04T08:22:00", ".000Z"])
    mapping_mod.note_printed_date(printed, 42)  # a deliberately wrong instant: it must only serve `printed`
    try:
        f = mapping_mod.Mapping({"properties": {"t": {"type": "date"}}}).field("t")
        assert f is not None
        convert = mapping_mod._fast_converter(f)
        assert convert(printed) == 42
        assert convert("".join(["2025-03-04T08:22:00", ".000Z"])) == 1741076520000  # equal text, another object
    finally:
        mapping_mod.note_printed_date("", 0)
