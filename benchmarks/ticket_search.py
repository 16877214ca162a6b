"""Ticket search quality and embedding backfill throughput, on demo tickets labeled by issue type.

Generates a demo world, ingests its support tickets into an embedded engine (its own process, as in
production; or --es-url), then:

1. Throughput: the raw model encode rate (`encode` over the ticket texts, model already loaded) and
   the end-to-end rate of `es360 backfill embeddings` (PIT read, encode, bulk update) over the same
   tickets, alternating in rounds so both see the same background load. Goal: backfill >= 90% of raw.
2. Quality: precision@10 of same-issue-type tickets (the query ticket itself excluded) for
   keyword, semantic and hybrid (each fusion), plus the ceiling: exact brute-force cosine with the
   same model in numpy; and every fusion variant fused from the same retrieved windows. Two query sets: the subject of a ticket typed as search text (what a rep
   does), and `--similar-to` that ticket. Goal: hybrid (default fusion) >= the better single mode.

    python benchmarks/ticket_search.py                       # ~2,000 tickets, 300 queries
    python benchmarks/ticket_search.py --customers 500 --queries 100
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from elasticsearch import Elasticsearch
from engine_process import start_engine

from es360.embeddings import Embedder, get_embedder, ticket_text
from es360.ingest.mapping import load_mapping
from es360.ingest.run import IngestRun
from es360.setup import run_setup
from es360.tickets.backfill import backfill_embeddings
from es360.tickets.search import DEFAULT_FUSION, RRF_K, SEMANTIC_WEIGHT, search_tickets

PREFIX = "tkbench-"
K = 10


class CachedEmbedder:
    """Wraps an embedder and remembers query vectors, so every mode sees identical vectors."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.cache: dict[str, np.ndarray] = {}

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def version(self) -> str:
        return self.inner.version

    @property
    def dims(self) -> int:
        return self.inner.dims

    def prime(self, texts: Sequence[str]) -> None:
        todo = [t for t in dict.fromkeys(texts) if t not in self.cache]
        for text, vector in zip(todo, self.inner.encode(todo), strict=True):
            self.cache[text] = vector

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        self.prime(texts)
        return np.stack([self.cache[t] for t in texts])




def cpu_seconds(proc: subprocess.Popen[bytes] | None) -> float:
    """User + system CPU seconds of the engine process so far (Linux; 0 elsewhere or for --es-url)."""
    try:
        fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split() if proc else []
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK") if fields else 0.0


def load_tickets(root: Path) -> tuple[list[dict[str, Any]], dict[str, str]]:
    tickets = [json.loads(line) for line in (root / "support" / "tickets.jsonl").open()]
    truth = {row["ticket_id"]: row["issue_type"] for row in map(json.loads, (root / "truth" / "tickets.jsonl").open())}
    return tickets, truth


def precision(ids: list[str], query_id: str, truth: dict[str, str]) -> float:
    same = [t for t in ids if t != query_id][:K]
    return sum(truth.get(t) == truth[query_id] for t in same) / K


def run_mode(es: Elasticsearch, embedder: CachedEmbedder, queries: list[dict[str, Any]], truth: dict[str, str],
             *, similar: bool, mode: str) -> tuple[float, float]:
    """Mean precision@10 and p95 latency (ms) of one mode over the queries."""
    scores, times = [], []
    for q in queries:
        t0 = time.perf_counter()
        if similar:
            res = search_tickets(es, PREFIX, mode=mode, similar_to=q["ticket_id"], size=K, embedder=embedder)
        else:
            res = search_tickets(es, PREFIX, q["subject"], mode=mode, size=K + 1, embedder=embedder)
        times.append((time.perf_counter() - t0) * 1000)
        scores.append(precision([h.ticket_id for h in res.hits], q["ticket_id"], truth))
    times.sort()
    return float(np.mean(scores)), times[max(0, int(round(0.95 * len(times))) - 1)]


