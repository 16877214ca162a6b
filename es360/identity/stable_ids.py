"""Customer ids that survive re-runs: the previous run's ids (on the records) carry over to the new clusters.

Definitions (docs/identity.md explains them for stewards):
- A record is *older* than another when its created_at is earlier (records without one count as
  newest), ties broken by record_id. A customer's *earliest record* is its oldest record.
- A customer is *older* than another when its earliest record is older.
- An existing id stays with the new cluster that holds its earliest record (still present).
- A cluster that inherits several ids keeps the older customer's id; the others are merged into it.
- A cluster that inherits no id gets a new one: "cus_" + 16 hex digits of SHA-256 of its oldest
  record_id (rehashed with a counter in the rare case that id is taken). A part that leaves an
  existing customer (a split) therefore gets a new id, and re-running on unchanged data changes nothing.

Events for the merge-log (every merge and split, with its evidence):
- merge, kind `customers`: existing customers merged; the older id survives.
- merge, kind `new_records`: records not seen before joined an existing customer.
- merge, kind `new_customer`: records not seen before (all of a first run's) resolved into one new customer.
- split: records left a customer and now belong to another (often new) one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from es360.identity.features import Rec

EvidenceFn = Callable[[list[int], list[int]], tuple[float | None, dict[str, Any]]]
LinksFn = Callable[[list[int]], tuple[float | None, dict[str, Any]]]  # how a group of records was joined


@dataclass
class IdEvent:
    """A merge (ids absorbed into `customer_id`) or a split (records that left `other_customer_ids`)."""

    action: str  # merge | split
    customer_id: str
    other_customer_ids: list[str]
    record_ids: list[str]
    match_weight: float | None = None
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass
class Assignment:
    """The customer id of each cluster, and what changed relative to the previous run."""

    ids: list[str]
    events: list[IdEvent] = field(default_factory=list)
    new_customers: int = 0
    merged_into: dict[str, list[str]] = field(default_factory=dict)  # kept id -> ids merged into it now


def new_customer_id(seed_record_id: str, taken: set[str]) -> str:
    """'cus_' + a short hash of the cluster's oldest record id, never one already in use."""
    k = 0
    while True:
        text = seed_record_id if k == 0 else f"{seed_record_id}#{k}"
        cid = "cus_" + hashlib.sha256(text.encode()).hexdigest()[:16]
        if cid not in taken:
            return cid
        k += 1


def assign_ids(records: list[Rec], clusters: list[list[int]], evidence: EvidenceFn | None = None,
               taken: set[str] | None = None, links: LinksFn | None = None) -> Assignment:
    """Give each cluster (a list of record indexes) a customer id, reusing previous ids where they belong.
    `evidence(xs, ys)` describes what joins two groups of records, `links(members)` how a new customer's
    records were joined; both feed the merge-log events."""
    previous: dict[str, list[int]] = {}
    for r in records:
        if r.customer_id:
            previous.setdefault(r.customer_id, []).append(r.idx)
    cluster_of = {i: c for c, members in enumerate(clusters) for i in members}
    earliest = {old: min(members, key=lambda i: records[i].age_key) for old, members in previous.items()}
    heirs: dict[int, list[str]] = {}
    for old, first in earliest.items():
        heirs.setdefault(cluster_of[first], []).append(old)

    used = set(taken or ()) | set(previous)
    ids: list[str] = []
    out = Assignment(ids)
    for c, members in enumerate(clusters):
        inherited = sorted(heirs.get(c, ()), key=lambda old: (records[earliest[old]].age_key, old))
        if inherited:
            keep = inherited[0]
            if len(inherited) > 1:
                out.merged_into[keep] = inherited[1:]
        else:
            oldest = min(members, key=lambda i: records[i].age_key)
            keep = new_customer_id(records[oldest].record_id, used)
            used.add(keep)
            out.new_customers += 1
        ids.append(keep)

    for c, members in enumerate(clusters):
        keep = ids[c]
        for old in out.merged_into.get(keep, []):
            moved = [i for i in members if records[i].customer_id == old]
            rest = [i for i in members if records[i].customer_id != old]
            weight, detail = evidence(moved, rest) if evidence else (None, {})
            out.events.append(IdEvent("merge", keep, [old], sorted(records[i].record_id for i in moved), weight,
                                      {"kind": "customers", "kept": keep, "merged": old,
                                       "rule": "the older customer keeps its id", **detail}))
        unseen = [i for i in members if not records[i].customer_id]
        if unseen and len(members) > 1:
            out.events.append(_joined_event(records, keep, members, unseen, len(unseen) < len(members), evidence,
                                            links))
        left_from: dict[str, list[int]] = {}
        for i in members:
            old = records[i].customer_id
            if old and cluster_of[earliest[old]] != c:
                left_from.setdefault(old, []).append(i)
        for old, moved in sorted(left_from.items()):
            stayed = [i for i in previous[old] if cluster_of[i] == cluster_of[earliest[old]]]
            weight, detail = evidence(moved, stayed) if evidence else (None, {})
            out.events.append(IdEvent("split", keep, [old], sorted(records[i].record_id for i in moved), weight,
                                      {"left": old, "now": keep, "new_customer": keep not in previous, **detail}))
    return out


def _joined_event(records: list[Rec], keep: str, members: list[int], unseen: list[int], existing: bool,
                  evidence: EvidenceFn | None, links: LinksFn | None) -> IdEvent:
    """The merge of records seen for the first time: into a customer with known records (`existing`),
    or into a new customer made only of new records."""
    if existing:
        seen = [i for i in members if records[i].customer_id]
        weight, detail = evidence(unseen, seen) if evidence else (None, {})
        return IdEvent("merge", keep, [], sorted(records[i].record_id for i in unseen), weight,
                       {"kind": "new_records", "rule": "new records joined a known customer", **detail})
    weight, detail = links(members) if links else (None, {})
    return IdEvent("merge", keep, [], sorted(records[i].record_id for i in members), weight,
                   {"kind": "new_customer", "rule": "new records resolved into one new customer", **detail})
