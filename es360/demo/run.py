"""`es360 demo`: generate a messy multi-system world and run every es360 step that exists on it."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from elasticsearch import Elasticsearch

from es360.config import Settings
from es360.demo.generator import generate_world
from es360.ingest.mapping import load_mapping
from es360.ingest.run import IngestRun, ProgressFn
from es360.setup import run_setup

# (built-in mapping, file) in the order a real rollout would load them: people first, then activity
INGEST_PLAN = [
    ("crm", "crm/contacts.csv"),
    ("shop-customers", "shop/customers.jsonl"),
    ("marketing-subscribers", "marketing/subscribers.csv"),
    ("support", "support/tickets.jsonl"),
    ("shop-orders", "shop/orders.csv"),
    ("marketing-events", "marketing/email_events.csv"),
    ("web", "web/events.jsonl"),
]


@dataclass
class DemoStep:
    name: str
    detail: str
    seconds: float


@dataclass
class DemoReport:
    """What the demo did, step by step, and where its files and ground truth are."""

    out_dir: str
    customers: int
    seed: int
    now: str
    steps: list[DemoStep] = field(default_factory=list)
    ingest: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def demo_now(value: str | None = None) -> datetime:
    """The world's "now": midnight UTC today by default, so recent activity is recent."""
    if value:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    today = datetime.now(UTC)
    return today.replace(hour=0, minute=0, second=0, microsecond=0)


def run_demo(es: Elasticsearch, settings: Settings, *, customers: int = 6000, seed: int = 360,
             now: datetime | None = None, out_dir: Path | None = None,
             progress: ProgressFn | None = None, on_step: Callable[[DemoStep], None] | None = None) -> DemoReport:
    """Setup, generate the world, ingest every system (and later steps as they exist)."""
    now = now or demo_now()
    out = out_dir or settings.home / "demo"
    report = DemoReport(str(out), customers, seed, now.isoformat())

    def step(name: str, detail: str, started: float) -> None:
        done = DemoStep(name, detail, round(time.perf_counter() - started, 2))
        report.steps.append(done)
        if on_step is not None:
            on_step(done)

    started = time.perf_counter()
    items = run_setup(es, settings.prefix)
    changed = sum(1 for i in items if i.action in ("created", "updated"))
    step("setup", f"{len(items)} assets checked, {changed} installed or upgraded", started)

    started = time.perf_counter()
    world = generate_world(out, customers=customers, seed=seed, now=now)
    step("generate", f"{world.people:,} people, {sum(world.counts.values()):,} rows in {len(world.counts)} files "
                     f"(ground truth in {out / 'truth'})", started)

    for source, relative in INGEST_PLAN:
        path = out / relative
        if not path.exists():
            continue
        started = time.perf_counter()
        run = IngestRun(es, load_mapping(source), settings.prefix, settings.home, batch_size=2000,
                        progress=progress)
        result = run.run([str(path)])
        report.ingest.append(result.as_dict())
        step(f"ingest {source}", f"read {result.read:,} = indexed {result.indexed:,} + duplicates "
                                 f"{result.duplicates:,} + rejected {result.rejected:,}", started)
    return report


NEXT_STEPS = [
    ("es360 status", "what is installed and how many documents each index holds"),
    ("es360 setup --check", "confirm the cluster matches the repo's assets"),
    ("curl -s 'localhost:9260/es360-records/_search?q=name.first:sam&size=3&pretty'",
     "the raw Elasticsearch API works against the embedded engine"),
]
