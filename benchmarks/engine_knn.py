"""kNN search latency of the embedded engine, measured in-process (no HTTP).

Builds an in-memory index of N random 384-d vectors (cosine), then times `Searcher(...).run()` for
top-level knn searches (k=10, num_candidates=100): plain, with a keyword filter, and hybrid with a
match query. Prints p50/p95 per kind. Target (issue 2): knn p95 <= 50 ms at 100k x 384.

    python benchmarks/engine_knn.py                    # 100k x 384
    python benchmarks/engine_knn.py --docs 20000 --dims 128 --queries 50
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import numpy as np


def build(docs: int, dims: int, seed: int = 7) -> tuple[Any, Any, np.ndarray]:
    from es360.embedded.engine import Target
    from es360.embedded.index import Index

    rng = np.random.default_rng(seed)
    index = Index("bench-knn", "benchknnuuid", {}, {
        "properties": {
            "vec": {"type": "dense_vector", "dims": dims, "similarity": "cosine"},
            "group": {"type": "keyword"},
            "title": {"type": "text"},
        }
    })
    vectors = rng.standard_normal((docs, dims)).astype(np.float32)
    words = ["alpha", "beta", "gamma", "delta", "omega", "sigma"]
    t0 = time.perf_counter()
    for i in range(docs):
        index.index_doc(str(i), {"vec": vectors[i].tolist(), "group": f"g{i % 10}",
                                 "title": f"{words[i % 6]} {words[(i // 6) % 6]}"})
    index.refresh()
    print(f"indexed {docs} x {dims} in {time.perf_counter() - t0:.1f}s")
    return index, Target(index), vectors


def timed(fn: Any, n: int) -> tuple[float, float]:
    fn()  # warm-up (builds the cached matrices)
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    return statistics.median(samples), samples[max(0, int(round(0.95 * len(samples))) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--dims", type=int, default=384)
    parser.add_argument("--queries", type=int, default=100)
    args = parser.parse_args()

    from es360.embedded.engine import Engine
    from es360.embedded.search import Searcher

    _index, target, _vectors = build(args.docs, args.dims)
    engine = Engine.__new__(Engine)  # only `indices`/`extensions` are read on this path
    engine.indices = {}
    engine.extensions = {}
    rng = np.random.default_rng(11)
    queries = [rng.standard_normal(args.dims).astype(np.float32).tolist() for _ in range(16)]
    state = {"i": 0}

    def next_vector() -> list[float]:
        state["i"] += 1
        return queries[state["i"] % len(queries)]

    def plain() -> None:
        body = {"knn": {"field": "vec", "query_vector": next_vector(), "k": 10, "num_candidates": 100},
                "_source": False}
        Searcher(engine, [target], body, {}).run()

    def filtered() -> None:
        body = {"knn": {"field": "vec", "query_vector": next_vector(), "k": 10, "num_candidates": 100,
                        "filter": {"term": {"group": "g3"}}}, "_source": False}
        Searcher(engine, [target], body, {}).run()

    def hybrid() -> None:
        body = {"query": {"match": {"title": "alpha"}},
                "knn": {"field": "vec", "query_vector": next_vector(), "k": 10, "num_candidates": 100},
                "_source": False}
        Searcher(engine, [target], body, {}).run()

    for name, fn in (("knn", plain), ("knn+filter", filtered), ("knn+match", hybrid)):
        p50, p95 = timed(fn, args.queries)
        print(f"{name:<11} {args.docs}x{args.dims}: p50 {p50:.1f} ms  p95 {p95:.1f} ms  (target p95 <= 50 ms)")


if __name__ == "__main__":
    main()
