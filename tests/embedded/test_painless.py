"""The Painless subset: what scripts in pipelines, updates and transforms compute, and how they fail."""

from __future__ import annotations

from typing import Any

import pytest

from es360.embedded.painless import DocMap, ScriptError, ScriptService, compile_script


def run(source: str, **variables: Any) -> Any:
    return compile_script(source).execute(variables)


def error_of(source: str, **variables: Any) -> dict[str, Any]:
    with pytest.raises(ScriptError) as info:
        run(source, **variables)
    return info.value.to_dict()


# ---- values and operators ---------------------------------------------------------------------------
@pytest.mark.parametrize(("source", "expected"), [
    ("7 / 2", 3),
    ("-7 / 2", -3),
    ("-7 % 3", -1),
    ("7 / 2.0", 3.5),
    ("1 + 2 * 3 - 4", 3),
    ("(1 + 2) * 3", 9),
    ("'a' + 1 + 2", "a12"),
    ("1 + 2 + 'a'", "3a"),
    ("'x' + 1.0 + null + true", "x1.0nulltrue"),
    ("'v' + 1.0E-5", "v1.0E-5"),
    ("'v' + 1e20", "v1.0E20"),
    ("'n=' + [1, 'a']", "n=[1, a]"),
    ("0x1F + 010 + 5L", 44),
    ("1 << 4 | 1", 17),
    ("5 > 3 && 2 >= 2 && !(1 == 2)", True),
    ("1 == 1.0", True),
    ("'a' == 'a'", True),
    ("[1, 2] == [1, 2]", True),
    ("null == null", True),
    ("true ? 'y' : 'n'", "y"),
    ("null ?: 'fallback'", "fallback"),
    ("'x' ?: 'fallback'", "x"),
    ("(int) 3.99", 3),
    ("(int) -3.99", -3),
    ("(long) 2 + (double) 1", 3.0),
    ("(String) null", None),
    ("'abc' instanceof String", True),
    ("5 instanceof Integer && 5.0 instanceof Double", True),
    ("[] instanceof List && [:] instanceof Map", True),
    ("'foo123' =~ /[0-9]+/", True),
    ("'foo123' ==~ /[0-9]+/", False),
    ("'FOO' ==~ /foo/i", True),
])
def test_expressions(source: str, expected: Any) -> None:
    assert run(source) == expected


def test_integer_division_by_zero_is_an_arithmetic_exception() -> None:
    err = error_of("1 / 0")
    assert err["reason"] == "runtime error"
    assert err["caused_by"] == {"type": "arithmetic_exception", "reason": "/ by zero"}


# ---- variables and control flow ---------------------------------------------------------------------
def test_locals_loops_and_implicit_return() -> None:
    source = """
        int total = 0;
        List<String> seen = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            if (i % 2 == 0) { continue; }
            if (i > 7) break;
            total += i;
        }
        for (def x : params.items) { seen.add(x.toUpperCase()); }
        for (x in params.items) { seen.add(x); }
        def j = 0;
        while (j < 3) { j++ }
        do { j-- } while (j > 1);
        seen.add(String.valueOf(total));
        seen.add('' + j);
        seen
    """
    assert run(source, params={"items": ["a", "b"]}) == ["A", "B", "a", "b", "16", "1"]


def test_typed_locals_convert_like_java() -> None:
    assert run("double d = 1; return d") == 1.0
    assert run("int x = 10; x /= 4; return x") == 2
    assert run("int x = 10; x += 2.7; return x") == 12
    err = error_of("int x = 'nope'")
    assert err["caused_by"]["type"] == "class_cast_exception"


def test_functions_lambdas_and_streams() -> None:
    source = """
        int twice(int x) { return x * 2 }
        def values = params.values.stream().filter(v -> v != null).map(v -> twice(v)).collect(Collectors.toList());
        values.sort((a, b) -> b - a);
        def names = new ArrayList(params.names);
        names.removeIf(n -> n.startsWith('_'));
        return [values, names, params.values.stream().filter(v -> v != null).mapToInt(v -> v).sum()];
    """
    out = run(source, params={"values": [3, None, 1, 2], "names": ["a", "_b", "c"]})
    assert out == [[6, 4, 2], ["a", "c"], 6]


def test_try_catch_and_throw() -> None:
    assert run("try { Integer.parseInt('x') } catch (NumberFormatException e) { return 'bad: ' + e.getMessage() }") \
        == 'bad: For input string: "x"'
    err = error_of("throw new IllegalArgumentException('custom message')")
    assert err["caused_by"] == {"type": "illegal_argument_exception", "reason": "custom message"}


def test_loop_counter_stops_runaway_scripts() -> None:
    err = error_of("while (true) {}")
    assert err["caused_by"]["type"] == "painless_error"


