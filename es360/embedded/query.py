"""The query DSL: each query type validates its JSON and returns matching docnums with scores.

A result is a `DocSet`: sorted unique docnums and their float32 scores. Compound queries combine
DocSets with numpy set operations, so cost follows the number of matching documents.

Scoring follows Lucene as Elasticsearch configures it (see scoring.py): BM25 with ES's legacy
`(k1 + 1)` factor, quantized norms, idf from the docs that have the field, fuzzy expansions blended
to the highest doc freq, synonyms as one pseudo term, phrase freqs as Lucene's phrase matchers.

More query types live in sibling modules registered at the bottom of this file
(function_score, query_string, simple_query_string, spans, ...).
"""

from __future__ import annotations

import bisect
import heapq
import math
import re
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

import numpy as np

from .errors import EsError, parsing_exception
from .index import Index
from .mapping import Field
from .scoring import LENGTH_TABLE, avg_field_length, bm25_scores, encode_lengths, idf, norm_table, term_weight

INT = np.int32
F32 = np.float32


@dataclass(slots=True)
class DocSet:
    docs: np.ndarray
    scores: np.ndarray

    def __len__(self) -> int:
        return len(self.docs)


def empty() -> DocSet:
    return DocSet(np.zeros(0, dtype=INT), np.zeros(0, dtype=F32))


def constant(docs: np.ndarray, score: float) -> DocSet:
    return DocSet(docs.astype(INT, copy=False), np.full(len(docs), score, dtype=F32))


@dataclass
class QueryContext:
    """What a query needs: the index, the eligible docs (live, right nesting level) and `now`."""

    index: Index
    scope: np.ndarray  # bool mask over docnums
    now: int
    nested_path: str | None = None
    runner: Any = None  # hooks for queries implemented elsewhere (knn, scripts, terms lookup)
    depth: int = dc_field(default=0, repr=False)

    @property
    def seg(self) -> Any:
        return self.index.segment

    def field(self, name: str) -> Field | None:
        meta = META_FIELDS.get(name)
        if meta is not None:
            return meta
        return self.index.mapping.field(name)

    def in_scope(self, docs: np.ndarray) -> np.ndarray:
        if len(docs) == 0:
            return docs
        return docs[self.scope[docs]]

    def scoped_mask(self, mask: np.ndarray) -> np.ndarray:
        return np.flatnonzero(mask & self.scope).astype(INT)

    def all_docs(self) -> np.ndarray:
        return np.flatnonzero(self.scope).astype(INT)

    def sub(self, scope: np.ndarray, nested_path: str | None = None) -> QueryContext:
        return QueryContext(self.index, scope, self.now, nested_path if nested_path is not None else
                            self.nested_path, self.runner)

    @property
    def engine(self) -> Any:
        return getattr(getattr(self.runner, "searcher", None), "engine", None)


META_FIELDS: dict[str, Field] = {"_ignored": Field("_ignored", "keyword", {})}

QueryFn = Callable[[Any, QueryContext], DocSet]
QUERIES: dict[str, QueryFn] = {}


def query(name: str) -> Callable[[QueryFn], QueryFn]:
    def register(fn: QueryFn) -> QueryFn:
        QUERIES[name] = fn
        return fn
    return register


# errors that ES raises while parsing or that already carry the shard context: never re-wrapped
_PASS_THROUGH = {"parsing_exception", "query_shard_exception", "x_content_parse_exception",
                 "search_phase_execution_exception", "index_not_found_exception", "script_exception",
                 "too_many_clauses", "too_many_nested_clauses", "illegal_state_exception",
                 "action_request_validation_exception"}


MAX_NESTED_DEPTH = 30  # ES's indices.query.bool.max_nested_depth


def no_wrap(err: EsError) -> EsError:
    """Mark an error raised while parsing (or at execution time) so it is not wrapped."""
    err.no_wrap = True  # type: ignore[attr-defined]
    return err


def shard_error(ctx: QueryContext, reason: str, caused_by: EsError | None = None) -> EsError:
    return EsError(400, "query_shard_exception", reason, caused_by=caused_by, index_uuid=ctx.index.uuid,
                   index=ctx.index.name)


def execute(q: Any, ctx: QueryContext) -> DocSet:
    """Run one query clause (`{"type": {...}}`) in a context.

    As ES does when it builds a Lucene query, failures other than parse errors are reported as
    `query_shard_exception: failed to create query: ...` with the original error as the cause.
    """
    if not isinstance(q, dict):
        raise parsing_exception("query malformed, must start with start_object")
    if len(q) != 1:
        if not q:
            raise parsing_exception("query malformed, empty clause found", line=1, col=1)
        keys = list(q)
        raise parsing_exception(f"[{keys[0]}] malformed query, expected [END_OBJECT] but found [FIELD_NAME]")
    name, body = next(iter(q.items()))
    fn = QUERIES.get(name)
    if fn is None:
        raise EsError(400, "parsing_exception", f"unknown query [{name}]", line=1, col=len(name) + 2,
                      caused_by=EsError(400, "named_object_not_found_exception",
                                        f"[1:{len(name) + 2}] unknown field [{name}]"))
    if name not in ("match_all", "match_none") and not isinstance(body, dict):
        raise parsing_exception(f"[{name}] query malformed, no start_object after query name")
    if ctx.depth >= MAX_NESTED_DEPTH:
        raise no_wrap(EsError(400, "illegal_argument_exception",
                              "The nested depth of the query exceeds the maximum nested depth for queries set in "
                              "[indices.query.bool.max_nested_depth]"))
    if name in FIELD_KEYED_QUERIES:
        body = resolve_field_alias(body, ctx)
    ctx.depth += 1
    try:
        return fn(body, ctx)
    except EsError as err:
        if (ctx.depth == 1 and err.type not in _PASS_THROUGH and err.status < 500
                and not getattr(err, "no_wrap", False)):
            raise shard_error(ctx, f"failed to create query: {err.reason}", err) from None
        raise
    except (ValueError, TypeError, OverflowError) as exc:
        # a malformed value that slipped through validation: report it like ES's parsers would
        raise parsing_exception(f"[{name}] failed to parse query: {exc}") from None
    finally:
        ctx.depth -= 1


# leaf queries written `{"<field>": ...}`: a field alias there reads its target field, as in ES
FIELD_KEYED_QUERIES = frozenset({"term", "terms", "range", "prefix", "wildcard", "regexp", "fuzzy", "match",
                                 "match_phrase", "match_phrase_prefix", "match_bool_prefix", "span_term",
                                 "terms_set", "intervals"})


def resolve_field_alias(body: dict[str, Any], ctx: QueryContext) -> dict[str, Any]:
    """`body` with a field-alias key replaced by the alias's target path (unchanged when none is)."""
    fields = ctx.index.mapping.fields
    for key in body:
        f = fields.get(key)
        if f is not None and f.type == "alias":
            target = f.params.get("path")
            if isinstance(target, str) and target:
                return {(target if k == key else k): v for k, v in body.items()}
    return body


def execute_filter(q: Any, ctx: QueryContext) -> np.ndarray:
    return execute(q, ctx).docs


# ---- set operations ------------------------------------------------------------------------------
def intersect(a: DocSet, b: DocSet, add_scores: bool = True) -> DocSet:
    docs, ia, ib = np.intersect1d(a.docs, b.docs, assume_unique=True, return_indices=True)
    if add_scores:
        scores = (a.scores[ia].astype(np.float64) + b.scores[ib]).astype(F32)
    else:
        scores = a.scores[ia]
    return DocSet(docs.astype(INT), scores.astype(F32, copy=False))


def union(sets: list[DocSet]) -> tuple[DocSet, np.ndarray]:
    """Union with summed scores (in double, as Lucene's disjunctions), plus matches per doc."""
    sets = [s for s in sets if len(s)]
    if not sets:
        return empty(), np.zeros(0, dtype=np.int64)
    if len(sets) == 1:
        return sets[0], np.ones(len(sets[0]), dtype=np.int64)
    all_docs = np.concatenate([s.docs for s in sets])
    all_scores = np.concatenate([s.scores for s in sets]).astype(np.float64)
    docs, inverse = np.unique(all_docs, return_inverse=True)
    scores = np.bincount(inverse, weights=all_scores, minlength=len(docs))
    counts = np.bincount(inverse, minlength=len(docs))
    return DocSet(docs.astype(INT), scores.astype(F32)), counts


def subtract(a: DocSet, b: DocSet | np.ndarray) -> DocSet:
    other = b.docs if isinstance(b, DocSet) else b
    if not len(other) or not len(a):
        return a
    keep = ~np.isin(a.docs, other, assume_unique=True)
    return DocSet(a.docs[keep], a.scores[keep])


def restrict(a: DocSet, docs: np.ndarray) -> DocSet:
    """The part of `a` whose docs are in `docs` (scores kept)."""
    keep = np.isin(a.docs, docs, assume_unique=True)
    return DocSet(a.docs[keep], a.scores[keep])


def dismax(sets: list[DocSet], tie_breaker: float) -> DocSet:
    sets = [s for s in sets if len(s)]
    if not sets:
        return empty()
    if len(sets) == 1:
        return sets[0]
    all_docs = np.concatenate([s.docs for s in sets])
    all_scores = np.concatenate([s.scores for s in sets]).astype(np.float64)
    docs, inverse = np.unique(all_docs, return_inverse=True)
    best = np.full(len(docs), -np.inf)
    np.maximum.at(best, inverse, all_scores)
    if tie_breaker:
        total = np.bincount(inverse, weights=all_scores, minlength=len(docs))
        scores = best + F32(tie_breaker) * (total - best)
    else:
        scores = best
    return DocSet(docs.astype(INT), scores.astype(F32))


def scale(ds: DocSet, boost: float) -> DocSet:
    if boost == 1.0:
        return ds
    return DocSet(ds.docs, (ds.scores * F32(boost)).astype(F32))


def at_least(combined: DocSet, counts: np.ndarray, required: int) -> DocSet:
    if required <= 1:
        return combined
    keep = counts >= required
    return DocSet(combined.docs[keep], combined.scores[keep])


def boolean(ctx: QueryContext, must: list[DocSet], filters: list[np.ndarray], should: list[DocSet],
            must_not: list[np.ndarray], msm: int = 0) -> DocSet:
    """Lucene BooleanQuery semantics.

    Scoring clauses add up; filters only restrict. With no must/filter clause at least one should
    clause has to match (a pure disjunction); `msm` raises that minimum. Only must_not clauses
    match nothing (callers add a match-all filter where ES does).
    """
    if not must and not filters and not should:
        return empty()
    required_docs: np.ndarray | None = None
    for docs in filters:
        required_docs = docs if required_docs is None else np.intersect1d(required_docs, docs, assume_unique=True)
    must_part: DocSet | None = None
    if must:
        if len(must) == 1:
            must_part = must[0]
        else:
            acc_docs = must[0].docs
            for m in must[1:]:
                acc_docs = np.intersect1d(acc_docs, m.docs, assume_unique=True)
            total = np.zeros(len(acc_docs))
            for m in must:
                idx = np.searchsorted(m.docs, acc_docs)
                total += m.scores[idx]
            must_part = DocSet(acc_docs.astype(INT), total.astype(F32))
        if required_docs is not None:
            must_part = restrict(must_part, required_docs)
    elif required_docs is not None:
        must_part = DocSet(required_docs.astype(INT), np.zeros(len(required_docs), dtype=F32))
    if should:
        combined, counts = union(should)
        need = msm if msm > 0 else (1 if must_part is None else 0)
        if need > len(should):
            return empty()
        if need > 0:
            keep = counts >= need
            combined = DocSet(combined.docs[keep], combined.scores[keep])
        if must_part is None:
            result = combined
        elif need > 0:
            docs, ia, ib = np.intersect1d(must_part.docs, combined.docs, assume_unique=True, return_indices=True)
            scores = (must_part.scores[ia].astype(np.float64) + combined.scores[ib]).astype(F32)
            result = DocSet(docs.astype(INT), scores)
        else:
            docs, ia, ib = np.intersect1d(must_part.docs, combined.docs, assume_unique=True, return_indices=True)
            scores = must_part.scores.astype(np.float64)
            scores[ia] += combined.scores[ib]
            result = DocSet(must_part.docs, scores.astype(F32))
    else:
        if msm > 0:
            return empty()
        assert must_part is not None
        result = must_part
    for docs in must_not:
        result = subtract(result, docs)
    return result


# ---- per-segment caches --------------------------------------------------------------------------
_CACHES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def seg_cache(seg: Any) -> dict[Any, Any]:
    cache = _CACHES.get(seg)
    if cache is None:
        cache = _CACHES[seg] = {}
    return cache


@dataclass(slots=True)
class FieldStats:
    """Collection statistics of one inverted field and each doc's cached BM25 norm value."""

    doc_count: int
    avgdl: float
    docs_only: bool  # indexed without freqs (keyword-like): every freq counts as 1
    table: np.ndarray  # float32[256]: 1 / (k1 * ((1 - b) + b * len / avgdl))
    norm_inv: np.ndarray | None  # float32 per docnum, None when the field has no norms


