"""The _bulk API: NDJSON actions applied one by one, with per-item status and errors."""

from __future__ import annotations

import gc
import logging
import time
from typing import Any

import orjson

from ..engine import Engine
from ..errors import EsError, illegal_argument
from ..gcpause import no_cyclic_gc
from ..rest import Request, parse_json, route
from ..security import access as security
from .documents import WriteTargets, apply_refresh, apply_update, index_document, write_options

ACTIONS = ("index", "create", "update", "delete")
META_KEYS = {"_index", "_id", "routing", "_routing", "if_seq_no", "if_primary_term", "version", "version_type",
             "pipeline", "require_alias", "retry_on_conflict", "_source", "op_type", "dynamic_templates",
             "require_data_stream", "list_executed_pipelines"}

logger = logging.getLogger(__name__)


def parse_bulk(body: bytes) -> list[tuple[str, dict[str, Any], Any]]:
    """Split a bulk body into (action, metadata, source-or-parse-error) triples.

    A malformed action line fails the whole request (as ES does); a malformed source line fails
    only its item.
    """
    lines = body.split(b"\n")
    count = len(lines)
    items: list[tuple[str, dict[str, Any], Any]] = []
    add = items.append
    loads = orjson.loads
    i = 0  # lines consumed so far, which is also the (1-based) number of the line just read
    while i < count:
        raw = lines[i].strip()
        i += 1
        if not raw:
            continue
        try:
            action_obj = loads(raw)
        except orjson.JSONDecodeError:
            raise illegal_argument(f"Malformed action/metadata line [{i}], expected START_OBJECT or "
                                   f"END_OBJECT but found [VALUE_STRING]") from None
        if type(action_obj) is dict and len(action_obj) == 1:
            action, meta = next(iter(action_obj.items()))
            if action not in _ACTION_SET or type(meta) is not dict or not META_KEYS.issuperset(meta):
                _action_error(action_obj, i)
        else:
            _action_error(action_obj, i)
        if action == "delete":
            add((action, meta, None))
            continue
        while i < count and (not lines[i] or lines[i].isspace()):
            i += 1
        if i >= count:
            break  # a trailing action line without its source is ignored, as ES does
        source_raw = lines[i]
        i += 1
        try:
            source = loads(source_raw)
        except orjson.JSONDecodeError:
            source = _parse_error(source_raw)
        if action == "index" and meta.get("op_type") == "create":
            action = "create"  # an index request with op_type create is a create (and answers as one)
        add((action, meta, source))
    return items


_ACTION_SET = frozenset(ACTIONS)


def _action_error(action_obj: Any, line_no: int) -> None:
    """Raise ES's error for a malformed action line (checked in ES's order)."""
    if action_obj == {}:
        raise illegal_argument(f"Malformed action/metadata line [{line_no}], expected FIELD_NAME but found "
                               f"[END_OBJECT]")
    if not isinstance(action_obj, dict) or len(action_obj) != 1:
        raise illegal_argument(f"Malformed action/metadata line [{line_no}], expected a simple value for "
                               f"field [{next(iter(action_obj), '')}] but found [START_OBJECT]"
                               if isinstance(action_obj, dict) and action_obj else
                               f"Malformed action/metadata line [{line_no}], expected START_OBJECT or "
                               f"END_OBJECT but found [{type(action_obj).__name__}]")
    action, meta = next(iter(action_obj.items()))
    if action not in ACTIONS:
        raise illegal_argument(f"Malformed action/metadata line [{line_no}], expected field [create], "
                               f"[delete], [index] or [update] but found [{action}]")
    if not isinstance(meta, dict):
        raise illegal_argument(f"Malformed action/metadata line [{line_no}], expected START_OBJECT but "
                               f"found [{type(meta).__name__}]")
    key = next(k for k in meta if k not in META_KEYS)
    raise illegal_argument(f"Action/metadata line [{line_no}] contains an unknown parameter [{key}]")


def _parse_error(source_raw: bytes) -> _ParseFailure:
    """The item error of a source line that is not valid JSON (parse_json words it as ES does)."""
    try:
        parse_json(source_raw)
    except EsError as err:
        return _ParseFailure(EsError(400, "document_parsing_exception",
                                     f"[1:{err.extra.get('col', 1)}] failed to parse: {err.reason}", caused_by=err))
    raise AssertionError("parse_json accepted what orjson refused")


class _ParseFailure:
    __slots__ = ("error",)

    def __init__(self, error: EsError) -> None:
        self.error = error


_OPTION_KEYS = frozenset({"routing", "_routing", "if_seq_no", "if_primary_term", "version", "version_type",
                          "dynamic_templates"})


