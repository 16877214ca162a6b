"""`es360 backfill enrich`: re-tag existing activity and tickets with customer_id after a resolution.

Runs update_by_query over each index with its own ingest pipeline (the pipelines are idempotent:
re-running them only refreshes customer_id from the identity enrich index), as a background task
whose progress is polled from the _tasks API.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from elasticsearch import ApiError, Elasticsearch, ElasticsearchWarning, NotFoundError, TransportError
from elasticsearch.exceptions import GeneralAvailabilityWarning

from es360.errors import Es360Error

ProgressFn = Callable[[str, int, int | None], None]
KINDS = ("activity", "tickets")


@dataclass
class BackfillResult:
    """Counts for one index."""

    index: str
    total: int = 0
    updated: int = 0
    noops: int = 0
    version_conflicts: int = 0
    failures: list[str] = field(default_factory=list)
    tagged: int = 0  # documents that carry a customer_id afterwards
    seconds: float = 0.0


@dataclass
class BackfillReport:
    results: list[BackfillResult]

    def as_dict(self) -> dict[str, Any]:
        return {"indices": [asdict(r) for r in self.results],
                "updated": sum(r.updated for r in self.results),
                "failures": sum(len(r.failures) for r in self.results)}


def _wait(es: Elasticsearch, task_id: str, label: str, progress: ProgressFn | None, poll_s: float,
          timeout_s: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with warnings.catch_warnings():  # the tasks API is "technical preview" in the client
                warnings.simplefilter("ignore", ElasticsearchWarning)
                warnings.simplefilter("ignore", GeneralAvailabilityWarning)
                state = es.tasks.get(task_id=task_id)
        except NotFoundError:
            raise Es360Error(f"The backfill task {task_id} disappeared; run the backfill again.") from None
        status = (state.get("task") or {}).get("status") or {}
        if progress is not None:
            done = int(status.get("updated", 0)) + int(status.get("noops", 0)) + int(status.get("version_conflicts", 0))
            progress(label, done, status.get("total"))
        if state.get("completed"):
            if state.get("error"):
                reason = (state["error"] or {}).get("reason", state["error"])
                raise Es360Error(f"The backfill of {label} failed: {reason}.")
            return dict(state.get("response") or {})
        if time.monotonic() > deadline:
            raise Es360Error(f"The backfill of {label} is still running after {timeout_s:.0f}s (task {task_id}); "
                             f"check it with GET _tasks/{task_id}.")
        time.sleep(poll_s)


def backfill_enrich(es: Elasticsearch, prefix: str, *, progress: ProgressFn | None = None, poll_s: float = 0.5,
                    timeout_s: float = 3600.0) -> BackfillReport:
    """update_by_query every activity and ticket document through its pipeline; wait and report counts."""
    results = []
    for kind in KINDS:
        alias = f"{prefix}{kind}"
        if not es.indices.exists_alias(name=alias):
            raise Es360Error(f"Index alias {alias} does not exist; run `es360 setup` first.")
        started = time.perf_counter()
        try:
            task = es.update_by_query(index=alias, pipeline=alias, conflicts="proceed", refresh=True,
                                      wait_for_completion=False)
        except (ApiError, TransportError) as exc:
            raise Es360Error(f"Elasticsearch refused the backfill of {alias}: {exc}.") from None
        response = _wait(es, str(task["task"]), alias, progress, poll_s, timeout_s)
        result = BackfillResult(alias, int(response.get("total", 0)), int(response.get("updated", 0)),
                                int(response.get("noops", 0)), int(response.get("version_conflicts", 0)),
                                [str(f.get("cause", f)) for f in response.get("failures", [])][:20])
        es.indices.refresh(index=alias)
        result.tagged = int(es.count(index=alias, query={"exists": {"field": "customer_id"}})["count"])
        result.seconds = round(time.perf_counter() - started, 3)
        results.append(result)
    return BackfillReport(results)
