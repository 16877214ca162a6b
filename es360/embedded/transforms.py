"""Transforms: pivot and latest, batch and continuous, with checkpoints and a background scheduler.

A pivot runs as a composite aggregation over the source (paged with `after_key`); each bucket
becomes one destination document with a deterministic `_id`. In continuous mode a checkpoint
only recomputes the entities that changed since the last one (found through `sync.time.field`).

Configs are parsed strictly (ES's `TransformConfig` strict parser), then checked as ES's request
validation does; source/destination, pipeline and query checks run at put/update unless
`defer_validation`, and always at `_start` (except for unattended transforms) and `_preview`.
"""

from __future__ import annotations

import base64
import copy
import fnmatch
import hashlib
import re
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

from . import ES_VERSION
from .dates import parse_time_value
from .engine import Engine, name_problem
from .errors import EsError, illegal_argument, resource_not_found

if TYPE_CHECKING:
    from .aggs.pivot import PivotColumns

GROUP_BY_FIELDS: dict[str, tuple[str, frozenset[str]]] = {
    "terms": ("data_frame_terms_group", frozenset({"field", "script", "missing_bucket"})),
    "histogram": ("data_frame_histogram_group", frozenset({"field", "script", "missing_bucket", "interval"})),
    "date_histogram": ("data_frame_date_histogram_group", frozenset({
        "field", "script", "missing_bucket", "calendar_interval", "fixed_interval", "interval", "format",
        "time_zone", "offset"})),
    "geotile_grid": ("data_frame_geotile_group", frozenset({"field", "missing_bucket", "precision", "bounds"})),
}
SUPPORTED_AGGS = {"avg", "sum", "min", "max", "value_count", "cardinality", "filter", "top_metrics",
                  "bucket_script", "bucket_selector", "scripted_metric", "stats", "extended_stats", "percentiles",
                  "weighted_avg", "median_absolute_deviation", "terms", "range", "missing", "bucket_sort",
                  "rare_terms", "boxplot", "geo_bounds", "geo_centroid", "geo_line"}
CONFIG_KEYS = ("id", "source", "dest", "frequency", "sync", "pivot", "latest", "description", "settings", "_meta",
               "retention_policy")
STRICT_ONLY = ("headers", "create_time", "version")
UPDATE_KEYS = ("source", "dest", "frequency", "sync", "description", "settings", "_meta", "retention_policy")
SETTINGS_KEYS = ("max_page_search_size", "docs_per_second", "dates_as_epoch_millis", "align_checkpoints",
                 "use_point_in_time", "deduce_mappings", "num_failure_retries", "unattended")
RUNTIME_TYPES = {"boolean", "composite", "date", "double", "geo_point", "geo_shape", "ip", "keyword", "long",
                 "lookup"}
DEFAULT_PAGE = 500
DEFAULT_DELAY = "60s"
MAX_PAGE = 65_536
PREVIEW_SIZE = 100
PREVIEW_DEST = "unused-transform-preview-index"
ID_LENGTH_LIMIT = 64
VALID_ID = re.compile(r"[a-z0-9](?:[a-z0-9_\-]*[a-z0-9])?")
VERSION = ES_VERSION
ROLES = ["superuser"]


@dataclass
class TransformState:
    """What `_stats` reports, persisted so a continuous transform resumes after a restart."""

    state: str = "stopped"
    checkpoint: int = 0
    last_checkpoint_ms: int | None = None
    time_upper_bound_ms: int | None = None
    changes_last_detected_ms: int | None = None
    reason: str | None = None
    stats: dict[str, int] = field(default_factory=lambda: {
        "pages_processed": 0, "documents_processed": 0, "documents_indexed": 0, "documents_deleted": 0,
        "trigger_count": 0, "index_time_in_ms": 0, "index_total": 0, "index_failures": 0,
        "search_time_in_ms": 0, "search_total": 0, "search_failures": 0, "processing_time_in_ms": 0,
        "processing_total": 0, "delete_time_in_ms": 0})


# ---- parsing (ES's strict TransformConfig parser) ------------------------------------------------
def _bad(reason: str) -> EsError:
    return EsError(400, "x_content_parse_exception", reason)


def _unknown(parser: str, key: str) -> EsError:
    return _bad(f"[1:2] [{parser}] unknown field [{key}]")


def _build_failure(parser: str, cause: str) -> EsError:
    """ES's ConstructingObjectParser failure: an x_content_parse_exception around the real reason."""
    return EsError(400, "x_content_parse_exception",
                   f"[1:2] Failed to build [{parser}] after last required field arrived",
                   caused_by=illegal_argument(cause))