def execute_item(engine: Engine, action: str, meta: dict[str, Any], source: Any, defaults: dict[str, Any],
                 targets: WriteTargets | None = None) -> dict:
    """Apply one bulk item; errors become the item's error (never the whole request's)."""
    index_name = meta.get("_index", defaults.get("index"))
    doc_id = meta.get("_id")
    doc_id = doc_id if type(doc_id) is str else str(doc_id) if doc_id is not None else None
    try:
        if index_name is None:
            raise EsError(400, "action_request_validation_exception", "Validation Failed: 1: index is missing;")
        if isinstance(source, _ParseFailure):
            raise source.error
        if security.current() is not None:  # security on: each item needs its own index privilege
            security.guard_index(index_name, _item_action(action, meta), "indices:data/write/bulk[s]")
        if defaults.get("routing") is None and _OPTION_KEYS.isdisjoint(meta):
            options: dict[str, Any] = {}
        else:
            options = write_options({**{k: defaults.get(k) for k in ("routing",)}, **meta,
                                     "routing": meta.get("routing", meta.get("_routing", defaults.get("routing")))})
        if action == "index" or action == "create":
            op_type = "create" if action == "create" else meta.get("op_type", "index")
            pipeline = meta.get("pipeline", defaults.get("pipeline"))
            require_alias = bool(meta.get("require_alias", defaults.get("require_alias")))
            status, result = index_document(engine, index_name, doc_id, source, op_type=op_type, options=options,
                                            pipeline=pipeline, require_alias=require_alias, owned=True,
                                            targets=targets)
            if meta.get("list_executed_pipelines", defaults.get("list_executed_pipelines")):
                ingest = engine.extensions.get("ingest")
                if ingest is not None:
                    result = {**result, "executed_pipelines": list(ingest.last_executed or [])}
            result["status"] = status  # a fresh dict on this path (index_doc builds one per write)
            return {action: result}
        elif action == "delete":
            if doc_id is None:
                raise EsError(400, "action_request_validation_exception", "Validation Failed: 1: id is missing;")
            index = engine.write_index(index_name)
            options.pop("routing", None)
            options.pop("dynamic_templates", None)
            result = index.delete_doc(doc_id, **options)
            status = 404 if result["result"] == "not_found" else 200
        else:
            if doc_id is None:
                raise EsError(400, "action_request_validation_exception", "Validation Failed: 1: id is missing;")
            if not isinstance(source, dict):
                raise illegal_argument("Malformed update request body")
            retries = int(meta.get("retry_on_conflict", 0))
            params = {k: v for k, v in meta.items() if k in ("if_seq_no", "if_primary_term", "routing")}
            for key in ("_source", "_source_includes", "_source_excludes"):
                if meta.get(key, defaults.get(key)) is not None:
                    params[key] = meta.get(key, defaults.get(key))
            for attempt in range(retries + 1):
                try:
                    status, result = apply_update(engine, index_name, doc_id, source, params,
                                                  pipeline=meta.get("pipeline", defaults.get("pipeline")))
                    break
                except EsError as err:
                    if err.status != 409 or attempt == retries:
                        raise
        result = dict(result)
        result["status"] = status
        return {action: result}
    except Exception as exc:  # noqa: BLE001 - one item's failure never fails the others (as in ES)
        err = exc if isinstance(exc, EsError) else _unexpected(exc)
        target = index_name
        try:
            if index_name is not None and index_name in engine.alias_names():
                target = engine.write_index(index_name, auto_create=False).name
        except EsError:
            pass
        item: dict[str, Any] = {"_index": target, "_id": doc_id, "status": err.status, "error": err.to_dict()}
        return {action: item}


def _unexpected(exc: Exception) -> EsError:
    """An engine fault in one bulk item, reported on that item (and logged with its traceback)."""
    logger.exception("bulk item failed unexpectedly")
    return EsError(500, "exception", f"{type(exc).__name__}: {exc}")


def _item_action(action: str, meta: dict[str, Any]) -> str:
    """The ES action a bulk item is authorized as."""
    if action in ("index", "create"):
        op_type = "create" if action == "create" or meta.get("op_type") == "create" else "index"
        return f"indices:data/write/index:op_type/{op_type}"
    return f"indices:data/write/{action}"


@route("POST,PUT", "/_bulk", "/{index}/_bulk")
def bulk(engine: Engine, req: Request) -> dict[str, Any]:
    with no_cyclic_gc():  # the engine lock serializes requests, so the pause is this request's alone
        return _bulk(engine, req)


def _bulk(engine: Engine, req: Request) -> dict[str, Any]:
    start = time.perf_counter()
    if not req.body or req.body.isspace():  # Request.has_body, without copying a large body to strip it
        raise EsError(400, "parse_exception", "request body is required")
    items = parse_bulk(req.body)
    if not items:
        raise EsError(400, "action_request_validation_exception", "Validation Failed: 1: no requests added;")
    defaults = {"index": req.path_params.get("index"), "pipeline": req.param("pipeline"),
                "routing": req.param("routing"), "require_alias": req.flag("require_alias"),
                "list_executed_pipelines": req.flag("list_executed_pipelines"),
                "_source": req.param("_source"), "_source_includes": req.param("_source_includes"),
                "_source_excludes": req.param("_source_excludes")}
    ingest = engine.extensions.get("ingest")
    ingest_ns, ingest_docs = (ingest.ingest_time_ns, ingest.ingest_count) if ingest is not None else (0, 0)
    targets = WriteTargets(engine)
    if ingest is not None:
        ingest.batch_cache = {}
    results: list[dict[str, Any]] = []
    outcomes: list[dict[str, Any]] = []  # each result's inner item, in order
    try:
        add_result, add_outcome = results.append, outcomes.append
        for n, (action, meta, source) in enumerate(items, 1):
            result = execute_item(engine, action, meta, source, defaults, targets)
            add_result(result)
            add_outcome(result[action])
            if n % 20_000 == 0:
                gc.collect(0)  # a huge request still frees cyclic garbage (from failed items) as it goes
    finally:
        if ingest is not None:
            ingest.batch_cache = None
    del items
    errors = False
    touched: set[str] = set()
    for item in outcomes:
        if "error" in item:
            errors = True
        touched.add(item.get("_index"))
    if apply_refresh(engine, req, touched):
        for item in outcomes:
            if "error" not in item:
                item["forced_refresh"] = True
    body = {"errors": errors, "took": int((time.perf_counter() - start) * 1000), "items": results}
    if ingest is not None and ingest.ingest_count != ingest_docs:
        body["ingest_took"] = (ingest.ingest_time_ns - ingest_ns) // 1_000_000
    return body

