"""`es360 explain A B`: the evidence between two records and why they are (not) one customer."""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from elasticsearch import Elasticsearch

from es360.errors import Es360Error
from es360.identity.attach import address_keys, name_keys
from es360.identity.cluster import Clusterer
from es360.identity.compare import compare, mark_shared_contacts, shares_identifier
from es360.identity.domains import attach_domain_typos, model_domain_counts
from es360.identity.features import Rec, from_source
from es360.identity.lone_names import settle_model_lone_names
from es360.identity.matcher import score_pair
from es360.identity.model import Model
from es360.identity.overrides import load_overrides
from es360.identity.requesters import complete_requesters, requester_details
from es360.identity.resolve import attach_seen_mailboxes, load_model
from es360.identity.source import RECORD_FIELDS
from es360.identity.spelling import attach_model_spellings

_CONTEXT_LIMIT = 500


@dataclass
class Explanation:
    """Everything `explain` shows, JSON-ready through `as_dict`."""

    a: dict[str, Any]
    b: dict[str, Any]
    evidence: dict[str, Any]
    threshold_weight: float
    prior_weight: float
    decision: str  # same_customer | different_customers | not_resolved
    reason: str
    path: list[dict[str, Any]] = field(default_factory=list)
    linkage: dict[str, Any] | None = None
    override: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"a": self.a, "b": self.b, "evidence": self.evidence,
                "threshold_weight": round(self.threshold_weight, 3), "prior_weight": round(self.prior_weight, 3),
                "decision": self.decision, "reason": self.reason, "path": self.path, "linkage": self.linkage,
                "override": self.override}


def _fetch(es: Elasticsearch, alias: str, query: dict[str, Any], size: int = _CONTEXT_LIMIT) -> list[dict[str, Any]]:
    return es.search(index=alias, query=query, size=size, _source=RECORD_FIELDS)["hits"]["hits"]


def _recs(hits: list[dict[str, Any]]) -> list[Rec]:
    hits = sorted({h["_id"]: h for h in hits}.values(), key=lambda h: str(h["_source"].get("record_id")))
    return [from_source(i, h["_source"], h["_id"], h["_index"]) for i, h in enumerate(hits)]


def _summary(r: Rec) -> dict[str, Any]:
    doc = r.doc
    return {"record_id": r.record_id, "customer_id": r.customer_id, "name": (doc.get("name") or {}).get("full"),
            "email": doc.get("email"), "phone": doc.get("phone"), "birth_date": doc.get("birth_date"),
            "address": doc.get("address"), "created_at": doc.get("created_at"),
            "compared_name": {"first": r.first, "last": r.last},
            "name_from_email": r.name_from_email.split(",") if r.name_from_email else [],
            "first_name_read_as": r.first_alt or None,
            "mailboxes_seen": sorted(r.alt_emails),  # used with the record in activity or named in tickets
            "completed_from_tickets": list(r.completed)}


def _with_context(es: Elasticsearch, alias: str, core: list[dict[str, Any]], model: Model) -> list[Rec]:
    """The records plus those sharing their email or phone, so shared (household) contacts are seen."""
    should: list[dict[str, Any]] = []
    for hit in core:
        src = hit["_source"]
        if src.get("email"):
            should.append({"term": {"email": src["email"]}})
        if src.get("phone"):
            should.append({"term": {"phone": src["phone"]}})
    extra = _fetch(es, alias, {"bool": {"should": should}}) if should else []
    return _prepared(es, alias, model, _recs(core + extra))


def _prepared(es: Elasticsearch, alias: str, model: Model, recs: list[Rec]) -> list[Rec]:
    """Records read as the run that fitted `model` read them: requesters completed from all their
    tickets; mailboxes seen in activity, in tickets quoting their orders and named in their tickets'
    text; lone name words in the part the run gave them; misspelt first names and mistyped mail
    domains; shared family contacts."""
    prefix = alias[: -len("records")]
    complete_requesters(recs, requester_details(es, f"{prefix}tickets", [r.email for r in recs]))
    attach_seen_mailboxes(es, prefix, recs, only_these=True)
    settle_model_lone_names(recs, model)
    attach_model_spellings(recs, model)
    attach_domain_typos(recs, model_domain_counts(model))
    mark_shared_contacts(recs)
    return recs


