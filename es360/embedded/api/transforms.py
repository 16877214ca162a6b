"""The _transform API and `_cat/transforms`."""

from __future__ import annotations

from typing import Any

from ..engine import Engine
from ..errors import action_request_validation
from ..rest import Request, Response, route
from ..transforms import service
from .cluster import cat_response

MAX_PAGE_SIZE = 1000

# (column, aliases, shown by default) as ES's RestCatTransformAction declares them
CAT_COLUMNS: list[tuple[str, tuple[str, ...], bool]] = [
    ("id", (), True),
    ("state", ("s",), True),
    ("checkpoint", ("c",), True),
    ("documents_processed", ("docp", "documentsProcessed"), True),
    ("checkpoint_progress", ("cp", "checkpointProgress"), True),
    ("last_search_time", ("lst", "lastSearchTime"), True),
    ("changes_last_detection_time", ("cldt",), True),
    ("create_time", ("ct", "createTime"), False),
    ("version", ("v",), False),
    ("source_index", ("si", "sourceIndex"), False),
    ("dest_index", ("di", "destIndex"), False),
    ("pipeline", ("p",), False),
    ("description", ("d",), False),
    ("transform_type", ("tt",), False),
    ("frequency", ("f",), False),
    ("max_page_search_size", ("mpsz",), False),
    ("docs_per_second", ("dps",), False),
    ("reason", ("r",), False),
    ("search_total", ("st",), False),
    ("search_failure", ("sf",), False),
    ("search_time", ("stime",), False),
    ("index_total", ("it",), False),
    ("index_failure", ("if",), False),
    ("index_time", ("itime",), False),
    ("documents_indexed", ("doci",), False),
    ("delete_time", ("dtime",), False),
    ("documents_deleted", ("docd",), False),
    ("trigger_count", ("tc",), False),
    ("pages_processed", ("pp",), False),
    ("processing_time", ("pt",), False),
    ("checkpoint_duration_time_exp_avg", ("cdtea", "checkpointTimeExpAvg"), False),
    ("indexed_documents_exp_avg", ("idea",), False),
    ("processed_documents_exp_avg", ("pdea",), False),
]


def _page(req: Request) -> tuple[int, int]:
    start, size = req.int_param("from", 0) or 0, req.int_param("size", 100)
    size = 100 if size is None else size
    if size > MAX_PAGE_SIZE:
        raise action_request_validation([f"Param [size] has a max acceptable value of [{MAX_PAGE_SIZE}]"])
    if start < 0 or size < 0:
        raise action_request_validation(["Parameter [from] cannot be < 0" if start < 0 else
                                         "Parameter [size] cannot be < 0"])
    return start, size


@route("PUT", "/_transform/{transform_id}")
def put_transform(engine: Engine, req: Request) -> dict[str, Any]:
    service(engine).put(req.path_params["transform_id"], req.json(True), req.flag("defer_validation"))
    return {"acknowledged": True}


@route("GET", "/_transform", "/_transform/{transform_id}")
def get_transforms(engine: Engine, req: Request) -> dict[str, Any]:
    svc = service(engine)
    start, size = _page(req)
    ids = svc.matching(req.path_params.get("transform_id"), req.flag("allow_no_match", True))
    exclude = req.flag("exclude_generated")
    return {"count": len(ids), "transforms": [svc.describe(t, exclude) for t in ids[start:start + size]]}


@route("GET", "/_transform/{transform_id}/_stats")
def transform_stats(engine: Engine, req: Request) -> dict[str, Any]:
    svc = service(engine)
    start, size = _page(req)
    ids = svc.matching(req.path_params.get("transform_id"), req.flag("allow_no_match", True))
    return {"count": len(ids), "transforms": [svc.stats(t) for t in ids[start:start + size]]}


@route("DELETE", "/_transform/{transform_id}")
def delete_transform(engine: Engine, req: Request) -> dict[str, Any]:
    service(engine).delete(req.path_params["transform_id"], req.flag("force"), req.flag("delete_dest_index"))
    return {"acknowledged": True}


@route("POST", "/_transform/{transform_id}/_update")
def update_transform(engine: Engine, req: Request) -> dict[str, Any]:
    return service(engine).update(req.path_params["transform_id"], req.json(True), req.flag("defer_validation"))


@route("POST", "/_transform/{transform_id}/_start")
def start_transform(engine: Engine, req: Request) -> dict[str, Any]:
    service(engine).start(req.path_params["transform_id"])
    return {"acknowledged": True}


@route("POST", "/_transform/{transform_id}/_stop")
def stop_transform(engine: Engine, req: Request) -> dict[str, Any]:
    force, checkpoint = req.flag("force"), req.flag("wait_for_checkpoint")
    if force and checkpoint:
        raise action_request_validation(["cannot set both [force] and [wait_for_checkpoint] to true"])
    svc = service(engine)
    for tid in svc.matching(req.path_params["transform_id"], req.flag("allow_no_match", True)):
        svc.stop(tid, req.flag("wait_for_completion"), force)
    return {"acknowledged": True}


@route("POST", "/_transform/{transform_id}/_schedule_now")
def schedule_now(engine: Engine, req: Request) -> dict[str, Any]:
    service(engine).schedule_now(req.path_params["transform_id"])
    return {"acknowledged": True}


@route("POST", "/_transform/{transform_id}/_reset")
def reset_transform(engine: Engine, req: Request) -> dict[str, Any]:
    service(engine).reset(req.path_params["transform_id"], req.flag("force"))
    return {"acknowledged": True}


@route("GET,POST", "/_transform/_preview", "/_transform/{transform_id}/_preview")
def preview_transform(engine: Engine, req: Request) -> dict[str, Any]:
    body = req.json() if req.has_body else None
    return service(engine).preview(body, req.path_params.get("transform_id"))


@route("POST", "/_transform/_upgrade")
def upgrade_transforms(engine: Engine, req: Request) -> dict[str, Any]:
    return service(engine).upgrade(req.flag("dry_run"))


@route("GET", "/_transform/_node_stats")
def transform_node_stats(engine: Engine, req: Request) -> dict[str, Any]:
    return service(engine).node_stats()


@route("GET", "/_cat/transforms", "/_cat/transforms/{transform_id}")
def cat_transforms(engine: Engine, req: Request) -> Response:
    svc = service(engine)
    start, size = _page(req)
    ids = svc.matching(req.path_params.get("transform_id"), req.flag("allow_no_match", True))
    rows = [svc.cat_row(t) for t in ids[start:start + size]]
    return cat_response(req, rows, CAT_COLUMNS)

