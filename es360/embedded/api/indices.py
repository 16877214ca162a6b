"""Index administration APIs: create/delete/get, mappings, settings, aliases, templates, stats,
refresh/flush/forcemerge, open/close, blocks, analyze, resolve, rollover and resize."""

from __future__ import annotations

import copy
import re
import time
from typing import Any

from .. import LUCENE_VERSION
from .. import settings as settings_mod
from ..engine import (
    Engine,
    compose,
    match_aliases,
    parse_alias_spec,
    render_alias,
    resolve_date_math,
    simple_match,
    unknown_field,
    validate_index_name,
    wrap_mapping_error,
)
from ..errors import (
    EsError,
    action_request_validation,
    illegal_argument,
    index_not_found,
)
from ..index import Index
from ..rest import Request, Response, route
from ..security import access as security
from ..security.fls import filter_mapping
from .cluster import cat_response

NODE_NAME = "es360-embedded"
NODE_ID = "es360embeddednode000001"
METADATA_FIELDS = ["_data_stream_timestamp", "_doc_count", "_feature", "_field_names", "_id", "_ignored",
                   "_ignored_source", "_index", "_nested_path", "_routing", "_seq_no", "_source", "_tier",
                   "_version"]


# Capabilities (GET /_capabilities) these handlers implement, for whoever serves that endpoint:
# (method, path) -> capability names.
CAPABILITIES: dict[tuple[str, str], frozenset[str]] = {
    ("PUT", "/{index}"): frozenset({"lookup_index_mode", "poorly_formatted_bad_request", "hunspell_dict_400"}),
    ("GET", "/_analyze"): frozenset({"analyze_max_char_count"}),
    ("POST", "/_analyze"): frozenset({"analyze_max_char_count"}),
    ("PUT", "/_index_template/{id}"): frozenset({"index_template_tracking_info", "index_template_managed_field",
                                                 "index_template_registry_installed_field"}),
    ("POST", "/_index_template/_simulate_index/{name}"): frozenset({"index_template_managed_field",
                                                                     "index_template_registry_installed_field"}),
}


# ---- shared helpers -------------------------------------------------------------------------------
def _targets(engine: Engine, req: Request, expression: str | None, *, expand: str = "open",
             ignore_unavailable: bool = False, allow_no_indices: bool = True, forbid_closed: bool = True,
             ignore_aliases: bool = False) -> list[Index]:
    """Resolve the request's index expression with ES's indices options (URL params override defaults)."""
    targets = engine.resolve(
        expression,
        ignore_unavailable=req.flag("ignore_unavailable", ignore_unavailable),
        allow_no_indices=req.flag("allow_no_indices", allow_no_indices),
        expand_wildcards=req.param("expand_wildcards") or expand,
        forbid_closed=forbid_closed,
        ignore_aliases=ignore_aliases,
    )
    return sorted((t.index for t in targets), key=lambda i: i.name)


def _replicas(idx: Index) -> int:
    auto = idx.setting("auto_expand_replicas")
    if auto and str(auto) != "false" and str(auto).startswith("0-"):
        return 0
    try:
        return int(idx.setting("number_of_replicas", "1"))
    except ValueError:
        return 1


def _shard_count(idx: Index) -> int:
    try:
        return int(idx.setting("number_of_shards", "1"))
    except ValueError:
        return 1


def _shards(indices: list[Index]) -> dict[str, int]:
    total = sum(_shard_count(i) * (1 + _replicas(i)) for i in indices)
    ok = sum(_shard_count(i) for i in indices)
    return {"total": total, "successful": ok, "failed": 0}


def _store_size(idx: Index) -> int:
    return sum(len(s) for s in idx.sources if s)


def _health(idx: Index) -> str:
    return "yellow" if _replicas(idx) else "green"


def _settings_view(idx: Index) -> dict[str, Any]:
    flat = idx.full_settings()
    if idx.closed:
        flat["index.verified_before_close"] = "true"
    return {k: v for k, v in flat.items() if v is not None}


def _defaults_view(idx: Index, present: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in settings_mod.DEFAULTS.items() if k not in present}


def _body(req: Request, required: bool = False) -> dict[str, Any]:
    return req.json_object(required)


def _stat(idx: Index, key: str) -> int:
    return int(idx.stats.get(key, 0))


def _bump(idx: Index, key: str, n: int = 1) -> None:
    idx.stats[key] = idx.stats.get(key, 0) + n


# ---- create / delete / exists / get ---------------------------------------------------------------
@route("PUT", "/{index}")
def create_index(engine: Engine, req: Request) -> dict[str, Any]:
    body = req.json(False)
    if body is not None and not isinstance(body, dict):
        raise EsError(400, "parse_exception", "request body must be a JSON object")
    body = body or {}
    mappings = body.get("mappings")
    if isinstance(mappings, dict) and len(mappings) == 1 and isinstance(mappings.get("_doc"), dict):
        raise illegal_argument("The mapping definition cannot be nested under a type [_doc] unless "
                               "include_type_name is set to true.")
    index = engine.create_index(req.path_params["index"], body)
    return {"acknowledged": True, "shards_acknowledged": True, "index": index.name}


@route("DELETE", "/{index}")
def delete_index(engine: Engine, req: Request) -> dict[str, Any]:
    indices = _targets(engine, req, req.path_params["index"], expand="open,closed", forbid_closed=False,
                       ignore_aliases=True)
    for idx in indices:
        engine.delete_index(idx)
    return {"acknowledged": True}


@route("HEAD", "/{index}")
def index_exists(engine: Engine, req: Request) -> Response:
    try:
        indices = _targets(engine, req, req.path_params["index"], forbid_closed=False)
    except EsError:
        return Response(404, None)
    return Response(200 if indices else 404, None)


@route("GET", "/{index}")
def get_index(engine: Engine, req: Request) -> dict[str, Any]:
    indices = _targets(engine, req, req.path_params["index"], forbid_closed=False)
    features = [f for f in (req.param("features") or "aliases,mappings,settings").split(",") if f]
    for f in features:
        if f not in ("aliases", "mappings", "settings", "_all"):
            raise illegal_argument(f"[{f}] is not a valid feature")
    if "_all" in features:
        features = ["aliases", "mappings", "settings"]
    flat = req.flag("flat_settings")
    defaults = req.flag("include_defaults")
    out: dict[str, Any] = {}
    for idx in indices:
        entry: dict[str, Any] = {}
        if "aliases" in features:
            entry["aliases"] = {a: render_alias(s) for a, s in sorted(idx.aliases.items())}
        if "mappings" in features:
            entry["mappings"] = idx.mapping.to_json()
        if "settings" in features:
            view = _settings_view(idx)
            entry["settings"] = settings_mod.render(view, flat)
            if defaults:
                entry["defaults"] = settings_mod.render(_defaults_view(idx, view), flat)
        out[idx.name] = entry
    return out


# ---- mappings -----------------------------------------------------------------------------------------
@route("GET", "/_mapping", "/{index}/_mapping")
def get_mapping(engine: Engine, req: Request) -> dict[str, Any]:
    _remote_check(req.path_params.get("index"))
    indices = _targets(engine, req, req.path_params.get("index"), forbid_closed=False)
    return {idx.name: {"mappings": _visible_mapping(idx)} for idx in indices}


def _visible_mapping(idx: Index) -> dict[str, Any]:
    """The index's mapping as the caller may see it: with security on, field-level security hides
    the fields the user cannot read, as Elasticsearch's mapping filter does."""
    mapping = idx.mapping.to_json()
    access = security.current()
    if access is None:
        return mapping
    fields = access.index_access(idx, "indices:admin/mappings/get").fields
    return mapping if fields is None else filter_mapping(mapping, fields)


def _remote_check(expression: str | None) -> None:
    remote = [p for p in (expression or "").split(",") if ":" in p and not p.startswith("<")]
    if remote:
        raise illegal_argument(f"Cross-cluster calls are not supported in this context but remote indices were "
                               f"requested: {_jlist(remote)}")


