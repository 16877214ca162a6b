"""Search APIs: _search (with scroll and point in time), _count, scroll, PIT, _msearch, _knn_search."""

from __future__ import annotations

import time
from typing import Any

from ..contexts import ScrollState, context_missing, parse_keep_alive, registry
from ..engine import Engine, Target
from ..errors import EsError, action_request_validation, illegal_argument, parsing_exception
from ..request_cache import cached_search
from ..rest import Request, Response, parse_json, route
from ..search import Searcher, ShardSearchFailure, continue_scroll, count_docs, start_scroll
from ..security import access as security

MSEARCH_HEADER_KEYS = {"index", "indices", "search_type", "preference", "routing", "request_cache",
                       "allow_no_indices", "expand_wildcards", "ignore_unavailable", "ignore_throttled",
                       "allow_partial_search_results", "ccs_minimize_roundtrips", "max_concurrent_shard_requests",
                       "pre_filter_shard_size", "type"}


def search_targets(engine: Engine, req: Request | None, index: str | list[str] | None,
                   params: dict[str, Any] | None = None) -> list[Target]:
    """Resolve the indices of a search request with its wildcard/unavailable options."""
    p = params if params is not None else (req.params if req is not None else {})
    if security.current() is not None:  # security on: only authorized indices, read through FLS/DLS
        wildcards = p.get("expand_wildcards")
        index = security.narrow_expression(index, expand_wildcards=",".join(wildcards) if isinstance(
            wildcards, list) else wildcards, lenient=str(p.get("ignore_unavailable")).lower() in ("", "true"))
        return security.restrict_targets(_resolve(engine, index, p))
    return _resolve(engine, index, p)


def _resolve(engine: Engine, index: str | list[str] | None, p: dict[str, Any]) -> list[Target]:
    return engine.resolve(
        index if index is not None else "_all",
        ignore_unavailable=str(p.get("ignore_unavailable")).lower() == "true",
        allow_no_indices=str(p.get("allow_no_indices", "true")).lower() != "false",
        expand_wildcards=p.get("expand_wildcards", "open") if not isinstance(p.get("expand_wildcards"), list)
        else ",".join(p["expand_wildcards"]),
    )


def run_search(engine: Engine, index: str | list[str] | None, body: dict[str, Any],
               params: dict[str, Any]) -> dict[str, Any]:
    """One search request (plain, scroll or point in time) as the _search endpoint runs it."""
    contexts = registry(engine)
    scroll = params.get("scroll")
    pit_spec = body.get("pit")
    if pit_spec is not None:
        if not isinstance(pit_spec, dict) or "id" not in pit_spec:
            raise parsing_exception("[pit] requires [id]")
        if index is not None:
            raise action_request_validation(["[indices] cannot be used with point in time. Do not specify any "
                                             "index with point in time."])
        if scroll is not None:
            raise action_request_validation(["using [point in time] is not allowed in a scroll context"])
        keep_alive = parse_keep_alive(engine, pit_spec["keep_alive"]) if pit_spec.get("keep_alive") else None
        pit = contexts.get_pit(str(pit_spec["id"]), keep_alive)
        try:
            response = Searcher(engine, [], body, params, pit=pit).run()
        except EsError as err:
            raise err from None
        return {"pit_id": pit.id, **response}
    if scroll is not None:
        errors = []
        if params.get("request_cache") in ("true", ""):
            errors.append("[request_cache] cannot be used in a scroll context")
        if body.get("size", params.get("size")) in (0, "0"):
            errors.append("[size] cannot be [0] in a scroll context")
        if errors:
            raise action_request_validation(errors)
        keep_alive = parse_keep_alive(engine, scroll, "scroll")
        targets = search_targets(engine, None, index, params)
        frozen = contexts.freeze(targets, keep_alive, "scroll")
        cursor, response = start_scroll(engine, frozen.views, body, params)
        state = ScrollState(frozen.id, frozen, cursor)
        contexts.add_scroll(state)
        return {"_scroll_id": state.id, **response}
    targets = search_targets(engine, None, index, params)
    searcher = Searcher(engine, targets, body, params)
    return cached_search(engine, targets, body, params, searcher, searcher.run)


@route("GET,POST", "/_search", "/{index}/_search")
def search(engine: Engine, req: Request) -> dict[str, Any]:
    body = req.json_object()
    return run_search(engine, req.path_params.get("index"), body, req.params)


