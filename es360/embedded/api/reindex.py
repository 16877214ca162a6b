"""_reindex, _update_by_query, _delete_by_query (sync or as tasks), their rethrottle APIs and _tasks.

Each job takes a snapshot of the matching documents when it starts: the index, id, seq_no and the
`_source` exactly as the search saw them (near real time). Writes are applied in batches with the
snapshot's seq_no, so a document changed after the last refresh is a version conflict, as in ES.
A job with failures answers with the highest failure status (409 for version conflicts).
"""

from __future__ import annotations

import time
import zlib
from dataclasses import dataclass, field
from typing import Any

import orjson

from ..engine import Engine, Target
from ..errors import EsError, action_request_validation, illegal_argument, index_not_found, parsing_exception
from ..index import Index
from ..rest import Request, Response, route
from ..search import Searcher
from ..source_filter import filter_source, parse_source_param
from ..tasks import NODE_ID, Task, TaskCancelled, TaskManager
from .documents import index_document

DEFAULT_BATCH = 1000
NODE_NAME = "es360-embedded"


@dataclass
class Snapshot:
    """One document as the job's search saw it."""

    index: Index
    doc_id: str
    seq_no: int
    primary_term: int
    version: int
    raw: bytes | None
    routing: str | None = None

    def source(self) -> dict[str, Any]:
        return orjson.loads(self.raw) if self.raw is not None else {}


