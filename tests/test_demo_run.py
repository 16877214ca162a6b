"""`es360 demo` end to end on a small world: every system lands, counts reconcile."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from elasticsearch import Elasticsearch

from es360.config import Settings
from es360.demo.run import INGEST_PLAN, run_demo


def test_demo_ingests_every_system(es: Elasticsearch, es_url: str, tmp_path: Path) -> None:
    settings = Settings(es_url=es_url, home=tmp_path, prefix="demotest-")
    report = run_demo(es, settings, customers=150, seed=7, now=datetime(2026, 11, 1, tzinfo=UTC), embeddings=False)
    names = [s.name for s in report.steps]
    assert names[:2] == ["setup", "generate"]
    assert names[-4:] == ["resolve", "tag activity", "rollup", "dashboards"]
    assert len(report.ingest) == len(INGEST_PLAN)
    for run in report.ingest:
        assert run["read"] == run["indexed"] + run["duplicates"] + run["rejected"] + run["suppressed"]
        assert run["rejected"] <= 0.05 * run["read"], run  # the demo's mess is normalized, not rejected
    counts = {k: es.count(index=f"demotest-{k}")["count"] for k in ("records", "activity", "tickets")}
    assert all(n > 0 for n in counts.values()), counts
    assert report.resolve["precision"] > 0.9 and report.resolve["recall"] > 0.8, report.resolve
    orders = {"term": {"event.category": "order"}}  # every order names its buyer; anonymous web visits do not
    tagged = es.count(index="demotest-activity", query={"bool": {"filter": [orders, {"exists": {"field": "customer_id"}}]}})
    assert tagged["count"] > 0.95 * es.count(index="demotest-activity", query=orders)["count"] > 0
    assert es.count(index="demotest-rollup")["count"] > 50
    assert Path(report.dashboard or "").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