def _widest_path(recs: list[Rec], model: Model, start: int, goal: int) -> list[tuple[int, int, float]]:
    """The chain of links from start to goal whose weakest link is strongest (maximin path)."""
    n = len(recs)
    weights = {(i, j): score_pair(model, recs[i], recs[j]).weight for i in range(n) for j in range(n) if i < j}
    best = {start: float("inf")}
    previous: dict[int, int] = {}
    heap = [(-float("inf"), start)]
    while heap:
        width, node = heapq.heappop(heap)
        if node == goal:
            break
        for other in range(n):
            if other == node:
                continue
            w = weights[(min(node, other), max(node, other))]
            candidate = min(-width, w)
            if candidate > best.get(other, -float("inf")):
                best[other] = candidate
                previous[other] = node
                heapq.heappush(heap, (-candidate, other))
    chain, node = [], goal
    while node != start and node in previous:
        prev = previous[node]
        chain.append((prev, node, weights[(min(prev, node), max(prev, node))]))
        node = prev
    return list(reversed(chain))


def explain(es: Elasticsearch, prefix: str, home: Path, record_a: str, record_b: str) -> Explanation:
    """Evidence and clustering decision for two record ids (source:source_id)."""
    alias = f"{prefix}records"
    model = load_model(home, prefix)
    core = _fetch(es, alias, {"terms": {"record_id": [record_a, record_b]}}, 10)
    found = {h["_source"].get("record_id") for h in core}
    for wanted in (record_a, record_b):
        if wanted not in found:
            raise Es360Error(f"No record {wanted} in {alias}; record ids look like crm:C-1 (source:source_id).")
    recs = _with_context(es, alias, core, model)
    a = next(r for r in recs if r.record_id == record_a)
    b = next(r for r in recs if r.record_id == record_b)
    score = score_pair(model, a, b)
    evidence = {**score.as_dict(), "levels": compare(a, b).describe()}
    out = Explanation(_summary(a), _summary(b), evidence, model.threshold_weight, model.prior_weight, "", "")
    overrides = load_overrides(home)
    pair = tuple(sorted((record_a, record_b)))
    if pair in overrides.must_merge:
        out.override = "must_merge"
    elif pair in overrides.do_not_merge:
        out.override = "do_not_merge"
    if not a.customer_id or not b.customer_id:
        out.decision, out.reason = "not_resolved", "at least one record has no customer yet; run `es360 resolve`"
        return out
    if a.customer_id == b.customer_id:
        _explain_same(es, alias, model, out, a, b)
    else:
        _explain_apart(es, alias, model, out, a, b)
    return out


