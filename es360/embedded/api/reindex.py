"""_reindex, _update_by_query, _delete_by_query (sync or as tasks) and the _tasks API.

Each job takes a snapshot of the matching documents (index, id, seq_no) when it starts and
applies its writes in batches, so a document changed meanwhile is a version conflict, as in ES.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from ..engine import Engine, Target
from ..errors import EsError, action_request_validation, illegal_argument, index_not_found, parsing_exception
from ..index import Index
from ..rest import Request, Response, route
from ..search import Searcher
from ..tasks import NODE_ID, Task, TaskCancelled, TaskManager
from .documents import index_document, run_update_script

DEFAULT_BATCH = 1000


@dataclass
class Snapshot:
    index: Index
    doc_id: str
    seq_no: int
    primary_term: int
    version: int


@dataclass
class JobStats:
    """The counters every by-query response reports."""

    total: int = 0
    updated: int = 0
    created: int = 0
    deleted: int = 0
    batches: int = 0
    version_conflicts: int = 0
    noops: int = 0
    failures: list[dict[str, Any]] = field(default_factory=list)

    def response(self, started: float, kind: str) -> dict[str, Any]:
        out: dict[str, Any] = {
            "took": int((time.perf_counter() - started) * 1000), "timed_out": False, "total": self.total,
            "updated": self.updated, "created": self.created, "deleted": self.deleted, "batches": self.batches,
            "version_conflicts": self.version_conflicts, "noops": self.noops,
            "retries": {"bulk": 0, "search": 0}, "throttled_millis": 0, "requests_per_second": -1.0,
            "throttled_until_millis": 0, "failures": self.failures,
        }
        if kind != "reindex":
            out.pop("created")
        return out

    def status(self) -> dict[str, Any]:
        return {"total": self.total, "updated": self.updated, "created": self.created, "deleted": self.deleted,
                "batches": self.batches, "version_conflicts": self.version_conflicts, "noops": self.noops,
                "retries": {"bulk": 0, "search": 0}, "throttled_millis": 0, "requests_per_second": -1.0,
                "throttled_until_millis": 0}


def tasks_of(engine: Engine) -> TaskManager:
    manager = engine.extensions.get("tasks")
    if manager is None:
        manager = engine.extensions["tasks"] = TaskManager()
    return manager


def snapshot(engine: Engine, targets: list[Target], query: Any, max_docs: int | None) -> list[Snapshot]:
    """The documents a by-query job will touch, in index order then document order."""
    searcher = Searcher(engine, targets, {"query": query} if query is not None else {}, {})
    out: list[Snapshot] = []
    for target in targets:
        _, docset = searcher.run_query(target)
        index = target.index
        ids = index.segment.ids
        for docnum in docset.docs.tolist():
            doc_id = ids[docnum]
            state = index.docs.get(doc_id) if doc_id is not None else None
            if state is None:
                continue
            out.append(Snapshot(index, doc_id, state.seq_no, state.primary_term, state.version))
            if max_docs is not None and len(out) >= max_docs:
                return out
    return out


def _failure(item: Snapshot, err: EsError, index_name: str | None = None) -> dict[str, Any]:
    return {"index": index_name or item.index.name, "id": item.doc_id, "cause": err.to_dict(),
            "status": err.status}


class Job:
    """A by-query job: the snapshot, the per-document action, batching and conflict policy."""

    def __init__(self, engine: Engine, kind: str, items: list[Snapshot], batch: int, proceed: bool) -> None:
        self.engine = engine
        self.kind = kind
        self.items = items
        self.batch = max(1, batch)
        self.proceed = proceed
        self.stats = JobStats(total=len(items))
        self.started = time.perf_counter()

    def run(self, apply: Any, task: Task | None = None) -> dict[str, Any]:
        for start in range(0, len(self.items), self.batch):
            if task is not None and task.cancelled:
                raise TaskCancelled()
            with self.engine.lock:
                stop = self._batch(self.items[start:start + self.batch], apply)
                self.engine.commit()
            self.stats.batches += 1
            if task is not None:
                task.status = self.stats.status()
            if stop:
                break
        return self.stats.response(self.started, self.kind)

    def _batch(self, items: list[Snapshot], apply: Any) -> bool:
        for item in items:
            try:
                apply(item)
            except EsError as err:
                if err.status == 409:
                    self.stats.version_conflicts += 1
                    if self.proceed:
                        continue
                self.stats.failures.append(_failure(item, err))
                return True
        return False


def _current(item: Snapshot) -> Any:
    state = item.index.get(item.doc_id)
    if state is None or state.seq_no != item.seq_no or state.primary_term != item.primary_term:
        cur = (f"current document has seqNo [{state.seq_no}] and primary term [{state.primary_term}]" if state
               else "but no document was found")
        raise EsError(409, "version_conflict_engine_exception",
                      f"[{item.doc_id}]: version conflict, required seqNo [{item.seq_no}], primary term "
                      f"[{item.primary_term}]. {cur}", index_uuid=item.index.uuid, shard="0",
                      index=item.index.name)
    return state


def _conflicts(value: Any) -> bool:
    if value in (None, "abort"):
        return False
    if value == "proceed":
        return True
    raise illegal_argument(f"conflicts may only be \"proceed\" or \"abort\" but was [{value}]")


def _max_docs(body: dict[str, Any], req: Request) -> int | None:
    value = body.get("max_docs", req.params.get("max_docs"))
    if value is None:
        return None
    value = int(value)
    if value <= 0:
        raise action_request_validation([f"maxDocs should be greater than 0, got {value}" if value < 0
                                         else "maxDocs should be greater than 0"])
    return value


def _respond(engine: Engine, req: Request, action: str, description: str, job: Job, apply: Any,
             written: Any) -> Any:
    """Run the job now, or as a task; `written()` names the indices to refresh afterwards."""
    refresh = req.params.get("refresh") in ("", "true", "wait_for")

    def run(task: Task | None) -> dict[str, Any]:
        result = job.run(apply, task)
        if refresh:
            with engine.lock:
                for name in written():
                    if name in engine.indices:
                        engine.indices[name].refresh()
        return result

    if req.params.get("wait_for_completion", "true") == "false":
        task = tasks_of(engine).start(action, description, run)
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


# ---- update / delete by query -------------------------------------------------------------------------
@route("POST", "/{index}/_update_by_query")
def update_by_query(engine: Engine, req: Request) -> Any:
    body = req.json_object()
    for key in body:
        if key not in ("query", "script", "max_docs", "conflicts", "slice"):
            raise parsing_exception(f"Unknown key for a START_OBJECT in [{key}].")
    proceed = _conflicts(body.get("conflicts", req.params.get("conflicts")))
    items = snapshot(engine, _targets(engine, req, req.path_params["index"]), _query_of(body, req),
                     _max_docs(body, req))
    job = Job(engine, "update_by_query", items, int(req.params.get("scroll_size", DEFAULT_BATCH)), proceed)
    pipeline = req.params.get("pipeline")
    script = body.get("script")

    def apply(item: Snapshot) -> None:
        state = _current(item)
        source = item.index.source(state)
        if script is not None:
            result = run_update_script(engine, item.index, item.doc_id, source, script, insert=False, state=state)
            if result is None:
                job.stats.noops += 1
                return
            if result == "delete":
                item.index.delete_doc(item.doc_id, if_seq_no=item.seq_no, if_primary_term=item.primary_term)
                job.stats.deleted += 1
                return
            source = result
        index_document(engine, item.index.name, item.doc_id, source, pipeline=pipeline,
                       options={"if_seq_no": item.seq_no, "if_primary_term": item.primary_term})
        job.stats.updated += 1

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
    items = snapshot(engine, _targets(engine, req, req.path_params["index"]), query, _max_docs(body, req))
    job = Job(engine, "delete_by_query", items, int(req.params.get("scroll_size", DEFAULT_BATCH)), proceed)

    def apply(item: Snapshot) -> None:
        _current(item)
        item.index.delete_doc(item.doc_id, if_seq_no=item.seq_no, if_primary_term=item.primary_term)
        job.stats.deleted += 1

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
    max_docs = body.get("max_docs", body.get("size", req.params.get("max_docs")))
    items = snapshot(engine, targets, source.get("query"), int(max_docs) if max_docs is not None else None)
    proceed = _conflicts(body.get("conflicts", req.params.get("conflicts")))
    job = Job(engine, "reindex", items, int(source.get("size", DEFAULT_BATCH)), proceed)
    script = body.get("script")

    def apply(item: Snapshot) -> None:
        state = item.index.get(item.doc_id)
        if state is None:
            return
        doc = item.index.source(state)
        if script is not None:
            result = run_update_script(engine, item.index, item.doc_id, doc, script, insert=False, state=state)
            if result is None:
                job.stats.noops += 1
                return
            if result == "delete":
                job.stats.noops += 1
                return
            doc = result
        options: dict[str, Any] = {}
        if version_type in ("external", "external_gte"):
            options = {"version": state.version, "version_type": version_type}
        if dest.get("routing") not in (None, "keep", "discard"):
            options["routing"] = str(dest["routing"]).removeprefix("=")
        status, _ = index_document(engine, dest_name, item.doc_id, doc, op_type=op_type,
                                   pipeline=dest.get("pipeline"), options=options)
        if status == 201:
            job.stats.created += 1
        else:
            job.stats.updated += 1

    return _respond(engine, req, "indices:data/write/reindex", f"reindex from {source['index']} to {dest_name}",
                    job, apply, lambda: {_resolve_write_name(engine, dest_name)})


def _resolve_write_name(engine: Engine, name: str) -> str:
    if name in engine.indices:
        return name
    try:
        return engine.write_index(name, auto_create=False).name
    except EsError:
        return name


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
    return {"nodes": {NODE_ID: {"name": "es360-embedded", "tasks": tasks}}} if tasks else {"nodes": {}}


def _glob(pattern: str, value: str) -> bool:
    import fnmatch

    return fnmatch.fnmatchcase(value, pattern)


@route("GET", "/_tasks/{task_id}")
def get_task(engine: Engine, req: Request) -> Response:
    task = tasks_of(engine).get(req.path_params["task_id"])
    if req.params.get("wait_for_completion") == "true":
        timeout = float(req.params.get("timeout", "30s").rstrip("s") or 30)
        engine.lock.release()
        try:
            task.done.wait(timeout)
        finally:
            engine.lock.acquire()
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
    return {"nodes": {NODE_ID: {"name": "es360-embedded", "tasks": {task.task_id: task.info()}}}}
