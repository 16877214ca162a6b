"""A Painless subset for the embedded engine: lexer, recursive-descent parser and compiler.

Scripts are compiled once (cached by source) and run with a dict of variables. `codegen.py`
translates a script into the source of one Python function (built with `compile()`); scripts it
does not take (user functions, lambdas, method references) run on the closure compiler of
`interpreter.py`, which defines the semantics both follow (tests/embedded/test_painless_codegen.py
compares them)::

    from es360.embedded.painless import compile_script, ScriptError
    script = compile_script("ctx.total = params.price * ctx.qty")  # EsError(script_exception) if invalid
    script.execute({"ctx": ctx_dict, "params": {"price": 2.5}})     # returns the script's value

Errors are ES's `script_exception` (`reason` "compile error" or "runtime error", `script_stack`,
`script`, `lang`, `position`, and `caused_by` with the Java exception such as
null_pointer_exception, illegal_argument_exception or class_cast_exception).

Supported subset
----------------
* Literals: int/long (`1`, `1L`, hex `0x1F`), double/float (`1.5`, `2e3`, `1.5f`, `1d`), strings in
  '…' or "…", `true`/`false`/`null`, list `[1, 2]`, map `['k': v]`, empty map `[:]`, regex `/a+b/i`.
* Variables: `def`, `var` and typed locals (`int`, `long`, `double`, `boolean`, `String`, `List`,
  `Map`, generics such as `List<String>` and arrays `int[]`), block scoping, script variables
  (`ctx`, `params`, `doc`, `state`, ... — whatever the caller passes).
* Access: `ctx.a.b`, `ctx['a']`, null-safe `ctx?.a?.b`, list index `list[0]` (negative from the end),
  getter shortcuts (`entry.key`, `str.empty`), `doc['f'].value`, `.values`, `.size()`, `.empty`.
* Operators: `+ - * / %` (Java int division and remainder, string concatenation with Java's
  toString), `++ --`, compound assignment, comparisons, `==`/`!=` (value equality, like Painless),
  `===`/`!==`, `&& || !`, bitwise `& | ^ ~ << >> >>>`, ternary `?:`, elvis `?:`, `instanceof`,
  casts `(int)`, `(long)`, `(double)`, `(String)`, `(def)`, `(List)`, `(Map)`, regex find `=~` and
  match `==~`.
* Statements: if/else, while, do/while, `for (;;)`, `for (def x : list)`, `for (x in list)`,
  break/continue, return (the last expression statement is returned implicitly), throw,
  try/catch, user functions declared at the top (`int add(int a, int b) { ... }`).
* Arrays: `new int[3]`, `new String[] {'a', 'b'}`, `a[i]` (read and write), `a.length`.
* Runtime field scripts (`es360.embedded.runtime`): `emit(value)` adds a value to the field (call it
  several times for a multi-valued field, or not at all for none), with `doc`, `params` and
  `params['_source']`.
* Lambdas and method references: `x -> x * 2`, `(a, b) -> { ... }`, `String::length`.
* String: length, isEmpty, isBlank, toLowerCase, toUpperCase, trim, strip, contains, startsWith,
  endsWith, substring, replace, replaceAll, replaceFirst, indexOf, lastIndexOf, charAt, equals,
  equalsIgnoreCase, compareTo, concat, matches, split, splitOnToken, repeat, hashCode, toString.
* List/Set/Collection: size, isEmpty, get, add, addAll, set, remove, removeIf, contains, indexOf,
  sort, subList, clear, forEach, stream, and Painless's any/every/collect/find/findAll/join/sum.
* Map: size, isEmpty, get, getOrDefault, put, putAll, putIfAbsent, remove, containsKey,
  containsValue, keySet, values, entrySet, computeIfAbsent, compute, merge, forEach, getByPath.
* Streams: filter, map, mapToInt/Double, sorted, distinct, limit, count, sum, average, min, max,
  collect (Collectors.toList/toSet/joining/groupingBy/counting/toMap), anyMatch, allMatch, findFirst.
* Static classes: Math (abs, max, min, round, floor, ceil, pow, sqrt, log, log10, exp, ...),
  Integer/Long (parseInt, parseLong, valueOf, MAX_VALUE...), Double.parseDouble, Boolean,
  String.valueOf/join/format, Character, Objects, Collections, Arrays.asList, List.of, Map.of,
  Pattern.compile; `new ArrayList()`, `new HashMap()`, `new HashSet()`, `new StringBuilder()`,
  exception classes.
* java.time: ZonedDateTime (parse, getYear/getMonthValue/getDayOfMonth/getHour/...,
  getDayOfWeek, getDayOfWeekEnum (a DayOfWeek: getValue() 1 = Monday … 7 = Sunday), toInstant,
  toEpochSecond, plusDays/minusHours/..., isBefore/isAfter,
  withZoneSameInstant), Instant (ofEpochMilli, parse, toEpochMilli, atZone), ZoneId.of,
  Instant plus/minus(n, ChronoUnit.X), ChronoUnit.X.between, Duration.between; date doc values are ZonedDateTime (`.millis` works).
* Query scripts (ScriptService.filter_docs / score_docs): `doc`, `params`, `_score`, and
  cosineSimilarity, dotProduct, l1norm, l2norm, saturation, sigmoid, decayNumeric*.
* Loops are capped at 1,000,000 iterations per execution (Painless's loop counter).

Not supported: stored scripts, classes other than those above (e.g. System, BigDecimal),
`def` dynamic dispatch on arbitrary Java objects, int/long overflow wrapping in arithmetic.
"""

