"""Single-document APIs: index, create, get, exists, delete, update, _source, _mget."""

from __future__ import annotations

import copy
import secrets
from typing import Any

from ..engine import Engine
from ..errors import EsError, action_request_validation, did_you_mean, illegal_argument, index_not_found
from ..fetch import stored_field_values
from ..index import Index
from ..rest import Request, Response, route
from ..security import access as security
from ..source_filter import filter_source, parse_source_param

WRITE_PARAMS = ("routing", "if_seq_no", "if_primary_term", "version", "version_type")


def new_id() -> str:
    """An auto-generated document id (20 url-safe characters, like ES's)."""
    return secrets.token_urlsafe(15)


def write_options(params: dict[str, Any]) -> dict[str, Any]:
    """Extract concurrency/versioning options from URL params or bulk metadata."""
    out: dict[str, Any] = {}
    for key in ("if_seq_no", "if_primary_term", "version"):
        value = params.get(key)
        if value is not None and value != "":
            try:
                out[key] = int(value)
            except (TypeError, ValueError):
                raise illegal_argument(f"Failed to parse [{key}] with value [{value}]") from None
    if params.get("version_type"):
        vt = str(params["version_type"])
        if vt not in ("internal", "external", "external_gte", "force"):
            raise illegal_argument(f"No version type match [{vt}]")
        out["version_type"] = vt
    if params.get("routing") is not None:
        out["routing"] = str(params["routing"])
    templates = params.get("dynamic_templates")
    if templates is not None:
        if not isinstance(templates, dict) or not all(type(v) is str for v in templates.values()):
            raise illegal_argument("[dynamic_templates] must be an object of field names to template names")
        if templates:
            out["dynamic_templates"] = templates
    if out.get("version_type") in ("external", "external_gte") and "version" not in out:
        raise action_request_validation(["an external version is required"])
    if "if_seq_no" in out and out["if_seq_no"] < 0:
        raise action_request_validation(["ifSeqNo must be non negative"])
    return out


