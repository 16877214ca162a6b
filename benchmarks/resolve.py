"""Identity resolution: speed (records/s) and quality (precision, recall, F1) figures.

Speed, per size: the in-process core (features, blocking, comparison, EM, scoring, clustering) and,
with --engine, a full `es360 resolve` against the embedded engine in its own process (read with PIT +
search_after, match, write customers / identity / customer_id on records / merge-log, run enrich),
then a re-run on unchanged data. Goal (issue 5): 100k records <= 60 s on 2 cores; pin the cores
with e.g. `taskset -c 0,1`. Each write step also shows the engine process's CPU seconds, which stay
comparable when other work shares the machine (wall-clock seconds do not).

Quality: es360's own synthetic people (es360.identity.synthetic) at several noise levels and seeds
and, with --demo, the demo world (es360.demo.generator) ingested through the real pipelines and
scored against truth/people.jsonl. Goal: precision >= 0.99 and recall >= 0.98. The demo's recall is
also split into pairs a shared identifier (mailbox, phone, birth date, street address) links and
name-only pairs (es360.identity.evidence_recall), which no careful human could link without risking
namesakes.

    python benchmarks/resolve.py                          # 10k and 100k records, in-process
    python benchmarks/resolve.py --sizes 10000,100000,1000000 --engine
    python benchmarks/resolve.py --quality --demo 6000    # quality only
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from pathlib import Path

from elasticsearch import Elasticsearch, helpers
from engine_process import start_engine, stop_engine

from es360.config import Settings, connect
from es360.identity.evaluate import evaluate, load_truth
from es360.identity.evidence_recall import EvidenceRecall, recall_by_evidence
from es360.identity.features import from_source
from es360.identity.matcher import match
from es360.identity.requesters import complete_requesters, requester_details
from es360.identity.resolve import attach_seen_mailboxes, resolve
from es360.identity.source import read_records
from es360.identity.synthetic import generate_world
from es360.setup import run_setup

RECORDS_PER_PERSON = 2.22  # what the synthetic generator produces on average





def _own_cpu_seconds() -> float:
    """User + system CPU seconds of this process (the client: reading, matching, building requests)."""
    times = os.times()
    return times.user + times.system


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of another process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CpuSampler:
    """The engine's CPU seconds sampled every 20 ms, to tell how much of each write step it spent
    (the steps run inside `resolve`; their boundaries are known from its timings afterwards)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> CpuSampler:
        if Path(f"/proc/{self.pid}/stat").exists():
            self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        while True:
            self.samples.append((time.perf_counter(), cpu_seconds(self.pid)))
            if self._stop.wait(0.02):
                self.samples.append((time.perf_counter(), cpu_seconds(self.pid)))
                return

    def at(self, moment: float) -> float | None:
        """Engine CPU seconds at `moment` (the first sample at or after it)."""
        for when, cpu in self.samples:
            if when >= moment:
                return cpu
        return None

    def per_step(self, end: float, steps: dict[str, float]) -> dict[str, float]:
        """Engine CPU seconds of each consecutive step of `steps` (name -> seconds) that ended at `end`."""
        out: dict[str, float] = {}
        start = end - sum(steps.values())
        for name, seconds in steps.items():
            before, after = self.at(start), self.at(start + seconds)
            if before is not None and after is not None:
                out[name] = after - before
            start += seconds
        return out


def speed_in_process(records: int) -> None:
    world = generate_world(max(int(records / RECORDS_PER_PERSON), 1), seed=3)
    started = time.perf_counter()
    recs = [from_source(i, d) for i, d in enumerate(world.records)]
    features = time.perf_counter() - started
    result = match(recs)
    total = time.perf_counter() - started
    phases = ", ".join(f"{k} {v:.1f}s" for k, v in result.timings.items())
    print(f"in-process {len(recs):>9,} records: {total:6.1f}s  {len(recs) / total:8,.0f} records/s  "
          f"(features {features:.1f}s, {phases}; {result.blocking.pairs:,} candidate pairs)", flush=True)


def speed_engine(records: int) -> None:
    world = generate_world(max(int(records / RECORDS_PER_PERSON), 1), seed=3)
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = start_engine(Path(tmp) / "engine")
        try:
            es = connect(Settings(es_url=url), verify=False).options(request_timeout=600)  # es360's own client
            run_setup(es, "bench-")
            started = time.perf_counter()
            for _ok, _info in helpers.streaming_bulk(es, ({"_index": "bench-records", "_source": d}
                                                          for d in world.records), chunk_size=2000):
                pass
            es.indices.refresh(index="bench-records")
            load = time.perf_counter() - started
            for label in ("first run", "re-run"):
                started = time.perf_counter()
                engine_cpu = cpu_seconds(proc.pid)
                client_cpu = _own_cpu_seconds()
                with CpuSampler(proc.pid) as sampler:
                    report = resolve(es, "bench-", Path(tmp) / "home")
                    write_end = time.perf_counter()
                total = time.perf_counter() - started
                engine_cpu = cpu_seconds(proc.pid) - engine_cpu
                client_cpu = _own_cpu_seconds() - client_cpu
                s = report.seconds
                print(f"engine     {report.records:>9,} records, {label:9}: {total:6.1f}s  "
                      f"{report.records / total:8,.0f} records/s  (read {s['read']:.1f}s, match {s['match']:.1f}s, "
                      f"write {s.get('write', 0):.1f}s; engine CPU {engine_cpu:.1f}s, client CPU {client_cpu:.1f}s; "
                      f"loading the records took {load:.1f}s)", flush=True)
                written = (report.written or {}).get("seconds", {})
                cpu = sampler.per_step(write_end, written)
                steps = ", ".join(f"{k} {v:.1f}s" + (f" (engine CPU {cpu[k]:.1f}s)" if k in cpu else "")
                                  for k, v in written.items())
                print(f"           write steps: {steps or 'nothing written'}", flush=True)
        finally:
            stop_engine(proc)