def field_stats(ctx: QueryContext, name: str, norms: bool) -> FieldStats | None:
    seg = ctx.seg
    inv = seg.inverted.get(name)
    if inv is None:
        return None
    cache = seg_cache(seg)
    stamp = (seg.max_doc, inv.sum_ttf, inv.doc_count, len(inv.terms), norms)
    hit = cache.get(("stats", name))
    if hit is not None and hit[0] == stamp:
        return hit[1]
    docs_only = not inv.with_positions
    if docs_only:
        # Lucene reports sumTotalTermFreq = sumDocFreq for fields indexed without freqs
        sum_ttf = inv.doc_count if inv.sum_ttf == inv.doc_count else sum(len(p.docs) for p in inv.terms.values())
    else:
        sum_ttf = inv.sum_ttf
    avgdl = avg_field_length(sum_ttf, inv.doc_count)
    table = norm_table(avgdl)
    norm_inv = None
    if norms:
        lengths = inv.length_array(seg.max_doc)
        norm_inv = table[encode_lengths(lengths)]
    stats = FieldStats(inv.doc_count, avgdl, docs_only, table, norm_inv)
    cache[("stats", name)] = (stamp, stats)
    return stats


def doc_norms(stats: FieldStats, docs: np.ndarray) -> np.ndarray | np.float32:
    if stats.norm_inv is None:
        return stats.table[1]
    return stats.norm_inv[docs]


class TermDict:
    """A field's terms sorted, and bucketed by length (for fuzzy matching)."""

    __slots__ = ("terms", "by_len")

    def __init__(self, terms: list[str]) -> None:
        self.terms = terms
        by_len: dict[int, list[str]] = {}
        for t in terms:
            by_len.setdefault(len(t), []).append(t)
        self.by_len = by_len

    def candidates(self, length: int, edits: int, prefix: str = "") -> list[str]:
        out: list[str] = []
        for n in range(max(0, length - edits), length + edits + 1):
            bucket = self.by_len.get(n)
            if not bucket:
                continue
            if prefix:
                lo = bisect.bisect_left(bucket, prefix)
                hi = bisect.bisect_left(bucket, prefix + "\U0010ffff")
                out.extend(bucket[lo:hi])
            else:
                out.extend(bucket)
        return out


def term_dict(ctx: QueryContext, name: str) -> TermDict | None:
    inv = ctx.seg.inverted.get(name)
    if inv is None:
        return None
    cache = seg_cache(ctx.seg)
    hit = cache.get(("terms", name))
    if hit is not None and hit[0] == len(inv.terms):
        return hit[1]
    td = TermDict(inv.sorted_terms())
    cache[("terms", name)] = (len(inv.terms), td)
    return td


# ---- helpers -------------------------------------------------------------------------------------
def check_keys(query_name: str, body: dict[str, Any], allowed: set[str]) -> None:
    for key in body:
        if key not in allowed:
            raise parsing_exception(f"[{query_name}] query does not support [{key}]")


def field_body(query_name: str, body: Any, value_key: str) -> tuple[str, dict[str, Any]]:
    """Split `{"field": value-or-object}` forms used by term/match/prefix/... queries."""
    if not isinstance(body, dict) or not body:
        raise parsing_exception(f"[{query_name}] query malformed, no start_object after query name")
    fields = [k for k in body if not (k in ("boost", "_name") and not isinstance(body[k], dict))]
    if len(fields) > 1:
        raise parsing_exception(f"[{query_name}] query doesn't support multiple fields, found [{fields[0]}] and "
                                f"[{fields[1]}]")
    if not fields:
        raise parsing_exception(f"[{query_name}] query malformed, no field specified")
    name = fields[0]
    spec = body[name]
    extra = {k: v for k, v in body.items() if k != name}
    if isinstance(spec, dict):
        if extra:
            raise parsing_exception(f"[{query_name}] query doesn't support multiple fields, found [{name}] and "
                                    f"[{next(iter(extra))}]")
        return name, dict(spec)
    if isinstance(spec, list):
        raise parsing_exception(f"[{query_name}] query does not support array of values" if query_name == "term"
                                else f"[{query_name}] unknown token [START_ARRAY] after [{name}]")
    if extra:
        raise parsing_exception(f"[{query_name}] query doesn't support multiple fields, found [{name}] and "
                                f"[{next(iter(extra))}]")
    return name, {value_key: spec}


def boost_of(spec: dict[str, Any]) -> float:
    value = spec.get("boost", 1.0)
    if isinstance(value, bool):
        raise parsing_exception(f"[boost] must be a number, found [{_text(value)}]")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise parsing_exception(f"[boost] must be a number, found [{value}]") from None


def int_param(spec: dict[str, Any], key: str, default: int, query_name: str = "") -> int:
    value = spec.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool):
        raise parsing_exception(f"[{query_name}] [{key}] must be an integer, found [{_text(value)}]")
    try:
        return int(value) if not isinstance(value, str) else int(float(value)) if "." in value else int(value)
    except (TypeError, ValueError):
        raise parsing_exception(f"[{query_name}] failed to parse [{key}] value [{value}]") from None


def float_param(spec: dict[str, Any], key: str, default: float, query_name: str = "") -> float:
    value = spec.get(key, default)
    if value is None:
        return default
    try:
        return float(value)
    except (TypeError, ValueError):
        raise parsing_exception(f"[{query_name}] failed to parse [{key}] value [{value}]") from None


def bool_param(spec: dict[str, Any], key: str, default: bool) -> bool:
    value = spec.get(key, default)
    if isinstance(value, str):
        if value in ("true", "false"):
            return value == "true"
        raise parsing_exception(f"Failed to parse value [{value}] as only [true] or [false] are allowed.")
    return bool(value)


def value_of(query_name: str, spec: dict[str, Any], key: str) -> Any:
    if key not in spec or spec[key] is None:
        if query_name in ("match", "match_phrase", "match_phrase_prefix", "match_bool_prefix"):
            raise parsing_exception("No text specified for text query")
        raise EsError(400, "illegal_argument_exception", "field value cannot be null")
    value = spec[key]
    if isinstance(value, (dict, list)):
        raise parsing_exception(f"[{query_name}] unknown token [{'START_OBJECT' if isinstance(value, dict) else 'START_ARRAY'}]"
                                f" after [{key}]")
    return value


def term_postings(ctx: QueryContext, field: str, term: str) -> tuple[np.ndarray, np.ndarray]:
    inv = ctx.seg.inverted.get(field)
    if inv is None:
        return np.zeros(0, dtype=INT), np.zeros(0, dtype=INT)
    postings = inv.terms.get(term)
    if postings is None:
        return np.zeros(0, dtype=INT), np.zeros(0, dtype=INT)
    docs = postings.doc_array()
    freqs = postings.freq_array()
    keep = ctx.scope[docs]
    return docs[keep], freqs[keep]


def doc_freq(ctx: QueryContext, field: str, term: str) -> int:
    inv = ctx.seg.inverted.get(field)
    if inv is None:
        return 0
    postings = inv.terms.get(term)
    return len(postings.docs) if postings is not None else 0


def score_term(ctx: QueryContext, field: str, term: str, boost: float, *, df_override: float | None = None,
               has_norms: bool = True) -> DocSet:
    """BM25 scores of one term on one field."""
    docs, freqs = term_postings(ctx, field, term)
    if not len(docs):
        return empty()
    stats = field_stats(ctx, field, has_norms)
    assert stats is not None
    df = df_override if df_override is not None else doc_freq(ctx, field, term)
    weight = term_weight(boost, idf(df, max(stats.doc_count, 1)))
    if stats.docs_only:
        freqs = np.ones(len(freqs), dtype=F32)
    return DocSet(docs, bm25_scores(freqs, doc_norms(stats, docs), weight))


def score_terms(ctx: QueryContext, field: str, terms: list[str], boosts: list[float], dfs: list[float],
                norms: bool) -> DocSet:
    """Several terms on one field, summed (Lucene's BooleanQuery of SHOULD TermQuery), vectorized."""
    inv = ctx.seg.inverted.get(field)
    stats = field_stats(ctx, field, norms)
    if inv is None or stats is None:
        return empty()
    doc_parts, freq_parts, weight_parts = [], [], []
    n_docs = max(stats.doc_count, 1)
    for term, boost, df in zip(terms, boosts, dfs, strict=True):
        postings = inv.terms.get(term)
        if postings is None:
            continue
        docs = postings.doc_array()
        doc_parts.append(docs)
        freq_parts.append(postings.freq_array())
        weight_parts.append(np.full(len(docs), term_weight(boost, idf(df, n_docs)), dtype=F32))
    if not doc_parts:
        return empty()
    docs = np.concatenate(doc_parts)
    freqs = np.concatenate(freq_parts)
    weights = np.concatenate(weight_parts)
    keep = ctx.scope[docs]
    docs, freqs, weights = docs[keep], freqs[keep], weights[keep]
    if not len(docs):
        return empty()
    if stats.docs_only:
        freqs = np.ones(len(freqs), dtype=F32)
    scores = bm25_scores(freqs, doc_norms(stats, docs), weights)
    if len(doc_parts) == 1:
        return DocSet(docs.astype(INT), scores)
    uniq, inverse = np.unique(docs, return_inverse=True)
    summed = np.bincount(inverse, weights=scores.astype(np.float64), minlength=len(uniq))
    return DocSet(uniq.astype(INT), summed.astype(F32))


def has_norms(f: Field | None) -> bool:
    if f is None:
        return False
    if f.is_text:
        return f.params.get("norms", True) is not False
    return f.params.get("norms", False) is True


def search_analyzer_name(f: Field | None, quoted: bool = False, ctx: QueryContext | None = None) -> str:
    """ES's search analyzer resolution: field settings, then the index's default_search(_quoted)/default."""
    p = f.params if f is not None else {}
    explicit = (p.get("search_quote_analyzer") if quoted else None) or p.get("search_analyzer") or p.get("analyzer")
    if explicit:
        return explicit
    defined = getattr(ctx.index.analysis, "_analyzers", {}) if ctx is not None else {}
    for name in (("default_search_quoted",) if quoted else ()) + ("default_search",):
        if name in defined:
            return name
    # the index-time analyzer (Field.analyzer resolves the index's `default` analyzer, if any)
    return f.search_analyzer if f is not None else "default"


def get_analyzer(ctx: QueryContext, name: str) -> Any:
    try:
        return ctx.index.analysis.analyzer(name)
    except EsError as err:
        raise no_wrap(EsError(400, "illegal_argument_exception",
                              err.reason or f"failed to find analyzer [{name}]")) from None


def analyze_query_text(ctx: QueryContext, f: Field | None, text: Any, analyzer: str | None = None,
                       quoted: bool = False) -> list:
    """Tokens of query text for a field (search analyzer, or the normalizer for keywords)."""
    if analyzer is not None:
        return get_analyzer(ctx, analyzer).analyze(_text(text))
    if f is None or f.is_text:
        return get_analyzer(ctx, search_analyzer_name(f, quoted, ctx)).analyze(_text(text))
    return []


def normalize_text(ctx: QueryContext, f: Field | None, text: str) -> str:
    """ES's `analyzer.normalize`: the normalization part of a field's analysis (for wildcard/fuzzy terms)."""
    if f is None:
        return text
    if f.is_text:
        analyzer = get_analyzer(ctx, search_analyzer_name(f, False, ctx))
        norm = getattr(analyzer, "normalize", None)
        return norm(text) if norm is not None else text.lower()
    if f.is_keyword:
        return normalize_keyword(ctx, f, text)
    return text


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return repr(value)
    return str(value)


def normalize_keyword(ctx: QueryContext, f: Field, value: Any) -> str:
    text = _text(value)
    normalizer = f.params.get("normalizer")
    if normalizer:
        norm = ctx.index.analysis.normalizer(normalizer)
        if hasattr(norm, "normalize"):
            return norm.normalize(text)
        terms = norm.terms(text)
        return terms[0] if terms else ""
    return text