class WriteTargets:
    """Write-target resolution memoized for one bulk request.

    Within a bulk request the only metadata change is an index being auto-created (which may also
    add aliases from its template), so answers are kept until the number of indices changes.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._generation = -1
        self._aliases: set[str] | None = None
        self._writers: dict[str, Index] = {}

    def _current(self) -> None:
        generation = len(self.engine.indices)
        if generation != self._generation:
            self._generation = generation
            self._aliases = None
            self._writers.clear()

    def alias_names(self) -> set[str]:
        self._current()
        if self._aliases is None:
            self._aliases = self.engine.alias_names()
        return self._aliases

    def write_index(self, name: str) -> Index:
        self._current()
        index = self._writers.get(name)
        if index is None:
            index = self.engine.write_index(name)
            if not name.startswith("<"):  # date math resolves against the clock: never memoized
                self._current()
                self._writers[name] = index
        return index


def index_document(engine: Engine, index_name: str, doc_id: str | None, source: Any, *, op_type: str = "index",
                   options: dict[str, Any] | None = None, pipeline: str | None = None,
                   require_alias: bool = False, owned: bool = False,
                   targets: WriteTargets | None = None, run_pipelines: bool = True) -> tuple[int, dict[str, Any]]:
    """Index one document (running ingest pipelines when configured); returns (status, result).

    `owned`: the caller hands `source` over (ingest pipelines may change it in place);
    `targets`: a bulk request's memoized target resolution; `run_pipelines=False`: no default or
    final pipeline either (a partial update of an existing document, as in Elasticsearch).
    """
    options = dict(options) if options else {}
    if doc_id is not None and len(doc_id) > 128 and len(doc_id.encode()) > 512:
        raise action_request_validation([f"id [{doc_id}] is too long, must be no longer than 512 bytes but was: "
                                         f"{len(doc_id.encode())}"])
    if doc_id == "":
        raise illegal_argument("if _id is specified it must not be empty")
    if not isinstance(source, dict):
        raise EsError(400, "mapper_parsing_exception", "failed to parse, document is empty" if source is None
                      else "failed to parse")
    target_name = index_name
    ingest = engine.extensions.get("ingest") if run_pipelines else None
    if ingest is not None:
        # pipelines run before the target is resolved: they may change `_index`, and require_alias
        # applies to the final target (as in ES)
        outcome = ingest.process(engine, index_name, doc_id, source, pipeline=pipeline, op_type=op_type,
                                 options=options, owned=owned)
        if outcome is None:  # dropped by a pipeline
            return 200, {"_index": index_name, "_id": doc_id or new_id(), "_version": -3, "result": "noop",
                         "_shards": {"total": 0, "successful": 0, "failed": 0}}
        target_name, doc_id, source = outcome
    elif pipeline not in (None, "", "_none"):
        raise illegal_argument(f"pipeline with id [{pipeline}] does not exist")
    if require_alias and target_name not in (targets.alias_names() if targets is not None
                                             else engine.alias_names()):
        raise EsError(404, "index_not_found_exception",
                      f"no such index [{target_name}] and [require_alias] request flag is [true] and "
                      f"[{target_name}] is not an alias", index=target_name)
    target = targets.write_index(target_name) if targets is not None else engine.write_index(target_name)
    if doc_id is None:
        doc_id = new_id()
        op_type = "create"
    result = target.index_doc(doc_id, source, op_type=op_type, **options)
    return (201 if result["result"] == "created" else 200), result


def get_response(index: Index, doc_id: str, req_params: dict[str, Any] | None = None,
                 source_spec: Any = None) -> tuple[bool, dict[str, Any]]:
    """The body of GET /{index}/_doc/{id} (found flag, body)."""
    params = req_params or {}
    if params.get("refresh") in ("", "true"):
        index.refresh()
    realtime = params.get("realtime") not in ("false",)
    state = index.get(doc_id) if realtime else index.get_visible(doc_id)
    if state is not None and params.get("routing") != state.routing and _routed_shards(index) > 1:
        state = None  # another routing value targets another shard, where this id does not exist
    if state is None or not security.visible_doc(index, doc_id):
        return False, {"_index": index.name, "_id": doc_id, "found": False}
    out: dict[str, Any] = {"_index": index.name, "_id": doc_id, "_version": state.version,
                           "_seq_no": state.seq_no, "_primary_term": state.primary_term, "found": True}
    if state.routing is not None:
        out["_routing"] = state.routing
    fetch, inc, exc = parse_source_param(
        source_spec if source_spec is not None else params.get("_source"),
        params.get("_source_includes") or params.get("_source_include"),
        params.get("_source_excludes") or params.get("_source_exclude"))
    stored = [n.strip() for n in str(params.get("stored_fields") or "").split(",") if n.strip()]
    if stored and source_spec is None and params.get("_source") is None and "_source" not in stored:
        fetch = False
    if stored:
        values = stored_field_values(index, index.source(state), stored)
        if values:
            out["fields"] = values
    if fetch and index.mapping.source_enabled:
        out["_source"] = filter_source(index.source(state), inc, exc)
    return True, out


def _routed_shards(index: Index) -> int:
    try:
        return int(index.setting("number_of_shards", "1"))
    except ValueError:
        return 1


def single_index(engine: Engine, name: str) -> Index:
    """Resolve a read to exactly one index (an alias must point to one index); with security on, the
    user must be allowed to get from it and reads it through field-level security."""
    security.guard_index(name, "indices:data/read/get")
    targets = engine.resolve(name)
    if not targets:
        raise index_not_found(name)
    if len(targets) > 1:
        raise illegal_argument(f"alias [{name}] has more than one index associated with it "
                               f"[{', '.join(sorted(t.index.name for t in targets))}], can't execute a single "
                               f"index op")
    return security.restrict(targets[0].index, "indices:data/read/get")


def apply_refresh(engine: Engine, req: Request, index_names: set[str]) -> bool:
    """Honour `?refresh=true|wait_for` on a write: refresh the written indices. True if forced."""
    mode = req.param("refresh")
    if mode not in ("", "true", "wait_for"):
        if mode not in (None, "false"):
            raise illegal_argument(f"Unknown value for refresh: [{mode}].")
        return False
    for name in index_names:
        index = engine.indices.get(name)
        if index is not None:
            index.refresh()
    return mode in ("", "true")


def refresh_extra(engine: Engine, req: Request, result: dict[str, Any]) -> dict[str, Any]:
    if apply_refresh(engine, req, {result["_index"]}):
        result["forced_refresh"] = True
    return result


@route("PUT,POST", "/{index}/_doc/{id}", "/{index}/_create/{id}")
def put_doc(engine: Engine, req: Request) -> Response:
    create = "/_create/" in req.path
    op_type = "create" if create else (req.param("op_type") or "index")
    if op_type not in ("index", "create"):
        raise illegal_argument(f"opType must be 'create' or 'index', found: [{op_type}]")
    status, result = index_document(engine, req.path_params["index"], req.path_params["id"], req.json(True),
                                    op_type=op_type, options=write_options(req.params),
                                    pipeline=req.param("pipeline"), require_alias=req.flag("require_alias"))
    return Response(status, refresh_extra(engine, req, result), headers=_location(result) if status == 201 else {})


@route("POST", "/{index}/_doc")
def post_doc(engine: Engine, req: Request) -> Response:
    status, result = index_document(engine, req.path_params["index"], None, req.json(True),
                                    op_type=req.param("op_type") or "create", options=write_options(req.params),
                                    pipeline=req.param("pipeline"), require_alias=req.flag("require_alias"))
    return Response(status, refresh_extra(engine, req, result), headers=_location(result))


def _location(result: dict[str, Any]) -> dict[str, str]:
    from urllib.parse import quote

    return {"Location": f"/{quote(result['_index'], safe='')}/_doc/{quote(result['_id'], safe='')}"}


@route("GET,HEAD", "/{index}/_doc/{id}")
def get_doc(engine: Engine, req: Request) -> Response:
    index = single_index(engine, req.path_params["index"])
    found, body = get_response(index, req.path_params["id"], req.params)
    if req.method == "HEAD":
        return Response(200 if found else 404)
    return Response(200 if found else 404, body)


@route("GET,HEAD", "/{index}/_source/{id}")
def get_source(engine: Engine, req: Request) -> Response:
    index = single_index(engine, req.path_params["index"])
    state = index.get(req.path_params["id"])
    if state is None or not security.visible_doc(index, req.path_params["id"]):
        if req.method == "HEAD":
            return Response(404)
        raise EsError(404, "resource_not_found_exception",
                      f"Document not found [{index.name}]/[{req.path_params['id']}]")
    if not index.mapping.source_enabled:
        raise EsError(404, "resource_not_found_exception",
                      f"Source not available [{index.name}]/[{req.path_params['id']}]")
    if req.method == "HEAD":
        return Response(200)
    _, inc, exc = parse_source_param(req.params.get("_source"), req.params.get("_source_includes"),
                                     req.params.get("_source_excludes"))
    return Response(200, filter_source(index.source(state), inc, exc))


@route("DELETE", "/{index}/_doc/{id}")
def delete_doc(engine: Engine, req: Request) -> Response:
    name = req.path_params["index"]
    if name not in engine.indices and name not in engine.alias_names():
        raise index_not_found(name)
    index = engine.write_index(name, auto_create=False)
    options = write_options(req.params)
    options.pop("routing", None)
    result = index.delete_doc(req.path_params["id"], **options)
    return Response(404 if result["result"] == "not_found" else 200, refresh_extra(engine, req, result))


def apply_update(engine: Engine, index_name: str, doc_id: str, body: dict[str, Any],
                 params: dict[str, Any], pipeline: str | None = None) -> tuple[int, dict[str, Any]]:
    """The _update API (partial doc, upsert, doc_as_upsert, script via the script extension)."""
    allowed = {"doc", "upsert", "doc_as_upsert", "script", "scripted_upsert", "detect_noop", "_source", "lang"}
    for key in body:
        if key not in allowed:
            raise EsError(400, "x_content_parse_exception",
                          f"[1:2] [UpdateRequest] unknown field [{key}]{did_you_mean(key, allowed)}")
    if "doc" in body and "script" in body:
        raise action_request_validation(["can't provide both script and doc"])
    if "doc" not in body and "script" not in body:
        raise action_request_validation(["script or doc is missing"])
    index = engine.write_index(index_name)
    state = index.get(doc_id)
    options = write_options(params)
    if options.get("version") is not None:
        raise action_request_validation(["internal versioning can not be used for optimistic concurrency "
                                         "control. Please use `if_seq_no` and `if_primary_term` instead"])
    cc = {k: options[k] for k in ("if_seq_no", "if_primary_term") if k in options}
    if state is None:
        if "script" in body and body.get("scripted_upsert"):
            source = run_update_script(engine, index, doc_id, copy.deepcopy(body.get("upsert", {})), body["script"],
                                       insert=True)
            if source is None:
                return 200, _noop(index, doc_id)
        elif "upsert" in body:
            source = body["upsert"]
        elif body.get("doc_as_upsert"):
            source = body["doc"]
        else:
            raise EsError(404, "document_missing_exception", f"[{doc_id}]: document missing",
                          index_uuid=index.uuid, shard="0", index=index.name)
        status, result = index_document(engine, index.name, doc_id, source, op_type="create",
                                        options={k: v for k, v in options.items() if k == "routing"},
                                        pipeline=pipeline)
        return status, _with_get(index, result, body, params)
    if cc and (cc.get("if_seq_no") != state.seq_no or cc.get("if_primary_term", state.primary_term)
               != state.primary_term):
        index._check_concurrency(doc_id, state, "index", cc.get("if_seq_no"), cc.get("if_primary_term"), None, None)
    current = index.source(state)
    if "script" in body:
        updated = run_update_script(engine, index, doc_id, copy.deepcopy(current), body["script"], insert=False,
                                    state=state)
        if updated is None:
            index.stats["noop_update_total"] += 1
            return 200, _noop(index, doc_id, state)
        if updated == "delete":
            result = index.delete_doc(doc_id, **cc)
            return 200, result
    else:
        if body.get("detect_noop", True) and merges_to_itself(current, body["doc"]):
            index.stats["noop_update_total"] += 1
            return 200, _with_get(index, _noop(index, doc_id, state), body, params)
        updated = deep_merge(current, body["doc"])  # `current` is this request's own parse of the source
    # Elasticsearch runs no ingest pipeline (default or final) when an update changes an existing document
    status, result = index_document(engine, index.name, doc_id, updated, options={**cc}, run_pipelines=False)
    return 200, _with_get(index, result, body, params)


def run_update_script(engine: Engine, index: Index, doc_id: str, source: dict, script: Any, *, insert: bool,
                      state: Any = None) -> Any:
    runner = engine.extensions.get("script")
    if runner is None:
        raise illegal_argument("scripts are not supported by this engine yet")
    return runner.run_update(index, doc_id, source, script, insert=insert, state=state)


def _noop(index: Index, doc_id: str, state: Any = None) -> dict[str, Any]:
    out = {"_index": index.name, "_id": doc_id, "_version": state.version if state else 0, "result": "noop",
           "_shards": {"total": 0, "successful": 0, "failed": 0}}
    if state is not None:
        out["_seq_no"] = state.seq_no
        out["_primary_term"] = state.primary_term
    return out


def _with_get(index: Index, result: dict[str, Any], body: dict[str, Any], params: dict[str, Any]) -> dict:
    spec = body.get("_source", params.get("_source"))
    if spec is None and not params.get("_source_includes") and not params.get("_source_excludes"):
        return result
    fetch, inc, exc = parse_source_param(spec, params.get("_source_includes"), params.get("_source_excludes"))
    state = index.get(result["_id"])
    if not fetch or state is None:
        return result
    result["get"] = {"_seq_no": state.seq_no, "_primary_term": state.primary_term, "found": True,
                     "_source": filter_source(index.source(state), inc, exc)}
    return result


def merges_to_itself(base: dict[str, Any], patch: dict[str, Any]) -> bool:
    """Whether deep_merge(base, patch) would leave `base` equal to what it was (a noop update),
    decided without merging."""
    for key, value in patch.items():
        if key not in base:
            return False
        current = base[key]
        if isinstance(value, dict) and isinstance(current, dict):
            if not merges_to_itself(current, value):
                return False
        elif current != value:
            return False
    return True


def deep_merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """Merge a partial document into a source, recursing into objects (ES partial update semantics)."""
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            deep_merge(base[key], value)
        else:
            base[key] = value
    return base


@route("POST", "/{index}/_update/{id}")
def update_doc(engine: Engine, req: Request) -> Response:
    status, result = apply_update(engine, req.path_params["index"], req.path_params["id"], req.json_object(True),
                                  req.params)
    return Response(status, refresh_extra(engine, req, result))


@route("GET,POST", "/_mget", "/{index}/_mget")
def mget(engine: Engine, req: Request) -> dict[str, Any]:
    body = req.json_object(True)
    default_index = req.path_params.get("index")
    for key in body:
        if key not in ("docs", "ids"):
            raise EsError(400, "parsing_exception", f"unknown parameter [{key}] in request body or parameter is "
                                                    f"of the wrong type[START_ARRAY]")
    if "ids" in body:
        if default_index is None:
            raise action_request_validation(["index is missing for doc 0"])
        docs = [{"_id": i} for i in body["ids"]]
    else:
        docs = body.get("docs", [])
    if not docs:
        raise action_request_validation(["no documents to get"])
    problems = []
    for i, doc in enumerate(docs):
        if doc.get("_index", default_index) is None:
            problems.append(f"index is missing for doc {i}")
        if doc.get("_id") is None:
            problems.append(f"id is missing for doc {i}")
    if problems:
        raise action_request_validation(problems)
    out = []
    for doc in docs:
        name = doc.get("_index", default_index)
        doc_id = str(doc["_id"])
        try:
            index = single_index(engine, name)
        except EsError as err:
            out.append({"_index": name, "_id": doc_id, "error": err.to_dict() | {"root_cause": [err.to_dict(False)]}})
            continue
        params = dict(req.params)
        spec = doc.get("_source")
        if "stored_fields" in doc:
            params["stored_fields"] = doc["stored_fields"]
        _, body_out = get_response(index, doc_id, params, spec)
        out.append(body_out)
    return {"docs": out}
