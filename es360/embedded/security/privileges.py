"""Elasticsearch's named privileges as action-name patterns, and wildcard matching of actions and names.

A cluster or index privilege grants the actions whose names match its patterns, as in ES. A role may
also list a raw action pattern (`cluster:monitor/*`, `indices:data/read/*`) instead of a name.
"""

from __future__ import annotations

import functools
import re

AUTO_PUT = "indices:admin/mapping/auto_put"

# Ordered from the narrowest to the broadest: ES lists the privileges that grant an action in this order.
CLUSTER_PRIVILEGES: dict[str, tuple[str, ...]] = {
    "none": (),
    "cancel_task": ("cluster:admin/tasks/cancel",),
    "create_snapshot": ("cluster:admin/snapshot/create", "cluster:admin/repository/get"),
    "grant_api_key": ("cluster:admin/xpack/security/api_key/grant",),
    "manage_api_key": ("cluster:admin/xpack/security/api_key/*",),
    "manage_own_api_key": ("cluster:admin/xpack/security/api_key/create",
                           "cluster:admin/xpack/security/api_key/get#own",
                           "cluster:admin/xpack/security/api_key/invalidate#own"),
    "manage_token": ("cluster:admin/xpack/security/token/*",),
    "read_security": ("cluster:admin/xpack/security/user/get", "cluster:admin/xpack/security/role/get",
                      "cluster:admin/xpack/security/api_key/get", "cluster:admin/xpack/security/user/has_privileges"),
    "manage_enrich": ("cluster:admin/xpack/enrich/*", "cluster:monitor/xpack/enrich/*"),
    "monitor_enrich": ("cluster:monitor/xpack/enrich/*",),
    "read_pipeline": ("cluster:admin/ingest/pipeline/get", "cluster:admin/ingest/pipeline/simulate"),
    "manage_ingest_pipelines": ("cluster:admin/ingest/pipeline/*",),
    "manage_pipeline": ("cluster:admin/ingest/pipeline/*",),
    "manage_index_templates": ("indices:admin/template/*", "indices:admin/index_template/*",
                               "cluster:admin/component_template/*"),
    "monitor_transform": ("cluster:monitor/transform/*",),
    "manage_transform": ("cluster:admin/transform/*", "cluster:monitor/transform/*"),
    "monitor_data_frame_transforms": ("cluster:monitor/transform/*",),
    "manage_data_frame_transforms": ("cluster:admin/transform/*", "cluster:monitor/transform/*"),
    "monitor_stats": ("cluster:monitor/stats*",),
    "monitor_inference": ("cluster:monitor/xpack/inference*",),
    "manage_inference": ("cluster:admin/xpack/inference/*", "cluster:monitor/xpack/inference*"),
    "manage_logstash_pipelines": ("cluster:admin/logstash/pipeline/*",),
    "manage_search_application": ("cluster:admin/xpack/application/search_application/*",),
    "manage_search_synonyms": ("cluster:admin/synonyms/*",),
    "monitor_text_structure": ("cluster:monitor/text_structure/*",),
    "cross_cluster_search": (),
    "cross_cluster_replication": (),
    "manage_user_profile": ("cluster:admin/xpack/security/profile/*",),
    "manage_service_account": ("cluster:admin/xpack/security/service_account/*",),
    "manage_ilm": ("cluster:admin/ilm/*", "cluster:monitor/ilm/*"),
    "read_ilm": ("cluster:monitor/ilm/*",),
    "manage_slm": ("cluster:admin/slm/*",),
    "read_slm": ("cluster:admin/slm/get",),
    "monitor_snapshot": ("cluster:admin/snapshot/get", "cluster:admin/snapshot/status"),
    "manage_autoscaling": ("cluster:admin/autoscaling/*",),
    "manage_ml": ("cluster:admin/xpack/ml/*", "cluster:monitor/xpack/ml/*"),
    "monitor_ml": ("cluster:monitor/xpack/ml/*",),
    "manage_watcher": ("cluster:admin/xpack/watcher/*",),
    "monitor_watcher": ("cluster:monitor/xpack/watcher/*",),
    "manage_rollup": ("cluster:admin/xpack/rollup/*",),
    "monitor_rollup": ("cluster:monitor/xpack/rollup/*",),
    "manage_ccr": ("cluster:admin/xpack/ccr/*",),
    "read_ccr": ("cluster:monitor/state",),
    "transport_client": ("cluster:monitor/nodes/liveness", "cluster:monitor/state"),
    "monitor": ("cluster:monitor/*",),
    "manage_security": ("cluster:admin/xpack/security/*",),
    "manage": ("cluster:*", "indices:admin/template/*", "indices:admin/index_template/*"),
    "all": ("cluster:*", "indices:admin/template/*", "indices:admin/index_template/*"),
}
_MANAGE_EXCLUDES = ("cluster:admin/xpack/security/*",)  # `manage` grants everything but security

