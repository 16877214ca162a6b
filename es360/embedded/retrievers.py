"""Retrievers: `standard`, `knn` and `rrf` (reciprocal rank fusion), plus the legacy `rank: {rrf}`.

A top-level `standard` or `knn` retriever is folded into the search itself (its query, filter,
min_score, sort... become the request's). An `rrf` retriever runs each child retriever as its own
search (top `rank_window_size` across all indices), then scores every document by
Σ 1 / (rank_constant + rank) over the children that returned it (rank starts at 1). The fused
documents carry that score; every other document any child matched stays in the result set with
score 0, so hits.total and aggregations cover the union, as in Elasticsearch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import action_request_validation, illegal_argument, parsing_exception, x_content_parse
from .query import INT, DocSet

DEFAULT_RANK_WINDOW_SIZE = 10
DEFAULT_RANK_CONSTANT = 60
CONFLICTS = ["query", "knn", "search_after", "terminate_after", "sort", "rescore", "min_score"]
STANDARD_KEYS = {"query", "filter", "min_score", "sort", "search_after", "terminate_after", "collapse", "_name",
                 "rescore"}
KNN_KEYS = {"field", "query_vector", "k", "num_candidates", "filter", "similarity", "_name", "query_vector_builder",
            "rescore_vector", "boost"}
RRF_KEYS = {"retrievers", "rank_window_size", "rank_constant", "filter", "_name", "min_score"}


@dataclass
class Retriever:
    kind: str
    spec: dict[str, Any]
    children: list[Retriever] = field(default_factory=list)
    window: int = DEFAULT_RANK_WINDOW_SIZE
    constant: int = DEFAULT_RANK_CONSTANT
    legacy: bool = False


def parse(spec: Any, *, top: bool = False) -> Retriever:
    if not isinstance(spec, dict) or len(spec) != 1:
        raise parsing_exception("[retriever] must contain exactly one retriever")
    kind, body = next(iter(spec.items()))
    if not isinstance(body, dict):
        raise parsing_exception(f"[{kind}] retriever must be an object")
    if kind == "standard":
        for key in body:
            if key not in STANDARD_KEYS:
                raise x_content_parse(f"[standard] unknown field [{key}]")
        return Retriever("standard", body)
    if kind == "knn":
        for key in body:
            if key not in KNN_KEYS:
                raise x_content_parse(f"[knn] unknown field [{key}]")
        for required in ("field", "k", "num_candidates"):
            if required not in body:
                raise x_content_parse(f"[knn] Required [{required}]")
        return Retriever("knn", body)
    if kind == "rrf":
        for key in body:
            if key not in RRF_KEYS:
                raise x_content_parse(f"[rrf] unknown field [{key}]")
        children = body.get("retrievers")
        if not isinstance(children, list) or not children:
            raise x_content_parse("[rrf] Required [retrievers]")
        window = int(body.get("rank_window_size", DEFAULT_RANK_WINDOW_SIZE))
        constant = int(body.get("rank_constant", DEFAULT_RANK_CONSTANT))
        if constant < 1:
            raise illegal_argument("[rank_constant] must be greater or equal to [1] for [rrf]")
        if window < 1:
            raise illegal_argument("[rank_window_size] must be greater than or equal to [1]")
        return Retriever("rrf", body, [parse(c) for c in children], window, constant)
    raise parsing_exception(f"unknown retriever [{kind}]")


def parse_request(searcher: Any, body: dict[str, Any]) -> Retriever | None:
    """Validate `retriever`/`rank`; fold standard/knn retrievers into the searcher; return an rrf to run."""
    if body.get("retriever") is not None:
        conflicting = [k for k in CONFLICTS if body.get(k) is not None]
        if conflicting:
            raise illegal_argument(f"cannot specify [retriever] and [{', '.join(conflicting)}]")
        if body.get("rank") is not None:
            raise illegal_argument("cannot specify [retriever] and [rank]")
        retriever = parse(body["retriever"], top=True)
        if retriever.kind == "standard":
            _fold_standard(searcher, retriever.spec)
            return None
        if retriever.kind == "knn":
            _fold_knn(searcher, retriever.spec)
            return None
        if searcher.from_ + searcher.size > retriever.window:
            raise action_request_validation([
                f"[rrf] requires [rank_window_size: {retriever.window}] be greater than or equal to "
                f"[size: {searcher.from_ + searcher.size}]"])
        return retriever
    # legacy rank: {rrf: {...}} with sub_searches and/or query + knn
    rank = body["rank"]
    if not isinstance(rank, dict) or list(rank) != ["rrf"]:
        raise parsing_exception("[rank] only [rrf] is supported")
    opts = rank["rrf"] or {}
    window = int(opts.get("rank_window_size", opts.get("window_size", max(DEFAULT_RANK_WINDOW_SIZE,
                                                                        searcher.from_ + searcher.size))))
    constant = int(opts.get("rank_constant", DEFAULT_RANK_CONSTANT))
    children: list[Retriever] = []
    for sub in body.get("sub_searches") or []:
        if not isinstance(sub, dict) or "query" not in sub:
            raise parsing_exception("[sub_searches] each sub search requires a [query]")
        children.append(Retriever("standard", {"query": sub["query"]}))
    if body.get("query") is not None:
        children.append(Retriever("standard", {"query": body["query"]}))
    for spec in searcher.knn_specs:
        children.append(Retriever("knn_spec", {"spec": spec}))
    if len(children) < 2:
        raise illegal_argument("[rank] requires a minimum of [2] result sets using a combination of sub searches "
                               "and/or knn searches")
    if body.get("sort") is not None:
        raise illegal_argument("[rank] cannot be used with [sort]")
    searcher.query = None
    searcher.knn_specs = []
    return Retriever("rrf", opts, children, window, constant, legacy=True)


def _fold_standard(searcher: Any, spec: dict[str, Any]) -> None:
    from .search import parse_sort

    query = spec.get("query")
    filters = spec.get("filter")
    if filters is not None:
        flist = filters if isinstance(filters, list) else [filters]
        query = {"bool": {"must": [query] if query is not None else [{"match_all": {}}], "filter": flist}}
    searcher.query = query
    if spec.get("min_score") is not None:
        searcher.min_score = spec["min_score"]
    if spec.get("sort") is not None:
        searcher.sort = parse_sort(spec["sort"])
    if spec.get("search_after") is not None:
        searcher.search_after = spec["search_after"]
    if spec.get("terminate_after") is not None:
        searcher.terminate_after = int(spec["terminate_after"])
    if spec.get("collapse") is not None:
        searcher.body = {**searcher.body, "collapse": spec["collapse"]}


def _fold_knn(searcher: Any, spec: dict[str, Any]) -> None:
    from . import vectors

    body = {k: v for k, v in spec.items() if k != "_name"}
    parsed = vectors.parse_knn(body, int(spec["k"]))
    parsed.name = spec.get("_name")
    searcher.knn_specs = [parsed]
    searcher.query = None


def _child_body(child: Retriever, window: int) -> dict[str, Any]:
    if child.kind == "standard":
        spec = child.spec
        query = spec.get("query")
        filters = spec.get("filter")
        if filters is not None:
            flist = filters if isinstance(filters, list) else [filters]
            query = {"bool": {"must": [query] if query is not None else [{"match_all": {}}], "filter": flist}}
        body: dict[str, Any] = {"size": window, "track_total_hits": True, "_source": False}
        if query is not None:
            body["query"] = query
        for key in ("min_score", "sort", "terminate_after", "collapse"):
            if spec.get(key) is not None:
                body[key] = spec[key]
        return body
    if child.kind == "knn":
        body = {k: v for k, v in child.spec.items() if k != "_name"}
        return {"knn": body, "size": window, "track_total_hits": True, "_source": False}
    raise AssertionError(child.kind)


def _ranked(searcher: Any, child: Retriever, window: int) -> tuple[list[tuple[str, int, float]],
                                                                   dict[str, np.ndarray]]:
    """A child's top `window` (index uuid, docnum, score) and all the docs it matched per index."""
    from .search import Searcher

    if child.kind == "rrf":
        fused = evaluate(searcher, child)
        rows = []
        matched: dict[str, np.ndarray] = {}
        for uuid, ds in fused.items():
            matched[uuid] = ds.docs
            keep = ds.scores > 0
            rows.extend((uuid, int(d), float(s)) for d, s in zip(ds.docs[keep].tolist(), ds.scores[keep].tolist(),
                                                                strict=True))
        rows.sort(key=lambda r: -r[2])
        return rows[:window], matched
    if child.kind == "knn_spec":
        sub = Searcher(searcher.engine, searcher.targets, {"size": window, "_source": False}, {}, searcher.snapshot,
                       views=searcher.views)
        sub.knn_specs = [child.spec["spec"]]
    else:
        sub = Searcher(searcher.engine, searcher.targets, _child_body(child, window), {}, searcher.snapshot,
                       views=searcher.views)
    shards = sub.execute_shards()
    ranked = [sub.rank(s, window) for s in shards]
    rows = sub.merge(shards, ranked)[:window]
    out = [(shards[s].target.index.uuid, doc, score) for s, doc, score, _ in rows]
    matched = {s.target.index.uuid: s.docset.docs for s in shards}
    return out, matched


