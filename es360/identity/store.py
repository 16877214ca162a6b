"""Write a resolution to Elasticsearch: customers, identity, merge-log, customer_id on records, enrich.

Only what changed is written, so re-running on unchanged data writes nothing. Every document has a
deterministic _id: customers by customer_id, identity docs by identifier, merge-log entries by a
hash of the event.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from elasticsearch import ApiError, Elasticsearch, TransportError

from es360.errors import Es360Error, api_reason
from es360.identity.features import Rec
from es360.identity.source import scan_pit
from es360.identity.stable_ids import IdEvent
from es360.ingest.bulk import line_serializer

ProgressFn = Callable[[str, int, int | None], None]


@dataclass
class WriteReport:
    """Counts of what a resolution wrote."""

    customers_written: int = 0
    customers_deleted: int = 0
    identity_written: int = 0
    identity_deleted: int = 0
    identity_conflicts: int = 0
    records_updated: int = 0
    merge_log: int = 0
    enrich_executed: bool = False
    errors: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


CHUNK_SIZE = 2000  # actions per bulk request
IN_FLIGHT = 2  # bulk requests under way at once: the next one is serialized while the cluster works


MAX_RETRIES = 5  # a bulk request or item refused with 429 is sent again, after 1, 2, 4, 8, 16 s


def _encode(action: dict[str, Any], dumps: Callable[[Any], bytes]) -> bytes:
    """An action's NDJSON lines (index, update with `doc`, or delete), as the client would write them."""
    op = action.get("_op_type", "index")
    meta = {"_index": action["_index"], "_id": action["_id"]}
    if op == "delete":
        return dumps({"delete": meta}) + b"\n"
    body = {"doc": action["doc"]} if op == "update" else action["_source"]
    return dumps({op: meta}) + b"\n" + dumps(body) + b"\n"


def _failure(action: dict[str, Any], status: int, error: str) -> tuple[bool, Any]:
    op = action.get("_op_type", "index")
    return False, {op: {"_index": action["_index"], "_id": action["_id"], "status": status, "error": error}}


def _send(es: Elasticsearch, chunk: list[dict[str, Any]], params: dict[str, Any],
          sleep: Callable[[float], None] = time.sleep) -> list[tuple[bool, Any]]:
    """One chunk as one bulk request, items refused with 429 sent again with backoff; per-item
    (ok, {op: item}) in order. A request the cluster refuses as a whole fails each of its items.
    The NDJSON body is built here directly: the client helpers' per-action expansion cost more
    client CPU than the cluster spent indexing identity documents."""
    dumps = line_serializer(es)
    lines = [_encode(action, dumps) for action in chunk]
    results: list[tuple[bool, Any] | None] = [None] * len(chunk)
    pending = list(range(len(chunk)))
    for attempt in range(MAX_RETRIES + 1):
        if attempt:
            sleep(2.0 ** (attempt - 1))
        try:
            items = es.bulk(operations=b"".join(lines[i] for i in pending), **params)["items"]  # type: ignore[arg-type]
        except ApiError as exc:
            if exc.status_code == 429 and attempt < MAX_RETRIES:
                continue
            for i in pending:
                results[i] = _failure(chunk[i], exc.status_code, api_reason(exc))
            break
        except TransportError as exc:
            for i in pending:
                results[i] = _failure(chunk[i], 503, str(exc).splitlines()[0][:200])
            break
        retry = []
        for i, item in zip(pending, items, strict=True):
            status = int(next(iter(item.values())).get("status", 500))
            if status == 429 and attempt < MAX_RETRIES:
                retry.append(i)
            else:
                results[i] = (200 <= status < 300, item)
        if not retry:
            break
        pending = retry
    return [r if r is not None else _failure(chunk[i], 429, "still rejected after retries (cluster busy)")
            for i, r in enumerate(results)]


