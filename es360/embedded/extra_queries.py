"""Less common query types: terms_set, distance_feature, wrapper, more_like_this.

terms_set scores as Lucene's CoveringQuery (the matching terms' scores add up); distance_feature
as ES's `boost * pivot / (pivot + distance)`; more_like_this follows Lucene's MoreLikeThis term
selection (tf * classic idf, top `max_query_terms`) and ES's defaults (minimum_should_match 30%,
liked documents excluded).
"""

from __future__ import annotations

import base64
import binascii
import math
from collections import Counter
from typing import Any

import numpy as np
import orjson

from .errors import EsError, parsing_exception
from .query import (
    F32,
    INT,
    DocSet,
    QueryContext,
    _text,
    bool_param,
    boolean,
    boost_of,
    check_keys,
    doc_freq,
    empty,
    execute,
    float_param,
    get_analyzer,
    has_norms,
    int_param,
    minimum_should_match,
    no_wrap,
    normalize_keyword,
    numeric_value,
    query,
    resolve_fields,
    scale,
    score_term,
    search_analyzer_name,
)


# ---- terms_set -----------------------------------------------------------------------------------
@query("terms_set")
def q_terms_set(body: dict[str, Any], ctx: QueryContext) -> DocSet:
    fields = [k for k in body if k not in ("boost", "_name")]
    if len(fields) != 1:
        raise parsing_exception("[terms_set] query requires exactly one field")
    name = fields[0]
    spec = body[name]
    if not isinstance(spec, dict):
        raise parsing_exception(f"[terms_set] query does not support [{name}]")
    check_keys("terms_set", spec, {"terms", "minimum_should_match_field", "minimum_should_match_script",
                                   "minimum_should_match", "boost", "_name"})
    terms = spec.get("terms")
    if not isinstance(terms, list):
        raise parsing_exception("[terms_set] query requires [terms] to be an array")
    rules = [k for k in ("minimum_should_match_field", "minimum_should_match_script", "minimum_should_match")
             if k in spec]
    if not rules:
        raise no_wrap(EsError(400, "illegal_argument_exception",
                              "Either [minimum_should_match_field], [minimum_should_match_script] or "
                              "[minimum_should_match] must be specified"))
    if "minimum_should_match_script" in spec:
        raise no_wrap(EsError(400, "illegal_argument_exception",
                              "script_lang not supported [painless]: scripts are not available in the embedded "
                              "engine"))
    f = ctx.field(name)
    if f is None:
        return empty()
    boost = boost_of(spec) * boost_of(body)
    parts: list[DocSet] = []
    for value in terms:
        if f.is_numeric:
            from .query import term_query

            parts.append(term_query(ctx, name, value, 1.0))
        else:
            term = normalize_keyword(ctx, f, value) if f.is_keyword else _text(value)
            parts.append(score_term(ctx, name, term, 1.0, has_norms=has_norms(f)))
    parts = [p for p in parts if len(p)]
    if not parts:
        return empty()
    docs, inverse = np.unique(np.concatenate([p.docs for p in parts]), return_inverse=True)
    counts = np.bincount(inverse, minlength=len(docs))
    scores = np.bincount(inverse, weights=np.concatenate([p.scores for p in parts]).astype(np.float64),
                         minlength=len(docs))
    if "minimum_should_match" in spec:
        required = np.full(len(docs), max(1, minimum_should_match(spec["minimum_should_match"], len(terms))))
    else:
        required = _field_values(ctx, str(spec["minimum_should_match_field"]), docs)
        required = np.maximum(1, required)
    keep = counts >= required
    return scale(DocSet(docs[keep].astype(INT), scores[keep].astype(F32)), boost)


def _field_values(ctx: QueryContext, name: str, docs: np.ndarray) -> np.ndarray:
    out = np.zeros(len(docs))
    col = ctx.seg.columns.get(name)
    if col is None or col.kind != "num" or not len(docs):
        return out
    cdocs, values = col.arrays()
    lo = np.searchsorted(cdocs, docs, "left")
    ok = lo < len(cdocs)
    ok[ok] = cdocs[lo[ok]] == docs[ok]
    out[ok] = values[lo[ok]]
    return out


