"""Speed of the demo world generator: rows written per second for 10k and 100k people.

Prints, per size: wall seconds, CPU seconds (this process and its workers), data rows (truth
excluded), rows/s (wall and per CPU second), people/s, output size and peak RSS (largest process).
Target: the default world (6k people) in a few seconds, 1M people in a few minutes with flat memory.

    python benchmarks/demo_generate.py                      # 10k and 100k people
    python benchmarks/demo_generate.py --people 1000000     # one size
    python benchmarks/demo_generate.py --workers 1          # no worker processes
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from pathlib import Path

from es360.demo.generator import generate_world


def _cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run(people: int, seed: int, workers: int | None, keep: Path | None) -> None:
    out = keep or Path(tempfile.mkdtemp(prefix="es360-demo-bench-"))
    try:
        wall, cpu = time.perf_counter(), _cpu()
        summary = generate_world(out, customers=people, seed=seed, workers=workers)
        wall, cpu = time.perf_counter() - wall, _cpu() - cpu
        size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
        rss = max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF,
                                                               resource.RUSAGE_CHILDREN)) / 1024
        print(f"{people:>9,} people  {wall:7.1f} s wall  {cpu:7.1f} s cpu  {summary.rows:>11,} rows  "
              f"{summary.rows / wall:>9,.0f} rows/s  {summary.rows / cpu:>9,.0f} rows/s cpu  "
              f"{people / wall:>7,.0f} people/s  {size / 2**20:8.1f} MiB  peak RSS {rss:6.0f} MiB", flush=True)
        for name, count in summary.counts.items():
            print(f"    {name:<28} {count:>11,}")
    finally:
        if keep is None:
            shutil.rmtree(out, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", default="10000,100000", help="comma-separated world sizes")
    parser.add_argument("--seed", type=int, default=360)
    parser.add_argument("--workers", type=int, help="worker processes (default: automatic)")
    parser.add_argument("--keep", type=Path, help="write into this folder and keep it (single size only)")
    args = parser.parse_args()
    for people in (int(p) for p in args.people.split(",")):
        run(people, args.seed, args.workers, args.keep)


if __name__ == "__main__":
    main()
