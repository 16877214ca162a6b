"""One chunk of the world: every system's records and activity for a run of households.

A chunk depends only on its people, the seed and its index, never on other chunks, so chunks can be
simulated in any process and concatenated in order with the same bytes as a sequential run.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from random import Random

from es360.demo.behaviour import Plan, plan_for
from es360.demo.catalog import Campaign, Catalog, campaign_calendar
from es360.demo.crm import write_contacts
from es360.demo.ids import Ids
from es360.demo.marketing import write_marketing
from es360.demo.people import Person
from es360.demo.rates import Rates
from es360.demo.shop import write_shop
from es360.demo.sinks import Sinks
from es360.demo.support import support_presence, write_tickets
from es360.demo.views import Views
from es360.demo.web import write_visitors, write_web
from es360.demo.world import Account, OrderInfo, World


@dataclass(frozen=True, slots=True)
class ChunkJob:
    """The people of one chunk and what is needed to simulate them."""

    index: int
    seed: int
    now: int
    rates: Rates
    block_people: int
    units: list[list[Person]]

    @property
    def people(self) -> int:
        return sum(len(unit) for unit in self.units)


@lru_cache(maxsize=1)
def _catalog() -> Catalog:
    return Catalog()


@lru_cache(maxsize=4)
def _campaigns(now: int, days: int, every: int) -> tuple[Campaign, ...]:
    return campaign_calendar(now, days, every)


def simulate_chunk(job: ChunkJob, sinks: Sinks) -> None:
    """Write the chunk's rows to sinks."""
    rates = job.rates
    rng = Random(f"es360-demo:{job.seed}:activity:{job.index}")
    campaigns = _campaigns(job.now, rates.volume.email_days, rates.volume.campaign_every_days)
    world = World(rng, rates, job.now, sinks, Ids(rng, job.seed, job.index, job.block_people),
                  Views(rng, rates.noise), _catalog(), campaigns, [c.ts for c in campaigns])
    for unit in job.units:
        _simulate(world, unit)
        if rng.random() < rates.volume.anonymous_visitors * len(unit):
            write_visitors(world, 1)


def simulate_chunk_to_parts(job: ChunkJob, part_dir: str) -> dict[str, int]:
    """Worker entry point: write the chunk as header-less part files; return rows per file."""
    sinks = Sinks(Path(part_dir), headers=False)
    try:
        simulate_chunk(job, sinks)
    finally:
        sinks.close()
    return sinks.counts()


def _simulate(w: World, unit: list[Person]) -> None:
    """Every system's records and activity for one household (or single person, or namesake pair)."""
    rng = w.rng
    presence = w.rates.presence
    shop_taken: set[str] = set()
    marketing_taken: set[str] = set()
    for p in unit:
        plan: Plan = plan_for(rng, p.segment, w.now)
        in_crm = rng.random() < presence.crm
        in_shop = rng.random() < presence.shop
        in_support = rng.random() < support_presence(p.segment, presence.support)
        in_marketing = rng.random() < presence.marketing
        if not (in_crm or in_shop or in_support or in_marketing):
            in_shop = True
        if in_crm:
            write_contacts(w, p, plan, in_marketing)
        accounts: list[Account] = []
        orders: list[OrderInfo] = []
        if in_shop:
            accounts, orders = write_shop(w, p, plan, shop_taken)
        if in_marketing:
            write_marketing(w, p, plan, marketing_taken)
        if in_support:
            write_tickets(w, p, plan, orders)
        if in_shop or rng.random() < presence.anonymous_web:
            write_web(w, p, plan, accounts, orders)
        w.sinks.truth_people.write({"person_id": p.pid, "segment": p.segment, "churned": plan.churned,
                                    "records": p.records, "household_id": p.household_id})