@dataclass
class JobStats:
    """The counters every by-query response (and task status) reports."""

    total: int = 0
    updated: int = 0
    created: int = 0
    deleted: int = 0
    batches: int = 0
    version_conflicts: int = 0
    noops: int = 0
    requests_per_second: float = -1.0
    failures: list[dict[str, Any]] = field(default_factory=list)

    @property
    def processed(self) -> int:
        return self.updated + self.created + self.deleted + self.noops

    def status(self, slice_id: int | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {} if slice_id is None else {"slice_id": slice_id}
        out.update({"total": self.total, "updated": self.updated, "created": self.created,
                    "deleted": self.deleted, "batches": self.batches, "version_conflicts": self.version_conflicts,
                    "noops": self.noops, "retries": {"bulk": 0, "search": 0}, "throttled_millis": 0,
                    "requests_per_second": self.requests_per_second, "throttled_until_millis": 0})
        return out


def tasks_of(engine: Engine) -> TaskManager:
    manager = engine.extensions.get("tasks")
    if manager is None:
        manager = engine.extensions["tasks"] = TaskManager()
    return manager


def snapshot(engine: Engine, targets: list[Target], query: Any, max_docs: int | None,
             slice_spec: tuple[int, int] | None = None) -> list[Snapshot]:
    """The documents a job will touch, in index order then document order, as search sees them."""
    searcher = Searcher(engine, targets, {"query": query} if query is not None else {}, {})
    out: list[Snapshot] = []
    for target in targets:
        _, docset = searcher.run_query(target)
        index = target.index
        ids = index.segment.ids
        for docnum in docset.docs.tolist():
            doc_id = ids[docnum]
            if doc_id is None:
                continue
            if slice_spec is not None and _slice_of(doc_id, slice_spec[1]) != slice_spec[0]:
                continue
            state = index.docs.get(doc_id)
            if state is not None and state.docnum == docnum:
                out.append(Snapshot(index, doc_id, state.seq_no, state.primary_term, state.version,
                                    index.sources[docnum], state.routing))
            else:
                # search sees a version that was replaced or deleted since the last refresh: its seq_no
                # is older than the live one (or the delete's), so writing it back must conflict
                current = state.seq_no if state is not None else index.tombstones.get(doc_id, (1, 0))[1]
                version = state.version if state is not None else index.tombstones.get(doc_id, (1, 0))[0]
                out.append(Snapshot(index, doc_id, max(current - 1, 0), index.primary_term, max(version - 1, 1),
                                    index.sources[docnum], state.routing if state is not None else None))
            if max_docs is not None and len(out) >= max_docs:
                return out
    return out


def _slice_of(doc_id: str, count: int) -> int:
    return zlib.crc32(doc_id.encode()) % count


def _failure(err: EsError, index_name: str, doc_id: str) -> dict[str, Any]:
    return {"index": err.extra.get("index", index_name), "id": doc_id, "cause": err.to_dict(),
            "status": err.status}


class Job:
    """A by-query job: snapshot, per-document action, batches, slices, conflict policy and max_docs."""

    def __init__(self, engine: Engine, kind: str, items: list[Snapshot], batch: int, proceed: bool,
                 max_docs: int | None = None, slices: int = 1, requests_per_second: float = -1.0) -> None:
        self.engine = engine
        self.kind = kind
        self.batch = max(1, batch)
        self.proceed = proceed
        self.max_docs = max_docs
        self.started = time.perf_counter()
        total = len(items) if max_docs is None else min(len(items), max_docs)
        if slices > 1:
            parts: list[list[Snapshot]] = [[] for _ in range(slices)]
            for item in items:
                parts[_slice_of(item.doc_id, slices)].append(item)
            limits = _split_limit(max_docs, slices)
            self.slices = [(part, JobStats(total=len(part) if limits[i] is None else min(len(part), limits[i]),
                                           requests_per_second=requests_per_second), limits[i])
                           for i, part in enumerate(parts)]
        else:
            self.slices = [(items, JobStats(total=total, requests_per_second=requests_per_second), max_docs)]
        self.stats = self.slices[0][1] if slices <= 1 else JobStats(total=total,
                                                                     requests_per_second=requests_per_second)
        self.sliced = slices > 1

    def run(self, apply: Any, task: Task | None = None) -> Response:
        for items, stats, limit in self.slices:
            if self._run_slice(items, stats, limit, apply, task):
                break
        if self.sliced:
            self._sum()
        status = max((f["status"] for f in self._failures()), default=200)
        return Response(status, self.response())

    def _run_slice(self, items: list[Snapshot], stats: JobStats, limit: int | None, apply: Any,
                   task: Task | None) -> bool:
        """Run one slice; True when a failure aborted the job."""
        position = 0
        while position < len(items):
            if task is not None and task.cancelled:
                raise TaskCancelled()
            if limit is not None and stats.processed >= limit:
                break
            size = self.batch if limit is None else min(self.batch, max(limit - stats.processed, 1))
            chunk = items[position:position + size]
            position += len(chunk)
            with self.engine.lock:
                stop = self._batch(chunk, stats, apply)
                self.engine.commit()
            stats.batches += 1
            if task is not None:
                task.status = self.status()
            if stop:
                return True
        return False

    def _batch(self, items: list[Snapshot], stats: JobStats, apply: Any) -> bool:
        for item in items:
            try:
                apply(item, stats)
            except EsError as err:
                if err.status == 409 and err.type == "version_conflict_engine_exception":
                    stats.version_conflicts += 1
                    if self.proceed:
                        continue
                    stats.failures.append(_failure(err, item.index.name, item.doc_id))
                    return True
                raise
        return False

    def _failures(self) -> list[dict[str, Any]]:
        return [f for _, stats, _ in self.slices for f in stats.failures]

    def _sum(self) -> None:
        total = self.stats
        parts = [stats for _, stats, _ in self.slices]
        for name in ("updated", "created", "deleted", "batches", "version_conflicts", "noops"):
            setattr(total, name, sum(getattr(p, name) for p in parts))

    def status(self) -> dict[str, Any]:
        """The task status while the job runs (ES's BulkByScrollTask.Status)."""
        if self.sliced:
            self._sum()
        out = self.stats.status()
        if self.sliced:
            out["slices"] = [stats.status(i) for i, (_, stats, _) in enumerate(self.slices)]
        return out

    def response(self) -> dict[str, Any]:
        stats = self.stats
        out: dict[str, Any] = {"took": int((time.perf_counter() - self.started) * 1000), "timed_out": False,
                               **self.status(), "failures": self._failures()}
        if self.kind != "reindex":
            out.pop("created")
        if self.kind == "delete_by_query":
            out.pop("updated")
        out["requests_per_second"] = stats.requests_per_second
        return out


def _split_limit(max_docs: int | None, slices: int) -> list[int | None]:
    if max_docs is None:
        return [None] * slices
    base, extra = divmod(max_docs, slices)
    return [base + (1 if i < extra else 0) for i in range(slices)]


def _check_current(item: Snapshot) -> None:
    """A version conflict unless the live document is still the one the snapshot saw."""
    state = item.index.get(item.doc_id)
    if state is None or state.seq_no != item.seq_no or state.primary_term != item.primary_term:
        cur = (f". current document has seqNo [{state.seq_no}] and primary term [{state.primary_term}]" if state
               else " but no document was found")
        raise EsError(409, "version_conflict_engine_exception",
                      f"[{item.doc_id}]: version conflict, required seqNo [{item.seq_no}], primary term "
                      f"[{item.primary_term}]{cur}", index_uuid=item.index.uuid, shard="0",
                      index=item.index.name)


# ---- request parameters ------------------------------------------------------------------------------
def _conflicts(value: Any) -> bool:
    if value in (None, "abort"):
        return False
    if value == "proceed":
        return True
    raise illegal_argument(f"conflicts may only be \"proceed\" or \"abort\" but was [{value}]")


def _max_docs(body_value: Any, param_value: Any, slices: int) -> int | None:
    """`max_docs` from the body or the URL (they must agree), as ES's setMaxDocs checks it."""
    numbers = []
    for value in (body_value, param_value):
        if value is None:
            continue
        try:
            numbers.append(int(value))
        except (TypeError, ValueError):
            raise illegal_argument(f"Failed to parse int parameter [max_docs] with value [{value}]") from None
    if not numbers:
        return None
    if len(numbers) == 2 and numbers[0] != numbers[1]:
        raise illegal_argument(f"[max_docs] set to two different values [{numbers[1]}] and [{numbers[0]}]")
    number = numbers[0]
    if number == -1:
        return None
    if number < 0:
        raise illegal_argument(f"[max_docs] parameter cannot be negative, found [{number}]")
    if number < slices:
        raise illegal_argument("[max_docs] should be >= [slices]")
    return number


def _batch_size(value: Any) -> int:
    try:
        size = int(value)
    except (TypeError, ValueError):
        raise illegal_argument(f"Failed to parse int parameter [scroll_size] with value [{value}]") from None
    if size <= 0:
        raise action_request_validation([f"[size] cannot be [{size}] in a scroll context"])
    return size


def _requests_per_second(req: Request) -> float:
    value = req.params.get("requests_per_second")
    if value in (None, "", "-1"):
        return -1.0
    try:
        number = float(value)
    except ValueError:
        number = 0.0
    if number <= 0:
        raise action_request_validation([
            "[requests_per_second] must be a float greater than 0. Use -1 to disable throttling."])
    return number


def _slices(req: Request) -> int:
    value = req.params.get("slices", "1")
    if value == "auto":
        return 1  # one slice per shard, and every index here has one shard
    try:
        number = int(value)
    except ValueError:
        raise illegal_argument(f"Failed to parse int parameter [slices] with value [{value}]") from None
    if number < 1:
        raise action_request_validation([f"slices must be greater than 0, got [{number}]"])
    return number


def _slice_spec(spec: Any) -> tuple[int, int] | None:
    if spec is None:
        return None
    if not isinstance(spec, dict) or "id" not in spec or "max" not in spec:
        raise parsing_exception("[slice] requires [id] and [max]")
    sid, smax = int(spec["id"]), int(spec["max"])
    if smax <= 1 or not 0 <= sid < smax:
        raise illegal_argument("max must be greater than 1" if smax <= 1 else "id must be lower than max")
    return sid, smax


def _compile(script: Any) -> None:
    """Compile a request's script up front: a bad script is a 400 before any document is touched."""
    if script is None:
        return
    from ..painless import compile_script, parse_script_spec

    compile_script(parse_script_spec(script)[0])


def _run_script(engine: Engine, script: Any, ctx: dict[str, Any]) -> dict[str, Any]:
    runner = engine.extensions.get("script")
    if runner is None:
        raise illegal_argument("scripts are not supported by this engine yet")
    from ..dates import current_millis

    ctx.setdefault("_now", current_millis())
    return runner.run_ctx(script, ctx)


def _respond(engine: Engine, req: Request, action: str, description: str, job: Job, apply: Any,
             written: Any) -> Any:
    """Run the job now, or as a task; `written()` names the indices to refresh afterwards."""
    refresh = req.params.get("refresh") in ("", "true", "wait_for")

    def run(task: Task | None) -> Response:
        result = job.run(apply, task)
        if refresh:
            with engine.lock:
                for name in written():
                    if name in engine.indices:
                        engine.indices[name].refresh()
        return result

    if req.params.get("wait_for_completion", "true") == "false":
        task = tasks_of(engine).start(action, description, lambda t: run(t).body)
        task.status = job.status()
        task.extra["job"] = job
        return {"task": task.task_id}
    return run(None)


def _targets(engine: Engine, req: Request, names: Any) -> list[Target]:
    return engine.resolve(names, ignore_unavailable=req.params.get("ignore_unavailable") == "true",
                          allow_no_indices=req.params.get("allow_no_indices", "true") != "false",
                          expand_wildcards=req.params.get("expand_wildcards", "open"))


def _query_of(body: dict[str, Any], req: Request) -> Any:
    query = body.get("query")
    if query is None and req.params.get("q"):
        query = {"query_string": {"query": req.params["q"]}}
    return query


def _by_query_snapshot(engine: Engine, req: Request, body: dict[str, Any], query: Any,
                       max_docs: int | None, proceed: bool) -> list[Snapshot]:
    # with conflicts=proceed ES keeps going past max_docs until max_docs documents were processed
    limit = None if proceed else max_docs
    return snapshot(engine, _targets(engine, req, req.path_params["index"]), query, limit,
                    _slice_spec(body.get("slice")))


# ---- update / delete by query -------------------------------------------------------------------------
@route("POST", "/{index}/_update_by_query")
def update_by_query(engine: Engine, req: Request) -> Any:
    body = req.json_object()
    for key in body:
        if key not in ("query", "script", "max_docs", "conflicts", "slice"):
            raise parsing_exception(f"Unknown key for a START_OBJECT in [{key}].")
    proceed = _conflicts(body.get("conflicts", req.params.get("conflicts")))
    slices = _slices(req)
    max_docs = _max_docs(body.get("max_docs"), req.params.get("max_docs"), slices)
    batch, rate = _batch_size(req.params.get("scroll_size", DEFAULT_BATCH)), _requests_per_second(req)
    script = body.get("script")
    _compile(script)
    items = _by_query_snapshot(engine, req, body, _query_of(body, req), max_docs, proceed)
    job = Job(engine, "update_by_query", items, batch, proceed, max_docs, slices, rate)
    pipeline = req.params.get("pipeline")

    def apply(item: Snapshot, stats: JobStats) -> None:
        _check_current(item)
        source = item.source()
        if script is not None:
            ctx = {"_index": item.index.name, "_id": item.doc_id, "_version": item.version,
                   "_routing": item.routing, "_source": source, "op": "index"}
            _run_script(engine, script, ctx)
            for key, original in (("_index", item.index.name), ("_id", item.doc_id), ("_version", item.version),
                                  ("_routing", item.routing)):
                if ctx.get(key) != original:
                    raise illegal_argument(f"Modifying [{key}] not allowed")
            op = ctx.get("op")
            if op in ("noop", "none"):
                stats.noops += 1
                return
            if op == "delete":
                item.index.delete_doc(item.doc_id, if_seq_no=item.seq_no, if_primary_term=item.primary_term)
                stats.deleted += 1
                return
            if op != "index":
                raise illegal_argument(f"Invalid op [{op}]")
            source = ctx.get("_source")
            if not isinstance(source, dict):
                raise illegal_argument("ctx._source must be a map")
        options: dict[str, Any] = {"if_seq_no": item.seq_no, "if_primary_term": item.primary_term}
        if item.routing is not None:
            options["routing"] = item.routing
        status, result = index_document(engine, item.index.name, item.doc_id, source, pipeline=pipeline,
                                        options=options)
        if result.get("result") == "noop":
            stats.noops += 1
        else:
            stats.updated += 1

    return _respond(engine, req, "indices:data/write/update/byquery",
                    f"update-by-query [{req.path_params['index']}]", job, apply,
                    lambda: {i.index.name for i in items})


@route("POST", "/{index}/_delete_by_query")
def delete_by_query(engine: Engine, req: Request) -> Any:
    body = req.json_object()
    for key in body:
        if key not in ("query", "max_docs", "conflicts", "slice"):
            raise parsing_exception(f"Unknown key for a START_OBJECT in [{key}].")
    query = _query_of(body, req)
    if query is None:
        raise action_request_validation(["query is missing"])
    proceed = _conflicts(body.get("conflicts", req.params.get("conflicts")))
    slices = _slices(req)
    max_docs = _max_docs(body.get("max_docs"), req.params.get("max_docs"), slices)
    batch, rate = _batch_size(req.params.get("scroll_size", DEFAULT_BATCH)), _requests_per_second(req)
    items = _by_query_snapshot(engine, req, body, query, max_docs, proceed)
    job = Job(engine, "delete_by_query", items, batch, proceed, max_docs, slices, rate)

    def apply(item: Snapshot, stats: JobStats) -> None:
        _check_current(item)
        item.index.delete_doc(item.doc_id, if_seq_no=item.seq_no, if_primary_term=item.primary_term)
        stats.deleted += 1

    return _respond(engine, req, "indices:data/write/delete/byquery",
                    f"delete-by-query [{req.path_params['index']}]", job, apply,
                    lambda: {i.index.name for i in items})


# ---- reindex -------------------------------------------------------------------------------------------
@route("POST", "/_reindex")
def reindex(engine: Engine, req: Request) -> Any:
    body = req.json_object(True)
    for key in body:
        if key not in ("source", "dest", "max_docs", "size", "conflicts", "script"):
            raise parsing_exception(f"[reindex] unknown field [{key}]")
    source = body.get("source") or {}
    dest = body.get("dest") or {}
    problems = []
    if not source.get("index"):
        problems.append("use _reindex API with source.index")
    if not dest.get("index"):
        problems.append("index must be specified")
    if problems:
        raise action_request_validation(problems)
    if "remote" in source:
        raise illegal_argument("reindex from remote is not supported by the embedded engine")
    for key in source:
        if key not in ("index", "query", "size", "_source", "sort", "slice", "remote"):
            raise parsing_exception(f"[source] unknown field [{key}]")
    for key in dest:
        if key not in ("index", "op_type", "pipeline", "version_type", "routing"):
            raise parsing_exception(f"[dest] unknown field [{key}]")
    fetch, includes, excludes = parse_source_param(source.get("_source", True))
    targets = _targets(engine, req, source["index"])
    if not targets:
        raise index_not_found(str(source["index"]))
    dest_name = dest["index"]
    write_name = _resolve_write_name(engine, dest_name)
    if any(t.index.name == write_name for t in targets):
        raise action_request_validation([f"reindex cannot write into an index its reading from [{write_name}]"])
    op_type = dest.get("op_type", "index")
    if op_type not in ("index", "create"):
        raise illegal_argument(f"opType must be 'create' or 'index', found: [{op_type}]")
    version_type = dest.get("version_type", "internal")
    if version_type not in ("internal", "external", "external_gte", "force"):
        raise illegal_argument(f"No version type match [{version_type}]")
    routing_spec = dest.get("routing", "keep")
    if not (routing_spec in ("keep", "discard") or str(routing_spec).startswith("=")):
        raise illegal_argument(f"Unsupported routing command [{routing_spec}]")
    proceed = _conflicts(body.get("conflicts", req.params.get("conflicts")))
    slices = _slices(req)
    max_docs = _max_docs(body.get("max_docs", body.get("size")), req.params.get("max_docs"), slices)
    batch, rate = _batch_size(source.get("size", DEFAULT_BATCH)), _requests_per_second(req)
    script = body.get("script")
    _compile(script)
    items = snapshot(engine, targets, source.get("query"), None if proceed else max_docs,
                     _slice_spec(source.get("slice")))
    job = Job(engine, "reindex", items, batch, proceed, max_docs, slices, rate)
    written: set[str] = {write_name}

    def apply(item: Snapshot, stats: JobStats) -> None:
        doc = item.source()
        if not fetch:
            doc = {}
        elif includes or excludes:
            doc = filter_source(doc, includes, excludes)
        routing = {"keep": item.routing, "discard": None}.get(routing_spec, str(routing_spec)[1:])
        ctx: dict[str, Any] = {"_index": dest_name, "_id": item.doc_id, "_version": item.version,
                               "_routing": routing, "_source": doc, "op": "index"}
        if script is not None:
            ctx["_index"] = item.index.name  # scripts see the source document's metadata
            _run_script(engine, script, ctx)
            if ctx.get("_index") == item.index.name:
                ctx["_index"] = dest_name
            op = ctx.get("op")
            if op in ("noop", "none"):
                stats.noops += 1
                return
            if op not in ("index", "delete"):
                raise illegal_argument(f"Invalid op [{op}]")
        index_name, doc_id = str(ctx["_index"]), ctx.get("_id")
        doc_id = None if doc_id is None else str(doc_id)
        if ctx.get("op") == "delete":
            target = engine.write_index(index_name)
            written.add(target.name)
            if doc_id is not None and target.get(doc_id) is not None:
                target.delete_doc(doc_id)
                stats.deleted += 1
            else:
                stats.noops += 1
            return
        new_source = ctx.get("_source")
        if not isinstance(new_source, dict):
            raise illegal_argument("ctx._source must be a map")
        options: dict[str, Any] = {}
        version = ctx.get("_version")
        if version_type in ("external", "external_gte") and version is not None:
            options = {"version": int(version), "version_type": version_type}
        if ctx.get("_routing") is not None:
            options["routing"] = str(ctx["_routing"])
        status, result = index_document(engine, index_name, doc_id, new_source, op_type=op_type,
                                        pipeline=dest.get("pipeline"), options=options)
        written.add(result.get("_index", index_name))
        if result.get("result") == "noop":
            stats.noops += 1
        elif status == 201:
            stats.created += 1
        else:
            stats.updated += 1

    return _respond(engine, req, "indices:data/write/reindex", f"reindex from {source['index']} to {dest_name}",
                    job, apply, lambda: set(written))


def _resolve_write_name(engine: Engine, name: str) -> str:
    if name in engine.indices:
        return name
    try:
        return engine.write_index(name, auto_create=False).name
    except EsError:
        return name


# ---- rethrottle ----------------------------------------------------------------------------------------
@route("POST", "/_reindex/{task_id}/_rethrottle", "/_update_by_query/{task_id}/_rethrottle",
       "/_delete_by_query/{task_id}/_rethrottle")
def rethrottle(engine: Engine, req: Request) -> dict[str, Any]:
    if req.params.get("requests_per_second") is None:
        raise action_request_validation(["requests_per_second must be set"])
    value = _requests_per_second(req)
    task_id = req.path_params["task_id"]
    node, _, _ = task_id.partition(":")
    if node != NODE_ID:
        return {"nodes": {}, "node_failures": [{
            "type": "failed_node_exception", "reason": f"Failed node [{node}]", "node_id": node,
            "caused_by": {"type": "no_such_node_exception", "reason": f"No such node [{node}]", "node_id": node}}]}
    task = tasks_of(engine).get(task_id)
    job = task.extra.get("job")
    if job is None:
        raise illegal_argument(f"task [{task_id}] does not support rethrottling")
    for _, stats, _ in job.slices:
        stats.requests_per_second = value
    job.stats.requests_per_second = value
    task.status = job.status()
    return {"nodes": {NODE_ID: {"name": NODE_NAME, "roles": ["data", "ingest", "master"],
                                "tasks": {task.task_id: task.info()}}}}


# ---- tasks ---------------------------------------------------------------------------------------------
@route("GET", "/_tasks")
def list_tasks(engine: Engine, req: Request) -> dict[str, Any]:
    manager = tasks_of(engine)
    actions = req.params.get("actions")
    tasks = {}
    for task in manager.running():
        if actions and not any(_glob(a, task.action) for a in actions.split(",")):
            continue
        tasks[task.task_id] = task.info()
    return {"nodes": {NODE_ID: {"name": NODE_NAME, "tasks": tasks}}} if tasks else {"nodes": {}}


def _glob(pattern: str, value: str) -> bool:
    import fnmatch

    return fnmatch.fnmatchcase(value, pattern)


@route("GET", "/_tasks/{task_id}")
def get_task(engine: Engine, req: Request) -> Response:
    task = tasks_of(engine).get(req.path_params["task_id"])
    if req.params.get("wait_for_completion") == "true":
        from ..dates import parse_time_value

        timeout = parse_time_value(req.params.get("timeout") or "30s", "timeout") / 1000
        engine.lock.release()
        try:
            task.done.wait(timeout)
        finally:
            engine.lock.acquire()
        if not task.done.is_set():
            raise EsError(408, "elasticsearch_timeout_exception",
                          f"Timed out waiting for completion of task [{task.task_id}]")
    body: dict[str, Any] = {"completed": task.done.is_set(), "task": task.info()}
    if task.response is not None:
        body["response"] = task.response
    if task.error is not None:
        body["error"] = task.error
    return Response(200, body)


@route("POST", "/_tasks/{task_id}/_cancel")
def cancel_task(engine: Engine, req: Request) -> dict[str, Any]:
    task = tasks_of(engine).get(req.path_params["task_id"])
    task.cancelled = True
    return {"nodes": {NODE_ID: {"name": NODE_NAME, "tasks": {task.task_id: task.info()}}}}
