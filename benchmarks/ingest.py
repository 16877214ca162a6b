"""End-to-end ingest rate: `es360 ingest` of activity rows (shop orders CSV) through the pipelines.

Prints, per size: rows/s end to end (read, map, bulk, activity pipeline, index on the embedded
engine), the raw cost of just parsing the same file (the floor), and their ratio. Goal (issue 4):
>= 10k rows/s on 2 cores.

    python benchmarks/ingest.py                    # 100k rows
    python benchmarks/ingest.py --rows 100000,1000000
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from elasticsearch import Elasticsearch
from engine_process import start_engine

from es360.ingest.mapping import load_mapping
from es360.ingest.readers import read_rows
from es360.ingest.run import IngestRun
from es360.setup import run_setup

HEADER = "order_id,customer_number,email,order_ts,type,refund_of,status,amount,currency,items\n"


def write_orders(path: Path, n: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    with path.open("w") as fh:
        fh.write(HEADER)
        for i in range(n):
            refund = rng.random() < 0.06
            fh.write(f"O-{i},S-{rng.randrange(100_000):06d},user{rng.randrange(100_000)}@example.com,"
                     f"2025-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}T10:{rng.randrange(60):02d}:00+02:00,"
                     f"{'refund' if refund else 'order'},{f'O-{i - 1}' if refund else ''},"
                     f"{'refunded' if refund else 'paid'},{rng.uniform(5, 400):.2f},{rng.choice(['EUR', 'USD', 'GBP'])},"
                     f"{rng.randrange(1, 6)}\n")




def parse_floor(path: Path) -> float:
    """Rows/s of just reading and mapping the file (no Elasticsearch at all)."""
    mapping = load_mapping("shop-orders")
    rows, _ = read_rows(str(path), "csv")
    start = time.perf_counter()
    n = 0
    for row in rows:
        mapping.apply(row.values)  # type: ignore[union-attr]
        n += 1
    return n / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", default="100000", help="comma-separated row counts")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = start_engine(Path(tmp) / "engine")
        try:
            es = Elasticsearch(url, request_timeout=600)
            run_setup(es, "bench-")
            for n in [int(x) for x in args.rows.split(",")]:
                path = Path(tmp) / f"orders-{n}.csv"
                write_orders(path, n)
                floor = parse_floor(path)
                run = IngestRun(es, load_mapping("shop-orders"), "bench-", Path(tmp) / "home", batch_size=2000)
                report = run.run([str(path)])
                rate = report.read / report.seconds
                print(f"rows={n:,}  end_to_end_rows_per_s={rate:,.0f}  parse_floor_rows_per_s={floor:,.0f}  "
                      f"ratio={rate / floor:.2f}  indexed={report.indexed:,} duplicates={report.duplicates:,} "
                      f"rejected={report.rejected:,}", flush=True)
        finally:
            proc.terminate()
            proc.wait()


if __name__ == "__main__":
    main()
