"""Index settings: normalization to ES's flat `index.*` form, validation, defaults and nested rendering.

Settings are kept flat (`index.number_of_replicas` -> "0") with string values, as ES keeps them;
lists (analysis filter chains, sort fields) stay lists of strings.
"""

from __future__ import annotations

import re
from typing import Any

from .errors import EsError, illegal_argument

# name (without "index.") -> kind; kinds: int:<min>[:<max>], bool, time, str, enum:<a|b>, list, bytes
SETTING_TYPES: dict[str, str] = {
    "number_of_shards": "int:1:1024", "number_of_replicas": "int:0", "number_of_routing_shards": "int:1",
    "routing_partition_size": "int:1", "refresh_interval": "time", "max_result_window": "int:1",
    "max_inner_result_window": "int:1", "max_rescore_window": "int:1", "max_docvalue_fields_search": "int:0",
    "max_script_fields": "int:0", "max_ngram_diff": "int:0", "max_shingle_diff": "int:0",
    "max_terms_count": "int:1", "max_regex_length": "int:1", "max_refresh_listeners": "int:0",
    "max_slices_per_scroll": "int:1", "max_adjacency_matrix_filters": "int:1", "priority": "int:0",
    "analyze.max_token_count": "int:1", "analyze.max_char_count": "int:1",
    "highlight.max_analyzed_offset": "int:-1", "mapping.total_fields.limit": "int:0",
    "mapping.depth.limit": "int:1", "mapping.nested_fields.limit": "int:0",
    "mapping.nested_objects.limit": "int:0", "mapping.field_name_length.limit": "int:1",
    "mapping.dimension_fields.limit": "int:0",
    "hidden": "bool", "blocks.read_only": "bool", "blocks.read_only_allow_delete": "bool", "blocks.read": "bool",
    "blocks.write": "bool", "blocks.metadata": "bool", "mapping.coerce": "bool", "mapping.ignore_malformed": "bool",
    "mapping.total_fields.ignore_dynamic_beyond_limit": "bool", "soft_deletes.enabled": "bool",
    "queries.cache.enabled": "bool", "requests.cache.enable": "bool", "load_fixed_bitset_filters_eagerly": "bool",
    "verified_before_close": "bool", "frozen": "bool", "search.throttled": "bool",
    "lifecycle.indexing_complete": "bool", "lifecycle.parse_origination_date": "bool",
    "lifecycle.skip": "bool", "fast_refresh": "bool", "highlight.weight_matches_mode.enabled": "bool",
    "mapping.source.mode": "enum:stored|synthetic|disabled", "mapping.synthetic_source_keep": "enum:none|arrays|all",
    "gc_deletes": "time", "search.idle.after": "time", "unassigned.node_left.delayed_timeout": "time",
    "soft_deletes.retention_lease.period": "time", "translog.sync_interval": "time",
    "translog.durability": "enum:request|async", "codec": "enum:default|best_compression|lucene_default|legacy_default|legacy_best_compression",
    "mode": "enum:standard|time_series|logsdb|lookup", "auto_expand_replicas": "auto_expand",
    "default_pipeline": "str", "final_pipeline": "str", "query.default_field": "list", "routing_path": "list",
    "sort.field": "list", "sort.order": "list", "sort.missing": "list", "sort.mode": "list",
    "store.type": "str", "store.preload": "list", "translog.flush_threshold_size": "bytes",
    "merge.policy.max_merged_segment": "bytes", "write.wait_for_active_shards": "str",
    "lifecycle.name": "str", "lifecycle.rollover_alias": "str", "lifecycle.origination_date": "int:-1",
    "shard.check_on_startup": "str", "routing.rebalance.enable": "str", "routing.allocation.enable": "str",
    "routing.allocation.total_shards_per_node": "int:-1", "look_back_time": "time", "look_ahead_time": "time",
    "time_series.start_time": "str", "time_series.end_time": "str", "format": "int:0",
    "uuid": "str", "creation_date": "str", "provided_name": "str", "version.created": "str",
    "version.created_string": "str", "version.upgraded": "str", "version.compatibility": "str", "history_uuid": "str",
    "resize.source.name": "str", "resize.source.uuid": "str", "recovery.type": "str", "source_only": "bool",
    "similarity.default.type": "str", "indexing_pressure.memory.limit": "str", "default_allocation": "str",
    "max_result_window_ignore": "str", "dimensions": "list", "indexing.slowlog.source": "str",
    "indexing.slowlog.reformat": "bool", "search.slowlog.include.user": "bool", "indexing.slowlog.include.user": "bool",
    "bloom_filter_for_id_field.enabled": "bool", "store.stats_refresh_interval": "time", "routing_partition": "str",
    "downsample.status": "str", "downsample.source.name": "str", "downsample.source.uuid": "str",
    "plugin.type": "str", "apm.nested": "str", "logsdb.sort_on_host_name": "bool", "logsdb.add_host_name_field": "bool",
    "semantic_text.use_legacy_format": "bool", "mapping.ignore_above": "int:0",
    "mapping.total_tokens_per_document.limit": "limit", "query.parse.allow_unmapped_fields": "bool",
    "mapping.exclude_source_vectors": "bool", "recovery.use_snapshots": "bool", "shard_limit.group": "str",
    "dense_vector.hnsw_filter_heuristic": "str", "merge.scheduler.max_thread_count": "int:1",
    "merge.scheduler.max_merge_count": "int:1", "merge.scheduler.auto_throttle": "bool",
}
# Families whose keys are free-form (analysis chains, slowlog thresholds, allocation filters, ...)
KNOWN_PREFIXES = ("analysis.", "similarity.", "routing.allocation.include.", "routing.allocation.exclude.",
                  "routing.allocation.require.", "search.slowlog.", "indexing.slowlog.", "merge.policy.",
                  "merge.scheduler.", "translog.", "store.", "shard.", "search.idle.", "unassigned.", "sort.",
                  "_tier_preference", "allocation.", "version.", "lifecycle.", "fielddata.", "mapper.",
                  "time_series.", "routing.allocation.", "composite.", "warmer.")
