"""Span queries: position-aware building blocks (span_term, span_near, span_or, span_first, span_not,
span_multi, span_containing, span_within, span_field_masking).

A span query yields, per candidate doc, a sorted list of (start, end) position spans. Scores follow
Lucene's SpanWeight: BM25 with the summed idf of the query's terms and freq = sum of
1 / (1 + width) over the doc's spans (width = slop actually used; 0 for a single term).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import EsError, parsing_exception
from .query import (
    F32,
    INT,
    DocSet,
    QueryContext,
    _text,
    boost_of,
    check_keys,
    doc_freq,
    doc_norms,
    empty,
    field_body,
    field_stats,
    fuzzy_edits,
    fuzzy_expand,
    has_norms,
    int_param,
    lucene_regex,
    normalize_keyword,
    prefix_terms,
    query,
    wildcard_regex,
)
from .scoring import bm25_scores, idf, term_weight

Spans = dict[int, list[tuple[int, int, int]]]  # doc -> [(start, end, width)]


@dataclass
class SpanResult:
    field: str
    spans: Spans
    terms: list[str]


def _span_of(q: Any, ctx: QueryContext) -> SpanResult:
    if not isinstance(q, dict) or len(q) != 1:
        raise parsing_exception("spanNear [clauses] must be of type span query")
    name, body = next(iter(q.items()))
    fn = SPAN_BUILDERS.get(name)
    if fn is None:
        raise parsing_exception(f"span query clause [{name}] must be of type span query" if name in _ANY_QUERY
                                else f"unknown query [{name}]")
    if not isinstance(body, dict):
        raise parsing_exception(f"[{name}] query malformed, no start_object after query name")
    return fn(body, ctx)


_ANY_QUERY = {"match", "term", "bool", "match_all", "prefix", "wildcard", "range"}


def _term_spans(ctx: QueryContext, field: str, term: str) -> Spans:
    inv = ctx.seg.inverted.get(field)
    out: Spans = {}
    if inv is None:
        return out
    postings = inv.terms.get(term)
    if postings is None or postings.positions is None:
        return out
    docs = postings.doc_array()
    keep = ctx.scope[docs]
    for i in np.flatnonzero(keep).tolist():
        out[int(docs[i])] = [(p, p + 1, 0) for p in postings.positions_of(i)]
    return out


def span_term(body: dict[str, Any], ctx: QueryContext) -> SpanResult:
    name, spec = field_body("span_term", body, "value")
    check_keys("span_term", spec, {"value", "term", "boost", "_name"})
    value = spec.get("value", spec.get("term"))
    if value is None:
        raise parsing_exception("value must not be null")
    f = ctx.field(name)
    term = normalize_keyword(ctx, f, value) if f is not None and f.is_keyword else _text(value)
    return SpanResult(name, _term_spans(ctx, name, term), [term])


def _union(results: list[SpanResult]) -> Spans:
    out: Spans = {}
    for r in results:
        for d, spans in r.spans.items():
            out.setdefault(d, []).extend(spans)
    for d in out:
        out[d] = sorted(set(out[d]))
    return out


def _same_field(results: list[SpanResult], what: str) -> str:
    fields = {r.field for r in results}
    if len(fields) > 1:
        raise EsError(400, "illegal_argument_exception", "Clauses must have same field.")
    return results[0].field if results else ""


def span_or(body: dict[str, Any], ctx: QueryContext) -> SpanResult:
    check_keys("span_or", body, {"clauses", "boost", "_name"})
    clauses = body.get("clauses")
    if not isinstance(clauses, list) or not clauses:
        raise parsing_exception("spanOr must include [clauses]")
    results = [_span_of(c, ctx) for c in clauses]
    field = _same_field(results, "span_or")
    return SpanResult(field, _union(results), [t for r in results for t in r.terms])


def _near_ordered(lists: list[list[tuple[int, int, int]]], slop: int) -> list[tuple[int, int, int]]:
    out = []
    for first in lists[0]:
        # greedy: for each next clause, the earliest span starting at or after the previous end
        chain = [first]
        ok = True
        for spans in lists[1:]:
            prev_end = chain[-1][1]
            nxt = next((s for s in spans if s[0] >= prev_end), None)
            if nxt is None:
                ok = False
                break
            chain.append(nxt)
        if not ok:
            continue
        inner = sum(s[1] - s[0] for s in chain)
        width = (chain[-1][1] - chain[0][0]) - inner
        if width <= slop:
            out.append((chain[0][0], chain[-1][1], width))
    return sorted(set(out))


def _near_unordered(lists: list[list[tuple[int, int, int]]], slop: int) -> list[tuple[int, int, int]]:
    out = []
    for anchor_i, spans in enumerate(lists):
        for anchor in spans:
            chosen = [anchor]
            for j, other in enumerate(lists):
                if j == anchor_i:
                    continue
                best = None
                for s in other:
                    lo = min(anchor[0], s[0])
                    hi = max(anchor[1], s[1])
                    if best is None or (hi - lo) < best[0]:
                        best = (hi - lo, s)
                if best is None:
                    chosen = []
                    break
                chosen.append(best[1])
            if not chosen:
                continue
            start = min(s[0] for s in chosen)
            end = max(s[1] for s in chosen)
            width = (end - start) - sum(s[1] - s[0] for s in chosen)
            if width <= slop and start == anchor[0]:
                out.append((start, end, max(width, 0)))
    return sorted(set(out))


def span_near(body: dict[str, Any], ctx: QueryContext) -> SpanResult:
    check_keys("span_near", body, {"clauses", "slop", "in_order", "boost", "_name"})
    clauses = body.get("clauses")
    if not isinstance(clauses, list) or not clauses:
        raise parsing_exception("span_near must include [clauses]")
    slop = int_param(body, "slop", 0, "span_near")
    in_order = body.get("in_order", True) is not False
    results = [_span_of(c, ctx) for c in clauses]
    field = _same_field(results, "span_near")
    docs = set(results[0].spans)
    for r in results[1:]:
        docs &= set(r.spans)
    out: Spans = {}
    for d in sorted(docs):
        lists = [r.spans[d] for r in results]
        spans = _near_ordered(lists, slop) if in_order else _near_unordered(lists, slop)
        if spans:
            out[d] = spans
    return SpanResult(field, out, [t for r in results for t in r.terms])


def span_first(body: dict[str, Any], ctx: QueryContext) -> SpanResult:
    check_keys("span_first", body, {"match", "end", "boost", "_name"})
    if "match" not in body:
        raise parsing_exception("span_first must have [match] span query clause")
    if "end" not in body:
        raise parsing_exception("span_first must have [end] set for it")
    inner = _span_of(body["match"], ctx)
    end = int_param(body, "end", 0, "span_first")
    out = {d: [s for s in spans if s[1] <= end] for d, spans in inner.spans.items()}
    return SpanResult(inner.field, {d: s for d, s in out.items() if s}, inner.terms)


def span_not(body: dict[str, Any], ctx: QueryContext) -> SpanResult:
    check_keys("span_not", body, {"include", "exclude", "pre", "post", "dist", "boost", "_name"})
    if "include" not in body:
        raise parsing_exception("span_not must have [include] span query clause")
    if "exclude" not in body:
        raise parsing_exception("span_not must have [exclude] span query clause")
    if "dist" in body and ("pre" in body or "post" in body):
        raise parsing_exception("span_not can either use [dist] or [pre] & [post] (or none)")
    include = _span_of(body["include"], ctx)
    exclude = _span_of(body["exclude"], ctx)
    if "dist" in body:
        pre = post = int_param(body, "dist", 0, "span_not")
    else:
        pre = int_param(body, "pre", 0, "span_not")
        post = int_param(body, "post", 0, "span_not")
    out: Spans = {}
    for d, spans in include.spans.items():
        ex = exclude.spans.get(d, [])
        kept = [s for s in spans if not any(e[0] < s[1] + post and s[0] - pre < e[1] for e in ex)]
        if kept:
            out[d] = kept
    return SpanResult(include.field, out, include.terms)


def _contain(body: dict[str, Any], ctx: QueryContext, name: str, keep_big: bool) -> SpanResult:
    check_keys(name, body, {"big", "little", "boost", "_name"})
    if "big" not in body or "little" not in body:
        raise parsing_exception(f"{name} must include [big]" if "big" not in body else f"{name} must include [little]")
    big = _span_of(body["big"], ctx)
    little = _span_of(body["little"], ctx)
    out: Spans = {}
    for d, bigs in big.spans.items():
        littles = little.spans.get(d)
        if not littles:
            continue
        if keep_big:
            kept = [b for b in bigs if any(b[0] <= s[0] and s[1] <= b[1] for s in littles)]
        else:
            kept = [s for s in littles if any(b[0] <= s[0] and s[1] <= b[1] for b in bigs)]
        if kept:
            out[d] = kept
    source = big if keep_big else little
    return SpanResult(source.field, out, big.terms + little.terms)


def span_containing(body: dict[str, Any], ctx: QueryContext) -> SpanResult:
    return _contain(body, ctx, "span_containing", True)


def span_within(body: dict[str, Any], ctx: QueryContext) -> SpanResult:
    return _contain(body, ctx, "span_within", False)


def span_multi(body: dict[str, Any], ctx: QueryContext) -> SpanResult:
    check_keys("span_multi", body, {"match", "boost", "_name"})
    match = body.get("match")
    if not isinstance(match, dict) or len(match) != 1:
        raise parsing_exception("spanMultiTerm must have [match] multi term query clause")
    kind, inner = next(iter(match.items()))
    if kind not in ("prefix", "wildcard", "regexp", "fuzzy", "range"):
        raise parsing_exception("[span_multi] [match] must be of type multi term query")
    value_key = "value"
    field, spec = field_body(kind, inner, value_key)
    f = ctx.field(field)
    terms: list[str] = []
    inv = ctx.seg.inverted.get(field)
    if inv is not None and f is not None:
        if kind == "prefix":
            terms = prefix_terms(ctx, field, _text(spec.get("value", "")))
        elif kind == "wildcard":
            rx = wildcard_regex(_text(spec.get("value", spec.get("wildcard", ""))))
            terms = [t for t in inv.sorted_terms() if rx.fullmatch(t)]
        elif kind == "regexp":
            import re

            rx = re.compile(lucene_regex(_text(spec.get("value", ""))))
            terms = [t for t in inv.sorted_terms() if rx.fullmatch(t)]
        elif kind == "fuzzy":
            value = _text(spec.get("value", ""))
            edits = fuzzy_edits(spec.get("fuzziness", "AUTO"), value)
            terms = [t for t, _ in fuzzy_expand(ctx, field, value, edits, int_param(spec, "prefix_length", 0),
                                                int_param(spec, "max_expansions", 50))]
        else:
            lo = spec.get("gte", spec.get("gt", spec.get("from")))
            hi = spec.get("lte", spec.get("lt", spec.get("to")))
            terms = [t for t in inv.sorted_terms() if (lo is None or t >= _text(lo)) and (hi is None or t <= _text(hi))]
    limit = 1024
    if len(terms) > limit:
        raise EsError(400, "too_many_clauses",
                      f"maxClauseCount is set to {limit}")
    results = [SpanResult(field, _term_spans(ctx, field, t), [t]) for t in terms]
    return SpanResult(field, _union(results) if results else {}, terms)


def span_field_masking(body: dict[str, Any], ctx: QueryContext) -> SpanResult:
    check_keys("span_field_masking", body, {"query", "field", "boost", "_name"})
    if "query" not in body or "field" not in body:
        raise parsing_exception("span_field_masking must include [query] and [field]")
    inner = _span_of(body["query"], ctx)
    return SpanResult(str(body["field"]), inner.spans, inner.terms)


SPAN_BUILDERS = {"span_term": span_term, "span_or": span_or, "span_near": span_near, "span_first": span_first,
                 "span_not": span_not, "span_containing": span_containing, "span_within": span_within,
                 "span_multi": span_multi, "span_field_masking": span_field_masking}


def score_spans(ctx: QueryContext, result: SpanResult, boost: float) -> DocSet:
    if not result.spans:
        return empty()
    docs = np.asarray(sorted(result.spans), dtype=INT)
    freqs = np.asarray([sum(1.0 / (1.0 + w) for _, _, w in result.spans[d]) for d in docs.tolist()], dtype=F32)
    f = ctx.field(result.field)
    stats = field_stats(ctx, result.field, has_norms(f))
    if stats is None:
        return empty()
    n = max(stats.doc_count, 1)
    idf_sum = sum(idf(doc_freq(ctx, result.field, t), n) for t in dict.fromkeys(result.terms))
    weight = term_weight(boost, float(F32(idf_sum)))
    return DocSet(docs, bm25_scores(freqs, doc_norms(stats, docs), weight))


def _register(name: str) -> None:
    builder = SPAN_BUILDERS[name]

    def run(body: dict[str, Any], ctx: QueryContext) -> DocSet:
        result = builder(body, ctx)
        boost = boost_of(body) if name != "span_term" else _span_term_boost(body)
        return score_spans(ctx, result, boost)
    query(name)(run)


def _span_term_boost(body: dict[str, Any]) -> float:
    for value in body.values():
        if isinstance(value, dict):
            return boost_of(value)
    return boost_of(body)


for _name in SPAN_BUILDERS:
    _register(_name)
