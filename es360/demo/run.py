"""`es360 demo`: generate a messy multi-system world and run every es360 step on it.

setup -> generate -> ingest every system -> resolve identities (scored against the hidden truth)
-> re-tag activity and tickets with customer ids -> first rollup checkpoint (spend, RFM, churn risk)
-> ticket embeddings -> the dashboards as one HTML file.
"""

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

PhaseProgressFn = Callable[[str, int, int | None], None]  # (phase, done, total)

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
    resolve: dict[str, Any] = field(default_factory=dict)  # precision / recall / F1 against the truth
    dashboard: str | None = None  # the HTML file

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def demo_now(value: str | None = None) -> datetime:
    """The world's "now": midnight UTC today by default, so recent activity is recent."""
    if value:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    today = datetime.now(UTC)
    return today.replace(hour=0, minute=0, second=0, microsecond=0)


def run_demo(es: Elasticsearch, settings: Settings, *, customers: int = 6000, seed: int = 360,
             now: datetime | None = None, out_dir: Path | None = None, embeddings: bool = True,
             progress: ProgressFn | None = None, phase_progress: PhaseProgressFn | None = None,
             on_step: Callable[[DemoStep], None] | None = None) -> DemoReport:
    """Setup, generate the world, ingest every system, then resolve, tag, roll up, embed and render.

    `embeddings=False` skips the ticket embeddings (the one step that loads a model). `progress`
    follows the ingest (file, rows, bytes, total bytes); `phase_progress` the later steps (phase, done, total).
    """
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
                                 f"{result.duplicates:,} + rejected {result.rejected:,} + suppressed "
                                 f"{result.suppressed:,}", started)
    _after_ingest(es, settings, out, report, step, embeddings=embeddings, now=now, progress=phase_progress)
    return report


def _after_ingest(es: Elasticsearch, settings: Settings, out: Path, report: DemoReport,
                  step: Callable[[str, str, float], None], *, embeddings: bool, now: datetime,
                  progress: PhaseProgressFn | None) -> None:
    """The steps that turn ingested records into customers, rollups, searchable tickets and dashboards."""
    from es360.dashboard.build import build_dashboard_html
    from es360.identity.backfill import backfill_enrich
    from es360.identity.resolve import resolve
    from es360.rollup import service as rollup

    started = time.perf_counter()
    resolved = resolve(es, settings.prefix, settings.home, truth=out / "truth" / "people.jsonl", progress=progress)
    quality = resolved.evaluation or {}
    report.resolve = {k: quality.get(k) for k in ("precision", "recall", "f1")}
    step("resolve", f"{resolved.records:,} records -> {resolved.customers:,} customers; against the truth: "
                    f"precision {quality.get('precision', 0):.3f}, recall {quality.get('recall', 0):.3f}", started)

    started = time.perf_counter()
    tagged = backfill_enrich(es, settings.prefix, progress=progress)
    step("tag activity", ", ".join(f"{r.index}: {r.tagged:,} of {r.total:,} with a customer_id"
                                   for r in tagged.results), started)

    started = time.perf_counter()
    before = rollup.status(es, settings.prefix).checkpoint or 0
    rollup.start(es, settings.prefix)
    rollup.wait_for_checkpoint(es, settings.prefix, before + 1)
    state = rollup.status(es, settings.prefix)
    step("rollup", f"{state.customers or 0:,} customers rolled up (spend, RFM, churn risk); the transform keeps "
                   f"running", started)

    if embeddings:
        from es360.tickets.backfill import backfill_embeddings

        started = time.perf_counter()
        embedded = backfill_embeddings(es, settings.prefix, progress=(
            (lambda r: progress("embedding", r.scanned, r.total)) if progress else None))
        step("embed tickets", f"{embedded.embedded:,} tickets embedded with {embedded.model}", started)

    started = time.perf_counter()
    html = out / "dashboards.html"
    summary = build_dashboard_html(es, settings, html, now=now)
    report.dashboard = str(html)
    step("dashboards", f"{summary.total('rendered'):,} panels rendered, {summary.total('empty'):,} empty, "
                       f"{summary.total('failed'):,} failed -> {html}", started)


NEXT_STEPS = [
    ("es360 search customers 'sammy smith'", "find a customer from whatever the caller says (fuzzy, nicknames)"),
    ("es360 show <customer_id from the search>", "one customer's whole story: profile, spend, churn, tickets"),
    ("es360 search tickets 'charged twice for my order'", "similar past tickets (keyword + semantic)"),
    ("open $ES360_HOME/demo/dashboards.html", "behavior, spend and churn dashboards, rendered offline"),
    ("es360 rollup status", "the continuous rollup transform: state, checkpoint, lag"),
    ("es360 status", "what is installed and how many documents each index holds"),
    ("es360 setup --check", "confirm the cluster matches the repo's assets"),
    ("curl -s 'localhost:9260/es360-records/_search?q=name.first:sam&size=3&pretty'",
     "the raw Elasticsearch API works against the embedded engine"),
]