# Keep the old name importable for callers.
KNOWN = frozenset(SETTING_TYPES)

# Settings fixed at creation: changing them is never allowed.
FINAL = {"number_of_shards", "number_of_routing_shards", "routing_partition_size", "sort.field", "sort.order",
         "sort.missing", "sort.mode", "mode", "routing_path", "uuid", "creation_date", "provided_name",
         "version.created", "history_uuid", "soft_deletes.enabled", "format", "source_only",
         "mapping.source.mode", "time_series.start_time"}
# Settings that may change only while the index is closed.
STATIC = {"codec", "store.type", "store.preload", "queries.cache.enabled", "mapping.coerce",
          "mapping.ignore_malformed", "load_fixed_bitset_filters_eagerly", "shard.check_on_startup",
          "similarity.default.type", "max_result_window_ignore", "hidden_static", "frozen",
          "mapping.synthetic_source_keep", "recovery.type", "bloom_filter_for_id_field.enabled"}
STATIC_PREFIXES = ("analysis.", "similarity.")
NOT_UPDATABLE = FINAL  # kept for callers of the old module

# Defaults shown by `include_defaults` (flat form); a reasonable subset of ES's.
DEFAULTS: dict[str, Any] = {
    "index.analyze.max_token_count": "10000",
    "index.auto_expand_replicas": "false",
    "index.blocks.metadata": "false",
    "index.blocks.read": "false",
    "index.blocks.read_only": "false",
    "index.blocks.read_only_allow_delete": "false",
    "index.blocks.write": "false",
    "index.codec": "default",
    "index.default_pipeline": "_none",
    "index.final_pipeline": "_none",
    "index.gc_deletes": "60s",
    "index.hidden": "false",
    "index.highlight.max_analyzed_offset": "1000000",
    "index.load_fixed_bitset_filters_eagerly": "true",
    "index.mapping.coerce": "false",
    "index.mapping.depth.limit": "20",
    "index.mapping.field_name_length.limit": "9223372036854775807",
    "index.mapping.ignore_malformed": "false",
    "index.mapping.nested_fields.limit": "50",
    "index.mapping.nested_objects.limit": "10000",
    "index.mapping.total_fields.ignore_dynamic_beyond_limit": "false",
    "index.mapping.total_fields.limit": "1000",
    "index.max_adjacency_matrix_filters": "100",
    "index.max_docvalue_fields_search": "100",
    "index.max_inner_result_window": "100",
    "index.max_ngram_diff": "1",
    "index.max_refresh_listeners": "1000",
    "index.max_regex_length": "1000",
    "index.max_rescore_window": "10000",
    "index.max_result_window": "10000",
    "index.max_script_fields": "32",
    "index.max_shingle_diff": "3",
    "index.max_slices_per_scroll": "1024",
    "index.max_terms_count": "65536",
    "index.mode": "standard",
    "index.priority": "1",
    "index.query.default_field": ["*"],
    "index.queries.cache.enabled": "true",
    "index.refresh_interval": "1s",
    "index.requests.cache.enable": "true",
    "index.routing.allocation.enable": "all",
    "index.routing.rebalance.enable": "all",
    "index.routing_partition_size": "1",
    "index.search.idle.after": "30s",
    "index.shard.check_on_startup": "false",
    "index.soft_deletes.enabled": "true",
    "index.soft_deletes.retention_lease.period": "12h",
    "index.store.type": "",
    "index.translog.durability": "REQUEST",
    "index.translog.flush_threshold_size": "10gb",
    "index.translog.sync_interval": "5s",
    "index.unassigned.node_left.delayed_timeout": "1m",
    "index.write.wait_for_active_shards": "1",
}

