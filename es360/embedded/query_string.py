"""`query_string` (Lucene's classic syntax) and `simple_query_string` (Lucene's forgiving syntax).

Both parsers build a small tree: leaves are DocSets computed as ES's parsers build their per-field
queries (analyzed match, phrase, prefix, wildcard, fuzzy, regexp, range, exists), inner nodes are
Lucene BooleanQuery clauses (must / should / must_not) or boosts. `evaluate` combines the tree with
Lucene's boolean semantics, so `a AND b OR c`, `+a -b`, `(a b)^2` score as ES scores them.

query_string syntax errors are ES's 400 `query_shard_exception: Failed to parse query [...]`
caused by a `parse_exception`; simple_query_string never fails on its syntax (odd input degrades
into terms, exactly as Lucene's SimpleQueryParser does).
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

import numpy as np

from .errors import EsError, parsing_exception
from .mapping import Field
from .query import (
    F32,
    INT,
    DocSet,
    QueryContext,
    _text,
    analyze_query_text,
    bool_param,
    boolean,
    boost_of,
    check_keys,
    constant,
    cross_fields,
    dismax,
    empty,
    exists_query,
    float_param,
    fuzzy_edits,
    fuzzy_term_query,
    get_analyzer,
    group_by_position,
    has_norms,
    int_param,
    match_bool_prefix,
    match_phrase,
    match_query,
    minimum_should_match,
    no_wrap,
    normalize_keyword,
    normalize_text,
    prefix_query,
    prefix_terms,
    query,
    range_query,
    regexp_query,
    resolve_fields,
    scale,
    search_analyzer_name,
    shard_error,
    term_group_query,
    union,
    wildcard_query,
)


# ---- the tree ------------------------------------------------------------------------------------
@dataclass
class BoolNode:
    clauses: list[tuple[str, Any]]  # (occur, node): "must" | "should" | "must_not"
    msm: int = 0
    fix_negative: bool = False  # add a match-all filter when every clause is must_not (ES does)


@dataclass
class BoostNode:
    node: Any
    boost: float


Node = DocSet | BoolNode | BoostNode | None


def evaluate(node: Any, ctx: QueryContext) -> DocSet:
    if node is None:
        return empty()
    if isinstance(node, DocSet):
        return node
    if isinstance(node, BoostNode):
        return scale(evaluate(node.node, ctx), node.boost)
    must, should, must_not = [], [], []
    for occur, child in node.clauses:
        if child is None:
            continue
        ds = evaluate(child, ctx)
        if occur == "must":
            must.append(ds)
        elif occur == "should":
            should.append(ds)
        else:
            must_not.append(ds.docs)
    filters: list[np.ndarray] = []
    if not must and not should:
        if not must_not or not node.fix_negative:
            return empty()
        filters = [ctx.all_docs()]
    return boolean(ctx, must, filters, should, must_not, node.msm)


def apply_msm(node: Any, spec: Any) -> Any:
    """ES's maybeApplyMinimumShouldMatch on the top-level boolean (under any boosts)."""
    if spec is None:
        return node
    inner = node
    while isinstance(inner, BoostNode):
        inner = inner.node
    if isinstance(inner, BoolNode):
        n_should = sum(1 for occur, _ in inner.clauses if occur == "should")
        msm = minimum_should_match(spec, n_should)
        if msm > 0:
            inner.msm = msm
    return node


def fix_negative(node: Any) -> Any:
    inner = node
    while isinstance(inner, BoostNode):
        inner = inner.node
    if isinstance(inner, BoolNode) and inner.clauses and all(o == "must_not" for o, _ in inner.clauses):
        inner.fix_negative = True
    return node


# ---- per-field leaf builders ---------------------------------------------------------------------
@dataclass
class Options:
    """What both parsers need to turn one piece of text into per-field queries."""

    fields: list[tuple[str, float]]
    default_operator: str = "or"
    lenient: bool = False
    analyzer: str | None = None
    quote_analyzer: str | None = None
    quote_field_suffix: str | None = None
    analyze_wildcard: bool = False
    allow_leading_wildcard: bool = True
    fuzziness: Any = "AUTO"
    fuzzy_prefix_length: int = 0
    fuzzy_max_expansions: int = 50
    fuzzy_transpositions: bool = True
    fuzzy_rewrite: str | None = None
    phrase_slop: int = 0
    type: str = "best_fields"
    tie_breaker: float | None = None
    time_zone: str | None = None
    auto_generate_synonyms_phrase_query: bool = True
    all_fields: bool = False
    default_field: str | None = None  # the single default field name (query_string), "*" for all
    extra: dict[str, Any] = dc_field(default_factory=dict)

    @property
    def tie(self) -> float:
        if self.tie_breaker is not None:
            return self.tie_breaker
        return 1.0 if self.type in ("most_fields", "bool_prefix") else 0.0


def _lenient_call(opts: Options, fn: Any, *args: Any) -> DocSet | None:
    try:
        return fn(*args)
    except EsError as err:
        if opts.lenient and err.type != "parsing_exception":
            return None
        raise


def _combine(parts: list[DocSet | None], tie: float) -> DocSet | None:
    present = [p for p in parts if p is not None]
    if not present:
        return empty()
    if len(present) == 1:
        return present[0]
    return dismax(present, tie)


def text_leaf(ctx: QueryContext, opts: Options, fields: list[tuple[str, float]], text: str,
              kind: str | None = None) -> Node:
    """MultiMatchQueryParser.parse: the analyzed text over the fields, combined by type."""
    kind = kind or opts.type
    if not fields:
        return empty()
    spec_base: dict[str, Any] = {"query": text, "operator": opts.default_operator, "lenient": opts.lenient,
                                 "zero_terms_query": "none"}
    if opts.analyzer:
        spec_base["analyzer"] = opts.analyzer
    if kind == "cross_fields" and len(fields) > 1:
        return cross_fields(ctx, fields, spec_base, opts.tie)
    if kind in ("best_fields", "most_fields", "cross_fields") and len(fields) == 1:
        name, fboost = fields[0]
        f = ctx.field(name)
        if f is not None and f.is_text:
            tokens = analyze_query_text(ctx, f, text, opts.analyzer)
            groups = group_by_position(tokens)
            if not groups:
                return None
            if len(groups) > 1:
                occur = "must" if opts.default_operator == "and" else "should"
                return BoolNode([(occur, term_group_query(ctx, f, name, g, fboost, {})) for g in groups])
    parts: list[DocSet | None] = []
    any_terms = False
    for name, fboost in fields:
        f = ctx.field(name)
        if f is None:
            any_terms = True  # an unmapped field is a real (match-nothing) clause
            parts.append(None)
            continue
        if f.is_text and not analyze_query_text(ctx, f, text, opts.analyzer, quoted=kind.startswith("phrase")):
            continue  # nothing to search for in this field (ES's zero-terms "null" query)
        any_terms = True
        spec = {**spec_base, "boost": fboost}
        if kind in ("phrase", "phrase_prefix"):
            spec = {"query": text, "boost": fboost, "slop": opts.phrase_slop}
            if opts.analyzer:
                spec["analyzer"] = opts.analyzer
            parts.append(_lenient_call(opts, match_phrase, ctx, name, spec, kind == "phrase_prefix"))
        elif kind == "bool_prefix":
            parts.append(_lenient_call(opts, match_bool_prefix, ctx, name, spec))
        else:
            parts.append(_lenient_call(opts, match_query, ctx, name, spec))
    if not any_terms:
        return None
    return _combine(parts, opts.tie if kind != "most_fields" or opts.tie_breaker is not None else 1.0)


