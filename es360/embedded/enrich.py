"""Enrich policies: definitions, `_execute` snapshots into hidden `.enrich-*` indices, and lookups.

As in Elasticsearch, the enrich processor sees the data as of the last `_execute`, never live
changes to the source indices.
"""

from __future__ import annotations

import time
from typing import Any

from .engine import Engine
from .errors import EsError, illegal_argument, resource_not_found
from .gcpause import no_cyclic_gc
from .index import Index

POLICY_TYPES = ("match", "range", "geo_match")
POLICY_KEYS = {"indices", "match_field", "enrich_fields", "query", "elasticsearch_version"}


def validate_policy(name: str, body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Check a policy body (`{"match": {...}}`) and return (type, config)."""
    if not isinstance(body, dict) or len(body) != 1:
        raise EsError(400, "x_content_parse_exception", "[1:2] policy must have exactly one type: "
                                                        f"{', '.join(POLICY_TYPES)}")
    kind, config = next(iter(body.items()))
    if kind not in POLICY_TYPES:
        raise EsError(400, "x_content_parse_exception", f"[1:2] [policy] unknown field [{kind}]")
    for key in config:
        if key not in POLICY_KEYS:
            raise EsError(400, "x_content_parse_exception", f"[1:{len(kind) + 5}] [{kind}] unknown field [{key}]")
    missing = [k for k in ("indices", "match_field", "enrich_fields") if not config.get(k)]
    if missing:
        raise EsError(400, "x_content_parse_exception", f"Required [{', '.join(missing)}]")
    indices = config["indices"] if isinstance(config["indices"], list) else [config["indices"]]
    fields = config["enrich_fields"] if isinstance(config["enrich_fields"], list) else [config["enrich_fields"]]
    if not name or name != name.lower() or any(c in name for c in '\\/*?"<>| ,#'):
        raise illegal_argument(f"Invalid policy name [{name}], must be lowercase and not contain special "
                               f"characters")
    return kind, {**config, "indices": indices, "enrich_fields": fields}


class EnrichService:
    """Policies, their executed snapshots, and value lookups for the enrich processor."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.policies: dict[str, dict[str, Any]] = engine.store.load_objects("enrich_policy")
        self._lookup: dict[str, tuple[str, dict[Any, list[dict[str, Any]]]]] = {}

    # ---- policies ---------------------------------------------------------------------------
    def put(self, name: str, body: dict[str, Any]) -> None:
        if name in self.policies:
            raise EsError(400, "resource_already_exists_exception", f"policy [{name}] already exists")
        kind, config = validate_policy(name, body)
        for index_name in config["indices"]:
            self.engine.resolve(index_name)  # raises index_not_found like ES
        self.policies[name] = {kind: config}
        self.engine.store.put_object("enrich_policy", name, self.policies[name])

    def get(self, names: list[str] | None) -> list[dict[str, Any]]:
        chosen = sorted(self.policies) if not names else [n for n in names if n in self.policies]
        out = []
        for name in chosen:
            kind, config = next(iter(self.policies[name].items()))
            out.append({"config": {kind: {"name": name, **config}}})
        return out

    def delete(self, name: str, pipelines_using: list[str]) -> None:
        if name not in self.policies:
            raise resource_not_found(f"policy [{name}] not found")
        if pipelines_using:
            raise illegal_argument(f"Could not delete policy [{name}] because a pipeline is referencing it "
                                   f"[{', '.join(sorted(pipelines_using))}]")
        for index in [i for i in self.engine.indices.values() if i.name.startswith(f".enrich-{name}-")]:
            self.engine.delete_index(index)
        del self.policies[name]
        self._lookup.pop(name, None)
        self.engine.store.delete_object("enrich_policy", name)

    # ---- execution --------------------------------------------------------------------------
    def execute(self, name: str) -> str:
        """Snapshot the source data into a new `.enrich-<name>-<ts>` index; returns its name."""
        if name not in self.policies:
            raise resource_not_found(f"policy [{name}] does not exist")
        with no_cyclic_gc():  # the snapshot is index data built in bulk, as in a bulk request
            return self._execute(name)

    def _execute(self, name: str) -> str:
        kind, config = next(iter(self.policies[name].items()))
        from .search import Searcher

        targets = self.engine.resolve(config["indices"])
        match_field = config["match_field"]
        wanted = [match_field, *config["enrich_fields"]]
        snapshot_name = f".enrich-{name}-{int(time.time() * 1000)}"
        while snapshot_name in self.engine.indices:
            snapshot_name += "0"
        body: dict[str, Any] = {"settings": {"index.hidden": True, "number_of_replicas": 0}}
        mappings = enrich_mappings(name, kind, match_field, targets)
        if mappings is not None:
            body["mappings"] = mappings
        index = self.engine.create_index(snapshot_name, body)
        searcher = Searcher(self.engine, targets, {"query": config.get("query", {"match_all": {}})}, {})
        count = 0
        for target in targets:
            _, docset = searcher.run_query(target)
            src_index = target.index
            for docnum in docset.docs.tolist():
                doc_id = src_index.segment.ids[docnum]
                state = src_index.docs.get(doc_id) if doc_id else None
                if state is None:
                    continue
                source = src_index.source(state)
                projected = {f: v for f in wanted if (v := _get_path(source, f)) is not None}
                if match_field not in projected:
                    continue
                index.write_doc(f"{count}", _nest(projected))
                count += 1
        index.refresh()
        for old in [i for i in self.engine.indices.values()
                    if i.name.startswith(f".enrich-{name}-") and i.name != snapshot_name]:
            self.engine.delete_index(old)
        self._lookup.pop(name, None)
        return snapshot_name

    def snapshot_index(self, name: str) -> Index | None:
        """The newest executed snapshot of a policy (cached: this runs once per enriched document)."""
        cached = self._lookup.get(name)
        if cached is not None and cached[0] in self.engine.indices:
            return self.engine.indices[cached[0]]
        candidates = sorted(i.name for i in self.engine.indices.values() if i.name.startswith(f".enrich-{name}-"))
        return self.engine.indices[candidates[-1]] if candidates else None

    # ---- lookups ----------------------------------------------------------------------------
    def lookup(self, name: str, value: Any, max_matches: int = 1) -> list[dict[str, Any]]:
        """Enrich documents whose match field equals `value` (match) or whose range contains it (range)."""
        if name not in self.policies:
            raise illegal_argument(f"enrich policy [{name}] does not exist")
        kind, config = next(iter(self.policies[name].items()))
        index = self.snapshot_index(name)
        if index is None:
            raise illegal_argument(f"no enrich index exists for policy with name [{name}]")
        cached = self._lookup.get(name)
        if cached is None or cached[0] != index.name:
            cached = (index.name, self._build_table(index, config["match_field"], kind))
            self._lookup[name] = cached
        table = cached[1]
        values = value if isinstance(value, list) else [value]
        out: list[dict[str, Any]] = []
        for v in values:
            if kind == "range":
                out.extend(_range_hits(table, v))
            else:
                out.extend(table.get(_key(v), []))
            if len(out) >= max_matches:
                break
        return out[:max_matches]

    def _build_table(self, index: Index, match_field: str, kind: str) -> dict[Any, list[dict[str, Any]]]:
        table: dict[Any, list[dict[str, Any]]] = {}
        for state in sorted(index.docs.values(), key=lambda s: s.docnum):
            doc = index.source(state)
            key_value = _get_path(doc, match_field)
            keys = key_value if isinstance(key_value, list) and kind != "range" else [key_value]
            for k in keys:
                if kind == "range":
                    table.setdefault("__ranges__", []).append(doc)  # type: ignore[arg-type]
                else:
                    table.setdefault(_key(k), []).append(doc)
        return table

    def stats(self) -> dict[str, Any]:
        return {"executing_policies": [], "coordinator_stats": [
            {"node_id": "es360node", "queue_size": 0, "remote_requests_current": 0, "remote_requests_total": 0,
             "executed_searches_total": 0}], "cache_stats": []}


ENRICH_README = "This index is managed by Elasticsearch and should not be modified in any way."
RANGE_TYPES = ("integer_range", "float_range", "long_range", "double_range", "ip_range", "date_range")


def enrich_mappings(policy: str, kind: str, match_field: str, targets: list[Any]) -> dict[str, Any] | None:
    """The mappings Elasticsearch gives an enrich index: nothing dynamic, only the match field indexed
    (a keyword without doc values for `match`, the source's range type for `range`). None where the
    engine cannot map the match field that way (a geo_match policy, or a range field it cannot
    resolve to one range type); such a snapshot keeps dynamic mappings."""
    if kind == "match":
        leaf: dict[str, Any] = {"type": "keyword", "doc_values": False}
    elif kind == "range":
        found = {(f.type, f.params.get("format")) for t in targets
                 if (f := t.index.mapping.field(match_field)) is not None}
        if len(found) != 1 or next(iter(found))[0] not in RANGE_TYPES:
            return None
        ftype, fmt = next(iter(found))
        leaf = {"type": ftype, "doc_values": False}
        if ftype == "date_range" and fmt:
            leaf["format"] = fmt
    else:
        return None
    properties: dict[str, Any] = {}
    node = properties
    parts = match_field.split(".")
    for part in parts[:-1]:
        node[part] = {"properties": {}}
        node = node[part]["properties"]
    node[parts[-1]] = leaf
    return {"dynamic": False, "_source": {"enabled": True}, "properties": properties,
            "_meta": {"enrich_readme": ENRICH_README, "enrich_policy_name": policy,
                      "enrich_match_field": match_field, "enrich_policy_type": kind}}


def _key(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _range_hits(table: dict[Any, Any], value: Any) -> list[dict[str, Any]]:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return []
    hits = []
    for doc in table.get("__ranges__", []):
        for rng in doc.values():
            if isinstance(rng, dict) and ("gte" in rng or "lte" in rng or "gt" in rng or "lt" in rng):
                lo_ok = v >= float(rng["gte"]) if "gte" in rng else v > float(rng["gt"]) if "gt" in rng else True
                hi_ok = v <= float(rng["lte"]) if "lte" in rng else v < float(rng["lt"]) if "lt" in rng else True
                if lo_ok and hi_ok:
                    hits.append(doc)
                    break
    return hits


def _get_path(source: dict[str, Any], path: str) -> Any:
    if path in source:
        return source[path]
    node: Any = source
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _nest(flat: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for path, value in flat.items():
        node = out
        parts = path.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return out


def service(engine: Engine) -> EnrichService:
    """The engine's enrich service (created on first use)."""
    svc = engine.extensions.get("enrich")
    if svc is None:
        svc = engine.extensions["enrich"] = EnrichService(engine)
    return svc