@route("GET,POST", "/_count", "/{index}/_count")
def count(engine: Engine, req: Request) -> dict[str, Any]:
    body = req.json_object()
    for key in body:
        if key not in ("query", "stats"):
            raise parsing_exception(f"request does not support [{key}]")
    stats = _stats_groups(body.get("stats", req.params.get("stats")))
    terminate_after = req.int_param("terminate_after")
    if terminate_after is not None and terminate_after <= 0:
        raise illegal_argument("terminateAfter must be > 0")
    targets = search_targets(engine, req, req.path_params.get("index"))
    search_body: dict[str, Any] = {"size": 0, "track_total_hits": True}
    if "query" in body:
        search_body["query"] = body["query"]
    if stats:
        search_body["stats"] = stats
    if req.params.get("min_score"):
        search_body["min_score"] = float(req.params["min_score"])
    params = {k: v for k, v in req.params.items() if k in ("q", "df", "default_operator", "analyzer", "lenient",
                                                           "analyze_wildcard")}
    searcher = Searcher(engine, targets, search_body, params)
    total = cached_search(engine, targets, search_body, params, searcher, searcher.run)["hits"]["total"]["value"]
    if terminate_after is not None:
        total = min(total, terminate_after * max(len(targets), 1))
    n = len(targets)
    return {"count": total, "_shards": {"total": n, "successful": n, "skipped": 0, "failed": 0}}


def _stats_groups(value: Any) -> list[str]:
    """The `stats` groups of a count request: a list of strings or a comma-separated string."""
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise parsing_exception("[stats] must be a string or an array of strings")


# ---- scroll ----------------------------------------------------------------------------------------
def _missing_scroll(scroll_id: str) -> EsError:
    cause = context_missing(scroll_id)
    return ShardSearchFailure(404, "search_phase_execution_exception", "all shards failed", phase="query",
                              grouped=True, failed_shards=[], caused_by=cause)


@route("GET,POST", "/_search/scroll", "/_search/scroll/{scroll_id}")
def scroll(engine: Engine, req: Request) -> dict[str, Any]:
    body = req.json_object()
    for key in body:
        if key not in ("scroll_id", "scroll", "rest_total_hits_as_int"):
            raise parsing_exception(f"Unknown parameter [{key}] in request body or parameter is of the wrong type[")
    scroll_id = body.get("scroll_id") or req.path_params.get("scroll_id") or req.params.get("scroll_id")
    if not scroll_id:
        raise action_request_validation(["scrollId is missing"])
    keep = body.get("scroll", req.params.get("scroll"))
    keep_alive = parse_keep_alive(engine, keep, "scroll") if keep else None
    contexts = registry(engine)
    try:
        state = contexts.get_scroll(str(scroll_id), keep_alive)
    except EsError as err:
        if err.status == 404:
            raise _missing_scroll(str(scroll_id)) from None
        raise
    cursor = state.cursor
    searcher = cursor.searcher
    searcher.params = {**searcher.params, **{k: v for k, v in req.params.items() if k == "rest_total_hits_as_int"}}
    searcher.rest_int = searcher.params.get("rest_total_hits_as_int") in ("true", "")
    response = continue_scroll(cursor)
    return {"_scroll_id": state.id, **response}


@route("DELETE", "/_search/scroll", "/_search/scroll/{scroll_id}")
def clear_scroll(engine: Engine, req: Request) -> Response:
    body = req.json_object()
    ids: Any = body.get("scroll_id")
    if ids is None:
        ids = req.path_params.get("scroll_id") or req.params.get("scroll_id")
    if ids is None:
        raise action_request_validation(["no scroll ids specified"])
    if isinstance(ids, str):
        ids = [i for i in ids.split(",") if i]
    contexts = registry(engine)
    if "_all" in ids:
        freed = contexts.clear_all_scrolls()
        return Response(200, {"succeeded": True, "num_freed": freed})
    freed = sum(1 for i in ids if contexts.clear_scroll(str(i)))
    status = 200 if freed or not ids else 404
    return Response(status, {"succeeded": True, "num_freed": freed})


