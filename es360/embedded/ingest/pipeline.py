"""Pipelines: parsing and validating definitions (ES's ConfigurationUtils) and executing them.

A pipeline is a list of `Node`s; a node wraps one processor with its `if` condition,
`ignore_failure` and `on_failure` handlers, as ES's ConditionalProcessor/CompoundProcessor do.
`Runner` executes pipelines against an IngestDocument and, for verbose simulate, records one
result per processor exactly as ES's TrackingResultProcessor does.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from ..errors import EsError
from ..painless import compile_script
from ..painless.errors import JavaException, runtime_error
from ..painless.runtime import class_name
from .document import IngestDocument
from .mustache import JSON, Template, compile_template

MISSING: Any = object()
PIPELINE_KEYS = ("description", "version", "_meta", "deprecated", "processors", "on_failure", "created_date",
                 "modified_date", "created_date_millis", "modified_date_millis", "field_access_pattern")


def config_error(ptype: str | None, tag: str | None, prop: str | None, reason: str) -> EsError:
    extra: dict[str, Any] = {}
    if ptype is not None:
        extra["processor_type"] = ptype
    if tag is not None:
        extra["processor_tag"] = tag
    if prop is not None:
        extra["property_name"] = prop
    return EsError(400, "parse_exception", reason if prop is None else f"[{prop}] {reason}", **extra)


def _with_processor(err: EsError, ptype: str, tag: str | None) -> EsError:
    err.extra.setdefault("processor_type", ptype)
    if tag is not None:
        err.extra.setdefault("processor_tag", tag)
    return err


def java_type_name(value: Any) -> str:
    return class_name(value)


class Config:
    """Reads (and removes) a processor's options, raising ES's configuration errors."""

    def __init__(self, ptype: str, tag: str | None, cfg: dict[str, Any]) -> None:
        self.type, self.tag, self.cfg = ptype, tag, cfg

    def error(self, prop: str | None, reason: str) -> EsError:
        return config_error(self.type, self.tag, prop, reason)

    def _pop(self, name: str, default: Any) -> Any:
        value = self.cfg.pop(name, None)
        if value is None:
            if default is MISSING:
                raise self.error(name, "required property is missing")
            return default
        return value

    def string(self, name: str, default: Any = MISSING) -> Any:
        value = self._pop(name, default)
        if value is default:
            return value
        if not isinstance(value, str):
            raise self.error(name, f"property isn't a string, but of type [{java_type_name(value)}]")
        return value

    def string_or_number(self, name: str, default: Any = MISSING) -> Any:
        value = self._pop(name, default)
        if value is default:
            return value
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise self.error(name, f"property isn't a string or int, but of type [{java_type_name(value)}]")
        return str(value)

    def boolean(self, name: str, default: bool | None = False) -> Any:
        value = self.cfg.pop(name, None)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.error(name, f"property isn't a boolean, but of type [{java_type_name(value)}]")
        return value

    def integer(self, name: str, default: int | None = None) -> Any:
        value = self.cfg.pop(name, None)
        if value is None:
            return default
        try:
            if isinstance(value, bool):
                raise ValueError
            return int(str(value))
        except ValueError:
            raise self.error(name, f"property cannot be converted to an int [{_text(value)}]") from None

    def list(self, name: str, default: Any = MISSING) -> Any:
        value = self._pop(name, default)
        if value is default:
            return value
        if not isinstance(value, list):
            raise self.error(name, f"property isn't a list, but of type [{java_type_name(value)}]")
        return value

    def list_or_string(self, name: str, default: Any = MISSING) -> Any:
        value = self._pop(name, default)
        if value is default:
            return value
        if isinstance(value, str):
            return [value]
        if not isinstance(value, list):
            raise self.error(name, f"property isn't a list, but of type [{java_type_name(value)}]")
        return value

    def map(self, name: str, default: Any = MISSING) -> Any:
        value = self._pop(name, default)
        if value is default:
            return value
        if not isinstance(value, dict):
            raise self.error(name, f"property isn't a map, but of type [{java_type_name(value)}]")
        return value

    def obj(self, name: str, default: Any = MISSING) -> Any:
        if name not in self.cfg:
            if default is MISSING:
                raise self.error(name, "required property is missing")
            return default
        value = self.cfg.pop(name)
        if value is None and default is MISSING:
            raise self.error(name, "required property is missing")
        return value

    def template(self, name: str, default: Any = MISSING, media_type: str = JSON) -> Any:
        value = self.string(name, default)
        if value is None or value is default and not isinstance(value, str):
            return value
        return self.compile(name, value, media_type)

    def compile(self, name: str, value: str, media_type: str = JSON) -> Template:
        try:
            return compile_template(value, media_type)
        except ValueError as exc:
            raise _with_processor(EsError(400, "general_script_exception", f"Failed to compile inline script "
                                          f"[{value}] using lang [mustache]",
                                          caused_by=EsError(400, "mustache_exception", str(exc))),
                                  self.type, self.tag) from None

    def media_type(self, name: str = "media_type") -> str:
        value = self.string(name, JSON)
        if value not in ("application/json", "text/plain", "application/x-www-form-urlencoded"):
            raise self.error(name, f"property does not contain a supported media type [{value}]")
        return value


def _text(value: Any) -> str:
    from ..painless.runtime import java_str

    return java_str(value)


# ---------------------------------------------------------------------------------------------- model
class Processor:
    """A leaf processor. `execute` returns the document, or None when the document is dropped."""

    type = "processor"

    def __init__(self, tag: str | None, description: str | None) -> None:
        self.tag = tag
        self.description = description

    def execute(self, doc: IngestDocument, runner: Runner) -> IngestDocument | None:  # pragma: no cover
        raise NotImplementedError


class Condition:
    """A processor's `if`: a Painless script returning a boolean (given `ctx` and `params`)."""

    __slots__ = ("source", "script", "params")

    def __init__(self, spec: Any) -> None:
        if isinstance(spec, str):
            source, params, lang = spec, {}, "painless"
        elif isinstance(spec, dict):
            unknown = [k for k in spec if k not in ("source", "lang", "params", "options", "id")]
            if unknown:
                raise EsError(400, "x_content_parse_exception", f"[script] unknown field [{unknown[0]}]")
            source, params, lang = spec.get("source"), spec.get("params") or {}, spec.get("lang", "painless")
            if "id" in spec:
                raise EsError(404, "resource_not_found_exception",
                              f"unable to find script [{spec['id']}] in cluster state")
            if not isinstance(source, str):
                raise EsError(400, "parse_exception", "must specify either [source] for an inline script or [id] "
                                                      "for a stored script")
        else:
            raise config_error("conditional", None, "script",
                               f"property isn't a map or string, but of type [{java_type_name(spec)}]")
        if lang != "painless":
            raise EsError(400, "illegal_argument_exception", f"script_lang not supported [{lang}]")
        self.source = source
        self.params = params
        self.script = compile_script(source)

    def evaluate(self, doc: IngestDocument) -> bool:
        result = self.script.execute_owned({"ctx": doc.data, "params": self.params})
        if result is True or result is False:
            return result
        exc = JavaException("class_cast_exception",
                            f"Cannot cast from [{java_type_name(result)}] to [boolean]" if result is not None else
                            "Cannot cast null to a primitive type [boolean].", 0)
        raise runtime_error(self.source, exc, (0, len(self.source)))


