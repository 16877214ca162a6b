"""Read source records from Elasticsearch: a point-in-time and search_after, never local files."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from elasticsearch import ApiError, Elasticsearch, NotFoundError, TransportError

from es360.errors import Es360Error
from es360.identity.features import Rec, from_source
from es360.identity.text import canonical_email

RECORD_FIELDS = ["record_id", "source", "source_id", "customer_id", "name", "email", "phone", "birth_date",
                 "address", "consent", "created_at", "updated_at"]
PAGE = 5000


def scan_pit(es: Elasticsearch, index: str, *, query: dict[str, Any] | None = None, fields: list[str] | None = None,
             page: int = PAGE, keep_alive: str = "2m") -> Iterator[dict[str, Any]]:
    """Every hit of `index` (an alias is fine), in a stable order, through a point-in-time."""
    for hits in scan_pages(es, index, query=query, fields=fields, page=page, keep_alive=keep_alive):
        yield from hits


def scan_pages(es: Elasticsearch, index: str, *, query: dict[str, Any] | None = None,
               fields: list[str] | None = None, page: int = PAGE, keep_alive: str = "2m"
               ) -> Iterator[list[dict[str, Any]]]:
    """The hits of `index` page by page, through a point-in-time and search_after. The next page is
    requested as soon as a page arrives, so the cluster serves it while the caller works on this one."""
    try:
        pit = es.open_point_in_time(index=index, keep_alive=keep_alive)["id"]
    except NotFoundError:
        raise Es360Error(f"Index {index} does not exist; run `es360 setup` first.") from None
    base: dict[str, Any] = {"size": page, "sort": [{"_shard_doc": "asc"}], "track_total_hits": False}
    if query is not None:
        base["query"] = query
    if fields is not None:
        base["_source"] = fields

    def fetch(pit_id: str, after: list[Any] | None) -> tuple[str, list[dict[str, Any]]]:
        body = base if after is None else {**base, "search_after": after}
        response = es.search(pit={"id": pit_id, "keep_alive": keep_alive}, **body)
        return response.get("pit_id", pit_id), response["hits"]["hits"]

    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="es360-scan")
    ahead: Future[tuple[str, list[dict[str, Any]]]] | None = None
    try:
        pit, hits = fetch(pit, None)
        while hits:
            if len(hits) >= page:
                ahead = pool.submit(fetch, pit, hits[-1]["sort"])
            yield hits
            if ahead is None:
                return
            pit, hits = ahead.result()
            ahead = None
    finally:
        if ahead is not None:  # the caller stopped early: let the request in flight finish first
            with contextlib.suppress(Exception):
                ahead.result()
        pool.shutdown(wait=True)
        with contextlib.suppress(ApiError, TransportError):  # best effort: the PIT expires anyway
            es.close_point_in_time(id=pit)


def read_records(es: Elasticsearch, alias: str, progress: Callable[[int], None] | None = None) -> list[Rec]:
    """All source records of `alias` as features, ordered (and `idx` numbered) by record_id, so a run
    does not depend on the order the cluster returns documents in. Each page's features are built
    while the next page is read."""
    keyed: list[tuple[str, str, Rec]] = []
    for hits in scan_pages(es, alias):  # whole _source: cheaper to serve than a filtered one
        for hit in hits:
            src = hit.get("_source") or {}
            src.pop("raw", None)
            src.pop("extra", None)
            keyed.append((str(src.get("record_id") or ""), hit["_id"], from_source(0, src, hit["_id"], hit["_index"])))
        if progress is not None:
            progress(len(keyed))
    if progress is not None and not keyed:
        progress(0)
    keyed.sort(key=lambda k: (k[0], k[1]))
    records = [rec for _, _, rec in keyed]
    for i, rec in enumerate(records):
        rec.idx = i
    return records


def activity_emails(es: Elasticsearch, alias: str, record_ids: list[str] | None = None) -> dict[str, set[str]]:
    """record_id -> canonical emails seen with that record's id in activity (an order placed by shop
    account S-1 with another address, a web login): evidence that the record's owner uses them."""
    if not es.indices.exists_alias(name=alias):
        return {}
    filters: list[dict[str, Any]] = [{"exists": {"field": "identity.source_id"}}, {"exists": {"field": "identity.email"}}]
    if record_ids is not None:
        filters.append({"terms": {"identity.source_id": sorted({r.partition(":")[2] for r in record_ids})}})
    sources = [{"source": {"terms": {"field": "identity.source"}}}, {"id": {"terms": {"field": "identity.source_id"}}},
               {"email": {"terms": {"field": "identity.email"}}}]
    out: dict[str, set[str]] = {}
    for key in composite_buckets(es, alias, {"bool": {"filter": filters}}, sources):
        email = canonical_email(str(key["email"]))
        if email:
            out.setdefault(f"{key['source']}:{key['id']}", set()).add(email)
    return out


def composite_buckets(es: Elasticsearch, index: str, query: dict[str, Any], sources: list[dict[str, Any]],
                      runtime_mappings: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
    """Every bucket key of a composite aggregation over `index`, page by page."""
    after: dict[str, Any] | None = None
    extra: dict[str, Any] = {"runtime_mappings": runtime_mappings} if runtime_mappings else {}
    while True:
        composite: dict[str, Any] = {"size": PAGE, "sources": sources}
        if after is not None:
            composite["after"] = after
        response = es.search(index=index, size=0, query=query, aggs={"pairs": {"composite": composite}}, **extra)
        agg = response["aggregations"]["pairs"]
        for bucket in agg["buckets"]:
            yield bucket["key"]
        after = agg.get("after_key")
        if not agg["buckets"] or after is None:
            return
