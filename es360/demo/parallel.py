"""Simulate chunks in worker processes and append their parts to the world's files in order."""

from __future__ import annotations

import multiprocessing
import shutil
from collections import deque
from collections.abc import Callable, Iterable
from multiprocessing.pool import AsyncResult
from pathlib import Path
from typing import TypeAlias

from es360.demo.chunks import ChunkJob, simulate_chunk_to_parts
from es360.demo.sinks import Sinks

Pending: TypeAlias = "deque[tuple[AsyncResult[dict[str, int]], Path, int]]"


def run_parallel(jobs: Iterable[ChunkJob], sinks: Sinks, workers: int, scratch: Path,
                 progress: Callable[[int], None] | None = None) -> None:
    """Run jobs on `workers` processes; at most two chunks per worker are in flight (bounded memory)."""
    scratch.mkdir(parents=True, exist_ok=True)
    pending: Pending = deque()
    done = 0
    try:
        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            for job in jobs:
                part = scratch / f"chunk-{job.index:06d}"
                pending.append((pool.apply_async(simulate_chunk_to_parts, (job, str(part))), part, job.people))
                while len(pending) >= 2 * workers:
                    done = _append_next(pending, sinks, done, progress)
            while pending:
                done = _append_next(pending, sinks, done, progress)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _append_next(pending: Pending, sinks: Sinks, done: int, progress: Callable[[int], None] | None) -> int:
    result, part, people = pending.popleft()
    sinks.append_parts(part, result.get())
    shutil.rmtree(part, ignore_errors=True)
    done += people
    if progress is not None:
        progress(done)
    return done