def evaluate(searcher: Any, retriever: Retriever) -> dict[str, DocSet]:
    """Per index uuid: the fused DocSet (rrf scores; 0 for matched docs outside every window)."""
    window = retriever.window
    scores: dict[tuple[str, int], float] = {}
    matched_all: dict[str, list[np.ndarray]] = {}
    for child in retriever.children:
        rows, matched = _ranked(searcher, child, window)
        for rank, (uuid, doc, _score) in enumerate(rows, start=1):
            scores[(uuid, doc)] = scores.get((uuid, doc), 0.0) + 1.0 / (retriever.constant + rank)
        for uuid, docs in matched.items():
            matched_all.setdefault(uuid, []).append(docs)
    out: dict[str, DocSet] = {}
    for target in searcher.targets:
        uuid = target.index.uuid
        parts = matched_all.get(uuid, [])
        docs = np.unique(np.concatenate(parts)).astype(INT) if parts else np.zeros(0, dtype=INT)
        values = np.asarray([scores.get((uuid, int(d)), 0.0) for d in docs.tolist()], dtype=np.float32)
        out[uuid] = DocSet(docs, values)
    if retriever.legacy:
        searcher._legacy_rank = True
    return out


def highlight_query(retriever: Retriever) -> Any:
    """A query combining the standard retrievers' queries (what highlighting should mark)."""
    queries: list[Any] = []
    _queries(retriever, queries)
    if not queries:
        return None
    return queries[0] if len(queries) == 1 else {"bool": {"should": queries}}


def _queries(r: Retriever, out: list[Any]) -> None:
    if r.kind == "standard" and r.spec.get("query") is not None:
        out.append(r.spec["query"])
    for child in r.children:
        _queries(child, out)


__all__ = ["Retriever", "parse", "parse_request", "evaluate", "highlight_query"]
