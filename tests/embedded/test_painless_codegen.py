"""Painless compiled to Python source behaves exactly like the closure interpreter (values, side effects,
errors and the script offsets they point at), and is what ingest scripts run on."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from es360.embedded.errors import EsError
from es360.embedded.painless import interpreter
from es360.embedded.painless.parser import parse

PIPELINES = Path(__file__).resolve().parents[2] / "pipelines"


def _ctx() -> dict[str, Any]:
    return {"a": 1, "b": 2.5, "s": " Mixed Case ", "n": None, "list": [3, 1, 2], "m": {"k": "v", "x": 1},
            "t": True, "nested": {"deep": {"x": 5}}, "items": "sku-1:2; sku-2 ;sku-3:x",
            "identity": {"source": "shop", "source_id": "S-1", "email": "A@B.C"},
            "order": {"amount": "12.50", "currency": "USD", "items": "3"}, "event": {"action": "refund"}}


def _outcome(source: str, codegen: bool, variables: dict[str, Any]) -> tuple[str, str]:
    """(what the script returned or raised, the variables afterwards), as comparable text."""
    saved = interpreter.CODEGEN
    interpreter.CODEGEN = codegen
    try:
        script = interpreter.CompiledScript(source, parse(source, None))
    finally:
        interpreter.CODEGEN = saved
    assert script._fast is None or codegen
    variables = copy.deepcopy(variables)
    try:
        result = repr(script.execute(variables))
    except EsError as err:
        result = json.dumps(err.to_dict(), sort_keys=True, default=repr)
    return result, repr(variables)


SCRIPTS = [
    # values, operators, conversions
    "ctx.a + ctx.b", "ctx.a + 1", "'x' + ctx.a + ctx.n", "ctx.s.trim().toLowerCase()", "ctx.a - 3 * 2 / 4 % 3",
    "ctx.b * 2 - 1", "ctx.a << 3 | 1 ^ 2 & 7", "-ctx.a", "-ctx.b", "-ctx.s", "-ctx.n", "+ctx.a", "~ctx.a", "~ctx.b",
    "!ctx.t", "!ctx.a", "!ctx.n", "ctx.a == 1", "ctx.a == 1.0", "ctx.s == ' Mixed Case '", "'x' == ctx.n",
    "ctx.n == null", "null != ctx.a", "ctx.list == [3, 1, 2]", "ctx.m != ['k': 'v', 'x': 1]", "ctx.t == true",
    "ctx.a === 1", "ctx.a !== 2", "ctx.a < ctx.b", "ctx.b >= 2", "ctx.a > 'x'", "ctx.n < 1", "ctx.s =~ /case/",
    "ctx.s ==~ /.*Case.*/", "ctx.n =~ /x/", "ctx.a / 0", "ctx.b / 0", "ctx.a % 0", "(int) ctx.b", "(long) ctx.a",
    "(String) ctx.a", "(double) ctx.a", "(int) ctx.s", "ctx.a instanceof Integer", "ctx.m instanceof Map",
    "ctx.t ? 'y' : 'n'", "ctx.a ? 'y' : 'n'", "ctx.n ?: 'd'", "ctx.a ?: 'd'", "ctx.t && ctx.a > 0",
    "ctx.t && ctx.a", "ctx.a && ctx.t", "ctx.n || ctx.t", "!ctx.t || ctx.n", "ctx.t && (ctx.a ? true : false)",
    "ctx.t && (int) ctx.s > 1", "ctx.missing.x", "ctx.missing?.x", "ctx.missing?.size()", "ctx.list[0]",
    "ctx.list[5]", "ctx.list[-1]", "ctx.list['x']", "ctx.m['k']", "ctx.n[0]", "ctx.s.length", "ctx.a.x",
    "ctx.list.length", "ctx.s.empty", "ctx.s.substring(3, 1)", "ctx.s.substring(1)", "ctx.s.nope()",
    "ctx.s.trim(1, 2)", "ctx.n.trim()", "ctx.list.size()", "ctx.list.get(7)", "ctx.m.get('k').length()",
    "Integer.parseInt(ctx.order.items)", "Integer.parseInt(ctx.s)", "Integer.parseInt()", "Math.max(ctx.a, 7)",
    "Math.round(ctx.b * 100.0) / 100.0", "Double.parseDouble(ctx.order.amount)", "Math.PI * ctx.a",
    "String.valueOf(ctx.a) + String.valueOf(ctx.n)", "new ArrayList()", "new HashMap()", "new ArrayList(ctx.list)",
    "new HashSet(ctx.list).size()", "new IllegalArgumentException('x').getMessage()", "new int[3]",
    "new int[ctx.a][2]", "new int[ctx.s]", "new int[-1]", "[ctx.a, ctx.b, [ctx.s]]", "['a': ctx.a, 'b': [ctx.n]]",
    "[:]", "[]", "missing + 1", "params.missing", "params", "ctx.a.toString() + ctx.list.toString()",
    "ctx.list.contains(3) && ctx.m.containsKey('k')", "ctx.s.split(' ').length", "ctx.items.splitOnToken(';')",
    "ctx.a + ctx.list", "ctx.list + ctx.a", "ctx.m + 1", "ctx.t + 1", "ctx.s.charAt(100)",
    # statements, locals, control flow
    "int x = 1; x += 2; x *= 3; x -= 1; x /= 2; x %= 3; return x;", "int x = 5; x = x + 0.5; return x;",
    "int x = 'a'; return x;", "double d = ctx.a; d += 1; return d;", "double d; d = 3; return d + 1;",
    "String s = ctx.a;", "String s = ctx.s; s += ctx.a; return s;", "boolean f = ctx.a;", "boolean f = ctx.t; f",
    "List l = new ArrayList(); l.add(ctx.a); l.add(ctx.b); return l;", "List l = ctx.s;", "Map m = ctx.m; m.y = 2;",
    "def v = ctx.a; v++; ++v; v--; return v;", "def v = ctx.n; v++;", "def v = ctx.s; --v;", "def v = 1; def w = v++ + ++v; return [v, w];",
    "ctx.a++; ++ctx.b; ctx.list[0]++; --ctx.list[1]; return [ctx.a, ctx.b, ctx.list];",
    "ctx.s++", "ctx.missing.x++", "ctx.list[9]++", "ctx.list[0] += 10; ctx.m.x -= 1; ctx.m['x'] *= 4;",
    "ctx.a += 'z'; ctx.b /= 0;", "ctx.n.x = 1;", "ctx.s.x = 1;", "ctx.list[1] = 'z'; ctx.list['q'] = 1;",
    "ctx.list[10] = 1;", "ctx.newfield = ctx.a * 2; ctx.m.k = null;", "ctx = ['replaced': true]; return ctx;",
    "params = 5; params++;", "undefined = 1; return undefined;", "undefined += 1;",
    "if (ctx.a > 0) { ctx.x = 'pos' } else { ctx.x = 'neg' } return ctx.x;", "if (ctx.a) { return 1 }",
    "if (ctx.n) { return 1 } else { return 2 }", "if (ctx.t) { } else { ctx.z = 1 }", "if (!ctx.t) return 1; return 2;",
    "int i = 0; int sum = 0; while (i < 10) { i++; if (i % 2 == 0) { continue; } if (i > 7) { break; } sum += i; } return sum;",
    "int i = 0; while (ctx.a) { i++; } return i;", "int i = 0; do { i++; if (i == 2) { continue; } } while (i < 5); return i;",
    "int i = 0; do { i++; } while (ctx.s); return i;",
    "int t = 0; for (int i = 0; i < 5; i++) { if (i == 1) { continue; } if (i == 4) { break; } t += i; } return t;",
    "int t = 0; for (int i = 0, j = 10; i < j; i++, j--) { t += j - i; } return t;", "for (;;) { return 'once'; }",
    "int t = 0; for (int i = 0; i < ctx.s; i++) { t++; } return t;", "for (int i = 0; i < 3; i = i + ctx.s) { }",
    "int t = 0; for (def v : ctx.list) { t += v; } return t;", "def out = []; for (x in ctx.m.entrySet()) { out.add(x.key); } return out;",
    "for (int v : ctx.s.split(' ')) { }", "for (def v : ctx.n) { }", "for (String v : ctx.list) { }",
    "def out = []; for (def c : ctx.s) { out.add(c); } return out.size();", "while (true) { }",
    "int i = 0; while (true) { i++; if (i > 1000) { break; } } return i;", "for (def v : ctx.list) { v.x = 1; }",
    "try { Integer.parseInt(ctx.s); return 'ok'; } catch (NumberFormatException e) { return 'nfe ' + e.getMessage(); }",
    "try { ctx.n.x(); } catch (NullPointerException e) { return 'npe'; } catch (Exception e) { return 'other'; }",
    "try { ctx.list[10]; } catch (IllegalArgumentException e) { return 'iae'; }",
    "try { throw new IllegalStateException('boom'); } catch (Exception e) { ctx.err = e.getMessage(); } return ctx.err;",
    "try { while (true) {} } catch (Exception e) { return 'caught'; }", "try { int x = 1 / 0; } catch (ArithmeticException e) { return e.getMessage(); }",
    "try { ctx.a.foo(); } catch (Exception e) { throw e; }", "try { return 1; } catch (Exception e) { return 2; }",
    "throw new IllegalArgumentException('unknown currency [' + ctx.order.currency + ']');", "throw null;", "throw 'str';",
    "List r = new ArrayList(); for (String part : ctx.items.splitOnToken(';')) { String p = part.trim(); int c = p.lastIndexOf(':'); "
    "if (c > 0) { r.add(Integer.parseInt(p.substring(c + 1))); } else { r.add(p); } } return r;",
    "def x = ctx.list; x.sort(null); x.removeIf(null); return x;", "ctx.list.sort((a, b) -> b - a); return ctx.list;",
    "int f(int a) { return a * 2; } return f(ctx.a);", "def l = ctx.list.stream().map(x -> x * 2).collect(Collectors.toList()); return l;",
    "cosineSimilarity(ctx.a, 'v')", "String s = ctx.s; s.x", "int a = 1; a;", "def a = 1; if (a == 1) { a = 2 } a",
    "return;", ";", "", "ctx.a; ctx.b;", "ctx.t ? ctx.n.x : 1", "ctx.t && ctx.n.x", "ctx.list.get(ctx.n)",
]


UNSUPPORTED = ["ctx.list.sort((a, b) -> b - a); return ctx.list;", "int f(int a) { return a * 2; } return f(ctx.a);",
               "def l = ctx.list.stream().map(x -> x * 2).collect(Collectors.toList()); return l;"]


@pytest.mark.parametrize("source", UNSUPPORTED)
def test_lambdas_and_functions_run_on_the_interpreter(source: str) -> None:
    script = interpreter.CompiledScript(source, parse(source, None))
    assert script._fast is None
    assert script.execute({"ctx": _ctx()}) is not None


@pytest.mark.parametrize("source", SCRIPTS)
def test_compiled_scripts_match_the_interpreter(source: str) -> None:
    variables = {"ctx": _ctx(), "params": {"rates": {"USD": 0.92}, "gold": 10}}
    try:
        parse(source, None)
    except Exception:  # noqa: BLE001 - compile errors do not involve either backend
        pytest.skip("does not parse")
    assert _outcome(source, True, variables) == _outcome(source, False, variables)


@pytest.mark.parametrize("name", ["es360-activity.json", "es360-records.json", "es360-tickets.json"])
def test_es360_pipeline_scripts_compile_to_python(name: str) -> None:
    path = PIPELINES / name
    if not path.exists():
        pytest.skip(f"{name} not present")
    sources: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("source", "if") and isinstance(value, str):
                    sources.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(path.read_text()))
    for source in sources:
        script = interpreter.CompiledScript(source, parse(source, None))
        assert script._fast is not None, source
        for ctx in (_ctx(), {}, {"order": {"amount": 1, "currency": "XXX", "items": ""}, "identity": None},
                    {"order": {"amount": "x", "currency": "EUR", "items": "a:1;b"}, "event": {}}):
            variables = {"ctx": ctx, "params": {"rates": {"USD": 0.92, "EUR": 1.0}}}
            assert _outcome(source, True, variables) == _outcome(source, False, variables)


def test_deeply_nested_scripts_still_run() -> None:
    source = "int x = 0; " + "if (ctx.t) { " * 30 + "x = 1;" + " }" * 30 + " return x + ctx.a" + " + 1" * 300
    assert _outcome(source, True, {"ctx": _ctx()}) == _outcome(source, False, {"ctx": _ctx()})
    assert interpreter.CompiledScript(source, parse(source, None)).execute({"ctx": _ctx()}) == 302


def test_context_functions_of_score_scripts() -> None:
    source = "double s = cosineSimilarity(params.v, 'field'); return s * 2 + _score;"
    variables = {"params": {"v": [1.0, 2.0]}, "_score": 0.5,
                 interpreter.BUILTINS: {"cosineSimilarity": lambda v, f: sum(v) / 10}}
    assert _outcome(source, True, variables) == _outcome(source, False, variables)
    missing = _outcome(source, True, {"params": {"v": [1.0]}, "_score": 1.0})
    assert missing == _outcome(source, False, {"params": {"v": [1.0]}, "_score": 1.0})
    assert "Unknown call [cosineSimilarity]" in missing[0]
