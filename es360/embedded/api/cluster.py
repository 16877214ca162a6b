"""Cluster-level APIs: root info, health, and _cat/indices."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from .. import ES_VERSION, LUCENE_VERSION
from ..engine import Engine
from ..errors import EsError
from ..rest import Request, Response, route
from ..settings import nest

CLUSTER_NAME = "es360-embedded"
CLUSTER_UUID = "es360-embedded-cluster"


@route("GET,HEAD", "/")
def info(engine: Engine, req: Request) -> Response:
    body = {
        "name": "es360-embedded",
        "cluster_name": CLUSTER_NAME,
        "cluster_uuid": CLUSTER_UUID,
        "version": {
            "number": ES_VERSION,
            "build_flavor": "default",
            "build_type": "embedded",
            "build_hash": "es360",
            "build_date": "2024-12-11T12:08:05.663969764Z",
            "build_snapshot": False,
            "lucene_version": LUCENE_VERSION,
            "minimum_wire_compatibility_version": "7.17.0",
            "minimum_index_compatibility_version": "7.0.0",
        },
        "tagline": "You Know, for Search",
    }
    return Response(200, None if req.method == "HEAD" else body)


@route("GET", "/_cluster/health", "/_cluster/health/{index}")
def health(engine: Engine, req: Request) -> Response:
    wanted = req.param("wait_for_status")
    if wanted is not None and wanted not in ("green", "yellow", "red"):
        raise EsError(400, "illegal_argument_exception", f"unknown cluster health status [{wanted}]")
    if "index" in req.path_params:
        targets = engine.resolve(req.path_params["index"], ignore_unavailable=False, allow_no_indices=True)
    else:
        targets = engine.resolve("*", expand_wildcards="all")
    level = req.param("level", "cluster")
    count = len(targets)
    # a single node: primaries active, replicas (default 1) unassigned -> yellow, as on a 1-node ES
    unassigned = sum(_replicas(t.index) for t in targets)
    status = "yellow" if unassigned else "green"
    body: dict[str, Any] = {
        "cluster_name": CLUSTER_NAME,
        "status": status,
        "timed_out": False,
        "number_of_nodes": 1,
        "number_of_data_nodes": 1,
        "active_primary_shards": count,
        "active_shards": count,
        "relocating_shards": 0,
        "initializing_shards": 0,
        "unassigned_shards": unassigned,
        "unassigned_primary_shards": 0,
        "delayed_unassigned_shards": 0,
        "number_of_pending_tasks": 0,
        "number_of_in_flight_fetch": 0,
        "task_max_waiting_in_queue_millis": 0,
        "active_shards_percent_as_number": 100.0 if not count else 100.0 * count / (count + unassigned),
    }
    if level in ("indices", "shards"):
        body["indices"] = {
            t.index.name: {"status": "yellow" if _replicas(t.index) else "green", "number_of_shards": 1,
                           "number_of_replicas": _replicas(t.index), "active_primary_shards": 1,
                           "active_shards": 1, "relocating_shards": 0, "initializing_shards": 0,
                           "unassigned_shards": _replicas(t.index), "unassigned_primary_shards": 0}
            for t in targets
        }
    return Response(200, body)


def _replicas(index: Any) -> int:
    value = index.setting("number_of_replicas", "1")
    auto = index.setting("auto_expand_replicas")
    if auto and str(auto).startswith("0-"):
        return 0
    return int(value)


# _cat columns: (name, aliases, shown by default)
CAT_INDEX_COLUMNS = [
    ("health", ("h",), True), ("status", ("s",), True), ("index", ("i", "idx"), True), ("uuid", ("id",), True),
    ("pri", ("p", "shards.primary", "shardsPrimary"), True), ("rep", ("r", "shards.replica", "shardsReplica"), True),
    ("docs.count", ("dc", "docsCount"), True), ("docs.deleted", ("dd", "docsDeleted"), True),
    ("creation.date", ("cd",), False), ("creation.date.string", ("cds",), False),
    ("store.size", ("ss", "storeSize"), True), ("pri.store.size", (), True), ("dataset.size", (), True),
]


@route("GET", "/_cat/indices", "/_cat/indices/{index}")
def cat_indices(engine: Engine, req: Request) -> Response:
    wanted_health = req.param("health")
    if wanted_health is not None and wanted_health not in ("green", "yellow", "red"):
        raise EsError(400, "illegal_argument_exception", f"unknown health status [{wanted_health}]")
    expand = req.param("expand_wildcards") or "open,closed"
    targets = engine.resolve(req.path_params.get("index", "*"), expand_wildcards=expand,
                             ignore_unavailable=False, allow_no_indices=True)
    rows = []
    for t in sorted(targets, key=lambda t: t.index.name):
        idx = t.index
        health_value = "yellow" if _replicas(idx) else "green"
        if wanted_health is not None and wanted_health != health_value:
            continue
        size = sum(len(s) for s in idx.sources if s)
        created = datetime.fromtimestamp(idx.creation_date / 1000, tz=UTC)
        rows.append({
            "health": health_value, "status": "close" if idx.closed else "open",
            "index": idx.name, "uuid": idx.uuid, "pri": str(int(idx.setting("number_of_shards", "1"))),
            "rep": str(_replicas(idx)), "docs.count": str(idx.doc_count), "docs.deleted": str(idx.segment.deleted),
            "creation.date": str(idx.creation_date),
            "creation.date.string": created.strftime("%Y-%m-%dT%H:%M:%S.") + f"{created.microsecond // 1000:03d}Z",
            "store.size": _bytes(size, req), "pri.store.size": _bytes(size, req), "dataset.size": _bytes(size, req),
        })
    return cat_response(req, rows, CAT_INDEX_COLUMNS)


@route("GET", "/_cat/count", "/_cat/count/{index}")
def cat_count(engine: Engine, req: Request) -> Response:
    targets = engine.resolve(req.path_params.get("index", "*"))
    now = datetime.now(UTC)
    count = sum(t.index.doc_count for t in targets)
    row = {"epoch": str(int(now.timestamp())), "timestamp": now.strftime("%H:%M:%S"), "count": str(count)}
    return cat_response(req, [row], [("epoch", ("t", "time"), True), ("timestamp", ("ts", "hms", "hhmmss"), True),
                                     ("count", ("dc", "docs.count", "docsCount"), True)])


@route("GET", "/_cat/health")
def cat_health(engine: Engine, req: Request) -> Response:
    targets = engine.resolve("*", expand_wildcards="all")
    unassigned = sum(_replicas(t.index) for t in targets)
    now = datetime.now(UTC)
    row = {"epoch": str(int(now.timestamp())), "timestamp": now.strftime("%H:%M:%S"), "cluster": CLUSTER_NAME,
           "status": "yellow" if unassigned else "green", "node.total": "1", "node.data": "1",
           "shards": str(len(targets)), "pri": str(len(targets)), "relo": "0", "init": "0",
           "unassign": str(unassigned), "unassign.pri": "0", "pending_tasks": "0", "max_task_wait_time": "-",
           "active_shards_percent": "100.0%" if not unassigned else
           f"{100.0 * len(targets) / (len(targets) + unassigned):.1f}%"}
    names = ["epoch", "timestamp", "cluster", "status", "node.total", "node.data", "shards", "pri", "relo", "init",
             "unassign", "unassign.pri", "pending_tasks", "max_task_wait_time", "active_shards_percent"]
    aliases = {"epoch": ("t", "time"), "timestamp": ("ts", "hms", "hhmmss"), "cluster": ("cl",), "status": ("st",),
               "node.total": ("nt", "nodeTotal"), "node.data": ("nd", "nodeData"), "shards": ("t", "sh"),
               "pri": ("p", "shards.primary"), "unassign": ("u",), "pending_tasks": ("pt",),
               "active_shards_percent": ("asp",)}
    return cat_response(req, [row], [(n, aliases.get(n, ()), True) for n in names])


def _bytes(size: int, req: Request) -> str:
    unit = req.params.get("bytes")
    if unit == "b":
        return str(size)
    if unit == "kb":
        return str(size // 1024)
    if size < 1024:
        return f"{size}b"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f}kb"
    return f"{size / 1024 / 1024:.1f}mb"


def cat_response(req: Request, rows: list[dict[str, Any]],
                 columns: list[tuple[str, tuple[str, ...], bool]] | list[str]) -> Response:
    """Render _cat rows as JSON (format=json) or ES's aligned text table (`v` headers, `h` pick, `s` sort).

    `columns` are `(name, aliases, shown by default)` triples, or plain names (all shown).
    """
    columns = [(c, (), True) if isinstance(c, str) else c for c in columns]
    by_alias = {a: name for name, aliases, _ in columns for a in (name, *aliases)}
    chosen: list[tuple[str, str]] = []  # (column, heading as the user asked for it)
    if req.params.get("h"):
        for part in req.params["h"].split(","):
            part = part.strip()
            if part == "*":
                chosen.extend((name, name) for name, _, _ in columns)
            elif part in by_alias:
                chosen.append((by_alias[part], part))
            else:
                raise EsError(400, "illegal_argument_exception", f"Unknown column [{part}]")
    else:
        chosen = [(name, name) for name, _, default in columns if default]
    for key in reversed([k for k in (req.params.get("s") or "").split(",") if k]):
        name, _, order = key.partition(":")
        column = by_alias.get(name)
        if column is None:
            raise EsError(400, "unsupported_operation_exception", f"Unable to sort by unknown sort key `{name}`")
        rows.sort(key=lambda r, c=column: _sort_key(r.get(c)), reverse=order == "desc")
    if req.params.get("format") == "json":
        return Response(200, [{heading: r.get(column) for column, heading in chosen} for r in rows])
    table = [[heading for _, heading in chosen]] if req.params.get("v") in ("", "true") else []
    table += [[str(r.get(c) if r.get(c) is not None else "") for c, _ in chosen] for r in rows]
    if not table:
        return Response(200, "", "text/plain; charset=UTF-8")
    widths = [max(len(row[i]) for row in table) for i in range(len(chosen))]
    # ES pads every column to its width except the last one
    lines = [" ".join(cell if i == len(row) - 1 else cell.ljust(widths[i]) for i, cell in enumerate(row))
             for row in table]
    return Response(200, "\n".join(lines) + "\n", "text/plain; charset=UTF-8")


def _sort_key(value: Any) -> tuple[int, Any]:
    text = "" if value is None else str(value)
    try:
        return (0, float(text))
    except ValueError:
        return (1, text)


# ---- cluster settings -----------------------------------------------------------------------------
@route("GET", "/_cluster/settings")
def get_cluster_settings(engine: Engine, req: Request) -> dict[str, Any]:
    stored = engine.store.load_objects("cluster_settings")
    flat = req.params.get("flat_settings") == "true"
    out = {scope: (stored.get(scope, {}) if flat else nest(stored.get(scope, {})))
           for scope in ("persistent", "transient")}
    if req.params.get("include_defaults") == "true":
        out["defaults"] = {}
    return out


@route("PUT", "/_cluster/settings")
def put_cluster_settings(engine: Engine, req: Request) -> dict[str, Any]:
    body = req.json_object(True)
    stored = engine.store.load_objects("cluster_settings")
    out: dict[str, Any] = {"acknowledged": True}
    for scope in ("persistent", "transient"):
        current = dict(stored.get(scope, {}))
        flat = _flat(body.get(scope) or {})
        for key, value in flat.items():
            if value is None:
                current.pop(key, None)
            else:
                current[key] = value
        engine.store.put_object("cluster_settings", scope, current)
        engine.extensions.setdefault("cluster_settings", {})[scope] = current  # read by search keep-alives
        out[scope] = nest(flat) if req.params.get("flat_settings") != "true" else flat
        out[scope] = {k: v for k, v in out[scope].items() if v is not None}
    return out


def _flat(node: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in node.items():
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = None if value is None else (
                str(value).lower() if isinstance(value, bool) else value if isinstance(value, list) else str(value))
    return out


# ---- nodes info/stats and cluster state (the parts YAML tests read: master node, ingest) ------------
def _node_id() -> str:
    from .indices import NODE_ID

    return NODE_ID


@route("GET", "/_cluster/state", "/_cluster/state/{metric}", "/_cluster/state/{metric}/{index}")
def cluster_state(engine: Engine, req: Request) -> dict[str, Any]:
    return {"cluster_name": CLUSTER_NAME, "cluster_uuid": CLUSTER_UUID, "master_node": _node_id()}


@route("GET", "/_nodes", "/_nodes/{node_id}", "/_nodes/{node_id}/{metric}")
def nodes_info(engine: Engine, req: Request) -> dict[str, Any]:
    ingest = engine.extensions.get("ingest")
    node: dict[str, Any] = {"name": "es360-embedded", "version": ES_VERSION, "roles": ["data", "ingest", "master"],
                            "modules": [{"name": m} for m in ("ingest-common", "lang-painless", "reindex")]}
    if ingest is not None:
        node["ingest"] = ingest.node_info()
    return {"_nodes": {"total": 1, "successful": 1, "failed": 0}, "cluster_name": CLUSTER_NAME,
            "nodes": {_node_id(): node}}


@route("GET", "/_nodes/stats", "/_nodes/stats/{metric}", "/_nodes/{node_id}/stats", "/_nodes/{node_id}/stats/{metric}")
def nodes_stats(engine: Engine, req: Request) -> dict[str, Any]:
    ingest = engine.extensions.get("ingest")
    node: dict[str, Any] = {"name": "es360-embedded"}
    if ingest is not None:
        node["ingest"] = ingest.node_stats()
    return {"_nodes": {"total": 1, "successful": 1, "failed": 0}, "cluster_name": CLUSTER_NAME,
            "nodes": {_node_id(): node}}


@route("GET", "/_capabilities")
def capabilities(engine: Engine, req: Request) -> dict[str, Any]:
    """Whether a method + path (with parameters and named capabilities) is supported, as ES answers it.

    Named capabilities are only claimed where the module implementing the API declares them.
    """
    from ..rest import MethodNotAllowed, router
    from .indices import CAPABILITIES

    method = (req.param("method") or "GET").upper()
    path = req.param("path") or "/"
    wanted = {c for c in (req.param("capabilities") or "").split(",") if c}
    try:
        router.match(method, path)
    except (EsError, MethodNotAllowed):
        return {"supported": False}
    if not wanted:
        return {"supported": True}
    declared = CAPABILITIES.get((method, path), frozenset())
    return {"supported": wanted <= declared}
