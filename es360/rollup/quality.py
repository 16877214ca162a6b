"""How well churn risk ranks customers who really churned: ROC AUC against a labelled truth."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from elasticsearch import Elasticsearch, helpers

from es360.assets import index_alias


def auc(scores: Sequence[float], labels: Sequence[bool]) -> float:
    """ROC AUC by the Mann-Whitney rank sum (ties count half); NaN when one class is empty."""
    if len(scores) != len(labels):
        raise ValueError("scores and labels differ in length")
    positives = sum(1 for y in labels if y)
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        return float("nan")
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    rank_sum = 0.0
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        mid_rank = (i + j) / 2 + 1  # ranks are 1-based; a run of ties shares the average rank
        rank_sum += mid_rank * sum(1 for k in range(i, j + 1) if labels[order[k]])
        i = j + 1
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def read_rollup(es: Elasticsearch, prefix: str, fields: Sequence[str] = ("customer_id", "churn", "rfm"),
                ) -> Iterator[dict[str, Any]]:
    """Every rollup document (the requested fields), streamed."""
    for hit in helpers.scan(es, index=index_alias("rollup", prefix), query={"query": {"match_all": {}}},
                            _source=list(fields), size=2000):
        yield hit["_source"]


@dataclass
class ChurnQuality:
    """AUC of churn risk for a churned label, with coverage and stage-by-truth counts."""

    auc: float
    positives: int
    negatives: int
    unscored: int  # labelled customers without a rollup document or without a risk (prospects)
    stages: dict[str, dict[str, int]] = field(default_factory=dict)  # truth label -> stage -> customers

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def evaluate(rollups: Mapping[str, Mapping[str, Any]], labels: Mapping[str, bool],
             groups: Mapping[str, str] | None = None) -> ChurnQuality:
    """AUC of `churn.risk` for `labels` (customer_id -> churned) over customers that have a risk.

    `groups` (customer_id -> e.g. the truth segment) only shapes the stage table; default: the label.
    """
    scores: list[float] = []
    truth: list[bool] = []
    stages: dict[str, Counter[str]] = {}
    unscored = 0
    for cid, churned in labels.items():
        churn = (rollups.get(cid) or {}).get("churn") or {}
        group = groups.get(cid, "?") if groups is not None else ("churned" if churned else "not_churned")
        stages.setdefault(group, Counter())[str(churn.get("stage", "missing"))] += 1
        if churn.get("risk") is None:
            unscored += 1
            continue
        scores.append(float(churn["risk"]))
        truth.append(bool(churned))
    return ChurnQuality(auc=auc(scores, truth), positives=sum(truth), negatives=len(truth) - sum(truth),
                        unscored=unscored, stages={g: dict(c) for g, c in sorted(stages.items())})


def churn_quality(es: Elasticsearch, prefix: str, labels: Mapping[str, bool],
                  groups: Mapping[str, str] | None = None) -> ChurnQuality:
    """Read the rollup index and evaluate churn risk against `labels` (customer_id -> churned)."""
    rollups = {doc["customer_id"]: doc for doc in read_rollup(es, prefix)}
    return evaluate(rollups, labels, groups)
