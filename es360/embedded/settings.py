"""Index settings: normalization to ES's flat `index.*` form, validation, and nested rendering."""

from __future__ import annotations

import re
from typing import Any

from .errors import EsError, illegal_argument

KNOWN = {
    "number_of_shards", "number_of_replicas", "refresh_interval", "max_result_window", "default_pipeline",
    "final_pipeline", "codec", "hidden", "max_inner_result_window", "max_ngram_diff", "max_shingle_diff",
    "auto_expand_replicas", "uuid", "creation_date", "provided_name", "number_of_routing_shards",
    "priority", "max_terms_count", "max_regex_length", "max_docvalue_fields_search", "max_script_fields",
    "max_rescore_window", "max_slices_per_scroll", "gc_deletes", "load_fixed_bitset_filters_eagerly",
    "frozen", "format", "mode", "look_back_time", "max_refresh_listeners", "version.created",
    "version.created_string", "version.upgraded", "routing_partition_size", "shard.check_on_startup",
    "blocks.read_only", "blocks.read_only_allow_delete", "blocks.read", "blocks.write", "blocks.metadata",
    "highlight.max_analyzed_offset", "query.default_field", "mapping.total_fields.limit",
    "mapping.depth.limit", "mapping.nested_fields.limit", "mapping.nested_objects.limit",
    "mapping.field_name_length.limit", "mapping.ignore_malformed", "mapping.coerce",
    "mapping.total_fields.ignore_dynamic_beyond_limit", "mapping.source.mode", "mapping.synthetic_source_keep",
    "soft_deletes.enabled", "soft_deletes.retention_lease.period", "verified_before_close",
    "max_adjacency_matrix_filters", "store.type", "store.preload", "write.wait_for_active_shards",
    "queries.cache.enabled", "requests.cache.enable", "routing.rebalance.enable", "routing.allocation.enable",
    "search.idle.after", "unassigned.node_left.delayed_timeout", "lifecycle.name", "lifecycle.rollover_alias",
    "lifecycle.origination_date", "lifecycle.parse_origination_date", "lifecycle.indexing_complete",
    "analyze.max_token_count", "highlight.weight_matches_mode.enabled", "sort.field", "sort.order",
    "sort.missing", "sort.mode", "time_series.start_time", "time_series.end_time", "routing_path",
    "dimensions", "merge.policy.max_merged_segment", "translog.durability", "translog.sync_interval",
    "translog.flush_threshold_size", "indexing.slowlog.threshold.index.warn", "source_only",
    "recovery.type", "similarity.default.type", "resize.source.name", "resize.source.uuid",
    "indexing_pressure.memory.limit", "fast_refresh", "default_allocation", "history_uuid",
}
KNOWN_PREFIXES = ("analysis.", "similarity.", "routing.allocation.", "search.slowlog.", "indexing.slowlog.",
                  "merge.", "translog.", "lifecycle.", "store.", "blocks.", "shard.", "search.", "unassigned.",
                  "sort.", "mapping.", "time_series.", "_tier_preference", "allocation.", "version.")
NOT_UPDATABLE = {"number_of_shards", "number_of_routing_shards", "codec", "uuid", "creation_date",
                 "provided_name", "version.created", "routing_partition_size", "sort.field", "sort.order",
                 "mode", "format"}


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
        if isinstance(value, dict) and value:
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
    return str(value)


def validate(flat: dict[str, Any], updating: bool = False) -> None:
    """Reject unknown settings and invalid values as ES does."""
    for key, value in flat.items():
        name = key[len("index."):]
        if not (name in KNOWN or name.startswith(KNOWN_PREFIXES)):
            raise illegal_argument(
                f"unknown setting [{key}] please check that any required plugins are installed, or check the "
                f"breaking changes documentation for removed settings")
        if updating and name in NOT_UPDATABLE:
            raise illegal_argument(f"final {key} setting [{key}], not updateable" if name != "number_of_shards"
                                   else f"Can't update non dynamic settings [[{key}]] for open indices")
        if name in ("number_of_shards", "number_of_replicas", "max_result_window") and value is not None:
            if not re.fullmatch(r"-?\d+", str(value)):
                raise illegal_argument(f"Failed to parse value [{value}] for setting [{key}]")
            if name == "number_of_shards" and not 1 <= int(value) <= 1024:
                raise illegal_argument(f"Failed to parse value [{value}] for setting [{key}] must be >= 1")
            if name == "number_of_replicas" and int(value) < 0:
                raise illegal_argument(f"Failed to parse value [{value}] for setting [{key}] must be >= 0")


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
