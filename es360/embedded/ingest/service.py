"""IngestService: pipeline CRUD (persisted), document processing for the write path, simulate, stats."""

from __future__ import annotations

import contextlib
import fnmatch
import time
from typing import Any

from .. import settings as settings_mod
from ..errors import EsError, action_request_validation, illegal_argument
from .document import IngestDocument, deep_copy
from .pipeline import IngestFailure, Pipeline, Runner, config_error, error_body, parse_pipeline
from .processors import FACTORIES

SIMULATE_PIPELINE_ID = "_simulate_pipeline"


class _Stats:
    __slots__ = ("count", "time_ns", "failed")

    def __init__(self) -> None:
        self.count = 0
        self.time_ns = 0
        self.failed = 0


class IngestService:
    """The `ingest` engine extension: see `process` for the write-path contract."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self._runner = Runner(self)  # stateless without a tracker: one serves every write
        self.bodies: dict[str, dict[str, Any]] = {}
        self.pipelines: dict[str, Pipeline] = {}
        self.broken: dict[str, EsError] = {}
        self.stats: dict[str, _Stats] = {}
        self.total = _Stats()
        self.ingest_time_ns = 0
        self.ingest_count = 0
        self.last_executed: list[str] | None = None
        # set by a bulk request while it runs: index_setting answers memoized per target and name
        # (and, under the name "", the (default, final) pipeline pair of a target)
        self.batch_cache: dict[tuple[str, str, int], Any] | None = None
        store = getattr(engine, "store", None)
        if store is not None:
            for pipeline_id, body in store.load_objects("pipeline").items():
                self.bodies[pipeline_id] = body
        for pipeline_id, body in self.bodies.items():
            self._load(pipeline_id, body)

    def _load(self, pipeline_id: str, body: dict[str, Any]) -> None:
        try:
            self.pipelines[pipeline_id] = parse_pipeline(pipeline_id, body, FACTORIES, self)
            self.broken.pop(pipeline_id, None)
        except EsError as err:  # e.g. an enrich policy that no longer exists: fail when used, as ES does
            self.pipelines.pop(pipeline_id, None)
            self.broken[pipeline_id] = err

    # ---- CRUD -----------------------------------------------------------------------------------
    def put_pipeline(self, pipeline_id: str, body: Any, if_version: int | None = None) -> None:
        if not isinstance(body, dict):
            raise EsError(400, "parse_exception", "request body is required")
        if if_version is not None:
            current = self.bodies.get(pipeline_id)
            current_version = current.get("version") if current is not None else None
            if current is None or current_version != if_version:
                raise illegal_argument(f"version conflict, required version [{if_version}] for pipeline "
                                       f"[{pipeline_id}] but current version is [{current_version}]")
            body = dict(body)
            if "version" not in body:
                body["version"] = if_version + 1
        pipeline = parse_pipeline(pipeline_id, body, FACTORIES, self)
        self.pipelines[pipeline_id] = pipeline
        self.broken.pop(pipeline_id, None)
        self.bodies[pipeline_id] = body
        self.engine.store.put_object("pipeline", pipeline_id, body)
        # pipelines referencing this one by name pick it up at run time; nothing else to refresh

    def matching_ids(self, expression: str | None) -> list[str]:
        if expression in (None, "", "*", "_all"):
            return sorted(self.bodies)
        out: list[str] = []
        for part in str(expression).split(","):
            part = part.strip()
            if "*" in part:
                out.extend(i for i in sorted(self.bodies) if fnmatch.fnmatchcase(i, part) and i not in out)
            elif part in self.bodies and part not in out:
                out.append(part)
        return out

    def get_pipelines(self, expression: str | None) -> dict[str, Any]:
        return {pid: deep_copy(self.bodies[pid]) for pid in self.matching_ids(expression)}

    def delete_pipelines(self, expression: str) -> None:
        ids = self.matching_ids(expression)
        if not ids:
            raise EsError(404, "resource_not_found_exception", f"pipeline [{expression}] is missing")
        for pid in ids:
            self.bodies.pop(pid, None)
            self.pipelines.pop(pid, None)
            self.broken.pop(pid, None)
            self.engine.store.delete_object("pipeline", pid)

    def pipelines_using_policy(self, policy: str) -> list[str]:
        """Ids of pipelines with an enrich processor on `policy` (anywhere, on_failure and foreach too)."""
        def uses(node: Any) -> bool:
            if isinstance(node, dict):
                enrich = node.get("enrich")
                if isinstance(enrich, dict) and enrich.get("policy_name") == policy:
                    return True
                return any(uses(v) for v in node.values())
            if isinstance(node, list):
                return any(uses(v) for v in node)
            return False
        return sorted(pid for pid, body in self.bodies.items() if uses(body))

    def get_pipeline(self, pipeline_id: str) -> Pipeline | None:
        pipeline = self.pipelines.get(pipeline_id)
        if pipeline is None and pipeline_id in self.broken:
            body = self.bodies.get(pipeline_id)
            if body is not None:
                self._load(pipeline_id, body)
                pipeline = self.pipelines.get(pipeline_id)
            if pipeline is None:
                err = self.broken[pipeline_id]
                raise EsError(500, "illegal_state_exception", f"pipeline with id [{pipeline_id}] could not be loaded, "
                                                              f"caused by [{err.reason}]", caused_by=err)
        return pipeline

    def _require(self, pipeline_id: str) -> Pipeline:
        pipeline = self.get_pipeline(pipeline_id)
        if pipeline is None:
            raise illegal_argument(f"pipeline with id [{pipeline_id}] does not exist")
        return pipeline

    # ---- write path -----------------------------------------------------------------------------
    def index_setting(self, target: Any, name: str) -> str | None:
        """`index.<name>` of the index a write goes to (an Index, or a name: index, alias or template)."""
        if not isinstance(target, str):
            return target.setting(name)
        cache = self.batch_cache
        if cache is None:
            return self._index_setting(target, name)
        # within one bulk request only auto-created indices change what a name resolves to
        key = (target, name, len(self.engine.indices))
        if key in cache:
            return cache[key]
        value = cache[key] = self._index_setting(target, name)
        return value

    def _target_pipelines(self, target: Any) -> tuple[str | None, str | None]:
        """(`index.default_pipeline`, `index.final_pipeline`) of a write's target, memoized as index_setting is."""
        cache = self.batch_cache
        if cache is None or not isinstance(target, str):
            return self.index_setting(target, "default_pipeline"), self.index_setting(target, "final_pipeline")
        key = (target, "", len(self.engine.indices))
        found = cache.get(key)
        if found is None:
            found = cache[key] = (self.index_setting(target, "default_pipeline"),
                                  self.index_setting(target, "final_pipeline"))
        return found

    def _index_setting(self, target: str, name: str) -> str | None:
        engine = self.engine
        index = engine.indices.get(target)
        if index is None:
            holders = [i for i in engine.indices.values() if target in i.aliases]
            writers = [i for i in holders if i.aliases[target].get("is_write_index")] or holders
            if len(writers) == 1:
                index = writers[0]
        if index is not None:
            return index.setting(name)
        template = engine.matching_template(target) if hasattr(engine, "matching_template") else None
        if template is None:
            return None
        flat: dict[str, Any] = {}
        parts = [engine.component_templates[c]["template"] for c in template.get("composed_of", [])
                 if c in engine.component_templates]
        parts.append(template.get("template", {}))
        for part in parts:
            flat.update(settings_mod.flatten_settings(part.get("settings", {}) or {}))
        return flat.get(f"index.{name}")

    def process(self, engine: Any, target: Any, doc_id: str | None, source: dict[str, Any], *,
                pipeline: str | None = None, op_type: str = "index", options: dict[str, Any] | None = None,
                owned: bool = False) -> tuple[Any, str | None, dict[str, Any]] | None:
        """Run the request (or index default) pipeline and the index final pipeline on one document.

        `target` is the Index the write resolved to (or its name). Returns (target, doc_id, source)
        with the target re-resolved when a pipeline changed `_index`, or None when the document
        was dropped. `options` (routing, version, ...) is updated in place from the metadata.
        Processor failures raise the processor's EsError. With `owned`, the caller hands `source`
        over (pipelines then change it in place instead of a copy).
        """
        self.last_executed = None
        if pipeline == "":
            raise action_request_validation(["pipeline cannot be an empty string"])
        options = options if options is not None else {}
        name = target if isinstance(target, str) else target.name
        if pipeline is None:
            first, final = self._target_pipelines(target)
        else:
            first, final = pipeline, self.index_setting(target, "final_pipeline")
        if first == "_none":
            first = None
        if final == "_none":
            final = None
        if first is None and final is None:
            self.last_executed = []
            return target, doc_id, source
        started = time.perf_counter_ns()
        executed: list[str] = []
        doc = IngestDocument.create(source if owned else deep_copy(source), name, doc_id,
                                    routing=options.get("routing"),
                                    version=options.get("version", -3),
                                    version_type=options.get("version_type", "internal"),
                                    if_seq_no=options.get("if_seq_no"), if_primary_term=options.get("if_primary_term"))
        doc.index_history.append(name)
        try:
            if first is not None:
                executed.append(first)
                if self._run(first, doc) is None:
                    self.last_executed = executed
                    return None
                new_index = doc.data.get("_index")
                if new_index != name:
                    if not isinstance(new_index, str):
                        raise illegal_argument(f"_index must be a String but was [{new_index}]")
                    if new_index in doc.index_history:
                        raise EsError(500, "illegal_state_exception",
                                      f"index cycle detected while processing pipeline [{first}] for document "
                                      f"[{doc_id}]: [{', '.join([*doc.index_history, new_index])}]")
                    doc.index_history.append(new_index)
                    name = new_index
                    final = self.index_setting(new_index, "final_pipeline")
                    if final == "_none":
                        final = None
            if final is not None:
                executed.append(final)
                if self._run(final, doc) is None:
                    self.last_executed = executed
                    return None
                if doc.data.get("_index") != name:
                    raise EsError(500, "illegal_state_exception",
                                  f"final pipeline [{final}] can't change the target index")
        except IngestFailure as failure:
            self.total.failed += 1
            raise failure.error from None
        except EsError:
            self.total.failed += 1
            raise
        finally:
            elapsed = time.perf_counter_ns() - started
            self.ingest_time_ns += elapsed
            self.ingest_count += 1
            self.total.count += 1
            self.total.time_ns += elapsed
        self.last_executed = executed
        data = doc.data
        if (not options and data.get("_version") == -3 and data.get("_version_type") == "internal"
                and "_routing" not in data and "_if_seq_no" not in data and "_if_primary_term" not in data
                and "_dynamic_templates" not in data):
            # the common case: the metadata is as created bar `_index`/`_id`, so there are no write
            # options to carry over (what extract() and _retarget() do, in short)
            new_index, new_id = data.pop("_index", None), data.pop("_id", None)
            del data["_version"], data["_version_type"]
            if type(new_index) is not str or not new_index:
                raise illegal_argument(f"_index must be a non-empty String but was [{new_index}]")
            if type(target) is not str and new_index != target.name:
                target = engine.write_index(new_index)
            elif type(target) is str:
                target = new_index
            return target, new_id if type(new_id) is str else _doc_id(new_id, doc_id), data
        meta, new_source = doc.extract()
        return self._retarget(engine, target, meta, options), _doc_id(meta.get("_id"), doc_id), new_source

    def _run(self, pipeline_id: str, doc: IngestDocument) -> IngestDocument | None:
        pipeline = self.pipelines.get(pipeline_id) or self._require(pipeline_id)
        stats = self.stats.get(pipeline_id)
        if stats is None:
            stats = self.stats[pipeline_id] = _Stats()
        started = time.perf_counter_ns()
        stats.count += 1
        try:
            return self._runner.run_pipeline(pipeline, doc)
        except (IngestFailure, EsError):
            stats.failed += 1
            raise
        finally:
            stats.time_ns += time.perf_counter_ns() - started

    def _retarget(self, engine: Any, target: Any, meta: dict[str, Any], options: dict[str, Any]) -> Any:
        routing = meta.get("_routing")
        if routing is not None:
            options["routing"] = str(routing)
        else:
            options.pop("routing", None)
        version = meta.get("_version")
        if version is not None and version != -3 and version != options.get("version"):
            options["version"] = int(version)
        version_type = meta.get("_version_type")
        if version_type not in (None, "internal") and version_type != options.get("version_type"):
            options["version_type"] = str(version_type)
        for key in ("if_seq_no", "if_primary_term"):
            value = meta.get("_" + key)
            if value is not None:
                options[key] = int(value)
            else:
                options.pop(key, None)
        new_index = meta.get("_index")
        if not isinstance(new_index, str) or not new_index:
            raise illegal_argument(f"_index must be a non-empty String but was [{new_index}]")
        if isinstance(target, str):
            return new_index
        if new_index == target.name:
            return target
        return engine.write_index(new_index)

    # ---- simulate -------------------------------------------------------------------------------
    def simulate(self, body: dict[str, Any], pipeline_id: str | None = None, verbose: bool = False
                 ) -> dict[str, Any]:
        if pipeline_id is not None:
            pipeline = self.get_pipeline(pipeline_id)
            if pipeline is None:
                raise illegal_argument(f"pipeline [{pipeline_id}] does not exist")
        else:
            spec = body.get("pipeline")
            if spec is None:
                raise config_error(None, None, "pipeline", "required property is missing")
            if not isinstance(spec, dict):
                raise config_error(None, None, "pipeline", "property isn't a map, but of type "
                                                           f"[{type(spec).__name__}]")
            pipeline = parse_pipeline(SIMULATE_PIPELINE_ID, spec, FACTORIES, self)
        docs = body.get("docs")
        if docs is None:
            raise config_error(None, None, "docs", "required property is missing")
        if not isinstance(docs, list):
            raise config_error(None, None, "docs", "property isn't a list, but of type [java.lang.String]")
        for key in body:
            if key not in ("pipeline", "docs"):
                raise EsError(400, "parse_exception", f"unknown parameter [{key}]")
        results = []
        for spec_doc in [self._simulate_doc(d) for d in docs]:
            if verbose:
                tracker: list[dict[str, Any]] = []
                with contextlib.suppress(IngestFailure, EsError):
                    Runner(self, tracker).run_pipeline(pipeline, spec_doc)
                results.append({"processor_results": tracker})
                continue
            try:
                result = Runner(self).run_pipeline(pipeline, spec_doc)
            except IngestFailure as failure:
                results.append({"error": error_body(failure.error)})
                continue
            except EsError as err:
                results.append({"error": error_body(err)})
                continue
            results.append({"doc": result.to_simulate()} if result is not None else None)
        return {"docs": results}

    @staticmethod
    def _simulate_doc(spec: Any) -> IngestDocument:
        if not isinstance(spec, dict):
            raise EsError(400, "parse_exception", "[docs] must be a list of objects")
        source = spec.get("_source")
        if source is None:
            raise config_error(None, None, "_source", "required property is missing")
        if not isinstance(source, dict):
            raise config_error(None, None, "_source", "property isn't a map, but of type [java.lang.String]")

        def read(name: str, default: Any = None) -> Any:
            value = spec.get(name, default)
            if value is not None and not isinstance(value, (str, int)) or isinstance(value, bool):
                raise config_error(None, None, name, "property isn't a string or int, but of type "
                                                     f"[{type(value).__name__}]")
            return str(value) if value is not None else None

        version = spec.get("_version", -3)
        if version is None:
            raise illegal_argument("[_version] cannot be null")
        try:
            version = int(version)
        except (TypeError, ValueError):
            raise config_error(None, None, "_version", "property isn't a string or long") from None
        version_type = spec.get("_version_type")
        doc = IngestDocument.create(deep_copy(source), read("_index", "_index"), read("_id", "_id"),
                                    routing=read("_routing"), version=version,
                                    version_type=str(version_type) if version_type is not None else None,
                                    if_seq_no=spec.get("_if_seq_no"), if_primary_term=spec.get("_if_primary_term"))
        return doc

    def simulate_ingest(self, body: dict[str, Any], index: str | None, pipeline: str | None) -> dict[str, Any]:
        """POST /_ingest/_simulate: run docs through the pipelines their index would run, without indexing."""
        docs = body.get("docs")
        if not isinstance(docs, list):
            raise action_request_validation(["no documents to simulate"] if docs is None else ["docs must be a list"])
        substitutions = body.get("pipeline_substitutions") or {}
        saved: dict[str, Pipeline | None] = {}
        for pid, spec in substitutions.items():
            saved[pid] = self.pipelines.get(pid)
            self.pipelines[pid] = parse_pipeline(pid, spec, FACTORIES, self)
        out = []
        try:
            for spec in docs:
                name = spec.get("_index", index)
                if name is None:
                    raise action_request_validation(["index is missing"])
                source = deep_copy(spec.get("_source") or {})
                doc_id = spec.get("_id")
                try:
                    result = self.process(self.engine, name, doc_id, source, pipeline=pipeline)
                except EsError as err:
                    out.append({"doc": {"_id": doc_id, "_index": name, "_version": -3,
                                        "executed_pipelines": self.last_executed or [], "error": err.to_dict()}})
                    continue
                executed = self.last_executed or []
                if result is None:
                    out.append({"doc": {"_id": doc_id, "_index": name, "_version": -3, "_source": None,
                                        "executed_pipelines": executed}})
                    continue
                target, new_id, new_source = result
                out.append({"doc": {"_id": new_id, "_index": target if isinstance(target, str) else target.name,
                                    "_version": -3, "_source": new_source, "executed_pipelines": executed}})
        finally:
            for pid, previous in saved.items():
                if previous is None:
                    self.pipelines.pop(pid, None)
                else:
                    self.pipelines[pid] = previous
        return {"docs": out}

    # ---- info and stats -------------------------------------------------------------------------
    @staticmethod
    def processor_types() -> list[str]:
        return sorted(FACTORIES)

    def node_stats(self) -> dict[str, Any]:
        """The `ingest` section of GET _nodes/stats."""
        pipelines = {}
        for pid in sorted(self.bodies):
            stats = self.stats.get(pid, _Stats())
            processors = []
            for item in self.bodies[pid].get("processors", []) or []:
                for ptype in item:
                    processors.append({ptype: {"type": ptype, "stats": {"count": 0, "time_in_millis": 0,
                                                                        "current": 0, "failed": 0}}})
            pipelines[pid] = {"count": stats.count, "time_in_millis": stats.time_ns // 1_000_000, "current": 0,
                              "failed": stats.failed, "ingested_as_first_pipeline_in_bytes": 0,
                              "produced_as_first_pipeline_in_bytes": 0, "processors": processors}
        return {"total": {"count": self.total.count, "time_in_millis": self.total.time_ns // 1_000_000,
                          "current": 0, "failed": self.total.failed}, "pipelines": pipelines}

    def node_info(self) -> dict[str, Any]:
        """The `ingest` section of GET _nodes."""
        return {"processors": [{"type": t} for t in self.processor_types()]}


def _doc_id(value: Any, original: str | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    from ..painless.runtime import java_str

    return java_str(value) if not isinstance(value, (dict, list)) else original