PLAIN, IGNORES, CONDITIONAL, GENERAL = range(4)  # Node.mode


class Node:
    """One processor with its condition, ignore_failure flag and on_failure handlers."""

    __slots__ = ("proc", "condition", "ignore_failure", "on_failure", "mode")

    def __init__(self, proc: Processor, condition: Condition | None, ignore_failure: bool,
                 on_failure: list[Node] | None) -> None:
        self.proc = proc
        self.condition = condition
        self.ignore_failure = ignore_failure
        self.on_failure = on_failure
        # how the runner (without a tracker) executes the node: PLAIN (no condition, no failure
        # handling: the processor is called directly), IGNORES (only ignore_failure: a failure leaves
        # the document as the processor left it), CONDITIONAL (only a condition), or GENERAL (run_node)
        if on_failure is not None or (ignore_failure and condition is not None):
            self.mode = GENERAL
        elif ignore_failure:
            self.mode = IGNORES
        else:
            self.mode = CONDITIONAL if condition is not None else PLAIN


class Pipeline:
    def __init__(self, pipeline_id: str, body: dict[str, Any], processors: list[Node],
                 on_failure: list[Node] | None) -> None:
        self.id = pipeline_id
        self.body = body
        self.description = body.get("description")
        self.version = body.get("version")
        self.processors = processors
        self.on_failure = on_failure


