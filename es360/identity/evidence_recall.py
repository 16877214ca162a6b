"""Recall split by the evidence the truth leaves: pairs a shared identifier connects vs name-only pairs.

A true pair of records is *identifier-linked* when, among that person's records, a chain of records
sharing a contact point joins them: the same mailbox (canonical email, or one seen with the record in
activity or in tickets quoting its orders), the same phone number (last 8 digits), the same birth date, or the same street address
(postcode and street). Every other true pair is *name-only*: nothing but a name (often a common one,
or only a first name) speaks for it, and a careful human could not link it either without risking
namesakes. Reporting the two recalls separately shows how much of the missed recall is recoverable.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from es360.identity.evaluate import Truth
from es360.identity.features import Rec


@dataclass
class EvidenceRecall:
    """True and found pairs per evidence class."""

    linked_pairs: int
    linked_found: int
    name_only_pairs: int
    name_only_found: int

    @property
    def linked_recall(self) -> float:
        return self.linked_found / self.linked_pairs if self.linked_pairs else 1.0

    @property
    def name_only_recall(self) -> float:
        return self.name_only_found / self.name_only_pairs if self.name_only_pairs else 1.0

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "linked_recall": round(self.linked_recall, 5),
                "name_only_recall": round(self.name_only_recall, 5)}


def _contact_keys(r: Rec) -> set[str]:
    keys = {f"e:{e}" for e in (r.alt_emails | {r.email_canon}) if e}
    if r.phone_tail:
        keys.add(f"p:{r.phone_tail}")
    if r.dob:
        keys.add(f"d:{r.dob}")
    if r.postcode and r.street:
        keys.add(f"a:{r.postcode}|{r.street}")
    return keys


def _components(recs: list[Rec]) -> list[int]:
    """A component label per record: records joined by chains of shared contact keys."""
    parent = list(range(len(recs)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_with: dict[str, int] = {}
    for i, r in enumerate(recs):
        for key in _contact_keys(r):
            j = first_with.setdefault(key, i)
            parent[find(i)] = find(j)
    return [find(i) for i in range(len(recs))]


def recall_by_evidence(records: list[Rec], predicted: dict[str, str], truth: Truth) -> EvidenceRecall:
    """Recall over identifier-linked and over name-only true pairs (records the truth gives to one person)."""
    people: dict[str, list[Rec]] = {}
    for r in records:
        owners = truth.get(r.record_id, ())
        if len(owners) == 1 and r.record_id in predicted:
            people.setdefault(owners[0], []).append(r)
    out = EvidenceRecall(0, 0, 0, 0)
    for recs in people.values():
        if len(recs) < 2:
            continue
        components = _components(recs)
        for i in range(len(recs)):
            for j in range(i + 1, len(recs)):
                found = predicted[recs[i].record_id] == predicted[recs[j].record_id]
                if components[i] == components[j]:
                    out.linked_pairs += 1
                    out.linked_found += found
                else:
                    out.name_only_pairs += 1
                    out.name_only_found += found
    return out


def name_only_share(result: EvidenceRecall) -> float:
    """The share of true pairs that only a name speaks for."""
    total = result.linked_pairs + result.name_only_pairs
    return result.name_only_pairs / total if total else 0.0