# ---- distance_feature ----------------------------------------------------------------------------
@query("distance_feature")
def q_distance_feature(body: dict[str, Any], ctx: QueryContext) -> DocSet:
    check_keys("distance_feature", body, {"field", "origin", "pivot", "boost", "_name"})
    for key in ("field", "origin", "pivot"):
        if key not in body:
            raise parsing_exception(f"[distance_feature] query requires [{key}]")
    name = str(body["field"])
    f = ctx.field(name)
    if f is None:
        return empty()
    if f.type not in ("date", "date_nanos"):
        raise EsError(400, "illegal_argument_exception",
                      f"Illegal data type of [{f.type}]! [distance_feature] query can only be run on a date, "
                      f"date_nanos or geo_point field type!")
    from .dates import parse_time_value

    origin = numeric_value(f, body["origin"], ctx)
    pivot = float(parse_time_value(str(body["pivot"]), "pivot"))
    if pivot <= 0:
        raise EsError(400, "illegal_argument_exception", "[pivot] must be greater than 0")
    col = ctx.seg.columns.get(name)
    if col is None:
        return empty()
    cdocs, values = col.arrays()
    keep = ctx.scope[cdocs]
    cdocs, values = cdocs[keep], values[keep]
    if not len(cdocs):
        return empty()
    dist = np.abs(values - origin)
    docs, inverse = np.unique(cdocs, return_inverse=True)
    best = np.full(len(docs), np.inf)
    np.minimum.at(best, inverse, dist)
    boost = boost_of(body)
    scores = (F32(boost) * F32(pivot) / (F32(pivot) + best.astype(F32))).astype(F32)
    return DocSet(docs.astype(INT), scores)


# ---- wrapper -------------------------------------------------------------------------------------
@query("wrapper")
def q_wrapper(body: dict[str, Any], ctx: QueryContext) -> DocSet:
    check_keys("wrapper", body, {"query"})
    if "query" not in body:
        raise parsing_exception("[wrapper] query text is required")
    try:
        raw = base64.b64decode(str(body["query"]), validate=False)
        inner = orjson.loads(raw)
    except (binascii.Error, orjson.JSONDecodeError, ValueError):
        raise parsing_exception("[wrapper] failed to parse the wrapped query") from None
    if isinstance(inner, dict) and len(inner) == 1 and "query" in inner and isinstance(inner["query"], dict):
        inner = inner["query"]
    return execute(inner, ctx)


# ---- more_like_this ------------------------------------------------------------------------------
MLT_KEYS = {"fields", "like", "unlike", "like_text", "ids", "docs", "min_term_freq", "max_query_terms",
            "min_doc_freq", "max_doc_freq", "min_word_length", "max_word_length", "stop_words", "analyzer",
            "minimum_should_match", "boost_terms", "include", "fail_on_unsupported_field", "routing", "version",
            "version_type", "boost", "_name"}


