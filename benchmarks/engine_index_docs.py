"""Engine CPU per document on the indexing path, measured in-process (no HTTP, no storage).

The documents are what `es360 resolve` really writes: a synthetic world of N source records is
loaded into an in-process engine and resolved once; the golden customers, the identity docs and
the records (without their customer_id) are then replayed into fresh, store-less indices built
from the same settings and mappings, timing only the engine calls:

- customers: `Index.index_doc` of each golden customer (many analysed subfields, nested consent events);
- identity:  `Index.index_doc` of each identifier -> customer_id doc;
- records:   the `_update` partial doc `{"customer_id": ...}` on every record (`apply_update`), as
             resolve's write step sends it.

Figures are process CPU microseconds per document (best of --repeat, with the cyclic GC paused as
in the engine's bulk requests), which stay comparable when other work shares the machine; what a
bulk request adds around each document (HTTP, body parsing, storage) is not in them.
`--cache FILE` keeps the captured documents for the next run.

    python benchmarks/engine_index_docs.py                      # 20k records (~25 s of setup)
    python benchmarks/engine_index_docs.py --records 50000 --cache /tmp/resolve-docs.pickle
"""

from __future__ import annotations

import argparse
import gc
import pickle
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

from es360.embedded.api.documents import apply_update
from es360.embedded.gcpause import no_cyclic_gc
from es360.embedded.index import Index

RECORDS_PER_PERSON = 2.22  # what the synthetic generator produces on average
PREFIX = "bench-"
WANTED = ("customers", "identity", "records")


def capture(records: int) -> dict[str, Any]:
    """Resolve a synthetic world in an in-process engine; the written indices' settings, mappings and docs."""
    from elasticsearch import helpers

    from es360.config import Settings, connect
    from es360.embedded.server import start_server
    from es360.identity.resolve import resolve
    from es360.identity.synthetic import generate_world
    from es360.setup import run_setup

    world = generate_world(int(records / RECORDS_PER_PERSON), seed=3)
    with tempfile.TemporaryDirectory() as tmp:
        server = start_server(Path(tmp) / "engine")
        try:
            es = connect(Settings(es_url=server.url), verify=False).options(request_timeout=600)
            run_setup(es, PREFIX)
            actions = ({"_index": f"{PREFIX}records", "_source": d} for d in world.records)
            for _ in helpers.streaming_bulk(es, actions, chunk_size=2000):
                pass
            es.indices.refresh(index=f"{PREFIX}records")
            resolve(es, PREFIX, Path(tmp) / "home")
            out: dict[str, Any] = {}
            with server.engine.lock:
                for name, index in server.engine.indices.items():
                    kind = name.removeprefix(PREFIX).rsplit("-", 1)[0]
                    if kind not in WANTED:
                        continue
                    live = sorted(index.docs.items(), key=lambda kv: kv[1].docnum)
                    out[kind] = {"settings": index.settings, "mapping": index.mapping.root,
                                 "docs": [(doc_id, index.sources[state.docnum]) for doc_id, state in live]}
            return out
        finally:
            server.stop()


class _Engine:
    """The little of Engine that apply_update needs: one write index, no ingest."""

    def __init__(self, index: Index) -> None:
        self.index = index
        self.extensions: dict[str, Any] = {}

    def write_index(self, name: str, *, auto_create: bool = True) -> Index:
        return self.index


def fresh(spec: dict[str, Any], name: str) -> Index:
    settings = {k: v for k, v in spec["settings"].items() if k != "index.default_pipeline"}
    return Index(name, "uuid-" + name, settings, spec["mapping"])


def bench_index(spec: dict[str, Any], name: str) -> tuple[float, int]:
    """CPU seconds to index every doc of `spec` into a fresh index."""
    index = fresh(spec, name)
    sources = [(doc_id, orjson.loads(raw)) for doc_id, raw in spec["docs"]]
    gc.collect()
    with no_cyclic_gc():  # as the engine's bulk requests run
        start = time.process_time()
        for doc_id, source in sources:
            index.index_doc(doc_id, source)
        return time.process_time() - start, len(sources)


def bench_update(spec: dict[str, Any], name: str) -> tuple[float, int]:
    """CPU seconds to set customer_id on every record by partial update (records indexed without it first)."""
    index = fresh(spec, name)
    updates = []
    for doc_id, raw in spec["docs"]:
        source = orjson.loads(raw)
        customer_id = source.pop("customer_id", None)
        index.index_doc(doc_id, source)
        if customer_id is not None:
            updates.append((doc_id, {"doc": {"customer_id": customer_id}}))
    engine = _Engine(index)
    gc.collect()
    with no_cyclic_gc():
        start = time.process_time()
        for doc_id, body in updates:
            apply_update(engine, name, doc_id, body, {})  # type: ignore[arg-type]
        return time.process_time() - start, len(updates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=20_000, help="source records in the synthetic world")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (the best is printed)")
    parser.add_argument("--cache", type=Path, help="pickle file keeping the captured documents between runs")
    parser.add_argument("--only", choices=sorted(WANTED), action="append", help="measure only these steps")
    args = parser.parse_args()

    if args.cache is not None and args.cache.exists():
        docs = pickle.loads(args.cache.read_bytes())
    else:
        started = time.perf_counter()
        docs = capture(args.records)
        print(f"captured resolve's documents in {time.perf_counter() - started:.1f} s")
        if args.cache is not None:
            args.cache.write_bytes(pickle.dumps(docs))
    steps = {"customers": bench_index, "identity": bench_index, "records": bench_update}
    for kind in args.only or steps:
        best = float("inf")
        count = 0
        for _ in range(args.repeat):
            seconds, count = steps[kind](docs[kind], f"{PREFIX}{kind}")
            best = min(best, seconds)
        per_doc = best / count * 1e6 if count else 0.0
        print(f"{kind:10s} {count:7d} docs  {best:6.2f} s CPU  {per_doc:7.1f} us/doc")


if __name__ == "__main__":
    main()
