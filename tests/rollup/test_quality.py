"""The churn-risk quality measure (AUC) and the synthetic world it is checked on."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from es360.rollup.quality import auc, evaluate
from es360.rollup.synthetic import flat_events, generate


def test_auc_of_perfect_reversed_and_tied_rankings() -> None:
    assert auc([0.1, 0.2, 0.8, 0.9], [False, False, True, True]) == 1.0
    assert auc([0.9, 0.8, 0.2, 0.1], [False, False, True, True]) == 0.0
    assert auc([0.5, 0.5, 0.5, 0.5], [False, True, False, True]) == 0.5
    assert auc([1, 2, 2, 3], [False, False, True, True]) == pytest.approx(0.875)
    assert math.isnan(auc([1, 2], [True, True]))


def test_evaluate_counts_unscored_customers_and_stages() -> None:
    rollups = {"a": {"churn": {"risk": 90, "stage": "churned"}}, "b": {"churn": {"risk": 10, "stage": "active"}},
               "c": {"churn": {"stage": "prospect"}}}
    result = evaluate(rollups, {"a": True, "b": False, "c": True, "d": False})
    assert result.auc == 1.0 and (result.positives, result.negatives, result.unscored) == (1, 1, 2)
    assert result.stages == {"churned": {"churned": 1, "prospect": 1}, "not_churned": {"active": 1, "missing": 1}}


def test_synthetic_world_is_seeded_and_labelled() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    people, docs = generate(50, seed=5, now=now)
    again, docs_again = generate(50, seed=5, now=now)
    first = list(docs)
    assert people == again and first == list(docs_again)
    assert {p.segment for p in people} >= {"loyal", "churned"}
    churned = {p.customer_id for p in people if p.churned}
    last_order = {}
    for d in first:
        if d["event"]["action"] == "order":
            last_order[d["customer_id"]] = max(last_order.get(d["customer_id"], ""), d["@timestamp"])
    assert all(last_order[c] < "2025-09-04" for c in churned if c in last_order)  # silent for 120+ days
    flat = list(flat_events(100, 10, now=now))
    assert len(flat) == 100 and len({d["customer_id"] for d in flat}) <= 10
