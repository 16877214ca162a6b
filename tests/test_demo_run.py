"""`es360 demo` end to end on a small world: every system lands, counts reconcile."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from elasticsearch import Elasticsearch

from es360.config import Settings
from es360.demo.run import INGEST_PLAN, run_demo


def test_demo_ingests_every_system(es: Elasticsearch, es_url: str, tmp_path: Path) -> None:
    settings = Settings(es_url=es_url, home=tmp_path, prefix="demotest-")
    report = run_demo(es, settings, customers=150, seed=7, now=datetime(2026, 11, 1, tzinfo=UTC))
    assert [s.name for s in report.steps][:2] == ["setup", "generate"]
    assert len(report.ingest) == len(INGEST_PLAN)
    for run in report.ingest:
        assert run["read"] == run["indexed"] + run["duplicates"] + run["rejected"]
        assert run["rejected"] <= 0.05 * run["read"], run  # the demo's mess is normalized, not rejected
    counts = {k: es.count(index=f"demotest-{k}")["count"] for k in ("records", "activity", "tickets")}
    assert all(n > 0 for n in counts.values()), counts