# ---- ctx, params and doc access ---------------------------------------------------------------------
def test_ctx_access_styles() -> None:
    ctx = {"user": {"name": "Ann", "tags": ["a", "b"]}, "n": 1}
    assert run("ctx.user.name + ctx['user']['tags'][1] + ctx.user.tags[-1]", ctx=ctx) == "Annbb"
    assert run("ctx?.missing?.deeper", ctx=ctx) is None
    assert run("ctx.user.tags.size() + ctx.user.tags.length", ctx=ctx) == 4
    run("ctx.n += 1; ctx.user.email = 'ann@example.com'; ctx.list = [1]; ctx.list.add(2)", ctx=ctx)
    assert ctx["n"] == 2 and ctx["user"]["email"] == "ann@example.com" and ctx["list"] == [1, 2]


def test_doc_values() -> None:
    doc = {"price": [10.5], "tags": ["x", "y"], "empty": []}
    assert run("doc['price'].value * 2", doc=doc) == 21.0
    assert run("doc['tags'].size() + doc['empty'].size()", doc=doc) == 2
    assert run("doc['empty'].empty && !doc['tags'].isEmpty()", doc=doc) is True
    assert run("doc.containsKey('price')", doc=DocMap(doc)) is True
    err = error_of("doc['empty'].value", doc=doc)
    assert err["caused_by"]["type"] == "illegal_state_exception"
    err = error_of("doc['nope'].value", doc=doc)
    assert err["caused_by"] == {"type": "illegal_argument_exception", "reason": "No field found for [nope] in mapping"}


# ---- strings, collections and static methods --------------------------------------------------------
@pytest.mark.parametrize(("source", "expected"), [
    ("'  Mixed Case  '.trim().toLowerCase()", "mixed case"),
    ("'hello'.toUpperCase().substring(1, 3)", "EL"),
    ("'a-b-c'.replace('-', '+')", "a+b+c"),
    ("'a,b,,c,,'.splitOnToken(',')", ["a", "b", "", "c", "", ""]),
    ("'a,b,,c,,'.split(',')", ["a", "b", "", "c"]),
    ("'hello'.contains('ell') && 'hello'.startsWith('he') && 'hello'.endsWith('lo')", True),
    ("'hello'.indexOf('l') + 'hello'.length()", 7),
    ("'abc'.charAt(1) == 'b'", True),
    ("''.isEmpty() && 'x'.equals('x') && 'X'.equalsIgnoreCase('x')", True),
    ("'2024-01-05'.replaceAll('(\\\\d+)-(\\\\d+)-(\\\\d+)', '$3/$2/$1')", "05/01/2024"),
    ("def m = ['b': 2, 'a': 1]; m.put('c', 3); m.remove('b'); [m.size(), m.containsKey('a'), m.get('c'), "
     "m.getOrDefault('z', 0)]", [2, True, 3, 0]),
    ("def m = ['a': 1]; def out = []; for (e in m.entrySet()) { out.add(e.getKey() + e.value) } out", ["a1"]),
    ("def m = ['x': 1, 'y': 2]; new ArrayList(m.keySet())", ["x", "y"]),
    ("def l = [3, 1, 2]; l.sort(null); l.add(0, 9); [l, l.indexOf(2), l.contains(3), l.get(0)]",
     [[9, 1, 2, 3], 2, True, 9]),
    ("def s = new HashSet(); s.add('a'); s.add('a'); s.size()", 1),
    ("Math.max(1, 2) + Math.min(1.5, 3) + Math.abs(-2) + Math.round(2.5) + Math.floor(1.7) + Math.ceil(1.2)", 11.5),
    ("Math.pow(2, 10) + Math.sqrt(16) + Math.log(Math.exp(1))", 1029.0),
    ("Integer.parseInt('42') + Long.parseLong('8') + Double.parseDouble('0.5')", 50.5),
    ("String.valueOf(12) + String.join('|', ['a', 'b'])", "12a|b"),
    ("Integer.MAX_VALUE", 2147483647),
    ("new StringBuilder().append('a').append(1).toString()", "a1"),
    ("[1, 2, 3].stream().map(x -> x * 10).collect(Collectors.joining(','))", "10,20,30"),
    ("['a', 'b'].collect(x -> x + '!')", ["a!", "b!"]),
    ("['a': ['b': 5]].getByPath('a.b')", 5),
])
def test_library(source: str, expected: Any) -> None:
    assert run(source) == expected


# ---- errors -----------------------------------------------------------------------------------------
def test_null_pointer_has_es_shape() -> None:
    err = error_of("ctx.a.b.c", ctx={"a": {}})
    assert err["type"] == "script_exception"
    assert err["reason"] == "runtime error"
    assert err["lang"] == "painless"
    assert err["script"] == "ctx.a.b.c"
    assert err["script_stack"] == ["ctx.a.b.c", "        ^---- HERE"]
    assert err["position"] == {"offset": 8, "start": 0, "end": 9}
    assert err["caused_by"]["type"] == "null_pointer_exception"


