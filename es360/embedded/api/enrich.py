"""The _enrich policy API."""

from __future__ import annotations

from typing import Any

from ..engine import Engine
from ..enrich import service
from ..rest import Request, route


def _pipelines_using(engine: Engine, policy: str) -> list[str]:
    ingest = engine.extensions.get("ingest")
    if ingest is None or not hasattr(ingest, "pipelines_using_policy"):
        return []
    return ingest.pipelines_using_policy(policy)


@route("PUT,POST", "/_enrich/policy/{name}")
def put_policy(engine: Engine, req: Request) -> dict[str, Any]:
    service(engine).put(req.path_params["name"], req.json_object(True))
    return {"acknowledged": True}


@route("GET", "/_enrich/policy", "/_enrich/policy/{name}")
def get_policy(engine: Engine, req: Request) -> dict[str, Any]:
    names = req.path_params.get("name")
    return {"policies": service(engine).get(names.split(",") if names else None)}


@route("DELETE", "/_enrich/policy/{name}")
def delete_policy(engine: Engine, req: Request) -> dict[str, Any]:
    name = req.path_params["name"]
    service(engine).delete(name, _pipelines_using(engine, name))
    return {"acknowledged": True}


@route("PUT,POST", "/_enrich/policy/{name}/_execute")
def execute_policy(engine: Engine, req: Request) -> dict[str, Any]:
    name = req.path_params["name"]
    if req.params.get("wait_for_completion") == "false":
        from .reindex import tasks_of

        task = tasks_of(engine).start("cluster:admin/xpack/enrich/execute", f"enrich [{name}]",
                                      lambda t: _execute_locked(engine, name))
        return {"task": task.task_id}
    service(engine).execute(name)
    return {"status": {"phase": "COMPLETE"}}


def _execute_locked(engine: Engine, name: str) -> dict[str, Any]:
    with engine.lock:
        service(engine).execute(name)
        engine.commit()
    return {"status": {"phase": "COMPLETE"}}


@route("GET", "/_enrich/_stats")
def enrich_stats(engine: Engine, req: Request) -> dict[str, Any]:
    return service(engine).stats()