INDEX_PRIVILEGES: dict[str, tuple[str, ...]] = {
    "none": (),
    "read": ("indices:data/read/*", "indices:admin/resolve/index", "indices:admin/search/search_shards"),
    "read_cross_cluster": ("internal:transport/proxy/indices:data/read/*",),
    "view_index_metadata": ("indices:admin/aliases/get", "indices:admin/get", "indices:admin/mappings/fields/get*",
                            "indices:admin/mappings/get", "indices:admin/search/search_shards",
                            "indices:admin/validate/query*", "indices:monitor/settings/get",
                            "indices:admin/resolve/index", "indices:data/read/field_caps*",
                            "indices:admin/ilm/explain"),
    "monitor": ("indices:monitor/*",),
    "maintenance": ("indices:admin/refresh*", "indices:admin/flush*", "indices:admin/synced_flush",
                    "indices:admin/forcemerge*"),
    "create_doc": ("indices:data/write/index:op_type/create", "indices:data/write/bulk*", AUTO_PUT),
    "create": ("indices:data/write/index:op_type/create", "indices:data/write/bulk*", AUTO_PUT),
    "index": ("indices:data/write/index*", "indices:data/write/update*", "indices:data/write/bulk*", AUTO_PUT),
    "delete": ("indices:data/write/delete*", "indices:data/write/bulk*"),
    "write": ("indices:data/write/*", AUTO_PUT),
    "auto_configure": ("indices:admin/auto_create", "indices:admin/data_stream/create", AUTO_PUT),
    "create_index": ("indices:admin/create", "indices:admin/auto_create", "indices:admin/data_stream/create"),
    "delete_index": ("indices:admin/delete", "indices:admin/data_stream/delete"),
    "manage_follow_index": ("indices:admin/xpack/ccr/*",),
    "manage_leader_index": ("indices:admin/xpack/ccr/forget_follower*",),
    "manage_ilm": ("indices:admin/ilm/*",),
    "manage_data_stream_lifecycle": ("indices:admin/data_stream/lifecycle/*",),
    "manage": ("indices:monitor/*", "indices:admin/*", "indices:data/read/field_caps*"),
    "all": ("indices:*",),
}


@functools.lru_cache(maxsize=4096)
def _pattern(pattern: str) -> re.Pattern[str]:
    if len(pattern) > 1 and pattern.startswith("/") and pattern.endswith("/"):
        return re.compile(pattern[1:-1])  # ES accepts a Lucene regular expression between slashes
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern))


def matches(pattern: str, value: str) -> bool:
    """ES name matching: `*` and `?` wildcards, or a `/regex/`, over the whole value."""
    if pattern == value or pattern == "*":
        return True
    if "*" not in pattern and "?" not in pattern and not pattern.startswith("/"):
        return False
    try:
        return _pattern(pattern).fullmatch(value) is not None
    except re.error:
        return False


def any_matches(patterns: list[str] | tuple[str, ...], value: str) -> bool:
    return any(matches(p, value) for p in patterns)


def cluster_grants(privilege: str, action: str) -> bool:
    """Whether one cluster privilege (a name or an action pattern) grants `action`."""
    if privilege in CLUSTER_PRIVILEGES:
        if privilege == "manage" and any_matches(_MANAGE_EXCLUDES, action):
            return False
        return any_matches(CLUSTER_PRIVILEGES[privilege], action)
    return ":" in privilege and matches(privilege, action)


def index_grants(privilege: str, action: str) -> bool:
    """Whether one index privilege (a name or an action pattern) grants `action`."""
    if privilege in INDEX_PRIVILEGES:
        return any_matches(INDEX_PRIVILEGES[privilege], action)
    return ":" in privilege and matches(privilege, action)


def granting_cluster_privileges(action: str) -> list[str]:
    return [p for p in CLUSTER_PRIVILEGES if p != "none" and cluster_grants(p, action)]


def granting_index_privileges(action: str) -> list[str]:
    return [p for p in INDEX_PRIVILEGES if p != "none" and index_grants(p, action)]


def valid_cluster_privilege(privilege: str) -> bool:
    return privilege in CLUSTER_PRIVILEGES or privilege.startswith("cluster:") or privilege.startswith(
        "indices:admin/template") or privilege.startswith("indices:admin/index_template")


def valid_index_privilege(privilege: str) -> bool:
    return privilege in INDEX_PRIVILEGES or privilege.startswith("indices:")
