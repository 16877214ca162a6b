"""`es360 resolve`: read records, match, keep ids stable, write golden customers and identity, run enrich."""

from __future__ import annotations

import gc
import json
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from elasticsearch import Elasticsearch

from es360.errors import Es360Error
from es360.identity.cluster import Decision
from es360.identity.compare import compare
from es360.identity.evaluate import Evaluation, evaluate, load_truth
from es360.identity.features import Rec
from es360.identity.golden import golden_profile
from es360.identity.matcher import MatchConfig, Resolution, match
from es360.identity.mentions import attach_mentioned_mailboxes, mentioned_mailboxes
from es360.identity.model import Model
from es360.identity.orders import mailboxes_seen
from es360.identity.overrides import load_overrides
from es360.identity.requesters import complete_requesters, requester_details
from es360.identity.source import read_records
from es360.identity.stable_ids import Assignment, assign_ids
from es360.identity.store import (
    WriteReport,
    execute_enrich,
    existing_docs,
    identity_docs,
    write_customers,
    write_identity,
    write_merge_log,
    write_record_ids,
)

ProgressFn = Callable[[str, int, int | None], None]


@dataclass
class ResolveReport:
    """What one resolution run found and wrote."""

    run_id: str
    records: int = 0
    customers: int = 0
    new_customers: int = 0
    merges: int = 0  # existing customers merged into an older one
    splits: int = 0
    record_merges: int = 0  # groups of records seen for the first time merged into a (new or known) customer
    candidate_pairs: int = 0
    links: int = 0
    rejected_links: int = 0
    unique_name_joins: int = 0
    same_address_joins: int = 0
    activity_emails: int = 0  # records that gained a mailbox from activity, quoted orders or ticket text
    requesters_completed: int = 0  # support requester records completed from all their tickets
    overrides: dict[str, int] = field(default_factory=dict)
    override_conflicts: int = 0
    model: dict[str, Any] = field(default_factory=dict)
    blocking: dict[str, Any] = field(default_factory=dict)
    written: dict[str, Any] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    dry_run: bool = False
    evaluation: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def model_path(home: Path, prefix: str) -> Path:
    """Where the last run's fitted model lives (read by `es360 explain`)."""
    return Path(home) / "identity" / f"{prefix}model.json"


def save_model(home: Path, prefix: str, model: Model) -> Path:
    path = model_path(home, prefix)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(model.as_dict()))
    tmp.replace(path)
    return path


def load_model(home: Path, prefix: str) -> Model:
    path = model_path(home, prefix)
    if not path.is_file():
        raise Es360Error(f"No identity model at {path}; run `es360 resolve` first.")
    try:
        return Model.from_dict(json.loads(path.read_text()))
    except (ValueError, KeyError, TypeError):
        raise Es360Error(f"The identity model at {path} is unreadable; run `es360 resolve` again.") from None


def _evidence(resolution: Resolution) -> Callable[[list[int], list[int]], tuple[float | None, dict[str, Any]]]:
    """Evidence between two groups of records: the strongest pair with its per-field weights."""
    def evidence(xs: list[int], ys: list[int]) -> tuple[float | None, dict[str, Any]]:
        if not xs or not ys:
            return None, {}
        a, b = max(((x, y) for x in xs[:50] for y in ys[:50]), key=lambda p: resolution.weight(*p))
        score = resolution.score(a, b)
        records = resolution.records
        return score.weight, {"strongest_pair": {"a": records[a].record_id, "b": records[b].record_id,
                                                 **score.as_dict()},
                              "threshold_weight": round(resolution.model.threshold_weight, 3)}
    return evidence


MAX_LOGGED_LINKS = 25


