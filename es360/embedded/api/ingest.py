"""The _ingest APIs: pipeline CRUD, _simulate (pipeline and ingest), and the grok pattern listing."""

from __future__ import annotations

from typing import Any

from ..engine import Engine
from ..errors import EsError
from ..ingest import IngestService, install
from ..ingest.grok import PATTERNS
from ..rest import Request, Response, route


def _service(engine: Engine) -> IngestService:
    service = engine.extensions.get("ingest")
    if not isinstance(service, IngestService):
        service = install(engine)
    return service


@route("PUT", "/_ingest/pipeline/{id}")
def put_pipeline(engine: Engine, req: Request) -> dict[str, Any]:
    if_version = req.int_param("if_version")
    req.param("master_timeout")
    req.param("timeout")
    _service(engine).put_pipeline(req.path_params["id"], req.json(True), if_version)
    return {"acknowledged": True}


@route("GET", "/_ingest/pipeline", "/_ingest/pipeline/{id}")
def get_pipeline(engine: Engine, req: Request) -> Response:
    expression = req.path_params.get("id")
    found = _service(engine).get_pipelines(expression)
    if req.flag("summary"):
        found = {k: {} for k in found}
    if not found and expression not in (None, "*", "_all"):
        return Response(404, {})
    return Response(200, found)


@route("DELETE", "/_ingest/pipeline/{id}")
def delete_pipeline(engine: Engine, req: Request) -> dict[str, Any]:
    _service(engine).delete_pipelines(req.path_params["id"])
    return {"acknowledged": True}


@route("GET,POST", "/_ingest/pipeline/_simulate", "/_ingest/pipeline/{id}/_simulate")
def simulate_pipeline(engine: Engine, req: Request) -> dict[str, Any]:
    body = req.json_object(True)
    return _service(engine).simulate(body, req.path_params.get("id"), req.flag("verbose"))


@route("GET,POST", "/_ingest/_simulate", "/_ingest/{index}/_simulate")
def simulate_ingest(engine: Engine, req: Request) -> dict[str, Any]:
    body = req.json_object(True)
    return _service(engine).simulate_ingest(body, req.path_params.get("index"), req.param("pipeline"))


@route("GET", "/_ingest/processor/grok")
def grok_patterns(engine: Engine, req: Request) -> dict[str, Any]:
    ecs = req.param("ecs_compatibility", "disabled")
    if ecs not in ("disabled", "v1"):
        raise EsError(400, "illegal_argument_exception", f"unsupported ECS compatibility mode [{ecs}]")
    patterns = dict(sorted(PATTERNS.items())) if req.flag("s") else dict(PATTERNS)
    return {"patterns": patterns}


# ---- GeoIP / IP location database configurations (stored only: no database is ever downloaded) -----
_DB_KIND = "ip_location_database"
_PROVIDERS = ("maxmind", "ipinfo", "web", "local")


def _databases(engine: Engine) -> dict[str, Any]:
    found = engine.extensions.get("ip_location_databases")
    if found is None:
        found = engine.extensions["ip_location_databases"] = engine.store.load_objects(_DB_KIND)
    return found


@route("PUT", "/_ingest/geoip/database/{id}", "/_ingest/ip_location/database/{id}")
def put_ip_database(engine: Engine, req: Request) -> dict[str, Any]:
    db_id = req.path_params["id"]
    body = req.json_object(True)
    if db_id.startswith("_web_") or db_id.startswith("_local_"):
        raise EsError(400, "illegal_argument_exception",
                      f"Database id [{db_id}] is reserved and cannot be used for a database configuration")
    for key in body:
        if key not in ("name", *_PROVIDERS):
            raise EsError(400, "x_content_parse_exception", f"[database] unknown field [{key}]")
    name = body.get("name")
    if not isinstance(name, str) or not name:
        raise EsError(400, "action_request_validation_exception", "Validation Failed: 1: invalid name [null];")
    providers = [p for p in _PROVIDERS if p in body]
    if len(providers) != 1 or providers[0] in ("web", "local"):
        raise EsError(400, "illegal_argument_exception", "Exactly one provider object must be specified, and it "
                                                         "must be one of [maxmind, ipinfo]")
    import time

    stored = {"modified_date_millis": int(time.time() * 1000), "database": body}
    _databases(engine)[db_id] = stored
    engine.store.put_object(_DB_KIND, db_id, stored)
    return {"acknowledged": True}


@route("GET", "/_ingest/geoip/database", "/_ingest/geoip/database/{id}", "/_ingest/ip_location/database",
       "/_ingest/ip_location/database/{id}")
def get_ip_databases(engine: Engine, req: Request) -> dict[str, Any]:
    stored = _databases(engine)
    wanted = req.path_params.get("id")
    ids = sorted(stored) if wanted in (None, "*", "_all") else [i for i in wanted.split(",") if i]
    missing = [i for i in ids if i not in stored]
    if missing:
        raise EsError(404, "resource_not_found_exception", f"database configuration or download not found for "
                                                           f"[{','.join(missing)}]")
    return {"databases": [{"id": i, "version": 1, **stored[i]} for i in ids]}


@route("DELETE", "/_ingest/geoip/database/{id}", "/_ingest/ip_location/database/{id}")
def delete_ip_database(engine: Engine, req: Request) -> dict[str, Any]:
    stored = _databases(engine)
    db_id = req.path_params["id"]
    if db_id not in stored:
        raise EsError(404, "resource_not_found_exception", f"Database configuration not found: {db_id}")
    del stored[db_id]
    engine.store.delete_object(_DB_KIND, db_id)
    return {"acknowledged": True}


@route("GET", "/_ingest/geoip/stats")
def geoip_stats(engine: Engine, req: Request) -> dict[str, Any]:
    from .indices import NODE_ID

    return {"stats": {"successful_downloads": 0, "failed_downloads": 0, "total_download_time": 0,
                      "databases_count": 0, "skipped_updates": 0, "expired_databases": 0},
            "nodes": {NODE_ID: {"databases": [], "files_in_temp": []}}}
