"""Run and watch the per-customer rollup: the continuous transform `<prefix>rollup` and its freshness.

The transform and its destination pipeline (transforms/, pipelines/) hold every definition; this
module only drives them: start, stop, status (state, checkpoint, lag, freshness) and `recompute`,
the full refresh that keeps rolling windows and recency honest for customers with no new activity
(see docs/definitions.md, "Freshness").
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

from elasticsearch import ApiError, Elasticsearch, NotFoundError

from es360.assets import index_alias
from es360.errors import Es360Error, api_reason

RUNNING = ("started", "indexing")
CLOCK_SKEW_MS = 1000  # the checkpoint's start (transform node) vs computed_at (ingest node)


def transform_id(prefix: str) -> str:
    """The rollup transform's id for an index prefix (e.g. `es360-rollup`)."""
    return f"{prefix}rollup"


@dataclass
class RollupStatus:
    """What `es360 rollup status` shows."""

    transform_id: str
    state: str
    health: str
    checkpoint: int
    last_checkpoint_at: str | None
    time_upper_bound: str | None
    lag_seconds: float | None
    documents_processed: int
    documents_indexed: int
    index_failures: int
    customers: int | None
    oldest_computed_at: str | None
    windows_age_seconds: float | None
    pipeline_errors: int
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class RecomputeReport:
    """What a full recompute did."""

    transform_id: str
    checkpoint: int
    customers: int
    removed_orphans: int
    seconds: float
    skipped: bool = False
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)



def _stats(es: Elasticsearch, tid: str) -> dict[str, Any]:
    try:
        return es.transform.get_transform_stats(transform_id=tid)["transforms"][0]
    except NotFoundError:
        raise Es360Error(f"The rollup transform {tid} is not installed; run `es360 setup` first.") from None
    except IndexError:
        raise Es360Error(f"The rollup transform {tid} is not installed; run `es360 setup` first.") from None


def _iso(millis: int | float | None) -> str | None:
    if millis is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(millis / 1000))


def start(es: Elasticsearch, prefix: str) -> RollupStatus:
    """Start the continuous rollup transform (a no-op when it already runs)."""
    tid = transform_id(prefix)
    state = _stats(es, tid)["state"]
    if state not in RUNNING:
        try:
            _halt(es, tid, state)  # Elasticsearch restarts a failed transform only after a forced stop
            es.transform.start_transform(transform_id=tid)
        except ApiError as exc:
            raise Es360Error(f"Elasticsearch refused to start {tid}: {api_reason(exc)}") from None
    return status(es, prefix)


def stop(es: Elasticsearch, prefix: str, timeout_s: float = 60.0) -> RollupStatus:
    """Stop the rollup transform, letting a running checkpoint finish first."""
    tid = transform_id(prefix)
    _halt(es, tid, _stats(es, tid)["state"], timeout_s)
    return status(es, prefix)


def _halt(es: Elasticsearch, tid: str, state: str, timeout_s: float = 120.0) -> None:
    """Stop a running transform after its checkpoint, or clear a failed one (a forced stop)."""
    if state not in (*RUNNING, "failed"):
        return
    try:
        es.transform.stop_transform(transform_id=tid, wait_for_completion=True, force=state == "failed",
                                    timeout=f"{int(timeout_s)}s")
    except ApiError as exc:
        raise Es360Error(f"Elasticsearch could not stop {tid}: {api_reason(exc)}") from None


def _freshness(es: Elasticsearch, prefix: str) -> tuple[int | None, float | None, int]:
    """Rollup document count, oldest `computed_at` (epoch millis) and documents whose pipeline failed."""
    try:
        resp = es.search(index=index_alias("rollup", prefix), size=0, track_total_hits=True, aggs={
            "oldest": {"min": {"field": "computed_at"}},
            "errors": {"filter": {"term": {"churn.stage": "error"}}}})
    except NotFoundError:
        return None, None, 0
    oldest = resp["aggregations"]["oldest"].get("value")
    return resp["hits"]["total"]["value"], oldest, resp["aggregations"]["errors"]["doc_count"]