@route("PUT,POST", "/{index}/_mapping")
def put_mapping(engine: Engine, req: Request) -> dict[str, Any]:
    body = _body(req, required=True)
    if len(body) == 1 and isinstance(body.get("_doc"), dict):
        raise illegal_argument("Types cannot be provided in put mapping requests")
    indices = _targets(engine, req, req.path_params["index"], expand="open,closed", allow_no_indices=False,
                       forbid_closed=False)
    if req.flag("write_index_only"):
        indices = [engine.write_index(req.path_params["index"], auto_create=False)]
    try:
        engine.put_mapping(indices, body)
    except EsError as err:
        raise wrap_mapping_error(err) from None
    return {"acknowledged": True}


@route("GET", "/_mapping/field/{fields}", "/{index}/_mapping/field/{fields}")
def get_field_mapping(engine: Engine, req: Request) -> dict[str, Any]:
    indices = _targets(engine, req, req.path_params.get("index"), forbid_closed=False)
    fields = [f for f in req.path_params["fields"].split(",") if f]
    out: dict[str, Any] = {}
    for idx in indices:
        found: dict[str, Any] = {}
        names = _field_names(idx)
        for pattern in fields:
            if "*" in pattern:
                for name in names:
                    if simple_match(pattern, name):
                        found[name] = _field_entry(idx, name)
            elif pattern in names:
                found[pattern] = _field_entry(idx, pattern)
        out[idx.name] = {"mappings": found}
    return out


def _field_names(idx: Index) -> list[str]:
    names = [p for p, f in idx.mapping.fields.items() if not (f.params.get("_shingle") or f.params.get("_prefix"))]
    access = security.current()
    visible = access.index_access(idx, "indices:admin/mappings/fields/get").fields if access is not None else None
    if visible is not None:  # field-level security hides these fields' mappings too
        names = [n for n in names if visible.allows(n)]
    return sorted(names + METADATA_FIELDS)


def _field_entry(idx: Index, name: str) -> dict[str, Any]:
    leaf = name.rsplit(".", 1)[-1]
    f = idx.mapping.fields.get(name)
    definition = copy.deepcopy(f.params) if f is not None else {}
    if f is not None and "type" not in definition:
        definition = {"type": f.type, **definition}
    return {"full_name": name, "mapping": {leaf: definition}}


# ---- settings -------------------------------------------------------------------------------------------
@route("GET", "/_settings", "/_settings/{name}", "/{index}/_settings", "/{index}/_settings/{name}")
def get_settings(engine: Engine, req: Request) -> dict[str, Any]:
    indices = _targets(engine, req, req.path_params.get("index"), expand="open,closed", forbid_closed=False)
    names = [n for n in (req.path_params.get("name") or "").split(",") if n and n != "_all"]
    flat = req.flag("flat_settings")
    defaults = req.flag("include_defaults")
    out: dict[str, Any] = {}
    for idx in indices:
        view = _settings_view(idx)
        if names:
            view = {k: v for k, v in view.items() if settings_mod.matches(names, k)}
        entry: dict[str, Any] = {}
        dview = {}
        if defaults:
            dview = _defaults_view(idx, _settings_view(idx))
            if names:
                dview = {k: v for k, v in dview.items() if settings_mod.matches(names, k)}
        if not view and not dview:
            continue
        entry["settings"] = settings_mod.render(view, flat)
        if defaults:
            entry["defaults"] = settings_mod.render(dview, flat)
        out[idx.name] = entry
    return out


@route("PUT", "/_settings", "/{index}/_settings")
def put_settings(engine: Engine, req: Request) -> dict[str, Any]:
    body = _body(req, required=True)
    if isinstance(body.get("settings"), dict):
        body = {**{k: v for k, v in body.items() if k != "settings"}, **body["settings"]}
    flat = settings_mod.flatten_settings(body)
    if not flat:
        raise action_request_validation(["no settings to update"])
    indices = _targets(engine, req, req.path_params.get("index"), expand="open,closed", allow_no_indices=False,
                       forbid_closed=False)
    engine.update_settings(indices, flat, preserve_existing=req.flag("preserve_existing"))
    return {"acknowledged": True}


# ---- refresh / flush / forcemerge / cache / open / close / blocks -------------------------------------
@route("POST,GET", "/_refresh", "/{index}/_refresh")
def refresh(engine: Engine, req: Request) -> dict[str, Any]:
    indices = _targets(engine, req, req.path_params.get("index"))
    for idx in indices:
        idx.refresh()
        _bump(idx, "refresh_total")
        _bump(idx, "external_refresh_total")
    return {"_shards": _shards(indices)}


@route("POST,GET", "/_flush", "/{index}/_flush")
def flush(engine: Engine, req: Request) -> dict[str, Any]:
    indices = _targets(engine, req, req.path_params.get("index"))
    for idx in indices:
        _bump(idx, "flush_total")
    return {"_shards": _shards(indices)}


@route("POST", "/_forcemerge", "/{index}/_forcemerge")
def forcemerge(engine: Engine, req: Request) -> dict[str, Any]:
    max_segments = req.int_param("max_num_segments")
    expunge = req.flag("only_expunge_deletes")
    if expunge and max_segments is not None:
        raise action_request_validation(["cannot set only_expunge_deletes and max_num_segments at the same time, "
                                         "those two parameters are mutually exclusive"])
    req.flag("flush", True)
    indices = _targets(engine, req, req.path_params.get("index"))
    for idx in indices:
        idx.compact()
        _bump(idx, "merge_total")
    if not req.flag("wait_for_completion", True):
        return {"task": f"{NODE_ID}:{int(time.time() * 1000) % 1_000_000}"}
    return {"_shards": _shards(indices)}


@route("POST", "/_cache/clear", "/{index}/_cache/clear")
def clear_cache(engine: Engine, req: Request) -> dict[str, Any]:
    chosen = {f for f in ("fielddata", "query", "request") if req.flag(f)}
    if req.param("fields"):
        chosen.add("fielddata")
    if not chosen:
        chosen = {"fielddata", "query", "request"}
    indices = _targets(engine, req, req.path_params.get("index"))
    for idx in indices:
        if "fielddata" in chosen:
            idx.stats["fielddata_memory_size_in_bytes"] = 0
        if "request" in chosen:
            idx.stats["request_cache_memory_size_in_bytes"] = 0
            cache = getattr(idx, "request_cache", None)
            if isinstance(cache, dict):
                cache.clear()
    return {"_shards": _shards(indices)}


@route("POST", "/{index}/_close")
def close_index(engine: Engine, req: Request) -> dict[str, Any]:
    indices = _targets(engine, req, req.path_params["index"], forbid_closed=False)
    for idx in indices:
        engine.close_index(idx)
    return {"acknowledged": True, "shards_acknowledged": True,
            "indices": {idx.name: {"closed": True} for idx in indices}}


@route("POST", "/{index}/_open")
def open_index(engine: Engine, req: Request) -> dict[str, Any]:
    indices = _targets(engine, req, req.path_params["index"], expand="closed", forbid_closed=False)
    for idx in indices:
        engine.open_index(idx)
    return {"acknowledged": True, "shards_acknowledged": True}


BLOCKS = {"metadata": "metadata", "read": "read", "read_only": "read_only", "write": "write"}


@route("PUT", "/{index}/_block/{block}")
def add_block(engine: Engine, req: Request) -> dict[str, Any]:
    block = _block(req)
    indices = _targets(engine, req, req.path_params["index"], allow_no_indices=False, forbid_closed=False)
    engine.update_settings(indices, {f"index.blocks.{block}": "true"})
    return {"acknowledged": True, "shards_acknowledged": True,
            "indices": [{"name": idx.name, "blocked": True} for idx in indices]}


@route("DELETE", "/{index}/_block/{block}")
def remove_block(engine: Engine, req: Request) -> dict[str, Any]:
    block = _block(req)
    indices = _targets(engine, req, req.path_params["index"], allow_no_indices=False, forbid_closed=False)
    engine.update_settings(indices, {f"index.blocks.{block}": None})
    return {"acknowledged": True, "indices": [{"name": idx.name, "unblocked": True} for idx in indices]}