def fusion_study(es: Elasticsearch, embedder: CachedEmbedder, queries: list[dict[str, Any]], truth: dict[str, str],
                 *, similar: bool, variants: list[tuple[str, float]], window: int = 50) -> dict[tuple[str, float], float]:
    """precision@10 of each fusion variant, all fused from the same two retrieved windows per query."""
    from es360.tickets import search as ts

    alias = f"{PREFIX}tickets"
    out: dict[tuple[str, float], list[float]] = {v: [] for v in variants}
    for q in queries:
        if similar:
            source_id, source = ts._find_ticket(es, alias, q["ticket_id"])
            vector = [float(x) for x in source["embedding"]]
            text = ticket_text(source.get("subject"), source.get("body"))
            exclude = [{"ids": {"values": [source_id]}}]
        else:
            text, exclude = q["subject"], []
            vector = [float(x) for x in embedder.encode([text])[0]]
        bodies = [ts._keyword_body(ts.keyword_query(ts._clean(text)), [], exclude, window, None),
                  ts._knn_body(vector, [], exclude, window, window, None)]
        for body in bodies:
            body["_source"] = ["ticket_id"]
        kw_hits, sem_hits = ts._msearch(es, alias, bodies)
        tid = {h["_id"]: h["_source"]["ticket_id"] for h in kw_hits + sem_hits}
        for fusion, param in variants:
            if fusion == "rrf":
                ranked = ts.fuse(kw_hits, sem_hits, "rrf", rank_constant=int(param))
            else:
                ranked = ts.fuse(kw_hits, sem_hits, "linear", weight=param)
            out[(fusion, param)].append(precision([tid[f.id] for f in ranked[:K + 1]], q["ticket_id"], truth))
    return {v: float(np.mean(scores)) for v, scores in out.items()}