def phrase_leaf(ctx: QueryContext, opts: Options, fields: list[tuple[str, float]], text: str, slop: int,
                tie: float) -> Node:
    if not fields:
        return empty()
    parts: list[DocSet | None] = []
    any_terms = False
    for name, fboost in fields:
        f = ctx.field(name)
        if f is None:
            parts.append(None)
            continue
        spec: dict[str, Any] = {"query": text, "boost": fboost, "slop": slop}
        analyzer = opts.quote_analyzer or opts.analyzer
        if analyzer:
            spec["analyzer"] = analyzer
        parts.append(_lenient_call(opts, match_phrase, ctx, name, spec))
        if not f.is_text or analyze_query_text(ctx, f, text, analyzer, quoted=True):
            any_terms = True
    if not any_terms:
        return None
    return _combine(parts, tie)


def _is_string_field(f: Field | None) -> bool:
    return f is not None and (f.is_text or f.is_keyword)


def fuzzy_leaf(ctx: QueryContext, opts: Options, fields: list[tuple[str, float]], text: str, edits: int,
               tie: float) -> Node:
    parts: list[DocSet | None] = []
    for name, fboost in fields:
        f = ctx.field(name)
        if f is None:
            continue

        def one(name: str = name, fboost: float = fboost, f: Field = f) -> DocSet:
            if not _is_string_field(f):
                raise EsError(400, "illegal_argument_exception",
                              f"Can only use fuzzy queries on keyword and text fields - not on [{name}] which is of "
                              f"type [{f.type}]")
            term = _normalize(ctx, f, text, opts)
            return fuzzy_term_query(ctx, name, term, edits, fboost, prefix_length=opts.fuzzy_prefix_length,
                                    max_expansions=opts.fuzzy_max_expansions,
                                    transpositions=opts.fuzzy_transpositions, norms=has_norms(f),
                                    rewrite=opts.fuzzy_rewrite)
        parts.append(_lenient_call(opts, one))
    return _combine(parts, tie)


def _normalize(ctx: QueryContext, f: Field, text: str, opts: Options) -> str:
    if opts.analyzer and f.is_text:
        analyzer = get_analyzer(ctx, opts.analyzer)
        norm = getattr(analyzer, "normalize", None)
        return norm(text) if norm is not None else text.lower()
    return normalize_text(ctx, f, text)


def prefix_leaf(ctx: QueryContext, opts: Options, fields: list[tuple[str, float]], text: str, tie: float) -> Node:
    parts: list[Any] = []
    for name, fboost in fields:
        f = ctx.field(name)
        if f is None:
            continue

        def one(name: str = name, fboost: float = fboost, f: Field = f) -> Any:
            if f.is_text:
                if opts.analyze_wildcard:
                    return _analyzed_prefix(ctx, opts, name, f, text, fboost)
                return prefix_query(ctx, name, _normalize(ctx, f, text, opts), fboost)
            return prefix_query(ctx, name, text, fboost)
        try:
            result = one()
        except EsError as err:
            if opts.lenient and err.type != "parsing_exception":
                continue
            raise
        if result is not None:
            parts.append(result)
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    return dismax([evaluate(p, ctx) for p in parts], tie)


def _analyzed_prefix(ctx: QueryContext, opts: Options, name: str, f: Field, text: str, boost: float) -> Node:
    analyzer = get_analyzer(ctx, opts.analyzer or search_analyzer_name(f, False, ctx))
    groups = group_by_position(analyzer.analyze(text))
    if not groups:
        return None
    if len(groups) == 1 and len(groups[0]) == 1:
        return prefix_query(ctx, name, groups[0][0], boost)
    occur = "must" if opts.default_operator == "and" else "should"
    clauses: list[tuple[str, Any]] = []
    for i, g in enumerate(groups):
        last = i == len(groups) - 1
        if last:
            pq = [prefix_query(ctx, name, t, boost) for t in g]
            clauses.append((occur, pq[0] if len(pq) == 1 else BoolNode([("should", p) for p in pq])))
        else:
            clauses.append((occur, term_group_query(ctx, f, name, g, boost, {})))
    return BoolNode(clauses)


def wildcard_leaf(ctx: QueryContext, opts: Options, fields: list[tuple[str, float]], pattern: str,
                  tie: float) -> Node:
    parts: list[DocSet | None] = []
    for name, fboost in fields:
        f = ctx.field(name)
        if f is None:
            continue
        if pattern == "*":
            parts.append(exists_query(ctx, name, fboost))
            continue
        if not opts.allow_leading_wildcard and pattern[:1] in ("*", "?"):
            raise _ParseError("'*' or '?' not allowed as first character in WildcardQuery")

        def one(name: str = name, fboost: float = fboost, f: Field = f) -> DocSet:
            value = pattern
            if f.is_text:
                value = _normalize_wildcard_text(ctx, f, pattern, opts)
            return wildcard_query(ctx, name, value, fboost)
        parts.append(_lenient_call(opts, one))
    return _combine(parts, tie)


def _normalize_wildcard_text(ctx: QueryContext, f: Field, pattern: str, opts: Options) -> str:
    out: list[str] = []
    buf: list[str] = []

    def flush() -> None:
        if buf:
            out.append(_normalize(ctx, f, "".join(buf), opts))
            buf.clear()
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            flush()
            out.append(pattern[i:i + 2])
            i += 2
            continue
        if ch in "*?":
            flush()
            out.append(ch)
        else:
            buf.append(ch)
        i += 1
    flush()
    return "".join(out)