def status(es: Elasticsearch, prefix: str) -> RollupStatus:
    """State, checkpoint, lag (now minus the last checkpoint's time upper bound) and freshness."""
    tid = transform_id(prefix)
    stats = _stats(es, tid)
    last = stats.get("checkpointing", {}).get("last", {})
    upper = last.get("time_upper_bound_millis")
    now_ms = time.time() * 1000
    customers, oldest, errors = _freshness(es, prefix)
    counters = stats.get("stats", {})
    return RollupStatus(
        transform_id=tid,
        state=stats["state"],
        health=str(stats.get("health", {}).get("status", "unknown")),
        checkpoint=int(last.get("checkpoint", 0)),
        last_checkpoint_at=_iso(last.get("timestamp_millis")),
        time_upper_bound=_iso(upper),
        lag_seconds=round((now_ms - upper) / 1000, 1) if upper is not None else None,
        documents_processed=int(counters.get("documents_processed", 0)),
        documents_indexed=int(counters.get("documents_indexed", 0)),
        index_failures=int(counters.get("index_failures", 0)),
        customers=customers,
        oldest_computed_at=_iso(oldest),
        windows_age_seconds=round((now_ms - oldest) / 1000, 1) if oldest is not None else None,
        pipeline_errors=errors,
        reason=stats.get("reason"),
    )


def wait_for_checkpoint(es: Elasticsearch, prefix: str, checkpoint: int, timeout_s: float = 600.0) -> dict[str, Any]:
    """Wait until the transform has completed `checkpoint` (or failed); returns its stats."""
    tid = transform_id(prefix)
    deadline = time.monotonic() + timeout_s
    pause = 0.05
    while True:
        stats = _stats(es, tid)
        if stats["state"] == "failed":
            raise Es360Error(f"The rollup transform {tid} failed: {stats.get('reason') or 'no reason given'}.")
        done = int(stats.get("checkpointing", {}).get("last", {}).get("checkpoint", 0))
        if done >= checkpoint:
            return stats
        if time.monotonic() > deadline:
            raise Es360Error(f"The rollup transform {tid} did not finish checkpoint {checkpoint} within "
                             f"{timeout_s:.0f}s; see `es360 rollup status`.")
        time.sleep(pause)
        pause = min(pause * 1.5, 2.0)


def recompute(es: Elasticsearch, prefix: str, max_age_s: float | None = None,
              timeout_s: float = 3600.0) -> RecomputeReport:
    """Recompute every customer from scratch: stop, reset, start, wait for the first checkpoint.

    This refreshes rolling windows and recency for customers without new activity, picks up
    late-arriving and re-tagged events, and then deletes rollup documents of customer ids that no
    longer have activity (merged away by identity resolution). With `max_age_s`, it does nothing
    while the oldest rollup document is younger than that (cheap to run from cron every hour).
    The transform is left started.
    """
    tid = transform_id(prefix)
    began = time.monotonic()
    state = _stats(es, tid)["state"]
    if max_age_s is not None:
        current = status(es, prefix)
        age = current.windows_age_seconds
        if age is not None and age < max_age_s:
            return RecomputeReport(tid, current.checkpoint, current.customers or 0, 0, 0.0, skipped=True,
                                   reason=f"oldest rollup is {age / 3600:.1f}h old (max age "
                                          f"{max_age_s / 3600:.1f}h)")
    _halt(es, tid, state)
    try:
        es.transform.reset_transform(transform_id=tid)
        es.transform.start_transform(transform_id=tid)
    except ApiError as exc:
        raise Es360Error(f"Elasticsearch refused to recompute {tid}: {api_reason(exc)}") from None
    stats = wait_for_checkpoint(es, prefix, 1, timeout_s)
    started_ms = stats["checkpointing"]["last"].get("timestamp_millis")
    removed = 0
    alias = index_alias("rollup", prefix)
    failures = int(stats.get("stats", {}).get("index_failures", 0))
    if started_ms is not None and failures == 0:  # a rollup that failed to rewrite is kept, not deleted
        es.indices.refresh(index=alias)
        resp = es.delete_by_query(index=alias, refresh=True, conflicts="proceed", query={"bool": {"should": [
            {"range": {"computed_at": {"lt": int(started_ms) - CLOCK_SKEW_MS, "format": "epoch_millis"}}},
            {"bool": {"must_not": {"exists": {"field": "computed_at"}}}}], "minimum_should_match": 1}})
        removed = int(resp.get("deleted", 0))
    customers = es.count(index=alias)["count"]
    return RecomputeReport(tid, int(stats["checkpointing"]["last"].get("checkpoint", 0)), customers, removed,
                           round(time.monotonic() - began, 2),
                           reason=f"{failures} rollups failed to index; kept the previous ones" if failures else "")