def ceiling(matrix: np.ndarray, ids: list[str], query_vectors: np.ndarray, queries: list[dict[str, Any]],
            truth: dict[str, str]) -> float:
    """Exact cosine top-10 in numpy (rows are unit length, so cosine = dot)."""
    sims = query_vectors @ matrix.T
    out = []
    for row, q in zip(sims, queries, strict=True):
        top = np.argsort(-row, kind="stable")[:K + 1]
        out.append(precision([ids[i] for i in top], q["ticket_id"], truth))
    return float(np.mean(out))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=1900, help="demo world size (~1.06 tickets per person)")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seed", type=int, default=360)
    parser.add_argument("--batch-size", type=int, default=512, help="backfill batch size")
    parser.add_argument("--rounds", type=int, default=2, help="raw-encode / backfill alternations")
    parser.add_argument("--es-url", help="a real cluster (default: an embedded engine in its own process)")
    parser.add_argument("--weights", default="0.3,0.5,0.6,0.7,0.8,0.9", help="linear-fusion semantic weights to compare")
    args = parser.parse_args()

    from es360.demo.generator import generate_world

    tmp = Path(tempfile.mkdtemp(prefix="es360-ticket-bench-"))
    generate_world(tmp / "demo", customers=args.customers, seed=args.seed)
    tickets, truth = load_tickets(tmp / "demo")
    proc = None
    if args.es_url:
        url = args.es_url
    else:
        proc, url = start_engine(tmp / "engine")
    es = Elasticsearch(url, request_timeout=300)
    try:
        run_setup(es, PREFIX)
        report = IngestRun(es, load_mapping("support"), PREFIX, tmp, batch_size=2000).run(
            [str(tmp / "demo" / "support" / "tickets.jsonl")])
        print(f"tickets: {report.indexed:,} indexed ({len(set(truth.values()))} issue types)")

        # ---- throughput ---------------------------------------------------------------------------
        model = get_embedder()
        t0 = time.perf_counter()
        model.encode(["warm up the model"])
        print(f"model {model.name} ({model.version}) loaded in {time.perf_counter() - t0:.1f}s")
        texts = [ticket_text(t.get("subject"), t.get("description")) for t in tickets]
        # Raw encoding and the backfill alternate in rounds over equal shares of the tickets, so both are
        # measured under the same background load; the raw vectors are the ceiling's matrix.
        parts, raw_seconds, back_seconds, raw_cpu, back_cpu, engine_cpu, embedded = [], 0.0, 0.0, 0.0, 0.0, 0.0, 0
        share = -(-len(texts) // args.rounds)
        for start in range(0, len(texts), share):
            t0, c0 = time.perf_counter(), time.process_time()
            parts.append(model.encode(texts[start:start + share], batch_size=64))
            raw_seconds += time.perf_counter() - t0
            raw_cpu += time.process_time() - c0
            c0, e0 = time.process_time(), cpu_seconds(proc)
            back = backfill_embeddings(es, PREFIX, model, batch_size=args.batch_size, limit=share)
            back_cpu += time.process_time() - c0
            engine_cpu += cpu_seconds(proc) - e0
            assert back.reconciles and back.failed == 0, back.as_dict()
            back_seconds += back.seconds
            embedded += back.embedded
        matrix = np.concatenate(parts)
        raw_rate = len(texts) / raw_seconds
        back_rate = embedded / back_seconds
        assert embedded == len(texts), (embedded, len(texts))
        print("\nthroughput")
        print(f"  raw model encode          {raw_rate:8.1f} tickets/s  ({len(texts):,} texts in {raw_seconds:.1f}s, "
              f"{args.rounds} rounds alternating with the backfill)")
        print(f"  backfill embeddings       {back_rate:8.1f} tickets/s  ({embedded:,} embedded in {back_seconds:.1f}s, "
              f"batch {args.batch_size}, PIT read + encode + bulk update, end to end)")
        print(f"  backfill / raw encode     {back_rate / raw_rate:8.1%}   (goal >= 90%)")
        engine_note = f" + engine {engine_cpu / embedded * 1000:.1f} ms" if proc is not None else ""
        print(f"  CPU per ticket            raw {raw_cpu / len(texts) * 1000:.1f} ms, backfill "
              f"{back_cpu / embedded * 1000:.1f} ms{engine_note}  (CPU time is not slowed by other tenants' load)")

        # ---- quality -----------------------------------------------------------------------------
        rng = random.Random(args.seed)
        queries = rng.sample(tickets, min(args.queries, len(tickets)))
        ids = [t["ticket_id"] for t in tickets]
        embedder = CachedEmbedder(model)
        embedder.prime([q["subject"] for q in queries])
        subject_vectors = np.stack([embedder.cache[q["subject"]] for q in queries])
        row_of = {tid: i for i, tid in enumerate(ids)}
        own_vectors = matrix[[row_of[q["ticket_id"]] for q in queries]]
        variants = [("rrf", 60.0), ("rrf", 10.0)] + [("linear", float(w)) for w in args.weights.split(",") if w]
        for similar, label, qv in ((False, "query = a ticket's subject as search text", subject_vectors),
                                   (True, "query = --similar-to a ticket", own_vectors)):
            print(f"\nprecision@{K} of same-issue tickets, {len(queries)} queries; {label}")
            results: dict[str, float] = {}
            for mode in ("keyword", "semantic", "hybrid"):
                results[mode], p95 = run_mode(es, embedder, queries, truth, similar=similar, mode=mode)
                note = f"   ({DEFAULT_FUSION} fusion, the default)" if mode == "hybrid" else ""
                print(f"  {mode:<34} {results[mode]:.3f}   p95 {p95:5.0f} ms{note}")
            print(f"  {'ceiling (exact cosine, numpy)':<34} {ceiling(matrix, ids, qv, queries, truth):.3f}")
            best = max(results["keyword"], results["semantic"])
            verdict = "OK" if results["hybrid"] >= best - 1e-9 else "BELOW"
            print(f"  hybrid vs better single mode: {results['hybrid']:.3f} vs {best:.3f}  {verdict}")
            print("  fusion variants (same retrieved windows of 50 per query):")
            for (fusion, param), value in fusion_study(es, embedder, queries, truth, similar=similar,
                                                       variants=variants).items():
                name = f"rrf k={param:.0f}" if fusion == "rrf" else f"linear min-max w_semantic={param:.2f}"
                chosen = fusion == DEFAULT_FUSION and abs(param - (RRF_K if fusion == "rrf" else SEMANTIC_WEIGHT)) < 1e-9
                print(f"    {name:<32} {value:.3f}{'   <- default' if chosen else ''}")
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