def regexp_leaf(ctx: QueryContext, opts: Options, fields: list[tuple[str, float]], pattern: str,
                tie: float) -> Node:
    limit = int(ctx.index.setting("max_regex_length", 1000) or 1000)
    if len(pattern) > limit:
        raise EsError(400, "illegal_argument_exception",
                      f"The length of regex [{len(pattern)}] used in the [query_string] has exceeded the allowed "
                      f"maximum of [{limit}]. This maximum can be set by changing the [index.max_regex_length] index "
                      f"level setting.")
    parts: list[DocSet | None] = []
    for name, fboost in fields:
        f = ctx.field(name)
        if f is None:
            continue
        parts.append(_lenient_call(opts, regexp_query, ctx, name, pattern, fboost))
    return _combine(parts, tie)


def range_leaf(ctx: QueryContext, opts: Options, fields: list[tuple[str, float]], low: str | None,
               high: str | None, inc_low: bool, inc_high: bool, tie: float) -> Node:
    if low == "*":
        low = None
    if high == "*":
        high = None
    parts: list[DocSet | None] = []
    for name, fboost in fields:
        f = ctx.field(name)
        if f is None:
            continue

        def one(name: str = name, fboost: float = fboost, f: Field = f) -> DocSet:
            lo, hi = low, high
            if f.is_text:
                lo = _normalize(ctx, f, lo, opts) if lo is not None else None
                hi = _normalize(ctx, f, hi, opts) if hi is not None else None
            bounds: dict[str, Any] = {}
            if lo is not None:
                bounds["gte" if inc_low else "gt"] = lo
            if hi is not None:
                bounds["lte" if inc_high else "lt"] = hi
            tz = opts.time_zone if f.type in ("date", "date_nanos") else None
            return range_query(ctx, name, bounds, fboost, None, tz)
        parts.append(_lenient_call(opts, one))
    return _combine(parts, tie)


# ---- query_string: Lucene's classic query parser -------------------------------------------------
class _ParseError(Exception):
    """A classic-parser syntax error (JavaCC's ParseException / TokenMgrError message)."""


_WS = " \t\n\r\u3000"
_SPECIAL = set(_WS) | set('+-!():^[]"{}~*?\\/')
_CONJ_NONE, _CONJ_AND, _CONJ_OR = 0, 1, 2
_MOD_NONE, _MOD_NOT, _MOD_REQ = 0, 10, 11
_CLAUSE_START = {"AND", "OR", "NOT", "PLUS", "MINUS", "BAREOPER", "LPAREN", "STAR", "QUOTED", "TERM",
                 "PREFIXTERM", "WILDTERM", "REGEXPTERM", "RANGEIN_START", "RANGEEX_START", "NUMBER"}
_TOKEN_NAMES = {"AND": "<AND>", "OR": "<OR>", "NOT": "<NOT>", "PLUS": '"+"', "MINUS": '"-"',
                "BAREOPER": "<BAREOPER>", "LPAREN": '"("', "RPAREN": '")"', "COLON": '":"', "STAR": '"*"',
                "CARAT": '"^"', "QUOTED": "<QUOTED>", "TERM": "<TERM>", "FUZZY_SLOP": "<FUZZY_SLOP>",
                "PREFIXTERM": "<PREFIXTERM>", "WILDTERM": "<WILDTERM>", "REGEXPTERM": "<REGEXPTERM>",
                "RANGEIN_START": '"["', "RANGEEX_START": '"{"', "NUMBER": "<NUMBER>", "RANGE_TO": '"TO"',
                "RANGEIN_END": '"]"', "RANGEEX_END": '"}"', "RANGE_QUOTED": "<RANGE_QUOTED>",
                "RANGE_GOOP": "<RANGE_GOOP>", "EOF": "<EOF>"}
_EXPECT_CLAUSE = ["<NOT>", '"+"', '"-"', "<BAREOPER>", '"("', '"*"', "<QUOTED>", "<TERM>", "<PREFIXTERM>",
                  "<WILDTERM>", "<REGEXPTERM>", '"["', '"{"', "<NUMBER>"]


@dataclass
class _Tok:
    kind: str
    image: str
    pos: int


def _escaped_len(q: str, i: int) -> int:
    """Length of a term char at i (2 for an escape), 0 when it is not a term char."""
    ch = q[i]
    if ch == "\\":
        if i + 1 >= len(q):
            raise _ParseError(f"Lexical error at line 1, column {i + 2}.  Encountered: <EOF> after : \"\\\\\"")
        return 2
    return 0 if ch in _SPECIAL else 1


def _term_run(q: str, i: int, start_required: bool = True, wild: bool = False) -> int:
    """Length of TERM (or WILDTERM when wild) starting at i."""
    n = len(q)
    j = i
    first = True
    while j < n:
        ch = q[j]
        if wild and ch in "*?":
            j += 1
            first = False
            continue
        if not first and ch in "+-":
            j += 1
            continue
        step = _escaped_len(q, j)
        if step == 0:
            break
        j += step
        first = False
    return j - i


