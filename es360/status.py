"""`es360 status`: is the cluster reachable, are es360's assets installed, what data is there."""

from __future__ import annotations

from typing import Any

from elasticsearch import ApiError, Elasticsearch

from es360.assets import INDEX_KINDS, index_alias
from es360.config import Settings
from es360.setup import run_setup


def collect_status(es: Elasticsearch, settings: Settings) -> dict[str, Any]:
    """Everything `es360 status` shows, as one JSON-able document."""
    info = es.info()
    out: dict[str, Any] = {
        "cluster": {"url": settings.describe()["es_url"], "name": info.get("cluster_name"),
                    "version": info["version"]["number"], "embedded": settings.uses_embedded_engine},
    }
    report = run_setup(es, settings.prefix, check=True)
    out["assets"] = [i.as_dict() for i in report if i.kind != "index"]
    indices = {}
    for kind in INDEX_KINDS:
        alias = index_alias(kind, settings.prefix)
        try:
            targets = sorted(es.indices.get_alias(name=alias))
            docs = es.count(index=alias)["count"]
        except ApiError:
            targets, docs = [], None
        indices[kind] = {"alias": alias, "indices": targets, "docs": docs}
    out["indices"] = indices
    out["last_ingest"] = _last_ingest(es, index_alias("ingest-log", settings.prefix))
    return out


def _last_ingest(es: Elasticsearch, alias: str) -> list[dict[str, Any]]:
    try:
        resp = es.search(index=alias, size=0, aggs={"by_source": {
            "terms": {"field": "source", "size": 50},
            "aggs": {"latest": {"top_hits": {"size": 1, "sort": [{"finished_at": "desc"}]}}}}})
    except ApiError:
        return []
    out = []
    for bucket in resp["aggregations"]["by_source"]["buckets"]:
        run = bucket["latest"]["hits"]["hits"][0]["_source"]
        out.append({k: run.get(k) for k in ("source", "finished_at", "read", "indexed", "duplicates", "rejected",
                                            "suppressed", "run_id")} | {"runs": bucket["doc_count"]})
    return out