def _like_items(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


@query("more_like_this")
def q_more_like_this(body: dict[str, Any], ctx: QueryContext) -> DocSet:
    check_keys("more_like_this", body, MLT_KEYS)
    likes = _like_items(body.get("like"))
    unlikes = _like_items(body.get("unlike"))
    if not likes:
        raise no_wrap(EsError(400, "illegal_argument_exception", "more_like_this requires 'like' to be specified"))
    fields_spec = body.get("fields")
    if fields_spec is not None and not isinstance(fields_spec, list):
        raise parsing_exception("[more_like_this] query does not support [fields]")
    fields, _ = resolve_fields(ctx, fields_spec)
    text_fields = []
    for name, _boost in fields:
        f = ctx.field(name)
        if f is None:
            continue
        if not (f.is_text or f.is_keyword):
            if fields_spec is not None and bool_param(body, "fail_on_unsupported_field", True):
                raise EsError(400, "illegal_argument_exception",
                              f"more_like_this only supports text/keyword fields: [{name}]")
            continue
        text_fields.append((name, f))
    if not text_fields:
        return empty()
    min_tf = int_param(body, "min_term_freq", 2, "more_like_this")
    max_terms = int_param(body, "max_query_terms", 25, "more_like_this")
    min_df = int_param(body, "min_doc_freq", 5, "more_like_this")
    max_df = int_param(body, "max_doc_freq", 2**31 - 1, "more_like_this")
    min_len = int_param(body, "min_word_length", 0, "more_like_this")
    max_len = int_param(body, "max_word_length", 0, "more_like_this")
    stop = {str(w) for w in (body.get("stop_words") or [])}
    analyzer_name = body.get("analyzer")
    liked_docs: list[int] = []

    def collect(items: list[Any], track: bool) -> dict[tuple[str, str], int]:
        freqs: Counter = Counter()
        for item in items:
            texts = _item_texts(ctx, item, [n for n, _ in text_fields], liked_docs if track else None)
            for name, f in text_fields:
                for text in texts.get(name, []):
                    if f.is_keyword:
                        terms = [normalize_keyword(ctx, f, text)]
                    else:
                        analyzer = get_analyzer(ctx, analyzer_name or search_analyzer_name(f, False, ctx))
                        terms = analyzer.terms(text)
                    for term in terms:
                        freqs[(name, term)] += 1
        return freqs

    like_freqs = collect(likes, True)
    unlike_terms = set(collect(unlikes, False))
    num_docs = max(ctx.seg.max_doc - ctx.seg.deleted, 1)
    scored = []
    for (name, term), tf in like_freqs.items():
        if tf < min_tf or term in stop or (name, term) in unlike_terms:
            continue
        if min_len and len(term) < min_len or max_len and len(term) > max_len:
            continue
        df = doc_freq(ctx, name, term)
        if df < min_df or df > max_df or df == 0:
            continue
        idf_value = math.log(num_docs / (df + 1)) + 1.0
        scored.append((tf * idf_value, name, term))
    scored.sort(key=lambda s: (-s[0], s[1], s[2]))
    scored = scored[:max_terms]
    if not scored:
        return empty()
    boost_terms = float_param(body, "boost_terms", 0.0, "more_like_this")
    best = scored[0][0]
    parts = []
    for score, name, term in scored:
        f = dict(text_fields)[name]
        term_boost = score / best * boost_terms if boost_terms else 1.0
        parts.append(score_term(ctx, name, term, term_boost, has_norms=has_norms(f)))
    msm = minimum_should_match(body.get("minimum_should_match", "30%"), len(parts))
    result = boolean(ctx, [], [], parts, [], msm)
    if liked_docs and not bool_param(body, "include", False):
        keep = ~np.isin(result.docs, np.asarray(liked_docs, dtype=INT))
        result = DocSet(result.docs[keep], result.scores[keep])
    return scale(result, boost_of(body))


def _item_texts(ctx: QueryContext, item: Any, fields: list[str], liked: list[int] | None) -> dict[str, list[str]]:
    """Field texts of one `like` item: free text, an indexed doc ({_id}) or an artificial doc ({doc})."""
    if isinstance(item, str):
        return {name: [item] for name in fields}
    if not isinstance(item, dict):
        raise parsing_exception("[more_like_this] like items must be strings or objects")
    source: Any = None
    if "doc" in item:
        source = item["doc"]
    elif "_id" in item:
        index_name = item.get("_index")
        if index_name is not None and index_name != ctx.index.name and index_name not in ctx.index.aliases:
            index = _other_index(ctx, str(index_name))
        else:
            index = ctx.index
        state = index.get(str(item["_id"])) if index is not None else None
        if state is None:
            return {}
        source = index.source(state)
        if liked is not None and index is ctx.index:
            liked.append(state.docnum)
    else:
        raise parsing_exception("[more_like_this] like items require [_id] or [doc]")
    out: dict[str, list[str]] = {}
    wanted = item.get("fields") or fields
    for name in wanted:
        values: list[Any] = []
        _collect(source, name.split("."), values)
        f = ctx.field(name)
        if not values and f is not None and f.parent_text:
            _collect(source, f.parent_text.split("."), values)
        texts = [_text(v) for v in values if v is not None and not isinstance(v, (dict, list))]
        if texts:
            out[name] = texts
    return out


def _other_index(ctx: QueryContext, name: str) -> Any:
    engine = ctx.engine
    return engine.indices.get(name) if engine is not None else None


def _collect(node: Any, parts: list[str], out: list[Any]) -> None:
    if not parts:
        if isinstance(node, list):
            out.extend(node)
        else:
            out.append(node)
        return
    if isinstance(node, list):
        for item in node:
            _collect(item, parts, out)
    elif isinstance(node, dict):
        if parts[0] in node:
            _collect(node[parts[0]], parts[1:], out)
        else:
            joined = ".".join(parts)
            if joined in node:
                _collect(node[joined], [], out)


__all__ = ["q_terms_set", "q_distance_feature", "q_wrapper", "q_more_like_this"]