from __future__ import annotations

import threading
from typing import Any

from ..errors import EsError
from .errors import JavaException, PainlessCompileError, ScriptError, compile_error
from .interpreter import CompiledScript
from .parser import parse
from .runtime import DocMap, DocValues

__all__ = [
    "CompiledScript",
    "DocMap",
    "DocValues",
    "JavaException",
    "ScriptError",
    "ScriptService",
    "compile_script",
    "parse_script_spec",
]

_CACHE: dict[tuple[str, frozenset[str] | None], CompiledScript] = {}
_CACHE_LOCK = threading.Lock()
_CACHE_MAX = 4096


def compile_script(source: str, known_vars: frozenset[str] | set[str] | None = None) -> CompiledScript:
    """Compile (or fetch from the cache) a Painless script.

    `known_vars` (optional) lists the script variables of the context; when given, any other
    unresolved identifier is a compile error, otherwise it fails when the script runs.
    Raises ScriptError (an EsError, type script_exception, reason "compile error").
    """
    if not isinstance(source, str):
        raise EsError(400, "illegal_argument_exception", "script source must be a string")
    key_vars = frozenset(known_vars) if known_vars is not None else None
    key = (source, key_vars)
    cached = _CACHE.get(key)
    if cached is not None:
        return cached
    try:
        program = parse(source, key_vars)
        script = CompiledScript(source, program)
    except PainlessCompileError as exc:
        raise compile_error(source, exc) from None
    except RecursionError:
        raise compile_error(source, PainlessCompileError("script is too deeply nested", 0, source)) from None
    with _CACHE_LOCK:
        if len(_CACHE) >= _CACHE_MAX:
            _CACHE.clear()
        _CACHE[key] = script
    return script