def _links(resolution: Resolution) -> Callable[[list[int]], tuple[float | None, dict[str, Any]]]:
    """How a group of records was joined: the clustering decisions inside it (rule, link, unique name,
    ...) with each pair's weight and per-field levels; the weight is the weakest scored link."""
    by_label: dict[int, list[Decision]] = {}
    labels = resolution.labels
    for decision in resolution.result.decisions:
        if decision.joined:
            by_label.setdefault(labels[decision.a], []).append(decision)

    def links(members: list[int]) -> tuple[float | None, dict[str, Any]]:
        if not members:
            return None, {}
        decisions = by_label.get(labels[members[0]], [])
        records = resolution.records
        shown = []
        for d in decisions[:MAX_LOGGED_LINKS]:
            shown.append({"a": records[d.a].record_id, "b": records[d.b].record_id, "action": d.action,
                          "weight": None if d.weight is None else round(d.weight, 3),
                          "levels": compare(records[d.a], records[d.b]).describe()})
        weights = [d.weight for d in decisions if d.weight is not None]
        return (min(weights) if weights else None), {
            "links": shown, "links_total": len(decisions),
            "threshold_weight": round(resolution.model.threshold_weight, 3)}
    return links


def _check_aliases(es: Elasticsearch, prefix: str) -> None:
    for kind in ("records", "customers", "identity", "merge-log"):
        if not es.indices.exists_alias(name=f"{prefix}{kind}"):
            raise Es360Error(f"Index alias {prefix}{kind} does not exist; run `es360 setup` first.")


def attach_activity_emails(records: list[Rec], seen: dict[str, set[str]]) -> int:
    """Give records the other mailboxes their ids were used with in activity; returns how many got one."""
    count = 0
    for r in records:
        extra = seen.get(r.record_id, set()) - {r.email_canon}
        if extra:
            r.alt_emails = frozenset(extra)
            count += 1
    return count


def attach_seen_mailboxes(es: Elasticsearch, prefix: str, records: list[Rec], only_these: bool = False) -> int:
    """Give records the mailboxes seen with them outside the record: in activity, by requesters of
    tickets quoting their orders, and named in tickets from their mailbox; returns how many have one.
    With `only_these`, the evidence is looked up for these records only (explain) instead of for all."""
    ids = [r.record_id for r in records] if only_these else None
    emails = [r.email for r in records] if only_these else None
    attach_activity_emails(records, mailboxes_seen(es, prefix, ids))
    attach_mentioned_mailboxes(records, mentioned_mailboxes(es, f"{prefix}tickets", emails))
    return sum(1 for r in records if r.alt_emails)


def resolve(es: Elasticsearch, prefix: str, home: Path, *, truth: Path | None = None, dry_run: bool = False,
            config: MatchConfig | None = None, progress: ProgressFn | None = None,
            use_activity: bool = True) -> ResolveReport:
    """One resolution run over every record under `prefix`. With `use_activity`, mailboxes seen with a
    record's id in activity (orders, logins), by requesters of tickets quoting its orders, and named in
    the text of tickets from its mailbox count as that record's too."""
    kept = _RunData()
    try:
        return _resolve(es, prefix, home, kept, truth=truth, dry_run=dry_run, config=config, progress=progress,
                        use_activity=use_activity)
    finally:
        kept.release()


class _RunData:
    """Keeps a run's long-lived data (the records, the resolution) out of Python's full cyclic
    collections, which otherwise walk all of it again every time the run's later work (matching,
    building and encoding bulk requests, parsing responses) has promoted enough short-lived objects:
    at 100k records they took a third of the client's CPU. `keep()` moves every object there is into
    the collector's permanent generation (`gc.freeze()`); `release()` puts them back at the end of
    the run, where cyclic garbage among them is collected as usual. Objects that die during the run
    are still freed by reference counting; only cyclic garbage among kept objects waits for the end
    of the run. When something else in the process already froze objects, nothing is done (their
    owner decides when to unfreeze them)."""

    def __init__(self) -> None:
        self.enabled = gc.get_freeze_count() == 0
        self.froze = False

    def keep(self) -> None:
        if self.enabled:
            gc.freeze()
            self.froze = True

    @contextmanager
    def building(self) -> Iterator[None]:
        """A block that builds long-lived data from acyclic parts (records read from the cluster):
        no cyclic collection runs during it, and what it built is kept afterwards."""
        paused = self.enabled and gc.isenabled()
        if paused:
            gc.disable()
        try:
            yield
        finally:
            if paused:
                gc.enable()
        self.keep()

    def release(self) -> None:
        if self.froze:
            gc.unfreeze()
            self.froze = False