Factory = Callable[[Any, Config], Processor]


def parse_pipeline(pipeline_id: str, body: Any, factories: dict[str, Factory], service: Any) -> Pipeline:
    """Validate and build a pipeline from its JSON definition (ES's Pipeline.create)."""
    if not isinstance(body, dict):
        raise EsError(400, "parse_exception", "request body is required")
    config = copy.deepcopy(body)
    reader = Config(None, None, config)  # type: ignore[arg-type]
    reader.type = None  # type: ignore[assignment]
    reader.string("description", None)
    reader.integer("version", None)
    reader.map("_meta", None)
    reader.boolean("deprecated", None)
    for key in ("created_date", "modified_date", "created_date_millis", "modified_date_millis",
                "field_access_pattern"):
        config.pop(key, None)
    processor_configs = reader.list("processors")
    processors = read_processors(processor_configs, factories, service)
    on_failure_configs = reader.list("on_failure", None)
    on_failure = read_processors(on_failure_configs, factories, service) if on_failure_configs is not None else None
    if config:
        raise EsError(400, "parse_exception", f"pipeline [{pipeline_id}] doesn't support one or more provided "
                                              f"configuration parameters [{', '.join(config)}]")
    if on_failure_configs is not None and not on_failure:
        raise EsError(400, "parse_exception", f"pipeline [{pipeline_id}] cannot have an empty on_failure option "
                                              f"defined")
    return Pipeline(pipeline_id, body, processors, on_failure)


def read_processors(configs: list[Any] | None, factories: dict[str, Factory], service: Any) -> list[Node]:
    nodes: list[Node] = []
    first_error: EsError | None = None
    for item in configs or []:
        if not isinstance(item, dict):
            raise EsError(400, "parse_exception", f"processor config isn't a map, but of type "
                                                  f"[{java_type_name(item)}]")
        for ptype, cfg in item.items():
            try:
                if cfg is None:
                    raise config_error(ptype, None, None, "processor config cannot be [null]")
                nodes.append(read_processor(ptype, cfg, factories, service))
            except EsError as err:
                if first_error is None:
                    first_error = err
    if first_error is not None:
        raise first_error
    return nodes


def read_processor(ptype: str, cfg: Any, factories: dict[str, Factory], service: Any) -> Node:
    if isinstance(cfg, str) and ptype == "script":
        cfg = {"source": cfg}
    if not isinstance(cfg, dict):
        raise config_error(ptype, None, None, f"property isn't a map, but of type [{java_type_name(cfg)}]")
    cfg = dict(cfg)
    base = Config(None, None, cfg)  # type: ignore[arg-type]
    base.type = None  # type: ignore[assignment]
    tag = base.string("tag", None)
    base.tag = tag
    description = base.string("description", None)
    if_spec = cfg.pop("if", None)
    factory = factories.get(ptype)
    if factory is None:
        raise config_error(ptype, tag, None, f"No processor type exists with name [{ptype}]")
    ignore_failure = Config(None, None, cfg).boolean("ignore_failure", False)  # type: ignore[arg-type]
    on_failure_configs = Config(None, None, cfg).list("on_failure", None)  # type: ignore[arg-type]
    on_failure = read_processors(on_failure_configs, factories, service) if on_failure_configs is not None else None
    if on_failure_configs is not None and not on_failure:
        raise config_error(ptype, tag, "on_failure", "processors list cannot be empty")
    try:
        reader = Config(ptype, tag, cfg)
        proc = factory(service, reader)
        proc.tag, proc.description = tag, description
        if cfg:
            raise EsError(400, "parse_exception", f"processor [{ptype}] doesn't support one or more provided "
                                                  f"configuration parameters [{', '.join(cfg)}]")
        condition = Condition(if_spec) if if_spec is not None else None
    except EsError as err:
        raise _with_processor(err, ptype, tag) from None
    return Node(proc, condition, ignore_failure, on_failure or None)


