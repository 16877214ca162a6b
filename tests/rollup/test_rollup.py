"""The per-customer rollup: the transform and pipeline assets, run end to end on the cluster under test."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from elasticsearch import Elasticsearch, helpers

from es360.rollup import service
from es360.setup import run_setup

PREFIX = "rolltest-"
NOW = datetime.now(UTC)


def ts(days_ago: float) -> str:
    return (NOW - timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def order(cid: str, n: int, days_ago: float, amount: float, currency: str = "EUR", refund: bool = False) -> dict:
    return {"@timestamp": ts(days_ago), "customer_id": cid,
            "event": {"dataset": "test.shop", "id": f"{cid}-o{n}", "category": "order",
                      "action": "refund" if refund else "order"},
            "order": {"id": f"{cid}-o{n}", "amount": amount, "currency": currency}}


def event(cid: str | None, n: int, days_ago: float, category: str, action: str, **extra: Any) -> dict:
    doc = {"@timestamp": ts(days_ago), "event": {"dataset": f"test.{category}", "id": f"{cid}-{category}{n}",
                                                  "category": category, "action": action}, **extra}
    if cid is not None:
        doc["customer_id"] = cid
    return doc


def world() -> Iterator[dict]:
    """Six customers whose rollups are known by construction, plus an event nobody owns."""
    for i in range(20):  # loyal: 20 orders of 100 EUR, every 20 days; one refund of 50 EUR 10 days ago
        yield order("loyal", i, 5 + 20 * i, 100.0)
    yield order("loyal", 99, 10, 50.0, refund=True)
    for i in range(4):
        yield event("loyal", i, 3 + i * 5, "web", "session_start", session={"id": f"s{i}"})
    yield event("loyal", 1, 12, "email", "send")
    yield event("loyal", 2, 12, "email", "click")
    for i in range(6):  # churned: six orders a year and a half ago, then silence, an unsubscribe, an angry ticket
        yield order("churned", i, 400 + 30 * i, 80.0, currency="USD")
    yield event("churned", 1, 380, "email", "unsubscribe")
    yield event("churned", 2, 5, "email", "send")
    yield event("churned", 3, 390, "support", "ticket_opened", ticket={"id": "T1", "csat": 1, "escalated": True})
    yield order("new", 1, 10, 30.0)
    yield order("one_time", 1, 200, 45.0)
    for i in range(5):  # reactivated: five orders two years ago, back 20 days ago
        yield order("reactivated", i, 500 + 40 * i, 60.0)
    yield order("reactivated", 9, 20, 60.0)
    yield event("prospect", 1, 4, "email", "open")
    yield event(None, 1, 4, "web", "page_view")


def rollups(es: Elasticsearch) -> dict[str, dict[str, Any]]:
    hits = es.search(index=f"{PREFIX}rollup", size=100)["hits"]["hits"]
    return {h["_source"]["customer_id"]: h["_source"] for h in hits}


@pytest.fixture(scope="module")
def rolled(es: Elasticsearch) -> dict[str, dict[str, Any]]:
    """Set up the prefix, ingest the world through the activity pipeline, run the first checkpoint."""
    run_setup(es, PREFIX)
    tid = service.transform_id(PREFIX)
    if es.transform.get_transform_stats(transform_id=tid)["transforms"][0]["state"] != "stopped":
        es.transform.stop_transform(transform_id=tid, wait_for_completion=True)
    es.transform.reset_transform(transform_id=tid)
    # a short sync delay so a test need not wait a minute for new events to be eligible
    es.transform.update_transform(transform_id=tid, sync={"time": {"field": "@timestamp", "delay": "1s"}})
    helpers.bulk(es, ({"_index": f"{PREFIX}activity", "_source": d} for d in world()), refresh=True)
    service.start(es, PREFIX)
    service.wait_for_checkpoint(es, PREFIX, 1, timeout_s=60)
    return rollups(es)


def test_setup_installs_the_rollup_assets(es: Elasticsearch, rolled: dict[str, dict[str, Any]]) -> None:
    assert es.transform.get_transform(transform_id=f"{PREFIX}rollup")["transforms"][0]["dest"] == {
        "index": f"{PREFIX}rollup", "pipeline": f"{PREFIX}rollup"}
    assert f"{PREFIX}rollup" in es.ingest.get_pipeline(id=f"{PREFIX}rollup")
    assert {i.action for i in run_setup(es, PREFIX, check=True) if i.name == f"{PREFIX}rollup"
            and i.kind == "pipeline"} == {"unchanged"}


def test_only_customers_with_activity_get_a_rollup(rolled: dict[str, dict[str, Any]]) -> None:
    assert set(rolled) == {"loyal", "churned", "new", "one_time", "reactivated", "prospect"}


def test_loyal_customer_spend_windows_and_scores(rolled: dict[str, dict[str, Any]]) -> None:
    loyal = rolled["loyal"]
    assert loyal["spend"]["lifetime_net"] == 1950.0  # 20 x 100 minus a 50 refund
    assert loyal["spend"]["last_30d"] == 150.0  # orders 5 and 25 days ago, minus the refund 10 days ago
    assert loyal["orders"]["count"] == 20 and loyal["orders"]["refunds"] == 1
    assert loyal["orders"]["last_30d"] == 2 and loyal["orders"]["last_90d"] == 5
    assert loyal["orders"]["prev_90d"] == 4 and loyal["orders"]["last_365d"] == 18
    assert loyal["orders"]["avg_value"] == 97.5
    assert loyal["web"]["sessions_30d"] == 4 and loyal["email"]["clicks_90d"] == 1
    assert loyal["email"]["sends_90d"] == 1 and loyal["email"]["unsubscribed"] is False
    assert loyal["rfm"] == {"recency_days": 5, "recency": 5, "frequency": 5, "monetary": 4,
                            "segment": "champions"}
    assert loyal["churn"]["stage"] == "active" and loyal["churn"]["risk"] < 15
    assert loyal["last_activity_at"].startswith(ts(3)[:10])  # the email send 12 days ago is not her activity


def test_churned_customer_signals(rolled: dict[str, dict[str, Any]]) -> None:
    churned = rolled["churned"]
    assert churned["spend"]["lifetime_net"] == pytest.approx(6 * 80 * 0.92)  # USD converted at ingest
    assert churned["spend"]["last_365d"] == 0 and churned["orders"]["last_365d"] == 0
    assert churned["email"]["unsubscribed"] is True and churned["tickets"]["negative"] == 1
    assert churned["tickets"]["avg_csat"] == 1.0 and churned["tickets"]["total"] == 1
    assert churned["rfm"]["recency_days"] == 400 and churned["rfm"]["segment"] == "cannot_lose"
    assert churned["churn"]["stage"] == "churned" and churned["churn"]["risk"] >= 85
    assert {"overdue", "unsubscribed", "silent"} <= set(churned["churn"]["reasons"])
    assert churned["churn"]["risk"] > rolled["one_time"]["churn"]["risk"] > rolled["loyal"]["churn"]["risk"]


def test_lifecycle_stages(rolled: dict[str, dict[str, Any]]) -> None:
    stages = {cid: doc["churn"]["stage"] for cid, doc in rolled.items()}
    assert stages == {"loyal": "active", "churned": "churned", "new": "new", "one_time": "one_time",
                      "reactivated": "reactivated", "prospect": "prospect"}
    assert "risk" not in rolled["prospect"]["churn"] and rolled["prospect"]["rfm"] == {"segment": "prospect"}
    assert rolled["new"]["rfm"]["segment"] == "new_customers"


def test_a_new_order_updates_only_that_customer(es: Elasticsearch, rolled: dict[str, dict[str, Any]]) -> None:
    before = rollups(es)
    checkpoint = service.status(es, PREFIX).checkpoint
    fresh = order("one_time", 2, 0, 70.0)
    fresh["@timestamp"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    es.index(index=f"{PREFIX}activity", document=fresh, refresh=True)
    time.sleep(1.2)  # past the (test) sync delay
    es.transform.schedule_now_transform(transform_id=service.transform_id(PREFIX))
    service.wait_for_checkpoint(es, PREFIX, checkpoint + 1, timeout_s=30)
    after = rollups(es)
    assert after["one_time"]["orders"]["count"] == 2 and after["one_time"]["spend"]["lifetime_net"] == 115.0
    assert after["one_time"]["churn"]["stage"] == "active" and after["one_time"]["rfm"]["recency_days"] == 0
    assert after["one_time"]["computed_at"] > before["one_time"]["computed_at"]
    unchanged = {cid for cid in before if cid != "one_time" and after[cid] == before[cid]}
    assert unchanged == set(before) - {"one_time"}


def test_status_reports_checkpoint_lag_and_freshness(es: Elasticsearch, rolled: dict[str, dict[str, Any]]) -> None:
    st = service.status(es, PREFIX)
    assert st.state in ("started", "indexing") and st.health == "green"
    assert st.checkpoint >= 1 and st.customers == 6 and st.pipeline_errors == 0
    assert st.lag_seconds is not None and st.lag_seconds >= 1  # at least the sync delay
    assert st.windows_age_seconds is not None and st.windows_age_seconds < 600


def test_stop_then_start(es: Elasticsearch, rolled: dict[str, dict[str, Any]]) -> None:
    assert service.stop(es, PREFIX).state == "stopped"
    assert service.stop(es, PREFIX).state == "stopped"  # idempotent
    assert service.start(es, PREFIX).state in ("started", "indexing")


def test_recompute_refreshes_everyone_and_drops_orphans(es: Elasticsearch,
                                                        rolled: dict[str, dict[str, Any]]) -> None:
    es.index(index=f"{PREFIX}rollup", id="ghost", document={"customer_id": "merged-away",
                                                              "computed_at": "2020-01-01T00:00:00Z"}, refresh=True)
    before = rollups(es)
    skipped = service.recompute(es, PREFIX, max_age_s=365 * 86400 * 10)
    assert skipped.skipped  # the oldest rollup (2020) is younger than ten years
    report = service.recompute(es, PREFIX, timeout_s=60)
    assert report.removed_orphans == 1 and report.customers == 6 and report.checkpoint == 1
    after = rollups(es)
    assert set(after) == set(before) - {"merged-away"}
    assert all(after[c]["computed_at"] > before[c]["computed_at"] for c in after)
    assert service.status(es, PREFIX).state in ("started", "indexing")


def test_commands_report_a_missing_setup_in_one_sentence(es_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import typer
    from typer.testing import CliRunner

    from es360.rollup.commands import register

    app = typer.Typer()
    register(app)
    monkeypatch.setenv("ES360_ES_URL", es_url)
    monkeypatch.setenv("ES360_PREFIX", "nosuchprefix-")
    result = CliRunner().invoke(app, ["rollup", "status"])
    assert result.exit_code == 1
    message = " ".join(result.output.split())
    assert "rollup transform nosuchprefix-rollup is not installed; run `es360 setup` first." in message
    assert "Traceback" not in result.output


def test_status_command_prints_json(es_url: str, rolled: dict[str, dict[str, Any]],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    import typer
    from typer.testing import CliRunner

    from es360.rollup.commands import register

    app = typer.Typer()
    register(app)
    monkeypatch.setenv("ES360_ES_URL", es_url)
    monkeypatch.setenv("ES360_PREFIX", PREFIX)
    result = CliRunner().invoke(app, ["rollup", "status", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["transform_id"] == f"{PREFIX}rollup" and payload["customers"] == 6
