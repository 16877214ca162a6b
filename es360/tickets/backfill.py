"""Embed tickets that have no vector, or one from another model/version: `es360 backfill embeddings`.

Only stale tickets are read (`stale_query`), through a point in time with search_after, and each
gets a partial `update` with its vector, model and version. A re-run therefore resumes where an
interrupted one stopped: finished tickets no longer match. Updates carry if_seq_no/if_primary_term,
so a ticket re-ingested mid-run is never given the vector of its old text (it stays stale and the
next run embeds the new text).

Throughput: reading, encoding and writing overlap. A reader thread prefetches pages, the calling
thread only encodes, and a writer thread serializes (orjson, straight from numpy) and sends the
bulk updates, so the run goes at close to the model's raw encode rate.

Counts always reconcile: scanned = embedded + skipped + failed.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import orjson
from elasticsearch import ApiError, AuthorizationException, Elasticsearch, NotFoundError, TransportError
from elasticsearch import ConnectionError as EsConnectionError

from es360.assets import index_alias
from es360.embeddings.base import Embedder, ticket_text
from es360.errors import Es360Error

ProgressFn = Callable[["BackfillReport"], None]
RETRYABLE = {429, 502, 503, 504}
SOURCE_FIELDS = ["ticket_id", "subject", "body"]
_DONE = object()


@dataclass
class BackfillReport:
    """What a backfill did; `scanned == embedded + skipped + failed`."""

    model: str
    version: str
    index: str
    total: int = 0  # stale tickets when the run started
    scanned: int = 0
    embedded: int = 0
    skipped: int = 0
    failed: int = 0
    seconds: float = 0.0
    encode_seconds: float = 0.0
    skip_reasons: Counter[str] = field(default_factory=Counter)
    failures: list[dict[str, str]] = field(default_factory=list)  # the first 20: ticket_id, reason

    @property
    def reconciles(self) -> bool:
        return self.scanned == self.embedded + self.skipped + self.failed

    @property
    def rate(self) -> float:
        """Tickets embedded per second of wall time."""
        return self.embedded / self.seconds if self.seconds > 0 else 0.0

    @property
    def encode_rate(self) -> float:
        """Tickets encoded per second spent inside the model."""
        return (self.embedded + self.failed) / self.encode_seconds if self.encode_seconds > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "model": self.model, "version": self.version, "total": self.total,
                "scanned": self.scanned, "embedded": self.embedded, "skipped": self.skipped, "failed": self.failed,
                "skip_reasons": dict(self.skip_reasons), "failures": self.failures,
                "seconds": round(self.seconds, 3), "rate": round(self.rate, 1),
                "encode_rate": round(self.encode_rate, 1), "reconciles": self.reconciles}


def stale_query(embedder: Embedder) -> dict[str, Any]:
    """Tickets without a vector, or whose vector came from another model or version."""
    current = [{"exists": {"field": "embedding"}}, {"term": {"embedding_model": embedder.name}},
               {"term": {"embedding_version": embedder.version}}]
    return {"bool": {"must_not": [{"bool": {"filter": current}}]}}


def count_stale(es: Elasticsearch, prefix: str, embedder: Embedder) -> int:
    """How many tickets a backfill would embed now."""
    alias = _tickets_alias(es, prefix)
    return int(es.count(index=alias, query=stale_query(embedder))["count"])


def backfill_embeddings(es: Elasticsearch, prefix: str, embedder: Embedder | None = None, *, batch_size: int = 512,
                        encode_batch: int = 64, limit: int | None = None, progress: ProgressFn | None = None,
                        refresh: bool = True) -> BackfillReport:
    """Embed every stale ticket (at most `limit`); the model loads only if there is work to do."""
    if embedder is None:
        from es360.embeddings import get_embedder

        embedder = get_embedder()
    alias = _tickets_alias(es, prefix)
    report = BackfillReport(embedder.name, embedder.version, alias)
    started = time.perf_counter()
    query = stale_query(embedder)
    _refresh(es, alias)  # tickets ingested a moment ago must be seen
    report.total = int(_call(lambda: es.count(index=alias, query=query))["count"])
    if limit is not None:
        report.total = min(report.total, limit)
    if report.total:
        _check_dims(es, alias, embedder)
        _Run(es, embedder, report, query, batch_size, encode_batch, limit, progress).execute()
        if refresh:
            _refresh(es, alias)
    report.seconds = time.perf_counter() - started
    return report


def embed_new_tickets(es: Elasticsearch, prefix: str, embedder: Embedder | None = None,
                      progress: ProgressFn | None = None) -> BackfillReport:
    """Embed tickets that arrived without a vector (the hook `es360 ingest support` calls after a run)."""
    return backfill_embeddings(es, prefix, embedder, progress=progress)


class _Run:
    """One backfill: reader thread -> encode (calling thread) -> writer thread."""

    def __init__(self, es: Elasticsearch, embedder: Embedder, report: BackfillReport, query: dict[str, Any],
                 batch_size: int, encode_batch: int, limit: int | None, progress: ProgressFn | None) -> None:
        self.es = es
        self.embedder = embedder
        self.report = report
        self.query = query
        self.batch_size = max(1, batch_size)
        self.encode_batch = max(1, encode_batch)
        self.limit = limit
        self.progress = progress
        self.pages: queue.Queue[Any] = queue.Queue(maxsize=3)
        self.writes: queue.Queue[Any] = queue.Queue(maxsize=3)
        self.stop = threading.Event()
        self.errors: list[BaseException] = []
        self.lock = threading.Lock()

    def execute(self) -> None:
        reader = threading.Thread(target=self._guard, args=(self._read,), name="es360-backfill-read", daemon=True)
        writer = threading.Thread(target=self._guard, args=(self._write,), name="es360-backfill-write", daemon=True)
        reader.start()
        writer.start()
        finished = False
        try:
            self._encode()
            finished = True
        finally:
            if not finished:
                self.stop.set()
            _put(self.writes, _DONE, self.stop)
            writer.join()
            self.stop.set()
            reader.join()
        if self.errors:
            exc = self.errors[0]
            if isinstance(exc, Es360Error):
                raise exc
            raise Es360Error(f"Backfill stopped: {_short(exc)}") from exc

    def _guard(self, target: Callable[[], None]) -> None:
        try:
            target()
        except BaseException as exc:  # noqa: BLE001 - handed to the calling thread
            self.errors.append(exc)
            self.stop.set()

    # ---- reader -----------------------------------------------------------------------------
    def _read(self) -> None:
        try:
            for page in self._pages():
                if not _put(self.pages, page, self.stop):
                    return
        finally:
            _put(self.pages, _DONE, self.stop)

    def _pages(self) -> Iterator[list[dict[str, Any]]]:
        es, alias = self.es, self.report.index
        pit = _call(lambda: es.open_point_in_time(index=alias, keep_alive="5m"))["id"]
        after: list[Any] | None = None
        remaining = self.limit
        try:
            while not self.stop.is_set():
                size = self.batch_size if remaining is None else min(self.batch_size, remaining)
                if size <= 0:
                    return
                kwargs: dict[str, Any] = {"pit": {"id": pit, "keep_alive": "5m"}, "query": self.query, "size": size,
                                          "sort": [{"_shard_doc": "asc"}], "source": SOURCE_FIELDS,
                                          "seq_no_primary_term": True, "track_total_hits": False}
                if after is not None:
                    kwargs["search_after"] = after
                response = _call(lambda kwargs=kwargs: es.search(**kwargs))
                pit = response.get("pit_id", pit)
                hits = response["hits"]["hits"]
                if not hits:
                    return
                yield hits
                after = hits[-1]["sort"]
                if remaining is not None:
                    remaining -= len(hits)
                if len(hits) < size:
                    return
        finally:
            with contextlib.suppress(ApiError, TransportError):
                es.close_point_in_time(id=pit)

    # ---- encoder (calling thread) -------------------------------------------------------------
    def _encode(self) -> None:
        while True:
            page = _get(self.pages, self.stop)
            if page is _DONE:
                return
            texts, keep, empty = [], [], []
            for hit in page:
                src = hit.get("_source") or {}
                text = ticket_text(src.get("subject"), src.get("body"))
                (keep if text else empty).append(hit)
                if text:
                    texts.append(text)
            t0 = time.perf_counter()
            vectors = self.embedder.encode(texts, batch_size=self.encode_batch) if texts else None
            self.report.encode_seconds += time.perf_counter() - t0
            if not _put(self.writes, (page, keep, empty, vectors), self.stop):
                return

    # ---- writer -------------------------------------------------------------------------------
    def _write(self) -> None:
        while True:
            item = _get(self.writes, self.stop)
            if item is _DONE:
                return
            page, keep, empty, vectors = item
            outcomes = self._send(keep, vectors) if keep else []
            report = self.report
            with self.lock:
                report.scanned += len(page)
                report.skipped += len(empty)
                if empty:
                    report.skip_reasons["no subject or body"] += len(empty)
                for hit, (status, reason) in zip(keep, outcomes, strict=True):
                    if reason is None:
                        report.embedded += 1
                    elif status == 409:
                        report.skipped += 1
                        report.skip_reasons["changed during the run (next run embeds it)"] += 1
                    else:
                        report.failed += 1
                        if len(report.failures) < 20:
                            report.failures.append({"ticket_id": _ticket_id(hit), "reason": reason})
            if self.progress is not None:
                self.progress(report)

    def _send(self, hits: list[dict[str, Any]], vectors: np.ndarray) -> list[tuple[int, str | None]]:
        name, version = self.embedder.name, self.embedder.version
        lines: list[bytes] = []
        for hit, vector in zip(hits, vectors, strict=True):
            meta: dict[str, Any] = {"_index": hit["_index"], "_id": hit["_id"]}
            if "_seq_no" in hit and "_primary_term" in hit:
                meta["if_seq_no"] = hit["_seq_no"]
                meta["if_primary_term"] = hit["_primary_term"]
            lines.append(orjson.dumps({"update": meta}))
            lines.append(orjson.dumps({"doc": {"embedding": vector, "embedding_model": name,
                                               "embedding_version": version}},
                                      option=orjson.OPT_SERIALIZE_NUMPY))
        outcomes: list[tuple[int, str | None]] = [(0, None)] * len(hits)
        pending = list(range(len(hits)))
        for attempt in range(6):
            body = [line for i in pending for line in (lines[2 * i], lines[2 * i + 1])]
            items = _call(lambda body=body: self.es.bulk(operations=body))["items"]
            retry = []
            for i, item in zip(pending, items, strict=True):
                result = item.get("update", {})
                status = int(result.get("status", 500))
                if status in RETRYABLE and attempt < 5:
                    retry.append(i)
                elif "error" in result:
                    outcomes[i] = (status, _reason(result["error"]))
                else:
                    outcomes[i] = (status, None)
            if not retry:
                break
            pending = retry
            time.sleep(min(0.5 * 2 ** attempt, 10.0))
        return outcomes


def _tickets_alias(es: Elasticsearch, prefix: str) -> str:
    alias = index_alias("tickets", prefix)
    try:
        exists = bool(es.indices.exists(index=alias))
    except EsConnectionError as exc:
        raise Es360Error(f"Elasticsearch could not be reached: {_short(exc)}") from None
    if not exists:
        raise Es360Error(f"The tickets index {alias} does not exist; run `es360 setup` first.")
    return alias


def _refresh(es: Elasticsearch, alias: str) -> None:
    """Refresh so new tickets (and new vectors) are searchable; a user without the privilege just waits for ES."""
    with contextlib.suppress(AuthorizationException):
        es.indices.refresh(index=alias)


def _check_dims(es: Elasticsearch, alias: str, embedder: Embedder) -> None:
    mappings = es.indices.get_mapping(index=alias)
    for body in mappings.values():
        dims = (body.get("mappings", {}).get("properties", {}).get("embedding") or {}).get("dims")
        if dims is not None and int(dims) != embedder.dims:
            raise Es360Error(f"The model {embedder.name} makes {embedder.dims}-dimensional vectors but {alias} "
                             f"stores {dims}; change the mapping and `es360 reindex tickets`, or pick another model.")


def _call(fn: Callable[[], Any], attempts: int = 6) -> Any:
    """Run one request, retrying connection errors and 429/5xx with backoff."""
    for attempt in range(attempts):
        try:
            return fn()
        except NotFoundError:
            raise
        except EsConnectionError as exc:
            if attempt == attempts - 1:
                raise Es360Error(f"Elasticsearch could not be reached: {_short(exc)}") from None
        except ApiError as exc:
            if exc.status_code not in RETRYABLE or attempt == attempts - 1:
                raise Es360Error(f"Elasticsearch rejected a backfill request ({exc.status_code}): "
                                 f"{_reason(getattr(exc, 'body', None) or {})}") from None
        time.sleep(min(0.5 * 2 ** attempt, 10.0))
    raise AssertionError("unreachable")


def _put(q: queue.Queue[Any], item: Any, stop: threading.Event) -> bool:
    """Put unless `stop` is set (polling, so a stopped consumer never blocks the producer)."""
    while not stop.is_set():
        try:
            q.put(item, timeout=0.2)
            return True
        except queue.Full:
            continue
    return False


def _get(q: queue.Queue[Any], stop: threading.Event) -> Any:
    """The next item, or `_DONE` once `stop` is set (a stopped producer never blocks the consumer)."""
    while True:
        try:
            return q.get(timeout=0.2)
        except queue.Empty:
            if stop.is_set():
                return _DONE


def _ticket_id(hit: dict[str, Any]) -> str:
    return str((hit.get("_source") or {}).get("ticket_id") or hit.get("_id"))


def _reason(error: Any) -> str:
    if isinstance(error, dict):
        inner = error.get("error", error)
        if isinstance(inner, dict):
            return f"{inner.get('type', 'error')}: {inner.get('reason', '')}"[:300]
        return str(inner)[:300]
    return str(error)[:300]


def _short(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:200]
