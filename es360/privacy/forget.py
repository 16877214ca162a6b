"""`es360 forget`: erase one person from every es360 index, suppress their identifiers, audit it.

Order: suppress first (an erasure interrupted half way still keeps the person out of new
ingests), then delete_by_query per index through its alias (records, activity, tickets with their
embeddings, rollup, merge-log, identity, and the golden profile last, so an interrupted run can be
repeated with the same customer id), re-execute the identity enrich policy so its snapshot no
longer holds the person's identifiers, count what remains in every index (a second pass deletes
anything written meanwhile), and record an audit entry without personal data.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from elasticsearch import ApiError, Elasticsearch, ElasticsearchWarning, TransportError

from es360.assets import index_alias
from es360.errors import Es360Error
from es360.identity.store import WriteReport, execute_enrich
from es360.privacy.audit import current_actor, new_audit_id, write_audit
from es360.privacy.footprint import PERSONAL_KINDS, Footprint, build_footprint, resolve_customer
from es360.privacy.salt import load_salt
from es360.privacy.suppression import add_entries


@dataclass
class IndexCount:
    """Documents of the person in one index: found (or removed), and left afterwards."""

    kind: str
    index: str
    count: int
    remaining: int | None = None


@dataclass
class ForgetReport:
    """What an erasure removed (or, with dry_run, would remove)."""

    audit_id: str | None
    customer_id: str
    customer_ids: list[str]
    dry_run: bool
    indices: list[IndexCount] = field(default_factory=list)
    identifiers: dict[str, int] = field(default_factory=dict)
    suppression_added: int = 0
    enrich_executed: bool = False
    enrich_remaining: int | None = None  # the person's entries in the new enrich snapshot (None: not checked)
    verified: bool = False
    actor: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return sum(c.count for c in self.indices)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "total": self.total}


@dataclass
class ForgetPlan:
    """The resolved person and their documents per index, before anything is deleted."""

    footprint: Footprint
    counts: list[IndexCount]


def _check_aliases(es: Elasticsearch, prefix: str) -> None:
    for kind in (*PERSONAL_KINDS, "suppression", "audit"):
        if not es.indices.exists_alias(name=index_alias(kind, prefix)):
            raise Es360Error(f"Index alias {index_alias(kind, prefix)} does not exist; run `es360 setup` first.")


def _count(es: Elasticsearch, prefix: str, fp: Footprint, kind: str) -> int:
    return int(es.count(index=index_alias(kind, prefix), query=fp.query(kind))["count"])


def plan_forget(es: Elasticsearch, prefix: str, customer: str) -> ForgetPlan:
    """Resolve `customer` and count their documents per index; changes nothing."""
    _check_aliases(es, prefix)
    customer_id = resolve_customer(es, prefix, customer)
    fp = build_footprint(es, prefix, customer_id)
    es.indices.refresh(index=",".join(index_alias(k, prefix) for k in PERSONAL_KINDS))
    counts = [IndexCount(kind, index_alias(kind, prefix), _count(es, prefix, fp, kind)) for kind in PERSONAL_KINDS]
    return ForgetPlan(fp, counts)


def _delete(es: Elasticsearch, alias: str, query: dict[str, Any]) -> int:
    try:
        resp = es.delete_by_query(index=alias, query=query, conflicts="proceed", refresh=True,
                                  wait_for_completion=True)
    except (ApiError, TransportError) as exc:
        raise Es360Error(f"Deleting from {alias} failed: {exc}; run the same `es360 forget` again to finish.") from None
    failures = resp.get("failures") or []
    if failures:
        raise Es360Error(f"Deleting from {alias} left {len(failures)} failures (first: {failures[0]}); run the same "
                         f"`es360 forget` again to finish.")
    return int(resp.get("deleted", 0))


def _enrich_remaining(es: Elasticsearch, prefix: str, fp: Footprint) -> int | None:
    """The person's entries in the newest snapshot of the identity enrich policy (None if unreadable).

    Elasticsearch deletes superseded snapshots in the background (`enrich.cleanup_period`); only the
    newest one serves lookups, so that is the one checked.
    """
    pattern = f".enrich-{prefix}identity-*"
    try:
        with warnings.catch_warnings():  # direct reads of system indices warn on Elasticsearch 8
            warnings.simplefilter("ignore", ElasticsearchWarning)
            names = sorted(es.indices.get(index=pattern, expand_wildcards="all"))
            if not names:
                return None
            query = {"bool": {"should": [{"terms": {"customer_id": fp.customer_ids}},
                                         {"terms": {"identifier": fp.identity_keys() or ["-"]}}],
                              "minimum_should_match": 1}}
            return int(es.count(index=names[-1], query=query, expand_wildcards="all")["count"])
    except (ApiError, TransportError):
        return None


def execute_forget(es: Elasticsearch, prefix: str, home: Path, plan: ForgetPlan) -> ForgetReport:
    """Erase the planned person: suppress, delete, re-execute enrich, verify, audit."""
    started = time.perf_counter()
    fp = plan.footprint
    report = ForgetReport(new_audit_id(), fp.customer_id, fp.customer_ids, False, identifiers=fp.counts(),
                          actor=current_actor(es))
    salt = load_salt(home, create=True)
    if salt is None:  # create=True always yields one; kept for the type checker
        raise Es360Error("No suppression salt could be created; nothing was changed.")
    now = datetime.now(UTC).isoformat()
    report.suppression_added = add_entries(es, prefix, fp.identifiers(), salt, str(report.audit_id), now)
    removed = {kind: _delete(es, index_alias(kind, prefix), fp.query(kind)) for kind in PERSONAL_KINDS}
    written = WriteReport()
    execute_enrich(es, prefix, written)
    report.enrich_executed = written.enrich_executed
    for _ in range(2):  # a concurrent ingest or transform may have written more of the person meanwhile
        remaining = {kind: _count(es, prefix, fp, kind) for kind in PERSONAL_KINDS}
        if not any(remaining.values()):
            break
        for kind, left in remaining.items():
            if left:
                removed[kind] += _delete(es, index_alias(kind, prefix), fp.query(kind))
    remaining = {kind: _count(es, prefix, fp, kind) for kind in PERSONAL_KINDS}
    report.indices = [IndexCount(kind, index_alias(kind, prefix), removed[kind], remaining[kind])
                      for kind in PERSONAL_KINDS]
    report.enrich_remaining = _enrich_remaining(es, prefix, fp)
    report.verified = not any(remaining.values()) and not report.enrich_remaining
    report.seconds = round(time.perf_counter() - started, 3)
    write_audit(es, prefix, str(report.audit_id), {
        "action": "forget", "customer_id": fp.customer_id,
        "related_customer_ids": [c for c in fp.customer_ids if c != fp.customer_id], "actor": report.actor,
        "indices": [asdict(c) for c in report.indices], "identifiers": report.identifiers,
        "suppression_added": report.suppression_added, "enrich_executed": report.enrich_executed,
        "verified": report.verified, "total": report.total})
    return report


def dry_run_report(plan: ForgetPlan) -> ForgetReport:
    """What `execute_forget` would remove, without removing it."""
    fp = plan.footprint
    return ForgetReport(None, fp.customer_id, fp.customer_ids, True, plan.counts, fp.counts())


def forget(es: Elasticsearch, prefix: str, home: Path, customer: str, *, dry_run: bool = False) -> ForgetReport:
    """Plan and (unless `dry_run`) execute the erasure of `customer`."""
    plan = plan_forget(es, prefix, customer)
    return dry_run_report(plan) if dry_run else execute_forget(es, prefix, home, plan)