def _block(req: Request) -> str:
    block = req.path_params["block"]
    if block not in BLOCKS:
        raise illegal_argument(f"No [IndexMetadata.APIBlock] for [{block}]")
    return block


# ---- stats ----------------------------------------------------------------------------------------
STAT_METRICS = ["docs", "shard_stats", "store", "indexing", "get", "search", "merge", "refresh", "flush",
                "warmer", "query_cache", "fielddata", "completion", "segments", "translog", "request_cache",
                "recovery", "bulk", "dense_vector", "sparse_vector", "mappings"]


@route("GET", "/_stats", "/_stats/{metric}", "/{index}/_stats", "/{index}/_stats/{metric}")
def stats(engine: Engine, req: Request) -> dict[str, Any]:
    metric = req.path_params.get("metric")
    metrics = [m for m in (metric or "_all").split(",") if m]
    if "_all" in metrics:
        metrics = list(STAT_METRICS)
    else:
        for m in metrics:
            if m not in STAT_METRICS:
                raise illegal_argument(f"request [{req.path}] contains unrecognized metric: [{m}]")
    level = req.param("level", "indices")
    if level not in ("cluster", "indices", "shards"):
        raise illegal_argument(f"level parameter must be one of [cluster] or [indices] or [shards] but was "
                               f"[{level}]")
    indices = [i for i in _targets(engine, req, req.path_params.get("index")) if not i.closed]
    per = {idx.name: _index_stats(idx, metrics) for idx in indices}
    total = _sum_stats(list(per.values()))
    body: dict[str, Any] = {"_shards": _shards(indices),
                            "_all": {"primaries": total, "total": copy.deepcopy(total)}}
    if level in ("indices", "shards"):
        body["indices"] = {}
        for idx in indices:
            entry: dict[str, Any] = {"uuid": idx.uuid, "health": _health(idx), "status": "open",
                                     "primaries": per[idx.name], "total": copy.deepcopy(per[idx.name])}
            if level == "shards":
                shard = copy.deepcopy(per[idx.name])
                shard["routing"] = {"state": "STARTED", "primary": True, "node": NODE_ID, "relocating_node": None}
                entry["shards"] = {"0": [shard]}
            body["indices"][idx.name] = entry
    return body


def _visible_counts(idx: Index) -> tuple[int, int]:
    """(live, deleted) Lucene docs as of the last refresh, nested docs included, as index stats count them."""
    seg = idx.segment
    visible = getattr(seg, "visible_live", None)
    if visible is None:
        return seg.max_doc - seg.deleted, seg.deleted
    live = visible.count(1)
    return live, len(visible) - live


def _index_stats(idx: Index, metrics: list[str]) -> dict[str, Any]:
    seg = idx.segment
    live, deleted = _visible_counts(idx)
    size = _store_size(idx)
    out: dict[str, Any] = {}
    for m in metrics:
        if m == "docs":
            out["docs"] = {"count": live, "deleted": deleted, "total_size_in_bytes": size}
        elif m == "shard_stats":
            out["shard_stats"] = {"total_count": _shard_count(idx)}
        elif m == "store":
            out["store"] = {"size_in_bytes": size, "total_data_set_size_in_bytes": size, "reserved_in_bytes": 0}
        elif m == "indexing":
            out["indexing"] = {"index_total": _stat(idx, "index_total"), "index_time_in_millis": 0,
                               "index_current": 0, "index_failed": 0, "delete_total": _stat(idx, "delete_total"),
                               "delete_time_in_millis": 0, "delete_current": 0,
                               "noop_update_total": _stat(idx, "noop_update_total"),
                               "is_throttled": False, "throttle_time_in_millis": 0, "write_load": 0.0}
        elif m == "get":
            out["get"] = {"total": _stat(idx, "get_total"), "time_in_millis": 0,
                          "exists_total": _stat(idx, "get_exists_total"), "exists_time_in_millis": 0,
                          "missing_total": _stat(idx, "get_missing_total"), "missing_time_in_millis": 0,
                          "current": 0}
        elif m == "search":
            out["search"] = {"open_contexts": 0, "query_total": _stat(idx, "query_total"), "query_time_in_millis": 0,
                             "query_current": 0, "query_failure": 0, "fetch_total": _stat(idx, "fetch_total") or _stat(idx, "query_total"),
                             "fetch_time_in_millis": 0, "fetch_current": 0, "fetch_failure": 0,
                             "scroll_total": _stat(idx, "scroll_total"), "scroll_time_in_millis": 0,
                             "scroll_current": 0, "suggest_total": _stat(idx, "suggest_total"),
                             "suggest_time_in_millis": 0, "suggest_current": 0}
        elif m == "merge":
            out["merges"] = {"current": 0, "current_docs": 0, "current_size_in_bytes": 0,
                             "total": _stat(idx, "merge_total"), "total_time_in_millis": 0, "total_docs": 0,
                             "total_size_in_bytes": 0, "total_stopped_time_in_millis": 0,
                             "total_throttled_time_in_millis": 0, "total_auto_throttle_in_bytes": 20971520}
        elif m == "refresh":
            out["refresh"] = {"total": _stat(idx, "refresh_total"), "total_time_in_millis": 0,
                              "external_total": _stat(idx, "external_refresh_total"),
                              "external_total_time_in_millis": 0, "listeners": 0}
        elif m == "flush":
            out["flush"] = {"total": _stat(idx, "flush_total"), "periodic": 0, "total_time_in_millis": 0,
                            "total_time_excluding_waiting_on_lock_in_millis": 0}
        elif m == "warmer":
            out["warmer"] = {"current": 0, "total": 0, "total_time_in_millis": 0}
        elif m == "query_cache":
            out["query_cache"] = {"memory_size_in_bytes": 0, "total_count": _stat(idx, "query_cache_total_count"),
                                  "hit_count": _stat(idx, "query_cache_hit_count"),
                                  "miss_count": _stat(idx, "query_cache_miss_count"),
                                  "cache_size": 0, "cache_count": 0, "evictions": 0}
        elif m == "fielddata":
            out["fielddata"] = {"memory_size_in_bytes": _stat(idx, "fielddata_memory_size_in_bytes"), "evictions": 0,
                                "global_ordinals": {"build_time_in_millis": 0}}
        elif m == "completion":
            out["completion"] = {"size_in_bytes": 0}
        elif m == "segments":
            out["segments"] = {"count": 1 if seg.max_doc else 0, "memory_in_bytes": 0, "terms_memory_in_bytes": 0,
                               "stored_fields_memory_in_bytes": 0, "term_vectors_memory_in_bytes": 0,
                               "norms_memory_in_bytes": 0, "points_memory_in_bytes": 0,
                               "doc_values_memory_in_bytes": 0, "index_writer_memory_in_bytes": 0,
                               "version_map_memory_in_bytes": 0, "fixed_bit_set_memory_in_bytes": 0,
                               "max_unsafe_auto_id_timestamp": -1, "file_sizes": {}}
        elif m == "translog":
            out["translog"] = {"operations": 0, "size_in_bytes": 55, "uncommitted_operations": 0,
                               "uncommitted_size_in_bytes": 55, "earliest_last_modified_age": 0}
        elif m == "request_cache":
            out["request_cache"] = {"memory_size_in_bytes": _stat(idx, "request_cache_memory_size_in_bytes"),
                                    "evictions": _stat(idx, "request_cache_evictions"),
                                    "hit_count": _stat(idx, "request_cache_hit_count"),
                                    "miss_count": _stat(idx, "request_cache_miss_count")}
        elif m == "recovery":
            out["recovery"] = {"current_as_source": 0, "current_as_target": 0, "throttle_time_in_millis": 0}
        elif m == "bulk":
            out["bulk"] = {"total_operations": 0, "total_time_in_millis": 0, "total_size_in_bytes": 0,
                           "avg_time_in_millis": 0, "avg_size_in_bytes": 0}
        elif m == "dense_vector":
            out["dense_vector"] = {"value_count": sum(len(c.docs) for c in seg.vectors.values())}
        elif m == "sparse_vector":
            out["sparse_vector"] = {"value_count": 0}
        elif m == "mappings":
            out["mappings"] = {"total_count": len(idx.mapping.fields), "total_estimated_overhead_in_bytes":
                               len(idx.mapping.fields) * 1024}
    return out


