"""Cluster-level APIs: root info, health, and _cat/indices."""

from __future__ import annotations

from typing import Any

from .. import ES_VERSION, LUCENE_VERSION
from ..engine import Engine
from ..errors import EsError
from ..rest import Request, Response, route

CLUSTER_NAME = "es360-embedded"
CLUSTER_UUID = "es360-embedded-cluster"


@route("GET,HEAD", "/")
def info(engine: Engine, req: Request) -> Response:
    body = {
        "name": "es360-embedded",
        "cluster_name": CLUSTER_NAME,
        "cluster_uuid": CLUSTER_UUID,
        "version": {
            "number": ES_VERSION,
            "build_flavor": "default",
            "build_type": "embedded",
            "build_hash": "es360",
            "build_date": "2024-12-11T12:08:05.663969764Z",
            "build_snapshot": False,
            "lucene_version": LUCENE_VERSION,
            "minimum_wire_compatibility_version": "7.17.0",
            "minimum_index_compatibility_version": "7.0.0",
        },
        "tagline": "You Know, for Search",
    }
    return Response(200, None if req.method == "HEAD" else body)


@route("GET", "/_cluster/health", "/_cluster/health/{index}")
def health(engine: Engine, req: Request) -> Response:
    wanted = req.param("wait_for_status")
    if wanted is not None and wanted not in ("green", "yellow", "red"):
        raise EsError(400, "illegal_argument_exception", f"unknown cluster health status [{wanted}]")
    if "index" in req.path_params:
        targets = engine.resolve(req.path_params["index"], ignore_unavailable=False, allow_no_indices=True)
    else:
        targets = engine.resolve("*", expand_wildcards="all")
    level = req.param("level", "cluster")
    count = len(targets)
    # a single node: primaries active, replicas (default 1) unassigned -> yellow, as on a 1-node ES
    unassigned = sum(_replicas(t.index) for t in targets)
    status = "yellow" if unassigned else "green"
    body: dict[str, Any] = {
        "cluster_name": CLUSTER_NAME,
        "status": status,
        "timed_out": False,
        "number_of_nodes": 1,
        "number_of_data_nodes": 1,
        "active_primary_shards": count,
        "active_shards": count,
        "relocating_shards": 0,
        "initializing_shards": 0,
        "unassigned_shards": unassigned,
        "unassigned_primary_shards": 0,
        "delayed_unassigned_shards": 0,
        "number_of_pending_tasks": 0,
        "number_of_in_flight_fetch": 0,
        "task_max_waiting_in_queue_millis": 0,
        "active_shards_percent_as_number": 100.0 if not count else 100.0 * count / (count + unassigned),
    }
    if level in ("indices", "shards"):
        body["indices"] = {
            t.index.name: {"status": "yellow" if _replicas(t.index) else "green", "number_of_shards": 1,
                           "number_of_replicas": _replicas(t.index), "active_primary_shards": 1,
                           "active_shards": 1, "relocating_shards": 0, "initializing_shards": 0,
                           "unassigned_shards": _replicas(t.index), "unassigned_primary_shards": 0}
            for t in targets
        }
    return Response(200, body)


def _replicas(index: Any) -> int:
    value = index.setting("number_of_replicas", "1")
    auto = index.setting("auto_expand_replicas")
    if auto and str(auto).startswith("0-"):
        return 0
    return int(value)


CAT_INDEX_COLUMNS = ["health", "status", "index", "uuid", "pri", "rep", "docs.count", "docs.deleted",
                     "store.size", "pri.store.size", "dataset.size"]


@route("GET", "/_cat/indices", "/_cat/indices/{index}")
def cat_indices(engine: Engine, req: Request) -> Response:
    expand = req.param("expand_wildcards") or "all"
    targets = engine.resolve(req.path_params.get("index", "*"), expand_wildcards=expand)
    rows = []
    for t in sorted(targets, key=lambda t: t.index.name):
        idx = t.index
        size = sum(len(s) for s in idx.sources if s)
        rows.append({
            "health": "yellow" if _replicas(idx) else "green",
            "status": "close" if idx.closed else "open",
            "index": idx.name, "uuid": idx.uuid, "pri": "1", "rep": str(_replicas(idx)),
            "docs.count": str(idx.doc_count), "docs.deleted": str(idx.segment.deleted),
            "store.size": _bytes(size, req), "pri.store.size": _bytes(size, req), "dataset.size": _bytes(size, req),
        })
    return cat_response(req, rows, CAT_INDEX_COLUMNS)


def _bytes(size: int, req: Request) -> str:
    unit = req.params.get("bytes")
    if unit == "b":
        return str(size)
    if unit == "kb":
        return str(size // 1024)
    if size < 1024:
        return f"{size}b"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f}kb"
    return f"{size / 1024 / 1024:.1f}mb"


def cat_response(req: Request, rows: list[dict[str, Any]], columns: list[str]) -> Response:
    """Render _cat rows as JSON (format=json) or ES's aligned text table (`v` for headers, `h` to pick)."""
    if req.params.get("h"):
        columns = [c for c in req.params["h"].split(",") if c]
    rows = [{c: r.get(c) for c in columns} for r in rows]
    if req.params.get("s"):
        for key in reversed(req.params["s"].split(",")):
            name, _, order = key.partition(":")
            rows.sort(key=lambda r, n=name: str(r.get(n) or ""), reverse=order == "desc")
    if req.params.get("format") == "json":
        return Response(200, rows)
    table = [columns] if req.params.get("v") in ("", "true") else []
    table += [[str(r.get(c) if r.get(c) is not None else "") for c in columns] for r in rows]
    if not table:
        return Response(200, "", "text/plain; charset=UTF-8")
    widths = [max(len(row[i]) for row in table) for i in range(len(columns))]
    lines = [" ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in table]
    return Response(200, "\n".join(lines) + "\n", "text/plain; charset=UTF-8")