# ---------------------------------------------------------------------------------------------- execution
class IngestFailure(Exception):
    """A processor failed: the underlying error plus which processor/pipeline raised it."""

    def __init__(self, error: EsError, ptype: str | None, tag: str | None, pipelines: list[str]) -> None:
        super().__init__(error.reason)
        self.error = error
        self.ptype = ptype
        self.tag = tag
        self.pipelines = pipelines


def root_cause_message(err: EsError) -> str | None:
    while err.caused_by is not None:
        err = err.caused_by
    return err.reason


def error_body(err: EsError) -> dict[str, Any]:
    return err.body()["error"]


def cycle_error(pipeline_id: str) -> EsError:
    return EsError(500, "illegal_state_exception", f"Cycle detected for pipeline: {pipeline_id}")


class Runner:
    """Executes pipelines; with `tracker` (a list) it records verbose simulate results."""

    def __init__(self, service: Any, tracker: list[dict[str, Any]] | None = None) -> None:
        self.service = service
        self.tracker = tracker

    # ---- pipelines --------------------------------------------------------------------------------
    def run_pipeline(self, pipeline: Pipeline, doc: IngestDocument) -> IngestDocument | None:
        if pipeline.id in doc.executed:
            raise cycle_error(pipeline.id)
        doc.executed.append(pipeline.id)
        ingest = doc.ingest
        previous = ingest.get("pipeline")
        ingest["pipeline"] = pipeline.id
        try:
            result = self._run_nodes(pipeline.processors, pipeline.on_failure, doc)
        finally:
            doc.terminated = False  # `terminate` ends only the pipeline it runs in
            doc.executed.pop()
            if previous is not None:
                ingest["pipeline"] = previous
            else:
                ingest.pop("pipeline", None)
        return result

    def _run_nodes(self, nodes: list[Node], on_failure: list[Node] | None, doc: IngestDocument
                   ) -> IngestDocument | None:
        fast = self.tracker is None
        for node in nodes:
            try:
                # without a tracker, what run_node does for the node's mode, minus the checks
                mode = node.mode if fast else GENERAL
                if mode == PLAIN:
                    proc = node.proc
                    try:
                        result = proc.execute(doc, self)
                    except IngestFailure:
                        raise
                    except EsError as err:
                        raise self._failure(err, proc, doc) from None
                elif mode == IGNORES:
                    try:
                        result = node.proc.execute(doc, self)
                    except (IngestFailure, EsError):
                        result = doc
                elif mode == CONDITIONAL:
                    proc = node.proc
                    try:
                        ok = node.condition.evaluate(doc)  # type: ignore[union-attr]
                        result = proc.execute(doc, self) if ok else doc
                    except IngestFailure:
                        raise
                    except EsError as err:
                        raise self._failure(err, proc, doc) from None
                else:
                    result = self.run_node(node, doc)
            except IngestFailure as failure:
                if not on_failure:
                    raise
                return self.run_on_failure(on_failure, doc, failure)
            if result is None:
                return None
            doc = result
            if doc.terminated:
                break
        return doc

    # ---- processors -----------------------------------------------------------------------------
    def run_node(self, node: Node, doc: IngestDocument) -> IngestDocument | None:
        cond_result = None
        if node.condition is not None:
            try:
                ok = node.condition.evaluate(doc)
            except EsError as err:
                raise self._failure(err, node.proc, doc) from None
            cond_result = {"condition": node.condition.source, "result": ok}
            if not ok:
                if self.tracker is not None:
                    self._track(node.proc, cond=cond_result)
                return doc
        if node.on_failure is None and not node.ignore_failure:
            return self._execute(node, doc, cond_result)
        try:
            return self._execute(node, doc, cond_result)
        except IngestFailure as failure:
            if node.ignore_failure:
                return doc
            assert node.on_failure is not None
            return self.run_on_failure(node.on_failure, doc, failure)

    def run_on_failure(self, handlers: list[Node], doc: IngestDocument, failure: IngestFailure
                       ) -> IngestDocument | None:
        ingest = doc.ingest
        ingest["on_failure_message"] = root_cause_message(failure.error)
        ingest["on_failure_processor_type"] = failure.ptype
        ingest["on_failure_processor_tag"] = failure.tag
        if failure.pipelines:
            ingest["on_failure_pipeline"] = failure.pipelines[0]
        for node in handlers:
            try:
                result = self.run_node(node, doc)
            except IngestFailure:
                _remove_failure_metadata(doc)
                raise
            if result is None:
                return None
            doc = result
        _remove_failure_metadata(doc)
        return doc

    def _failure(self, err: EsError, proc: Processor, doc: IngestDocument) -> IngestFailure:
        return IngestFailure(err, proc.type, proc.tag, list(reversed(doc.executed)))

    def _execute(self, node: Node, doc: IngestDocument, cond: dict[str, Any] | None) -> IngestDocument | None:
        proc = node.proc
        if self.tracker is not None and proc.type == "pipeline":
            return self._execute_tracked_pipeline(node, doc, cond)
        try:
            result = proc.execute(doc, self)
        except IngestFailure as failure:
            if self.tracker is not None:
                self._track(proc, cond=cond, error=failure.error, doc=doc if node.ignore_failure else None)
            raise
        except EsError as err:
            if self.tracker is not None:
                self._track(proc, cond=cond, error=err, doc=doc if node.ignore_failure else None)
            raise self._failure(err, proc, doc) from None
        if self.tracker is not None:
            self._track(proc, cond=cond, doc=result, dropped=result is None)
        return result

    def _execute_tracked_pipeline(self, node: Node, doc: IngestDocument, cond: dict[str, Any] | None
                                  ) -> IngestDocument | None:
        proc: Any = node.proc
        name = proc.pipeline_name(doc)
        pipeline = self.service.get_pipeline(name)
        if pipeline is None:
            err = EsError(400, "illegal_argument_exception",
                          f"Pipeline processor configured for non-existent pipeline [{name}]")
            self._track(proc, cond=cond, error=err, doc=doc if proc.ignore_missing_pipeline else None)
            if proc.ignore_missing_pipeline:
                return doc
            raise self._failure(err, proc, doc)
        # detect cycles on a copy first, as ES does, so that the error lands on this processor
        try:
            Runner(self.service).run_pipeline(pipeline, doc.copy())
        except IngestFailure as failure:
            if _is_cycle(failure.error):
                self._track(proc, cond=cond, error=failure.error, doc=doc if node.ignore_failure else None)
                raise
        except EsError as err:
            if _is_cycle(err):
                self._track(proc, cond=cond, error=err, doc=doc if node.ignore_failure else None)
                raise self._failure(err, proc, doc) from None
        self._track(proc, cond=cond, status_doc=False)
        try:
            return self.run_pipeline(pipeline, doc)
        except EsError as err:
            raise self._failure(err, proc, doc) from None

    def _track(self, proc: Processor, *, cond: dict[str, Any] | None = None, error: EsError | None = None,
               doc: IngestDocument | None = None, dropped: bool = False, status_doc: bool = True) -> None:
        assert self.tracker is not None
        entry: dict[str, Any] = {"processor_type": proc.type}
        if cond is not None and not cond["result"]:
            status = "skipped"
        elif error is not None:
            status = "error_ignored" if doc is not None else "error"
        elif dropped or (doc is None and status_doc and proc.type != "pipeline"):
            status = "dropped"
        else:
            status = "success"
        entry["status"] = status
        if proc.description is not None:
            entry["description"] = proc.description
        if proc.tag is not None:
            entry["tag"] = proc.tag
        if cond is not None:
            entry["if"] = dict(cond)
        if error is not None:
            if doc is not None:
                entry["ignored_error"] = {"error": error_body(error)}
            else:
                entry["error"] = error_body(error)
        if doc is not None and status != "skipped":
            entry["doc"] = doc.to_simulate()
        self.tracker.append(entry)


def _is_cycle(err: EsError) -> bool:
    return err.type == "illegal_state_exception" and (err.reason or "").startswith("Cycle detected for pipeline")


def _remove_failure_metadata(doc: IngestDocument) -> None:
    for key in ("on_failure_message", "on_failure_processor_type", "on_failure_processor_tag",
                "on_failure_pipeline"):
        doc.ingest.pop(key, None)