def _sum_stats(items: list[dict[str, Any]]) -> dict[str, Any]:
    if not items:
        return {}
    out = copy.deepcopy(items[0])
    for item in items[1:]:
        _add_into(out, item)
    return out


def _add_into(target: dict[str, Any], extra: dict[str, Any]) -> None:
    for key, value in extra.items():
        if isinstance(value, dict):
            _add_into(target.setdefault(key, {}), value)
        elif isinstance(value, bool):
            target[key] = bool(target.get(key)) or value
        elif isinstance(value, (int, float)) and key != "max_unsafe_auto_id_timestamp":
            target[key] = target.get(key, 0) + value


# ---- aliases ---------------------------------------------------------------------------------------------
ADD_FIELDS = ["index", "indices", "alias", "aliases", "filter", "routing", "index_routing", "search_routing",
              "is_write_index", "is_hidden", "must_exist"]
REMOVE_FIELDS = ["index", "indices", "alias", "aliases", "must_exist"]
REMOVE_INDEX_FIELDS = ["index", "indices", "must_exist"]


@route("POST", "/_aliases")
def update_aliases(engine: Engine, req: Request) -> dict[str, Any]:
    body = _body(req, required=True)
    for key in body:
        if key != "actions":
            raise unknown_field("aliases", key, ["actions"])
    raw = body.get("actions")
    if isinstance(raw, dict):
        raw = [raw]
    if raw is None:
        raw = []
    if not isinstance(raw, list):
        raise EsError(400, "x_content_parse_exception", "[1:13] [aliases] failed to parse field [actions]",
                      line=1, col=13)
    actions = [_parse_alias_action(a) for a in raw]
    problems = []
    if not actions:
        problems.append("Must specify at least one alias action")
    for a in actions:
        if not a["aliases"] and a["type"] != "remove_index":
            problems.append(f"Alias action [{a['type']}]: Property [alias/aliases] is either missing or null")
        if not a["indices"]:
            problems.append(f"Alias action [{a['type']}]: Property [index/indices] is either missing or null")
    if problems:
        raise action_request_validation(problems)
    return engine.update_aliases(actions)


def _parse_alias_action(entry: Any) -> dict[str, Any]:
    if not isinstance(entry, dict):
        raise EsError(400, "x_content_parse_exception", "[1:13] [aliases] failed to parse field [actions]",
                      line=1, col=13)
    kinds = [k for k in entry if entry[k] is not None]
    for k in entry:
        if k not in ("add", "remove", "remove_index"):
            raise unknown_field("alias_action", k, ["add", "remove", "remove_index"])
    if len(kinds) != 1:
        raise illegal_argument("Too many operations declared on operation entry" if kinds
                               else "Expected one of [add, remove, remove_index]")
    kind = kinds[0]
    spec = entry[kind]
    if not isinstance(spec, dict):
        raise EsError(400, "x_content_parse_exception", f"[1:2] [alias_action] failed to parse field [{kind}]",
                      line=1, col=2)
    allowed = {"add": ADD_FIELDS, "remove": REMOVE_FIELDS, "remove_index": REMOVE_INDEX_FIELDS}[kind]
    for key in spec:
        if key not in ADD_FIELDS:
            raise unknown_field(kind, key, allowed)
        if key not in allowed:
            raise illegal_argument(f"[{key}] is unsupported for [{kind}]")
    if "must_exist" in spec and kind != "remove":
        raise illegal_argument(f"[must_exist] is unsupported for [{kind}]")
    if "index" in spec and "indices" in spec:
        raise illegal_argument("Only one of [index] and [indices] is supported")
    if "alias" in spec and "aliases" in spec:
        raise illegal_argument("Only one of [alias] and [aliases] is supported")
    indices = _str_list(spec.get("index", spec.get("indices")), "index")
    aliases = _str_list(spec.get("alias", spec.get("aliases")), "alias")
    action: dict[str, Any] = {"type": kind, "indices": indices, "aliases": aliases}
    if kind == "add":
        fields = {k: v for k, v in spec.items() if k in ("filter", "routing", "index_routing", "search_routing",
                                                         "is_write_index", "is_hidden")}
        if isinstance(fields.get("filter"), str):
            import orjson

            try:
                fields["filter"] = orjson.loads(fields["filter"])
            except orjson.JSONDecodeError:
                raise illegal_argument(f"failed to parse filter for alias [{aliases[0] if aliases else ''}]") \
                    from None
        for key in ("routing", "index_routing", "search_routing"):
            if isinstance(fields.get(key), (int, float)) and not isinstance(fields.get(key), bool):
                fields[key] = str(fields[key])
        action["spec"] = parse_alias_spec(aliases[0] if aliases else "", fields)
    if kind == "remove" and spec.get("must_exist") is not None:
        action["must_exist"] = bool(spec["must_exist"])
    return action


