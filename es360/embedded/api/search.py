"""Search APIs: _search and _count (the search executor lives in ..search)."""

from __future__ import annotations

from typing import Any

from ..engine import Engine, Target
from ..errors import EsError, parsing_exception
from ..rest import Request, route
from ..search import Searcher, count_docs


def search_targets(engine: Engine, req: Request, index: str | None) -> list[Target]:
    """Resolve the indices of a search request with its wildcard/unavailable options."""
    return engine.resolve(
        index if index is not None else "_all",
        ignore_unavailable=req.params.get("ignore_unavailable") == "true",
        allow_no_indices=req.params.get("allow_no_indices", "true") != "false",
        expand_wildcards=req.params.get("expand_wildcards", "open"),
    )


@route("GET,POST", "/_search", "/{index}/_search")
def search(engine: Engine, req: Request) -> dict[str, Any]:
    body = req.json_object()
    targets = search_targets(engine, req, req.path_params.get("index"))
    return Searcher(engine, targets, body, req.params).run()


@route("GET,POST", "/_count", "/{index}/_count")
def count(engine: Engine, req: Request) -> dict[str, Any]:
    body = req.json_object()
    for key in body:
        if key != "query":
            raise parsing_exception(f"request does not support [{key}]")
    targets = search_targets(engine, req, req.path_params.get("index"))
    query = body.get("query")
    if query is None and req.params.get("q"):
        query = {"query_string": {"query": req.params["q"]}}
    try:
        total = count_docs(engine, targets, query)
    except EsError:
        raise
    n = len(targets)
    return {"count": total, "_shards": {"total": n, "successful": n, "skipped": 0, "failed": 0}}