def _resolve(es: Elasticsearch, prefix: str, home: Path, kept: _RunData, *, truth: Path | None, dry_run: bool,
             config: MatchConfig | None, progress: ProgressFn | None, use_activity: bool) -> ResolveReport:
    _check_aliases(es, prefix)
    report = ResolveReport(datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6], dry_run=dry_run)
    truth_map = load_truth(truth) if truth is not None else None  # fail fast on a bad file
    clock = time.perf_counter()
    with kept.building():
        records = read_records(es, f"{prefix}records", (lambda n: progress("reading", n, None)) if progress else None)
        report.requesters_completed = complete_requesters(records, requester_details(es, f"{prefix}tickets"))
    report.seconds["read"] = round(time.perf_counter() - clock, 3)
    report.records = len(records)
    if use_activity:
        clock = time.perf_counter()
        report.activity_emails = attach_seen_mailboxes(es, prefix, records)
        report.seconds["read_activity"] = round(time.perf_counter() - clock, 3)

    overrides = load_overrides(home)
    report.overrides = {"must_merge": len(overrides.must_merge), "do_not_merge": len(overrides.do_not_merge)}
    clock = time.perf_counter()
    resolution = match(records, config, must_merge=overrides.must_merge, do_not_merge=overrides.do_not_merge,
                       progress=progress)
    report.seconds["match"] = round(time.perf_counter() - clock, 3)
    report.seconds.update({f"match.{k}": round(v, 3) for k, v in resolution.timings.items()})
    _summarize(report, resolution)

    kept.keep()
    clusters = sorted(resolution.clusters().values(), key=lambda members: min(members))
    assignment = assign_ids(records, clusters, _evidence(resolution), links=_links(resolution))
    kept.keep()
    report.customers = len(clusters)
    report.new_customers = assignment.new_customers
    report.merges = sum(1 for e in assignment.events if e.action == "merge" and e.other_customer_ids)
    report.record_merges = sum(1 for e in assignment.events if e.action == "merge" and not e.other_customer_ids)
    report.splits = sum(1 for e in assignment.events if e.action == "split")
    if truth_map is not None:
        predicted = {records[i].record_id: assignment.ids[c] for c, members in enumerate(clusters) for i in members}
        report.evaluation = _evaluation(evaluate(predicted, truth_map))
    if not dry_run:
        clock = time.perf_counter()
        report.written = asdict(_write(es, prefix, records, clusters, assignment, report.run_id, progress))
        report.seconds["write"] = round(time.perf_counter() - clock, 3)
        save_model(home, prefix, resolution.model)
    return report


def _enrich_ready(es: Elasticsearch, prefix: str) -> bool:
    """True when the enrich index already holds every identity doc (a re-run that changed nothing)."""
    pattern = f".enrich-{prefix}identity*"
    if not es.indices.exists(index=pattern, expand_wildcards="all"):
        return False
    enriched = es.count(index=pattern, expand_wildcards="all")["count"]
    return bool(enriched == es.count(index=f"{prefix}identity")["count"])


def _evaluation(result: Evaluation) -> dict[str, Any]:
    return result.as_dict()