def column_match(ctx: QueryContext, field: str, predicate: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Docs whose numeric doc values satisfy a vectorized predicate."""
    col = ctx.seg.columns.get(field)
    if col is None or col.kind != "num":
        return np.zeros(0, dtype=INT)
    docs, values = col.arrays()
    hit = predicate(values)
    matched = np.unique(docs[hit])
    return ctx.in_scope(matched.astype(INT))


INTEGER_TYPES = {"long": (-(2**63), 2**63 - 1), "integer": (-(2**31), 2**31 - 1), "short": (-(2**15), 2**15 - 1),
                 "byte": (-128, 127), "unsigned_long": (0, 2**64 - 1), "token_count": (-(2**31), 2**31 - 1)}


def numeric_value(f: Field, value: Any, ctx: QueryContext, *, kind: str = "eq", fmt: str | None = None,
                  tz: str | None = None) -> float:
    """Convert a query value to the column representation of field `f` (dates -> millis)."""
    if f.type in ("date", "date_nanos"):
        from .dates import get_formatter, range_bound

        if isinstance(value, bool) or value is None:
            raise EsError(400, "illegal_argument_exception", f"failed to parse date field [{_text(value)}]")
        formatter = get_formatter(fmt or f.date_format)
        bound = "gte" if kind == "eq" else kind
        return float(range_bound(value, kind=bound, formatter=formatter, tz=tz, now_millis=ctx.now))
    if f.type == "boolean":
        if value is True or value == "true":
            return 1.0
        if value is False or value in ("false", ""):
            return 0.0
        raise EsError(400, "illegal_argument_exception",
                      f"Can't parse boolean value [{_text(value)}], expected [true] or [false]")
    if isinstance(value, bool):
        raise EsError(400, "number_format_exception", f'For input string: "{_text(value)}"')
    if isinstance(value, str):
        text = value.strip()
        try:
            number = float(text)
        except ValueError:
            raise EsError(400, "number_format_exception", f'For input string: "{value}"') from None
        if math.isnan(number) or (math.isinf(number) and not text.lower().endswith("infinity")):
            raise EsError(400, "number_format_exception", f'For input string: "{value}"')
    elif isinstance(value, (int, float)):
        number = float(value)
    else:
        raise EsError(400, "illegal_argument_exception", f"Cannot parse value [{value}] as a number")
    limits = INTEGER_TYPES.get(f.type)
    if limits is not None and kind == "eq" and math.isfinite(number):
        low, high = limits
        if number < low or number > high:
            raise EsError(400, "illegal_argument_exception",
                          f"Value [{_text(value)}] is out of range for {_int_type_name(f.type)}")
    if f.type == "float":
        return float(np.float32(number))
    if f.type == "half_float":
        return float(np.float16(number))
    if f.type == "scaled_float":
        factor = float(f.params.get("scaling_factor", 1))
        return round(number * factor) / factor
    return number


def _int_type_name(t: str) -> str:
    return {"long": "a long", "integer": "an integer", "short": "a short", "byte": "a byte",
            "unsigned_long": "an unsigned long"}.get(t, "an integer")


# ---- leaf queries --------------------------------------------------------------------------------
@query("match_all")
def q_match_all(body: Any, ctx: QueryContext) -> DocSet:
    if not isinstance(body, dict):
        raise parsing_exception("[match_all] query malformed, no start_object after query name")
    check_keys("match_all", body, {"boost", "_name"})
    return constant(ctx.all_docs(), boost_of(body))


@query("match_none")
def q_match_none(body: Any, ctx: QueryContext) -> DocSet:
    if not isinstance(body, dict):
        raise parsing_exception("[match_none] query malformed, no start_object after query name")
    check_keys("match_none", body, {"boost", "_name"})
    return empty()


@query("term")
def q_term(body: dict[str, Any], ctx: QueryContext) -> DocSet:
    name, spec = field_body("term", body, "value")
    check_keys("term", spec, {"value", "term", "boost", "_name", "case_insensitive"})
    if "value" not in spec and "term" in spec:
        spec["value"] = spec["term"]
    value = value_of("term", spec, "value")
    return term_query(ctx, name, value, boost_of(spec), bool_param(spec, "case_insensitive", False))


def term_query(ctx: QueryContext, name: str, value: Any, boost: float, case_insensitive: bool = False) -> DocSet:
    special = meta_field_query(ctx, name, [value], boost, case_insensitive)
    if special is not None:
        return special
    f = ctx.field(name)
    if f is None:
        return empty()
    if f.type in ("dense_vector", "sparse_vector", "binary", "geo_point", "rank_feature", "rank_features"):
        raise EsError(400, "illegal_argument_exception",
                      f"Field [{name}] of type [{f.type}] does not support term queries")
    if not f.indexed and not f.params.get("doc_values", True):
        raise EsError(400, "illegal_argument_exception",
                      f"Cannot search on field [{name}] since it is not indexed nor has doc values.")
    if f.is_numeric:
        target = numeric_value(f, value, ctx)
        if f.type in ("date", "date_nanos"):
            upper = numeric_value(f, value, ctx, kind="lte")
            docs = column_match(ctx, name, lambda v: (v >= target) & (v <= upper))
        elif f.type in INTEGER_TYPES and not float(target).is_integer():
            docs = np.zeros(0, dtype=INT)
        else:
            docs = column_match(ctx, name, lambda v: v == target)
        return constant(docs, boost)
    if f.type == "ip":
        from .mapping import convert_value

        value = convert_value(f, value)
    if f.type == "constant_keyword":
        matches = str(f.params.get("value")) == _text(value) if not case_insensitive else \
            str(f.params.get("value")).lower() == _text(value).lower()
        return constant(ctx.in_scope(np.unique(ctx.seg.present_docs(name)).astype(INT)), boost) if matches else empty()
    term = normalize_keyword(ctx, f, value) if not f.is_text else _text(value)
    if case_insensitive:
        low = term.lower()
        return constant(terms_matching(ctx, name, lambda t: t.lower() == low), boost)
    return score_term(ctx, name, term, boost, has_norms=has_norms(f))


def meta_field_query(ctx: QueryContext, name: str, values: list[Any], boost: float,
                     case_insensitive: bool = False) -> DocSet | None:
    """_id, _index and _routing as queryable fields."""
    if name == "_id":
        if case_insensitive:
            wanted = {str(v).lower() for v in values}
            docs = [s.docnum for k, s in ctx.index.docs.items() if k.lower() in wanted]
        else:
            docs = [ctx.index.docs[str(v)].docnum for v in values if str(v) in ctx.index.docs]
        return constant(ctx.in_scope(np.unique(np.asarray(docs, dtype=INT))), boost)
    if name == "_index":
        import fnmatch

        index_name = ctx.index.name
        hit = any(fnmatch.fnmatchcase(index_name.lower() if case_insensitive else index_name,
                                      str(v).lower() if case_insensitive else str(v))
                  or str(v) in ctx.index.aliases for v in values)
        return constant(ctx.all_docs(), boost) if hit else empty()
    if name == "_routing":
        wanted = {str(v) for v in values}
        docs = [s.docnum for s in ctx.index.docs.values() if s.routing is not None and s.routing in wanted]
        return constant(ctx.in_scope(np.unique(np.asarray(docs, dtype=INT))), boost)
    return None


TERMS_KEYS = {"boost", "_name"}


@query("terms")
def q_terms(body: dict[str, Any], ctx: QueryContext) -> DocSet:
    fields = [k for k in body if k not in TERMS_KEYS]
    if len(fields) != 1:
        if not fields:
            raise parsing_exception("[terms] query requires a field name, followed by array of terms or a "
                                    "document lookup specification")
        raise parsing_exception(f"[terms] query does not support multiple fields, found [{fields[0]}] and "
                                f"[{fields[1]}]")
    name = fields[0]
    values = body[name]
    boost = boost_of(body)
    if isinstance(values, dict):
        allowed = {"index", "id", "path", "routing"}
        for key in values:
            if key not in allowed:
                raise parsing_exception(f"[terms_lookup] unknown field [{key}]")
        if not {"index", "id", "path"} <= set(values):
            missing = [k for k in ("index", "id", "path") if k not in values]
            raise EsError(400, "action_request_validation_exception",
                          "Validation Failed: " + "".join(f"{i + 1}: [{k}] is missing;"
                                                         for i, k in enumerate(missing)))
        lookup = ctx.runner.terms_lookup(values) if ctx.runner is not None else None
        values = lookup if lookup is not None else []
    if not isinstance(values, list):
        raise parsing_exception(f"[terms] query does not support [{name}]")
    values = [v for v in values if v is not None]
    max_terms = int(ctx.index.setting("max_terms_count", 65536) or 65536)
    if len(values) > max_terms:
        raise EsError(400, "illegal_argument_exception",
                      f"The number of terms [{len(values)}] used in the Terms Query request has exceeded the allowed "
                      f"maximum of [{max_terms}]. This maximum can be set by changing the [index.max_terms_count] "
                      f"index level setting.")
    special = meta_field_query(ctx, name, values, boost)
    if special is not None:
        return special
    f = ctx.field(name)
    if f is None:
        return empty()
    if f.is_numeric:
        if f.type in ("date", "date_nanos"):
            parts = [term_query(ctx, name, v, boost).docs for v in values]
            docs = np.unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=INT)
            return constant(docs.astype(INT), boost)
        targets = np.asarray([numeric_value(f, v, ctx) for v in values], dtype=np.float64)
        return constant(column_match(ctx, name, lambda v: np.isin(v, targets)), boost)
    if f.type == "constant_keyword":
        parts = [term_query(ctx, name, v, boost).docs for v in values]
        docs = np.unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=INT)
        return constant(docs.astype(INT), boost)
    inv = ctx.seg.inverted.get(name)
    if inv is None:
        return empty()
    parts = []
    for v in values:
        if f.type == "ip":
            from .mapping import convert_value

            v = convert_value(f, v)
        term = normalize_keyword(ctx, f, v) if not f.is_text else _text(v)
        postings = inv.terms.get(term)
        if postings is not None:
            parts.append(postings.doc_array())
    if not parts:
        return empty()
    docs = np.unique(np.concatenate(parts)).astype(INT)
    return constant(ctx.in_scope(docs), boost)


def terms_matching(ctx: QueryContext, name: str, predicate: Callable[[str], bool],
                   candidates: list[str] | None = None) -> np.ndarray:
    inv = ctx.seg.inverted.get(name)
    if inv is None:
        return np.zeros(0, dtype=INT)
    terms = candidates if candidates is not None else inv.sorted_terms()
    parts = [inv.terms[t].doc_array() for t in terms if predicate(t)]
    if not parts:
        return np.zeros(0, dtype=INT)
    return ctx.in_scope(np.unique(np.concatenate(parts)).astype(INT))


def docs_of_terms(ctx: QueryContext, name: str, terms: list[str]) -> np.ndarray:
    inv = ctx.seg.inverted.get(name)
    if inv is None or not terms:
        return np.zeros(0, dtype=INT)
    parts = [inv.terms[t].doc_array() for t in terms if t in inv.terms]
    if not parts:
        return np.zeros(0, dtype=INT)
    return ctx.in_scope(np.unique(np.concatenate(parts)).astype(INT))


def prefix_terms(ctx: QueryContext, name: str, prefix: str) -> list[str]:
    inv = ctx.seg.inverted.get(name)
    if inv is None:
        return []
    terms = inv.sorted_terms()
    if not prefix:
        return terms
    lo = bisect.bisect_left(terms, prefix)
    hi = bisect.bisect_left(terms, prefix + "\U0010ffff")
    return terms[lo:hi]


def _id_matching(ctx: QueryContext, predicate: Callable[[str], bool], boost: float) -> DocSet:
    docs = [s.docnum for k, s in ctx.index.docs.items() if predicate(k)]
    return constant(ctx.in_scope(np.unique(np.asarray(docs, dtype=INT))), boost)


def _check_multi_term(ctx: QueryContext, f: Field, name: str, kind: str) -> None:
    """prefix/wildcard/regexp only run on string fields (a query_shard_exception otherwise, as ES)."""
    if f.is_text or f.is_keyword:
        return
    kinds = "keyword and text" if kind == "regexp" else "keyword, text and wildcard"
    raise shard_error(ctx, f"Can only use {kind} queries on {kinds} fields - not on [{name}] which is of type "
                           f"[{f.type}]")


@query("prefix")
def q_prefix(body: dict[str, Any], ctx: QueryContext) -> DocSet:
    name, spec = field_body("prefix", body, "value")
    check_keys("prefix", spec, {"value", "boost", "_name", "rewrite", "case_insensitive"})
    value = _text(value_of("prefix", spec, "value"))
    return prefix_query(ctx, name, value, boost_of(spec), bool_param(spec, "case_insensitive", False))


def prefix_query(ctx: QueryContext, name: str, value: str, boost: float, case_insensitive: bool = False) -> DocSet:
    if name == "_id":
        low = value.lower()
        return _id_matching(ctx, (lambda k: k.lower().startswith(low)) if case_insensitive else
                            (lambda k: k.startswith(value)), boost)
    if name == "_index":
        return constant(ctx.all_docs(), boost) if ctx.index.name.startswith(value) else empty()
    f = ctx.field(name)
    if f is None:
        return empty()
    if f.type == "constant_keyword":
        cv = str(f.params.get("value", ""))
        ok = cv.lower().startswith(value.lower()) if case_insensitive else cv.startswith(value)
        return constant(ctx.in_scope(np.unique(ctx.seg.present_docs(name)).astype(INT)), boost) if ok else empty()
    _check_multi_term(ctx, f, name, "prefix")
    if f.is_keyword and not case_insensitive:
        value = normalize_keyword(ctx, f, value)
    if case_insensitive:
        low = value.lower()
        return constant(terms_matching(ctx, name, lambda t: t.lower().startswith(low)), boost)
    return constant(docs_of_terms(ctx, name, prefix_terms(ctx, name, value)), boost)


def wildcard_regex(pattern: str) -> re.Pattern[str]:
    out = []
    escaped = False
    for ch in pattern:
        if escaped:
            out.append(re.escape(ch))
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == "*":
            out.append(".*")
        elif ch == "?":
            out.append(".")
        else:
            out.append(re.escape(ch))
    if escaped:
        out.append(re.escape("\\"))
    return re.compile("".join(out), re.DOTALL)


def wildcard_literal_prefix(pattern: str) -> str:
    out = []
    escaped = False
    for ch in pattern:
        if escaped:
            out.append(ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch in "*?":
            break
        else:
            out.append(ch)
    return "".join(out)


@query("wildcard")
def q_wildcard(body: dict[str, Any], ctx: QueryContext) -> DocSet:
    name, spec = field_body("wildcard", body, "value")
    if "wildcard" in spec and "value" not in spec:
        spec["value"] = spec.pop("wildcard")
    check_keys("wildcard", spec, {"value", "boost", "_name", "rewrite", "case_insensitive"})
    pattern = _text(value_of("wildcard", spec, "value"))
    return wildcard_query(ctx, name, pattern, boost_of(spec), bool_param(spec, "case_insensitive", False))


def wildcard_query(ctx: QueryContext, name: str, pattern: str, boost: float, case_insensitive: bool = False,
                   normalize: bool = True) -> DocSet:
    flags = re.IGNORECASE | re.DOTALL if case_insensitive else re.DOTALL
    if name in ("_id", "_index"):
        regex = re.compile(wildcard_regex(pattern).pattern, flags)
        if name == "_index":
            return constant(ctx.all_docs(), boost) if regex.fullmatch(ctx.index.name) else empty()
        return _id_matching(ctx, lambda k: regex.fullmatch(k) is not None, boost)
    f = ctx.field(name)
    if f is None:
        return empty()
    if f.type == "constant_keyword":
        regex = re.compile(wildcard_regex(pattern).pattern, flags)
        ok = regex.fullmatch(str(f.params.get("value", ""))) is not None
        return constant(ctx.in_scope(np.unique(ctx.seg.present_docs(name)).astype(INT)), boost) if ok else empty()
    _check_multi_term(ctx, f, name, "wildcard")
    if normalize and f.is_keyword and f.params.get("normalizer") and not case_insensitive:
        pattern = _normalize_wildcard(ctx, f, pattern)
    regex = re.compile(wildcard_regex(pattern).pattern, flags)
    literal = wildcard_literal_prefix(pattern)
    if pattern == "*":
        return constant(docs_of_terms(ctx, name, prefix_terms(ctx, name, "")), boost)
    candidates = prefix_terms(ctx, name, literal) if literal and not case_insensitive else None
    return constant(terms_matching(ctx, name, lambda t: regex.fullmatch(t) is not None, candidates), boost)


def _normalize_wildcard(ctx: QueryContext, f: Field, pattern: str) -> str:
    """Normalize the literal parts of a wildcard pattern, keeping `*`, `?` and escapes."""
    out = []
    buf: list[str] = []

    def flush() -> None:
        if buf:
            out.append(normalize_text(ctx, f, "".join(buf)))
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


REGEXP_FLAGS = {"ALL", "ANYSTRING", "COMPLEMENT", "EMPTY", "INTERSECTION", "INTERVAL", "NONE"}


@query("regexp")
def q_regexp(body: dict[str, Any], ctx: QueryContext) -> DocSet:
    name, spec = field_body("regexp", body, "value")
    check_keys("regexp", spec, {"value", "boost", "_name", "rewrite", "flags", "flags_value",
                                "max_determinized_states", "case_insensitive"})
    value = _text(value_of("regexp", spec, "value"))
    flags = str(spec.get("flags", "ALL"))
    for flag in flags.split("|"):
        if flag.strip().upper() not in REGEXP_FLAGS and flag.strip():
            raise no_wrap(EsError(400, "illegal_argument_exception", f"Unknown regexp flag [{flag}]"))
    return regexp_query(ctx, name, value, boost_of(spec), bool_param(spec, "case_insensitive", False), flags)


def regexp_query(ctx: QueryContext, name: str, value: str, boost: float, case_insensitive: bool = False,
                 flags: str = "ALL") -> DocSet:
    limit = int(ctx.index.setting("max_regex_length", 1000) or 1000)
    if len(value) > limit:
        raise EsError(400, "illegal_argument_exception",
                      f"The length of regex [{len(value)}] used in the Regexp Query request has exceeded the allowed "
                      f"maximum of [{limit}]. This maximum can be set by changing the [index.max_regex_length] "
                      f"index level setting.")
    try:
        regex = re.compile(lucene_regex(value, flags), re.IGNORECASE | re.DOTALL if case_insensitive else re.DOTALL)
    except re.error as exc:
        raise EsError(400, "illegal_argument_exception", f"invalid regular expression [{value}]: {exc}") from None
    if name in ("_id", "_index"):
        if name == "_index":
            return constant(ctx.all_docs(), boost) if regex.fullmatch(ctx.index.name) else empty()
        return _id_matching(ctx, lambda k: regex.fullmatch(k) is not None, boost)
    f = ctx.field(name)
    if f is None:
        return empty()
    _check_multi_term(ctx, f, name, "regexp")
    return constant(terms_matching(ctx, name, lambda t: regex.fullmatch(t) is not None), boost)


def lucene_regex(pattern: str, flags: str = "ALL") -> str:
    """Translate Lucene's regular expression syntax to Python's (whole-term match assumed)."""
    names = {f.strip().upper() for f in flags.split("|")}
    every = "ALL" in names
    anystring = every or "ANYSTRING" in names
    empty_flag = every or "EMPTY" in names
    interval = every or "INTERVAL" in names
    out: list[str] = []
    i = 0
    n = len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "\\":
            if i + 1 < n:
                nxt = pattern[i + 1]
                if nxt in "dDsSwW":
                    out.append("\\" + nxt)
                else:
                    out.append(re.escape(nxt))
                i += 2
            else:
                raise re.error("trailing backslash")
            continue
        if ch == '"':
            end = pattern.find('"', i + 1)
            if end < 0:
                raise re.error("expected '\"' at position " + str(n))
            out.append(re.escape(pattern[i + 1:end]))
            i = end + 1
            continue
        if ch == "[":
            j = i + 1
            cls = ["["]
            if j < n and pattern[j] == "^":
                cls.append("^")
                j += 1
            while j < n and pattern[j] != "]":
                c = pattern[j]
                if c == "\\" and j + 1 < n:
                    cls.append(re.escape(pattern[j + 1]))
                    j += 2
                    continue
                cls.append(c if c == "-" else re.escape(c))
                j += 1
            if j >= n:
                raise re.error("expected ']' at position " + str(n))
            cls.append("]")
            out.append("".join(cls))
            i = j + 1
            continue
        if ch == "@" and anystring:
            out.append(".*")
        elif ch == "#" and empty_flag:
            out.append("(?!)")
        elif ch == "<" and interval:
            m = re.match(r"<(\d+)-(\d+)>", pattern[i:])
            if not m:
                out.append(re.escape(ch))
            else:
                lo, hi = int(m.group(1)), int(m.group(2))
                if lo > hi:
                    lo, hi = hi, lo
                width = len(m.group(1)) if len(m.group(1)) == len(m.group(2)) else 0
                nums = "|".join(str(v).zfill(width) if width else str(v) for v in range(lo, min(hi, lo + 10000) + 1))
                out.append(f"(?:{nums})")
                i += len(m.group(0))
                continue
        elif ch in ".?+*|(){}":
            out.append(ch)
        else:
            out.append(re.escape(ch))
        i += 1
    return "".join(out)


@query("exists")
def q_exists(body: dict[str, Any], ctx: QueryContext) -> DocSet:
    check_keys("exists", body, {"field", "boost", "_name"})
    if "field" not in body:
        raise parsing_exception("[exists] must be provided with a [field]")
    return exists_query(ctx, str(body["field"]), boost_of(body))


def exists_query(ctx: QueryContext, name: str, boost: float) -> DocSet:
    if name in ("_id", "_index", "_source", "_seq_no", "_version", "_primary_term"):
        return constant(ctx.all_docs(), boost)
    if name == "_ignored":
        inv = ctx.seg.inverted.get("_ignored")
        return constant(docs_of_terms(ctx, "_ignored", list(inv.terms)) if inv else np.zeros(0, INT), boost)
    if name == "_routing":
        docs = [s.docnum for s in ctx.index.docs.values() if s.routing is not None]
        return constant(ctx.in_scope(np.unique(np.asarray(docs, dtype=INT))), boost)
    mapping = ctx.index.mapping
    if "*" in name:
        names = mapping.resolve_pattern(name)
    elif name in mapping.objects:
        names = [p for p in ctx.seg.present if p.startswith(name + ".")]
    else:
        f = ctx.field(name)
        if f is not None and f.path != name and f.type != "keyword":
            names = [f.path]  # alias
        elif f is not None and f.parent_text is not None and mapping.fields.get(name) is None:
            names = [name]  # flattened sub-key
        else:
            names = [name]
    parts = [ctx.seg.present_docs(n) for n in names]
    parts = [p for p in parts if len(p)]
    if not parts:
        return empty()
    docs = np.unique(np.concatenate(parts))
    return constant(ctx.in_scope(docs.astype(INT)), boost)


@query("ids")
def q_ids(body: dict[str, Any], ctx: QueryContext) -> DocSet:
    check_keys("ids", body, {"values", "boost", "_name"})
    values = body.get("values", [])
    if not isinstance(values, list):
        raise parsing_exception("[ids] failed to parse field [values]")
    return meta_field_query(ctx, "_id", values, boost_of(body)) or empty()


RANGE_KEYS = {"gt", "gte", "lt", "lte", "from", "to", "include_lower", "include_upper", "boost", "_name",
              "format", "time_zone", "relation"}


@query("range")
def q_range(body: dict[str, Any], ctx: QueryContext) -> DocSet:
    top = {k: body[k] for k in ("boost", "_name") if k in body and not isinstance(body[k], dict)}
    name, spec = field_body("range", {k: v for k, v in body.items() if k not in top}, "gte")
    for key, value in top.items():
        spec.setdefault(key, value)
    check_keys("range", spec, RANGE_KEYS)
    relation = str(spec.get("relation", "intersects")).lower()
    if relation not in ("intersects", "within", "contains"):
        raise parsing_exception(f"[range] query does not support relation [{spec.get('relation')}]")
    return range_query(ctx, name, _range_bounds(spec), boost_of(spec), spec.get("format"), spec.get("time_zone"))


def range_query(ctx: QueryContext, name: str, bounds: dict[str, Any], boost: float, fmt: str | None = None,
                tz: str | None = None) -> DocSet:
    if name in ("_id", "_index"):
        def ok(t: str) -> bool:
            return _term_in_range(t, {k: _text(v) for k, v in bounds.items() if v is not None})
        if name == "_index":
            return constant(ctx.all_docs(), boost) if ok(ctx.index.name) else empty()
        return _id_matching(ctx, ok, boost)
    f = ctx.field(name)
    if f is None:
        return empty()
    if f.is_numeric:
        checks = []
        for kind, value in bounds.items():
            if value is None:
                continue
            checks.append((kind, numeric_value(f, value, ctx, kind=kind, fmt=fmt, tz=tz)))

        def predicate(values: np.ndarray) -> np.ndarray:
            hit = np.ones(len(values), dtype=bool)
            for kind, v in checks:
                if kind == "gt":
                    hit &= values > v
                elif kind == "gte":
                    hit &= values >= v
                elif kind == "lt":
                    hit &= values < v
                else:
                    hit &= values <= v
            return hit
        return constant(column_match(ctx, name, predicate), boost)
    if f.type == "ip":
        return _ip_range(ctx, name, f, bounds, boost)
    if f.type in ("dense_vector", "geo_point", "binary"):
        raise EsError(400, "illegal_argument_exception",
                      f"Field [{name}] of type [{f.type}] does not support range queries")
    converted = {k: (normalize_keyword(ctx, f, v) if f.is_keyword else _text(v))
                 for k, v in bounds.items() if v is not None}
    if f.type == "constant_keyword":
        ok = _term_in_range(str(f.params.get("value", "")), converted)
        return constant(ctx.in_scope(np.unique(ctx.seg.present_docs(name)).astype(INT)), boost) if ok else empty()
    inv = ctx.seg.inverted.get(name)
    if inv is None:
        return empty()
    terms = inv.sorted_terms()
    lo, hi = 0, len(terms)
    if "gte" in converted:
        lo = bisect.bisect_left(terms, converted["gte"])
    if "gt" in converted:
        lo = max(lo, bisect.bisect_right(terms, converted["gt"]))
    if "lte" in converted:
        hi = bisect.bisect_right(terms, converted["lte"])
    if "lt" in converted:
        hi = min(hi, bisect.bisect_left(terms, converted["lt"]))
    return constant(docs_of_terms(ctx, name, terms[lo:hi]) if lo < hi else np.zeros(0, INT), boost)


def _term_in_range(t: str, converted: dict[str, str]) -> bool:
    for kind, v in converted.items():
        if (kind == "gt" and not t > v) or (kind == "gte" and not t >= v) or (
                kind == "lt" and not t < v) or (kind == "lte" and not t <= v):
            return False
    return True


def _ip_range(ctx: QueryContext, name: str, f: Field, bounds: dict[str, Any], boost: float) -> DocSet:
    import ipaddress

    def key(value: Any) -> int:
        addr = ipaddress.ip_address(str(value))
        if addr.version == 4:
            addr = ipaddress.IPv6Address("::ffff:" + str(addr))
        return int(addr)
    try:
        checks = [(k, key(v)) for k, v in bounds.items() if v is not None]
    except ValueError as exc:
        raise EsError(400, "illegal_argument_exception", str(exc)) from None
    inv = ctx.seg.inverted.get(name)
    if inv is None:
        return empty()
    matched = []
    for term in inv.terms:
        try:
            k = key(term)
        except ValueError:
            continue
        if all((kind == "gt" and k > v) or (kind == "gte" and k >= v) or (kind == "lt" and k < v) or
               (kind == "lte" and k <= v) for kind, v in checks):
            matched.append(term)
    return constant(docs_of_terms(ctx, name, matched), boost)


def _range_bounds(spec: dict[str, Any]) -> dict[str, Any]:
    bounds: dict[str, Any] = {}
    include_lower = bool_param(spec, "include_lower", True)
    include_upper = bool_param(spec, "include_upper", True)
    if spec.get("from") is not None:
        bounds["gte" if include_lower else "gt"] = spec["from"]
    if spec.get("to") is not None:
        bounds["lte" if include_upper else "lt"] = spec["to"]
    for k in ("gt", "gte", "lt", "lte"):
        if k in spec and spec[k] is not None:
            if k in ("gt", "gte"):
                bounds.pop("gt", None)
                bounds.pop("gte", None)
            else:
                bounds.pop("lt", None)
                bounds.pop("lte", None)
            bounds[k] = spec[k]
    return bounds


# ---- full text -----------------------------------------------------------------------------------
def fuzzy_edits(fuzziness: Any, term: str) -> int:
    """Max edits for a term: AUTO = 0 for 1-2 chars, 1 for 3-5, 2 above (AUTO:low,high supported)."""
    if fuzziness is None:
        return 0
    text = _text(fuzziness).strip()
    if text.upper().startswith("AUTO"):
        low, high = 3, 6
        if ":" in text:
            try:
                parts = text.split(":", 1)[1].split(",")
                low, high = int(parts[0]), int(parts[1])
            except (ValueError, IndexError):
                raise no_wrap(parsing_exception("failed to find low and high distance values")) from None
        n = len(term)
        return 0 if n < low else 1 if n < high else 2
    try:
        value = float(text)
    except ValueError:
        raise no_wrap(parsing_exception(f"failed to parse fuzziness [{text}]")) from None
    if value < 0 or value != int(value) and value > 2:
        raise no_wrap(parsing_exception(f"failed to parse fuzziness [{text}]"))
    return min(int(value), 2)


def fuzzy_expand(ctx: QueryContext, field: str, term: str, edits: int, prefix_length: int = 0,
                 max_expansions: int = 50, transpositions: bool = True) -> list[tuple[str, float]]:
    """Terms of `field` within `edits` of `term`, best first, with Lucene's similarity boost.

    Candidates come from a length-bucketed term list (cached per term dictionary), distances from
    rapidfuzz in one vectorized call; Lucene keeps the `max_expansions` terms with the highest
    boost, breaking ties by term order.
    """
    inv = ctx.seg.inverted.get(field)
    if inv is None:
        return []
    if edits == 0 or prefix_length >= len(term):
        return [(term, 1.0)] if term in inv.terms else []
    from rapidfuzz.distance import OSA, Levenshtein
    from rapidfuzz.process import cdist

    td = term_dict(ctx, field)
    assert td is not None
    prefix = term[:prefix_length] if prefix_length > 0 else ""
    candidates = td.candidates(len(term), edits, prefix)
    if not candidates:
        return []
    scorer = OSA.distance if transpositions else Levenshtein.distance
    dist = cdist([term], candidates, scorer=scorer, score_cutoff=edits, dtype=np.int32,
                 workers=-1 if len(candidates) > 20000 else 1)[0]
    hits = np.flatnonzero(dist <= edits)
    if not len(hits):
        return []
    n = len(term)
    scored = []
    for i in hits.tolist():
        cand = candidates[i]
        d = int(dist[i])
        if d == 0:
            sim = 1.0
        else:
            sim = float(F32(1.0) - F32(d) / F32(min(len(cand), n)))
        if sim <= 0 and d > 0:
            # Lucene only accepts a term when the edits are fewer than its length
            if min(len(cand), n) <= d:
                continue
        scored.append((cand, sim))
    scored.sort(key=lambda x: (-x[1], x[0]))
    return scored[:max_expansions]


def fuzzy_term_query(ctx: QueryContext, field: str, term: str, edits: int, boost: float, *, prefix_length: int = 0,
                     max_expansions: int = 50, transpositions: bool = True, norms: bool = True,
                     rewrite: str | None = None) -> DocSet:
    """Lucene's top-terms blended rewrite: expansions share the max doc freq, weighted by similarity."""
    expansions = fuzzy_expand(ctx, field, term, edits, prefix_length, max_expansions, transpositions)
    if not expansions:
        return empty()
    if rewrite is not None and rewrite.startswith("constant_score"):
        return constant(docs_of_terms(ctx, field, [t for t, _ in expansions]), boost)
    dfs = [doc_freq(ctx, field, t) for t, _ in expansions]
    max_df = max(dfs)
    return score_terms(ctx, field, [t for t, _ in expansions], [boost * s for _, s in expansions],
                       [max_df] * len(expansions), norms)


def synonym_query(ctx: QueryContext, name: str, terms: list[str], boost: float, norms: bool) -> DocSet:
    """Lucene's SynonymQuery: one pseudo term whose freq sums the synonyms', df = their max df."""
    inv = ctx.seg.inverted.get(name)
    stats = field_stats(ctx, name, norms)
    if inv is None or stats is None:
        return empty()
    present = [t for t in terms if t in inv.terms]
    if not present:
        return empty()
    if len(present) == 1:
        return score_term(ctx, name, present[0], boost, df_override=doc_freq(ctx, name, present[0]), has_norms=norms)
    max_df = max(len(inv.terms[t].docs) for t in present)
    all_docs, all_freqs = [], []
    for t in present:
        d, fr = term_postings(ctx, name, t)
        all_docs.append(d)
        all_freqs.append(fr if not stats.docs_only else np.ones(len(fr), dtype=INT))
    docs_cat = np.concatenate(all_docs)
    if not len(docs_cat):
        return empty()
    docs, inverse = np.unique(docs_cat, return_inverse=True)
    freqs = np.bincount(inverse, weights=np.concatenate(all_freqs).astype(np.float64), minlength=len(docs))
    weight = term_weight(boost, idf(max_df, max(stats.doc_count, 1)))
    docs = docs.astype(INT)
    return DocSet(docs, bm25_scores(freqs, doc_norms(stats, docs), weight))


def term_group_query(ctx: QueryContext, f: Field, name: str, terms: list[str], boost: float, spec: dict) -> DocSet:
    """Score a group of terms at one position: a single term, or synonyms blended like SynonymQuery."""
    edits_spec = spec.get("fuzziness")
    norms = has_norms(f)
    if edits_spec is not None:
        parts = []
        for term in terms:
            edits = fuzzy_edits(edits_spec, term)
            parts.append(fuzzy_term_query(ctx, name, term, edits, boost,
                                          prefix_length=int_param(spec, "prefix_length", 0, "match"),
                                          max_expansions=int_param(spec, "max_expansions", 50, "match"),
                                          transpositions=bool_param(spec, "fuzzy_transpositions", True),
                                          norms=norms, rewrite=spec.get("fuzzy_rewrite")))
        return parts[0] if len(parts) == 1 else union(parts)[0]
    if len(terms) == 1:
        return score_term(ctx, name, terms[0], boost, has_norms=norms)
    return synonym_query(ctx, name, terms, boost, norms)


def group_by_position(tokens: list) -> list[list[str]]:
    groups: dict[int, list[str]] = {}
    for t in tokens:
        groups.setdefault(t.position, [])
        if t.term not in groups[t.position]:
            groups[t.position].append(t.term)
    return [groups[p] for p in sorted(groups)]


def positioned_groups(tokens: list) -> list[tuple[int, list[str]]]:
    groups: dict[int, list[str]] = {}
    for t in tokens:
        groups.setdefault(t.position, [])
        if t.term not in groups[t.position]:
            groups[t.position].append(t.term)
    return sorted(groups.items())


def minimum_should_match(spec: Any, optional: int) -> int:
    """ES's Queries.calculateMinShouldMatch: integers, negatives, percentages and `3<90%` rules.

    The result is not capped at `optional`: asking for more clauses than exist matches nothing.
    """
    if spec is None:
        return 0
    text = _text(spec).strip()
    try:
        if "<" in text:
            text = re.sub(r"\s*<\s*", "<", text)
            result = optional
            for part in text.split():
                threshold, _, value = part.partition("<")
                if optional <= int(threshold):
                    return result
                result = minimum_should_match(value, optional)
            return result
        if text.endswith("%"):
            pct = int(text[:-1])
            calc = F32(optional * pct) * (F32(1) / F32(100))
            result = optional + int(calc) if calc < 0 else int(calc)
        else:
            n = int(text)
            result = optional + n if n < 0 else n
    except ValueError:
        raise EsError(400, "number_format_exception", f'For input string: "{text.rstrip("%")}"') from None
    return max(0, result)


MATCH_KEYS = {"query", "operator", "fuzziness", "prefix_length", "max_expansions", "minimum_should_match",
              "analyzer", "boost", "_name", "zero_terms_query", "lenient", "fuzzy_transpositions",
              "fuzzy_rewrite", "auto_generate_synonyms_phrase_query", "cutoff_frequency"}


def check_match_options(name: str, spec: dict[str, Any], ctx: QueryContext | None = None) -> None:
    if "cutoff_frequency" in spec:
        raise parsing_exception(f"[{name}] query does not support [cutoff_frequency]")
    op = str(spec.get("operator", "or"))
    if op.lower() not in ("or", "and"):
        raise no_wrap(EsError(400, "illegal_argument_exception",
                              f"No enum constant org.elasticsearch.index.query.Operator.{op.upper()}"))
    ztq = str(spec.get("zero_terms_query", "none"))
    if ztq.lower() not in ("none", "all"):
        raise parsing_exception(f"Unsupported zero_terms_query value [{ztq}]")
    analyzer = spec.get("analyzer")
    if analyzer is not None and ctx is not None and not ctx.index.analysis.has_analyzer(str(analyzer)):
        raise shard_error(ctx, f"[{name}] analyzer [{analyzer}] not found")


@query("match")
def q_match(body: dict[str, Any], ctx: QueryContext) -> DocSet:
    name, spec = field_body("match", body, "query")
    check_keys("match", spec, MATCH_KEYS - {"cutoff_frequency"})
    value_of("match", spec, "query")
    check_match_options("match", spec, ctx)
    return match_query(ctx, name, spec)


def zero_terms(ctx: QueryContext, spec: dict[str, Any]) -> DocSet:
    if str(spec.get("zero_terms_query", "none")).lower() == "all":
        return constant(ctx.all_docs(), 1.0)
    return empty()


def non_text_query(ctx: QueryContext, f: Field, name: str, value: Any, boost: float, spec: dict[str, Any],
                   kind: str = "match") -> DocSet:
    """match-family queries on non-text fields: a term query (normalized keyword / parsed number)."""
    try:
        if spec.get("fuzziness") is not None:
            if not f.is_keyword:
                raise EsError(400, "illegal_argument_exception",
                              f"Can only use fuzzy queries on keyword and text fields - not on [{name}] which is of "
                              f"type [{f.type}]")
            term = normalize_keyword(ctx, f, value)
            edits = fuzzy_edits(spec["fuzziness"], term)
            return fuzzy_term_query(ctx, name, term, edits, boost, norms=has_norms(f),
                                    prefix_length=int_param(spec, "prefix_length", 0, kind),
                                    max_expansions=int_param(spec, "max_expansions", 50, kind),
                                    transpositions=bool_param(spec, "fuzzy_transpositions", True))
        if f.type in ("dense_vector", "sparse_vector", "geo_point", "binary"):
            raise EsError(400, "illegal_argument_exception",
                          f"Field [{name}] of type [{f.type}] does not support {kind} queries")
        return term_query(ctx, name, value, boost)
    except EsError:
        if bool_param(spec, "lenient", False):
            return empty()
        raise


def match_query(ctx: QueryContext, name: str, spec: dict[str, Any]) -> DocSet:
    boost = boost_of(spec)
    if name in ("_id", "_index", "_routing"):
        return term_query(ctx, name, spec["query"], boost)
    f = ctx.field(name)
    if f is None:
        return empty()
    value = spec["query"]
    if f.is_keyword and f.params.get("split_queries_on_whitespace") and spec.get("analyzer") is None:
        return _split_keyword_match(ctx, f, value, boost, spec)
    if not f.is_text:
        return non_text_query(ctx, f, name, value, boost, spec)
    tokens = analyze_query_text(ctx, f, value, spec.get("analyzer"))
    groups = group_by_position(tokens)
    if not groups:
        return zero_terms(ctx, spec)
    parts = [term_group_query(ctx, f, name, g, boost, spec) for g in groups]
    if len(parts) == 1:
        return parts[0]
    if str(spec.get("operator", "or")).lower() == "and":
        return boolean(ctx, parts, [], [], [])
    msm = minimum_should_match(spec.get("minimum_should_match"), len(parts))
    return boolean(ctx, [], [], parts, [], msm)


def _split_keyword_match(ctx: QueryContext, f: Field, value: Any, boost: float, spec: dict[str, Any]) -> DocSet:
    """A keyword field with `split_queries_on_whitespace` searches with a whitespace tokenizer (then its
    normalizer): each word is a term, combined as the match query's operator says."""
    words = _text(value).split()
    if not words:
        return zero_terms(ctx, spec)
    parts = [term_query(ctx, f.path, w, boost) for w in words]
    if len(parts) == 1:
        return parts[0]
    if str(spec.get("operator", "or")).lower() == "and":
        return boolean(ctx, parts, [], [], [])
    return boolean(ctx, [], [], parts, [], minimum_should_match(spec.get("minimum_should_match"), len(parts)))


# ---- phrases -------------------------------------------------------------------------------------
def exact_phrase_freq(plists: list[np.ndarray], offsets: list[int]) -> int:
    """Number of positions where every term sits at its offset (Lucene's ExactPhraseMatcher)."""
    base = plists[0] - offsets[0]
    for arr, off in zip(plists[1:], offsets[1:], strict=True):
        base = np.intersect1d(base, arr - off, assume_unique=False)
        if not len(base):
            return 0
    return len(np.unique(base))


def sloppy_phrase_freq(plists: list[list[int]], offsets: list[int], slop: int) -> float:
    """Sum of 1 / (1 + match length) over the sloppy matches (Lucene's SloppyPhraseMatcher)."""
    n = len(plists)
    ptr = [0] * n
    heap = [(plists[i][0] - offsets[i], offsets[i], i) for i in range(n)]
    end = max(h[0] for h in heap)
    heapq.heapify(heap)
    freq = F32(0.0)
    while True:
        pos, _, i = heapq.heappop(heap)
        match_len = end - pos
        nxt = heap[0][0]
        found = False
        while True:
            ptr[i] += 1
            if ptr[i] >= len(plists[i]):
                break
            pos = plists[i][ptr[i]] - offsets[i]
            if pos > end:
                end = pos
            if pos > nxt:
                heapq.heappush(heap, (pos, offsets[i], i))
                if match_len <= slop:
                    found = True
                    break
                pos, _, i = heapq.heappop(heap)
                nxt = heap[0][0]
                match_len = end - pos
            else:
                if end - pos < match_len:
                    match_len = end - pos
        if match_len <= slop:
            freq = F32(freq + F32(1.0) / (F32(1.0) + F32(match_len)))
        if not found:
            return float(freq)


def phrase_query(ctx: QueryContext, name: str, groups: list[tuple[int, list[str]]], slop: int, boost: float,
                 f: Field | None) -> DocSet:
    """Docs where the terms appear in order (within `slop` moves); scored as Lucene's (Multi)PhraseQuery."""
    inv = ctx.seg.inverted.get(name)
    if inv is None or not groups:
        return empty()
    norms = has_norms(f)
    if len(groups) == 1:
        terms = groups[0][1]
        if len(terms) == 1:
            return score_term(ctx, name, terms[0], boost, has_norms=norms)
        # single-position MultiPhraseQuery rewrites to a disjunction of term queries
        return score_terms(ctx, name, terms, [boost] * len(terms), [doc_freq(ctx, name, t) for t in terms], norms)
    if not inv.with_positions:
        raise EsError(400, "illegal_state_exception",
                      f"field:[{name}] was indexed without position data; cannot run PhraseQuery (phrase={name}:\"...\")")
    per_group: list[list[Any]] = []
    for _pos, terms in groups:
        postings = [inv.terms[t] for t in terms if t in inv.terms]
        if not postings:
            return empty()
        per_group.append(postings)
    candidate: np.ndarray | None = None
    for postings in per_group:
        docs = postings[0].doc_array() if len(postings) == 1 else np.unique(
            np.concatenate([p.doc_array() for p in postings]))
        candidate = docs if candidate is None else np.intersect1d(candidate, docs, assume_unique=True)
        if not len(candidate):
            return empty()
    assert candidate is not None
    candidate = ctx.in_scope(candidate.astype(INT))
    if not len(candidate):
        return empty()
    base_pos = groups[0][0]
    offsets = [pos - base_pos for pos, _ in groups]
    if slop == 0:
        matched_arr, freq_arr = _exact_phrase_vectorized(per_group, offsets, candidate)
        return _score_phrase(ctx, name, groups, matched_arr, freq_arr, boost, norms)
    # index of each candidate doc in each postings list
    located = []
    for postings in per_group:
        row = []
        for p in postings:
            arr = p.doc_array()
            idx = np.searchsorted(arr, candidate)
            idx_clipped = np.minimum(idx, len(arr) - 1)
            present = arr[idx_clipped] == candidate
            row.append((p, np.where(present, idx_clipped, -1).tolist()))
        located.append(row)
    matched, freqs = [], []
    for k, doc in enumerate(candidate.tolist()):
        plists = []
        for row in located:
            pos: list[int] = []
            for p, where in row:
                i = where[k]
                if i >= 0:
                    pos.extend(p.positions_of(i))
            if len(row) > 1:
                pos = sorted(set(pos))
            plists.append(pos)
        if slop == 0:
            freq = float(exact_phrase_freq([np.asarray(p, dtype=np.int64) for p in plists], offsets))
        else:
            freq = sloppy_phrase_freq(plists, offsets, slop)
        if freq > 0:
            matched.append(doc)
            freqs.append(freq)
    return _score_phrase(ctx, name, groups, np.asarray(matched, dtype=INT), np.asarray(freqs, dtype=F32), boost,
                         norms)


def _exact_phrase_vectorized(per_group: list[list[Any]], offsets: list[int],
                             candidate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact phrase matches over whole postings at once: (doc, position - offset) keys intersected."""
    keys: np.ndarray | None = None
    shift = np.int64(1 << 32)
    for postings, off in zip(per_group, offsets, strict=True):
        parts = []
        for p in postings:
            docs = p.doc_array()
            freqs = p.freq_array()
            positions = np.frombuffer(p.positions.tobytes(), dtype=np.int32).astype(np.int64)
            doc_of_pos = np.repeat(docs, freqs).astype(np.int64)
            keep = np.isin(doc_of_pos, candidate, assume_unique=False)
            parts.append(doc_of_pos[keep] * shift + (positions[keep] - off + (1 << 30)))
        group_keys = np.unique(np.concatenate(parts)) if len(parts) > 1 else np.unique(parts[0])
        keys = group_keys if keys is None else np.intersect1d(keys, group_keys, assume_unique=True)
        if not len(keys):
            return np.zeros(0, dtype=INT), np.zeros(0, dtype=F32)
    assert keys is not None
    docs, counts = np.unique(keys // shift, return_counts=True)
    return docs.astype(INT), counts.astype(F32)


def _score_phrase(ctx: QueryContext, name: str, groups: list[tuple[int, list[str]]], docs: np.ndarray,
                  freqs: np.ndarray, boost: float, norms: bool) -> DocSet:
    if not len(docs):
        return empty()
    stats = field_stats(ctx, name, norms)
    assert stats is not None
    n_docs = max(stats.doc_count, 1)
    idf_sum = 0.0
    for _pos, terms in groups:
        for t in terms:
            idf_sum += idf(doc_freq(ctx, name, t), n_docs)
    weight = term_weight(boost, float(F32(idf_sum)))
    return DocSet(docs, bm25_scores(freqs, doc_norms(stats, docs), weight))


PHRASE_KEYS = {"query", "analyzer", "slop", "boost", "_name", "zero_terms_query"}


@query("match_phrase")
def q_match_phrase(body: dict[str, Any], ctx: QueryContext) -> DocSet:
    name, spec = field_body("match_phrase", body, "query")
    check_keys("match_phrase", spec, PHRASE_KEYS)
    value_of("match_phrase", spec, "query")
    check_match_options("match_phrase", spec, ctx)
    return match_phrase(ctx, name, spec)


def match_phrase(ctx: QueryContext, name: str, spec: dict[str, Any], prefix: bool = False) -> DocSet:
    f = ctx.field(name)
    if f is None:
        return empty()
    boost = boost_of(spec)
    slop = int_param(spec, "slop", 0, "match_phrase")
    if slop < 0:
        raise no_wrap(EsError(400, "illegal_argument_exception", "No negative slop allowed."))
    if not f.is_text:
        if prefix and f.is_keyword:
            return prefix_query(ctx, name, _text(spec["query"]), boost)
        return non_text_query(ctx, f, name, spec["query"], boost, spec, "match_phrase")
    tokens = analyze_query_text(ctx, f, spec["query"], spec.get("analyzer"), quoted=not prefix)
    groups = positioned_groups(tokens)
    if not groups:
        return zero_terms(ctx, spec)
    if prefix:
        last_pos, last_terms = groups[-1]
        max_exp = int_param(spec, "max_expansions", 50, "match_phrase_prefix")
        expanded: list[str] = []
        for t in last_terms:
            for cand in prefix_terms(ctx, name, t):
                if cand not in expanded:
                    expanded.append(cand)
                if len(expanded) >= max_exp:
                    break
        if not expanded:
            return empty()
        groups[-1] = (last_pos, expanded)
    return phrase_query(ctx, name, groups, slop, boost, f)


@query("match_phrase_prefix")
def q_match_phrase_prefix(body: dict[str, Any], ctx: QueryContext) -> DocSet:
    name, spec = field_body("match_phrase_prefix", body, "query")
    check_keys("match_phrase_prefix", spec, PHRASE_KEYS | {"max_expansions"})
    value_of("match_phrase_prefix", spec, "query")
    check_match_options("match_phrase_prefix", spec, ctx)
    return match_phrase(ctx, name, spec, prefix=True)


@query("match_bool_prefix")
def q_match_bool_prefix(body: dict[str, Any], ctx: QueryContext) -> DocSet:
    name, spec = field_body("match_bool_prefix", body, "query")
    check_keys("match_bool_prefix", spec, MATCH_KEYS - {"zero_terms_query", "cutoff_frequency", "lenient",
                                                        "auto_generate_synonyms_phrase_query"})
    value_of("match_bool_prefix", spec, "query")
    check_match_options("match_bool_prefix", spec, ctx)
    return match_bool_prefix(ctx, name, spec)


def match_bool_prefix(ctx: QueryContext, name: str, spec: dict[str, Any]) -> DocSet:
    f = ctx.field(name)
    if f is None:
        return empty()
    boost = boost_of(spec)
    if not f.is_text:
        if f.is_keyword:
            return prefix_query(ctx, name, _text(spec["query"]), boost)
        return non_text_query(ctx, f, name, spec["query"], boost, spec, "match_bool_prefix")
    groups = group_by_position(analyze_query_text(ctx, f, spec["query"], spec.get("analyzer")))
    if not groups:
        return empty()
    parts = [term_group_query(ctx, f, name, g, boost, spec) for g in groups[:-1]]
    last_docs = [docs_of_terms(ctx, name, prefix_terms(ctx, name, t)) for t in groups[-1]]
    last = np.unique(np.concatenate(last_docs)).astype(INT) if last_docs else np.zeros(0, INT)
    parts.append(constant(last, boost))
    if len(parts) == 1:
        return parts[0]
    if str(spec.get("operator", "or")).lower() == "and":
        return boolean(ctx, parts, [], [], [])
    return boolean(ctx, [], [], parts, [], minimum_should_match(spec.get("minimum_should_match"), len(parts)))


@query("fuzzy")
def q_fuzzy(body: dict[str, Any], ctx: QueryContext) -> DocSet:
    name, spec = field_body("fuzzy", body, "value")
    check_keys("fuzzy", spec, {"value", "fuzziness", "prefix_length", "max_expansions", "transpositions",
                               "boost", "_name", "rewrite"})
    value = value_of("fuzzy", spec, "value")
    f = ctx.field(name)
    if f is None:
        return empty()
    if not (f.is_text or f.is_keyword):
        raise EsError(400, "illegal_argument_exception",
                      f"Can only use fuzzy queries on keyword and text fields - not on [{name}] which is of type "
                      f"[{f.type}]")
    term = _text(value) if f.is_text else normalize_keyword(ctx, f, value)
    edits = fuzzy_edits(spec.get("fuzziness", "AUTO"), term)
    return fuzzy_term_query(ctx, name, term, edits, boost_of(spec),
                            prefix_length=int_param(spec, "prefix_length", 0, "fuzzy"),
                            max_expansions=int_param(spec, "max_expansions", 50, "fuzzy"),
                            transpositions=bool_param(spec, "transpositions", True), norms=has_norms(f),
                            rewrite=spec.get("rewrite"))


# ---- multi_match ---------------------------------------------------------------------------------
MULTI_MATCH_KEYS = MATCH_KEYS | {"fields", "type", "tie_breaker", "slop"}
MULTI_MATCH_TYPES = ("best_fields", "most_fields", "cross_fields", "phrase", "phrase_prefix", "bool_prefix")


@query("multi_match")
def q_multi_match(body: dict[str, Any], ctx: QueryContext) -> DocSet:
    kind = str(body.get("type", "best_fields")).lower()
    if kind not in MULTI_MATCH_TYPES:
        raise parsing_exception(f"failed to parse [multi_match] query type [{body.get('type')}]. unknown type.")
    if kind == "bool_prefix":
        for key in ("slop", "cutoff_frequency"):
            if key in body and (key != "slop" or body[key] not in (0, "0")):
                raise parsing_exception(f"[{key}] not allowed for type [bool_prefix]")
    check_keys("multi_match", body, MULTI_MATCH_KEYS - {"cutoff_frequency"})
    if "query" not in body or body["query"] is None:
        raise parsing_exception("No text specified for multi_match query")
    check_match_options("multi_match", body, ctx)
    if body.get("fuzziness") is not None and kind in ("cross_fields", "phrase", "phrase_prefix"):
        raise parsing_exception(f"Fuzziness not allowed for type [{kind}]")
    fields_spec = body.get("fields")
    fields, all_fields = resolve_fields(ctx, fields_spec)
    lenient = bool_param(body, "lenient", all_fields)
    boost = boost_of(body)
    base = {k: v for k, v in body.items() if k not in ("fields", "type", "tie_breaker", "boost", "_name")}
    base["lenient"] = lenient
    default_tie = 1.0 if kind in ("most_fields", "bool_prefix") else 0.0
    tie = float_param(body, "tie_breaker", default_tie, "multi_match")
    if not fields:
        return empty()
    if kind == "cross_fields":
        return scale(cross_fields(ctx, fields, base, tie), boost)
    parts = []
    for name, field_boost in fields:
        spec = {**base, "boost": field_boost}
        try:
            if kind in ("phrase", "phrase_prefix"):
                spec = {k: v for k, v in spec.items() if k in PHRASE_KEYS | {"max_expansions", "lenient"}}
                parts.append(match_phrase(ctx, name, spec, prefix=kind == "phrase_prefix"))
            elif kind == "bool_prefix":
                parts.append(match_bool_prefix(ctx, name, spec))
            else:
                parts.append(match_query(ctx, name, spec))
        except EsError as err:
            if lenient and err.type not in ("parsing_exception",):
                continue
            raise
    if kind == "most_fields" and "tie_breaker" not in body:
        combined, _ = union(parts)
        return scale(combined, boost)
    return scale(dismax(parts, tie), boost)


def parse_field_boost(spec: str) -> tuple[str, float]:
    name, sep, boost = str(spec).rpartition("^")
    if not sep:
        return str(spec), 1.0
    try:
        return name, float(boost)
    except ValueError:
        raise no_wrap(EsError(400, "number_format_exception", f'For input string: "{boost}"')) from None


QUERYABLE_TYPES_EXCLUDED = {"dense_vector", "sparse_vector", "geo_point", "binary", "object", "nested", "alias",
                            "rank_feature", "rank_features", "integer_range", "long_range", "float_range",
                            "double_range", "date_range", "ip_range", "flattened"}


def resolve_fields(ctx: QueryContext, fields: Any, default_setting: bool = True,
                   suffix: str | None = None) -> tuple[list[tuple[str, float]], bool]:
    """`["name^3", "email.*"]` -> concrete (field, boost) pairs, and whether it was the all-fields `*`.

    Patterns only pick fields that support text search (as ES's QueryParserHelper); an empty list
    falls back to the index's `index.query.default_field` (default `*`).
    """
    if fields is None or fields == []:
        if not default_setting:
            return [], False
        fields = ctx.index.setting("query.default_field", ["*"]) or ["*"]
    if isinstance(fields, str):
        fields = [fields]
    if not isinstance(fields, list):
        raise parsing_exception("[fields] must be an array")
    out: dict[str, float] = {}
    all_fields = False
    mapping = ctx.index.mapping
    for spec in fields:
        name, weight = parse_field_boost(spec)
        if name == "*" or name == "*.*":
            all_fields = True
        if "*" in name:
            for concrete in mapping.resolve_pattern(name):
                f = ctx.field(concrete)
                if f is None or f.type in QUERYABLE_TYPES_EXCLUDED or not f.indexed and not f.is_numeric:
                    continue
                if name == "*" and concrete not in ctx.seg.present and concrete not in ctx.seg.inverted:
                    continue  # ES skips fields that cannot exist in the index
                if f.params.get("_shingle") or f.params.get("_prefix"):
                    continue
                target = concrete
                if suffix and ctx.field(concrete + suffix) is not None:
                    target = concrete + suffix
                out[target] = out.get(target, 1.0) * weight
        else:
            target = name
            if suffix and ctx.field(name + suffix) is not None:
                target = name + suffix
            out[target] = out.get(target, 1.0) * weight
    return list(out.items()), all_fields


def expand_fields(ctx: QueryContext, fields: list[str] | str) -> list[tuple[str, float]]:
    return resolve_fields(ctx, fields)[0]


def _analyzer_group_key(ctx: QueryContext, f: Field | None, analyzer: str | None) -> str:
    if f is None:
        return "\x00unmapped"
    if f.is_text:
        return "text:" + (analyzer or search_analyzer_name(f, False, ctx))
    if f.is_keyword:
        return "keyword:" + str(f.params.get("normalizer", ""))
    return "other:" + f.path


def blended_term(ctx: QueryContext, term: str, fields: list[tuple[str, float, Field]], tie: float) -> DocSet:
    """ES's BlendedTermQuery: one term over several fields, doc freqs blended towards the max."""
    stats = []
    for name, fboost, f in fields:
        stats.append((name, fboost, f, doc_freq(ctx, name, term)))
    present = [s for s in stats if s[3] > 0]
    if not present:
        return empty()
    max_df = max(s[3] for s in present)
    max_doc = ctx.seg.max_doc
    min_sum_ttf = min((ctx.seg.inverted[s[0]].sum_ttf for s in present), default=max_doc)
    if max_doc > min_sum_ttf:
        max_doc = min_sum_ttf
    actual = min(max_doc, max_df)
    order = sorted(range(len(present)), key=lambda i: present[i][3])
    prev = present[order[0]][3]
    adjusted: dict[int, int] = {}
    for i in order:
        df = present[i][3]
        if prev > df:
            actual += 1
        adjusted[i] = min(max_doc, actual)
        prev = adjusted[i]
    parts = []
    for i, (name, fboost, f, _) in enumerate(present):
        parts.append(score_term(ctx, name, term, fboost, df_override=adjusted[i], has_norms=has_norms(f)))
    return dismax(parts, tie)


def cross_fields(ctx: QueryContext, fields: list[tuple[str, float]], spec: dict[str, Any], tie: float) -> DocSet:
    """Term-centric: per analyzer group, each query term may match in any field (blended)."""
    groups: dict[str, list[tuple[str, float, Field]]] = {}
    for name, fboost in fields:
        f = ctx.field(name)
        if f is None:
            continue
        groups.setdefault(_analyzer_group_key(ctx, f, spec.get("analyzer")), []).append((name, fboost, f))
    results = []
    lenient = bool_param(spec, "lenient", False)
    operator_and = str(spec.get("operator", "or")).lower() == "and"
    for key, members in groups.items():
        first = members[0][2]
        try:
            if key.startswith("text:"):
                term_groups = group_by_position(analyze_query_text(ctx, first, spec["query"], spec.get("analyzer")))
            elif key.startswith("keyword:"):
                term_groups = [[normalize_keyword(ctx, first, spec["query"])]]
            else:
                results.append(scale(non_text_query(ctx, first, members[0][0], spec["query"], 1.0,
                                                    {"lenient": lenient}), members[0][1]))
                continue
        except EsError:
            if lenient:
                continue
            raise
        if not term_groups:
            results.append(zero_terms(ctx, spec))
            continue
        per_term = []
        for g in term_groups:
            options = [blended_term(ctx, t, members, tie) for t in g]
            per_term.append(options[0] if len(options) == 1 else union(options)[0])
        if len(per_term) == 1:
            results.append(per_term[0])
        elif operator_and:
            results.append(boolean(ctx, per_term, [], [], []))
        else:
            results.append(boolean(ctx, [], [], per_term, [],
                                   minimum_should_match(spec.get("minimum_should_match"), len(per_term))))
    return dismax(results, tie) if len(results) != 1 else results[0]


# ---- compound ------------------------------------------------------------------------------------
def _clauses(value: Any, query_name: str = "bool", key: str = "") -> list[dict[str, Any]]:
    if value is None:
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        return [value]
    raise parsing_exception(f"[{query_name}] query does not support [{key}]")


BOOL_KEYS = {"must", "filter", "should", "must_not", "minimum_should_match", "boost", "_name",
             "adjust_pure_negative"}


@query("bool")
def q_bool(body: dict[str, Any], ctx: QueryContext) -> DocSet:
    check_keys("bool", body, BOOL_KEYS)
    must_q = _clauses(body.get("must"), "bool", "must")
    filter_q = _clauses(body.get("filter"), "bool", "filter")
    should_q = _clauses(body.get("should"), "bool", "should")
    not_q = _clauses(body.get("must_not"), "bool", "must_not")
    boost = boost_of(body)
    if not (must_q or filter_q or should_q or not_q):
        return constant(ctx.all_docs(), boost)
    must = [execute(c, ctx) for c in must_q]
    filters = [execute(c, ctx).docs for c in filter_q]
    should = [execute(c, ctx) for c in should_q]
    must_not = [execute(c, ctx).docs for c in not_q]
    msm = minimum_should_match(body.get("minimum_should_match"), len(should_q)) \
        if body.get("minimum_should_match") is not None else 0
    if not must and not filters and not should:
        if not bool_param(body, "adjust_pure_negative", True):
            return empty()
        filters = [ctx.all_docs()]  # ES adds a match_all filter to purely negative queries
    return scale(boolean(ctx, must, filters, should, must_not, msm), boost)


@query("constant_score")
def q_constant_score(body: dict[str, Any], ctx: QueryContext) -> DocSet:
    check_keys("constant_score", body, {"filter", "boost", "_name"})
    if "filter" not in body:
        raise parsing_exception("[constant_score] requires a 'filter' element")
    inner = execute(body["filter"], ctx)
    return constant(inner.docs, boost_of(body))


@query("dis_max")
def q_dis_max(body: dict[str, Any], ctx: QueryContext) -> DocSet:
    check_keys("dis_max", body, {"queries", "tie_breaker", "boost", "_name"})
    queries = _clauses(body.get("queries"), "dis_max", "queries")
    if not queries:
        raise parsing_exception("[dis_max] requires 'queries' field with at least one clause")
    parts = [execute(c, ctx) for c in queries]
    return scale(dismax(parts, float_param(body, "tie_breaker", 0.0, "dis_max")), boost_of(body))


@query("boosting")
def q_boosting(body: dict[str, Any], ctx: QueryContext) -> DocSet:
    check_keys("boosting", body, {"positive", "negative", "negative_boost", "boost", "_name"})
    if "positive" not in body:
        raise parsing_exception("[boosting] query requires 'positive' query to be set'")
    if "negative" not in body:
        raise parsing_exception("[boosting] query requires 'negative' query to be set'")
    if "negative_boost" not in body:
        raise parsing_exception("[boosting] query requires 'negative_boost' to be set to be a positive value'")
    negative_boost = float_param(body, "negative_boost", 1.0, "boosting")
    if negative_boost < 0:
        raise no_wrap(EsError(400, "illegal_argument_exception",
                              "[boosting] negativeBoost must be a non-negative float"))
    positive = execute(body["positive"], ctx)
    negative = execute(body["negative"], ctx)
    scores = positive.scores.copy()
    hit = np.isin(positive.docs, negative.docs)
    scores[hit] = (scores[hit] * F32(negative_boost)).astype(F32)
    return scale(DocSet(positive.docs, scores), boost_of(body))


def nested_child_mask(ctx: QueryContext, path: str) -> np.ndarray:
    seg = ctx.seg
    cache = seg_cache(seg)
    stamp = (seg.max_doc, seg.generation)
    hit = cache.get(("nested", path))
    if hit is not None and hit[0] == stamp:
        base = hit[1]
    else:
        base = np.zeros(seg.max_doc, dtype=bool)
        docs = [d for d, p in seg.nested_path.items() if p == path]
        if docs:
            base[np.asarray(docs, dtype=np.int64)] = True
        cache[("nested", path)] = (stamp, base)
    return base & seg.live_mask()


def nested_parents(ctx: QueryContext, docs: np.ndarray, path: str) -> np.ndarray:
    """The docs one nesting level above `docs` (the root, or the enclosing nested object)."""
    seg = ctx.seg
    parents = np.frombuffer(seg.parent.tobytes(), dtype=np.int32)[docs]
    if ctx.nested_path is None:
        return parents
    # nested inside nested: the enclosing object is the nearest following doc of the outer path
    outer = ctx.nested_path
    out = np.empty(len(docs), dtype=np.int32)
    outer_docs = np.asarray(sorted(d for d, p in seg.nested_path.items() if p == outer), dtype=np.int64)
    for i, (d, root) in enumerate(zip(docs.tolist(), parents.tolist(), strict=True)):
        j = int(np.searchsorted(outer_docs, d, side="right"))
        out[i] = outer_docs[j] if j < len(outer_docs) and outer_docs[j] < root else root
    return out


@query("nested")
def q_nested(body: dict[str, Any], ctx: QueryContext) -> DocSet:
    check_keys("nested", body, {"path", "query", "score_mode", "ignore_unmapped", "inner_hits", "boost", "_name"})
    path = body.get("path")
    if path is None:
        raise parsing_exception("[nested] requires 'path' field")
    if "query" not in body:
        raise parsing_exception("[nested] requires 'query' field")
    mode = str(body.get("score_mode", "avg")).lower()
    if mode not in ("avg", "sum", "max", "min", "none"):
        raise no_wrap(illegal_score_mode(mode))
    if path not in ctx.index.mapping.objects or ctx.index.mapping.objects[path] != "nested":
        if bool_param(body, "ignore_unmapped", False):
            return empty()
        reason = f"[nested] failed to find nested object under path [{path}]"
        if path in ctx.index.mapping.objects:
            reason = f"[nested] nested object under path [{path}] is not of nested type"
        raise shard_error(ctx, reason)
    child_ctx = ctx.sub(nested_child_mask(ctx, path), nested_path=path)
    inner = execute(body["query"], child_ctx)
    if not len(inner):
        return empty()
    parents = nested_parents(ctx, inner.docs, path)
    docs, inverse = np.unique(parents, return_inverse=True)
    scores64 = inner.scores.astype(np.float64)
    if mode == "sum":
        scores = np.bincount(inverse, weights=scores64)
    elif mode == "max":
        scores = np.full(len(docs), -np.inf)
        np.maximum.at(scores, inverse, scores64)
    elif mode == "min":
        scores = np.full(len(docs), np.inf)
        np.minimum.at(scores, inverse, scores64)
    elif mode == "none":
        scores = np.zeros(len(docs))
    else:
        scores = np.bincount(inverse, weights=scores64) / np.bincount(inverse)
    keep = ctx.scope[docs]
    return scale(DocSet(docs[keep].astype(INT), scores[keep].astype(F32)), boost_of(body))


def illegal_score_mode(mode: str) -> EsError:
    return EsError(400, "illegal_argument_exception", f"No score mode for child query [{mode}] found")


# ---- scripts -------------------------------------------------------------------------------------
def script_runner(ctx: QueryContext, what: str = "execute") -> Any:
    """The script engine extension, or a clear 400 when scripting is not available.

    An engine may offer vectorized `score_docs(ctx, script, docs, scores)` / `filter_docs(ctx, script,
    docs)`; otherwise its `execute(script, variables)` runs once per doc with `doc`, `_score` and
    `params` (see run_score_script).
    """
    engine = ctx.engine
    runner = engine.extensions.get("script") if engine is not None else None
    if runner is None or not (hasattr(runner, what) or hasattr(runner, "execute")):
        raise no_wrap(EsError(400, "illegal_argument_exception",
                              "script_lang not supported [painless]: scripts are not available in the embedded "
                              "engine"))
    return runner


class _ScriptDoc:
    """Lazy doc values of one document for script `doc['field']` access."""

    def __init__(self, ctx: QueryContext, docnum: int) -> None:
        self.ctx = ctx
        self.docnum = docnum

    def load(self, name: str) -> list[Any] | None:
        ctx = self.ctx
        f = ctx.field(name)
        if f is None:
            if name == "_id":
                return [ctx.seg.ids[self.docnum]]
            return None
        vec = ctx.seg.vectors.get(name)
        if vec is not None:
            row = vec.vector_of(self.docnum)
            return [] if row is None else [float(v) for v in row]
        col = ctx.seg.columns.get(name)
        if col is None:
            return []
        values = col.values_of(self.docnum)
        if col.kind == "num" and (f.type in INTEGER_TYPES or f.type in ("date", "date_nanos")):
            return [int(v) for v in values]
        if f.type == "boolean":
            return [bool(v) for v in values]
        return values


def _script_docmap(ctx: QueryContext, docnum: int) -> Any:
    from .painless import DocMap

    loader = _ScriptDoc(ctx, docnum)

    class _Doc(DocMap):
        def load(self, field: str) -> list[Any] | None:
            return loader.load(field)
    return _Doc()


def run_score_script(ctx: QueryContext, script: Any, docs: np.ndarray, scores: np.ndarray) -> np.ndarray:
    runner = script_runner(ctx, "score_docs")
    if hasattr(runner, "score_docs"):
        return np.asarray(runner.score_docs(ctx, script, docs, scores), dtype=np.float64)
    out = np.empty(len(docs))
    for i, (d, s) in enumerate(zip(docs.tolist(), scores.tolist(), strict=True)):
        value = runner.execute(script, {"doc": _script_docmap(ctx, d), "_score": float(s)})
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise no_wrap(EsError(400, "illegal_argument_exception",
                                  f"script_score script must return a number, got [{value}]"))
        out[i] = float(value)
    return out


def run_filter_script(ctx: QueryContext, script: Any, docs: np.ndarray) -> np.ndarray:
    runner = script_runner(ctx, "filter_docs")
    if hasattr(runner, "filter_docs"):
        return np.asarray(runner.filter_docs(ctx, script, docs), dtype=bool)
    out = np.zeros(len(docs), dtype=bool)
    for i, d in enumerate(docs.tolist()):
        out[i] = bool(runner.execute(script, {"doc": _script_docmap(ctx, d)}))
    return out


def parse_script(spec: Any, owner: str) -> dict[str, Any]:
    if isinstance(spec, str):
        return {"source": spec, "lang": "painless", "params": {}}
    if not isinstance(spec, dict):
        raise parsing_exception(f"[{owner}] query malformed, [script] must be an object or a string")
    for key in spec:
        if key not in ("source", "id", "lang", "params", "options", "inline"):
            raise parsing_exception(f"[script] unknown field [{key}]")
    if "source" not in spec and "id" not in spec and "inline" not in spec:
        raise parsing_exception("must specify either [source] for an inline script or [id] for a stored script")
    return spec


@query("script")
def q_script(body: dict[str, Any], ctx: QueryContext) -> DocSet:
    check_keys("script", body, {"script", "boost", "_name"})
    if "script" not in body:
        raise parsing_exception("script must be provided with a [script] query")
    script = parse_script(body["script"], "script")
    script_runner(ctx, "filter_docs")
    docs = ctx.all_docs()
    mask = run_filter_script(ctx, script, docs)
    return constant(docs[mask], boost_of(body))


@query("script_score")
def q_script_score(body: dict[str, Any], ctx: QueryContext) -> DocSet:
    check_keys("script_score", body, {"query", "script", "min_score", "boost", "_name"})
    if "query" not in body:
        raise parsing_exception("[script_score] requires 'query' field")
    if "script" not in body:
        raise parsing_exception("[script_score] requires 'script' field")
    script = parse_script(body["script"], "script_score")
    script_runner(ctx, "score_docs")
    inner = execute(body["query"], ctx)
    scores = run_score_script(ctx, script, inner.docs, inner.scores)
    if len(scores) and (np.isnan(scores).any() or (scores < 0).any()):
        bad = scores[np.isnan(scores) | (scores < 0)][0]
        raise no_wrap(EsError(400, "illegal_argument_exception",
                              f"script_score script returned an invalid score [{bad}] for doc [0]. Must be a "
                              f"non-negative score!"))
    result = DocSet(inner.docs, scores.astype(F32))
    if body.get("min_score") is not None:
        keep = result.scores >= F32(float(body["min_score"]))
        result = DocSet(result.docs[keep], result.scores[keep])
    return scale(result, boost_of(body))


# ---- combined_fields -----------------------------------------------------------------------------
COMBINED_KEYS = {"query", "fields", "operator", "minimum_should_match", "zero_terms_query",
                 "auto_generate_synonyms_phrase_query", "boost", "_name"}


@query("combined_fields")
def q_combined_fields(body: dict[str, Any], ctx: QueryContext) -> DocSet:
    """Lucene's CombinedFieldQuery (BM25F): the fields act as one, with weighted freqs and lengths."""
    check_keys("combined_fields", body, COMBINED_KEYS)
    if body.get("query") is None:
        raise parsing_exception("[combined_fields] requires 'query' field")
    if not body.get("fields"):
        raise parsing_exception("[combined_fields] requires 'fields' field")
    check_match_options("combined_fields", body, ctx)
    fields, _ = resolve_fields(ctx, body["fields"])
    resolved: list[tuple[str, float, Field]] = []
    analyzer = None
    for name, weight in fields:
        f = ctx.field(name)
        if f is None:
            continue
        if not f.is_text:
            raise EsError(400, "illegal_argument_exception",
                          f"Field [{name}] of type [{f.type}] does not support [combined_fields] queries")
        if weight < 1.0:
            raise EsError(400, "illegal_argument_exception",
                          "[combined_fields] requires field boosts to be >= 1.0")
        name_a = search_analyzer_name(f, False, ctx)
        if analyzer is not None and name_a != analyzer:
            raise EsError(400, "illegal_argument_exception",
                          "All fields in [combined_fields] query must have the same search analyzer")
        analyzer = name_a
        resolved.append((name, weight, f))
    if not resolved:
        return empty()
    groups = group_by_position(analyze_query_text(ctx, resolved[0][2], body["query"]))
    if not groups:
        return zero_terms(ctx, body)
    seg = ctx.seg
    max_doc = seg.max_doc
    # pseudo-field collection statistics
    doc_count = 0
    sum_ttf = 0.0
    combined_len = np.zeros(max_doc, dtype=np.float64)
    for name, weight, _f in resolved:
        inv = seg.inverted.get(name)
        if inv is None:
            continue
        doc_count = max(doc_count, inv.doc_count)
        sum_ttf += F32(weight) * inv.sum_ttf
        lengths = inv.length_array(max_doc)
        combined_len += F32(weight) * LENGTH_TABLE[encode_lengths(lengths)]
    if doc_count == 0:
        return empty()
    avgdl = avg_field_length(sum_ttf, doc_count)
    table = norm_table(avgdl)
    norm_bytes = encode_lengths(np.round(combined_len).astype(np.int64))
    parts = []
    for g in groups:
        freq = np.zeros(0)
        doc_parts, freq_parts = [], []
        max_df = 0
        for term in g:
            for name, weight, _f in resolved:
                docs, freqs = term_postings(ctx, name, term)
                max_df = max(max_df, doc_freq(ctx, name, term))
                if len(docs):
                    doc_parts.append(docs)
                    freq_parts.append(freqs.astype(np.float64) * F32(weight))
        if not doc_parts:
            parts.append(empty())
            continue
        docs, inverse = np.unique(np.concatenate(doc_parts), return_inverse=True)
        freq = np.bincount(inverse, weights=np.concatenate(freq_parts), minlength=len(docs))
        weight_t = term_weight(1.0, idf(max_df, doc_count))
        docs = docs.astype(INT)
        parts.append(DocSet(docs, bm25_scores(freq, table[norm_bytes[docs]], weight_t)))
    if len(parts) == 1:
        result = parts[0]
    elif str(body.get("operator", "or")).lower() == "and":
        result = boolean(ctx, parts, [], [], [])
    else:
        result = boolean(ctx, [], [], parts, [], minimum_should_match(body.get("minimum_should_match"), len(parts)))
    return scale(result, boost_of(body))


# ---- named queries -------------------------------------------------------------------------------
_SUBQUERY_KEYS = ("must", "filter", "should", "must_not", "queries", "query", "positive", "negative", "organic",
                  "functions")


def _named_clauses(q: Any, out: list[tuple[str, dict[str, Any]]]) -> None:
    """(name, clause) for every clause with `_name`, in query order (not inside nested queries)."""
    if not isinstance(q, dict) or len(q) != 1:
        return
    qname, body = next(iter(q.items()))
    if qname not in QUERIES or not isinstance(body, dict):
        return
    if isinstance(body.get("_name"), str):
        out.append((body["_name"], q))
    else:
        for value in body.values():
            if isinstance(value, dict) and isinstance(value.get("_name"), str):
                out.append((value["_name"], q))
                break
    if qname in ("nested", "has_child", "has_parent"):
        return
    for key, value in body.items():
        if key not in _SUBQUERY_KEYS or value is None:
            continue
        items = value if isinstance(value, list) else [value]
        for item in items:
            if key == "functions" and isinstance(item, dict):
                _named_clauses(item.get("filter"), out)
            else:
                _named_clauses(item, out)


def matched_name_scores(query_json: Any, ctx: QueryContext, docs: np.ndarray) -> dict[int, dict[str, float]]:
    """For each of `docs`, the `_name`s of the query clauses it matches, with each clause's score."""
    named: list[tuple[str, dict[str, Any]]] = []
    _named_clauses(query_json, named)
    if not named or not len(docs):
        return {}
    scope = np.zeros(len(ctx.scope), dtype=bool)
    docs = np.asarray(docs, dtype=np.int64)
    scope[docs] = True
    sub = ctx.sub(scope & ctx.scope)
    out: dict[int, dict[str, float]] = {}
    for name, clause in named:
        try:
            ds = execute(clause, sub)
        except EsError:
            continue
        for d, s in zip(ds.docs.tolist(), ds.scores.tolist(), strict=True):
            entry = out.setdefault(d, {})
            if name not in entry:
                entry[name] = float(s)
    return out


def matched_names(query_json: Any, ctx: QueryContext, docs: np.ndarray) -> dict[int, list[str]]:
    """For each of `docs`, the `_name`s of the query clauses it matches (in query order)."""
    return {d: list(names) for d, names in matched_name_scores(query_json, ctx, docs).items()}


# ---- sibling modules register their queries ------------------------------------------------------
from . import extra_queries as _extra_queries  # noqa: E402,F401
from . import function_score as _function_score  # noqa: E402,F401
from . import geo_queries as _geo_queries  # noqa: E402,F401
from . import query_string as _query_string  # noqa: E402,F401
from . import spans as _spans  # noqa: E402,F401
