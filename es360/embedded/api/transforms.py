"""The _transform API."""

from __future__ import annotations

from typing import Any

from ..engine import Engine
from ..rest import Request, route
from ..transforms import service, validate_ids


@route("PUT", "/_transform/{transform_id}")
def put_transform(engine: Engine, req: Request) -> dict[str, Any]:
    tid = req.path_params["transform_id"]
    validate_ids(tid)
    service(engine).put(tid, req.json_object(True), req.flag("defer_validation"))
    return {"acknowledged": True}


@route("GET", "/_transform", "/_transform/{transform_id}")
def get_transforms(engine: Engine, req: Request) -> dict[str, Any]:
    svc = service(engine)
    ids = svc.matching(req.path_params.get("transform_id"))
    start, size = req.int_param("from", 0) or 0, req.int_param("size", 100) or 100
    return {"count": len(ids), "transforms": [svc.describe(t) for t in ids[start:start + size]]}


@route("GET", "/_transform/{transform_id}/_stats")
def transform_stats(engine: Engine, req: Request) -> dict[str, Any]:
    svc = service(engine)
    ids = svc.matching(req.path_params.get("transform_id"))
    return {"count": len(ids), "transforms": [svc.stats(t) for t in ids]}


@route("DELETE", "/_transform/{transform_id}")
def delete_transform(engine: Engine, req: Request) -> dict[str, Any]:
    service(engine).delete(req.path_params["transform_id"], req.flag("force"), req.flag("delete_dest_index"))
    return {"acknowledged": True}


@route("POST", "/_transform/{transform_id}/_update")
def update_transform(engine: Engine, req: Request) -> dict[str, Any]:
    return service(engine).update(req.path_params["transform_id"], req.json_object(True))


@route("POST", "/_transform/{transform_id}/_start")
def start_transform(engine: Engine, req: Request) -> dict[str, Any]:
    service(engine).start(req.path_params["transform_id"])
    return {"acknowledged": True}


@route("POST", "/_transform/{transform_id}/_stop")
def stop_transform(engine: Engine, req: Request) -> dict[str, Any]:
    svc = service(engine)
    for tid in svc.matching(req.path_params["transform_id"]):
        svc.stop(tid, req.flag("wait_for_completion"))
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
    svc = service(engine)
    if "transform_id" in req.path_params:
        return svc.preview(svc.config(req.path_params["transform_id"]))
    return svc.preview(req.json_object(True))