def lex(q: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i = 0
    n = len(q)
    state = "default"
    while i < n:
        ch = q[i]
        if ch in _WS:
            i += 1
            continue
        if state == "boost":
            m = re.match(r"\d+(?:\.\d+)?", q[i:])
            if not m:
                raise _ParseError(f"Lexical error at line 1, column {i + 1}.  Encountered: \"{ch}\" ({ord(ch)}), "
                                  f"after : \"\"")
            toks.append(_Tok("NUMBER", m.group(0), i))
            i += len(m.group(0))
            state = "default"
            continue
        if state == "range":
            if ch == "]" or ch == "}":
                toks.append(_Tok("RANGEIN_END" if ch == "]" else "RANGEEX_END", ch, i))
                i += 1
                state = "default"
                continue
            goop = 0
            while i + goop < n and q[i + goop] not in " ]}":
                goop += 1
            quoted = 0
            if ch == '"':
                j = i + 1
                while j < n and q[j] != '"':
                    j += 2 if q[j] == "\\" and j + 1 < n else 1
                if j < n and j > i + 1:
                    quoted = j + 1 - i
            to_len = 2 if q.startswith("TO", i) else 0
            best = max(goop, quoted, to_len)
            if best == 0:
                raise _ParseError(f"Lexical error at line 1, column {i + 1}.  Encountered: \"{ch}\"")
            if to_len == best:
                toks.append(_Tok("RANGE_TO", "TO", i))
            elif quoted == best:
                toks.append(_Tok("RANGE_QUOTED", q[i:i + quoted], i))
            else:
                toks.append(_Tok("RANGE_GOOP", q[i:i + goop], i))
            i += best
            continue
        # default state: longest match, ties resolved by declaration order
        cands: list[tuple[int, int, str]] = []  # (length, -order, kind)

        def add(length: int, order: int, kind: str, cands: list[tuple[int, int, str]] = cands) -> None:
            if length > 0:
                cands.append((length, -order, kind))
        if q.startswith("AND", i):
            add(3, 0, "AND")
        if q.startswith("&&", i):
            add(2, 0, "AND")
        if q.startswith("OR", i):
            add(2, 1, "OR")
        if q.startswith("||", i):
            add(2, 1, "OR")
        if q.startswith("NOT", i):
            add(3, 2, "NOT")
        if ch == "!":
            add(1, 2, "NOT")
        if ch == "+":
            add(1, 3, "PLUS")
        if ch == "-":
            add(1, 4, "MINUS")
        if ch in "+-!" and i + 1 < n and q[i + 1] in _WS:
            add(2, 5, "BAREOPER")
        simple = {"(": "LPAREN", ")": "RPAREN", ":": "COLON", "*": "STAR", "^": "CARAT", "[": "RANGEIN_START",
                  "{": "RANGEEX_START"}
        order_of = {"LPAREN": 6, "RPAREN": 7, "COLON": 8, "STAR": 9, "CARAT": 10, "RANGEIN_START": 17,
                    "RANGEEX_START": 18}
        if ch in simple:
            add(1, order_of[simple[ch]], simple[ch])
        if ch == '"':
            j = i + 1
            closed = False
            while j < n:
                if q[j] == "\\":
                    if j + 1 >= n:
                        break
                    j += 2
                    continue
                if q[j] == '"':
                    closed = True
                    break
                j += 1
            if closed:
                add(j + 1 - i, 11, "QUOTED")
            else:
                raise _ParseError(f"Lexical error at line 1, column {n + 1}.  Encountered: <EOF> after : "
                                  f"\"{q[i:]}\"")
        term = _term_run(q, i) if ch not in _SPECIAL or ch == "\\" else 0
        add(term, 12, "TERM")
        if ch == "~":
            m = re.match(r"~(?:\d+(?:\.\d+)?)?", q[i:])
            length = len(m.group(0)) if m else 1
            length += _term_run(q, i + length, wild=False) if i + length < n and (
                q[i + length] not in _SPECIAL or q[i + length] in "+-\\") else 0
            add(length, 13, "FUZZY_SLOP")
        if ch == "*":
            add(1, 14, "PREFIXTERM")
        if term and i + term < n and q[i + term] == "*":
            add(term + 1, 14, "PREFIXTERM")
        if ch in "*?" or ch not in _SPECIAL or ch == "\\":
            add(_term_run(q, i, wild=True), 15, "WILDTERM")
        if ch == "/":
            j = i + 1
            while j < n and q[j] != "/":
                j += 2 if q[j] == "\\" and j + 1 < n and q[j + 1] == "/" else 1
            if j < n:
                add(j + 1 - i, 16, "REGEXPTERM")
        if not cands:
            raise _ParseError(f"Lexical error at line 1, column {i + 1}.  Encountered: \"{ch}\" ({ord(ch)}), "
                              f"after : \"\"")
        length, _, kind = max(cands)
        toks.append(_Tok(kind, q[i:i + length], i))
        i += length
        if kind == "CARAT":
            state = "boost"
        elif kind in ("RANGEIN_START", "RANGEEX_START"):
            state = "range"
    toks.append(_Tok("EOF", "", n))
    return toks


def discard_escape(text: str) -> str:
    out = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            if text[i + 1] == "u" and re.match(r"[0-9a-fA-F]{4}", text[i + 2:i + 6]):
                out.append(chr(int(text[i + 2:i + 6], 16)))
                i += 6
                continue
            out.append(text[i + 1])
            i += 2
            continue
        if ch == "\\":
            raise _ParseError("Term can not end with escape character.")
        out.append(ch)
        i += 1
    return "".join(out)


class ClassicParser:
    """Recursive descent over Lucene's QueryParser.jj grammar, building nodes as ES's parser does."""

    def __init__(self, text: str, ctx: QueryContext, opts: Options) -> None:
        self.text = text
        self.ctx = ctx
        self.opts = opts
        self.toks = lex(text)
        self.i = 0
        self.operator_and = opts.default_operator == "and"

    # -- token helpers
    @property
    def tok(self) -> _Tok:
        return self.toks[self.i]

    def take(self, *kinds: str) -> _Tok:
        t = self.tok
        if t.kind not in kinds:
            self.fail(t, [_TOKEN_NAMES[k] for k in kinds])
        self.i += 1
        return t

    def fail(self, t: _Tok, expected: list[str]) -> None:
        col = t.pos + 1 if t.kind != "EOF" else max(len(self.text), 1)
        image = "<EOF>" if t.kind == "EOF" else t.image
        shown = f'"{image}"' if t.kind != "EOF" else "<EOF>"
        listing = "".join(f"\n    {e} ..." for e in expected)
        name = _TOKEN_NAMES.get(t.kind, t.kind)
        prefix = f"Encountered \" {name} {shown} \"" if t.kind != "EOF" else "Encountered \"<EOF>\""
        raise _ParseError(f"{prefix} at line 1, column {col}.\nWas expecting one of:{listing}\n    ")

    # -- grammar
    def parse(self) -> Node:
        node = self.query(None)
        if self.tok.kind != "EOF":
            self.fail(self.tok, ["<EOF>", "<AND>", "<OR>"] + _EXPECT_CLAUSE)
        return node

    def query(self, field: str | None) -> Node:
        clauses: list[list[Any]] = []
        mods = self.modifiers()
        q = self.clause(field)
        self.add_clause(clauses, _CONJ_NONE, mods, q)
        first = q if mods == _MOD_NONE else None
        while self.tok.kind in _CLAUSE_START:
            conj = self.conjunction()
            mods = self.modifiers()
            q = self.clause(field)
            self.add_clause(clauses, conj, mods, q)
        if len(clauses) == 1 and first is not None:
            return first
        if not clauses:
            return None
        node = BoolNode([(occur, node) for occur, node in clauses])
        return fix_negative(node)

    def conjunction(self) -> int:
        if self.tok.kind == "AND":
            self.i += 1
            return _CONJ_AND
        if self.tok.kind == "OR":
            self.i += 1
            return _CONJ_OR
        return _CONJ_NONE

    def modifiers(self) -> int:
        kind = self.tok.kind
        if kind == "PLUS":
            self.i += 1
            return _MOD_REQ
        if kind in ("MINUS", "NOT"):
            self.i += 1
            return _MOD_NOT
        return _MOD_NONE

    def add_clause(self, clauses: list[list[Any]], conj: int, mods: int, q: Node) -> None:
        if clauses and conj == _CONJ_AND:
            last = clauses[-1]
            if last[0] != "must_not":
                last[0] = "must"
        if clauses and self.operator_and and conj == _CONJ_OR:
            last = clauses[-1]
            if last[0] != "must_not":
                last[0] = "should"
        if q is None:
            return
        if not self.operator_and:
            prohibited = mods == _MOD_NOT
            required = mods == _MOD_REQ
            if conj == _CONJ_AND and not prohibited:
                required = True
        else:
            prohibited = mods == _MOD_NOT
            required = not prohibited and conj != _CONJ_OR
        if required and not prohibited:
            clauses.append(["must", q])
        elif not required and not prohibited:
            clauses.append(["should", q])
        else:
            clauses.append(["must_not", q])

    def clause(self, field: str | None) -> Node:
        t = self.tok
        nxt = self.toks[self.i + 1] if self.i + 1 < len(self.toks) else None
        if nxt is not None and nxt.kind == "COLON" and t.kind in ("TERM", "STAR"):
            field = discard_escape(t.image) if t.kind == "TERM" else "*"
            self.i += 2
        if self.tok.kind == "LPAREN":
            self.i += 1
            q = self.query(field)
            self.take("RPAREN")
            boost = None
            if self.tok.kind == "CARAT":
                self.i += 1
                boost = self.take("NUMBER").image
            return self.boosted(q, boost)
        return self.term(field)

    def boosted(self, q: Node, boost: str | None) -> Node:
        if boost is None or q is None:
            return q
        try:
            value = float(boost)
        except ValueError:
            value = 1.0
        return BoostNode(q, value) if value != 1.0 else q

    def term(self, field: str | None) -> Node:
        t = self.tok
        kind = t.kind
        if kind in ("TERM", "STAR", "PREFIXTERM", "WILDTERM", "REGEXPTERM", "NUMBER", "BAREOPER"):
            self.i += 1
            image = t.image[:1] if kind == "BAREOPER" else t.image
            fuzzy_slop = None
            boost = None
            if self.tok.kind == "CARAT":
                self.i += 1
                boost = self.take("NUMBER").image
                if self.tok.kind == "FUZZY_SLOP":
                    fuzzy_slop = self.take("FUZZY_SLOP").image
            elif self.tok.kind == "FUZZY_SLOP":
                fuzzy_slop = self.take("FUZZY_SLOP").image
                if self.tok.kind == "CARAT":
                    self.i += 1
                    boost = self.take("NUMBER").image
            q = self.bare_term(field, kind, image, fuzzy_slop)
            return self.boosted(q, boost)
        if kind in ("RANGEIN_START", "RANGEEX_START"):
            self.i += 1
            start_inc = kind == "RANGEIN_START"
            g1 = self.take("RANGE_GOOP", "RANGE_QUOTED", "RANGE_TO")
            self.take("RANGE_TO")
            g2 = self.take("RANGE_GOOP", "RANGE_QUOTED", "RANGE_TO")
            end = self.take("RANGEIN_END", "RANGEEX_END")
            boost = None
            if self.tok.kind == "CARAT":
                self.i += 1
                boost = self.take("NUMBER").image
            low = g1.image[1:-1] if g1.kind == "RANGE_QUOTED" else g1.image
            high = g2.image[1:-1] if g2.kind == "RANGE_QUOTED" else g2.image
            if g1.kind == "RANGE_GOOP" and low == "*":
                low = "*"
            q = self.range(field, discard_escape(low) if low != "*" else low,
                           discard_escape(high) if high != "*" else high, start_inc, end.kind == "RANGEIN_END")
            return self.boosted(q, boost)
        if kind == "QUOTED":
            self.i += 1
            fuzzy_slop = None
            boost = None
            if self.tok.kind == "CARAT":
                self.i += 1
                boost = self.take("NUMBER").image
                if self.tok.kind == "FUZZY_SLOP":
                    fuzzy_slop = self.take("FUZZY_SLOP").image
            elif self.tok.kind == "FUZZY_SLOP":
                fuzzy_slop = self.take("FUZZY_SLOP").image
                if self.tok.kind == "CARAT":
                    self.i += 1
                    boost = self.take("NUMBER").image
            slop = self.opts.phrase_slop
            if fuzzy_slop is not None:
                with contextlib.suppress(ValueError):
                    slop = int(float(fuzzy_slop[1:]))
            q = self.phrase(field, discard_escape(t.image[1:-1]), slop)
            return self.boosted(q, boost)
        self.fail(t, _EXPECT_CLAUSE)
        return None

    # -- ES's QueryStringQueryParser
    def fields_for(self, field: str | None, quoted: bool = False) -> list[tuple[str, float]]:
        opts = self.opts
        suffix = opts.quote_field_suffix if quoted else None
        if field is None:
            if suffix:
                return resolve_fields(self.ctx, [f"{n}^{b}" for n, b in opts.fields], suffix=suffix)[0]
            return opts.fields
        if field == "*" and opts.default_field == "*":
            return opts.fields
        if "*" in field:
            return resolve_fields(self.ctx, [field], suffix=suffix)[0]
        target = field
        if suffix and self.ctx.field(field + suffix) is not None:
            target = field + suffix
        return [(target, 1.0)] if self.ctx.field(target) is not None or target in ("_id", "_index") else []

    @property
    def tie(self) -> float:
        return self.opts.tie

    def bare_term(self, field: str | None, kind: str, image: str, fuzzy_slop: str | None) -> Node:
        ctx, opts = self.ctx, self.opts
        if kind in ("STAR", "WILDTERM"):
            return self.wildcard(field, image)
        if kind == "PREFIXTERM":
            return self.prefix(field, discard_escape(image[:-1]))
        if kind == "REGEXPTERM":
            return regexp_leaf(ctx, opts, self.fields_for(field), image[1:-1], self.tie)
        text = discard_escape(image)
        if fuzzy_slop is not None:
            if len(fuzzy_slop) == 1:
                edits = fuzzy_edits(opts.fuzziness, text)
            else:
                try:
                    value = float(fuzzy_slop[1:])
                except ValueError:
                    value = float(fuzzy_edits(opts.fuzziness, text))
                if value < 0:
                    raise _ParseError("Minimum similarity for a FuzzyQuery has to be between 0.0f and 1.0f !")
                if value >= 1 and value != int(value):
                    raise _ParseError("Fractional edit distances are not allowed!")
                edits = min(2, int(value))
            return fuzzy_leaf(ctx, opts, self.fields_for(field), text, edits, self.tie)
        return self.field_query(field, text)

    def field_query(self, field: str | None, text: str) -> Node:
        ctx, opts = self.ctx, self.opts
        if field == "_exists_":
            return exists_query(ctx, text, 1.0)
        if field is not None and len(text) > 1:
            if text[0] == ">":
                if len(text) > 2 and text[1] == "=":
                    return self.range(field, text[2:], None, True, True)
                return self.range(field, text[1:], None, False, True)
            if text[0] == "<":
                if len(text) > 2 and text[1] == "=":
                    return self.range(field, None, text[2:], True, True)
                return self.range(field, None, text[1:], True, False)
            f = ctx.field(field)
            if f is not None and f.type in ("date", "date_nanos") and opts.time_zone is not None:
                return self.range(field, text, text, True, True)
        fields = self.fields_for(field)
        if not fields:
            return empty()
        return text_leaf(ctx, opts, fields, text)

    def phrase(self, field: str | None, text: str, slop: int) -> Node:
        if field == "_exists_":
            return exists_query(self.ctx, text, 1.0)
        fields = self.fields_for(field, quoted=True)
        if not fields:
            return empty()
        return phrase_leaf(self.ctx, self.opts, fields, text, slop, self.tie)

    def wildcard(self, field: str | None, pattern: str) -> Node:
        ctx, opts = self.ctx, self.opts
        actual = field if field is not None else opts.default_field
        if pattern == "*" and actual is not None:
            if actual == "*":
                return constant(ctx.all_docs(), 1.0)
            if field == "_exists_":
                return None
            return exists_query(ctx, actual, 1.0)
        fields = self.fields_for(field)
        if not fields:
            return empty()
        return wildcard_leaf(ctx, opts, fields, pattern, self.tie)

    def prefix(self, field: str | None, text: str) -> Node:
        fields = self.fields_for(field)
        if not fields:
            return empty()
        return prefix_leaf(self.ctx, self.opts, fields, text, self.tie)

    def range(self, field: str | None, low: str | None, high: str | None, inc_low: bool, inc_high: bool) -> Node:
        fields = self.fields_for(field)
        if not fields:
            return empty()
        return range_leaf(self.ctx, self.opts, fields, low, high, inc_low, inc_high, self.tie)


QUERY_STRING_KEYS = {"query", "default_field", "fields", "default_operator", "analyzer", "quote_analyzer",
                     "quote_field_suffix", "allow_leading_wildcard", "analyze_wildcard", "lenient",
                     "max_determinized_states", "minimum_should_match", "phrase_slop", "fuzziness",
                     "fuzzy_max_expansions", "fuzzy_prefix_length", "fuzzy_transpositions", "fuzzy_rewrite",
                     "rewrite", "time_zone", "type", "tie_breaker", "auto_generate_synonyms_phrase_query",
                     "enable_position_increments", "escape", "boost", "_name"}
QS_TYPES = ("best_fields", "most_fields", "cross_fields", "phrase", "phrase_prefix", "bool_prefix")
_LUCENE_SPECIAL = set('\\+-!():^[]"{}~*?|&/')


def lucene_escape(text: str) -> str:
    return "".join("\\" + ch if ch in _LUCENE_SPECIAL else ch for ch in text)


def _operator(value: Any, owner: str) -> str:
    op = str(value if value is not None else "or").lower()
    if op not in ("or", "and"):
        raise no_wrap(EsError(400, "illegal_argument_exception",
                              f"No enum constant org.elasticsearch.index.query.Operator.{str(value).upper()}"))
    return op


@query("query_string")
def q_query_string(body: dict[str, Any], ctx: QueryContext) -> DocSet:
    check_keys("query_string", body, QUERY_STRING_KEYS)
    if body.get("query") is None:
        raise parsing_exception("[query_string] must be provided with a [query]")
    text = _text(body["query"])
    if bool_param(body, "escape", False):
        text = lucene_escape(text)
    kind = str(body.get("type", "best_fields")).lower()
    if kind not in QS_TYPES:
        raise parsing_exception(f"[query_string] unknown type [{body.get('type')}]")
    default_field = body.get("default_field")
    fields_spec = body.get("fields")
    if default_field is not None and fields_spec:
        raise no_wrap(EsError(400, "illegal_argument_exception",
                              "cannot use [fields] parameter in conjunction with [default_field]"))
    lenient_set = "lenient" in body
    if fields_spec:
        fields, all_fields = resolve_fields(ctx, fields_spec)
        single = None
    else:
        if default_field is None:
            setting = ctx.index.setting("query.default_field", ["*"]) or ["*"]
            default_field = setting[0] if isinstance(setting, list) and len(setting) == 1 else setting
        if isinstance(default_field, list):
            fields, all_fields = resolve_fields(ctx, default_field)
            single = None
        else:
            default_field = str(default_field)
            all_fields = default_field == "*"
            single = default_field
            if "*" in default_field:
                fields = resolve_fields(ctx, [default_field])[0]
            else:
                fields = [parse_field_boost_name(default_field)]
    opts = Options(
        fields=fields,
        default_operator=_operator(body.get("default_operator"), "query_string"),
        lenient=bool_param(body, "lenient", False) if lenient_set else all_fields,
        analyzer=body.get("analyzer"),
        quote_analyzer=body.get("quote_analyzer"),
        quote_field_suffix=body.get("quote_field_suffix"),
        analyze_wildcard=bool_param(body, "analyze_wildcard", False),
        allow_leading_wildcard=bool_param(body, "allow_leading_wildcard", True),
        fuzziness=body.get("fuzziness", "AUTO"),
        fuzzy_prefix_length=int_param(body, "fuzzy_prefix_length", 0, "query_string"),
        fuzzy_max_expansions=int_param(body, "fuzzy_max_expansions", 50, "query_string"),
        fuzzy_transpositions=bool_param(body, "fuzzy_transpositions", True),
        fuzzy_rewrite=body.get("fuzzy_rewrite"),
        phrase_slop=int_param(body, "phrase_slop", 0, "query_string"),
        type=kind,
        tie_breaker=float_param(body, "tie_breaker", 0.0, "query_string") if "tie_breaker" in body else None,
        time_zone=body.get("time_zone"),
        all_fields=all_fields,
        default_field=single,
    )
    for name in (opts.analyzer, opts.quote_analyzer):
        if name is not None and not ctx.index.analysis.has_analyzer(name):
            raise no_wrap(EsError(400, "illegal_argument_exception", f"analyzer [{name}] not found"))
    if not text.strip():
        return empty()
    try:
        try:
            parser = ClassicParser(text, ctx, opts)
            node = parser.parse()
        except RecursionError:
            raise _ParseError("too many boolean clauses") from None
    except _ParseError as exc:
        detail = str(exc)
        raise shard_error(ctx, f"Failed to parse query [{body['query']}]",
                          EsError(400, "parse_exception", f"Cannot parse '{text}': {detail}",
                                  caused_by=EsError(400, "parse_exception", detail))) from None
    if node is None:
        return empty()
    node = fix_negative(node)
    node = apply_msm(node, body.get("minimum_should_match"))
    return scale(evaluate(node, ctx), boost_of(body))


def parse_field_boost_name(spec: str) -> tuple[str, float]:
    name, sep, boost = spec.rpartition("^")
    if not sep:
        return spec, 1.0
    try:
        return name, float(boost)
    except ValueError:
        return spec, 1.0


# ---- simple_query_string: Lucene's SimpleQueryParser --------------------------------------------
SQS_FLAGS = {"ALL": -1, "NONE": 0, "AND": 1 << 0, "NOT": 1 << 1, "OR": 1 << 2, "PREFIX": 1 << 3,
             "PHRASE": 1 << 4, "PRECEDENCE": 1 << 5, "ESCAPE": 1 << 6, "WHITESPACE": 1 << 7,
             "FUZZY": 1 << 8, "NEAR": 1 << 9, "SLOP": 1 << 9}
F_AND, F_NOT, F_OR, F_PREFIX, F_PHRASE, F_PRECEDENCE, F_ESCAPE, F_WHITESPACE, F_FUZZY, F_NEAR = (
    1 << 0, 1 << 1, 1 << 2, 1 << 3, 1 << 4, 1 << 5, 1 << 6, 1 << 7, 1 << 8, 1 << 9)
_SQS_WS = " \t\n\r"
MAX_SQS_DEPTH = 100


def parse_sqs_flags(value: Any) -> int:
    if value is None:
        return -1
    if isinstance(value, bool):
        raise parsing_exception("[simple_query_string] failed to parse [flags]")
    if isinstance(value, int):
        return value
    flags = 0
    for part in str(value).split("|"):
        name = part.strip().upper()
        if not name:
            continue
        if name not in SQS_FLAGS:
            raise no_wrap(EsError(400, "illegal_argument_exception", f"Unknown simple_query_string flag [{part}]"))
        if SQS_FLAGS[name] == -1:
            return -1
        flags |= SQS_FLAGS[name]
    return flags


class _SqsState:
    __slots__ = ("data", "index", "length", "top", "current", "previous", "not_count")

    def __init__(self, data: str, start: int, end: int) -> None:
        self.data = data
        self.index = start
        self.length = end
        self.top: Node = None
        self.current: str | None = None
        self.previous: str | None = None
        self.not_count = 0


class SimpleParser:
    """Lucene's SimpleQueryParser, operator for operator; it never raises on syntax."""

    def __init__(self, text: str, ctx: QueryContext, opts: Options, flags: int) -> None:
        self.text = text
        self.ctx = ctx
        self.opts = opts
        self.flags = flags
        self.default_occur = "must" if opts.default_operator == "and" else "should"
        self.depth = 0
        self.paren_match = self._match_parens(text)

    def _match_parens(self, text: str) -> dict[int, int]:
        """Each '(' -> its closing ')' (escape-aware): what consume_sub's scan finds, in linear time."""
        out: dict[int, int] = {}
        stack: list[int] = []
        escaped = False
        escapes = self.has(F_ESCAPE)
        for i, ch in enumerate(text):
            if escaped:
                escaped = False
                continue
            if ch == "\\" and escapes:
                escaped = True
            elif ch == "(":
                stack.append(i)
            elif ch == ")" and stack:
                out[stack.pop()] = i
        return out

    def has(self, flag: int) -> bool:
        return (self.flags & flag) != 0

    def parse(self) -> Node:
        state = _SqsState(self.text, 0, len(self.text))
        self.parse_sub(state)
        return state.top

    def parse_sub(self, st: _SqsState) -> None:
        data = st.data
        while st.index < st.length:
            ch = data[st.index]
            if ch == "(" and self.has(F_PRECEDENCE):
                self.consume_sub(st)
            elif ch == ")" and self.has(F_PRECEDENCE):
                st.index += 1
            elif ch == '"' and self.has(F_PHRASE):
                self.consume_phrase(st)
            elif ch == "+" and self.has(F_AND):
                if st.current is None and st.top is not None:
                    st.current = "must"
                st.index += 1
            elif ch == "|" and self.has(F_OR):
                if st.current is None and st.top is not None:
                    st.current = "should"
                st.index += 1
            elif ch == "-" and self.has(F_NOT):
                st.not_count += 1
                st.index += 1
                continue
            elif ch in _SQS_WS and self.has(F_WHITESPACE):
                st.index += 1
            else:
                self.consume_token(st)
            st.not_count = 0

    def consume_sub(self, st: _SqsState) -> None:
        data = st.data
        close = self.paren_match.get(st.index)
        st.index += 1
        start = st.index
        st.index = close if close is not None and close < st.length else st.length
        if st.index == st.length:
            st.index = start  # no closing parenthesis: the opening one is ignored
        elif st.index == start:
            st.current = None
            st.index += 1
        else:
            sub = _SqsState(data, start, st.index)
            self.depth += 1
            if self.depth > MAX_SQS_DEPTH:
                # pathological nesting: treat the content as plain text rather than recursing further
                self.build_tree(st, self.default_query(data[start:st.index]))
            else:
                self.parse_sub(sub)
                self.build_tree(st, sub.top)
            self.depth -= 1
            st.index += 1

    def consume_phrase(self, st: _SqsState) -> None:
        data = st.data
        st.index += 1
        start = st.index
        buf: list[str] = []
        escaped = False
        has_slop = False
        while st.index < st.length:
            if not escaped:
                ch = data[st.index]
                if ch == "\\" and self.has(F_ESCAPE):
                    escaped = True
                    st.index += 1
                    continue
                if ch == '"':
                    if st.length > st.index + 1 and data[st.index + 1] == "~" and self.has(F_NEAR):
                        st.index += 1
                        if st.length > st.index + 1:
                            has_slop = True
                    break
            escaped = False
            buf.append(data[st.index])
            st.index += 1
        if st.index == st.length:
            st.index = start  # no closing quote: the opening one is ignored
        elif st.index == start:
            st.current = None
            st.index += 1
        else:
            phrase = "".join(buf)
            slop = self.parse_fuzziness(st) if has_slop else 0
            self.build_tree(st, self.phrase_query(phrase, slop))
            st.index += 1

    def token_finished(self, st: _SqsState) -> bool:
        ch = st.data[st.index]
        return ((ch == '"' and self.has(F_PHRASE)) or (ch == "|" and self.has(F_OR))
                or (ch == "+" and self.has(F_AND)) or (ch in "()" and self.has(F_PRECEDENCE))
                or (ch in _SQS_WS and self.has(F_WHITESPACE)))

    def consume_token(self, st: _SqsState) -> None:
        data = st.data
        buf: list[str] = []
        escaped = False
        prefix = False
        fuzzy = False
        while st.index < st.length:
            if not escaped:
                ch = data[st.index]
                if ch == "\\" and self.has(F_ESCAPE):
                    escaped = True
                    prefix = False
                    st.index += 1
                    continue
                if self.token_finished(st):
                    break
                if buf and ch == "~" and self.has(F_FUZZY):
                    fuzzy = True
                    break
                prefix = bool(buf) and ch == "*" and self.has(F_PREFIX)
            escaped = False
            buf.append(data[st.index])
            st.index += 1
        if not buf:
            return
        if fuzzy and self.has(F_FUZZY):
            token = "".join(buf)
            edits = min(self.parse_fuzziness(st), 2)
            branch = self.default_query(token) if edits == 0 else self.fuzzy_query(token, edits)
        elif prefix:
            branch = self.prefix_query("".join(buf[:-1]))
        else:
            branch = self.default_query("".join(buf))
        self.build_tree(st, branch)

    def build_tree(self, st: _SqsState, branch: Node) -> None:
        if branch is None:
            return
        if st.not_count % 2 == 1:
            branch = BoolNode([("must_not", branch), ("should", constant(self.ctx.all_docs(), 1.0))])
        if st.top is None:
            st.top = branch
        else:
            if st.current is None:
                st.current = self.default_occur
            if st.previous != st.current:
                st.top = BoolNode([(st.current, st.top)])
            assert isinstance(st.top, BoolNode)
            st.top = BoolNode(st.top.clauses + [(st.current, branch)], st.top.msm)
            st.previous = st.current
        st.current = None

    def parse_fuzziness(self, st: _SqsState) -> int:
        data = st.data
        text: list[str] = []
        if data[st.index] == "~":
            while st.index < st.length:
                st.index += 1
                if st.index < st.length:
                    if self.token_finished(st):
                        break
                    text.append(data[st.index])
            raw = "".join(text)
            if raw == "":
                return 2
            try:
                value = int(raw)
            except ValueError:
                return 0
            return max(0, value)
        return 0

    # -- ES's SimpleQueryStringQueryParser
    def default_query(self, text: str) -> Node:
        return text_leaf(self.ctx, self.opts, self.opts.fields, text, "most_fields")

    def fuzzy_query(self, text: str, edits: int) -> Node:
        return fuzzy_leaf(self.ctx, self.opts, self.opts.fields, text, edits, 1.0)

    def phrase_query(self, text: str, slop: int) -> Node:
        fields = self.opts.fields
        if self.opts.quote_field_suffix:
            fields = resolve_fields(self.ctx, [f"{n}^{b}" for n, b in fields],
                                    suffix=self.opts.quote_field_suffix)[0]
        return phrase_leaf(self.ctx, self.opts, fields, text, slop, 0.0)

    def prefix_query(self, text: str) -> Node:
        return prefix_leaf(self.ctx, self.opts, self.opts.fields, text, 1.0)


SQS_KEYS = {"query", "fields", "default_operator", "analyzer", "flags", "lenient", "analyze_wildcard",
            "minimum_should_match", "quote_field_suffix", "auto_generate_synonyms_phrase_query",
            "fuzzy_prefix_length", "fuzzy_max_expansions", "fuzzy_transpositions", "boost", "_name"}


@query("simple_query_string")
def q_simple_query_string(body: dict[str, Any], ctx: QueryContext) -> DocSet:
    check_keys("simple_query_string", body, SQS_KEYS)
    if body.get("query") is None:
        raise parsing_exception("[simple_query_string] query text missing")
    text = _text(body["query"])
    fields_spec = body.get("fields")
    fields, all_fields = resolve_fields(ctx, fields_spec)
    lenient = bool_param(body, "lenient", False) if "lenient" in body else all_fields
    analyzer = body.get("analyzer")
    if analyzer is not None and not ctx.index.analysis.has_analyzer(analyzer):
        raise no_wrap(EsError(400, "illegal_argument_exception", f"[simple_query_string] analyzer [{analyzer}] not "
                                                                 "found"))
    opts = Options(
        fields=fields,
        default_operator=_operator(body.get("default_operator"), "simple_query_string"),
        lenient=lenient,
        analyzer=analyzer,
        quote_field_suffix=body.get("quote_field_suffix"),
        analyze_wildcard=bool_param(body, "analyze_wildcard", False),
        fuzzy_prefix_length=int_param(body, "fuzzy_prefix_length", 0, "simple_query_string"),
        fuzzy_max_expansions=int_param(body, "fuzzy_max_expansions", 50, "simple_query_string"),
        fuzzy_transpositions=bool_param(body, "fuzzy_transpositions", True),
        type="most_fields",
        all_fields=all_fields,
    )
    flags = parse_sqs_flags(body.get("flags"))
    if not fields:
        return empty()
    node = SimpleParser(text, ctx, opts, flags).parse()
    if node is None:
        return empty()
    node = apply_msm(node, body.get("minimum_should_match"))
    return scale(evaluate(node, ctx), boost_of(body))


__all__ = ["q_query_string", "q_simple_query_string", "ClassicParser", "SimpleParser", "evaluate", "lex",
           "lucene_escape", "prefix_terms", "union", "INT", "F32", "normalize_keyword"]