def _summarize(report: ResolveReport, resolution: Resolution) -> None:
    decisions = resolution.result.decisions
    report.candidate_pairs = resolution.blocking.pairs
    report.links = sum(1 for d in decisions if d.action in ("link", "anchored_link"))
    report.rejected_links = sum(1 for d in decisions if d.action.startswith("rejected") or d.action == "do_not_merge")
    report.unique_name_joins = sum(1 for d in decisions if d.action == "unique_name")
    report.same_address_joins = sum(1 for d in decisions if d.action == "same_address")
    report.override_conflicts = sum(1 for d in decisions if d.action == "conflict")
    model = resolution.model
    report.model = {"lambda": round(model.lam, 5), "threshold": model.threshold,
                    "threshold_weight": round(model.threshold_weight, 3), "em_iterations": model.iterations,
                    "em_converged": model.converged}
    stats = resolution.blocking
    report.blocking = {"keys": stats.keys, "blocks": stats.blocks, "oversized_blocks": stats.oversized,
                       "largest_block": stats.largest, "pairs_by_key": stats.by_kind}


def _write(es: Elasticsearch, prefix: str, records: list[Rec], clusters: list[list[int]], assignment: Assignment,
           run_id: str, progress: ProgressFn | None) -> WriteReport:
    written = WriteReport()
    now = datetime.now(UTC).isoformat()
    clock = time.perf_counter()

    def lap(step: str) -> None:
        nonlocal clock
        written.seconds[step] = round(time.perf_counter() - clock, 3)
        clock = time.perf_counter()

    existing_customers = existing_docs(es, f"{prefix}customers")
    lap("read_customers")
    by_customer: dict[str, list[Rec]] = {}
    assigned = [""] * len(records)
    for c, members in enumerate(clusters):
        cid = assignment.ids[c]
        by_customer[cid] = [records[i] for i in members]
        for i in members:
            assigned[i] = cid

    def profiles() -> Iterator[tuple[str, dict[str, Any]]]:
        """Golden profiles, built as they are sent (so building overlaps with indexing)."""
        for cid, recs in by_customer.items():
            history = (existing_customers.get(cid, {}).get("resolution") or {}).get("merged_from") or []
            merged = set(history)
            for old in assignment.merged_into.get(cid, []):
                merged.add(old)
                merged.update((existing_customers.get(old, {}).get("resolution") or {}).get("merged_from") or [])
            yield cid, golden_profile(cid, recs, merged)

    write_customers(es, f"{prefix}customers", profiles(), existing_customers, run_id, written, progress)
    lap("customers")  # golden profiles and their writing, overlapped

    def identity() -> None:
        wanted, written.identity_conflicts = identity_docs(by_customer)
        existing_identity = {k: str(v.get("customer_id"))
                             for k, v in existing_docs(es, f"{prefix}identity", fields=["customer_id"]).items()}
        write_identity(es, f"{prefix}identity", wanted, existing_identity, now, written, progress)

    # identity docs and customer_id on records both point at customers (written above) and not at
    # each other: they are written side by side, so the cluster indexes one while the other is built
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="es360-identity") as pool:
        identity_done = pool.submit(identity)
        write_record_ids(es, records, assigned, written, progress)
        identity_done.result()
    lap("identity+records")
    write_merge_log(es, f"{prefix}merge-log", assignment.events, run_id, now, written)
    touched = {"customers": written.customers_written + written.customers_deleted,
               "identity": written.identity_written + written.identity_deleted,
               "records": written.records_updated, "merge-log": written.merge_log}
    if any(touched.values()):  # only what was written; a re-run that changed nothing refreshes nothing
        es.indices.refresh(index=",".join(f"{prefix}{kind}" for kind, count in touched.items() if count))
    lap("refresh")
    changed = written.identity_written or written.identity_deleted or written.customers_written or written.customers_deleted
    if changed or not _enrich_ready(es, prefix):
        execute_enrich(es, prefix, written)
    lap("enrich")
    if written.errors:
        raise Es360Error(f"{len(written.errors)}+ documents were rejected while writing the resolution; first: "
                         f"{written.errors[0]}")
    return written
