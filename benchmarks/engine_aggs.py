"""Aggregation latency of the embedded engine, measured in-process (no HTTP).

Builds an in-memory index of N documents (keyword `country` with ~200 values, keyword `sku` with ~20k
values, multi-valued keyword `tags`, double `spend`, date `ts`), then times `Searcher(...).run()` with
`size: 0` for typical aggregation requests. Prints p50/p95 per request. Target: a terms aggregation over
1M docs <= 1 s.

    python benchmarks/engine_aggs.py                  # 1M docs
    python benchmarks/engine_aggs.py --docs 100000 --runs 20
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import numpy as np

QUERIES: dict[str, dict[str, Any]] = {
    "terms": {"aggs": {"c": {"terms": {"field": "country"}}}},
    "terms+avg": {"aggs": {"c": {"terms": {"field": "country", "size": 20},
                                 "aggs": {"s": {"avg": {"field": "spend"}}}}}},
    "terms by avg": {"aggs": {"c": {"terms": {"field": "country", "order": {"s": "desc"}},
                                    "aggs": {"s": {"avg": {"field": "spend"}}}}}},
    "terms hi-card": {"aggs": {"c": {"terms": {"field": "sku", "size": 100}}}},
    "terms multi-val": {"aggs": {"c": {"terms": {"field": "tags"}}}},
    "date_histogram": {"aggs": {"d": {"date_histogram": {"field": "ts", "calendar_interval": "day"},
                                      "aggs": {"s": {"sum": {"field": "spend"}}}}}},
    "terms>date_hist": {"aggs": {"c": {"terms": {"field": "country", "size": 10},
                                       "aggs": {"d": {"date_histogram": {"field": "ts",
                                                                         "calendar_interval": "week"}}}}}},
    "stats+pct": {"aggs": {"s": {"stats": {"field": "spend"}},
                           "p": {"percentiles": {"field": "spend"}}}},
    "cardinality": {"aggs": {"u": {"cardinality": {"field": "sku"}}}},
    "composite page": {"aggs": {"c": {"composite": {"size": 1000, "sources": [
        {"country": {"terms": {"field": "country"}}}, {"day": {"date_histogram": {
            "field": "ts", "calendar_interval": "day"}}}]}}}},
    "filtered terms": {"query": {"range": {"spend": {"gte": 500}}},
                       "aggs": {"c": {"terms": {"field": "country"}}}},
}


def build(docs: int, seed: int = 7) -> tuple[Any, Any]:
    from es360.embedded.engine import Target
    from es360.embedded.index import Index

    rng = np.random.default_rng(seed)
    index = Index("bench-aggs", "benchaggsuuid", {}, {
        "properties": {
            "country": {"type": "keyword"}, "sku": {"type": "keyword"}, "tags": {"type": "keyword"},
            "spend": {"type": "double"}, "ts": {"type": "date"},
        }
    })
    countries = rng.zipf(1.3, docs) % 200
    skus = rng.integers(0, 20_000, docs)
    spend = np.round(rng.exponential(300.0, docs), 2)
    start = 1_700_000_000_000
    ts = start + rng.integers(0, 90 * 86_400_000, docs)
    tag_names = ["new", "vip", "churn", "promo", "eu", "us", "mobile", "web"]
    t0 = time.perf_counter()
    for i in range(docs):
        index.index_doc(str(i), {
            "country": f"c{int(countries[i]):03d}", "sku": f"sku-{int(skus[i])}",
            "tags": [tag_names[i % 8], tag_names[(i // 8) % 8]],
            "spend": float(spend[i]), "ts": int(ts[i]),
        })
    index.refresh()
    print(f"indexed {docs} docs in {time.perf_counter() - t0:.1f}s")
    return index, Target(index)


def timed(fn: Any, n: int) -> tuple[float, float]:
    fn()  # warm-up (column caches)
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    return statistics.median(samples), samples[max(0, int(round(0.95 * len(samples))) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()

    from es360.embedded.engine import Engine
    from es360.embedded.search import Searcher

    _index, target = build(args.docs)
    engine = Engine.__new__(Engine)  # only `indices`/`extensions` are read on this path
    engine.indices = {}
    engine.extensions = {}
    total = Searcher(engine, [target], {"size": 0, "track_total_hits": True}, {}).run()["hits"]["total"]["value"]
    assert total == args.docs, f"only {total} of {args.docs} docs are searchable"
    for name, body in QUERIES.items():
        request = {"size": 0, **body}
        p50, p95 = timed(lambda request=request: Searcher(engine, [target], request, {}).run(), args.runs)
        print(f"{name:<16} {args.docs} docs: p50 {p50:7.1f} ms  p95 {p95:7.1f} ms")


if __name__ == "__main__":
    main()
