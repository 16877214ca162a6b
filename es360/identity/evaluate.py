"""Quality of a resolution against known truth: pairwise and cluster-level precision and recall."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from es360.errors import Es360Error


@dataclass
class Evaluation:
    """Pairwise: pairs of records that are the same person. B-cubed: per record, averaged.
    Exact: share of true people whose records form exactly one predicted customer."""

    records: int
    true_people: int
    predicted_customers: int
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int
    precision: float
    recall: float
    f1: float
    bcubed_precision: float
    bcubed_recall: float
    bcubed_f1: float
    exact_cluster_rate: float
    unknown_records: int = 0  # records in the resolution that the truth does not mention

    def as_dict(self) -> dict[str, Any]:
        return {k: round(v, 5) if isinstance(v, float) else v for k, v in asdict(self).items()}


Truth = dict[str, tuple[str, ...]]  # record_id -> the person(s) it belongs to


def load_truth(path: Path) -> Truth:
    """record_id -> person ids from a truth file in the demo's format (JSON lines).

    Each line is `{"person_id": ..., "records": [{"source": "crm", "id": "C-1"}, ...]}`; a support
    record is `{"source": "support", "email": ...}` (its source id is the requester email, trimmed as
    ingest trims it). Entries
    without an id (web cookies) are skipped. A record may belong to several people (a household's
    shared support address).
    """
    if not path.is_file():
        raise Es360Error(f"Truth file {path} does not exist.")
    truth: dict[str, tuple[str, ...]] = {}
    with path.open() as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                person = str(row["person_id"])
                for rec in row["records"]:
                    key = rec.get("id", rec.get("email"))
                    if key is None:
                        continue
                    record_id = f"{rec['source']}:{str(key).strip()}"  # ingest trims values
                    truth[record_id] = (*truth.get(record_id, ()), person)
            except (ValueError, KeyError, TypeError, AttributeError):
                raise Es360Error(f"{path} line {number} is not a truth row "
                                 '({"person_id": ..., "records": [{"source": ..., "id": ...}]}).') from None
    return truth


def as_truth(mapping: dict[str, str]) -> Truth:
    """A plain record_id -> person id mapping as Truth."""
    return {record_id: (person,) for record_id, person in mapping.items()}


def _attribute(predicted: dict[str, str], truth: Truth, shared: list[str]) -> dict[str, str]:
    """One person per record: a record the truth gives to several people is credited to the person
    whose other records share its predicted customer most (ties: the first listed)."""
    single = {r: people[0] for r, people in truth.items() if len(people) == 1}
    by_cluster: dict[str, Counter[str]] = {}
    for record_id in shared:
        by_cluster.setdefault(predicted[record_id], Counter())
    for record_id, customer in predicted.items():
        if customer in by_cluster and record_id in single:
            by_cluster[customer][single[record_id]] += 1
    out = dict(single)
    for record_id in shared:
        counts = by_cluster[predicted[record_id]]
        out[record_id] = max(truth[record_id], key=lambda p: (counts[p], -truth[record_id].index(p)))
    return out


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def evaluate(predicted: dict[str, str], truth: Truth | dict[str, str]) -> Evaluation:
    """Compare predicted (record_id -> customer id) with truth (record_id -> person ids) on the records
    both know."""
    full: Truth = {r: (p,) if isinstance(p, str) else tuple(p) for r, p in truth.items()}
    shared = [r for r in predicted if r in full]
    if not shared:
        raise Es360Error("None of the resolved records appear in the truth file; is it the truth of this data?")
    truth = _attribute(predicted, full, [r for r in shared if len(full[r]) > 1])
    joint = Counter((predicted[r], truth[r]) for r in shared)
    pred_sizes = Counter(predicted[r] for r in shared)
    true_sizes = Counter(truth[r] for r in shared)
    correct = sum(_pairs(c) for c in joint.values())
    pred_pairs = sum(_pairs(c) for c in pred_sizes.values())
    true_pairs = sum(_pairs(c) for c in true_sizes.values())
    precision = correct / pred_pairs if pred_pairs else 1.0
    recall = correct / true_pairs if true_pairs else 1.0
    n = len(shared)
    b_precision = sum(c * c / pred_sizes[p] for (p, _t), c in joint.items()) / n
    b_recall = sum(c * c / true_sizes[t] for (_p, t), c in joint.items()) / n
    exact = sum(1 for (p, t), c in joint.items() if c == pred_sizes[p] == true_sizes[t])
    return Evaluation(
        records=n, true_people=len(true_sizes), predicted_customers=len(pred_sizes), true_pairs=true_pairs,
        predicted_pairs=pred_pairs, correct_pairs=correct, precision=precision, recall=recall,
        f1=_f1(precision, recall), bcubed_precision=b_precision, bcubed_recall=b_recall,
        bcubed_f1=_f1(b_precision, b_recall), exact_cluster_rate=exact / len(true_sizes),
        unknown_records=len(predicted) - n,
    )
