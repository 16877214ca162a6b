"""Reliability figures: es360 ingest (and reindex) under faults, on the embedded engine in its own process.

Per scenario it prints: runs, rows read, documents acknowledged (indexed + duplicates), how many of them
are present exactly once, rows dead-lettered, whether read = indexed + duplicates + rejected + suppressed
held for every run, and the time to recover.

- proxy faults: a fault-injecting proxy (tests/reliability/proxy.py) answers a share of bulk requests
  429/503, rejects items with 429, drops connections mid-request and mid-response; the product's
  default retry settings. Time to recover = the run's extra time over a run without faults.
- kill + resume: kill -9 of the engine while a bulk request is in it, restart, re-run the ingest
  (it resumes from its checkpoint). Time to recover = from the kill to the end of the resumed run.
- kill + retry: the engine is killed and restarted while the same run keeps retrying.
- poison batches: half the rows of every third batch are refused (no key, surplus values).
- fuzz: >= 10,000 malformed rows over every built-in source type (tests/reliability/fuzz.py), each
  checked row by row.
- reindex: `es360 reindex records` twice while 4 clients search; failed searches and lost documents.

    python benchmarks/faults.py                  # 5,000 rows per ingest scenario, 3 runs, 14,000 fuzz rows
    python benchmarks/faults.py --rows 20000 --runs 5 --fuzz-rows 3000

Figures vary with the machine and its load (the build machines have 2 shared cores).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the fault tools live with the tests

from elasticsearch import Elasticsearch  # noqa: E402

from es360.errors import Es360Error  # noqa: E402
from es360.ingest.bulk import BulkWriter  # noqa: E402
from es360.ingest.mapping import builtin_sources, load_mapping  # noqa: E402
from es360.ingest.run import IngestReport, IngestRun  # noqa: E402
from es360.reindex import reindex  # noqa: E402
from es360.setup import run_setup  # noqa: E402
from tests.reliability.engine_process import EngineProcess  # noqa: E402
from tests.reliability.fuzz import verify_ingest, write_fuzz_file  # noqa: E402
from tests.reliability.proxy import FaultProxy, Faults  # noqa: E402

PREFIX = "faults-"
HEADER = ("contact_id,first_name,last_name,email,phone,street,city,postcode,country,birth_date,created_at,"
          "updated_at,email_opt_in,account_owner\n")
BATCH = 250  # rows per bulk request: enough requests per run for the faults to land
FAULTS = Faults(http_429=0.08, http_503=0.08, item_429=0.1, drop_request=0.06, drop_response=0.08)


@dataclass
class Figures:
    scenario: str
    runs: int = 0
    read: int = 0
    acknowledged: int = 0
    present_once: int = 0
    dead_lettered: int = 0
    reconciled: bool = True
    recover_s: list[float] | None = None
    note: str = ""

    def line(self) -> str:
        rec = f"{sum(self.recover_s) / len(self.recover_s):.2f}" if self.recover_s else "-"
        return (f"{self.scenario:<16}{self.runs:>5}{self.read:>10,}{self.acknowledged:>14,}{self.present_once:>14,}"
                f"{self.dead_lettered:>8,}  {'yes' if self.reconciled else 'NO':<6}{rec:>9}   {self.note}")


def write_contacts(path: Path, tag: str, n: int, poison_every: int = 0) -> set[str]:
    """CRM rows `tag-i`; with `poison_every`, every such row lacks its key. Returns the ids that should land."""
    good: set[str] = set()
    with path.open("w") as fh:
        fh.write(HEADER)
        for i in range(n):
            if poison_every and i % poison_every == 0:
                fh.write(f",NoKey{i},Smith,,,,,,,,,,,\n")
                continue
            good.add(f"{tag}-{i}")
            fh.write(f"{tag}-{i},Sam{i},Smith,{tag.lower()}{i}@x.io,020 7946 {i % 10000:04d},,London,,UK,1980-01-01,"
                     f"2021-01-01T00:00:00Z,,yes,owner\n")
    return good


def present_once(es: Elasticsearch, tag: str, expected: set[str]) -> int:
    """How many of `expected` source ids are in the records index exactly once (and none is there twice)."""
    es.indices.refresh(index=f"{PREFIX}records")
    counts: Counter[str] = Counter()
    ids = sorted(expected)
    for i in range(0, len(ids), 5000):
        resp = es.search(index=f"{PREFIX}records", size=10_000, source=["source_id"],
                         query={"bool": {"filter": [{"terms": {"source_id": ids[i:i + 5000]}},
                                                    {"term": {"source": "crm"}}]}})
        counts.update(h["_source"]["source_id"] for h in resp["hits"]["hits"])
    return sum(1 for k in ids if counts.get(k) == 1)


def acked(report: IngestReport) -> int:
    return report.indexed + report.duplicates


def proxy_faults(engine: EngineProcess, work: Path, rows: int, runs: int) -> Figures:
    fig = Figures("proxy faults", recover_s=[])
    es = Elasticsearch(engine.url, request_timeout=120)
    counts: Counter[str] = Counter()
    for run in range(runs):
        path = work / f"proxy-{run}.csv"
        expected = write_contacts(path, f"PX{run}", rows, poison_every=97)
        clean_path = work / f"clean-{run}.csv"
        write_contacts(clean_path, f"CL{run}", rows, poison_every=97)
        started = time.perf_counter()
        IngestRun(es, load_mapping("crm"), PREFIX, work, batch_size=BATCH).run([str(clean_path)])
        clean_s = time.perf_counter() - started
        with FaultProxy(engine.url, Faults(**{**FAULTS.__dict__, "seed": run})) as proxy:
            client = Elasticsearch(proxy.url, request_timeout=120)
            started = time.perf_counter()
            report = IngestRun(client, load_mapping("crm"), PREFIX, work, batch_size=BATCH).run([str(path)])
            faulty_s = time.perf_counter() - started
        counts.update(proxy.counts)
        fig.runs += 1
        fig.read += report.read
        fig.acknowledged += acked(report)
        fig.present_once += present_once(es, f"PX{run}", expected)
        fig.dead_lettered += report.rejected
        fig.reconciled &= report.reconciles and acked(report) == len(expected)
        fig.recover_s.append(max(faulty_s - clean_s, 0.0))
    fig.note = ("faults injected: " + ", ".join(f"{k} {counts[k]}" for k in
                                                ("429", "503", "item_429", "items_429", "drop_request", "drop_response")))
    return fig


def _writer_run(url: str, work: Path, max_retries: int, backoff_s: float) -> IngestRun:
    client = Elasticsearch(url, request_timeout=120)
    run = IngestRun(client, load_mapping("crm"), PREFIX, work, batch_size=BATCH)
    run.writer = BulkWriter(client, max_retries=max_retries, backoff_s=backoff_s)
    return run


def kill_and_resume(engine: EngineProcess, work: Path, rows: int, runs: int) -> Figures:
    fig = Figures("kill + resume", recover_s=[])
    for run in range(runs):
        path = work / f"kill-{run}.csv"
        expected = write_contacts(path, f"KR{run}", rows)
        killed_at: list[float] = []

        def kill(n: int, killed_at: list[float] = killed_at) -> None:
            if n == 4 and not killed_at:
                engine.kill()
                killed_at.append(time.perf_counter())

        with FaultProxy(engine.url, on_bulk=kill) as proxy:
            try:
                _writer_run(proxy.url, work, 1, 0.05).run([str(path)])
                fig.note = "the engine was not killed: too few rows?"
            except Es360Error:
                pass
            engine.start()
            report = _writer_run(proxy.url, work, 6, 0.5).run([str(path)])
        done = time.perf_counter()
        first_acked = next(iter(report.resumed.values()), 1) - 1  # the rows the checkpoint covers
        fig.runs += 1
        fig.read += report.read + first_acked
        fig.acknowledged += first_acked + acked(report)
        fig.present_once += present_once(Elasticsearch(engine.url), f"KR{run}", expected)
        fig.reconciled &= report.reconciles and first_acked + acked(report) == len(expected)
        if killed_at:
            fig.recover_s.append(done - killed_at[0])
    return fig


def kill_and_retry(engine: EngineProcess, work: Path, rows: int, runs: int) -> Figures:
    fig = Figures("kill + retry", recover_s=[], note="the same run rides out the restart (default retries)")
    for run in range(runs):
        path = work / f"retry-{run}.csv"
        expected = write_contacts(path, f"KT{run}", rows)
        killed_at: list[float] = []

        def kill(n: int, killed_at: list[float] = killed_at) -> None:
            if n == 3 and not killed_at:
                engine.kill()
                killed_at.append(time.perf_counter())
                threading.Thread(target=engine.start, daemon=True).start()

        with FaultProxy(engine.url, on_bulk=kill) as proxy:
            report = IngestRun(Elasticsearch(proxy.url, request_timeout=120), load_mapping("crm"), PREFIX, work,
                               batch_size=BATCH).run([str(path)])
        done = time.perf_counter()
        fig.runs += 1
        fig.read += report.read
        fig.acknowledged += acked(report)
        fig.present_once += present_once(Elasticsearch(engine.url), f"KT{run}", expected)
        fig.reconciled &= report.reconciles and acked(report) == len(expected)
        if killed_at:
            fig.recover_s.append(done - killed_at[0])
    return fig


def poison(engine: EngineProcess, work: Path, rows: int) -> Figures:
    fig = Figures("poison batches", runs=1)
    path = work / "poison.csv"
    expected: set[str] = set()
    with path.open("w") as fh:
        fh.write(HEADER)
        for i in range(rows):
            batch, pos = divmod(i, BATCH)
            if batch % 3 == 1 and pos % 2 == 0:  # half of every third batch is poison
                fh.write(f"PB-{i},Sam,Smith,x{i}@x.io,,,,,,,,,,,surplus\n" if pos % 4 == 0 else
                         f",Sam,Smith,x{i}@x.io,,,,,,,,,,\n")
                continue
            expected.add(f"PB-{i}")
            fh.write(f"PB-{i},Sam{i},Smith,pb{i}@x.io,,,London,,UK,,,,yes,\n")
    es = Elasticsearch(engine.url, request_timeout=120)
    report = IngestRun(es, load_mapping("crm"), PREFIX, work, batch_size=BATCH).run([str(path)])
    fig.read, fig.acknowledged, fig.dead_lettered = report.read, acked(report), report.rejected
    fig.present_once = present_once(es, "PB", expected)
    fig.reconciled = report.reconciles and acked(report) == len(expected) and report.rejected == rows - len(expected)
    return fig


def fuzz(engine: EngineProcess, work: Path, per_source: int) -> Figures:
    fig = Figures("fuzz", note="")
    es = Elasticsearch(engine.url, request_timeout=120)
    problems = malformed = 0
    for source in builtin_sources():
        fuzzed = write_fuzz_file(work, source, per_source, seed=11, defect_share=0.75)
        malformed += fuzzed.malformed
        report = IngestRun(es, load_mapping(source), PREFIX, work, batch_size=BATCH).run([str(fuzzed.path)])
        verdict = verify_ingest(es, PREFIX, fuzzed, report, f"FZ11-{source}-")
        problems += len(verdict.problems)
        fig.runs += 1
        fig.read += report.read
        fig.acknowledged += acked(report)
        fig.present_once += verdict.present_once
        fig.dead_lettered += report.rejected
        fig.reconciled &= report.reconciles and verdict.ok
    fig.note = (f"{per_source * len(builtin_sources()):,} rows written over {len(builtin_sources())} source types, "
                f"{malformed:,} of them malformed; present once = distinct keys of accepted rows; "
                f"{problems} row-level problems")
    return fig


def reindex_under_search(engine: EngineProcess) -> Figures:
    es = Elasticsearch(engine.url, request_timeout=120)
    es.indices.refresh(index=f"{PREFIX}records")
    before = es.count(index=f"{PREFIX}records")["count"]
    stop = threading.Event()
    seen: list[int] = []
    failed: list[str] = []

    def search() -> None:
        client = Elasticsearch(engine.url, request_timeout=120)
        while not stop.is_set():
            try:
                seen.append(client.count(index=f"{PREFIX}records")["count"])
            except Exception as exc:  # noqa: BLE001 - counted
                failed.append(repr(exc))

    threads = [threading.Thread(target=search, daemon=True) for _ in range(4)]
    for thread in threads:
        thread.start()
    started = time.perf_counter()
    for _ in range(2):
        reindex(es, PREFIX, "records")
    took = time.perf_counter() - started
    stop.set()
    for thread in threads:
        thread.join()
    es.indices.refresh(index=f"{PREFIX}records")
    after = es.count(index=f"{PREFIX}records")["count"]
    wrong = sum(1 for n in seen if n != before)
    return Figures("reindex x2", runs=2, read=before, acknowledged=before, present_once=after,
                   reconciled=after == before and not failed and not wrong, recover_s=[took],
                   note=f"{len(seen):,} searches by 4 clients: {len(failed)} failed, {wrong} saw a count other than "
                        f"{before:,}; time = both reindexes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=5000, help="rows per ingest run (default 5,000)")
    parser.add_argument("--runs", type=int, default=3, help="runs per fault scenario (default 3)")
    parser.add_argument("--fuzz-rows", type=int, default=2000, help="fuzzed rows per source type (default 2,000; "
                                                                     "3 in 4 malformed)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        engine = EngineProcess(work / "engine").start()
        try:
            run_setup(Elasticsearch(engine.url, request_timeout=120), PREFIX)
            figures = [proxy_faults(engine, work, args.rows, args.runs),
                       kill_and_resume(engine, work, args.rows, args.runs),
                       kill_and_retry(engine, work, args.rows, args.runs),
                       poison(engine, work, args.rows),
                       fuzz(engine, work, args.fuzz_rows),
                       reindex_under_search(engine)]
        finally:
            engine.stop()
    if args.json:
        print(json.dumps([f.__dict__ for f in figures], indent=2))
        return
    print(f"{'scenario':<16}{'runs':>5}{'read':>10}{'acknowledged':>14}{'present once':>14}{'dead':>8}  "
          f"{'recon':<6}{'recover s':>9}")
    for fig in figures:
        print(fig.line())


if __name__ == "__main__":
    main()