_TIME = re.compile(r"^-?\d+(nanos|micros|ms|s|m|h|d)$", re.IGNORECASE)
_BYTES = re.compile(r"^\d+(\.\d+)?(b|k|kb|m|mb|g|gb|t|tb|p|pb)?$", re.IGNORECASE)


def flatten_settings(settings: dict[str, Any] | None) -> dict[str, Any]:
    """Flatten nested settings to `index.*` keys with string values (lists kept for analysis)."""
    flat: dict[str, Any] = {}
    _flatten(settings or {}, "", flat)
    out: dict[str, Any] = {}
    for key, value in flat.items():
        full = key if key.startswith("index.") else f"index.{key}"
        out[full] = value
    return out


def _flatten(node: dict[str, Any], prefix: str, out: dict[str, Any]) -> None:
    for key, value in node.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            if value:
                _flatten(value, path + ".", out)
        elif isinstance(value, list):
            out[path] = [_str(v) for v in value]
        else:
            out[path] = None if value is None else _str(value)


def _str(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return value
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(value)
    return str(value)


def setting_kind(key: str) -> str | None:
    """The value kind of a flat `index.*` key, or None when the setting is unknown."""
    name = key[len("index."):] if key.startswith("index.") else key
    kind = SETTING_TYPES.get(name)
    if kind is not None:
        return kind
    if name.startswith(KNOWN_PREFIXES):
        return "any"
    return None


def unknown_setting(key: str) -> EsError:
    return illegal_argument(
        f"unknown setting [{key}] please check that any required plugins are installed, or check the "
        f"breaking changes documentation for removed settings")


def validate(flat: dict[str, Any], updating: bool = False) -> None:
    """Reject unknown settings and invalid values as ES does (first problem wins)."""
    for key, value in flat.items():
        if setting_kind(key) is None:
            raise unknown_setting(key)
        if updating and key[len("index."):] in FINAL:
            raise illegal_argument(f"final index setting [{key}], not updateable")
        if value is not None:
            check_value(key, value)
    if not updating:
        if flat.get("index.soft_deletes.enabled") == "false":
            raise illegal_argument("Creating indices with soft-deletes disabled is no longer supported. Please do "
                                   "not specify a value for setting [index.soft_deletes.enabled].")
        if flat.get("index.mode") == "lookup" and flat.get("index.number_of_shards") not in (None, "1"):
            raise illegal_argument(f"index with [lookup] mode must have [index.number_of_shards] set to 1 or "
                                   f"unset; provided {flat.get('index.number_of_shards')}")
        routing_shards = flat.get("index.number_of_routing_shards")
        shards = flat.get("index.number_of_shards")
        if routing_shards is not None and shards is not None and int(routing_shards) < int(shards):
            raise illegal_argument(f"index.number_of_routing_shards [{routing_shards}] must be >= "
                                   f"index.number_of_shards [{shards}]")


def check_value(key: str, value: Any) -> None:
    """Validate one setting value against its kind (ES's messages)."""
    kind = setting_kind(key) or "any"
    if isinstance(value, dict):
        raise illegal_argument(f"Failed to parse value [{value}] for setting [{key}]")
    if kind.startswith("int"):
        parts = kind.split(":")
        text = str(value)
        if isinstance(value, list) or not re.fullmatch(r"-?\d+", text.strip()):
            raise illegal_argument(f"Failed to parse value [{text}] for setting [{key}]")
        number = int(text)
        if len(parts) > 1 and number < int(parts[1]):
            raise illegal_argument(f"Failed to parse value [{text}] for setting [{key}] must be >= {parts[1]}")
        if len(parts) > 2 and number > int(parts[2]):
            raise illegal_argument(f"Failed to parse value [{text}] for setting [{key}] must be <= {parts[2]}")
    elif kind == "limit":
        text = str(value)
        if not re.fullmatch(r"-?\d+", text.strip()):
            raise illegal_argument(f"Failed to parse value [{text}] for setting [{key}]")
        if int(text) == 0 or int(text) < -1:
            raise illegal_argument(f"[{key}] must be -1 (no limit) or a positive number, got [{text}]")
    elif kind == "bool":
        if value not in ("true", "false"):
            raise illegal_argument(f"Failed to parse value [{value}] as only [true] or [false] are allowed.")
    elif kind == "time":
        text = str(value)
        if text not in ("-1", "0") and not _TIME.match(text.strip()):
            raise illegal_argument(f"failed to parse setting [{key}] with value [{text}] as a time value: unit is "
                                   f"missing or unrecognized")
    elif kind == "bytes":
        text = str(value)
        if text != "-1" and not _BYTES.match(text.strip()):
            raise EsError(400, "parse_exception", f"failed to parse setting [{key}] with value [{text}] as a "
                                                  f"size in bytes: unit is missing or unrecognized")
    elif kind.startswith("enum:"):
        allowed = kind[5:].split("|")
        if str(value).lower() not in allowed:
            name = key[len("index."):]
            if name == "codec":
                raise illegal_argument(f"unknown value for [index.codec] must be one of [default, "
                                       f"best_compression] but was: {value}")
            if name == "mode":
                raise illegal_argument(f"{value} is an invalid value for index.mode")
            raise illegal_argument(f"No enum constant for setting [{key}]: {value}")
    elif kind == "auto_expand":
        text = str(value)
        if text != "false" and not re.fullmatch(r"\d+-(\d+|all)", text):
            raise illegal_argument(f"failed to parse [index.auto_expand_replicas] from value: [{text}] at index "
                                   f"{text.find('-')}")


def is_dynamic(key: str) -> bool:
    """Whether a setting may change on an open index."""
    name = key[len("index."):] if key.startswith("index.") else key
    return name not in FINAL and name not in STATIC and not name.startswith(STATIC_PREFIXES)


def is_final(key: str) -> bool:
    name = key[len("index."):] if key.startswith("index.") else key
    return name in FINAL


def nest(flat: dict[str, Any]) -> dict[str, Any]:
    """Render flat `a.b.c` settings as nested objects (GET _settings shape)."""
    out: dict[str, Any] = {}
    for key in sorted(flat):
        value = flat[key]
        if value is None:
            continue
        node = out
        parts = key.split(".")
        for part in parts[:-1]:
            nxt = node.get(part)
            if not isinstance(nxt, dict):
                nxt = node[part] = {}
            node = nxt
        node[parts[-1]] = value
    return out


def render(flat: dict[str, Any], flat_settings: bool = False) -> dict[str, Any]:
    """Settings as a response shows them: nested by default, flat (sorted) with flat_settings."""
    if flat_settings:
        return {k: flat[k] for k in sorted(flat) if flat[k] is not None}
    return nest(flat)


def analysis_section(flat: dict[str, Any]) -> dict[str, Any]:
    """The `index.analysis` subtree as nested objects (what the analysis registry takes)."""
    sub = {k[len("index.analysis."):]: v for k, v in flat.items() if k.startswith("index.analysis.")}
    return nest(sub)


def int_setting(flat: dict[str, Any], name: str, default: int) -> int:
    value = flat.get(f"index.{name}")
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise EsError(400, "illegal_argument_exception", f"Failed to parse value [{value}] for setting "
                                                         f"[index.{name}]") from None


def bool_setting(flat: dict[str, Any], name: str, default: bool = False) -> bool:
    value = flat.get(f"index.{name}")
    if value is None:
        return default
    return str(value).lower() == "true"


def matches(patterns: list[str], key: str) -> bool:
    """ES simple wildcard match of a settings name filter."""
    for pattern in patterns:
        if "*" in pattern:
            regex = "^" + ".*".join(re.escape(p) for p in pattern.split("*")) + "$"
            if re.match(regex, key):
                return True
        elif pattern == key:
            return True
    return False