def _object(value: Any, parser: str, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _bad(f"[1:2] [{parser}] {name} doesn't support values of type: VALUE_STRING")
    return value


def _check_keys(spec: dict[str, Any], allowed: tuple[str, ...] | frozenset[str], parser: str) -> None:
    for key in spec:
        if key not in allowed:
            raise _unknown(parser, key)


def parse_config(body: Any, tid: str | None, *, preview: bool = False) -> dict[str, Any]:
    """A transform definition parsed as ES's strict parser does; returns the normalized config."""
    parser = "data_frame_transform_config"
    body = _object(body, parser, "config")
    for key in body:
        if key in STRICT_ONLY:
            raise _build_failure(parser, f"Found [{key}], not allowed for strict parsing")
        if key not in CONFIG_KEYS:
            raise _unknown(parser, key)
    if "id" in body and tid is not None and body["id"] != tid:
        raise _build_failure(parser, f"Inconsistent id; '{body['id']}' specified in the body differs from "
                                     f"'{tid}' specified as a URL argument")
    if preview:
        given = body.get("dest") if isinstance(body.get("dest"), dict) else {}
        dest = {"index": PREVIEW_DEST, **({"pipeline": given["pipeline"]} if given.get("pipeline") else {})}
        body = {**body, "dest": dest}
    if "source" not in body:
        raise _build_failure(parser, "Required [source]")
    if "dest" not in body:
        raise _build_failure(parser, "Required [dest]")
    if ("pivot" in body) == ("latest" in body):
        raise _build_failure(parser, "Transform configuration must specify exactly 1 function")
    config: dict[str, Any] = {"source": parse_source(body["source"]), "dest": parse_dest(body["dest"])}
    if body.get("frequency") is not None:
        config["frequency"] = parse_frequency(body["frequency"])
    if body.get("sync") is not None:
        config["sync"] = parse_sync(body["sync"])
    if "pivot" in body:
        config["pivot"] = parse_pivot(body["pivot"])
    else:
        config["latest"] = parse_latest(body["latest"])
    if body.get("description") is not None:
        config["description"] = parse_description(body["description"])
    if body.get("settings") is not None:
        config["settings"] = parse_settings(body["settings"])
    if body.get("_meta") is not None:
        config["_meta"] = copy.deepcopy(_object(body["_meta"], parser, "_meta"))
    if body.get("retention_policy") is not None:
        config["retention_policy"] = parse_retention(body["retention_policy"])
    return config


def parse_source(value: Any) -> dict[str, Any]:
    parser = "data_frame_config_source"
    spec = _object(value, parser, "source")
    _check_keys(spec, ("index", "query", "runtime_mappings"), parser)
    index = spec.get("index")
    names = [i for i in index.split(",") if i] if isinstance(index, str) else index
    if not names or not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
        raise _build_failure(parser, "Required [index]")
    out: dict[str, Any] = {"index": list(names)}
    if spec.get("query") is not None:
        out["query"] = copy.deepcopy(_object(spec["query"], parser, "query"))
    if spec.get("runtime_mappings"):
        out["runtime_mappings"] = copy.deepcopy(_object(spec["runtime_mappings"], parser, "runtime_mappings"))
    return out


def parse_dest(value: Any) -> dict[str, Any]:
    parser = "data_frame_config_dest"
    spec = _object(value, parser, "dest")
    _check_keys(spec, ("index", "pipeline", "aliases"), parser)
    if not isinstance(spec.get("index"), str) or not spec["index"]:
        raise _build_failure(parser, "Required [index]")
    out: dict[str, Any] = {"index": spec["index"]}
    if spec.get("aliases") is not None:
        aliases = spec["aliases"]
        if not isinstance(aliases, list):
            raise _bad(f"[1:2] [{parser}] aliases doesn't support values of type: START_OBJECT")
        for alias in aliases:
            _check_keys(_object(alias, "data_frame_config_dest_alias", "alias"), ("alias", "move_on_creation"),
                        "data_frame_config_dest_alias")
        out["aliases"] = copy.deepcopy(aliases)
    if spec.get("pipeline") is not None:
        out["pipeline"] = spec["pipeline"]
    return out


def parse_frequency(value: Any) -> str:
    parse_time_value(value, "frequency")
    return str(value)


def parse_sync(value: Any) -> dict[str, Any]:
    spec = _object(value, "data_frame_transform_config", "sync")
    if len(spec) != 1 or "time" not in spec:
        kind = next(iter(spec), "")
        raise EsError(400, "x_content_parse_exception",
                      "[1:2] [data_frame_transform_config] failed to parse field [sync]",
                      caused_by=EsError(400, "named_object_not_found_exception",
                                        f"[1:2] unknown field [{kind}]"))
    parser = "data_frame_transform_time_sync_config"
    time_spec = _object(spec["time"], parser, "time")
    _check_keys(time_spec, ("field", "delay"), parser)
    if not time_spec.get("field"):
        raise _build_failure(parser, "Required [field]")
    out = {"field": time_spec["field"]}
    if time_spec.get("delay") is not None:
        parse_time_value(time_spec["delay"], "sync.time.delay")
        out["delay"] = str(time_spec["delay"])
    return {"time": out}


def parse_pivot(value: Any) -> dict[str, Any]:
    parser = "data_frame_transform_pivot"
    spec = _object(value, parser, "pivot")
    _check_keys(spec, ("group_by", "aggregations", "aggs", "max_page_search_size"), parser)
    if "aggs" in spec and "aggregations" in spec:
        raise _build_failure(parser, "Found two aggregation definitions: [aggs] and [aggregations]")
    if "group_by" not in spec:
        raise _build_failure(parser, "Required [group_by]")
    aggs = spec.get("aggregations", spec.get("aggs"))
    if aggs is None:
        raise _build_failure(parser, "Required [aggregations]")
    group_by = _object(spec["group_by"], parser, "group_by")
    for name, source in group_by.items():
        source = _object(source, "data_frame_transform_group", name)
        if len(source) != 1:
            raise _bad(f"[1:2] invalid grouping, expected exactly one group type for [{name}]")
        kind, group_spec = next(iter(source.items()))
        if kind not in GROUP_BY_FIELDS:
            raise EsError(400, "parsing_exception", f"invalid grouping type: {kind}")
        group_parser, allowed = GROUP_BY_FIELDS[kind]
        _check_keys(_object(group_spec, group_parser, kind), allowed, group_parser)
    aggs = _object(aggs, parser, "aggregations")
    for name, agg in aggs.items():
        _object(agg, "aggregations", name)
    out: dict[str, Any] = {"group_by": copy.deepcopy(group_by), "aggregations": copy.deepcopy(aggs)}
    if spec.get("max_page_search_size") is not None:
        out["max_page_search_size"] = _int(spec["max_page_search_size"], parser, "max_page_search_size")
    return out


def parse_latest(value: Any) -> dict[str, Any]:
    parser = "latest_config"
    spec = _object(value, parser, "latest")
    _check_keys(spec, ("unique_key", "sort"), parser)
    if "unique_key" not in spec:
        raise _build_failure(parser, "Required [unique_key]")
    if "sort" not in spec:
        raise _build_failure(parser, "Required [sort]")
    keys = spec["unique_key"]
    if isinstance(keys, str):
        keys = [keys]
    if not isinstance(keys, list):
        raise _bad(f"[1:2] [{parser}] unique_key doesn't support values of type: START_OBJECT")
    return {"unique_key": list(keys), "sort": spec["sort"]}


def parse_description(value: Any) -> str:
    if not isinstance(value, str):
        raise _bad("[1:2] [data_frame_transform_config] description doesn't support values of type: START_OBJECT")
    if len(value) > 1000:
        raise _build_failure("data_frame_transform_config", "[description] must be less than 1000 characters in "
                                                            "length.")
    return value


def parse_settings(value: Any) -> dict[str, Any]:
    parser = "transform_config_settings"
    spec = _object(value, parser, "settings")
    _check_keys(spec, SETTINGS_KEYS, parser)
    out = copy.deepcopy(spec)
    for key in ("max_page_search_size", "num_failure_retries"):
        if out.get(key) is not None:
            out[key] = _int(out[key], parser, key)
    return out


def parse_retention(value: Any) -> dict[str, Any]:
    spec = _object(value, "data_frame_transform_config", "retention_policy")
    if len(spec) != 1 or "time" not in spec:
        raise _bad("[1:2] [data_frame_transform_config] failed to parse field [retention_policy]")
    parser = "data_frame_transform_time_retention_policy_config"
    time_spec = _object(spec["time"], parser, "time")
    _check_keys(time_spec, ("field", "max_age"), parser)
    if not time_spec.get("field") or time_spec.get("max_age") is None:
        raise _build_failure(parser, "Required [field]" if not time_spec.get("field") else "Required [max_age]")
    parse_time_value(time_spec["max_age"], "retention_policy.time.max_age")
    return copy.deepcopy(spec)


def _int(value: Any, parser: str, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise _bad(f"[1:2] [{parser}] failed to parse field [{name}]")
    try:
        return int(value)
    except ValueError:
        raise _bad(f"[1:2] [{parser}] failed to parse field [{name}]") from None


# ---- request validation (ActionRequestValidationException) ---------------------------------------
def request_problems(tid: str, config: dict[str, Any], *, check_id: bool = True) -> list[str]:
    """The messages of ES's request validation (settings, pivot/latest, destination name, id, frequency)."""
    problems: list[str] = []
    settings = config.get("settings") or {}
    page = settings.get("max_page_search_size")
    if page is not None and not 10 <= page <= MAX_PAGE:
        problems.append(f"settings.max_page_search_size [{page}] is out of range. The minimum value is 10 and the "
                        f"maximum is {MAX_PAGE}")
    retries = settings.get("num_failure_retries")
    if retries is not None and not -1 <= retries <= 100:
        problems.append(f"settings.num_failure_retries [{retries}] is out of range. The minimum value is -1 "
                        f"(infinity) and the maximum is 100")
    if settings.get("unattended") is True and retries is not None and retries != -1:
        problems.append(f"settings.num_failure_retries [{retries}] can not be set in unattended mode, unattended "
                        f"retries indefinitely")
    if "pivot" in config:
        pivot = config["pivot"]
        page = pivot.get("max_page_search_size")
        if page is not None and not 10 <= page <= MAX_PAGE:
            problems.append(f"pivot.max_page_search_size [{page}] is out of range. The minimum value is 10 and the "
                            f"maximum is {MAX_PAGE}")
        problems.extend(field_name_problems([*pivot["group_by"], *pivot["aggregations"]]))
    else:
        problems.extend(latest_problems(config["latest"]))
    dest = config["dest"]["index"]
    problem = name_problem(dest)
    if problem:
        problems.append(f"Invalid index name [{dest}], {problem}")
    elif dest.lower() != dest:
        problems.append(f"Destination index [{dest}] must be lowercase")
    if check_id:
        if not VALID_ID.fullmatch(tid):
            problems.append(f"Invalid id; '{tid}' can contain lowercase alphanumeric (a-z and 0-9), hyphens or "
                            f"underscores; must start and end with alphanumeric")
        if len(tid) > ID_LENGTH_LIMIT:
            problems.append(f"The id cannot contain more than {ID_LENGTH_LIMIT} characters.")
    problems.extend(frequency_problems(config.get("frequency")))
    return problems


def frequency_problems(frequency: str | None) -> list[str]:
    if frequency is None:
        return []
    millis = parse_time_value(frequency, "frequency")
    if millis < 1000:
        return ["minimum permitted [frequency] is [1s]"]
    if millis > 3_600_000:
        return ["highest permitted [frequency] is [1h]"]
    return []


def field_name_problems(names: list[str]) -> list[str]:
    """ES's PivotConfig.aggFieldValidation: duplicates and names that would be both object and field."""
    used = sorted(names)
    out = []
    for current, following in zip(used, used[1:], strict=False):
        if following.startswith(current + "."):
            out.append(f"field [{current}] cannot be both an object and a field")
        if following == current:
            out.append(f"duplicate field [{current}] detected")
    for name in used:
        if name.startswith("."):
            out.append(f"field [{name}] must not start with '.'")
        if name.endswith("."):
            out.append(f"field [{name}] must not end with '.'")
    return out


def latest_problems(latest: dict[str, Any]) -> list[str]:
    out = []
    keys = latest["unique_key"]
    if not keys:
        out.append("latest.unique_key must be non-empty")
    seen: set[str] = set()
    for i, key in enumerate(keys):
        if not key:
            out.append(f"latest.unique_key[{i}] element must be non-empty")
        elif key in seen:
            out.append(f"latest.unique_key elements must be unique, found duplicate element [{key}]")
        else:
            seen.add(key)
    if not latest["sort"]:
        out.append("latest.sort must be non-empty")
    return out


def _raise_validation(problems: list[str], kind: str = "action_request_validation_exception") -> None:
    if problems:
        text = "Validation Failed: " + "".join(f"{i + 1}: {p};" for i, p in enumerate(problems))
        raise EsError(400, kind, text)


def check_supported_aggs(config: dict[str, Any]) -> None:
    """ES's Pivot.validateConfig: every top-level aggregation must be one transforms can write."""
    for agg in config.get("pivot", {}).get("aggregations", {}).values():
        kind = _agg_kind(agg)
        if kind not in SUPPORTED_AGGS:
            raise EsError(400, "validation_exception",
                          f"Validation Failed: 1: Unsupported aggregation type [{kind}];")


def _agg_kind(agg: dict[str, Any]) -> str | None:
    return next((k for k in agg if k not in ("aggs", "aggregations", "meta")), None)


# ---- documents and mappings ----------------------------------------------------------------------
def doc_id_for(transform_id: str, key: dict[str, Any]) -> str:
    """A stable destination `_id` for a group key (the same entity always maps to the same doc)."""
    digest = hashlib.sha256(transform_id.encode() + b"\0" + orjson.dumps(key, option=orjson.OPT_SORT_KEYS))
    return base64.urlsafe_b64encode(digest.digest()[:15]).decode()


def _set_path(doc: dict[str, Any], path: str, value: Any) -> None:
    _set_parts(doc, path.split("."), value)


def _set_parts(doc: dict[str, Any], parts: list[str], value: Any) -> None:
    node = doc
    for part in parts[:-1]:
        nxt = node.get(part)
        if not isinstance(nxt, dict):
            nxt = node[part] = {}
        node = nxt
    node[parts[-1]] = value


def agg_value(spec: dict[str, Any], result: dict[str, Any], dates_as_millis: bool = False) -> Any:
    """The value a pivot writes for one aggregation result (ES's AggregationResultUtils rules)."""
    kind = _agg_kind(spec)
    if kind in ("filter", "missing"):
        subs = spec.get("aggs", spec.get("aggregations"))
        if not subs:
            return result.get("doc_count", 0)
        return {name: agg_value(sub, result.get(name, {}), dates_as_millis) for name, sub in subs.items()}
    if kind in ("stats", "extended_stats", "boxplot"):
        return {k: v for k, v in result.items() if not k.endswith("_as_string") and k != "meta"}
    if kind == "percentiles":
        values = result.get("values", {})
        if isinstance(values, list):
            return {str(v["key"]).replace(".", "_"): v.get("value") for v in values}
        return {k.replace(".", "_"): v for k, v in values.items()}
    if kind == "top_metrics":
        top = result.get("top", [])
        return dict(top[0]["metrics"]) if top else {}
    if kind in ("terms", "rare_terms", "range"):
        return {str(b.get("key_as_string", b.get("key"))): b["doc_count"] for b in result.get("buckets", [])}
    if kind in ("min", "max") and not dates_as_millis and "value_as_string" in result \
            and result.get("value") is not None:
        return result["value_as_string"]
    return result.get("value")


def deduce_mappings(engine: Engine, config: dict[str, Any]) -> dict[str, Any]:
    """Destination field types deduced from the source mappings, as ES does for pivots: a flat map of
    (possibly dotted) output names to `{"type": ...}`; empty for `latest` or with `deduce_mappings: false`."""
    if "latest" in config or (config.get("settings") or {}).get("deduce_mappings") is False:
        return {}
    targets = engine.resolve(config["source"]["index"], ignore_unavailable=True)
    runtime = config["source"].get("runtime_mappings") or {}

    def source_type(name: str | None) -> str | None:
        if not name:
            return None
        if isinstance(runtime.get(name), dict):
            return runtime[name].get("type")
        for t in targets:
            f = t.index.mapping.field(name)
            if f is not None:
                return f.type
        return None

    props: dict[str, Any] = {}
    pivot = config["pivot"]
    for name, source in pivot["group_by"].items():
        kind, spec = next(iter(source.items()))
        mapped = {"terms": source_type(spec.get("field")) or "keyword", "histogram": "double",
                  "date_histogram": "date", "geotile_grid": "geo_shape"}[kind]
        if mapped in ("text", "match_only_text"):
            mapped = "keyword"
        props[name] = {"type": mapped}
    for name, agg in pivot.get("aggregations", {}).items():
        _deduce_agg(props, name, agg, source_type)
    return props


def _deduce_agg(props: dict[str, Any], name: str, agg: dict[str, Any], source_type: Any) -> None:
    kind = _agg_kind(agg)
    spec = agg.get(kind) if kind else None
    if kind in ("min", "max", "sum"):
        t = source_type(spec.get("field")) if isinstance(spec, dict) else None
        if kind == "sum" and t in ("date", "date_nanos", "scaled_float", "half_float", "float"):
            t = "double"  # as ES: a sum is a double
        elif t in ("scaled_float", "half_float"):
            t = "float"  # min/max keep the value, not the scaling parameters
        props[name] = {"type": t if t in _NUMERIC_OR_DATE else "double"}
    elif kind in ("avg", "weighted_avg", "bucket_script", "median_absolute_deviation"):
        props[name] = {"type": "double"}
    elif kind in ("value_count", "cardinality"):
        props[name] = {"type": "long"}
    elif kind in ("filter", "missing"):
        subs = agg.get("aggs", agg.get("aggregations"))
        if subs:
            for sub_name, sub in subs.items():
                _deduce_agg(props, f"{name}.{sub_name}", sub, source_type)
        else:
            props[name] = {"type": "long"}
    elif kind == "top_metrics" and isinstance(spec, dict):
        metrics = spec.get("metrics", [])
        for metric in metrics if isinstance(metrics, list) else [metrics]:
            t = source_type(metric.get("field"))
            if t is not None:
                props[f"{name}.{metric['field']}"] = {"type": "keyword" if t == "text" else t}
    elif kind in ("stats", "extended_stats"):
        props[f"{name}.count"] = {"type": "long"}
        for sub in ("min", "max", "avg", "sum"):
            props[f"{name}.{sub}"] = {"type": "double"}
    elif kind in ("terms", "rare_terms"):
        props[name] = {"type": "flattened"}
    elif kind == "geo_centroid":
        props[name] = {"type": "geo_point"}
    elif kind == "geo_bounds":
        props[name] = {"type": "geo_shape"}


_NUMERIC_OR_DATE = {"long", "integer", "short", "byte", "double", "float", "half_float", "scaled_float",
                    "unsigned_long", "date", "date_nanos"}


def _sort_token(value: Any) -> tuple[int, Any]:
    """Composite-order key for a unique-key value: missing first, then numbers, then strings."""
    if value is None:
        return (0, 0)
    if isinstance(value, bool):
        return (1, int(value))
    if isinstance(value, int | float):
        return (1, value)
    return (2, str(value))


def _get(source: dict[str, Any], path: str) -> Any:
    if path in source:
        return source[path]
    node: Any = source
    for part in path.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def _used_runtime_fields(config: dict[str, Any]) -> dict[str, Any]:
    """The source's runtime fields the transform refers to (unused ones need not reach the search)."""
    runtime = config["source"].get("runtime_mappings") or {}
    if not runtime:
        return {}
    rest = orjson.dumps({k: v for k, v in config.items() if k != "source"}).decode() + orjson.dumps(
        config["source"].get("query") or {}).decode()
    return {name: spec for name, spec in runtime.items() if orjson.dumps(name).decode() in rest}


def _iso(millis: int | None) -> str | None:
    if millis is None:
        return None
    from .dates import get_formatter

    return get_formatter("strict_date_optional_time").format(int(millis))


# ---- the service ---------------------------------------------------------------------------------
class TransformService:
    """Holds transform configs and states and runs checkpoints (scheduler thread for continuous ones)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.configs: dict[str, dict[str, Any]] = engine.store.load_objects("transform")
        self.states: dict[str, TransformState] = {
            k: TransformState(**v) for k, v in engine.store.load_objects("transform_state").items()}
        self._due: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if any(s.state in ("started", "indexing") for s in self.states.values()):
            for tid, st in self.states.items():
                if st.state == "indexing":
                    st.state = "started"
                if st.state == "started":
                    self._due[tid] = 0.0
            self._ensure_thread()

    # ---- CRUD -------------------------------------------------------------------------------
    def put(self, tid: str, body: Any, defer_validation: bool) -> None:
        """PUT _transform/{id}: parse, validate as ES does, and store (stopped)."""
        config = parse_config(body, tid)
        _raise_validation(request_problems(tid, config))
        if tid in self.configs:
            raise EsError(409, "resource_already_exists_exception", f"Transform with id [{tid}] already exists")
        check_supported_aggs(config)
        if not defer_validation:
            self.validate_source_dest(config)
            self.check_pipeline(config)
            self.test_query(config)
        config["create_time"] = int(time.time() * 1000)
        config["version"] = VERSION
        self.configs[tid] = config
        self.states[tid] = TransformState()
        self._persist(tid)

    def validate_source_dest(self, config: dict[str, Any], *, preview: bool = False) -> None:
        """ES's SourceDestValidator: source exists, destination not inside the source, one write index."""
        problems: list[str] = []
        sources = config["source"]["index"]
        try:
            resolved = sorted({t.index.name for t in self.engine.resolve(sources)})
        except EsError as err:
            problems.append(err.reason or "")
            resolved = sorted(set(sources))
        if not preview:
            dest = config["dest"]["index"]
            matched = [s for s in sources if fnmatch.fnmatchcase(dest, s)]
            if matched:
                problems.extend(f"Destination index [{dest}] is included in source expression [{s}]"
                                for s in matched)
            elif dest in resolved:
                problems.append(f"Destination index [{dest}] is included in source expression "
                                f"[{','.join(sources)}]")
            else:
                try:
                    write = self.engine.write_index(dest, auto_create=False).name
                except EsError as err:
                    if err.type != "index_not_found_exception":
                        problems.append(err.reason or "")
                        _raise_validation(problems, "validation_exception")
                    write = dest
                if write in resolved:
                    problems.append(f"Destination index [{write}] is included in source expression "
                                    f"[{','.join(resolved)}]")
        _raise_validation(problems, "validation_exception")

    def check_pipeline(self, config: dict[str, Any]) -> None:
        """The destination pipeline must exist (checked at put/update/start/preview)."""
        pipeline = config["dest"].get("pipeline")
        if not pipeline:
            return
        ingest = self.engine.extensions.get("ingest")
        if ingest is None or ingest.get_pipeline(pipeline) is None:
            raise EsError(400, "status_exception", f"Pipeline with id [{pipeline}] could not be found")

    def test_query(self, config: dict[str, Any]) -> None:
        """ES's validateQuery: run the function's first search (one bucket) so bad queries, scripts and
        runtime fields fail the request with 400 instead of failing the transform later."""
        for name, spec in (config["source"].get("runtime_mappings") or {}).items():
            kind = spec.get("type") if isinstance(spec, dict) else None
            if kind not in RUNTIME_TYPES:
                raise EsError(400, "mapper_parsing_exception",
                              f"No handler for type [{kind}] declared on runtime field [{name}]")
        self._compile_scripts(config.get("pivot", {}).get("aggregations", {}))
        query = config["source"].get("query", {"match_all": {}})
        if "pivot" in config:
            sources = self._composite_sources(config)
            aggs = config["pivot"]["aggregations"]
        else:
            sources = [{k: {"terms": {"field": k}}} for k in config["latest"]["unique_key"]]
            aggs = {}
        body = {"size": 0, "query": query, "aggs": {"_transform": {"composite": {"size": 1, "sources": sources},
                                                                   "aggs": aggs}}}
        try:
            self._search(config, body)
        except EsError as err:
            raise EsError(err.status, "status_exception", "Failed to test query", caused_by=err) from None

    @staticmethod
    def _compile_scripts(aggs: dict[str, Any]) -> None:
        from .painless import compile_script, parse_script_spec

        for agg in aggs.values():
            if not isinstance(agg, dict):
                continue
            kind = _agg_kind(agg)
            spec = agg.get(kind) if kind else None
            if kind == "scripted_metric" and isinstance(spec, dict):
                for key in ("init_script", "map_script", "combine_script", "reduce_script"):
                    if spec.get(key) not in (None, ""):
                        compile_script(parse_script_spec(spec[key], context=key)[0])
            TransformService._compile_scripts(agg.get("aggs", agg.get("aggregations")) or {})

    def config(self, tid: str) -> dict[str, Any]:
        if tid not in self.configs:
            raise resource_not_found(f"Transform with id [{tid}] could not be found")
        return self.configs[tid]

    def matching(self, expression: str | None, allow_no_match: bool = True) -> list[str]:
        """The ids an expression names (ids, wildcards, `_all`); missing explicit ids are a 404."""
        if expression in (None, "", "_all", "*"):
            found = sorted(self.configs)
            if not found and not allow_no_match:
                raise resource_not_found(f"Transform with id [{expression or '_all'}] could not be found")
            return found
        out: set[str] = set()
        for part in expression.split(","):
            part = part.strip()
            if "*" in part:
                found = [t for t in self.configs if fnmatch.fnmatchcase(t, part)]
                if not found and not allow_no_match:
                    raise resource_not_found(f"Transform with id [{part}] could not be found")
                out.update(found)
            elif part in self.configs:
                out.add(part)
            else:
                raise resource_not_found(f"Transform with id [{part}] could not be found")
        return sorted(out)

    def describe(self, tid: str, exclude_generated: bool = False) -> dict[str, Any]:
        """A transform as GET _transform shows it (ES's TransformConfig.toXContent)."""
        config = self.configs[tid]
        out: dict[str, Any] = {"id": tid}
        if not exclude_generated:
            out["authorization"] = {"roles": list(ROLES)}
            if config.get("version"):
                out["version"] = config["version"]
            if config.get("create_time") is not None:
                out["create_time"] = config["create_time"]
        source = copy.deepcopy(config["source"])
        out["source"] = {"index": source["index"], "query": source.get("query", {"match_all": {}})}
        if source.get("runtime_mappings"):
            out["source"]["runtime_mappings"] = source["runtime_mappings"]
        out["dest"] = copy.deepcopy(config["dest"])
        if config.get("frequency") is not None:
            out["frequency"] = config["frequency"]
        if config.get("sync"):
            sync = copy.deepcopy(config["sync"]["time"])
            sync.setdefault("delay", DEFAULT_DELAY)
            out["sync"] = {"time": sync}
        for key in ("pivot", "latest", "description"):
            if config.get(key) is not None:
                out[key] = copy.deepcopy(config[key])
        out["settings"] = copy.deepcopy(config.get("settings") or {})
        for key in ("_meta", "retention_policy"):
            if config.get(key) is not None:
                out[key] = copy.deepcopy(config[key])
        return out

    def delete(self, tid: str, force: bool, delete_dest: bool) -> None:
        self.config(tid)
        state = self.states[tid]
        if state.state in ("started", "indexing") and not force:
            raise EsError(409, "status_exception",
                          f"Cannot delete transform [{tid}] as the task is running. Stop the task first")
        if delete_dest:
            dest = self.engine.indices.get(self.configs[tid]["dest"]["index"])
            if dest is not None:
                self.engine.delete_index(dest)
        del self.configs[tid]
        del self.states[tid]
        self._due.pop(tid, None)
        self.engine.store.delete_object("transform", tid)
        self.engine.store.delete_object("transform_state", tid)

    def update(self, tid: str, body: Any, defer_validation: bool = False) -> dict[str, Any]:
        """POST _transform/{id}/_update: merge the allowed parts, re-validate, bump the version."""
        config = self.config(tid)
        body = _object(body, "data_frame_transform_config_update", "update")
        _check_keys(body, UPDATE_KEYS, "data_frame_transform_config_update")
        merged = copy.deepcopy(config)
        parsers = {"source": parse_source, "dest": parse_dest, "frequency": parse_frequency, "sync": parse_sync,
                   "description": parse_description, "retention_policy": parse_retention}
        for key, parse in parsers.items():
            if key in body:
                if body[key] is None:
                    merged.pop(key, None)
                else:
                    merged[key] = parse(body[key])
        if body.get("sync") is not None and not config.get("sync"):
            raise EsError(400, "status_exception", f"Cannot change the current sync configuration of transform "
                                                   f"[{tid}] from [null] to [time]")
        if "settings" in body:
            settings = {**(config.get("settings") or {}), **parse_settings(body["settings"] or {})}
            merged["settings"] = {k: v for k, v in settings.items() if v is not None}
        if "_meta" in body:
            merged["_meta"] = copy.deepcopy(body["_meta"])
            if merged["_meta"] is None:
                merged.pop("_meta")
        _raise_validation(request_problems(tid, merged, check_id=False))
        if not defer_validation:
            self.validate_source_dest(merged)
            self.check_pipeline(merged)
            if merged["source"] != config["source"]:
                self.test_query(merged)
        merged["create_time"] = config.get("create_time")
        merged["version"] = VERSION
        self.configs[tid] = merged
        self._persist(tid)
        return self.describe(tid)

    def _persist(self, tid: str) -> None:
        self.engine.store.put_object("transform", tid, self.configs[tid])
        self.engine.store.put_object("transform_state", tid, asdict(self.states[tid]))

    # ---- lifecycle --------------------------------------------------------------------------
    def start(self, tid: str) -> None:
        config = self.config(tid)
        state = self.states[tid]
        if state.state == "failed":
            raise EsError(409, "status_exception",
                          f"Unable to start transform [{tid}] as it is in a failed state with failure: "
                          f"[{state.reason}]. Use force stop and then restart the transform once error is resolved.")
        if state.state in ("started", "indexing"):
            raise EsError(409, "status_exception", f"Cannot start transform [{tid}] as it is already started.")
        if not self._unattended(config):
            self.validate_source_dest(config)
            self.check_pipeline(config)
            self._ensure_dest(tid, config)
        state.state = "started"
        state.reason = None
        self._persist(tid)
        self._due[tid] = 0.0
        self._ensure_thread()

    @staticmethod
    def _unattended(config: dict[str, Any]) -> bool:
        return (config.get("settings") or {}).get("unattended") is True

    def stop(self, tid: str, wait: bool, force: bool = False, timeout_s: float = 30.0) -> None:
        self.config(tid)
        state = self.states[tid]
        if state.state == "failed" and not force:
            raise EsError(409, "status_exception",
                          f"Unable to stop transform [{tid}] as it is in a failed state with reason "
                          f"[{state.reason}]. Use force stop to stop the transform.")
        self._due.pop(tid, None)
        if wait and state.state == "indexing":
            deadline = time.monotonic() + timeout_s
            self.engine.lock.release()
            try:
                while self.states.get(tid) is state and state.state == "indexing" and time.monotonic() < deadline:
                    time.sleep(0.02)
            finally:
                self.engine.lock.acquire()
        state.state = "stopped"
        state.reason = None
        self._persist(tid)

    def schedule_now(self, tid: str) -> None:
        self.config(tid)
        if self.states[tid].state not in ("started", "indexing"):
            raise EsError(409, "status_exception", f"Cannot schedule transform [{tid}] as it is not started")
        self._due[tid] = 0.0

    def reset(self, tid: str, force: bool) -> None:
        self.config(tid)
        if self.states[tid].state in ("started", "indexing") and not force:
            raise EsError(409, "status_exception",
                          f"Cannot reset transform [{tid}] as the task is running. Stop the task first")
        self._due.pop(tid, None)
        dest = self.engine.indices.get(self.configs[tid]["dest"]["index"])
        if dest is not None and dest.mapping.root.get("_meta", {}).get("created_by") == "transform":
            self.engine.delete_index(dest)
        self.states[tid] = TransformState()
        self._persist(tid)

    def upgrade(self, dry_run: bool) -> dict[str, int]:
        """POST _transform/_upgrade: configs are always current here, so nothing needs an update."""
        return {"needs_update": 0, "updated": 0, "no_action": len(self.configs)}

    def node_stats(self) -> dict[str, Any]:
        """GET _transform/_node_stats: the scheduler's registered (started) transforms."""
        from .tasks import NODE_ID

        running = sorted(t for t, s in self.states.items() if s.state in ("started", "indexing"))
        node: dict[str, Any] = {"registered_transform_count": len(running)}
        if running:
            node["peek_transform"] = min(running, key=lambda t: self._due.get(t, 0.0))
        return {"total": {"scheduler": {"registered_transform_count": len(running)}}, NODE_ID: {"scheduler": node}}

    def _ensure_dest(self, tid: str, config: dict[str, Any]) -> None:
        dest = config["dest"]["index"]
        if dest in self.engine.indices or dest in self.engine.alias_names():
            return
        meta = {"created_by": "transform", "_transform": {
            "transform": tid, "version": {"created": VERSION}, "creation_date_in_millis": int(time.time() * 1000)}}
        mappings: dict[str, Any] = {"_meta": meta}
        props = deduce_mappings(self.engine, config)
        if props:
            mappings["properties"] = props
        self.engine.create_index(dest, {
            "settings": {"index": {"number_of_shards": 1, "auto_expand_replicas": "0-1"}},
            "mappings": mappings,
            "aliases": {a["alias"]: {} for a in config["dest"].get("aliases", [])}})

    # ---- scheduling -------------------------------------------------------------------------
    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._loop, name="es360-transforms", daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(0.05):
            now = time.monotonic()
            for tid in [t for t, due in list(self._due.items()) if due <= now]:
                with self.engine.lock:
                    if tid not in self.configs or self.states[tid].state not in ("started", "indexing"):
                        self._due.pop(tid, None)
                        continue
                    self._run_checkpoint(tid)
                    self.engine.commit()

    def close(self) -> None:
        self._stop.set()

    def _frequency_s(self, config: dict[str, Any]) -> float:
        return parse_time_value(config.get("frequency") or "60s", "frequency") / 1000

    def _run_checkpoint(self, tid: str) -> None:
        config = self.configs[tid]
        state = self.states[tid]
        state.state = "indexing"
        state.stats["trigger_count"] += 1
        started = time.perf_counter()
        try:
            if self._unattended(config):
                self._ensure_dest(tid, config)
            changed = self.checkpoint(tid, config, state)
        except EsError as err:
            state.stats["search_failures"] += 1
            if self._unattended(config):  # unattended transforms retry forever instead of failing
                state.state = "started"
                state.reason = err.reason
                self._due[tid] = time.monotonic() + self._frequency_s(config)
            else:
                state.state = "failed"
                state.reason = err.reason
                self._due.pop(tid, None)
            self._persist(tid)
            return
        state.reason = None
        state.stats["processing_time_in_ms"] += int((time.perf_counter() - started) * 1000)
        state.stats["processing_total"] += 1
        if "sync" not in config:
            state.state = "stopped"
            self._due.pop(tid, None)
        else:
            state.state = "started" if tid in self._due else "stopped"
            if tid in self._due:
                self._due[tid] = time.monotonic() + self._frequency_s(config)
        if changed:
            state.changes_last_detected_ms = int(time.time() * 1000)
        self._persist(tid)

    # ---- the work ---------------------------------------------------------------------------
    def checkpoint(self, tid: str, config: dict[str, Any], state: TransformState) -> bool:
        """Compute one checkpoint; returns whether anything changed."""
        self.check_pipeline(config)
        now_ms = int(time.time() * 1000)
        query = copy.deepcopy(config["source"].get("query", {"match_all": {}}))
        filters: list[dict[str, Any]] = [query]
        sync = config.get("sync", {}).get("time")
        upper = None
        if sync:
            delay = parse_time_value(sync.get("delay", DEFAULT_DELAY), "delay")
            upper = now_ms - delay
            filters.append({"range": {sync["field"]: {"lte": upper, "format": "epoch_millis"}}})
            if state.checkpoint > 0 and state.time_upper_bound_ms is not None:
                entity_filter = self._changed_entities(config, query, sync["field"], state.time_upper_bound_ms, upper)
                if entity_filter is None:
                    state.time_upper_bound_ms = upper
                    return False
                filters.append(entity_filter)
        scoped = {"bool": {"filter": filters}}
        if "pivot" in config:
            docs = self._pivot_docs(tid, config, scoped, state)
        else:
            docs = self._latest_docs(tid, config, scoped, state=state)
        self._write(config, docs, state)
        state.checkpoint += 1
        state.last_checkpoint_ms = now_ms
        state.time_upper_bound_ms = upper
        return bool(docs)

    def _search(self, config: dict[str, Any], body: dict[str, Any], state: TransformState | None = None) -> dict:
        from .search import Searcher

        runtime = _used_runtime_fields(config)
        if runtime:
            body = {**body, "runtime_mappings": runtime}
        targets = self.engine.resolve(config["source"]["index"], ignore_unavailable=True)
        started = time.perf_counter()
        result = Searcher(self.engine, targets, body, {}).run()
        if state is not None:
            state.stats["search_total"] += 1
            state.stats["search_time_in_ms"] += int((time.perf_counter() - started) * 1000)
        return result

    def _changed_entities(self, config: dict[str, Any], query: dict[str, Any], time_field: str, lower: int,
                          upper: int) -> dict[str, Any] | None:
        """A filter selecting only entities with new data in (lower, upper]; None if nothing changed."""
        changes = {"bool": {"filter": [query, {"range": {time_field: {"gt": lower, "lte": upper,
                                                                      "format": "epoch_millis"}}}]}}
        group_by = config["pivot"]["group_by"] if "pivot" in config else {
            k: {"terms": {"field": k}} for k in config["latest"]["unique_key"]}
        terms_fields = {name: spec["terms"]["field"] for name, spec in group_by.items()
                        if "terms" in spec and spec["terms"].get("field")}
        if not terms_fields:
            count = self._search(config, {"size": 0, "query": changes, "track_total_hits": True})
            return {"match_all": {}} if count["hits"]["total"]["value"] else None
        values: dict[str, set[Any]] = {name: set() for name in terms_fields}
        after = None
        while True:
            composite: dict[str, Any] = {"size": 1000, "sources": [
                {name: {"terms": {"field": f, "missing_bucket": True}}} for name, f in terms_fields.items()]}
            if after:
                composite["after"] = after
            resp = self._search(config, {"size": 0, "query": changes, "aggs": {"c": {"composite": composite}}})
            agg = resp["aggregations"]["c"]
            for bucket in agg["buckets"]:
                for name in terms_fields:
                    values[name].add(bucket["key"][name])
            after = agg.get("after_key")
            if not agg["buckets"] or not after:
                break
        if not any(values.values()):
            return None
        clauses = []
        for name, f in terms_fields.items():
            present = [v for v in values[name] if v is not None]
            should: list[dict[str, Any]] = [{"terms": {f: present}}] if present else []
            if None in values[name]:
                should.append({"bool": {"must_not": {"exists": {"field": f}}}})
            clauses.append({"bool": {"should": should, "minimum_should_match": 1}})
        return {"bool": {"filter": clauses}}

    @staticmethod
    def _composite_sources(config: dict[str, Any]) -> list[dict[str, Any]]:
        """The composite sources in ES's GroupByOptimizer order: date_histogram, histogram, terms, geotile;
        indexed fields before runtime fields before scripts; config order within a tier."""
        runtime = config["source"].get("runtime_mappings") or {}
        groups = list(config["pivot"]["group_by"].items())
        tiers = {"date_histogram": 4000, "histogram": 3000, "terms": 2000, "geotile_grid": 1000}

        def priority(entry: tuple[int, tuple[str, dict[str, Any]]]) -> int:
            position, (_, source) = entry
            kind, spec = next(iter(source.items()))
            origin = 0 if spec.get("script") else (250 if spec.get("field") in runtime else 500)
            return len(groups) - position + origin + tiers.get(kind, 0)

        ordered = [g for _, g in sorted(enumerate(groups), key=priority, reverse=True)]
        return [{name: {kind: {**spec, "missing_bucket": spec.get("missing_bucket", False)}}}
                for name, source in ordered for kind, spec in source.items()]

    def _pivot_docs(self, tid: str, config: dict[str, Any], query: dict[str, Any],
                    state: TransformState | None = None, limit: int | None = None) -> list[tuple[str, dict]]:
        pivot = config["pivot"]
        settings = config.get("settings") or {}
        as_millis = settings.get("dates_as_epoch_millis") is True
        page = int(settings.get("max_page_search_size") or pivot.get("max_page_search_size") or DEFAULT_PAGE)
        if limit is not None:
            page = min(page, limit)
        sources = self._composite_sources(config)
        aggs = pivot.get("aggregations", {})
        columns = self._pivot_columns(config, query, sources, aggs, page, limit, as_millis, state)
        if columns is not None:
            return self._column_docs(tid, pivot["group_by"], aggs, columns, as_millis)
        out: list[tuple[str, dict[str, Any]]] = []
        after = None
        while True:
            composite: dict[str, Any] = {"size": page, "sources": sources}
            if after:
                composite["after"] = after
            body = {"size": 0, "query": query, "aggs": {"_transform": {"composite": composite, "aggs": aggs}}}
            resp = self._search(config, body, state)
            agg = resp["aggregations"]["_transform"]
            for bucket in agg["buckets"]:
                doc: dict[str, Any] = {}
                for name, value in bucket["key"].items():
                    _set_path(doc, name, self._key_value(pivot["group_by"][name], value, as_millis))
                for name, spec in aggs.items():
                    if name in bucket:
                        _set_path(doc, name, agg_value(spec, bucket[name], as_millis))
                out.append((doc_id_for(tid, bucket["key"]), doc))
                if limit is not None and len(out) >= limit:
                    return out
            after = agg.get("after_key")
            if not agg["buckets"] or not after or len(agg["buckets"]) < page:
                break
        return out

    def _pivot_columns(self, config: dict[str, Any], query: dict[str, Any], sources: list[dict[str, Any]],
                       aggs: dict[str, Any], page: int, limit: int | None, as_millis: bool,
                       state: TransformState | None) -> PivotColumns | None:
        """All buckets of the pivot from one composite over the whole query, as columns (see aggs/pivot.py);
        None when an aggregation needs the rendered node tree (pipeline aggregations), or with runtime
        fields, which only the search path resolves."""
        from .aggs import parse
        from .aggs.pivot import evaluate, has_pipelines
        from .search import Searcher, wrap_shard_error

        if _used_runtime_fields(config):
            return None
        specs = parse({"_transform": {"composite": {"size": page, "sources": sources}, "aggs": aggs}})
        composite = specs[0]
        if has_pipelines(composite.children):
            return None
        composite.size = limit  # every bucket in one pass (None: no limit)
        targets = self.engine.resolve(config["source"]["index"], ignore_unavailable=True)
        started = time.perf_counter()
        searcher = Searcher(self.engine, targets, {"size": 0, "query": query}, {})
        shards = searcher.execute_shards()
        parts = [(s.ctx, s.agg_docset if s.agg_docset is not None else s.docset) for s in shards]
        try:
            columns = evaluate(composite, parts, searcher, aggs, as_millis, agg_value)
        except EsError as err:
            if shards and err.status < 500 and err.type not in ("parsing_exception", "x_content_parse_exception",
                                                                "action_request_validation_exception"):
                raise wrap_shard_error(err, shards[0].target) from None
            raise
        if state is not None:  # the searches ES's paging would have made: full pages, then a last one
            state.stats["search_total"] += len(columns.keys) // page + 1
            state.stats["search_time_in_ms"] += int((time.perf_counter() - started) * 1000)
        return columns

    @staticmethod
    def _column_docs(tid: str, group_by: dict[str, Any], aggs: dict[str, Any], columns: PivotColumns,
                     as_millis: bool) -> list[tuple[str, dict[str, Any]]]:
        """Destination documents from pivot columns, built as the paged path builds them."""
        from .aggs.pivot import format_date_keys

        keys = columns.keys
        key_names = list(keys[0]) if keys else []
        key_columns: dict[str, list[Any]] = {}
        for name in key_names:
            kind, spec = next(iter(group_by[name].items()))
            values = [k[name] for k in keys]
            key_columns[name] = format_date_keys(spec.get("format"), values) \
                if kind == "date_histogram" and not as_millis else values
        fields = [(name.split("."), key_columns[name]) for name in key_names]
        fields += [(name.split("."), columns.values[name]) for name in aggs if name in columns.values]
        out: list[tuple[str, dict[str, Any]]] = []
        for b, key in enumerate(keys):
            doc: dict[str, Any] = {}
            for parts, column in fields:
                if len(parts) == 1:
                    doc[parts[0]] = column[b]
                else:
                    _set_parts(doc, parts, column[b])
            out.append((doc_id_for(tid, key), doc))
        return out

    @staticmethod
    def _key_value(group: dict[str, Any], value: Any, as_millis: bool = False) -> Any:
        kind, spec = next(iter(group.items()))
        if kind == "date_histogram" and value is not None and not as_millis and not isinstance(value, str):
            from .dates import get_formatter

            return get_formatter(spec.get("format") or "strict_date_optional_time").format(int(value))
        return value

    def _latest_docs(self, tid: str, config: dict[str, Any], query: dict[str, Any], limit: int | None = None,
                     state: TransformState | None = None) -> list[tuple[str, dict[str, Any]]]:
        """The newest document (by `latest.sort`) per unique key, in unique-key order, without the source's
        internal (`_`-prefixed) fields."""
        latest = config["latest"]
        keys = latest["unique_key"]
        body: dict[str, Any] = {"size": 10_000, "query": query, "sort": [{latest["sort"]: "desc"}],
                                "_source": True}
        seen: dict[str, tuple[tuple, str, dict[str, Any]]] = {}
        search_after = None
        while True:
            page_body = dict(body)
            if search_after is not None:
                page_body["search_after"] = search_after
            hits = self._search(config, page_body, state)["hits"]["hits"]
            for hit in hits:
                source = hit.get("_source") or {}
                key = {k: _get(source, k) for k in keys}
                doc_id = doc_id_for(tid, key)
                if doc_id not in seen:
                    order = tuple(_sort_token(key[k]) for k in keys)
                    seen[doc_id] = (order, doc_id, {k: v for k, v in source.items() if not k.startswith("_")})
            if len(hits) < body["size"]:
                break
            search_after = hits[-1]["sort"]
        out = [(doc_id, doc) for _, doc_id, doc in sorted(seen.values(), key=lambda e: e[0])]
        return out[:limit] if limit is not None else out

    def _write(self, config: dict[str, Any], docs: list[tuple[str, dict[str, Any]]], state: TransformState) -> None:
        from .api.documents import WriteTargets, index_document

        dest = config["dest"]["index"]
        pipeline = config["dest"].get("pipeline")
        started = time.perf_counter()
        targets = WriteTargets(self.engine)
        for doc_id, doc in docs:
            try:  # the documents were built for this write alone: the pipeline may change them in place
                index_document(self.engine, dest, doc_id, doc, pipeline=pipeline, owned=True, targets=targets)
                state.stats["documents_indexed"] += 1
            except EsError:
                state.stats["index_failures"] += 1
        target = self.engine.indices.get(dest) or (
            self.engine.write_index(dest, auto_create=False) if dest in self.engine.alias_names() else None)
        if target is not None:
            target.refresh()  # as ES, a checkpoint's results are searchable when it completes
        state.stats["documents_processed"] += len(docs)
        state.stats["pages_processed"] += 1
        state.stats["index_total"] += 1
        state.stats["index_time_in_ms"] += int((time.perf_counter() - started) * 1000)

    # ---- preview + stats --------------------------------------------------------------------
    def preview(self, body: Any = None, tid: str | None = None) -> dict[str, Any]:
        """_preview: the first documents the transform would write and the mappings it would create."""
        if tid is not None and body:
            _raise_validation(["Please provide either a transform [id] or the config object but not both"])
        if tid is None and not body:
            _raise_validation(["Please provide a transform [id] or the config object"])
        if tid is not None:
            config = copy.deepcopy(self.config(tid))
            name = tid
        else:
            config = parse_config(body, None, preview=True)
            name = "transform-preview"
            _raise_validation(request_problems(body.get("id") or name, config))
        check_supported_aggs(config)
        self.validate_source_dest(config, preview=True)
        self.check_pipeline(config)
        self.test_query(config)
        query = config["source"].get("query", {"match_all": {}})
        if "pivot" in config:
            docs = self._pivot_docs(name, config, query, limit=PREVIEW_SIZE)
        else:
            docs = self._latest_docs(name, config, query, limit=PREVIEW_SIZE)
        preview = [doc for _, doc in docs]
        pipeline = config["dest"].get("pipeline")
        if pipeline and preview:
            simulated = self.engine.extensions["ingest"].simulate(
                {"docs": [{"_index": config["dest"]["index"], "_id": doc_id, "_source": doc} for doc_id, doc in docs]},
                pipeline_id=pipeline)
            preview = [(d or {}).get("doc", {}).get("_source", {}) for d in simulated["docs"]
                       if d is not None and "doc" in d]
        return {"preview": preview,
                "generated_dest_index": {"mappings": {"properties": deduce_mappings(self.engine, config)},
                                         "settings": {"index": {"number_of_shards": "1",
                                                                "auto_expand_replicas": "0-1"}},
                                         "aliases": {a["alias"]: {} for a in config["dest"].get("aliases", [])}}}

    def stats(self, tid: str) -> dict[str, Any]:
        state = self.states[tid]
        config = self.configs[tid]
        last: dict[str, Any] = {"checkpoint": state.checkpoint}
        if state.last_checkpoint_ms is not None:
            last["timestamp_millis"] = state.last_checkpoint_ms
        if state.time_upper_bound_ms is not None:
            last["time_upper_bound_millis"] = state.time_upper_bound_ms
        out: dict[str, Any] = {
            "id": tid, "state": state.state,
            "stats": {**state.stats, "exponential_avg_checkpoint_duration_ms": 0.0,
                      "exponential_avg_documents_indexed": 0.0, "exponential_avg_documents_processed": 0.0},
            "checkpointing": {"last": last, "operations_behind": 0},
            "health": {"status": "red" if state.state == "failed" else ("yellow" if state.reason else "green")},
        }
        if state.reason:
            out["reason"] = state.reason
        if state.changes_last_detected_ms is not None:
            out["checkpointing"]["changes_last_detected_at"] = state.changes_last_detected_ms
        if "sync" in config and state.last_checkpoint_ms is not None:
            out["checkpointing"]["last_search_time"] = state.last_checkpoint_ms
        return out

    def cat_row(self, tid: str) -> dict[str, Any]:
        """One `_cat/transforms` row (ES's RestCatTransformAction columns)."""
        config = self.configs[tid]
        state = self.states[tid]
        stats = state.stats
        settings = config.get("settings") or {}
        done = state.checkpoint > 0 and "sync" not in config
        page = settings.get("max_page_search_size") or config.get("pivot", {}).get("max_page_search_size")
        return {
            "id": tid, "state": state.state, "checkpoint": state.checkpoint,
            "documents_processed": stats["documents_processed"],
            "checkpoint_progress": "100.00" if done else None,
            "last_search_time": _iso(state.last_checkpoint_ms) if "sync" in config else None,
            "changes_last_detection_time": _iso(state.changes_last_detected_ms),
            "create_time": _iso(config.get("create_time")), "version": config.get("version"),
            "source_index": ",".join(config["source"]["index"]), "dest_index": config["dest"]["index"],
            "pipeline": config["dest"].get("pipeline"), "description": config.get("description"),
            "transform_type": "continuous" if "sync" in config else "batch",
            "frequency": config.get("frequency") or "1m",
            "max_page_search_size": page or DEFAULT_PAGE,
            "docs_per_second": settings.get("docs_per_second", "-"),
            "reason": state.reason, "search_total": stats["search_total"],
            "search_failure": stats["search_failures"], "search_time": stats["search_time_in_ms"],
            "index_total": stats["index_total"], "index_failure": stats["index_failures"],
            "index_time": stats["index_time_in_ms"], "documents_indexed": stats["documents_indexed"],
            "delete_time": stats["delete_time_in_ms"], "documents_deleted": stats["documents_deleted"],
            "trigger_count": stats["trigger_count"], "pages_processed": stats["pages_processed"],
            "processing_time": stats["processing_time_in_ms"],
            "checkpoint_duration_time_exp_avg": "0.00", "indexed_documents_exp_avg": "0.00",
            "processed_documents_exp_avg": "0.00",
        }


def service(engine: Engine) -> TransformService:
    """The engine's transform service (created on first use, or at start-up to resume transforms)."""
    svc = engine.extensions.get("transforms")
    if svc is None:
        svc = engine.extensions["transforms"] = TransformService(engine)
    return svc