def _explain_same(es: Elasticsearch, alias: str, model: Model, out: Explanation, a: Rec, b: Rec) -> None:
    out.decision = "same_customer"
    if out.override == "must_merge":
        out.reason = "a data steward recorded these two records as one person (must-merge)"
        return
    if out.evidence["weight"] >= model.threshold_weight:
        out.reason = (f"linked directly: match weight {out.evidence['weight']:.1f} reaches the threshold "
                      f"{model.threshold_weight:.1f} and the customers' records agreed at cluster level")
        return
    members = _prepared(es, alias, model, _recs(_fetch(es, alias, {"term": {"customer_id": a.customer_id}}, 200)))
    ia = next(r.idx for r in members if r.record_id == a.record_id)
    ib = next(r.idx for r in members if r.record_id == b.record_id)
    chain = _widest_path(members, model, ia, ib)
    out.path = [{"a": members[x].record_id, "b": members[y].record_id, "weight": round(w, 3)} for x, y, w in chain]
    hops = " -> ".join([members[chain[0][0]].record_id] + [members[y].record_id for _, y, _ in chain]) if chain else ""
    if chain and min(w for _, _, w in chain) >= model.threshold_weight:
        out.reason = f"linked through other records of customer {a.customer_id}: {hops}"
        return
    x, y, w = min(chain, key=lambda step: step[2]) if chain else (ia, ib, out.evidence["weight"])
    if set(address_keys(members[x])) & set(address_keys(members[y])):
        out.reason = (f"joined by the same-address rule: {members[x].record_id} and {members[y].record_id} carry the "
                      f"same full name at the same street address and nothing contradicts (weight {w:.1f}); "
                      f"chain: {hops}")
    elif set(name_keys(members[x])) & set(name_keys(members[y])):
        out.reason = (f"joined by the unique-name rule: {members[x].record_id} and {members[y].record_id} carry the "
                      f"same full name, no other customer has it and nothing contradicts (weight {w:.1f}); "
                      f"chain: {hops}")
    else:
        out.reason = f"joined by a steward override or a deterministic rule; chain: {hops}"


def _explain_apart(es: Elasticsearch, alias: str, model: Model, out: Explanation, a: Rec, b: Rec) -> None:
    out.decision = "different_customers"
    if out.override == "do_not_merge":
        out.reason = "a data steward recorded these two records as different people (do-not-merge)"
        return
    weight = out.evidence["weight"]
    if weight < model.threshold_weight:
        out.reason = (f"match weight {weight:.1f} is below the threshold {model.threshold_weight:.1f} "
                      f"(probability {out.evidence['probability']:.3f} < {model.threshold})")
        return
    group = _prepared(es, alias, model,
                      _recs(_fetch(es, alias, {"terms": {"customer_id": [a.customer_id, b.customer_id]}}, 400)))
    xs = [r.idx for r in group if r.customer_id == a.customer_id]
    ys = [r.idx for r in group if r.customer_id == b.customer_id]
    settings = model.clustering
    clusterer = Clusterer(len(group), lambda i, j: score_pair(model, group[i], group[j]).weight, model.threshold_weight,
                          clip=settings.get("clip", 15.0), contradiction=settings.get("contradiction", 8.0),
                          min_linkage=settings.get("min_linkage"))
    clusterer.members = {xs[0]: xs, ys[0]: ys}
    mean, best, support, against = clusterer.linkage(xs[0], ys[0])
    out.linkage = {"mean_weight": round(mean, 3), "best_match_mean_weight": round(best, 3),
                   "supporting_pairs": support, "contradicting_pairs": against, "cross_pairs": len(xs) * len(ys)}
    if against and against >= support:
        out.reason = (f"the pair links (weight {weight:.1f}), but the two customers disagree: {against} of "
                      f"{len(xs) * len(ys)} cross pairs contradict (weight <= -{clusterer.contradiction:.0f}) "
                      f"against {support} supporting, so the clusters stay apart (anti-chaining)")
    elif mean >= clusterer.min_linkage or (best >= clusterer.min_linkage and shares_identifier(a, b)):
        how = (f"mean cross-pair weight {mean:.1f}" if mean >= clusterer.min_linkage else
               f"they share a contact identifier and the best-match mean weight is {best:.1f}")
        out.reason = (f"the pair links (weight {weight:.1f}) and the customers' records now agree ({how}, bar "
                      f"{clusterer.min_linkage:.1f}); they were apart when last resolved, so the next "
                      f"`es360 resolve` joins them")
    else:
        anchor = (f"the best-match mean weight {best:.1f} of a link on a shared contact identifier is below it too"
                  if shares_identifier(a, b) else "the pair shares no contact identifier, so best-match linkage "
                  "does not apply")
        out.reason = (f"the pair links (weight {weight:.1f}), but the customers' records do not agree enough: mean "
                      f"cross-pair weight {mean:.1f} is below the cluster-level bar {clusterer.min_linkage:.1f}, and "
                      + anchor)