def _pipelined(es: Elasticsearch, actions: Iterable[dict[str, Any]], params: dict[str, Any]
               ) -> Iterator[tuple[bool, Any]]:
    """Per-item results of `actions` sent as bulk requests of CHUNK_SIZE, IN_FLIGHT at a time, in order.

    Building the next request (and the actions themselves) overlaps with the cluster indexing the
    previous one. Every document is written at most once per call, so requests may run concurrently.
    """
    pending: deque[Future[list[tuple[bool, Any]]]] = deque()
    with ThreadPoolExecutor(max_workers=IN_FLIGHT, thread_name_prefix="es360-bulk") as pool:
        try:
            for chunk in _chunks(actions, CHUNK_SIZE):
                pending.append(pool.submit(_send, es, chunk, params))
                if len(pending) >= IN_FLIGHT:
                    yield from pending.popleft().result()
            while pending:
                yield from pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()


def _chunks(actions: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for action in actions:
        chunk.append(action)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _bulk(es: Elasticsearch, actions: Iterable[dict[str, Any]], report: WriteReport,
          progress: ProgressFn | None = None, phase: str = "", total: int | None = None,
          **params: Any) -> int:
    """Send actions (retries on 429, see _pipelined); returns how many succeeded, keeps the first
    errors. `params` go to every bulk request."""
    ok = 0
    done = 0
    for success, info in _pipelined(es, actions, params):
        done += 1
        if success:
            ok += 1
        elif len(report.errors) < 20:
            item = next(iter(info.values()))
            report.errors.append(f"{item.get('_index')}/{item.get('_id')}: {item.get('error')}")
        if progress is not None and done % 5000 == 0:
            progress(phase, done, total)
    if progress is not None:
        progress(phase, done, total)
    return ok


def existing_docs(es: Elasticsearch, alias: str, fields: list[str] | None = None) -> dict[str, dict[str, Any]]:
    """_id -> _source of every document behind an alias."""
    return {hit["_id"]: hit.get("_source") or {} for hit in scan_pit(es, alias, fields=fields)}


def _comparable(doc: dict[str, Any]) -> dict[str, Any]:
    """A customer document without the run stamp, for equality with a newly built one (a golden
    profile holds only JSON types, so a stored and a built document compare equal as dicts)."""
    resolution = doc.get("resolution")
    if isinstance(resolution, dict) and "run_id" in resolution:
        return {**doc, "resolution": {k: v for k, v in resolution.items() if k != "run_id"}}
    return doc


def write_customers(es: Elasticsearch, alias: str, docs: Iterable[tuple[str, dict[str, Any]]],
                    existing: dict[str, dict[str, Any]], run_id: str, report: WriteReport,
                    progress: ProgressFn | None = None, total: int | None = None) -> None:
    """Index the (customer_id, document) pairs `docs` that differ from `existing` (stamped with run_id),
    then delete existing customers that `docs` no longer has. `docs` may be a lazy iterator: each
    document is built while the previous requests are being indexed."""
    kept: set[str] = set()
    report.customers_written = report.customers_deleted = 0

    def actions() -> Iterator[dict[str, Any]]:
        for cid, doc in docs:
            kept.add(cid)
            if cid in existing and _comparable(existing[cid]) == _comparable(doc):
                continue
            report.customers_written += 1
            doc["resolution"] = {**doc.get("resolution", {}), "run_id": run_id}
            yield {"_op_type": "index", "_index": alias, "_id": cid, "_source": doc}
        for cid in existing:
            if cid not in kept:
                report.customers_deleted += 1
                yield {"_op_type": "delete", "_index": alias, "_id": cid}

    _bulk(es, actions(), report, progress, "customers", total)


def identity_docs(customers: dict[str, list[Rec]]) -> tuple[dict[str, str], int]:
    """identifier -> customer_id for every email, phone and source record id, and how many identifiers
    several customers claim (a household email). A shared identifier goes to the customer with most
    records carrying it; ties go to the older customer (earliest record)."""
    claims: dict[str, dict[str, int]] = {}
    age: dict[str, tuple[float, str]] = {}
    for cid, recs in customers.items():
        age[cid] = min(r.age_key for r in recs)
        for r in recs:
            keys = {f"{r.source}:{r.source_id}"}
            if r.email:
                keys.add(f"email:{r.email}")
                keys.add(f"email:{r.email_canon}")
            if r.phone:
                keys.add(f"phone:{r.phone}")
            for key in keys:
                per = claims.setdefault(key, {})
                per[cid] = per.get(cid, 0) + 1
    out: dict[str, str] = {}
    conflicts = 0
    for key, per in claims.items():
        if len(per) > 1:
            conflicts += 1
        out[key] = min(per, key=lambda cid: (-per[cid], age[cid], cid))
    return out, conflicts


def write_identity(es: Elasticsearch, alias: str, wanted: dict[str, str], existing: dict[str, str], now: str,
                   report: WriteReport, progress: ProgressFn | None = None) -> None:
    """Index identity docs whose customer changed and delete identifiers that no longer exist."""
    changed = [key for key, cid in wanted.items() if existing.get(key) != cid]

    def actions() -> Iterator[dict[str, Any]]:
        for key in changed:
            kind, _, value = key.partition(":")
            kind = kind if kind in ("email", "phone") else "source_id"
            yield {"_op_type": "index", "_index": alias, "_id": key,
                   "_source": {"identifier": key, "type": kind, "value": value, "customer_id": wanted[key],
                               "updated_at": now}}
        for key in existing:
            if key not in wanted:
                yield {"_op_type": "delete", "_index": alias, "_id": key}

    gone = sum(1 for key in existing if key not in wanted)
    _bulk(es, actions(), report, progress, "identity", len(changed) + gone)
    report.identity_written = len(changed)
    report.identity_deleted = gone


def write_record_ids(es: Elasticsearch, records: list[Rec], assigned: list[str], report: WriteReport,
                     progress: ProgressFn | None = None) -> None:
    """Set customer_id on records whose customer changed (partial updates by _id). The records were
    normalized by their ingest pipeline already: `pipeline=_none` says so explicitly (Elasticsearch
    runs no pipeline on a bulk partial update anyway)."""
    changed = [r for r in records if r.customer_id != assigned[r.idx]]

    def actions() -> Iterator[dict[str, Any]]:
        for r in changed:
            yield {"_op_type": "update", "_index": r.index, "_id": r.doc_id,
                   "doc": {"customer_id": assigned[r.idx]}}

    report.records_updated = _bulk(es, actions(), report, progress, "records", len(changed), pipeline="_none")


def event_id(event: IdEvent) -> str:
    """A deterministic merge-log _id: the same event logged twice is one document."""
    key = json.dumps([event.action, event.customer_id, sorted(event.other_customer_ids), sorted(event.record_ids)])
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def write_merge_log(es: Elasticsearch, alias: str, events: list[IdEvent], run_id: str, now: str,
                    report: WriteReport) -> None:
    def actions() -> Iterator[dict[str, Any]]:
        for e in events:
            doc = {"@timestamp": now, "run_id": run_id, "action": e.action, "customer_id": e.customer_id,
                   "other_customer_ids": e.other_customer_ids, "record_ids": e.record_ids,
                   "evidence": e.evidence}
            if e.match_weight is not None:
                doc["match_weight"] = round(e.match_weight, 3)
            yield {"_op_type": "index", "_index": alias, "_id": event_id(e), "_source": doc}

    report.merge_log = _bulk(es, actions(), report)


ENRICH_POLICIES = ("identity", "customer")  # pipelines/enrich/es360-<name>.json, built from identity and customers


def execute_enrich(es: Elasticsearch, prefix: str, report: WriteReport) -> None:
    """Rebuild the enrich indices (identifier -> customer_id, customer_id -> country) from the new
    identity and customers documents, so activity ingested from now on is tagged with them."""
    for name in ENRICH_POLICIES:
        policy = f"{prefix}{name}"
        try:
            es.enrich.execute_policy(name=policy, wait_for_completion=True)
        except (ApiError, TransportError) as exc:
            raise Es360Error(f"Executing the enrich policy {policy} failed: {exc}; run `es360 setup` and retry.") from None
    report.enrich_executed = True