def _str_list(value: Any, name: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        if value == "":
            raise illegal_argument(f"[{name}] can't be empty string")
        return [value]
    if isinstance(value, list):
        out = []
        for v in value:
            if not isinstance(v, str):
                raise illegal_argument(f"[{name}] must be a string or an array of strings")
            out.append(v)
        return out
    raise illegal_argument(f"[{name}] must be a string or an array of strings")


@route("PUT,POST", "/{index}/_alias/{name}", "/{index}/_aliases/{name}", "/_alias/{name}", "/_aliases/{name}")
def put_alias(engine: Engine, req: Request) -> dict[str, Any]:
    index = req.path_params.get("index")
    name = req.path_params.get("name")
    fields: dict[str, Any] = {}
    body = req.json(False)
    if body is not None:
        if not isinstance(body, dict):
            raise illegal_argument("No index alias is specified")
        for key, value in body.items():
            if isinstance(value, list):
                raise illegal_argument(f"[{key}] Unexpected token [START_ARRAY]")
            if key == "index":
                index = str(value)
            elif key == "alias":
                name = str(value)
            elif key in ("routing", "index_routing", "search_routing", "indexRouting", "searchRouting",
                         "index-routing", "search-routing"):
                canonical = {"indexRouting": "index_routing", "index-routing": "index_routing",
                             "searchRouting": "search_routing", "search-routing": "search_routing"}.get(key, key)
                fields[canonical] = None if value is None else str(value)
            elif key in ("is_write_index", "is_hidden"):
                if not isinstance(value, bool):
                    raise illegal_argument(f"Failed to parse value [{value}] as only [true] or [false] are "
                                           f"allowed.")
                fields[key] = value
            elif key == "filter":
                if not isinstance(value, dict):
                    raise illegal_argument(f"Unknown token [{'VALUE_STRING' if isinstance(value, str) else 'VALUE'}]")
                fields["filter"] = value
            else:
                raise illegal_argument(f"Unsupported field [{key}]")
    problems = []
    if not name:
        problems.append("Alias action [add]: Property [alias/aliases] is either missing or null")
    if not index:
        problems.append("Alias action [add]: Property [index/indices] is either missing or null")
    if problems:
        raise action_request_validation(problems)
    spec = parse_alias_spec(name, {k: v for k, v in fields.items() if v is not None})
    action = {"type": "add", "indices": [p for p in index.split(",") if p], "aliases": [name], "spec": spec}
    return engine.update_aliases([action])


@route("DELETE", "/{index}/_alias/{name}", "/{index}/_aliases/{name}")
def delete_alias(engine: Engine, req: Request) -> dict[str, Any]:
    names = [n for n in req.path_params["name"].split(",") if n]
    action = {"type": "remove", "indices": [p for p in req.path_params["index"].split(",") if p], "aliases": names}
    return engine.update_aliases([action])


@route("GET,HEAD", "/_alias", "/_aliases", "/_alias/{name}", "/{index}/_alias", "/{index}/_aliases",
       "/{index}/_alias/{name}")
def get_alias(engine: Engine, req: Request) -> Response:
    name_param = req.path_params.get("name")
    names_given = name_param is not None
    requested = [n for n in (name_param or "").split(",") if n]
    if names_given and not requested:
        requested = ["_all"]
    indices = _targets(engine, req, req.path_params.get("index"), expand="all", forbid_closed=False)
    body: dict[str, Any] = {}
    returned: set[str] = set()
    for idx in indices:
        if names_given:
            matched = match_aliases(requested, sorted(idx.aliases))
            if not matched:
                continue
        else:
            matched = sorted(idx.aliases)
        returned.update(matched)
        body[idx.name] = {"aliases": {a: render_alias(idx.aliases[a]) for a in sorted(matched)}}
    missing = _missing_aliases(requested, returned) if names_given else []
    if req.method == "HEAD":
        return Response(404 if missing or (names_given and not returned) else 200, None)
    if missing:
        message = (f"alias [{missing[0]}] missing" if len(missing) == 1
                   else f"aliases [{','.join(missing)}] missing")
        return Response(404, {"error": message, "status": 404, **body})
    return Response(200, body)


def _missing_aliases(requested: list[str], returned: set[str]) -> list[str]:
    """Explicitly requested alias names (not wildcards, not excluded later) absent from the result."""
    first_wildcard = next((i for i, r in enumerate(requested) if "*" in r), len(requested))
    missing = set()
    for i, name in enumerate(requested):
        if name == "_all" or "*" in name or (i > first_wildcard and name.startswith("-")):
            continue
        excluded = False
        for later in requested[max(i + 1, first_wildcard):]:
            if later.startswith("-") and (simple_match(later[1:], name) or later[1:] == "_all"):
                excluded = True
                break
        if not excluded and name not in returned:
            missing.add(name)
    return sorted(missing)


@route("GET", "/_cat/aliases", "/_cat/aliases/{name}")
def cat_aliases(engine: Engine, req: Request) -> Response:
    requested = [n for n in (req.path_params.get("name") or "").split(",") if n]
    rows = []
    for idx in sorted(engine.indices.values(), key=lambda i: i.name):
        for alias in sorted(idx.aliases):
            if requested and not match_aliases(requested, [alias]):
                continue
            spec = idx.aliases[alias]
            writer = spec.get("is_write_index")
            rows.append({"alias": alias, "index": idx.name, "filter": "*" if spec.get("filter") else "-",
                         "routing.index": spec.get("index_routing") or "-",
                         "routing.search": spec.get("search_routing") or "-",
                         "is_write_index": "-" if writer is None else ("true" if writer else "false")})
    rows.sort(key=lambda r: (r["alias"], r["index"]))
    return cat_response(req, rows, ["alias", "index", "filter", "routing.index", "routing.search",
                                    "is_write_index"])


# ---- index templates --------------------------------------------------------------------------------------
@route("PUT,POST", "/_index_template/{name}")
def put_index_template(engine: Engine, req: Request) -> dict[str, Any]:
    body = _body(req, required=True)
    req.param("cause")
    engine.put_index_template(req.path_params["name"], body, create=req.flag("create"))
    return {"acknowledged": True}


@route("GET", "/_index_template", "/_index_template/{name}")
def get_index_template(engine: Engine, req: Request) -> dict[str, Any]:
    flat = req.flag("flat_settings")
    req.flag("include_defaults")
    human = req.flag("human")
    found = engine.get_index_templates(req.path_params.get("name"))
    return {"index_templates": [{"name": n, "index_template": render_index_template(t, flat, human)}
                                for n, t in found]}


@route("HEAD", "/_index_template/{name}")
def exists_index_template(engine: Engine, req: Request) -> Response:
    try:
        found = engine.get_index_templates(req.path_params["name"])
    except EsError:
        return Response(404, None)
    return Response(200 if found else 404, None)


@route("DELETE", "/_index_template/{name}")
def delete_index_template(engine: Engine, req: Request) -> dict[str, Any]:
    engine.delete_index_templates(req.path_params["name"])
    return {"acknowledged": True}


@route("POST", "/_index_template/_simulate_index/{name}")
def simulate_index_template(engine: Engine, req: Request) -> dict[str, Any]:
    body = req.json(False)
    req.flag("include_defaults")
    req.flag("create")
    result = engine.simulate_index(req.path_params["name"], body)
    return _render_simulation(result, req.flag("flat_settings"))


@route("POST", "/_index_template/_simulate", "/_index_template/_simulate/{name}")
def simulate_template(engine: Engine, req: Request) -> dict[str, Any]:
    body = req.json(False)
    req.flag("include_defaults")
    req.flag("create")
    result = engine.simulate_template(req.path_params.get("name"), body)
    return _render_simulation(result, req.flag("flat_settings"))


def _render_simulation(result: dict[str, Any], flat: bool) -> dict[str, Any]:
    if flat and "template" in result:
        settings = result["template"]["settings"]
        result["template"]["settings"] = settings_mod.flatten_settings(settings) if settings else {}
    return result


def render_template_section(section: dict[str, Any], flat: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "settings" in section:
        out["settings"] = settings_mod.render(section["settings"], flat)
    if "mappings" in section:
        out["mappings"] = section["mappings"]
    if "aliases" in section:
        out["aliases"] = {a: render_alias(s) for a, s in section["aliases"].items()}
    for key in ("lifecycle", "data_stream_options"):
        if key in section:
            out[key] = section[key]
    return out


def render_index_template(tpl: dict[str, Any], flat: bool = False, human: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {"index_patterns": tpl["index_patterns"]}
    if "template" in tpl:
        out["template"] = render_template_section(tpl["template"], flat)
    out["composed_of"] = tpl.get("composed_of", [])
    for key in ("priority", "version", "_meta", "data_stream", "allow_auto_create",
                "ignore_missing_component_templates", "deprecated"):
        if key in tpl:
            out[key] = tpl[key]
    _render_tracking(tpl, out, human)
    return out


def _render_tracking(tpl: dict[str, Any], out: dict[str, Any], human: bool) -> None:
    """created_date(_millis) / modified_date(_millis), as ES's timestampFieldsFromUnixEpochMillis."""
    for key in ("created_date", "modified_date"):
        millis = tpl.get(f"{key}_millis")
        if millis is None:
            continue
        if human:
            out[key] = _iso(millis)
        out[f"{key}_millis"] = millis


# ---- component templates -------------------------------------------------------------------------------
@route("PUT,POST", "/_component_template/{name}")
def put_component_template(engine: Engine, req: Request) -> dict[str, Any]:
    body = _body(req, required=True)
    engine.put_component_template(req.path_params["name"], body, create=req.flag("create"))
    return {"acknowledged": True}


@route("GET", "/_component_template", "/_component_template/{name}")
def get_component_template(engine: Engine, req: Request) -> dict[str, Any]:
    flat = req.flag("flat_settings")
    req.flag("include_defaults")
    found = engine.get_component_templates(req.path_params.get("name"))
    out = []
    for name, tpl in found:
        rendered: dict[str, Any] = {"template": render_template_section(tpl["template"], flat)}
        for key in ("version", "_meta", "deprecated"):
            if key in tpl:
                rendered[key] = tpl[key]
        _render_tracking(tpl, rendered, req.flag("human"))
        out.append({"name": name, "component_template": rendered})
    return {"component_templates": out}


@route("HEAD", "/_component_template/{name}")
def exists_component_template(engine: Engine, req: Request) -> Response:
    try:
        found = engine.get_component_templates(req.path_params["name"])
    except EsError:
        return Response(404, None)
    return Response(200 if found else 404, None)


@route("DELETE", "/_component_template/{name}")
def delete_component_template(engine: Engine, req: Request) -> dict[str, Any]:
    engine.delete_component_templates(req.path_params["name"])
    return {"acknowledged": True}


# ---- legacy templates ------------------------------------------------------------------------------------
@route("PUT,POST", "/_template/{name}")
def put_legacy_template(engine: Engine, req: Request) -> Response:
    body = _body(req, required=True)
    order = req.int_param("order")
    engine.put_legacy_template(req.path_params["name"], body, create=req.flag("create"), order=order)
    return Response(200, {"acknowledged": True}, headers={
        "Warning": '299 Elasticsearch-8.17.0 "Legacy index templates are deprecated in favor of composable '
                   'templates."'})


@route("GET", "/_template", "/_template/{name}")
def get_legacy_template(engine: Engine, req: Request) -> Response:
    flat = req.flag("flat_settings")
    name = req.path_params.get("name")
    found = engine.get_legacy_templates(name)
    body = {}
    for tname, tpl in found:
        entry: dict[str, Any] = {"order": tpl.get("order", 0)}
        if tpl.get("version") is not None:
            entry["version"] = tpl["version"]
        entry["index_patterns"] = tpl["index_patterns"]
        entry["settings"] = settings_mod.render(tpl.get("settings") or {}, flat)
        entry["mappings"] = tpl.get("mappings") or {}
        entry["aliases"] = {a: render_alias(s) for a, s in (tpl.get("aliases") or {}).items()}
        body[tname] = entry
    if not body and name:
        return Response(404, {})
    return Response(200, body)


@route("HEAD", "/_template/{name}")
def exists_legacy_template(engine: Engine, req: Request) -> Response:
    return Response(200 if engine.get_legacy_templates(req.path_params["name"]) else 404, None)


@route("DELETE", "/_template/{name}")
def delete_legacy_template(engine: Engine, req: Request) -> dict[str, Any]:
    engine.delete_legacy_templates(req.path_params["name"])
    return {"acknowledged": True}


# ---- analyze -----------------------------------------------------------------------------------------
@route("GET,POST", "/_analyze", "/{index}/_analyze")
def analyze(engine: Engine, req: Request) -> dict[str, Any]:
    from ..analysis import analyze_request

    body = req.json(False)
    if body is None:
        body = {}
    if isinstance(body, dict):
        body = dict(body)
        for key in ("analyzer", "text", "field", "tokenizer", "filter", "char_filter", "explain", "attributes",
                    "normalizer"):
            if key not in body and req.params.get(key) is not None:
                value: Any = req.param(key)
                if key in ("filter", "char_filter", "attributes", "text"):
                    value = [v for v in str(value).split(",") if v]
                elif key == "explain":
                    value = value in ("", "true")
                body[key] = value
    index_name = req.path_params.get("index") or req.param("index")
    idx: Index | None = None
    if index_name:
        targets = engine.resolve(index_name)
        if not targets:
            raise index_not_found(index_name)
        if len(targets) > 1:
            raise illegal_argument(f"[{index_name}] matches more than one index")
        idx = targets[0].index
    if isinstance(body, dict) and body.get("field") is not None:
        body = _resolve_analyze_field(idx, body)
    if idx is None:
        return analyze_request(body, None)
    char_limit = idx.settings.get("index.analyze.max_char_count")
    return analyze_request(body, idx.analysis,
                           max_token_count=settings_mod.int_setting(idx.settings, "analyze.max_token_count", 10000),
                           max_char_count=int(char_limit) if char_limit is not None else None)


def _resolve_analyze_field(idx: Index | None, body: dict[str, Any]) -> dict[str, Any]:
    """`field` -> that field's index analyzer (text) or normalizer (keyword), as TransportAnalyzeAction does."""
    field = str(body.pop("field"))
    if any(body.get(k) is not None for k in ("analyzer", "tokenizer", "normalizer")) or body.get("filter") \
            or body.get("char_filter"):
        return body
    if idx is None:
        raise action_request_validation(["index is required if field is specified"])
    f = idx.mapping.field(field)
    if f is None:
        body["analyzer"] = "default"
    elif f.is_text:
        body["analyzer"] = f.analyzer
    elif f.type == "keyword":
        if f.params.get("normalizer"):
            body["normalizer"] = f.params["normalizer"]
        else:
            body["analyzer"] = "keyword"
    else:
        raise illegal_argument(f"Can't process field [{field}], Analysis requests are only supported on tokenized "
                               f"fields")
    return body


# ---- resolve -------------------------------------------------------------------------------------------------
@route("GET", "/_resolve/index/{name}")
def resolve_index(engine: Engine, req: Request) -> dict[str, Any]:
    from ..engine import parse_expand_wildcards

    expand = parse_expand_wildcards(req.param("expand_wildcards") or "open")
    ignore_unavailable = req.flag("ignore_unavailable")
    req.flag("allow_no_indices", True)
    index_names: set[str] = set()
    alias_names: set[str] = set()
    aliases = engine.alias_map()
    for raw in [p for p in req.path_params["name"].split(",") if p]:
        expr = resolve_date_math(raw)
        if expr.startswith("-"):
            index_names -= {n for n in index_names if simple_match(expr[1:], n)}
            alias_names -= {n for n in alias_names if simple_match(expr[1:], n)}
            continue
        if "*" in expr or expr == "_all":
            pattern = "*" if expr == "_all" else expr
            for idx in engine.indices.values():
                if simple_match(pattern, idx.name) and _visible_for(idx, expand, pattern):
                    index_names.add(idx.name)
            for alias, holders in aliases.items():
                if simple_match(pattern, alias):
                    hidden = any(s.get("is_hidden") for _, s in holders)
                    if not hidden or "hidden" in expand or pattern.startswith("."):
                        alias_names.add(alias)
            continue
        if expr in engine.indices:
            index_names.add(expr)
        elif expr in aliases:
            alias_names.add(expr)
        elif not ignore_unavailable:
            raise index_not_found(expr)
    out_indices = []
    for name in sorted(index_names):
        idx = engine.indices[name]
        attributes = ["closed" if idx.closed else "open"]
        if settings_mod.bool_setting(idx.settings, "hidden"):
            attributes.append("hidden")
        out_indices.append({"name": name, "aliases": sorted(idx.aliases), "attributes": attributes})
    out_aliases = [{"name": a, "indices": sorted(i.name for i, _ in aliases[a])} for a in sorted(alias_names)]
    return {"indices": out_indices, "aliases": out_aliases, "data_streams": []}


def _visible_for(idx: Index, expand: set[str], pattern: str) -> bool:
    if ("closed" if idx.closed else "open") not in expand:
        return False
    if settings_mod.bool_setting(idx.settings, "hidden") and "hidden" not in expand:
        return pattern.startswith(".") and idx.name.startswith(".")
    return True


@route("GET", "/_resolve/cluster", "/_resolve/cluster/{name}")
def resolve_cluster(engine: Engine, req: Request) -> dict[str, Any]:
    from .. import ES_VERSION

    name = req.path_params.get("name")
    try:
        targets = engine.resolve(name or "*", ignore_unavailable=req.flag("ignore_unavailable"),
                                 allow_no_indices=True, expand_wildcards=req.param("expand_wildcards") or "open",
                                 forbid_closed=False)
        matching: bool | None = bool(targets) if name is not None else None
        error = None
    except EsError as err:
        matching, error = False, err.reason
    local: dict[str, Any] = {"connected": True, "skip_unavailable": False}
    if matching is not None:
        local["matching_indices"] = matching
    if error is not None:
        local["error"] = error
    local["version"] = {"number": ES_VERSION, "build_flavor": "default",
                        "minimum_wire_compatibility_version": "7.17.0",
                        "minimum_index_compatibility_version": "7.0.0"}
    return {"(local)": local}


# ---- disk usage / field usage ---------------------------------------------------------------------------------
@route("POST", "/{index}/_disk_usage")
def disk_usage(engine: Engine, req: Request) -> dict[str, Any]:
    if not req.flag("run_expensive_tasks"):
        raise illegal_argument("analyzing the disk usage of an index is expensive and resource-intensive, the "
                               "parameter [run_expensive_tasks] must be set to [true] in order for the task to be "
                               "performed.")
    req.flag("flush", True)
    indices = _targets(engine, req, req.path_params["index"])
    body: dict[str, Any] = {"_shards": {"total": len(indices), "successful": len(indices), "failed": 0}}
    for idx in indices:
        fields: dict[str, dict[str, int]] = {}
        seg = idx.segment

        def entry(name: str, fields: dict[str, dict[str, int]] = fields) -> dict[str, int]:
            return fields.setdefault(name, {"inverted_index": 0, "stored_fields": 0, "doc_values": 0, "points": 0,
                                            "norms": 0, "term_vectors": 0, "knn_vectors": 0})

        for name, inv in seg.inverted.items():
            size = sum(len(term.encode()) + 4 * len(p.docs) + (4 * len(p.positions) if p.positions else 0)
                       for term, p in inv.terms.items())
            entry(name)["inverted_index"] += size
            if inv.with_positions:
                entry(name)["norms"] += inv.doc_count
        for name, col in seg.columns.items():
            f = idx.mapping.fields.get(name)
            if col.kind == "num":
                entry(name)["points"] += 8 * len(col.docs)
                if f is None or f.params.get("doc_values", True) is not False:
                    entry(name)["doc_values"] += 8 * len(col.docs)
            else:
                entry(name)["doc_values"] += 4 * len(col.docs)
        for name, vec in seg.vectors.items():
            entry(name)["knn_vectors"] += 4 * len(vec.docs)
        entry("_id")["inverted_index"] += sum(len(i.encode()) for i in idx.docs)
        entry("_id")["stored_fields"] += sum(len(i.encode()) for i in idx.docs)
        entry("_source")["stored_fields"] += _store_size(idx)
        entry("_seq_no")["points"] += 8 * len(idx.docs)
        entry("_seq_no")["doc_values"] += 8 * len(idx.docs)
        rendered: dict[str, Any] = {}
        totals = {"inverted_index": 0, "stored_fields": 0, "doc_values": 0, "points": 0, "norms": 0,
                  "term_vectors": 0, "knn_vectors": 0}
        for name in sorted(fields):
            parts = fields[name]
            for k, v in parts.items():
                totals[k] += v
            rendered[name] = _usage(parts)
        all_fields = _usage(totals)
        store = all_fields["total_in_bytes"] + 256
        body[idx.name] = {"store_size": _human(store), "store_size_in_bytes": store, "all_fields": all_fields,
                          "fields": rendered}
    return body


def _usage(parts: dict[str, int]) -> dict[str, Any]:
    total = sum(parts.values())
    out: dict[str, Any] = {"total": _human(total), "total_in_bytes": total,
                           "inverted_index": {"total": _human(parts["inverted_index"]),
                                              "total_in_bytes": parts["inverted_index"]}}
    for key in ("stored_fields", "doc_values", "points", "norms", "term_vectors", "knn_vectors"):
        out[key] = _human(parts[key])
        out[f"{key}_in_bytes"] = parts[key]
    return out


def _human(size: int) -> str:
    if size < 1024:
        return f"{size}b"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f}kb"
    return f"{size / 1024 / 1024:.1f}mb"


@route("GET", "/{index}/_field_usage_stats")
def field_usage_stats(engine: Engine, req: Request) -> dict[str, Any]:
    req.param("fields")
    indices = _targets(engine, req, req.path_params["index"])
    body: dict[str, Any] = {"_shards": _shards(indices)}
    for idx in indices:
        shard = {"tracking_id": idx.uuid, "tracking_started_at_millis": idx.creation_date,
                 "routing": {"state": "STARTED", "primary": True, "node": NODE_ID, "relocating_node": None},
                 "stats": {"all_fields": _field_usage_entry(), "fields": {}}}
        body[idx.name] = {"shards": [shard]}
    return body


def _field_usage_entry() -> dict[str, Any]:
    return {"any": 0, "inverted_index": {"terms": 0, "postings": 0, "proximity": 0, "positions": 0,
                                         "term_frequencies": 0, "offsets": 0, "payloads": 0},
            "stored_fields": 0, "doc_values": 0, "points": 0, "norms": 0, "term_vectors": 0, "knn_vectors": 0}


# ---- rollover --------------------------------------------------------------------------------------------------
ROLLOVER_CONDITIONS = ["max_age", "max_docs", "max_size", "max_primary_shard_size", "max_primary_shard_docs",
                       "min_age", "min_docs", "min_size", "min_primary_shard_size", "min_primary_shard_docs"]


@route("POST", "/{alias}/_rollover", "/{alias}/_rollover/{new_index}")
def rollover(engine: Engine, req: Request) -> dict[str, Any]:
    alias = req.path_params["alias"]
    body = _body(req)
    for key in body:
        if key not in ("conditions", "settings", "mappings", "aliases"):
            raise unknown_field("rollover", key, ["conditions", "settings", "mappings", "aliases"])
    dry_run = req.flag("dry_run")
    req.flag("lazy")
    if alias in engine.indices:
        raise illegal_argument(f"rollover target [{alias}] does not point to an alias or data stream")
    holders = [i for i in engine.indices.values() if alias in i.aliases]
    if not holders:
        raise illegal_argument(f"rollover target [{alias}] does not exist")
    found = engine.write_alias_of(alias)
    if found is None:
        raise illegal_argument(f"rollover target [{alias}] does not point to a write index")
    old = engine.indices[found[0]]
    new_name = req.path_params.get("new_index") or _next_index_name(old)
    new_name = resolve_date_math(new_name)
    validate_index_name(new_name)
    conditions = body.get("conditions") or {}
    results, met = _evaluate_conditions(old, conditions)
    response = {"acknowledged": False, "shards_acknowledged": False, "old_index": old.name, "new_index": new_name,
                "rolled_over": False, "dry_run": dry_run, "lazy": False, "conditions": results}
    if dry_run or not met:
        return response
    create_body = {k: v for k, v in body.items() if k in ("settings", "mappings", "aliases")}
    engine.create_index(new_name, create_body)
    spec = dict(old.aliases[alias])
    if spec.get("is_write_index"):
        actions = [{"type": "add", "indices": [old.name], "aliases": [alias], "spec": {**spec, "is_write_index": False}},
                   {"type": "add", "indices": [new_name], "aliases": [alias], "spec": {**spec, "is_write_index": True}}]
    else:
        actions = [{"type": "remove", "indices": [old.name], "aliases": [alias]},
                   {"type": "add", "indices": [new_name], "aliases": [alias], "spec": spec}]
    engine.update_aliases(actions)
    response.update(acknowledged=True, shards_acknowledged=True, rolled_over=True)
    return response


def _next_index_name(old: Index) -> str:
    source = old.settings.get("index.provided_name") or old.name
    match = re.match(r"^(.*)-(\d+)$", source if not source.startswith("<") else old.name)
    if not match:
        raise illegal_argument(f"index name [{old.name}] does not match pattern '^.*-\\d+$'")
    return f"{match.group(1)}-{int(match.group(2)) + 1:06d}"


def _evaluate_conditions(idx: Index, conditions: dict[str, Any]) -> tuple[dict[str, bool], bool]:
    if not isinstance(conditions, dict):
        raise EsError(400, "x_content_parse_exception", "[1:2] [rollover] failed to parse field [conditions]")
    from ..dates import parse_time_value

    docs = _visible_counts(idx)[0]
    size = _store_size(idx)
    age = int(time.time() * 1000) - idx.creation_date
    results: dict[str, bool] = {}
    max_met: list[bool] = []
    min_met: list[bool] = []
    for name, value in conditions.items():
        if name not in ROLLOVER_CONDITIONS:
            raise unknown_field("conditions", name, ROLLOVER_CONDITIONS)
        kind = name.split("_", 1)[1]
        if kind == "age":
            actual, wanted = age, parse_time_value(value, name)
        elif kind in ("docs", "primary_shard_docs"):
            actual, wanted = docs, int(value)
        else:
            actual, wanted = size, _parse_bytes(value)
        ok = actual >= wanted
        results[f"[{name}: {value}]"] = ok
        (max_met if name.startswith("max") else min_met).append(ok)
    met = (not max_met or any(max_met)) and all(min_met)
    if not conditions:
        met = True
    return results, met


def _parse_bytes(value: Any) -> int:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|tb|pb)?", str(value).lower())
    if not match:
        raise EsError(400, "parse_exception", f"failed to parse setting [max_size] with value [{value}] as a size "
                                              f"in bytes: unit is missing or unrecognized")
    mult = {"b": 1, None: 1, "kb": 1024, "mb": 1024**2, "gb": 1024**3, "tb": 1024**4, "pb": 1024**5}[match.group(2)]
    return int(float(match.group(1)) * mult)


# ---- resize: clone / shrink / split --------------------------------------------------------------------------
@route("PUT,POST", "/{index}/_clone/{target}", "/{index}/_shrink/{target}", "/{index}/_split/{target}")
def resize(engine: Engine, req: Request) -> dict[str, Any]:
    kind = req.path.strip("/").split("/")[1][1:]
    source_name = req.path_params["index"]
    target_name = req.path_params["target"]
    body = _body(req)
    for key in body:
        if key not in ("settings", "aliases"):
            if key == "mappings":
                raise action_request_validation(["mappings are not allowed when resizing indices, all mappings are "
                                                 "copied from the source index"])
            raise EsError(400, "parse_exception", f"unknown key [{key}] for create index")
    if source_name not in engine.indices:
        raise index_not_found(source_name)
    source = engine.indices[source_name]
    if not settings_mod.bool_setting(source.settings, "blocks.write") and not \
            settings_mod.bool_setting(source.settings, "blocks.read_only"):
        raise EsError(500, "illegal_state_exception", f"index {source.name} must be read-only to resize index. use "
                                                      f"\"index.blocks.write=true\"")
    requested = settings_mod.flatten_settings(body.get("settings") or {})
    shards = _shard_count(source)
    wanted = int(requested.get("index.number_of_shards", shards if kind == "clone" else 1))
    if kind == "clone" and wanted != shards:
        raise illegal_argument(f"source index shard count [{shards}] must equal target shard count [{wanted}] for "
                               f"clone")
    if kind == "split" and (wanted <= shards or wanted % shards):
        raise illegal_argument(f"the number of source shards [{shards}] must be a factor of [{wanted}]")
    if kind == "shrink" and (wanted > shards or shards % wanted):
        raise illegal_argument(f"the number of source shards [{shards}] must be a multiple of [{wanted}]")
    flat = {k: v for k, v in source.settings.items() if not k.startswith(("index.uuid", "index.provided_name",
                                                                          "index.creation_date"))}
    flat.update(requested)
    flat["index.number_of_shards"] = str(wanted)
    flat = {k: v for k, v in flat.items() if v is not None}
    flat["index.resize.source.name"] = source.name
    flat["index.resize.source.uuid"] = source.uuid
    create_body = {"settings": settings_mod.nest(flat), "mappings": source.mapping.to_json(),
                   "aliases": body.get("aliases") or {}}
    target = engine.create_index(target_name, create_body, templates=False)
    target.settings = {k: v for k, v in flat.items()}
    target.persist_meta()
    for doc_id, state in sorted(source.docs.items(), key=lambda kv: kv[1].seq_no):
        target.index_doc(doc_id, source.source(state), version=state.version, version_type="external",
                         routing=state.routing)
    target.refresh()
    return {"acknowledged": True, "shards_acknowledged": True, "index": target.name}


# ---- segments / recovery / shard stores -----------------------------------------------------------------
@route("GET", "/_segments", "/{index}/_segments")
def segments(engine: Engine, req: Request) -> dict[str, Any]:
    req.flag("verbose")
    indices = _targets(engine, req, req.path_params.get("index"))
    out: dict[str, Any] = {}
    for idx in indices:
        live, deleted = _visible_counts(idx)
        segs = {}
        if live or deleted:
            segs["_0"] = {"generation": 0, "num_docs": live, "deleted_docs": deleted,
                          "size_in_bytes": _store_size(idx), "memory_in_bytes": 0, "committed": True, "search": True,
                          "version": LUCENE_VERSION, "compound": True,
                          "attributes": {"Lucene90StoredFieldsFormat.mode": "BEST_SPEED"}}
        shard = {"routing": {"state": "STARTED", "primary": True, "node": NODE_ID},
                 "num_committed_segments": len(segs), "num_search_segments": len(segs), "segments": segs}
        out[idx.name] = {"shards": {"0": [shard]}}
    return {"_shards": _shards(indices), "indices": out}


@route("GET", "/_recovery", "/{index}/_recovery")
def recovery(engine: Engine, req: Request) -> dict[str, Any]:
    active_only = req.flag("active_only")
    req.flag("detailed")
    indices = _targets(engine, req, req.path_params.get("index"))
    out: dict[str, Any] = {}
    if active_only:
        return out
    for idx in indices:
        size = _store_size(idx)
        started = idx.creation_date
        shard = {
            "id": 0, "type": "EMPTY_STORE" if engine.started * 1000 <= idx.creation_date else "EXISTING_STORE",
            "stage": "DONE", "primary": True, "start_time_in_millis": started, "stop_time_in_millis": started,
            "total_time_in_millis": 0,
            "source": {} if engine.started * 1000 <= idx.creation_date else {"bootstrap_new_history_uuid": False},
            "target": {"id": NODE_ID, "host": "127.0.0.1", "transport_address": "127.0.0.1:9300", "ip": "127.0.0.1",
                       "name": NODE_NAME},
            "index": {"size": {"total_in_bytes": size, "reused_in_bytes": 0, "recovered_in_bytes": size,
                               "recovered_from_snapshot_in_bytes": 0, "percent": "100.0%"},
                      "files": {"total": 0, "reused": 0, "recovered": 0, "percent": "0.0%"},
                      "total_time_in_millis": 0, "source_throttle_time_in_millis": 0,
                      "target_throttle_time_in_millis": 0},
            "translog": {"recovered": 0, "total": 0, "percent": "100.0%", "total_on_start": 0,
                         "total_time_in_millis": 0},
            "verify_index": {"check_index_time_in_millis": 0, "total_time_in_millis": 0},
        }
        if req.flag("human"):
            shard["start_time"] = _iso(started)
            shard["stop_time"] = _iso(started)
            shard["total_time"] = "0s"
        out[idx.name] = {"shards": [shard]}
    return out


def _iso(millis: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(millis / 1000)) + f".{millis % 1000:03d}Z"


@route("GET", "/_shard_stores", "/{index}/_shard_stores")
def shard_stores(engine: Engine, req: Request) -> dict[str, Any]:
    statuses = {s for s in (req.param("status") or "yellow,red").split(",") if s}
    if "all" in statuses:
        statuses = {"green", "yellow", "red"}
    indices = _targets(engine, req, req.path_params.get("index"))
    out: dict[str, Any] = {}
    for idx in indices:
        if _health(idx) not in statuses:
            continue
        store = {NODE_ID: {"name": NODE_NAME, "ephemeral_id": NODE_ID, "transport_address": "127.0.0.1:9300",
                           "external_id": NODE_NAME, "attributes": {}, "roles": ["data", "ingest", "master"],
                           "version": "8.17.0", "min_index_version": 7000099, "max_index_version": 8521000},
                 "allocation_id": idx.uuid, "allocation": "primary"}
        out[idx.name] = {"shards": {"0": {"stores": [store]}}}
    return {"indices": out}


def _jlist(items: list[str]) -> str:
    return "[" + ", ".join(items) + "]"


__all__ = ["render_index_template", "compose"]
