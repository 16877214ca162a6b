"""Transforms: pivot and latest, batch and continuous, with checkpoints and a background scheduler.

A pivot runs as a composite aggregation over the source (paged with `after_key`); each bucket
becomes one destination document with a deterministic `_id`. In continuous mode a checkpoint
only recomputes the entities that changed since the last one (found through `sync.time.field`).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import orjson

from .dates import parse_time_value
from .engine import Engine
from .errors import EsError, illegal_argument, index_not_found, resource_not_found

TRANSFORM_KEYS = {"source", "dest", "pivot", "latest", "sync", "frequency", "description", "settings", "_meta",
                  "retention_policy", "id", "version", "create_time", "authorization"}
GROUP_BY_TYPES = {"terms", "histogram", "date_histogram", "geotile_grid"}
SUPPORTED_AGGS = {"avg", "sum", "min", "max", "value_count", "cardinality", "filter", "top_metrics",
                  "bucket_script", "bucket_selector", "scripted_metric", "stats", "extended_stats", "percentiles",
                  "weighted_avg", "median_absolute_deviation", "terms", "range", "missing", "bucket_sort",
                  "rare_terms", "boxplot", "geo_bounds", "geo_centroid"}
DEFAULT_PAGE = 500
DEFAULT_FREQUENCY = "1m"
VERSION = "8.17.0"


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


def _bad(reason: str) -> EsError:
    return EsError(400, "x_content_parse_exception", reason)


def validate(transform_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """Check a transform definition as ES does; returns the stored config."""
    for key in body:
        if key not in TRANSFORM_KEYS:
            raise _bad(f"[1:2] [data_frame_transform_config] unknown field [{key}]")
    if not body.get("source", {}).get("index"):
        raise _bad("[1:2] Failed to build [data_frame_transform_config] after last required field arrived")
    if not body.get("dest", {}).get("index"):
        raise _bad("[1:2] Failed to build [data_frame_transform_config] after last required field arrived")
    if ("pivot" in body) == ("latest" in body):
        raise EsError(400, "action_request_validation_exception",
                      "Validation Failed: 1: transform requires exactly one of pivot or latest;")
    if "pivot" in body:
        pivot = body["pivot"]
        for key in pivot:
            if key not in ("group_by", "aggregations", "aggs", "max_page_search_size"):
                raise _bad(f"[1:2] [data_frame_pivot_config] unknown field [{key}]")
        group_by = pivot.get("group_by") or {}
        if not group_by:
            raise _bad("[1:2] pivot requires a non-empty group_by")
        for name, source in group_by.items():
            kind = next(iter(source), None)
            if kind not in GROUP_BY_TYPES:
                raise _bad(f"[1:2] unknown group_by type [{kind}] for [{name}]")
        aggs = pivot.get("aggregations", pivot.get("aggs", {}))
        for name, agg in aggs.items():
            kind = next((k for k in agg if k not in ("aggs", "aggregations", "meta")), None)
            if kind not in SUPPORTED_AGGS:
                raise EsError(400, "action_request_validation_exception",
                              f"Validation Failed: 1: Unsupported aggregation type [{kind}];")
            if name in group_by:
                raise EsError(400, "action_request_validation_exception",
                              f"Validation Failed: 1: duplicate field [{name}] detected;")
    else:
        latest = body["latest"]
        if not latest.get("unique_key") or not latest.get("sort"):
            raise _bad("[1:2] latest requires unique_key and sort")
    if "sync" in body:
        time_sync = body["sync"].get("time")
        if not time_sync or not time_sync.get("field"):
            raise _bad("[1:2] sync.time.field is required")
        parse_time_value(time_sync.get("delay", "60s"), "sync.time.delay")
    if "frequency" in body:
        freq = parse_time_value(body["frequency"], "frequency")
        if not 1000 <= freq <= 3_600_000:
            raise EsError(400, "action_request_validation_exception",
                          "Validation Failed: 1: highest permitted [frequency] is [1h];" if freq > 3_600_000 else
                          "Validation Failed: 1: minimum permitted [frequency] is [1s];")
    config = {k: copy.deepcopy(v) for k, v in body.items() if k not in ("id", "version", "create_time")}
    if isinstance(config["source"]["index"], str):
        config["source"]["index"] = [i for i in config["source"]["index"].split(",") if i]
    if "pivot" in config and "aggs" in config["pivot"]:
        config["pivot"]["aggregations"] = config["pivot"].pop("aggs")
    return config


def doc_id_for(transform_id: str, key: dict[str, Any]) -> str:
    """A stable destination `_id` for a group key (the same entity always maps to the same doc)."""
    digest = hashlib.sha256(transform_id.encode() + b"\0" + orjson.dumps(key, option=orjson.OPT_SORT_KEYS))
    return base64.urlsafe_b64encode(digest.digest()[:15]).decode()


def _set_path(doc: dict[str, Any], path: str, value: Any) -> None:
    node = doc
    parts = path.split(".")
    for part in parts[:-1]:
        nxt = node.get(part)
        if not isinstance(nxt, dict):
            nxt = node[part] = {}
        node = nxt
    node[parts[-1]] = value


def agg_value(spec: dict[str, Any], result: dict[str, Any]) -> Any:
    """The value a pivot writes for one aggregation result (ES's AggregationResultUtils rules)."""
    kind = next(k for k in spec if k not in ("aggs", "aggregations", "meta"))
    if kind in ("filter", "missing"):
        subs = spec.get("aggs", spec.get("aggregations"))
        if not subs:
            return result.get("doc_count", 0)
        return {name: agg_value(sub, result.get(name, {})) for name, sub in subs.items()}
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
    if kind in ("min", "max") and "value_as_string" in result and result.get("value") is not None:
        return result["value_as_string"]
    return result.get("value")


def deduce_mappings(engine: Engine, config: dict[str, Any]) -> dict[str, Any]:
    """Destination mappings deduced from the source mappings, as ES does for pivots."""
    targets = engine.resolve(config["source"]["index"], ignore_unavailable=True)
    def source_type(name: str | None) -> str | None:
        for t in targets:
            f = t.index.mapping.field(name) if name else None
            if f is not None:
                return f.type
        return None
    props: dict[str, Any] = {}
    if "latest" in config:
        for t in targets:
            return copy.deepcopy(t.index.mapping.to_json())
        return {}
    pivot = config["pivot"]
    for name, source in pivot["group_by"].items():
        kind, spec = next(iter(source.items()))
        mapped = {"terms": source_type(spec.get("field")) or "keyword", "histogram": "double",
                  "date_histogram": "date", "geotile_grid": "geo_shape"}[kind]
        if mapped in ("text", "match_only_text"):
            mapped = "keyword"
        _set_mapping(props, name, {"type": mapped})
    for name, agg in pivot.get("aggregations", {}).items():
        _deduce_agg(props, name, agg, source_type)
    return {"_meta": {"created_by": "transform", "_transform": {"transform": "", "version": {"created": VERSION}}},
            "properties": props}


def _deduce_agg(props: dict[str, Any], name: str, agg: dict[str, Any], source_type: Any) -> None:
    kind = next(k for k in agg if k not in ("aggs", "aggregations", "meta"))
    spec = agg[kind]
    if kind in ("min", "max", "sum"):
        t = source_type(spec.get("field")) if isinstance(spec, dict) else None
        if kind == "sum" and t in ("date", "date_nanos"):
            t = "double"
        _set_mapping(props, name, {"type": t if t in _NUMERIC_OR_DATE else "double"})
    elif kind in ("avg", "weighted_avg", "bucket_script", "median_absolute_deviation"):
        _set_mapping(props, name, {"type": "double"})
    elif kind in ("value_count", "cardinality"):
        _set_mapping(props, name, {"type": "long"})
    elif kind in ("filter", "missing"):
        subs = agg.get("aggs", agg.get("aggregations"))
        if subs:
            for sub_name, sub in subs.items():
                _deduce_agg(props, f"{name}.{sub_name}", sub, source_type)
        else:
            _set_mapping(props, name, {"type": "long"})
    elif kind == "top_metrics":
        metrics = spec.get("metrics", [])
        for metric in metrics if isinstance(metrics, list) else [metrics]:
            t = source_type(metric.get("field"))
            if t is not None:
                _set_mapping(props, f"{name}.{metric['field']}", {"type": "keyword" if t == "text" else t})
    elif kind in ("stats", "extended_stats"):
        for sub in ("count",):
            _set_mapping(props, f"{name}.{sub}", {"type": "long"})
        for sub in ("min", "max", "avg", "sum"):
            _set_mapping(props, f"{name}.{sub}", {"type": "double"})
    elif kind == "percentiles":
        _set_mapping(props, name, {"type": "object"})


_NUMERIC_OR_DATE = {"long", "integer", "short", "byte", "double", "float", "half_float", "scaled_float",
                    "unsigned_long", "date", "date_nanos"}


def _set_mapping(props: dict[str, Any], path: str, definition: dict[str, Any]) -> None:
    parts = path.split(".")
    node = props
    for part in parts[:-1]:
        node = node.setdefault(part, {"properties": {}}).setdefault("properties", {})
    if definition.get("type") == "object":
        node.setdefault(parts[-1], {"type": "object"})
    else:
        node[parts[-1]] = definition


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
    def put(self, tid: str, body: dict[str, Any], defer_validation: bool) -> None:
        if tid in self.configs:
            raise EsError(409, "resource_already_exists_exception",
                          f"Transform with id [{tid}] already exists")
        config = validate(tid, body)
        if not defer_validation:
            self._check_source(config)
        config["create_time"] = int(time.time() * 1000)
        config["version"] = VERSION
        self.configs[tid] = config
        self.states[tid] = TransformState()
        self._persist(tid)

    def _check_source(self, config: dict[str, Any]) -> None:
        for name in config["source"]["index"]:
            targets = self.engine.resolve(name, allow_no_indices=False)
            if not targets:
                raise index_not_found(name)
        dest = config["dest"]["index"]
        if any(dest == t.index.name for n in config["source"]["index"] for t in self.engine.resolve(n)):
            raise EsError(400, "action_request_validation_exception",
                          f"Validation Failed: 1: Destination index [{dest}] is included in source expression "
                          f"[{','.join(config['source']['index'])}];")

    def config(self, tid: str) -> dict[str, Any]:
        if tid not in self.configs:
            raise resource_not_found(f"Transform with id [{tid}] could not be found")
        return self.configs[tid]

    def matching(self, pattern: str | None) -> list[str]:
        import fnmatch

        if pattern in (None, "", "_all", "*"):
            return sorted(self.configs)
        out = []
        for part in pattern.split(","):
            found = [t for t in self.configs if fnmatch.fnmatchcase(t, part)]
            if not found and "*" not in part:
                raise resource_not_found(f"Transform with id [{part}] could not be found")
            out.extend(found)
        return sorted(set(out))

    def describe(self, tid: str) -> dict[str, Any]:
        config = self.configs[tid]
        out = {"id": tid, **copy.deepcopy(config)}
        if "sync" in config:
            out.setdefault("frequency", DEFAULT_FREQUENCY)
        out.setdefault("settings", {})
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

    def update(self, tid: str, body: dict[str, Any]) -> dict[str, Any]:
        config = self.config(tid)
        allowed = {"source", "dest", "frequency", "sync", "description", "settings", "_meta", "retention_policy"}
        for key in body:
            if key not in allowed:
                raise _bad(f"[1:2] [data_frame_transform_config_update] unknown field [{key}]")
        merged = {**config, **copy.deepcopy(body)}
        merged = validate(tid, {k: v for k, v in merged.items() if k not in ("create_time", "version")})
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
        if state.state in ("started", "indexing"):
            raise EsError(409, "status_exception", f"Cannot start transform [{tid}] as it is already started.")
        self._check_source(config)
        self._ensure_dest(tid, config)
        state.state = "started"
        state.reason = None
        self._persist(tid)
        self._due[tid] = 0.0
        self._ensure_thread()

    def stop(self, tid: str, wait: bool, timeout_s: float = 30.0) -> None:
        self.config(tid)
        self._due.pop(tid, None)
        state = self.states[tid]
        if wait and state.state == "indexing":
            deadline = time.monotonic() + timeout_s
            self.engine.lock.release()
            try:
                while self.states[tid].state == "indexing" and time.monotonic() < deadline:
                    time.sleep(0.02)
            finally:
                self.engine.lock.acquire()
        state.state = "stopped"
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
        dest = self.engine.indices.get(self.configs[tid]["dest"]["index"])
        if dest is not None and dest.mapping.root.get("_meta", {}).get("created_by") == "transform":
            self.engine.delete_index(dest)
        self.states[tid] = TransformState()
        self._persist(tid)

    def _ensure_dest(self, tid: str, config: dict[str, Any]) -> None:
        dest = config["dest"]["index"]
        if dest in self.engine.indices or dest in self.engine.alias_names():
            return
        mappings = deduce_mappings(self.engine, config)
        if "_meta" in mappings:
            mappings["_meta"]["_transform"]["transform"] = tid
        self.engine.create_index(dest, {"mappings": mappings, "aliases": {
            a["alias"]: {} for a in config["dest"].get("aliases", [])}})

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

    def _run_checkpoint(self, tid: str) -> None:
        config = self.configs[tid]
        state = self.states[tid]
        state.state = "indexing"
        state.stats["trigger_count"] += 1
        started = time.perf_counter()
        try:
            changed = self.checkpoint(tid, config, state)
        except EsError as err:
            state.state = "failed"
            state.reason = err.reason
            self._due.pop(tid, None)
            self._persist(tid)
            return
        state.stats["processing_time_in_ms"] += int((time.perf_counter() - started) * 1000)
        if "sync" not in config:
            state.state = "stopped"
            self._due.pop(tid, None)
        else:
            state.state = "started" if tid in self._due else "stopped"
            freq = parse_time_value(config.get("frequency", DEFAULT_FREQUENCY), "frequency") / 1000
            if tid in self._due:
                self._due[tid] = time.monotonic() + freq
        if changed:
            state.changes_last_detected_ms = int(time.time() * 1000)
        self._persist(tid)

    # ---- the work ---------------------------------------------------------------------------
    def checkpoint(self, tid: str, config: dict[str, Any], state: TransformState) -> bool:
        """Compute one checkpoint; returns whether anything changed."""
        now_ms = int(time.time() * 1000)
        query = copy.deepcopy(config["source"].get("query", {"match_all": {}}))
        filters: list[dict[str, Any]] = [query]
        sync = config.get("sync", {}).get("time")
        upper = None
        if sync:
            delay = parse_time_value(sync.get("delay", "60s"), "delay")
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
            docs = self._latest_docs(tid, config, scoped)
        self._write(config, docs, state)
        state.checkpoint += 1
        state.last_checkpoint_ms = now_ms
        state.time_upper_bound_ms = upper
        return bool(docs)

    def _search(self, config: dict[str, Any], body: dict[str, Any], state: TransformState | None = None) -> dict:
        from .search import Searcher

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
        terms_fields = {name: spec["terms"]["field"] for name, spec in group_by.items() if "terms" in spec}
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

    def _pivot_docs(self, tid: str, config: dict[str, Any], query: dict[str, Any],
                    state: TransformState | None = None, limit: int | None = None) -> list[tuple[str, dict]]:
        pivot = config["pivot"]
        page = int(config.get("settings", {}).get("max_page_search_size") or pivot.get("max_page_search_size")
                   or DEFAULT_PAGE)
        sources = [{name: {kind: {**spec, "missing_bucket": spec.get("missing_bucket", False)}}}
                   for name, source in pivot["group_by"].items() for kind, spec in source.items()]
        aggs = pivot.get("aggregations", {})
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
                    _set_path(doc, name, self._key_value(pivot["group_by"][name], value))
                for name, spec in aggs.items():
                    if name in bucket:
                        _set_path(doc, name, agg_value(spec, bucket[name]))
                out.append((doc_id_for(tid, bucket["key"]), doc))
                if limit is not None and len(out) >= limit:
                    return out
            after = agg.get("after_key")
            if not agg["buckets"] or not after or len(agg["buckets"]) < page:
                break
        return out

    @staticmethod
    def _key_value(group: dict[str, Any], value: Any) -> Any:
        kind, spec = next(iter(group.items()))
        if kind == "date_histogram" and value is not None and spec.get("format"):
            from .dates import get_formatter

            return get_formatter(spec["format"]).format(int(value))
        return value

    def _latest_docs(self, tid: str, config: dict[str, Any], query: dict[str, Any],
                     limit: int | None = None) -> list[tuple[str, dict[str, Any]]]:
        latest = config["latest"]
        keys = latest["unique_key"]
        body = {"size": 10_000, "query": query, "sort": [{latest["sort"]: "desc"}]}
        from .search import Searcher

        targets = self.engine.resolve(config["source"]["index"], ignore_unavailable=True)
        seen: dict[str, tuple[str, dict[str, Any]]] = {}
        search_after = None
        while True:
            page_body = dict(body)
            if search_after is not None:
                page_body["search_after"] = search_after
            hits = Searcher(self.engine, targets, page_body, {}).run()["hits"]["hits"]
            for hit in hits:
                source = hit["_source"]
                key = {k: _get(source, k) for k in keys}
                doc_id = doc_id_for(tid, key)
                if doc_id not in seen:
                    seen[doc_id] = (doc_id, source)
            if len(hits) < body["size"]:
                break
            search_after = hits[-1]["sort"]
        out = list(seen.values())
        return out[:limit] if limit is not None else out

    def _write(self, config: dict[str, Any], docs: list[tuple[str, dict[str, Any]]], state: TransformState) -> None:
        from .api.documents import index_document

        dest = config["dest"]["index"]
        pipeline = config["dest"].get("pipeline")
        started = time.perf_counter()
        for doc_id, doc in docs:
            try:
                index_document(self.engine, dest, doc_id, doc, pipeline=pipeline)
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
    def preview(self, body: dict[str, Any]) -> dict[str, Any]:
        config = validate("preview", body)
        self._check_source(config)
        query = config["source"].get("query", {"match_all": {}})
        if "pivot" in config:
            docs = self._pivot_docs("preview", config, query, limit=100)
        else:
            docs = self._latest_docs("preview", config, query, limit=100)
        mappings = deduce_mappings(self.engine, config)
        mappings.pop("_meta", None)
        return {"preview": [d for _, d in docs],
                "generated_dest_index": {"mappings": mappings, "settings": {"index": {
                    "number_of_shards": "1", "auto_expand_replicas": "0-1"}}, "aliases": {}}}

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
            "health": {"status": "red" if state.state == "failed" else "green"},
        }
        if state.reason:
            out["reason"] = state.reason
        if state.changes_last_detected_ms is not None:
            out["checkpointing"]["changes_last_detected_at"] = state.changes_last_detected_ms
        if "sync" in config and state.last_checkpoint_ms is not None:
            out["checkpointing"]["last_search_time"] = state.last_checkpoint_ms
        return out


def _get(source: dict[str, Any], path: str) -> Any:
    node: Any = source
    for part in path.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def service(engine: Engine) -> TransformService:
    """The engine's transform service (created on first use, or at start-up to resume transforms)."""
    svc = engine.extensions.get("transforms")
    if svc is None:
        svc = engine.extensions["transforms"] = TransformService(engine)
    return svc


def validate_ids(tid: str) -> None:
    import re

    if not re.fullmatch(r"[a-z0-9][a-z0-9_\-]{0,63}", tid) or tid.endswith(("-", "_")):
        raise illegal_argument(f"Invalid transform id [{tid}]; must contain only lowercase alphanumeric "
                               f"(a-z and 0-9), hyphens or underscores; must start and end with alphanumeric")
