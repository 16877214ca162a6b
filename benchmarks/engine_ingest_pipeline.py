"""Embedded engine write path with ingest pipelines, through HTTP with the official client.

Prints docs/s for `elasticsearch.helpers.parallel_bulk` (2 threads, 2000-doc chunks) of:

* (a) customer-like docs with no pipeline (target >= 10k docs/s on 2 cores),
* (b) the same docs through a 10-processor pipeline (`PIPELINE` below; target >= 5k docs/s),
* (c) shop-order activity docs through es360's `es360-activity` pipeline (fingerprint, date,
  Painless scripts, enrich), installed by `es360 setup` (the engine's share of
  benchmarks/ingest.py, whose target is >= 10k rows/s end to end).

Besides the wall-clock rate it prints `engine_cpu_docs_per_s` (docs per CPU-second of the engine
process), which stays comparable when other work shares the machine, and `client_cpu_docs_per_s`
(this process: generating documents and the client's serialization); on 2 cores the wall-clock
rate is bounded by both.

    python benchmarks/engine_ingest_pipeline.py                 # 100k docs each
    python benchmarks/engine_ingest_pipeline.py --docs 20000 --only b
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from elasticsearch import Elasticsearch, helpers

sys.path.insert(0, str(Path(__file__).parent))
from engine_bench import MAPPING, customer, rss_mb, start_engine  # noqa: E402
from ingest import write_orders  # noqa: E402

PIPELINE: dict[str, Any] = {
    "description": "benchmark: ten common processors over a customer document",
    "processors": [
        {"trim": {"field": "name"}},
        {"lowercase": {"field": "email"}},
        {"uppercase": {"field": "country"}},
        {"set": {"field": "source", "value": "bench"}},
        {"set": {"field": "location", "value": "{{city}}, {{country}}"}},
        {"convert": {"field": "orders", "type": "integer"}},
        {"date": {"field": "last_order", "target_field": "@timestamp", "formats": ["ISO8601"]}},
        {"fingerprint": {"fields": ["email"], "target_field": "email_hash", "method": "SHA-1"}},
        {"script": {"lang": "painless", "params": {"gold": 2500},
                    "source": "ctx.tier = ctx.spend >= params.gold ? 'gold' : 'standard';"}},
        {"append": {"field": "tags", "value": ["customer"]}},
    ],
}
PIPELINE_MAPPING: dict[str, Any] = {"properties": {
    **MAPPING["properties"],
    "source": {"type": "keyword"}, "location": {"type": "keyword"}, "@timestamp": {"type": "date"},
    "email_hash": {"type": "keyword"}, "tier": {"type": "keyword"}, "tags": {"type": "keyword"},
}}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_bulk(es: Elasticsearch, pid: int, actions: Iterator[dict[str, Any]], n: int, label: str) -> None:
    cpu0 = cpu_seconds(pid)
    client0 = time.process_time()
    start = time.perf_counter()
    ok = 0
    for success, info in helpers.parallel_bulk(es, actions, thread_count=2, chunk_size=2000,
                                               raise_on_error=False):
        if success:
            ok += 1
        elif ok == 0:
            print(f"  first failure: {info}", flush=True)
    wall = time.perf_counter() - start
    cpu = cpu_seconds(pid) - cpu0
    client = time.process_time() - client0
    print(f"{label}: docs={n:,} ok={ok:,} docs_per_s={ok / wall:,.0f} engine_cpu_docs_per_s={ok / cpu:,.0f} "
          f"client_cpu_docs_per_s={ok / client:,.0f} engine_rss_mb={rss_mb(pid):,.0f}", flush=True)


def activity_actions(path: Path, alias: str) -> Iterator[dict[str, Any]]:
    from es360.ingest.mapping import load_mapping
    from es360.ingest.readers import read_rows

    mapping = load_mapping("shop-orders")
    rows, _ = read_rows(str(path), "csv")
    for row in rows:
        for _kind, key, doc in mapping.apply(row.values):  # type: ignore[union-attr]
            yield {"_op_type": "index", "_index": alias, "_id": key, "_source": doc}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=100_000, help="documents per measurement")
    parser.add_argument("--only", default="abc", help="which measurements to run (letters a, b, c)")
    args = parser.parse_args()
    n = args.docs
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = start_engine(Path(tmp) / "engine")
        try:
            es = Elasticsearch(url, request_timeout=600)
            if "a" in args.only:
                es.indices.create(index="bench-plain", mappings=MAPPING, settings={"number_of_replicas": 0})
                rng = random.Random(42)
                docs = ({"_index": "bench-plain", "_id": str(i), "_source": customer(i, rng)} for i in range(n))
                run_bulk(es, proc.pid, docs, n, "(a) no pipeline")
            if "b" in args.only:
                es.ingest.put_pipeline(id="bench-10", body=PIPELINE)
                es.indices.create(index="bench-pipeline", mappings=PIPELINE_MAPPING,
                                  settings={"number_of_replicas": 0, "index.default_pipeline": "bench-10"})
                rng = random.Random(42)
                docs = ({"_index": "bench-pipeline", "_id": str(i), "_source": customer(i, rng)} for i in range(n))
                run_bulk(es, proc.pid, docs, n, "(b) 10-processor pipeline")
            if "c" in args.only:
                from es360.setup import run_setup

                run_setup(es, "bench-")
                orders = Path(tmp) / "orders.csv"
                write_orders(orders, n)
                run_bulk(es, proc.pid, activity_actions(orders, "bench-activity"), n, "(c) es360-activity pipeline")
        finally:
            proc.terminate()
            proc.wait()


if __name__ == "__main__":
    main()