def test_runtime_error_points_at_the_failing_statement() -> None:
    err = error_of("def x = 1;\nx = ctx.missing.length();", ctx={})
    assert err["script_stack"][0] == "x = ctx.missing.length();"
    assert err["position"]["start"] == 11


@pytest.mark.parametrize(("source", "reason"), [
    ("ctx.foo = ", "unexpected end of script."),
    ("def x = 1; def x = 2;", "variable [x] is already defined"),
    ("new Frobnicator()", "cannot resolve type [Frobnicator]"),
    ("Math.frob(1)", "Unknown call [frob] with [1] arguments on type [Math]."),
    ("1 = 2", "invalid assignment: cannot assign a value to a constant"),
])
def test_compile_errors(source: str, reason: str) -> None:
    err = error_of(source)
    assert err["type"] == "script_exception"
    assert err["reason"] == "compile error"
    assert err["caused_by"] == {"type": "illegal_argument_exception", "reason": reason}
    assert err["script_stack"][1].endswith("^---- HERE")


def test_unknown_variable_is_a_compile_error() -> None:
    err = error_of("undefinedVar + 1", ctx={})
    assert err["reason"] == "compile error"
    assert err["caused_by"]["reason"] == "cannot resolve symbol [undefinedVar]"
    with pytest.raises(ScriptError):
        compile_script("ctx.x + other", known_vars={"ctx"})


def test_wrong_method_is_an_illegal_argument() -> None:
    err = error_of("'abc'.frobnicate()")
    assert err["caused_by"] == {"type": "illegal_argument_exception",
                                "reason": "dynamic method [java.lang.String, frobnicate/0] not found"}


def test_compiled_scripts_are_cached() -> None:
    assert compile_script("ctx.x + 1") is compile_script("ctx.x + 1")


# ---- the _update script service ---------------------------------------------------------------------
class _Index:
    name = "orders"


def test_update_script_semantics() -> None:
    service = ScriptService()
    source = {"count": 1, "tags": ["a"]}
    out = service.run_update(_Index(), "1", source,
                             {"source": "ctx._source.count += params.n; ctx._source.tags.add('b')",
                              "params": {"n": 4}})
    assert out == {"count": 5, "tags": ["a", "b"]}
    assert service.run_update(_Index(), "1", {"a": 1}, "ctx.op = 'noop'") is None
    assert service.run_update(_Index(), "1", {"a": 1}, "ctx.op = 'delete'") == "delete"
    assert service.run_update(_Index(), "1", {}, "ctx._source.created = ctx.op", insert=True) == \
        {"created": "create"}
    with pytest.raises(Exception) as info:
        service.run_update(_Index(), "1", {}, {"source": "1", "lang": "mustache"})
    assert "script_lang not supported [mustache]" in str(info.value)
    with pytest.raises(Exception) as info:
        service.run_update(_Index(), "1", {}, "ctx.op = 'bogus'")
    assert "Operation type [bogus] not allowed" in str(info.value)


# ---- scripts in queries (script query, script_score) ------------------------------------------------
def test_script_query_and_script_score(tmp_path: Any) -> None:
    import importlib

    from elasticsearch import BadRequestError, Elasticsearch

    from es360.embedded.ingest import install
    from es360.embedded.server import start_server

    srv = start_server(tmp_path)
    install(srv.engine)
    importlib.import_module("es360.embedded.api.ingest")
    es = Elasticsearch(srv.url)
    try:
        es.indices.create(index="scripted", mappings={"properties": {
            "v": {"type": "dense_vector", "dims": 3, "index": False}, "n": {"type": "long"},
            "d": {"type": "date"}}})
        es.index(index="scripted", id="1", document={"v": [1, 0, 0], "n": 5, "d": "2024-01-01"})
        es.index(index="scripted", id="2", document={"v": [0, 1, 0], "n": 10, "d": "2023-06-01"}, refresh=True)
        hits = es.search(index="scripted", query={"script": {"script": {
            "source": "doc['n'].value > params.min && doc['d'].value.getYear() == 2023", "params": {"min": 6}}}})
        assert [h["_id"] for h in hits["hits"]["hits"]] == ["2"]
        hits = es.search(index="scripted", query={"script_score": {"query": {"match_all": {}}, "script": {
            "source": "cosineSimilarity(params.q, 'v') + 1.0", "params": {"q": [1, 0, 0]}}}})
        assert [(h["_id"], h["_score"]) for h in hits["hits"]["hits"]] == [("1", 2.0), ("2", 1.0)]
        with pytest.raises(BadRequestError) as info:
            es.search(index="scripted", query={"script_score": {"query": {"match_all": {}},
                                                                "script": "doc['n'].value * -1"}})
        assert "must not produce negative scores" in str(info.value)
    finally:
        srv.stop()
