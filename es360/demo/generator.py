"""Generate the demo world: people (hidden truth) seen through CRM, shop, support, marketing and web files.

    from es360.demo.generator import generate_world
    summary = generate_world(Path("demo-data"), customers=6000, seed=360)

Same seed and same `now` give byte-identical files, whatever the number of worker processes. People
are generated in chunks whose rows are streamed to disk, so memory stays flat from 1k to 1M people.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from random import Random
from typing import Any

from es360.demo.chunks import ChunkJob, simulate_chunk
from es360.demo.emails import EmailRegistry
from es360.demo.messy import MessyFile, write_messy_file
from es360.demo.parallel import run_parallel
from es360.demo.people import PeopleFactory, Person
from es360.demo.rates import DEFAULT_RATES, Rates
from es360.demo.sinks import Sinks
from es360.demo.timefmt import iso_z, to_epoch
from es360.demo.truth_readme import TRUTH_README

__all__ = ["CHUNK_PEOPLE", "DEFAULT_NOW", "SOURCE_FILES", "MessyFile", "WorldSummary", "generate_world",
           "write_messy_file"]

DEFAULT_NOW = datetime(2026, 11, 1, tzinfo=UTC)
CHUNK_PEOPLE = 5000  # people per independently seeded chunk; like the seed, it shapes the world
PARALLEL_FROM = 50_000  # worlds this big use worker processes unless told otherwise
ACTIVITY_FILES = ("shop/orders.csv", "marketing/email_events.csv", "web/events.jsonl")
RECORD_FILES = ("crm/contacts.csv", "shop/customers.jsonl", "marketing/subscribers.csv", "support/tickets.jsonl")
SOURCE_FILES: dict[str, tuple[str, ...]] = {
    "crm": ("crm/contacts.csv",),
    "shop": ("shop/customers.jsonl", "shop/orders.csv"),
    "support": ("support/tickets.jsonl",),
    "marketing": ("marketing/subscribers.csv", "marketing/email_events.csv"),
    "web": ("web/events.jsonl",),
}


@dataclass(frozen=True, slots=True)
class WorldSummary:
    """What was written: rows per file (relative path -> data rows) and where the truth is."""

    out_dir: Path
    seed: int
    now: str
    people: int
    counts: dict[str, int]
    seconds: float
    truth_files: tuple[Path, ...] = field(default=())

    @property
    def activity_events(self) -> int:
        """Orders and refunds, email events and web events."""
        return sum(self.counts[name] for name in ACTIVITY_FILES)

    @property
    def tickets(self) -> int:
        return self.counts["support/tickets.jsonl"]

    @property
    def records(self) -> int:
        """Rows that describe people: CRM contacts, shop customers, subscribers and tickets."""
        return sum(self.counts[name] for name in RECORD_FILES)

    @property
    def truth_dir(self) -> Path:
        return self.out_dir / "truth"

    def source_files(self) -> dict[str, list[Path]]:
        """The files each source system exported (system -> paths), truth excluded."""
        return {system: [self.out_dir / name for name in names] for system, names in SOURCE_FILES.items()}

    @property
    def rows(self) -> int:
        """Every data row written, truth excluded."""
        return sum(n for name, n in self.counts.items() if not name.startswith("truth/"))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly view (for `es360 demo --json`)."""
        return {"out_dir": str(self.out_dir), "seed": self.seed, "now": self.now, "people": self.people,
                "counts": dict(self.counts), "activity_events": self.activity_events, "tickets": self.tickets,
                "records": self.records, "rows": self.rows, "seconds": round(self.seconds, 3),
                "truth_files": [str(p) for p in self.truth_files]}


def generate_world(out_dir: Path, customers: int = 6000, seed: int = 360, now: datetime | None = None,
                   rates: Rates = DEFAULT_RATES, workers: int | None = None,
                   chunk_people: int = CHUNK_PEOPLE,
                   progress: Callable[[int], None] | None = None) -> WorldSummary:
    """Write a seeded multi-system world of `customers` people into out_dir; return what was written.

    now: the world's clock (default DEFAULT_NOW, so the demo is reproducible). workers: processes
    simulating chunks (None: one for small worlds, up to 8 from 50k people); the files do not depend
    on it. chunk_people: people per independently seeded chunk (part of the world's identity, like
    the seed). progress: called with the number of people written so far, after each chunk.
    """
    if customers < 1:
        raise ValueError("customers must be at least 1")
    if chunk_people < 1:
        raise ValueError("chunk_people must be at least 1")
    started = time.perf_counter()
    out_dir = Path(out_dir)
    now_ts = to_epoch(now or DEFAULT_NOW)
    if workers is None:
        workers = min(os.cpu_count() or 1, 8) if customers >= PARALLEL_FROM else 1
    factory = PeopleFactory(Random(f"es360-demo:{seed}:people"), rates, EmailRegistry(customers), now_ts)
    jobs = _jobs(factory, customers, seed, now_ts, rates, chunk_people)
    sinks = Sinks(out_dir)
    try:
        if workers > 1 and customers > chunk_people:
            run_parallel(jobs, sinks, workers, out_dir / ".es360-parts", progress)
        else:
            done = 0
            for job in jobs:
                simulate_chunk(job, sinks)
                done += job.people
                if progress is not None:
                    progress(done)
    finally:
        sinks.close()
    readme = out_dir / "truth" / "README.md"
    readme.write_text(TRUTH_README, encoding="utf-8")
    return WorldSummary(out_dir, seed, iso_z(now_ts), customers, sinks.counts(), time.perf_counter() - started,
                        (out_dir / "truth" / "people.jsonl", out_dir / "truth" / "tickets.jsonl", readme))


def _jobs(factory: PeopleFactory, customers: int, seed: int, now: int, rates: Rates,
          chunk_people: int) -> Iterator[ChunkJob]:
    """Chunks of whole households, generated lazily (identities are drawn in order, in this process)."""
    remaining, index = customers, 0
    while remaining > 0:
        units: list[list[Person]] = []
        size = 0
        while size < chunk_people and remaining > 0:
            unit = factory.unit(remaining)
            units.append(unit)
            size += len(unit)
            remaining -= len(unit)
        yield ChunkJob(index, seed, now, rates, chunk_people + 1, units)
        index += 1