def quality_synthetic() -> None:
    for noise in (0.5, 1.0, 1.5):
        for seed in (1, 2):
            world = generate_world(4000, seed=seed, noise=noise)
            recs = [from_source(i, d) for i, d in enumerate(world.records)]
            result = match(recs)
            e = evaluate({r.record_id: str(result.labels[r.idx]) for r in recs}, world.truth)
            print(f"synthetic noise {noise:.1f} seed {seed}: {e.records:,} records  precision {e.precision:.4f}  "
                  f"recall {e.recall:.4f}  F1 {e.f1:.4f}  B-cubed F1 {e.bcubed_f1:.4f}  "
                  f"exact clusters {e.exact_cluster_rate:.3f}", flush=True)


def quality_demo(people: int, seed: int, with_activity: bool) -> None:
    from es360.demo.generator import generate_world as demo_world
    from es360.ingest.mapping import load_mapping
    from es360.ingest.run import IngestRun

    files = [("crm", "crm/contacts.csv"), ("shop-customers", "shop/customers.jsonl"),
             ("support", "support/tickets.jsonl"), ("marketing-subscribers", "marketing/subscribers.csv")]
    if with_activity:  # orders and logins tell which mailboxes an account uses
        files += [("shop-orders", "shop/orders.csv"), ("web", "web/events.jsonl")]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "world"
        demo_world(out, customers=people, seed=seed)
        proc, url = start_engine(Path(tmp) / "engine")
        try:
            es = connect(Settings(es_url=url), verify=False).options(request_timeout=600)  # es360's own client
            run_setup(es, "demo-")
            for source, name in files:
                IngestRun(es, load_mapping(source), "demo-", Path(tmp) / "home", batch_size=2000).run([str(out / name)])
            truth = out / "truth" / "people.jsonl"
            report = resolve(es, "demo-", Path(tmp) / "home", truth=truth, dry_run=True)
            split = _evidence_split(es, truth, with_activity)
        finally:
            stop_engine(proc)
    e = report.evaluation or {}
    label = "with activity" if with_activity else "records only"
    print(f"demo world {people:,} people seed {seed} ({label}): {report.records:,} records  precision {e['precision']:.4f}  "
          f"recall {e['recall']:.4f}  F1 {e['f1']:.4f}  B-cubed F1 {e['bcubed_f1']:.4f}  "
          f"exact clusters {e['exact_cluster_rate']:.3f}", flush=True)
    print(f"           {report.activity_emails:,} records gained a mailbox seen elsewhere; "
          f"{report.requesters_completed:,} support requesters completed from all their tickets", flush=True)
    share = split.name_only_pairs / max(split.name_only_pairs + split.linked_pairs, 1)
    print(f"           recall on pairs a shared identifier links {split.linked_recall:.4f} ({split.linked_pairs:,} pairs); "
          f"on name-only pairs {split.name_only_recall:.4f} ({split.name_only_pairs:,} pairs, {share:.1%} of all)",
          flush=True)


def _evidence_split(es: Elasticsearch, truth: Path, with_activity: bool) -> EvidenceRecall:
    """Recall split by evidence class, from the same records and matching `resolve` used."""
    records = read_records(es, "demo-records")
    complete_requesters(records, requester_details(es, "demo-tickets"))
    if with_activity:
        attach_seen_mailboxes(es, "demo-", records)
    labels = match(records).labels
    predicted = {r.record_id: str(labels[r.idx]) for r in records}
    return recall_by_evidence(records, predicted, load_truth(truth))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated record counts for speed")
    parser.add_argument("--engine", action="store_true", help="also time full runs against the embedded engine")
    parser.add_argument("--quality", action="store_true", help="print quality on synthetic people")
    parser.add_argument("--demo", type=int, default=0, metavar="PEOPLE", help="also score a demo world of PEOPLE")
    parser.add_argument("--demo-seed", type=int, default=360)
    parser.add_argument("--no-activity", action="store_true", help="ingest only the demo's record files")
    args = parser.parse_args()
    if not args.quality and not args.demo:
        for size in (int(s) for s in args.sizes.split(",") if s):
            speed_in_process(size)
            if args.engine:
                speed_engine(size)
    if args.quality:
        quality_synthetic()
    if args.demo:
        quality_demo(args.demo, args.demo_seed, not args.no_activity)


if __name__ == "__main__":
    main()
