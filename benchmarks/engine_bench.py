"""Embedded engine speed and memory, measured through HTTP with the official client.

Prints, for each scale: bulk index rate, fuzzy multi_match p50/p95, knn p50/p95 (384-d), terms
aggregation time, and the engine process RSS. Targets (issue 2, 2 cores): bulk >= 10k docs/s at
100k; fuzzy multi_match p95 <= 50 ms at 100k; knn p95 <= 50 ms at 100k; terms agg over 1M <= 1 s;
1M small docs within 2 GB RSS.

    python benchmarks/engine_bench.py --scales 10000,100000          # quick
    python benchmarks/engine_bench.py --scales 10000,100000,1000000  # full (several minutes)
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from elasticsearch import Elasticsearch, helpers
from engine_process import start_engine

FIRST = ["sam", "samuel", "sammy", "liz", "elizabeth", "bill", "william", "john", "jon", "maria", "mariah",
         "ana", "anna", "jose", "chen", "wei", "fatima", "olga", "pierre", "noah", "emma", "lucas", "mia"]
LAST = ["smith", "smyth", "johnson", "lee", "garcia", "muller", "mueller", "nguyen", "kowalski", "rossi",
        "dubois", "tanaka", "silva", "okafor", "ivanova", "brown", "wilson", "taylor", "clark", "walker"]
CITIES = ["berlin", "paris", "london", "madrid", "austin", "tokyo", "lagos", "lima", "oslo", "rome"]
COUNTRIES = ["DE", "FR", "GB", "ES", "US", "JP", "NG", "PE", "NO", "IT"]
MAPPING = {
    "properties": {
        "name": {"type": "text", "fields": {"keyword": {"type": "keyword"}}},
        "email": {"type": "keyword"},
        "city": {"type": "text"},
        "country": {"type": "keyword"},
        "spend": {"type": "double"},
        "orders": {"type": "integer"},
        "last_order": {"type": "date"},
    }
}




def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def customer(i: int, rng: random.Random) -> dict:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    city = rng.randrange(len(CITIES))
    return {"name": f"{first} {last}", "email": f"{first}.{last}{i}@example.com", "city": CITIES[city],
            "country": COUNTRIES[city], "spend": round(rng.uniform(0, 5000), 2), "orders": rng.randrange(50),
            "last_order": f"2025-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"}


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(0.95 * (len(ordered) - 1))]


def bench_scale(es: Elasticsearch, n: int, rng: random.Random, with_vectors: bool) -> dict[str, float]:
    index = f"bench-{n}"
    es.indices.create(index=index, mappings=MAPPING, settings={"number_of_replicas": 0})
    docs = ({"_index": index, "_id": str(i), "_source": customer(i, rng)} for i in range(n))
    start = time.perf_counter()
    ok = sum(1 for success, _ in helpers.parallel_bulk(es, docs, thread_count=2, chunk_size=2000) if success)
    rate = ok / (time.perf_counter() - start)
    out = {"docs": n, "bulk_docs_per_s": rate}

    lat = []
    for _ in range(100):
        typo = rng.choice(FIRST)[:-1] + "x" + " " + rng.choice(LAST)
        t = time.perf_counter()
        es.search(index=index, query={"multi_match": {"query": typo, "fields": ["name^2", "city", "email"],
                                                      "fuzziness": "AUTO"}}, size=10)
        lat.append((time.perf_counter() - t) * 1000)
    out["fuzzy_p50_ms"], out["fuzzy_p95_ms"] = percentiles(lat)

    t = time.perf_counter()
    es.search(index=index, size=0, aggs={"c": {"terms": {"field": "country", "size": 20}}})
    out["terms_agg_ms"] = (time.perf_counter() - t) * 1000

    if with_vectors:
        vindex = f"bench-vec-{n}"
        es.indices.create(index=vindex, settings={"number_of_replicas": 0}, mappings={"properties": {
            "v": {"type": "dense_vector", "dims": 384, "similarity": "cosine"}}})
        gen = np.random.default_rng(7)
        batch = 2000
        for lo in range(0, n, batch):
            vecs = gen.standard_normal((min(batch, n - lo), 384)).astype(np.float32)
            helpers.bulk(es, ({"_index": vindex, "_id": str(lo + j), "_source": {"v": vec.round(5).tolist()}}
                              for j, vec in enumerate(vecs)), chunk_size=batch, request_timeout=600)
        lat = []
        for _ in range(50):
            q = gen.standard_normal(384).round(5).tolist()
            t = time.perf_counter()
            es.search(index=vindex, knn={"field": "v", "query_vector": q, "k": 10, "num_candidates": 100})
            lat.append((time.perf_counter() - t) * 1000)
        out["knn_p50_ms"], out["knn_p95_ms"] = percentiles(lat)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", default="10000,100000", help="comma-separated doc counts")
    parser.add_argument("--no-vectors", action="store_true", help="skip the knn measurement")
    args = parser.parse_args()
    rng = random.Random(42)
    with tempfile.TemporaryDirectory() as data:
        proc, url = start_engine(Path(data))
        try:
            es = Elasticsearch(url, request_timeout=600)
            for n in [int(s) for s in args.scales.split(",")]:
                result = bench_scale(es, n, rng, with_vectors=not args.no_vectors and n <= 100_000)
                result["engine_rss_mb"] = rss_mb(proc.pid)
                print("  ".join(f"{k}={v:,.1f}" if isinstance(v, float) else f"{k}={v:,}"
                                for k, v in result.items()), flush=True)
                es.indices.delete(index="bench-*")
        finally:
            proc.terminate()
            proc.wait()


if __name__ == "__main__":
    main()