def parse_script_spec(script: Any, *, context: str = "script") -> tuple[str, dict[str, Any]]:
    """Validate an ES `script` object (or plain string); returns (source, params).

    Accepts `source` (or the legacy `inline`), `lang` (painless only), `params`, `options`; a
    stored script `id` is rejected since stored scripts are not supported.
    """
    if isinstance(script, str):
        return script, {}
    if not isinstance(script, dict):
        raise EsError(400, "parse_exception", f"expected a string or an object for [{context}]")
    for key in script:
        if key not in ("source", "inline", "lang", "params", "options", "id"):
            raise EsError(400, "x_content_parse_exception", f"[{context}] unknown field [{key}]")
    lang = script.get("lang", "painless")
    if lang not in ("painless", None):
        raise EsError(400, "illegal_argument_exception", f"script_lang not supported [{lang}]")
    if "id" in script:
        if "source" in script:
            raise EsError(400, "illegal_argument_exception", "must specify either [source] for an inline script or "
                                                             "[id] for a stored script")
        raise EsError(404, "resource_not_found_exception", f"unable to find script [{script['id']}] in cluster state")
    source = script.get("source", script.get("inline"))
    if source is None:
        raise EsError(400, "illegal_argument_exception", "must specify either [source] for an inline script or [id] "
                                                         "for a stored script")
    if not isinstance(source, str):
        raise EsError(400, "parse_exception", "[source] must be a string")
    params = script.get("params") or {}
    if not isinstance(params, dict):
        raise EsError(400, "parse_exception", "[params] must be an object")
    return source, params


class ScriptService:
    """Runs scripts for the document APIs (the `_update` API's `script`)."""

    UPDATE_OPS = ("noop", "none", "index", "delete", "create")

    def run_update(self, index: Any, doc_id: str, source: dict[str, Any], script: Any, *, insert: bool = False,
                   state: Any = None) -> Any:
        """Apply an update script to `source`; returns the new source, None for a noop, or "delete"."""
        code, params = parse_script_spec(script)
        compiled = compile_script(code)
        from ..dates import current_millis

        ctx: dict[str, Any] = {
            "_index": getattr(index, "name", index),
            "_id": doc_id,
            "_source": source,
            "op": "create" if insert else "index",
            "_now": current_millis(),
        }
        if state is not None:
            ctx["_version"] = getattr(state, "version", None)
            ctx["_seq_no"] = getattr(state, "seq_no", None)
            ctx["_primary_term"] = getattr(state, "primary_term", None)
            if getattr(state, "routing", None) is not None:
                ctx["_routing"] = state.routing
        compiled.execute({"ctx": ctx, "params": params})
        op = ctx.get("op")
        if op in ("noop", "none"):
            return None
        if op == "delete":
            return None if insert else "delete"
        allowed = ("create",) if insert else ("index",)
        if op not in allowed and not (insert and op == "index"):
            legal = "[create, noop]" if insert else "[noop, index, delete]"
            raise EsError(400, "illegal_argument_exception",
                          f"Operation type [{op}] not allowed, only {legal} are allowed")
        new_source = ctx.get("_source")
        if not isinstance(new_source, dict):
            raise EsError(400, "illegal_argument_exception", "ctx._source must be a map")
        return new_source

    def run_ctx(self, script: Any, ctx: dict[str, Any], extra: dict[str, Any] | None = None) -> dict[str, Any]:
        """Run a script against a `ctx` map (reindex / update_by_query style: `ctx._source`, `ctx.op`,
        `ctx._index`, `ctx._id`, `ctx._routing` ...); returns the (mutated) ctx."""
        code, params = parse_script_spec(script)
        variables = {"ctx": ctx, "params": params}
        if extra:
            variables.update(extra)
        compile_script(code).execute(variables)
        return ctx

    def filter_docs(self, ctx: Any, script: Any, docs: Any) -> Any:
        """The `script` query: a boolean per document of `docs` (a query context's docnums)."""
        from .search_scripts import filter_docs

        code, params = parse_script_spec(script)
        return filter_docs(ctx, compile_script(code), params, docs)

    def score_docs(self, ctx: Any, script: Any, docs: Any, scores: Any) -> Any:
        """`script_score`: a score per document, with `_score`, `doc`, `params` and the vector functions."""
        from .search_scripts import score_docs

        code, params = parse_script_spec(script)
        return score_docs(ctx, compile_script(code), params, docs, scores)

    def execute(self, script: Any, variables: dict[str, Any]) -> Any:
        """Compile and run a script object or string with `variables` (params merged from the spec)."""
        code, params = parse_script_spec(script)
        merged = dict(variables)
        merged.setdefault("params", params)
        return compile_script(code).execute(merged)