# ---- point in time ---------------------------------------------------------------------------------
@route("POST", "/{index}/_pit", "/{index}/_open_point_in_time")
def open_pit(engine: Engine, req: Request) -> dict[str, Any]:
    keep = req.params.get("keep_alive")
    if not keep:
        raise action_request_validation(["[keep_alive] is not specified"])
    keep_alive = parse_keep_alive(engine, keep)
    body = req.json_object()
    for key in body:
        if key not in ("index_filter",):
            raise parsing_exception(f"request does not support [{key}]")
    targets = search_targets(engine, req, req.path_params["index"])
    index_filter = body.get("index_filter")
    if index_filter is not None:
        kept = []
        for t in targets:
            if count_docs(engine, [t], index_filter) > 0:
                kept.append(t)
        targets = kept
    pit = registry(engine).open_pit(targets, keep_alive)
    n = len(targets)
    return {"id": pit.id, "_shards": {"total": n, "successful": n, "skipped": 0, "failed": 0}}


@route("DELETE", "/_pit")
def close_pit(engine: Engine, req: Request) -> Response:
    body = req.json_object(required=True)
    pit_id = body.get("id")
    if not pit_id:
        raise action_request_validation(["point in time id must be specified"])
    freed = 1 if registry(engine).close_pit(str(pit_id)) else 0
    return Response(200 if freed else 404, {"succeeded": True, "num_freed": freed})


# ---- msearch ---------------------------------------------------------------------------------------
def _ndjson(raw: bytes) -> list[Any]:
    out = []
    for line in raw.split(b"\n"):
        line = line.strip()
        if not line:
            out.append(None)
            continue
        out.append(parse_json(line))
    while out and out[-1] is None:
        out.pop()
    return out


@route("GET,POST", "/_msearch", "/{index}/_msearch")
def msearch(engine: Engine, req: Request) -> dict[str, Any]:
    start = time.perf_counter()
    if not req.has_body:
        raise action_request_validation(["no requests added"])
    lines = _ndjson(req.body)
    path_index = req.path_params.get("index")
    items: list[tuple[dict[str, Any], dict[str, Any]]] = []
    i = 0
    while i < len(lines):
        header = lines[i]
        if header is None:
            header = {}
        if not isinstance(header, dict):
            raise parsing_exception("msearch header must be an object")
        for key in header:
            if key not in MSEARCH_HEADER_KEYS:
                raise illegal_argument(f"key [{key}] is not supported in the metadata section")
        body = lines[i + 1] if i + 1 < len(lines) else None
        if body is None:
            body = {}
        if not isinstance(body, dict):
            raise parsing_exception("msearch body must be an object")
        items.append((header, body))
        i += 2
    if not items:
        raise action_request_validation(["no requests added"])
    responses = []
    url_params = {k: v for k, v in req.params.items() if k in ("rest_total_hits_as_int", "typed_keys",
                                                                 "search_type", "ccs_minimize_roundtrips")}
    for header, body in items:
        index = header.get("index", header.get("indices", path_index))
        params = dict(url_params)
        for key in ("search_type", "request_cache", "allow_no_indices", "expand_wildcards", "ignore_unavailable",
                    "preference", "routing"):
            if key in header:
                value = header[key]
                params[key] = ("true" if value else "false") if isinstance(value, bool) else value
        if isinstance(index, list):
            index = ",".join(index)
        try:
            result = run_search(engine, index, body, params)
            result["status"] = 200
            responses.append(result)
        except EsError as err:
            error_body = err.body()
            responses.append({"error": error_body["error"], "status": err.status})
    return {"took": int((time.perf_counter() - start) * 1000), "responses": responses}


# ---- the deprecated kNN search endpoint ------------------------------------------------------------
@route("GET,POST", "/{index}/_knn_search")
def knn_search(engine: Engine, req: Request) -> Response:
    body = req.json_object(required=True)
    for key in body:
        if key not in ("knn", "filter", "_source", "fields", "docvalue_fields", "stored_fields"):
            raise parsing_exception(f"Unknown key for a START_OBJECT in [{key}].")
    if "knn" not in body:
        raise action_request_validation(["[knn] is required"])
    knn = dict(body["knn"]) if isinstance(body["knn"], dict) else body["knn"]
    if isinstance(knn, dict) and body.get("filter") is not None:
        knn["filter"] = body["filter"]
    search_body: dict[str, Any] = {"knn": knn, "size": int(knn.get("k", 10)) if isinstance(knn, dict) else 10}
    for key in ("_source", "fields", "docvalue_fields", "stored_fields"):
        if key in body:
            search_body[key] = body[key]
    result = run_search(engine, req.path_params["index"], search_body, dict(req.params))
    warning = '299 Elasticsearch-8.15.0 "The kNN search API has been replaced by the `knn` option in the search API."'
    return Response(200, result, headers={"Warning": warning})


__all__ = ["run_search", "search_targets"]
