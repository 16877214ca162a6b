"""Lucene-style score explanations for term-level clauses (`explain: true`).

For a term on a text or keyword field (a `term` query, or each analyzed term of a `match` query)
the explanation has the shape Lucene's BM25 gives under ES's legacy `(k1 + 1)` factor:

    weight(field:term in doc) [PerFieldSimilarity], result of:
      score(freq=F), computed as boost * idf * tf from:
        boost                      (query boost * 2.2)
        idf, computed as log(1 + (N - n + 0.5) / (n + 0.5)) from: n, N
        tf, computed as freq / (freq + k1 * (1 - b + b * dl / avgdl)) from: freq, k1, b, dl, avgdl

Several matching terms are summed (`sum of:`), as Lucene's BooleanQuery explains them. Other
clauses return None and the caller keeps its generic description.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import EsError
from .query import (
    QueryContext,
    analyze_query_text,
    doc_freq,
    field_body,
    field_stats,
    group_by_position,
    has_norms,
    normalize_keyword,
)
from .scoring import K1, LENGTH_TABLE, B, bm25_scores, encode_lengths, idf, term_weight

Explanation = dict[str, Any]


def _node(value: float, description: str, details: list[Explanation] | None = None) -> Explanation:
    shown = value if isinstance(value, int) else _f32(value)  # counts stay integers, as Lucene's longs
    return {"value": shown, "description": description, "details": details or []}


def _f32(value: float) -> float:
    v = np.float32(value)
    return float(str(v)) if np.isfinite(v) else float(v)


def explain_clause(q: Any, ctx: QueryContext, docnum: int) -> Explanation | None:
    """The Lucene explanation of one query clause for a matching doc, or None when not supported."""
    if not isinstance(q, dict) or len(q) != 1:
        return None
    kind, body = next(iter(q.items()))
    try:
        if kind == "term":
            return _explain_term_query(body, ctx, docnum)
        if kind == "match":
            return _explain_match(body, ctx, docnum)
    except (EsError, ValueError, TypeError, KeyError):
        return None
    return None


def _boost(spec: dict[str, Any]) -> float:
    return float(spec.get("boost", 1.0))


def _explain_term_query(body: Any, ctx: QueryContext, docnum: int) -> Explanation | None:
    name, spec = field_body("term", body, "value")
    f = ctx.field(name)
    if f is None or not (f.is_text or f.is_keyword) or spec.get("case_insensitive") or "value" not in spec:
        return None
    term = normalize_keyword(ctx, f, spec["value"]) if f.is_keyword else str(spec["value"])
    return explain_term(ctx, f.path, term, _boost(spec), docnum, has_norms(f))


def _explain_match(body: Any, ctx: QueryContext, docnum: int) -> Explanation | None:
    name, spec = field_body("match", body, "query")
    f = ctx.field(name)
    if f is None or not f.is_text or spec.get("fuzziness") is not None or "query" not in spec:
        return None
    groups = group_by_position(analyze_query_text(ctx, f, spec["query"], spec.get("analyzer")))
    if not groups or any(len(g) != 1 for g in groups):
        return None  # synonyms are blended (SynonymQuery): not explained here
    norms = has_norms(f)
    parts = [explain_term(ctx, f.path, g[0], _boost(spec), docnum, norms) for g in groups]
    matched = [p for p in parts if p is not None]
    if not matched:
        return None
    if len(groups) == 1:
        return matched[0]
    total = np.float32(0.0)
    for p in matched:
        total = np.float32(total + np.float32(p["value"]))
    return _node(float(total), "sum of:", matched)


def explain_term(ctx: QueryContext, field: str, term: str, boost: float, docnum: int,
                 norms: bool) -> Explanation | None:
    """BM25 explanation of one term in one doc (None when the doc does not contain the term)."""
    inv = ctx.seg.inverted.get(field)
    postings = inv.terms.get(term) if inv is not None else None
    if postings is None:
        return None
    docs = postings.doc_array()
    i = int(np.searchsorted(docs, docnum))
    if i >= len(docs) or int(docs[i]) != docnum:
        return None
    stats = field_stats(ctx, field, norms)
    if stats is None:
        return None
    freq = 1.0 if stats.docs_only else float(postings.freq_array()[i])
    n = doc_freq(ctx, field, term)
    big_n = max(stats.doc_count, 1)
    idf_value = idf(n, big_n)
    weight = term_weight(boost, idf_value)
    boost_value = np.float32(weight / np.float32(idf_value)) if idf_value else np.float32(boost * (1 + K1))
    tf_details = [_node(freq, "freq, occurrences of term within document"), _node(K1, "k1, term saturation parameter")]
    if stats.norm_inv is None:
        tf = np.float32(freq / (freq + K1))
        tf_details.append(_node(0.0, "b, field omits length norms"))
        tf_text = "tf, computed as freq / (freq + k1) from:"
    else:
        norm_inv = np.float32(stats.norm_inv[docnum])
        tf = np.float32(np.float32(freq) * norm_inv / (np.float32(1.0) + np.float32(freq) * norm_inv))
        length = int(inv.lengths[docnum]) if docnum < len(inv.lengths) else 0
        dl = float(LENGTH_TABLE[encode_lengths(np.asarray([length]))][0])
        tf_details += [_node(B, "b, length normalization parameter"), _node(dl, "dl, length of field"),
                       _node(stats.avgdl, "avgdl, average length of field")]
        tf_text = "tf, computed as freq / (freq + k1 * (1 - b + b * dl / avgdl)) from:"
    norm = stats.table[1] if stats.norm_inv is None else stats.norm_inv[docnum]
    score = bm25_scores(np.asarray([freq], dtype=np.float32), norm, weight)[0]
    idf_node = _node(idf_value, "idf, computed as log(1 + (N - n + 0.5) / (n + 0.5)) from:",
                     [_node(n, "n, number of documents containing term"),
                      _node(big_n, "N, total number of documents with field")])
    inner = _node(float(score), f"score(freq={freq}), computed as boost * idf * tf from:",
                  [_node(float(boost_value), "boost"), idf_node, _node(float(tf), tf_text, tf_details)])
    return _node(float(score), f"weight({field}:{term} in {docnum}) [PerFieldSimilarity], result of:", [inner])


__all__ = ["explain_clause", "explain_term"]
